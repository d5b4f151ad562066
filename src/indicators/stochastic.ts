/**
 * Range oscillators: Stochastic (%K/%D), Stochastic RSI and Williams %R.
 *
 * Raw %K = 100·(close − LL)/(HH − LL) over the last `kPeriod` bars (HH/LL via monotonic
 * deques, amortised O(1)). When HH = LL the raw value is `flatValue` (default 50 / −50 for
 * %R; TA-Lib returns 0, talipp 100).
 */
import { MA_TYPES, type MAType, MovingAverage } from "./ma.js";
import { RollingMax, RollingMin } from "./ring.js";
import { RSI } from "./rsi.js";
import { badInput, checkColumns, checkHLC, enumParam, intParam, numParam } from "./validate.js";

export interface StochasticOptions {
  /** Look-back of the high/low range, integer >= 1. Default 14. */
  kPeriod: number;
  /**
   * Smoothing of raw %K ("slowing"), integer >= 1; 1 gives the fast stochastic. Default 3
   * (TA-Lib `STOCH` slowK; talipp's `Stoch(14, 3)` corresponds to `kSmoothing: 1, dPeriod: 3`).
   */
  kSmoothing: number;
  /** Period of %D, the average of %K. Default 3. */
  dPeriod: number;
  /** Averaging used for the %K smoothing. Default `"sma"`. */
  kMaType: MAType;
  /** Averaging used for %D. Default `"sma"`. */
  dMaType: MAType;
  /** Raw %K when the range is zero. Default 50. */
  flatValue: number;
}

/**
 * Stochastic oscillator. Outputs `k` (smoothed %K), `d` and `rawK`.
 * Warm-up: `(kPeriod−1) + (kSmoothing−1) + (dPeriod−1)` bars (for `d`).
 */
export class Stochastic {
  readonly kPeriod: number;
  readonly kSmoothing: number;
  readonly dPeriod: number;
  readonly flatValue: number;
  readonly warmup: number;
  /** Smoothed %K; NaN until defined. */
  k = Number.NaN;
  /** %D; NaN until ready. */
  d = Number.NaN;
  /** Unsmoothed %K. */
  rawK = Number.NaN;
  private readonly hh: RollingMax;
  private readonly ll: RollingMin;
  private readonly kMa: MovingAverage;
  private readonly dMa: MovingAverage;
  private count = 0;

  constructor(options: Partial<StochasticOptions> = {}) {
    this.kPeriod = intParam("stoch", "kPeriod", options.kPeriod ?? 14, 1);
    this.kSmoothing = intParam("stoch", "kSmoothing", options.kSmoothing ?? 3, 1);
    this.dPeriod = intParam("stoch", "dPeriod", options.dPeriod ?? 3, 1);
    const kType = enumParam("stoch", "kMaType", options.kMaType ?? "sma", MA_TYPES);
    const dType = enumParam("stoch", "dMaType", options.dMaType ?? "sma", MA_TYPES);
    this.flatValue = numParam("stoch", "flatValue", options.flatValue ?? 50, 0, 100);
    this.hh = new RollingMax(this.kPeriod);
    this.ll = new RollingMin(this.kPeriod);
    this.kMa = new MovingAverage(kType, this.kSmoothing);
    this.dMa = new MovingAverage(dType, this.dPeriod);
    this.warmup = this.kPeriod - 1 + this.kSmoothing - 1 + this.dPeriod - 1;
  }

  get isReady(): boolean {
    return this.dMa.isReady;
  }

  /** Feeds a bar; returns smoothed %K. */
  update(high: number, low: number, close: number): number {
    checkHLC("stoch", high, low, close);
    const hh = this.hh.push(high);
    const ll = this.ll.push(low);
    if (this.count < this.kPeriod) {
      if (++this.count < this.kPeriod) return Number.NaN;
    }
    const range = hh - ll;
    const raw = range === 0 ? this.flatValue : (100 * (close - ll)) / range;
    this.rawK = raw;
    const k = this.kMa.update(raw);
    this.k = k;
    if (!Number.isNaN(k)) this.d = this.dMa.update(k);
    return k;
  }

  reset(): void {
    this.hh.reset();
    this.ll.reset();
    this.kMa.reset();
    this.dMa.reset();
    this.count = 0;
    this.k = Number.NaN;
    this.d = Number.NaN;
    this.rawK = Number.NaN;
  }
}

export type StochasticSeries = {
  k: Float64Array;
  d: Float64Array;
};

/** Batch Stochastic; NaN where not yet defined. */
export function stochastic(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  options?: Partial<StochasticOptions>,
): StochasticSeries {
  const n = checkColumns("stoch", { high, low, close });
  const ind = new Stochastic(options);
  const out = { k: new Float64Array(n), d: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    out.k[i] = ind.update(high[i], low[i], close[i]);
    out.d[i] = ind.d;
  }
  return out;
}

export interface StochasticRSIOptions {
  /** RSI period (Wilder). Default 14. */
  rsiPeriod: number;
  /** Look-back of the RSI range. Default 14. */
  stochPeriod: number;
  /** Smoothing of raw %K; 1 = unsmoothed (TA-Lib `STOCHRSI` fastK). Default 3. */
  kSmoothing: number;
  /** Period of %D. Default 3. */
  dPeriod: number;
  /** Averaging for %K smoothing and %D. Default `"sma"`. */
  maType: MAType;
  /** Raw %K when the RSI range is zero. Default 50 (talipp 100, TA-Lib 0). */
  flatValue: number;
}

/**
 * Stochastic RSI: the stochastic of Wilder's RSI, raw %K = 100·(RSI − min RSI)/(max RSI −
 * min RSI) over `stochPeriod` RSI values, %K = MA(raw, kSmoothing), %D = MA(%K, dPeriod).
 * Warm-up: `rsiPeriod + (stochPeriod−1) + (kSmoothing−1) + (dPeriod−1)` bars.
 */
export class StochasticRSI {
  readonly warmup: number;
  readonly flatValue: number;
  /** Smoothed %K. */
  k = Number.NaN;
  /** %D. */
  d = Number.NaN;
  /** Unsmoothed %K. */
  rawK = Number.NaN;
  private readonly rsi: RSI;
  private readonly stochPeriod: number;
  private readonly hi: RollingMax;
  private readonly lo: RollingMin;
  private readonly kMa: MovingAverage;
  private readonly dMa: MovingAverage;
  private count = 0;

  constructor(options: Partial<StochasticRSIOptions> = {}) {
    const rsiPeriod = intParam("stochrsi", "rsiPeriod", options.rsiPeriod ?? 14, 1);
    this.stochPeriod = intParam("stochrsi", "stochPeriod", options.stochPeriod ?? 14, 1);
    const kSmoothing = intParam("stochrsi", "kSmoothing", options.kSmoothing ?? 3, 1);
    const dPeriod = intParam("stochrsi", "dPeriod", options.dPeriod ?? 3, 1);
    const maType = enumParam("stochrsi", "maType", options.maType ?? "sma", MA_TYPES);
    this.flatValue = numParam("stochrsi", "flatValue", options.flatValue ?? 50, 0, 100);
    this.rsi = new RSI({ period: rsiPeriod });
    this.hi = new RollingMax(this.stochPeriod);
    this.lo = new RollingMin(this.stochPeriod);
    this.kMa = new MovingAverage(maType, kSmoothing);
    this.dMa = new MovingAverage(maType, dPeriod);
    this.warmup = rsiPeriod + this.stochPeriod - 1 + kSmoothing - 1 + dPeriod - 1;
  }

  get isReady(): boolean {
    return this.dMa.isReady;
  }

  /** Feeds a close; returns smoothed %K. */
  update(x: number): number {
    if (!Number.isFinite(x)) badInput("stochrsi", "close", x);
    const r = this.rsi.update(x);
    if (Number.isNaN(r)) return Number.NaN;
    const hi = this.hi.push(r);
    const lo = this.lo.push(r);
    if (this.count < this.stochPeriod) {
      if (++this.count < this.stochPeriod) return Number.NaN;
    }
    const range = hi - lo;
    const raw = range === 0 ? this.flatValue : (100 * (r - lo)) / range;
    this.rawK = raw;
    const k = this.kMa.update(raw);
    this.k = k;
    if (!Number.isNaN(k)) this.d = this.dMa.update(k);
    return k;
  }

  reset(): void {
    this.rsi.reset();
    this.hi.reset();
    this.lo.reset();
    this.kMa.reset();
    this.dMa.reset();
    this.count = 0;
    this.k = Number.NaN;
    this.d = Number.NaN;
    this.rawK = Number.NaN;
  }
}

/** Batch Stochastic RSI; NaN where not yet defined. */
export function stochasticRsi(
  close: ArrayLike<number>,
  options?: Partial<StochasticRSIOptions>,
): StochasticSeries {
  const ind = new StochasticRSI(options);
  const n = close.length;
  const out = { k: new Float64Array(n), d: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    out.k[i] = ind.update(close[i]);
    out.d[i] = ind.d;
  }
  return out;
}

export interface WilliamsROptions {
  /** Look-back, integer >= 1. Default 14. */
  period: number;
  /** Value when the range is zero, in [−100, 0]. Default −50 (TA-Lib returns 0). */
  flatValue: number;
}

/**
 * Williams %R = −100·(HH − close)/(HH − LL) over the last `period` bars, in [−100, 0].
 * Warm-up: `period − 1` bars. Matches TA-Lib `WILLR`, talipp, Tulip `willr`.
 */
export class WilliamsR {
  readonly period: number;
  readonly flatValue: number;
  readonly warmup: number;
  /** Current value; NaN until ready. */
  value = Number.NaN;
  private readonly hh: RollingMax;
  private readonly ll: RollingMin;
  private count = 0;

  constructor(options: Partial<WilliamsROptions> = {}) {
    this.period = intParam("willr", "period", options.period ?? 14, 1);
    this.flatValue = numParam("willr", "flatValue", options.flatValue ?? -50, -100, 0);
    this.hh = new RollingMax(this.period);
    this.ll = new RollingMin(this.period);
    this.warmup = this.period - 1;
  }

  get isReady(): boolean {
    return this.count >= this.period;
  }

  update(high: number, low: number, close: number): number {
    checkHLC("willr", high, low, close);
    const hh = this.hh.push(high);
    const ll = this.ll.push(low);
    if (this.count < this.period) {
      if (++this.count < this.period) return Number.NaN;
    }
    const range = hh - ll;
    this.value = range === 0 ? this.flatValue : (-100 * (hh - close)) / range;
    return this.value;
  }

  reset(): void {
    this.hh.reset();
    this.ll.reset();
    this.count = 0;
    this.value = Number.NaN;
  }
}

/** Batch Williams %R; NaN where not yet defined. */
export function williamsR(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  options?: Partial<WilliamsROptions>,
): Float64Array {
  const n = checkColumns("willr", { high, low, close });
  const ind = new WilliamsR(options);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(high[i], low[i], close[i]);
  return out;
}
