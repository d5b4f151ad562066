/**
 * Schaff trend cycle (Schaff's original double-stochastic form):
 * m = EMA_fast − EMA_slow; k1 = 100·(m − min m)/(max m − min m) over `cycle` bars;
 * d1 = d1 + factor·(k1 − d1); k2 = stochastic of d1 over `cycle` bars; STC = STC + factor·(k2 − STC).
 * The first smoothed values are seeded with the first raw values; when a range is zero the
 * previous raw value is kept (50 if there is none). EMAs follow {@link EMA} seeding.
 * Warm-up (`seed: "sma"`): `slow − 1 + 2(cycle − 1)` bars. Output in [0, 100].
 */
import { EMA, EMA_SEEDS, type EmaSeed } from "./ma.js";
import { RollingMax, RollingMin } from "./ring.js";
import { badInput, enumParam, intParam, numParam, requireLess } from "./validate.js";

export interface SchaffTrendCycleOptions {
  /** Fast EMA period. Default 23. */
  fast: number;
  /** Slow EMA period; must exceed `fast`. Default 50. */
  slow: number;
  /** Stochastic look-back ("cycle"), integer >= 1. Default 10. */
  cycle: number;
  /** Smoothing factor in (0, 1]. Default 0.5. */
  factor: number;
  /** EMA seeding. Default `"sma"`. */
  seed: EmaSeed;
}

export class SchaffTrendCycle {
  readonly warmup: number;
  /** Current value in [0, 100]; NaN until ready. */
  value = Number.NaN;
  private readonly fast: EMA;
  private readonly slow: EMA;
  private readonly cycle: number;
  private readonly factor: number;
  private readonly maxM: RollingMax;
  private readonly minM: RollingMin;
  private readonly maxD: RollingMax;
  private readonly minD: RollingMin;
  private countM = 0;
  private countD = 0;
  private k1 = 50;
  private d1 = Number.NaN;
  private k2 = 50;

  constructor(options: Partial<SchaffTrendCycleOptions> = {}) {
    const fast = intParam("stc", "fast", options.fast ?? 23, 1);
    const slow = intParam("stc", "slow", options.slow ?? 50, 1);
    requireLess("stc", "fast", fast, "slow", slow);
    this.cycle = intParam("stc", "cycle", options.cycle ?? 10, 1);
    this.factor = numParam("stc", "factor", options.factor ?? 0.5, 0, 1, true);
    const seed = enumParam("stc", "seed", options.seed ?? "sma", EMA_SEEDS);
    this.fast = new EMA({ period: fast, seed });
    this.slow = new EMA({ period: slow, seed });
    this.maxM = new RollingMax(this.cycle);
    this.minM = new RollingMin(this.cycle);
    this.maxD = new RollingMax(this.cycle);
    this.minD = new RollingMin(this.cycle);
    this.warmup = this.slow.warmup + 2 * (this.cycle - 1);
  }

  get isReady(): boolean {
    return !Number.isNaN(this.value);
  }

  update(x: number): number {
    if (!Number.isFinite(x)) badInput("stc", "close", x);
    const f = this.fast.update(x);
    const s = this.slow.update(x);
    if (Number.isNaN(f) || Number.isNaN(s)) return Number.NaN;
    const m = f - s;
    const hi = this.maxM.push(m);
    const lo = this.minM.push(m);
    if (this.countM < this.cycle) {
      if (++this.countM < this.cycle) return Number.NaN;
    }
    if (hi > lo) this.k1 = (100 * (m - lo)) / (hi - lo);
    this.d1 = Number.isNaN(this.d1) ? this.k1 : this.d1 + this.factor * (this.k1 - this.d1);
    const hd = this.maxD.push(this.d1);
    const ld = this.minD.push(this.d1);
    if (this.countD < this.cycle) {
      if (++this.countD < this.cycle) return Number.NaN;
    }
    if (hd > ld) this.k2 = (100 * (this.d1 - ld)) / (hd - ld);
    this.value = Number.isNaN(this.value) ? this.k2 : this.value + this.factor * (this.k2 - this.value);
    return this.value;
  }

  reset(): void {
    this.fast.reset();
    this.slow.reset();
    this.maxM.reset();
    this.minM.reset();
    this.maxD.reset();
    this.minD.reset();
    this.countM = 0;
    this.countD = 0;
    this.k1 = 50;
    this.d1 = Number.NaN;
    this.k2 = 50;
    this.value = Number.NaN;
  }
}

/** Batch Schaff trend cycle; NaN where not yet defined. */
export function schaffTrendCycle(
  close: ArrayLike<number>,
  options?: Partial<SchaffTrendCycleOptions>,
): Float64Array {
  const ind = new SchaffTrendCycle(options);
  const n = close.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(close[i]);
  return out;
}
