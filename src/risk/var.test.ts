import { describe, expect, it } from "vitest";
import { AccountVar, historicalVar, inverseNormal, parametricVar, RollingWindow, VarError } from "./var.js";

describe("VaR and expected shortfall", () => {
  it("historical: the 95% quantile loss of 1..100 losses, and the tail mean", () => {
    const pnl = Array.from({ length: 100 }, (_, i) => -(i + 1)); // losses 1..100
    const r = historicalVar(pnl, 0.95);
    expect(r.var).toBe(96);
    expect(r.expectedShortfall).toBe(98);
    expect(r.samples).toBe(100);
  });

  it("parametric: matches the normal formula", () => {
    const xs = [1, -1, 2, -2, 0, 1.5, -1.5];
    const r = parametricVar(xs, 0.99);
    const sd = Math.sqrt(xs.reduce((a, x) => a + x * x, 0) / (xs.length - 1));
    expect(r.var).toBeCloseTo(2.326347874 * sd, 6);
    expect(r.expectedShortfall).toBeGreaterThan(r.var);
  });

  it("inverse normal is accurate", () => {
    expect(inverseNormal(0.975)).toBeCloseTo(1.959963985, 8);
    expect(inverseNormal(0.01)).toBeCloseTo(-2.326347874, 8);
    expect(inverseNormal(0.5)).toBeCloseTo(0, 12);
  });

  it("the rolling window keeps the last N samples in order", () => {
    const w = new RollingWindow(3);
    for (const x of [1, 2, 3, 4]) w.add(x);
    expect([...w.values()]).toEqual([2, 3, 4]);
  });

  it("per-account VaR from equity observations", () => {
    const v = new AccountVar(10);
    for (const e of [100, 99, 101, 97, 98, 96, 100]) v.addEquity(e);
    expect(v.historical(0.9).var).toBe(4);
    expect(v.parametric(0.95).var).toBeGreaterThan(0);
  });

  it.each<[string, () => unknown]>([
    ["a NaN sample", () => new RollingWindow(3).add(Number.NaN)],
    ["a bad confidence", () => historicalVar([1, 2, 3], 1.5)],
    ["too few samples", () => parametricVar([1], 0.95)],
    ["a tiny window", () => new RollingWindow(1)],
    ["a probability of 0", () => inverseNormal(0)],
    ["infinite equity", () => new AccountVar(5).addEquity(Number.POSITIVE_INFINITY)],
  ])("rejects %s", (_n, f) => {
    expect(f).toThrow(VarError);
  });
});
