import { describe, expect, it } from "vitest";
import { datasetFromRows } from "../dataset.js";
import { accuracy, argmaxRows, blobs, linear, splitRows } from "../testing/synthetic.js";
import { MlpEvaluator, predictMlp, trainMlp } from "./mlp.js";

/** Least squares with intercept via the normal equations (Gaussian elimination). */
function leastSquares(x: Float32Array, y: Float64Array, rows: number, cols: number): number[] {
  const n = cols + 1;
  const A = Array.from({ length: n }, () => new Array<number>(n + 1).fill(0));
  for (let r = 0; r < rows; r++) {
    const v = [...Array.from(x.subarray(r * cols, r * cols + cols)), 1];
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) A[i][j] += v[i] * v[j];
      A[i][n] += v[i] * y[r];
    }
  }
  for (let i = 0; i < n; i++) {
    for (let k = i + 1; k < n; k++) {
      const f = A[k][i] / A[i][i];
      for (let j = i; j <= n; j++) A[k][j] -= f * A[i][j];
    }
  }
  const sol = new Array<number>(n).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    let s = A[i][n];
    for (let j = i + 1; j < n; j++) s -= A[i][j] * sol[j];
    sol[i] = s / A[i][i];
  }
  return sol;
}

describe("trainMlp", () => {
  it("learns XOR", () => {
    const ds = datasetFromRows(
      [
        [0, 0],
        [0, 1],
        [1, 0],
        [1, 1],
      ],
      [0, 1, 1, 0],
    );
    const m = trainMlp(ds, {
      hidden: [8],
      activation: "tanh",
      output: "sigmoid",
      epochs: 1500,
      batchSize: 4,
      learningRate: 0.05,
      seed: 3,
    });
    const p = predictMlp(m, ds.x, 4);
    expect(Array.from(p, (v) => (v > 0.5 ? 1 : 0))).toEqual([0, 1, 1, 0]);
    expect(Math.max(p[0], p[3])).toBeLessThan(0.1);
    expect(Math.min(p[1], p[2])).toBeGreaterThan(0.9);
  });

  it("a linear model (no hidden layer) converges to the closed-form least-squares solution", () => {
    const ds = linear(400, [2, -3, 0.5], 0.7, 0.1, 5);
    const m = trainMlp(ds, {
      hidden: [],
      output: "linear",
      epochs: 300,
      batchSize: 32,
      learningRate: 0.01,
      seed: 1,
    });
    const sol = leastSquares(ds.x, ds.y, ds.rows, ds.cols);
    const w = m.layers[0].weights;
    for (let c = 0; c < 3; c++) expect(w[c]).toBeCloseTo(sol[c], 2);
    expect(m.layers[0].bias[0]).toBeCloseTo(sol[3], 2);
  });

  it("standardizeTarget: tiny targets (returns-sized) train like unit ones; the model predicts in target units", () => {
    const ds = linear(400, [2, -3, 0.5], 0.7, 0.1, 5);
    const tiny = { ...ds, y: ds.y.map((v) => v * 1e-3) };
    const params = { hidden: [], output: "linear" as const, epochs: 300, batchSize: 32, seed: 1 };
    const sol = leastSquares(tiny.x, tiny.y, tiny.rows, tiny.cols);
    const m = trainMlp(tiny, { ...params, learningRate: 0.003, standardizeTarget: true });
    const w = m.layers[0].weights;
    // Within 5 % of every least-squares coefficient (Adam's jitter scales with the target's std).
    for (let c = 0; c < 3; c++) expect(Math.abs(w[c] / sol[c] - 1)).toBeLessThan(0.05);
    expect(Math.abs(m.layers[0].bias[0] / sol[3] - 1)).toBeLessThan(0.05);
    // A hidden-layer MLP on a short budget: with it, errors are of the target's scale (~1e-3);
    // without it, the output keeps its initial unit scale (errors ~0.1, 100x the targets).
    const rmse = (standardizeTarget: boolean) => {
      const h = trainMlp(tiny, { ...params, hidden: [8], epochs: 5, learningRate: 0.003, standardizeTarget });
      const p = predictMlp(h, tiny.x, tiny.rows);
      let se = 0;
      for (let i = 0; i < tiny.rows; i++) se += (p[i] - tiny.y[i]) ** 2;
      return Math.sqrt(se / tiny.rows);
    };
    const with_ = rmse(true);
    expect(with_).toBeLessThan(0.002);
    expect(rmse(false)).toBeGreaterThan(10 * with_);
  });

  it("softmax classifies blobs; the evaluator agrees with batch prediction", () => {
    const ds = blobs(600, 6, 4, 9, 5);
    const [train, test] = splitRows(ds, 0.7);
    const m = trainMlp(train, { hidden: [16], output: "softmax", epochs: 30, learningRate: 0.01, seed: 2 });
    const p = predictMlp(m, test.x, test.rows);
    expect(accuracy(argmaxRows(p, 4), test.y)).toBeGreaterThan(0.9);
    const ev = new MlpEvaluator(m);
    const out = new Float64Array(4);
    ev.predict(test.x, out, 5 * 6);
    expect(Array.from(out)).toEqual(Array.from(p.subarray(20, 24)));
  });

  it("early stopping restores the best epoch; same seed gives the same weights", () => {
    const ds = linear(300, [1, 0, 0, 0, 0, 0], 0, 1, 8);
    const [train, valid] = splitRows(ds, 0.5);
    const params = {
      hidden: [64],
      output: "linear" as const,
      epochs: 400,
      learningRate: 0.01,
      earlyStoppingEpochs: 5,
      seed: 4,
    };
    const epochs: number[] = [];
    const a = trainMlp(train, params, { valid, onProgress: (p) => epochs.push(p.epoch) });
    expect(epochs.length).toBeLessThan(400);
    expect(epochs[epochs.length - 1]).toBe(a.bestEpoch + 5);
    const b = trainMlp(train, params, { valid });
    expect(b.layers[0].weights).toEqual(a.layers[0].weights);
  });

  it("rejects bad parameters and NaN inputs with the field named", () => {
    const ds = datasetFromRows([[1], [2]], [0, 1]);
    expect(() => trainMlp(ds, { hidden: [0], output: "linear" })).toThrow(
      /hidden must be a list of positive integers/,
    );
    expect(() => trainMlp(ds, { hidden: [], output: "linear", learningRate: -1 })).toThrow(
      /learningRate must be > 0/,
    );
    const nan = { ...ds, x: Float32Array.from([1, Number.POSITIVE_INFINITY]) };
    expect(() => trainMlp(nan, { hidden: [], output: "linear" })).toThrow(/row 1, column 0 is Infinity/);
  });
});
