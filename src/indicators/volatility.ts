/**
 * Realised-volatility estimators over a rolling window of N bars, reported as a standard
 * deviation of log returns per bar, multiplied by √periodsPerYear (default 1, i.e. not
 * annualised; e.g. 365·24 for hourly crypto bars, 252 for daily equity bars).
 *
 * - {@link CloseToCloseVolatility}: σ² of r_t = ln(C_t/C_{t−1}) over the last N returns; with
 *   `demean: true` (default) the sample variance Σ(r − r̄)²/(N−1), with `demean: false` the
 *   zero-mean estimate Σr²/N. Warm-up N bars.
 * - {@link ParkinsonVolatility}: σ² = Σ ln(H/L)² / (4·N·ln 2). Warm-up N − 1 bars.
 * - {@link GarmanKlassVolatility}: σ² = (1/N)·Σ [½·ln(H/L)² − (2·ln 2 − 1)·ln(C/O)²].
 *   Warm-up N − 1 bars.
 * - {@link YangZhangVolatility}: σ² = σ_o² + k·σ_c² + (1 − k)·σ_rs², with overnight returns
 *   o = ln(O_t/C_{t−1}) and open-to-close returns c = ln(C_t/O_t) (sample variances), the
 *   Rogers–Satchell term rs = ln(H/C)·ln(H/O) + ln(L/C)·ln(L/O) (mean), and
 *   k = 0.34/(1.34 + (N+1)/(N−1)). Warm-up N bars.
 *
 * Prices must be positive (log returns); other inputs throw `INVALID_INPUT`.
 */
import { IndicatorError } from "./errors.js";
import { RollingSum } from "./ring.js";
import { RollingMoments } from "./stats.js";
import { boolParam, checkColumns, intParam, numParam } from "./validate.js";

function positive(indicator: string, field: string, x: number): void {
  if (!(x > 0) || x === Number.POSITIVE_INFINITY) {
    throw new IndicatorError(
      "INVALID_INPUT",
      indicator,
      field,
      x,
      `input "${field}" must be a finite number > 0, got ${x}`,
    );
  }
}

function checkOHLC(indicator: string, open: number, high: number, low: number, close: number): void {
  positive(indicator, "open", open);
  positive(indicator, "high", high);
  positive(indicator, "low", low);
  positive(indicator, "close", close);
  if (high < low) {
    throw new IndicatorError(
      "INVALID_INPUT",
      indicator,
      "high",
      high,
      `input "high" (${high}) must not be below input "low" (${low})`,
    );
  }
}

export interface VolatilityOptions {
  /** Window length N, integer >= 2. Default 20. */
  period: number;
  /** Annualisation factor: the result is multiplied by √periodsPerYear. Default 1. */
  periodsPerYear: number;
}

export interface CloseToCloseOptions extends VolatilityOptions {
  /** Subtract the mean return and divide by N − 1. Default true. */
  demean: boolean;
}

/** Close-to-close (historical) volatility. */
export class CloseToCloseVolatility {
  readonly period: number;
  readonly warmup: number;
  /** Current value; NaN until ready. */
  value = Number.NaN;
  private readonly scale: number;
  private readonly demean: boolean;
  private readonly moments: RollingMoments;
  private readonly squares: RollingSum;
  private count = 0;
  private prevClose = 0;

  constructor(options: Partial<CloseToCloseOptions> = {}) {
    this.period = intParam("rv_cc", "period", options.period ?? 20, 2);
    this.scale = Math.sqrt(numParam("rv_cc", "periodsPerYear", options.periodsPerYear ?? 1, 0, 1e9, true));
    this.demean = boolParam("rv_cc", "demean", options.demean ?? true);
    this.moments = new RollingMoments(this.period);
    this.squares = new RollingSum(this.period);
    this.warmup = this.period;
  }

  get isReady(): boolean {
    return this.count > this.period;
  }

  update(close: number): number {
    positive("rv_cc", "close", close);
    if (this.count === 0) {
      this.count = 1;
      this.prevClose = close;
      return Number.NaN;
    }
    const r = Math.log(close / this.prevClose);
    this.prevClose = close;
    let v: number;
    if (this.demean) {
      this.moments.push(r);
      v = this.moments.variance(true);
    } else {
      v = this.squares.push(r * r) / this.period;
    }
    if (this.count <= this.period) {
      if (++this.count <= this.period) return Number.NaN;
    }
    this.value = Math.sqrt(Math.max(v, 0)) * this.scale;
    return this.value;
  }

  reset(): void {
    this.moments.reset();
    this.squares.reset();
    this.count = 0;
    this.prevClose = 0;
    this.value = Number.NaN;
  }
}

/** Batch close-to-close volatility; NaN where not yet defined. */
export function closeToCloseVolatility(
  close: ArrayLike<number>,
  options?: Partial<CloseToCloseOptions>,
): Float64Array {
  const ind = new CloseToCloseVolatility(options);
  const n = close.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(close[i]);
  return out;
}

/** Parkinson high-low volatility. */
export class ParkinsonVolatility {
  readonly period: number;
  readonly warmup: number;
  /** Current value; NaN until ready. */
  value = Number.NaN;
  private readonly scale: number;
  private readonly sum: RollingSum;

  constructor(options: Partial<VolatilityOptions> = {}) {
    this.period = intParam("rv_parkinson", "period", options.period ?? 20, 2);
    const ppy = numParam("rv_parkinson", "periodsPerYear", options.periodsPerYear ?? 1, 0, 1e9, true);
    this.scale = Math.sqrt(ppy / (4 * this.period * Math.LN2));
    this.sum = new RollingSum(this.period);
    this.warmup = this.period - 1;
  }

  get isReady(): boolean {
    return this.sum.full;
  }

  update(high: number, low: number): number {
    positive("rv_parkinson", "high", high);
    positive("rv_parkinson", "low", low);
    if (high < low) checkOHLC("rv_parkinson", high, high, low, low);
    const hl = Math.log(high / low);
    const s = this.sum.push(hl * hl);
    if (!this.sum.full) return Number.NaN;
    this.value = Math.sqrt(s) * this.scale;
    return this.value;
  }

  reset(): void {
    this.sum.reset();
    this.value = Number.NaN;
  }
}

/** Batch Parkinson volatility; NaN where not yet defined. */
export function parkinsonVolatility(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  options?: Partial<VolatilityOptions>,
): Float64Array {
  const n = checkColumns("rv_parkinson", { high, low });
  const ind = new ParkinsonVolatility(options);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(high[i], low[i]);
  return out;
}

const GK_C = 2 * Math.LN2 - 1;

/** Garman–Klass volatility. */
export class GarmanKlassVolatility {
  readonly period: number;
  readonly warmup: number;
  /** Current value; NaN until ready. */
  value = Number.NaN;
  private readonly scale: number;
  private readonly sum: RollingSum;

  constructor(options: Partial<VolatilityOptions> = {}) {
    this.period = intParam("rv_garman_klass", "period", options.period ?? 20, 2);
    const ppy = numParam("rv_garman_klass", "periodsPerYear", options.periodsPerYear ?? 1, 0, 1e9, true);
    this.scale = Math.sqrt(ppy);
    this.sum = new RollingSum(this.period);
    this.warmup = this.period - 1;
  }

  get isReady(): boolean {
    return this.sum.full;
  }

  update(open: number, high: number, low: number, close: number): number {
    checkOHLC("rv_garman_klass", open, high, low, close);
    const hl = Math.log(high / low);
    const co = Math.log(close / open);
    const s = this.sum.push(0.5 * hl * hl - GK_C * co * co);
    if (!this.sum.full) return Number.NaN;
    const v = s / this.period;
    this.value = Math.sqrt(Math.max(v, 0)) * this.scale;
    return this.value;
  }

  reset(): void {
    this.sum.reset();
    this.value = Number.NaN;
  }
}

/** Batch Garman–Klass volatility; NaN where not yet defined. */
export function garmanKlassVolatility(
  open: ArrayLike<number>,
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  options?: Partial<VolatilityOptions>,
): Float64Array {
  const n = checkColumns("rv_garman_klass", { open, high, low, close });
  const ind = new GarmanKlassVolatility(options);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(open[i], high[i], low[i], close[i]);
  return out;
}

/** Yang–Zhang volatility. */
export class YangZhangVolatility {
  readonly period: number;
  readonly warmup: number;
  /** Current value; NaN until ready. */
  value = Number.NaN;
  private readonly scale: number;
  private readonly k: number;
  private readonly overnight: RollingMoments;
  private readonly openClose: RollingMoments;
  private readonly rs: RollingSum;
  private count = 0;
  private prevClose = 0;

  constructor(options: Partial<VolatilityOptions> = {}) {
    this.period = intParam("rv_yang_zhang", "period", options.period ?? 20, 2);
    const ppy = numParam("rv_yang_zhang", "periodsPerYear", options.periodsPerYear ?? 1, 0, 1e9, true);
    this.scale = Math.sqrt(ppy);
    const n = this.period;
    this.k = 0.34 / (1.34 + (n + 1) / (n - 1));
    this.overnight = new RollingMoments(n);
    this.openClose = new RollingMoments(n);
    this.rs = new RollingSum(n);
    this.warmup = n;
  }

  get isReady(): boolean {
    return this.count > this.period;
  }

  update(open: number, high: number, low: number, close: number): number {
    checkOHLC("rv_yang_zhang", open, high, low, close);
    if (this.count === 0) {
      this.count = 1;
      this.prevClose = close;
      return Number.NaN;
    }
    const o = Math.log(open / this.prevClose);
    this.prevClose = close;
    const c = Math.log(close / open);
    const hc = Math.log(high / close);
    const ho = Math.log(high / open);
    const lc = Math.log(low / close);
    const lo = Math.log(low / open);
    this.overnight.push(o);
    this.openClose.push(c);
    const rsSum = this.rs.push(hc * ho + lc * lo);
    if (this.count <= this.period) {
      if (++this.count <= this.period) return Number.NaN;
    }
    const v =
      this.overnight.variance(true) +
      this.k * this.openClose.variance(true) +
      ((1 - this.k) * rsSum) / this.period;
    this.value = Math.sqrt(Math.max(v, 0)) * this.scale;
    return this.value;
  }

  reset(): void {
    this.overnight.reset();
    this.openClose.reset();
    this.rs.reset();
    this.count = 0;
    this.prevClose = 0;
    this.value = Number.NaN;
  }
}

/** Batch Yang–Zhang volatility; NaN where not yet defined. */
export function yangZhangVolatility(
  open: ArrayLike<number>,
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  options?: Partial<VolatilityOptions>,
): Float64Array {
  const n = checkColumns("rv_yang_zhang", { open, high, low, close });
  const ind = new YangZhangVolatility(options);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(open[i], high[i], low[i], close[i]);
  return out;
}
