// reports/: result model, parsers, JUnit, HTML, Markdown, history and regressions.
export type { RunResult, NodeResult, CaseResult, ArtifactRef, AttemptResult, Counts } from "./model.ts";
export type { Regression, RegressionReport, Category, MetricDelta, MetricRegression, CompareOptions } from "./history.ts";
export type { MetricRule } from "./thresholds.ts";
export type {
  LabTimeline,
  LabLease,
  LabBoard,
  LabHealthChange,
  LabJobResult,
  DashboardData,
  WrittenSite,
  BuildDashboardOptions,
  BuiltDashboard,
} from "./dashboard/index.ts";
export type { WriteReportsOptions, WrittenReports, ReportCommandOptions } from "./write.ts";
export type { ParseOptions, ParseProblem, ParseResult, Format, TestpmdOptions } from "./parse/index.ts";

export { readRun, runFromManifest, runCases, nodeSuites, countOutcomes, artifactsUnderTest } from "./model.ts";
export { parseOutput, parseTap, parseTestpmd, parseAutotest, parseJunit, parseDpdkTest, parseMesonTest, ParseError, strict, FORMATS } from "./parse/index.ts";
export { junitXml } from "./junit.ts";
export { History, CATEGORY_LABEL } from "./history.ts";
export { DEFAULT_METRIC_RULES, loadMetricRules, judgeMetric, ruleFor, median } from "./thresholds.ts";
export { renderHtml } from "./html.ts";
export { renderMarkdown } from "./markdown.ts";
export { writeRunReports, reportCommand } from "./write.ts";
export { buildDashboard, serveSite } from "./dashboard/index.ts";
export { HISTORY_SCHEMA } from "./history-schema.ts";
