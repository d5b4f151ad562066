/**
 * Vortex indicator (Botes & Siepman): VM+ = |high − prev low|, VM− = |low − prev high|,
 * TR = true range; VI± = ΣVM± / ΣTR over the last N bars (0 when ΣTR = 0). The first bar only
 * provides the previous high/low/close. Warm-up: `period` bars.
 */
import { RollingSum } from "./ring.js";
import { checkColumns, checkHLC, intParam } from "./validate.js";

export interface VortexOptions {
  /** Window length N, integer >= 1. Default 14. */
  period: number;
}

export class Vortex {
  readonly period: number;
  readonly warmup: number;
  /** VI+; NaN until ready. */
  plus = Number.NaN;
  /** VI−; NaN until ready. */
  minus = Number.NaN;
  private readonly vmp: RollingSum;
  private readonly vmm: RollingSum;
  private readonly tr: RollingSum;
  private count = 0;
  private prevHigh = 0;
  private prevLow = 0;
  private prevClose = 0;

  constructor(options: Partial<VortexOptions> = {}) {
    this.period = intParam("vortex", "period", options.period ?? 14, 1);
    this.vmp = new RollingSum(this.period);
    this.vmm = new RollingSum(this.period);
    this.tr = new RollingSum(this.period);
    this.warmup = this.period;
  }

  get isReady(): boolean {
    return this.count > this.period;
  }

  /** Feeds a bar; returns VI+. */
  update(high: number, low: number, close: number): number {
    checkHLC("vortex", high, low, close);
    if (this.count === 0) {
      this.count = 1;
      this.prevHigh = high;
      this.prevLow = low;
      this.prevClose = close;
      return Number.NaN;
    }
    const pc = this.prevClose;
    const sp = this.vmp.push(Math.abs(high - this.prevLow));
    const sm = this.vmm.push(Math.abs(low - this.prevHigh));
    const st = this.tr.push(Math.max(high, pc) - Math.min(low, pc));
    this.prevHigh = high;
    this.prevLow = low;
    this.prevClose = close;
    if (this.count <= this.period) {
      if (++this.count <= this.period) return Number.NaN;
    }
    this.plus = st === 0 ? 0 : sp / st;
    this.minus = st === 0 ? 0 : sm / st;
    return this.plus;
  }

  reset(): void {
    this.vmp.reset();
    this.vmm.reset();
    this.tr.reset();
    this.count = 0;
    this.prevHigh = 0;
    this.prevLow = 0;
    this.prevClose = 0;
    this.plus = Number.NaN;
    this.minus = Number.NaN;
  }
}

export type VortexSeries = {
  plus: Float64Array;
  minus: Float64Array;
};

/** Batch Vortex; NaN where not yet defined. */
export function vortex(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  options?: Partial<VortexOptions>,
): VortexSeries {
  const n = checkColumns("vortex", { high, low, close });
  const ind = new Vortex(options);
  const out = { plus: new Float64Array(n), minus: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    out.plus[i] = ind.update(high[i], low[i], close[i]);
    out.minus[i] = ind.minus;
  }
  return out;
}
