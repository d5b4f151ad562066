import { describe, expect, it } from "vitest";
import { Endpoints } from "../core/topics.js";
import { makeNode } from "../execution/venue-double.test.js";
import { currency } from "../model/currency.js";
import {
  AccountType,
  ContingencyType,
  OrderSide,
  OrderStatus,
  OrderType,
  TradingState,
} from "../model/enums.js";
import type { OrderDenied } from "../model/events.js";
import { ClientOrderId, StrategyId } from "../model/identifiers.js";
import type { InstrumentSpec } from "../model/instruments.js";
import type { Order } from "../model/orders.js";
import { Money, Price, Quantity } from "../model/values.js";
import { type AccountRiskConfig, FLATTEN_TAG, RiskEngine, type RiskEngineConfig } from "./engine.js";
import type { RiskEvent, RiskTripped } from "./events.js";
import { RiskReason, TripCause } from "./reasons.js";

const usdt = currency("USDT");

function setup(
  cfg: Partial<RiskEngineConfig> = {},
  account: Partial<AccountRiskConfig> = {},
  instrument: Partial<InstrumentSpec> = {},
) {
  const n = makeNode({ instrument });
  const risk = new RiskEngine(n.engine, {
    accounts: [
      { accountId: n.venue.accountId, venue: "SIM", type: AccountType.Cash, currency: usdt, ...account },
    ],
    ...cfg,
  });
  n.kernel.add(risk);
  risk.setFreeBalance("SIM", Money.parse("1000000", usdt));
  risk.setFreeBalance("SIM", Money.parse("100", currency("BTC")));
  risk.setReferencePrice(n.inst.id, n.px("100.00"));
  const riskEvents: RiskEvent[] = [];
  n.kernel.bus.subscribe<RiskEvent>("events.system.risk", (e) => riskEvents.push(e));
  const denial = (o: Order) => {
    const d = n.events.find(
      (e) => e.type === "OrderDenied" && e.clientOrderId.value === o.clientOrderId.value,
    ) as OrderDenied | undefined;
    return d?.reasonCode ?? null;
  };
  /** Submits and fully fills an order at `price`. */
  const fillOrder = (o: Order, price: string) => {
    n.submit(o);
    n.venue.fill(o.clientOrderId.value, n.px(price));
  };
  return { ...n, risk, riskEvents, denial, fillOrder };
}

describe("pre-trade checks: every reason code", () => {
  it("passes a sane order with no allocation of a denial", () => {
    const t = setup();
    const o = t.order();
    expect(t.submit(o).ok).toBe(true);
    expect(t.denial(o)).toBeNull();
    expect(t.risk.lastDenialCode).toBeNull();
  });

  it.each<
    [
      string,
      Partial<RiskEngineConfig>,
      Partial<AccountRiskConfig>,
      Partial<InstrumentSpec>,
      (t: ReturnType<typeof setup>) => Order,
      string,
    ]
  >([
    [
      "quantity increment",
      {},
      {},
      {},
      (t) => t.order({ quantity: Quantity.parse("1.0005") }),
      RiskReason.QUANTITY_INVALID,
    ],
    [
      "quantity below min",
      {},
      {},
      { minQuantity: "0.010" },
      (t) => t.order({ quantity: t.qty("0.005") }),
      RiskReason.QUANTITY_BELOW_MIN,
    ],
    [
      "quantity above max",
      {},
      {},
      { maxQuantity: "5" },
      (t) => t.order({ quantity: t.qty("6") }),
      RiskReason.QUANTITY_ABOVE_MAX,
    ],
    [
      "quantity not a multiple of the lot",
      {},
      {},
      { sizeIncrement: "0.010", minQuantity: "0.010" },
      (t) => t.order({ quantity: t.qty("0.015") }),
      RiskReason.QUANTITY_INCREMENT,
    ],
    [
      "price not a multiple of the tick",
      {},
      {},
      { priceIncrement: "0.05" },
      (t) => t.order({ price: t.px("100.01") }),
      RiskReason.PRICE_INCREMENT,
    ],
    [
      "price at a wrong precision",
      {},
      {},
      {},
      (t) => t.order({ price: Price.parse("100.001") }),
      RiskReason.PRICE_INVALID,
    ],
    [
      "notional below the instrument minimum",
      {},
      {},
      { minNotional: "10" },
      (t) => t.order({ quantity: t.qty("0.05") }),
      RiskReason.NOTIONAL_BELOW_MIN,
    ],
    [
      "notional above the instrument maximum",
      {},
      {},
      { maxNotional: "500" },
      (t) => t.order({ quantity: t.qty("6") }),
      RiskReason.NOTIONAL_ABOVE_MAX,
    ],
    [
      "order notional above the account's max",
      {},
      { maxOrderNotional: "250" },
      {},
      (t) => t.order({ quantity: t.qty("3") }),
      RiskReason.MAX_ORDER_NOTIONAL,
    ],
    [
      "fat-finger price band",
      { defaultInstrument: { priceBandBps: 500 } },
      {},
      {},
      (t) => t.order({ price: t.px("106.00") }),
      RiskReason.PRICE_BAND,
    ],
    [
      "fat-finger band on a sell below",
      { defaultInstrument: { priceBandBps: 500 } },
      {},
      {},
      (t) => t.order({ side: OrderSide.Sell, price: t.px("94.00") }),
      RiskReason.PRICE_BAND,
    ],
    [
      "max position",
      { defaultInstrument: { maxPosition: "2" } },
      {},
      {},
      (t) => t.order({ quantity: t.qty("2.001") }),
      RiskReason.MAX_POSITION,
    ],
    [
      "gross exposure",
      {},
      { maxGrossExposure: "150" },
      {},
      (t) => t.order({ quantity: t.qty("2") }),
      RiskReason.MAX_GROSS_EXPOSURE,
    ],
    [
      "net exposure",
      {},
      { maxNetExposure: "150" },
      {},
      (t) => t.order({ side: OrderSide.Sell, quantity: t.qty("2"), price: t.px("100.00") }),
      RiskReason.MAX_NET_EXPOSURE,
    ],
    [
      "insufficient quote balance",
      {},
      {},
      {},
      (t) => t.order({ quantity: t.qty("20000") }),
      RiskReason.INSUFFICIENT_BALANCE,
    ],
    [
      "insufficient base balance for a spot sell",
      {},
      {},
      {},
      (t) => t.order({ side: OrderSide.Sell, quantity: t.qty("101") }),
      RiskReason.INSUFFICIENT_BALANCE,
    ],
    [
      "reduce-only with no position",
      {},
      {},
      {},
      (t) => t.order({ reduceOnly: true }),
      RiskReason.REDUCE_ONLY_VIOLATION,
    ],
  ])("%s", (_name, cfg, account, instrument, make, code) => {
    const t = setup(cfg, account, instrument);
    const o = make(t);
    const r = t.submit(o);
    expect(r.ok).toBe(false);
    expect(o.status).toBe(OrderStatus.Denied);
    expect(t.denial(o)).toBe(code);
    expect((t.events.at(-1) as OrderDenied).reason.length).toBeGreaterThan(10);
    expect(t.venue.calls).toEqual([]);
  });

  it("margin accounts need initial margin", () => {
    const t = setup({}, { type: AccountType.Margin });
    t.risk.setFreeBalance("SIM", Money.parse("50", usdt));
    // Spot instrument: marginInit defaults to 1 (fully funded).
    const o = t.order({ quantity: t.qty("1") });
    t.submit(o);
    expect(t.denial(o)).toBe(RiskReason.INSUFFICIENT_MARGIN);
  });

  it("unknown instrument and unknown account", () => {
    const t = setup();
    const other = makeNode({ venue: "ELSE" });
    const o = t.order({ instrumentId: other.inst.id });
    expect(t.risk.checkSubmit(o)).toBe(RiskReason.INSTRUMENT_UNKNOWN);
    const u = makeNode({ venue: "ELSE" });
    const r2 = new RiskEngine(u.engine, { accounts: [] });
    u.kernel.add(r2);
    expect(r2.checkSubmit(u.order())).toBe(RiskReason.ACCOUNT_UNKNOWN);
  });

  it("no reference price for a market order (fail closed)", () => {
    const t = setup();
    const fresh = makeNode();
    const r = new RiskEngine(fresh.engine, {
      accounts: [{ accountId: fresh.venue.accountId, venue: "SIM", type: AccountType.Cash, currency: usdt }],
    });
    fresh.kernel.add(r);
    const o = fresh.order({ type: OrderType.Market, price: null });
    fresh.submit(o);
    expect(fresh.events.at(-1)).toMatchObject({
      type: "OrderDenied",
      reasonCode: RiskReason.NO_REFERENCE_PRICE,
    });
    expect(t.risk.checkSubmit(t.order({ type: OrderType.Market, price: null }))).toBeNull();
  });

  it("max open orders per account and per strategy", () => {
    const t = setup({ defaultStrategy: { maxOpenOrders: 2 } }, { maxOpenOrders: 3 });
    const a = [t.order(), t.order(), t.order()];
    for (const o of a) t.submit(o);
    expect(t.denial(a[2])).toBe(RiskReason.MAX_OPEN_ORDERS_STRATEGY);
    const other = t.order({ strategyId: new StrategyId("S-2") });
    t.submit(other);
    expect(t.denial(other)).toBeNull();
    const fourth = t.order({ strategyId: new StrategyId("S-3") });
    t.submit(fourth);
    expect(t.denial(fourth)).toBe(RiskReason.MAX_OPEN_ORDERS_ACCOUNT);
    // Closing one frees a slot.
    t.cancel(a[0].clientOrderId.value);
    const again = t.order();
    t.submit(again);
    expect(t.denial(again)).toBeNull();
  });

  it("self-trade prevention: a buy may not cross our own resting sell", () => {
    const t = setup();
    t.submit(t.order({ side: OrderSide.Sell, price: t.px("101.00") }));
    const cross = t.order({ price: t.px("101.00") });
    t.submit(cross);
    expect(t.denial(cross)).toBe(RiskReason.SELF_TRADE);
    const below = t.order({ price: t.px("100.99") });
    t.submit(below);
    expect(t.denial(below)).toBeNull();
    const sellCross = t.order({ side: OrderSide.Sell, price: t.px("100.99") });
    t.submit(sellCross);
    expect(t.denial(sellCross)).toBe(RiskReason.SELF_TRADE);
    const mkt = t.order({ type: OrderType.Market, price: null });
    t.submit(mkt);
    expect(t.denial(mkt)).toBe(RiskReason.SELF_TRADE);
  });

  /** A bracket: entry buy limit (OTO), take-profit sell limit and stop-loss sell stop (OUO), held. */
  const bracket = (t: ReturnType<typeof setup>, entryPx = "99.00", tpPx = "104.00") => {
    const entry = t.order({ price: t.px(entryPx), contingencyType: ContingencyType.OTO });
    const ids = {
      tp: new ClientOrderId(`TP-${entry.clientOrderId}`),
      sl: new ClientOrderId(`SL-${entry.clientOrderId}`),
    };
    const tp = t.order({
      clientOrderId: ids.tp,
      side: OrderSide.Sell,
      price: t.px(tpPx),
      parentOrderId: entry.clientOrderId,
      contingencyType: ContingencyType.OUO,
      linkedOrderIds: [ids.sl],
    });
    const sl = t.order({
      clientOrderId: ids.sl,
      side: OrderSide.Sell,
      type: OrderType.StopMarket,
      price: null,
      triggerPrice: t.px("95.00"),
      parentOrderId: entry.clientOrderId,
      contingencyType: ContingencyType.OUO,
      linkedOrderIds: [ids.tp],
    });
    const r = t.engine.execute({
      type: "SubmitOrderList",
      commandId: `L-${entry.clientOrderId}`,
      strategyId: t.strategy,
      instrumentId: t.inst.id,
      tsInit: 0,
      orders: [entry, tp, sl],
    });
    return { entry, tp, sl, r };
  };

  it("held orders (emulated, contingent children) count toward max open orders", () => {
    const t = setup({ defaultStrategy: { maxOpenOrders: 2 } });
    const stop = t.order({
      type: OrderType.StopMarket,
      price: null,
      triggerPrice: t.px("90.00"),
      side: OrderSide.Sell,
    });
    t.submit(stop); // emulated: held locally, never at the venue
    expect(t.engine.cache.isHeld(stop)).toBe(true);
    const a = t.order();
    t.submit(a);
    expect(t.denial(a)).toBeNull();
    const b = t.order();
    t.submit(b);
    expect(t.denial(b)).toBe(RiskReason.MAX_OPEN_ORDERS_STRATEGY);
    expect(
      t.events.find((e) => e.type === "OrderDenied" && e.clientOrderId === b.clientOrderId),
    ).toMatchObject({
      reason: "strategy has 2 open orders, working or held (max 2)",
    });
    t.cancel(stop.clientOrderId.value); // canceling the held order frees its slot
    const c = t.order();
    t.submit(c);
    expect(t.denial(c)).toBeNull();
  });

  it("a bracket must fit whole (held exits count); it is denied whole, never without its exits", () => {
    const t = setup({ defaultStrategy: { maxOpenOrders: 2 } });
    const b = bracket(t);
    expect(b.r.code).toBe("DENIED");
    expect(t.denial(b.entry)).toBe(RiskReason.MAX_OPEN_ORDERS_STRATEGY);
    expect(t.events.find((e) => e.type === "OrderDenied")).toMatchObject({
      reason: "strategy has 0 open orders (working or held); 3 more would exceed max 2",
    });
    // The entry's denial closes its exits (canceled as its contingent children); none is held.
    for (const o of [b.tp, b.sl]) {
      expect(o.isClosed()).toBe(true);
      expect(t.engine.cache.isHeld(o)).toBe(false);
    }
    expect(t.venue.orders.size).toBe(0); // nothing reached the venue

    const u = setup({ defaultStrategy: { maxOpenOrders: 4 } }, { maxOpenOrders: 3 });
    const ok = bracket(u);
    expect(ok.r.ok).toBe(true);
    expect([ok.entry.status, u.engine.cache.isHeld(ok.tp), u.engine.cache.isHeld(ok.sl)]).toEqual([
      OrderStatus.Accepted,
      true,
      true,
    ]);
    const extra = u.order({ price: u.px("98.00") });
    u.submit(extra); // 1 working + 2 held = 3 = account max
    expect(u.denial(extra)).toBe(RiskReason.MAX_OPEN_ORDERS_ACCOUNT);
    // A single contingent child that does not fit is denied before it is held.
    const child = u.order({
      side: OrderSide.Sell,
      price: u.px("105.00"),
      parentOrderId: ok.entry.clientOrderId,
    });
    u.submit(child);
    expect(u.denial(child)).toBe(RiskReason.MAX_OPEN_ORDERS_ACCOUNT);
    expect(u.engine.cache.isHeld(child)).toBe(false);
    // The entry fills: the exits go to the venue (TP) / the emulator (SL); still 2 open.
    u.venue.fill(ok.entry.clientOrderId.value, u.px("99.00"));
    expect(ok.tp.status).toBe(OrderStatus.Accepted);
    const next = u.order({ price: u.px("98.00") });
    u.submit(next);
    expect(u.denial(next)).toBeNull(); // TP working + SL held + next = 3
  });

  it("self-trade prevention considers held priced orders (they rest once released)", () => {
    const t = setup();
    const b = bracket(t, "99.00", "104.00");
    expect(t.engine.cache.isHeld(b.tp)).toBe(true);
    const cross = t.order({ price: t.px("104.00") });
    t.submit(cross);
    expect(t.denial(cross)).toBe(RiskReason.SELF_TRADE);
    expect(
      t.events.find((e) => e.type === "OrderDenied" && e.clientOrderId === cross.clientOrderId),
    ).toMatchObject({
      reason: `buy at 104.00 would cross our own held sell ${b.tp.clientOrderId} at 104.00 (released on trigger or parent fill)`,
    });
    const below = t.order({ price: t.px("103.99") });
    t.submit(below);
    expect(t.denial(below)).toBeNull();
    // (the held stop-market SL has no resting price: it does not block the buy at 103.99)
    // Once the held order is gone, the same buy passes.
    t.cancel(b.tp.clientOrderId.value);
    const again = t.order({ price: t.px("104.50") });
    t.submit(again);
    expect(t.denial(again)).toBeNull();
  });

  it("started on an engine that already has orders and positions (a restart), it counts them", () => {
    const n = makeNode();
    const a = n.order({ quantity: n.qty("1") });
    n.submit(a);
    n.venue.fill(a.clientOrderId.value, n.px("100.00")); // long 1
    const resting = n.order({ side: OrderSide.Sell, price: n.px("105.00"), quantity: n.qty("0.5") });
    n.submit(resting);
    const held = n.order({
      side: OrderSide.Sell,
      type: OrderType.StopMarket,
      price: null,
      triggerPrice: n.px("90.00"),
    });
    n.submit(held);
    const risk = new RiskEngine(n.engine, {
      accounts: [{ accountId: n.venue.accountId, venue: "SIM", type: AccountType.Cash, currency: usdt }],
      defaultStrategy: { maxOpenOrders: 3 },
    });
    n.kernel.add(risk);
    risk.setFreeBalance("SIM", Money.parse("1000000", usdt));
    risk.setFreeBalance("SIM", Money.parse("100", currency("BTC")));
    risk.setReferencePrice(n.inst.id, n.px("100.00"));
    const code = (o: Order) => risk.checkSubmit(o);
    expect(code(n.order({ price: n.px("105.00") }))).toBe(RiskReason.SELF_TRADE); // the resting sell
    expect(code(n.order({ side: OrderSide.Sell, reduceOnly: true, quantity: n.qty("1.5") }))).toBe(
      RiskReason.REDUCE_ONLY_VIOLATION, // the position is 1, not 0
    );
    expect(code(n.order({ side: OrderSide.Sell, reduceOnly: true, price: n.px("104.00") }))).toBeNull();
    n.submit(n.order({ price: n.px("99.00") })); // third open order (resting + held + this)
    const fourth = n.order({ price: n.px("98.00") });
    expect(code(fourth)).toBe(RiskReason.MAX_OPEN_ORDERS_STRATEGY);
  });

  it("throttle per strategy and per account (token bucket on the clock)", () => {
    const t = setup(
      { defaultStrategy: { throttle: { capacity: 2, perSecond: 1 } } },
      { throttle: { capacity: 3, perSecond: 1 } },
    );
    const s = [t.order(), t.order(), t.order()];
    for (const o of s) t.submit(o);
    expect(s.map((o) => t.denial(o))).toEqual([null, null, RiskReason.THROTTLE_STRATEGY]);
    const other = [
      t.order({ strategyId: new StrategyId("S-2") }),
      t.order({ strategyId: new StrategyId("S-2") }),
    ];
    for (const o of other) t.submit(o);
    expect(other.map((o) => t.denial(o))).toEqual([null, RiskReason.THROTTLE_ACCOUNT]);
    t.clock.advanceTo(t.clock.timestampUs() + 1_000_000);
    const later = t.order();
    t.submit(later);
    expect(t.denial(later)).toBeNull();
  });

  it("reduce-only passes when it reduces; REDUCING lets only reducing orders through", () => {
    const t = setup();
    t.fillOrder(t.order({ quantity: t.qty("2") }), "100.00");
    const ro = t.order({
      side: OrderSide.Sell,
      quantity: t.qty("1"),
      reduceOnly: true,
      price: t.px("100.00"),
    });
    expect(t.risk.checkSubmit(ro)).toBeNull();
    const tooBig = t.order({ side: OrderSide.Sell, quantity: t.qty("3"), reduceOnly: true });
    expect(t.risk.checkSubmit(tooBig)).toBe(RiskReason.REDUCE_ONLY_VIOLATION);
    expect(
      t.kernel.bus.request(Endpoints.risk, {
        type: "SetTradingState",
        scope: "global",
        target: null,
        state: TradingState.Reducing,
        operator: "ops",
        token: "",
        reason: "test",
      }),
    ).toBe(true);
    expect(t.risk.checkSubmit(t.order())).toBe(RiskReason.TRADING_REDUCING);
    expect(t.risk.checkSubmit(ro)).toBeNull();
  });

  it("HALTED denies everything except the kill switch's flatten orders", () => {
    const t = setup();
    t.fillOrder(t.order({ quantity: t.qty("1") }), "100.00");
    t.risk.halt("test");
    expect(t.risk.checkSubmit(t.order())).toBe(RiskReason.TRADING_HALTED);
    const flat = t.order({
      side: OrderSide.Sell,
      type: OrderType.Market,
      price: null,
      reduceOnly: true,
      tags: [FLATTEN_TAG],
    });
    expect(t.risk.checkSubmit(flat)).toBeNull();
    const notReduceOnly = t.order({
      side: OrderSide.Sell,
      type: OrderType.Market,
      price: null,
      tags: [FLATTEN_TAG],
    });
    expect(t.risk.checkSubmit(notReduceOnly)).toBe(RiskReason.TRADING_HALTED);
  });

  it("a modify is checked too: band, increment, max position; denial changes nothing", () => {
    const t = setup({ defaultInstrument: { priceBandBps: 500, maxPosition: "3" } });
    const o = t.order({ quantity: t.qty("2") });
    t.submit(o);
    expect(t.modify(o.clientOrderId.value, null, t.px("120.00")).code).toBe("MODIFY_DENIED");
    expect(t.events.at(-1)).toMatchObject({ type: "OrderModifyRejected" });
    expect(o.price?.toString()).toBe("100.00");
    expect(t.modify(o.clientOrderId.value, t.qty("3.5"), null).code).toBe("MODIFY_DENIED");
    expect(t.risk.lastDenialCode).toBe(RiskReason.MAX_POSITION);
    expect(t.modify(o.clientOrderId.value, t.qty("3"), null).ok).toBe(true);
    expect(o.quantity.toString()).toBe("3.000");
  });

  it("bad values reaching the gate directly are denied, not thrown", () => {
    const t = setup();
    const o = t.order();
    (o as { quantity: Quantity }).quantity = { raw: Number.NaN, precision: 3 } as unknown as Quantity;
    expect(t.risk.checkSubmit(o)).toBe(RiskReason.QUANTITY_INVALID);
    const p = t.order();
    (p as { price: Price | null }).price = { raw: -100, precision: 2 } as unknown as Price;
    expect(t.risk.checkSubmit(p)).toBe(RiskReason.PRICE_INVALID);
    const inf = t.order();
    (inf as { price: Price | null }).price = {
      raw: Number.POSITIVE_INFINITY,
      precision: 2,
    } as unknown as Price;
    expect(t.risk.checkSubmit(inf)).toBe(RiskReason.PRICE_INVALID);
  });
});

describe("post-trade limits and the kill switch", () => {
  it("daily loss limit: trip cancels all open orders, sets HALTED, emits the cause", () => {
    const t = setup({}, { startingEquity: "10000", dailyLossLimit: "50" });
    t.fillOrder(t.order({ quantity: t.qty("10") }), "100.00");
    const resting = t.order({ price: t.px("90.00") });
    t.submit(resting);
    t.risk.setReferencePrice(t.inst.id, t.px("95.00")); // unrealized -50
    t.clock.advanceTo(t.clock.timestampUs() + 1_000_000);
    const trip = t.riskEvents.find((e) => e.type === "RiskTripped") as RiskTripped;
    expect(trip).toMatchObject({
      cause: TripCause.DAILY_LOSS_LIMIT,
      scope: "account",
      canceledOrders: 1,
      value: "50.00000000 USDT",
    });
    expect(resting.status).toBe(OrderStatus.Canceled);
    expect(t.risk.stateOf("account", t.venue.accountId.value)).toBe(TradingState.Halted);
    expect(t.risk.checkSubmit(t.order())).toBe(RiskReason.TRADING_HALTED);
    expect(t.riskEvents.some((e) => e.type === "TradingStateChanged" && e.to === TradingState.Halted)).toBe(
      true,
    );
  });

  it("max drawdown from peak equity, with optional flatten", () => {
    const t = setup({}, { startingEquity: "1000", maxDrawdownBps: 200, flattenOnTrip: true });
    t.fillOrder(t.order({ quantity: t.qty("5") }), "100.00");
    t.risk.setReferencePrice(t.inst.id, t.px("104.00")); // +20 → peak 1020
    t.clock.advanceTo(t.clock.timestampUs() + 1_000_000);
    expect(t.risk.accountEquity("SIM").toString()).toBe("1020.00000000 USDT");
    t.risk.setReferencePrice(t.inst.id, t.px("99.90")); // 999.5: dd = 20.5/1020 = 201 bps
    t.clock.advanceTo(t.clock.timestampUs() + 1_000_000);
    const trip = t.risk.trips.at(-1)!;
    expect(trip.cause).toBe(TripCause.MAX_DRAWDOWN);
    expect(trip.flattenOrders).toBe(1);
    expect(t.venue.calls.at(-1)).toMatch(/create FLATTEN-RiskEngine-1 MARKET SELL 5.000/);
  });

  it("consecutive losing round trips (account)", () => {
    const t = setup({}, { startingEquity: "100000", maxConsecutiveLosses: 2 });
    for (let i = 0; i < 2; i++) {
      t.fillOrder(t.order({ quantity: t.qty("1") }), "100.00");
      t.fillOrder(t.order({ side: OrderSide.Sell, quantity: t.qty("1"), price: t.px("99.00") }), "99.00");
    }
    expect(t.risk.trips.at(-1)?.cause).toBe(TripCause.CONSECUTIVE_LOSSES);
    expect(t.risk.stateOf("account", t.venue.accountId.value)).toBe(TradingState.Halted);
  });

  it("a winning trip resets the consecutive-loss count", () => {
    const t = setup({}, { startingEquity: "100000", maxConsecutiveLosses: 2 });
    t.fillOrder(t.order(), "100.00");
    t.fillOrder(t.order({ side: OrderSide.Sell, price: t.px("99.00") }), "99.00");
    t.fillOrder(t.order(), "100.00");
    t.fillOrder(t.order({ side: OrderSide.Sell, price: t.px("101.00") }), "101.00");
    t.fillOrder(t.order(), "100.00");
    t.fillOrder(t.order({ side: OrderSide.Sell, price: t.px("99.00") }), "99.00");
    expect(t.risk.trips).toEqual([]);
  });

  it("per-strategy loss limit halts only that strategy and cancels its orders", () => {
    const t = setup({ strategies: { "S-1": { dailyLossLimit: "5" } } }, { startingEquity: "100000" });
    const other = t.order({ strategyId: new StrategyId("S-2"), price: t.px("80.00") });
    t.submit(other);
    t.fillOrder(t.order({ quantity: t.qty("1") }), "100.00");
    const mine = t.order({ price: t.px("90.00") });
    t.submit(mine);
    t.fillOrder(t.order({ side: OrderSide.Sell, quantity: t.qty("1"), price: t.px("95.00") }), "95.00");
    expect(t.risk.trips.at(-1)).toMatchObject({
      cause: TripCause.STRATEGY_LOSS_LIMIT,
      scope: "strategy",
      target: "S-1",
    });
    expect(mine.status).toBe(OrderStatus.Canceled);
    expect(other.status).toBe(OrderStatus.Accepted);
    expect(t.risk.checkSubmit(t.order())).toBe(RiskReason.STRATEGY_HALTED);
    expect(
      t.risk.checkSubmit(t.order({ strategyId: new StrategyId("S-2"), price: t.px("80.00") })),
    ).toBeNull();
  });

  it("consecutive losses per strategy", () => {
    const t = setup({ defaultStrategy: { maxConsecutiveLosses: 1 } }, { startingEquity: "100000" });
    t.fillOrder(t.order(), "100.00");
    t.fillOrder(t.order({ side: OrderSide.Sell, price: t.px("99.00") }), "99.00");
    expect(t.risk.trips.at(-1)).toMatchObject({ cause: TripCause.CONSECUTIVE_LOSSES, scope: "strategy" });
  });

  it("cooldown after a stop-out blocks new exposure, not reductions, until it expires", () => {
    const t = setup(
      { defaultStrategy: { cooldownAfterStopOutUs: 60_000_000 } },
      { startingEquity: "100000" },
    );
    t.fillOrder(t.order({ quantity: t.qty("2") }), "100.00");
    const stop = t.order({
      side: OrderSide.Sell,
      type: OrderType.StopMarket,
      price: null,
      triggerPrice: t.px("95.00"),
      quantity: t.qty("1"),
    });
    t.submit(stop);
    t.quote("94.99", "95.00");
    t.venue.fill(stop.clientOrderId.value, t.px("95.00"));
    expect(t.risk.trips.at(-1)).toMatchObject({ cause: TripCause.COOLDOWN });
    expect(t.risk.checkSubmit(t.order({ price: t.px("95.00") }))).toBe(RiskReason.COOLDOWN);
    expect(t.risk.checkSubmit(t.order({ side: OrderSide.Sell, price: t.px("95.00") }))).toBeNull();
    t.clock.advanceTo(t.clock.timestampUs() + 60_000_001);
    t.risk.setReferencePrice(t.inst.id, t.px("95.00"));
    expect(t.risk.checkSubmit(t.order({ price: t.px("95.00") }))).toBeNull();
  });

  it("stale market data moves the instrument to REDUCING, fresh data restores it", () => {
    const t = setup({ defaultInstrument: { staleAfterUs: 2_000_000 } });
    t.fillOrder(t.order(), "100.00");
    t.clock.advanceTo(t.clock.timestampUs() + 3_000_000);
    expect(t.risk.stateOf("instrument", t.inst.id.value)).toBe(TradingState.Reducing);
    expect(t.risk.trips.at(-1)).toMatchObject({
      cause: TripCause.STALE_DATA,
      scope: "instrument",
      target: t.inst.id.value,
    });
    expect(t.risk.checkSubmit(t.order())).toBe(RiskReason.TRADING_REDUCING);
    expect(t.risk.checkSubmit(t.order({ side: OrderSide.Sell }))).toBeNull();
    t.trade("100.00");
    expect(t.risk.stateOf("instrument", t.inst.id.value)).toBe(TradingState.Active);
    expect(t.risk.checkSubmit(t.order())).toBeNull();
  });

  it("only an authorised command resumes; refusals are events", () => {
    const t = setup(
      { authorize: (op, token) => op === "alice" && token === "s3cret" },
      { startingEquity: "10000", dailyLossLimit: "5" },
    );
    t.fillOrder(t.order({ quantity: t.qty("1") }), "100.00");
    t.fillOrder(t.order({ side: OrderSide.Sell, quantity: t.qty("1"), price: t.px("90.00") }), "90.00");
    expect(t.risk.trips.at(-1)?.cause).toBe(TripCause.DAILY_LOSS_LIMIT);
    const resume = (operator: string, token: string) =>
      t.risk.handleCommand({
        type: "ResumeTrading",
        scope: "global",
        target: null,
        operator,
        token,
        reason: "reviewed",
      });
    expect(resume("mallory", "guess")).toBe(false);
    expect(t.riskEvents.at(-1)).toMatchObject({ type: "RiskCommandRefused", code: "RISK_UNAUTHORISED" });
    expect(t.risk.checkSubmit(t.order())).toBe(RiskReason.TRADING_HALTED);
    expect(resume("alice", "s3cret")).toBe(true);
    expect(t.risk.stateOf("account", t.venue.accountId.value)).toBe(TradingState.Active);
    expect(t.risk.handleCommand({ type: "Nope" } as never)).toBe(false);
    expect(
      t.risk.handleCommand({
        type: "ResumeTrading",
        scope: "strategy",
        target: "UNKNOWN",
        operator: "alice",
        token: "s3cret",
        reason: "",
      }),
    ).toBe(false);
  });

  it("with no authoriser configured, every resume is refused (fail closed)", () => {
    const t = setup();
    t.risk.halt("manual");
    expect(
      t.risk.handleCommand({
        type: "ResumeTrading",
        scope: "global",
        target: null,
        operator: "root",
        token: "x",
        reason: "",
      }),
    ).toBe(false);
    expect(t.risk.tradingState).toBe(TradingState.Halted);
    expect(t.risk.trips.at(-1)?.cause).toBe(TripCause.MANUAL);
  });
});

describe("portfolio VaR per account", () => {
  it("samples equity on the clock and answers historical and parametric VaR", () => {
    const t = setup({ varSampleIntervalUs: 1_000_000, varWindow: 50 }, { startingEquity: "10000" });
    t.fillOrder(t.order({ quantity: t.qty("10") }), "100.00");
    const path = ["100.00", "99.00", "101.00", "97.00", "98.00", "96.00", "100.00", "95.00"];
    for (const p of path) {
      t.risk.setReferencePrice(t.inst.id, t.px(p));
      t.clock.advanceTo(t.clock.timestampUs() + 1_000_000);
    }
    const h = t.risk.valueAtRisk("SIM", 0.9, "historical");
    expect(h.samples).toBe(path.length - 1);
    expect(h.var).toBe(50); // worst one-period loss: 100.00 → 95.00 on 10 units
    expect(t.risk.valueAtRisk("SIM", 0.95, "parametric").expectedShortfall).toBeGreaterThan(0);
    expect(() => t.risk.valueAtRisk("NOPE", 0.9)).toThrow(/no VaR window/);
  });
});

describe("risk config validation", () => {
  it("rejects malformed limits with the field name", () => {
    const n = makeNode();
    expect(
      () =>
        new RiskEngine(n.engine, {
          accounts: [
            {
              accountId: n.venue.accountId,
              venue: "SIM",
              type: AccountType.Cash,
              currency: usdt,
              maxGrossExposure: "lots",
            },
          ],
        }),
    ).toThrow(/maxGrossExposure "lots"/);
    expect(
      () =>
        new RiskEngine(n.engine, {
          accounts: [
            {
              accountId: n.venue.accountId,
              venue: "SIM",
              type: AccountType.Cash,
              currency: usdt,
              dailyLossLimit: "-5",
            },
          ],
        }),
    ).toThrow(/must not be negative/);
  });
});
