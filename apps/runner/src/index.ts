export type {
  Approval,
  ApprovalStatus,
  BrokerSettings,
  ControlEvent,
  Fill,
  Order,
  OrderRequest,
  OrderSide,
  OrderStatus,
  OrderType,
  Position,
  TimeInForce,
} from '@orrery/broker';
export {
  BrokerErrorCode,
  BrokerPackageError,
  type BrokerState,
  type CommandStatus,
  type ControlCommand,
  type ControlCommandBody,
  type ControlCommandInput,
  ControlError,
  type ControlKind,
  type ControlState,
  type ControlStepWrite,
  ControlStore,
  controlCommandSchema,
  controlStateSchema,
  type EquityPoint,
  emptyControlState,
  Ledger,
  PaperBroker,
  type PortfolioSnapshot,
  type RunRow,
  type StepWrite,
  type StoredCycle,
} from '@orrery/broker';
export {
  BAR_FIELDS,
  BUNDLED_DATASETS,
  type BundledDataset,
  type BundledName,
  CCXT_MARKETS_SOURCE,
  CCXT_MARKETS_TTL_MS,
  type ColumnMapping,
  type CsvLoadOptions,
  checkBar,
  chooseTimeFormat,
  compileTimeFormat,
  createCcxtSource,
  type DataSourceSpec,
  DropReason,
  FeedError,
  FeedErrorCode,
  type FeedReport,
  formatFeedReport,
  formatNewsReport,
  LiveFeed,
  type LiveFeedOptions,
  type LoadedNews,
  type LoadedSeries,
  loadCsvFile,
  loadDataSource,
  loadDataSources,
  loadNewsFile,
  loadWideCsvFile,
  type MarketsExchange,
  NewsDropReason,
  type NewsFormat,
  type NewsItem,
  type NewsLoadOptions,
  type NewsReport,
  NewsWindow,
  type NewsWindowOptions,
  type OhlcvSource,
  parseColumnMapping,
  parseCsvBars,
  parseJsonBars,
  parseNews,
  parseTime,
  TIME_FORMAT_CANDIDATES,
  type TimeParser,
  type WideSeries,
  withCachedMarkets,
} from '@orrery/feeds';
export { type AuditExportSummary, exportAuditFile, writeAudit } from './audit/export.ts';
export { type AuditedCall, AuditRecorder } from './audit/llm-recorder.ts';
export { Redactor } from './audit/redact.ts';
export { type AuditLine, type AuditSources, auditTrail } from './audit/trail.ts';
export { buildProgram, main, processIO } from './cli.ts';
export type { CliIO } from './commands/io.ts';
export { forRun, type LoadedConfig, loadConfig, parseConfig } from './config/load.ts';
export {
  type OrreryConfig,
  type OrreryConfigInput,
  orreryConfigSchema,
  orreryJsonSchema,
} from './config/schema.ts';
export { type ControlRoutesOptions, controlRoutes } from './control/http-routes.ts';
export type { LoopControl, Route, StepControl } from './control/loop-control.ts';
export { type ControlHandle, openControl } from './control/open-run.ts';
export { createRunControl } from './control/run-control.ts';
export { type ControlStatus, controlStatus } from './control/status.ts';
export {
  BrokerError,
  ConfigError,
  type ConfigIssue,
  LedgerError,
  RunnerError,
  RunnerErrorCode,
} from './errors.ts';
export { mergeSeries, type Step } from './loop/steps.ts';
export type { CycleInput, CycleLike, DecisionLike, Strategy } from './loop/strategy.ts';
export { type LoopOptions, type LoopResult, runTradingLoop } from './loop/trading-loop.ts';
export { computePerformance, type Performance } from './metrics/performance.ts';
export { type RoundTrip, roundTrips } from './metrics/round-trips.ts';
export { summariseUsage, type UsageSummary } from './metrics/usage.ts';
export { type ReportInput, renderHtmlReport, writeHtmlReport } from './report/html-report.ts';
export * from './serve/index.ts';
export { type LiveOptions, runLive } from './session/live-run.ts';
export { type PaperOptions, type PaperResult, runPaper } from './session/paper-run.ts';
