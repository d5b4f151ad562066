/**
 * ONNX export of the in-process models.
 *
 * - GBDT regression → ONNX-ML `TreeEnsembleRegressor` (output `variable` [N, 1]).
 * - GBDT classification → ONNX-ML `TreeEnsembleClassifier` (outputs `label` [N] int64 and
 *   `probabilities` [N, K]). Multiclass: one class id per tree, post-transform SOFTMAX. Binary:
 *   every leaf weight on class 0 with post-transform LOGISTIC, which onnxruntime turns into
 *   (1 - sigmoid(m), sigmoid(m)) — the "binary case" encoding sklearn-onnx uses. (Writing the two
 *   classes explicitly as -m/2, +m/2 does not work: onnxruntime's two-class path then negates the
 *   tree sums; checked against 1.30.)
 *   Thresholds, leaf weights and base values use the `*_as_tensor` double attributes (ai.onnx.ml
 *   opset 3) so sums are exact in double, as in-process; the float32 input is `Cast` to double
 *   first because onnxruntime takes the attribute type from the input type.
 * - MLP → `Gemm` per layer with `Relu`/`Tanh`/`Sigmoid` between and `Sigmoid`/`Softmax` at the
 *   end (output `output` [N, K]); `precision: "fp16"` stores weights in float16 and computes in
 *   float16 with `Cast` at the input and output.
 *
 * Every model takes one input `features` of shape [N, nFeatures] float32 (N symbolic) and carries
 * its feature names in the metadata (`botv6.features`) so a loader can check them.
 */
import { MlError } from "../errors.js";
import type { GbdtModel } from "../train/gbdt.js";
import type { MlpModel } from "../train/mlp.js";
import {
  DT,
  doubleTensor,
  encodeModel,
  float16Tensor,
  floatTensor,
  type NodeProto,
  node,
  type TensorProto,
  valueInfo,
} from "./proto.js";

export const INPUT_NAME = "features";

export interface ExportOptions {
  /** Graph name (default "botv6_gbdt" / "botv6_mlp"). */
  name?: string;
  /** Extra metadata_props. */
  metadata?: Record<string, string>;
}

function baseMetadata(
  kind: string,
  nFeatures: number,
  names: string[] | undefined,
  extra?: Record<string, string>,
) {
  const md: Record<string, string> = { "botv6.kind": kind, "botv6.nFeatures": String(nFeatures) };
  if (names) md["botv6.features"] = JSON.stringify(names);
  return { ...md, ...extra };
}

/** Exports a GBDT to ONNX-ML tree-ensemble bytes. */
export function exportGbdt(m: GbdtModel, opts: ExportOptions = {}): Uint8Array {
  if (m.kind !== "gbdt")
    throw new MlError("ML_MODEL_MISMATCH", `exportGbdt: model kind is ${String(m.kind)}, not gbdt`);
  const treeIds: number[] = [];
  const nodeIds: number[] = [];
  const featureIds: number[] = [];
  const modes: string[] = [];
  const values: number[] = [];
  const trueIds: number[] = [];
  const falseIds: number[] = [];
  const missing: number[] = [];
  const tTree: number[] = [];
  const tNode: number[] = [];
  const tId: number[] = [];
  const tWeight: number[] = [];
  const binary = m.objective === "binary";
  m.trees.forEach((t, ti) => {
    for (let n = 0; n < t.feature.length; n++) {
      treeIds.push(ti);
      nodeIds.push(n);
      missing.push(0);
      if (t.feature[n] >= 0) {
        featureIds.push(t.feature[n]);
        modes.push("BRANCH_LEQ");
        values.push(t.threshold[n]);
        trueIds.push(t.left[n]);
        falseIds.push(t.right[n]);
      } else {
        featureIds.push(0);
        modes.push("LEAF");
        values.push(0);
        trueIds.push(0);
        falseIds.push(0);
        tTree.push(ti);
        tNode.push(n);
        tId.push(t.output);
        tWeight.push(t.value[n]);
      }
    }
  });
  const common = {
    nodes_treeids: { ints: treeIds },
    nodes_nodeids: { ints: nodeIds },
    nodes_featureids: { ints: featureIds },
    nodes_modes: modes,
    nodes_values_as_tensor: doubleTensor("nodes_values", [values.length], values),
    nodes_truenodeids: { ints: trueIds },
    nodes_falsenodeids: { ints: falseIds },
    nodes_missing_value_tracks_true: { ints: missing },
  };
  // onnxruntime picks the threshold/weight type from the input type, so the float32 input is cast
  // to double (exact) to keep double thresholds, leaf weights and sums.
  const nodes: NodeProto[] = [node("Cast", [INPUT_NAME], ["features_f64"], { to: DT.DOUBLE })];
  const outputs = [];
  if (m.objective === "regression") {
    nodes.push(
      node(
        "TreeEnsembleRegressor",
        ["features_f64"],
        ["variable"],
        {
          ...common,
          n_targets: 1,
          target_treeids: { ints: tTree },
          target_nodeids: { ints: tNode },
          target_ids: { ints: tId },
          target_weights_as_tensor: doubleTensor("target_weights", [tWeight.length], tWeight),
          base_values_as_tensor: doubleTensor("base_values", [1], m.baseScore),
          aggregate_function: "SUM",
          post_transform: "NONE",
        },
        "ai.onnx.ml",
      ),
    );
    outputs.push(valueInfo("variable", DT.FLOAT, ["N", 1]));
  } else {
    const K = m.classes;
    const base = m.baseScore;
    nodes.push(
      node(
        "TreeEnsembleClassifier",
        ["features_f64"],
        ["label", "probabilities"],
        {
          ...common,
          classlabels_int64s: { ints: Array.from({ length: K }, (_, k) => k) },
          class_treeids: { ints: tTree },
          class_nodeids: { ints: tNode },
          class_ids: { ints: tId },
          class_weights_as_tensor: doubleTensor("class_weights", [tWeight.length], tWeight),
          base_values_as_tensor: doubleTensor("base_values", [base.length], base),
          post_transform: binary ? "LOGISTIC" : "SOFTMAX",
        },
        "ai.onnx.ml",
      ),
    );
    outputs.push(valueInfo("label", DT.INT64, ["N"]), valueInfo("probabilities", DT.FLOAT, ["N", K]));
  }
  return encodeModel({
    name: opts.name ?? "botv6_gbdt",
    nodes,
    initializers: [],
    inputs: [valueInfo(INPUT_NAME, DT.FLOAT, ["N", m.nFeatures])],
    outputs,
    mlOpset: 3,
    metadata: baseMetadata(`gbdt-${m.objective}`, m.nFeatures, m.featureNames, opts.metadata),
  });
}

export type MlpPrecision = "fp32" | "fp16";

const ACT_OP = { relu: "Relu", tanh: "Tanh", sigmoid: "Sigmoid" } as const;

/** Exports an MLP as Gemm layers (fp32, or fp16 weights and compute with Casts at the boundaries). */
export function exportMlp(m: MlpModel, opts: ExportOptions & { precision?: MlpPrecision } = {}): Uint8Array {
  if (m.kind !== "mlp")
    throw new MlError("ML_MODEL_MISMATCH", `exportMlp: model kind is ${String(m.kind)}, not mlp`);
  const precision = opts.precision ?? "fp32";
  const fp16 = precision === "fp16";
  const tensor = fp16 ? float16Tensor : floatTensor;
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  let h = INPUT_NAME;
  if (fp16) {
    nodes.push(node("Cast", [h], ["features_f16"], { to: DT.FLOAT16 }));
    h = "features_f16";
  }
  const last = m.layers.length - 1;
  m.layers.forEach((l, i) => {
    inits.push(tensor(`W${i}`, [l.inputs, l.outputs], l.weights), tensor(`b${i}`, [l.outputs], l.bias));
    const z = `z${i}`;
    nodes.push(node("Gemm", [h, `W${i}`, `b${i}`], [z]));
    h = z;
    if (i < last) {
      nodes.push(node(ACT_OP[m.activation], [h], [`a${i}`]));
      h = `a${i}`;
    }
  });
  const final = fp16 ? "output_f16" : "output";
  if (m.output === "sigmoid") nodes.push(node("Sigmoid", [h], [final]));
  else if (m.output === "softmax") nodes.push(node("Softmax", [h], [final], { axis: 1 }));
  else nodes.push(node("Identity", [h], [final]));
  if (fp16) nodes.push(node("Cast", [final], ["output"], { to: DT.FLOAT }));
  return encodeModel({
    name: opts.name ?? "botv6_mlp",
    nodes,
    initializers: inits,
    inputs: [valueInfo(INPUT_NAME, DT.FLOAT, ["N", m.nFeatures])],
    outputs: [valueInfo("output", DT.FLOAT, ["N", m.nOutputs])],
    metadata: {
      ...baseMetadata("mlp", m.nFeatures, m.featureNames, opts.metadata),
      "botv6.precision": precision,
    },
  });
}
