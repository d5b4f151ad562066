import { describe, expect, it } from "vitest";
import { currency } from "./currency.js";
import { InstrumentValueError } from "./errors.js";
import { RoundingMode } from "./fixed.js";
import { InstrumentId } from "./identifiers.js";
import { CryptoFuture, CryptoPerpetual, CurrencyPair, InstrumentKind } from "./instruments.js";

const BTCUSDT = new CurrencyPair({
  id: InstrumentId.parse("BTCUSDT.BINANCE"),
  baseCurrency: currency("BTC"),
  quoteCurrency: currency("USDT"),
  priceIncrement: "0.01",
  sizeIncrement: "0.00001",
  minQuantity: "0.00001",
  maxQuantity: "9000",
  minNotional: "5",
  makerFee: "0.001",
  takerFee: "0.001",
});

describe("instruments", () => {
  it("derive precisions from increments", () => {
    expect(BTCUSDT.kind).toBe(InstrumentKind.Spot);
    expect(BTCUSDT.pricePrecision).toBe(2);
    expect(BTCUSDT.sizePrecision).toBe(5);
    expect(BTCUSDT.minQuantity?.toString()).toBe("0.00001");
  });

  it("make validated prices and quantities", () => {
    expect(BTCUSDT.makePrice("61659.7").toString()).toBe("61659.70");
    expect(BTCUSDT.makePrice(61659.7).toString()).toBe("61659.70");
    expect(BTCUSDT.makeQuantity("0.006").toString()).toBe("0.00600");
  });

  it("reject values off the increment, naming value and instrument", () => {
    const err = (() => {
      try {
        BTCUSDT.makePrice("61659.705");
      } catch (e) {
        return e as InstrumentValueError;
      }
      throw new Error("expected a throw");
    })();
    expect(err).toBeInstanceOf(InstrumentValueError);
    expect(err.code).toBe("PRICE_INVALID");
    expect(err.message).toContain("BTCUSDT.BINANCE");
    expect(err.message).toContain("61659.705");
    expect(err.details).toMatchObject({ instrument: "BTCUSDT.BINANCE", field: "price", value: "61659.705" });
  });

  it("reject negative, NaN and infinite quantities and NaN prices", () => {
    expect(() => BTCUSDT.makeQuantity("-1")).toThrow(/BTCUSDT.BINANCE: quantity -1 is invalid: .*negative/);
    expect(() => BTCUSDT.makeQuantity(Number.NaN)).toThrow(/quantity NaN is invalid: not a finite number/);
    expect(() => BTCUSDT.makePrice(Number.POSITIVE_INFINITY)).toThrow(/price Infinity is invalid/);
    expect(() => BTCUSDT.makePrice("abc")).toThrow(/not a decimal number/);
  });

  it("checks increments on coarser steps than the precision", () => {
    const coarse = new CurrencyPair({
      id: InstrumentId.parse("ETHUSD.TEST"),
      baseCurrency: currency("ETH"),
      quoteCurrency: currency("USD"),
      priceIncrement: "0.05",
      sizeIncrement: "0.5",
    });
    expect(coarse.makePrice("10.15").toString()).toBe("10.15");
    expect(() => coarse.makePrice("10.12")).toThrow(/not a multiple of the price increment 0.05/);
    expect(coarse.makePrice("10.12", RoundingMode.HalfEven).toString()).toBe("10.10");
    expect(() => coarse.makeQuantity("1.2")).toThrow(/size increment 0.5/);
  });

  it("validate their own fields", () => {
    const base = {
      id: InstrumentId.parse("X.Y"),
      baseCurrency: currency("BTC"),
      quoteCurrency: currency("USD"),
      sizeIncrement: "1",
    };
    expect(() => new CurrencyPair({ ...base, priceIncrement: "0" })).toThrow(
      /priceIncrement "0" must be positive/,
    );
    expect(() => new CurrencyPair({ ...base, priceIncrement: "x" })).toThrow(/priceIncrement/);
    expect(
      () => new CurrencyPair({ ...base, priceIncrement: "1", minQuantity: "5", maxQuantity: "2" }),
    ).toThrow(/exceeds maxQuantity/);
    expect(() => new CurrencyPair({ ...base, priceIncrement: "1", takerFee: "abc" })).toThrow(/takerFee/);
  });

  it("model perpetuals and futures with margin parameters", () => {
    const perp = new CryptoPerpetual({
      id: InstrumentId.parse("BTCUSDT-PERP.BINANCE"),
      rawSymbol: "BTCUSDT",
      baseCurrency: currency("BTC"),
      quoteCurrency: currency("USDT"),
      settlementCurrency: currency("USDT"),
      priceIncrement: "0.10",
      sizeIncrement: "0.001",
      marginInit: "0.008",
      marginMaint: "0.004",
      makerFee: "0.0002",
      takerFee: "0.0004",
    });
    expect(perp.kind).toBe(InstrumentKind.Perpetual);
    expect(perp.maxLeverage).toBe(125);
    expect(perp.settlementCurrency.code).toBe("USDT");
    expect(perp.notional(perp.makePrice("61659.7"), perp.makeQuantity("0.006")).toDecimalString()).toBe(
      "369.95820000",
    );
    expect(
      () =>
        new CryptoFuture({
          id: InstrumentId.parse("BTC-USD-220527.OKX"),
          baseCurrency: currency("BTC"),
          quoteCurrency: currency("USD"),
          settlementCurrency: currency("BTC"),
          isInverse: true,
          priceIncrement: "0.1",
          sizeIncrement: "1",
          marginInit: "0.01",
          marginMaint: "0.005",
          activation: 2000,
          expiration: 1000,
        }),
    ).toThrow(/expiration must be after activation/);
  });
});
