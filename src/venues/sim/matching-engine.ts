/**
 * The matching engine of the simulated venue: one instrument, one L3 book, price-time
 * priority, on raw integer prices and sizes (never floats).
 *
 * Commands (`submit`, `modify`, `cancel`, `cancelAll`, `advanceTime`, `setLastPrice`,
 * `setMarkPrice`) run synchronously to completion; every state change is reported, in order,
 * through one listener that receives a single reused {@link EngineEvent} (a flyweight: copy
 * what you keep, do not hold the object). A later layer turns these into the model's
 * `OrderEvent` objects. Bad input never throws: it yields a Rejected / ModifyRejected /
 * CancelRejected event with a reason code ({@link Reason}) and changes nothing.
 *
 * The listener must not call commands of the engine (it may call its queries). If the listener
 * throws, the engine stays locked and refuses further commands (fail closed: its state may be
 * half-applied).
 *
 * Rules in full: `docs/matching.md`.
 */
import { OrderSide, OrderType, TimeInForce, TrailingOffsetType, TriggerType } from "../../model/enums.js";
import type { Instrument } from "../../model/instruments.js";
import { EngineEventKind, EXTERNAL_OWNER, Reason, StpMode } from "./codes.js";
import { BookSide, NodeState, OrderNode } from "./l3-book.js";
import { OrderIndex } from "./order-index.js";
import {
  conditionMet,
  isConditionalType,
  isMarketLikeType,
  isTrailingType,
  needsLimitPrice,
  needsTriggerPrice,
  trailingLimitPrice,
  trailingTrigger,
  triggerCategory,
} from "./triggers.js";

const MICROS_PER_DAY = 86_400_000_000;
const MAX_PRICE = Number.MAX_SAFE_INTEGER;

/** A submit command. Plain data: the engine copies it and never keeps the object. */
export interface OrderRequest {
  /** Positive safe integer, unique among live orders of this engine. */
  orderId: number;
  /** Account / owner id (non-negative safe integer); {@link EXTERNAL_OWNER} is external liquidity. */
  owner: number;
  side: OrderSide;
  type: OrderType;
  /** Raw quantity (a positive multiple of the lot size). */
  quantity: number;
  /** Raw limit price: required for LIMIT, STOP_LIMIT, LIMIT_IF_TOUCHED; absent otherwise. */
  price?: number | null;
  /** Raw trigger price: required for stops and if-touched; optional for trailing stops. */
  triggerPrice?: number | null;
  /** Default: DEFAULT (= last trade). */
  triggerType?: TriggerType;
  /** Trailing distance, in `trailingOffsetType` units (raw price, basis points or ticks). */
  trailingOffset?: number | null;
  /** Trailing-stop-limit: distance of the limit price beyond the trigger, same unit. */
  limitOffset?: number | null;
  trailingOffsetType?: TrailingOffsetType;
  /** Default: IOC for MARKET, GTC otherwise. */
  timeInForce?: TimeInForce;
  /** Microseconds; required with GTD, not allowed otherwise. */
  expireTime?: number | null;
  postOnly?: boolean;
  reduceOnly?: boolean;
  /** Self-trade prevention mode for this order as a taker; default: the engine's. */
  stp?: StpMode;
  /**
   * Iceberg: raw quantity shown in the book at a time (a multiple of the lot, at most the
   * quantity; orders that can rest only). When the shown part is used up it is refilled from the
   * hidden rest and the order goes to the back of its price's queue.
   */
  displayQty?: number | null;
}

/**
 * One engine event (flyweight, reused for every event). Order fields describe the order after
 * the change; for a Trade, the order fields are the taker's and the `maker*` fields the maker's.
 */
export class EngineEvent {
  kind: EngineEventKind = EngineEventKind.Accepted;
  /** A {@link Reason} code; 0 when none. */
  reason = 0;
  /** Engine time (microseconds) of the command. */
  ts = 0;
  orderId = 0;
  owner = 0;
  isBuy = true;
  orderType: OrderType = OrderType.Limit;
  /** Limit price (raw); 0 when the order has none. */
  price = 0;
  /** Trigger price (raw); 0 when the order has none. */
  triggerPrice = 0;
  /** Total order quantity (raw). */
  quantity = 0;
  /** Open quantity after the event (raw). */
  leaves = 0;
  /** Trade only: sequential trade id (1, 2, ...). */
  tradeId = 0;
  /** Trade only: price and quantity of the trade (raw). */
  lastPx = 0;
  lastQty = 0;
  makerOrderId = 0;
  makerOwner = 0;
  makerLeaves = 0;
}

export type EngineListener = (event: EngineEvent) => void;

export interface MatchingEngineConfig {
  /** Price increment as a raw integer (e.g. 1 for a 0.01 tick at price precision 2). */
  tickSize: number;
  /** Size increment as a raw integer. */
  lotSize: number;
  /** Receives every event, synchronously. */
  listener?: EngineListener;
  /** Default self-trade prevention mode (default: cancel the taker). */
  stpMode?: StpMode;
  /**
   * Time of day (microseconds after 00:00 UTC) at which DAY orders expire; default 0 (midnight
   * UTC). A DAY order expires at the first such instant after its acceptance.
   */
  sessionEndMicrosOfDay?: number;
  /**
   * Signed open position (raw; > 0 long, < 0 short) of an owner, for reduce-only orders. It must
   * already reflect every Trade event delivered. Without it, every reduce-only order is refused.
   */
  positionOf?: (owner: number) => number;
  /** Initial engine time (microseconds). */
  startTime?: number;
  /**
   * Best price of liquidity kept outside this book (the simulated venue's recorded L2 ladder):
   * `isBuy` true asks for the best external ask, false for the best external bid; NaN when
   * none. Bid/ask triggers then reference the better of this and the book's own best.
   */
  externalTouch?: (isBuy: boolean) => number;
}

function noop(_e: EngineEvent): void {}

export class MatchingEngine {
  readonly tickSize: number;
  readonly lotSize: number;
  readonly bids: BookSide;
  readonly asks: BookSide;
  private listener: EngineListener;
  private readonly defaultStp: StpMode;
  private readonly sessionEnd: number;
  private readonly positionOf: ((owner: number) => number) | null;
  private readonly externalTouch: ((isBuy: boolean) => number) | null;
  private readonly ev = new EngineEvent();
  private readonly orders = new OrderIndex<OrderNode>();
  /** Live orders in acceptance order (for cancel-all and iteration). */
  private firstLive: OrderNode | null = null;
  private lastLive: OrderNode | null = null;
  private readonly nodePool: OrderNode[] = [];
  private nowMicros: number;
  private seq = 0;
  private tradeSeq = 0;
  private last = Number.NaN;
  private mark = Number.NaN;
  private busy = false;
  /** Untriggered conditional orders, in acceptance order. */
  private readonly pending: OrderNode[] = [];
  /** Pending orders per reference category: last, bid/ask, mark. */
  private readonly pendingByCategory = [0, 0, 0];
  /** Orders whose trigger fired during the current command, in firing order. */
  private readonly armed: OrderNode[] = [];
  private armedHead = 0;
  // Expiry min-heap on (time, push order), as parallel arrays.
  private readonly heapTime: number[] = [];
  private readonly heapOrd: number[] = [];
  private readonly heapNode: OrderNode[] = [];
  private readonly heapGen: number[] = [];
  private heapPushes = 0;
  private readonly scratch: OrderNode[] = [];
  private readonly roScratch = new Map<number, number>();

  constructor(config: MatchingEngineConfig) {
    if (!Number.isSafeInteger(config.tickSize) || config.tickSize <= 0) {
      throw new RangeError(`tickSize must be a positive safe integer, got ${config.tickSize}`);
    }
    if (!Number.isSafeInteger(config.lotSize) || config.lotSize <= 0) {
      throw new RangeError(`lotSize must be a positive safe integer, got ${config.lotSize}`);
    }
    const se = config.sessionEndMicrosOfDay ?? 0;
    if (!Number.isSafeInteger(se) || se < 0 || se >= MICROS_PER_DAY) {
      throw new RangeError(`sessionEndMicrosOfDay must be an integer in [0, 86400e6), got ${se}`);
    }
    const stp = config.stpMode ?? StpMode.CancelTaker;
    if (!isStpMode(stp)) throw new RangeError(`unknown stpMode ${stp}`);
    const start = config.startTime ?? 0;
    if (!Number.isSafeInteger(start) || start < 0) {
      throw new RangeError(`startTime must be a non-negative safe integer, got ${start}`);
    }
    this.tickSize = config.tickSize;
    this.lotSize = config.lotSize;
    this.bids = new BookSide(true, config.tickSize);
    this.asks = new BookSide(false, config.tickSize);
    this.listener = config.listener ?? noop;
    this.defaultStp = stp;
    this.sessionEnd = se;
    this.positionOf = config.positionOf ?? null;
    this.externalTouch = config.externalTouch ?? null;
    this.nowMicros = start;
  }

  /**
   * An engine for `instrument`: tick and lot are its price and size increments as raw integers
   * at its precisions (prices and quantities sent to the engine are `Price.raw` /
   * `Quantity.raw` at those precisions).
   */
  static forInstrument(
    instrument: Instrument,
    options: Omit<MatchingEngineConfig, "tickSize" | "lotSize"> = {},
  ): MatchingEngine {
    return new MatchingEngine({
      ...options,
      tickSize: instrument.priceIncrement.raw,
      lotSize: instrument.sizeIncrement.raw,
    });
  }

  /** Replaces the event listener. */
  setListener(listener: EngineListener): void {
    this.listener = listener;
  }

  // ------------------------------------------------------------------ queries

  /** Engine time in microseconds. */
  get now(): number {
    return this.nowMicros;
  }
  /** Best bid price (raw), NaN when there is none. */
  bestBid(): number {
    return this.bids.bestPrice();
  }
  /** Best ask price (raw), NaN when there is none. */
  bestAsk(): number {
    return this.asks.bestPrice();
  }
  /** Last trade price (raw; own trades or {@link setLastPrice}), NaN before the first. */
  get lastPrice(): number {
    return this.last;
  }
  /** Mark price (raw), NaN until set. */
  get markPrice(): number {
    return this.mark;
  }
  /** Number of live orders (resting and pending triggers). */
  get liveOrderCount(): number {
    return this.orders.size;
  }
  /** Number of trades so far (the last trade id). */
  get tradeCount(): number {
    return this.tradeSeq;
  }
  /** A live order by id (read only: do not change its fields), or undefined. */
  getOrder(orderId: number): Readonly<OrderNode> | undefined {
    return this.orders.get(orderId);
  }
  /** Live orders in acceptance order (read only; allocates an iterator). */
  *liveOrders(): IterableIterator<Readonly<OrderNode>> {
    for (let n = this.firstLive; n !== null; n = n.liveNext) yield n;
  }

  // ------------------------------------------------------------------ commands

  /** Submits an order. Returns true when accepted (it may still be canceled at once, e.g. IOC). */
  submit(r: OrderRequest): boolean {
    this.enter();
    const reason = this.validateSubmit(r);
    if (reason !== Reason.None) {
      this.emitRequest(EngineEventKind.Rejected, r, reason);
      this.busy = false;
      return false;
    }
    const isBuy = r.side === OrderSide.Buy;
    const type = r.type;
    const conditional = isConditionalType(type);
    let quantity = r.quantity;
    let resized = false;
    if (!conditional) {
      if (r.postOnly === true && this.crosses(isBuy, r.price!)) {
        this.emitRequest(EngineEventKind.Rejected, r, Reason.PostOnlyWouldTake);
        this.busy = false;
        return false;
      }
      if (r.reduceOnly === true) {
        const allowed = this.reduceOnlyAllowance(r.owner, isBuy);
        if (allowed === 0) {
          this.emitRequest(EngineEventKind.Rejected, r, Reason.ReduceOnlyWouldIncrease);
          this.busy = false;
          return false;
        }
        if (quantity > allowed) {
          quantity = allowed;
          resized = true;
        }
      }
    }
    const node = this.allocNode();
    node.id = r.orderId;
    node.owner = r.owner;
    node.isBuy = isBuy;
    node.type = type;
    node.tif = r.timeInForce ?? (type === OrderType.Market ? TimeInForce.IOC : TimeInForce.GTC);
    node.quantity = r.quantity;
    node.leaves = r.quantity;
    node.display = r.displayQty ?? 0;
    node.hidden = 0;
    node.price = r.price ?? 0;
    node.postOnly = r.postOnly === true;
    node.reduceOnly = r.reduceOnly === true;
    node.stp = r.stp ?? this.defaultStp;
    node.seq = ++this.seq;
    node.triggerType = r.triggerType ?? TriggerType.Default;
    node.triggerPrice = r.triggerPrice ?? 0;
    node.trailingOffset = r.trailingOffset ?? 0;
    node.trailingOffsetType = r.trailingOffsetType ?? TrailingOffsetType.Price;
    node.limitOffset = r.limitOffset ?? 0;
    node.triggered = false;
    node.armed = false;
    node.expireTime =
      node.tif === TimeInForce.GTD ? r.expireTime! : node.tif === TimeInForce.DAY ? this.nextSessionEnd() : 0;
    node.state = NodeState.Active;
    this.orders.set(node.id, node);
    node.liveNext = null;
    node.livePrev = this.lastLive;
    if (this.lastLive === null) this.firstLive = node;
    else this.lastLive.liveNext = node;
    this.lastLive = node;
    if (conditional && isTrailingType(type)) {
      if (r.triggerPrice == null) {
        const ref = this.referencePrice(node);
        node.triggerPrice = trailingTrigger(
          isBuy,
          ref,
          node.trailingOffset,
          node.trailingOffsetType,
          this.tickSize,
        );
      }
      if (type === OrderType.TrailingStopLimit) node.price = this.trailingLimit(node);
    }
    this.emitOrder(EngineEventKind.Accepted, node, Reason.None);
    if (resized) {
      this.resize(node, quantity);
      this.emitOrder(EngineEventKind.Updated, node, Reason.ReduceOnlyResized);
    }
    if (node.expireTime !== 0) this.heapPush(node);
    if (conditional) {
      this.addPending(node);
      if (conditionMet(type, isBuy, node.triggerPrice, this.referencePrice(node))) this.arm(node);
    } else {
      this.execute(node);
    }
    this.drainTriggers();
    this.busy = false;
    return true;
  }

  /**
   * Modifies a live order: `price` (limit), `quantity` (new total quantity, above the filled
   * quantity) and/or `triggerPrice` (untriggered conditional orders); null keeps a field. A price
   * change or a quantity increase on a resting order loses time priority (the order goes to the
   * back of the queue at its new price and, if it now crosses, matches as a taker first); a
   * quantity decrease alone keeps it. Returns true when applied.
   */
  modify(
    orderId: number,
    price: number | null,
    quantity: number | null,
    triggerPrice: number | null = null,
  ): boolean {
    this.enter();
    const node = this.orders.get(orderId);
    const reason =
      node === undefined ? Reason.UnknownOrder : this.validateModify(node, price, quantity, triggerPrice);
    if (reason !== Reason.None) {
      this.emitModifyRejected(orderId, node, reason);
      this.busy = false;
      return false;
    }
    const n = node!;
    if (n.state === NodeState.Pending) {
      if (price !== null) n.price = price;
      if (quantity !== null) this.resize(n, quantity);
      if (triggerPrice !== null) {
        n.triggerPrice = triggerPrice;
        if (n.type === OrderType.TrailingStopLimit) n.price = this.trailingLimit(n);
      }
      this.emitOrder(EngineEventKind.Updated, n, Reason.Modified);
      if (!n.armed && conditionMet(n.type, n.isBuy, n.triggerPrice, this.referencePrice(n))) this.arm(n);
      this.drainTriggers();
      this.busy = false;
      return true;
    }
    // Resting order.
    const newPrice = price ?? n.price;
    const newQty = quantity ?? n.quantity;
    const side = n.isBuy ? this.bids : this.asks;
    if (newPrice === n.price && newQty <= n.quantity) {
      // Size decrease (or no change): keeps time priority.
      this.shrinkResting(n, newQty);
      this.emitOrder(EngineEventKind.Updated, n, Reason.Modified);
      this.busy = false;
      return true;
    }
    if (n.postOnly && this.crosses(n.isBuy, newPrice)) {
      this.emitModifyRejected(orderId, n, Reason.PostOnlyWouldTake);
      this.busy = false;
      return false;
    }
    if (n.reduceOnly && newQty > n.quantity) {
      const newLeaves = newQty - (n.quantity - n.leaves);
      if (newLeaves > this.reduceOnlyAllowance(n.owner, n.isBuy)) {
        this.emitModifyRejected(orderId, n, Reason.ReduceOnlyWouldIncrease);
        this.busy = false;
        return false;
      }
    }
    side.remove(n);
    n.state = NodeState.Active;
    n.hidden = 0;
    n.leaves = newQty - (n.quantity - n.leaves);
    n.quantity = newQty;
    n.price = newPrice;
    n.seq = ++this.seq;
    this.emitOrder(EngineEventKind.Updated, n, Reason.Modified);
    if (this.crosses(n.isBuy, newPrice) && !this.match(n, newPrice)) {
      this.release(n);
    } else if (n.leaves === 0) {
      this.release(n);
    } else {
      n.state = NodeState.Resting;
      if (n.display > 0) n.hidden = Math.max(0, n.leaves - n.display);
      side.append(n);
    }
    this.drainTriggers();
    this.busy = false;
    return true;
  }

  /** Cancels a live order (resting or pending). Returns false (CancelRejected) when unknown. */
  cancel(orderId: number): boolean {
    this.enter();
    const node = this.orders.get(orderId);
    if (node === undefined) {
      const e = this.resetEvent(EngineEventKind.CancelRejected, Reason.UnknownOrder);
      e.orderId = orderId;
      this.listener(e);
      this.busy = false;
      return false;
    }
    this.cancelLive(node, Reason.CanceledByRequest);
    this.drainTriggers();
    this.busy = false;
    return true;
  }

  /**
   * Cancels every live order of `owner` (optionally only one side), in acceptance order.
   * Returns how many were canceled.
   */
  cancelAll(owner: number, side?: OrderSide): number {
    this.enter();
    const list = this.scratch;
    list.length = 0;
    const wantBuy = side === OrderSide.Buy;
    for (let node = this.firstLive; node !== null; node = node.liveNext) {
      if (node.owner === owner && (side === undefined || node.isBuy === wantBuy)) list.push(node);
    }
    for (let i = 0; i < list.length; i++) this.cancelLive(list[i], Reason.CanceledByCancelAll);
    const n = list.length;
    list.length = 0;
    this.drainTriggers();
    this.busy = false;
    return n;
  }

  /**
   * Advances engine time to `ts` (microseconds, not before the current time): GTD and DAY
   * orders whose expiry time is <= `ts` expire, in expiry-time then acceptance order.
   */
  advanceTime(ts: number): void {
    if (!Number.isSafeInteger(ts) || ts < this.nowMicros) {
      throw new RangeError(`advanceTime: ${ts} is not a safe integer at or after ${this.nowMicros}`);
    }
    this.enter();
    this.nowMicros = ts;
    while (this.heapTime.length > 0 && this.heapTime[0] <= ts) {
      const node = this.heapNode[0];
      const gen = this.heapGen[0];
      this.heapPop();
      if (node.gen !== gen || node.state === NodeState.Free) continue;
      if (node.state === NodeState.Resting) (node.isBuy ? this.bids : this.asks).remove(node);
      else if (node.state === NodeState.Pending) this.removePending(node);
      this.emitOrder(
        EngineEventKind.Expired,
        node,
        node.tif === TimeInForce.DAY ? Reason.DayExpired : Reason.GtdExpired,
      );
      this.release(node);
    }
    this.drainTriggers();
    this.busy = false;
  }

  /**
   * An external fill of a resting order: a taker that is not in this book (market data, e.g. a
   * recorded trade that reached the order's queue position) fills up to `quantity` of resting
   * order `orderId` at `price`. Emits one Trade with the taker fields of {@link EXTERNAL_OWNER}
   * (`orderId` 0) and the order as maker; a reduce-only maker is checked as in matching (resized
   * or canceled). The last price is not changed (feed the print with {@link setLastPrice}).
   * Returns the quantity filled (0 when the order is not resting). Used by the fill models.
   */
  fillResting(orderId: number, quantity: number, price: number): number {
    checkPrice(price, "fillResting");
    if (!Number.isSafeInteger(quantity) || quantity <= 0) {
      throw new RangeError(`fillResting: quantity must be a positive safe integer, got ${quantity}`);
    }
    this.enter();
    const maker = this.orders.get(orderId);
    if (maker === undefined || maker.state !== NodeState.Resting) {
      this.busy = false;
      return 0;
    }
    const side = maker.isBuy ? this.bids : this.asks;
    const level = maker.level!;
    if (maker.reduceOnly) {
      const allowed = this.reduceOnlyAllowance(maker.owner, maker.isBuy);
      if (allowed === 0) {
        side.remove(maker);
        this.emitOrder(EngineEventKind.Canceled, maker, Reason.ReduceOnlyPositionClosed);
        this.release(maker);
        this.drainTriggers();
        this.busy = false;
        return 0;
      }
      if (allowed < maker.leaves) {
        this.shrinkResting(maker, maker.quantity - (maker.leaves - allowed));
        this.emitOrder(EngineEventKind.Updated, maker, Reason.ReduceOnlyResized);
      }
    }
    const q = Math.min(quantity, maker.leaves - maker.hidden);
    maker.leaves -= q;
    level.volume -= q;
    const e = this.resetEvent(EngineEventKind.Trade, 0);
    e.orderId = 0;
    e.owner = EXTERNAL_OWNER;
    e.isBuy = !maker.isBuy;
    e.orderType = OrderType.Limit;
    e.price = price;
    e.quantity = q;
    e.leaves = 0;
    e.tradeId = ++this.tradeSeq;
    e.lastPx = price;
    e.lastQty = q;
    e.makerOrderId = maker.id;
    e.makerOwner = maker.owner;
    e.makerLeaves = maker.leaves;
    this.listener(e);
    if (maker.leaves === 0) {
      side.remove(maker);
      this.release(maker);
    } else if (maker.leaves === maker.hidden) {
      this.refill(maker, side);
    }
    this.drainTriggers();
    this.busy = false;
    return q;
  }

  /** A trade printed elsewhere (external market data): updates the last price and its triggers. */
  setLastPrice(price: number): void {
    checkPrice(price, "setLastPrice");
    this.enter();
    this.onLastPrice(price);
    this.drainTriggers();
    this.busy = false;
  }

  /**
   * Re-checks bid/ask triggers (after the external touch changed, see `externalTouch`) and runs
   * the orders that fire.
   */
  checkTriggers(): void {
    this.enter();
    this.drainTriggers();
    this.busy = false;
  }

  /** Sets the mark price and fires mark-price triggers. */
  setMarkPrice(price: number): void {
    checkPrice(price, "setMarkPrice");
    this.enter();
    this.mark = price;
    if (this.pendingByCategory[2] > 0) this.scanCategory(2);
    this.drainTriggers();
    this.busy = false;
  }

  // ------------------------------------------------------------------ matching

  /**
   * Runs an active (not resting) order: FOK check, matching, then the remainder per type and
   * time in force (rest, or cancel).
   */
  private execute(node: OrderNode): void {
    const marketLike = isMarketLikeType(node.type);
    const limit = marketLike ? (node.isBuy ? MAX_PRICE : 0) : node.price;
    if (node.postOnly && this.crosses(node.isBuy, limit)) {
      this.cancelActive(node, Reason.PostOnlyWouldTake);
      return;
    }
    if (node.tif === TimeInForce.FOK && !this.fillable(node, limit)) {
      this.cancelActive(node, Reason.FokNotFillable);
      return;
    }
    if (!this.match(node, limit)) {
      this.release(node);
      return;
    }
    if (node.leaves === 0) {
      this.release(node);
    } else if (marketLike) {
      this.cancelActive(node, Reason.MarketNoLiquidity);
    } else if (node.tif === TimeInForce.IOC || node.tif === TimeInForce.FOK) {
      this.cancelActive(node, Reason.IocRemainder);
    } else {
      node.state = NodeState.Resting;
      if (node.display > 0) node.hidden = Math.max(0, node.leaves - node.display);
      (node.isBuy ? this.bids : this.asks).append(node);
    }
  }

  /**
   * Matches `taker` against the opposite side up to `limit`. Returns false when self-trade
   * prevention canceled the taker (its Canceled event is emitted; the caller releases it).
   */
  private match(taker: OrderNode, limit: number): boolean {
    const isBuy = taker.isBuy;
    const opp = isBuy ? this.asks : this.bids;
    const stpActive = taker.stp !== StpMode.None && taker.owner !== EXTERNAL_OWNER;
    while (taker.leaves > 0) {
      const level = opp.best();
      if (level === null) break;
      const px = level.price;
      if (isBuy ? px > limit : px < limit) break;
      let maker = level.head;
      while (maker !== null) {
        const next = maker.next;
        if (stpActive && maker.owner === taker.owner) {
          const mode = taker.stp;
          if (mode !== StpMode.CancelTaker) {
            opp.unlink(maker);
            this.emitOrder(EngineEventKind.Canceled, maker, Reason.SelfTradeMaker);
            this.release(maker);
          }
          if (mode !== StpMode.CancelMaker) {
            opp.removeLevelIfEmpty(level);
            this.emitOrder(EngineEventKind.Canceled, taker, Reason.SelfTradeTaker);
            return false;
          }
          maker = next;
          continue;
        }
        if (maker.reduceOnly) {
          const allowed = this.reduceOnlyAllowance(maker.owner, maker.isBuy);
          if (allowed === 0) {
            opp.unlink(maker);
            this.emitOrder(EngineEventKind.Canceled, maker, Reason.ReduceOnlyPositionClosed);
            this.release(maker);
            maker = next;
            continue;
          }
          if (allowed < maker.leaves) {
            this.shrinkResting(maker, maker.quantity - (maker.leaves - allowed));
            this.emitOrder(EngineEventKind.Updated, maker, Reason.ReduceOnlyResized);
          }
        }
        const q = Math.min(taker.leaves, maker.leaves - maker.hidden);
        taker.leaves -= q;
        maker.leaves -= q;
        level.volume -= q;
        this.emitTrade(taker, maker, px, q);
        if (maker.leaves === 0) {
          opp.unlink(maker);
          this.release(maker);
        } else if (maker.leaves === maker.hidden) {
          // Iceberg: the shown part is used up; the refill queues behind this level's orders
          // (the walk reaches it again after them).
          this.refill(maker, opp);
        }
        if (this.pendingByCategory[0] > 0) this.onLastPrice(px);
        else this.last = px;
        if (taker.leaves === 0) break;
        maker = next;
      }
      if (level.count === 0) opp.removeLevelIfEmpty(level);
    }
    return true;
  }

  /**
   * Whether `taker` could fill completely now (FOK), following exactly the matching rules:
   * self-trade prevention that cancels the taker stops the walk, cancel-maker skips own orders,
   * reduce-only makers count only what their owner's position allows.
   */
  private fillable(taker: OrderNode, limit: number): boolean {
    const isBuy = taker.isBuy;
    const side = isBuy ? this.asks : this.bids;
    const stpActive = taker.stp !== StpMode.None && taker.owner !== EXTERNAL_OWNER;
    const ro = this.roScratch;
    ro.clear();
    let need = taker.leaves;
    for (let level = side.best(); level !== null && need > 0; level = side.worse(level)) {
      if (isBuy ? level.price > limit : level.price < limit) break;
      for (let m = level.head; m !== null && need > 0; m = m.next) {
        if (stpActive && m.owner === taker.owner) {
          if (taker.stp === StpMode.CancelMaker) continue;
          return false;
        }
        let avail = m.leaves;
        if (m.reduceOnly) {
          const used = ro.get(m.owner) ?? 0;
          const room = this.reduceOnlyAllowance(m.owner, m.isBuy) - used;
          if (room <= 0) continue;
          if (avail > room) avail = room;
          ro.set(m.owner, used + avail);
        }
        need -= avail;
      }
    }
    return need <= 0;
  }

  // ------------------------------------------------------------------ triggers

  private addPending(node: OrderNode): void {
    node.state = NodeState.Pending;
    this.pending.push(node);
    this.pendingByCategory[triggerCategory(node.triggerType)]++;
  }

  private removePending(node: OrderNode): void {
    const i = this.pending.indexOf(node);
    this.pending.splice(i, 1);
    this.pendingByCategory[triggerCategory(node.triggerType)]--;
  }

  private arm(node: OrderNode): void {
    node.armed = true;
    this.armed.push(node);
  }

  /** Reference price of a pending order's trigger type (NaN when none). */
  private referencePrice(node: OrderNode): number {
    switch (triggerCategory(node.triggerType)) {
      case 0:
        return this.last;
      case 1: {
        const own = node.isBuy ? this.asks.bestPrice() : this.bids.bestPrice();
        if (this.externalTouch === null) return own;
        const ext = this.externalTouch(node.isBuy);
        if (Number.isNaN(own)) return ext;
        if (Number.isNaN(ext)) return own;
        return node.isBuy ? Math.min(own, ext) : Math.max(own, ext);
      }
      default:
        return this.mark;
    }
  }

  /** A trade print at `px`: trailing stops on last price follow it, satisfied triggers arm. */
  private onLastPrice(px: number): void {
    this.last = px;
    if (this.pendingByCategory[0] > 0) this.scanCategory(0);
  }

  /** Updates trailing stops and arms satisfied triggers of one reference category. */
  private scanCategory(category: number): void {
    const pending = this.pending;
    for (let i = 0; i < pending.length; i++) {
      const node = pending[i];
      if (node.armed || triggerCategory(node.triggerType) !== category) continue;
      const ref = this.referencePrice(node);
      if (Number.isNaN(ref)) continue;
      if (isTrailingType(node.type)) this.trail(node, ref);
      if (conditionMet(node.type, node.isBuy, node.triggerPrice, ref)) this.arm(node);
    }
  }

  /** Moves a trailing stop's trigger towards the market, never away. */
  private trail(node: OrderNode, ref: number): void {
    const t = trailingTrigger(node.isBuy, ref, node.trailingOffset, node.trailingOffsetType, this.tickSize);
    if (node.isBuy ? t < node.triggerPrice : t > node.triggerPrice) {
      node.triggerPrice = t;
      if (node.type === OrderType.TrailingStopLimit) node.price = this.trailingLimit(node);
      this.emitOrder(EngineEventKind.Updated, node, Reason.TrailingMoved);
    }
  }

  private trailingLimit(node: OrderNode): number {
    return trailingLimitPrice(
      node.isBuy,
      node.triggerPrice,
      node.limitOffset,
      node.trailingOffsetType,
      this.tickSize,
    );
  }

  /**
   * Fires armed triggers until none is left: bid/ask triggers are re-checked after each firing
   * (the book changed), last-price triggers arm during matching as trades print.
   */
  private drainTriggers(): void {
    if (this.pending.length === 0 && this.armed.length === 0) return;
    for (;;) {
      if (this.pendingByCategory[1] > 0) this.scanCategory(1);
      if (this.armedHead >= this.armed.length) break;
      const node = this.armed[this.armedHead++];
      node.armed = false;
      if (node.state === NodeState.Pending) this.fire(node);
    }
    this.armed.length = 0;
    this.armedHead = 0;
  }

  private fire(node: OrderNode): void {
    this.removePending(node);
    node.state = NodeState.Active;
    node.triggered = true;
    node.seq = ++this.seq;
    this.emitOrder(EngineEventKind.Triggered, node, Reason.None);
    if (node.reduceOnly) {
      const allowed = this.reduceOnlyAllowance(node.owner, node.isBuy);
      if (allowed === 0) {
        this.cancelActive(node, Reason.ReduceOnlyWouldIncrease);
        return;
      }
      if (node.leaves > allowed) {
        this.resize(node, node.quantity - (node.leaves - allowed));
        this.emitOrder(EngineEventKind.Updated, node, Reason.ReduceOnlyResized);
      }
    }
    this.execute(node);
  }

  // ------------------------------------------------------------------ helpers

  private enter(): void {
    if (this.busy) {
      throw new Error(
        "MatchingEngine: command issued while another is running (from the listener?) or after a listener error",
      );
    }
    this.busy = true;
  }

  /** Whether an order at `price` on the given side would take liquidity now. */
  private crosses(isBuy: boolean, price: number): boolean {
    const level = isBuy ? this.asks.best() : this.bids.best();
    if (level === null) return false;
    const best = level.price;
    return isBuy ? best <= price : best >= price;
  }

  /** How much `owner` may trade on this side without opening or increasing a position. */
  private reduceOnlyAllowance(owner: number, isBuy: boolean): number {
    if (this.positionOf === null) return 0;
    const pos = this.positionOf(owner);
    const room = isBuy ? (pos < 0 ? -pos : 0) : Math.max(pos, 0);
    return room - (room % this.lotSize);
  }

  /** Sets a new total quantity, keeping the filled quantity (leaves follow). */
  /**
   * A resting order's total quantity cut to `quantity` in place (keeps priority): an iceberg
   * loses hidden quantity first; the level's shown volume follows.
   */
  private shrinkResting(node: OrderNode, quantity: number): void {
    const newLeaves = quantity - (node.quantity - node.leaves);
    const shownBefore = node.leaves - node.hidden;
    const hidden = Math.max(0, Math.min(node.hidden, newLeaves - Math.min(shownBefore, newLeaves)));
    node.hidden = hidden;
    node.leaves = newLeaves;
    node.quantity = quantity;
    node.level!.volume -= shownBefore - (newLeaves - hidden);
  }

  /** Iceberg refill: a new shown part from the hidden rest, at the back of the queue. */
  private refill(node: OrderNode, side: BookSide): void {
    const level = node.level!;
    side.unlink(node);
    node.hidden = Math.max(0, node.leaves - node.display);
    node.seq = ++this.seq;
    side.append(node);
    if (level.count === 0) side.removeLevelIfEmpty(level);
    this.emitOrder(EngineEventKind.Updated, node, Reason.IcebergRefilled);
  }

  private resize(node: OrderNode, quantity: number): void {
    node.leaves = quantity - (node.quantity - node.leaves);
    node.quantity = quantity;
  }

  private cancelLive(node: OrderNode, reason: number): void {
    if (node.state === NodeState.Resting) (node.isBuy ? this.bids : this.asks).remove(node);
    else if (node.state === NodeState.Pending) this.removePending(node);
    this.emitOrder(EngineEventKind.Canceled, node, reason);
    this.release(node);
  }

  private cancelActive(node: OrderNode, reason: number): void {
    this.emitOrder(EngineEventKind.Canceled, node, reason);
    this.release(node);
  }

  private nextSessionEnd(): number {
    const off = this.sessionEnd;
    return (Math.floor((this.nowMicros - off) / MICROS_PER_DAY) + 1) * MICROS_PER_DAY + off;
  }

  private allocNode(): OrderNode {
    return this.nodePool.pop() ?? new OrderNode();
  }

  private release(node: OrderNode): void {
    this.orders.delete(node.id);
    const lp = node.livePrev;
    const ln = node.liveNext;
    if (lp === null) this.firstLive = ln;
    else lp.liveNext = ln;
    if (ln === null) this.lastLive = lp;
    else ln.livePrev = lp;
    node.livePrev = null;
    node.liveNext = null;
    node.state = NodeState.Free;
    node.gen++;
    node.prev = null;
    node.next = null;
    node.level = null;
    node.armed = false;
    this.nodePool.push(node);
  }

  // ------------------------------------------------------------------ validation

  private validateSubmit(r: OrderRequest): number {
    const id = r.orderId;
    if (!Number.isSafeInteger(id) || id <= 0) return Reason.InvalidOrderId;
    if (this.orders.has(id)) return Reason.DuplicateOrderId;
    if (!Number.isSafeInteger(r.owner) || r.owner < 0) return Reason.InvalidOwner;
    if (r.side !== OrderSide.Buy && r.side !== OrderSide.Sell) return Reason.InvalidSide;
    const type = r.type;
    if (!VALID_TYPES.has(type)) return Reason.InvalidOrderType;
    const q = r.quantity;
    if (!Number.isSafeInteger(q) || q <= 0) return Reason.InvalidQuantity;
    if (!isMultiple(q, this.lotSize)) return Reason.QuantityNotMultipleOfLot;
    const price = r.price;
    if (needsLimitPrice(type)) {
      const pr = this.checkPriceValue(price);
      if (pr !== Reason.None) return pr;
    } else if (price != null) {
      return Reason.InvalidPrice;
    }
    const conditional = isConditionalType(type);
    const trailing = isTrailingType(type);
    const trig = r.triggerPrice;
    if (needsTriggerPrice(type) || (trailing && trig != null)) {
      const tr = this.checkPriceValue(trig);
      if (tr !== Reason.None) return tr === Reason.InvalidPrice ? Reason.InvalidTriggerPrice : tr;
    } else if (trig != null) {
      return Reason.InvalidTriggerPrice;
    }
    const tif = r.timeInForce ?? (type === OrderType.Market ? TimeInForce.IOC : TimeInForce.GTC);
    if (!isTif(tif)) return Reason.InvalidTimeInForce;
    if (type === OrderType.Market && (tif === TimeInForce.GTD || tif === TimeInForce.DAY)) {
      return Reason.InvalidTimeInForce;
    }
    if (tif === TimeInForce.GTD) {
      if (!Number.isSafeInteger(r.expireTime)) return Reason.InvalidExpireTime;
      if (r.expireTime! <= this.nowMicros) return Reason.ExpireTimeInPast;
    } else if (r.expireTime != null) {
      return Reason.InvalidExpireTime;
    }
    if (conditional) {
      const tt = r.triggerType ?? TriggerType.Default;
      if (triggerCategory(tt) < 0) return Reason.UnsupportedTriggerType;
    } else if (r.triggerType != null && r.triggerType !== TriggerType.Default) {
      return Reason.UnsupportedTriggerType;
    }
    if (trailing) {
      const unit = r.trailingOffsetType ?? TrailingOffsetType.Price;
      if (!VALID_OFFSET_TYPES.has(unit)) return Reason.InvalidTrailingOffset;
      const off = r.trailingOffset;
      if (!Number.isSafeInteger(off) || off! <= 0) return Reason.InvalidTrailingOffset;
      if (unit === TrailingOffsetType.Price && off! % this.tickSize !== 0)
        return Reason.InvalidTrailingOffset;
      if (unit === TrailingOffsetType.BasisPoints && off! >= 10_000) return Reason.InvalidTrailingOffset;
      if (type === OrderType.TrailingStopLimit) {
        const lo = r.limitOffset;
        if (!Number.isSafeInteger(lo) || lo! < 0) return Reason.InvalidTrailingOffset;
        if (unit === TrailingOffsetType.Price && lo! % this.tickSize !== 0)
          return Reason.InvalidTrailingOffset;
      } else if (r.limitOffset != null) {
        return Reason.InvalidTrailingOffset;
      }
      if (trig == null) {
        const cat = triggerCategory(r.triggerType ?? TriggerType.Default);
        const ref =
          cat === 0
            ? this.last
            : cat === 1
              ? r.side === OrderSide.Buy
                ? this.asks.bestPrice()
                : this.bids.bestPrice()
              : this.mark;
        if (Number.isNaN(ref)) return Reason.NoReferencePrice;
      }
    } else if (r.trailingOffset != null || r.limitOffset != null) {
      return Reason.InvalidTrailingOffset;
    }
    if (r.postOnly === true) {
      if (isMarketLikeType(type) || tif === TimeInForce.IOC || tif === TimeInForce.FOK) {
        return Reason.InvalidPostOnly;
      }
    }
    if (r.stp !== undefined && !isStpMode(r.stp)) return Reason.InvalidStpMode;
    const dq = r.displayQty;
    if (dq != null) {
      if (
        !Number.isSafeInteger(dq) ||
        dq <= 0 ||
        dq % this.lotSize !== 0 ||
        dq > q ||
        isMarketLikeType(type) ||
        tif === TimeInForce.IOC ||
        tif === TimeInForce.FOK
      ) {
        return Reason.InvalidDisplayQty;
      }
    }
    return Reason.None;
  }

  private validateModify(
    node: OrderNode,
    price: number | null,
    quantity: number | null,
    triggerPrice: number | null,
  ): number {
    const pending = node.state === NodeState.Pending;
    if (price !== null) {
      // Market-type orders have no limit; a trailing-stop-limit's limit follows its trigger.
      if (pending ? !needsLimitPrice(node.type) : false) return Reason.ModifyNotApplicable;
      const pr = this.checkPriceValue(price);
      if (pr !== Reason.None) return pr;
    }
    if (quantity !== null) {
      if (!Number.isSafeInteger(quantity) || quantity <= node.quantity - node.leaves) {
        return Reason.InvalidQuantity;
      }
      if (!isMultiple(quantity, this.lotSize)) return Reason.QuantityNotMultipleOfLot;
    }
    if (triggerPrice !== null) {
      if (!pending) return Reason.ModifyNotApplicable;
      const tr = this.checkPriceValue(triggerPrice);
      if (tr !== Reason.None) return tr === Reason.InvalidPrice ? Reason.InvalidTriggerPrice : tr;
    }
    return Reason.None;
  }

  private checkPriceValue(p: number | null | undefined): number {
    if (p == null || !Number.isSafeInteger(p) || p <= 0) return Reason.InvalidPrice;
    if (!isMultiple(p, this.tickSize)) return Reason.PriceNotMultipleOfTick;
    return Reason.None;
  }

  // ------------------------------------------------------------------ events

  private resetEvent(kind: EngineEventKind, reason: number): EngineEvent {
    const e = this.ev;
    e.kind = kind;
    e.reason = reason;
    e.ts = this.nowMicros;
    e.orderId = 0;
    e.owner = 0;
    e.isBuy = true;
    e.orderType = OrderType.Limit;
    e.price = 0;
    e.triggerPrice = 0;
    e.quantity = 0;
    e.leaves = 0;
    e.tradeId = 0;
    e.lastPx = 0;
    e.lastQty = 0;
    e.makerOrderId = 0;
    e.makerOwner = 0;
    e.makerLeaves = 0;
    return e;
  }

  private emitOrder(kind: EngineEventKind, node: OrderNode, reason: number): void {
    const e = this.ev;
    e.kind = kind;
    e.reason = reason;
    e.ts = this.nowMicros;
    e.orderId = node.id;
    e.owner = node.owner;
    e.isBuy = node.isBuy;
    e.orderType = node.type;
    e.price = node.price;
    e.triggerPrice = node.triggerPrice;
    e.quantity = node.quantity;
    e.leaves = node.leaves;
    e.tradeId = 0;
    e.lastPx = 0;
    e.lastQty = 0;
    e.makerOrderId = 0;
    e.makerOwner = 0;
    e.makerLeaves = 0;
    this.listener(e);
  }

  private emitTrade(taker: OrderNode, maker: OrderNode, px: number, qty: number): void {
    const e = this.ev;
    e.kind = EngineEventKind.Trade;
    e.reason = 0;
    e.ts = this.nowMicros;
    e.orderId = taker.id;
    e.owner = taker.owner;
    e.isBuy = taker.isBuy;
    e.orderType = taker.type;
    e.price = taker.price;
    e.triggerPrice = taker.triggerPrice;
    e.quantity = taker.quantity;
    e.leaves = taker.leaves;
    e.tradeId = ++this.tradeSeq;
    e.lastPx = px;
    e.lastQty = qty;
    e.makerOrderId = maker.id;
    e.makerOwner = maker.owner;
    e.makerLeaves = maker.leaves;
    this.listener(e);
  }

  /** Echoes a refused request (the request may be malformed: numbers are copied only if numbers). */
  private emitRequest(kind: EngineEventKind, r: OrderRequest, reason: number): void {
    const e = this.resetEvent(kind, reason);
    e.orderId = typeof r.orderId === "number" ? r.orderId : 0;
    e.owner = typeof r.owner === "number" ? r.owner : 0;
    e.isBuy = r.side === OrderSide.Buy;
    e.orderType = VALID_TYPES.has(r.type) ? r.type : OrderType.Limit;
    e.price = typeof r.price === "number" ? r.price : 0;
    e.triggerPrice = typeof r.triggerPrice === "number" ? r.triggerPrice : 0;
    e.quantity = typeof r.quantity === "number" ? r.quantity : 0;
    this.listener(e);
  }

  private emitModifyRejected(orderId: number, node: OrderNode | undefined, reason: number): void {
    if (node !== undefined) {
      this.emitOrder(EngineEventKind.ModifyRejected, node, reason);
      return;
    }
    const e = this.resetEvent(EngineEventKind.ModifyRejected, reason);
    e.orderId = orderId;
    this.listener(e);
  }

  // ------------------------------------------------------------------ expiry heap

  private heapPush(node: OrderNode): void {
    const t = this.heapTime;
    const o = this.heapOrd;
    const nd = this.heapNode;
    const g = this.heapGen;
    let i = t.length;
    t.push(node.expireTime);
    o.push(++this.heapPushes);
    nd.push(node);
    g.push(node.gen);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (t[p] < t[i] || (t[p] === t[i] && o[p] < o[i])) break;
      this.heapSwap(i, p);
      i = p;
    }
  }

  private heapPop(): void {
    const t = this.heapTime;
    const last = t.length - 1;
    if (last > 0) this.heapSwap(0, last);
    t.pop();
    this.heapOrd.pop();
    this.heapNode.pop();
    this.heapGen.pop();
    const n = t.length;
    const o = this.heapOrd;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let m = l;
      if (r < n && (t[r] < t[l] || (t[r] === t[l] && o[r] < o[l]))) m = r;
      if (t[i] < t[m] || (t[i] === t[m] && o[i] < o[m])) break;
      this.heapSwap(i, m);
      i = m;
    }
  }

  private heapSwap(a: number, b: number): void {
    const t = this.heapTime;
    const o = this.heapOrd;
    const nd = this.heapNode;
    const g = this.heapGen;
    const tt = t[a];
    t[a] = t[b];
    t[b] = tt;
    const oo = o[a];
    o[a] = o[b];
    o[b] = oo;
    const nn = nd[a];
    nd[a] = nd[b];
    nd[b] = nn;
    const gg = g[a];
    g[a] = g[b];
    g[b] = gg;
  }
}

const VALID_TYPES: ReadonlySet<string> = new Set(Object.values(OrderType));
const VALID_OFFSET_TYPES: ReadonlySet<string> = new Set(Object.values(TrailingOffsetType));

function isTif(t: TimeInForce): boolean {
  return (
    t === TimeInForce.GTC ||
    t === TimeInForce.IOC ||
    t === TimeInForce.FOK ||
    t === TimeInForce.GTD ||
    t === TimeInForce.DAY
  );
}

function isStpMode(m: unknown): m is StpMode {
  return (
    m === StpMode.None || m === StpMode.CancelTaker || m === StpMode.CancelMaker || m === StpMode.CancelBoth
  );
}

/** Whether safe integer `x` (> 0) is a multiple of `step`; int32 arithmetic when both fit. */
function isMultiple(x: number, step: number): boolean {
  if (step === 1) return true;
  if (x <= 0x7fffffff && step <= 0x7fffffff) return (x | 0) % (step | 0) === 0;
  return x % step === 0;
}

function checkPrice(price: number, what: string): void {
  if (!Number.isSafeInteger(price) || price <= 0) {
    throw new RangeError(`${what}: price must be a positive safe integer, got ${price}`);
  }
}
