export { forgetLearning } from './forget-learning.ts';
export { Learner, type LearnerOptions, type RegimePlay } from './learner.ts';
export type { LearningDbTarget, SharedConnection } from './learning-db.ts';
export { LearningInputError, LearningNotFoundError } from './learning-errors.ts';
export {
  learnedRiskMultiplier,
  learnedWeight,
  type RuleEvidence,
  ruleEvidence,
  stanceOf,
  type Tally,
  tallyOutcome,
} from './learning-rules.ts';
export {
  type LearningSettings,
  type LearningSettingsInput,
  learningSettingsSchema,
  learningSettingsShape,
  type OutcomeEvidence,
  type OutcomeEvidenceInput,
  outcomeEvidenceSchema,
} from './learning-settings.ts';
export type { LearningChange } from './learning-store.ts';
export {
  judgeVariants,
  type PromptAssignment,
  type PromptEvaluation,
  PromptEvolution,
  type PromptEvolutionSettings,
  type PromptEvolutionSettingsInput,
  promptEvolutionSettingsSchema,
  type VariantSample,
  type VariantStats,
} from './prompt-evolution.ts';
export type { PromptHistoryEntry } from './prompt-store.ts';
export {
  erfc,
  incompleteBeta,
  logGamma,
  meanVariance,
  msprt,
  normalCdf,
  sequentialMeanTest,
  sequentialProportionTest,
  studentTTwoSided,
  type TestResult,
  twoProportionZTest,
  welchTTest,
} from './stats.ts';
export { applyPlaybook, type SunTuning, tunedPlanet, withPlaybook } from './sun-tuning.ts';
export { TuningTimeline } from './tuning-timeline.ts';
