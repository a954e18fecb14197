// Open vSwitch's public surface: its build and testsuite stage, the datapath suite.
export { ovsStage, ovsCheckAfter, OVS_TESTSUITE_SUBSET } from "./stage.ts";
export { ovsDatapathStage, DEFAULT_FLOWS, flowPackets, sameFlow } from "./datapath.ts";
