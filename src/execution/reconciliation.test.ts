import { describe, expect, it } from "vitest";
import type { TestClock } from "../core/clock.js";
import { Kernel } from "../core/kernel.js";
import { Rng } from "../core/rng.js";
import { currency } from "../model/currency.js";
import { QuoteTick, TradeTick } from "../model/data.js";
import { AggressorSide, OrderSide, OrderStatus, OrderType, TimeInForce } from "../model/enums.js";
import type { OrderEvent } from "../model/events.js";
import { AccountId, ClientOrderId, InstrumentId, StrategyId } from "../model/identifiers.js";
import { CurrencyPair } from "../model/instruments.js";
import { createOrder } from "../model/orders.js";
import { Price, Quantity } from "../model/values.js";
import { SimulatedExchange } from "../venues/sim/exchange.js";
import { ExecutionEngine } from "./engine.js";
import { reconcile, scheduleReconciliation } from "./reconciliation.js";

function setup() {
  const kernel = new Kernel({ traderId: "T", mode: "backtest", seed: 1 });
  const clock = kernel.clock as TestClock;
  clock.setTime(1_000_000);
  const inst = new CurrencyPair({
    id: InstrumentId.parse("BTCUSDT.SIM"),
    baseCurrency: currency("BTC"),
    quoteCurrency: currency("USDT"),
    priceIncrement: "0.01",
    sizeIncrement: "0.001",
  });
  const engine = new ExecutionEngine({ instruments: new Map([[inst.id, inst]]) });
  kernel.add(engine);
  const sim = new SimulatedExchange({
    venue: "SIM",
    accountId: new AccountId("SIM-001"),
    instruments: [inst],
    clock,
    rng: new Rng(7),
    fillModel: "trades",
  });
  engine.registerClient(sim);
  kernel.start();
  const events: OrderEvent[] = [];
  kernel.bus.subscribe<OrderEvent>("events.order.*", (e) => events.push(e));
  const px = (s: string) => Price.parse(s, 2);
  const qty = (s: string) => Quantity.parse(s, 3);
  const tick = () => clock.advanceTo(clock.timestampUs() + 1_000);
  const quote = (bid: string, ask: string) => {
    tick();
    sim.processQuote(
      new QuoteTick(inst.id, px(bid), px(ask), qty("5"), qty("5"), clock.timestampUs(), clock.timestampUs()),
    );
  };
  const trade = (price: string, size: string, side: AggressorSide) => {
    tick();
    sim.processTrade(
      new TradeTick(
        inst.id,
        px(price),
        qty(size),
        side,
        `t${clock.timestampUs()}`,
        clock.timestampUs(),
        clock.timestampUs(),
      ),
    );
  };
  const strategy = new StrategyId("S-1");
  const submit = (id: string, side: OrderSide, price: string | null, q = "1") => {
    const order = createOrder({
      strategyId: strategy,
      instrumentId: inst.id,
      clientOrderId: new ClientOrderId(id),
      side,
      type: price === null ? OrderType.Market : OrderType.Limit,
      quantity: qty(q),
      price: price === null ? null : px(price),
      tsInit: clock.timestampUs(),
    });
    engine.execute({
      type: "SubmitOrder",
      commandId: id,
      strategyId: strategy,
      instrumentId: inst.id,
      tsInit: 0,
      order,
      positionId: null,
    });
    return order;
  };
  /** While "down", the venue's reports reach nobody. */
  const goDown = () => sim.bind({ onVenueReport: () => {} });
  const comeBack = () => sim.bind(engine);
  /** An order placed on the venue by someone else (by hand, another system). */
  const byHand = (id: string, side: OrderSide, price: string | null, q: string) =>
    sim.createOrder({
      clientOrderId: new ClientOrderId(id),
      instrumentId: inst.id,
      side,
      type: price === null ? OrderType.Market : OrderType.Limit,
      quantity: qty(q),
      price: price === null ? null : px(price),
      triggerPrice: null,
      timeInForce: price === null ? TimeInForce.IOC : TimeInForce.GTC,
      postOnly: false,
      reduceOnly: false,
      displayQty: null,
      tsInit: clock.timestampUs(),
    });
  return {
    kernel,
    clock,
    inst,
    engine,
    sim,
    events,
    quote,
    trade,
    submit,
    goDown,
    comeBack,
    byHand,
    px,
    qty,
  };
}

describe("reconciliation against the simulated venue", () => {
  it("fixes forward an order filled while we were down and one canceled externally", async () => {
    const t = setup();
    t.quote("99.00", "101.00");
    const a = t.submit("A", OrderSide.Buy, "100.00");
    const b = t.submit("B", OrderSide.Buy, "98.00");
    expect([a.status, b.status]).toEqual([OrderStatus.Accepted, OrderStatus.Accepted]);
    t.goDown();
    t.trade("99.50", "10", AggressorSide.Seller); // fills A at the venue
    t.sim.cancelOrder(b.clientOrderId, b.venueOrderId, t.inst.id); // canceled externally
    t.comeBack();
    expect([a.status, b.status]).toEqual([OrderStatus.Accepted, OrderStatus.Accepted]); // we missed it
    const report = await reconcile(t.engine, t.sim);
    expect(report.mismatches).toEqual([]);
    expect(report.ok).toBe(true);
    expect(a.status).toBe(OrderStatus.Filled);
    expect(b.status).toBe(OrderStatus.Canceled);
    expect(report.fixes.some((f) => f.startsWith("A: fill"))).toBe(true);
    expect(report.fixes.some((f) => f.startsWith("B: canceled at the venue"))).toBe(true);
    const recon = t.events.filter((e) => e.eventId.startsWith("RECON-"));
    expect(recon.map((e) => e.type).sort()).toEqual(["OrderCanceled", "OrderFilled"]);
    expect(t.engine.cache.position(t.inst.id, a.strategyId)?.signedQtyRaw).toBe(1000);
  });

  it("fails closed on a position changed by hand and an unknown order, reporting both", async () => {
    const t = setup();
    t.quote("99.00", "101.00");
    const a = t.submit("A", OrderSide.Buy, "95.00");
    t.goDown();
    t.byHand("HAND-1", OrderSide.Buy, null, "0.5"); // position changed by hand (fills at the ask)
    t.byHand("HAND-2", OrderSide.Sell, "120.00", "2"); // an order we never sent
    t.comeBack();
    const report = await reconcile(t.engine, t.sim);
    expect(report.ok).toBe(false);
    const codes = report.mismatches.map((m) => m.code).sort();
    expect(codes).toEqual(["POSITION_MISMATCH", "UNKNOWN_VENUE_ORDER"]);
    const pos = report.mismatches.find((m) => m.code === "POSITION_MISMATCH")!;
    expect([pos.local, pos.venue]).toEqual(["0.000", "0.500"]);
    expect(report.mismatches.find((m) => m.code === "UNKNOWN_VENUE_ORDER")?.clientOrderId).toBe("HAND-2");
    expect(a.status).toBe(OrderStatus.Accepted); // nothing guessed
  });

  it("reports a local open order the venue does not know", async () => {
    const t = setup();
    t.quote("99.00", "101.00");
    const a = t.submit("A", OrderSide.Buy, "95.00");
    // Simulate a venue that lost the order: a fresh exchange for the same venue.
    const fresh = new SimulatedExchange({
      venue: "SIM",
      accountId: new AccountId("SIM-001"),
      instruments: [t.inst],
      clock: t.clock,
      rng: new Rng(7),
      fillModel: "trades",
    });
    const report = await reconcile(t.engine, fresh);
    expect(report.ok).toBe(false);
    expect(report.mismatches).toMatchObject([{ code: "ORDER_MISSING_AT_VENUE", clientOrderId: "A" }]);
    expect(a.status).toBe(OrderStatus.Accepted);
  });
});

describe("periodic reconciliation", () => {
  it("runs on the clock and reports each round", async () => {
    const t = setup();
    t.quote("99.00", "101.00");
    t.submit("A", OrderSide.Buy, "95.00");
    const reports: boolean[] = [];
    const stop = scheduleReconciliation(t.engine, t.sim, t.clock, 1_000_000, (r) => reports.push(r.ok));
    t.clock.advanceTo(t.clock.timestampUs() + 1_000_000);
    await new Promise((r) => setImmediate(r));
    t.goDown();
    t.byHand("HAND-2", OrderSide.Sell, "120.00", "2");
    t.comeBack();
    t.clock.advanceTo(t.clock.timestampUs() + 1_000_000);
    await new Promise((r) => setImmediate(r));
    stop();
    t.clock.advanceTo(t.clock.timestampUs() + 5_000_000);
    await new Promise((r) => setImmediate(r));
    expect(reports).toEqual([true, false]);
  });
});
