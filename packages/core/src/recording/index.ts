export { BUDGET_STATUS_KEY, canServeKey } from './probe-keys.ts';
export { type RecordedError, recordError, reviveError } from './recorded-error.ts';
export { type RecordingOptions, recordingGateway } from './recording-gateway.ts';
export { LLMRecordingMissingError } from './recording-missing-error.ts';
export {
  type RecordedCall,
  type RecordedResult,
  type RecordedRun,
  RecordingStore,
  type RunRecordings,
} from './recording-store.ts';
export {
  createReplayGateway,
  type ReplayGateway,
  type ReplayOptions,
  type ReplayReport,
} from './replay-gateway.ts';
export { type NormalisedRequest, normaliseRequest, requestHash } from './request-hash.ts';
