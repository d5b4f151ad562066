/** Registry shape, factory and batch helper; ring buffer and monotonic-deque primitives. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  computeBatch,
  getIndicator,
  listIndicators,
  RingBuffer,
  RollingMax,
  RollingMin,
  RollingSum,
} from "./index.js";

const REQUIRED = [
  "sma",
  "ema",
  "wma",
  "dema",
  "tema",
  "kama",
  "hma",
  "vwma",
  "rsi",
  "macd",
  "ppo",
  "pvo",
  "stoch",
  "stochrsi",
  "willr",
  "cci",
  "roc",
  "mom",
  "tsi",
  "ultosc",
  "atr",
  "natr",
  "bbands",
  "keltner",
  "donchian",
  "adx",
  "aroon",
  "psar",
  "supertrend",
  "ichimoku",
  "vortex",
  "obv",
  "mfi",
  "ad",
  "cmf",
  "force",
  "eom",
  "vpt",
  "ulcer",
  "stc",
  "vwap",
  "avwap",
  "zscore",
  "stddev",
  "var",
  "linreg_slope",
  "rv_cc",
  "rv_parkinson",
  "rv_garman_klass",
  "rv_yang_zhang",
  "hurst",
  "chop",
];

describe("registry", () => {
  const specs = listIndicators();

  it("contains every required indicator under a unique lowercase name", () => {
    const names = specs.map((s) => s.name);
    expect(new Set(names).size).toBe(names.length);
    for (const n of names) expect(n).toMatch(/^[a-z][a-z0-9_]*$/);
    for (const r of REQUIRED) expect(names, r).toContain(r);
  });

  it("describes inputs, parameters with valid defaults, outputs and references", () => {
    const columns = ["time", "open", "high", "low", "close", "volume"];
    for (const s of specs) {
      expect(s.inputs.length).toBeGreaterThan(0);
      for (const c of s.inputs) expect(columns).toContain(c);
      expect(s.outputs.length).toBeGreaterThan(0);
      for (const o of s.outputs) expect(o).toMatch(/^[a-z][a-z0-9_]*$/);
      expect(s.references.length).toBeGreaterThan(0);
      for (const p of s.params) {
        expect(p.description.length).toBeGreaterThan(3);
        if (p.type === "enum") expect(p.choices).toContain(p.default);
      }
      const ind = s.create();
      expect(ind.isReady).toBe(false);
      expect(ind.warmup).toBeGreaterThanOrEqual(0);
      expect(ind.params).toEqual(s.resolveParams({}));
    }
  });

  it("lookup is case-insensitive and computeBatch names its outputs", () => {
    expect(getIndicator("RSI").name).toBe("rsi");
    const close = Array.from({ length: 50 }, (_, i) => 100 + Math.sin(i / 3) * 5);
    const out = computeBatch("bbands", { close }, { period: "10", multiplier: "1.5" });
    expect(Object.keys(out)).toEqual(["upper", "middle", "lower", "bandwidth", "percent_b"]);
    expect(Number.isNaN(out.middle[8])).toBe(true);
    expect(out.middle[9]).toBeCloseTo(close.slice(0, 10).reduce((a, b) => a + b) / 10, 12);
  });

  it("every indicator is documented in docs/indicators.md", () => {
    const doc = readFileSync(new URL("../../docs/indicators.md", import.meta.url), "utf8");
    for (const s of specs) expect(doc, s.name).toContain(`\`${s.name}\``);
  });
});

/** Deterministic pseudo-random integers (ties are frequent). */
function lcg(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s % 7;
  };
}

describe("ring primitives", () => {
  it("RollingMax/RollingMin agree with a naive scan, including ties and barsSince", () => {
    for (const w of [1, 2, 5, 17]) {
      for (const latest of [true, false]) {
        const rnd = lcg(w * 31 + (latest ? 1 : 0));
        const xs: number[] = [];
        const mx = new RollingMax(w, latest);
        const mn = new RollingMin(w, latest);
        for (let i = 0; i < 500; i++) {
          const x = rnd();
          xs.push(x);
          const hi = mx.push(x);
          const lo = mn.push(x);
          const win = xs.slice(Math.max(0, i - w + 1));
          expect(hi).toBe(Math.max(...win));
          expect(lo).toBe(Math.min(...win));
          const hiIdx = latest ? win.lastIndexOf(hi) : win.indexOf(hi);
          const loIdx = latest ? win.lastIndexOf(lo) : win.indexOf(lo);
          expect(mx.barsSince).toBe(win.length - 1 - hiIdx);
          expect(mn.barsSince).toBe(win.length - 1 - loIdx);
        }
      }
    }
  });

  it("RingBuffer returns evicted values and indexes by age", () => {
    const r = new RingBuffer(3);
    expect(Number.isNaN(r.push(1))).toBe(true);
    r.push(2);
    r.push(3);
    expect(r.full).toBe(true);
    expect(r.push(4)).toBe(1);
    expect([r.at(0), r.at(1), r.at(2)]).toEqual([2, 3, 4]);
    expect([r.ago(0), r.ago(1), r.ago(2)]).toEqual([4, 3, 2]);
  });

  it("RollingSum returns exactly 0 for a window of zeros after non-zero values", () => {
    const s = new RollingSum(3);
    for (const x of [0.1, 0.2, 0.3, 0.7]) s.push(x);
    for (let i = 0; i < 3; i++) s.push(0);
    expect(s.sum).toBe(0);
  });
});
