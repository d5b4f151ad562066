/**
 * Rolling Hurst exponent by the lagged-difference (variance-scaling) method: over the last N
 * values of y = ln(price) (or the raw series with `log: false`), for each lag k in
 * [minLag, maxLag] take σ_k = standard deviation of y_t − y_{t−k} over the differences inside
 * the window, and estimate H as the least-squares slope of ln σ_k against ln k
 * (σ_k ∝ k^H: H ≈ 0.5 random walk, > 0.5 trending, < 0.5 mean-reverting). This is the
 * estimator of the widely used `np.polyfit(log(lags), log(std(diff)))` recipe, not classical
 * rescaled-range (R/S) analysis.
 *
 * Cost per update is O(maxLag − minLag) (one O(1) rolling variance per lag plus the fit),
 * independent of N. Lags whose σ_k is 0 are left out of the fit; with fewer than two usable
 * lags the value is NaN. Warm-up: N − 1 bars.
 */
import { IndicatorError } from "./errors.js";
import { RingBuffer } from "./ring.js";
import { RollingMoments } from "./stats.js";
import { badInput, boolParam, intParam } from "./validate.js";

export interface HurstOptions {
  /** Window length N in bars. Default 100. */
  period: number;
  /** Smallest lag, integer >= 1. Default 2. */
  minLag: number;
  /** Largest lag; N − maxLag must be >= 2. Default 20. */
  maxLag: number;
  /** Work on log prices (prices must be > 0). Default true. */
  log: boolean;
}

export class HurstExponent {
  readonly period: number;
  readonly minLag: number;
  readonly maxLag: number;
  readonly warmup: number;
  /** Current estimate; NaN until ready. */
  value = Number.NaN;
  private readonly useLog: boolean;
  private readonly history: RingBuffer;
  private readonly lagStats: RollingMoments[];
  private readonly logLag: Float64Array;
  private count = 0;

  constructor(options: Partial<HurstOptions> = {}) {
    this.period = intParam("hurst", "period", options.period ?? 100, 4);
    this.minLag = intParam("hurst", "minLag", options.minLag ?? 2, 1);
    this.maxLag = intParam("hurst", "maxLag", options.maxLag ?? 20, this.minLag + 1, this.period - 2);
    this.useLog = boolParam("hurst", "log", options.log ?? true);
    this.history = new RingBuffer(this.maxLag + 1);
    this.lagStats = [];
    const lags = this.maxLag - this.minLag + 1;
    this.logLag = new Float64Array(lags);
    for (let j = 0; j < lags; j++) {
      const k = this.minLag + j;
      this.lagStats.push(new RollingMoments(this.period - k));
      this.logLag[j] = Math.log(k);
    }
    this.warmup = this.period - 1;
  }

  get isReady(): boolean {
    return this.count >= this.period;
  }

  update(x: number): number {
    if (this.useLog) {
      if (!(x > 0) || x === Number.POSITIVE_INFINITY) {
        throw new IndicatorError("INVALID_INPUT", "hurst", "close", x, `input "close" must be > 0, got ${x}`);
      }
    } else if (!Number.isFinite(x)) {
      badInput("hurst", "close", x);
    }
    const y = this.useLog ? Math.log(x) : x;
    this.history.push(y);
    const have = this.history.size;
    const stats = this.lagStats;
    for (let j = 0; j < stats.length; j++) {
      const k = this.minLag + j;
      if (have > k) stats[j].push(y - this.history.ago(k));
    }
    if (this.count < this.period) {
      if (++this.count < this.period) return Number.NaN;
    }
    // Least-squares slope of ln σ_k on ln k over the usable lags.
    let n = 0;
    let sx = 0;
    let sy = 0;
    let sxx = 0;
    let sxy = 0;
    for (let j = 0; j < stats.length; j++) {
      const v = stats[j].variance(false);
      if (!(v > 0)) continue;
      const lx = this.logLag[j];
      const ly = 0.5 * Math.log(v);
      n++;
      sx += lx;
      sy += ly;
      sxx += lx * lx;
      sxy += lx * ly;
    }
    const den = n * sxx - sx * sx;
    this.value = n >= 2 && den > 0 ? (n * sxy - sx * sy) / den : Number.NaN;
    return this.value;
  }

  reset(): void {
    this.history.reset();
    for (const s of this.lagStats) s.reset();
    this.count = 0;
    this.value = Number.NaN;
  }
}

/** Batch rolling Hurst exponent; NaN where not defined. */
export function hurstExponent(close: ArrayLike<number>, options?: Partial<HurstOptions>): Float64Array {
  const ind = new HurstExponent(options);
  const n = close.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(close[i]);
  return out;
}
