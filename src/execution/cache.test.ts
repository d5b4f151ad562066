import { describe, expect, it } from "vitest";
import { OrderStatus } from "../model/enums.js";
import type { Order } from "../model/orders.js";
import { OrderCache } from "./cache.js";
import { makeNode } from "./venue-double.test.js";

describe("OrderCache retention of closed orders", () => {
  it("keeps everything by default: closed orders with their events", () => {
    const n = makeNode();
    const a = n.order();
    n.submit(a);
    n.cancel("O-1");
    expect(a.status).toBe(OrderStatus.Canceled);
    expect(a.events.map((e) => e.type)).toEqual([
      "OrderSubmitted",
      "OrderAccepted",
      "OrderPendingCancel",
      "OrderCanceled",
    ]);
    expect(n.engine.cache.closedOrders()).toEqual([a]);
    expect(n.engine.cache.forgottenCount).toBe(0);
  });

  it("drops closed orders' events and forgets the oldest beyond the bound; ids stay used", () => {
    const forgotten: string[] = [];
    const cache = new OrderCache({
      dropClosedEvents: true,
      maxClosedOrders: 2,
      onForget: (o) => forgotten.push(o.clientOrderId.value),
    });
    const n = makeNode({ cache });
    const orders: Order[] = [];
    for (let i = 0; i < 4; i++) {
      const o = n.order();
      orders.push(o);
      n.submit(o);
    }
    const [a, b, c, d] = orders;
    n.cancel("O-2");
    n.venue.fill("O-1", n.px("100.00"));
    expect(a.status).toBe(OrderStatus.Filled);
    // Closed: events released, state kept (status, filled quantity, trade ids).
    expect([b.events.length, a.events.length, a.filledQty.toString(), a.tradeIds.length]).toEqual([
      0,
      0,
      "1.000",
      1,
    ]);
    expect(c.events.length).toBeGreaterThan(0); // still open
    expect(cache.closedOrders()).toEqual([b, a]);
    n.cancel("O-3"); // third closed order: the longest-closed (O-2) is forgotten
    expect(forgotten).toEqual(["O-2"]);
    expect(cache.forgottenCount).toBe(1);
    expect(cache.closedOrders()).toEqual([a, c]);
    expect(cache.get("O-2")).toBeUndefined();
    expect(cache.has("O-2")).toBe(true);
    expect(cache.orders()).toEqual([a, c, d]);
    expect(cache.orders({ strategyId: n.strategy })).toEqual([a, c, d]);
    expect(cache.orders({ instrumentId: n.inst.id })).toEqual([a, c, d]);
    expect(cache.orders({ venue: "SIM" })).toEqual([a, c, d]);
    expect(cache.openOrders()).toEqual([d]);
    expect(cache.size).toBe(3);
    // A forgotten id cannot be used again.
    const again = n.order({ clientOrderId: b.clientOrderId });
    const r = n.submit(again);
    expect([r.ok, r.code]).toEqual([false, "CLIENT_ORDER_ID_DUPLICATE"]);
    expect(again.status).toBe(OrderStatus.Initialized);
    // A cancel of a forgotten order is an unknown order, nothing changes.
    const before = cache.orders().length;
    expect(n.cancel("O-2")).toMatchObject({ ok: false, code: "ORDER_UNKNOWN" });
    expect(cache.orders().length).toBe(before);
  });

  it("forgets many orders in closing order (queue compaction) and rejects bad bounds", () => {
    const cache = new OrderCache({ maxClosedOrders: 3 });
    const n = makeNode({ cache });
    for (let i = 1; i <= 3000; i++) {
      n.submit(n.order());
      n.cancel(`O-${i}`);
    }
    expect(cache.closedOrders().map((o) => o.clientOrderId.value)).toEqual(["O-2998", "O-2999", "O-3000"]);
    expect(cache.forgottenCount).toBe(2997);
    expect(cache.has("O-1")).toBe(true);
    expect(cache.closedOrders()[0].events.length).toBe(4); // events kept without dropClosedEvents
    expect(() => new OrderCache({ maxClosedOrders: -1 })).toThrow(/maxClosedOrders/);
    expect(() => new OrderCache({ maxClosedOrders: Number.NaN })).toThrow(/maxClosedOrders/);
  });
});

describe("in-flight timers", () => {
  it("a command the venue answers inside the call sets no timer; an unanswered one does", () => {
    const n = makeNode();
    n.submit(n.order());
    n.cancel("O-1");
    expect(n.clock.timerNames().filter((t) => t.startsWith("inflight:"))).toEqual([]);
    expect(n.engine.inflightCommands().size).toBe(0);
    const m = makeNode({ ackMode: "manual" });
    m.submit(m.order());
    expect(m.clock.timerNames().filter((t) => t.startsWith("inflight:"))).toEqual(["inflight:submit:O-1"]);
    expect([...m.engine.inflightCommands()]).toEqual([["O-1", "submit"]]);
    m.venue.ackAll();
    expect(m.clock.timerNames().filter((t) => t.startsWith("inflight:"))).toEqual([]);
    expect(m.engine.inflightCommands().size).toBe(0);
  });
});
