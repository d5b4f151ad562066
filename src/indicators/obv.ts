/**
 * On-balance volume: OBV += volume when the close rises, −= volume when it falls, unchanged
 * when it is equal. `initial: "volume"` (default) starts at the first bar's volume (TA-Lib
 * `OBV`, talipp `OBV`); `"zero"` starts at 0 (Tulip `obv`). Warm-up: 0 bars (defined from the first bar).
 */
import { badInput, checkColumns, checkVolume, enumParam } from "./validate.js";

export type ObvInitial = "volume" | "zero";
export const OBV_INITIALS: readonly ObvInitial[] = ["volume", "zero"];

export interface OBVOptions {
  /** Value at the first bar. Default `"volume"`. */
  initial: ObvInitial;
}

export class OBV {
  readonly initial: ObvInitial;
  readonly warmup = 0;
  /** Current value; NaN before the first bar. */
  value = Number.NaN;
  private count = 0;
  private prevClose = 0;

  constructor(options: Partial<OBVOptions> = {}) {
    this.initial = enumParam("obv", "initial", options.initial ?? "volume", OBV_INITIALS);
  }

  get isReady(): boolean {
    return this.count > 0;
  }

  update(close: number, volume: number): number {
    if (!Number.isFinite(close)) badInput("obv", "close", close);
    checkVolume("obv", volume);
    if (this.count === 0) {
      this.count = 1;
      this.prevClose = close;
      this.value = this.initial === "volume" ? volume : 0;
      return this.value;
    }
    if (close > this.prevClose) this.value += volume;
    else if (close < this.prevClose) this.value -= volume;
    this.prevClose = close;
    return this.value;
  }

  reset(): void {
    this.count = 0;
    this.prevClose = 0;
    this.value = Number.NaN;
  }
}

/** Batch OBV. */
export function obv(
  close: ArrayLike<number>,
  volume: ArrayLike<number>,
  options?: Partial<OBVOptions>,
): Float64Array {
  const n = checkColumns("obv", { close, volume });
  const ind = new OBV(options);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(close[i], volume[i]);
  return out;
}
