/**
 * The latency model of the simulated venue: a constant delay plus seeded uniform jitter, for
 * order entry (strategy → venue), acknowledgement (venue → strategy) and market data (venue →
 * strategy: what the strategy sees of the market, later than it happened). Each direction is a
 * FIFO channel: a message never overtakes an earlier one in the same direction, so a delay is
 * `max(now + constant + jitter, previous delivery time)`.
 */
import type { Rng } from "../../core/rng.js";

export interface LatencyConfig {
  /** Strategy → venue, µs (non-negative integer). */
  entryUs: number;
  /** Venue → strategy (every report), µs. */
  ackUs: number;
  /** Jitter bound, µs: each entry/ack delay adds a uniform integer in [0, jitterUs]. */
  jitterUs: number;
  /** Market data venue → strategy, µs (default 0: strategies see data when it happens). */
  marketDataUs?: number;
  /** Jitter bound of market data, µs (default 0). */
  marketDataJitterUs?: number;
}

export class LatencyModel {
  readonly entryUs: number;
  readonly ackUs: number;
  readonly jitterUs: number;
  readonly marketDataUs: number;
  readonly marketDataJitterUs: number;
  private lastEntry = Number.NEGATIVE_INFINITY;
  private lastAck = Number.NEGATIVE_INFINITY;
  private lastData = Number.NEGATIVE_INFINITY;

  constructor(
    config: LatencyConfig | undefined,
    private readonly rng: Rng,
  ) {
    this.entryUs = check(config?.entryUs ?? 0, "entryUs");
    this.ackUs = check(config?.ackUs ?? 0, "ackUs");
    this.jitterUs = check(config?.jitterUs ?? 0, "jitterUs");
    this.marketDataUs = check(config?.marketDataUs ?? 0, "marketDataUs");
    this.marketDataJitterUs = check(config?.marketDataJitterUs ?? 0, "marketDataJitterUs");
  }

  /** True when market data reaches strategies later than it happens. */
  get delaysMarketData(): boolean {
    return this.marketDataUs !== 0 || this.marketDataJitterUs !== 0;
  }

  /** When market data that happened at `ts` reaches the strategy side (FIFO: never reordered). */
  marketDataTime(ts: number): number {
    const j = this.marketDataJitterUs === 0 ? 0 : this.rng.nextInt(this.marketDataJitterUs + 1);
    const t = Math.max(ts + this.marketDataUs + j, this.lastData);
    this.lastData = t;
    return t;
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
