/**
 * Bollinger Bands: middle = SMA(N), upper/lower = middle ± multiplier·σ over the same window.
 * Also `bandwidth` = (upper − lower)/middle (0 when middle is 0) and `percentB` =
 * (x − lower)/(upper − lower) (0.5 when the bands coincide).
 *
 * σ is the population deviation by default (`sample: false`; Bollinger, TA-Lib `BBANDS`,
 * talipp `BB`); `sample: true` uses N − 1. Warm-up: `period − 1` bars.
 */
import { RollingMoments } from "./stats.js";
import { badInput, boolParam, intParam, numParam } from "./validate.js";

export interface BollingerBandsOptions {
  /** Window length, integer >= 1 (>= 2 when `sample`). Default 20. */
  period: number;
  /** Band width in standard deviations, >= 0. Default 2. */
  multiplier: number;
  /** Use the sample (N − 1) standard deviation. Default false. */
  sample: boolean;
}

export class BollingerBands {
  readonly period: number;
  readonly multiplier: number;
  readonly sample: boolean;
  readonly warmup: number;
  upper = Number.NaN;
  middle = Number.NaN;
  lower = Number.NaN;
  bandwidth = Number.NaN;
  percentB = Number.NaN;
  private readonly m: RollingMoments;

  constructor(options: Partial<BollingerBandsOptions> = {}) {
    this.sample = boolParam("bbands", "sample", options.sample ?? false);
    this.period = intParam("bbands", "period", options.period ?? 20, this.sample ? 2 : 1);
    this.multiplier = numParam("bbands", "multiplier", options.multiplier ?? 2, 0);
    this.m = new RollingMoments(this.period);
    this.warmup = this.period - 1;
  }

  get isReady(): boolean {
    return this.m.full;
  }

  /** Feeds a close; returns the middle band. */
  update(x: number): number {
    if (!Number.isFinite(x)) badInput("bbands", "close", x);
    const m = this.m;
    m.push(x);
    if (!m.full) return Number.NaN;
    const mid = m.mean;
    const width = this.multiplier * Math.sqrt(m.variance(this.sample));
    this.middle = mid;
    this.upper = mid + width;
    this.lower = mid - width;
    this.bandwidth = mid === 0 ? 0 : (2 * width) / mid;
    this.percentB = width === 0 ? 0.5 : (x - this.lower) / (2 * width);
    return mid;
  }

  reset(): void {
    this.m.reset();
    this.upper = Number.NaN;
    this.middle = Number.NaN;
    this.lower = Number.NaN;
    this.bandwidth = Number.NaN;
    this.percentB = Number.NaN;
  }
}

export type BollingerBandsSeries = {
  upper: Float64Array;
  middle: Float64Array;
  lower: Float64Array;
  bandwidth: Float64Array;
  percentB: Float64Array;
};

/** Batch Bollinger Bands; NaN where not yet defined. */
export function bollingerBands(
  close: ArrayLike<number>,
  options?: Partial<BollingerBandsOptions>,
): BollingerBandsSeries {
  const ind = new BollingerBands(options);
  const n = close.length;
  const out = {
    upper: new Float64Array(n),
    middle: new Float64Array(n),
    lower: new Float64Array(n),
    bandwidth: new Float64Array(n),
    percentB: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    out.middle[i] = ind.update(close[i]);
    out.upper[i] = ind.upper;
    out.lower[i] = ind.lower;
    out.bandwidth[i] = ind.bandwidth;
    out.percentB[i] = ind.percentB;
  }
  return out;
}
