export {
  type BatchMember,
  type BatchOptions,
  BatchWindow,
  DEFAULT_BATCH_SYMBOLS,
  DEFAULT_BATCH_TOKENS,
} from './batching/batch-window.ts';
export { type CallRef, formatCallRef, parseCallRef } from './batching/call-ref.ts';
export { type CallAllowance, createCallAllowance } from './call-allowance.ts';
export {
  cacheSettingsFor,
  DEFAULT_CHANGE_THRESHOLDS,
  parseSolarSystemConfig,
  type SolarSystemConfig,
  type SolarSystemConfigInput,
  solarSystemConfigSchema,
} from './config.ts';
export { CONSENSUS_RULE, type ConsensusResult, consensus } from './consensus.ts';
export type { MessageCount } from './consult/message-log.ts';
export type { CriticRecord, CycleFault, CycleRecord, ReasoningRecord } from './cycle-record.ts';
export {
  actionFor,
  atrStop,
  type Decision,
  decisionFromForecast,
  type ExecutionPlan,
  type ForecastContext,
} from './decision.ts';
export * from './errors.ts';
export {
  applyPlaybook,
  erfc,
  forgetLearning,
  incompleteBeta,
  judgeVariants,
  Learner,
  type LearnerOptions,
  type LearningChange,
  type LearningDbTarget,
  LearningInputError,
  LearningNotFoundError,
  type LearningSettings,
  type LearningSettingsInput,
  learnedRiskMultiplier,
  learnedWeight,
  learningSettingsSchema,
  learningSettingsShape,
  logGamma,
  meanVariance,
  msprt,
  normalCdf,
  type OutcomeEvidence,
  type OutcomeEvidenceInput,
  outcomeEvidenceSchema,
  type PromptAssignment,
  type PromptEvaluation,
  PromptEvolution,
  type PromptEvolutionSettings,
  type PromptEvolutionSettingsInput,
  type PromptHistoryEntry,
  promptEvolutionSettingsSchema,
  type RegimePlay,
  type RuleEvidence,
  ruleEvidence,
  type SharedConnection,
  type SunTuning,
  sequentialMeanTest,
  sequentialProportionTest,
  stanceOf,
  studentTTwoSided,
  type Tally,
  type TestResult,
  TuningTimeline,
  tallyOutcome,
  tunedPlanet,
  twoProportionZTest,
  type VariantSample,
  type VariantStats,
  welchTTest,
  withPlaybook,
} from './learning/index.ts';
export { addUsage, emptyUsage, type LLMCaller, type LlmUsage } from './llm-caller.ts';
export {
  assertValidBar,
  assertValidPortfolio,
  type Bar,
  type PortfolioView,
  positionFraction,
} from './market.ts';
export { type AlertsReading, alertsMoon } from './moons/alerts.ts';
export { type AtrReading, atrMoon } from './moons/atr.ts';
export { type BollingerReading, bollingerMoon } from './moons/bollinger.ts';
export { type DrawdownReading, drawdownMoon } from './moons/drawdown.ts';
export { Ema } from './moons/ema.ts';
export { extractFeatures } from './moons/features.ts';
export { type MacdReading, macdMoon } from './moons/macd.ts';
export { type ChangeReading, MaterialChangeDetector, materialChangeMoon } from './moons/material-change.ts';
export type { Moon, MoonFactory, MoonInput } from './moons/moon.ts';
export { createMoonBank, type MoonBank } from './moons/moon-bank.ts';
export { type MovingAverageReading, movingAverageMoon } from './moons/moving-average.ts';
export { positionSizingMoon, type SizingOptions, type SizingReading } from './moons/position-sizing.ts';
export {
  type RegimeOptions,
  type RegimeReading,
  regimeMoon,
  type TrendRegime,
  type VolatilityLevel,
} from './moons/regime.ts';
export { moonFactories } from './moons/registry.ts';
export { type RsiReading, rsiMoon } from './moons/rsi.ts';
export {
  buildSnapshot,
  CORE_MOONS,
  type CoreReadings,
  EMPTY_CORE_READINGS,
  type MoonSnapshot,
  type Readings,
} from './moons/snapshot.ts';
export { ewmacScalar, type TrendReading, trendMoon } from './moons/trend.ts';
export { type VarReading, valueAtRiskMoon } from './moons/value-at-risk.ts';
export { type VolatilityReading, volatilityMoon } from './moons/volatility.ts';
export {
  answerSchemaOf,
  type PlanetSpec,
  type PlanetSpecInput,
  parsePlanetSpec,
  planetFromSpec,
  planetSpecSchema,
  renderPrompt,
  specMoonIssues,
} from './planet-spec.ts';
export { type PlanetAnswer, planetAnswerSchema } from './planets/answer.ts';
export {
  AnswerCache,
  type AnswerCacheStats,
  addCacheStats,
  CACHE_EXTRA_THRESHOLDS,
  CACHE_MISS_REASONS,
  type CacheInputs,
  type CacheMissReason,
  type CacheVerdict,
  cacheMisses,
  emptyCacheStats,
  promptVersionOf,
  type TaskCacheSettings,
} from './planets/answer-cache.ts';
export {
  BUILTIN_PLANETS,
  type BuiltinPlanetEntry,
  type CreatePlanetOptions,
  createPlanet,
  isPlanetKind,
  PLANET_KINDS,
  type PlanetKind,
} from './planets/create-planet.ts';
export {
  definePlanet,
  featuresOfMoons,
  type PlanetDefinition,
  type PlanetPrompt,
  type PlanetReads,
} from './planets/define-planet.ts';
export {
  assessExecution,
  type ExecutionPlanetOptions,
  type ExecutionRules,
  executionPlanet,
} from './planets/execution.ts';
export type {
  AnalyzeOptions,
  Lateral,
  LateralBody,
  Planet,
  PlanetAssessment,
  PlanetInput,
  PlanetLlmOutcome,
  PlanetReport,
  PlanetRole,
} from './planets/planet.ts';
export { planetMessages } from './planets/prompt.ts';
export { assessRisk, fragilityOf, riskMultiplierOf, riskPlanet } from './planets/risk.ts';
export { assessSentiment, sentimentAnswerSchema, sentimentPlanet } from './planets/sentiment.ts';
export { assessTechnical, type BuiltinPlanetOptions, technicalPlanet } from './planets/technical.ts';
export {
  type PlanetAnalysis,
  PlanetTopic,
  planetAnalysisSchema,
  planetReportSchema,
} from './remote/planet-wire.ts';
export {
  type RemotePlanetOptions,
  type RemotePlanetSet,
  remotePlanet,
  remotePlanetSet,
} from './remote/remote-planet.ts';
export { type ClampContext, type ClampResult, clampDecision } from './risk-clamp.ts';
export {
  compileRouting,
  DEFAULT_ROUTING,
  type PlanetRoute,
  pruneRouting,
  type Routing,
  type RoutingBranch,
  type RoutingLeaf,
  type RoutingNode,
  type RoutingQuery,
  routingNodeSchema,
  routingQuery,
} from './routing.ts';
export {
  EdgeCalibrator,
  needsRebalance,
  scaleToExposure,
  targetWeight,
  volTargetOf,
  type WeightInput,
} from './sizing.ts';
export {
  createSolarSystem,
  type SolarSystem,
  type SolarSystemOptions,
  type SunHealth,
} from './solar-system.ts';
export { criticAnswerSchema, criticTrigger } from './sun/critic.ts';
export type { CycleInput } from './sun/cycle-work.ts';
export { type SunMemory, situationOf } from './sun/memory.ts';
export { SUN_TOOLS, sunTurnSchema } from './sun/reasoning.ts';
export { type RestartPolicy, type SupervisionVerdict, Supervisor } from './supervision.ts';
