import { describe, expect, it } from "vitest";
import { currency } from "../model/currency.js";
import {
  Bar,
  BarAggregation,
  BarSpecification,
  BarType,
  type MarketData,
  MarkPriceUpdate,
  QuoteTick,
  TradeTick,
} from "../model/data.js";
import { AccountType, AggressorSide, OrderSide, PriceType } from "../model/enums.js";
import type { OrderEvent, PositionEvent } from "../model/events.js";
import { AccountId, InstrumentId } from "../model/identifiers.js";
import { btcUsdtPerp } from "../model/testing.js";
import { Price, Quantity } from "../model/values.js";
import { Strategy } from "../strategy/strategy.js";
import { type BacktestConfig, BacktestEngine } from "./engine.js";

const ID = InstrumentId.parse("BTCUSDT-PERP.SIM");
const PERP = btcUsdtPerp(ID, { priceIncrement: "0.1", marginInit: "0.1", marginMaint: "0.05" });
const BT = new BarType(ID, new BarSpecification(1, BarAggregation.Minute, PriceType.Last));
const MIN = 60_000_000;
const T0 = 1_700_000_000_000_000 - (1_700_000_000_000_000 % MIN);

function bar(i: number, o: string, h: string, l: string, c: string): Bar {
  const p = (s: string) => Price.parse(s, 1);
  return new Bar(
    BT,
    p(o),
    p(h),
    p(l),
    p(c),
    Quantity.parse("10"),
    T0 + i * MIN,
    T0 + (i + 1) * MIN,
    T0 + (i + 1) * MIN,
  );
}

/** Runs `plan(strategy, barIndex)` on each bar; records events. */
class Scripted extends Strategy {
  readonly orderEvents: OrderEvent[] = [];
  readonly positionEvents: PositionEvent[] = [];
  private i = 0;
  constructor(private readonly plan: (s: Scripted, i: number) => void) {
    super("S-1", {});
  }
  protected override onStrategyStart(): void {
    this.subscribeBars(BT);
  }
  protected override onBar(): void {
    this.plan(this, this.i++);
  }
  protected override onOrderEvent(e: OrderEvent): void {
    this.orderEvents.push(e);
  }
  protected override onPositionEvent(e: PositionEvent): void {
    this.positionEvents.push(e);
  }
  // Expose the protected helpers to the plans.
  bracket(qty: string, tp: string, sl: string) {
    return this.submitBracket(ID, OrderSide.Buy, qty, tp, sl);
  }
  buyMarket(qty: string) {
    return this.buy(ID, qty);
  }
  sellMarket(qty: string, reduceOnly = false) {
    return this.market(ID, OrderSide.Sell, qty, { reduceOnly });
  }
}

function engine(extra: Partial<BacktestConfig> = {}) {
  return new BacktestEngine({
    venues: [
      {
        name: "SIM",
        accountType: "margin",
        startingBalances: ["1000 USDT"],
        fillModel: "bars",
        leverage: 10,
      },
    ],
    instruments: [PERP],
    equitySampleUs: MIN,
    ...extra,
  });
}

describe("backtest engine, hand-computed scenarios", () => {
  it("bracket: entry at the next open, stop-loss triggered inside a later bar, take-profit canceled (OCO), fees", async () => {
    const e = engine();
    const s = new Scripted((st, i) => {
      if (i === 0) st.bracket("0.010", "110.0", "95.0");
    });
    e.addStrategy(s);
    const r = await e.run([
      bar(0, "100.0", "101.0", "99.0", "100.0"),
      bar(1, "100.0", "104.0", "99.0", "103.0"), // entry fills at the open 100.0
      bar(2, "103.0", "104.0", "94.0", "96.0"), // low 94 crosses the 95 stop: fills at 95.0
      bar(3, "96.0", "120.0", "96.0", "118.0"), // the take-profit was canceled: no fill at 110
    ]);
    expect(
      r.fills.map((f) => `${f.orderSide} ${f.lastQty}@${f.lastPx} fee ${f.commission.toDecimalString()}`),
    ).toEqual([
      "BUY 0.010@100.0 fee 0.00050000", // taker 0.0005 × 1.000
      "SELL 0.010@95.0 fee 0.00047500", // stop → market: taker 0.0005 × 0.950
    ]);
    const tp = r.orders.find((o) => o.price?.toString() === "110.0");
    expect(tp?.status).toBe("CANCELED");
    expect(r.trades).toHaveLength(1);
    // (95 − 100) × 0.010 − fees 0.000975 = −0.050975
    expect(r.trades[0].pnl).toBe("-0.05097500");
    expect(r.finalEquity.toDecimalString()).toBe("999.94902500");
    expect(s.positionEvents.map((p) => p.type)).toEqual(["PositionOpened", "PositionClosed"]);
  });

  it("a strategy resumed after used order ids continues after them, never going back", async () => {
    const e = engine();
    const s = new Scripted((st, i) => {
      if (i === 0) st.buyMarket("0.010");
    });
    s.resumeOrderIdsAfter(41);
    s.resumeOrderIdsAfter(7); // never back
    expect(() => s.resumeOrderIdsAfter(-1)).toThrow(/not a non-negative integer/);
    e.addStrategy(s);
    const r = await e.run([
      bar(0, "100.0", "101.0", "99.0", "100.0"),
      bar(1, "100.0", "101.0", "99.0", "100.0"),
    ]);
    expect(r.orders.map((o) => o.clientOrderId.toString())).toEqual(["S-1-42"]);
  });

  it("a reduce-only order that would increase the position is rejected with a reason", async () => {
    const e = engine();
    const s = new Scripted((st, i) => {
      if (i === 0) st.sellMarket("0.010", true);
    });
    e.addStrategy(s);
    const r = await e.run([
      bar(0, "100.0", "101.0", "99.0", "100.0"),
      bar(1, "100.0", "101.0", "99.0", "100.0"),
    ]);
    expect(r.fills).toHaveLength(0);
    const rej = s.orderEvents.find((ev) => ev.type === "OrderRejected");
    expect(rej?.type).toBe("OrderRejected");
    expect(rej && "reason" in rej ? rej.reason : "").toMatch(/reduce/i);
  });

  it("liquidates a position when equity falls to the maintenance margin", async () => {
    // A heavier position: 0.1 BTC at 10000 (1000 notional) with 1000 USDT: equity hits
    // maintenance (5 % of notional) when the price falls about 95 %.
    const e2 = engine();
    e2.addStrategy(
      new Scripted((st, i) => {
        if (i === 0) st.buyMarket("0.100");
      }),
    );
    const r = await e2.run([
      bar(0, "10000.0", "10000.0", "10000.0", "10000.0"),
      bar(1, "10000.0", "10000.0", "10000.0", "10000.0"),
      bar(2, "10000.0", "10000.0", "200.0", "200.0"), // equity 1000 − 980 − fee = ~19.5 > 1.0
      bar(3, "200.0", "200.0", "10.0", "10.0"), // equity 999.5 − 999 = 0.5 > maintenance 0.05
      bar(4, "10.0", "10.0", "5.0", "5.0"), // equity 0 ≤ maintenance 0.025 at the close → liquidation
      bar(5, "5.0", "6.0", "4.0", "5.5"), // the liquidation order fills at this open
    ]);
    expect(e2.liquidations).toHaveLength(1);
    const liq = r.fills.find((f) => f.clientOrderId.value.startsWith("LIQ-"));
    expect(liq?.orderSide).toBe(OrderSide.Sell);
    expect(liq?.lastPx.toString()).toBe("5.0");
    expect(e2.liquidations[0]).toMatchObject({ equity: "0.00000000", maintenance: "0.02500000" });
    expect(r.positions.every((p) => !p.isOpen)).toBe(true);
  });

  it("the risk engine gates every order when configured", async () => {
    const e = engine({
      risk: {
        accounts: [
          {
            accountId: new AccountId("SIM-001"),
            venue: "SIM",
            type: AccountType.Margin,
            currency: currency("USDT"),
            startingEquity: "1000",
            maxOrderNotional: "5",
          },
        ],
      },
    });
    const s = new Scripted((st, i) => {
      if (i === 0) st.buyMarket("0.100"); // 10 USDT notional > 5
    });
    e.addStrategy(s);
    const r = await e.run([
      bar(0, "100.0", "101.0", "99.0", "100.0"),
      bar(1, "100.0", "101.0", "99.0", "100.0"),
    ]);
    expect(r.fills).toHaveLength(0);
    const denied = s.orderEvents.find((ev) => ev.type === "OrderDenied");
    expect(denied?.type).toBe("OrderDenied");
  });

  it("refuses out-of-order data, naming the event", async () => {
    const e = engine();
    e.addStrategy(new Scripted(() => {}));
    await expect(
      e.run([bar(1, "1.0", "1.0", "1.0", "1.0"), bar(0, "1.0", "1.0", "1.0", "1.0")]),
    ).rejects.toThrow(/event 1 \(Bar BTCUSDT-PERP.SIM\) at .* is before the previous event/);
  });

  it("applies perpetual funding at the announced time: longs pay a positive rate", async () => {
    const e = engine();
    e.addStrategy(
      new Scripted((st, i) => {
        if (i === 0) st.buyMarket("0.100");
      }),
    );
    const mark = (t: number, px: string, rate: string | null, next: number | null) =>
      new MarkPriceUpdate(ID, Price.parse(px, 1), null, rate, next, t, t);
    const fundingAt = T0 + 3 * MIN;
    const r = await e.run([
      bar(0, "100.0", "100.0", "100.0", "100.0"),
      bar(1, "100.0", "100.0", "100.0", "100.0"), // long 0.1 @ 100.0
      mark(T0 + 2 * MIN + 1, "100.0", "0.0001", fundingAt),
      mark(T0 + 2 * MIN + 2, "100.0", "0.0002", fundingAt), // revised estimate wins
      mark(fundingAt, "110.0", "0.0001", fundingAt + 8 * 60 * MIN), // funding time: mark 110
    ]);
    // 0.1 × 110 × 0.0002 = 0.0022 paid by the long
    expect(e.fundingPayments).toEqual([
      {
        ts: fundingAt,
        instrumentId: ID.value,
        positionId: expect.any(String),
        rate: "0.0002",
        amount: "-0.00220000",
      },
    ]);
    // 1000 − fee 0.005 (0.1 × 100 × 0.0005) − funding 0.0022; equity is marked at the last
    // trade/bar price (100.0), not the mark price.
    expect(r.finalEquity.toDecimalString()).toBe("999.99280000");
  });
});

describe("market data latency", () => {
  const trade = (t: number, px: string) =>
    new TradeTick(
      ID,
      Price.parse(px, 1),
      Quantity.parse("0.010"),
      AggressorSide.Buyer,
      `t${t}`,
      T0 + t,
      T0 + t,
    );
  const quote = (t: number, ask: string) =>
    new QuoteTick(
      ID,
      Price.parse("99.0", 1),
      Price.parse(ask, 1),
      Quantity.parse("5"),
      Quantity.parse("5"),
      T0 + t,
      T0 + t,
    );

  /** Records when it sees each trade; buys 0.010 on the first one. */
  class Watcher extends Strategy {
    readonly seen: [number, number][] = [];
    constructor() {
      super("W-1", {});
    }
    protected override onStrategyStart(): void {
      this.subscribeTrades(ID);
      this.subscribeQuotes(ID);
    }
    protected override onTrade(t: TradeTick): void {
      this.seen.push([t.tsEvent - T0, this.now() - T0]);
      if (this.seen.length === 1) this.buy(ID, "0.010");
    }
  }

  const run = async (latency: BacktestConfig["venues"][number]["latency"], seed = 1) => {
    const e = new BacktestEngine({
      seed,
      venues: [
        { name: "SIM", accountType: "margin", startingBalances: ["1000 USDT"], fillModel: "trades", latency },
      ],
      instruments: [PERP],
    });
    const w = new Watcher();
    e.addStrategy(w);
    const r = await e.run([quote(0, "100.0"), trade(1, "100.0"), quote(500, "101.0"), trade(2_000, "101.0")]);
    return { seen: w.seen, fills: r.fills.map((f) => `${f.lastPx}@${f.tsEvent - T0}`) };
  };

  it("strategies see data later by a constant; their orders meet the book of that later time", async () => {
    expect(await run(undefined)).toEqual({
      seen: [
        [1, 1],
        [2_000, 2_000],
      ],
      fills: ["100.0@1"],
    });
    const r = await run({ entryUs: 0, ackUs: 0, jitterUs: 0, marketDataUs: 1_000 });
    expect(r.seen).toEqual([
      [1, 1_001],
      [2_000, 3_000], // the last event still reaches the strategy: the run ends after it
    ]);
    expect(r.fills).toEqual(["101.0@1001"]); // the ask moved to 101.0 at 500, before it decided
  });

  it("seeded jitter: within [constant, constant + jitter], never reordered, same seed same times", async () => {
    const lat = { entryUs: 0, ackUs: 0, jitterUs: 0, marketDataUs: 1_000, marketDataJitterUs: 5_000 };
    const a = await run(lat, 3);
    expect(a).toEqual(await run(lat, 3));
    for (const [ts, at] of a.seen) expect(at - ts).toBeGreaterThanOrEqual(1_000);
    expect(a.seen[0][1] - a.seen[0][0]).toBeLessThanOrEqual(6_000);
    expect(a.seen[1][1]).toBeGreaterThanOrEqual(a.seen[0][1]);
    const others = await Promise.all([4, 5, 6, 7].map((s) => run(lat, s)));
    expect(new Set([a, ...others].map((r) => r.seen[0][1])).size).toBeGreaterThan(1);
  });

  it("a negative market data latency is refused", () => {
    expect(
      () =>
        new BacktestEngine({
          venues: [
            {
              name: "SIM",
              accountType: "margin",
              startingBalances: ["1000 USDT"],
              fillModel: "trades",
              latency: { entryUs: 0, ackUs: 0, jitterUs: 0, marketDataUs: -1 },
            },
          ],
          instruments: [PERP],
        }),
    ).toThrow(/marketDataUs must be a non-negative integer/);
  });
});

describe("finer bars for fills (fillBars)", () => {
  const BT2 = new BarType(ID, new BarSpecification(2, BarAggregation.Minute, PriceType.Last));
  const bar2 = (i: number, o: string, h: string, l: string, c: string) => {
    const p = (s: string) => Price.parse(s, 1);
    const open = T0 + i * MIN;
    return new Bar(BT2, p(o), p(h), p(l), p(c), Quantity.parse("10"), open, open + 2 * MIN, open + 2 * MIN);
  };
  /** Trades 2-minute bars: on the first one, a buy stop at 104 and a sell stop at 97. */
  class TwoStops extends Strategy {
    bars = 0;
    constructor() {
      super("S-2", {});
    }
    protected override onStrategyStart(): void {
      this.subscribeBars(BT2);
    }
    protected override onBar(): void {
      if (this.bars++ > 0) return;
      this.submitStop(ID, OrderSide.Buy, "0.010", "104.0");
      this.submitStop(ID, OrderSide.Sell, "0.010", "97.0");
    }
  }
  const run = async (fillBars: string | undefined) => {
    const e = new BacktestEngine({
      venues: [
        {
          name: "SIM",
          accountType: "margin",
          startingBalances: ["1000 USDT"],
          fillModel: "bars",
          leverage: 10,
          fillBars,
        },
      ],
      instruments: [PERP],
    });
    e.addStrategy(new TwoStops());
    // Minute bars 2 and 3 go down to 95 first, then up to 105; the 2-minute bar over them
    // (open nearer the high) would walk up first.
    const r = await e.run([
      bar(0, "100.0", "100.0", "100.0", "100.0"),
      bar(1, "100.0", "100.0", "100.0", "100.0"),
      bar2(0, "100.0", "100.0", "100.0", "100.0"),
      bar(2, "101.0", "101.0", "95.0", "96.0"),
      bar(3, "96.0", "105.0", "96.0", "100.0"),
      bar2(2, "101.0", "105.0", "95.0", "100.0"),
    ]);
    return r.fills.map((f) => `${f.orderSide} ${f.lastPx}`);
  };

  it("the venue fills on the finer bars' paths while the strategy trades the coarse bars", async () => {
    expect(await run("1-MINUTE-LAST")).toEqual(["SELL 97.0", "BUY 104.0"]);
    expect(await run("2-MINUTE-LAST")).toEqual(["BUY 104.0", "SELL 97.0"]);
  });
});

describe("order retention on a long market-making run (Binance USD-M capture)", () => {
  it("drops closed orders' events or forgets old orders without changing any fill or the equity", async () => {
    const { readMarketData } = await import("../data/files/index.js");
    const { MarketMaker } = await import("../strategy/builtin/market-maker.js");
    const id = InstrumentId.parse("BTCUSDT-PERP.BINANCE");
    const perp = btcUsdtPerp(id);
    const data: MarketData[] = [];
    for await (const rec of readMarketData([
      "../shared/data/orderbook/hftbacktest_binance-usdm_btcusdt_20240808.gz",
    ]))
      data.push(rec.data);
    data.sort((a, b) => a.tsEvent - b.tsEvent);
    const run = async (orderRetention?: BacktestConfig["orderRetention"]) => {
      const engine = new BacktestEngine({
        venues: [
          {
            name: "BINANCE",
            accountType: "margin",
            startingBalances: ["100000 USDT"],
            fillModel: "l2",
            leverage: 10,
          },
        ],
        instruments: [perp],
        orderRetention,
      });
      engine.addStrategy(new MarketMaker("MM", { instrument: id.value, size: "0.010" }));
      return engine.run(data);
    };
    const fillsOf = (r: Awaited<ReturnType<typeof run>>) =>
      r.fills.map((f) => `${f.clientOrderId}|${f.lastPx}|${f.lastQty}|${f.commission}|${f.tsEvent}`);
    const full = await run({});
    const compact = await run();
    const again = await run();
    const bounded = await run({ dropClosedEvents: true, maxClosedOrders: 50 });
    expect(full.fills.length).toBeGreaterThan(100);
    for (const r of [compact, again, bounded]) {
      expect(fillsOf(r)).toEqual(fillsOf(full));
      expect(r.equityCurve).toEqual(full.equityCurve);
      expect(r.finalEquity.toString()).toBe(full.finalEquity.toString());
      expect(r.trades).toEqual(full.trades);
    }
    // Default: every order listed, closed ones without their event list.
    expect(compact.orders.map((o) => [o.clientOrderId.value, o.status, o.filledQty.raw])).toEqual(
      full.orders.map((o) => [o.clientOrderId.value, o.status, o.filledQty.raw]),
    );
    expect(compact.ordersForgotten).toBe(0);
    expect(compact.orders.filter((o) => o.isClosed()).every((o) => o.events.length === 0)).toBe(true);
    expect(full.orders.every((o) => o.events.length > 0)).toBe(true);
    // Bounded: the most recently closed 50 and the open ones are listed, the rest counted.
    const closedFull = full.orders.filter((o) => o.isClosed()).length;
    expect(bounded.orders.filter((o) => o.isClosed())).toHaveLength(50);
    expect(bounded.ordersForgotten).toBe(closedFull - 50);
    expect(bounded.orders.length + bounded.ordersForgotten).toBe(full.orders.length);
  }, 60_000);
});
