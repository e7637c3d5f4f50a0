export { fallbackChain } from './chain.ts';
export {
  type DelegationConfig,
  type DelegationConfigInput,
  delegationConfigSchema,
  parseDelegationConfig,
} from './config.ts';
export { type DelegateOptions, delegate, delegateWithFallback, type FallbackOptions } from './delegate.ts';
export { type HelperOptions, quick, review, summarise, translate, writeCode } from './helpers.ts';
export type { DelegationAttempt, DelegationResult } from './result.ts';
export { DEFAULT_TASK_TYPES, type TaskSettings, taskSettingsSchema } from './task-types.ts';
export { type UsageReport, type UsageRow, usageReport } from './usage-report.ts';
