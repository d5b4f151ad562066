/**
 * Rolling statistics: variance, standard deviation, z-score and linear-regression slope.
 *
 * Variance uses Welford's update generalised to a sliding window (add the new value and
 * remove the leaving one in one step), which keeps the error proportional to the variance
 * itself instead of to the squared price level as the textbook Σx² − (Σx)²/N does. The
 * window is recomputed exactly (two passes) once every N updates, which bounds the drift of
 * the incremental updates at amortised O(1) cost. A window of identical values is detected
 * exactly and reported as variance 0.
 *
 * `sample: false` (default) divides by N (population σ: TA-Lib `STDDEV`/`VAR`/`BBANDS`,
 * talipp `BB`, Tulip `stddev`); `sample: true` divides by N − 1 (pandas `rolling().std()`).
 */
import { badInput, boolParam, intParam } from "./validate.js";

/**
 * Sliding-window mean and sum of squared deviations. Values are stored relative to a shift K
 * (a recent input, exactly representable) so that a large price level does not cost
 * precision; once per window the shift moves to the newest input and mean/M2 are recomputed
 * exactly (two passes). Unvalidated. @internal
 */
export class RollingMoments {
  readonly window: number;
  m2 = 0;
  private readonly buf: Float64Array;
  private meanY = 0;
  private shift = 0;
  private head = 0;
  private count = 0;
  private run = 0;
  private last = Number.NaN;

  constructor(window: number) {
    this.window = window;
    this.buf = new Float64Array(window);
  }

  get full(): boolean {
    return this.count === this.window;
  }

  /** Mean of the window. */
  get mean(): number {
    return this.shift + this.meanY;
  }

  push(x: number): void {
    const n = this.window;
    const h = this.head;
    if (this.count === 0) this.shift = x;
    const y = x - this.shift;
    if (this.count < n) {
      this.count++;
      const delta = y - this.meanY;
      this.meanY += delta / this.count;
      this.m2 += delta * (y - this.meanY);
    } else {
      const old = this.buf[h];
      const d = y - old;
      const oldMean = this.meanY;
      this.meanY += d / n;
      this.m2 += d * (y - this.meanY + old - oldMean);
      if (this.m2 < 0) this.m2 = 0;
    }
    this.buf[h] = y;
    this.head = h + 1 === n ? 0 : h + 1;
    // Exact resynchronisation on flat windows: all N values equal.
    if (x === this.last) this.run++;
    else this.run = 1;
    this.last = x;
    if (this.run >= this.count) {
      this.meanY = y;
      this.m2 = 0;
    } else if (this.head === 0 && this.count === n) {
      this.resync(y);
    }
  }

  /** Re-centres on the newest value `y` and recomputes mean and M2 exactly. */
  private resync(y: number): void {
    const buf = this.buf;
    const n = this.window;
    let s = 0;
    for (let i = 0; i < n; i++) {
      const v = buf[i] - y;
      buf[i] = v;
      s += v;
    }
    this.shift += y;
    const mean = s / n;
    let m2 = 0;
    for (let i = 0; i < n; i++) {
      const d = buf[i] - mean;
      m2 += d * d;
    }
    this.meanY = mean;
    this.m2 = m2;
  }

  variance(sample: boolean): number {
    const d = sample ? this.count - 1 : this.count;
    return d > 0 ? this.m2 / d : Number.NaN;
  }

  reset(): void {
    this.buf.fill(0);
    this.head = 0;
    this.count = 0;
    this.run = 0;
    this.last = Number.NaN;
    this.meanY = 0;
    this.shift = 0;
    this.m2 = 0;
  }
}

export interface VarianceOptions {
  /** Window length, integer >= 1 (>= 2 when `sample`). Default 20. */
  period: number;
  /** Divide by N − 1 instead of N. Default false (population). */
  sample: boolean;
}

function varianceOptions(name: string, options: Partial<VarianceOptions>): VarianceOptions {
  const sample = boolParam(name, "sample", options.sample ?? false);
  const period = intParam(name, "period", options.period ?? 20, sample ? 2 : 1);
  return { period, sample };
}

/** Rolling variance. Warm-up: `period − 1` bars. */
export class Variance {
  readonly period: number;
  readonly sample: boolean;
  readonly warmup: number;
  /** Current value; NaN until ready. */
  value = Number.NaN;
  /** Current window mean. */
  mean = Number.NaN;
  private readonly m: RollingMoments;

  constructor(options: Partial<VarianceOptions> = {}) {
    const o = varianceOptions("var", options);
    this.period = o.period;
    this.sample = o.sample;
    this.m = new RollingMoments(this.period);
    this.warmup = this.period - 1;
  }

  get isReady(): boolean {
    return this.m.full;
  }

  update(x: number): number {
    if (!Number.isFinite(x)) badInput("var", "close", x);
    this.m.push(x);
    if (!this.m.full) return Number.NaN;
    this.mean = this.m.mean;
    this.value = this.m.variance(this.sample);
    return this.value;
  }

  reset(): void {
    this.m.reset();
    this.value = Number.NaN;
    this.mean = Number.NaN;
  }
}

/** Batch rolling variance; NaN where not yet defined. */
export function variance(close: ArrayLike<number>, options?: Partial<VarianceOptions>): Float64Array {
  const ind = new Variance(options);
  const n = close.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(close[i]);
  return out;
}

export type StdDevOptions = VarianceOptions;

/** Rolling standard deviation. Warm-up: `period − 1` bars. */
export class StdDev {
  readonly period: number;
  readonly sample: boolean;
  readonly warmup: number;
  /** Current value; NaN until ready. */
  value = Number.NaN;
  /** Current window mean. */
  mean = Number.NaN;
  private readonly m: RollingMoments;

  constructor(options: Partial<StdDevOptions> = {}) {
    const o = varianceOptions("stddev", options);
    this.period = o.period;
    this.sample = o.sample;
    this.m = new RollingMoments(this.period);
    this.warmup = this.period - 1;
  }

  get isReady(): boolean {
    return this.m.full;
  }

  update(x: number): number {
    if (!Number.isFinite(x)) badInput("stddev", "close", x);
    this.m.push(x);
    if (!this.m.full) return Number.NaN;
    this.mean = this.m.mean;
    this.value = Math.sqrt(this.m.variance(this.sample));
    return this.value;
  }

  reset(): void {
    this.m.reset();
    this.value = Number.NaN;
    this.mean = Number.NaN;
  }
}

/** Batch rolling standard deviation; NaN where not yet defined. */
export function stdDev(close: ArrayLike<number>, options?: Partial<StdDevOptions>): Float64Array {
  const ind = new StdDev(options);
  const n = close.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(close[i]);
  return out;
}

export type ZScoreOptions = VarianceOptions;

/**
 * Rolling z-score (x − mean)/σ over the last `period` values, including x itself; 0 when
 * σ = 0. Warm-up: `period − 1` bars.
 */
export class ZScore {
  readonly period: number;
  readonly sample: boolean;
  readonly warmup: number;
  /** Current value; NaN until ready. */
  value = Number.NaN;
  private readonly m: RollingMoments;

  constructor(options: Partial<ZScoreOptions> = {}) {
    const o = varianceOptions("zscore", options);
    this.period = o.period;
    this.sample = o.sample;
    this.m = new RollingMoments(this.period);
    this.warmup = this.period - 1;
  }

  get isReady(): boolean {
    return this.m.full;
  }

  update(x: number): number {
    if (!Number.isFinite(x)) badInput("zscore", "close", x);
    this.m.push(x);
    if (!this.m.full) return Number.NaN;
    const sd = Math.sqrt(this.m.variance(this.sample));
    this.value = sd === 0 ? 0 : (x - this.m.mean) / sd;
    return this.value;
  }

  reset(): void {
    this.m.reset();
    this.value = Number.NaN;
  }
}

/** Batch rolling z-score; NaN where not yet defined. */
export function zScore(close: ArrayLike<number>, options?: Partial<ZScoreOptions>): Float64Array {
  const ind = new ZScore(options);
  const n = close.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(close[i]);
  return out;
}

export interface LinRegOptions {
  /** Window length N, integer >= 2. Default 14. */
  period: number;
}

/**
 * Least-squares line through the last N values against x = 0..N−1 (oldest..newest).
 * Outputs `slope` (per bar; TA-Lib `LINEARREG_SLOPE`), `intercept` at the oldest bar and
 * `endpoint` = intercept + slope·(N−1), the fitted value at the newest bar (TA-Lib
 * `LINEARREG`). Sums are kept relative to a recent input to limit cancellation, updated in
 * O(1) (`W' = W − S + y_old + (N−1)·y`, `S' = S − y_old + y`) and recomputed exactly once per
 * window (amortised O(1)). Warm-up: `period − 1` bars.
 */
export class LinRegSlope {
  readonly period: number;
  readonly warmup: number;
  /** Slope per bar; NaN until ready. */
  slope = Number.NaN;
  /** Fitted value at the oldest bar of the window. */
  intercept = Number.NaN;
  /** Fitted value at the newest bar. */
  endpoint = Number.NaN;
  private readonly buf: Float64Array;
  private readonly sumX: number;
  private readonly divisor: number;
  private head = 0;
  private count = 0;
  private shift = 0;
  private s = 0;
  private w = 0;

  constructor(options: Partial<LinRegOptions> = {}) {
    this.period = intParam("linreg_slope", "period", options.period ?? 14, 2);
    const n = this.period;
    this.buf = new Float64Array(n);
    this.sumX = (n * (n - 1)) / 2;
    const sumXSqr = (n * (n - 1) * (2 * n - 1)) / 6;
    this.divisor = n * sumXSqr - this.sumX * this.sumX;
    this.warmup = n - 1;
  }

  get isReady(): boolean {
    return this.count >= this.period;
  }

  /** Feeds a value; returns the slope. */
  update(x: number): number {
    if (!Number.isFinite(x)) badInput("linreg_slope", "close", x);
    const n = this.period;
    if (this.count === 0) this.shift = x;
    const y = x - this.shift;
    const h = this.head;
    if (this.count < n) {
      this.w += this.count * y;
      this.s += y;
      this.buf[h] = y;
      this.head = h + 1 === n ? 0 : h + 1;
      if (++this.count < n) return Number.NaN;
    } else {
      const old = this.buf[h];
      this.w += old - this.s + (n - 1) * y;
      this.s += y - old;
      this.buf[h] = y;
      this.head = h + 1 === n ? 0 : h + 1;
      if (this.head === 0) this.resync();
    }
    const slope = (n * this.w - this.sumX * this.s) / this.divisor;
    const intercept = (this.s - slope * this.sumX) / n;
    this.slope = slope;
    this.intercept = intercept + this.shift;
    this.endpoint = this.intercept + slope * (n - 1);
    return slope;
  }

  /**
   * Once per window (when the ring wraps, oldest value at index 0): re-centre the stored values
   * on the newest one and recompute S and W exactly, so neither drift nor a price that moved
   * far from the first input can erode precision. Amortised O(1).
   */
  private resync(): void {
    const n = this.period;
    const buf = this.buf;
    const delta = buf[n - 1];
    let s = 0;
    let w = 0;
    for (let j = 0; j < n; j++) {
      const y = buf[j] - delta;
      buf[j] = y;
      s += y;
      w += j * y;
    }
    this.shift += delta;
    this.s = s;
    this.w = w;
  }

  reset(): void {
    this.buf.fill(0);
    this.head = 0;
    this.count = 0;
    this.shift = 0;
    this.s = 0;
    this.w = 0;
    this.slope = Number.NaN;
    this.intercept = Number.NaN;
    this.endpoint = Number.NaN;
  }
}

/** Batch linear-regression slope; NaN where not yet defined. */
export function linRegSlope(close: ArrayLike<number>, options?: Partial<LinRegOptions>): Float64Array {
  const ind = new LinRegSlope(options);
  const n = close.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(close[i]);
  return out;
}
