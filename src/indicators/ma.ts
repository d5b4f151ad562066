/**
 * Basic moving averages: SMA, EMA, WMA and Wilder's RMA, plus the internal
 * {@link MovingAverage} used by composite indicators whose smoothing type is a parameter.
 *
 * Conventions shared by every indicator in this package:
 * - `update()` validates its inputs (finite numbers) before touching any state, so a
 *   rejected bar leaves the indicator unchanged.
 * - `update()` returns the primary output, NaN until the indicator is ready.
 * - `warmup` is the number of bars consumed before the first value appears: the first
 *   defined output is produced by update number `warmup + 1` (0-based index `warmup`).
 */
import { badInput, enumParam, intParam, numParam } from "./validate.js";

/** How an exponential average gets its first value. */
export type EmaSeed = "sma" | "first";
export const EMA_SEEDS: readonly EmaSeed[] = ["sma", "first"];

// ---------------------------------------------------------------------------------------------
// SMA

export interface SMAOptions {
  /** Window length, integer >= 1. Default 20. */
  period: number;
}

/**
 * Simple moving average: arithmetic mean of the last `period` values, kept as a running sum
 * over a ring buffer (O(1) per update).
 *
 * Warm-up: `period - 1` bars (first value at index `period - 1`). Matches TA-Lib `SMA`,
 * talipp `SMA`, Tulip `sma`.
 */
export class SMA {
  readonly period: number;
  readonly warmup: number;
  /** Current value; NaN until ready. */
  value = Number.NaN;
  private readonly buf: Float64Array;
  private head = 0;
  private count = 0;
  private sum = 0;

  constructor(options: Partial<SMAOptions> = {}) {
    this.period = intParam("sma", "period", options.period ?? 20, 1);
    this.warmup = this.period - 1;
    this.buf = new Float64Array(this.period);
  }

  get isReady(): boolean {
    return this.count >= this.period;
  }

  update(x: number): number {
    if (!Number.isFinite(x)) badInput("sma", "close", x);
    const buf = this.buf;
    const h = this.head;
    const old = buf[h];
    buf[h] = x;
    this.head = h + 1 === this.period ? 0 : h + 1;
    if (this.count < this.period) {
      this.sum += x;
      if (++this.count < this.period) return Number.NaN;
    } else {
      this.sum += x - old;
    }
    this.value = this.sum / this.period;
    return this.value;
  }

  reset(): void {
    this.buf.fill(0);
    this.head = 0;
    this.count = 0;
    this.sum = 0;
    this.value = Number.NaN;
  }
}

/** Batch SMA; NaN where not yet defined. */
export function sma(close: ArrayLike<number>, options?: Partial<SMAOptions>): Float64Array {
  const ind = new SMA(options);
  const n = close.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(close[i]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// EMA

export interface EMAOptions {
  /** Period N, integer >= 1; smoothing factor α = 2/(N+1). Default 20. */
  period: number;
  /**
   * `"sma"` (default): the first value is the SMA of the first N inputs, at index N−1
   * (TA-Lib, talipp). `"first"`: the first input is the first value, at index 0 (Tulip).
   */
  seed: EmaSeed;
  /**
   * Overrides the smoothing factor α (0 < α <= 1) instead of deriving it from `period`; the
   * period still sets the SMA seed length. Used for Appel's rounded MACD constants.
   */
  alpha?: number;
}

/**
 * Exponential moving average, α = 2/(period+1): `ema += α·(x − ema)`.
 *
 * Warm-up: `period − 1` bars with `seed: "sma"`, 0 with `seed: "first"`.
 */
export class EMA {
  readonly period: number;
  readonly seed: EmaSeed;
  readonly alpha: number;
  readonly warmup: number;
  /** Current value; NaN until ready. */
  value = Number.NaN;
  private readonly seedLength: number;
  private count = 0;
  private sum = 0;
  private ready = false;

  constructor(options: Partial<EMAOptions> = {}) {
    this.period = intParam("ema", "period", options.period ?? 20, 1);
    this.seed = enumParam("ema", "seed", options.seed ?? "sma", EMA_SEEDS);
    this.alpha =
      options.alpha === undefined
        ? 2 / (this.period + 1)
        : numParam("ema", "alpha", options.alpha, 0, 1, true);
    this.seedLength = this.seed === "sma" ? this.period : 1;
    this.warmup = this.seedLength - 1;
  }

  get isReady(): boolean {
    return this.ready;
  }

  update(x: number): number {
    if (!Number.isFinite(x)) badInput("ema", "close", x);
    if (this.ready) {
      // TA-Lib's arithmetic form, so that results are bit-identical to TA-Lib's EMA.
      const v = (x - this.value) * this.alpha + this.value;
      this.value = v;
      return v;
    }
    return this.seedStep(x);
  }

  private seedStep(x: number): number {
    this.sum += x;
    if (++this.count < this.seedLength) return Number.NaN;
    this.ready = true;
    this.value = this.sum / this.seedLength;
    return this.value;
  }

  reset(): void {
    this.count = 0;
    this.sum = 0;
    this.ready = false;
    this.value = Number.NaN;
  }
}

/** Batch EMA; NaN where not yet defined. */
export function ema(close: ArrayLike<number>, options?: Partial<EMAOptions>): Float64Array {
  const ind = new EMA(options);
  const n = close.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(close[i]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// RMA (Wilder)

export interface RMAOptions {
  /** Period N, integer >= 1; smoothing factor α = 1/N. Default 14. */
  period: number;
}

/**
 * Wilder's moving average (RMA, SMMA, Tulip `wilders`): seeded with the SMA of the first N
 * values, then `rma = (rma·(N−1) + x)/N`. This is the smoothing used by Wilder's RSI, ATR
 * and ADX. Warm-up: `period − 1` bars.
 */
export class RMA {
  readonly period: number;
  readonly warmup: number;
  /** Current value; NaN until ready. */
  value = Number.NaN;
  private count = 0;
  private sum = 0;

  constructor(options: Partial<RMAOptions> = {}) {
    this.period = intParam("rma", "period", options.period ?? 14, 1);
    this.warmup = this.period - 1;
  }

  get isReady(): boolean {
    return this.count >= this.period;
  }

  update(x: number): number {
    if (!Number.isFinite(x)) badInput("rma", "close", x);
    if (this.count >= this.period) {
      this.value = (this.value * (this.period - 1) + x) / this.period;
      return this.value;
    }
    this.sum += x;
    if (++this.count < this.period) return Number.NaN;
    this.value = this.sum / this.period;
    return this.value;
  }

  reset(): void {
    this.count = 0;
    this.sum = 0;
    this.value = Number.NaN;
  }
}

/** Batch RMA; NaN where not yet defined. */
export function rma(close: ArrayLike<number>, options?: Partial<RMAOptions>): Float64Array {
  const ind = new RMA(options);
  const n = close.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(close[i]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// WMA

export interface WMAOptions {
  /** Window length N, integer >= 1; weights 1..N (newest heaviest). Default 20. */
  period: number;
}

/**
 * Linearly weighted moving average: Σ j·x_j / (N(N+1)/2), newest weight N. The weighted sum
 * is updated in O(1): `W' = W − S + N·x`, `S' = S − x_old + x`.
 *
 * Warm-up: `period − 1` bars. Matches TA-Lib `WMA`, Tulip `wma`.
 */
export class WMA {
  readonly period: number;
  readonly warmup: number;
  /** Current value; NaN until ready. */
  value = Number.NaN;
  private readonly buf: Float64Array;
  private readonly divisor: number;
  private head = 0;
  private count = 0;
  private sum = 0;
  private weighted = 0;

  constructor(options: Partial<WMAOptions> = {}) {
    this.period = intParam("wma", "period", options.period ?? 20, 1);
    this.warmup = this.period - 1;
    this.buf = new Float64Array(this.period);
    this.divisor = (this.period * (this.period + 1)) / 2;
  }

  get isReady(): boolean {
    return this.count >= this.period;
  }

  update(x: number): number {
    if (!Number.isFinite(x)) badInput("wma", "close", x);
    const n = this.period;
    const buf = this.buf;
    const h = this.head;
    const old = buf[h];
    buf[h] = x;
    this.head = h + 1 === n ? 0 : h + 1;
    if (this.count < n) {
      this.count++;
      this.sum += x;
      this.weighted += this.count * x;
      if (this.count < n) return Number.NaN;
    } else {
      this.weighted += n * x - this.sum;
      this.sum += x - old;
    }
    this.value = this.weighted / this.divisor;
    return this.value;
  }

  reset(): void {
    this.buf.fill(0);
    this.head = 0;
    this.count = 0;
    this.sum = 0;
    this.weighted = 0;
    this.value = Number.NaN;
  }
}

/** Batch WMA; NaN where not yet defined. */
export function wma(close: ArrayLike<number>, options?: Partial<WMAOptions>): Float64Array {
  const ind = new WMA(options);
  const n = close.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(close[i]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Internal: moving average with a runtime-selected kind (monomorphic, no virtual dispatch).

/** Smoothing kinds available to composite indicators. */
export type MAType = "sma" | "ema" | "rma";
export const MA_TYPES: readonly MAType[] = ["sma", "ema", "rma"];

/**
 * A moving average whose kind is chosen at construction. Unvalidated: callers validate their
 * own inputs. Used for the smoothing stages of Stochastic, Stochastic RSI, etc.
 * @internal
 */
export class MovingAverage {
  readonly kind: MAType;
  readonly period: number;
  value = Number.NaN;
  private readonly buf: Float64Array;
  private readonly alpha: number;
  private head = 0;
  private count = 0;
  private sum = 0;

  constructor(kind: MAType, period: number) {
    this.kind = kind;
    this.period = period;
    this.buf = new Float64Array(kind === "sma" ? period : 1);
    this.alpha = kind === "ema" ? 2 / (period + 1) : 1 / period;
  }

  get isReady(): boolean {
    return this.count >= this.period;
  }

  update(x: number): number {
    const n = this.period;
    if (this.kind === "sma") {
      const buf = this.buf;
      const h = this.head;
      const old = buf[h];
      buf[h] = x;
      this.head = h + 1 === n ? 0 : h + 1;
      if (this.count < n) {
        this.sum += x;
        if (++this.count < n) return Number.NaN;
      } else {
        this.sum += x - old;
      }
      this.value = this.sum / n;
      return this.value;
    }
    if (this.count >= n) {
      if (this.kind === "ema") this.value = (x - this.value) * this.alpha + this.value;
      else this.value = (this.value * (n - 1) + x) / n;
      return this.value;
    }
    this.sum += x;
    if (++this.count < n) return Number.NaN;
    this.value = this.sum / n;
    return this.value;
  }

  reset(): void {
    this.buf.fill(0);
    this.head = 0;
    this.count = 0;
    this.sum = 0;
    this.value = Number.NaN;
  }
}
