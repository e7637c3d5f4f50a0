export { BUDGET_STATUS_KEY, canServeKey } from './probe-keys.ts';
export { type RecordedError, recordError, reviveError } from './recorded-error.ts';
export { type RecordingOptions, recordingGateway, recordingMiddleware } from './recording-middleware.ts';
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
  type ReplayMiddleware,
  type ReplayOptions,
  type ReplayReport,
  replayMiddleware,
} from './replay-middleware.ts';
export { type NormalisedRequest, normaliseRequest, requestHash } from './request-hash.ts';
