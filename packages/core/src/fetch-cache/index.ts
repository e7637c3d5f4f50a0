export {
  DEFAULT_FETCH_TTL_MS,
  FetchCache,
  type FetchCacheOptions,
  type FetchCacheStats,
  type FetchEntry,
  type FetchOptions,
} from './fetch-cache.ts';
