/**
 * Parabolic stop-and-reverse (Wilder). Each bar's SAR is
 * `SAR_prev + AF·(EP − SAR_prev)`, clamped so that it never enters the previous two bars'
 * range; EP is the extreme of the current trend, AF starts at `acceleration`, grows by
 * `increment` at each new extreme up to `maximum`, and the trend reverses (SAR := EP) when
 * price crosses the SAR. Outputs `sar` and `direction` (+1 long, −1 short).
 *
 * The first SAR is at index 1 (warm-up 1 bar). Initialisation and tie handling follow
 * `convention`:
 * - `"talib"` (default; TA-Lib `SAR`/`SAREXT`): start short iff bar 1 has a positive −DM
 *   (its low fell more than its high rose); the first SAR is the bar-0 low (long) or high
 *   (short); a low *equal* to the SAR reverses a long.
 * - `"tulip"` (Tulip `psar`): start long iff (H+L) did not fall from bar 0 to bar 1; the
 *   price must cross the SAR strictly to reverse.
 */
import { checkColumns, checkHL, enumParam, numParam } from "./validate.js";

export type PsarConvention = "talib" | "tulip";
export const PSAR_CONVENTIONS: readonly PsarConvention[] = ["talib", "tulip"];

export interface ParabolicSAROptions {
  /** Initial acceleration factor, > 0. Default 0.02. */
  acceleration: number;
  /** AF increment on each new extreme, > 0. Default 0.02. */
  increment: number;
  /** Maximum AF, >= acceleration. Default 0.2. */
  maximum: number;
  /** Initialisation/tie convention. Default `"talib"`. */
  convention: PsarConvention;
}

export class ParabolicSAR {
  readonly acceleration: number;
  readonly increment: number;
  readonly maximum: number;
  readonly convention: PsarConvention;
  readonly warmup = 1;
  /** SAR for the current bar; NaN until ready. */
  sar = Number.NaN;
  /** +1 while long (SAR below price), −1 while short; NaN until ready. */
  direction = Number.NaN;
  private readonly tulip: boolean;
  private count = 0;
  private long = true;
  private next = 0; // TA-Lib: SAR for the next bar
  private ep = 0;
  private af = 0;
  private high1 = 0; // previous bar
  private low1 = 0;
  private high2 = 0; // bar before the previous
  private low2 = 0;

  constructor(options: Partial<ParabolicSAROptions> = {}) {
    this.acceleration = numParam("psar", "acceleration", options.acceleration ?? 0.02, 0, 1, true);
    this.increment = numParam("psar", "increment", options.increment ?? 0.02, 0, 1, true);
    this.maximum = numParam("psar", "maximum", options.maximum ?? 0.2, this.acceleration, 1);
    this.convention = enumParam("psar", "convention", options.convention ?? "talib", PSAR_CONVENTIONS);
    this.tulip = this.convention === "tulip";
  }

  get isReady(): boolean {
    return this.count > 1;
  }

  /** Feeds a bar's high and low; returns the SAR. */
  update(high: number, low: number): number {
    checkHL("psar", high, low);
    if (this.count === 0) {
      this.count = 1;
      this.high1 = high;
      this.low1 = low;
      return Number.NaN;
    }
    if (this.tulip) this.stepTulip(high, low);
    else this.stepTalib(high, low);
    this.count = 2;
    this.direction = this.long ? 1 : -1;
    return this.sar;
  }

  private stepTalib(high: number, low: number): void {
    let prevHigh = this.high1;
    let prevLow = this.low1;
    if (this.count === 1) {
      const diffM = prevLow - low;
      const diffP = high - prevHigh;
      this.long = !(diffM > 0 && diffP < diffM);
      this.af = this.acceleration;
      if (this.long) {
        this.ep = high;
        this.next = prevLow;
      } else {
        this.ep = low;
        this.next = prevHigh;
      }
      // TA-Lib treats the first bar as its own predecessor for the clamps.
      prevHigh = high;
      prevLow = low;
    }
    let sar = this.next;
    if (this.long) {
      if (low <= sar) {
        this.long = false;
        sar = this.ep;
        if (sar < prevHigh) sar = prevHigh;
        if (sar < high) sar = high;
        this.sar = sar;
        this.af = this.acceleration;
        this.ep = low;
        sar = sar + this.af * (this.ep - sar);
        if (sar < prevHigh) sar = prevHigh;
        if (sar < high) sar = high;
      } else {
        this.sar = sar;
        if (high > this.ep) {
          this.ep = high;
          this.af += this.increment;
          if (this.af > this.maximum) this.af = this.maximum;
        }
        sar = sar + this.af * (this.ep - sar);
        if (sar > prevLow) sar = prevLow;
        if (sar > low) sar = low;
      }
    } else if (high >= sar) {
      this.long = true;
      sar = this.ep;
      if (sar > prevLow) sar = prevLow;
      if (sar > low) sar = low;
      this.sar = sar;
      this.af = this.acceleration;
      this.ep = high;
      sar = sar + this.af * (this.ep - sar);
      if (sar > prevLow) sar = prevLow;
      if (sar > low) sar = low;
    } else {
      this.sar = sar;
      if (low < this.ep) {
        this.ep = low;
        this.af += this.increment;
        if (this.af > this.maximum) this.af = this.maximum;
      }
      sar = sar + this.af * (this.ep - sar);
      if (sar < prevHigh) sar = prevHigh;
      if (sar < high) sar = high;
    }
    this.next = sar;
    this.high1 = high;
    this.low1 = low;
  }

  private stepTulip(high: number, low: number): void {
    const first = this.count === 1;
    if (first) {
      this.long = this.high1 + this.low1 <= high + low;
      this.ep = this.long ? this.high1 : this.low1;
      this.sar = this.long ? this.low1 : this.high1;
      this.af = this.acceleration;
    }
    let sar = (this.ep - this.sar) * this.af + this.sar;
    if (this.long) {
      if (!first && sar > this.low2) sar = this.low2;
      if (sar > this.low1) sar = this.low1;
      if (this.af < this.maximum && high > this.ep) {
        this.af += this.increment;
        if (this.af > this.maximum) this.af = this.maximum;
      }
      if (high > this.ep) this.ep = high;
    } else {
      if (!first && sar < this.high2) sar = this.high2;
      if (sar < this.high1) sar = this.high1;
      if (this.af < this.maximum && low < this.ep) {
        this.af += this.increment;
        if (this.af > this.maximum) this.af = this.maximum;
      }
      if (low < this.ep) this.ep = low;
    }
    if ((this.long && low < sar) || (!this.long && high > sar)) {
      this.af = this.acceleration;
      sar = this.ep;
      this.long = !this.long;
      this.ep = this.long ? high : low;
    }
    this.sar = sar;
    this.high2 = this.high1;
    this.low2 = this.low1;
    this.high1 = high;
    this.low1 = low;
  }

  reset(): void {
    this.count = 0;
    this.long = true;
    this.next = 0;
    this.ep = 0;
    this.af = 0;
    this.high1 = 0;
    this.low1 = 0;
    this.high2 = 0;
    this.low2 = 0;
    this.sar = Number.NaN;
    this.direction = Number.NaN;
  }
}

export type ParabolicSARSeries = {
  sar: Float64Array;
  direction: Float64Array;
};

/** Batch Parabolic SAR; NaN where not yet defined. */
export function parabolicSar(
  high: ArrayLike<number>,
  low: ArrayLike<number>,
  options?: Partial<ParabolicSAROptions>,
): ParabolicSARSeries {
  const n = checkColumns("psar", { high, low });
  const ind = new ParabolicSAR(options);
  const out = { sar: new Float64Array(n), direction: new Float64Array(n) };
  for (let i = 0; i < n; i++) {
    out.sar[i] = ind.update(high[i], low[i]);
    out.direction[i] = ind.direction;
  }
  return out;
}
