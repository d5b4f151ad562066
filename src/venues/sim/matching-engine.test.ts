import { describe, expect, it } from "vitest";
import { currency } from "../../model/currency.js";
import { OrderSide, OrderType, TimeInForce, TrailingOffsetType, TriggerType } from "../../model/enums.js";
import { InstrumentId } from "../../model/identifiers.js";
import { CurrencyPair } from "../../model/instruments.js";
import { EXTERNAL_OWNER, StpMode } from "./codes.js";
import { MatchingEngine, type OrderRequest } from "./matching-engine.js";
import { limit, market, order, setup } from "./test-support.js";

describe("limit orders and price-time priority", () => {
  it("rests a limit order that does not cross", () => {
    const h = setup();
    expect(h.engine.submit(limit(1, "B", 99, 10))).toBe(true);
    expect(h.takeKinds()).toEqual(["Accepted#1"]);
    expect(h.book()).toEqual({ bids: ["99: 1/10"], asks: [] });
    expect(h.engine.bestBid()).toBe(99);
    expect(h.engine.bestAsk()).toBeNaN();
  });

  it("fills better prices first, then earlier orders at a price", () => {
    const h = setup();
    h.engine.submit(limit(1, "S", 101, 5, { owner: 2 }));
    h.engine.submit(limit(2, "S", 101, 5, { owner: 3 }));
    h.engine.submit(limit(3, "S", 100, 5, { owner: 4 }));
    h.take();
    h.engine.submit(limit(4, "B", 101, 12));
    const ev = h.take();
    expect(ev.map((e) => e.kind)).toEqual(["Accepted", "Trade", "Trade", "Trade"]);
    const trades = ev.filter((e) => e.kind === "Trade");
    expect(trades.map((t) => [t.tradeId, t.maker, t.px, t.lastQty, t.leaves, t.makerLeaves])).toEqual([
      [1, 3, 100, 5, 7, 0],
      [2, 1, 101, 5, 2, 0],
      [3, 2, 101, 2, 0, 3],
    ]);
    expect(trades.every((t) => t.id === 4 && t.side === "B")).toBe(true);
    expect(h.book()).toEqual({ bids: [], asks: ["101: 2/3"] });
    expect(h.engine.lastPrice).toBe(101);
  });

  it("rests the remainder of a partially filled limit order at its limit", () => {
    const h = setup();
    h.engine.submit(limit(1, "S", 100, 4, { owner: 2 }));
    h.take();
    h.engine.submit(limit(2, "B", 102, 10));
    expect(h.takeKinds()).toEqual(["Accepted#2", "Trade#2x1 4@100"]);
    expect(h.book()).toEqual({ bids: ["102: 2/6"], asks: [] });
    // The resting remainder is a maker later, filled at its own price.
    h.engine.submit(limit(3, "S", 101, 6, { owner: 3 }));
    expect(h.takeKinds()).toEqual(["Accepted#3", "Trade#3x2 6@102"]);
    expect(h.engine.liveOrderCount).toBe(0);
  });
});

describe("market orders", () => {
  it("sweeps levels and cancels what the book cannot fill", () => {
    const h = setup();
    h.engine.submit(limit(1, "B", 99, 3, { owner: 2 }));
    h.engine.submit(limit(2, "B", 98, 3, { owner: 2 }));
    h.take();
    h.engine.submit(market(3, "S", 10));
    const ev = h.take();
    expect(ev.map((e) => `${e.kind}:${e.reason}`)).toEqual([
      "Accepted:NONE",
      "Trade:NONE",
      "Trade:NONE",
      "Canceled:MARKET_NO_LIQUIDITY",
    ]);
    expect(ev[1].px).toBe(99);
    expect(ev[2].px).toBe(98);
    expect(ev[3].leaves).toBe(4);
    expect(h.book()).toEqual({ bids: [], asks: [] });
  });

  it("on an empty book is accepted and canceled", () => {
    const h = setup();
    h.engine.submit(market(1, "B", 5));
    expect(h.takeKinds()).toEqual(["Accepted#1", "Canceled:MARKET_NO_LIQUIDITY#1"]);
  });
});

describe("time in force", () => {
  it("IOC fills what it can and cancels the rest", () => {
    const h = setup();
    h.engine.submit(limit(1, "S", 100, 3, { owner: 2 }));
    h.engine.submit(limit(2, "S", 102, 3, { owner: 2 }));
    h.take();
    h.engine.submit(limit(3, "B", 101, 5, { timeInForce: TimeInForce.IOC }));
    expect(h.takeKinds()).toEqual(["Accepted#3", "Trade#3x1 3@100", "Canceled:IOC_REMAINDER#3"]);
    expect(h.book()).toEqual({ bids: [], asks: ["102: 2/3"] });
  });

  it("FOK that cannot fill completely changes nothing", () => {
    const h = setup();
    h.engine.submit(limit(1, "S", 100, 3, { owner: 2 }));
    h.engine.submit(limit(2, "S", 101, 3, { owner: 2 }));
    h.engine.submit(limit(3, "S", 103, 9, { owner: 2 }));
    h.take();
    h.engine.submit(limit(4, "B", 101, 7, { timeInForce: TimeInForce.FOK }));
    expect(h.takeKinds()).toEqual(["Accepted#4", "Canceled:FOK_NOT_FILLABLE#4"]);
    expect(h.book().asks).toEqual(["100: 1/3", "101: 2/3", "103: 3/9"]);
    expect(h.engine.tradeCount).toBe(0);
  });

  it("FOK that can fill completely fills across levels", () => {
    const h = setup();
    h.engine.submit(limit(1, "S", 100, 3, { owner: 2 }));
    h.engine.submit(limit(2, "S", 101, 3, { owner: 2 }));
    h.take();
    h.engine.submit(limit(3, "B", 101, 5, { timeInForce: TimeInForce.FOK }));
    expect(h.takeKinds()).toEqual(["Accepted#3", "Trade#3x1 3@100", "Trade#3x2 2@101"]);
    expect(h.book().asks).toEqual(["101: 2/1"]);
  });

  it("FOK market: all or nothing", () => {
    const h = setup();
    h.engine.submit(limit(1, "S", 100, 3, { owner: 2 }));
    h.take();
    h.engine.submit(market(2, "B", 4, { timeInForce: TimeInForce.FOK }));
    expect(h.takeKinds()).toEqual(["Accepted#2", "Canceled:FOK_NOT_FILLABLE#2"]);
    h.engine.submit(market(3, "B", 3, { timeInForce: TimeInForce.FOK }));
    expect(h.takeKinds()).toEqual(["Accepted#3", "Trade#3x1 3@100"]);
  });

  it("FOK does not count the taker's own orders when self-trade prevention would stop it", () => {
    const h = setup({ stpMode: StpMode.CancelTaker });
    h.engine.submit(limit(1, "S", 100, 5, { owner: 1 }));
    h.engine.submit(limit(2, "S", 100, 5, { owner: 2 }));
    h.take();
    h.engine.submit(limit(3, "B", 100, 5, { owner: 1, timeInForce: TimeInForce.FOK }));
    expect(h.takeKinds()).toEqual(["Accepted#3", "Canceled:FOK_NOT_FILLABLE#3"]);
    // With cancel-maker the own order is skipped (and canceled), the other fills it.
    h.engine.submit(
      limit(4, "B", 100, 5, { owner: 1, timeInForce: TimeInForce.FOK, stp: StpMode.CancelMaker }),
    );
    expect(h.takeKinds()).toEqual(["Accepted#4", "Canceled:SELF_TRADE_MAKER#1", "Trade#4x2 5@100"]);
  });

  it("GTD expires at its expiry time, not before", () => {
    const h = setup({ startTime: 1_000 });
    h.engine.submit(limit(1, "B", 99, 1, { timeInForce: TimeInForce.GTD, expireTime: 5_000 }));
    h.engine.submit(limit(2, "B", 99, 1, { timeInForce: TimeInForce.GTD, expireTime: 3_000 }));
    h.take();
    h.engine.advanceTime(2_999);
    expect(h.take()).toEqual([]);
    h.engine.advanceTime(4_000);
    expect(h.takeKinds()).toEqual(["Expired:GTD_EXPIRED#2"]);
    h.engine.advanceTime(5_000);
    const ev = h.take();
    expect(ev.map((e) => `${e.kind}:${e.reason}#${e.id}`)).toEqual(["Expired:GTD_EXPIRED#1"]);
    expect(ev[0].ts).toBe(5_000);
    expect(h.book().bids).toEqual([]);
  });

  it("GTD with an expiry time not after now is rejected", () => {
    const h = setup({ startTime: 1_000 });
    h.engine.submit(limit(1, "B", 99, 1, { timeInForce: TimeInForce.GTD, expireTime: 1_000 }));
    expect(h.takeKinds()).toEqual(["Rejected:EXPIRE_TIME_IN_PAST#1"]);
  });

  it("a filled GTD order leaves nothing to expire", () => {
    const h = setup();
    h.engine.submit(limit(1, "B", 99, 1, { timeInForce: TimeInForce.GTD, expireTime: 10 }));
    h.engine.submit(limit(2, "S", 99, 1, { owner: 2 }));
    h.take();
    h.engine.advanceTime(20);
    expect(h.take()).toEqual([]);
  });

  it("DAY expires at the configured session end", () => {
    const DAY = 86_400_000_000;
    const H = 3_600_000_000;
    const h = setup({ startTime: 10 * DAY + 10 * H, sessionEndMicrosOfDay: 22 * H });
    h.engine.submit(limit(1, "B", 99, 1, { timeInForce: TimeInForce.DAY }));
    h.take();
    h.engine.advanceTime(10 * DAY + 22 * H - 1);
    expect(h.take()).toEqual([]);
    h.engine.advanceTime(10 * DAY + 22 * H);
    expect(h.takeKinds()).toEqual(["Expired:DAY_EXPIRED#1"]);
    // Submitted after the session end: expires at the next one.
    h.engine.submit(limit(2, "B", 99, 1, { timeInForce: TimeInForce.DAY }));
    h.engine.advanceTime(11 * DAY + 21 * H);
    expect(h.takeKinds()).toEqual(["Accepted#2"]);
    h.engine.advanceTime(11 * DAY + 22 * H);
    expect(h.takeKinds()).toEqual(["Expired:DAY_EXPIRED#2"]);
  });

  it("time never goes backwards", () => {
    const h = setup({ startTime: 100 });
    expect(() => h.engine.advanceTime(99)).toThrow(RangeError);
    expect(() => h.engine.advanceTime(Number.NaN)).toThrow(RangeError);
  });
});

describe("post-only", () => {
  it("is rejected if it would take, rests otherwise", () => {
    const h = setup();
    h.engine.submit(limit(1, "S", 100, 5, { owner: 2 }));
    h.take();
    h.engine.submit(limit(2, "B", 100, 5, { postOnly: true }));
    expect(h.takeKinds()).toEqual(["Rejected:POST_ONLY_WOULD_TAKE#2"]);
    h.engine.submit(limit(3, "B", 99, 5, { postOnly: true }));
    expect(h.takeKinds()).toEqual(["Accepted#3"]);
    expect(h.book()).toEqual({ bids: ["99: 3/5"], asks: ["100: 1/5"] });
  });

  it("a modify that would make it take is refused and changes nothing", () => {
    const h = setup();
    h.engine.submit(limit(1, "S", 100, 5, { owner: 2 }));
    h.engine.submit(limit(2, "B", 98, 5, { postOnly: true }));
    h.take();
    expect(h.engine.modify(2, 100, null)).toBe(false);
    expect(h.takeKinds()).toEqual(["ModifyRejected:POST_ONLY_WOULD_TAKE#2"]);
    expect(h.book().bids).toEqual(["98: 2/5"]);
  });

  it("cannot be combined with IOC or a market order", () => {
    const h = setup();
    h.engine.submit(limit(1, "B", 98, 5, { postOnly: true, timeInForce: TimeInForce.IOC }));
    h.engine.submit(market(2, "B", 5, { postOnly: true }));
    expect(h.takeKinds()).toEqual(["Rejected:INVALID_POST_ONLY#1", "Rejected:INVALID_POST_ONLY#2"]);
  });
});

describe("reduce-only", () => {
  it("is rejected when flat or when it would increase the position", () => {
    const h = setup();
    h.engine.submit(limit(1, "S", 100, 5, { reduceOnly: true }));
    h.positions.set(1, 10);
    h.engine.submit(limit(2, "B", 100, 5, { reduceOnly: true }));
    expect(h.takeKinds()).toEqual([
      "Rejected:REDUCE_ONLY_WOULD_INCREASE#1",
      "Rejected:REDUCE_ONLY_WOULD_INCREASE#2",
    ]);
  });

  it("is resized down to the open position", () => {
    const h = setup();
    h.positions.set(1, 10);
    h.engine.submit(limit(1, "S", 100, 15, { reduceOnly: true }));
    const ev = h.take();
    expect(ev.map((e) => `${e.kind}:${e.reason}`)).toEqual(["Accepted:NONE", "Updated:REDUCE_ONLY_RESIZED"]);
    expect(ev[0].qty).toBe(15);
    expect(ev[1].qty).toBe(10);
    expect(h.book().asks).toEqual(["100: 1/10"]);
  });

  it("a resting reduce-only order is clipped or canceled when the position shrank", () => {
    const h = setup();
    h.positions.set(1, 10);
    h.engine.submit(limit(1, "S", 100, 10, { reduceOnly: true }));
    h.engine.submit(limit(2, "S", 101, 10, { reduceOnly: true }));
    h.positions.set(1, 4); // the position was reduced elsewhere
    h.take();
    h.engine.submit(limit(3, "B", 101, 20, { owner: 2 }));
    const ev = h.take();
    expect(ev.map((e) => `${e.kind}:${e.reason}#${e.id}`)).toEqual([
      "Accepted:NONE#3",
      "Updated:REDUCE_ONLY_RESIZED#1",
      "Trade:NONE#3",
      "Canceled:REDUCE_ONLY_POSITION_CLOSED#2",
    ]);
    expect(ev[1].qty).toBe(4);
    expect(ev[2].lastQty).toBe(4);
    expect(h.positions.get(1)).toBe(0);
    expect(h.book().bids).toEqual(["101: 3/16"]);
  });

  it("is refused without a position source", () => {
    const h = setup({ positionOf: undefined });
    h.engine.submit(limit(1, "S", 100, 5, { reduceOnly: true }));
    expect(h.takeKinds()).toEqual(["Rejected:REDUCE_ONLY_WOULD_INCREASE#1"]);
  });
});

describe("modify", () => {
  function threeAt100() {
    const h = setup();
    h.engine.submit(limit(1, "B", 100, 5, { owner: 2 }));
    h.engine.submit(limit(2, "B", 100, 5, { owner: 3 }));
    h.engine.submit(limit(3, "S", 105, 5, { owner: 4 }));
    h.take();
    return h;
  }

  it("a size decrease keeps time priority", () => {
    const h = threeAt100();
    expect(h.engine.modify(1, null, 3)).toBe(true);
    const ev = h.take();
    expect(ev.map((e) => `${e.kind}:${e.reason}`)).toEqual(["Updated:MODIFIED"]);
    expect([ev[0].qty, ev[0].leaves, ev[0].price]).toEqual([3, 3, 100]);
    expect(h.book().bids).toEqual(["100: 1/3 2/5"]);
  });

  it("a size increase loses time priority", () => {
    const h = threeAt100();
    h.engine.modify(1, null, 6);
    expect(h.book().bids).toEqual(["100: 2/5 1/6"]);
  });

  it("a price change loses time priority, also when moving back", () => {
    const h = threeAt100();
    h.engine.modify(1, 99, null);
    expect(h.book().bids).toEqual(["100: 2/5", "99: 1/5"]);
    h.engine.modify(1, 100, null);
    expect(h.book().bids).toEqual(["100: 2/5 1/5"]);
  });

  it("a price change that crosses trades as a taker and rests the rest", () => {
    const h = threeAt100();
    h.engine.modify(2, 105, 8);
    expect(h.takeKinds()).toEqual(["Updated:MODIFIED#2", "Trade#2x3 5@105"]);
    expect(h.book()).toEqual({ bids: ["105: 2/3", "100: 1/5"], asks: [] });
  });

  it("the new quantity is the total: it must exceed the filled quantity", () => {
    const h = setup();
    h.engine.submit(limit(1, "B", 100, 10));
    h.engine.submit(limit(2, "S", 100, 4, { owner: 2 }));
    h.take();
    expect(h.engine.modify(1, null, 4)).toBe(false);
    expect(h.takeKinds()).toEqual(["ModifyRejected:INVALID_QUANTITY#1"]);
    h.engine.modify(1, null, 5);
    const ev = h.take();
    expect([ev[0].qty, ev[0].leaves]).toEqual([5, 1]);
    expect(h.book().bids).toEqual(["100: 1/1"]);
  });

  it("modify of a pending stop changes trigger and quantity", () => {
    const h = setup();
    h.engine.submit(order(1, "B", OrderType.StopMarket, 5, { triggerPrice: 110 }));
    h.take();
    expect(h.engine.modify(1, null, 7, 108)).toBe(true);
    const ev = h.take();
    expect([ev[0].kind, ev[0].trigger, ev[0].qty]).toEqual(["Updated", 108, 7]);
    expect(h.engine.modify(1, 100, null)).toBe(false);
    expect(h.takeKinds()).toEqual(["ModifyRejected:MODIFY_NOT_APPLICABLE#1"]);
  });

  it("moving a pending stop's trigger through the market fires it at once", () => {
    const h = setup();
    h.engine.submit(limit(100, "S", 105, 1, { owner: 9 }));
    h.engine.setLastPrice(100);
    h.engine.submit(order(1, "B", OrderType.StopMarket, 1, { triggerPrice: 110 }));
    h.take();
    h.engine.modify(1, null, null, 100);
    expect(h.takeKinds()).toEqual(["Updated:MODIFIED#1", "Triggered#1", "Trade#1x100 1@105"]);
  });

  it("a trigger price cannot be modified on a resting limit order", () => {
    const h = threeAt100();
    expect(h.engine.modify(1, null, null, 101)).toBe(false);
    expect(h.takeKinds()).toEqual(["ModifyRejected:MODIFY_NOT_APPLICABLE#1"]);
  });
});

describe("cancel and cancel-all", () => {
  it("cancels a resting order; an unknown id is refused", () => {
    const h = setup();
    h.engine.submit(limit(1, "B", 100, 5));
    h.take();
    expect(h.engine.cancel(1)).toBe(true);
    expect(h.takeKinds()).toEqual(["Canceled:CANCELED_BY_REQUEST#1"]);
    expect(h.engine.cancel(1)).toBe(false);
    expect(h.takeKinds()).toEqual(["CancelRejected:UNKNOWN_ORDER#1"]);
    expect(h.book()).toEqual({ bids: [], asks: [] });
  });

  it("cancel-all cancels one owner's orders, optionally one side, in acceptance order", () => {
    const h = setup();
    h.engine.submit(limit(1, "B", 100, 5, { owner: 7 }));
    h.engine.submit(limit(2, "S", 110, 5, { owner: 7 }));
    h.engine.submit(limit(3, "B", 99, 5, { owner: 8 }));
    h.engine.submit(order(4, "B", OrderType.StopMarket, 5, { owner: 7, triggerPrice: 120 }));
    h.engine.submit(limit(5, "B", 98, 5, { owner: 7 }));
    h.take();
    expect(h.engine.cancelAll(7, OrderSide.Buy)).toBe(3);
    expect(h.takeKinds()).toEqual([
      "Canceled:CANCELED_BY_CANCEL_ALL#1",
      "Canceled:CANCELED_BY_CANCEL_ALL#4",
      "Canceled:CANCELED_BY_CANCEL_ALL#5",
    ]);
    expect(h.engine.cancelAll(7)).toBe(1);
    expect(h.takeKinds()).toEqual(["Canceled:CANCELED_BY_CANCEL_ALL#2"]);
    expect(h.book()).toEqual({ bids: ["99: 3/5"], asks: [] });
  });
});

describe("self-trade prevention", () => {
  function bookWithOwn(stp: StpMode) {
    const h = setup({ stpMode: stp });
    h.engine.submit(limit(1, "S", 100, 2, { owner: 2 }));
    h.engine.submit(limit(2, "S", 100, 3, { owner: 1 })); // own order
    h.engine.submit(limit(3, "S", 101, 4, { owner: 3 }));
    h.take();
    h.engine.submit(limit(4, "B", 101, 8, { owner: 1 }));
    return h;
  }

  it("cancel-taker: fills before the own order stand, the taker's rest is canceled", () => {
    const h = bookWithOwn(StpMode.CancelTaker);
    expect(h.takeKinds()).toEqual(["Accepted#4", "Trade#4x1 2@100", "Canceled:SELF_TRADE_TAKER#4"]);
    expect(h.book().asks).toEqual(["100: 2/3", "101: 3/4"]);
  });

  it("cancel-maker: the own order is canceled and matching goes on", () => {
    const h = bookWithOwn(StpMode.CancelMaker);
    expect(h.takeKinds()).toEqual([
      "Accepted#4",
      "Trade#4x1 2@100",
      "Canceled:SELF_TRADE_MAKER#2",
      "Trade#4x3 4@101",
    ]);
    expect(h.book()).toEqual({ bids: ["101: 4/2"], asks: [] });
  });

  it("cancel-both: both are canceled", () => {
    const h = bookWithOwn(StpMode.CancelBoth);
    expect(h.takeKinds()).toEqual([
      "Accepted#4",
      "Trade#4x1 2@100",
      "Canceled:SELF_TRADE_MAKER#2",
      "Canceled:SELF_TRADE_TAKER#4",
    ]);
    expect(h.book()).toEqual({ bids: [], asks: ["101: 3/4"] });
  });

  it("none: the self-trade happens", () => {
    const h = bookWithOwn(StpMode.None);
    expect(h.takeKinds()).toEqual(["Accepted#4", "Trade#4x1 2@100", "Trade#4x2 3@100", "Trade#4x3 3@101"]);
  });

  it("the order's own mode overrides the engine default", () => {
    const h = setup({ stpMode: StpMode.CancelTaker });
    h.engine.submit(limit(1, "S", 100, 3, { owner: 1 }));
    h.take();
    h.engine.submit(limit(2, "B", 100, 3, { owner: 1, stp: StpMode.CancelMaker }));
    expect(h.takeKinds()).toEqual(["Accepted#2", "Canceled:SELF_TRADE_MAKER#1"]);
    expect(h.book().bids).toEqual(["100: 2/3"]);
  });

  it("external liquidity never self-trade-prevents", () => {
    const h = setup({ stpMode: StpMode.CancelTaker });
    h.engine.submit(limit(1, "S", 100, 3, { owner: EXTERNAL_OWNER }));
    h.engine.submit(limit(2, "B", 100, 3, { owner: EXTERNAL_OWNER }));
    expect(h.takeKinds()).toEqual(["Accepted#1", "Accepted#2", "Trade#2x1 3@100"]);
  });
});

describe("stop and if-touched orders", () => {
  /** A book with asks 100..104 (1 lot each, owner 9) and bids 95..99. */
  function ladder() {
    const h = setup();
    let id = 1000;
    for (let p = 100; p <= 104; p++) h.engine.submit(limit(id++, "S", p, 1, { owner: 9 }));
    for (let p = 95; p <= 99; p++) h.engine.submit(limit(id++, "B", p, 1, { owner: 9 }));
    h.take();
    return h;
  }

  it("stop-market buy triggers when the last trade reaches the trigger", () => {
    const h = ladder();
    h.engine.submit(order(1, "B", OrderType.StopMarket, 1, { triggerPrice: 101 }));
    expect(h.takeKinds()).toEqual(["Accepted#1"]);
    h.engine.submit(market(2, "B", 1, { owner: 2 })); // trades at 100: no trigger
    expect(h.takeKinds()).toEqual(["Accepted#2", "Trade#2x1000 1@100"]);
    h.engine.submit(market(3, "B", 1, { owner: 2 })); // trades at 101: triggers, stop buys at 102
    expect(h.takeKinds()).toEqual(["Accepted#3", "Trade#3x1001 1@101", "Triggered#1", "Trade#1x1002 1@102"]);
  });

  it("stop-market sell triggers on a fall and is immediate if already through", () => {
    const h = ladder();
    h.engine.setLastPrice(99);
    h.engine.submit(order(1, "S", OrderType.StopMarket, 1, { triggerPrice: 98 }));
    h.engine.submit(order(2, "S", OrderType.StopMarket, 1, { triggerPrice: 99 }));
    expect(h.takeKinds()).toEqual(["Accepted#1", "Accepted#2", "Triggered#2", "Trade#2x1009 1@99"]);
    h.engine.setLastPrice(98);
    expect(h.takeKinds()).toEqual(["Triggered#1", "Trade#1x1008 1@98"]);
  });

  it("stop-limit triggers and rests as a limit order", () => {
    const h = ladder();
    h.engine.submit(order(1, "B", OrderType.StopLimit, 3, { triggerPrice: 100, price: 101 }));
    h.engine.submit(market(2, "B", 1, { owner: 2 }));
    expect(h.takeKinds()).toEqual([
      "Accepted#1",
      "Accepted#2",
      "Trade#2x1000 1@100",
      "Triggered#1",
      "Trade#1x1001 1@101",
    ]);
    expect(h.book().bids[0]).toBe("101: 1/2");
  });

  it("market-if-touched buy triggers when the price falls to the trigger", () => {
    const h = ladder();
    h.engine.submit(order(1, "B", OrderType.MarketIfTouched, 1, { triggerPrice: 98 }));
    h.engine.setLastPrice(99);
    expect(h.takeKinds()).toEqual(["Accepted#1"]);
    h.engine.setLastPrice(98);
    expect(h.takeKinds()).toEqual(["Triggered#1", "Trade#1x1000 1@100"]);
  });

  it("limit-if-touched sell triggers when the price rises to the trigger", () => {
    const h = ladder();
    h.engine.submit(order(1, "S", OrderType.LimitIfTouched, 2, { triggerPrice: 103, price: 104 }));
    h.engine.setLastPrice(102);
    h.engine.setLastPrice(103);
    expect(h.takeKinds()).toEqual(["Accepted#1", "Triggered#1"]);
    expect(h.book().asks).toEqual([
      "100: 1000/1",
      "101: 1001/1",
      "102: 1002/1",
      "103: 1003/1",
      "104: 1004/1 1/2",
    ]);
  });

  it("triggers cascade in sequence: one stop's trade triggers the next", () => {
    const h = ladder();
    h.engine.submit(order(1, "S", OrderType.StopMarket, 1, { triggerPrice: 98, owner: 3 }));
    h.engine.submit(order(2, "S", OrderType.StopLimit, 2, { triggerPrice: 97, price: 96, owner: 4 }));
    h.take();
    h.engine.submit(market(3, "S", 2, { owner: 2 })); // 99, 98 -> stop 1 sells at 97 -> stop 2 sells 96
    expect(h.takeKinds()).toEqual([
      "Accepted#3",
      "Trade#3x1009 1@99",
      "Trade#3x1008 1@98",
      "Triggered#1",
      "Trade#1x1007 1@97",
      "Triggered#2",
      "Trade#2x1006 1@96",
    ]);
    // The stop-limit's remaining 1 rests at 96 on the ask side.
    expect(h.book().asks[0]).toBe("96: 2/1");
    expect(h.engine.lastPrice).toBe(96);
  });

  it("a stop is triggered by a price printed in the middle of a sweep", () => {
    const h = ladder();
    h.engine.submit(order(1, "B", OrderType.MarketIfTouched, 1, { triggerPrice: 101, owner: 3 }));
    h.engine.setLastPrice(103);
    h.take();
    // A buy sweep prints 100, 101, 102: the buy MIT (fires at <= 101) sees 100.
    h.engine.submit(market(2, "B", 3, { owner: 2 }));
    expect(h.takeKinds()).toEqual([
      "Accepted#2",
      "Trade#2x1000 1@100",
      "Trade#2x1001 1@101",
      "Trade#2x1002 1@102",
      "Triggered#1",
      "Trade#1x1003 1@103",
    ]);
  });

  it("bid/ask triggers: a buy stop watches the ask", () => {
    const h = ladder();
    h.engine.submit(
      order(1, "B", OrderType.StopMarket, 1, { triggerPrice: 101, triggerType: TriggerType.BidAsk }),
    );
    h.engine.cancel(1000); // ask moves 100 -> 101
    expect(h.takeKinds()).toEqual([
      "Accepted#1",
      "Canceled:CANCELED_BY_REQUEST#1000",
      "Triggered#1",
      "Trade#1x1001 1@101",
    ]);
  });

  it("mark-price triggers fire on setMarkPrice only", () => {
    const h = ladder();
    h.engine.submit(
      order(1, "S", OrderType.StopMarket, 1, { triggerPrice: 90, triggerType: TriggerType.MarkPrice }),
    );
    h.engine.setLastPrice(80);
    expect(h.takeKinds()).toEqual(["Accepted#1"]);
    h.engine.setMarkPrice(90);
    expect(h.takeKinds()).toEqual(["Triggered#1", "Trade#1x1009 1@99"]);
  });

  it("index-price triggers are not supported", () => {
    const h = ladder();
    h.engine.submit(
      order(1, "S", OrderType.StopMarket, 1, { triggerPrice: 90, triggerType: TriggerType.IndexPrice }),
    );
    expect(h.takeKinds()).toEqual(["Rejected:UNSUPPORTED_TRIGGER_TYPE#1"]);
  });

  it("a reduce-only stop is checked when it triggers", () => {
    const h = ladder();
    h.engine.submit(order(1, "S", OrderType.StopMarket, 5, { triggerPrice: 98, reduceOnly: true }));
    h.positions.set(1, 2);
    h.engine.setLastPrice(98);
    const ev = h.take();
    expect(ev.map((e) => `${e.kind}:${e.reason}`)).toEqual([
      "Accepted:NONE",
      "Triggered:NONE",
      "Updated:REDUCE_ONLY_RESIZED",
      "Trade:NONE",
      "Trade:NONE",
    ]);
    expect(ev[2].qty).toBe(2);
    expect(h.positions.get(1)).toBe(0);
  });

  it("a GTD stop expires while pending", () => {
    const h = ladder();
    h.engine.submit(
      order(1, "S", OrderType.StopMarket, 1, {
        triggerPrice: 90,
        timeInForce: TimeInForce.GTD,
        expireTime: 50,
      }),
    );
    h.engine.advanceTime(50);
    expect(h.takeKinds()).toEqual(["Accepted#1", "Expired:GTD_EXPIRED#1"]);
    h.engine.setLastPrice(80);
    expect(h.take()).toEqual([]);
  });
});

describe("trailing stops", () => {
  it("a sell trailing stop (price offset) follows the price up, never down, and fires", () => {
    const h = setup();
    h.engine.submit(limit(100, "B", 90, 10, { owner: 9 }));
    h.engine.setLastPrice(100);
    h.take();
    h.engine.submit(order(1, "S", OrderType.TrailingStopMarket, 2, { trailingOffset: 5 }));
    let ev = h.take();
    expect([ev[0].kind, ev[0].trigger]).toEqual(["Accepted", 95]);
    h.engine.setLastPrice(103);
    ev = h.take();
    expect(ev.map((e) => `${e.kind}:${e.reason}:${e.trigger}`)).toEqual(["Updated:TRAILING_MOVED:98"]);
    h.engine.setLastPrice(101); // falls back: the trigger stays
    h.engine.setLastPrice(99);
    expect(h.take()).toEqual([]);
    h.engine.setLastPrice(98);
    expect(h.takeKinds()).toEqual(["Triggered#1", "Trade#1x100 2@90"]);
  });

  it("a buy trailing stop in ticks follows the price down", () => {
    const h = setup({ tickSize: 5 });
    h.engine.setLastPrice(1000);
    h.engine.submit(
      order(1, "B", OrderType.TrailingStopMarket, 1, {
        trailingOffset: 4,
        trailingOffsetType: TrailingOffsetType.Ticks,
      }),
    );
    expect(h.take()[0].trigger).toBe(1020);
    h.engine.setLastPrice(990);
    expect(h.take()[0].trigger).toBe(1010);
    h.engine.setLastPrice(1005);
    expect(h.take()).toEqual([]);
    h.engine.setLastPrice(1010);
    expect(h.takeKinds()).toEqual(["Triggered#1", "Canceled:MARKET_NO_LIQUIDITY#1"]);
  });

  it("a basis-point offset is rounded away from the market to the tick", () => {
    const h = setup({ tickSize: 10 });
    h.engine.setLastPrice(100_000);
    // 25 bps of 100,000 = 250 -> 99,750 for a sell (a tick multiple already).
    h.engine.submit(
      order(1, "S", OrderType.TrailingStopMarket, 1, {
        trailingOffset: 25,
        trailingOffsetType: TrailingOffsetType.BasisPoints,
      }),
    );
    expect(h.take()[0].trigger).toBe(99_750);
    // 25 bps of 100,130 = 250.325 -> distance 251 -> 99,879 -> floored to 99,870.
    h.engine.setLastPrice(100_130);
    expect(h.take()[0].trigger).toBe(99_870);
  });

  it("a trailing-stop-limit keeps its limit at the offset beyond the trigger", () => {
    const h = setup();
    h.engine.submit(limit(100, "B", 96, 1, { owner: 9 }));
    h.engine.submit(limit(101, "B", 93, 1, { owner: 9 }));
    h.engine.setLastPrice(100);
    h.take();
    h.engine.submit(order(1, "S", OrderType.TrailingStopLimit, 2, { trailingOffset: 3, limitOffset: 2 }));
    let ev = h.take();
    expect([ev[0].trigger, ev[0].price]).toEqual([97, 95]);
    h.engine.setLastPrice(102);
    ev = h.take();
    expect([ev[0].trigger, ev[0].price]).toEqual([99, 97]);
    h.engine.setLastPrice(99);
    // Triggered: sells down to 97, the bid at 96 is below the limit: the rest rests at 97.
    expect(h.takeKinds()).toEqual(["Triggered#1"]);
    expect(h.book()).toEqual({ bids: ["96: 100/1", "93: 101/1"], asks: ["97: 1/2"] });
  });

  it("an explicit initial trigger price is used and then trails", () => {
    const h = setup();
    h.engine.setLastPrice(100);
    h.engine.submit(order(1, "S", OrderType.TrailingStopMarket, 1, { trailingOffset: 5, triggerPrice: 90 }));
    expect(h.take()[0].trigger).toBe(90);
    h.engine.setLastPrice(100);
    expect(h.take()[0].trigger).toBe(95);
  });

  it("without a trigger price or a reference price it is rejected", () => {
    const h = setup();
    h.engine.submit(order(1, "S", OrderType.TrailingStopMarket, 1, { trailingOffset: 5 }));
    expect(h.takeKinds()).toEqual(["Rejected:NO_REFERENCE_PRICE#1"]);
  });
});

describe("bad input: a rejection with a reason, nothing applied", () => {
  const cases: [string, Partial<OrderRequest>, string][] = [
    ["order id 0", { orderId: 0 }, "INVALID_ORDER_ID"],
    ["fractional order id", { orderId: 1.5 }, "INVALID_ORDER_ID"],
    ["negative owner", { owner: -1 }, "INVALID_OWNER"],
    ["side", { side: "UP" as OrderSide }, "INVALID_SIDE"],
    ["type", { type: "ICEBERG" as OrderType }, "INVALID_ORDER_TYPE"],
    ["zero quantity", { quantity: 0 }, "INVALID_QUANTITY"],
    ["negative quantity", { quantity: -5 }, "INVALID_QUANTITY"],
    ["NaN quantity", { quantity: Number.NaN }, "INVALID_QUANTITY"],
    ["fractional quantity", { quantity: 2.5 }, "INVALID_QUANTITY"],
    ["quantity off the lot", { quantity: 3 }, "QUANTITY_NOT_MULTIPLE_OF_LOT"],
    ["missing price", { price: undefined }, "INVALID_PRICE"],
    ["zero price", { price: 0 }, "INVALID_PRICE"],
    ["NaN price", { price: Number.NaN }, "INVALID_PRICE"],
    ["price off the tick", { price: 1003 }, "PRICE_NOT_MULTIPLE_OF_TICK"],
    ["trigger on a limit order", { triggerPrice: 1000 }, "INVALID_TRIGGER_PRICE"],
    ["tif", { timeInForce: "GTX" as TimeInForce }, "INVALID_TIME_IN_FORCE"],
    ["GTD without expiry", { timeInForce: TimeInForce.GTD }, "INVALID_EXPIRE_TIME"],
    ["expiry without GTD", { expireTime: 10 }, "INVALID_EXPIRE_TIME"],
    ["trailing offset on a limit", { trailingOffset: 5 }, "INVALID_TRAILING_OFFSET"],
    ["stp mode", { stp: 9 as StpMode }, "INVALID_STP_MODE"],
  ];
  for (const [name, patch, reason] of cases) {
    it(`${name} -> ${reason}`, () => {
      const h = setup({ tickSize: 5, lotSize: 2 });
      h.engine.submit(limit(1, "S", 1010, 4, { owner: 2 }));
      h.take();
      const before = h.book();
      expect(h.engine.submit({ ...limit(7, "B", 1010, 4), ...patch })).toBe(false);
      const ev = h.take();
      expect(ev.map((e) => `${e.kind}:${e.reason}`)).toEqual([`Rejected:${reason}`]);
      expect(h.book()).toEqual(before);
      expect(h.engine.liveOrderCount).toBe(1);
    });
  }

  it("type-specific fields: price on a market order, missing trigger on a stop", () => {
    const h = setup();
    h.engine.submit(market(1, "B", 1, { price: 100 }));
    h.engine.submit(order(2, "B", OrderType.StopMarket, 1));
    h.engine.submit(order(3, "B", OrderType.StopLimit, 1, { triggerPrice: 100 }));
    h.engine.submit(market(4, "B", 1, { timeInForce: TimeInForce.GTD, expireTime: 100 }));
    h.engine.submit(order(5, "S", OrderType.TrailingStopLimit, 1, { trailingOffset: 5, triggerPrice: 90 }));
    expect(h.takeKinds()).toEqual([
      "Rejected:INVALID_PRICE#1",
      "Rejected:INVALID_TRIGGER_PRICE#2",
      "Rejected:INVALID_PRICE#3",
      "Rejected:INVALID_TIME_IN_FORCE#4",
      "Rejected:INVALID_TRAILING_OFFSET#5",
    ]);
    expect(h.engine.liveOrderCount).toBe(0);
  });

  it("a duplicate live order id is rejected; the first order is untouched", () => {
    const h = setup();
    h.engine.submit(limit(1, "B", 100, 5));
    h.engine.submit(limit(1, "S", 90, 5, { owner: 2 }));
    expect(h.takeKinds()).toEqual(["Accepted#1", "Rejected:DUPLICATE_ORDER_ID#1"]);
    expect(h.book().bids).toEqual(["100: 1/5"]);
  });

  it("modify with bad values is refused and changes nothing", () => {
    const h = setup({ tickSize: 5, lotSize: 2 });
    h.engine.submit(limit(1, "B", 100, 4));
    h.take();
    h.engine.modify(1, 102, null);
    h.engine.modify(1, null, 0);
    h.engine.modify(1, null, Number.NaN);
    h.engine.modify(1, null, 5);
    h.engine.modify(1, -5, null);
    h.engine.modify(99, 100, null);
    expect(h.takeKinds()).toEqual([
      "ModifyRejected:PRICE_NOT_MULTIPLE_OF_TICK#1",
      "ModifyRejected:INVALID_QUANTITY#1",
      "ModifyRejected:INVALID_QUANTITY#1",
      "ModifyRejected:QUANTITY_NOT_MULTIPLE_OF_LOT#1",
      "ModifyRejected:INVALID_PRICE#1",
      "ModifyRejected:UNKNOWN_ORDER#99",
    ]);
    expect(h.book().bids).toEqual(["100: 1/4"]);
  });

  it("configuration errors throw", () => {
    expect(() => setup({ tickSize: 0 })).toThrow(RangeError);
    expect(() => setup({ lotSize: 1.5 })).toThrow(RangeError);
    expect(() => setup({ sessionEndMicrosOfDay: -1 })).toThrow(RangeError);
  });

  it("a command from inside the listener is refused", () => {
    const h = setup();
    h.engine.setListener(() => {
      h.engine.cancel(1);
    });
    expect(() => h.engine.submit(limit(1, "B", 100, 1))).toThrow(/another is running/);
  });
});

describe("instrument units", () => {
  it("forInstrument takes tick and lot from the increments, in raw units", () => {
    const inst = new CurrencyPair({
      id: InstrumentId.parse("ETHUSDT.SIM"),
      baseCurrency: currency("ETH"),
      quoteCurrency: currency("USDT"),
      priceIncrement: "0.05",
      sizeIncrement: "0.001",
    });
    const engine = MatchingEngine.forInstrument(inst);
    expect([engine.tickSize, engine.lotSize]).toEqual([5, 1]);
    const px = inst.makePrice("2500.35");
    const qty = inst.makeQuantity("0.250");
    expect(engine.submit(limit(1, "B", px.raw, qty.raw))).toBe(true);
    expect(engine.bestBid()).toBe(250_035);
    expect(engine.submit(limit(2, "B", 250_036, qty.raw))).toBe(false);
  });
});

describe("queries", () => {
  it("live orders in acceptance order, order lookup, level lookup", () => {
    const h = setup({ tickSize: 5 });
    h.engine.submit(limit(3, "B", 100, 1));
    h.engine.submit(limit(1, "S", 110, 2));
    h.engine.submit(order(2, "S", OrderType.StopMarket, 1, { triggerPrice: 90 }));
    expect([...h.engine.liveOrders()].map((o) => o.id)).toEqual([3, 1, 2]);
    expect(h.engine.getOrder(1)?.leaves).toBe(2);
    expect(h.engine.getOrder(9)).toBeUndefined();
    expect(h.engine.bids.levelAt(100)?.volume).toBe(1);
    expect(h.engine.bids.levelAt(101)).toBeNull();
    expect(h.engine.asks.levelAt(105)).toBeNull();
    h.engine.cancel(1);
    expect([...h.engine.liveOrders()].map((o) => o.id)).toEqual([3, 2]);
  });
});

describe("events", () => {
  it("every trade reports taker, maker, price, quantity, trade id and leaves", () => {
    const h = setup();
    h.engine.submit(limit(1, "S", 100, 5, { owner: 2 }));
    h.engine.submit(limit(2, "B", 100, 3, { owner: 3 }));
    const t = h.take()[2];
    expect(t).toMatchObject({
      kind: "Trade",
      id: 2,
      owner: 3,
      side: "B",
      tradeId: 1,
      px: 100,
      lastQty: 3,
      leaves: 0,
      maker: 1,
      makerOwner: 2,
      makerLeaves: 2,
    });
  });
});
