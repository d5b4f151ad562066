/**
 * The latency model of the simulated venue: a constant delay plus seeded uniform jitter, for
 * order entry (strategy → venue) and acknowledgement (venue → strategy). Each direction is a
 * FIFO channel: a message never overtakes an earlier one in the same direction, so a delay is
 * `max(now + constant + jitter, previous delivery time)`.
 */
import type { Rng } from "../../core/rng.js";

export interface LatencyConfig {
  /** Strategy → venue, µs (non-negative integer). */
  entryUs: number;
  /** Venue → strategy (every report), µs. */
  ackUs: number;
  /** Jitter bound, µs: each delay adds a uniform integer in [0, jitterUs]. */
  jitterUs: number;
}

export class LatencyModel {
  readonly entryUs: number;
  readonly ackUs: number;
  readonly jitterUs: number;
  private lastEntry = Number.NEGATIVE_INFINITY;
  private lastAck = Number.NEGATIVE_INFINITY;

  constructor(
    config: LatencyConfig | undefined,
    private readonly rng: Rng,
  ) {
    this.entryUs = check(config?.entryUs ?? 0, "entryUs");
    this.ackUs = check(config?.ackUs ?? 0, "ackUs");
    this.jitterUs = check(config?.jitterUs ?? 0, "jitterUs");
  }

  /** True when both directions are instantaneous (commands and reports run synchronously). */
  get isZero(): boolean {
    return this.entryUs === 0 && this.ackUs === 0 && this.jitterUs === 0;
  }

  /** When a command sent at `now` reaches the venue. */
  entryTime(now: number): number {
    const t = Math.max(now + this.entryUs + this.jitter(), this.lastEntry);
    this.lastEntry = t;
    return t;
  }

  /** When a report produced at `now` reaches the strategy side. */
  ackTime(now: number): number {
    const t = Math.max(now + this.ackUs + this.jitter(), this.lastAck);
    this.lastAck = t;
    return t;
  }

  private jitter(): number {
    return this.jitterUs === 0 ? 0 : this.rng.nextInt(this.jitterUs + 1);
  }
}

function check(v: number, what: string): number {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new RangeError(`latency.${what} must be a non-negative integer (µs), got ${v}`);
  }
  return v;
}
