/**
 * Indicators without a TA-Lib/talipp/Tulip reference are checked against straightforward
 * O(N·period) implementations written directly from the published definitions (and, where a
 * peer library implements the same convention, against `trading-signals`), to 1e-9 relative.
 * Also covers non-default conventions of referenced indicators.
 */
import * as TS from "trading-signals";
import { describe, expect, it } from "vitest";
import * as I from "./index.js";
import { type Candles, compareSeries, readCsvCandles } from "./testing/data.js";

const TOL = 1e-9;
const c: Candles = readCsvCandles("ohlcv/nautilus_BTC-PERP_1m_2021-12-31_2022-02-01.csv", 2000);
const n = c.length;

const nanArray = (len = n) => new Float64Array(len).fill(Number.NaN);

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, label: string, tol = TOL) {
  const m = compareSeries(actual, expected, tol);
  expect(m.compared, `${label}: compared values`).toBeGreaterThan(0);
  expect(
    m.firstBad,
    `${label}: bar ${m.firstBad} ours ${m.actual} vs ${m.expected} (max err ${m.maxError})`,
  ).toBe(-1);
  // Same definedness: no extra values before the reference starts.
  for (let i = 0; i < expected.length; i++) {
    if (Number.isNaN(expected[i]))
      expect(Number.isNaN(actual[i]), `${label}: bar ${i} should be NaN`).toBe(true);
  }
}

/** EMA over a series with a NaN prefix; seeded with the SMA of its first `p` values or the first value. */
function naiveEma(x: ArrayLike<number>, p: number, seed: "sma" | "first" = "sma"): Float64Array {
  const out = nanArray(x.length);
  const a = 2 / (p + 1);
  let start = 0;
  while (start < x.length && Number.isNaN(x[start])) start++;
  if (seed === "first") {
    let v = x[start];
    for (let i = start; i < x.length; i++) {
      if (i > start) v = v + a * (x[i] - v);
      out[i] = v;
    }
    return out;
  }
  let v = 0;
  for (let i = start; i < x.length; i++) {
    if (i < start + p - 1) continue;
    if (i === start + p - 1) {
      v = 0;
      for (let j = start; j <= i; j++) v += x[j];
      v /= p;
    } else v = v + a * (x[i] - v);
    out[i] = v;
  }
  return out;
}

function naiveWma(x: ArrayLike<number>, p: number): Float64Array {
  const out = nanArray(x.length);
  let start = 0;
  while (start < x.length && Number.isNaN(x[start])) start++;
  for (let i = start + p - 1; i < x.length; i++) {
    let s = 0;
    for (let j = 0; j < p; j++) s += (j + 1) * x[i - p + 1 + j];
    out[i] = s / ((p * (p + 1)) / 2);
  }
  return out;
}

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
function varianceOf(a: number[], sample: boolean) {
  const m = mean(a);
  return a.reduce((s, v) => s + (v - m) ** 2, 0) / (a.length - (sample ? 1 : 0));
}
const win = (x: ArrayLike<number>, i: number, p: number) => Array.from(x).slice(i - p + 1, i + 1);
const trueRangeAt = (i: number) =>
  i === 0 ? c.high[0] - c.low[0] : Math.max(c.high[i], c.close[i - 1]) - Math.min(c.low[i], c.close[i - 1]);

describe("indicators against definitions and trading-signals", () => {
  it("HMA(16) = definition and trading-signals HMA", () => {
    const p = 16;
    const raw = nanArray();
    const half = naiveWma(c.close, p / 2);
    const full = naiveWma(c.close, p);
    for (let i = 0; i < n; i++) raw[i] = 2 * half[i] - full[i];
    const expected = naiveWma(raw, 4);
    const ours = I.hma(c.close, { period: p });
    expectClose(ours, expected, "hma");
    const ts = new TS.HMA(p);
    const peer = Float64Array.from(c.close, (x) => ts.add(x) ?? Number.NaN);
    expectClose(ours, peer, "hma vs trading-signals");
  });

  it("VWMA(20) = definition and trading-signals VWMA", () => {
    const expected = nanArray();
    for (let i = 19; i < n; i++) {
      let pv = 0;
      let v = 0;
      for (let j = i - 19; j <= i; j++) {
        pv += c.close[j] * c.volume[j];
        v += c.volume[j];
      }
      expected[i] = pv / v;
    }
    const ours = I.vwma(c.close, c.volume, { period: 20 });
    expectClose(ours, expected, "vwma");
    const ts = new TS.VWMA(20);
    const peer = Float64Array.from(
      { length: n },
      (_, i) => ts.add({ close: c.close[i], volume: c.volume[i] } as never) ?? Number.NaN,
    );
    expectClose(ours, peer, "vwma vs trading-signals");
  });

  for (const seed of ["sma", "first"] as const) {
    it(`TSI(25,13,13, seed ${seed}) = definition`, () => {
      const m = nanArray();
      const am = nanArray();
      for (let i = 1; i < n; i++) {
        m[i] = c.close[i] - c.close[i - 1];
        am[i] = Math.abs(m[i]);
      }
      const num = naiveEma(naiveEma(m, 25, seed), 13, seed);
      const den = naiveEma(naiveEma(am, 25, seed), 13, seed);
      const tsi = Float64Array.from(num, (v, i) => (den[i] === 0 ? 0 : (100 * v) / den[i]));
      const signal = naiveEma(tsi, 13, seed);
      const ours = I.tsi(c.close, { long: 25, short: 13, signal: 13, seed });
      expectClose(ours.tsi, tsi, "tsi");
      expectClose(ours.signal, signal, "tsi signal");
    });
  }

  it("STC(23,50,10,0.5) = definition", () => {
    const macd = naiveEma(c.close, 23).map((v, i) => v - naiveEma(c.close, 50)[i]);
    const expected = nanArray();
    const d1 = nanArray();
    let k1 = 50;
    let k2 = 50;
    let stc = Number.NaN;
    for (let i = 49 + 9; i < n; i++) {
      const w = win(macd, i, 10);
      const hi = Math.max(...w);
      const lo = Math.min(...w);
      if (hi > lo) k1 = (100 * (macd[i] - lo)) / (hi - lo);
      d1[i] = Number.isNaN(d1[i - 1]) ? k1 : d1[i - 1] + 0.5 * (k1 - d1[i - 1]);
      if (i < 49 + 18) continue;
      const wd = win(d1, i, 10);
      const hd = Math.max(...wd);
      const ld = Math.min(...wd);
      if (hd > ld) k2 = (100 * (d1[i] - ld)) / (hd - ld);
      stc = Number.isNaN(stc) ? k2 : stc + 0.5 * (k2 - stc);
      expected[i] = stc;
    }
    expectClose(I.schaffTrendCycle(c.close), expected, "stc");
  });

  it("Ulcer index: rolling (definition) and window (trading-signals)", () => {
    const p = 14;
    const dd = nanArray();
    for (let i = p - 1; i < n; i++) {
      const m = Math.max(...win(c.close, i, p));
      dd[i] = (100 * (c.close[i] - m)) / m;
    }
    const expected = nanArray();
    for (let i = 2 * p - 2; i < n; i++) expected[i] = Math.sqrt(mean(win(dd, i, p).map((d) => d * d)));
    expectClose(I.ulcerIndex(c.close, { period: p }), expected, "ulcer rolling");
    const ts = new TS.UlcerIndex(p);
    const peer = Float64Array.from(c.close, (x) => ts.add(x) ?? Number.NaN);
    expectClose(
      I.ulcerIndex(c.close, { period: p, drawdown: "window" }),
      peer,
      "ulcer window vs trading-signals",
    );
  });

  it("Vortex(14) = trading-signals VortexIndicator", () => {
    const ts = new TS.VortexIndicator(14);
    const plus = nanArray();
    const minus = nanArray();
    for (let i = 0; i < n; i++) {
      const r = ts.add({ high: c.high[i], low: c.low[i], close: c.close[i] } as never);
      if (r) {
        plus[i] = r.plus;
        minus[i] = r.minus;
      }
    }
    const ours = I.vortex(c.high, c.low, c.close, { period: 14 });
    expectClose(ours.plus, plus, "vi+");
    expectClose(ours.minus, minus, "vi-");
  });

  it("CMF(20) = trading-signals CMF", () => {
    const ts = new TS.CMF(20);
    const peer = Float64Array.from(
      { length: n },
      (_, i) =>
        ts.add({ high: c.high[i], low: c.low[i], close: c.close[i], volume: c.volume[i] } as never) ??
        Number.NaN,
    );
    expectClose(I.chaikinMoneyFlow(c.high, c.low, c.close, c.volume, { period: 20 }), peer, "cmf");
  });

  it("Force index(13), ease of movement(14), VPT = definitions", () => {
    const raw = nanArray();
    for (let i = 1; i < n; i++) raw[i] = (c.close[i] - c.close[i - 1]) * c.volume[i];
    expectClose(I.forceIndex(c.close, c.volume, { period: 13 }), naiveEma(raw, 13), "force");
    const emv = nanArray();
    for (let i = 1; i < n; i++) {
      const dist = (c.high[i] + c.low[i]) / 2 - (c.high[i - 1] + c.low[i - 1]) / 2;
      const box = c.volume[i] / 1e8 / (c.high[i] - c.low[i]);
      emv[i] = c.high[i] === c.low[i] ? 0 : dist / box;
    }
    const eom = nanArray();
    for (let i = 14; i < n; i++) eom[i] = mean(win(emv, i, 14));
    expectClose(I.easeOfMovement(c.high, c.low, c.volume, { period: 14, divisor: 1e8 }), eom, "eom", 1e-8);
    const vpt = new Float64Array(n);
    for (let i = 1; i < n; i++)
      vpt[i] = vpt[i - 1] + (c.volume[i] * (c.close[i] - c.close[i - 1])) / c.close[i - 1];
    expectClose(I.volumePriceTrend(c.close, c.volume), vpt, "vpt");
  });

  it("anchored and 4-hour session VWAP = definition", () => {
    const tp = Float64Array.from(c.close, (x, i) => (c.high[i] + c.low[i] + x) / 3);
    const vwapFrom = (start: number, i: number) => {
      let pv = 0;
      let v = 0;
      for (let j = start; j <= i; j++) {
        pv += tp[j] * c.volume[j];
        v += c.volume[j];
      }
      const m = pv / v;
      let s = 0;
      for (let j = start; j <= i; j++) s += c.volume[j] * (tp[j] - m) ** 2;
      return [m, Math.sqrt(s / v)];
    };
    const anchorIdx = 300;
    const av = nanArray();
    const ad = nanArray();
    for (let i = anchorIdx; i < n; i++) [av[i], ad[i]] = vwapFrom(anchorIdx, i);
    const ours = I.anchoredVwap(c.time, c.high, c.low, c.close, c.volume, { anchor: c.time[anchorIdx] });
    expectClose(ours.vwap, av, "avwap");
    expectClose(ours.deviation, ad, "avwap deviation", 1e-7);

    const len = 4 * 3_600_000_000;
    const off = 1_800_000_000;
    const sv = nanArray();
    let start = 0;
    for (let i = 0; i < n; i++) {
      if (i > 0 && Math.floor((c.time[i] - off) / len) !== Math.floor((c.time[i - 1] - off) / len)) start = i;
      sv[i] = vwapFrom(start, i)[0];
    }
    const session = I.sessionVwap(c.time, c.high, c.low, c.close, c.volume, {
      sessionLength: len,
      sessionOffset: off,
    });
    expectClose(session.vwap, sv, "session vwap");
  });

  it("z-score, sample σ and variance at a large price offset = two-pass definitions", () => {
    const z = nanArray();
    const sd = nanArray();
    for (let i = 19; i < n; i++) {
      const w = win(c.close, i, 20);
      const s = Math.sqrt(varianceOf(w, false));
      z[i] = (c.close[i] - mean(w)) / s;
      sd[i] = Math.sqrt(varianceOf(w, true));
    }
    expectClose(I.zScore(c.close, { period: 20 }), z, "zscore", 1e-8);
    expectClose(I.stdDev(c.close, { period: 20, sample: true }), sd, "stddev sample");
    // Cancellation stress: tiny moves on a 1e9 level. The textbook Σx² − (Σx)²/N loses all
    // digits here; the shifted sliding Welford update keeps ~11 (measured 8e-12 worst case).
    const x = Float64Array.from(c.close, (v) => 1e9 + (v - 46000) / 100);
    const ours = I.variance(x, { period: 20 });
    let worst = 0;
    for (let i = 19; i < n; i++) {
      const exact = varianceOf(win(x, i, 20), false);
      worst = Math.max(worst, Math.abs(ours[i] - exact) / exact);
    }
    expect(worst, "relative error of the variance at a 1e9 level").toBeLessThan(1e-10);
  });

  it("realised volatility estimators = definitions", () => {
    const p = 20;
    const r = nanArray();
    for (let i = 1; i < n; i++) r[i] = Math.log(c.close[i] / c.close[i - 1]);
    const cc = nanArray();
    const cc0 = nanArray();
    for (let i = p; i < n; i++) {
      const w = win(r, i, p);
      cc[i] = Math.sqrt(varianceOf(w, true) * 365);
      cc0[i] = Math.sqrt((w.reduce((s, v) => s + v * v, 0) / p) * 365);
    }
    expectClose(I.closeToCloseVolatility(c.close, { period: p, periodsPerYear: 365 }), cc, "rv_cc", 1e-8);
    expectClose(
      I.closeToCloseVolatility(c.close, { period: p, periodsPerYear: 365, demean: false }),
      cc0,
      "rv_cc zero mean",
    );
    const park = nanArray();
    const gk = nanArray();
    for (let i = p - 1; i < n; i++) {
      let s = 0;
      let g = 0;
      for (let j = i - p + 1; j <= i; j++) {
        const hl = Math.log(c.high[j] / c.low[j]);
        const co = Math.log(c.close[j] / c.open[j]);
        s += hl * hl;
        g += 0.5 * hl * hl - (2 * Math.log(2) - 1) * co * co;
      }
      park[i] = Math.sqrt(s / (4 * p * Math.log(2)));
      gk[i] = Math.sqrt(g / p);
    }
    expectClose(I.parkinsonVolatility(c.high, c.low, { period: p }), park, "parkinson");
    expectClose(I.garmanKlassVolatility(c.open, c.high, c.low, c.close, { period: p }), gk, "garman-klass");
    const yz = nanArray();
    const k = 0.34 / (1.34 + (p + 1) / (p - 1));
    for (let i = p; i < n; i++) {
      const o: number[] = [];
      const oc: number[] = [];
      let rs = 0;
      for (let j = i - p + 1; j <= i; j++) {
        o.push(Math.log(c.open[j] / c.close[j - 1]));
        oc.push(Math.log(c.close[j] / c.open[j]));
        rs +=
          Math.log(c.high[j] / c.close[j]) * Math.log(c.high[j] / c.open[j]) +
          Math.log(c.low[j] / c.close[j]) * Math.log(c.low[j] / c.open[j]);
      }
      yz[i] = Math.sqrt(varianceOf(o, true) + k * varianceOf(oc, true) + ((1 - k) * rs) / p);
    }
    expectClose(I.yangZhangVolatility(c.open, c.high, c.low, c.close, { period: p }), yz, "yang-zhang", 1e-8);
  });

  it("Hurst exponent = polyfit(log lag, log std(lagged differences)) per window", () => {
    const p = 100;
    const expected = nanArray();
    const y = Float64Array.from(c.close, Math.log);
    for (let i = p - 1; i < Math.min(n, 700); i++) {
      const w = win(y, i, p);
      const xs: number[] = [];
      const ys: number[] = [];
      for (let lag = 2; lag <= 20; lag++) {
        const d = w.slice(lag).map((v, j) => v - w[j]);
        const sdv = Math.sqrt(varianceOf(d, false));
        if (sdv > 0) {
          xs.push(Math.log(lag));
          ys.push(Math.log(sdv));
        }
      }
      const mx = mean(xs);
      const my = mean(ys);
      let sxy = 0;
      let sxx = 0;
      xs.forEach((xv, j) => {
        sxy += (xv - mx) * (ys[j] - my);
        sxx += (xv - mx) ** 2;
      });
      expected[i] = sxy / sxx;
    }
    expectClose(
      I.hurstExponent(c.close.subarray(0, 700), { period: p }),
      expected.subarray(0, 700),
      "hurst",
      1e-7,
    );
  });

  it("Choppiness (firstBar skip) = definition", () => {
    const expected = nanArray();
    for (let i = 14; i < n; i++) {
      let s = 0;
      for (let j = i - 13; j <= i; j++) s += trueRangeAt(j);
      const hh = Math.max(...win(c.high, i, 14));
      const ll = Math.min(...win(c.low, i, 14));
      expected[i] = (100 * Math.log10(s / (hh - ll))) / Math.log10(14);
    }
    expectClose(I.choppiness(c.high, c.low, c.close, { period: 14 }), expected, "chop");
  });

  it("SuperTrend (TradingView convention, ATR firstBar range) = Pine ta.supertrend", () => {
    const p = 10;
    const mult = 3;
    const atr = nanArray();
    for (let i = p - 1; i < n; i++) {
      if (i === p - 1) {
        let s = 0;
        for (let j = 0; j < p; j++) s += trueRangeAt(j);
        atr[i] = s / p;
      } else atr[i] = (atr[i - 1] * (p - 1) + trueRangeAt(i)) / p;
    }
    const st = nanArray();
    const dir = nanArray();
    let up = 0;
    let lo = 0;
    for (let i = p - 1; i < n; i++) {
      const hl2 = (c.high[i] + c.low[i]) / 2;
      let u = hl2 + mult * atr[i];
      let l = hl2 - mult * atr[i];
      if (i > p - 1) {
        l = l > lo || c.close[i - 1] < lo ? l : lo;
        u = u < up || c.close[i - 1] > up ? u : up;
      }
      let d: number;
      if (i === p - 1) d = 1;
      else if (st[i - 1] === up) d = c.close[i] > u ? -1 : 1;
      else d = c.close[i] < l ? 1 : -1;
      st[i] = d === -1 ? l : u;
      dir[i] = -d;
      up = u;
      lo = l;
    }
    const ours = I.superTrend(c.high, c.low, c.close, { period: p, multiplier: mult, atrFirstBar: "range" });
    expectClose(ours.value, st, "supertrend");
    expectClose(ours.direction, dir, "supertrend direction");
  });

  it("Ichimoku (standard displacement) = definition", () => {
    const mid = (i: number, p: number) =>
      i < p - 1 ? Number.NaN : (Math.max(...win(c.high, i, p)) + Math.min(...win(c.low, i, p))) / 2;
    const a = nanArray();
    const b = nanArray();
    for (let i = 26; i < n; i++) {
      a[i] = (mid(i - 26, 9) + mid(i - 26, 26)) / 2;
      b[i] = mid(i - 26, 52);
    }
    const ours = I.ichimoku(c.high, c.low);
    expectClose(ours.senkouA, a, "senkou a");
    expectClose(ours.senkouB, b, "senkou b");
  });

  it("RSI with EMA and SMA (Cutler) smoothing = definitions", () => {
    const g = nanArray();
    const l = nanArray();
    for (let i = 1; i < n; i++) {
      const d = c.close[i] - c.close[i - 1];
      g[i] = Math.max(d, 0);
      l[i] = Math.max(-d, 0);
    }
    const ge = naiveEma(g, 14);
    const le = naiveEma(l, 14);
    expectClose(
      I.rsi(c.close, { smoothing: "ema" }),
      ge.map((v, i) => (100 * v) / (v + le[i])),
      "rsi ema",
    );
    const cut = nanArray();
    for (let i = 14; i < n; i++) {
      const sg = win(g, i, 14).reduce((s, v) => s + v, 0);
      const sl = win(l, i, 14).reduce((s, v) => s + v, 0);
      cut[i] = (100 * sg) / (sg + sl);
    }
    expectClose(I.rsi(c.close, { smoothing: "sma" }), cut, "rsi sma");
  });

  it("ATR with SMA/EMA smoothing and CCI with σ = definitions", () => {
    const tr = nanArray();
    for (let i = 1; i < n; i++) tr[i] = trueRangeAt(i);
    const smaTr = nanArray();
    for (let i = 14; i < n; i++) smaTr[i] = mean(win(tr, i, 14));
    expectClose(I.atr(c.high, c.low, c.close, { smoothing: "sma" }), smaTr, "atr sma");
    expectClose(I.atr(c.high, c.low, c.close, { smoothing: "ema" }), naiveEma(tr, 14), "atr ema");
    const tp = Float64Array.from(c.close, (x, i) => (c.high[i] + c.low[i] + x) / 3);
    const cciStd = nanArray();
    for (let i = 19; i < n; i++) {
      const w = win(tp, i, 20);
      cciStd[i] = (tp[i] - mean(w)) / (0.015 * Math.sqrt(varianceOf(w, false)));
    }
    expectClose(I.cci(c.high, c.low, c.close, { deviation: "std" }), cciStd, "cci std", 1e-8);
  });
});
