/**
 * A distributed lock with fencing tokens on Redis, and the active/standby lease built on it.
 *
 * The lock is a key holding `<owner>` with a TTL; every successful acquisition increments a
 * counter beside it and returns the new value as the **fencing token**. Tokens grow strictly
 * across holders, so a resource that remembers the highest token it has seen
 * ({@link FencedResource}) rejects a write from a holder that lost the lock without noticing
 * (a long GC pause, a partition): exactly one holder's writes are accepted at any time.
 *
 * All steps are single Lua scripts, so check-and-set is atomic on the server.
 */
import type { Redis } from "ioredis";
import { BotV6Error } from "../../model/errors.js";

export class LockError extends BotV6Error {}

// KEYS[1] lock key, KEYS[2] fence counter; ARGV[1] owner, ARGV[2] ttl ms.
// Returns the fencing token, or 0 when someone else holds the lock.
const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return 0 end
if cur == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(redis.call('GET', KEYS[2]) or '0')
end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return token`;

// KEYS[1] lock key; ARGV[1] owner, ARGV[2] ttl ms. 1 if still held and extended, else 0.
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

// KEYS[1] lock key; ARGV[1] owner. 1 if released, 0 if not held by owner.
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`;

// KEYS[1] highest-token key of a resource; ARGV[1] token. 1 if accepted (>= highest), else 0.
const FENCE = `
local top = tonumber(redis.call('GET', KEYS[1]) or '0')
local t = tonumber(ARGV[1])
if t < top then return 0 end
if t > top then redis.call('SET', KEYS[1], ARGV[1]) end
return 1`;

export interface Lease {
  readonly token: number;
  /** Local deadline (performance.now() ms) before which the lease is certainly still held. */
  readonly validUntil: number;
}

/** A named lock. `owner` must be unique per process (e.g. node id + pid). */
export class DistributedLock {
  constructor(
    private readonly redis: Redis,
    readonly name: string,
    readonly owner: string,
    readonly ttlMs: number,
    private readonly prefix = "botv6:lock",
  ) {
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 10) {
      throw new LockError("LOCK_TTL_INVALID", `lock ${name}: ttlMs must be an integer >= 10, got ${ttlMs}`);
    }
  }

  get key(): string {
    return `${this.prefix}:${this.name}`;
  }

  get fenceKey(): string {
    return `${this.prefix}:${this.name}:fence`;
  }

  /**
   * Tries once. Returns the lease (with its fencing token) or null if another owner holds it.
   * Validity is counted from *before* the request, so clock drift and latency only shorten it.
   */
  async tryAcquire(): Promise<Lease | null> {
    const started = performance.now();
    const token = Number(await this.redis.eval(ACQUIRE, 2, this.key, this.fenceKey, this.owner, this.ttlMs));
    if (token === 0) return null;
    return { token, validUntil: started + this.ttlMs };
  }

  /** Extends the TTL; false if the lock was lost (expired and possibly taken by another). */
  async renew(): Promise<boolean> {
    return Number(await this.redis.eval(RENEW, 1, this.key, this.owner, this.ttlMs)) === 1;
  }

  async release(): Promise<boolean> {
    return Number(await this.redis.eval(RELEASE, 1, this.key, this.owner)) === 1;
  }

  /** Current holder, or null. */
  async holder(): Promise<string | null> {
    return this.redis.get(this.key);
  }
}

/**
 * Guards a resource (an account's order flow, a journal) with fencing: a write carrying a token
 * lower than the highest seen is refused.
 */
export class FencedResource {
  constructor(
    private readonly redis: Redis,
    readonly name: string,
    private readonly prefix = "botv6:fence",
  ) {}

  /** True if `token` is current (and records it); false if a newer holder has written since. */
  async check(token: number): Promise<boolean> {
    return Number(await this.redis.eval(FENCE, 1, `${this.prefix}:${this.name}`, token)) === 1;
  }
}

export type LeaseRole = "active" | "standby";

export interface ActiveStandbyOptions {
  /** Lease time-to-live; a dead holder is replaced within about this long. */
  ttlMs: number;
  /** Renewal period while active (default ttl / 3). */
  renewMs?: number;
  /** Retry period while standby (default ttl / 3). */
  retryMs?: number;
  /** Called when this node becomes active, with its fencing token. */
  onActive: (token: number) => void;
  /** Called when this node stops being active (lost lease, Redis unreachable, or stop). */
  onStandby: (reason: string) => void;
}

/**
 * Exactly one active node per name (e.g. one execution node per account): every node runs one;
 * the holder renews its lease, the others retry. A holder that cannot renew before its local
 * deadline steps down at once (fail closed) even if Redis is unreachable; when it dies, a
 * standby takes over after the TTL with a higher fencing token.
 */
export class ActiveStandby {
  private lease: Lease | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly lock: DistributedLock;
  private readonly renewMs: number;
  private readonly retryMs: number;

  constructor(
    redis: Redis,
    name: string,
    owner: string,
    private readonly options: ActiveStandbyOptions,
  ) {
    this.lock = new DistributedLock(redis, name, owner, options.ttlMs);
    this.renewMs = options.renewMs ?? Math.max(5, Math.floor(options.ttlMs / 3));
    this.retryMs = options.retryMs ?? Math.max(5, Math.floor(options.ttlMs / 3));
  }

  get role(): LeaseRole {
    return this.isActive() ? "active" : "standby";
  }

  /** Active and within the lease's local validity. Check before every externally visible action. */
  isActive(): boolean {
    return this.lease !== null && performance.now() < this.lease.validUntil;
  }

  get token(): number | null {
    return this.isActive() && this.lease !== null ? this.lease.token : null;
  }

  start(): void {
    this.stopped = false;
    void this.tick();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private stepDown(reason: string): void {
    if (this.lease === null) return;
    this.lease = null;
    this.options.onStandby(reason);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.lease !== null) {
        if (performance.now() >= this.lease.validUntil) {
          this.stepDown("lease expired before it could be renewed");
        } else {
          const started = performance.now();
          if (await this.lock.renew()) {
            if (this.lease !== null)
              this.lease = { token: this.lease.token, validUntil: started + this.options.ttlMs };
          } else {
            this.stepDown("lease lost to another node");
          }
        }
      }
      if (this.lease === null && !this.stopped) {
        const lease = await this.lock.tryAcquire();
        if (lease !== null && !this.stopped) {
          this.lease = lease;
          this.options.onActive(lease.token);
        }
      }
    } catch (e) {
      // Redis unreachable: keep the lease only while it is locally valid.
      if (this.lease !== null && performance.now() >= this.lease.validUntil) {
        this.stepDown(`lease could not be renewed: ${(e as Error).message}`);
      }
    }
    if (this.lease !== null) {
      // Never sleep past the local deadline: step down on time even if Redis is slow.
      const untilDeadline = this.lease.validUntil - performance.now();
      this.schedule(Math.max(1, Math.min(this.renewMs, untilDeadline)));
    } else {
      this.schedule(this.retryMs);
    }
  }

  /** Stops renewing and releases the lease if held. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.lease !== null) {
      this.stepDown("stopped");
      await this.lock.release().catch(() => false);
    }
  }
}
