/**
 * The order and position cache: every order the engine knows (open or closed), indexed by
 * strategy, instrument and venue, and the positions built from fills.
 *
 * The cache is updated only by the execution engine, after an event has been applied to its
 * order, so it always mirrors the event stream. Client order ids are never reused: a closed
 * order stays in the cache (and in {@link OrderCache.has}) for the life of the process —
 * unless a {@link OrderRetention} policy bounds the closed orders kept (see docs/execution.md,
 * "Retention"): then the oldest closed orders are forgotten by the queries, while their ids
 * stay in {@link OrderCache.has}.
 */
import { OrderSide, PositionSide } from "../model/enums.js";
import type { OrderFilled } from "../model/events.js";
import type { AccountId, ClientOrderId, InstrumentId, StrategyId } from "../model/identifiers.js";
import type { Order } from "../model/orders.js";
import type { UnixMicros } from "../model/time.js";

/** Filters for {@link OrderCache.orders}; every field given must match. */
export interface OrderQuery {
  strategyId?: StrategyId;
  instrumentId?: InstrumentId;
  venue?: string;
  side?: OrderSide;
}

/**
 * A netting position of one strategy in one instrument, in raw fixed-point units:
 * quantities at the instrument's size precision, cost and PnL at price precision + size
 * precision (i.e. price raw x quantity raw, times the multiplier).
 */
export class Position {
  readonly instrumentId: InstrumentId;
  readonly strategyId: StrategyId;
  accountId: AccountId;
  /** Signed quantity raw (negative when short). */
  signedQtyRaw = 0;
  /** Cost of the open quantity: sum of price raw x quantity raw x multiplier (unsigned). */
  openCostRaw = 0;
  /** Realized PnL, price raw x quantity raw x multiplier units, before commissions. */
  realizedRaw = 0;
  /** Commissions paid, by currency code, in each currency's raw units. */
  readonly commissions = new Map<string, number>();
  sizePrecision: number;
  pricePrecision: number;
  readonly multiplier: number;
  tsOpened: UnixMicros = 0;
  tsLast: UnixMicros = 0;
  fills = 0;
  /** PnL realized by the most recent fill (raw units as {@link realizedRaw}). */
  lastRealizedRaw = 0;
  /** Realized PnL since the position last opened from flat (one round trip). */
  tripRealizedRaw = 0;
  /** Whether the most recent fill closed a round trip (to flat or through it). */
  lastFillClosedTrip = false;
  /** Realized PnL of the last closed round trip. */
  lastTripRealizedRaw = 0;

  constructor(
    instrumentId: InstrumentId,
    strategyId: StrategyId,
    accountId: AccountId,
    pricePrecision: number,
    sizePrecision: number,
    multiplier: number,
  ) {
    this.instrumentId = instrumentId;
    this.strategyId = strategyId;
    this.accountId = accountId;
    this.pricePrecision = pricePrecision;
    this.sizePrecision = sizePrecision;
    this.multiplier = multiplier;
  }

  get side(): PositionSide {
    return this.signedQtyRaw > 0
      ? PositionSide.Long
      : this.signedQtyRaw < 0
        ? PositionSide.Short
        : PositionSide.Flat;
  }

  /**
   * Applies a fill; returns the PnL it realized (raw units, 0 when it only opened or added).
   * Realized PnL of a partial close uses the average cost, rounded half away from zero.
   */
  applyFill(fill: OrderFilled): number {
    const qty = fill.lastQty.raw;
    const px = fill.lastPx.raw;
    const signed = fill.orderSide === OrderSide.Buy ? qty : -qty;
    let realized = 0;
    this.lastFillClosedTrip = false;
    const cur = this.signedQtyRaw;
    if (cur === 0 || Math.sign(cur) === Math.sign(signed)) {
      if (cur === 0) {
        this.tsOpened = fill.tsEvent;
        this.tripRealizedRaw = 0;
      }
      this.openCostRaw += px * qty * this.multiplier;
      this.signedQtyRaw = cur + signed;
    } else {
      const abs = Math.abs(cur);
      const closing = Math.min(abs, qty);
      const costOfClosed = Math.round((this.openCostRaw * closing) / abs);
      const proceeds = px * closing * this.multiplier;
      realized = cur > 0 ? proceeds - costOfClosed : costOfClosed - proceeds;
      this.openCostRaw -= costOfClosed;
      this.realizedRaw += realized;
      this.tripRealizedRaw += realized;
      const rest = qty - closing;
      this.signedQtyRaw = cur + signed;
      if (this.signedQtyRaw === 0) this.openCostRaw = 0;
      if (this.signedQtyRaw === 0 || rest > 0) {
        this.lastFillClosedTrip = true;
        this.lastTripRealizedRaw = this.tripRealizedRaw;
        this.tripRealizedRaw = 0;
      }
      if (rest > 0) {
        // Flipped: the remainder opens a new position at the fill price.
        this.openCostRaw = px * rest * this.multiplier;
        this.tsOpened = fill.tsEvent;
      }
    }
    this.lastRealizedRaw = realized;
    const c = fill.commission;
    this.commissions.set(c.currency.code, (this.commissions.get(c.currency.code) ?? 0) + c.raw);
    this.accountId = fill.accountId;
    this.tsLast = fill.tsEvent;
    this.fills++;
    return realized;
  }

  /** Unrealized PnL at `priceRaw` (raw units as {@link realizedRaw}). */
  unrealizedRaw(priceRaw: number): number {
    if (this.signedQtyRaw === 0) return 0;
    const value = priceRaw * Math.abs(this.signedQtyRaw) * this.multiplier;
    return this.signedQtyRaw > 0 ? value - this.openCostRaw : this.openCostRaw - value;
  }

  /** Average open price as a float (display only). */
  avgPxOpen(): number {
    if (this.signedQtyRaw === 0) return 0;
    return this.openCostRaw / Math.abs(this.signedQtyRaw) / this.multiplier / 10 ** this.pricePrecision;
  }
}

/**
 * What the cache keeps of closed orders (default: everything, for the life of the process).
 * A long run (a 10 M-event market-making backtest closes ~100 k orders) otherwise holds every
 * order with all its events.
 */
export interface OrderRetention {
  /**
   * Release an order's event list (`order.events`) when it closes: its state (status, filled
   * and leaves quantities, average price, trade ids, venue id, timestamps) stays. The events
   * were already applied, published and journaled; only the in-memory history goes.
   */
  dropClosedEvents?: boolean;
  /**
   * Closed orders kept (the most recently closed); older ones are forgotten: `get`,
   * `orders()`, `closedOrders()` no longer return them, `has()` still does (ids are never
   * reused). Open and held orders are always kept. Default: unlimited.
   */
  maxClosedOrders?: number;
  /** Called with each closed order as the cache forgets it (e.g. to keep a summary). */
  onForget?: (order: Order) => void;
}

export class OrderCache {
  private readonly dropClosedEvents: boolean;
  private readonly maxClosed: number;
  private readonly onForget: ((order: Order) => void) | undefined;
  /** Ids of forgotten closed orders (still "used"). */
  private readonly forgotten = new Set<string>();
  /** Closed orders in closing order (only with a bound): the next to forget at `closedHead`. */
  private readonly closedQueue: Order[] = [];
  private closedHead = 0;

  constructor(retention: OrderRetention = {}) {
    this.dropClosedEvents = retention.dropClosedEvents ?? false;
    const max = retention.maxClosedOrders ?? Number.POSITIVE_INFINITY;
    if (!(max >= 0))
      throw new RangeError(`OrderCache: maxClosedOrders must be a non-negative number, got ${max}`);
    this.maxClosed = max;
    this.onForget = retention.onForget;
  }

  private readonly byId = new Map<string, Order>();
  private readonly open = new Set<Order>();
  private readonly closed = new Set<Order>();
  /** Orders held locally (emulated, or contingent children not yet released): working, not at a venue. */
  private readonly held = new Set<Order>();
  private readonly positions = new Map<string, Position>();

  /** Whether the client order id was ever used (open or closed). */
  has(clientOrderId: ClientOrderId | string): boolean {
    const id = typeof clientOrderId === "string" ? clientOrderId : clientOrderId.value;
    return this.byId.has(id) || (this.forgotten.size !== 0 && this.forgotten.has(id));
  }

  /** Closed orders forgotten under the retention policy so far. */
  get forgottenCount(): number {
    return this.forgotten.size;
  }

  get(clientOrderId: ClientOrderId | string): Order | undefined {
    return this.byId.get(typeof clientOrderId === "string" ? clientOrderId : clientOrderId.value);
  }

  /** Adds a new order (the engine checks uniqueness first). */
  add(order: Order): void {
    this.byId.set(order.clientOrderId.value, order);
    this.refresh(order);
  }

  /** Marks an order as held locally (true) or released (false), then refreshes its sets. */
  setHeld(order: Order, held: boolean): void {
    if (held) this.held.add(order);
    else this.held.delete(order);
    this.refresh(order);
  }

  isHeld(order: Order): boolean {
    return this.held.has(order);
  }

  /** Re-files an order in the open/closed sets after an event changed its status. */
  refresh(order: Order): void {
    if (order.isClosed()) {
      this.open.delete(order);
      this.held.delete(order);
      if (!this.closed.has(order)) {
        this.closed.add(order);
        if (this.dropClosedEvents) order.events.length = 0;
        if (this.maxClosed !== Number.POSITIVE_INFINITY) {
          this.closedQueue.push(order);
          if (this.closed.size > this.maxClosed) this.forgetOldest();
        }
      }
    } else if (order.isOpen() || this.held.has(order)) {
      this.open.add(order);
    } else {
      this.open.delete(order);
    }
  }

  /** Drops the longest-closed order from every index (its id stays used). */
  private forgetOldest(): void {
    const q = this.closedQueue;
    const oldest = q[this.closedHead];
    q[this.closedHead++] = undefined as unknown as Order;
    if (this.closedHead >= 1024 && this.closedHead * 2 >= q.length) {
      q.splice(0, this.closedHead);
      this.closedHead = 0;
    }
    const id = oldest.clientOrderId.value;
    this.closed.delete(oldest);
    this.byId.delete(id);
    this.forgotten.add(id);
    this.onForget?.(oldest);
  }

  /** Open orders: at a venue and not closed, or held locally (emulated / waiting contingent). */
  openOrders(query?: OrderQuery): Order[] {
    return filter(this.open, query);
  }

  closedOrders(query?: OrderQuery): Order[] {
    return filter(this.closed, query);
  }

  /**
   * Every order matching the query, in insertion order. A scan of all kept orders: the hot
   * paths use the open set ({@link openOrders}); per-strategy/instrument/venue indexes of every
   * order would cost three set entries per order for the life of the run.
   */
  orders(query?: OrderQuery): Order[] {
    return filter(this.byId.values(), query);
  }

  heldOrders(query?: OrderQuery): Order[] {
    return filter(this.held, query);
  }

  openCount(query?: OrderQuery): number {
    if (query === undefined) return this.open.size;
    return filter(this.open, query).length;
  }

  get size(): number {
    return this.byId.size;
  }

  // --- positions -------------------------------------------------------------------------

  position(instrumentId: InstrumentId, strategyId: StrategyId): Position | undefined {
    return this.positions.get(`${instrumentId.value}|${strategyId.value}`);
  }

  /** Gets or creates the position a fill applies to. */
  positionFor(
    instrumentId: InstrumentId,
    strategyId: StrategyId,
    accountId: AccountId,
    pricePrecision: number,
    sizePrecision: number,
    multiplier: number,
  ): Position {
    const key = `${instrumentId.value}|${strategyId.value}`;
    let p = this.positions.get(key);
    if (p === undefined) {
      p = new Position(instrumentId, strategyId, accountId, pricePrecision, sizePrecision, multiplier);
      this.positions.set(key, p);
    }
    return p;
  }

  allPositions(): Position[] {
    return [...this.positions.values()];
  }

  /** Net signed quantity raw of all strategies in an instrument (optionally one account). */
  netQtyRaw(instrumentId: InstrumentId, accountId?: AccountId): number {
    let n = 0;
    for (const p of this.positions.values()) {
      if (
        p.instrumentId === instrumentId &&
        (accountId === undefined || p.accountId.value === accountId.value)
      )
        n += p.signedQtyRaw;
    }
    return n;
  }
}

function filter(src: Iterable<Order>, q: OrderQuery | undefined): Order[] {
  const out: Order[] = [];
  for (const o of src) {
    if (q !== undefined) {
      if (q.strategyId !== undefined && o.strategyId.value !== q.strategyId.value) continue;
      if (q.instrumentId !== undefined && o.instrumentId !== q.instrumentId) continue;
      if (q.venue !== undefined && o.instrumentId.venue !== q.venue) continue;
      if (q.side !== undefined && o.side !== q.side) continue;
    }
    out.push(o);
  }
  return out;
}
