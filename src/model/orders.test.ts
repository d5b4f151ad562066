import { describe, expect, it } from "vitest";
import { currency } from "./currency.js";
import {
  LiquiditySide,
  OrderSide,
  OrderStatus,
  OrderType,
  TimeInForce,
  TrailingOffsetType,
} from "./enums.js";
import { InvalidStateTransitionError, OrderError } from "./errors.js";
import type { OrderEvent, OrderFilled } from "./events.js";
import { AccountId, ClientOrderId, InstrumentId, StrategyId, VenueOrderId } from "./identifiers.js";
import { createOrder, ORDER_TRANSITIONS, type Order, type OrderSpec, TERMINAL_STATUSES } from "./orders.js";
import { Money, Price, Quantity } from "./values.js";

const base = {
  strategyId: new StrategyId("S-1"),
  instrumentId: InstrumentId.parse("BTCUSDT.BINANCE"),
  clientOrderId: new ClientOrderId("O-1"),
  side: OrderSide.Buy,
  quantity: Quantity.parse("1.000"),
  tsInit: 1_000,
} satisfies Partial<OrderSpec>;

const account = new AccountId("BINANCE-001");
let seq = 0;
const head = (order: Order) => ({
  eventId: `E-${++seq}`,
  tsEvent: 2_000 + seq,
  tsInit: 2_000 + seq,
  strategyId: order.strategyId,
  instrumentId: order.instrumentId,
  clientOrderId: order.clientOrderId,
});

const ev = {
  submitted: (o: Order): OrderEvent => ({ type: "OrderSubmitted", accountId: account, ...head(o) }),
  accepted: (o: Order): OrderEvent => ({
    type: "OrderAccepted",
    accountId: account,
    venueOrderId: new VenueOrderId("V-1"),
    ...head(o),
  }),
  canceled: (o: Order): OrderEvent => ({ type: "OrderCanceled", ...head(o) }),
  pendingCancel: (o: Order): OrderEvent => ({ type: "OrderPendingCancel", ...head(o) }),
  cancelRejected: (o: Order): OrderEvent => ({ type: "OrderCancelRejected", reason: "too late", ...head(o) }),
  pendingUpdate: (o: Order): OrderEvent => ({ type: "OrderPendingUpdate", ...head(o) }),
  updated: (o: Order, qty: string | null, px: string | null): OrderEvent => ({
    type: "OrderUpdated",
    venueOrderId: null,
    quantity: qty === null ? null : Quantity.parse(qty),
    price: px === null ? null : Price.parse(px),
    triggerPrice: null,
    ...head(o),
  }),
  triggered: (o: Order): OrderEvent => ({ type: "OrderTriggered", venueOrderId: null, ...head(o) }),
  filled: (o: Order, qty: string, px: string, tradeId = `T-${seq + 1}`): OrderFilled => ({
    type: "OrderFilled",
    accountId: account,
    venueOrderId: new VenueOrderId("V-1"),
    tradeId,
    positionId: null,
    orderSide: o.side,
    orderType: o.type,
    lastQty: Quantity.parse(qty),
    lastPx: Price.parse(px),
    commission: Money.parse("0.01", currency("USDT")),
    liquiditySide: LiquiditySide.Maker,
    ...head(o),
  }),
};

describe("createOrder validates each order type", () => {
  const p = Price.parse("100.00");
  it.each<[string, Partial<OrderSpec>]>([
    ["market", { type: OrderType.Market }],
    ["limit", { type: OrderType.Limit, price: p }],
    ["stop-market", { type: OrderType.StopMarket, triggerPrice: p }],
    ["stop-limit", { type: OrderType.StopLimit, price: p, triggerPrice: p }],
    ["market-if-touched", { type: OrderType.MarketIfTouched, triggerPrice: p }],
    ["limit-if-touched", { type: OrderType.LimitIfTouched, price: p, triggerPrice: p }],
    [
      "trailing-stop-market",
      {
        type: OrderType.TrailingStopMarket,
        trailingOffset: 50,
        trailingOffsetType: TrailingOffsetType.BasisPoints,
      },
    ],
    ["trailing-stop-limit", { type: OrderType.TrailingStopLimit, trailingOffset: 1, limitOffset: 0.5 }],
    ["GTD limit", { type: OrderType.Limit, price: p, timeInForce: TimeInForce.GTD, expireTime: 5_000 }],
    ["post-only limit", { type: OrderType.Limit, price: p, postOnly: true }],
    ["reduce-only market", { type: OrderType.Market, reduceOnly: true }],
    ["iceberg", { type: OrderType.Limit, price: p, displayQty: Quantity.parse("0.1") }],
  ])("accepts %s", (_name, extra) => {
    const o = createOrder({ ...base, ...extra } as OrderSpec);
    expect(o.status).toBe(OrderStatus.Initialized);
    expect(o.leavesQty.eq(base.quantity)).toBe(true);
  });

  it("market orders default to IOC, others to GTC", () => {
    expect(createOrder({ ...base, type: OrderType.Market }).timeInForce).toBe(TimeInForce.IOC);
    expect(createOrder({ ...base, type: OrderType.Limit, price: p }).timeInForce).toBe(TimeInForce.GTC);
  });

  it.each<[string, Partial<OrderSpec>, RegExp]>([
    ["limit without price", { type: OrderType.Limit }, /a price is required/],
    ["market with price", { type: OrderType.Market, price: p }, /price is not allowed/],
    ["stop without trigger", { type: OrderType.StopMarket }, /trigger price is required/],
    [
      "limit with trigger",
      { type: OrderType.Limit, price: p, triggerPrice: p },
      /trigger price is not allowed/,
    ],
    ["trailing without offset", { type: OrderType.TrailingStopMarket }, /trailingOffset/],
    [
      "trailing-limit without limit offset",
      { type: OrderType.TrailingStopLimit, trailingOffset: 1 },
      /limitOffset/,
    ],
    [
      "GTD without expiry",
      { type: OrderType.Limit, price: p, timeInForce: TimeInForce.GTD },
      /GTD needs an expireTime/,
    ],
    ["expiry without GTD", { type: OrderType.Limit, price: p, expireTime: 9_000 }, /only valid with GTD/],
    ["post-only market", { type: OrderType.Market, postOnly: true }, /post-only needs a limit/],
    [
      "post-only IOC",
      { type: OrderType.Limit, price: p, postOnly: true, timeInForce: TimeInForce.IOC },
      /post-only cannot/,
    ],
    ["DAY market", { type: OrderType.Market, timeInForce: TimeInForce.DAY }, /not valid for a market order/],
    ["zero quantity", { type: OrderType.Market, quantity: Quantity.parse("0") }, /quantity must be positive/],
    [
      "display > quantity",
      { type: OrderType.Limit, price: p, displayQty: Quantity.parse("2") },
      /displayQty/,
    ],
  ])("rejects %s", (_name, extra, message) => {
    expect(() => createOrder({ ...base, ...extra } as OrderSpec)).toThrow(OrderError);
    expect(() => createOrder({ ...base, ...extra } as OrderSpec)).toThrow(message);
  });
});

describe("order state machine", () => {
  const limit = () => createOrder({ ...base, type: OrderType.Limit, price: Price.parse("100.00") });

  it("has an entry for every status; terminal statuses accept nothing", () => {
    for (const s of Object.values(OrderStatus)) expect(ORDER_TRANSITIONS.has(s)).toBe(true);
    for (const s of TERMINAL_STATUSES) expect(ORDER_TRANSITIONS.get(s)?.size).toBe(0);
  });

  it("walks submit → accept → partial fill → fill with exact quantities", () => {
    const o = limit();
    o.apply(ev.submitted(o));
    o.apply(ev.accepted(o));
    expect(o.isOpen()).toBe(true);
    o.apply(ev.filled(o, "0.400", "100.00"));
    expect(o.status).toBe(OrderStatus.PartiallyFilled);
    expect(o.filledQty.toString()).toBe("0.400");
    expect(o.leavesQty.toString()).toBe("0.600");
    o.apply(ev.filled(o, "0.600", "99.00"));
    expect(o.status).toBe(OrderStatus.Filled);
    expect(o.leavesQty.isZero()).toBe(true);
    expect(o.avgPx).toBeCloseTo(99.4, 12);
    expect(o.isClosed()).toBe(true);
    expect(o.events).toHaveLength(4);
  });

  it("rejects invalid transitions naming both states, applying nothing", () => {
    const o = limit();
    const e = ev.filled(o, "0.1", "100");
    expect(() => o.apply(e)).toThrow(InvalidStateTransitionError);
    expect(() => o.apply(e)).toThrow(/OrderFilled in state INITIALIZED rejected/);
    expect(o.status).toBe(OrderStatus.Initialized);
    expect(o.events).toHaveLength(0);
    o.apply(ev.submitted(o));
    o.apply(ev.accepted(o));
    o.apply(ev.canceled(o));
    expect(() => o.apply(ev.accepted(o))).toThrow(/OrderAccepted in state CANCELED/);
    expect(o.status).toBe(OrderStatus.Canceled);
  });

  it("refuses overfills and duplicate trade ids", () => {
    const o = limit();
    o.apply(ev.submitted(o));
    o.apply(ev.accepted(o));
    expect(() => o.apply(ev.filled(o, "1.5", "100"))).toThrow(/exceeds leaves quantity/);
    o.apply(ev.filled(o, "0.5", "100", "T-X"));
    expect(() => o.apply(ev.filled(o, "0.1", "100", "T-X"))).toThrow(/duplicate fill trade id/);
    expect(o.filledQty.toString()).toBe("0.500");
  });

  it("returns from a rejected cancel to the previous state", () => {
    const o = limit();
    o.apply(ev.submitted(o));
    o.apply(ev.accepted(o));
    o.apply(ev.pendingCancel(o));
    expect(o.status).toBe(OrderStatus.PendingCancel);
    o.apply(ev.cancelRejected(o));
    expect(o.status).toBe(OrderStatus.Accepted);
  });

  it("a fill racing a cancel is applied; a partially filled order returns to PARTIALLY_FILLED", () => {
    const o = limit();
    o.apply(ev.submitted(o));
    o.apply(ev.accepted(o));
    o.apply(ev.pendingCancel(o));
    o.apply(ev.filled(o, "0.2", "100"));
    expect(o.status).toBe(OrderStatus.PartiallyFilled);
    o.apply(ev.pendingUpdate(o));
    o.apply(ev.updated(o, "0.800", "101.00"));
    expect(o.status).toBe(OrderStatus.PartiallyFilled);
    expect(o.leavesQty.toString()).toBe("0.600");
    expect(o.price?.toString()).toBe("101.00");
    o.apply(ev.pendingUpdate(o));
    expect(() => o.apply(ev.updated(o, "0.100", null))).toThrow(/below filled/);
  });

  it("stop-limit orders pass through TRIGGERED", () => {
    const o = createOrder({
      ...base,
      type: OrderType.StopLimit,
      price: Price.parse("101"),
      triggerPrice: Price.parse("100"),
    });
    o.apply(ev.submitted(o));
    o.apply(ev.accepted(o));
    o.apply(ev.triggered(o));
    expect(o.status).toBe(OrderStatus.Triggered);
    expect(o.isTriggered).toBe(true);
    o.apply(ev.filled(o, "1", "101"));
    expect(o.status).toBe(OrderStatus.Filled);
  });

  it("refuses events of another order", () => {
    const o = limit();
    const other = createOrder({ ...base, clientOrderId: new ClientOrderId("O-2"), type: OrderType.Market });
    expect(() => o.apply(ev.submitted(other))).toThrow(/event is for order O-2/);
  });
});
