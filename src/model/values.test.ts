import { describe, expect, it } from "vitest";
import { currency } from "./currency.js";
import { FixedPointError } from "./errors.js";
import { RoundingMode } from "./fixed.js";
import { Money, Price, Quantity } from "./values.js";

const USDT = currency("USDT");
const USD = currency("USD");

describe("Price", () => {
  it("parses, formats and compares exactly", () => {
    const p = Price.parse("61659.70");
    expect(p.raw).toBe(6165970);
    expect(p.precision).toBe(2);
    expect(p.toString()).toBe("61659.70");
    expect(JSON.stringify({ p })).toBe('{"p":"61659.70"}');
    expect(Price.parse("1.10").eq(Price.parse("1.1"))).toBe(true);
    expect(Price.parse("1.09").lt(Price.parse("1.1"))).toBe(true);
  });

  it("adds across precisions without drift", () => {
    const s = Price.parse("0.1").add(Price.parse("0.2"));
    expect(s.toString()).toBe("0.3");
    expect(s.eq(Price.parse("0.30"))).toBe(true);
    expect(Price.parse("0.1").add(Price.parse("0.02")).toString()).toBe("0.12");
  });

  it("may be negative", () => {
    expect(Price.parse("-3.5").sub(Price.parse("1.25")).toString()).toBe("-4.75");
  });

  it("rounds to an increment", () => {
    const inc = Price.parse("0.05");
    expect(Price.parse("1.07").roundToIncrement(inc, RoundingMode.HalfEven).toString()).toBe("1.05");
    expect(Price.parse("1.08").roundToIncrement(inc, RoundingMode.HalfEven).toString()).toBe("1.10");
    expect(Price.parse("1.08").roundToIncrement(inc, RoundingMode.Down).toString()).toBe("1.05");
  });

  it("computes notional exactly in the currency's precision", () => {
    const n = Price.parse("61659.70").notional(Quantity.parse("0.006"), USDT);
    expect(n.toString()).toBe("369.95820000 USDT");
    const r = Price.parse("0.333").notional(Quantity.parse("1"), USD, 1, RoundingMode.HalfEven);
    expect(r.toDecimalString()).toBe("0.33");
  });

  it("rejects NaN and infinities from numbers", () => {
    expect(() => Price.fromNumber(Number.NaN, 2)).toThrow(FixedPointError);
    expect(() => Price.fromNumber(Number.POSITIVE_INFINITY, 2)).toThrow(/not a finite number/);
    expect(Price.fromNumber(0.00141342, 8).toString()).toBe("0.00141342");
  });
});

describe("Quantity", () => {
  it("is never negative", () => {
    expect(() => Quantity.parse("-1")).toThrow(/negative/);
    expect(() => Quantity.fromRaw(-1, 2)).toThrow(FixedPointError);
    expect(() => Quantity.parse("1").sub(Quantity.parse("2"))).toThrow(/negative/);
  });

  it("adds and subtracts exactly", () => {
    const q = Quantity.parse("0.1").add(Quantity.parse("0.2")).sub(Quantity.parse("0.3"));
    expect(q.isZero()).toBe(true);
  });

  it("rounds down to a size increment by default", () => {
    expect(Quantity.parse("1.237").roundToIncrement(Quantity.parse("0.01")).toString()).toBe("1.230");
  });
});

describe("Money", () => {
  it("adds within a currency and refuses to mix currencies", () => {
    const a = Money.parse("10.5", USDT);
    expect(a.add(Money.parse("0.25", USDT)).toString()).toBe("10.75000000 USDT");
    expect(() => a.add(Money.parse("1", USD))).toThrow(/convert first/);
  });

  it("applies fee rates exactly with explicit rounding", () => {
    const notional = Money.parse("369.9582", USDT);
    expect(notional.mulRate("0.0004").toDecimalString()).toBe("0.14798328");
    expect(Money.parse("100.01", USD).mulRate("0.001").toDecimalString()).toBe("0.10");
  });

  it("rejects amounts finer than the currency precision", () => {
    expect(() => Money.parse("0.001", USD)).toThrow(/more than 2 decimal places/);
  });
});
