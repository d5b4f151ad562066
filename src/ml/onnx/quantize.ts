/**
 * Quantised ONNX variants of an MLP.
 *
 * - **INT8 dynamic**: weights int8, symmetric per output column; activations quantised at run time
 *   by `DynamicQuantizeLinear` (uint8, per tensor), products by `MatMulInteger`, rescaled in float
 *   and the float bias added. Needs no calibration data.
 * - **INT8 static (QDQ)**: weights int8 per column (`DequantizeLinear` with `axis=1`); each layer's
 *   input passes through `QuantizeLinear`/`DequantizeLinear` with a scale and zero point fixed by
 *   calibration (min/max of that activation over calibration rows, e.g. the training set).
 *   onnxruntime's graph optimiser may fuse the QDQ pairs into integer kernels (not inspected).
 * - **FP16** lives in {@link exportMlp} (`precision: "fp16"`).
 *
 * The last layer's output (before sigmoid/softmax) stays float, as the probabilities need it.
 */
import type { Dataset } from "../dataset.js";
import { MlError } from "../errors.js";
import type { MlpModel } from "../train/mlp.js";
import { type ExportOptions, INPUT_NAME } from "./export.js";
import {
  DT,
  encodeModel,
  floatTensor,
  int8Tensor,
  type NodeProto,
  node,
  type TensorProto,
  uint8Tensor,
  valueInfo,
} from "./proto.js";

export type Quantisation = "fp32" | "fp16" | "int8-dynamic" | "int8-static";
export const QUANTISATIONS: readonly Quantisation[] = ["fp32", "fp16", "int8-dynamic", "int8-static"];

const ACT_OP = { relu: "Relu", tanh: "Tanh", sigmoid: "Sigmoid" } as const;

/** Per-column symmetric int8 weights: W ≈ q * scale[col]. */
export function quantizeWeights(
  w: Float32Array,
  rows: number,
  cols: number,
): { q: Int8Array; scale: Float32Array } {
  const scale = new Float32Array(cols);
  for (let j = 0; j < cols; j++) {
    let m = 0;
    for (let i = 0; i < rows; i++) m = Math.max(m, Math.abs(w[i * cols + j]));
    scale[j] = m > 0 ? m / 127 : 1;
  }
  const q = new Int8Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++)
      q[i * cols + j] = Math.max(-127, Math.min(127, Math.round(w[i * cols + j] / scale[j])));
  return { q, scale };
}

/** Range [min, max] of each layer's input over the calibration rows (layer 0 = the features). */
export function calibrateMlp(m: MlpModel, calib: Dataset): { min: number; max: number }[] {
  if (calib.cols !== m.nFeatures)
    throw new MlError(
      "ML_BAD_DATASET",
      `calibration data has ${calib.cols} features, the model takes ${m.nFeatures}`,
    );
  const ranges = m.layers.map(() => ({ min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY }));
  const bufs = m.layers.map((l) => new Float64Array(l.outputs));
  for (let r = 0; r < calib.rows; r++) {
    let input: ArrayLike<number> = calib.x.subarray(r * calib.cols, (r + 1) * calib.cols);
    for (let li = 0; li < m.layers.length; li++) {
      const l = m.layers[li];
      const range = ranges[li];
      for (let i = 0; i < l.inputs; i++) {
        const v = input[i];
        if (!Number.isFinite(v))
          throw new MlError("ML_BAD_DATASET", `calibration row ${r}: layer ${li} input ${i} is ${v}`, {
            row: r,
          });
        if (v < range.min) range.min = v;
        if (v > range.max) range.max = v;
      }
      if (li === m.layers.length - 1) break;
      const z = bufs[li];
      for (let j = 0; j < l.outputs; j++) {
        let s = l.bias[j];
        for (let i = 0; i < l.inputs; i++) s += input[i] * l.weights[i * l.outputs + j];
        z[j] =
          m.activation === "relu"
            ? Math.max(0, s)
            : m.activation === "tanh"
              ? Math.tanh(s)
              : 1 / (1 + Math.exp(-s));
      }
      input = z;
    }
  }
  return ranges;
}

/** uint8 asymmetric scale and zero point covering [min, max] (and 0). */
export function activationQuantParams(min: number, max: number): { scale: number; zeroPoint: number } {
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  const scale = hi > lo ? (hi - lo) / 255 : 1;
  const zeroPoint = Math.max(0, Math.min(255, Math.round(-lo / scale)));
  return { scale: Math.fround(scale), zeroPoint };
}

function finish(m: MlpModel, h: string, nodes: NodeProto[]): void {
  if (m.output === "sigmoid") nodes.push(node("Sigmoid", [h], ["output"]));
  else if (m.output === "softmax") nodes.push(node("Softmax", [h], ["output"], { axis: 1 }));
  else nodes.push(node("Identity", [h], ["output"]));
}

function encode(
  m: MlpModel,
  nodes: NodeProto[],
  inits: TensorProto[],
  q: Quantisation,
  opts: ExportOptions,
): Uint8Array {
  const md: Record<string, string> = {
    "botv6.kind": "mlp",
    "botv6.nFeatures": String(m.nFeatures),
    "botv6.precision": q,
    ...opts.metadata,
  };
  if (m.featureNames) md["botv6.features"] = JSON.stringify(m.featureNames);
  return encodeModel({
    name: opts.name ?? `botv6_mlp_${q.replace("-", "_")}`,
    nodes,
    initializers: inits,
    inputs: [valueInfo(INPUT_NAME, DT.FLOAT, ["N", m.nFeatures])],
    outputs: [valueInfo("output", DT.FLOAT, ["N", m.nOutputs])],
    metadata: md,
  });
}

/** INT8 dynamic quantisation (DynamicQuantizeLinear + MatMulInteger). */
export function quantizeMlpDynamic(m: MlpModel, opts: ExportOptions = {}): Uint8Array {
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  let h = INPUT_NAME;
  const last = m.layers.length - 1;
  m.layers.forEach((l, i) => {
    const { q, scale } = quantizeWeights(l.weights, l.inputs, l.outputs);
    inits.push(
      int8Tensor(`Wq${i}`, [l.inputs, l.outputs], q),
      floatTensor(`ws${i}`, [l.outputs], scale),
      floatTensor(`b${i}`, [l.outputs], l.bias),
    );
    nodes.push(
      node("DynamicQuantizeLinear", [h], [`xq${i}`, `xs${i}`, `xzp${i}`]),
      node("MatMulInteger", [`xq${i}`, `Wq${i}`, `xzp${i}`], [`acc${i}`]),
      node("Cast", [`acc${i}`], [`accf${i}`], { to: DT.FLOAT }),
      node("Mul", [`xs${i}`, `ws${i}`], [`sc${i}`]),
      node("Mul", [`accf${i}`, `sc${i}`], [`y${i}`]),
      node("Add", [`y${i}`, `b${i}`], [`z${i}`]),
    );
    h = `z${i}`;
    if (i < last) {
      nodes.push(node(ACT_OP[m.activation], [h], [`a${i}`]));
      h = `a${i}`;
    }
  });
  finish(m, h, nodes);
  return encode(m, nodes, inits, "int8-dynamic", opts);
}

/** INT8 static QDQ quantisation, activations calibrated on `calib` (e.g. the training set). */
export function quantizeMlpStatic(m: MlpModel, calib: Dataset, opts: ExportOptions = {}): Uint8Array {
  const ranges = calibrateMlp(m, calib);
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  let h = INPUT_NAME;
  const last = m.layers.length - 1;
  m.layers.forEach((l, i) => {
    const { q, scale } = quantizeWeights(l.weights, l.inputs, l.outputs);
    const a = activationQuantParams(ranges[i].min, ranges[i].max);
    inits.push(
      floatTensor(`xs${i}`, [], [a.scale]),
      uint8Tensor(`xzp${i}`, [], [a.zeroPoint]),
      int8Tensor(`Wq${i}`, [l.inputs, l.outputs], q),
      floatTensor(`ws${i}`, [l.outputs], scale),
      int8Tensor(`wzp${i}`, [l.outputs], new Int8Array(l.outputs)),
      floatTensor(`b${i}`, [l.outputs], l.bias),
    );
    nodes.push(
      node("QuantizeLinear", [h, `xs${i}`, `xzp${i}`], [`xq${i}`]),
      node("DequantizeLinear", [`xq${i}`, `xs${i}`, `xzp${i}`], [`xdq${i}`]),
      node("DequantizeLinear", [`Wq${i}`, `ws${i}`, `wzp${i}`], [`Wdq${i}`], { axis: 1 }),
      node("Gemm", [`xdq${i}`, `Wdq${i}`, `b${i}`], [`z${i}`]),
    );
    h = `z${i}`;
    if (i < last) {
      nodes.push(node(ACT_OP[m.activation], [h], [`a${i}`]));
      h = `a${i}`;
    }
  });
  finish(m, h, nodes);
  return encode(m, nodes, inits, "int8-static", opts);
}
