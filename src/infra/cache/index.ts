/** Redis cache of latest state, shared rate limits, and the fenced active/standby lock. */
export {
  type CacheStats,
  type CacheTtls,
  DEFAULT_CACHE_TTLS,
  type FeatureSnapshot,
  RedisCache,
  type RedisCacheOptions,
} from "./cache.js";
export {
  ActiveStandby,
  type ActiveStandbyOptions,
  DistributedLock,
  FencedResource,
  type Lease,
  LockError,
} from "./lock.js";
export { RateLimitError, type RateLimitResult, SharedRateLimiter } from "./ratelimit.js";
