/**
 * Money flow index: with typical price TP = (H+L+C)/3 and raw money flow TP·volume counted as
 * positive when TP rose from the previous bar and negative when it fell (neither when equal),
 * MFI = 100·ΣPMF/(ΣPMF + ΣNMF) over the last N bars. When there was no money flow in the
 * window the value is `flatValue` (default 50; TA-Lib returns 0 whenever the total is below
 * 1). The first bar only provides the previous TP. Warm-up: `period` bars.
 */
import { RollingSum } from "./ring.js";
import { checkColumns, checkHLC, checkVolume, intParam, numParam } from "./validate.js";

export interface MFIOptions {
  /** Window length N, integer >= 1. Default 14. */
  period: number;
  /** Value when the window has no money flow. Default 50. */
  flatValue: number;
}

export class MFI {
  readonly period: number;
  readonly flatValue: number;
  readonly warmup: number;
  /** Current value in [0, 100]; NaN until ready. */
  value = Number.NaN;
  private readonly pos: RollingSum;
  private readonly neg: RollingSum;
  private count = 0;
  private prevTP = 0;

  constructor(options: Partial<MFIOptions> = {}) {
    this.period = intParam("mfi", "period", options.period ?? 14, 1);
    this.flatValue = numParam("mfi", "flatValue", options.flatValue ?? 50, 0, 100);
    this.pos = new RollingSum(this.period);
    this.neg = new RollingSum(this.period);
    this.warmup = this.period;
  }

  get isReady(): boolean {
    return this.count > this.period;
  }

  update(high: number, low: number, close: number, volume: number): number {
    checkHLC("mfi", high, low, close);
    checkVolume("mfi", volume);
    const tp = (high + low + close) / 3;
    if (this.count === 0) {
      this.count = 1;
      this.prevTP = tp;
      return Number.NaN;
    }
    const diff = tp - this.prevTP;
    this.prevTP = tp;
    const flow = tp * volume;
    const p = this.pos.push(diff > 0 ? flow : 0);
    const m = this.neg.push(diff < 0 ? flow : 0);
    if (this.count <= this.period) {
      if (++this.count <= this.period) return Number.NaN;
    }
    const total = p + m;
    this.value = total === 0 ? this.flatValue : 100 * (p / total);
    return this.value;
  }

  reset(): void {
    this.pos.reset();
    this.neg.reset();
    this.count = 0;
    this.prevTP = 0;
    this.value = Number.NaN;
  }
}

/** Batch MFI; NaN where not yet defined. */
export function mfi(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  volume: ArrayLike<number>,
  options?: Partial<MFIOptions>,
): Float64Array {
  const n = checkColumns("mfi", { high, low, close, volume });
  const ind = new MFI(options);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(high[i], low[i], close[i], volume[i]);
  return out;
}
