import { describe, expect, it } from "vitest";
import { ContingencyType, OrderSide, OrderStatus, OrderType } from "../model/enums.js";
import { ClientOrderId } from "../model/identifiers.js";
import type { Order } from "../model/orders.js";
import { OrderCache } from "./cache.js";
import { makeNode } from "./venue-double.test.js";

function bracket(n: ReturnType<typeof makeNode>, exitType = ContingencyType.OUO) {
  const entry = n.order({
    clientOrderId: new ClientOrderId("E"),
    type: OrderType.Market,
    price: null,
    quantity: n.qty("1"),
    contingencyType: ContingencyType.OTO,
  });
  const tp = n.order({
    clientOrderId: new ClientOrderId("TP"),
    side: OrderSide.Sell,
    price: n.px("110.00"),
    quantity: n.qty("1"),
    parentOrderId: entry.clientOrderId,
    contingencyType: exitType,
    linkedOrderIds: [new ClientOrderId("SL")],
    reduceOnly: true,
  });
  const sl = n.order({
    clientOrderId: new ClientOrderId("SL"),
    side: OrderSide.Sell,
    type: OrderType.StopMarket,
    price: null,
    triggerPrice: n.px("90.00"),
    quantity: n.qty("1"),
    parentOrderId: entry.clientOrderId,
    contingencyType: exitType,
    linkedOrderIds: [new ClientOrderId("TP")],
    reduceOnly: true,
  });
  const r = n.engine.execute({
    type: "SubmitOrderList",
    commandId: "B",
    strategyId: n.strategy,
    instrumentId: n.inst.id,
    tsInit: 0,
    orders: [entry, tp, sl],
  });
  return { entry, tp, sl, r };
}

const st = (...os: Order[]) => os.map((o) => o.status);

describe("OTO / bracket", () => {
  it("children wait for the parent, activate on its fill and are resized by partial fills", () => {
    const n = makeNode({ native: [OrderType.Market, OrderType.Limit, OrderType.StopMarket] });
    const { entry, tp, sl, r } = bracket(n);
    expect(r.ok).toBe(true);
    expect(st(entry, tp, sl)).toEqual([
      OrderStatus.Accepted,
      OrderStatus.Initialized,
      OrderStatus.Initialized,
    ]);
    expect(n.engine.cache.openOrders()).toHaveLength(3); // held children count as open
    expect(n.venue.calls).toEqual(["create E MARKET BUY 1.000"]);

    n.venue.fill("E", n.px("100.00"), "0.4");
    expect(st(tp, sl)).toEqual([OrderStatus.Accepted, OrderStatus.Accepted]);
    expect(tp.quantity.toString()).toBe("0.400");
    expect(sl.quantity.toString()).toBe("0.400");

    n.venue.fill("E", n.px("100.00"), "0.6");
    expect(tp.quantity.toString()).toBe("1.000");
    expect(sl.quantity.toString()).toBe("1.000");
    expect(n.venue.calls).toContain("edit TP q=1.000");
    expect(n.venue.calls).toContain("edit SL q=1.000");
  });

  it("a partial exit fill reduces the other exit (OUO); the full fill cancels it", () => {
    const n = makeNode({ native: [OrderType.Market, OrderType.Limit, OrderType.StopMarket] });
    const { tp, sl } = bracket(n);
    n.venue.fill("E", n.px("100.00"));
    n.venue.fill("TP", n.px("110.00"), "0.3");
    expect(sl.quantity.toString()).toBe("0.700");
    expect(tp.quantity.toString()).toBe("1.000");
    n.venue.fill("TP", n.px("110.00"));
    expect(st(tp, sl)).toEqual([OrderStatus.Filled, OrderStatus.Canceled]);
  });

  it("with OCO exits, the first fill of one cancels the other", () => {
    const n = makeNode({ native: [OrderType.Market, OrderType.Limit, OrderType.StopMarket] });
    const { tp, sl } = bracket(n, ContingencyType.OCO);
    n.venue.fill("E", n.px("100.00"));
    n.venue.fill("SL", n.px("90.00"), "0.2");
    expect(st(tp, sl)).toEqual([OrderStatus.Canceled, OrderStatus.PartiallyFilled]);
  });

  it("a parent canceled without fills cancels its children; closing one exit cancels the other", () => {
    const n = makeNode();
    const entry = n.order({ clientOrderId: new ClientOrderId("P"), contingencyType: ContingencyType.OTO });
    const child = n.order({
      clientOrderId: new ClientOrderId("C"),
      side: OrderSide.Sell,
      parentOrderId: entry.clientOrderId,
    });
    n.engine.execute({
      type: "SubmitOrderList",
      commandId: "L",
      strategyId: n.strategy,
      instrumentId: n.inst.id,
      tsInit: 0,
      orders: [entry, child],
    });
    n.cancel("P");
    expect(st(entry, child)).toEqual([OrderStatus.Canceled, OrderStatus.Canceled]);
    expect(n.venue.calls).toEqual(["create P LIMIT BUY 1.000 @ 100.00", "cancel P"]);

    const m = makeNode({ native: [OrderType.Market, OrderType.Limit, OrderType.StopMarket] });
    const b = bracket(m);
    m.venue.fill("E", m.px("100.00"));
    m.cancel("SL");
    expect(st(b.tp, b.sl)).toEqual([OrderStatus.Canceled, OrderStatus.Canceled]);
  });

  it("rejects lists with dangling links or parents, applying nothing", () => {
    const n = makeNode();
    const a = n.order({
      contingencyType: ContingencyType.OCO,
      linkedOrderIds: [new ClientOrderId("MISSING")],
    });
    const r = n.engine.execute({
      type: "SubmitOrderList",
      commandId: "L",
      strategyId: n.strategy,
      instrumentId: n.inst.id,
      tsInit: 0,
      orders: [a],
    });
    expect(r.code).toBe("COMMAND_INVALID");
    const b = n.order({ parentOrderId: new ClientOrderId("NOPE") });
    expect(n.submit(b).code).toBe("COMMAND_INVALID");
    const c = n.order({ linkedOrderIds: [new ClientOrderId("O-3")] });
    const r2 = n.engine.execute({
      type: "SubmitOrderList",
      commandId: "L",
      strategyId: n.strategy,
      instrumentId: n.inst.id,
      tsInit: 0,
      orders: [c],
    });
    expect(r2.code).toBe("COMMAND_INVALID");
    expect(n.engine.cache.size).toBe(0);
    expect(
      n.engine.execute({
        type: "SubmitOrderList",
        commandId: "L",
        strategyId: n.strategy,
        instrumentId: n.inst.id,
        tsInit: 0,
        orders: [],
      }).code,
    ).toBe("COMMAND_INVALID");
  });
});

describe("OCO / OUO pairs without a parent", () => {
  function pair(n: ReturnType<typeof makeNode>, type: ContingencyType) {
    const a = n.order({
      clientOrderId: new ClientOrderId("A"),
      side: OrderSide.Sell,
      price: n.px("110.00"),
      contingencyType: type,
      linkedOrderIds: [new ClientOrderId("B")],
    });
    const b = n.order({
      clientOrderId: new ClientOrderId("B"),
      side: OrderSide.Sell,
      price: n.px("120.00"),
      contingencyType: type,
      linkedOrderIds: [new ClientOrderId("A")],
    });
    n.engine.execute({
      type: "SubmitOrderList",
      commandId: "L",
      strategyId: n.strategy,
      instrumentId: n.inst.id,
      tsInit: 0,
      orders: [a, b],
    });
    return { a, b };
  }

  it("OCO: a fill of one cancels the other", () => {
    const n = makeNode();
    const { a, b } = pair(n, ContingencyType.OCO);
    n.venue.fill("A", n.px("110.00"), "0.5");
    expect(st(a, b)).toEqual([OrderStatus.PartiallyFilled, OrderStatus.Canceled]);
  });

  it("OUO: a partial fill of one reduces the other by the same amount", () => {
    const n = makeNode();
    const { a, b } = pair(n, ContingencyType.OUO);
    n.venue.fill("A", n.px("110.00"), "0.25");
    expect(b.quantity.toString()).toBe("0.750");
    n.venue.fill("B", n.px("120.00"), "0.75");
    expect(st(a, b)).toEqual([OrderStatus.Canceled, OrderStatus.Filled]);
  });

  it("OCO: a denied member cancels its sibling", () => {
    const n = makeNode();
    n.engine.setGate({
      checkSubmit: (o) => (o.clientOrderId.value === "B" ? "PRICE_BAND" : null),
      checkModify: () => null,
      lastDenialReason: () => "off band",
    });
    const { a, b } = pair(n, ContingencyType.OCO);
    expect(st(a, b)).toEqual([OrderStatus.Canceled, OrderStatus.Denied]);
  });
});

describe("restart with held orders", () => {
  it("a rebuilt engine re-holds emulated and waiting contingent orders", () => {
    const a = makeNode(); // StopMarket not native: the SL is emulated
    const { entry, tp, sl } = bracket(a);
    const waiting = a.order({
      clientOrderId: new ClientOrderId("W-P"),
      contingencyType: ContingencyType.OTO,
      price: a.px("90.00"),
    });
    const waitingChild = a.order({
      clientOrderId: new ClientOrderId("W-C"),
      side: OrderSide.Sell,
      price: a.px("120.00"),
      parentOrderId: waiting.clientOrderId,
    });
    a.engine.execute({
      type: "SubmitOrderList",
      commandId: "W",
      strategyId: a.strategy,
      instrumentId: a.inst.id,
      tsInit: 0,
      orders: [waiting, waitingChild],
    });
    a.venue.fill("E", a.px("100.00"), "0.5");
    expect(a.engine.cache.isHeld(sl)).toBe(true);
    expect(tp.status).toBe(OrderStatus.Accepted);

    // A rebuilt cache knows the orders and their events, not what was held (that is not an event).
    const rebuilt = new OrderCache();
    for (const o of a.engine.cache.orders()) rebuilt.add(o);
    const b = makeNode({ cache: rebuilt });
    b.contingency.restore();
    expect(b.engine.restoreHeld()).toBe(2); // SL (emulated) and W-C (waiting for its parent)
    expect(b.engine.cache.isHeld(sl)).toBe(true);
    expect(b.engine.cache.isHeld(waitingChild)).toBe(true);
    expect(b.venue.calls).toEqual([]);
    b.quote("89.99", "90.00");
    expect(b.venue.calls).toEqual(["create SL MARKET SELL 0.500"]);
    expect(entry.status).toBe(OrderStatus.PartiallyFilled);
  });
});
