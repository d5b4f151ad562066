/**
 * Shared rate limits across nodes: a token bucket per key, updated atomically by one Lua script
 * with the server's clock (so nodes with skewed clocks agree). Use one key per venue endpoint
 * and account, e.g. `binance:orders:ACC-1`.
 */
import type { Redis } from "ioredis";
import { BotV6Error } from "../../model/errors.js";

export class RateLimitError extends BotV6Error {}

// KEYS[1] bucket; ARGV[1] capacity, ARGV[2] refill tokens per second, ARGV[3] cost.
// Returns {allowed (1/0), tokens left (floor), ms until enough tokens}.
const TAKE = `
local cap = tonumber(ARGV[1])
local rate = tonumber(ARGV[2]) / 1000
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or cap
local ts = tonumber(b[2]) or now
tokens = math.min(cap, tokens + math.max(0, now - ts) * rate)
local allowed = 0
local wait = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  wait = math.ceil((cost - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(cap / rate) + 1000)
return {allowed, math.floor(tokens), wait}`;

export interface RateLimitResult {
  allowed: boolean;
  /** Whole tokens left after this call. */
  remaining: number;
  /** When refused, milliseconds until the cost would be available. */
  retryAfterMs: number;
}

export class SharedRateLimiter {
  constructor(
    private readonly redis: Redis,
    readonly capacity: number,
    readonly refillPerSecond: number,
    private readonly prefix = "botv6:ratelimit",
  ) {
    if (!(capacity > 0) || !(refillPerSecond > 0)) {
      throw new RateLimitError(
        "RATE_LIMIT_INVALID",
        `rate limit needs capacity > 0 and refillPerSecond > 0, got ${capacity} and ${refillPerSecond}`,
      );
    }
  }

  /** Takes `cost` tokens from `key` if available (atomic across every node sharing Redis). */
  async take(key: string, cost = 1): Promise<RateLimitResult> {
    if (!(cost > 0) || cost > this.capacity) {
      throw new RateLimitError("RATE_LIMIT_COST", `cost ${cost} must be in (0, ${this.capacity}] for ${key}`);
    }
    const [allowed, remaining, wait] = (await this.redis.eval(
      TAKE,
      1,
      `${this.prefix}:${key}`,
      this.capacity,
      this.refillPerSecond,
      cost,
    )) as [number, number, number];
    return { allowed: allowed === 1, remaining, retryAfterMs: wait };
  }
}
