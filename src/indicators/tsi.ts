/**
 * True strength index (Blau): TSI = 100 · EMA_s(EMA_l(m)) / EMA_s(EMA_l(|m|)), m = close −
 * previous close; signal = EMA(TSI, signal). 0 when the denominator is 0.
 *
 * Seeding (`seed`): `"sma"` (default) seeds every EMA with the
 * SMA of its first inputs and feeds each stage only once the previous one is defined;
 * `"first"` seeds every EMA with its first input and feeds each stage from its first value.
 * Warm-up with `"sma"`: `long + short − 1` bars for TSI, `+ signal − 1` for the signal.
 */
import { EMA, EMA_SEEDS, type EmaSeed } from "./ma.js";
import { badInput, enumParam, intParam } from "./validate.js";

export interface TSIOptions {
  /** First (long) smoothing period. Default 25. */
  long: number;
  /** Second (short) smoothing period. Default 13. */
  short: number;
  /** Signal EMA period. Default 13. */
  signal: number;
  /** EMA seeding. Default `"sma"`. */
  seed: EmaSeed;
}

export class TSI {
  readonly warmup: number;
  /** TSI in [−100, 100]; NaN until defined. */
  tsi = Number.NaN;
  /** Signal line; NaN until ready. */
  signal = Number.NaN;
  private readonly l1: EMA;
  private readonly s1: EMA;
  private readonly l2: EMA;
  private readonly s2: EMA;
  private readonly sig: EMA;
  private count = 0;
  private prev = 0;

  constructor(options: Partial<TSIOptions> = {}) {
    const long = intParam("tsi", "long", options.long ?? 25, 1);
    const short = intParam("tsi", "short", options.short ?? 13, 1);
    const signal = intParam("tsi", "signal", options.signal ?? 13, 1);
    const seed = enumParam("tsi", "seed", options.seed ?? "sma", EMA_SEEDS);
    this.l1 = new EMA({ period: long, seed });
    this.s1 = new EMA({ period: short, seed });
    this.l2 = new EMA({ period: long, seed });
    this.s2 = new EMA({ period: short, seed });
    this.sig = new EMA({ period: signal, seed });
    this.warmup = seed === "sma" ? long + short + signal - 2 : 1;
  }

  get isReady(): boolean {
    return this.sig.isReady;
  }

  /** Feeds a close; returns the TSI. */
  update(x: number): number {
    if (!Number.isFinite(x)) badInput("tsi", "close", x);
    if (this.count === 0) {
      this.count = 1;
      this.prev = x;
      return Number.NaN;
    }
    const m = x - this.prev;
    this.prev = x;
    const a = this.l1.update(m);
    const b = this.l2.update(Math.abs(m));
    if (Number.isNaN(a)) return Number.NaN;
    const num = this.s1.update(a);
    const den = this.s2.update(b);
    if (Number.isNaN(num)) return Number.NaN;
    this.tsi = den === 0 ? 0 : (100 * num) / den;
    this.signal = this.sig.update(this.tsi);
    return this.tsi;
  }

  reset(): void {
    this.l1.reset();
    this.s1.reset();
    this.l2.reset();
    this.s2.reset();
    this.sig.reset();
    this.count = 0;
    this.prev = 0;
    this.tsi = Number.NaN;
    this.signal = Number.NaN;
  }
}

export type TSISeries = {
  tsi: Float64Array;
  signal: Float64Array;
};

/** Batch TSI; NaN where not yet defined. */
export function tsi(close: ArrayLike<number>, options?: Partial<TSIOptions>): TSISeries {
  const ind = new TSI(options);
  const n = close.length;
  const out = { tsi: new Float64Array(n), signal: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    out.tsi[i] = ind.update(close[i]);
    out.signal[i] = ind.signal;
  }
  return out;
}
