/**
 * Volume-weighted moving average: Σ close·volume / Σ volume over the last N bars.
 *
 * When every bar in the window has zero volume there is nothing to weight by; the value then
 * falls back to the simple average of the closes (documented choice; never NaN once ready).
 * Warm-up: `period − 1` bars.
 */
import { RollingSum } from "./ring.js";
import { badInput, checkColumns, checkVolume, intParam } from "./validate.js";

export interface VWMAOptions {
  /** Window length N, integer >= 1. Default 20. */
  period: number;
}

export class VWMA {
  readonly period: number;
  readonly warmup: number;
  /** Current value; NaN until ready. */
  value = Number.NaN;
  private readonly pv: RollingSum;
  private readonly vol: RollingSum;
  private readonly px: RollingSum;

  constructor(options: Partial<VWMAOptions> = {}) {
    this.period = intParam("vwma", "period", options.period ?? 20, 1);
    this.warmup = this.period - 1;
    this.pv = new RollingSum(this.period);
    this.vol = new RollingSum(this.period);
    this.px = new RollingSum(this.period);
  }

  get isReady(): boolean {
    return this.vol.full;
  }

  update(close: number, volume: number): number {
    if (!Number.isFinite(close)) badInput("vwma", "close", close);
    checkVolume("vwma", volume);
    const spv = this.pv.push(close * volume);
    const sv = this.vol.push(volume);
    const sp = this.px.push(close);
    if (!this.vol.full) return Number.NaN;
    this.value = sv === 0 ? sp / this.period : spv / sv;
    return this.value;
  }

  reset(): void {
    this.pv.reset();
    this.vol.reset();
    this.px.reset();
    this.value = Number.NaN;
  }
}

/** Batch VWMA; NaN where not yet defined. */
export function vwma(
  close: ArrayLike<number>,
  volume: ArrayLike<number>,
  options?: Partial<VWMAOptions>,
): Float64Array {
  const ind = new VWMA(options);
  const n = checkColumns("vwma", { close, volume });
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(close[i], volume[i]);
  return out;
}
