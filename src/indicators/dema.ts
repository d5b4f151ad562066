/**
 * Double and triple exponential moving averages (Mulloy): DEMA = 2·E1 − E2,
 * TEMA = 3·E1 − 3·E2 + E3, where E(k+1) is the EMA of E(k) with the same period.
 *
 * Each stage starts receiving values once the previous stage has seen `period` inputs, so the
 * warm-up is `2(period−1)` (DEMA) or `3(period−1)` (TEMA) bars for both seeds:
 * - `seed: "sma"` (default): every stage is seeded by the SMA of its first N inputs (TA-Lib).
 * - `seed: "first"`: every stage is seeded by its first input (Tulip `dema`/`tema`).
 */
import { EMA, EMA_SEEDS, type EmaSeed } from "./ma.js";
import { badInput, enumParam, intParam } from "./validate.js";

export interface DEMAOptions {
  /** EMA period N, integer >= 1. Default 20. */
  period: number;
  /** Seeding of each EMA stage, see module doc. Default `"sma"`. */
  seed: EmaSeed;
}

/** Double exponential moving average. Warm-up `2(period−1)`. */
export class DEMA {
  readonly period: number;
  readonly seed: EmaSeed;
  readonly warmup: number;
  /** Current value; NaN until ready. */
  value = Number.NaN;
  private readonly e1: EMA;
  private readonly e2: EMA;
  private n1 = 0;
  private n2 = 0;

  constructor(options: Partial<DEMAOptions> = {}) {
    this.period = intParam("dema", "period", options.period ?? 20, 1);
    this.seed = enumParam("dema", "seed", options.seed ?? "sma", EMA_SEEDS);
    this.e1 = new EMA({ period: this.period, seed: this.seed });
    this.e2 = new EMA({ period: this.period, seed: this.seed });
    this.warmup = 2 * (this.period - 1);
  }

  get isReady(): boolean {
    return this.n2 >= this.period;
  }

  update(x: number): number {
    if (!Number.isFinite(x)) badInput("dema", "close", x);
    const v1 = this.e1.update(x);
    if (this.n1 < this.period) this.n1++;
    if (this.n1 < this.period) return Number.NaN;
    const v2 = this.e2.update(v1);
    if (this.n2 < this.period) this.n2++;
    if (this.n2 < this.period) return Number.NaN;
    this.value = 2 * v1 - v2;
    return this.value;
  }

  reset(): void {
    this.e1.reset();
    this.e2.reset();
    this.n1 = 0;
    this.n2 = 0;
    this.value = Number.NaN;
  }
}

/** Batch DEMA; NaN where not yet defined. */
export function dema(close: ArrayLike<number>, options?: Partial<DEMAOptions>): Float64Array {
  const ind = new DEMA(options);
  const n = close.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(close[i]);
  return out;
}

export type TEMAOptions = DEMAOptions;

/** Triple exponential moving average. Warm-up `3(period−1)`. */
export class TEMA {
  readonly period: number;
  readonly seed: EmaSeed;
  readonly warmup: number;
  /** Current value; NaN until ready. */
  value = Number.NaN;
  private readonly e1: EMA;
  private readonly e2: EMA;
  private readonly e3: EMA;
  private n1 = 0;
  private n2 = 0;
  private n3 = 0;

  constructor(options: Partial<TEMAOptions> = {}) {
    this.period = intParam("tema", "period", options.period ?? 20, 1);
    this.seed = enumParam("tema", "seed", options.seed ?? "sma", EMA_SEEDS);
    this.e1 = new EMA({ period: this.period, seed: this.seed });
    this.e2 = new EMA({ period: this.period, seed: this.seed });
    this.e3 = new EMA({ period: this.period, seed: this.seed });
    this.warmup = 3 * (this.period - 1);
  }

  get isReady(): boolean {
    return this.n3 >= this.period;
  }

  update(x: number): number {
    if (!Number.isFinite(x)) badInput("tema", "close", x);
    const p = this.period;
    const v1 = this.e1.update(x);
    if (this.n1 < p) this.n1++;
    if (this.n1 < p) return Number.NaN;
    const v2 = this.e2.update(v1);
    if (this.n2 < p) this.n2++;
    if (this.n2 < p) return Number.NaN;
    const v3 = this.e3.update(v2);
    if (this.n3 < p) this.n3++;
    if (this.n3 < p) return Number.NaN;
    this.value = 3 * v1 - 3 * v2 + v3;
    return this.value;
  }

  reset(): void {
    this.e1.reset();
    this.e2.reset();
    this.e3.reset();
    this.n1 = 0;
    this.n2 = 0;
    this.n3 = 0;
    this.value = Number.NaN;
  }
}

/** Batch TEMA; NaN where not yet defined. */
export function tema(close: ArrayLike<number>, options?: Partial<TEMAOptions>): Float64Array {
  const ind = new TEMA(options);
  const n = close.length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(close[i]);
  return out;
}
