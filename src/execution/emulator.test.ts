import { describe, expect, it } from "vitest";
import { OrderSide, OrderStatus, OrderType, TrailingOffsetType, TriggerType } from "../model/enums.js";
import { makeNode } from "./venue-double.test.js";

describe("emulated orders (venue supports only MARKET and LIMIT)", () => {
  it("a buy stop-market is held, triggers on the ask and is released as MARKET", () => {
    const n = makeNode();
    const o = n.order({ type: OrderType.StopMarket, price: null, triggerPrice: n.px("105.00") });
    expect(n.submit(o).ok).toBe(true);
    expect(o.status).toBe(OrderStatus.Initialized);
    expect(n.engine.cache.isHeld(o)).toBe(true);
    expect(n.engine.cache.openOrders()).toEqual([o]);
    expect(n.venue.calls).toEqual([]);
    n.quote("104.00", "104.99");
    expect(n.venue.calls).toEqual([]);
    n.quote("104.99", "105.00");
    expect(n.venue.calls).toEqual(["create O-1 MARKET BUY 1.000"]);
    expect(o.status).toBe(OrderStatus.Triggered);
    expect(n.events.map((e) => e.type)).toEqual([
      "OrderInitialized",
      "OrderTriggered",
      "OrderSubmitted",
      "OrderAccepted",
    ]);
    n.venue.fill("O-1", n.px("105.00"));
    expect(o.status).toBe(OrderStatus.Filled);
  });

  it("a sell stop-limit triggers on the bid and is released as LIMIT at its price", () => {
    const n = makeNode();
    const o = n.order({
      side: OrderSide.Sell,
      type: OrderType.StopLimit,
      price: n.px("94.00"),
      triggerPrice: n.px("95.00"),
    });
    n.submit(o);
    n.quote("95.00", "95.10");
    expect(n.venue.calls).toEqual(["create O-1 LIMIT SELL 1.000 @ 94.00"]);
  });

  it("market-if-touched buys on a dip; limit-if-touched sells on a rise; LAST_PRICE uses trades only", () => {
    const n = makeNode();
    const mit = n.order({
      type: OrderType.MarketIfTouched,
      price: null,
      triggerPrice: n.px("95.00"),
      triggerType: TriggerType.LastPrice,
    });
    const lit = n.order({
      side: OrderSide.Sell,
      type: OrderType.LimitIfTouched,
      price: n.px("110.00"),
      triggerPrice: n.px("109.00"),
    });
    n.submit(mit);
    n.submit(lit);
    n.quote("90.00", "94.00"); // quotes ignored by the LAST_PRICE order; lit not touched
    expect(n.venue.calls).toEqual([]);
    n.trade("95.00");
    expect(n.venue.calls).toEqual(["create O-1 MARKET BUY 1.000"]);
    n.quote("109.00", "109.50");
    expect(n.venue.calls.at(-1)).toBe("create O-2 LIMIT SELL 1.000 @ 110.00");
  });

  it("a trailing sell stop follows the price up, never down, and triggers on the retrace", () => {
    const n = makeNode();
    const o = n.order({
      side: OrderSide.Sell,
      type: OrderType.TrailingStopMarket,
      price: null,
      trailingOffset: 2,
      trailingOffsetType: TrailingOffsetType.Price,
    });
    n.submit(o);
    n.trade("100.00");
    expect(o.triggerPrice?.toString()).toBe("98.00");
    n.trade("105.00");
    expect(o.triggerPrice?.toString()).toBe("103.00");
    n.trade("104.00");
    expect(o.triggerPrice?.toString()).toBe("103.00");
    expect(n.venue.calls).toEqual([]);
    n.trade("103.00");
    expect(n.venue.calls).toEqual(["create O-1 MARKET SELL 1.000"]);
    expect(n.events.filter((e) => e.type === "OrderUpdated")).toHaveLength(2);
  });

  it("a trailing buy stop-limit in ticks and basis points sets its limit from the trigger", () => {
    const n = makeNode();
    const o = n.order({
      type: OrderType.TrailingStopLimit,
      price: null,
      trailingOffset: 100,
      limitOffset: 50,
      trailingOffsetType: TrailingOffsetType.Ticks,
    });
    n.submit(o);
    n.trade("100.00");
    expect(o.triggerPrice?.toString()).toBe("101.00");
    expect(o.price?.toString()).toBe("101.50");
    n.trade("101.00");
    expect(n.venue.calls).toEqual(["create O-1 LIMIT BUY 1.000 @ 101.50"]);

    const m = makeNode();
    const b = m.order({
      side: OrderSide.Sell,
      type: OrderType.TrailingStopMarket,
      price: null,
      trailingOffset: 100,
      trailingOffsetType: TrailingOffsetType.BasisPoints,
    });
    m.submit(b);
    m.trade("200.00");
    expect(b.triggerPrice?.toString()).toBe("198.00");
  });

  it("a held order can be modified and canceled locally; the venue never hears of it", () => {
    const n = makeNode();
    const o = n.order({ type: OrderType.StopMarket, price: null, triggerPrice: n.px("105.00") });
    n.submit(o);
    expect(n.modify("O-1", null, null, n.px("106.00")).ok).toBe(true);
    expect(o.triggerPrice?.toString()).toBe("106.00");
    n.quote("105.00", "105.50");
    expect(n.venue.calls).toEqual([]);
    n.cancel("O-1");
    expect(o.status).toBe(OrderStatus.Canceled);
    n.quote("110.00", "110.50");
    expect(n.venue.calls).toEqual([]);
  });

  it("an order flagged emulated is held even when the venue supports the type", () => {
    const n = makeNode({ native: [OrderType.Market, OrderType.Limit, OrderType.StopMarket] });
    const o = n.order({
      type: OrderType.StopMarket,
      price: null,
      triggerPrice: n.px("105.00"),
      emulated: true,
    });
    n.submit(o);
    expect(n.engine.cache.isHeld(o)).toBe(true);
    const native = n.order({ type: OrderType.StopMarket, price: null, triggerPrice: n.px("105.00") });
    n.submit(native);
    expect(n.venue.calls).toEqual(["create O-2 STOP_MARKET BUY 1.000"]);
  });

  it("a triggered order is checked again; a denial at release leaves it DENIED", () => {
    const n = makeNode();
    let deny = false;
    n.engine.setGate({
      checkSubmit: () => (deny ? "TRADING_HALTED" : null),
      checkModify: () => null,
      lastDenialReason: () => "halted",
    });
    const o = n.order({ type: OrderType.StopMarket, price: null, triggerPrice: n.px("105.00") });
    n.submit(o);
    deny = true;
    n.quote("105.00", "105.00");
    expect(o.status).toBe(OrderStatus.Denied);
    expect(n.venue.calls).toEqual([]);
  });
});
