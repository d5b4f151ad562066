import { describe, expect, it } from "vitest";
import type { TestClock } from "../core/clock.js";
import { Kernel } from "../core/kernel.js";
import { Rng } from "../core/rng.js";
import { currency } from "../model/currency.js";
import { QuoteTick, TradeTick } from "../model/data.js";
import {
  AccountType,
  AggressorSide,
  OrderSide,
  OrderStatus,
  OrderType,
  TimeInForce,
  TradingState,
} from "../model/enums.js";
import type { AccountState, OrderEvent } from "../model/events.js";
import { AccountId, ClientOrderId, InstrumentId, StrategyId } from "../model/identifiers.js";
import { CurrencyPair } from "../model/instruments.js";
import { createOrder } from "../model/orders.js";
import { Money, Price, Quantity } from "../model/values.js";
import { CashAccount } from "../portfolio/account.js";
import { RiskEngine } from "../risk/engine.js";
import { SimulatedExchange } from "../venues/sim/exchange.js";
import type {
  BalanceReport,
  ExecutionClient,
  ExecutionReportSink,
  LedgerEntry,
  VenueEditRequest,
  VenueOrderRequest,
} from "./client.js";
import { ExecutionEngine } from "./engine.js";
import {
  haltOnMismatch,
  ReconciliationFailedError,
  reconcile,
  scheduleReconciliation,
  startAfterReconciliation,
} from "./reconciliation.js";

/**
 * The simulated venue with an account of its own: every fill the venue makes (also while we
 * are down) moves the venue-side balances; deposits come with a ledger entry, a balance
 * "changed by hand" does not.
 */
class VenueWithBalances implements ExecutionClient {
  readonly venue: string;
  readonly accountId: AccountId;
  readonly capabilities: ExecutionClient["capabilities"];
  readonly account: CashAccount;
  readonly ledger: LedgerEntry[] = [];
  private sink: ExecutionReportSink | null = null;
  private readonly sides = new Map<string, OrderSide>();

  constructor(
    readonly sim: SimulatedExchange,
    private readonly inst: CurrencyPair,
  ) {
    this.venue = sim.venue;
    this.accountId = sim.accountId;
    this.capabilities = sim.capabilities;
    this.account = new CashAccount(sim.accountId);
    sim.bind({
      onVenueReport: (r) => {
        if (r.kind === "filled") {
          const side = this.sides.get(r.clientOrderId.value)!;
          this.account.applySpotFill(this.inst, side, r.lastPx, r.lastQty.raw, r.commission);
        }
        this.sink?.onVenueReport(r);
      },
    });
  }
  bind(sink: ExecutionReportSink): void {
    this.sink = sink;
  }
  createOrder(request: VenueOrderRequest): void {
    this.sides.set(request.clientOrderId.value, request.side);
    this.sim.createOrder(request);
  }
  cancelOrder(...a: Parameters<ExecutionClient["cancelOrder"]>): void {
    this.sim.cancelOrder(...a);
  }
  editOrder(r: VenueEditRequest): void {
    this.sim.editOrder(r);
  }
  fetchOrder(...a: Parameters<ExecutionClient["fetchOrder"]>) {
    return this.sim.fetchOrder(...a);
  }
  fetchOpenOrders(i?: InstrumentId) {
    return this.sim.fetchOpenOrders(i);
  }
  fetchMyTrades(...a: Parameters<ExecutionClient["fetchMyTrades"]>) {
    return this.sim.fetchMyTrades(...a);
  }
  fetchPositions() {
    return this.sim.fetchPositions();
  }
  async fetchBalance(): Promise<BalanceReport> {
    const s = this.account.state("B", 0);
    return { accountId: this.accountId, balances: s.balances, tsLast: 0 };
  }
  async fetchLedger(since: number): Promise<LedgerEntry[]> {
    return this.ledger.filter((e) => e.ts >= since);
  }
  deposit(id: string, amount: string, code = "USDT"): void {
    const m = Money.parse(amount, currency(code));
    this.account.adjust(m.currency, m.raw);
    this.ledger.push({ id, kind: m.raw >= 0 ? "deposit" : "withdrawal", amount: m, ts: 1 });
  }
  changeByHand(amount: string, code = "USDT"): void {
    const m = Money.parse(amount, currency(code));
    this.account.adjust(m.currency, m.raw);
  }
}

function setup(options: { balances?: boolean } = {}) {
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
  const venue = options.balances ? new VenueWithBalances(sim, inst) : null;
  engine.registerClient(venue ?? sim);
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
  const goDown = () => (venue ?? sim).bind({ onVenueReport: () => {} });
  const comeBack = () => (venue ?? sim).bind(engine);
  /** An order placed on the venue by someone else (by hand, another system). */
  const byHand = (id: string, side: OrderSide, price: string | null, q: string) =>
    (venue ?? sim).createOrder({
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
    venue,
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

  it("reports a fill we missed on an order we have since closed (and the position it moved)", async () => {
    const t = setup();
    t.quote("99.00", "101.00");
    const a = t.submit("A", OrderSide.Buy, "100.00", "1");
    t.goDown();
    t.trade("99.50", "10", AggressorSide.Seller); // filled at the venue; the fill report is lost
    t.comeBack();
    // A (wrong or reordered) cancel report closes the order locally without the fill.
    t.engine.onVenueReport({ kind: "canceled", clientOrderId: a.clientOrderId, ts: t.clock.timestampUs() });
    expect([a.status, a.filledQty.raw]).toEqual([OrderStatus.Canceled, 0]);
    const report = await reconcile(t.engine, t.sim);
    expect(report.ok).toBe(false);
    expect(report.mismatches.map((m) => m.code).sort()).toEqual(["FILL_MISMATCH", "POSITION_MISMATCH"]);
    const fill = report.mismatches.find((m) => m.code === "FILL_MISMATCH")!;
    expect(fill.clientOrderId).toBe("A");
    expect(fill.local).toBe("CANCELED filled 0.000");
    expect(fill.detail).toBe(
      "the venue has trade BTCUSDT-1 (1.000 @ 100.00) of A, which we closed without it",
    );
    expect(a.status).toBe(OrderStatus.Canceled); // a terminal order takes no fill: nothing applied
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

describe("balance reconciliation", () => {
  /** A venue with balances and a local portfolio account that follows our fills. */
  function withAccounts() {
    const t = setup({ balances: true });
    const venue = t.venue!;
    const local = new CashAccount(venue.accountId);
    for (const a of [venue.account, local]) {
      a.deposit(currency("USDT"), "10000");
      a.deposit(currency("BTC"), "1");
    }
    t.kernel.bus.subscribe<OrderEvent>("events.order.*", (e) => {
      if (e.type === "OrderFilled")
        local.applySpotFill(t.inst, e.orderSide, e.lastPx, e.lastQty.raw, e.commission);
    });
    const states: AccountState[] = [];
    t.kernel.bus.subscribe<AccountState>("events.account.*", (s) => states.push(s));
    return { ...t, venue, local, states };
  }

  it("agrees when nothing happened, and after fills missed while down are fixed forward", async () => {
    const t = withAccounts();
    t.quote("99.00", "101.00");
    expect((await reconcile(t.engine, t.venue, { account: t.local })).ok).toBe(true);
    t.submit("A", OrderSide.Buy, "100.00");
    t.goDown();
    t.trade("99.50", "10", AggressorSide.Seller); // fills A at the venue: venue balances move
    t.comeBack();
    expect(t.venue.account.balanceRaw("USDT")).not.toBe(t.local.balanceRaw("USDT"));
    const report = await reconcile(t.engine, t.venue, { account: t.local });
    expect(report.mismatches).toEqual([]);
    expect(t.local.balanceRaw("USDT")).toBe(t.venue.account.balanceRaw("USDT"));
    expect(t.local.balanceRaw("BTC")).toBe(t.venue.account.balanceRaw("BTC"));
    expect(t.states).toEqual([]); // the fill explained it: no balance fix needed
  });

  it("fixes forward a deposit and a withdrawal from the venue's ledger, tagged, exactly once", async () => {
    const t = withAccounts();
    t.venue.deposit("D-1", "500.25");
    t.venue.deposit("W-1", "-0.5", "BTC");
    const applied = new Set<string>();
    const report = await reconcile(t.engine, t.venue, { account: t.local, appliedLedger: applied });
    expect(report.ok).toBe(true);
    expect(report.fixes).toEqual([
      "BTC: withdrawal W-1 -0.50000000 BTC applied to SIM-001",
      "USDT: deposit D-1 500.25000000 USDT applied to SIM-001",
    ]);
    expect(t.local.balance(currency("USDT")).toString()).toBe("10500.25000000 USDT");
    expect(t.local.balance(currency("BTC")).toString()).toBe("0.50000000 BTC");
    expect(t.states).toHaveLength(1);
    expect(t.states[0].eventId.startsWith("RECON-")).toBe(true);
    expect(t.states[0].balances.map((b) => b.total.toString())).toEqual([
      "0.50000000 BTC",
      "10500.25000000 USDT",
    ]);
    expect([...applied].sort()).toEqual(["D-1", "W-1"]);
    // A second round applies nothing again.
    const again = await reconcile(t.engine, t.venue, { account: t.local, appliedLedger: applied });
    expect([again.ok, again.fixes]).toEqual([true, []]);
    expect(t.local.balance(currency("USDT")).toString()).toBe("10500.25000000 USDT");
  });

  it("fails closed on a balance changed by hand, applying nothing, with a report", async () => {
    const t = withAccounts();
    t.venue.changeByHand("-123.45");
    t.venue.deposit("D-2", "10", "BTC"); // explained: applied even though USDT fails
    const report = await reconcile(t.engine, t.venue, { account: t.local });
    expect(report.ok).toBe(false);
    expect(report.mismatches).toEqual([
      {
        code: "BALANCE_MISMATCH",
        clientOrderId: null,
        instrumentId: "USDT",
        local: "10000.00000000",
        venue: "9876.55000000",
        detail: "SIM-001 USDT balance differs by -123.45000000; no unapplied ledger entry explains it",
      },
    ]);
    expect(t.local.balance(currency("USDT")).toString()).toBe("10000.00000000 USDT");
    expect(t.local.balance(currency("BTC")).toString()).toBe("11.00000000 BTC");
  });

  it("a ledger that does not add up to the difference is a mismatch, not a guess", async () => {
    const t = withAccounts();
    t.venue.deposit("D-3", "100");
    t.venue.changeByHand("1"); // venue is 101 above us; the ledger explains 100
    const report = await reconcile(t.engine, t.venue, { account: t.local });
    expect(report.ok).toBe(false);
    expect(report.mismatches[0].detail).toBe(
      "SIM-001 USDT balance differs by 101.00000000; unapplied ledger entries (D-3) sum to 100.00000000",
    );
    expect(t.local.balanceRaw("USDT")).toBe(Money.parse("10000", currency("USDT")).raw);
    expect(t.states).toEqual([]);
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

describe("start gate: strategies start only after a clean reconciliation", () => {
  it("starts after fixing forward what it can explain", async () => {
    const t = setup();
    t.quote("99.00", "101.00");
    const a = t.submit("A", OrderSide.Buy, "100.00");
    t.goDown();
    t.trade("99.50", "10", AggressorSide.Seller); // filled while we were down
    t.comeBack();
    let started = 0;
    const reports = await startAfterReconciliation(t.engine, [{ client: t.sim }], () => started++);
    expect(started).toBe(1);
    expect(reports.map((r) => r.ok)).toEqual([true]);
    expect(a.status).toBe(OrderStatus.Filled);
  });

  it("fails closed on an unexplained difference: start is never called, the error lists it", async () => {
    const t = setup();
    t.quote("99.00", "101.00");
    t.goDown();
    t.byHand("HAND-2", OrderSide.Sell, "120.00", "2"); // an order we never sent
    t.comeBack();
    let started = 0;
    const err = await startAfterReconciliation(t.engine, [{ client: t.sim }], () => started++).catch(
      (e: unknown) => e,
    );
    expect(started).toBe(0);
    expect(err).toBeInstanceOf(ReconciliationFailedError);
    const e = err as ReconciliationFailedError;
    expect(e.code).toBe("RECONCILIATION_FAILED");
    expect(e.message).toContain("UNKNOWN_VENUE_ORDER BTCUSDT.SIM HAND-2");
    expect(e.reports[0].mismatches.map((m) => m.code)).toEqual(["UNKNOWN_VENUE_ORDER"]);
  });

  it("a venue query that fails keeps the strategies stopped", async () => {
    const t = setup();
    const broken = Object.create(t.sim) as typeof t.sim;
    broken.fetchOpenOrders = () => Promise.reject(new Error("venue unreachable"));
    let started = 0;
    await expect(startAfterReconciliation(t.engine, [{ client: broken }], () => started++)).rejects.toThrow(
      "venue unreachable",
    );
    expect(started).toBe(0);
  });

  it("a periodic round with a mismatch trips the kill switch (HALTED, open orders canceled)", async () => {
    const t = setup();
    const risk = new RiskEngine(t.engine, {
      accounts: [
        { accountId: t.sim.accountId, venue: "SIM", type: AccountType.Cash, currency: currency("USDT") },
      ],
    });
    t.kernel.add(risk);
    risk.setFreeBalance("SIM", Money.parse("1000000", currency("USDT")));
    risk.setReferencePrice(t.inst.id, t.px("100.00"));
    const causes: string[] = [];
    risk.onRiskEvent((e) => {
      if (e.type === "RiskTripped") causes.push(e.detail);
    });
    t.quote("99.00", "101.00");
    const a = t.submit("A", OrderSide.Buy, "95.00");
    expect(a.status).toBe(OrderStatus.Accepted);
    const stop = scheduleReconciliation(t.engine, t.sim, t.clock, 1_000_000, haltOnMismatch(risk));
    t.goDown();
    t.byHand("HAND-2", OrderSide.Sell, "120.00", "2");
    t.comeBack();
    t.clock.advanceTo(t.clock.timestampUs() + 1_000_000);
    await new Promise((r) => setImmediate(r));
    stop();
    expect(risk.tradingState).toBe(TradingState.Halted);
    expect(a.status).toBe(OrderStatus.Canceled);
    expect(causes.some((c) => c.includes("UNKNOWN_VENUE_ORDER") && c.includes("HAND-2"))).toBe(true);
  });
});
