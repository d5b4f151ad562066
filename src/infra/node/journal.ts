/**
 * The execution node's fenced step journal in Redis: before the active execution node publishes
 * what its venue did in a step, it records the step and the chained digest of everything it has
 * published so far, with its fencing token, in one Lua script. A token lower than the highest
 * the journal has seen is refused, so a node that lost its lease without noticing (a pause, a
 * partition) can never publish again: its next journal write fails and it stops.
 *
 * A standby that takes over reconciles against the journal before it publishes anything: its
 * replica's digest at the journal's last step must equal the recorded one (see nodes.ts).
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";

// KEYS[1] fence, KEYS[2] last-step hash, KEYS[3] audit stream; ARGV token, step, digest.
// 1 if recorded, 0 if the token is stale.
const APPEND = `
local top = tonumber(redis.call('GET', KEYS[1]) or '0')
local t = tonumber(ARGV[1])
if t < top then return 0 end
if t > top then redis.call('SET', KEYS[1], ARGV[1]) end
redis.call('HSET', KEYS[2], 'step', ARGV[2], 'digest', ARGV[3], 'token', ARGV[1])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', '100000', '*', 'step', ARGV[2], 'digest', ARGV[3], 'token', ARGV[1])
return 1`;

export interface JournalHead {
  step: number;
  digest: string;
  token: number;
}

export class StepJournal {
  private readonly fenceKey: string;
  private readonly headKey: string;
  private readonly streamKey: string;

  constructor(
    private readonly redis: Redis,
    namespace: string,
    readonly accountId: string,
  ) {
    const base = `${namespace}:node:journal:${accountId}`;
    this.fenceKey = `${base}:fence`;
    this.headKey = `${base}:head`;
    this.streamKey = `${base}:steps`;
  }

  /** Records `step` with its digest under `token`; false if a newer token has written. */
  async append(token: number, step: number, digest: string): Promise<boolean> {
    const r = await this.redis.eval(
      APPEND,
      3,
      this.fenceKey,
      this.headKey,
      this.streamKey,
      token,
      step,
      digest,
    );
    return Number(r) === 1;
  }

  /** The last recorded step, or null if nothing was recorded. */
  async head(): Promise<JournalHead | null> {
    const h = await this.redis.hgetall(this.headKey);
    if (h.step === undefined) return null;
    return { step: Number(h.step), digest: h.digest ?? "", token: Number(h.token) };
  }
}

/** Chained digest: covers every item of every step up to this one, in order. */
export function chainDigest(previous: string, step: number, items: readonly Uint8Array[]): string {
  const h = createHash("sha256");
  h.update(previous);
  h.update(String(step));
  for (const it of items) {
    h.update(String(it.length));
    h.update(it);
  }
  return h.digest("hex");
}
