export {
  ChromaIndex,
  DEFAULT_HNSW,
  type HnswSettings,
  type IndexFilter,
  type IndexHit,
  type IndexItem,
} from './chroma-index.ts';
export { ChromaServer, type ChromaServerOptions, chromaCliPath, chromaHeartbeat } from './chroma-server.ts';
export {
  type ChromaConfig,
  chromaConfigSchema,
  type MemoryConfig,
  type MemoryConfigInput,
  memoryConfigSchema,
  parseMemoryConfig,
} from './config.ts';
export {
  EpisodicMemory,
  type EpisodicMemoryOptions,
  type MemoryStats,
  type RecallResult,
} from './episodic-memory.ts';
export {
  ChromaStartError,
  DimensionMismatchError,
  EpisodeExistsError,
  EpisodeNotFoundError,
  IndexUnavailableError,
  MemoryClosedError,
  MemoryConfigError,
  MemoryError,
  MemoryErrorCode,
  MemoryValidationError,
  NonFiniteFeatureError,
  OutcomeAlreadyWrittenError,
  ZeroVectorError,
} from './errors.ts';
export type { DegradedPeriod, IndexStatus, MemoryLogger } from './index-keeper.ts';
export {
  type OutcomeGroup,
  type PatternGroup,
  type PatternOptions,
  type PatternStat,
  type PatternSummary,
  renderPatterns,
  summarisePatterns,
} from './patterns.ts';
export {
  DECISIONS,
  type Episode,
  type EpisodeInput,
  episodeInputSchema,
  episodeSchema,
  MAX_DIMENSION,
  type Outcome,
  type OutcomeInput,
  outcomeInputSchema,
  outcomeSchema,
  type RealisedOutcome,
  type RecallFilter,
  recallFilterSchema,
  type Situation,
  type SituationInput,
  situationSchema,
} from './schemas.ts';
export { DEFAULT_SHORT_TERM_SIZE, ShortTermMemory } from './short-term.ts';
