/**
 * Choppiness index (Dreiss): CHOP = 100·log10(ΣTR / (HH − LL)) / log10(N) over the last N
 * bars, with HH/LL the highest high and lowest low of the same N bars. 100 = choppy, ~0 =
 * trending. Undefined (NaN) when HH = LL. The first bar's true range follows `firstBar` as in
 * {@link TrueRange} (talipp and TradingView count high − low: `"range"`). Warm-up: N bars
 * (`"skip"`) or N − 1 (`"range"`).
 */
import { FIRST_BAR_TR, type FirstBarTR, TrueRange } from "./atr.js";
import { RollingMax, RollingMin, RollingSum } from "./ring.js";
import { checkColumns, checkHLC, enumParam, intParam } from "./validate.js";

export interface ChoppinessOptions {
  /** Window length N, integer >= 2. Default 14. */
  period: number;
  /** First-bar true range. Default `"skip"`. */
  firstBar: FirstBarTR;
}

export class Choppiness {
  readonly period: number;
  readonly warmup: number;
  /** Current value; NaN until ready and whenever HH = LL. */
  value = Number.NaN;
  private readonly tr: TrueRange;
  private readonly sum: RollingSum;
  private readonly hh: RollingMax;
  private readonly ll: RollingMin;
  private readonly logN: number;
  private ready = false;

  constructor(options: Partial<ChoppinessOptions> = {}) {
    this.period = intParam("chop", "period", options.period ?? 14, 2);
    const firstBar = enumParam("chop", "firstBar", options.firstBar ?? "skip", FIRST_BAR_TR);
    this.tr = new TrueRange({ firstBar });
    this.sum = new RollingSum(this.period);
    this.hh = new RollingMax(this.period);
    this.ll = new RollingMin(this.period);
    this.logN = Math.log10(this.period);
    this.warmup = this.period - 1 + this.tr.warmup;
  }

  get isReady(): boolean {
    return this.ready;
  }

  update(high: number, low: number, close: number): number {
    checkHLC("chop", high, low, close);
    const tr = this.tr.step(high, low, close);
    if (Number.isNaN(tr)) return Number.NaN;
    const s = this.sum.push(tr);
    const hh = this.hh.push(high);
    const ll = this.ll.push(low);
    if (!this.sum.full) return Number.NaN;
    this.ready = true;
    const range = hh - ll;
    this.value = range > 0 ? (100 * Math.log10(s / range)) / this.logN : Number.NaN;
    return this.value;
  }

  reset(): void {
    this.tr.reset();
    this.sum.reset();
    this.hh.reset();
    this.ll.reset();
    this.ready = false;
    this.value = Number.NaN;
  }
}

/** Batch choppiness index; NaN where not defined. */
export function choppiness(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  options?: Partial<ChoppinessOptions>,
): Float64Array {
  const n = checkColumns("chop", { high, low, close });
  const ind = new Choppiness(options);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(high[i], low[i], close[i]);
  return out;
}
