import { afterAll, describe, expect, it } from "vitest";
import { exportMlp } from "../onnx/export.js";
import { blobs } from "../testing/synthetic.js";
import { predictMlp, trainMlp } from "../train/mlp.js";
import { DeferredPredictor, PrecomputedPredictions } from "./deferred.js";
import { OnnxModel } from "./session.js";

const ds = blobs(100, 4, 3, 8, 2);
const mlp = trainMlp(ds, { hidden: [6], output: "softmax", epochs: 2 });
const models: OnnxModel[] = [];
afterAll(async () => {
  for (const m of models) await m.close();
});

describe("using onnxruntime without awaiting in the hot path", () => {
  it("DeferredPredictor: request on one event, read on the next; a missing or foreign prediction reads as undefined", async () => {
    const model = await OnnxModel.load(exportMlp(mlp));
    models.push(model);
    const d = new DeferredPredictor(model);
    const row = ds.x.subarray(0, 4);
    expect(d.request(1_000, row)).toBe(true);
    expect(d.request(1_001, row)).toBe(false); // still running: skipped, counted
    expect(d.valueFor(1_000)).toBeUndefined(); // not arrived within the same event
    // Later events: poll (bounded) until the run has landed.
    for (let i = 0; i < 400 && d.valueFor(1_000) === undefined; i++)
      await new Promise((r) => setTimeout(r, 5));
    const v = d.valueFor(1_000)!;
    const want = predictMlp(mlp, row, 1);
    for (let k = 0; k < 3; k++) expect(Math.abs(v[k] - want[k])).toBeLessThan(1e-6);
    expect(d.valueFor(2_000)).toBeUndefined();
    expect(d.stats).toEqual({ requested: 1, completed: 1, skipped: 1, failed: 0 });
    expect(() => d.request(3_000, [0, Number.NaN, 0, 0])).toThrow(/NaN/);
  });

  it("PrecomputedPredictions: batch-scored before a backtest, read synchronously by row", async () => {
    const model = await OnnxModel.load(exportMlp(mlp));
    models.push(model);
    const p = await PrecomputedPredictions.compute(model, ds.x, ds.rows);
    const want = predictMlp(mlp, ds.x, ds.rows);
    expect(p.width).toBe(3);
    for (let k = 0; k < 3; k++) expect(Math.abs(p.row(42)[k] - want[42 * 3 + k])).toBeLessThan(1e-6);
    expect(() => p.row(100)).toThrow(/out of range \[0, 100\)/);
  });
});
