import { describe, expect, it } from "vitest";
import { Rng } from "../../core/rng.js";
import { forwardReturns, metaLabels, tripleBarrierLabels } from "./labels.js";
import { checkLookahead, purgedKFold, walkForward } from "./validation.js";

describe("labels", () => {
  it("forward returns are ln(p[t+h]/p[t]) with NaN at the end", () => {
    const r = forwardReturns([100, 110, 121, 133.1], 2);
    expect(r[0]).toBeCloseTo(Math.log(1.21), 12);
    expect(r[1]).toBeCloseTo(Math.log(1.21), 12);
    expect(Number.isNaN(r[2]) && Number.isNaN(r[3])).toBe(true);
    expect(() => forwardReturns([100, -1], 1)).toThrow(/price at bar 1 is -1/);
  });

  it("triple barrier: upper, lower and vertical barriers with the bar each became known", () => {
    const close = [100, 101, 103, 100, 97, 96, 96.5, 97, 97.2, 97.1, 97.3];
    const b = tripleBarrierLabels(close, { profitTake: 2, stopLoss: 2, maxHolding: 3, volatility: 0.01 });
    // t=0: +2% reached at bar 2 (ln(103/100)=0.0296 >= 0.02)
    expect([b.label[0], b.barrier[0], b.end[0]]).toEqual([1, 1, 2]);
    // t=2: 103 -> 100 is -2.96% at bar 3: stop-loss
    expect([b.label[2], b.barrier[2], b.end[2]]).toEqual([-1, -1, 3]);
    // t=6: 96.5 -> 97, 97.2, 97.1 stays inside ±2%: vertical at t+3, label 0
    expect([b.label[6], b.barrier[6], b.end[6]]).toEqual([0, 0, 9]);
    expect(b.ret[6]).toBeCloseTo(Math.log(97.1 / 96.5), 12);
    const sign = tripleBarrierLabels(close, {
      profitTake: 2,
      stopLoss: 2,
      maxHolding: 3,
      volatility: 0.01,
      verticalLabel: "sign",
    });
    expect(sign.label[6]).toBe(1);
    // the last maxHolding bars have no known outcome
    for (const t of [8, 9, 10]) expect(b.barrier[t]).toBe(2);
    expect(b.end[10]).toBe(-1);
  });

  it("meta-labels say whether the primary side was right", () => {
    const close = [100, 101, 103, 100, 97, 96, 96.5, 97, 97.2, 97.1, 97.3];
    const side = [1, -1, -1, 0, 1, 1, 1, 1, 1, 1, 1];
    const m = metaLabels(close, side, { profitTake: 2, stopLoss: 2, maxHolding: 3, volatility: 0.01 });
    expect(m.label[0]).toBe(1); // long, price rose
    expect(m.label[1]).toBe(1); // short at 101: 103 (-1.96%, inside), 100, then 97 (+4%): profit
    expect(m.label[2]).toBe(1); // short, price fell
    expect(m.label[3]).toBe(-1); // no trade
    expect(m.label[4]).toBe(0); // long at 97: vertical barrier with no gain
    expect(m.label[10]).toBe(-1); // outcome unknown
  });
});

describe("validation splits", () => {
  it("walk-forward: rolling and expanding windows never test on the past", () => {
    const f = walkForward(100, { trainSize: 40, testSize: 20, gap: 2 });
    expect(
      f.map((x) => [x.train[0], x.train[x.train.length - 1], x.test[0], x.test[x.test.length - 1]]),
    ).toEqual([
      [0, 39, 42, 61],
      [20, 59, 62, 81],
    ]);
    const e = walkForward(100, { trainSize: 40, testSize: 20, expanding: true });
    expect(e.map((x) => x.train.length)).toEqual([40, 60, 80]);
    expect(() => walkForward(10, { trainSize: 40, testSize: 20 })).toThrow(/too few/);
  });

  it("purged k-fold removes training rows whose labels overlap the test block, plus the embargo", () => {
    const n = 30;
    const labelEnd = Array.from({ length: n }, (_, i) => Math.min(n - 1, i + 3)); // labels span 3 bars
    const folds = purgedKFold(n, { k: 3, labelEnd, embargo: 2 });
    const f1 = folds[1]; // test rows 10..19
    expect(Array.from(f1.test)).toEqual(Array.from({ length: 10 }, (_, i) => 10 + i));
    const train = new Set(f1.train);
    for (const i of [7, 8, 9]) expect(train.has(i)).toBe(false); // labels end in 10..12: purged
    expect(train.has(6)).toBe(true); // label ends at 9
    for (const i of [20, 21, 22]) expect(train.has(i)).toBe(false); // inside the span of test labels (to 22)
    for (const i of [23, 24]) expect(train.has(i)).toBe(false); // embargo: 2 rows after the span
    expect(train.has(25)).toBe(true);
    // no training label overlaps any test row's label span in any fold
    for (const f of folds) {
      const a = f.test[0];
      const spanEnd = Math.max(...Array.from(f.test, (i) => labelEnd[i]));
      for (const i of f.train) expect(labelEnd[i] < a || i > spanEnd).toBe(true);
    }
  });
});

describe("leakage check", () => {
  const rng = new Rng(5);
  const n = 500;
  const close = new Float64Array(n);
  close[0] = 100;
  for (let i = 1; i < n; i++) close[i] = close[i - 1] * Math.exp(0.01 * rng.nextNormal());

  /** Features from the first `end` bars only: lagged return, 5-bar momentum and (optionally) a leak. */
  const features = (leak: boolean) => (end: number) => {
    const data = close.subarray(0, end);
    const cols = 3;
    const out = new Float64Array(end * cols);
    for (let t = 0; t < end; t++) {
      out[t * cols] = t >= 1 ? Math.log(data[t] / data[t - 1]) : 0;
      out[t * cols + 1] = t >= 5 ? Math.log(data[t] / data[t - 5]) : 0;
      // A centred moving average: looks one bar ahead when it can.
      const next = leak && t + 1 < end ? data[t + 1] : data[t];
      out[t * cols + 2] = (data[Math.max(0, t - 1)] + data[t] + next) / 3;
    }
    return out;
  };

  it("passes causal features", () => {
    const r = checkLookahead(n, 3, features(false), { names: ["ret_1", "mom_5", "sma_3"] });
    expect(r).toEqual({ ok: true, leaks: [] });
  });

  it("catches an injected look-ahead feature and names it", () => {
    const r = checkLookahead(n, 3, features(true), { names: ["ret_1", "mom_5", "sma_3_centred"] });
    expect(r.ok).toBe(false);
    expect(r.leaks).toHaveLength(1);
    expect(r.leaks[0]).toMatchObject({ column: 2, name: "sma_3_centred" });
  });
});
