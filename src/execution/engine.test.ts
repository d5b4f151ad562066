import { describe, expect, it } from "vitest";
import {
  OrderSide,
  OrderStatus,
  OrderType,
  TimeInForce,
  TrailingOffsetType,
  TriggerType,
} from "../model/enums.js";
import { ClientOrderId, InstrumentId, StrategyId } from "../model/identifiers.js";
import type { Order } from "../model/orders.js";
import { Price, Quantity } from "../model/values.js";
import type { PreTradeGate } from "./engine.js";
import { makeNode } from "./venue-double.test.js";

const types = (events: { type: string }[]) => events.map((e) => e.type);

describe("ExecutionEngine: submit and venue acknowledgement", () => {
  it("submits, publishes every event and caches the order", () => {
    const n = makeNode();
    const o = n.order();
    expect(n.submit(o)).toEqual({ ok: true, code: "OK", reason: "" });
    expect(o.status).toBe(OrderStatus.Accepted);
    expect(types(n.events)).toEqual(["OrderInitialized", "OrderSubmitted", "OrderAccepted"]);
    expect(n.venue.calls).toEqual(["create O-1 LIMIT BUY 1.000 @ 100.00"]);
    expect(n.engine.cache.openOrders()).toEqual([o]);
    n.venue.fill("O-1", n.px("99.50"), "0.400");
    expect(o.status).toBe(OrderStatus.PartiallyFilled);
    n.venue.fill("O-1", n.px("100.00"));
    expect(o.status).toBe(OrderStatus.Filled);
    expect(n.engine.cache.openOrders()).toEqual([]);
    expect(n.engine.cache.closedOrders()).toEqual([o]);
    const pos = n.engine.cache.position(n.inst.id, n.strategy);
    expect(pos?.signedQtyRaw).toBe(1000);
    expect(pos?.openCostRaw).toBe(9950 * 400 + 10000 * 600);
  });

  it("answers queries by strategy, instrument and venue", () => {
    const n = makeNode();
    const a = n.order();
    const b = n.order({ strategyId: new StrategyId("S-2") });
    n.submit(a);
    n.submit(b);
    n.cancel("O-1");
    expect(n.engine.cache.openOrders({ strategyId: new StrategyId("S-2") })).toEqual([b]);
    expect(n.engine.cache.closedOrders({ strategyId: n.strategy })).toEqual([a]);
    expect(n.engine.cache.orders({ instrumentId: n.inst.id })).toEqual([a, b]);
    expect(n.engine.cache.orders({ venue: "SIM" })).toHaveLength(2);
    expect(n.engine.cache.orders({ venue: "OTHER" })).toEqual([]);
    expect(n.engine.cache.openOrders({ side: OrderSide.Sell })).toEqual([]);
  });

  it("computes realized PnL when a position is reduced and flipped", () => {
    const n = makeNode();
    const buy = n.order({ type: OrderType.Market, price: null, quantity: n.qty("2") });
    n.submit(buy);
    n.venue.fill("O-2".replace("2", "1"), n.px("100.00"));
    const sell = n.order({ type: OrderType.Market, price: null, side: OrderSide.Sell, quantity: n.qty("3") });
    n.submit(sell);
    n.venue.fill(sell.clientOrderId.value, n.px("110.00"));
    const pos = n.engine.cache.position(n.inst.id, n.strategy)!;
    expect(pos.realizedRaw).toBe(1000 * 2000); // 10.00 x 2.000
    expect(pos.signedQtyRaw).toBe(-1000);
    expect(pos.openCostRaw).toBe(11000 * 1000);
    expect(pos.unrealizedRaw(10500)).toBe(500 * 1000);
  });
});

describe("client order ids are unique and idempotent", () => {
  it("resubmitting the same order is a no-op", () => {
    const n = makeNode();
    const o = n.order();
    n.submit(o);
    const r = n.submit(o);
    expect(r.ok).toBe(true);
    expect(r.code).toBe("DUPLICATE_IGNORED");
    expect(n.venue.calls).toHaveLength(1);
    expect(n.engine.cache.size).toBe(1);
  });

  it("an identical spec under the same id is also a no-op", () => {
    const n = makeNode();
    n.submit(n.order());
    const again = n.order({ clientOrderId: new ClientOrderId("O-1") });
    expect(n.submit(again).code).toBe("DUPLICATE_IGNORED");
    expect(n.venue.calls).toHaveLength(1);
  });

  it("a different order with a used id is refused, also after the first closed", () => {
    const n = makeNode();
    n.submit(n.order());
    n.cancel("O-1");
    const other = n.order({ clientOrderId: new ClientOrderId("O-1"), quantity: n.qty("2") });
    const r = n.submit(other);
    expect(r).toMatchObject({ ok: false, code: "CLIENT_ORDER_ID_DUPLICATE" });
    expect(other.status).toBe(OrderStatus.Initialized);
    expect(n.notices.at(-1)?.code).toBe("CLIENT_ORDER_ID_DUPLICATE");
  });

  it("an order list repeating an id is refused whole", () => {
    const n = makeNode();
    const a = n.order();
    const b = n.order({ clientOrderId: new ClientOrderId("O-1") });
    const r = n.engine.execute({
      type: "SubmitOrderList",
      commandId: "L",
      strategyId: n.strategy,
      instrumentId: n.inst.id,
      tsInit: 0,
      orders: [a, b],
    });
    expect(r.code).toBe("CLIENT_ORDER_ID_DUPLICATE");
    expect(n.engine.cache.size).toBe(0);
    expect(n.venue.calls).toEqual([]);
  });
});

describe("bad input is rejected with a reason and nothing is applied", () => {
  it.each<[string, unknown, string]>([
    ["null", null, "COMMAND_INVALID"],
    ["a number", 42, "COMMAND_INVALID"],
    ["an unknown type", { type: "Explode" }, "COMMAND_INVALID"],
    [
      "a plain object as order",
      { type: "SubmitOrder", strategyId: new StrategyId("S-1"), order: { clientOrderId: "X" } },
      "COMMAND_INVALID",
    ],
  ])("%s", (_name, cmd, code) => {
    const n = makeNode();
    const r = n.engine.execute(cmd as never);
    expect(r).toMatchObject({ ok: false, code });
    expect(n.engine.cache.size).toBe(0);
    expect(n.events).toEqual([]);
  });

  it("a submit whose strategy or instrument differs from the order's", () => {
    const n = makeNode();
    const o = n.order();
    const r = n.engine.execute({
      type: "SubmitOrder",
      commandId: "c",
      strategyId: new StrategyId("S-9"),
      instrumentId: o.instrumentId,
      tsInit: 0,
      order: o,
      positionId: null,
    });
    expect(r.code).toBe("COMMAND_INVALID");
    expect(n.engine.cache.size).toBe(0);
  });

  it("an order object that already has events", () => {
    const n = makeNode();
    const o = n.order();
    n.submit(o);
    const o2 = n.order();
    o2.apply({
      type: "OrderCanceled",
      eventId: "x",
      tsEvent: 0,
      tsInit: 0,
      strategyId: o2.strategyId,
      instrumentId: o2.instrumentId,
      clientOrderId: o2.clientOrderId,
    });
    expect(n.submit(o2).code).toBe("ORDER_NOT_INITIALIZED");
  });

  it("an order for an instrument the engine does not know is denied before any venue sees it", () => {
    const n = makeNode();
    const o = n.order({ instrumentId: InstrumentId.parse("ETHUSDT.SIM") });
    expect(n.submit(o).code).toBe("DENIED");
    expect(o.status).toBe("DENIED");
    expect(n.events.find((e) => e.type === "OrderDenied")).toMatchObject({
      reasonCode: "INSTRUMENT_UNKNOWN",
      reason: "instrument ETHUSDT.SIM is not configured",
    });
    expect(n.venue.calls).toEqual([]);
  });

  it("cancel of an unknown id", () => {
    const n = makeNode();
    expect(n.cancel("NOPE")).toMatchObject({ ok: false, code: "ORDER_UNKNOWN" });
    expect(n.venue.calls).toEqual([]);
  });

  it("cancel and modify of a closed order", () => {
    const n = makeNode();
    n.submit(n.order());
    n.venue.fill("O-1", n.px("100.00"));
    const before = n.events.length;
    expect(n.cancel("O-1").code).toBe("ORDER_CLOSED");
    expect(n.modify("O-1", null, n.px("101.00")).code).toBe("ORDER_CLOSED");
    expect(n.events.length).toBe(before);
  });

  it("a second cancel while one is pending is idempotent", () => {
    const n = makeNode({ ackMode: "manual" });
    n.submit(n.order());
    n.venue.ackAll();
    expect(n.cancel("O-1").code).toBe("OK");
    expect(n.cancel("O-1").code).toBe("CANCEL_ALREADY_PENDING");
    expect(n.venue.calls.filter((c) => c.startsWith("cancel"))).toHaveLength(1);
  });

  it.each<[string, unknown, unknown, string]>([
    ["NaN quantity", { raw: Number.NaN, precision: 3 }, null, "COMMAND_INVALID"],
    ["negative-raw price", null, { raw: -5, precision: 2 }, "COMMAND_INVALID"],
    ["nothing to change", null, null, "COMMAND_INVALID"],
  ])("modify with %s", (_name, q, p, code) => {
    const n = makeNode();
    const o = n.order();
    n.submit(o);
    const before = o.events.length;
    expect(n.modify("O-1", q as never, p as never).code).toBe(code);
    expect(o.events.length).toBe(before);
    expect(n.venue.calls).toHaveLength(1);
  });

  it("modify below the filled quantity, of a foreign strategy, of an unknown id", () => {
    const n = makeNode();
    const o = n.order();
    n.submit(o);
    n.venue.fill("O-1", n.px("100.00"), "0.5");
    expect(n.modify("O-1", n.qty("0.4"), null).code).toBe("MODIFY_QUANTITY_BELOW_FILLED");
    expect(n.modify("X", n.qty("0.4"), null).code).toBe("ORDER_UNKNOWN");
    const r = n.engine.execute({
      type: "CancelOrder",
      commandId: "c",
      strategyId: new StrategyId("S-9"),
      instrumentId: n.inst.id,
      tsInit: 0,
      clientOrderId: new ClientOrderId("O-1"),
      venueOrderId: null,
    });
    expect(r.code).toBe("ORDER_STRATEGY_MISMATCH");
    expect(o.status).toBe(OrderStatus.PartiallyFilled);
  });

  it("modify a price precision that differs from the order's", () => {
    const n = makeNode();
    n.submit(n.order());
    expect(n.modify("O-1", null, n.px("1.00").withPrecision(4)).code).toBe("COMMAND_INVALID");
  });

  it("modify on a venue that cannot edit", () => {
    const n = makeNode({ supportsModify: false });
    n.submit(n.order());
    expect(n.modify("O-1", null, n.px("99.00")).code).toBe("MODIFY_UNSUPPORTED");
  });

  it("a venue report the table refuses is logged, noticed and not applied", () => {
    const n = makeNode();
    const o = n.order();
    n.submit(o);
    n.cancel("O-1");
    expect(o.status).toBe(OrderStatus.Canceled);
    n.venue.fill("O-1", n.px("100.00"));
    expect(o.status).toBe(OrderStatus.Canceled);
    expect(o.filledQty.raw).toBe(0);
    expect(n.engine.invalidTransitions).toBe(1);
    expect(n.notices.at(-1)?.code).toBe("INVALID_TRANSITION");
    expect(n.notices.at(-1)?.message).toMatch(/OrderFilled in state CANCELED/);
  });

  it("a report for an unknown order is noticed", () => {
    const n = makeNode();
    n.engine.onVenueReport({ kind: "canceled", clientOrderId: new ClientOrderId("GHOST"), ts: 0 });
    expect(n.notices.at(-1)?.code).toBe("REPORT_UNKNOWN_ORDER");
  });
});

describe("modify flow", () => {
  it("pending update then updated; a second modify while pending is refused", () => {
    const n = makeNode({ ackMode: "manual" });
    const o = n.order();
    n.submit(o);
    n.venue.ackAll();
    expect(n.modify("O-1", n.qty("2"), n.px("101.00")).ok).toBe(true);
    expect(o.status).toBe(OrderStatus.PendingUpdate);
    expect(n.modify("O-1", null, n.px("102.00")).code).toBe("ORDER_PENDING");
    n.venue.ackAll();
    expect(o.status).toBe(OrderStatus.Accepted);
    expect(o.quantity.toString()).toBe("2.000");
    expect(o.price?.toString()).toBe("101.00");
  });
});

describe("pre-trade gate and routing", () => {
  it("a denial is an OrderDenied event with the reason code; the venue never sees the order", () => {
    const n = makeNode();
    const gate: PreTradeGate = {
      checkSubmit: (o: Order) => (o.quantity.raw > 1000 ? "MAX_ORDER_QUANTITY" : null),
      checkModify: (_o, q) => (q !== null && q.raw > 1000 ? "MAX_ORDER_QUANTITY" : null),
      lastDenialReason: () => "quantity above 1.000",
    };
    n.engine.setGate(gate);
    const o = n.order({ quantity: n.qty("2") });
    const r = n.submit(o);
    expect(r).toMatchObject({ ok: false, code: "DENIED" });
    expect(o.status).toBe(OrderStatus.Denied);
    const denied = n.events.at(-1);
    expect(denied).toMatchObject({
      type: "OrderDenied",
      reasonCode: "MAX_ORDER_QUANTITY",
      reason: "quantity above 1.000",
    });
    expect(n.venue.calls).toEqual([]);
    // A modify the gate refuses becomes OrderModifyRejected and changes nothing.
    const ok = n.order();
    n.submit(ok);
    expect(n.modify(ok.clientOrderId.value, n.qty("5"), null).code).toBe("MODIFY_DENIED");
    expect(ok.quantity.toString()).toBe("1.000");
    expect(n.events.at(-1)?.type).toBe("OrderModifyRejected");
  });

  it("an order for a venue without a client is denied VENUE_UNKNOWN", () => {
    const n = makeNode();
    const other = makeNode({ venue: "ELSEWHERE" });
    const o = n.order({ instrumentId: other.inst.id });
    n.submit(o);
    expect(o.status).toBe(OrderStatus.Denied);
    expect(n.events.at(-1)).toMatchObject({ reasonCode: "VENUE_UNKNOWN" });
  });

  it("a non-native type that cannot be emulated is denied ORDER_TYPE_UNSUPPORTED", () => {
    const n = makeNode({ native: [OrderType.Limit] });
    const o = n.order({ type: OrderType.Market, price: null });
    n.submit(o);
    expect(n.events.at(-1)).toMatchObject({ type: "OrderDenied", reasonCode: "ORDER_TYPE_UNSUPPORTED" });
  });
});

describe("in-flight tracking: unacknowledged commands are queried, not assumed", () => {
  it("a lost submit ack is resolved from the venue's answer", async () => {
    const n = makeNode({ ackMode: "drop" });
    const o = n.order();
    n.submit(o);
    expect(o.status).toBe(OrderStatus.Submitted);
    expect([...n.engine.inflightCommands()]).toEqual([["O-1", "submit"]]);
    n.clock.advanceTo(n.clock.timestampUs() + 1_000_000);
    await n.engine.settled();
    expect(n.venue.calls).toContain("fetchOrder O-1");
    expect(o.status).toBe(OrderStatus.Accepted);
    expect(o.venueOrderId?.value).toBe("V-1");
    expect(n.engine.inflightCommands().size).toBe(0);
  });

  it("fills that happened while the ack was lost are recovered from fetchMyTrades", async () => {
    const n = makeNode({ ackMode: "drop" });
    const o = n.order();
    n.submit(o);
    n.venue.fill("O-1", n.px("100.00"), "0.3", false);
    n.venue.fill("O-1", n.px("99.00"), "0.7", false);
    n.clock.advanceTo(n.clock.timestampUs() + 1_000_000);
    await n.engine.settled();
    expect(o.status).toBe(OrderStatus.Filled);
    expect(o.tradeIds).toEqual(["T-1", "T-2"]);
  });

  it("an order the venue never received is rejected after the configured queries", async () => {
    const n = makeNode({ ackMode: "drop" });
    n.venue.recordCreates = false;
    const o = n.order();
    n.submit(o);
    for (let i = 0; i < 3; i++) {
      expect(o.status).toBe(OrderStatus.Submitted);
      n.clock.advanceTo(n.clock.timestampUs() + 1_000_000);
      await n.engine.settled();
    }
    expect(o.status).toBe(OrderStatus.Rejected);
    expect(n.events.at(-1)).toMatchObject({ type: "OrderRejected", reasonCode: "INFLIGHT_NOT_FOUND" });
    expect(n.venue.calls.filter((c) => c.startsWith("fetchOrder"))).toHaveLength(3);
  });

  it("a lost cancel ack: the venue says canceled → OrderCanceled", async () => {
    const n = makeNode({ ackMode: "auto" });
    const o = n.order();
    n.submit(o);
    n.venue.ackMode = "drop";
    n.cancel("O-1");
    n.venue.orders.get("O-1")!.status = OrderStatus.Canceled; // the venue did cancel
    n.clock.advanceTo(n.clock.timestampUs() + 1_000_000);
    await n.engine.settled();
    expect(o.status).toBe(OrderStatus.Canceled);
  });

  it("a cancel the venue never acts on is resent, then reported unconfirmed", async () => {
    const n = makeNode();
    const o = n.order();
    n.submit(o);
    n.venue.ackMode = "drop";
    n.cancel("O-1");
    for (let i = 0; i < 3; i++) {
      n.clock.advanceTo(n.clock.timestampUs() + 1_000_000);
      await n.engine.settled();
    }
    expect(n.venue.calls.filter((c) => c.startsWith("cancel"))).toHaveLength(3);
    expect(o.status).toBe(OrderStatus.Accepted);
    expect(n.notices.some((x) => x.code === "CANCEL_UNCONFIRMED")).toBe(true);
  });

  it("a lost modify ack is recognised in the venue's state", async () => {
    const n = makeNode();
    const o = n.order();
    n.submit(o);
    n.venue.ackMode = "drop";
    n.modify("O-1", null, n.px("101.00"));
    n.venue.orders.get("O-1")!.price = n.px("101.00");
    n.clock.advanceTo(n.clock.timestampUs() + 1_000_000);
    await n.engine.settled();
    expect(o.status).toBe(OrderStatus.Accepted);
    expect(o.price?.toString()).toBe("101.00");
  });

  it("an acknowledgement before the timeout cancels the query", async () => {
    const n = makeNode({ ackMode: "manual" });
    n.submit(n.order());
    n.venue.ackAll();
    n.clock.advanceTo(n.clock.timestampUs() + 5_000_000);
    await n.engine.settled();
    expect(n.venue.calls.some((c) => c.startsWith("fetch"))).toBe(false);
  });
});

describe("cancel-all", () => {
  it("cancels only the strategy's open orders on the instrument", () => {
    const n = makeNode();
    const a = n.order();
    const b = n.order({ side: OrderSide.Sell, price: n.px("110.00") });
    const c = n.order({ strategyId: new StrategyId("S-2") });
    for (const o of [a, b, c]) n.submit(o);
    n.engine.execute({
      type: "CancelAllOrders",
      commandId: "x",
      strategyId: n.strategy,
      instrumentId: n.inst.id,
      tsInit: 0,
      side: null,
    });
    expect([a.status, b.status, c.status]).toEqual([
      OrderStatus.Canceled,
      OrderStatus.Canceled,
      OrderStatus.Accepted,
    ]);
    expect(n.engine.cancelAllOpen()).toBe(1);
    expect(c.status).toBe(OrderStatus.Canceled);
    expect(Quantity.parse("1").raw).toBe(1);
  });
});

describe("ExecutionEngine: order features reach the venue request", () => {
  it("passes GTD expiry, trigger type and trailing offsets of a native order to the venue", () => {
    const n = makeNode({ native: [OrderType.Limit, OrderType.TrailingStopMarket] });
    const gtd = n.order({
      timeInForce: TimeInForce.GTD,
      expireTime: n.clock.timestampUs() + 60_000_000,
    });
    n.submit(gtd);
    const r1 = n.venue.orders.get(gtd.clientOrderId.value)!.request;
    expect([r1.timeInForce, r1.expireTime]).toEqual([TimeInForce.GTD, gtd.expireTime]);
    const trail = n.order({
      type: OrderType.TrailingStopMarket,
      side: OrderSide.Sell,
      price: null,
      triggerPrice: Price.parse("95.00"),
      triggerType: TriggerType.BidAsk,
      trailingOffset: 25,
      trailingOffsetType: TrailingOffsetType.BasisPoints,
    });
    expect(n.submit(trail).ok).toBe(true);
    const r2 = n.venue.orders.get(trail.clientOrderId.value)!.request;
    expect([r2.type, r2.triggerType, r2.trailingOffset, r2.trailingOffsetType, r2.expireTime]).toEqual([
      OrderType.TrailingStopMarket,
      TriggerType.BidAsk,
      25,
      TrailingOffsetType.BasisPoints,
      null,
    ]);
  });
});
