/**
 * Ichimoku Kinko Hyo. With mid(N) = (highest high + lowest low)/2 over the last N bars:
 * tenkan = mid(9), kijun = mid(26), and the leading spans computed now,
 * `senkouAAhead` = (tenkan + kijun)/2 and `senkouBAhead` = mid(52), are plotted
 * `displacement` bars ahead. `senkouA`/`senkouB` are the spans that belong to the *current*
 * bar, i.e. the values computed `displacement` bars ago (what a chart shows above this bar).
 * The lagging span (chikou) is simply the close plotted `displacement` bars back and is not
 * repeated here.
 *
 * `senkouBShift` (default 0 = same as `displacement`) allows talipp's variant, whose senkou B window
 * ends one bar earlier (`senkouBShift = displacement + 1`).
 * Warm-up (all outputs): max(kijun − 1 + displacement, senkouB − 1 + senkouBShift) bars.
 */
import { RingBuffer, RollingMax, RollingMin } from "./ring.js";
import { checkColumns, checkHL, intParam } from "./validate.js";

export interface IchimokuOptions {
  /** Conversion-line period. Default 9. */
  tenkan: number;
  /** Base-line period. Default 26. */
  kijun: number;
  /** Leading span B period. Default 52. */
  senkouB: number;
  /** Forward displacement of the leading spans. Default 26. */
  displacement: number;
  /** Displacement of span B; 0 (default) means the same as `displacement`. */
  senkouBShift: number;
}

class Midpoint {
  private readonly hh: RollingMax;
  private readonly ll: RollingMin;
  private readonly period: number;
  private count = 0;

  constructor(period: number) {
    this.period = period;
    this.hh = new RollingMax(period);
    this.ll = new RollingMin(period);
  }

  push(high: number, low: number): number {
    const h = this.hh.push(high);
    const l = this.ll.push(low);
    if (this.count < this.period) {
      if (++this.count < this.period) return Number.NaN;
    }
    return (h + l) / 2;
  }

  reset(): void {
    this.hh.reset();
    this.ll.reset();
    this.count = 0;
  }
}

export class Ichimoku {
  readonly warmup: number;
  tenkan = Number.NaN;
  kijun = Number.NaN;
  /** Leading span A belonging to this bar (computed `displacement` bars ago). */
  senkouA = Number.NaN;
  /** Leading span B belonging to this bar. */
  senkouB = Number.NaN;
  /** Leading span A computed now (plotted `displacement` bars ahead). */
  senkouAAhead = Number.NaN;
  /** Leading span B computed now (plotted `senkouBShift` bars ahead). */
  senkouBAhead = Number.NaN;
  private readonly t: Midpoint;
  private readonly k: Midpoint;
  private readonly b: Midpoint;
  private readonly delayA: RingBuffer;
  private readonly delayB: RingBuffer;
  private readonly firstAll: number;
  private count = 0;

  constructor(options: Partial<IchimokuOptions> = {}) {
    const tenkan = intParam("ichimoku", "tenkan", options.tenkan ?? 9, 1);
    const kijun = intParam("ichimoku", "kijun", options.kijun ?? 26, 1);
    const senkouB = intParam("ichimoku", "senkouB", options.senkouB ?? 52, 1);
    const displacement = intParam("ichimoku", "displacement", options.displacement ?? 26, 1);
    const shiftB = intParam("ichimoku", "senkouBShift", options.senkouBShift ?? 0, 0) || displacement;
    this.t = new Midpoint(tenkan);
    this.k = new Midpoint(kijun);
    this.b = new Midpoint(senkouB);
    this.delayA = new RingBuffer(displacement);
    this.delayB = new RingBuffer(shiftB);
    this.warmup = Math.max(Math.max(tenkan, kijun) - 1 + displacement, senkouB - 1 + shiftB);
    this.firstAll = this.warmup + 1;
  }

  get isReady(): boolean {
    return this.count >= this.firstAll;
  }

  /** Feeds a bar's high and low; returns the kijun (base line). */
  update(high: number, low: number): number {
    checkHL("ichimoku", high, low);
    if (this.count < this.firstAll) this.count++;
    this.tenkan = this.t.push(high, low);
    this.kijun = this.k.push(high, low);
    this.senkouAAhead = (this.tenkan + this.kijun) / 2;
    this.senkouBAhead = this.b.push(high, low);
    this.senkouA = this.delayA.push(this.senkouAAhead);
    this.senkouB = this.delayB.push(this.senkouBAhead);
    return this.kijun;
  }

  reset(): void {
    this.t.reset();
    this.k.reset();
    this.b.reset();
    this.delayA.reset();
    this.delayB.reset();
    this.count = 0;
    this.tenkan = Number.NaN;
    this.kijun = Number.NaN;
    this.senkouA = Number.NaN;
    this.senkouB = Number.NaN;
    this.senkouAAhead = Number.NaN;
    this.senkouBAhead = Number.NaN;
  }
}

export type IchimokuSeries = {
  tenkan: Float64Array;
  kijun: Float64Array;
  senkouA: Float64Array;
  senkouB: Float64Array;
  senkouAAhead: Float64Array;
  senkouBAhead: Float64Array;
};

/** Batch Ichimoku; NaN where not yet defined. */
export function ichimoku(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  options?: Partial<IchimokuOptions>,
): IchimokuSeries {
  const n = checkColumns("ichimoku", { high, low });
  const ind = new Ichimoku(options);
  const out = {
    tenkan: new Float64Array(n),
    kijun: new Float64Array(n),
    senkouA: new Float64Array(n),
    senkouB: new Float64Array(n),
    senkouAAhead: new Float64Array(n),
    senkouBAhead: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    out.kijun[i] = ind.update(high[i], low[i]);
    out.tenkan[i] = ind.tenkan;
    out.senkouA[i] = ind.senkouA;
    out.senkouB[i] = ind.senkouB;
    out.senkouAAhead[i] = ind.senkouAAhead;
    out.senkouBAhead[i] = ind.senkouBAhead;
  }
  return out;
}
