/**
 * The simulated venue adapter: an {@link ExecutionClient} backed by one {@link MatchingEngine}
 * per instrument, driven by historical market data through a fill model (recorded L2 book,
 * trades + quotes, or bars), with a latency model and maker/taker fees.
 *
 * - Own orders are ordinary engine orders of owner {@link OWN_OWNER}; order types, time in
 *   force, post-only, reduce-only, triggers and modify rules are the engine's
 *   (`docs/matching.md`).
 * - Recorded liquidity is a plain L2 ladder per side (price → displayed size, and what our takers
 *   consumed); a market-data update costs O(levels changed) and creates no orders. Only for an
 *   engine command that could take liquidity are the levels it could reach put into the engine
 *   as {@link EXTERNAL_OWNER} limit orders (and taken out after), so an aggressive own order
 *   walks the recorded book with the engine's own matching; what it takes stays gone until the
 *   data updates that level.
 * - Passive own orders are filled by the fill model through {@link MatchingEngine.fillResting}
 *   (queue position, trades through the price, bar paths).
 *
 * Every rule, with the exact queue-position and intra-bar path rules: `docs/simvenue.md`.
 */
import type { Clock } from "../../core/clock.js";
import type { Rng } from "../../core/rng.js";
import type {
  BalanceReport,
  ExecutionClient,
  ExecutionReportSink,
  OrderStatusReport,
  PositionReport,
  TradeReport,
  VenueCapabilities,
  VenueEditRequest,
  VenueOrderRequest,
  VenueReport,
} from "../../execution/client.js";
import {
  ACTION_CLEAR,
  ACTION_DELETE,
  type Bar,
  BarSpecification,
  type BookDeltaColumns,
  type MarkPriceUpdate,
  type OrderBookDeltas,
  type QuoteTick,
  type TradeTick,
} from "../../model/data.js";
import {
  AggressorSide,
  BookAction,
  BookSide as DataBookSide,
  LiquiditySide,
  OrderSide,
  OrderStatus,
  OrderType,
  TimeInForce,
  TrailingOffsetType,
  TriggerType,
} from "../../model/enums.js";
import { formatRaw, parseDecimal, rescale } from "../../model/fixed.js";
import {
  type AccountId,
  type ClientOrderId,
  type InstrumentId,
  VenueOrderId,
} from "../../model/identifiers.js";
import type { Instrument } from "../../model/instruments.js";
import { Price, Quantity } from "../../model/values.js";
import { EngineEventKind, EXTERNAL_OWNER, Reason, reasonName } from "./codes.js";
import { FeeSchedule } from "./fees.js";
import { type BarPathRule, barPath, type FillModelKind, queueAfterLevelUpdate } from "./fill-models.js";
import { NodeState } from "./l3-book.js";
import { type LatencyConfig, LatencyModel } from "./latency.js";
import { type EngineEvent, MatchingEngine, type OrderRequest } from "./matching-engine.js";
import { RecordedSide } from "./recorded-ladder.js";
import { conditionMet, isConditionalType, triggerCategory } from "./triggers.js";

export type { BarPathRule, FillModelKind } from "./fill-models.js";

/** Engine owner id of this venue's own (strategy) orders. */
export const OWN_OWNER = 1;
/** External mirror order ids: base + 2 × raw price + side (0 bid, 1 ask); own ids count from 1. */
const EXT_ID_BASE = 2 ** 51;
/** How many closed orders `fetchOrder` still answers (the most recent ones). */
const CLOSED_KEPT = 10_000;
/** Queue ahead of an order whose depth is unknown (trades model, behind the touch). */
const UNKNOWN_QUEUE = Number.POSITIVE_INFINITY;

export interface SimulatedExchangeConfig {
  venue: string;
  accountId: AccountId;
  instruments: readonly Instrument[];
  clock: Clock;
  /** Seeded; used for latency jitter only. */
  rng: Rng;
  fillModel: FillModelKind;
  /**
   * Constant + seeded uniform jitter in [0, jitterUs], µs; default all 0 (synchronous). Market
   * data latency (`marketDataUs`, `marketDataJitterUs`) is applied by the driver (the backtest
   * engine) through {@link SimulatedExchange.marketDataTime}.
   */
  latency?: LatencyConfig;
  /** Decimal rates overriding every instrument's makerFee / takerFee. */
  fees?: { maker: string; taker: string };
  /** Intra-bar path of the bar model (default proximity). */
  barPath?: BarPathRule;
  /**
   * Bar model: fill on these finer bars only (a bar specification such as "1-MINUTE-LAST"); the
   * instrument's other bars (e.g. the strategy's 1-hour bars) are ignored by the venue. Default:
   * every bar of the instrument.
   */
  fillBars?: string;
  /**
   * Signed raw position (instrument size precision) for reduce-only checks. It must include every
   * fill synchronously; default: the venue's own position, built from its fills.
   */
  positionOf?: (instrumentId: InstrumentId) => number;
  capabilities?: Partial<VenueCapabilities>;
}

/** Default capabilities: every engine type that a {@link VenueOrderRequest} can fully describe. */
export const SIM_NATIVE_ORDER_TYPES: ReadonlySet<OrderType> = new Set([
  OrderType.Market,
  OrderType.Limit,
  OrderType.StopMarket,
  OrderType.StopLimit,
  OrderType.MarketIfTouched,
  OrderType.LimitIfTouched,
]);

/** The venue's record of one own order. */
class OwnOrder {
  status: OrderStatus = OrderStatus.Submitted;
  filledRaw = 0;
  quantityRaw = 0;
  priceRaw = 0;
  triggerRaw = 0;
  reason: string | null = null;
  tsLast = 0;
  live = false;
  /** Passive model state: queue ahead (raw size), the engine priority it was computed for. */
  queueAhead = 0;
  restSeq = -1;
  watch: LevelWatch | null = null;
  /** Waiting for its trigger (counted in `SimBook.pendingCount`). */
  pending = false;
  /** Triggers on the bid/ask. */
  bidAsk = false;

  constructor(
    readonly id: number,
    readonly clientOrderId: ClientOrderId,
    readonly venueOrderId: VenueOrderId,
    readonly instrumentId: InstrumentId,
    readonly side: OrderSide,
    readonly type: OrderType,
  ) {}

  get isBuy(): boolean {
    return this.side === OrderSide.Buy;
  }
}

/** A price level (one side) where own orders rest, in their priority order. */
class LevelWatch {
  /** Volume printed at this price against this side since the level's last update. */
  traded = 0;
  /** Last recorded size of the level (the touch size in the trades model; -1 = not the touch). */
  recorded = 0;
  readonly orders: OwnOrder[] = [];
  constructor(
    readonly isBuy: boolean,
    readonly price: number,
  ) {}
}

/** A command on its way to the venue; `sentAt` = the clock time it was sent (µs). */
type HeldCommand =
  | { kind: "create"; request: VenueOrderRequest; sentAt: number }
  | { kind: "cancel"; clientOrderId: ClientOrderId; instrumentId: InstrumentId; sentAt: number }
  | { kind: "edit"; request: VenueEditRequest; sentAt: number };

/** Per-instrument state: engine, own orders, queue watches, position. */
class SimBook {
  readonly engine: MatchingEngine;
  readonly fees: FeeSchedule;
  readonly pricePrecision: number;
  readonly sizePrecision: number;
  readonly tick: number;
  readonly lot: number;
  readonly huge: number;
  /**
   * Notional limits as integers at price + size precision (min rounded up, max down), or
   * undefined when they do not fit a safe integer (the exact BigInt check is used then).
   */
  readonly minNotionalRaw: number | undefined;
  readonly maxNotionalRaw: number | undefined;
  /** Live own orders by engine id. */
  readonly live = new Map<number, OwnOrder>();
  readonly watches = new Map<number, LevelWatch>();
  /** Range of watched prices per side (lo > hi when none): a cheap filter before the map. */
  watchBidLo = Number.POSITIVE_INFINITY;
  watchBidHi = Number.NEGATIVE_INFINITY;
  watchAskLo = Number.POSITIVE_INFINITY;
  watchAskHi = Number.NEGATIVE_INFINITY;
  /** Own orders touched by the current engine command (queue position to (re)compute). */
  readonly touched: OwnOrder[] = [];
  position = 0;
  nextId = 1;
  /** Trades model: the current touch (raw), NaN when none. */
  bidPx = Number.NaN;
  askPx = Number.NaN;
  bidSz = 0;
  askSz = 0;
  readonly trades: TradeReport[] = [];
  /**
   * The recorded liquidity as plain L2 ladders (level `volume` = recorded size, `taken` = what
   * our takers consumed since the level's last update); no order objects.
   */
  readonly recBids: RecordedSide;
  readonly recAsks: RecordedSide;
  /** Own orders waiting for a trigger; those on the bid/ask. */
  pendingCount = 0;
  bidAskCount = 0;
  /** Recorded levels materialised into the engine for the current command. */
  private readonly matIds: number[] = [];
  /** Their ladder sides and prices (what was taken is recorded there on settle). */
  private readonly matSides: RecordedSide[] = [];
  private readonly matPrices: number[] = [];
  private readonly matQty: number[] = [];
  private matBid = false;
  private matAsk = false;
  private matBeyondBid = Number.NaN;
  private matBeyondAsk = Number.NaN;

  constructor(
    readonly instrument: Instrument,
    readonly exchange: SimulatedExchange,
    feeOverride: { maker: string; taker: string } | undefined,
    positionOf: ((id: InstrumentId) => number) | undefined,
  ) {
    this.fees = new FeeSchedule(instrument, feeOverride);
    this.pricePrecision = instrument.pricePrecision;
    this.sizePrecision = instrument.sizePrecision;
    this.tick = instrument.priceIncrement.raw;
    this.lot = instrument.sizeIncrement.raw;
    this.huge = Math.floor(2 ** 49 / this.lot) * this.lot;
    const scale = this.pricePrecision + this.sizePrecision;
    this.minNotionalRaw =
      instrument.minNotional === null ? 0 : scaledLimit(instrument.minNotional, scale, true);
    this.maxNotionalRaw =
      instrument.maxNotional === null
        ? Number.MAX_SAFE_INTEGER
        : scaledLimit(instrument.maxNotional, scale, false);
    const id = instrument.id;
    const pos = positionOf === undefined ? () => this.position : () => positionOf(id);
    this.recBids = new RecordedSide(true);
    this.recAsks = new RecordedSide(false);
    this.engine = MatchingEngine.forInstrument(instrument, {
      listener: (e) => exchange.onEngineEvent(this, e),
      positionOf: (owner) => (owner === OWN_OWNER ? pos() : 0),
      startTime: Math.max(0, exchange.clock.timestampUs()),
      externalTouch: (isBuy) => this.externalTouch(isBuy),
    });
  }

  static extId(isBuy: boolean, price: number): number {
    return EXT_ID_BASE + price * 2 + (isBuy ? 0 : 1);
  }

  /** Raw price at the instrument's precision; throws (data error) when not exact. */
  priceRaw(p: Price, what: string): number {
    if (p.precision === this.pricePrecision) return p.raw;
    try {
      return rescale(p.raw, p.precision, this.pricePrecision);
    } catch {
      throw new RangeError(
        `${this.instrument.id}: ${what} price ${p} does not fit precision ${this.pricePrecision}`,
      );
    }
  }

  sizeRaw(q: Quantity, what: string): number {
    if (q.precision === this.sizePrecision) return q.raw;
    try {
      return rescale(q.raw, q.precision, this.sizePrecision);
    } catch {
      throw new RangeError(
        `${this.instrument.id}: ${what} size ${q} does not fit precision ${this.sizePrecision}`,
      );
    }
  }

  /** A raw value at precision `from` rescaled to `to`; throws (data error) when not exact. */
  rawAt(raw: number, from: number, to: number, what: string): number {
    try {
      return rescale(raw, from, to);
    } catch {
      throw new RangeError(
        `${this.instrument.id}: ${what} ${formatRaw(raw, from)} does not fit precision ${to}`,
      );
    }
  }

  price(raw: number): Price {
    return Price.fromRaw(raw, this.pricePrecision);
  }

  qty(raw: number): Quantity {
    return Quantity.fromRaw(raw, this.sizePrecision);
  }

  /** Engine time to `now`: GTD/DAY expiries (only bid/ask triggers can fire then). */
  advance(now: number): void {
    if (now <= this.engine.now) return;
    if (this.bidAskCount === 0) {
      this.engine.advanceTime(now);
      return;
    }
    this.prepare(0, 0, true);
    this.engine.advanceTime(now);
    this.settle();
  }

  /**
   * Whether own pending orders may fire in a command that moves reference `category` (0 last,
   * 2 mark) to `px`: a bid/ask order is pending (own book changes move its reference), or one of
   * that category is satisfied at `px` (a trailing stop moves away from `px`, so its current
   * trigger decides).
   */
  mayFire(category: number, px: number): boolean {
    if (this.pendingCount === 0) return false;
    if (this.bidAskCount > 0) return true;
    for (const o of this.live.values()) {
      if (!o.pending) continue;
      const n = this.engine.getOrder(o.id);
      if (n === undefined || triggerCategory(n.triggerType) !== category) continue;
      if (conditionMet(n.type, n.isBuy, n.triggerPrice, px)) return true;
    }
    return false;
  }

  // ------------------------------------------------------------ recorded ladder

  /**
   * Sets the recorded level (0 removes it); what our takers had consumed there is available
   * again. A level at or through own resting orders of the other side fills them (the book
   * moving through them).
   */
  setRecorded(isBid: boolean, price: number, size: number): void {
    this.checkLevel(isBid, price, size);
    this.putRecorded(isBid, price, size);
  }

  /** Throws (data error) unless the level is on the instrument's tick and lot grid. */
  checkLevel(isBid: boolean, price: number, size: number): void {
    const t = price / this.tick;
    const n = size / this.lot;
    if (!(t > 0) || t !== Math.floor(t) || !(n >= 0) || n !== Math.floor(n)) {
      throw new RangeError(
        `${this.instrument.id}: recorded level ${isBid ? "bid" : "ask"} ${formatRaw(price, this.pricePrecision)} x ${formatRaw(size, this.sizePrecision)} is not on the instrument's tick/lot grid`,
      );
    }
  }

  /** {@link setRecorded} for a level already checked. */
  putRecorded(isBid: boolean, price: number, size: number): void {
    const side = isBid ? this.recBids : this.recAsks;
    side.set(price, size);
    if (size !== 0 && this.live.size !== 0) this.throughOwn(side, price, size);
  }

  /**
   * Own resting orders of the other side at or through a recorded level fill against it as
   * maker at their own price, best first, up to the level's available size (then consumed).
   */
  private throughOwn(side: RecordedSide, px: number, volume: number): void {
    const isBid = side.isBid;
    const own = isBid ? this.engine.asks : this.engine.bids;
    let taken = 0;
    for (;;) {
      const rem = volume - taken;
      const l = own.best();
      if (rem <= 0 || l === null || (isBid ? l.price > px : l.price < px)) return;
      const node = l.head!;
      const q = this.engine.fillResting(node.id, Math.min(node.leaves, rem), node.price);
      taken += q;
      side.take(px, q); // at once: a trigger checked inside the next fill sees it
      if (q === 0 && own.best() === l && l.head === node) return;
    }
  }

  /** Recorded size at a level (before our consumption), 0 when absent. */
  recordedAt(isBid: boolean, price: number): number {
    return (isBid ? this.recBids : this.recAsks).volumeAt(price);
  }

  /** What is left of a recorded level after our consumption, 0 when absent. */
  availableAt(isBid: boolean, price: number): number {
    return (isBid ? this.recBids : this.recAsks).availableAt(price);
  }

  /** Best recorded price with liquidity left on a side, NaN when none. */
  bestAvailable(isBid: boolean): number {
    return (isBid ? this.recBids : this.recAsks).bestAvailable();
  }

  /** Whether a limit price reaches recorded liquidity left on the other side. */
  reaches(isBuy: boolean, price: number): boolean {
    return isBuy ? price >= this.bestAvailable(false) : price <= this.bestAvailable(true);
  }

  /** Best price a taker would meet (recorded with liquidity left, or own resting), NaN when none. */
  touch(isBuyTaker: boolean): number {
    const rec = this.bestAvailable(!isBuyTaker);
    const own = isBuyTaker ? this.engine.bestAsk() : this.engine.bestBid();
    if (Number.isNaN(rec)) return own;
    if (Number.isNaN(own)) return rec;
    return isBuyTaker ? Math.min(rec, own) : Math.max(rec, own);
  }

  /** The engine's bid/ask trigger reference outside its book: the recorded touch not materialised. */
  private externalTouch(isBuy: boolean): number {
    if (isBuy) return this.matAsk ? this.matBeyondAsk : this.bestAvailable(false);
    return this.matBid ? this.matBeyondBid : this.bestAvailable(true);
  }

  /**
   * Before an engine command that may take liquidity: the best recorded levels are put into the
   * engine as {@link EXTERNAL_OWNER} orders — for buy takers asks up to `buyNeed`, for sell
   * takers bids up to `sellNeed`, plus, when `triggers` (own pending orders may fire in this
   * command), what all of them could need. {@link settle} takes them out again.
   * O(levels materialised); nothing when no need.
   */
  prepare(buyNeed: number, sellNeed: number, triggers: boolean): void {
    if (triggers && this.pendingCount > 0) {
      for (const o of this.live.values()) {
        if (!o.pending) continue;
        if (o.isBuy) buyNeed += o.quantityRaw - o.filledRaw;
        else sellNeed += o.quantityRaw - o.filledRaw;
      }
    }
    if (buyNeed > 0) this.materialize(true, buyNeed);
    if (sellNeed > 0) this.materialize(false, sellNeed);
  }

  private materialize(buyTaker: boolean, need: number): void {
    const side = buyTaker ? this.recAsks : this.recBids;
    const e = this.engine;
    let cum = 0;
    let k = 0;
    let price = side.priceAt(0);
    for (; !Number.isNaN(price) && cum < need; price = side.priceAt(++k)) {
      const avail = side.volumeAtRank(k) - side.takenAt(price);
      if (avail <= 0) continue;
      const id = SimBook.extId(!buyTaker, price);
      const ok = e.submit({
        orderId: id,
        owner: EXTERNAL_OWNER,
        side: buyTaker ? OrderSide.Sell : OrderSide.Buy,
        type: OrderType.Limit,
        price,
        quantity: avail,
        timeInForce: TimeInForce.GTC,
      });
      if (!ok) {
        throw new RangeError(
          `${this.instrument.id}: recorded level ${buyTaker ? "ask" : "bid"} ${formatRaw(price, this.pricePrecision)} x ${formatRaw(avail, this.sizePrecision)} cannot be simulated (price or size out of range)`,
        );
      }
      this.matIds.push(id);
      this.matSides.push(side);
      this.matPrices.push(price);
      this.matQty.push(avail);
      cum += avail;
    }
    while (!Number.isNaN(price) && side.takenAt(price) >= side.volumeAtRank(k)) price = side.priceAt(++k);
    const beyond = price;
    if (buyTaker) {
      this.matAsk = true;
      this.matBeyondAsk = beyond;
    } else {
      this.matBid = true;
      this.matBeyondBid = beyond;
    }
  }

  /** After the command: what our takers took stays taken on the ladder; the copies leave. */
  settle(): void {
    const ids = this.matIds;
    const n = ids.length;
    this.matAsk = false;
    this.matBid = false;
    if (n === 0) return;
    const e = this.engine;
    for (let i = 0; i < n; i++) {
      const node = e.getOrder(ids[i]);
      this.matSides[i].take(this.matPrices[i], this.matQty[i] - (node === undefined ? 0 : node.leaves));
    }
    for (let i = 0; i < n; i++) if (e.getOrder(ids[i]) !== undefined) e.cancel(ids[i]);
    ids.length = 0;
    this.matSides.length = 0;
    this.matPrices.length = 0;
    this.matQty.length = 0;
  }

  /** Removes every recorded level. */
  clearRecorded(): void {
    this.recBids.clear();
    this.recAsks.clear();
  }

  // ------------------------------------------------------------ queue position

  /** After an engine command: own orders that (re)joined a queue get their queue position. */
  syncResting(): void {
    const t = this.touched;
    if (t.length === 0) return;
    for (let i = 0; i < t.length; i++) {
      const o = t[i];
      if (!o.live) continue;
      const node = this.engine.getOrder(o.id);
      if (node === undefined || node.state !== NodeState.Resting) {
        if (o.watch !== null) this.leave(o);
        continue;
      }
      if (node.seq === o.restSeq) continue;
      o.restSeq = node.seq;
      if (o.watch !== null) this.leave(o);
      this.join(o, node.price);
    }
    t.length = 0;
  }

  private join(o: OwnOrder, price: number): void {
    const model = this.exchange.fillModel;
    if (model === "bars") return;
    const isBuy = o.isBuy;
    const key = isBuy ? price : -price;
    let w = this.watches.get(key);
    if (w === undefined) {
      w = new LevelWatch(isBuy, price);
      if (model === "l2") w.recorded = this.recordedAt(isBuy, price);
      else w.recorded = price === (isBuy ? this.bidPx : this.askPx) ? this.recordedAt(isBuy, price) : -1;
      this.watches.set(key, w);
      this.watchRange();
    }
    if (model === "l2") {
      o.queueAhead = this.availableAt(isBuy, price);
    } else {
      const touch = isBuy ? this.bidPx : this.askPx;
      if (price === touch) o.queueAhead = this.availableAt(isBuy, price);
      else if (Number.isNaN(touch) || (isBuy ? price > touch : price < touch)) o.queueAhead = 0;
      else o.queueAhead = UNKNOWN_QUEUE;
    }
    w.orders.push(o);
    o.watch = w;
  }

  leave(o: OwnOrder): void {
    const w = o.watch;
    if (w === null) return;
    const i = w.orders.indexOf(o);
    if (i >= 0) w.orders.splice(i, 1);
    if (w.orders.length === 0) {
      this.watches.delete(w.isBuy ? w.price : -w.price);
      this.watchRange();
    }
    o.watch = null;
  }

  private watchRange(): void {
    let bl = Number.POSITIVE_INFINITY;
    let bh = Number.NEGATIVE_INFINITY;
    let al = Number.POSITIVE_INFINITY;
    let ah = Number.NEGATIVE_INFINITY;
    for (const w of this.watches.values()) {
      if (w.isBuy) {
        if (w.price < bl) bl = w.price;
        if (w.price > bh) bh = w.price;
      } else {
        if (w.price < al) al = w.price;
        if (w.price > ah) ah = w.price;
      }
    }
    this.watchBidLo = bl;
    this.watchBidHi = bh;
    this.watchAskLo = al;
    this.watchAskHi = ah;
  }

  /** The watch of own orders resting at a price, if any. */
  watchAt(isBid: boolean, price: number): LevelWatch | undefined {
    if (
      isBid
        ? price < this.watchBidLo || price > this.watchBidHi
        : price < this.watchAskLo || price > this.watchAskHi
    )
      return undefined;
    return this.watches.get(isBid ? price : -price);
  }

  /** Fills all of a resting own order at `price` (the market went through it), iceberg refills too. */
  fillThrough(id: number, price: number): void {
    for (;;) {
      const node = this.engine.getOrder(id);
      if (node === undefined || node.state !== NodeState.Resting) return;
      if (this.engine.fillResting(id, node.leaves, price) === 0) return;
    }
  }

  /** A recorded level changed from its last recorded size to `newSize`: queue rule (L2). */
  levelUpdated(w: LevelWatch, oldSize: number, newSize: number): void {
    const orders = w.orders;
    for (let i = 0; i < orders.length; i++) {
      const o = orders[i];
      o.queueAhead = queueAfterLevelUpdate(o.queueAhead, oldSize, newSize, w.traded);
    }
    w.traded = 0;
    w.recorded = newSize;
  }

  /**
   * A recorded trade of `size` at `price`: own resting orders it went through fill completely at
   * their price; orders at the price fill with what is left after their queue ahead.
   */
  passiveFills(price: number, size: number, aggressor: AggressorSide): void {
    if (this.watches.size === 0) return;
    const hitsBids = aggressor !== AggressorSide.Buyer;
    const hitsAsks = aggressor !== AggressorSide.Seller;
    let levels: LevelWatch[] | null = null;
    for (const w of this.watches.values()) {
      if (w.isBuy ? hitsBids && w.price >= price : hitsAsks && w.price <= price) {
        if (levels === null) levels = [];
        levels.push(w);
      }
    }
    if (levels === null) return;
    // Best price first (the aggressor reached it first), then by priority within a level.
    levels.sort((a, b) =>
      a.isBuy === b.isBuy ? (a.isBuy ? b.price - a.price : a.price - b.price) : a.isBuy ? -1 : 1,
    );
    const fillIds: number[] = [];
    const fillQty: number[] = [];
    const fillPx: number[] = [];
    for (const w of levels) {
      const orders = w.orders;
      if (w.price !== price) {
        for (const o of orders) {
          fillIds.push(o.id);
          fillQty.push(o.quantityRaw - o.filledRaw);
          fillPx.push(w.price);
        }
        continue;
      }
      w.traded += size;
      let v = size;
      let ext = 0;
      for (const o of orders) {
        if (o.queueAhead === UNKNOWN_QUEUE) break;
        const ahead = Math.max(0, o.queueAhead - ext);
        const t = Math.min(ahead, v);
        ext += t;
        v -= t;
        if (v <= 0) break;
        const f = Math.min(o.quantityRaw - o.filledRaw, v);
        if (f > 0) {
          fillIds.push(o.id);
          fillQty.push(f);
          fillPx.push(w.price);
          v -= f;
        }
        if (v <= 0) break;
      }
      for (const o of orders)
        if (o.queueAhead !== UNKNOWN_QUEUE) o.queueAhead = Math.max(0, o.queueAhead - ext);
    }
    for (let i = 0; i < fillIds.length; i++) {
      if (fillQty[i] <= 0) continue;
      if (fillPx[i] !== price) this.fillThrough(fillIds[i], fillPx[i]);
      else this.engine.fillResting(fillIds[i], fillQty[i], fillPx[i]);
      this.syncResting();
    }
  }
}

/**
 * The simulated exchange. Market data must be given to it (`process*`) in time order, before
 * strategies see the same data; commands reach it after the entry latency and its reports reach
 * the sink after the acknowledgement latency (both synchronous when zero).
 */
export class SimulatedExchange implements ExecutionClient {
  readonly venue: string;
  readonly accountId: AccountId;
  readonly capabilities: VenueCapabilities;
  readonly clock: Clock;
  readonly fillModel: FillModelKind;
  readonly barPathRule: BarPathRule;
  /** Bar model: the specification of the bars filled on (null: all). */
  readonly fillBars: string | null;
  private readonly latency: LatencyModel;
  private readonly books = new Map<InstrumentId, SimBook>();
  private readonly byClient = new Map<string, { book: SimBook; order: OwnOrder }>();
  /**
   * Closed orders still answered by `fetchOrder`, oldest first (a ring of {@link CLOSED_KEPT}):
   * older ones are forgotten, so a long run keeps O(live + CLOSED_KEPT) orders, not all of them.
   */
  private readonly closedRing: (OwnOrder | undefined)[] = new Array(CLOSED_KEPT);
  private closedNext = 0;
  private sink: ExecutionReportSink | null = null;
  private outbox: VenueReport[] = [];
  private readonly deliverQueue: VenueReport[] = [];
  private delivering = false;
  private timerSeq = 0;
  private held: HeldCommand[] = [];
  private lastTs = 0;
  /** Bar model: the open time of the bar whose open is being processed, else -1. */
  private barOpenTime = -1;

  constructor(config: SimulatedExchangeConfig) {
    if (config.fillModel !== "l2" && config.fillModel !== "trades" && config.fillModel !== "bars") {
      throw new RangeError(`fillModel must be "l2", "trades" or "bars", got ${String(config.fillModel)}`);
    }
    const rule = config.barPath ?? "proximity";
    if (rule !== "proximity" && rule !== "ohlc" && rule !== "olhc") {
      throw new RangeError(`barPath must be "proximity", "ohlc" or "olhc", got ${String(rule)}`);
    }
    this.venue = config.venue;
    this.accountId = config.accountId;
    this.clock = config.clock;
    this.fillModel = config.fillModel;
    this.barPathRule = rule;
    this.fillBars = config.fillBars === undefined ? null : BarSpecification.parse(config.fillBars).toString();
    this.latency = new LatencyModel(config.latency, config.rng);
    if (config.fees !== undefined) {
      parseDecimal(config.fees.maker);
      parseDecimal(config.fees.taker);
    }
    const c = config.capabilities ?? {};
    this.capabilities = {
      nativeOrderTypes: c.nativeOrderTypes ?? SIM_NATIVE_ORDER_TYPES,
      supportsModify: c.supportsModify ?? true,
      supportsPostOnly: c.supportsPostOnly ?? true,
      supportsReduceOnly: c.supportsReduceOnly ?? true,
    };
    for (const inst of config.instruments) {
      if (inst.id.venue !== config.venue) {
        throw new RangeError(`instrument ${inst.id} is not on venue ${config.venue}`);
      }
      if (this.books.has(inst.id)) throw new RangeError(`instrument ${inst.id} given twice`);
      this.books.set(inst.id, new SimBook(inst, this, config.fees, config.positionOf));
    }
  }

  /** True when strategies see this venue's market data later than it happens. */
  get delaysMarketData(): boolean {
    return this.latency.delaysMarketData;
  }

  /**
   * When market data that happened at `ts` on this venue reaches strategies: `ts` +
   * `marketDataUs` + seeded jitter in [0, `marketDataJitterUs`], never before the previous one.
   */
  marketDataTime(ts: number): number {
    return this.latency.marketDataTime(ts);
  }

  /** The matching engine of an instrument (read-only use: queries, tests). */
  engineOf(instrumentId: InstrumentId): MatchingEngine {
    return this.book(instrumentId).engine;
  }

  /**
   * The recorded touch with what our takers consumed taken off (raw prices, NaN when a side has
   * nothing left): what the next own taker would meet from the recorded data.
   */
  recordedTouch(instrumentId: InstrumentId): { bid: number; ask: number } {
    const b = this.book(instrumentId);
    return { bid: b.bestAvailable(true), ask: b.bestAvailable(false) };
  }

  /** Queue ahead (raw size) of a resting own order, undefined when it is not resting/unknown. */
  queueAheadOf(clientOrderId: ClientOrderId): number | undefined {
    const e = this.byClient.get(clientOrderId.value);
    if (e === undefined || e.order.watch === null) return undefined;
    return e.order.queueAhead;
  }

  /** Signed raw position the venue has built from its own fills. */
  positionRaw(instrumentId: InstrumentId): number {
    return this.book(instrumentId).position;
  }

  private book(id: InstrumentId): SimBook {
    const b = this.books.get(id);
    if (b === undefined) throw new RangeError(`instrument ${id} is not on simulated venue ${this.venue}`);
    return b;
  }

  private now(): number {
    if (this.barOpenTime >= 0) return Math.max(this.barOpenTime, this.lastTs);
    const t = this.clock.timestampUs();
    if (t > this.lastTs) this.lastTs = t;
    return this.lastTs;
  }

  bind(sink: ExecutionReportSink): void {
    this.sink = sink;
  }

  // ------------------------------------------------------------------ commands

  createOrder(request: VenueOrderRequest): void {
    this.send({ kind: "create", request, sentAt: this.clock.timestampUs() });
  }

  cancelOrder(
    clientOrderId: ClientOrderId,
    _venueOrderId: VenueOrderId | null,
    instrumentId: InstrumentId,
  ): void {
    this.send({ kind: "cancel", clientOrderId, instrumentId, sentAt: this.clock.timestampUs() });
  }

  editOrder(request: VenueEditRequest): void {
    this.send({ kind: "edit", request, sentAt: this.clock.timestampUs() });
  }

  private send(cmd: HeldCommand): void {
    if (this.latency.entryUs === 0 && this.latency.jitterUs === 0) {
      this.arrive(cmd);
      return;
    }
    const at = this.latency.entryTime(this.now());
    this.clock.setTimeAlert(`${this.venue}:sim:cmd:${++this.timerSeq}`, at, () => this.arrive(cmd));
  }

  /** A command reached the venue: bar model holds it for the next bar's open, others run it. */
  private arrive(cmd: HeldCommand): void {
    if (this.fillModel === "bars" && this.books.has(instrumentOf(cmd))) {
      this.held.push(cmd);
      return;
    }
    this.execute(cmd);
    this.flush();
  }

  private execute(cmd: HeldCommand): void {
    if (cmd.kind === "create") this.executeCreate(cmd.request);
    else if (cmd.kind === "cancel") this.executeCancel(cmd.clientOrderId);
    else this.executeEdit(cmd.request);
  }

  private executeCreate(r: VenueOrderRequest): void {
    const now = this.now();
    const book = this.books.get(r.instrumentId);
    if (book === undefined) {
      this.outbox.push({
        kind: "rejected",
        clientOrderId: r.clientOrderId,
        reasonCode: "UNKNOWN_INSTRUMENT",
        reason: `instrument ${r.instrumentId} is not traded on ${this.venue}`,
        ts: now,
      });
      return;
    }
    book.advance(now);
    const id = book.nextId++;
    const o = new OwnOrder(
      id,
      r.clientOrderId,
      new VenueOrderId(`${book.instrument.id.symbol}-${id}`),
      book.instrument.id,
      r.side,
      r.type,
    );
    o.tsLast = now;
    const prev = this.byClient.get(r.clientOrderId.value);
    if (prev?.order.live) {
      this.reject(book, o, "DUPLICATE_CLIENT_ORDER_ID", `client order id ${r.clientOrderId} is live already`);
      return;
    }
    this.byClient.set(r.clientOrderId.value, { book, order: o });
    const qty = toRaw(r.quantity, book.sizePrecision);
    if (qty === null) {
      this.reject(
        book,
        o,
        reasonName(Reason.QuantityNotMultipleOfLot),
        `quantity ${r.quantity} is finer than the size increment ${book.instrument.sizeIncrement}`,
      );
      return;
    }
    const price = r.price === null ? null : toRaw(r.price, book.pricePrecision);
    const trig = r.triggerPrice === null ? null : toRaw(r.triggerPrice, book.pricePrecision);
    if (price === null && r.price !== null) {
      this.reject(
        book,
        o,
        reasonName(Reason.PriceNotMultipleOfTick),
        `price ${r.price} is finer than the tick ${book.instrument.priceIncrement}`,
      );
      return;
    }
    if (trig === null && r.triggerPrice !== null) {
      this.reject(
        book,
        o,
        reasonName(Reason.PriceNotMultipleOfTick),
        `trigger price ${r.triggerPrice} is finer than the tick ${book.instrument.priceIncrement}`,
      );
      return;
    }
    const display = r.displayQty === null ? null : toRaw(r.displayQty, book.sizePrecision);
    if (display === null && r.displayQty !== null) {
      this.reject(
        book,
        o,
        reasonName(Reason.QuantityNotMultipleOfLot),
        `display quantity ${r.displayQty} is finer than the size increment ${book.instrument.sizeIncrement}`,
      );
      return;
    }
    const limitCheck = this.checkLimits(book, r.side === OrderSide.Buy, r.type, qty, price, trig);
    if (limitCheck !== null) {
      this.reject(book, o, limitCheck[0], limitCheck[1]);
      return;
    }
    o.quantityRaw = qty;
    o.priceRaw = price ?? 0;
    o.triggerRaw = trig ?? 0;
    o.live = true;
    book.live.set(id, o);
    const req: OrderRequest = {
      orderId: id,
      owner: OWN_OWNER,
      side: r.side,
      type: r.type,
      quantity: qty,
      price,
      triggerPrice: trig,
      timeInForce: r.timeInForce,
      postOnly: r.postOnly,
      reduceOnly: r.reduceOnly,
      displayQty: display,
      expireTime: r.expireTime ?? null,
      triggerType: r.triggerType,
      trailingOffset: offsetRaw(r.trailingOffset, r.trailingOffsetType, book.pricePrecision),
      limitOffset: offsetRaw(r.limitOffset, r.trailingOffsetType, book.pricePrecision),
      trailingOffsetType: r.trailingOffsetType,
    };
    o.bidAsk = r.triggerType === TriggerType.BidAsk;
    // Recorded liquidity goes into the engine only when this order could take it.
    const isBuy = r.side === OrderSide.Buy;
    const need = price === null || trig !== null || book.reaches(isBuy, price) ? qty : 0;
    book.prepare(isBuy ? need : 0, isBuy ? 0 : need, need > 0 || book.bidAskCount > 0);
    book.engine.submit(req);
    book.settle();
    book.syncResting();
    const exp = r.expireTime;
    if (o.live && exp != null && r.timeInForce === TimeInForce.GTD) {
      // The order expires at its time even when no market data arrives then.
      this.clock.setTimeAlert(`${this.venue}:sim:gtd:${++this.timerSeq}`, exp, () => {
        book.advance(this.now());
        book.syncResting();
        this.flush();
      });
    }
  }

  /**
   * Instrument limits (min/max quantity, min/max notional): null when fine, else [code, text].
   * Notional uses the limit price, else the trigger price, else the touch on the side the order
   * would take, else the last price; with none of them a min-notional check fails closed.
   */
  private checkLimits(
    book: SimBook,
    isBuy: boolean,
    type: OrderType,
    qty: number,
    price: number | null,
    trig: number | null,
  ): [string, string] | null {
    const inst = book.instrument;
    if (inst.minQuantity !== null && qty < toRaw(inst.minQuantity, book.sizePrecision)!) {
      return ["QUANTITY_BELOW_MINIMUM", `quantity ${book.qty(qty)} is below the minimum ${inst.minQuantity}`];
    }
    if (inst.maxQuantity !== null && qty > toRaw(inst.maxQuantity, book.sizePrecision)!) {
      return ["QUANTITY_ABOVE_MAXIMUM", `quantity ${book.qty(qty)} is above the maximum ${inst.maxQuantity}`];
    }
    if (inst.minNotional === null && inst.maxNotional === null) return null;
    let ref = price ?? trig ?? Number.NaN;
    if (Number.isNaN(ref)) {
      ref = book.touch(isBuy);
      if (Number.isNaN(ref)) ref = book.engine.lastPrice;
    }
    if (Number.isNaN(ref)) {
      return [
        "NO_REFERENCE_PRICE",
        `no price to check the ${type} order's notional against the minimum ${inst.minNotional}`,
      ];
    }
    // Fast path: the notional and the limits as safe integers at price + size precision.
    const n = ref * qty * inst.multiplier;
    if (Number.isSafeInteger(n) && book.minNotionalRaw !== undefined && book.maxNotionalRaw !== undefined) {
      if (n >= book.minNotionalRaw && n <= book.maxNotionalRaw) return null;
    }
    const scale = book.pricePrecision + book.sizePrecision;
    const notional = BigInt(ref) * BigInt(qty) * BigInt(inst.multiplier);
    const text = formatBig(notional, scale);
    if (inst.minNotional !== null && compareDecimal(notional, scale, inst.minNotional) < 0) {
      return ["NOTIONAL_BELOW_MINIMUM", `notional ${text} is below the minimum ${inst.minNotional}`];
    }
    if (inst.maxNotional !== null && compareDecimal(notional, scale, inst.maxNotional) > 0) {
      return ["NOTIONAL_ABOVE_MAXIMUM", `notional ${text} is above the maximum ${inst.maxNotional}`];
    }
    return null;
  }

  private reject(book: SimBook, o: OwnOrder, code: string, reason: string): void {
    o.status = OrderStatus.Rejected;
    o.reason = `${code}: ${reason}`;
    o.live = false;
    if (this.byClient.get(o.clientOrderId.value)?.order === o) this.retire(o);
    this.outbox.push({
      kind: "rejected",
      clientOrderId: o.clientOrderId,
      reasonCode: code,
      reason,
      ts: book.engine.now,
    });
  }

  private executeCancel(clientOrderId: ClientOrderId): void {
    const now = this.now();
    const e = this.byClient.get(clientOrderId.value);
    if (e === undefined || !e.order.live) {
      this.outbox.push({
        kind: "cancelRejected",
        clientOrderId,
        reason: reasonName(Reason.UnknownOrder),
        ts: now,
      });
      return;
    }
    const book = e.book;
    book.advance(now);
    book.prepare(0, 0, book.bidAskCount > 0);
    book.engine.cancel(e.order.id);
    book.settle();
    book.syncResting();
  }

  private executeEdit(r: VenueEditRequest): void {
    const now = this.now();
    const e = this.byClient.get(r.clientOrderId.value);
    if (!this.capabilities.supportsModify) {
      this.outbox.push({
        kind: "modifyRejected",
        clientOrderId: r.clientOrderId,
        reason: "MODIFY_UNSUPPORTED",
        ts: now,
      });
      return;
    }
    if (e === undefined || !e.order.live) {
      this.outbox.push({
        kind: "modifyRejected",
        clientOrderId: r.clientOrderId,
        reason: reasonName(Reason.UnknownOrder),
        ts: now,
      });
      return;
    }
    const { book, order: o } = e;
    book.advance(now);
    const qty = r.quantity === null ? null : toRaw(r.quantity, book.sizePrecision);
    const price = r.price === null ? null : toRaw(r.price, book.pricePrecision);
    const trig = r.triggerPrice === null ? null : toRaw(r.triggerPrice, book.pricePrecision);
    let bad: string | null = null;
    if (qty === null && r.quantity !== null) bad = reasonName(Reason.QuantityNotMultipleOfLot);
    else if ((price === null && r.price !== null) || (trig === null && r.triggerPrice !== null)) {
      bad = reasonName(Reason.PriceNotMultipleOfTick);
    } else {
      const lim = this.checkLimits(
        book,
        o.isBuy,
        o.type,
        qty ?? o.quantityRaw,
        price ?? (o.priceRaw || null),
        trig ?? (o.triggerRaw || null),
      );
      if (lim !== null) bad = lim[0];
    }
    if (bad !== null) {
      this.outbox.push({
        kind: "modifyRejected",
        clientOrderId: r.clientOrderId,
        reason: bad,
        ts: book.engine.now,
      });
      return;
    }
    const newPrice = price ?? o.priceRaw;
    const need =
      o.pending || newPrice === 0 || book.reaches(o.isBuy, newPrice)
        ? (qty ?? o.quantityRaw) - o.filledRaw
        : 0;
    book.prepare(o.isBuy ? need : 0, o.isBuy ? 0 : need, need > 0 || book.bidAskCount > 0);
    book.engine.modify(o.id, price, qty, trig);
    book.settle();
    book.syncResting();
  }

  // ------------------------------------------------------------------ engine events → reports

  /** @internal The engines' listener (one per instrument). */
  onEngineEvent(book: SimBook, e: EngineEvent): void {
    const kind = e.kind;
    if (kind === EngineEventKind.Trade) {
      if (e.owner === OWN_OWNER)
        this.onFill(book, e.orderId, e.lastPx, e.lastQty, e.leaves, false, e.isBuy, e);
      if (e.makerOwner === OWN_OWNER)
        this.onFill(book, e.makerOrderId, e.lastPx, e.lastQty, e.makerLeaves, true, !e.isBuy, e);
      return;
    }
    if (e.owner !== OWN_OWNER) return;
    const o = book.live.get(e.orderId);
    // Commands for unknown or closed orders are answered before they reach the engine.
    if (o === undefined) return;
    const ts = e.ts;
    o.tsLast = ts;
    switch (kind) {
      case EngineEventKind.Accepted:
        o.status = OrderStatus.Accepted;
        // Trailing stops: the trigger (and limit) the engine computed.
        if (e.triggerPrice !== 0) o.triggerRaw = e.triggerPrice;
        if (e.price !== 0) o.priceRaw = e.price;
        if (isConditionalType(e.orderType)) {
          o.pending = true;
          book.pendingCount++;
          if (o.bidAsk) book.bidAskCount++;
        }
        book.touched.push(o);
        this.outbox.push({
          kind: "accepted",
          clientOrderId: o.clientOrderId,
          venueOrderId: o.venueOrderId,
          ts,
        });
        return;
      case EngineEventKind.Rejected:
        o.status = OrderStatus.Rejected;
        o.reason = reasonName(e.reason);
        this.close(book, o);
        this.outbox.push({
          kind: "rejected",
          clientOrderId: o.clientOrderId,
          reasonCode: reasonName(e.reason),
          reason: `rejected by the matching engine: ${reasonName(e.reason)}`,
          ts,
        });
        return;
      case EngineEventKind.Triggered:
        o.status = OrderStatus.Triggered;
        this.unpend(book, o);
        book.touched.push(o);
        this.outbox.push({
          kind: "triggered",
          clientOrderId: o.clientOrderId,
          venueOrderId: o.venueOrderId,
          ts,
        });
        return;
      case EngineEventKind.Updated: {
        if (e.reason === Reason.IcebergRefilled) {
          // Not a change the owner asked for: the refill re-joins the queue, no report.
          book.touched.push(o);
          return;
        }
        const qtyChanged = e.quantity !== o.quantityRaw;
        const pxChanged = e.price !== o.priceRaw;
        const trChanged = e.triggerPrice !== o.triggerRaw;
        o.quantityRaw = e.quantity;
        o.priceRaw = e.price;
        o.triggerRaw = e.triggerPrice;
        book.touched.push(o);
        this.outbox.push({
          kind: "updated",
          clientOrderId: o.clientOrderId,
          venueOrderId: o.venueOrderId,
          quantity: qtyChanged || e.reason === Reason.Modified ? book.qty(e.quantity) : null,
          price: pxChanged && e.price !== 0 ? book.price(e.price) : null,
          triggerPrice: trChanged && e.triggerPrice !== 0 ? book.price(e.triggerPrice) : null,
          ts,
        });
        return;
      }
      case EngineEventKind.ModifyRejected:
        this.outbox.push({
          kind: "modifyRejected",
          clientOrderId: o.clientOrderId,
          reason: reasonName(e.reason),
          ts,
        });
        return;
      case EngineEventKind.Canceled:
        o.status = OrderStatus.Canceled;
        o.reason = reasonName(e.reason);
        this.close(book, o);
        this.outbox.push({ kind: "canceled", clientOrderId: o.clientOrderId, ts });
        return;
      case EngineEventKind.CancelRejected:
        this.outbox.push({
          kind: "cancelRejected",
          clientOrderId: o.clientOrderId,
          reason: reasonName(e.reason),
          ts,
        });
        return;
      case EngineEventKind.Expired:
        o.status = OrderStatus.Expired;
        o.reason = reasonName(e.reason);
        this.close(book, o);
        this.outbox.push({ kind: "expired", clientOrderId: o.clientOrderId, ts });
        return;
    }
  }

  private unpend(book: SimBook, o: OwnOrder): void {
    if (!o.pending) return;
    o.pending = false;
    book.pendingCount--;
    if (o.bidAsk) book.bidAskCount--;
  }

  private close(book: SimBook, o: OwnOrder): void {
    this.unpend(book, o);
    o.live = false;
    book.live.delete(o.id);
    if (o.watch !== null) book.leave(o);
    this.retire(o);
  }

  /** A closed order joins the ring of those still answered; the oldest one is forgotten. */
  private retire(o: OwnOrder): void {
    const ring = this.closedRing;
    const i = this.closedNext;
    const old = ring[i];
    if (old !== undefined) {
      const key = old.clientOrderId.value;
      if (this.byClient.get(key)?.order === old) this.byClient.delete(key);
    }
    ring[i] = o;
    this.closedNext = i + 1 === ring.length ? 0 : i + 1;
  }

  private onFill(
    book: SimBook,
    orderId: number,
    px: number,
    qty: number,
    leaves: number,
    isMaker: boolean,
    isBuy: boolean,
    e: EngineEvent,
  ): void {
    const o = book.live.get(orderId);
    if (o === undefined) return;
    o.filledRaw += qty;
    o.tsLast = e.ts;
    book.position += isBuy ? qty : -qty;
    o.status = leaves === 0 ? OrderStatus.Filled : OrderStatus.PartiallyFilled;
    if (leaves === 0) this.close(book, o);
    const lastPx = book.price(px);
    const lastQty = book.qty(qty);
    const commission = book.fees.commission(px, qty, isMaker);
    const liquiditySide = isMaker ? LiquiditySide.Maker : LiquiditySide.Taker;
    const tradeId = `${book.instrument.id.symbol}-${e.tradeId}`;
    book.trades.push({
      clientOrderId: o.clientOrderId,
      venueOrderId: o.venueOrderId,
      instrumentId: o.instrumentId,
      tradeId,
      side: o.side,
      lastQty,
      lastPx,
      commission,
      liquiditySide,
      tsEvent: e.ts,
    });
    this.outbox.push({
      kind: "filled",
      clientOrderId: o.clientOrderId,
      venueOrderId: o.venueOrderId,
      tradeId,
      lastQty,
      lastPx,
      commission,
      liquiditySide,
      ts: e.ts,
    });
  }

  // ------------------------------------------------------------------ report delivery

  /** Sends the reports produced so far: now (zero latency) or after the ack latency. */
  private flush(): void {
    if (this.outbox.length === 0) return;
    const batch = this.outbox;
    this.outbox = [];
    if (this.latency.ackUs === 0 && this.latency.jitterUs === 0) {
      this.deliver(batch);
      return;
    }
    const at = this.latency.ackTime(this.now());
    this.clock.setTimeAlert(`${this.venue}:sim:ack:${++this.timerSeq}`, at, () => this.deliver(batch));
  }

  private deliver(batch: VenueReport[]): void {
    const q = this.deliverQueue;
    for (let i = 0; i < batch.length; i++) q.push(batch[i]);
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let i = 0; i < q.length; i++) this.sink?.onVenueReport(q[i]);
    } finally {
      q.length = 0;
      this.delivering = false;
    }
  }

  // ------------------------------------------------------------------ market data

  /** Recorded L2 book changes (L2 model; ignored by the others). */
  processBookDeltas(d: OrderBookDeltas): void {
    if (this.fillModel !== "l2") return;
    const book = this.books.get(d.instrumentId);
    if (book === undefined) return;
    book.advance(this.now());
    const cols = d.columns;
    if (cols !== null) this.applyColumns(book, d.isSnapshot, cols);
    else this.applyObjects(book, d);
    if (book.bidAskCount > 0) {
      // Bid/ask triggers see the recorded touch after the whole batch.
      book.prepare(0, 0, true);
      book.engine.checkTriggers();
      book.settle();
    }
    book.syncResting();
    this.flush();
  }

  /**
   * A batch in message order, except that a level that would cross the opposite side (recorded
   * liquidity left, or own resting orders) at that moment waits until the rest of the batch is
   * applied (a venue batch is consistent only as a whole). Cost: O(levels changed).
   */
  private applyObjects(book: SimBook, d: OrderBookDeltas): void {
    const list = d.deltas;
    const n = list.length;
    const sides = new Uint8Array(n);
    const actions = new Uint8Array(n);
    const prices = new Float64Array(n);
    const sizes = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const delta = list[i];
      const o = delta.order;
      if (delta.action === BookAction.Clear || o === null) {
        actions[i] = ACTION_CLEAR;
        continue;
      }
      sides[i] = o.side === DataBookSide.Bid ? 0 : 1;
      prices[i] = book.priceRaw(o.price, "book");
      if (delta.action === BookAction.Delete) actions[i] = ACTION_DELETE;
      else sizes[i] = book.sizeRaw(o.size, "book");
    }
    this.applyLevels(book, d.isSnapshot, 0, n, sides, actions, prices, sizes);
  }

  private applyColumns(book: SimBook, isSnapshot: boolean, c: BookDeltaColumns): void {
    const n = c.count;
    const from = c.offset;
    let prices = c.prices;
    let sizes = c.sizes;
    let shift = 0;
    if (c.pricePrecision !== book.pricePrecision || c.sizePrecision !== book.sizePrecision) {
      // Rescaled into reused scratch columns (index i - from): no allocation per batch.
      if (this.scratchPrices.length < n) {
        this.scratchPrices = new Float64Array(Math.max(n, 2 * this.scratchPrices.length));
        this.scratchSizes = new Float64Array(this.scratchPrices.length);
      }
      prices = this.scratchPrices;
      sizes = this.scratchSizes;
      shift = from;
      const actions = c.actions;
      for (let i = 0; i < n; i++) {
        if (actions[from + i] === ACTION_CLEAR) continue;
        prices[i] = book.rawAt(c.prices[from + i], c.pricePrecision, book.pricePrecision, "book price");
        sizes[i] = book.rawAt(c.sizes[from + i], c.sizePrecision, book.sizePrecision, "book size");
      }
    }
    this.applyLevels(book, isSnapshot, from, from + n, c.sides, c.actions, prices, sizes, shift);
  }

  /** Scratch columns for batches at another precision than the instrument's. */
  private scratchPrices = new Float64Array(256);
  private scratchSizes = new Float64Array(256);

  /**
   * Levels `from..to` (sides 0 bid / 1 ask, {@link ACTION_CODES} actions, raw prices and sizes at
   * the instrument's precisions). A CLEAR anywhere makes the batch a snapshot.
   */
  private applyLevels(
    book: SimBook,
    isSnapshot: boolean,
    from: number,
    to: number,
    sides: Uint8Array,
    actions: Uint8Array,
    prices: Float64Array,
    sizes: Float64Array,
    shift = 0,
  ): void {
    // prices/sizes of level i are at i - shift (a rescaled copy), sides/actions at i.
    // Checked as a whole first: a bad level leaves the recorded book untouched.
    let snapshot = isSnapshot;
    for (let i = from; i < to; i++) {
      const a = actions[i];
      if (a === ACTION_CLEAR) snapshot = true;
      else book.checkLevel(sides[i] === 0, prices[i - shift], a === ACTION_DELETE ? 0 : sizes[i - shift]);
    }
    if (snapshot) {
      const old = new Map<LevelWatch, number>();
      for (const w of book.watches.values()) old.set(w, w.recorded);
      book.clearRecorded();
      for (let i = from; i < to; i++) {
        const a = actions[i];
        if (a !== ACTION_CLEAR)
          book.putRecorded(sides[i] === 0, prices[i - shift], a === ACTION_DELETE ? 0 : sizes[i - shift]);
      }
      for (const [w, oldSize] of old) book.levelUpdated(w, oldSize, book.recordedAt(w.isBuy, w.price));
      return;
    }
    const deferred = this.deferredScratch;
    deferred.length = 0;
    for (let i = from; i < to; i++) {
      const a = actions[i];
      if (a === ACTION_CLEAR) continue;
      const bid = sides[i] === 0;
      const price = prices[i - shift];
      const size = a === ACTION_DELETE ? 0 : sizes[i - shift];
      if (size > 0 && (bid ? price >= book.touch(true) : price <= book.touch(false))) {
        deferred.push(i);
        continue;
      }
      this.applyLevel(book, bid, price, size);
    }
    for (let j = 0; j < deferred.length; j++) {
      const i = deferred[j];
      this.applyLevel(book, sides[i] === 0, prices[i - shift], sizes[i - shift]);
    }
    deferred.length = 0;
  }

  /** Levels of the current batch that wait for the rest of it (reused). */
  private readonly deferredScratch: number[] = [];

  private applyLevel(book: SimBook, isBid: boolean, price: number, size: number): void {
    const w = book.watchAt(isBid, price);
    if (w !== undefined) book.levelUpdated(w, w.recorded, size);
    book.putRecorded(isBid, price, size);
  }

  /** A recorded trade: passive fills (L2 and trades models), then the last price (all but bars). */
  processTrade(t: TradeTick): void {
    if (this.fillModel === "bars") return;
    const book = this.books.get(t.instrumentId);
    if (book === undefined) return;
    book.advance(this.now());
    const price = book.priceRaw(t.price, "trade");
    book.prepare(0, 0, book.mayFire(0, price));
    book.passiveFills(price, book.sizeRaw(t.size, "trade"), t.aggressorSide);
    book.engine.setLastPrice(price);
    book.settle();
    book.syncResting();
    this.flush();
  }

  /** Top of book (trades model: the only liquidity; ignored by the others). */
  processQuote(q: QuoteTick): void {
    if (this.fillModel !== "trades") return;
    const book = this.books.get(q.instrumentId);
    if (book === undefined) return;
    book.advance(this.now());
    const bid = book.priceRaw(q.bidPrice, "quote bid");
    const ask = book.priceRaw(q.askPrice, "quote ask");
    const bidSize = book.sizeRaw(q.bidSize, "quote bid");
    const askSize = book.sizeRaw(q.askSize, "quote ask");
    // Queue positions first (they compare with the previous touch), then the mirror.
    if (book.watches.size !== 0) {
      for (const w of book.watches.values()) {
        const touch = w.isBuy ? bid : ask;
        const size = w.isBuy ? bidSize : askSize;
        if (w.price === touch) {
          if (w.recorded >= 0) {
            // An identical touch is not an update (the trades since the last change still count).
            if (size !== w.recorded) book.levelUpdated(w, w.recorded, size);
          } else {
            for (const o of w.orders) o.queueAhead = Math.min(o.queueAhead, size);
            w.traded = 0;
            w.recorded = size;
          }
        } else if (w.isBuy ? w.price > touch : w.price < touch) {
          // The touch moved behind the order: its level emptied.
          for (const o of w.orders) o.queueAhead = 0;
          w.traded = 0;
          w.recorded = -1;
        } else {
          w.recorded = -1; // now behind the touch: queue frozen
        }
      }
    }
    // A side whose price and size did not change is not refreshed: what we took stays taken.
    const bidChanged = book.bidPx !== bid || book.bidSz !== bidSize;
    const askChanged = book.askPx !== ask || book.askSz !== askSize;
    if (!Number.isNaN(book.bidPx) && book.bidPx !== bid) book.setRecorded(true, book.bidPx, 0);
    if (!Number.isNaN(book.askPx) && book.askPx !== ask) book.setRecorded(false, book.askPx, 0);
    book.bidPx = bid;
    book.askPx = ask;
    book.bidSz = bidSize;
    book.askSz = askSize;
    if (bidChanged) book.setRecorded(true, bid, bidSize);
    if (askChanged) book.setRecorded(false, ask, askSize);
    if (book.bidAskCount > 0) {
      book.prepare(0, 0, true);
      book.engine.checkTriggers();
      book.settle();
    }
    book.syncResting();
    this.flush();
  }

  /** Mark price: mark-price triggers (all models). */
  processMarkPrice(m: MarkPriceUpdate): void {
    const book = this.books.get(m.instrumentId);
    if (book === undefined) return;
    book.advance(this.now());
    const mark = book.priceRaw(m.markPrice, "mark");
    book.prepare(0, 0, book.mayFire(2, mark));
    book.engine.setMarkPrice(mark);
    book.settle();
    book.syncResting();
    this.flush();
  }

  /**
   * One bar (bar model; ignored by the others): held commands run at the open, then the bar is
   * replayed along its path (rules in `docs/simvenue.md`).
   */
  processBar(bar: Bar): void {
    if (this.fillModel !== "bars") return;
    const book = this.books.get(bar.barType.instrumentId);
    if (book === undefined) return;
    if (this.fillBars !== null && bar.barType.spec.toString() !== this.fillBars) return;
    // The open happens at the bar's open time (not before anything already processed).
    this.barOpenTime = bar.tsOpen;
    book.advance(this.now());
    const o = book.priceRaw(bar.open, "bar open");
    const h = book.priceRaw(bar.high, "bar high");
    const l = book.priceRaw(bar.low, "bar low");
    const c = book.priceRaw(bar.close, "bar close");
    const prevLast = book.engine.lastPrice;
    // 1. Held cancels/edits of orders that were live before this bar run first (they reached
    //    the venue before the open).
    // Commands for other instruments wait for their own instrument's next bar.
    const held: HeldCommand[] = [];
    const others: HeldCommand[] = [];
    // Commands sent after this bar opened (e.g. on a coarser bar closing at the same time as this
    // finer one) wait for a later bar: an order never fills at a price before it was sent.
    for (const cmd of this.held) {
      (this.books.get(instrumentOf(cmd)) === book && cmd.sentAt <= bar.tsOpen ? held : others).push(cmd);
    }
    this.held = others;
    const later: HeldCommand[] = [];
    for (const cmd of held) {
      if (cmd.kind !== "create") {
        const id = cmd.kind === "cancel" ? cmd.clientOrderId : cmd.request.clientOrderId;
        const e = this.byClient.get(id.value);
        if (e?.order.live && e.book === book) {
          this.execute(cmd);
          continue;
        }
      }
      later.push(cmd);
    }
    // 2. The open: resting limits it gapped through fill at the open; triggers fire at the open.
    this.touchResting(book, o, 0, true);
    const upAtOpen = Number.isNaN(prevLast) || o >= prevLast;
    this.pathPoint(book, o, upAtOpen);
    // 3. Held new orders (and commands on them), in arrival order, against the open.
    for (const cmd of later) {
      if (cmd.kind === "create") {
        this.setQuote(book, o, cmd.request.side === OrderSide.Buy);
        this.execute(cmd);
        this.removeQuote(book, o);
        book.syncResting();
      } else {
        this.execute(cmd);
      }
    }
    // 4. The path, stamped with the bar's close time (when the bar is known).
    this.barOpenTime = -1;
    book.advance(this.now());
    const path = barPath(o, h, l, c, this.barPathRule);
    for (let i = 1; i < path.length; i++) this.walk(book, path[i - 1], path[i]);
    this.flush();
  }

  /** Walks the bar path from `from` to `to`, stopping at every own order price on the way. */
  private walk(book: SimBook, from: number, to: number): void {
    if (from === to) return;
    const up = to > from;
    let cur = from;
    while (cur !== to) {
      let next = to;
      for (const o of book.live.values()) {
        const node = book.engine.getOrder(o.id);
        if (node === undefined) continue;
        let p = Number.NaN;
        if (node.state === NodeState.Resting) {
          if (node.isBuy !== up) p = node.price;
        } else if (node.state === NodeState.Pending) {
          p = node.triggerPrice;
        }
        if (Number.isNaN(p)) continue;
        if (up ? p > cur && p < next : p < cur && p > next) next = p;
      }
      this.touchResting(book, next, up ? 1 : -1, false);
      this.pathPoint(book, next, up);
      cur = next;
    }
  }

  /**
   * Fills own resting limits that price `px` reaches: sells at or below it, buys at or above it
   * (`dir` 1: only sells, -1: only buys, 0: both). At the open (`atOpen`) the fill price is the
   * open (a gap fills at the open); on the path it is the order's own price.
   */
  private touchResting(book: SimBook, px: number, dir: number, atOpen: boolean): void {
    const ids: number[] = [];
    const prices: number[] = [];
    for (const o of book.live.values()) {
      const node = book.engine.getOrder(o.id);
      if (node === undefined || node.state !== NodeState.Resting) continue;
      if (node.isBuy ? dir <= 0 && node.price >= px : dir >= 0 && node.price <= px) {
        ids.push(o.id);
        prices.push(node.price);
      }
    }
    if (ids.length === 0) return;
    // Price-time priority: best price first (buys: highest), then time (acceptance) order.
    const order = ids.map((_, i) => i);
    order.sort((a, b) => {
      const na = book.engine.getOrder(ids[a])!;
      const nb = book.engine.getOrder(ids[b])!;
      if (na.isBuy !== nb.isBuy) return na.isBuy ? -1 : 1;
      if (na.price !== nb.price) return na.isBuy ? nb.price - na.price : na.price - nb.price;
      return na.seq - nb.seq;
    });
    for (const i of order) {
      const node = book.engine.getOrder(ids[i]);
      if (node === undefined || node.state !== NodeState.Resting) continue;
      book.fillThrough(ids[i], atOpen ? px : prices[i]);
    }
    book.syncResting();
  }

  /** A path point: unlimited liquidity at `px` for the orders that fire there; last price = px. */
  private pathPoint(book: SimBook, px: number, up: boolean): void {
    if (book.live.size === 0) {
      book.engine.setLastPrice(px);
      return;
    }
    // Liquidity at px goes where the orders firing here need it: the ask for buys, the bid for
    // sells; when both sides fire at the same point, the side the move reaches gets it.
    let buys = 0;
    let sells = 0;
    for (const o of book.live.values()) {
      const node = book.engine.getOrder(o.id);
      if (node === undefined || node.state !== NodeState.Pending) continue;
      if (conditionMet(node.type, node.isBuy, node.triggerPrice, px)) {
        if (node.isBuy) buys++;
        else sells++;
      }
    }
    const askAtPx = buys > 0 && sells === 0 ? true : sells > 0 && buys === 0 ? false : up;
    this.setQuote(book, px, askAtPx);
    book.prepare(0, 0, book.mayFire(0, px));
    book.engine.setLastPrice(px);
    book.settle();
    this.removeQuote(book, px);
    book.syncResting();
  }

  /**
   * Unlimited external liquidity around `px`: for a buyer (`askAtPx`) the ask is `px` and the
   * bid one tick below; for a seller the bid is `px` and the ask one tick above.
   */
  private setQuote(book: SimBook, px: number, askAtPx: boolean): void {
    const t = book.tick;
    const bid = askAtPx ? px - t : px;
    const ask = askAtPx ? px : px + t;
    if (bid > 0) book.setRecorded(true, bid, book.huge);
    book.setRecorded(false, ask, book.huge);
  }

  private removeQuote(book: SimBook, px: number): void {
    const t = book.tick;
    for (const p of [px - t, px]) if (p > 0) book.setRecorded(true, p, 0);
    for (const p of [px, px + t]) book.setRecorded(false, p, 0);
  }

  // ------------------------------------------------------------------ queries

  fetchOrder(clientOrderId: ClientOrderId, _instrumentId: InstrumentId): Promise<OrderStatusReport | null> {
    const e = this.byClient.get(clientOrderId.value);
    return Promise.resolve(e === undefined ? null : this.statusReport(e.book, e.order));
  }

  fetchOpenOrders(instrumentId?: InstrumentId): Promise<OrderStatusReport[]> {
    const out: OrderStatusReport[] = [];
    for (const { book, order } of this.byClient.values()) {
      if (!order.live) continue;
      if (instrumentId !== undefined && book.instrument.id !== instrumentId) continue;
      out.push(this.statusReport(book, order));
    }
    return Promise.resolve(out);
  }

  fetchMyTrades(instrumentId: InstrumentId, clientOrderId?: ClientOrderId): Promise<TradeReport[]> {
    const book = this.books.get(instrumentId);
    if (book === undefined) return Promise.resolve([]);
    const list =
      clientOrderId === undefined
        ? book.trades
        : book.trades.filter((t) => t.clientOrderId.value === clientOrderId.value);
    return Promise.resolve([...list]);
  }

  fetchPositions(): Promise<PositionReport[]> {
    const out: PositionReport[] = [];
    for (const book of this.books.values()) {
      out.push({
        instrumentId: book.instrument.id,
        signedQty: formatRaw(book.position, book.sizePrecision),
        tsLast: book.engine.now,
      });
    }
    return Promise.resolve(out);
  }

  /** Balances are the portfolio's (issue 4 part 3); the venue reports none of its own. */
  fetchBalance(): Promise<BalanceReport> {
    return Promise.resolve({ accountId: this.accountId, balances: [], tsLast: this.lastTs });
  }

  private statusReport(book: SimBook, o: OwnOrder): OrderStatusReport {
    return {
      clientOrderId: o.clientOrderId,
      venueOrderId: o.venueOrderId,
      instrumentId: o.instrumentId,
      status: o.status,
      quantity: book.qty(o.quantityRaw),
      filledQty: book.qty(o.filledRaw),
      price: o.priceRaw === 0 ? null : book.price(o.priceRaw),
      triggerPrice: o.triggerRaw === 0 ? null : book.price(o.triggerRaw),
      reason: o.reason,
      tsLast: o.tsLast,
    };
  }
}

/** A decimal limit as an integer at `scale` (ceil for a minimum, floor for a maximum), if safe. */
function scaledLimit(text: string, scale: number, ceil: boolean): number | undefined {
  const d = parseDecimal(text);
  let v: bigint;
  if (d.scale <= scale) v = BigInt(d.raw) * 10n ** BigInt(scale - d.scale);
  else {
    const div = 10n ** BigInt(d.scale - scale);
    v = BigInt(d.raw) / div;
    if (ceil && v * div < BigInt(d.raw)) v += 1n;
  }
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

function instrumentOf(cmd: HeldCommand): InstrumentId {
  return cmd.kind === "cancel" ? cmd.instrumentId : cmd.request.instrumentId;
}

/**
 * A trailing offset in the engine's unit: PRICE offsets (a price distance such as 0.5) become raw
 * price units at `pricePrecision` (NaN when not exact there, so the engine rejects it with
 * INVALID_TRAILING_OFFSET); basis points and ticks pass unchanged.
 */
function offsetRaw(
  v: number | null | undefined,
  unit: TrailingOffsetType | undefined,
  pricePrecision: number,
): number | null {
  if (v == null) return null;
  if (unit !== undefined && unit !== TrailingOffsetType.Price) return v;
  const x = v * 10 ** pricePrecision;
  const r = Math.round(x);
  return Math.abs(x - r) <= 1e-9 * Math.max(1, Math.abs(x)) ? r : Number.NaN;
}

/** Raw value at `precision`, or null when the value is finer than that precision. */
function toRaw(v: Price | Quantity, precision: number): number | null {
  if (v.precision === precision) return v.raw;
  try {
    return rescale(v.raw, v.precision, precision);
  } catch {
    return null;
  }
}

/** Compares the exact decimal `raw × 10^-scale` with a decimal string. */
function compareDecimal(raw: bigint, scale: number, text: string): number {
  const d = parseDecimal(text);
  const s = Math.max(scale, d.scale);
  const a = raw * 10n ** BigInt(s - scale);
  const b = BigInt(d.raw) * 10n ** BigInt(s - d.scale);
  return a < b ? -1 : a > b ? 1 : 0;
}

function formatBig(raw: bigint, scale: number): string {
  const n = Number(raw);
  return Number.isSafeInteger(n) ? formatRaw(n, scale) : raw.toString();
}
