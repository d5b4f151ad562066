import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { exportGbdt, exportMlp } from "../onnx/export.js";
import { quantizeMlpDynamic, quantizeMlpStatic } from "../onnx/quantize.js";
import { accuracy, argmaxRows, blobs, linear, splitRows } from "../testing/synthetic.js";
import { predictGbdt, trainGbdt } from "../train/gbdt.js";
import { predictMlp, trainMlp } from "../train/mlp.js";
import { runConformanceCase } from "./conformance.js";
import { OnnxModel } from "./session.js";

const MODELS = "/work/shared/data/models";
const dir = mkdtempSync(join(tmpdir(), "botv6-ml-"));
const opened: OnnxModel[] = [];
async function load(bytes: Uint8Array, opts = {}) {
  const m = await OnnxModel.load(bytes, opts);
  opened.push(m);
  return m;
}
afterAll(async () => {
  for (const m of opened) await m.close();
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe("ONNX export reproduces in-process predictions (1e-6)", () => {
  const ds = blobs(400, 6, 3, 21, 2);
  const binary = { ...ds, y: ds.y.map((v) => (v === 1 ? 1 : 0)) };
  const reg = linear(400, [1, -2, 0.5, 0, 0, 3], 1, 0.2, 4);

  it("GBDT regression → TreeEnsembleRegressor", async () => {
    const m = trainGbdt(reg, { objective: "regression", rounds: 60, maxDepth: 4, subsample: 0.8 });
    const onnx = await load(exportGbdt(m));
    const got = await onnx.predictBatch(reg.x, reg.rows, "variable");
    expect(maxAbsDiff(got, predictGbdt(m, reg.x, reg.rows))).toBeLessThan(1e-6);
  });

  it("GBDT binary and multiclass → TreeEnsembleClassifier (probabilities and labels)", async () => {
    for (const [data, objective] of [
      [binary, "binary"],
      [ds, "multiclass"],
    ] as const) {
      const m = trainGbdt(data, { objective, rounds: 40, maxDepth: 3 });
      const onnx = await load(exportGbdt(m));
      const expected = predictGbdt(m, data.x, data.rows);
      expect(maxAbsDiff(await onnx.predictBatch(data.x, data.rows, "probabilities"), expected)).toBeLessThan(
        1e-6,
      );
      const labels = Array.from(await onnx.predictBatch(data.x, data.rows, "label"));
      expect(labels).toEqual(argmaxRows(expected, m.classes));
    }
  });

  it("MLP (relu/tanh/sigmoid; linear/sigmoid/softmax outputs) → Gemm graph", async () => {
    for (const activation of ["relu", "tanh", "sigmoid"] as const) {
      for (const [data, output] of [
        [reg, "linear"],
        [binary, "sigmoid"],
        [ds, "softmax"],
      ] as const) {
        const m = trainMlp(data, { hidden: [12, 6], activation, output, epochs: 3, seed: 5 });
        const onnx = await load(exportMlp(m));
        const got = await onnx.predictBatch(data.x, data.rows);
        expect(maxAbsDiff(got, predictMlp(m, data.x, data.rows))).toBeLessThan(1e-6);
      }
    }
  });

  it("batch-1 predict matches batch prediction and reuses its input buffer", async () => {
    const m = trainMlp(ds, { hidden: [8], output: "softmax", epochs: 2 });
    const onnx = await load(exportMlp(m));
    const all = await onnx.predictBatch(ds.x, ds.rows);
    const [a, b] = await Promise.all([onnx.predict(ds.x.subarray(0, 6)), onnx.predict(ds.x.subarray(6, 12))]);
    expect(Array.from(a.output as Float32Array)).toEqual(Array.from(all.subarray(0, 3)));
    expect(Array.from(b.output as Float32Array)).toEqual(Array.from(all.subarray(3, 6)));
  });
});

describe("quantised MLP variants", () => {
  const ds = blobs(1200, 16, 4, 33, 2.5);
  const [train, valid] = splitRows(ds, 0.75);
  const m = trainMlp(train, { hidden: [32], output: "softmax", epochs: 15, learningRate: 0.005, seed: 1 });
  const fp32Acc = accuracy(argmaxRows(predictMlp(m, valid.x, valid.rows), 4), valid.y);

  it("FP16, INT8 dynamic and INT8 static QDQ run and stay close to FP32", async () => {
    const variants = {
      fp16: exportMlp(m, { precision: "fp16" }),
      dynamic: quantizeMlpDynamic(m),
      static: quantizeMlpStatic(m, train),
    };
    const ref = predictMlp(m, valid.x, valid.rows);
    for (const [name, bytes] of Object.entries(variants)) {
      const onnx = await load(bytes);
      const p = await onnx.predictBatch(valid.x, valid.rows);
      expect(maxAbsDiff(p, ref), name).toBeLessThan(name === "fp16" ? 5e-3 : 0.08);
      expect(Math.abs(accuracy(argmaxRows(p, 4), valid.y) - fp32Acc), name).toBeLessThan(0.03);
      expect(onnx.metadata["botv6.precision"]).toBe(name === "fp16" ? "fp16" : `int8-${name}`);
    }
  });
});

describe("loading models: bad input", () => {
  const m = trainMlp(linear(50, [1, 2, 3], 0, 0, 1), { hidden: [], output: "linear", epochs: 1 });
  const named = { ...m, featureNames: ["ret_1", "rsi_14", "vol_20"] };

  it("a corrupt ONNX file is ML_MODEL_FORMAT naming the file", async () => {
    const f = join(dir, "corrupt.onnx");
    writeFileSync(f, Buffer.from("definitely not protobuf \u0001\u0002\u0003"));
    await expect(OnnxModel.load(f)).rejects.toMatchObject({
      code: "ML_MODEL_FORMAT",
      message: expect.stringContaining(f),
    });
    const truncated = exportMlp(m).subarray(0, 40);
    await expect(OnnxModel.load(truncated, { name: "truncated" })).rejects.toMatchObject({
      code: "ML_MODEL_FORMAT",
    });
    await expect(OnnxModel.load(join(dir, "missing.onnx"))).rejects.toThrow(/cannot read model file/);
  });

  it("feature count, names and dtype mismatches are ML_MODEL_MISMATCH", async () => {
    const bytes = exportMlp(named);
    await expect(OnnxModel.load(bytes, { features: 4 })).rejects.toThrow(
      /takes 3 features, the feature set has 4/,
    );
    await expect(OnnxModel.load(bytes, { featureNames: ["ret_1", "rsi_7", "vol_20"] })).rejects.toThrow(
      /feature 1 is "rsi_14" in the model but "rsi_7" in the feature set/,
    );
    const gemm = join(MODELS, "onnx_test_gemm_default_vector_bias", "model.onnx");
    await expect(OnnxModel.load(gemm, { features: 7 })).rejects.toThrow(
      /expected one input \[N, features\], the model has 3/,
    );
    const onnx = await load(bytes, { featureNames: named.featureNames });
    expect(onnx.nFeatures).toBe(3);
  });

  it("wrong feature vector length, NaN features and wrong run() feeds are rejected before running", async () => {
    const onnx = await load(exportMlp(m));
    expect(() => onnx.predict([1, 2])).toThrow(/feature vector has 2 values, the model takes 3/);
    expect(() => onnx.predict([1, Number.NaN, 3])).toThrow(/column 1 is NaN/);
    expect(() => onnx.predictBatch(Float32Array.from([1, 2, 3, 4, 5, Number.NaN]), 2)).toThrow(
      /row 1, column 2 is NaN/,
    );
    expect(() =>
      onnx.run({ features: { type: "float64", data: new Float64Array(3), dims: [1, 3] } }),
    ).toThrow(/input "features" must be float32, got float64/);
    expect(() =>
      onnx.run({ features: { type: "float32", data: new Float32Array(4), dims: [1, 4] } }),
    ).toThrow(/must have shape \[\?, 3\], got \[1, 4\]/);
    expect(() => onnx.run({ x: { type: "float32", data: new Float32Array(3), dims: [1, 3] } })).toThrow(
      /missing input "features"/,
    );
  });
});

describe("foreign models: ONNX conformance cases", () => {
  it("Gemm (default, vector bias) reproduces output_0", async () => {
    const r = await runConformanceCase(join(MODELS, "onnx_test_gemm_default_vector_bias"));
    expect(r.outputs[0].dims).toEqual([2, 4]);
    expect(r.maxAbsError).toBeLessThan(1e-6);
  });
  it("LSTM (defaults) reproduces Y_h", async () => {
    const r = await runConformanceCase(join(MODELS, "onnx_test_lstm_defaults"));
    expect(r.outputs[0].dims).toEqual([1, 3, 3]);
    expect(r.maxAbsError).toBeLessThan(1e-6);
  });
});
