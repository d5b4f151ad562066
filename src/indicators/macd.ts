/**
 * MACD and its percentage forms PPO (on prices) and PVO (on volume).
 *
 * line = EMA_fast − EMA_slow (MACD) or 100·(EMA_fast − EMA_slow)/EMA_slow (PPO, PVO; 0 when
 * EMA_slow is 0); signal = EMA(line, signal); histogram = line − signal.
 *
 * Seeding (`seed`):
 * - `"sma"` (default): each EMA is seeded with the SMA of its own first inputs (talipp,
 *   technicalindicators, TA-Lib `PPO`/`APO` with MA type EMA). The line starts at index
 *   slow−1, the signal at slow+signal−2.
 * - `"talib"`: as `"sma"`, but the fast EMA starts `slow − fast` bars late so that both EMAs
 *   are seeded at index slow−1 (TA-Lib `MACD`, `MACDFIX`).
 * - `"first"`: EMAs seeded with the first input; line and signal start at index slow−1, the
 *   signal seeded with the first line value (Tulip `macd`).
 *
 * The seeds only differ in the first few dozen bars: after ~10·slow bars the three agree to
 * machine precision. `isReady` is true once the signal is defined; the line is available
 * `signal − 1` bars earlier.
 */
import { IndicatorError } from "./errors.js";
import { EMA } from "./ma.js";
import { badInput, boolParam, checkVolume, enumParam, intParam, requireLess } from "./validate.js";

export type MacdSeed = "sma" | "talib" | "first";
export const MACD_SEEDS: readonly MacdSeed[] = ["sma", "talib", "first"];

export interface MACDOptions {
  /** Fast EMA period, integer >= 1, must be < `slow`. Default 12. */
  fast: number;
  /** Slow EMA period. Default 26. */
  slow: number;
  /** Signal EMA period, integer >= 1. Default 9. */
  signal: number;
  /** Seeding convention, see module doc. Default `"sma"`. */
  seed: MacdSeed;
  /**
   * Use Appel's rounded smoothing constants α = 0.15 (fast) and 0.075 (slow) instead of
   * 2/(N+1); requires fast = 12 and slow = 26 (TA-Lib `MACDFIX`, Tulip `macd` 12/26).
   * Default false.
   */
  fixedAlphas: boolean;
}

/** Shared engine of MACD/PPO/PVO. Unvalidated input. @internal */
class OscillatorCore {
  readonly fastPeriod: number;
  readonly slowPeriod: number;
  readonly signalPeriod: number;
  readonly warmup: number;
  line = Number.NaN;
  signal = Number.NaN;
  histogram = Number.NaN;
  private readonly percent: boolean;
  private readonly fast: EMA;
  private readonly slow: EMA;
  private readonly sig: EMA;
  private readonly fastStart: number;
  private count = 0;
  private ready = false;

  constructor(name: string, options: Partial<MACDOptions>, percent: boolean) {
    this.fastPeriod = intParam(name, "fast", options.fast ?? 12, 1);
    this.slowPeriod = intParam(name, "slow", options.slow ?? 26, 1);
    this.signalPeriod = intParam(name, "signal", options.signal ?? 9, 1);
    requireLess(name, "fast", this.fastPeriod, "slow", this.slowPeriod);
    const seed = enumParam(name, "seed", options.seed ?? "sma", MACD_SEEDS);
    const emaSeed = seed === "first" ? "first" : "sma";
    const fixed = boolParam(name, "fixedAlphas", options.fixedAlphas ?? false);
    if (fixed && (this.fastPeriod !== 12 || this.slowPeriod !== 26)) {
      throw new IndicatorError(
        "INVALID_PARAMETER",
        name,
        "fixedAlphas",
        fixed,
        `parameter "fixedAlphas" requires fast = 12 and slow = 26, got ${this.fastPeriod}/${this.slowPeriod}`,
      );
    }
    this.percent = percent;
    this.fast = new EMA({ period: this.fastPeriod, seed: emaSeed, ...(fixed ? { alpha: 0.15 } : {}) });
    this.slow = new EMA({ period: this.slowPeriod, seed: emaSeed, ...(fixed ? { alpha: 0.075 } : {}) });
    this.sig = new EMA({ period: this.signalPeriod, seed: emaSeed });
    this.fastStart = seed === "talib" ? this.slowPeriod - this.fastPeriod : 0;
    this.warmup = this.slowPeriod - 1 + (emaSeed === "sma" ? this.signalPeriod - 1 : 0);
  }

  get isReady(): boolean {
    return this.sig.isReady && this.count >= this.slowPeriod;
  }

  step(x: number): void {
    if (this.ready) {
      // Hot path once every stage is seeded: the EMA recurrences inline (same arithmetic as
      // EMA.update, so results are bit-identical), without re-validating the input.
      const fast = this.fast;
      const slow = this.slow;
      const sig = this.sig;
      const f = (x - fast.value) * fast.alpha + fast.value;
      const s = (x - slow.value) * slow.alpha + slow.value;
      fast.value = f;
      slow.value = s;
      const line = this.percent ? (s === 0 ? 0 : ((f - s) / s) * 100) : f - s;
      const g = (line - sig.value) * sig.alpha + sig.value;
      sig.value = g;
      this.line = line;
      this.signal = g;
      this.histogram = line - g;
      return;
    }
    this.ready = this.isReady;
    const i = this.count;
    if (i < this.slowPeriod) this.count = i + 1;
    const s = this.slow.update(x);
    const f = i >= this.fastStart ? this.fast.update(x) : Number.NaN;
    if (i < this.slowPeriod - 1) return;
    const line = this.percent ? (s === 0 ? 0 : ((f - s) / s) * 100) : f - s;
    this.line = line;
    const sig = this.sig.update(line);
    this.signal = sig;
    this.histogram = line - sig;
  }

  reset(): void {
    this.fast.reset();
    this.slow.reset();
    this.sig.reset();
    this.count = 0;
    this.ready = false;
    this.line = Number.NaN;
    this.signal = Number.NaN;
    this.histogram = Number.NaN;
  }
}

/** Moving average convergence/divergence. Warm-up (signal): `slow + signal − 2` bars. */
export class MACD {
  readonly fast: number;
  readonly slow: number;
  readonly signalPeriod: number;
  readonly warmup: number;
  /** MACD line; NaN until index slow−1. */
  macd = Number.NaN;
  /** Signal line; NaN until ready. */
  signal = Number.NaN;
  /** Histogram = macd − signal; NaN until ready. */
  histogram = Number.NaN;
  private readonly core: OscillatorCore;

  constructor(options: Partial<MACDOptions> = {}) {
    this.core = new OscillatorCore("macd", options, false);
    this.fast = this.core.fastPeriod;
    this.slow = this.core.slowPeriod;
    this.signalPeriod = this.core.signalPeriod;
    this.warmup = this.core.warmup;
  }

  get isReady(): boolean {
    return this.core.isReady;
  }

  /** Feeds a close; returns the MACD line. */
  update(x: number): number {
    if (!Number.isFinite(x)) badInput("macd", "close", x);
    const c = this.core;
    c.step(x);
    this.macd = c.line;
    this.signal = c.signal;
    this.histogram = c.histogram;
    return this.macd;
  }

  reset(): void {
    this.core.reset();
    this.macd = Number.NaN;
    this.signal = Number.NaN;
    this.histogram = Number.NaN;
  }
}

export type MACDSeries = {
  macd: Float64Array;
  signal: Float64Array;
  histogram: Float64Array;
};

/** Batch MACD; NaN where not yet defined. */
export function macd(close: ArrayLike<number>, options?: Partial<MACDOptions>): MACDSeries {
  const ind = new MACD(options);
  const n = close.length;
  const out = { macd: new Float64Array(n), signal: new Float64Array(n), histogram: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    out.macd[i] = ind.update(close[i]);
    out.signal[i] = ind.signal;
    out.histogram[i] = ind.histogram;
  }
  return out;
}

export type PPOOptions = MACDOptions;

/**
 * Percentage price oscillator: 100·(EMA_fast − EMA_slow)/EMA_slow with signal and histogram.
 * Same seeding conventions and warm-up as {@link MACD}.
 */
export class PPO {
  readonly warmup: number;
  /** PPO line (percent); NaN until index slow−1. */
  ppo = Number.NaN;
  /** Signal line; NaN until ready. */
  signal = Number.NaN;
  /** Histogram = ppo − signal. */
  histogram = Number.NaN;
  private readonly core: OscillatorCore;

  constructor(options: Partial<PPOOptions> = {}) {
    this.core = new OscillatorCore("ppo", options, true);
    this.warmup = this.core.warmup;
  }

  get isReady(): boolean {
    return this.core.isReady;
  }

  /** Feeds a close; returns the PPO line. */
  update(x: number): number {
    if (!Number.isFinite(x)) badInput("ppo", "close", x);
    const c = this.core;
    c.step(x);
    this.ppo = c.line;
    this.signal = c.signal;
    this.histogram = c.histogram;
    return this.ppo;
  }

  reset(): void {
    this.core.reset();
    this.ppo = Number.NaN;
    this.signal = Number.NaN;
    this.histogram = Number.NaN;
  }
}

export type PPOSeries = {
  ppo: Float64Array;
  signal: Float64Array;
  histogram: Float64Array;
};

/** Batch PPO; NaN where not yet defined. */
export function ppo(close: ArrayLike<number>, options?: Partial<PPOOptions>): PPOSeries {
  const ind = new PPO(options);
  const n = close.length;
  const out = { ppo: new Float64Array(n), signal: new Float64Array(n), histogram: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    out.ppo[i] = ind.update(close[i]);
    out.signal[i] = ind.signal;
    out.histogram[i] = ind.histogram;
  }
  return out;
}

export type PVOOptions = MACDOptions;

/**
 * Percentage volume oscillator: the PPO of volume, 100·(EMA_fast(v) − EMA_slow(v))/EMA_slow(v)
 * (0 while the slow average is 0). Same seeding conventions and warm-up as {@link MACD}.
 */
export class PVO {
  readonly warmup: number;
  /** PVO line (percent); NaN until index slow−1. */
  pvo = Number.NaN;
  /** Signal line; NaN until ready. */
  signal = Number.NaN;
  /** Histogram = pvo − signal. */
  histogram = Number.NaN;
  private readonly core: OscillatorCore;

  constructor(options: Partial<PVOOptions> = {}) {
    this.core = new OscillatorCore("pvo", options, true);
    this.warmup = this.core.warmup;
  }

  get isReady(): boolean {
    return this.core.isReady;
  }

  /** Feeds a bar's volume; returns the PVO line. */
  update(volume: number): number {
    checkVolume("pvo", volume);
    const c = this.core;
    c.step(volume);
    this.pvo = c.line;
    this.signal = c.signal;
    this.histogram = c.histogram;
    return this.pvo;
  }

  reset(): void {
    this.core.reset();
    this.pvo = Number.NaN;
    this.signal = Number.NaN;
    this.histogram = Number.NaN;
  }
}

export type PVOSeries = {
  pvo: Float64Array;
  signal: Float64Array;
  histogram: Float64Array;
};

/** Batch PVO; NaN where not yet defined. */
export function pvo(volume: ArrayLike<number>, options?: Partial<PVOOptions>): PVOSeries {
  const ind = new PVO(options);
  const n = volume.length;
  const out = { pvo: new Float64Array(n), signal: new Float64Array(n), histogram: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    out.pvo[i] = ind.update(volume[i]);
    out.signal[i] = ind.signal;
    out.histogram[i] = ind.histogram;
  }
  return out;
}
