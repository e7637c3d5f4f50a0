export type { InferenceSettings } from './agent-step.ts';
export {
  DEFAULT_INFERENCE_SETTINGS,
  type RunOptions,
  WorkflowEngine,
  type WorkflowEngineOptions,
} from './engine.ts';
export {
  AgentRegistryError,
  DecisionError,
  InferenceRefusedError,
  PlanRejectedError,
  RunError,
  StepCancelledError,
  StepDataError,
  StepError,
  StepFailedError,
  StepTimeoutError,
  WorkflowError,
  WorkflowErrorCode,
  type WorkflowIssue,
  WorkflowIssueCode,
  WorkflowSchemaError,
  WorkflowValidationError,
} from './errors.ts';
export {
  type AdaptationAnswer,
  type AdaptationOutcome,
  type AdaptationSituation,
  adaptationAnswerSchema,
  adaptWorkflow,
  reviseWorkflow,
} from './inference/adaptation.ts';
export {
  chooseBranch,
  decisionFallback,
  evaluateCondition,
  type Lookup,
  validBranches,
} from './inference/decision.ts';
export {
  type Consultation,
  consult,
  type GateInput,
  type GateVerdict,
  type HookEnv,
  shouldUseLLM,
} from './inference/gate.ts';
export {
  applyMapping,
  type FieldMapping,
  fieldMappingSchema,
  heuristicMapping,
  type MappingOutcome,
  mapOutput,
  mappingAnswerSchema,
} from './inference/mapping.ts';
export {
  chooseRecovery,
  type RecoveryAction,
  type RecoveryChoice,
  type RecoverySituation,
  recoveryFallback,
} from './inference/recovery.ts';
export {
  assertLevelAllows,
  INTELLIGENCE_MATRIX,
  type InferenceCapability,
  IntelligenceLevel,
  type IntelligenceRights,
  levelAllows,
} from './intelligence.ts';
export { ExecutionStrategy, type InferenceHook, modeAllows, WorkflowMode } from './modes.ts';
export { type PlanOptions, type PlanResult, planningPrompt, planWorkflow } from './planner.ts';
export type {
  InferenceRecord,
  RunStatus,
  StepEvent,
  StepRecord,
  StepStatus,
  StoredError,
} from './progress-store.ts';
export {
  type AgentContext,
  type AgentDefinition,
  type AgentDescription,
  type AgentInferenceRequest,
  AgentRegistry,
  createAgentRegistry,
  type RegisteredAgent,
} from './registry.ts';
export type { WorkflowResult } from './result.ts';
export { realScheduler, type Scheduler } from './scheduler.ts';
export {
  type Condition,
  conditionSchema,
  type Decision,
  decisionOutputSchema,
  decisionSchema,
  type ErrorPolicy,
  errorPolicySchema,
  type InputSource,
  inputSourceSchema,
  referenceSchema,
  type Step,
  type StepInput,
  stepSchema,
  type Workflow,
  type WorkflowInput,
  workflowSchema,
} from './schema.ts';
export { checkWorkflow, parseWorkflow, validateWorkflow } from './validate.ts';
