/**
 * Aroon: up = 100·(N − bars since the highest high)/N, down likewise for the lowest low,
 * both over the last N+1 bars (the current bar and N before it); oscillator = up − down.
 * On ties the most recent extreme counts (TA-Lib `AROON`, Tulip `aroon`). Rolling extremes
 * use monotonic deques (amortised O(1)). Warm-up: `period` bars.
 */
import { RollingMax, RollingMin } from "./ring.js";
import { checkColumns, checkHL, intParam } from "./validate.js";

export interface AroonOptions {
  /** Look-back N, integer >= 1. Default 14. */
  period: number;
}

export class Aroon {
  readonly period: number;
  readonly warmup: number;
  /** Aroon up in [0, 100]. */
  up = Number.NaN;
  /** Aroon down in [0, 100]. */
  down = Number.NaN;
  /** up − down. */
  oscillator = Number.NaN;
  private readonly hh: RollingMax;
  private readonly ll: RollingMin;
  private count = 0;

  constructor(options: Partial<AroonOptions> = {}) {
    this.period = intParam("aroon", "period", options.period ?? 14, 1);
    this.hh = new RollingMax(this.period + 1, true);
    this.ll = new RollingMin(this.period + 1, true);
    this.warmup = this.period;
  }

  get isReady(): boolean {
    return this.count > this.period;
  }

  /** Feeds a bar's high and low; returns the oscillator. */
  update(high: number, low: number): number {
    checkHL("aroon", high, low);
    this.hh.push(high);
    this.ll.push(low);
    if (this.count <= this.period) {
      if (++this.count <= this.period) return Number.NaN;
    }
    const n = this.period;
    const factor = 100 / n;
    this.up = factor * (n - this.hh.barsSince);
    this.down = factor * (n - this.ll.barsSince);
    this.oscillator = this.up - this.down;
    return this.oscillator;
  }

  reset(): void {
    this.hh.reset();
    this.ll.reset();
    this.count = 0;
    this.up = Number.NaN;
    this.down = Number.NaN;
    this.oscillator = Number.NaN;
  }
}

export type AroonSeries = {
  up: Float64Array;
  down: Float64Array;
  oscillator: Float64Array;
};

/** Batch Aroon; NaN where not yet defined. */
export function aroon(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  options?: Partial<AroonOptions>,
): AroonSeries {
  const n = checkColumns("aroon", { high, low });
  const ind = new Aroon(options);
  const out = { up: new Float64Array(n), down: new Float64Array(n), oscillator: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    out.oscillator[i] = ind.update(high[i], low[i]);
    out.up[i] = ind.up;
    out.down[i] = ind.down;
  }
  return out;
}
