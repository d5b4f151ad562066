import { describe, expect, it } from "vitest";
import { currency } from "../model/currency.js";
import { InstrumentId } from "../model/identifiers.js";
import { CryptoPerpetual, CurrencyPair } from "../model/instruments.js";
import { Money, Price } from "../model/values.js";
import {
  atrVolatility,
  fixedFractional,
  fractionalKelly,
  kellySize,
  realizedVolatility,
  riskPerTrade,
  SizingError,
  volatilityTarget,
} from "./sizing.js";

const usdt = currency("USDT");
const spot = new CurrencyPair({
  id: InstrumentId.parse("BTCUSDT.SIM"),
  baseCurrency: currency("BTC"),
  quoteCurrency: usdt,
  priceIncrement: "0.01",
  sizeIncrement: "0.001",
  minQuantity: "0.001",
  maxQuantity: "50",
});
const perp = new CryptoPerpetual({
  id: InstrumentId.parse("ETHUSD-PERP.SIM"),
  baseCurrency: currency("ETH"),
  quoteCurrency: currency("USD"),
  settlementCurrency: currency("USD"),
  priceIncrement: "0.1",
  sizeIncrement: "1",
  multiplier: 10,
  marginInit: "0.1",
  marginMaint: "0.05",
});
const eq = Money.parse("10000", usdt);
const px = (s: string) => Price.parse(s, 2);

describe("sizing", () => {
  it("fixed fractional: 10% of 10 000 at 2 000 = 0.5, rounded down to the lot", () => {
    expect(fixedFractional(spot, eq, "0.1", px("2000.00")).toString()).toBe("0.500");
    expect(fixedFractional(spot, eq, 0.1, px("3000.00")).toString()).toBe("0.333");
  });

  it("caps at the instrument maximum and returns zero below its minimum", () => {
    expect(fixedFractional(spot, eq, "1", px("1.00")).toString()).toBe("50.000");
    expect(fixedFractional(spot, Money.parse("1", usdt), "0.01", px("60000.00")).toString()).toBe("0.000");
  });

  it("risk per trade from the stop distance, with a contract multiplier", () => {
    // Risk 1% of 10 000 = 100; stop 2.00 away → 50 units.
    expect(riskPerTrade(spot, eq, "0.01", px("100.00"), px("98.00")).toString()).toBe("50.000");
    // Perp: multiplier 10, stop 5.0 away → 100 / (5 x 10) = 2 contracts.
    const m = Money.parse("10000", currency("USD"));
    expect(riskPerTrade(perp, m, "0.01", Price.parse("2000.0"), Price.parse("1995.0")).toString()).toBe("2");
  });

  it("volatility targeting from ATR or realised vol, capped by leverage", () => {
    const vol = atrVolatility(20, 1000, 365); // 2% daily → ~38% annual
    expect(vol).toBeCloseTo(0.02 * Math.sqrt(365), 12);
    const q = volatilityTarget(spot, eq, 0.2, vol, px("1000.00"));
    expect(q.toNumber()).toBeCloseTo((10000 * (0.2 / vol)) / 1000, 2);
    expect(volatilityTarget(spot, eq, 1, 0.1, px("1000.00"), 2).toString()).toBe("20.000");
    const prices = [100, 101, 99, 102, 100, 103];
    expect(realizedVolatility(prices, 365)).toBeGreaterThan(0);
  });

  it("fractional Kelly", () => {
    expect(fractionalKelly(0.6, 1, 1)).toBeCloseTo(0.2, 12);
    expect(fractionalKelly(0.6, 1, 0.5)).toBeCloseTo(0.1, 12);
    expect(fractionalKelly(0.3, 1, 0.5)).toBe(0);
    expect(kellySize(spot, eq, 0.6, 1, px("1000.00"), 0.5).toString()).toBe("1.000");
  });

  it.each<[string, () => unknown]>([
    ["NaN fraction", () => fixedFractional(spot, eq, Number.NaN, px("1.00"))],
    ["fraction above 1", () => fixedFractional(spot, eq, "1.5", px("1.00"))],
    ["negative fraction", () => fixedFractional(spot, eq, "-0.1", px("1.00"))],
    ["zero price", () => fixedFractional(spot, eq, "0.1", px("0.00"))],
    ["wrong price precision", () => fixedFractional(spot, eq, "0.1", Price.parse("1.000"))],
    ["stop equal to entry", () => riskPerTrade(spot, eq, "0.01", px("1.00"), px("1.00"))],
    ["infinite vol", () => volatilityTarget(spot, eq, 0.2, Number.POSITIVE_INFINITY, px("1.00"))],
    ["negative equity", () => fixedFractional(spot, Money.parse("-1", usdt), "0.1", px("1.00"))],
    ["probability above 1", () => fractionalKelly(1.2, 1)],
    ["too few prices", () => realizedVolatility([1, 2], 365)],
    ["a non-positive price", () => realizedVolatility([1, 0, 2], 365)],
  ])("rejects %s", (_n, f) => {
    expect(f).toThrow(SizingError);
  });
});
