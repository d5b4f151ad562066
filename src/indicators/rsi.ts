/**
 * Relative strength index: RSI = 100 · G / (G + L), where G and L are smoothed average gains
 * and losses of close-to-close changes.
 *
 * Smoothing (`smoothing`):
 * - `"wilder"` (default): G and L are seeded with the simple average of the first N changes,
 *   then `G = (G·(N−1) + gain)/N` (Wilder; TA-Lib `RSI`, talipp `RSI`, Tulip `rsi`).
 * - `"ema"`: same seed, then α = 2/(N+1).
 * - `"sma"`: plain N-bar averages of gains and losses (Cutler's RSI).
 *
 * When G + L = 0 (no movement in the window) the value is `flatValue` (default 50; TA-Lib
 * returns 0, talipp 100). Warm-up: `period` bars (the first value needs N changes).
 */
import { RollingSum } from "./ring.js";
import { badInput, enumParam, intParam, numParam } from "./validate.js";

export type RsiSmoothing = "wilder" | "ema" | "sma";
export const RSI_SMOOTHINGS: readonly RsiSmoothing[] = ["wilder", "ema", "sma"];

export interface RSIOptions {
  /** Period N, integer >= 1. Default 14. */
  period: number;
  /** Averaging of gains and losses. Default `"wilder"`. */
  smoothing: RsiSmoothing;
  /** Value reported when there was no movement at all in the window. Default 50. */
  flatValue: number;
}

export class RSI {
  readonly period: number;
  readonly smoothing: RsiSmoothing;
  readonly flatValue: number;
  readonly warmup: number;
  /** Current value in [0, 100]; NaN until ready. */
  value = Number.NaN;
  /** Current smoothed average gain. */
  avgGain = Number.NaN;
  /** Current smoothed average loss (positive). */
  avgLoss = Number.NaN;
  private readonly kind: number;
  private readonly alpha: number;
  private readonly gains: RollingSum;
  private readonly losses: RollingSum;
  private count = 0;
  private prev = 0;
  private sumGain = 0;
  private sumLoss = 0;

  constructor(options: Partial<RSIOptions> = {}) {
    this.period = intParam("rsi", "period", options.period ?? 14, 1);
    this.smoothing = enumParam("rsi", "smoothing", options.smoothing ?? "wilder", RSI_SMOOTHINGS);
    this.flatValue = numParam("rsi", "flatValue", options.flatValue ?? 50, 0, 100);
    this.kind = this.smoothing === "wilder" ? 0 : this.smoothing === "ema" ? 1 : 2;
    this.alpha = 2 / (this.period + 1);
    const window = this.kind === 2 ? this.period : 1;
    this.gains = new RollingSum(window);
    this.losses = new RollingSum(window);
    this.warmup = this.period;
  }

  get isReady(): boolean {
    return this.count > this.period;
  }

  update(x: number): number {
    if (!Number.isFinite(x)) badInput("rsi", "close", x);
    const n = this.period;
    if (this.kind === 0 && this.count > n) {
      // Hot path: Wilder smoothing after seeding (TA-Lib's arithmetic form).
      const change = x - this.prev;
      this.prev = x;
      const g = (this.avgGain * (n - 1) + Math.max(change, 0)) / n;
      const l = (this.avgLoss * (n - 1) + (change < 0 ? -change : 0)) / n;
      this.avgGain = g;
      this.avgLoss = l;
      const total = g + l;
      this.value = total === 0 ? this.flatValue : (100 * g) / total;
      return this.value;
    }
    return this.step(x);
  }

  private step(x: number): number {
    const n = this.period;
    if (this.count === 0) {
      this.prev = x;
      this.count = 1;
      return Number.NaN;
    }
    const change = x - this.prev;
    this.prev = x;
    const gain = Math.max(change, 0);
    const loss = change < 0 ? -change : 0;
    let g: number;
    let l: number;
    if (this.kind === 2) {
      g = this.gains.push(gain);
      l = this.losses.push(loss);
      if (this.count <= n) {
        if (++this.count <= n) return Number.NaN;
      }
      g /= n;
      l /= n;
    } else if (this.count > n) {
      g = (gain - this.avgGain) * this.alpha + this.avgGain;
      l = (loss - this.avgLoss) * this.alpha + this.avgLoss;
    } else {
      this.sumGain += gain;
      this.sumLoss += loss;
      if (++this.count <= n) return Number.NaN;
      g = this.sumGain / n;
      l = this.sumLoss / n;
    }
    this.avgGain = g;
    this.avgLoss = l;
    const total = g + l;
    this.value = total === 0 ? this.flatValue : (100 * g) / total;
    return this.value;
  }

  reset(): void {
    this.gains.reset();
    this.losses.reset();
    this.count = 0;
    this.prev = 0;
    this.sumGain = 0;
    this.sumLoss = 0;
    this.avgGain = Number.NaN;
    this.avgLoss = Number.NaN;
    this.value = Number.NaN;
  }
}

/** Batch RSI; NaN where not yet defined. */
export function rsi(close: ArrayLike<number>, options?: Partial<RSIOptions>): Float64Array {
  const ind = new RSI(options);
  const n = close.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(close[i]);
  return out;
}
