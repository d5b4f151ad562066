import { describe, expect, it } from "vitest";
import { currency } from "../model/currency.js";
import { Bar, BarAggregation, BarSpecification, BarType, MarkPriceUpdate } from "../model/data.js";
import { AccountType, OrderSide, PriceType } from "../model/enums.js";
import type { OrderEvent, PositionEvent } from "../model/events.js";
import { AccountId, InstrumentId } from "../model/identifiers.js";
import { CryptoPerpetual } from "../model/instruments.js";
import { Price, Quantity } from "../model/values.js";
import { Strategy } from "../strategy/strategy.js";
import { type BacktestConfig, BacktestEngine } from "./engine.js";

const ID = InstrumentId.parse("BTCUSDT-PERP.SIM");
const PERP = new CryptoPerpetual({
  id: ID,
  baseCurrency: currency("BTC"),
  quoteCurrency: currency("USDT"),
  settlementCurrency: currency("USDT"),
  priceIncrement: "0.1",
  sizeIncrement: "0.001",
  marginInit: "0.1",
  marginMaint: "0.05",
  makerFee: "0.0002",
  takerFee: "0.0005",
});
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
