/**
 * Commodity channel index (Lambert): CCI = (TP − SMA(TP)) / (constant · D), TP = (H+L+C)/3,
 * D the deviation of TP over the last `period` bars about their current mean.
 *
 * `deviation: "mean"` (default) uses the mean absolute deviation, as Lambert, TA-Lib `CCI`,
 * talipp and Tulip do. The mean absolute deviation about a moving mean cannot be maintained
 * incrementally, so this indicator is O(period) per update (one pass over the window).
 * `deviation: "std"` uses the population standard deviation instead (a variant some
 * platforms offer). When D = 0 the value is 0 (TA-Lib). Warm-up: `period − 1` bars.
 */
import { badInput, checkColumns, checkHLC, enumParam, intParam, numParam } from "./validate.js";

export type CciDeviation = "mean" | "std";
export const CCI_DEVIATIONS: readonly CciDeviation[] = ["mean", "std"];

export interface CCIOptions {
  /** Window length, integer >= 1. Default 20. */
  period: number;
  /** Lambert's scaling constant. Default 0.015. */
  constant: number;
  /** Deviation measure. Default `"mean"`. */
  deviation: CciDeviation;
}

export class CCI {
  readonly period: number;
  readonly constant: number;
  readonly deviation: CciDeviation;
  readonly warmup: number;
  /** Current value; NaN until ready. */
  value = Number.NaN;
  private readonly buf: Float64Array;
  private readonly useStd: boolean;
  private head = 0;
  private count = 0;

  constructor(options: Partial<CCIOptions> = {}) {
    this.period = intParam("cci", "period", options.period ?? 20, 1);
    this.constant = numParam("cci", "constant", options.constant ?? 0.015, 0, Number.POSITIVE_INFINITY, true);
    this.deviation = enumParam("cci", "deviation", options.deviation ?? "mean", CCI_DEVIATIONS);
    this.useStd = this.deviation === "std";
    this.buf = new Float64Array(this.period);
    this.warmup = this.period - 1;
  }

  get isReady(): boolean {
    return this.count >= this.period;
  }

  update(high: number, low: number, close: number): number {
    checkHLC("cci", high, low, close);
    return this.updateTypical((high + low + close) / 3);
  }

  /** Feeds a precomputed typical price (or any series). */
  updateTypical(tp: number): number {
    if (!Number.isFinite(tp)) badInput("cci", "typical", tp);
    const n = this.period;
    const buf = this.buf;
    buf[this.head] = tp;
    this.head = this.head + 1 === n ? 0 : this.head + 1;
    if (this.count < n) {
      if (++this.count < n) return Number.NaN;
    }
    let sum = 0;
    for (let i = 0; i < n; i++) sum += buf[i];
    const mean = sum / n;
    let dev = 0;
    if (this.useStd) {
      for (let i = 0; i < n; i++) {
        const d = buf[i] - mean;
        dev += d * d;
      }
      dev = Math.sqrt(dev / n);
    } else {
      for (let i = 0; i < n; i++) dev += Math.abs(buf[i] - mean);
      dev /= n;
    }
    const diff = tp - mean;
    this.value = diff !== 0 && dev !== 0 ? diff / (this.constant * dev) : 0;
    return this.value;
  }

  reset(): void {
    this.buf.fill(0);
    this.head = 0;
    this.count = 0;
    this.value = Number.NaN;
  }
}

/** Batch CCI; NaN where not yet defined. */
export function cci(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  options?: Partial<CCIOptions>,
): Float64Array {
  const n = checkColumns("cci", { high, low, close });
  const ind = new CCI(options);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(high[i], low[i], close[i]);
  return out;
}
