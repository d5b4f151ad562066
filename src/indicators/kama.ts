/**
 * Kaufman adaptive moving average.
 *
 * Efficiency ratio ER = |x_t − x_{t−N}| / Σ_{i=t−N+1..t} |x_i − x_{i−1}| (1 when the price
 * path is monotone up, or when the path length is 0); smoothing constant
 * sc = (ER·(2/(fast+1) − 2/(slow+1)) + 2/(slow+1))²; `kama += sc·(x − kama)`.
 *
 * Seeding (TA-Lib `KAMA`): the value before the first output is the input at index N−1; the
 * first output is at index N. Warm-up: `period` bars.
 */
import { badInput, intParam, requireLess } from "./validate.js";

export interface KAMAOptions {
  /** Efficiency-ratio window N, integer >= 1. Default 10. */
  period: number;
  /** Fast EMA period of the smoothing constant. Default 2. */
  fast: number;
  /** Slow EMA period of the smoothing constant; must exceed `fast`. Default 30. */
  slow: number;
}

export class KAMA {
  readonly period: number;
  readonly fast: number;
  readonly slow: number;
  readonly warmup: number;
  /** Current value; NaN until ready. */
  value = Number.NaN;
  /** Current efficiency ratio in [0, 1]; NaN until ready. */
  efficiency = Number.NaN;
  private readonly prices: Float64Array;
  private readonly diffs: Float64Array;
  private readonly constMax: number;
  private readonly constDiff: number;
  private head = 0;
  private count = 0;
  private pathSum = 0;
  private prev = 0;
  private kama = 0;

  constructor(options: Partial<KAMAOptions> = {}) {
    this.period = intParam("kama", "period", options.period ?? 10, 1);
    this.fast = intParam("kama", "fast", options.fast ?? 2, 1);
    this.slow = intParam("kama", "slow", options.slow ?? 30, 1);
    requireLess("kama", "fast", this.fast, "slow", this.slow);
    this.warmup = this.period;
    this.prices = new Float64Array(this.period);
    this.diffs = new Float64Array(this.period);
    this.constMax = 2 / (this.slow + 1);
    this.constDiff = 2 / (this.fast + 1) - this.constMax;
  }

  get isReady(): boolean {
    return this.count > this.period;
  }

  update(x: number): number {
    if (!Number.isFinite(x)) badInput("kama", "close", x);
    const n = this.period;
    const h = this.head;
    // prices[h] holds x_{t−N} once N values are stored; diffs[h] the diff leaving the window.
    const oldPrice = this.prices[h];
    const oldDiff = this.diffs[h];
    const diff = this.count > 0 ? Math.abs(x - this.prev) : 0;
    this.prices[h] = x;
    this.diffs[h] = diff;
    this.head = h + 1 === n ? 0 : h + 1;
    this.prev = x;
    if (this.count < n) {
      this.pathSum += diff;
      this.count++;
      if (this.count === n) this.kama = x; // seed: input at index N−1
      return Number.NaN;
    }
    // The diff leaving is the one that entered N updates ago; in the filling phase the first
    // slot held the (zero) pseudo-diff of the very first bar.
    this.pathSum += diff - oldDiff;
    if (this.count === n) this.count++;
    const change = x - oldPrice;
    let er: number;
    if (this.pathSum <= change || this.pathSum === 0) er = 1;
    else er = Math.abs(change / this.pathSum);
    this.efficiency = er;
    let sc = er * this.constDiff + this.constMax;
    sc *= sc;
    this.kama = (x - this.kama) * sc + this.kama;
    this.value = this.kama;
    return this.value;
  }

  reset(): void {
    this.prices.fill(0);
    this.diffs.fill(0);
    this.head = 0;
    this.count = 0;
    this.pathSum = 0;
    this.prev = 0;
    this.kama = 0;
    this.value = Number.NaN;
    this.efficiency = Number.NaN;
  }
}

/** Batch KAMA; NaN where not yet defined. */
export function kama(close: ArrayLike<number>, options?: Partial<KAMAOptions>): Float64Array {
  const ind = new KAMA(options);
  const n = close.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(close[i]);
  return out;
}
