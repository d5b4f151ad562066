/**
 * The Strategy base class: the one API a trading strategy is written against, identical in
 * backtest, paper and live trading (nothing here reveals the mode).
 *
 * - **Hooks**: `onStart`, `onStop`, `onTrade`, `onQuote`, `onBook`, `onBar`, `onOrderEvent`,
 *   `onPositionEvent`, `onTimer`. All run synchronously on the hot path.
 * - **Subscriptions** (call them in `onStart`): `subscribeTrades`, `subscribeQuotes`,
 *   `subscribeBook`, `subscribeBars`.
 * - **Indicators** registered with `indicator(barType, name, params)` (any entry of the
 *   indicator registry) are updated with each bar *before* `onBar` sees it; order-flow
 *   analytics registered with `onTradeAnalytic` are fed each trade before `onTrade`.
 * - **Orders**: `buy`/`sell` (market), `submitLimit`, `submitStop` (stop-market or stop-limit),
 *   `submitTrailingStop`, `submitBracket` (entry + take-profit + stop-loss, OCO between the
 *   exits), `modify`, `cancel`, `cancelAll`, `closePosition`. Every order goes through the
 *   execution engine and its pre-trade risk gate; a refusal comes back as an `OrderDenied`
 *   event or a refused command result, never as a silent no-op.
 * - **Parameters** are declared with a zod schema (`static schema`), validated strictly when
 *   the strategy is created: an unknown or ill-typed parameter is an error naming it.
 */
import { z } from "zod";
import type { TimeEvent } from "../core/clock.js";
import { Component } from "../core/component.js";
import { Topics } from "../core/topics.js";
import type { OrderBook } from "../data/book/order-book.js";
import type { OrderCache } from "../execution/cache.js";
import type { CommandResult } from "../execution/errors.js";
import type { BoundIndicator, ParamValue } from "../indicators/registry.js";
import { getIndicator } from "../indicators/registry.js";
import type { TradingCommand } from "../model/commands.js";
import type { Bar, BarType, OrderBookDeltas, QuoteTick, TradeTick } from "../model/data.js";
import {
  ContingencyType,
  OrderSide,
  OrderType,
  type TimeInForce,
  TrailingOffsetType,
  TriggerType,
} from "../model/enums.js";
import { BotV6Error } from "../model/errors.js";
import type { OrderEvent, PositionEvent } from "../model/events.js";
import { ClientOrderId, InstrumentId, StrategyId } from "../model/identifiers.js";
import type { Instrument } from "../model/instruments.js";
import { createOrder, type Order, type OrderSpec } from "../model/orders.js";
import type { Price, Quantity } from "../model/values.js";
import type { Portfolio } from "../portfolio/portfolio.js";
import type { Position } from "../portfolio/position.js";

export class StrategyError extends BotV6Error {}

/** What the node gives a strategy to trade with (the same object shape in every mode). */
export interface TradingContext {
  instrument(id: InstrumentId | string): Instrument;
  execute(command: TradingCommand): CommandResult;
  readonly portfolio: Portfolio;
  readonly orders: OrderCache;
  /** The maintained L2 book of an instrument, if its deltas flow through the data engine. */
  book(id: InstrumentId): OrderBook | null;
  /** Makes sure bars of this type are produced (aggregated internally when needed). */
  requestBars(barType: BarType): void;
}

/** Anything fed trade by trade before `onTrade` (order-flow analytics, custom features). */
export type TradeAnalytic = (trade: TradeTick) => void;

type ParamsOf<S> = S extends z.ZodType ? z.infer<S> : Record<string, never>;

export abstract class Strategy<Schema extends z.ZodType = z.ZodType> extends Component {
  /** Parameter schema of the strategy class (a zod strict object). */
  static readonly schema: z.ZodType = z.strictObject({});
  readonly strategyId: StrategyId;
  readonly params: ParamsOf<Schema>;
  private tradingContext: TradingContext | null = null;
  private readonly barIndicators = new Map<
    string,
    { ind: BoundIndicator; row: Float64Array; cols: string[] }[]
  >();
  private readonly tradeAnalytics = new Map<string, TradeAnalytic[]>();
  private readonly subscribed: { topic: string; handler: (m: never) => void }[] = [];
  private orderSeq = 0;

  constructor(id: string, params: unknown = {}) {
    super(id);
    this.strategyId = new StrategyId(id);
    const schema = (this.constructor as typeof Strategy).schema;
    const result = schema.safeParse(params ?? {});
    if (!result.success) {
      const issues = result.error.issues.map((i) => {
        const path = i.path.join(".");
        if (i.code === "unrecognized_keys")
          return `unknown parameter(s) ${i.keys.map((k) => `"${k}"`).join(", ")}`;
        return `parameter "${path}": ${i.message}`;
      });
      throw new StrategyError("STRATEGY_PARAMS_INVALID", `strategy ${id}: ${issues.join("; ")}`, {
        strategy: id,
        issues,
      });
    }
    this.params = result.data as ParamsOf<Schema>;
  }

  /** Called by the node before `initialize`. */
  attach(trading: TradingContext): void {
    this.tradingContext = trading;
  }

  protected get trading(): TradingContext {
    if (this.tradingContext === null) {
      throw new StrategyError(
        "STRATEGY_NOT_ATTACHED",
        `strategy ${this.id} is not attached to a trading node`,
        {},
      );
    }
    return this.tradingContext;
  }

  /** Current time (µs), from the node's clock. */
  protected now(): number {
    return this.context.clock.timestampUs();
  }

  protected get portfolio(): Portfolio {
    return this.trading.portfolio;
  }

  protected get orders(): OrderCache {
    return this.trading.orders;
  }

  protected instrument(id: InstrumentId | string): Instrument {
    return this.trading.instrument(id);
  }

  // --- lifecycle -----------------------------------------------------------------------------

  protected override onStart(): void {
    this.listen(Topics.orderEvents(this.strategyId), (e: OrderEvent) => this.onOrderEvent(e));
    this.listen(Topics.positionEvents(this.strategyId), (e: PositionEvent) => this.onPositionEvent(e));
    this.onStrategyStart();
  }

  protected override onStop(): void {
    this.onStrategyStop();
    for (const s of this.subscribed) this.context.bus.unsubscribe(s.topic, s.handler);
    this.subscribed.length = 0;
    for (const name of this.context.clock.timerNames()) {
      if (name.startsWith(`${this.id}:`)) this.context.clock.cancelTimer(name);
    }
  }

  private listen<T>(topic: string, handler: (m: T) => void): void {
    this.context.bus.subscribe<T>(topic, handler);
    this.subscribed.push({ topic, handler: handler as (m: never) => void });
  }

  // --- hooks (override what you need) --------------------------------------------------------

  /** Called when the strategy starts: subscribe to data and register indicators here. */
  protected onStrategyStart(): void {}
  protected onStrategyStop(): void {}
  protected onTrade(_trade: TradeTick): void {}
  protected onQuote(_quote: QuoteTick): void {}
  protected onBook(_book: OrderBook, _deltas: OrderBookDeltas): void {}
  protected onBar(_bar: Bar): void {}
  protected onOrderEvent(_event: OrderEvent): void {}
  protected onPositionEvent(_event: PositionEvent): void {}
  protected onTimer(_event: TimeEvent): void {}

  // --- subscriptions -------------------------------------------------------------------------

  protected subscribeTrades(id: InstrumentId): void {
    this.listen(Topics.trades(id), (t: TradeTick) => {
      const analytics = this.tradeAnalytics.get(id.value);
      if (analytics !== undefined) for (const a of analytics) a(t);
      this.onTrade(t);
    });
  }

  protected subscribeQuotes(id: InstrumentId): void {
    this.listen(Topics.quotes(id), (q: QuoteTick) => this.onQuote(q));
  }

  /** Book updates: `onBook` receives the maintained book after each venue message. */
  protected subscribeBook(id: InstrumentId): void {
    this.listen(Topics.bookDeltas(id), (d: OrderBookDeltas) => {
      const book = this.trading.book(id);
      if (book !== null) this.onBook(book, d);
    });
  }

  protected subscribeBars(barType: BarType): void {
    this.trading.requestBars(barType);
    const key = barType.toString();
    this.listen(Topics.bars(barType), (bar: Bar) => {
      const list = this.barIndicators.get(key);
      if (list !== undefined) {
        for (const { ind, row, cols } of list) {
          for (let k = 0; k < cols.length; k++) row[k] = barColumn(bar, cols[k]);
          ind.update(row);
        }
      }
      this.onBar(bar);
    });
  }

  /**
   * Registers an indicator of the registry on a bar type; it is updated with every bar before
   * `onBar`. Returns the live instance (read `output(i)` / `isReady`).
   */
  protected indicator(
    barType: BarType,
    name: string,
    params: Record<string, ParamValue> = {},
  ): BoundIndicator {
    const spec = getIndicator(name);
    const ind = spec.create(params);
    const key = barType.toString();
    const list = this.barIndicators.get(key) ?? [];
    list.push({ ind, row: new Float64Array(spec.inputs.length), cols: [...spec.inputs] });
    this.barIndicators.set(key, list);
    return ind;
  }

  /** Feeds every trade of `id` to `analytic` before `onTrade` (order flow, custom features). */
  protected onTradeAnalytic(id: InstrumentId, analytic: TradeAnalytic): void {
    const list = this.tradeAnalytics.get(id.value) ?? [];
    list.push(analytic);
    this.tradeAnalytics.set(id.value, list);
  }

  /** A repeating timer owned by this strategy; fires `onTimer`. */
  protected setTimer(name: string, intervalUs: number, startUs?: number): void {
    this.context.clock.setTimer(
      `${this.id}:${name}`,
      intervalUs,
      (e) => this.onTimer({ ...e, name }),
      startUs,
    );
  }

  /** A one-shot alert owned by this strategy; fires `onTimer`. */
  protected setAlert(name: string, atUs: number): void {
    this.context.clock.setTimeAlert(`${this.id}:${name}`, atUs, (e) => this.onTimer({ ...e, name }));
  }

  // --- orders --------------------------------------------------------------------------------

  /** A fresh, deterministic client order id. */
  protected nextOrderId(): ClientOrderId {
    return new ClientOrderId(`${this.id}-${++this.orderSeq}`);
  }

  /**
   * Continues client order ids after `<id>-<used>`: a strategy restarted in a new process
   * (a replacement strategy node) must not reuse ids its predecessor sent. Never goes back.
   */
  resumeOrderIdsAfter(used: number): void {
    if (!Number.isSafeInteger(used) || used < 0) {
      throw new RangeError(`resumeOrderIdsAfter: ${used} is not a non-negative integer`);
    }
    if (used > this.orderSeq) this.orderSeq = used;
  }

  private quantityOf(inst: Instrument, qty: Quantity | string | number): Quantity {
    return typeof qty === "object" ? qty : inst.makeQuantity(qty);
  }

  private priceOf(inst: Instrument, px: Price | string | number): Price {
    return typeof px === "object" ? px : inst.makePrice(px);
  }

  /** Creates (does not submit) an order with this strategy's id and a fresh client order id. */
  protected newOrder(
    spec: Omit<OrderSpec, "strategyId" | "clientOrderId" | "tsInit"> & { clientOrderId?: ClientOrderId },
  ): Order {
    return createOrder({
      ...spec,
      strategyId: this.strategyId,
      clientOrderId: spec.clientOrderId ?? this.nextOrderId(),
      tsInit: this.now(),
    });
  }

  /** The fields every command of this strategy carries. */
  private head(commandId: string, instrumentId: InstrumentId) {
    return { commandId, strategyId: this.strategyId, instrumentId, tsInit: this.now() };
  }

  /** Submits an order to the execution engine. Returns the engine's answer. */
  protected submit(order: Order): CommandResult {
    // The command's fields written out (no intermediate object: this is the hot order path).
    return this.trading.execute({
      type: "SubmitOrder",
      commandId: `${order.clientOrderId.value}-submit`,
      strategyId: this.strategyId,
      instrumentId: order.instrumentId,
      tsInit: this.now(),
      order,
      positionId: null,
    });
  }

  protected market(
    id: InstrumentId,
    side: OrderSide,
    qty: Quantity | string | number,
    opts: { reduceOnly?: boolean; tags?: string[] } = {},
  ): Order {
    const inst = this.instrument(id);
    const order = this.newOrder({
      instrumentId: id,
      side,
      type: OrderType.Market,
      quantity: this.quantityOf(inst, qty),
      ...opts,
    });
    this.submit(order);
    return order;
  }

  protected buy(id: InstrumentId, qty: Quantity | string | number): Order {
    return this.market(id, OrderSide.Buy, qty);
  }

  protected sell(id: InstrumentId, qty: Quantity | string | number): Order {
    return this.market(id, OrderSide.Sell, qty);
  }

  protected submitLimit(
    id: InstrumentId,
    side: OrderSide,
    qty: Quantity | string | number,
    price: Price | string | number,
    opts: {
      timeInForce?: TimeInForce;
      expireTime?: number;
      postOnly?: boolean;
      reduceOnly?: boolean;
      displayQty?: Quantity;
    } = {},
  ): Order {
    const inst = this.instrument(id);
    const order = this.newOrder({
      instrumentId: id,
      side,
      type: OrderType.Limit,
      quantity: this.quantityOf(inst, qty),
      price: this.priceOf(inst, price),
      ...opts,
    });
    this.submit(order);
    return order;
  }

  /** Stop-market, or stop-limit when `limitPrice` is given. */
  protected submitStop(
    id: InstrumentId,
    side: OrderSide,
    qty: Quantity | string | number,
    triggerPrice: Price | string | number,
    opts: {
      limitPrice?: Price | string | number;
      triggerType?: TriggerType;
      reduceOnly?: boolean;
      timeInForce?: TimeInForce;
    } = {},
  ): Order {
    const inst = this.instrument(id);
    const order = this.newOrder({
      instrumentId: id,
      side,
      type: opts.limitPrice === undefined ? OrderType.StopMarket : OrderType.StopLimit,
      quantity: this.quantityOf(inst, qty),
      triggerPrice: this.priceOf(inst, triggerPrice),
      price: opts.limitPrice === undefined ? null : this.priceOf(inst, opts.limitPrice),
      triggerType: opts.triggerType,
      reduceOnly: opts.reduceOnly,
      timeInForce: opts.timeInForce,
    });
    this.submit(order);
    return order;
  }

  /** Trailing stop (market, or limit with `limitOffset`), offset in price units by default. */
  protected submitTrailingStop(
    id: InstrumentId,
    side: OrderSide,
    qty: Quantity | string | number,
    trailingOffset: number,
    opts: {
      offsetType?: TrailingOffsetType;
      limitOffset?: number;
      triggerType?: TriggerType;
      reduceOnly?: boolean;
    } = {},
  ): Order {
    const inst = this.instrument(id);
    const order = this.newOrder({
      instrumentId: id,
      side,
      type: opts.limitOffset === undefined ? OrderType.TrailingStopMarket : OrderType.TrailingStopLimit,
      quantity: this.quantityOf(inst, qty),
      trailingOffset,
      limitOffset: opts.limitOffset ?? null,
      trailingOffsetType: opts.offsetType ?? TrailingOffsetType.Price,
      triggerType: opts.triggerType ?? TriggerType.LastPrice,
      reduceOnly: opts.reduceOnly,
    });
    this.submit(order);
    return order;
  }

  /**
   * A bracket: an entry (market, or limit at `entryPrice`) that, once filled, activates a
   * take-profit limit and a stop-loss stop-market; the exits are OCO (one fills, the other is
   * canceled) and resize with partial entry fills. Submitted as one list: all or nothing.
   */
  protected submitBracket(
    id: InstrumentId,
    side: OrderSide,
    qty: Quantity | string | number,
    takeProfit: Price | string | number,
    stopLoss: Price | string | number,
    opts: { entryPrice?: Price | string | number } = {},
  ): { entry: Order; takeProfit: Order; stopLoss: Order; result: CommandResult } {
    const inst = this.instrument(id);
    const quantity = this.quantityOf(inst, qty);
    const exitSide = side === OrderSide.Buy ? OrderSide.Sell : OrderSide.Buy;
    const entryId = this.nextOrderId();
    const tpId = this.nextOrderId();
    const slId = this.nextOrderId();
    const entry = this.newOrder({
      clientOrderId: entryId,
      instrumentId: id,
      side,
      type: opts.entryPrice === undefined ? OrderType.Market : OrderType.Limit,
      price: opts.entryPrice === undefined ? null : this.priceOf(inst, opts.entryPrice),
      quantity,
      contingencyType: ContingencyType.OTO,
      linkedOrderIds: [tpId, slId],
    });
    const tp = this.newOrder({
      clientOrderId: tpId,
      instrumentId: id,
      side: exitSide,
      type: OrderType.Limit,
      price: this.priceOf(inst, takeProfit),
      quantity,
      reduceOnly: true,
      contingencyType: ContingencyType.OCO,
      parentOrderId: entryId,
      linkedOrderIds: [slId],
    });
    const sl = this.newOrder({
      clientOrderId: slId,
      instrumentId: id,
      side: exitSide,
      type: OrderType.StopMarket,
      triggerPrice: this.priceOf(inst, stopLoss),
      quantity,
      reduceOnly: true,
      contingencyType: ContingencyType.OCO,
      parentOrderId: entryId,
      linkedOrderIds: [tpId],
    });
    const result = this.trading.execute({
      type: "SubmitOrderList",
      ...this.head(`${entryId.value}-bracket`, id),
      orders: [entry, tp, sl],
    });
    return { entry, takeProfit: tp, stopLoss: sl, result };
  }

  protected modify(
    order: Order,
    changes: { quantity?: Quantity; price?: Price; triggerPrice?: Price },
  ): CommandResult {
    return this.trading.execute({
      type: "ModifyOrder",
      ...this.head(`${order.clientOrderId.value}-modify-${this.now()}`, order.instrumentId),
      clientOrderId: order.clientOrderId,
      venueOrderId: order.venueOrderId,
      quantity: changes.quantity ?? null,
      price: changes.price ?? null,
      triggerPrice: changes.triggerPrice ?? null,
    });
  }

  protected cancel(order: Order): CommandResult {
    const now = this.now();
    return this.trading.execute({
      type: "CancelOrder",
      commandId: `${order.clientOrderId.value}-cancel-${now}`,
      strategyId: this.strategyId,
      instrumentId: order.instrumentId,
      tsInit: now,
      clientOrderId: order.clientOrderId,
      venueOrderId: order.venueOrderId,
    });
  }

  protected cancelAll(id: InstrumentId, side: OrderSide | null = null): CommandResult {
    return this.trading.execute({
      type: "CancelAllOrders",
      ...this.head(`${this.id}-cancel-all-${this.now()}`, id),
      side,
    });
  }

  /** This strategy's position in an instrument (undefined if never opened). */
  protected position(id: InstrumentId): Position | undefined {
    return this.portfolio.position(id.value, this.strategyId);
  }

  /** Signed position quantity (raw), 0 when flat. */
  protected positionRaw(id: InstrumentId): number {
    return this.position(id)?.signedQtyRaw ?? 0;
  }

  /** Closes the whole position with a reduce-only market order (no-op when flat). */
  protected closePosition(id: InstrumentId): Order | null {
    const raw = this.positionRaw(id);
    if (raw === 0) return null;
    const qty = this.position(id)!.quantity;
    return this.market(id, raw > 0 ? OrderSide.Sell : OrderSide.Buy, qty, { reduceOnly: true });
  }
}

function barColumn(bar: Bar, col: string): number {
  switch (col) {
    case "time":
      return bar.tsOpen;
    case "open":
      return bar.open.toNumber();
    case "high":
      return bar.high.toNumber();
    case "low":
      return bar.low.toNumber();
    case "close":
      return bar.close.toNumber();
    default:
      return bar.volume.toNumber();
  }
}

/** Parses an instrument id argument leniently (string or id). */
export function toInstrumentId(id: InstrumentId | string): InstrumentId {
  return typeof id === "string" ? InstrumentId.parse(id) : id;
}
