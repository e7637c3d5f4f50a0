// The public face of `orrery serve` and of planets as services (re-exported by the runner's index).

// The planets' wire and the sun-side remote planet are the agents' own; re-exported for existing users.
export {
  type PlanetAnalysis,
  PlanetTopic,
  planetAnalysisSchema,
  planetReportSchema,
  type RemotePlanetOptions,
  remotePlanet,
} from '@orrery/agents';
export {
  createServeApp,
  DEFAULT_BODY_LIMIT,
  DEFAULT_MAX_CONCURRENT,
  type ServeAppOptions,
  type ServeLogLevel,
} from './app.ts';
export { assertBindAllowed, isLoopbackHost, MIN_TOKEN_LENGTH } from './bind-policy.ts';
export { type AnalyzeBody, analyzeBodySchema, MAX_BARS } from './bodies/analyze.ts';
export { type OpenChainBody, openChainBodySchema } from './bodies/chain.ts';
export { type ExecuteBody, executeBodySchema } from './bodies/execute.ts';
export { barSchema, snapshotSchema } from './bodies/snapshot.ts';
export { BUDGET_RETRY_AFTER_S, type LlmFailureStatus, llmFailureStatus } from './llm-status.ts';
export { builtinPlanetCatalog, type PlanetCatalog } from './planet-catalog.ts';
export { type PlanetService, type PlanetServiceOptions, servePlanet } from './planet-service.ts';
export { type BodyIssue, type ProblemBody, ServeErrorCode } from './problem.ts';
export { type RunningServer, type StartServeOptions, startServe } from './start.ts';
