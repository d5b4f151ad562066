/**
 * Accumulation/distribution family, built on the close location value
 * CLV = ((C − L) − (H − C))/(H − L) (0 when H = L) and money-flow volume MFV = CLV·volume:
 * - {@link AccumulationDistribution}: cumulative ΣMFV from the first bar (TA-Lib `AD`, Tulip
 *   `ad`); defined from the first bar.
 * - {@link ChaikinMoneyFlow}: ΣMFV/Σvolume over N bars (0 when Σvolume = 0); warm-up N−1.
 * - {@link ChaikinOscillator}: EMA_fast(AD) − EMA_slow(AD) with both EMAs seeded by the first
 *   AD value and output from index slow−1 (TA-Lib `ADOSC`, Tulip `adosc`).
 */
import { EMA } from "./ma.js";
import { RollingSum } from "./ring.js";
import { checkColumns, checkHLC, checkVolume, intParam, requireLess } from "./validate.js";

function moneyFlowVolume(high: number, low: number, close: number, volume: number): number {
  const range = high - low;
  return range > 0 ? ((close - low - (high - close)) / range) * volume : 0;
}

/** Accumulation/distribution line. */
export class AccumulationDistribution {
  readonly warmup = 0;
  /** Current value; NaN before the first bar. */
  value = Number.NaN;
  private ad = 0;

  get isReady(): boolean {
    return !Number.isNaN(this.value);
  }

  update(high: number, low: number, close: number, volume: number): number {
    checkHLC("ad", high, low, close);
    checkVolume("ad", volume);
    this.ad += moneyFlowVolume(high, low, close, volume);
    this.value = this.ad;
    return this.value;
  }

  reset(): void {
    this.ad = 0;
    this.value = Number.NaN;
  }
}

/** Batch A/D line. */
export function accumulationDistribution(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  volume: ArrayLike<number>,
): Float64Array {
  const n = checkColumns("ad", { high, low, close, volume });
  const ind = new AccumulationDistribution();
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(high[i], low[i], close[i], volume[i]);
  return out;
}

export interface ChaikinMoneyFlowOptions {
  /** Window length N, integer >= 1. Default 20. */
  period: number;
}

/** Chaikin money flow in [−1, 1]. Warm-up: `period − 1` bars. */
export class ChaikinMoneyFlow {
  readonly period: number;
  readonly warmup: number;
  /** Current value; NaN until ready. */
  value = Number.NaN;
  private readonly mfv: RollingSum;
  private readonly vol: RollingSum;

  constructor(options: Partial<ChaikinMoneyFlowOptions> = {}) {
    this.period = intParam("cmf", "period", options.period ?? 20, 1);
    this.mfv = new RollingSum(this.period);
    this.vol = new RollingSum(this.period);
    this.warmup = this.period - 1;
  }

  get isReady(): boolean {
    return this.vol.full;
  }

  update(high: number, low: number, close: number, volume: number): number {
    checkHLC("cmf", high, low, close);
    checkVolume("cmf", volume);
    const s = this.mfv.push(moneyFlowVolume(high, low, close, volume));
    const v = this.vol.push(volume);
    if (!this.vol.full) return Number.NaN;
    this.value = v === 0 ? 0 : s / v;
    return this.value;
  }

  reset(): void {
    this.mfv.reset();
    this.vol.reset();
    this.value = Number.NaN;
  }
}

/** Batch CMF; NaN where not yet defined. */
export function chaikinMoneyFlow(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  volume: ArrayLike<number>,
  options?: Partial<ChaikinMoneyFlowOptions>,
): Float64Array {
  const n = checkColumns("cmf", { high, low, close, volume });
  const ind = new ChaikinMoneyFlow(options);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(high[i], low[i], close[i], volume[i]);
  return out;
}

export interface ChaikinOscillatorOptions {
  /** Fast EMA period. Default 3. */
  fast: number;
  /** Slow EMA period; must exceed `fast`. Default 10. */
  slow: number;
}

/** Chaikin oscillator. Warm-up: `slow − 1` bars. */
export class ChaikinOscillator {
  readonly warmup: number;
  /** Current value; NaN until ready. */
  value = Number.NaN;
  private readonly fast: EMA;
  private readonly slow: EMA;
  private readonly slowPeriod: number;
  private ad = 0;
  private count = 0;

  constructor(options: Partial<ChaikinOscillatorOptions> = {}) {
    const fast = intParam("adosc", "fast", options.fast ?? 3, 1);
    this.slowPeriod = intParam("adosc", "slow", options.slow ?? 10, 1);
    requireLess("adosc", "fast", fast, "slow", this.slowPeriod);
    this.fast = new EMA({ period: fast, seed: "first" });
    this.slow = new EMA({ period: this.slowPeriod, seed: "first" });
    this.warmup = this.slowPeriod - 1;
  }

  get isReady(): boolean {
    return this.count >= this.slowPeriod;
  }

  update(high: number, low: number, close: number, volume: number): number {
    checkHLC("adosc", high, low, close);
    checkVolume("adosc", volume);
    this.ad += moneyFlowVolume(high, low, close, volume);
    const f = this.fast.update(this.ad);
    const s = this.slow.update(this.ad);
    if (this.count < this.slowPeriod) {
      if (++this.count < this.slowPeriod) return Number.NaN;
    }
    this.value = f - s;
    return this.value;
  }

  reset(): void {
    this.fast.reset();
    this.slow.reset();
    this.ad = 0;
    this.count = 0;
    this.value = Number.NaN;
  }
}

/** Batch Chaikin oscillator; NaN where not yet defined. */
export function chaikinOscillator(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  volume: ArrayLike<number>,
  options?: Partial<ChaikinOscillatorOptions>,
): Float64Array {
  const n = checkColumns("adosc", { high, low, close, volume });
  const ind = new ChaikinOscillator(options);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(high[i], low[i], close[i], volume[i]);
  return out;
}
