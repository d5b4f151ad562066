/**
 * Ultimate oscillator (Williams): with buying pressure BP = close − min(low, prev close) and
 * true range TR = max(high, prev close) − min(low, prev close),
 * UO = 100 · (4·A1 + 2·A2 + A3)/7, A_i = ΣBP/ΣTR over period_i (a term is 0 when its ΣTR = 0).
 *
 * Periods are used as given (short, medium, long); weights 4, 2, 1. The first bar only
 * provides a previous close. Warm-up: `max(periods)` bars. Matches TA-Lib `ULTOSC`, talipp
 * `UO`, Tulip `ultosc`.
 */
import { RollingSum } from "./ring.js";
import { checkColumns, checkHLC, intParam } from "./validate.js";

export interface UltimateOscillatorOptions {
  /** Short period. Default 7. */
  short: number;
  /** Medium period. Default 14. */
  medium: number;
  /** Long period. Default 28. */
  long: number;
}

export class UltimateOscillator {
  readonly warmup: number;
  /** Current value in [0, 100]; NaN until ready. */
  value = Number.NaN;
  private readonly bp1: RollingSum;
  private readonly tr1: RollingSum;
  private readonly bp2: RollingSum;
  private readonly tr2: RollingSum;
  private readonly bp3: RollingSum;
  private readonly tr3: RollingSum;
  private readonly longest: number;
  private count = 0;
  private prevClose = 0;

  constructor(options: Partial<UltimateOscillatorOptions> = {}) {
    const p1 = intParam("ultosc", "short", options.short ?? 7, 1);
    const p2 = intParam("ultosc", "medium", options.medium ?? 14, 1);
    const p3 = intParam("ultosc", "long", options.long ?? 28, 1);
    this.bp1 = new RollingSum(p1);
    this.tr1 = new RollingSum(p1);
    this.bp2 = new RollingSum(p2);
    this.tr2 = new RollingSum(p2);
    this.bp3 = new RollingSum(p3);
    this.tr3 = new RollingSum(p3);
    this.longest = Math.max(p1, p2, p3);
    this.warmup = this.longest;
  }

  get isReady(): boolean {
    return this.count > this.longest;
  }

  update(high: number, low: number, close: number): number {
    checkHLC("ultosc", high, low, close);
    if (this.count === 0) {
      this.count = 1;
      this.prevClose = close;
      return Number.NaN;
    }
    const pc = this.prevClose;
    this.prevClose = close;
    const trueLow = Math.min(low, pc);
    const trueHigh = Math.max(high, pc);
    const bp = close - trueLow;
    const tr = trueHigh - trueLow;
    const b1 = this.bp1.push(bp);
    const t1 = this.tr1.push(tr);
    const b2 = this.bp2.push(bp);
    const t2 = this.tr2.push(tr);
    const b3 = this.bp3.push(bp);
    const t3 = this.tr3.push(tr);
    if (this.count <= this.longest) {
      if (++this.count <= this.longest) return Number.NaN;
    }
    let out = 0;
    if (t1 !== 0) out += 4 * (b1 / t1);
    if (t2 !== 0) out += 2 * (b2 / t2);
    if (t3 !== 0) out += b3 / t3;
    this.value = 100 * (out / 7);
    return this.value;
  }

  reset(): void {
    this.bp1.reset();
    this.tr1.reset();
    this.bp2.reset();
    this.tr2.reset();
    this.bp3.reset();
    this.tr3.reset();
    this.count = 0;
    this.prevClose = 0;
    this.value = Number.NaN;
  }
}

/** Batch Ultimate Oscillator; NaN where not yet defined. */
export function ultimateOscillator(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  options?: Partial<UltimateOscillatorOptions>,
): Float64Array {
  const n = checkColumns("ultosc", { high, low, close });
  const ind = new UltimateOscillator(options);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = ind.update(high[i], low[i], close[i]);
  return out;
}
