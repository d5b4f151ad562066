/**
 * The on-disk JSON form of in-process models (`*.model.json`): what `botv6 model export` and
 * `quantize` read, and what the registry stores beside the ONNX files. Typed arrays become plain
 * number arrays; float32 weights round-trip exactly (their doubles are exact in JSON).
 */
import { readFileSync } from "node:fs";
import { MlError } from "./errors.js";
import type { GbdtModel, GbdtTree } from "./train/gbdt.js";
import type { MlpLayer, MlpModel } from "./train/mlp.js";

export type TrainedModel = GbdtModel | MlpModel;

export function serializeModel(m: TrainedModel): string {
  return JSON.stringify(m, (_k, v) =>
    ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number>) : v,
  );
}

function fail(source: string, why: string): never {
  throw new MlError("ML_MODEL_FORMAT", `${source}: ${why}`, { source });
}

function numArray(v: unknown, source: string, field: string, len?: number): number[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== "number" || !Number.isFinite(x)))
    fail(source, `${field} must be an array of finite numbers`);
  if (len !== undefined && v.length !== len) fail(source, `${field} has ${v.length} values, expected ${len}`);
  return v as number[];
}

/** Parses and validates a serialized model; every problem names the field. */
export function parseModel(text: string, source = "model"): TrainedModel {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    fail(source, `not valid JSON (${(e as Error).message})`);
  }
  if (o === null || typeof o !== "object") fail(source, "not a JSON object");
  const nFeatures = o.nFeatures;
  if (!Number.isInteger(nFeatures) || (nFeatures as number) < 1)
    fail(source, "nFeatures must be a positive integer");
  if (o.kind === "gbdt") {
    if (!["regression", "binary", "multiclass"].includes(o.objective as string))
      fail(source, `objective must be regression | binary | multiclass, got ${String(o.objective)}`);
    const nRaw = o.nRaw as number;
    if (!Array.isArray(o.trees)) fail(source, "trees must be an array");
    const trees: GbdtTree[] = (o.trees as Record<string, unknown>[]).map((t, i) => {
      const f = numArray(t.feature, source, `trees[${i}].feature`);
      const n = f.length;
      const tree: GbdtTree = {
        feature: Int32Array.from(f),
        threshold: Float64Array.from(numArray(t.threshold, source, `trees[${i}].threshold`, n)),
        left: Int32Array.from(numArray(t.left, source, `trees[${i}].left`, n)),
        right: Int32Array.from(numArray(t.right, source, `trees[${i}].right`, n)),
        value: Float64Array.from(numArray(t.value, source, `trees[${i}].value`, n)),
        output: t.output as number,
      };
      for (let k = 0; k < n; k++) {
        if (tree.feature[k] >= (nFeatures as number))
          fail(source, `trees[${i}] node ${k} uses feature ${tree.feature[k]}`);
        if (
          tree.feature[k] >= 0 &&
          !(tree.left[k] > k && tree.left[k] < n && tree.right[k] > k && tree.right[k] < n)
        )
          fail(source, `trees[${i}] node ${k} has children out of range`);
      }
      if (!Number.isInteger(tree.output) || tree.output < 0 || tree.output >= nRaw)
        fail(source, `trees[${i}].output must be in [0, ${nRaw})`);
      return tree;
    });
    return {
      kind: "gbdt",
      objective: o.objective as GbdtModel["objective"],
      nFeatures: nFeatures as number,
      nRaw,
      classes: o.classes as number,
      baseScore: numArray(o.baseScore, source, "baseScore", nRaw),
      trees,
      importance: numArray(o.importance, source, "importance", nFeatures as number),
      bestRound: o.bestRound as number,
      featureNames: o.featureNames as string[] | undefined,
    };
  }
  if (o.kind === "mlp") {
    if (!["relu", "tanh", "sigmoid"].includes(o.activation as string))
      fail(source, `activation ${String(o.activation)} unknown`);
    if (!["linear", "sigmoid", "softmax"].includes(o.output as string))
      fail(source, `output ${String(o.output)} unknown`);
    if (!Array.isArray(o.layers) || o.layers.length === 0) fail(source, "layers must be a non-empty array");
    let prev = nFeatures as number;
    const layers: MlpLayer[] = (o.layers as Record<string, unknown>[]).map((l, i) => {
      const inputs = l.inputs as number;
      const outputs = l.outputs as number;
      if (inputs !== prev) fail(source, `layers[${i}].inputs is ${inputs}, expected ${prev}`);
      if (!Number.isInteger(outputs) || outputs < 1)
        fail(source, `layers[${i}].outputs must be a positive integer`);
      prev = outputs;
      return {
        inputs,
        outputs,
        weights: Float32Array.from(numArray(l.weights, source, `layers[${i}].weights`, inputs * outputs)),
        bias: Float32Array.from(numArray(l.bias, source, `layers[${i}].bias`, outputs)),
      };
    });
    if (prev !== o.nOutputs) fail(source, `nOutputs is ${String(o.nOutputs)}, the last layer has ${prev}`);
    return {
      kind: "mlp",
      layers,
      activation: o.activation as MlpModel["activation"],
      output: o.output as MlpModel["output"],
      nFeatures: nFeatures as number,
      nOutputs: prev,
      bestEpoch: o.bestEpoch as number,
      featureNames: o.featureNames as string[] | undefined,
    };
  }
  return fail(source, `kind must be "gbdt" or "mlp", got ${JSON.stringify(o.kind)}`);
}

export function readModelFile(file: string): TrainedModel {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new MlError("ML_MODEL_FORMAT", `${file}: cannot read (${(e as Error).message})`, { source: file });
  }
  return parseModel(text, file);
}
