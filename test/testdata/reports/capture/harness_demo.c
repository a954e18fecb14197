// A tiny kselftest_harness test, compiled against the 6.1 tree's header to capture real KTAP output.
#include "kselftest_harness.h"

TEST(passes) { ASSERT_EQ(4, 2 + 2); }
TEST(fails) { EXPECT_EQ(5, 2 + 2) TH_LOG("arithmetic is broken on purpose"); }
TEST(skips) { SKIP(return, "no 82599 VF on this board"); }

FIXTURE(ring) { int size; };
FIXTURE_SETUP(ring) { self->size = 256; }
FIXTURE_TEARDOWN(ring) {}
TEST_F(ring, has_size) { ASSERT_EQ(256, self->size); }
TEST_F(ring, wrong_size) { ASSERT_EQ(512, self->size); }

TEST_HARNESS_MAIN
