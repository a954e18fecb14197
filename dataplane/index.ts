// dataplane/: the data-plane programs' tooling — test packets, map layouts, the bpftool wrapper, the
// control API, verifier statistics, packet vectors, the host packet-test run and the guest suite.
// The stage that composes these into build and task nodes is stages/dataplane.ts.
export type { ProgType, BatchResult, Runner, ProgInfo, RunResult as ProgRunResult } from "./bpftool.ts";
export type { MapIO } from "./control.ts";
export type { GuestProgram } from "./guest.ts";
export type { MapEntry, Proto, FwAction, FwRule, LbVip, LbBackend, LbFrag, FdbEntry, Route, FwdRule, FwdPort, DataplaneState } from "./layout.ts";
export type { VlanSpec, EthSpec, Ipv4Spec, TcpSpec, UdpSpec, IcmpSpec, PacketSpec, Field } from "./packet.ts";
export type { P4Arch, DataplaneProgram, Verdict } from "./programs.ts";
export type { ProgramObject, DataplaneRunResult } from "./run.ts";
export type { CounterExpectation, Vector, VectorFile } from "./vectors.ts";
export type { ProgramStats, VerifierReport, LogStats } from "./verifier.ts";
export type { FuzzPacket, PacketFacts, Ipv4Facts, GenerateOptions } from "./fuzz-packets.ts";
export type { FuzzFailure, FuzzReport } from "./fuzz.ts";

export { Bpftool, plan, batchLine, bpftoolRunner, bytesOf } from "./bpftool.ts";
export { DataplaneControl, pinnedMaps, applyEntries, resolveIfindex } from "./control.ts";
export { describePacketMismatch, differingOffsets, fieldDiff, hexDiff } from "./diff.ts";
export { guestSuite } from "./guest.ts";
export {
  MAPS,
  STATS,
  protoNumber,
  protoName,
  stateEntries,
  fwRuleKey,
  fwRuleEntry,
  fwDefaultEntry,
  fwPortRuleEntries,
  decodeFwRule,
  parseVip,
  formatVip,
  vipKey,
  vipEntry,
  decodeVip,
  backendKey,
  backendEntry,
  decodeBackend,
  fragEntry,
  fdbKey,
  fdbEntry,
  decodeFdb,
  routeKey,
  routeEntry,
  decodeRoute,
  fwdPortEntry,
  fwdRuleEntry,
  decodeFwdRule,
} from "./layout.ts";
export {
  BadValueError,
  ETH_P_IP,
  ETH_P_8021Q,
  ETH_P_8021AD,
  IPPROTO,
  parseMac,
  formatMac,
  parseIpv4,
  formatIpv4,
  parseCidr,
  parseHex,
  inetChecksum,
  buildPacket,
  patchPacket,
  decodePacket,
} from "./packet.ts";
export { PROGRAMS, programNamed, VERDICTS, verdictCode, verdictName } from "./programs.ts";
export { runDataplaneTests, withBpffs } from "./run.ts";
export { parseVectors, loadVectors } from "./vectors.ts";
export { VerifierLogScanner, parseVerifierLogs, verifierError, formatVerifierStats, formatVerifierSideBySide, verifierMetrics } from "./verifier.ts";
export type { CField, CStruct, P4Action, P4Table, P4Layout, P4Entry, FieldValue, EncodedEntry } from "./p4layout.ts";
export { parseStructs, parseP4Layout, encodeP4Entry, findTable } from "./p4layout.ts";
export { p4StateEntries, p4MapEntries, p4RemovalEntries, lbFragSlot, LB_FRAG_SLOTS } from "./p4state.ts";
export type { PacketKind, GeneratedPacket } from "./packetgen.ts";
export { Rng, generatePacket, DIFF_STATE } from "./packetgen.ts";
export type { DiffImpl, Divergence, DiffProgramResult, RunOutcome } from "./differential.ts";
export { normalVerdict, runPackets, compareRuns, formatDivergence, differentialRun, differentialCase, vectorDivergences } from "./differential.ts";
export { SKB_CB_OFFSET, SKB_CTX_SIZE, PSA_PASS_TO_KERNEL_OFFSET, psaPassedToKernel, psaRetval, skbTestRunRefuses } from "./psa.ts";
export { testpmdSession, TESTPMD_PROMPT, type SessionStep, type SessionResult, type StepOutput } from "./testpmd-session.ts";
export { generatePackets, randomPacket, mutatePacket, inspectPacket, fixIpv4Checksum } from "./fuzz-packets.ts";
export { fuzzProgram, formatFuzzTable, formatFuzzFailure, FUZZ_SETUPS } from "./fuzz.ts";
