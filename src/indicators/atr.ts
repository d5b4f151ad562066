/**
 * True range, average true range and normalised ATR.
 *
 * TR = max(high, prev close) − min(low, prev close). The first bar has no previous close;
 * `firstBar` decides what happens to it:
 * - `"skip"` (default): the first bar yields no TR (TA-Lib `TRANGE`/`ATR`/`NATR`). ATR is the
 *   mean of the first N true ranges (bars 1..N), first defined at index N.
 * - `"range"`: the first bar's TR is high − low (talipp, Tulip, TradingView). ATR is first
 *   defined at index N−1.
 *
 * ATR smoothing (`smoothing`): `"rma"` (Wilder, default; SMA seed then
 * `atr = (atr·(N−1) + TR)/N`), `"sma"` or `"ema"` (SMA seed, α = 2/(N+1)).
 */
import { MA_TYPES, type MAType, MovingAverage } from "./ma.js";
import { checkColumns, checkHLC, enumParam, intParam } from "./validate.js";

export type FirstBarTR = "skip" | "range";
export const FIRST_BAR_TR: readonly FirstBarTR[] = ["skip", "range"];

export interface TrueRangeOptions {
  /** Treatment of the first bar. Default `"skip"`. */
  firstBar: FirstBarTR;
}

/** True range. Warm-up: 1 bar (`"skip"`) or 0 (`"range"`). */
export class TrueRange {
  readonly firstBar: FirstBarTR;
  readonly warmup: number;
  /** Current value; NaN until ready. */
  value = Number.NaN;
  private readonly skipFirst: boolean;
  private count = 0;
  private prevClose = 0;

  constructor(options: Partial<TrueRangeOptions> = {}) {
    this.firstBar = enumParam("tr", "firstBar", options.firstBar ?? "skip", FIRST_BAR_TR);
    this.skipFirst = this.firstBar === "skip";
    this.warmup = this.skipFirst ? 1 : 0;
  }

  get isReady(): boolean {
    return this.count > this.warmup;
  }

  update(high: number, low: number, close: number): number {
    checkHLC("tr", high, low, close);
    return this.step(high, low, close);
  }

  /** Unvalidated update for composite indicators. @internal */
  step(high: number, low: number, close: number): number {
    let tr: number;
    if (this.count === 0) {
      this.count = 1;
      this.prevClose = close;
      if (this.skipFirst) return Number.NaN;
      tr = high - low;
    } else {
      if (this.count < 2) this.count = 2;
      const pc = this.prevClose;
      this.prevClose = close;
      tr = Math.max(high, pc) - Math.min(low, pc);
    }
    this.value = tr;
    return tr;
  }

  reset(): void {
    this.count = 0;
    this.prevClose = 0;
    this.value = Number.NaN;
  }
}

/** Batch true range; NaN where not yet defined. */
export function trueRange(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  options?: Partial<TrueRangeOptions>,
): Float64Array {
  const n = checkColumns("tr", { high, low, close });
  const ind = new TrueRange(options);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(high[i], low[i], close[i]);
  return out;
}

export interface ATROptions {
  /** Period N, integer >= 1. Default 14. */
  period: number;
  /** Treatment of the first bar. Default `"skip"` (TA-Lib). */
  firstBar: FirstBarTR;
  /** Averaging of the true range. Default `"rma"` (Wilder). */
  smoothing: MAType;
}

/** Average true range. Warm-up: N bars (`"skip"`) or N−1 (`"range"`). */
export class ATR {
  readonly period: number;
  readonly firstBar: FirstBarTR;
  readonly smoothing: MAType;
  readonly warmup: number;
  /** Current value; NaN until ready. */
  value = Number.NaN;
  /** Latest true range. */
  trueRange = Number.NaN;
  private readonly tr: TrueRange;
  private readonly ma: MovingAverage;

  constructor(options: Partial<ATROptions> = {}, name = "atr") {
    this.period = intParam(name, "period", options.period ?? 14, 1);
    this.firstBar = enumParam(name, "firstBar", options.firstBar ?? "skip", FIRST_BAR_TR);
    this.smoothing = enumParam(name, "smoothing", options.smoothing ?? "rma", MA_TYPES);
    this.tr = new TrueRange({ firstBar: this.firstBar });
    this.ma = new MovingAverage(this.smoothing, this.period);
    this.warmup = this.period - 1 + this.tr.warmup;
  }

  get isReady(): boolean {
    return this.ma.isReady;
  }

  update(high: number, low: number, close: number): number {
    checkHLC("atr", high, low, close);
    return this.step(high, low, close);
  }

  /** Unvalidated update for composite indicators. @internal */
  step(high: number, low: number, close: number): number {
    const tr = this.tr.step(high, low, close);
    if (Number.isNaN(tr)) return Number.NaN;
    this.trueRange = tr;
    this.value = this.ma.update(tr);
    return this.value;
  }

  reset(): void {
    this.tr.reset();
    this.ma.reset();
    this.value = Number.NaN;
    this.trueRange = Number.NaN;
  }
}

/** Batch ATR; NaN where not yet defined. */
export function atr(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  options?: Partial<ATROptions>,
): Float64Array {
  const n = checkColumns("atr", { high, low, close });
  const ind = new ATR(options);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(high[i], low[i], close[i]);
  return out;
}

export type NATROptions = ATROptions;

/** Normalised ATR: 100·ATR/close (0 when close is 0, as TA-Lib). Same warm-up as ATR. */
export class NATR {
  readonly warmup: number;
  /** Current value (percent); NaN until ready. */
  value = Number.NaN;
  private readonly atr: ATR;

  constructor(options: Partial<NATROptions> = {}) {
    this.atr = new ATR(options, "natr");
    this.warmup = this.atr.warmup;
  }

  get isReady(): boolean {
    return this.atr.isReady;
  }

  update(high: number, low: number, close: number): number {
    checkHLC("natr", high, low, close);
    const a = this.atr.step(high, low, close);
    if (Number.isNaN(a)) return Number.NaN;
    this.value = close === 0 ? 0 : (a / close) * 100;
    return this.value;
  }

  reset(): void {
    this.atr.reset();
    this.value = Number.NaN;
  }
}

/** Batch NATR; NaN where not yet defined. */
export function natr(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  options?: Partial<NATROptions>,
): Float64Array {
  const n = checkColumns("natr", { high, low, close });
  const ind = new NATR(options);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(high[i], low[i], close[i]);
  return out;
}
