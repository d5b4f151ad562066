/**
 * Builds the ONNX variants of an MLP (FP32, FP16, INT8 dynamic, INT8 static QDQ) and scores each
 * on a validation set, so the accuracy cost of quantisation is measured, reported and — in the
 * registry — enforced.
 */
import type { Dataset } from "../dataset.js";
import { exportMlp } from "../onnx/export.js";
import { type Quantisation, quantizeMlpDynamic, quantizeMlpStatic } from "../onnx/quantize.js";
import type { MlpModel } from "../train/mlp.js";
import { OnnxModel } from "./session.js";

/** Validation score, higher is better: accuracy for classifiers, -RMSE for regression. */
export function validationScore(
  outputs: ArrayLike<number>,
  y: ArrayLike<number>,
  nOutputs: number,
  kind: MlpModel["output"],
): number {
  const rows = y.length;
  if (kind === "linear") {
    let s = 0;
    for (let r = 0; r < rows; r++) s += (outputs[r] - y[r]) ** 2;
    return -Math.sqrt(s / rows);
  }
  let ok = 0;
  for (let r = 0; r < rows; r++) {
    let pred: number;
    if (kind === "sigmoid") pred = outputs[r] > 0.5 ? 1 : 0;
    else {
      pred = 0;
      for (let k = 1; k < nOutputs; k++)
        if (outputs[r * nOutputs + k] > outputs[r * nOutputs + pred]) pred = k;
    }
    if (pred === y[r]) ok++;
  }
  return ok / rows;
}

export function buildVariant(m: MlpModel, q: Quantisation, calib: Dataset): Uint8Array {
  if (q === "fp32" || q === "fp16") return exportMlp(m, { precision: q });
  if (q === "int8-dynamic") return quantizeMlpDynamic(m);
  return quantizeMlpStatic(m, calib);
}

export interface VariantReport {
  quantisation: Quantisation;
  bytes: number;
  score: number;
  /** fp32 score minus this variant's score (positive = worse). */
  scoreDrop: number;
  /** Largest absolute output difference from FP32 over the validation rows. */
  maxAbsDiff: number;
  /** onnxruntime batch-1 latency over `latencyRuns` predictions of validation rows, µs. */
  latencyP50Us: number;
  latencyP99Us: number;
  onnx: Uint8Array;
}

/**
 * Scores each variant on `valid` (through onnxruntime) and times `latencyRuns` batch-1
 * predictions; `calib` calibrates INT8 static.
 */
export async function compareVariants(
  m: MlpModel,
  valid: Dataset,
  calib: Dataset,
  variants: readonly Quantisation[] = ["fp32", "fp16", "int8-dynamic", "int8-static"],
  latencyRuns = 1000,
): Promise<VariantReport[]> {
  const out: VariantReport[] = [];
  let ref: Float32Array | undefined;
  let refScore = 0;
  for (const q of ["fp32", ...variants.filter((v) => v !== "fp32")] as Quantisation[]) {
    const onnx = buildVariant(m, q, calib);
    const session = await OnnxModel.load(onnx, { name: q, features: m.nFeatures });
    const pred = await session.predictBatch(valid.x, valid.rows, "output");
    const lat = new Float64Array(latencyRuns);
    for (let i = 0; i < latencyRuns; i++) {
      const r = i % valid.rows;
      const t0 = process.hrtime.bigint();
      await session.predict(valid.x.subarray(r * valid.cols, (r + 1) * valid.cols));
      lat[i] = Number(process.hrtime.bigint() - t0) / 1000;
    }
    lat.sort();
    const pct = (q: number) =>
      latencyRuns > 0 ? lat[Math.min(latencyRuns - 1, Math.floor(q * latencyRuns))] : Number.NaN;
    await session.close();
    const score = validationScore(pred, valid.y, m.nOutputs, m.output);
    if (!ref) {
      ref = pred;
      refScore = score;
    }
    let maxAbsDiff = 0;
    for (let i = 0; i < pred.length; i++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs(pred[i] - ref[i]));
    if (variants.includes(q))
      out.push({
        quantisation: q,
        bytes: onnx.length,
        score,
        scoreDrop: refScore - score,
        maxAbsDiff,
        latencyP50Us: pct(0.5),
        latencyP99Us: pct(0.99),
        onnx,
      });
  }
  return out;
}
