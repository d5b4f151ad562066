/**
 * A level-2 (market-by-price) order book on raw fixed-point integers.
 *
 * Prices and sizes are the `.raw` integers of {@link Price}/{@link Quantity} at the book's
 * `pricePrecision`/`sizePrecision`. Each side is a {@link Ladder} of small sorted
 * `Float64Array` blocks (raw integers are exact in doubles up to 2^53), best level last. Bids
 * are keyed by price, asks by -price, so one ascending ladder type serves both sides.
 */
import {
  ACTION_CLEAR,
  ACTION_DELETE,
  type BookDeltaColumns,
  type OrderBookDeltas,
  type OrderBookDepth,
} from "../../model/data.js";
import { BookAction, BookSide } from "../../model/enums.js";
import { BotV6Error } from "../../model/errors.js";
import { formatRaw, pow10 } from "../../model/fixed.js";
import type { InstrumentId } from "../../model/identifiers.js";
import { Price, Quantity } from "../../model/values.js";

export const BID = 0;
export const ASK = 1;
/** 0 = bids, 1 = asks. */
export type SideIndex = 0 | 1;

export class OrderBookError extends BotV6Error {}

function badColumns(i: number, action: number, side: number): OrderBookError {
  return new OrderBookError(
    "BOOK_DELTA_INVALID",
    `columnar level ${i}: action code ${action} / side code ${side} out of range`,
    { index: i, action, side },
  );
}

const BLOCK = 64;

/**
 * One side of the book: keys ascending (best last) in a list of small sorted blocks of at most
 * 64 levels, so an insert or delete moves at most 63 entries however deep in the book it lands
 * (Binance books grow to thousands of levels and most inserts land hundreds of levels deep).
 * A block is located by binary search over the blocks' last keys, then the level within it.
 */
export class Ladder {
  private bk: Float64Array[] = [];
  private bs: Float64Array[] = [];
  private cnt: number[] = [];
  /** Number of levels. */
  n = 0;

  /** Removes every level. */
  clear(): void {
    this.bk = [];
    this.bs = [];
    this.cnt = [];
    this.n = 0;
  }

  /** Index of the first block whose last key is >= key (the last block if none). */
  private block(key: number): number {
    const bk = this.bk;
    const cnt = this.cnt;
    let lo = 0;
    let hi = bk.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (bk[mid][cnt[mid] - 1] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Sets the size at `key`; size 0 removes the level. */
  set(key: number, size: number): void {
    if (this.bk.length === 0) {
      if (size === 0) return;
      this.bk.push(new Float64Array(BLOCK));
      this.bs.push(new Float64Array(BLOCK));
      this.cnt.push(0);
    }
    const b = this.block(key);
    let keys = this.bk[b];
    let sizes = this.bs[b];
    let c = this.cnt[b];
    let lo = 0;
    let hi = c - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const k = keys[mid];
      if (k < key) lo = mid + 1;
      else if (k > key) hi = mid - 1;
      else {
        if (size !== 0) {
          sizes[mid] = size;
          return;
        }
        keys.copyWithin(mid, mid + 1, c);
        sizes.copyWithin(mid, mid + 1, c);
        this.cnt[b] = --c;
        this.n--;
        if (c === 0) this.removeBlock(b);
        else if (b > 0 && c + this.cnt[b - 1] <= BLOCK / 2) this.mergeInto(b - 1);
        return;
      }
    }
    if (size === 0) return;
    let at = lo;
    if (c === BLOCK) {
      // split: the upper half moves to a new block after b
      const half = BLOCK >>> 1;
      const nk = new Float64Array(BLOCK);
      const ns = new Float64Array(BLOCK);
      nk.set(keys.subarray(half, BLOCK));
      ns.set(sizes.subarray(half, BLOCK));
      this.bk.splice(b + 1, 0, nk);
      this.bs.splice(b + 1, 0, ns);
      this.cnt.splice(b + 1, 0, BLOCK - half);
      this.cnt[b] = half;
      c = half;
      if (at > half) {
        keys = nk;
        sizes = ns;
        at -= half;
        c = BLOCK - half;
        this.insertAt(b + 1, keys, sizes, c, at, key, size);
        return;
      }
    }
    this.insertAt(b, keys, sizes, c, at, key, size);
  }

  private insertAt(
    b: number,
    keys: Float64Array,
    sizes: Float64Array,
    c: number,
    at: number,
    key: number,
    size: number,
  ): void {
    if (at < c) {
      keys.copyWithin(at + 1, at, c);
      sizes.copyWithin(at + 1, at, c);
    }
    keys[at] = key;
    sizes[at] = size;
    this.cnt[b] = c + 1;
    this.n++;
  }

  private removeBlock(b: number): void {
    this.bk.splice(b, 1);
    this.bs.splice(b, 1);
    this.cnt.splice(b, 1);
  }

  /** Appends block a+1 to block a and removes it. */
  private mergeInto(a: number): void {
    const c = this.cnt[a];
    const d = this.cnt[a + 1];
    this.bk[a].set(this.bk[a + 1].subarray(0, d), c);
    this.bs[a].set(this.bs[a + 1].subarray(0, d), c);
    this.cnt[a] = c + d;
    this.removeBlock(a + 1);
  }

  /** Key of the `k`-th best level (0 = best), NaN past the end. */
  keyAt(k: number): number {
    for (let b = this.bk.length - 1; b >= 0; b--) {
      const c = this.cnt[b];
      if (k < c) return this.bk[b][c - 1 - k];
      k -= c;
    }
    return Number.NaN;
  }

  /** Size of the `k`-th best level (0 = best), NaN past the end. */
  sizeAt(k: number): number {
    for (let b = this.bs.length - 1; b >= 0; b--) {
      const c = this.cnt[b];
      if (k < c) return this.bs[b][c - 1 - k];
      k -= c;
    }
    return Number.NaN;
  }

  /** Best key, NaN when empty. */
  bestKey(): number {
    const b = this.bk.length - 1;
    return b < 0 ? Number.NaN : this.bk[b][this.cnt[b] - 1];
  }

  bestSize(): number {
    const b = this.bs.length - 1;
    return b < 0 ? Number.NaN : this.bs[b][this.cnt[b] - 1];
  }

  /**
   * Calls `fn(key, size)` from the best level outwards until it returns false or the levels
   * run out; returns the number of levels visited.
   */
  walk(fn: (key: number, size: number) => boolean): number {
    let visited = 0;
    for (let b = this.bk.length - 1; b >= 0; b--) {
      const keys = this.bk[b];
      const sizes = this.bs[b];
      for (let i = this.cnt[b] - 1; i >= 0; i--) {
        visited++;
        if (!fn(keys[i], sizes[i])) return visited;
      }
    }
    return visited;
  }

  /** All levels, ascending by key (worst first for bids' keys): for tests and snapshots. */
  toArrays(): { keys: number[]; sizes: number[] } {
    const keys: number[] = [];
    const sizes: number[] = [];
    for (let b = 0; b < this.bk.length; b++) {
      for (let i = 0; i < this.cnt[b]; i++) {
        keys.push(this.bk[b][i]);
        sizes.push(this.bs[b][i]);
      }
    }
    return { keys, sizes };
  }

  /** Keeps only the best `depth` levels. */
  truncate(depth: number): void {
    let drop = this.n - depth;
    while (drop > 0) {
      const c = this.cnt[0];
      if (c <= drop) {
        this.removeBlock(0);
        this.n -= c;
        drop -= c;
      } else {
        this.bk[0].copyWithin(0, drop, c);
        this.bs[0].copyWithin(0, drop, c);
        this.cnt[0] = c - drop;
        this.n -= drop;
        drop = 0;
      }
    }
  }

  /** Multiplies every key (or size) by `factor` (precision widening). */
  scale(factor: number, sizes: boolean): void {
    const arrays = sizes ? this.bs : this.bk;
    for (let b = 0; b < arrays.length; b++) {
      const a = arrays[b];
      for (let i = 0; i < this.cnt[b]; i++) a[i] *= factor;
    }
  }
}

/** Result of walking the book for a quantity (see {@link OrderBook.priceToFill}). */
export interface FillEstimate {
  /** Raw quantity that the visible book can fill (<= requested). */
  filledRaw: number;
  /** True when the whole quantity fits in the visible book. */
  complete: boolean;
  /** Volume-weighted average price, as a float in price units (NaN if nothing fills). */
  vwap: number;
  /** Raw price of the last (worst) level touched, NaN if none. */
  worstPriceRaw: number;
  /** Levels touched. */
  levels: number;
}

export class OrderBook {
  readonly bids = new Ladder();
  readonly asks = new Ladder();
  /** Decimal places of raw prices; -1 until the first level arrives. */
  pricePrecision = -1;
  /** Decimal places of raw sizes; -1 until the first level arrives. */
  sizePrecision = -1;

  constructor(readonly instrumentId: InstrumentId) {}

  /** Removes all levels (precisions are kept). */
  clear(): void {
    this.bids.clear();
    this.asks.clear();
  }

  /**
   * Sets a level from raw integers at the book's precisions; size 0 deletes it. The hot path:
   * no allocation, no checks beyond the binary search.
   */
  applyRaw(side: SideIndex, priceRaw: number, sizeRaw: number): void {
    if (side === BID) this.bids.set(priceRaw, sizeRaw);
    else this.asks.set(-priceRaw, sizeRaw);
  }

  /**
   * Widens the book's precisions (multiplying stored raws) so values written with more
   * decimals fit exactly; never narrows.
   */
  ensurePrecision(pricePrecision: number, sizePrecision: number): void {
    if (this.pricePrecision < 0) this.pricePrecision = pricePrecision;
    if (this.sizePrecision < 0) this.sizePrecision = sizePrecision;
    if (pricePrecision > this.pricePrecision) {
      const f = pow10(pricePrecision - this.pricePrecision);
      this.bids.scale(f, false);
      this.asks.scale(f, false);
      this.pricePrecision = pricePrecision;
    }
    if (sizePrecision > this.sizePrecision) {
      const f = pow10(sizePrecision - this.sizePrecision);
      this.bids.scale(f, true);
      this.asks.scale(f, true);
      this.sizePrecision = sizePrecision;
    }
  }

  /** Applies a price/size pair of domain values (any precision) to `side`. */
  applyLevel(side: BookSide, price: Price, size: Quantity): void {
    if (price.precision > this.pricePrecision || size.precision > this.sizePrecision) {
      this.ensurePrecision(
        Math.max(price.precision, this.pricePrecision),
        Math.max(size.precision, this.sizePrecision),
      );
    }
    const p =
      price.precision === this.pricePrecision
        ? price.raw
        : price.raw * pow10(this.pricePrecision - price.precision);
    const s =
      size.precision === this.sizePrecision
        ? size.raw
        : size.raw * pow10(this.sizePrecision - size.precision);
    this.applyRaw(side === BookSide.Bid ? BID : ASK, p, s);
  }

  /** Applies a venue batch (snapshot or deltas) atomically in message order. */
  applyDeltas(deltas: OrderBookDeltas): void {
    const cols = deltas.columns;
    if (cols !== null) {
      this.applyColumns(cols);
      return;
    }
    const list = deltas.deltas;
    for (let i = 0; i < list.length; i++) {
      const d = list[i];
      if (d.action === BookAction.Clear) {
        this.clear();
        continue;
      }
      const o = d.order;
      if (o === null)
        throw new OrderBookError("BOOK_DELTA_INVALID", `${d.action} delta without an order`, {});
      if (d.action === BookAction.Delete) this.applyLevel(o.side, o.price, Quantity.zero(o.size.precision));
      else this.applyLevel(o.side, o.price, o.size);
    }
  }

  /**
   * Applies columnar levels (see {@link BookDeltaColumns}) without creating value objects:
   * the same result as applying the materialised deltas one by one.
   */
  applyColumns(c: BookDeltaColumns): void {
    const n = c.count;
    if (n === 0) return;
    const pp = c.pricePrecision;
    const sp = c.sizePrecision;
    const sides = c.sides;
    const actions = c.actions;
    const prices = c.prices;
    const sizes = c.sizes;
    const from = c.offset;
    const to = from + n;
    // Validate first (nothing is applied from a bad batch); a batch of CLEARs only leaves the
    // precisions alone, like the object path.
    let levels = false;
    for (let i = from; i < to; i++) {
      const a = actions[i];
      if (a === ACTION_CLEAR) continue;
      if (a > ACTION_CLEAR || sides[i] > ASK) throw badColumns(i - from, a, sides[i]);
      levels = true;
    }
    if (!levels) {
      this.clear();
      return;
    }
    if (pp > this.pricePrecision || sp > this.sizePrecision) {
      this.ensurePrecision(Math.max(pp, this.pricePrecision), Math.max(sp, this.sizePrecision));
    }
    const pf = pp === this.pricePrecision ? 1 : pow10(this.pricePrecision - pp);
    const sf = sp === this.sizePrecision ? 1 : pow10(this.sizePrecision - sp);
    const bids = this.bids;
    const asks = this.asks;
    for (let i = from; i < to; i++) {
      const a = actions[i];
      if (a === ACTION_CLEAR) {
        this.clear();
        continue;
      }
      const p = prices[i] * pf;
      const s = a === ACTION_DELETE ? 0 : sizes[i] * sf;
      if (sides[i] === BID) bids.set(p, s);
      else asks.set(-p, s);
    }
  }

  /** Replaces the book with a depth snapshot. */
  applyDepth(depth: OrderBookDepth): void {
    this.clear();
    for (const l of depth.bids) this.applyLevel(BookSide.Bid, l.price, l.size);
    for (const l of depth.asks) this.applyLevel(BookSide.Ask, l.price, l.size);
  }

  /** Keeps the best `depth` levels per side (how Kraken maintains a `book-N` subscription). */
  truncate(depth: number): void {
    this.bids.truncate(depth);
    this.asks.truncate(depth);
  }

  get bidLevels(): number {
    return this.bids.n;
  }

  get askLevels(): number {
    return this.asks.n;
  }

  /** Best bid raw price, NaN when the side is empty. */
  bestBidRaw(): number {
    return this.bids.bestKey();
  }

  bestAskRaw(): number {
    return -this.asks.bestKey();
  }

  bestBidSizeRaw(): number {
    return this.bids.bestSize();
  }

  bestAskSizeRaw(): number {
    return this.asks.bestSize();
  }

  /** Raw price of the `k`-th best level (0 = best) of `side`, NaN past the end. */
  priceAt(side: SideIndex, k: number): number {
    const l = side === BID ? this.bids : this.asks;
    const key = l.keyAt(k);
    return side === BID ? key : -key;
  }

  sizeAt(side: SideIndex, k: number): number {
    const l = side === BID ? this.bids : this.asks;
    return l.sizeAt(k);
  }

  bestBid(): Price | null {
    return this.bids.n === 0 ? null : Price.fromRaw(this.bestBidRaw(), this.pricePrecision);
  }

  bestAsk(): Price | null {
    return this.asks.n === 0 ? null : Price.fromRaw(this.bestAskRaw(), this.pricePrecision);
  }

  /** Exact decimal text of a raw price at the book's precision. */
  formatPrice(raw: number): string {
    return formatRaw(raw, this.pricePrecision);
  }

  formatSize(raw: number): string {
    return formatRaw(raw, this.sizePrecision);
  }

  /** Ask minus bid as a raw price; NaN if a side is empty. */
  spreadRaw(): number {
    return this.bestAskRaw() - this.bestBidRaw();
  }

  /** True when best bid >= best ask. */
  isCrossed(): boolean {
    return this.bids.n > 0 && this.asks.n > 0 && this.bestBidRaw() >= this.bestAskRaw();
  }

  /** Mid price, exact, at one more decimal than the book; null if a side is empty. */
  mid(): Price | null {
    if (this.bids.n === 0 || this.asks.n === 0) return null;
    return Price.fromRaw((this.bestBidRaw() + this.bestAskRaw()) * 5, this.pricePrecision + 1);
  }

  /**
   * Size-weighted mid (microprice) `(bid·askSize + ask·bidSize) / (bidSize + askSize)` as a
   * float in price units: a model input, not a money amount. NaN if a side is empty.
   */
  microprice(): number {
    if (this.bids.n === 0 || this.asks.n === 0) return Number.NaN;
    const b = this.bestBidRaw();
    const a = this.bestAskRaw();
    const bs = this.bestBidSizeRaw();
    const as = this.bestAskSizeRaw();
    return (b * as + a * bs) / (bs + as) / pow10(this.pricePrecision);
  }

  /** Raw sizes of the best `n` levels of `side` (fewer if the side is shorter). */
  depth(side: SideIndex, n: number): { prices: number[]; sizes: number[] } {
    const prices: number[] = [];
    const sizes: number[] = [];
    if (n <= 0) return { prices, sizes };
    const sign = side === BID ? 1 : -1;
    (side === BID ? this.bids : this.asks).walk((key, size) => {
      prices.push(sign * key);
      sizes.push(size);
      return prices.length < n;
    });
    return { prices, sizes };
  }

  /** Cumulative raw size over the best `n` levels of `side`. */
  cumulativeDepth(side: SideIndex, n: number): number[] {
    const { sizes } = this.depth(side, n);
    let acc = 0;
    return sizes.map((s) => (acc += s));
  }

  /**
   * Walks `side`'s levels (asks for a buy, bids for a sell) until `quantityRaw` is filled:
   * what a marketable order of that size would pay on the visible book.
   */
  priceToFill(side: SideIndex, quantityRaw: number): FillEstimate {
    const l = side === BID ? this.bids : this.asks;
    const sign = side === BID ? 1 : -1;
    let left = quantityRaw;
    let notional = 0;
    let worst = Number.NaN;
    let levels = 0;
    if (left > 0) {
      levels = l.walk((key, size) => {
        const take = Math.min(left, size);
        const price = sign * key;
        notional += take * price;
        left -= take;
        worst = price;
        return left > 0;
      });
    }
    const filled = quantityRaw - left;
    return {
      filledRaw: filled,
      complete: left === 0,
      vwap: filled === 0 ? Number.NaN : notional / filled / pow10(this.pricePrecision),
      worstPriceRaw: worst,
      levels,
    };
  }
}
