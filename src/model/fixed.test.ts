import { describe, expect, it } from "vitest";
import { FixedPointError } from "./errors.js";
import {
  formatRaw,
  mulShift,
  parseDecimal,
  parseToRaw,
  RoundingMode,
  rescale,
  roundRawToIncrement,
} from "./fixed.js";

describe("parseDecimal", () => {
  it("reads digits exactly, keeping the written scale", () => {
    expect(parseDecimal("0.1")).toEqual({ raw: 1, scale: 1 });
    expect(parseDecimal("61659.70")).toEqual({ raw: 6165970, scale: 2 });
    expect(parseDecimal("-0.00141342")).toEqual({ raw: -141342, scale: 8 });
    expect(parseDecimal("100")).toEqual({ raw: 100, scale: 0 });
    expect(parseDecimal(".5")).toEqual({ raw: 5, scale: 1 });
    expect(parseDecimal("+7.")).toEqual({ raw: 7, scale: 0 });
  });

  it("handles exponent notation as produced by String(number)", () => {
    expect(parseDecimal(String(1e-7))).toEqual({ raw: 1, scale: 7 });
    expect(parseDecimal("1.5e3")).toEqual({ raw: 1500, scale: 0 });
    expect(parseDecimal("2.5E-3")).toEqual({ raw: 25, scale: 4 });
  });

  it("drops trailing zeros only when needed to stay exact", () => {
    expect(parseDecimal("1.50000000000000000000")).toEqual({ raw: 15, scale: 1 });
  });

  it.each(["", "abc", "1.2.3", "--1", "1e", "NaN", "Infinity", " . "])("rejects %j", (text) => {
    expect(() => parseDecimal(text)).toThrow(FixedPointError);
  });

  it("rejects more significant digits than fit exactly", () => {
    expect(() => parseDecimal("12345678901234567.1")).toThrow(/significant digits/);
  });
});

describe("exact arithmetic", () => {
  it("0.1 + 0.2 is exactly 0.3 (no float drift)", () => {
    const a = parseToRaw("0.1", 8);
    const b = parseToRaw("0.2", 8);
    expect(formatRaw(a + b, 8)).toBe("0.30000000");
    expect(a + b).toBe(parseToRaw("0.3", 8));
    // The float sum drifts; ours does not.
    expect(0.1 + 0.2).not.toBe(0.3);
  });

  it("summing 0.01 a million times gives exactly 10000", () => {
    const step = parseToRaw("0.01", 2);
    let acc = 0;
    for (let i = 0; i < 1_000_000; i++) acc += step;
    expect(formatRaw(acc, 2)).toBe("10000.00");
  });

  it("rescale refuses to drop non-zero digits without a rounding mode", () => {
    expect(() => parseToRaw("1.005", 2)).toThrow(/more than 2 decimal places/);
    expect(parseToRaw("1.00500", 3)).toBe(1005);
    expect(parseToRaw("1.005", 2, RoundingMode.HalfEven)).toBe(100);
    expect(parseToRaw("1.015", 2, RoundingMode.HalfEven)).toBe(102);
    expect(parseToRaw("1.005", 2, RoundingMode.HalfUp)).toBe(101);
    expect(parseToRaw("-1.005", 2, RoundingMode.HalfUp)).toBe(-101);
  });

  it.each([
    [RoundingMode.Down, 17, -17],
    [RoundingMode.Up, 18, -18],
    [RoundingMode.Floor, 17, -18],
    [RoundingMode.Ceil, 18, -17],
    [RoundingMode.HalfUp, 18, -18],
    [RoundingMode.HalfEven, 18, -18],
  ])("rounding mode %s on 1.75 / -1.75 to 1 dp", (mode, pos, neg) => {
    expect(rescale(175, 2, 1, mode)).toBe(pos);
    expect(rescale(-175, 2, 1, mode)).toBe(neg);
  });

  it("rounds to increments", () => {
    expect(roundRawToIncrement(1234, 5, RoundingMode.Down)).toBe(1230);
    expect(roundRawToIncrement(1234, 5, RoundingMode.Up)).toBe(1235);
    expect(roundRawToIncrement(1232, 5, RoundingMode.HalfEven)).toBe(1230);
    expect(roundRawToIncrement(-1233, 5, RoundingMode.HalfUp)).toBe(-1235);
  });

  it("mulShift is exact beyond 2^53 via BigInt", () => {
    // 99999.99999 (5 dp) x 1234.12345678 (8 dp) -> USD cents: the raw product ~1.2e21 > 2^53.
    const price = parseToRaw("99999.99999", 5);
    const qty = parseToRaw("1234.12345678", 8);
    expect(Number.isSafeInteger(price * qty)).toBe(false);
    const raw = mulShift(price, qty, 11, RoundingMode.HalfEven, "test");
    const exact = BigInt(price) * BigInt(qty);
    const d = 10n ** 11n;
    const q = exact / d;
    const r = exact - q * d;
    const expected = r * 2n > d || (r * 2n === d && q % 2n === 1n) ? q + 1n : q;
    expect(BigInt(raw)).toBe(expected);
    expect(formatRaw(raw, 2)).toBe("123412345.67");
  });

  it("overflow throws instead of losing precision", () => {
    expect(() => mulShift(2 ** 52, 4, 0, RoundingMode.HalfEven, "big")).toThrow(/exceeds the exact range/);
  });

  it("formats raw values", () => {
    expect(formatRaw(5, 3)).toBe("0.005");
    expect(formatRaw(-5, 3)).toBe("-0.005");
    expect(formatRaw(123456, 0)).toBe("123456");
    expect(formatRaw(0, 2)).toBe("0.00");
  });
});

describe("parseToRaw fast path agrees with the general parser", () => {
  it("on 20k random decimal strings", async () => {
    const { Rng } = await import("../core/rng.js");
    const rng = new Rng(99);
    for (let k = 0; k < 20_000; k++) {
      const intDigits = rng.nextInt(10);
      const fracDigits = rng.nextInt(10);
      let t = rng.nextInt(4) === 0 ? "-" : "";
      for (let i = 0; i < intDigits; i++) t += String(rng.nextInt(10));
      if (fracDigits > 0 || rng.nextInt(2) === 0) t += ".";
      for (let i = 0; i < fracDigits; i++) t += String(rng.nextInt(10));
      const precision = rng.nextInt(10);
      let expected: number | string;
      try {
        const d = parseDecimal(t);
        expected = rescale(d.raw, d.scale, precision);
      } catch (e) {
        expected = (e as Error).constructor.name;
      }
      let got: number | string;
      try {
        got = parseToRaw(t, precision);
      } catch (e) {
        got = (e as Error).constructor.name;
      }
      expect(got, `${t} @${precision}`).toBe(expected);
    }
  });
});
