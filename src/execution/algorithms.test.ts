import { describe, expect, it } from "vitest";
import { OrderSide, OrderStatus } from "../model/enums.js";
import {
  AlgoError,
  AlgorithmHost,
  AlgoStatus,
  IcebergAlgorithm,
  TwapAlgorithm,
  VwapParticipationAlgorithm,
} from "./algorithms.js";
import { makeNode } from "./venue-double.test.js";

function host(n: ReturnType<typeof makeNode>) {
  return new AlgorithmHost({
    engine: n.engine,
    clock: n.clock,
    subscribe: (t, h) => n.kernel.bus.subscribe(t, h),
    unsubscribe: (t, h) => n.kernel.bus.unsubscribe(t, h),
  });
}

describe("TWAP", () => {
  it("splits the quantity into equal slices on the clock and completes when filled", () => {
    const n = makeNode();
    const h = host(n);
    const spec = {
      algoId: "TW",
      strategyId: n.strategy,
      instrumentId: n.inst.id,
      side: OrderSide.Buy,
      quantity: n.qty("1.000"),
    };
    const algo = h.start(new TwapAlgorithm(spec, 3_000_000, 3));
    const fillLast = () => n.venue.fill(algo.children.at(-1)!.clientOrderId.value, n.px("100.00"));
    expect(algo.children.map((c) => c.quantity.toString())).toEqual(["0.333"]);
    fillLast();
    n.clock.advanceTo(n.clock.timestampUs() + 1_000_000);
    expect(algo.children.map((c) => c.quantity.toString())).toEqual(["0.333", "0.333"]);
    fillLast();
    n.clock.advanceTo(n.clock.timestampUs() + 1_000_000);
    expect(algo.children.map((c) => c.quantity.toString())).toEqual(["0.333", "0.333", "0.334"]);
    expect(algo.status).toBe(AlgoStatus.Running);
    fillLast();
    expect(algo.status).toBe(AlgoStatus.Completed);
    n.clock.advanceTo(n.clock.timestampUs() + 10_000_000);
    expect(algo.children).toHaveLength(3);
  });

  it("can be canceled mid-run: no more slices, working children canceled", () => {
    const n = makeNode();
    const h = host(n);
    const spec = {
      algoId: "TW",
      strategyId: n.strategy,
      instrumentId: n.inst.id,
      side: OrderSide.Sell,
      quantity: n.qty("1"),
      limitPrice: n.px("101.00"),
    };
    const algo = h.start(new TwapAlgorithm(spec, 4_000_000, 4));
    expect(h.cancel("TW")).toBe(true);
    expect(algo.status).toBe(AlgoStatus.Canceled);
    expect(algo.children[0].status).toBe(OrderStatus.Canceled);
    n.clock.advanceTo(n.clock.timestampUs() + 10_000_000);
    expect(algo.children).toHaveLength(1);
    expect(h.cancel("TW")).toBe(false);
    expect(() => h.start(new TwapAlgorithm(spec, 1, 1))).toThrow(AlgoError);
  });

  it("unfilled IOC remainders return to the pool; ending short is EXHAUSTED", () => {
    const n = makeNode();
    const h = host(n);
    const algo = h.start(
      new TwapAlgorithm(
        {
          algoId: "T2",
          strategyId: n.strategy,
          instrumentId: n.inst.id,
          side: OrderSide.Buy,
          quantity: n.qty("1"),
        },
        2_000_000,
        2,
      ),
    );
    n.venue.fill("T2-1", n.px("100.00"), "0.2");
    n.venue.orders.get("T2-1")!.status = OrderStatus.Canceled;
    n.engine.onVenueReport({ kind: "canceled", clientOrderId: algo.children[0].clientOrderId, ts: 0 });
    n.clock.advanceTo(n.clock.timestampUs() + 1_000_000);
    expect(algo.children[1].quantity.toString()).toBe("0.800");
    n.cancel("T2-2");
    expect(algo.status).toBe(AlgoStatus.Exhausted);
  });

  it("a denied child fails the algorithm", () => {
    const n = makeNode();
    n.engine.setGate({
      checkSubmit: () => "TRADING_HALTED",
      checkModify: () => null,
      lastDenialReason: () => "",
    });
    const algo = host(n).start(
      new TwapAlgorithm(
        {
          algoId: "T3",
          strategyId: n.strategy,
          instrumentId: n.inst.id,
          side: OrderSide.Buy,
          quantity: n.qty("1"),
        },
        2_000_000,
        2,
      ),
    );
    expect(algo.status).toBe(AlgoStatus.Failed);
    expect(algo.finishReason).toMatch(/TRADING_HALTED/);
  });

  it("rejects bad parameters", () => {
    const n = makeNode();
    const spec = {
      algoId: "X",
      strategyId: n.strategy,
      instrumentId: n.inst.id,
      side: OrderSide.Buy,
      quantity: n.qty("1"),
    };
    expect(() => new TwapAlgorithm(spec, 0, 3)).toThrow(/positive integers/);
    expect(() => new TwapAlgorithm(spec, 10, Number.NaN)).toThrow(/positive integers/);
    expect(() => new TwapAlgorithm({ ...spec, quantity: n.qty("0") }, 10, 1)).toThrow(/positive/);
    expect(() => new VwapParticipationAlgorithm(spec, 0, 1, 1)).toThrow(/participationBps/);
    expect(() => new IcebergAlgorithm(spec, n.qty("0.1"))).toThrow(/limit price/);
    expect(() => new IcebergAlgorithm({ ...spec, limitPrice: n.px("1.00") }, n.qty("2"))).toThrow(
      /displayQty/,
    );
  });
});

describe("VWAP participation", () => {
  it("sends a share of the traded volume each interval and stops at the end time", () => {
    const n = makeNode();
    const h = host(n);
    const start = n.clock.timestampUs();
    const algo = h.start(
      new VwapParticipationAlgorithm(
        {
          algoId: "VW",
          strategyId: n.strategy,
          instrumentId: n.inst.id,
          side: OrderSide.Buy,
          quantity: n.qty("5"),
        },
        1_000,
        1_000_000,
        start + 3_000_000,
      ),
    );
    n.trade("100.00", "4");
    n.trade("100.00", "6");
    n.clock.advanceTo(start + 1_000_000);
    expect(algo.children.map((c) => c.quantity.toString())).toEqual(["1.000"]);
    n.venue.fill("VW-1", n.px("100.00"));
    n.trade("100.00", "2.5");
    n.clock.advanceTo(start + 2_000_000);
    expect(algo.children.map((c) => c.quantity.toString())).toEqual(["1.000", "0.250"]);
    n.clock.advanceTo(start + 3_000_000);
    expect(algo.status).toBe(AlgoStatus.Exhausted);
    n.trade("100.00", "100");
    n.clock.advanceTo(start + 9_000_000);
    expect(algo.children).toHaveLength(2);
  });
});

describe("iceberg", () => {
  it("shows one display-sized child at a time until filled", () => {
    const n = makeNode();
    const algo = host(n).start(
      new IcebergAlgorithm(
        {
          algoId: "IB",
          strategyId: n.strategy,
          instrumentId: n.inst.id,
          side: OrderSide.Sell,
          quantity: n.qty("1"),
          limitPrice: n.px("105.00"),
        },
        n.qty("0.4"),
      ),
    );
    expect(n.engine.cache.openOrders().map((o) => o.quantity.toString())).toEqual(["0.400"]);
    n.venue.fill("IB-1", n.px("105.00"), "0.1");
    expect(algo.children).toHaveLength(1);
    n.venue.fill("IB-1", n.px("105.00"));
    expect(n.engine.cache.openOrders().map((o) => o.quantity.toString())).toEqual(["0.400"]);
    n.venue.fill("IB-2", n.px("105.00"));
    expect(algo.children.map((c) => c.quantity.toString())).toEqual(["0.400", "0.400", "0.200"]);
    n.venue.fill("IB-3", n.px("105.00"));
    expect(algo.status).toBe(AlgoStatus.Completed);
  });

  it("cancel mid-run cancels the visible child", () => {
    const n = makeNode();
    const h = host(n);
    const algo = h.start(
      new IcebergAlgorithm(
        {
          algoId: "IB",
          strategyId: n.strategy,
          instrumentId: n.inst.id,
          side: OrderSide.Sell,
          quantity: n.qty("1"),
          limitPrice: n.px("105.00"),
        },
        n.qty("0.4"),
      ),
    );
    h.cancel("IB");
    expect(algo.children[0].status).toBe(OrderStatus.Canceled);
    expect(algo.status).toBe(AlgoStatus.Canceled);
  });
});
