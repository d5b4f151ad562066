import { describe, expect, it } from "vitest";
import { IdentifierError } from "./errors.js";
import { ClientOrderId, InstrumentId, StrategyId } from "./identifiers.js";
import { microsToIso, nanosToMicros, parseIsoToMicros, TimeError } from "./time.js";

describe("identifiers", () => {
  it("InstrumentId is SYMBOL.VENUE split at the last dot, interned", () => {
    const id = InstrumentId.parse("BTC-USD.220527.OKX");
    expect(id.symbol).toBe("BTC-USD.220527");
    expect(id.venue).toBe("OKX");
    expect(InstrumentId.parse("BTC-USD.220527.OKX")).toBe(id);
    expect(InstrumentId.of("BTCUSDT", "BINANCE").value).toBe("BTCUSDT.BINANCE");
  });

  it.each(["", "BTCUSDT", ".BINANCE", "BTCUSDT.", "BTC USDT.BINANCE"])("rejects %j", (text) => {
    expect(() => InstrumentId.parse(text)).toThrow(IdentifierError);
  });

  it("other ids validate and compare by value and kind", () => {
    expect(new ClientOrderId("O-1").equals(new ClientOrderId("O-1"))).toBe(true);
    expect(new ClientOrderId("X").equals(new StrategyId("X"))).toBe(false);
    expect(() => new StrategyId("")).toThrow(/StrategyId/);
  });
});

describe("time", () => {
  it("converts nanoseconds exactly from strings", () => {
    expect(nanosToMicros("1723161255088176367")).toBe(1723161255088176);
    expect(() => nanosToMicros("12x")).toThrow(TimeError);
  });

  it("parses and formats ISO-8601 with microseconds", () => {
    const t = parseIsoToMicros("2021-12-31 23:01:00.000000");
    expect(t).toBe(Date.UTC(2021, 11, 31, 23, 1) * 1000);
    expect(parseIsoToMicros("2024-08-08T23:59:59.123456Z")).toBe(
      Date.UTC(2024, 7, 8, 23, 59, 59) * 1000 + 123456,
    );
    expect(parseIsoToMicros("2024-08-08T23:59:59.123456789+02:00")).toBe(
      Date.UTC(2024, 7, 8, 21, 59, 59) * 1000 + 123456,
    );
    expect(microsToIso(1723161599123456)).toBe("2024-08-08T23:59:59.123456Z");
    expect(() => parseIsoToMicros("yesterday")).toThrow(/not an ISO-8601 time/);
  });
});
