# pytest file used to capture real JUnit XML (pytest --junitxml): pass, fail, skip, xfail, error.
import pytest

def test_vf_count():
    assert 8 == 8

def test_queue_map():
    assert {"q0": 1} == {"q0": 2}

@pytest.mark.skip(reason="needs fpga:devboard")
def test_fpga_fastpath():
    pass

@pytest.mark.xfail(reason="erdma SRD not upstream")
def test_erdma_srd():
    assert False

@pytest.fixture
def board():
    raise RuntimeError("BMC did not answer")

def test_power_cycle(board):
    pass
