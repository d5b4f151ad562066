import { describe, expect, it } from "vitest";
import { IdGenerator } from "../core/rng.js";
import { currency } from "../model/currency.js";
import { LiquiditySide, OrderSide, OrderType, PositionSide } from "../model/enums.js";
import type { OrderFilled } from "../model/events.js";
import { AccountId, ClientOrderId, InstrumentId, StrategyId, VenueOrderId } from "../model/identifiers.js";
import { CryptoPerpetual, CurrencyPair, type Instrument } from "../model/instruments.js";
import { Money, Price } from "../model/values.js";
import { CashAccount, MarginAccount } from "./account.js";
import { Portfolio } from "./portfolio.js";

const USDT = currency("USDT");
const BTC = currency("BTC");
const EUR = currency("EUR");
const USD = currency("USD");

const SPOT = new CurrencyPair({
  id: InstrumentId.parse("BTCUSDT.BINANCE"),
  baseCurrency: BTC,
  quoteCurrency: USDT,
  priceIncrement: "0.01",
  sizeIncrement: "0.00001",
  takerFee: "0.001",
});
const PERP = new CryptoPerpetual({
  id: InstrumentId.parse("BTCUSDT-PERP.BINANCE"),
  baseCurrency: BTC,
  quoteCurrency: USDT,
  settlementCurrency: USDT,
  priceIncrement: "0.10",
  sizeIncrement: "0.001",
  marginInit: "0.01",
  marginMaint: "0.005",
});

const strategy = new StrategyId("S-1");
const cashId = new AccountId("BINANCE-SPOT");
const marginId = new AccountId("BINANCE-FUT");
let n = 0;

function fill(
  instrument: Instrument,
  account: AccountId,
  side: OrderSide,
  qty: string,
  px: string,
  fee: string,
): OrderFilled {
  n++;
  return {
    type: "OrderFilled",
    eventId: `F-${n}`,
    tsEvent: 1_000_000 * n,
    tsInit: 1_000_000 * n,
    strategyId: strategy,
    instrumentId: instrument.id,
    clientOrderId: new ClientOrderId(`O-${n}`),
    accountId: account,
    venueOrderId: new VenueOrderId(`V-${n}`),
    tradeId: `T-${n}`,
    positionId: null,
    orderSide: side,
    orderType: OrderType.Market,
    lastQty: instrument.makeQuantity(qty),
    lastPx: instrument.makePrice(px),
    commission: Money.parse(fee, USDT),
    liquiditySide: LiquiditySide.Taker,
  };
}

function setup() {
  const p = new Portfolio(new IdGenerator("T"), USDT);
  const cash = new CashAccount(cashId);
  const margin = new MarginAccount(marginId);
  p.addAccount(cash);
  p.addAccount(margin);
  p.addInstrument(SPOT);
  p.addInstrument(PERP);
  return { p, cash, margin };
}

describe("spot cash account", () => {
  it("moves base and quote, values holdings at the mark and realises PnL on close", () => {
    const { p, cash } = setup();
    cash.deposit(USDT, "100000");
    const e1 = p.onFill(fill(SPOT, cashId, OrderSide.Buy, "0.5", "60000", "30"));
    expect(e1.map((e) => e.type)).toEqual(["PositionOpened"]);
    expect(cash.balance(USDT).toDecimalString()).toBe("69970.00000000");
    expect(cash.balance(BTC).toDecimalString()).toBe("0.50000000");
    p.updateMark(SPOT.id.value, SPOT.makePrice("62000"));
    expect(p.equity(cashId).toDecimalString()).toBe("100970.00000000");
    const e2 = p.onFill(fill(SPOT, cashId, OrderSide.Sell, "0.5", "61000", "30.5"));
    expect(e2[0].type).toBe("PositionClosed");
    expect(e2[0].realizedPnl.toDecimalString()).toBe("500.00000000");
    expect(cash.balance(USDT).toDecimalString()).toBe("100439.50000000");
    expect(cash.balance(BTC).isZero()).toBe(true);
    expect(p.equity(cashId).toDecimalString()).toBe("100439.50000000");
  });

  it("flags an overdrawn balance instead of hiding it", () => {
    const { p, cash } = setup();
    cash.deposit(USDT, "100");
    p.onFill(fill(SPOT, cashId, OrderSide.Buy, "0.01", "60000", "0.6"));
    expect(cash.overdrawn.has("USDT")).toBe(true);
  });

  it("refuses derivatives in a cash account", () => {
    const { p } = setup();
    expect(() => p.onFill(fill(PERP, cashId, OrderSide.Buy, "1", "100", "0"))).toThrow(
      /needs a margin account/,
    );
  });
});

describe("netting positions on a margin account", () => {
  it("averages entries exactly and realises on reduce", () => {
    const { p, margin } = setup();
    margin.deposit(USDT, "10000");
    p.onFill(fill(PERP, marginId, OrderSide.Buy, "1", "100.0", "0.02"));
    const ch = p.onFill(fill(PERP, marginId, OrderSide.Buy, "1", "102.0", "0.0204"));
    expect(ch[0].type).toBe("PositionChanged");
    expect(ch[0].avgPxOpen).toBeCloseTo(101, 12);
    const red = p.onFill(fill(PERP, marginId, OrderSide.Sell, "1.5", "103.0", "0.0309"));
    expect(red[0].realizedPnl.toDecimalString()).toBe("3.00000000");
    const pos = p.position(PERP.id.value, strategy)!;
    expect(pos.signedQty).toBe("0.500");
    expect(pos.avgPxOpen).toBeCloseTo(101, 12);
    expect(pos.unrealizedPnl(PERP.makePrice("100.0")).toDecimalString()).toBe("-0.50000000");
    // Balance: 10000 + 3 realised − fees 0.0713.
    expect(margin.balance(USDT).toDecimalString()).toBe("10002.92870000");
    p.updateMark(PERP.id.value, PERP.makePrice("100.0"));
    expect(p.equity(marginId).toDecimalString()).toBe("10002.42870000");
    expect(p.exposure().grossRaw).toBe(50 * 1e8);
  });

  it("keeps thirds exact: the cost share of an uneven average is rounded once", () => {
    const { p, margin } = setup();
    margin.deposit(USDT, "1000");
    p.onFill(fill(PERP, marginId, OrderSide.Buy, "0.001", "100.0", "0"));
    p.onFill(fill(PERP, marginId, OrderSide.Buy, "0.002", "100.1", "0"));
    const e = p.onFill(fill(PERP, marginId, OrderSide.Sell, "0.001", "100.2", "0"));
    // avg = 100.0666…; pnl = (100.2 − 100.0666…) × 0.001 = 0.000133333… → 0.00013333 USDT
    expect(e[0].realizedPnl.toDecimalString()).toBe("0.00013333");
    const close = p.onFill(fill(PERP, marginId, OrderSide.Sell, "0.002", "100.2", "0"));
    // Total over the round trip is exact: 0.2·0.001 + 0.1·0.002 = 0.0004
    expect(close[0].realizedPnl.toDecimalString()).toBe("0.00040000");
  });

  it("a fill crossing zero closes and reopens, splitting the commission pro rata", () => {
    const { p, margin } = setup();
    margin.deposit(USDT, "1000");
    const o = p.onFill(fill(PERP, marginId, OrderSide.Buy, "1", "100.0", "0"));
    expect(o[0].positionId.value).toBe("P-BTCUSDT-PERP.BINANCE-S-1-1");
    const flip = p.onFill(fill(PERP, marginId, OrderSide.Sell, "3", "110.0", "0.66"));
    expect(flip.map((e) => e.type)).toEqual(["PositionClosed", "PositionOpened"]);
    expect(flip[0].realizedPnl.toDecimalString()).toBe("10.00000000");
    expect(flip[1].positionId.value).toBe("P-BTCUSDT-PERP.BINANCE-S-1-2");
    expect(flip[1].side).toBe(PositionSide.Short);
    expect(flip[1].signedQty).toBe("-2.000");
    expect(margin.balance(USDT).toDecimalString()).toBe("1009.34000000");
    const pos = p.position(PERP.id.value, strategy)!;
    expect(pos.feesInSettlementRaw).toBe(44_000_000);
    expect(p.allPositions()).toHaveLength(2);
  });

  it("computes funding, the liquidation price and flags liquidations", () => {
    const { p, margin } = setup();
    margin.deposit(USDT, "1000");
    p.onFill(fill(PERP, marginId, OrderSide.Buy, "1", "50000.0", "0"));
    const pos = p.position(PERP.id.value, strategy)!;
    expect(margin.applyFunding(pos, PERP.makePrice("50000.0"), "0.0001")).toBe(-5 * 1e8);
    const liq = p.liquidationPrice(pos)!;
    // (50000 − 995) / (1 − 0.005)
    expect(liq).toBeCloseTo(49251.256281407, 6);
    p.updateMark(PERP.id.value, PERP.makePrice("49300.0"));
    expect(p.liquidations()).toHaveLength(0);
    p.updateMark(PERP.id.value, PERP.makePrice("49200.0"));
    const l = p.liquidations();
    expect(l).toHaveLength(1);
    expect(l[0].equityRaw).toBeLessThanOrEqual(l[0].maintenanceRaw);
    expect(margin.initialMarginRaw(pos, PERP.makePrice("50000.0"))).toBe(500 * 1e8);
  });

  it("flags a liquidation at the exact boundary (the float screen never hides one)", () => {
    // Long 1 @ 50000.0 with 1000 USDT: equity = 1000 + (m − 50000); maintenance = 0.005·m.
    // Equal at m = 49000 / 0.995 = 49246.23…: 49246.3 is safe, 49246.2 is not.
    const { p, margin } = setup();
    margin.deposit(USDT, "1000");
    p.onFill(fill(PERP, marginId, OrderSide.Buy, "1", "50000.0", "0"));
    for (const [m, n] of [
      ["49246.4", 0],
      ["49246.3", 0],
      ["49246.2", 1],
      ["49246.3", 0],
      ["60000.0", 0],
      ["10.0", 1],
    ] as const) {
      p.updateMark(PERP.id.value, PERP.makePrice(m));
      expect([m, p.liquidations().length]).toEqual([m, n]);
    }
    // The screen's estimates stay within a raw unit of the exact amounts.
    const pos = p.position(PERP.id.value, strategy)!;
    for (const m of ["49246.2", "50000.1", "123456.7"]) {
      const mark = PERP.makePrice(m);
      expect(Math.abs(pos.unrealizedApprox(mark) - pos.unrealizedRaw(mark))).toBeLessThanOrEqual(1);
      expect(Math.abs(pos.notionalApprox(mark) - Math.abs(pos.notionalRaw(mark)))).toBeLessThanOrEqual(1);
    }
  });

  it("validates leverage", () => {
    const { margin } = setup();
    margin.setLeverage(PERP, 20);
    expect(margin.leverage(PERP)).toBe(20);
    expect(() => margin.setLeverage(PERP, 200)).toThrow(/must be in 1..100/);
  });
});

describe("currency conversion", () => {
  it("uses exact rates, their inverses and spot marks", () => {
    const { p, cash } = setup();
    p.rates.set(EUR, USD, "1.25");
    expect(p.convertRaw(100, EUR, USD)).toBe(125);
    expect(p.convertRaw(125, USD, EUR)).toBe(100);
    p.updateMark(SPOT.id.value, Price.parse("60000.00"));
    expect(p.convertRaw(1e8, BTC, USDT)).toBe(60000 * 1e8);
    expect(p.convertRaw(60000 * 1e8, USDT, BTC)).toBe(1e8);
    expect(() => p.convertRaw(1, EUR, BTC)).toThrow(/no rate to convert EUR to BTC/);
    cash.deposit(BTC, "0.1");
    expect(p.equity(cashId).toDecimalString()).toBe("6000.00000000");
  });
});
