/**
 * Average directional index with +DI, −DI and DX (Wilder).
 *
 * +DM = up-move if up-move > down-move and > 0, else 0 (−DM symmetric); DI± = 100·DM±/TR
 * with both smoothed over N; DX = 100·|DI+ − DI−|/(DI+ + DI−) (0 when both are 0);
 * ADX = mean of the first N DX values, then Wilder-smoothed `(ADX·(N−1) + DX)/N`.
 *
 * The libraries disagree on how the smoothing is seeded (`convention`):
 * - `"talib"` (default; TA-Lib `ADX`/`PLUS_DI`/`MINUS_DI`/`DX`): Wilder running sums seeded
 *   with the sum of the first N−1 movements (bars 1..N−1), then `S = S − S/N + x`; DI/DX
 *   from index N, ADX from 2N−1.
 * - `"tulip"` (Tulip `adx`/`di`/`dx`): the same sums, but DI/DX already at index N−1 (from the
 *   unsmoothed N−1 sums); ADX from 2N−2.
 * - `"talipp"` (talipp `ADX`): DM± are Wilder averages seeded with the mean of the first N
 *   movements; TR is talipp's ATR, whose first bar counts high − low; DI/DX from index N, ADX
 *   from 2N−1.
 * The variants converge after a few hundred bars. Warm-up (ADX): 2N−1 bars (2N−2 for tulip).
 */
import { ATR } from "./atr.js";
import { checkColumns, checkHLC, enumParam, intParam } from "./validate.js";

export type AdxConvention = "talib" | "tulip" | "talipp";
export const ADX_CONVENTIONS: readonly AdxConvention[] = ["talib", "tulip", "talipp"];

export interface ADXOptions {
  /** Period N used for DM/TR smoothing and for the ADX average, integer >= 1. Default 14. */
  period: number;
  /** Seeding convention, see module doc. Default `"talib"`. */
  convention: AdxConvention;
}

export class ADX {
  readonly period: number;
  readonly convention: AdxConvention;
  readonly warmup: number;
  /** ADX; NaN until ready. */
  adx = Number.NaN;
  /** +DI; defined from index N (N − 1 with `"tulip"`), before the ADX. */
  plusDI = Number.NaN;
  /** −DI; defined with +DI. */
  minusDI = Number.NaN;
  /** DX; defined with +DI. */
  dx = Number.NaN;
  private readonly kind: number;
  private readonly atr: ATR | null;
  private count = 0;
  private prevHigh = 0;
  private prevLow = 0;
  private prevClose = 0;
  private sPlus = 0;
  private sMinus = 0;
  private sTR = 0;
  private dxCount = 0;
  private dxSum = 0;

  constructor(options: Partial<ADXOptions> = {}) {
    this.period = intParam("adx", "period", options.period ?? 14, 1);
    this.convention = enumParam("adx", "convention", options.convention ?? "talib", ADX_CONVENTIONS);
    this.kind = ADX_CONVENTIONS.indexOf(this.convention);
    this.atr = this.kind === 2 ? new ATR({ period: this.period, firstBar: "range" }) : null;
    this.warmup = 2 * this.period - (this.kind === 1 ? 2 : 1);
  }

  get isReady(): boolean {
    return !Number.isNaN(this.adx);
  }

  /** Feeds a bar; returns the ADX. */
  update(high: number, low: number, close: number): number {
    checkHLC("adx", high, low, close);
    const n = this.period;
    const atrValue = this.atr !== null ? this.atr.step(high, low, close) : 0;
    if (this.count === 0) {
      this.count = 1;
      this.prevHigh = high;
      this.prevLow = low;
      this.prevClose = close;
      return Number.NaN;
    }
    const t = this.count; // bar index of this update
    if (t <= 2 * n) this.count = t + 1;
    const up = high - this.prevHigh;
    const down = this.prevLow - low;
    const pc = this.prevClose;
    this.prevHigh = high;
    this.prevLow = low;
    this.prevClose = close;
    const plusDM = up > down && up > 0 ? up : 0;
    const minusDM = down > up && down > 0 ? down : 0;

    let pdi: number;
    let mdi: number;
    if (this.kind === 2) {
      // talipp: Wilder averages of DM seeded with the mean of the first N, over talipp's ATR.
      if (t < n) {
        this.sPlus += plusDM;
        this.sMinus += minusDM;
        return Number.NaN;
      }
      if (t === n) {
        this.sPlus = (this.sPlus + plusDM) / n;
        this.sMinus = (this.sMinus + minusDM) / n;
      } else {
        this.sPlus = (this.sPlus * (n - 1) + plusDM) / n;
        this.sMinus = (this.sMinus * (n - 1) + minusDM) / n;
      }
      pdi = atrValue === 0 ? 0 : (100 * this.sPlus) / atrValue;
      mdi = atrValue === 0 ? 0 : (100 * this.sMinus) / atrValue;
    } else {
      const tr = Math.max(high, pc) - Math.min(low, pc);
      if (t < n) {
        this.sPlus += plusDM;
        this.sMinus += minusDM;
        this.sTR += tr;
        if (t < n - 1 || this.kind === 0) return Number.NaN;
      } else {
        this.sPlus = this.sPlus - this.sPlus / n + plusDM;
        this.sMinus = this.sMinus - this.sMinus / n + minusDM;
        this.sTR = this.sTR - this.sTR / n + tr;
      }
      pdi = this.sTR === 0 ? 0 : 100 * (this.sPlus / this.sTR);
      mdi = this.sTR === 0 ? 0 : 100 * (this.sMinus / this.sTR);
    }
    this.plusDI = pdi;
    this.minusDI = mdi;
    const sum = pdi + mdi;
    const dx = sum === 0 ? 0 : 100 * (Math.abs(pdi - mdi) / sum);
    this.dx = dx;
    if (this.dxCount < n) {
      this.dxSum += dx;
      if (++this.dxCount < n) return Number.NaN;
      this.adx = this.dxSum / n;
    } else {
      this.adx = (this.adx * (n - 1) + dx) / n;
    }
    return this.adx;
  }

  reset(): void {
    this.atr?.reset();
    this.count = 0;
    this.prevHigh = 0;
    this.prevLow = 0;
    this.prevClose = 0;
    this.sPlus = 0;
    this.sMinus = 0;
    this.sTR = 0;
    this.dxCount = 0;
    this.dxSum = 0;
    this.adx = Number.NaN;
    this.plusDI = Number.NaN;
    this.minusDI = Number.NaN;
    this.dx = Number.NaN;
  }
}

export type ADXSeries = {
  adx: Float64Array;
  plusDI: Float64Array;
  minusDI: Float64Array;
  dx: Float64Array;
};

/** Batch ADX/DI/DX; NaN where not yet defined. */
export function adx(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  close: ArrayLike<number>,
  options?: Partial<ADXOptions>,
): ADXSeries {
  const n = checkColumns("adx", { high, low, close });
  const ind = new ADX(options);
  const out = {
    adx: new Float64Array(n),
    plusDI: new Float64Array(n),
    minusDI: new Float64Array(n),
    dx: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    out.adx[i] = ind.update(high[i], low[i], close[i]);
    out.plusDI[i] = ind.plusDI;
    out.minusDI[i] = ind.minusDI;
    out.dx[i] = ind.dx;
  }
  return out;
}
