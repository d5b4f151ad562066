/**
 * The L3 (market-by-order) limit order book of the simulated venue: a ladder of price levels
 * per side, each a FIFO queue of resting orders, on raw integer prices and sizes.
 *
 * - A side keeps its non-empty levels in one array sorted by a key (bid: price, ask: -price),
 *   so the best level is always the **last** element: taking the best level or removing it when
 *   it empties is O(1) (`pop`), and a new level near the top of the book moves few elements.
 *   A level is found by binary search (O(log L)).
 * - Within a level, orders form a doubly linked list in time priority (`seq` ascending):
 *   append at the tail, unlink anywhere in O(1).
 * - Orders are found by id in O(1) through a `Map` in the engine; nodes and levels are pooled,
 *   so the steady state allocates nothing.
 *
 * The book itself knows nothing about order types or events: the matching engine drives it.
 */
import { OrderType, TimeInForce, TrailingOffsetType, TriggerType } from "../../model/enums.js";

/** Where an {@link OrderNode} currently is. */
export const NodeState = {
  /** In the pool, not an order. */
  Free: 0,
  /** Resting on the book (linked into a level). */
  Resting: 1,
  /** A conditional order waiting for its trigger. */
  Pending: 2,
  /** Being processed by a command (matching as taker); not on the book. */
  Active: 3,
} as const;
export type NodeState = (typeof NodeState)[keyof typeof NodeState];

/**
 * One order inside the engine. A single monomorphic class for every order type (unused fields
 * keep their defaults) so hot-path property access stays monomorphic. Nodes are pooled; `gen`
 * increases every time a node is released so stale references (expiry heap) can be detected.
 */
export class OrderNode {
  id = 0;
  owner = 0;
  isBuy = true;
  type: OrderType = OrderType.Limit;
  tif: TimeInForce = TimeInForce.GTC;
  /** Limit price (raw); 0 for market-type orders until triggered. */
  price = 0;
  /** Current total order quantity (raw); changes by modify or reduce-only resize. */
  quantity = 0;
  /** Quantity still open (raw). Filled = quantity - leaves. */
  leaves = 0;
  /** Iceberg: the quantity shown at a time (0: not an iceberg). */
  display = 0;
  /** Iceberg: the part of `leaves` not shown (resting orders only; shown = leaves - hidden). */
  hidden = 0;
  /** Time priority: lower is earlier. Renewed when the order loses priority. */
  seq = 0;
  postOnly = false;
  reduceOnly = false;
  stp = 0;
  /** Expiry time in microseconds (GTD, DAY), 0 when none. */
  expireTime = 0;
  triggerPrice = 0;
  triggerType: TriggerType = TriggerType.Default;
  trailingOffset = 0;
  trailingOffsetType: TrailingOffsetType = TrailingOffsetType.Price;
  limitOffset = 0;
  /** True once a conditional order has triggered (it then behaves as market/limit). */
  triggered = false;
  /** True while queued to fire in the current command. */
  armed = false;
  state: NodeState = NodeState.Free;
  gen = 0;
  prev: OrderNode | null = null;
  next: OrderNode | null = null;
  level: PriceLevel | null = null;
  /** Neighbours in the engine's list of live orders (acceptance order). */
  livePrev: OrderNode | null = null;
  liveNext: OrderNode | null = null;
}

/** A price level: a FIFO queue of resting orders at one price, with its total open quantity. */
export class PriceLevel {
  price = 0;
  /** Sum of the shown open quantity (`leaves - hidden`) of the orders in the queue. */
  volume = 0;
  count = 0;
  head: OrderNode | null = null;
  tail: OrderNode | null = null;
  /** Position in the ladder: page and slot within it. */
  page: LadderPage | null = null;
  slot = 0;
}

/** log2 of the number of ticks per ladder page. */
const PAGE_BITS = 12;
const PAGE_SIZE = 1 << PAGE_BITS;
const WORDS = PAGE_SIZE >>> 5;
const SUMMARY_WORDS = WORDS >>> 5;
/** Empty pages kept for reuse per side; more are dropped to bound memory. */
const MAX_FREE_PAGES = 64;

/**
 * 4,096 consecutive ticks of one side: a direct-indexed array of levels plus a two-level
 * bitmap of the occupied slots (128 words, and 4 summary words over them), so the next
 * occupied slot in either direction is found with a few `Math.clz32` calls.
 */
export class LadderPage {
  readonly levels: (PriceLevel | null)[] = new Array<PriceLevel | null>(PAGE_SIZE).fill(null);
  readonly bits = new Int32Array(WORDS);
  readonly summary = new Int32Array(SUMMARY_WORDS);
  count = 0;
  pageNo = 0;

  set(slot: number, level: PriceLevel): void {
    this.levels[slot] = level;
    const w = slot >>> 5;
    this.bits[w] |= 1 << (slot & 31);
    this.summary[w >>> 5] |= 1 << (w & 31);
    this.count++;
  }

  clear(slot: number): void {
    this.levels[slot] = null;
    const w = slot >>> 5;
    const v = this.bits[w] & ~(1 << (slot & 31));
    this.bits[w] = v;
    if (v === 0) this.summary[w >>> 5] &= ~(1 << (w & 31));
    this.count--;
  }

  /** Highest occupied slot < `slot` (pass PAGE_SIZE for the highest overall), or -1. */
  below(slot: number): number {
    let w = slot >>> 5;
    const bit = slot & 31;
    if (w < WORDS) {
      const v = this.bits[w] & ((1 << bit) - 1);
      if (v !== 0) return (w << 5) + 31 - Math.clz32(v);
    }
    let sw = w >>> 5;
    let s = sw < SUMMARY_WORDS ? this.summary[sw] & ((1 << (w & 31)) - 1) : 0;
    if (sw >= SUMMARY_WORDS) sw = SUMMARY_WORDS;
    for (;;) {
      if (s !== 0) {
        w = (sw << 5) + 31 - Math.clz32(s);
        return (w << 5) + 31 - Math.clz32(this.bits[w]);
      }
      if (--sw < 0) return -1;
      s = this.summary[sw];
    }
  }

  /** Lowest occupied slot > `slot` (pass -1 for the lowest overall), or -1. */
  above(slot: number): number {
    let w: number;
    let sw: number;
    let s: number;
    if (slot < 0) {
      sw = 0;
      s = this.summary[0];
    } else {
      w = slot >>> 5;
      const bit = slot & 31;
      const v = bit === 31 ? 0 : this.bits[w] & (-1 << (bit + 1));
      if (v !== 0) return (w << 5) + ctz(v);
      sw = w >>> 5;
      const sb = w & 31;
      s = sb === 31 ? 0 : this.summary[sw] & (-1 << (sb + 1));
    }
    for (;;) {
      if (s !== 0) {
        w = (sw << 5) + ctz(s);
        return (w << 5) + ctz(this.bits[w]);
      }
      if (++sw >= SUMMARY_WORDS) return -1;
      s = this.summary[sw];
    }
  }
}

function ctz(v: number): number {
  return 31 - Math.clz32(v & -v);
}

/**
 * One side of the book: a paged, direct-indexed ladder over tick indices (price / tick).
 * Looking up or creating a level is O(1) (a page lookup, cached for the last page used, and
 * an array index); the best level is cached; when it empties, the next one is found through
 * the page bitmaps, and across pages through the sorted list of occupied pages (pages are
 * 4,096 ticks wide, so that list is short and rarely changes). No operation depends on the
 * number of levels or orders.
 */
export class BookSide {
  private readonly pages = new Map<number, LadderPage>();
  /** Numbers of pages with at least one level, ascending. */
  private readonly pageNos: number[] = [];
  private readonly freePages: LadderPage[] = [];
  private readonly levelPool: PriceLevel[] = [];
  private lastPage: LadderPage | null = null;
  private bestLevel: PriceLevel | null = null;
  private levelCount = 0;

  constructor(
    readonly isBid: boolean,
    readonly tick: number,
  ) {}

  /** The best level, or null when the side is empty. */
  best(): PriceLevel | null {
    return this.bestLevel;
  }

  /** Best price, or NaN when the side is empty. */
  bestPrice(): number {
    const b = this.bestLevel;
    return b === null ? Number.NaN : b.price;
  }

  /** Number of non-empty levels. */
  get depth(): number {
    return this.levelCount;
  }

  /** The level at `price`, or null (also for a price that is not a tick multiple). */
  levelAt(price: number): PriceLevel | null {
    const t = this.tick === 1 ? price : price / this.tick;
    if (!Number.isSafeInteger(t) || t < 0) return null;
    const pageNo = t <= 0x7fffffff ? t >> PAGE_BITS : Math.floor(t / PAGE_SIZE);
    const page = this.findPage(pageNo);
    return page === null ? null : page.levels[t - pageNo * PAGE_SIZE];
  }

  /** The next level away from the touch after `level`, or null. */
  worse(level: PriceLevel): PriceLevel | null {
    const page = level.page!;
    const slot = this.isBid ? page.below(level.slot) : page.above(level.slot);
    if (slot >= 0) return page.levels[slot];
    return this.edgeOfNextPage(page.pageNo);
  }

  /** Levels from the best outwards (allocates an iterator: not for the hot path). */
  *levelsFromBest(): IterableIterator<PriceLevel> {
    for (let l = this.bestLevel; l !== null; l = this.worse(l)) yield l;
  }

  /** Appends `node` (price, leaves set) at the tail of its price level, creating the level. */
  append(node: OrderNode): void {
    const price = node.price;
    // Tick index and page: int32 shifts in the common case (raw tick 1, prices below 2^31).
    const t = this.tick === 1 ? price : price / this.tick;
    const pageNo = t <= 0x7fffffff ? t >> PAGE_BITS : Math.floor(t / PAGE_SIZE);
    const slot = t - pageNo * PAGE_SIZE;
    let page = this.findPage(pageNo);
    if (page === null) page = this.addPage(pageNo);
    let level = page.levels[slot];
    if (level === null) {
      level = this.levelPool.pop() ?? new PriceLevel();
      level.price = price;
      level.page = page;
      level.slot = slot;
      page.set(slot, level);
      this.levelCount++;
      const best = this.bestLevel;
      if (best === null || (this.isBid ? price > best.price : price < best.price)) this.bestLevel = level;
    }
    node.level = level;
    node.next = null;
    const tail = level.tail;
    node.prev = tail;
    if (tail === null) level.head = node;
    else tail.next = node;
    level.tail = node;
    level.count++;
    level.volume += node.leaves - node.hidden;
  }

  /**
   * Unlinks `node` from its level (its `leaves` are subtracted from the level volume). The
   * level stays in the ladder even if empty: call {@link removeLevelIfEmpty}.
   */
  unlink(node: OrderNode): void {
    const level = node.level!;
    const prev = node.prev;
    const next = node.next;
    if (prev === null) level.head = next;
    else prev.next = next;
    if (next === null) level.tail = prev;
    else next.prev = prev;
    level.count--;
    level.volume -= node.leaves - node.hidden;
    node.prev = null;
    node.next = null;
    node.level = null;
  }

  /** Removes `level` from the ladder if it has no orders. */
  removeLevelIfEmpty(level: PriceLevel): void {
    if (level.count !== 0) return;
    const page = level.page!;
    if (level === this.bestLevel) this.bestLevel = this.worse(level);
    page.clear(level.slot);
    this.levelCount--;
    if (page.count === 0) this.dropPage(page);
    level.head = null;
    level.tail = null;
    level.volume = 0;
    level.page = null;
    this.levelPool.push(level);
  }

  /** Unlinks `node` and removes its level if that empties it. */
  remove(node: OrderNode): void {
    const level = node.level!;
    this.unlink(node);
    this.removeLevelIfEmpty(level);
  }

  private findPage(pageNo: number): LadderPage | null {
    const last = this.lastPage;
    if (last !== null && last.pageNo === pageNo) return last;
    const page = this.pages.get(pageNo);
    if (page === undefined) return null;
    this.lastPage = page;
    return page;
  }

  private addPage(pageNo: number): LadderPage {
    const page = this.freePages.pop() ?? new LadderPage();
    page.pageNo = pageNo;
    this.pages.set(pageNo, page);
    const nos = this.pageNos;
    let i = nos.length;
    while (i > 0 && nos[i - 1] > pageNo) i--;
    nos.splice(i, 0, pageNo);
    this.lastPage = page;
    return page;
  }

  private dropPage(page: LadderPage): void {
    this.pages.delete(page.pageNo);
    const nos = this.pageNos;
    nos.splice(nos.indexOf(page.pageNo), 1);
    if (this.lastPage === page) this.lastPage = null;
    if (this.freePages.length < MAX_FREE_PAGES) this.freePages.push(page);
  }

  /** The first level of the next occupied page away from the touch after page `pageNo`. */
  private edgeOfNextPage(pageNo: number): PriceLevel | null {
    const nos = this.pageNos;
    const i = nos.indexOf(pageNo);
    const j = this.isBid ? i - 1 : i + 1;
    if (j < 0 || j >= nos.length) return null;
    const page = this.pages.get(nos[j])!;
    const slot = this.isBid ? page.below(PAGE_SIZE) : page.above(-1);
    return page.levels[slot];
  }
}
