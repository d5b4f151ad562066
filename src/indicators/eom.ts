/**
 * Ease of movement (Arms): distance = (H+L)/2 − (prevH+prevL)/2, box ratio =
 * (volume/divisor)/(H − L), raw EMV = distance/box ratio = distance·(H − L)·divisor/volume,
 * taken as 0 when volume is 0 or H = L. The output is the SMA of raw EMV over `period` bars
 * (`period: 1` gives the raw value, Tulip `emv`). The first bar only provides the previous
 * midpoint. Warm-up: `period` bars.
 */
import { SMA } from "./ma.js";
import { checkColumns, checkHL, checkVolume, intParam, numParam } from "./validate.js";

export interface EaseOfMovementOptions {
  /** SMA smoothing period, integer >= 1. Default 14. */
  period: number;
  /** Volume scale of the box ratio, > 0. Default 10 000 (Tulip; StockCharts uses 1e8). */
  divisor: number;
}

export class EaseOfMovement {
  readonly warmup: number;
  /** Smoothed EMV; NaN until ready. */
  value = Number.NaN;
  /** Latest raw EMV. */
  raw = Number.NaN;
  private readonly sma: SMA;
  private readonly divisor: number;
  private count = 0;
  private prevMid = 0;

  constructor(options: Partial<EaseOfMovementOptions> = {}) {
    const period = intParam("eom", "period", options.period ?? 14, 1);
    this.divisor = numParam("eom", "divisor", options.divisor ?? 10_000, 0, Number.POSITIVE_INFINITY, true);
    this.sma = new SMA({ period });
    this.warmup = period;
  }

  get isReady(): boolean {
    return this.sma.isReady;
  }

  update(high: number, low: number, volume: number): number {
    checkHL("eom", high, low);
    checkVolume("eom", volume);
    const mid = (high + low) / 2;
    if (this.count === 0) {
      this.count = 1;
      this.prevMid = mid;
      return Number.NaN;
    }
    const distance = mid - this.prevMid;
    this.prevMid = mid;
    const range = high - low;
    this.raw = volume === 0 || range === 0 ? 0 : distance / (volume / this.divisor / range);
    this.value = this.sma.update(this.raw);
    return this.value;
  }

  reset(): void {
    this.sma.reset();
    this.count = 0;
    this.prevMid = 0;
    this.value = Number.NaN;
    this.raw = Number.NaN;
  }
}

/** Batch ease of movement; NaN where not yet defined. */
export function easeOfMovement(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  volume: ArrayLike<number>,
  options?: Partial<EaseOfMovementOptions>,
): Float64Array {
  const n = checkColumns("eom", { high, low, volume });
  const ind = new EaseOfMovement(options);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(high[i], low[i], volume[i]);
  return out;
}
