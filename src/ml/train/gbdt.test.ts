import { describe, expect, it } from "vitest";
import { datasetFromRows } from "../dataset.js";
import { MlError } from "../errors.js";
import { accuracy, argmaxRows, blobs, linear, splitRows } from "../testing/synthetic.js";
import { GbdtEvaluator, predictGbdt, trainGbdt } from "./gbdt.js";

/** Exhaustive best L2 split of a single feature: the threshold that minimises the summed squared error. */
function bestStump(x: number[], y: number[]): { t: number; left: number; right: number } {
  const xs = [...new Set(x)].sort((a, b) => a - b);
  let best = { sse: Number.POSITIVE_INFINITY, t: 0, left: 0, right: 0 };
  for (const t of xs.slice(0, -1)) {
    const L = y.filter((_, i) => x[i] <= t);
    const R = y.filter((_, i) => x[i] > t);
    const mL = L.reduce((a, b) => a + b, 0) / L.length;
    const mR = R.reduce((a, b) => a + b, 0) / R.length;
    const sse = L.reduce((a, v) => a + (v - mL) ** 2, 0) + R.reduce((a, v) => a + (v - mR) ** 2, 0);
    if (sse < best.sse) best = { sse, t, left: mL, right: mR };
  }
  return best;
}

describe("trainGbdt: known results", () => {
  it("a single L2 stump finds the exhaustive best split and the side means", () => {
    const x = [0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5];
    const y = [1, 2, 1, 2, 7, 8, 9, 8, 7, 9];
    const ds = datasetFromRows(
      x.map((v) => [v]),
      y,
    );
    const m = trainGbdt(ds, { objective: "regression", rounds: 1, maxDepth: 1, learningRate: 1, lambda: 0 });
    const expected = bestStump(x, y);
    expect(m.trees).toHaveLength(1);
    expect(m.trees[0].feature[0]).toBe(0);
    expect(m.trees[0].threshold[0]).toBe(expected.t);
    const pred = predictGbdt(m, ds.x, ds.rows);
    for (let i = 0; i < x.length; i++)
      expect(pred[i]).toBeCloseTo(x[i] <= expected.t ? expected.left : expected.right, 12);
  });

  it("picks the informative feature and ignores the noise feature", () => {
    const rows: number[][] = [];
    const y: number[] = [];
    for (let i = 0; i < 40; i++) {
      rows.push([(i * 7919) % 13, i % 2]); // feature 0 noise, feature 1 decides
      y.push(i % 2 === 0 ? -3 : 4);
    }
    const m = trainGbdt(datasetFromRows(rows, y), {
      objective: "regression",
      rounds: 1,
      maxDepth: 1,
      learningRate: 1,
      lambda: 0,
    });
    expect(m.trees[0].feature[0]).toBe(1);
    expect(m.trees[0].threshold[0]).toBe(0);
  });

  it("binary logloss: one Newton step gives leaf = -sum(g)/sum(h) at the prior", () => {
    const x = [0, 0, 0, 0, 1, 1, 1, 1];
    const y = [0, 0, 0, 1, 1, 1, 1, 0];
    const ds = datasetFromRows(
      x.map((v) => [v]),
      y,
    );
    const m = trainGbdt(ds, { objective: "binary", rounds: 1, maxDepth: 1, learningRate: 1, lambda: 0 });
    const p0 = 0.5; // prior: 4 of 8 positive
    expect(m.baseScore[0]).toBeCloseTo(0, 12);
    // left: y = 0,0,0,1 -> G = 4*p0 - 1, H = 4*p0*(1-p0)
    const leftLeaf = -(4 * p0 - 1) / (4 * p0 * (1 - p0));
    const rightLeaf = -(4 * p0 - 3) / (4 * p0 * (1 - p0));
    const t = m.trees[0];
    expect(t.value[t.left[0]]).toBeCloseTo(leftLeaf, 12);
    expect(t.value[t.right[0]]).toBeCloseTo(rightLeaf, 12);
    const out = new GbdtEvaluator(m).predict([1], new Float64Array(2));
    expect(out[1]).toBeCloseTo(1 / (1 + Math.exp(-rightLeaf)), 12);
    expect(out[0] + out[1]).toBeCloseTo(1, 15);
  });

  it("multiclass softmax separates gaussian blobs, probabilities sum to one", () => {
    const ds = blobs(600, 4, 3, 7, 4);
    const [train, test] = splitRows(ds, 0.7);
    const m = trainGbdt(train, { objective: "multiclass", rounds: 30, maxDepth: 3 });
    expect(m.classes).toBe(3);
    expect(m.trees).toHaveLength(90);
    const p = predictGbdt(m, test.x, test.rows);
    for (let r = 0; r < test.rows; r++) expect(p[r * 3] + p[r * 3 + 1] + p[r * 3 + 2]).toBeCloseTo(1, 12);
    expect(accuracy(argmaxRows(p, 3), test.y)).toBeGreaterThan(0.9);
  });

  it("regression fits a linear function with deeper trees and more rounds", () => {
    const ds = linear(2000, [2, -1], 0.5, 0, 3);
    const m = trainGbdt(ds, { objective: "regression", rounds: 200, maxDepth: 4, learningRate: 0.2 });
    const p = predictGbdt(m, ds.x, ds.rows);
    let mse = 0;
    for (let r = 0; r < ds.rows; r++) mse += (p[r] - ds.y[r]) ** 2;
    expect(mse / ds.rows).toBeLessThan(0.01);
  });
});

describe("trainGbdt: subsampling, early stopping, determinism", () => {
  const noisy = linear(1500, [1, 0, 0, 0], 0, 1.0, 11);
  const [train, valid] = splitRows(noisy, 0.7);

  it("early stopping keeps the best round's trees", () => {
    const progress: number[] = [];
    const m = trainGbdt(
      train,
      { objective: "regression", rounds: 500, maxDepth: 6, learningRate: 0.3, earlyStoppingRounds: 10 },
      { valid, onProgress: (p) => progress.push(p.round), progressEvery: 5 },
    );
    expect(m.bestRound).toBeLessThan(100);
    expect(m.trees).toHaveLength(m.bestRound);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[progress.length - 1]).toBe(m.bestRound + 10);
  });

  it("same seed gives an identical model; a different seed with subsampling does not", () => {
    const p = {
      objective: "regression" as const,
      rounds: 20,
      maxDepth: 3,
      subsample: 0.5,
      colsample: 0.5,
      seed: 42,
    };
    const a = trainGbdt(train, p);
    const b = trainGbdt(train, p);
    const c = trainGbdt(train, { ...p, seed: 43 });
    expect(predictGbdt(a, valid.x, valid.rows)).toEqual(predictGbdt(b, valid.x, valid.rows));
    expect(predictGbdt(a, valid.x, valid.rows)).not.toEqual(predictGbdt(c, valid.x, valid.rows));
  });
});

describe("trainGbdt: bad input", () => {
  const ds = datasetFromRows([[1], [2], [3]], [0, 1, 0]);
  it("rejects out-of-range parameters naming the field", () => {
    expect(() => trainGbdt(ds, { objective: "binary", maxDepth: 0 })).toThrow(
      /maxDepth must be an integer in \[1, 30\]/,
    );
    expect(() => trainGbdt(ds, { objective: "binary", subsample: 1.5 })).toThrow(
      /subsample must be in \(0, 1\]/,
    );
    expect(() => trainGbdt(ds, { objective: "binary", earlyStoppingRounds: 5 })).toThrow(
      /needs a validation set/,
    );
  });
  it("rejects NaN features and bad labels naming the row", () => {
    const nan = { ...ds, x: Float32Array.from([1, Number.NaN, 3]) };
    expect(() => trainGbdt(nan, { objective: "regression" })).toThrow(/row 1, column 0 is NaN/);
    const badLabel = { ...ds, y: Float64Array.from([0, 2, 1]) };
    expect(() => trainGbdt(badLabel, { objective: "binary" })).toThrow(MlError);
    expect(() => trainGbdt(badLabel, { objective: "binary" })).toThrow(/label at row 1 is 2/);
  });
});
