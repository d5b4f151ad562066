/**
 * Bad input: invalid parameters, NaN/infinite inputs, negative volume, high < low and
 * out-of-order timestamps must throw {@link IndicatorError} with a stable code naming the
 * indicator and the parameter/field, and a rejected bar must leave the indicator unchanged.
 */
import { describe, expect, it } from "vitest";
import { BotV6Error } from "../model/errors.js";
import {
  AnchoredVWAP,
  ATR,
  computeBatch,
  EMA,
  getIndicator,
  IndicatorError,
  type IndicatorSpec,
  KAMA,
  listIndicators,
  MACD,
  PPO,
  PVO,
  parseParamArgs,
  RSI,
  SessionVWAP,
  SMA,
  Stochastic,
} from "./index.js";
import { type Candles, readCsvCandles } from "./testing/data.js";

const candles: Candles = readCsvCandles("ohlcv/nautilus_BTC-PERP_1m_2021-12-31_2022-02-01.csv", 300);

function caught(fn: () => unknown): IndicatorError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(IndicatorError);
    // one error hierarchy: callers that handle BotV6Error also handle indicator errors
    expect(e).toBeInstanceOf(BotV6Error);
    expect((e as IndicatorError).name).toBe("IndicatorError");
    expect((e as IndicatorError).details).toMatchObject({ indicator: (e as IndicatorError).indicator });
    return e as IndicatorError;
  }
  throw new Error("expected an IndicatorError");
}

function rowOf(spec: IndicatorSpec, i: number): Float64Array {
  const cols: Record<string, Float64Array> = {
    time: candles.time,
    open: candles.open,
    high: candles.high,
    low: candles.low,
    close: candles.close,
    volume: candles.volume,
  };
  return Float64Array.from(spec.inputs, (c) => cols[c][i]);
}

describe("parameter validation", () => {
  it("rejects period 0, non-integer and non-number periods with the parameter named", () => {
    for (const bad of [0, -3, 2.5, Number.NaN, "20" as unknown as number]) {
      const e = caught(() => new SMA({ period: bad }));
      expect(e.code).toBe("INVALID_PARAMETER");
      expect(e.indicator).toBe("sma");
      expect(e.field).toBe("period");
      expect(e.message).toContain('sma: parameter "period"');
    }
  });

  it("rejects fast >= slow for MACD, PPO, PVO and KAMA", () => {
    for (const make of [
      () => new MACD({ fast: 26, slow: 12 }),
      () => new MACD({ fast: 12, slow: 12 }),
      () => new PPO({ fast: 30, slow: 26 }),
      () => new PVO({ fast: 26, slow: 26 }),
      () => new KAMA({ fast: 30, slow: 2 }),
    ]) {
      const e = caught(make);
      expect(e.code).toBe("INVALID_PARAMETER");
      expect(e.field).toBe("fast");
    }
    expect(caught(() => new MACD({ fast: 26, slow: 12 })).indicator).toBe("macd");
  });

  it("rejects unknown enum values and MACD fixed constants with other periods", () => {
    expect(caught(() => new EMA({ seed: "zero" as never })).field).toBe("seed");
    expect(caught(() => new RSI({ smoothing: "hull" as never })).field).toBe("smoothing");
    expect(caught(() => new Stochastic({ kMaType: "wma" as never })).field).toBe("kMaType");
    expect(caught(() => new MACD({ fast: 10, slow: 26, fixedAlphas: true })).field).toBe("fixedAlphas");
  });

  it("every registry integer parameter rejects values below its minimum and fractions", () => {
    for (const spec of listIndicators()) {
      for (const p of spec.params) {
        if (p.type !== "integer") continue;
        for (const bad of [(p.min ?? 0) - 1, (p.default as number) + 0.5]) {
          const e = caught(() => spec.create({ [p.name]: bad }));
          expect(e.code, `${spec.name}.${p.name}=${bad}`).toBe("INVALID_PARAMETER");
          expect(e.indicator).toBe(spec.name);
          expect(e.field).toBe(p.name);
        }
      }
    }
  });

  it("registry rejects unknown parameters, bad enums and bad strings; converts valid strings", () => {
    const rsi = getIndicator("rsi");
    let e = caught(() => rsi.create({ lenght: 14 }));
    expect(e.field).toBe("lenght");
    expect(e.message).toContain("unknown parameter");
    e = caught(() => rsi.create({ smoothing: "hull" }));
    expect(e.field).toBe("smoothing");
    e = caught(() => rsi.create({ period: "14x" }));
    expect(e.field).toBe("period");
    e = caught(() => getIndicator("bbands").create({ sample: "yes" }));
    expect(e.field).toBe("sample");
    const params = getIndicator("macd").resolveParams(
      parseParamArgs("macd", ["fast=8", "slow=21", "seed=talib", "fixedAlphas=false"]),
    );
    expect(params).toEqual({ fast: 8, slow: 21, signal: 9, seed: "talib", fixedAlphas: false });
    e = caught(() => getIndicator("macd").create(parseParamArgs("macd", ["fast=30"])));
    expect(e.field).toBe("fast");
    expect(caught(() => parseParamArgs("rsi", ["period"])).code).toBe("INVALID_PARAMETER");
    expect(caught(() => parseParamArgs("rsi", ["period=1", "period=2"])).field).toBe("period");
  });

  it("unknown indicator names throw UNKNOWN_INDICATOR", () => {
    const e = caught(() => getIndicator("rsii"));
    expect(e.code).toBe("UNKNOWN_INDICATOR");
    expect(e.indicator).toBe("rsii");
  });
});

describe("input validation (every registered indicator, every input column)", () => {
  for (const spec of listIndicators()) {
    it(spec.name, () => {
      const cleanRun = spec.create();
      for (let i = 0; i < 200; i++) cleanRun.update(rowOf(spec, i));
      const expected = Float64Array.from(spec.outputs, (_, k) => cleanRun.output(k));

      spec.inputs.forEach((col, j) => {
        const bads: [number, string][] =
          col === "time"
            ? [
                [Number.NaN, "OUT_OF_ORDER_TIME"],
                [candles.time[0] - 60_000_000, "OUT_OF_ORDER_TIME"],
                [candles.time[120] + 0.5, "OUT_OF_ORDER_TIME"],
              ]
            : [
                [Number.NaN, "INVALID_INPUT"],
                [Number.POSITIVE_INFINITY, "INVALID_INPUT"],
                [Number.NEGATIVE_INFINITY, "INVALID_INPUT"],
              ];
        if (col === "volume") bads.push([-1, "INVALID_INPUT"]);
        for (const [bad, code] of bads) {
          const ind = spec.create();
          for (let i = 0; i < 120; i++) ind.update(rowOf(spec, i));
          const row = rowOf(spec, 120);
          row[j] = bad;
          const e = caught(() => ind.update(row));
          expect(e.code, `${spec.name} ${col}=${bad}`).toBe(code);
          expect(e.indicator).toBe(spec.name);
          expect(e.field).toBe(col === "time" ? "time" : col);
          if (col === "time") expect(e.message).toContain(`timestamp ${bad}`);
          // Nothing was applied: continuing with the good bars gives the clean result.
          for (let i = 120; i < 200; i++) ind.update(rowOf(spec, i));
          spec.outputs.forEach((_, k) => {
            expect(Object.is(ind.output(k), expected[k]), `${spec.name}: state after rejected ${col}`).toBe(
              true,
            );
          });
        }
      });

      if (spec.inputs.includes("high") && spec.inputs.includes("low")) {
        const ind = spec.create();
        const row = rowOf(spec, 0);
        const hi = spec.inputs.indexOf("high");
        const lo = spec.inputs.indexOf("low");
        [row[hi], row[lo]] = [row[lo] - 1, row[hi]];
        const e = caught(() => ind.update(row));
        expect(e.code).toBe("INVALID_INPUT");
        expect(e.field).toBe("high");
      }
    });
  }

  it("log-return estimators reject non-positive prices", () => {
    for (const name of ["rv_cc", "rv_parkinson", "rv_garman_klass", "rv_yang_zhang", "hurst"]) {
      const spec = getIndicator(name);
      const row = rowOf(spec, 0);
      row[row.length - 1] = 0;
      const e = caught(() => spec.create().update(row));
      expect(e.code).toBe("INVALID_INPUT");
      expect(e.indicator).toBe(name);
    }
  });
});

describe("timestamps", () => {
  it("session VWAP: equal timestamps are accepted, earlier ones name the timestamp", () => {
    const v = new SessionVWAP();
    v.update(1_700_000_000_000_000, 10, 9, 9.5, 1);
    v.update(1_700_000_000_000_000, 10, 9, 9.5, 1);
    const e = caught(() => v.update(1_699_999_999_999_999, 10, 9, 9.5, 1));
    expect(e.code).toBe("OUT_OF_ORDER_TIME");
    expect(e.field).toBe("time");
    expect(e.value).toBe(1_699_999_999_999_999);
    expect(e.message).toBe(
      "vwap: timestamp 1699999999999999 is earlier than the previous timestamp 1700000000000000",
    );
  });

  it("session VWAP resets at each UTC day; anchored VWAP starts at its anchor", () => {
    const day = 86_400_000_000;
    const v = new SessionVWAP();
    v.update(day - 1, 10, 10, 10, 1);
    expect(v.value).toBe(10);
    v.update(day, 20, 20, 20, 1);
    expect(v.value).toBe(20);
    expect(v.sessionStart).toBe(day);
    const a = new AnchoredVWAP({ anchor: day });
    expect(Number.isNaN(a.update(day - 1, 10, 10, 10, 1))).toBe(true);
    expect(a.update(day, 20, 20, 20, 1)).toBe(20);
    expect(a.update(day + 1, 30, 30, 30, 3)).toBe(27.5);
    a.setAnchor(day + 5);
    expect(Number.isNaN(a.update(day + 2, 30, 30, 30, 3))).toBe(true);
    expect(caught(() => a.setAnchor(1.5)).code).toBe("INVALID_PARAMETER");
  });
});

describe("batch input columns", () => {
  it("mismatched lengths and missing columns throw INVALID_COLUMNS", () => {
    let e = caught(() => computeBatch("atr", { high: [1, 2], low: [1, 1], close: [1] }));
    expect(e.code).toBe("INVALID_COLUMNS");
    expect(e.field).toBe("close");
    e = caught(() => computeBatch("atr", { high: [1, 2], low: [1, 1] }));
    expect(e.code).toBe("INVALID_COLUMNS");
    expect(e.field).toBe("close");
  });

  it("a bad value in a batch names the indicator and field", () => {
    const e = caught(() => new ATR().update(Number.NaN, 1, 1));
    expect(e.field).toBe("high");
    expect(e.indicator).toBe("atr");
  });
});
