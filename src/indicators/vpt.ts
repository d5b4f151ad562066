/**
 * Volume-price trend: VPT += volume·(close − prev close)/prev close (nothing added when the
 * previous close is 0). Starts at 0 on the first bar. Warm-up: 0 bars.
 */
import { badInput, checkColumns, checkVolume } from "./validate.js";

export class VolumePriceTrend {
  readonly warmup = 0;
  /** Current value; NaN before the first bar. */
  value = Number.NaN;
  private count = 0;
  private prevClose = 0;

  get isReady(): boolean {
    return this.count > 0;
  }

  update(close: number, volume: number): number {
    if (!Number.isFinite(close)) badInput("vpt", "close", close);
    checkVolume("vpt", volume);
    if (this.count === 0) {
      this.count = 1;
      this.prevClose = close;
      this.value = 0;
      return 0;
    }
    const pc = this.prevClose;
    if (pc !== 0) this.value += (volume * (close - pc)) / pc;
    this.prevClose = close;
    return this.value;
  }

  reset(): void {
    this.count = 0;
    this.prevClose = 0;
    this.value = Number.NaN;
  }
}

/** Batch VPT. */
export function volumePriceTrend(close: ArrayLike<number>, volume: ArrayLike<number>): Float64Array {
  const n = checkColumns("vpt", { close, volume });
  const ind = new VolumePriceTrend();
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(close[i], volume[i]);
  return out;
}
