/**
 * Reference test: every talipp reference file of quantedge-ta (BTCUSDT 1h, January 2025), to
 * 1e-8 relative (|a − b| <= 1e-8·max(1, |b|)). Each case also checks the warm-up: our
 * outputs must be defined exactly on the rows the reference lists.
 */
import { describe, expect, it } from "vitest";
import {
  adx,
  atr,
  bollingerBands,
  cci,
  choppiness,
  donchianChannels,
  ema,
  ichimoku,
  keltnerChannels,
  macd,
  obv,
  parabolicSar,
  rsi,
  sessionVwap,
  sma,
  stochastic,
  stochasticRsi,
  superTrend,
  williamsR,
} from "./index.js";
import { type Candles, compareSeries, readCsvCandles, readReference, reportError } from "./testing/data.js";

const DIR = "indicators/quantedge_talipp_btcusdt_1h/";
const TOL = 1e-8;
const bars: Candles = readCsvCandles(`${DIR}btcusdt-1h.csv`);

type Columns = Record<string, ArrayLike<number>>;

const cases: [file: string, compute: (c: Candles) => Columns][] = [
  ["sma-20-close", (c) => ({ expected: sma(c.close, { period: 20 }) })],
  ["ema-20-close", (c) => ({ expected: ema(c.close, { period: 20, seed: "sma" }) })],
  ["bb-20-2-close", (c) => bollingerBands(c.close, { period: 20, multiplier: 2, sample: false })],
  ["rsi-14-close", (c) => ({ expected: rsi(c.close, { period: 14, smoothing: "wilder" }) })],
  ["macd-12-26-9-close", (c) => macd(c.close, { fast: 12, slow: 26, signal: 9, seed: "sma" })],
  ["atr-14", (c) => ({ expected: atr(c.high, c.low, c.close, { period: 14, firstBar: "range" }) })],
  [
    "stoch-14-1-3",
    (c) => stochastic(c.high, c.low, c.close, { kPeriod: 14, kSmoothing: 1, dPeriod: 3, flatValue: 100 }),
  ],
  [
    "stoch-rsi-14-14-3-3-close",
    (c) =>
      stochasticRsi(c.close, { rsiPeriod: 14, stochPeriod: 14, kSmoothing: 3, dPeriod: 3, flatValue: 100 }),
  ],
  [
    "kc-20-10-1.5",
    (c) =>
      keltnerChannels(c.high, c.low, c.close, {
        period: 20,
        atrPeriod: 10,
        multiplier: 1.5,
        atrFirstBar: "range",
      }),
  ],
  ["dc-20", (c) => donchianChannels(c.high, c.low, { period: 20 })],
  [
    "adx-14",
    (c) => {
      const r = adx(c.high, c.low, c.close, { period: 14, convention: "talipp" });
      return { adx: r.adx, plus_di: r.plusDI, minus_di: r.minusDI };
    },
  ],
  ["willr-14", (c) => ({ expected: williamsR(c.high, c.low, c.close, { period: 14 }) })],
  ["cci-20", (c) => ({ expected: cci(c.high, c.low, c.close, { period: 20 }) })],
  ["chop-14", (c) => ({ expected: choppiness(c.high, c.low, c.close, { period: 14, firstBar: "range" }) })],
  ["obv-close", (c) => ({ expected: obv(c.close, c.volume) })],
  [
    "psar-0.02-0.2",
    (c) => {
      const r = parabolicSar(c.high, c.low, { acceleration: 0.02, increment: 0.02, maximum: 0.2 });
      return { sar: r.sar, is_long: r.direction.map((d) => (Number.isNaN(d) ? d : d > 0 ? 1 : 0)) };
    },
  ],
  [
    "supertrend-10-3",
    (c) => {
      const r = superTrend(c.high, c.low, c.close, {
        period: 10,
        multiplier: 3,
        convention: "talipp",
        atrFirstBar: "range",
      });
      return { value: r.value, is_bullish: r.direction.map((d) => (Number.isNaN(d) ? d : d > 0 ? 1 : 0)) };
    },
  ],
  [
    "ichimoku-9-26-52-26",
    (c) => {
      const r = ichimoku(c.high, c.low, {
        tenkan: 9,
        kijun: 26,
        senkouB: 52,
        displacement: 26,
        senkouBShift: 27,
      });
      return { tenkan: r.tenkan, kijun: r.kijun, senkou_a: r.senkouA, senkou_b: r.senkouB };
    },
  ],
  [
    "vwap-day-hlc3",
    (c) => ({ expected: sessionVwap(c.time, c.high, c.low, c.close, c.volume, { source: "hlc3" }).vwap }),
  ],
];

describe("talipp reference (quantedge-ta BTCUSDT 1h)", () => {
  const index = new Map<number, number>();
  bars.time.forEach((t, i) => {
    index.set(t, i);
  });

  it("reads the 744 input candles", () => {
    expect(bars.length).toBe(744);
  });

  for (const [file, compute] of cases) {
    it(`${file} matches to 1e-8`, () => {
      const ref = readReference(`${DIR}${file}.csv`);
      const ours = compute(bars);
      const names = Object.keys(ref.columns);
      const rows = ref.time.map((t) => {
        const i = index.get(t);
        if (i === undefined) throw new Error(`${file}: open_time ${t} not in candles`);
        return i;
      });
      for (const name of names) {
        const col = ours[name];
        expect(col, `${file}: we produce column ${name}`).toBeDefined();
        const expected = new Float64Array(bars.length).fill(Number.NaN);
        rows.forEach((i, k) => {
          expected[i] = ref.columns[name][k];
        });
        const m = compareSeries(col, expected, TOL);
        reportError({ suite: "talipp", file, column: name, compared: m.compared, maxError: m.maxError });
        expect(m.compared).toBe(rows.length);
        expect(
          m.firstBad,
          `${file}.${name}: row ${m.firstBad} ours ${m.actual} vs ${m.expected} (max err ${m.maxError})`,
        ).toBe(-1);
      }
      // Warm-up: all compared outputs are defined exactly on the reference rows.
      const defined: number[] = [];
      for (let i = 0; i < bars.length; i++) {
        if (names.every((n) => !Number.isNaN(ours[n][i]))) defined.push(i);
      }
      expect(defined).toEqual(rows);
    });
  }
});
