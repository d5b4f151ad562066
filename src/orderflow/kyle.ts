/**
 * Kyle's lambda (Kyle 1985, "Continuous Auctions and Insider Trading", Econometrica 53(6)):
 * price impact per unit of signed volume, estimated as the slope of a rolling OLS regression
 * Δp_t = λ · v_t + c over the last `window` intervals, where v_t is the signed (buy − sell)
 * volume and Δp_t the change of the last trade price over each interval of `intervalUs`.
 * Units: raw price per raw size unit. O(1) per update (running sums over a ring buffer).
 */
import { type Aggressor, checkPositiveInt, checkTime, checkTrade } from "./common.js";

export class KyleLambda {
  private readonly xs: Float64Array;
  private readonly ys: Float64Array;
  private head = 0;
  private n = 0;
  private sx = 0;
  private sy = 0;
  private sxx = 0;
  private sxy = 0;
  private intervalStart = -1;
  private startPrice = Number.NaN;
  private lastPrice = Number.NaN;
  private signed = 0;
  private lastTs = 0;

  constructor(
    readonly intervalUs: number,
    readonly window = 100,
  ) {
    checkPositiveInt("kyle_lambda", "intervalUs", intervalUs);
    checkPositiveInt("kyle_lambda", "window", window);
    if (window < 3) checkPositiveInt("kyle_lambda", "window (>= 3)", -1);
    this.xs = new Float64Array(window);
    this.ys = new Float64Array(window);
  }

  /** The slope λ over the window; NaN until `window` intervals have completed or if v has no variance. */
  get value(): number {
    if (this.n < this.window) return Number.NaN;
    const den = this.n * this.sxx - this.sx * this.sx;
    return den === 0 ? Number.NaN : (this.n * this.sxy - this.sx * this.sy) / den;
  }

  update(ts: number, priceRaw: number, sizeRaw: number, side: Aggressor): number {
    checkTime("kyle_lambda", this.lastTs, ts);
    checkTrade("kyle_lambda", priceRaw, sizeRaw);
    this.lastTs = ts;
    const start = ts - (ts % this.intervalUs);
    if (start !== this.intervalStart) {
      if (this.intervalStart >= 0) this.closeInterval();
      this.intervalStart = start;
      this.startPrice = Number.isNaN(this.lastPrice) ? priceRaw : this.lastPrice;
      this.signed = 0;
    }
    this.signed += side * sizeRaw;
    this.lastPrice = priceRaw;
    return this.value;
  }

  private closeInterval(): void {
    const x = this.signed;
    const y = this.lastPrice - this.startPrice;
    if (this.n === this.window) {
      const ox = this.xs[this.head];
      const oy = this.ys[this.head];
      this.sx -= ox;
      this.sy -= oy;
      this.sxx -= ox * ox;
      this.sxy -= ox * oy;
    } else {
      this.n++;
    }
    this.xs[this.head] = x;
    this.ys[this.head] = y;
    this.sx += x;
    this.sy += y;
    this.sxx += x * x;
    this.sxy += x * y;
    this.head = (this.head + 1) % this.window;
  }
}
