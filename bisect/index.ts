// bisect/: `dpu-ci bisect`, from a regression to the first bad change across the project's history
// and its components' sources.
export type { BisectOptions, BisectResult } from "./bisect.ts";
export type { BisectReport, ReportedCulprit, ReportedStep } from "./report.ts";
export type { Dimension, State, Verdict, Probe, SearchResult, Culprit } from "./search.ts";
export type { TestRef, TestReading, StepVerdict } from "./step.ts";

export { bisect, runsFromHistory } from "./bisect.ts";
export { search } from "./search.ts";
export { readTest, parseTestRef } from "./step.ts";
export { renderBisectMarkdown, renderBisectHtml, headline } from "./report.ts";
