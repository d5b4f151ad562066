/**
 * One side of the simulated venue's **recorded** liquidity (L2: price → displayed size), with
 * what our own takers consumed per level since its last recorded update.
 *
 * The sizes live in the data layer's direct-indexed {@link Ladder} (O(1) per level change, no
 * objects per level); consumption is a small map holding only levels we took from (usually
 * none), cleared per level by that level's next update. Prices are raw integers at the
 * instrument's precision; bids are keyed by price, asks by -price (best = highest key).
 */
import { Ladder } from "../../data/book/order-book.js";

export class RecordedSide {
  private readonly ladder = new Ladder();
  /** Price → quantity taken by our takers since the level's last update (only non-zero). */
  private readonly taken = new Map<number, number>();
  private readonly sign: number;

  constructor(readonly isBid: boolean) {
    this.sign = isBid ? 1 : -1;
  }

  /** Number of levels. */
  get depth(): number {
    return this.ladder.n;
  }

  /** Sets the recorded size at `price` (0 removes the level); what we took there is available again. */
  set(price: number, volume: number): void {
    this.ladder.set(this.sign * price, volume);
    if (this.taken.size !== 0) this.taken.delete(price);
  }

  /** Recorded size at `price` (before our consumption), 0 when absent. */
  volumeAt(price: number): number {
    return this.ladder.get(this.sign * price);
  }

  /** What our takers consumed at `price` since its last update. */
  takenAt(price: number): number {
    return this.taken.size === 0 ? 0 : (this.taken.get(price) ?? 0);
  }

  /** Records `qty` more consumed at `price`. */
  take(price: number, qty: number): void {
    if (qty === 0) return;
    this.taken.set(price, (this.taken.get(price) ?? 0) + qty);
  }

  /** Recorded size left after our consumption at `price`. */
  availableAt(price: number): number {
    const v = this.volumeAt(price);
    return v === 0 ? 0 : v - this.takenAt(price);
  }

  /** Price of the `k`-th best level (0 = best), NaN past the end. */
  priceAt(k: number): number {
    return this.sign * this.ladder.keyAt(k);
  }

  /** Recorded size of the `k`-th best level, NaN past the end. */
  volumeAtRank(k: number): number {
    return this.ladder.sizeAt(k);
  }

  /** Best price with liquidity left after our consumption, NaN when none. */
  bestAvailable(): number {
    const l = this.ladder;
    if (this.taken.size === 0) return this.sign * l.bestKey();
    for (let k = 0; ; k++) {
      const key = l.keyAt(k);
      if (Number.isNaN(key)) return Number.NaN;
      const price = this.sign * key;
      if (l.sizeAt(k) > this.takenAt(price)) return price;
    }
  }

  /** Removes every level. */
  clear(): void {
    this.ladder.clear();
    this.taken.clear();
  }
}
