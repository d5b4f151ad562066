/**
 * Local emulation of stop, trailing-stop, market-if-touched and limit-if-touched orders for
 * venues that lack them (or for orders flagged `emulated`).
 *
 * An emulated order is held locally (status INITIALIZED, counted as open by the cache) and its
 * trigger is watched on the market data topics of its instrument, synchronously in the data's
 * call chain. When it triggers, it is checked again by the pre-trade gate and released to the
 * venue as a MARKET order (stop-market, MIT, trailing-stop-market) or a LIMIT order (stop-limit,
 * LIT, trailing-stop-limit): events `OrderTriggered` then `OrderSubmitted`.
 *
 * Trigger rules (price P is the ask for buys / bid for sells from quotes, or the last trade):
 *
 * | type | buy triggers when | sell triggers when |
 * |---|---|---|
 * | STOP_MARKET, STOP_LIMIT, TRAILING_* | P >= trigger | P <= trigger |
 * | MARKET_IF_TOUCHED, LIMIT_IF_TOUCHED | P <= trigger | P >= trigger |
 *
 * Trailing stops move their trigger only in the favourable direction: a sell stop trails
 * `offset` below the best bid/last seen, a buy stop `offset` above the lowest ask/last seen; each
 * move is an `OrderUpdated` event. A trailing-stop-limit's limit is the trigger minus (sell) or
 * plus (buy) its `limitOffset`, in the same unit as the trailing offset.
 */

import { Topics } from "../core/topics.js";
import type { QuoteTick, TradeTick } from "../model/data.js";
import { OrderSide, OrderType, TrailingOffsetType, TriggerType } from "../model/enums.js";
import { RoundingMode, roundRawToIncrement } from "../model/fixed.js";
import type { InstrumentId } from "../model/identifiers.js";
import type { Order } from "../model/orders.js";
import { Price } from "../model/values.js";
import type { EmulatorPort, ExecutionEngine } from "./engine.js";

export class OrderEmulator implements EmulatorPort {
  private readonly byInstrument = new Map<InstrumentId, Order[]>();
  private readonly subscribed = new Set<InstrumentId>();
  private readonly engine: ExecutionEngine;
  private readonly subscribe: (topic: string, handler: (m: never) => void) => void;

  /**
   * @param subscribe subscribes to a bus topic (the engine's bus: `(t, h) => bus.subscribe(t, h)`).
   */
  constructor(engine: ExecutionEngine, subscribe: (topic: string, handler: (m: never) => void) => void) {
    this.engine = engine;
    this.subscribe = subscribe;
    engine.setEmulator(this);
  }

  hold(order: Order): void {
    let list = this.byInstrument.get(order.instrumentId);
    if (list === undefined) {
      list = [];
      this.byInstrument.set(order.instrumentId, list);
    }
    if (!list.includes(order)) list.push(order);
    if (!this.subscribed.has(order.instrumentId)) {
      this.subscribed.add(order.instrumentId);
      this.subscribe(Topics.quotes(order.instrumentId), ((q: QuoteTick) => this.onQuote(q)) as (
        m: never,
      ) => void);
      this.subscribe(Topics.trades(order.instrumentId), ((t: TradeTick) => this.onTrade(t)) as (
        m: never,
      ) => void);
    }
  }

  release(order: Order): void {
    const list = this.byInstrument.get(order.instrumentId);
    if (list === undefined) return;
    const i = list.indexOf(order);
    if (i >= 0) list.splice(i, 1);
  }

  updated(_order: Order): void {
    // Triggers are read from the order on every tick; nothing cached to refresh.
  }

  /** Orders currently held for an instrument. */
  held(instrumentId: InstrumentId): readonly Order[] {
    return this.byInstrument.get(instrumentId) ?? [];
  }

  onQuote(q: QuoteTick): void {
    const list = this.byInstrument.get(q.instrumentId);
    if (list === undefined || list.length === 0) return;
    for (const o of [...list]) {
      if (o.triggerType === TriggerType.LastPrice) continue;
      const px = o.side === OrderSide.Buy ? q.askPrice : q.bidPrice;
      this.evaluate(o, px);
    }
  }

  onTrade(t: TradeTick): void {
    const list = this.byInstrument.get(t.instrumentId);
    if (list === undefined || list.length === 0) return;
    for (const o of [...list]) {
      if (o.triggerType === TriggerType.BidAsk) continue;
      this.evaluate(o, t.price);
    }
  }

  private evaluate(order: Order, px: Price): void {
    if (!this.engine.cache.isHeld(order)) {
      this.release(order);
      return;
    }
    const trailing =
      order.type === OrderType.TrailingStopMarket || order.type === OrderType.TrailingStopLimit;
    if (trailing) this.trail(order, px);
    const trig = order.triggerPrice;
    if (trig === null) return;
    const buy = order.side === OrderSide.Buy;
    const c = px.compare(trig);
    let hit: boolean;
    switch (order.type) {
      case OrderType.MarketIfTouched:
      case OrderType.LimitIfTouched:
        hit = buy ? c <= 0 : c >= 0;
        break;
      default:
        hit = buy ? c >= 0 : c <= 0;
    }
    if (!hit) return;
    this.release(order);
    switch (order.type) {
      case OrderType.StopMarket:
      case OrderType.MarketIfTouched:
      case OrderType.TrailingStopMarket:
        this.engine.releaseEmulated(order, OrderType.Market, null);
        break;
      case OrderType.TrailingStopLimit:
        this.engine.releaseEmulated(order, OrderType.Limit, this.trailingLimit(order, trig));
        break;
      default:
        this.engine.releaseEmulated(order, OrderType.Limit, order.price);
    }
  }

  /** Moves a trailing trigger toward the market (never away); emits OrderUpdated on a move. */
  private trail(order: Order, px: Price): void {
    const offset = this.offsetRaw(order, px, order.trailingOffset ?? 0);
    const buy = order.side === OrderSide.Buy;
    const candidateRaw = buy ? px.raw + offset : px.raw - offset;
    const cur = order.triggerPrice;
    if (cur !== null && (buy ? candidateRaw >= cur.raw : candidateRaw <= cur.raw)) return;
    const next = Price.fromRaw(candidateRaw, px.precision);
    let limit: Price | null = null;
    if (order.type === OrderType.TrailingStopLimit) limit = this.trailingLimit(order, next);
    this.engine.apply(order, this.engine.updatedEvent(order, null, null, limit, next));
  }

  private trailingLimit(order: Order, trigger: Price): Price {
    const lim = this.offsetRaw(order, trigger, order.limitOffset ?? 0);
    return Price.fromRaw(
      order.side === OrderSide.Buy ? trigger.raw + lim : trigger.raw - lim,
      trigger.precision,
    );
  }

  /** An offset in raw price units, rounded to the instrument's price increment. */
  private offsetRaw(order: Order, ref: Price, offset: number): number {
    const inst = this.engine.instruments.get(order.instrumentId);
    const incRaw = inst?.priceIncrement.raw ?? 1;
    let raw: number;
    switch (order.trailingOffsetType) {
      case TrailingOffsetType.Ticks:
        return Math.round(offset) * incRaw;
      case TrailingOffsetType.BasisPoints:
        raw = (ref.raw * offset) / 10_000;
        break;
      default:
        raw = offset * 10 ** ref.precision;
    }
    return roundRawToIncrement(Math.round(raw), incRaw, RoundingMode.HalfEven);
  }
}
