/**
 * A level-2 (market-by-price) order book on raw fixed-point integers.
 *
 * Prices and sizes are the `.raw` integers of {@link Price}/{@link Quantity} at the book's
 * `pricePrecision`/`sizePrecision`. Each side is a {@link Ladder}: a paged, direct-indexed
 * array of sizes by price slot (raw integers are exact in doubles up to 2^53). Bids are keyed by
 * price, asks by -price, so one ladder type (best = highest key) serves both sides.
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

/** log2 of the slots per ladder page. */
const PAGE_BITS = 8;
const PAGE_SIZE = 1 << PAGE_BITS;
const WORDS = PAGE_SIZE >>> 5;
/**
 * Emptied pages kept for reuse per ladder (~2 KB each): a book's edges come and go, and reusing
 * pages avoids allocating (and fragmenting) off-heap memory on every level that opens a page.
 */
const MAX_FREE_PAGES = 512;

/**
 * 256 consecutive key slots: sizes by slot plus a two-level bitmap of the occupied slots (8
 * words and one summary word over them), so the next occupied slot either way is a few
 * `Math.clz32` calls.
 */
class Page {
  readonly sizes = new Float64Array(PAGE_SIZE);
  readonly bits = new Int32Array(WORDS);
  summary = 0;
  count = 0;
  no = 0;

  has(slot: number): boolean {
    return (this.bits[slot >>> 5] & (1 << (slot & 31))) !== 0;
  }

  add(slot: number): void {
    const w = slot >>> 5;
    this.bits[w] |= 1 << (slot & 31);
    this.summary |= 1 << w;
    this.count++;
  }

  remove(slot: number): void {
    const w = slot >>> 5;
    const v = this.bits[w] & ~(1 << (slot & 31));
    this.bits[w] = v;
    if (v === 0) this.summary &= ~(1 << w);
    this.count--;
  }

  /** Highest occupied slot < `slot` (PAGE_SIZE: the highest overall), or -1. */
  below(slot: number): number {
    let w = slot >>> 5;
    if (w < WORDS) {
      const v = this.bits[w] & ((1 << (slot & 31)) - 1);
      if (v !== 0) return (w << 5) + 31 - Math.clz32(v);
    }
    const s = w >= WORDS ? this.summary : this.summary & ((1 << w) - 1);
    if (s === 0) return -1;
    w = 31 - Math.clz32(s);
    return (w << 5) + 31 - Math.clz32(this.bits[w]);
  }

  /** Lowest occupied slot > `slot` (-1: the lowest overall), or -1. */
  above(slot: number): number {
    let s: number;
    if (slot < 0) s = this.summary;
    else {
      const w = slot >>> 5;
      const bit = slot & 31;
      const v = bit === 31 ? 0 : this.bits[w] & (-1 << (bit + 1));
      if (v !== 0) return (w << 5) + ctz(v);
      s = w === 31 ? 0 : this.summary & (-1 << (w + 1));
    }
    if (s === 0) return -1;
    const w = ctz(s);
    return (w << 5) + ctz(this.bits[w]);
  }
}

function ctz(v: number): number {
  return 31 - Math.clz32(v & -v);
}

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/**
 * One side of the book: integer keys (raw prices; asks negated), best = highest key, in a
 * paged, direct-indexed ladder. A key's slot is `key / unit`, `unit` being the greatest common
 * divisor of the keys seen (the price grid: 1 for raw tick 1, 10⁶ for prices at 8 decimals on
 * a 0.01 tick), in pages of 256 slots found through a `Map` (the last page used is cached).
 * Setting a level is O(1) whatever the depth (no search, no moving of other levels); the best
 * level is cached and the next one found through the page bitmaps, across pages through the
 * sorted list of occupied page numbers. `keyAt(k)` walks from the best level (O(k)), resuming
 * from the previous answer when the levels did not change, so reading levels 0..N in order is
 * O(N). Memory: one page per 256-slot window with a level in it (~2.1 KB): ~1.4 MB for the
 * Binance USD-M capture's ~9,600 levels, ~2.6 MB for the spot capture's sparser ~3,400 (the
 * sorted-block ladder this replaced needed ~0.2 MB; a book spread thinly over a huge price
 * range costs up to one page per level).
 */
export class Ladder {
  private readonly pages = new Map<number, Page>();
  /** Numbers of the pages holding levels, ascending. */
  private pageNos: number[] = [];
  private readonly free: Page[] = [];
  private last: Page | null = null;
  /** Key grid (gcd of the keys seen); 0 before the first key. */
  private unit = 0;
  /** Best level: its page and slot (null when empty). */
  private bestPage: Page | null = null;
  private bestSlot = 0;
  /** Changes of the set of keys (a size change is not one): invalidates the cursor. */
  private version = 0;
  private curVersion = -1;
  private curK = 0;
  private curPage: Page | null = null;
  private curSlot = 0;
  /** Number of levels. */
  n = 0;

  /** Removes every level. */
  clear(): void {
    // The pages are kept for reuse (a snapshot usually refills the same price range).
    for (const p of this.pages.values()) this.release(p, true);
    this.pages.clear();
    this.pageNos = [];
    this.last = null;
    this.bestPage = null;
    this.n = 0;
    this.version++;
  }

  private release(p: Page, zero: boolean): void {
    if (this.free.length >= MAX_FREE_PAGES) return;
    if (zero) {
      p.bits.fill(0);
      p.summary = 0;
      p.count = 0;
    }
    this.free.push(p);
  }

  private page(no: number): Page | null {
    const last = this.last;
    if (last !== null && last.no === no) return last;
    const p = this.pages.get(no);
    if (p === undefined) return null;
    this.last = p;
    return p;
  }

  private addPage(no: number): Page {
    const p = this.free.pop() ?? new Page();
    p.no = no;
    this.pages.set(no, p);
    const nos = this.pageNos;
    const i = this.rank(no);
    if (i === nos.length) nos.push(no);
    else nos.splice(i, 0, no);
    this.last = p;
    return p;
  }

  private dropPage(p: Page): void {
    this.pages.delete(p.no);
    const nos = this.pageNos;
    const i = this.rank(p.no);
    if (i === nos.length - 1) nos.pop();
    else nos.splice(i, 1);
    if (this.last === p) this.last = null;
    this.release(p, false);
  }

  /** Index of the first occupied page number >= `no` (binary search). */
  private rank(no: number): number {
    const nos = this.pageNos;
    let lo = 0;
    let hi = nos.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (nos[mid] < no) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The next page below (`down`) or above page `no` holding levels, or null. */
  private nextPage(no: number, down: boolean): Page | null {
    const nos = this.pageNos;
    const i = this.rank(no) + (down ? -1 : 1);
    return i < 0 || i >= nos.length ? null : this.pages.get(nos[i])!;
  }

  /** Re-indexes every level on a finer grid (a key off the current one arrived). */
  private regrid(unit: number): void {
    const { keys, sizes } = this.toArrays();
    this.clear();
    this.unit = unit;
    for (let i = 0; i < keys.length; i++) this.set(keys[i], sizes[i]);
  }

  /** Sets the size at `key`; size 0 removes the level. */
  set(key: number, size: number): void {
    let unit = this.unit;
    if (unit === 0) {
      if (size === 0) return;
      unit = this.unit = key === 0 ? 1 : Math.abs(key);
    }
    let i = unit === 1 ? key : key / unit;
    if (i !== Math.floor(i)) {
      if (size === 0) return; // off the grid: not a level
      this.regrid(gcd(unit, Math.abs(key)));
      unit = this.unit;
      i = key / unit;
    }
    const no = i >= -0x80000000 && i <= 0x7fffffff ? i >> PAGE_BITS : Math.floor(i / PAGE_SIZE);
    const slot = i - no * PAGE_SIZE;
    let p = this.page(no);
    if (size === 0) {
      if (p === null || !p.has(slot)) return;
      p.remove(slot);
      this.n--;
      this.version++;
      if (this.bestPage === p && this.bestSlot === slot) {
        let s = p.below(slot);
        let bp: Page | null = p;
        if (s < 0) {
          bp = this.nextPage(no, true);
          if (bp !== null) s = bp.below(PAGE_SIZE);
        }
        this.bestPage = bp;
        this.bestSlot = s;
      }
      if (p.count === 0) this.dropPage(p);
      return;
    }
    if (p === null) p = this.addPage(no);
    if (!p.has(slot)) {
      p.add(slot);
      this.n++;
      this.version++;
      const bp = this.bestPage;
      if (bp === null || no > bp.no || (no === bp.no && slot > this.bestSlot)) {
        this.bestPage = p;
        this.bestSlot = slot;
      }
    }
    p.sizes[slot] = size;
  }

  /** Size at `key`, 0 when there is no level there. */
  get(key: number): number {
    const unit = this.unit;
    if (unit === 0) return 0;
    const i = unit === 1 ? key : key / unit;
    if (i !== Math.floor(i)) return 0;
    const no = i >= -0x80000000 && i <= 0x7fffffff ? i >> PAGE_BITS : Math.floor(i / PAGE_SIZE);
    const p = this.page(no);
    if (p === null) return 0;
    const slot = i - no * PAGE_SIZE;
    return p.has(slot) ? p.sizes[slot] : 0;
  }

  private keyOf(p: Page, slot: number): number {
    return (p.no * PAGE_SIZE + slot) * this.unit;
  }

  /** Moves the cursor to the `k`-th best level; false past the end. */
  private seek(k: number): boolean {
    let p: Page | null;
    let s: number;
    let at: number;
    if (this.curVersion === this.version && this.curPage !== null && k >= this.curK) {
      p = this.curPage;
      s = this.curSlot;
      at = this.curK;
    } else {
      p = this.bestPage;
      s = this.bestSlot;
      at = 0;
      if (p === null || k >= this.n) return false;
    }
    for (; at < k; at++) {
      let t = p.below(s);
      if (t < 0) {
        p = this.nextPage(p.no, true);
        if (p === null) return false;
        t = p.below(PAGE_SIZE);
      }
      s = t;
    }
    this.curVersion = this.version;
    this.curPage = p;
    this.curSlot = s;
    this.curK = k;
    return true;
  }

  /** Key of the `k`-th best level (0 = best), NaN past the end. */
  keyAt(k: number): number {
    if (k < 0 || !this.seek(k)) return Number.NaN;
    return this.keyOf(this.curPage!, this.curSlot);
  }

  /** Size of the `k`-th best level (0 = best), NaN past the end. */
  sizeAt(k: number): number {
    if (k < 0 || !this.seek(k)) return Number.NaN;
    return this.curPage!.sizes[this.curSlot];
  }

  /** Sum of the sizes of the best `n` levels (fewer if the side has fewer); one walk. */
  sumTop(n: number): number {
    let p = this.bestPage;
    if (p === null || n <= 0) return 0;
    let s = this.bestSlot;
    let sum = p.sizes[s];
    for (let k = 1; k < n; k++) {
      let t = p.below(s);
      if (t < 0) {
        const q: Page | null = this.nextPage(p.no, true);
        if (q === null) break;
        p = q;
        t = p.below(PAGE_SIZE);
      }
      s = t;
      sum += p.sizes[s];
    }
    return sum;
  }

  /** Best key, NaN when empty. */
  bestKey(): number {
    const p = this.bestPage;
    return p === null ? Number.NaN : (p.no * PAGE_SIZE + this.bestSlot) * this.unit;
  }

  bestSize(): number {
    const p = this.bestPage;
    return p === null ? Number.NaN : p.sizes[this.bestSlot];
  }

  /**
   * Calls `fn(key, size)` from the best level outwards until it returns false or the levels
   * run out; returns the number of levels visited.
   */
  walk(fn: (key: number, size: number) => boolean): number {
    let visited = 0;
    const nos = this.pageNos;
    for (let j = nos.length - 1; j >= 0; j--) {
      const p = this.pages.get(nos[j])!;
      for (let s = p.below(PAGE_SIZE); s >= 0; s = p.below(s)) {
        visited++;
        if (!fn(this.keyOf(p, s), p.sizes[s])) return visited;
      }
    }
    return visited;
  }

  /** All levels, ascending by key (worst first for bids' keys): for tests and snapshots. */
  toArrays(): { keys: number[]; sizes: number[] } {
    const keys: number[] = [];
    const sizes: number[] = [];
    for (const no of this.pageNos) {
      const p = this.pages.get(no)!;
      for (let s = p.above(-1); s >= 0; s = p.above(s)) {
        keys.push(this.keyOf(p, s));
        sizes.push(p.sizes[s]);
      }
    }
    return { keys, sizes };
  }

  /** Keeps only the best `depth` levels. */
  truncate(depth: number): void {
    while (this.n > Math.max(0, depth)) {
      const p = this.pages.get(this.pageNos[0])!;
      this.set(this.keyOf(p, p.above(-1)), 0);
    }
  }

  /** Multiplies every key (or size) by `factor` (precision widening). */
  scale(factor: number, sizes: boolean): void {
    if (!sizes) {
      this.unit *= factor;
      return;
    }
    for (const p of this.pages.values())
      for (let s = p.above(-1); s >= 0; s = p.above(s)) p.sizes[s] *= factor;
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

  /** Sum of the raw sizes of the best `n` levels of a side (all of them if fewer). */
  sizeSum(side: SideIndex, n: number): number {
    return (side === BID ? this.bids : this.asks).sumTop(n);
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
