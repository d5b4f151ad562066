/**
 * VPIN — volume-synchronised probability of informed trading (Easley, López de Prado & O'Hara
 * 2012, "Flow Toxicity and Liquidity in a High-frequency World", Review of Financial Studies
 * 25(5)).
 *
 * Trades fill equal-volume buckets of `bucketVolume` (raw size units); a trade that overflows a
 * bucket is split across buckets. Each bucket's buy and sell volume come from the trade's
 * aggressor side (exact when the venue flags it; the paper's bulk-volume classification is the
 * fallback when sides are unknown: `side = 0` trades are split by Φ(Δp/σ) of the bucket's
 * price change, with σ the running std of bucket price changes). VPIN is the mean of
 * |V_buy − V_sell| / V over the last `window` buckets.
 */
import { type Aggressor, checkPositiveInt, checkTrade } from "./common.js";

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 via erf, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(x) / Math.SQRT2));
  const y =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-(x * x) / 2);
  return x >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

export class Vpin {
  private readonly imbalances: Float64Array;
  private head = 0;
  private filled = 0;
  private sum = 0;
  private buy = 0;
  private sell = 0;
  private unknown = 0;
  private bucketFill = 0;
  private bucketOpen = Number.NaN;
  private lastPrice = Number.NaN;
  // Running statistics of bucket price changes for bulk classification.
  private dpN = 0;
  private dpMean = 0;
  private dpM2 = 0;
  /** Completed buckets. */
  buckets = 0;

  constructor(
    readonly bucketVolume: number,
    readonly window = 50,
  ) {
    checkPositiveInt("vpin", "bucketVolume", bucketVolume);
    checkPositiveInt("vpin", "window", window);
    this.imbalances = new Float64Array(window);
  }

  /** VPIN over the last `window` completed buckets; NaN until the window is full. */
  get value(): number {
    return this.filled < this.window ? Number.NaN : this.sum / (this.window * this.bucketVolume);
  }

  update(priceRaw: number, sizeRaw: number, side: Aggressor): number {
    checkTrade("vpin", priceRaw, sizeRaw);
    if (Number.isNaN(this.bucketOpen)) this.bucketOpen = priceRaw;
    this.lastPrice = priceRaw;
    let rest = sizeRaw;
    while (rest > 0) {
      const take = Math.min(rest, this.bucketVolume - this.bucketFill);
      if (side === 1) this.buy += take;
      else if (side === -1) this.sell += take;
      else this.unknown += take;
      this.bucketFill += take;
      rest -= take;
      if (this.bucketFill === this.bucketVolume) this.closeBucket();
    }
    return this.value;
  }

  private closeBucket(): void {
    const dp = this.lastPrice - this.bucketOpen;
    if (this.unknown > 0) {
      const sd = this.dpN > 1 ? Math.sqrt(this.dpM2 / (this.dpN - 1)) : 0;
      const pBuy = sd > 0 ? normalCdf(dp / sd) : 0.5;
      this.buy += this.unknown * pBuy;
      this.sell += this.unknown * (1 - pBuy);
    }
    this.dpN++;
    const d = dp - this.dpMean;
    this.dpMean += d / this.dpN;
    this.dpM2 += d * (dp - this.dpMean);
    const imb = Math.abs(this.buy - this.sell);
    this.sum += imb - this.imbalances[this.head];
    this.imbalances[this.head] = imb;
    this.head = (this.head + 1) % this.window;
    if (this.filled < this.window) this.filled++;
    this.buy = 0;
    this.sell = 0;
    this.unknown = 0;
    this.bucketFill = 0;
    this.bucketOpen = this.lastPrice;
    this.buckets++;
  }
}
