/**
 * Runs an ONNX backend conformance case (`model.onnx` + `test_data_set_*`-style `input_N.pb` /
 * `output_N.pb` TensorProto files, as shipped by onnx/onnx) and compares the outputs.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MlError } from "../errors.js";
import { type DecodedTensor, decodeTensor } from "../onnx/proto.js";
import { OnnxModel, type TensorType } from "./session.js";

export interface ConformanceResult {
  outputs: { name: string; dims: number[]; maxAbsError: number }[];
  maxAbsError: number;
}

function pbFiles(dir: string, prefix: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith(".pb"))
    .sort((a, b) => Number(a.slice(prefix.length, -3)) - Number(b.slice(prefix.length, -3)));
}

/** Loads `dir/model.onnx`, feeds `input_*.pb` in graph-input order and compares with `output_*.pb`. */
export async function runConformanceCase(dir: string): Promise<ConformanceResult> {
  const modelFile = join(dir, "model.onnx");
  if (!existsSync(modelFile)) throw new MlError("ML_MODEL_FORMAT", `${dir}: no model.onnx`);
  const model = await OnnxModel.load(modelFile, { name: dir });
  try {
    const inputs = pbFiles(dir, "input_").map((f) => decodeTensor(readFileSync(join(dir, f)), join(dir, f)));
    const expected = pbFiles(dir, "output_").map((f) =>
      decodeTensor(readFileSync(join(dir, f)), join(dir, f)),
    );
    if (inputs.length !== model.inputs.length)
      throw new MlError(
        "ML_MODEL_MISMATCH",
        `${dir}: ${inputs.length} input files for ${model.inputs.length} model inputs`,
      );
    const feeds: Record<string, { type: TensorType; data: DecodedTensor["data"]; dims: number[] }> = {};
    model.inputs.forEach((sig, i) => {
      feeds[sig.name] = { type: inputs[i].type as TensorType, data: inputs[i].data, dims: inputs[i].dims };
    });
    const got = await model.run(feeds);
    const outputs = model.outputs.slice(0, expected.length).map((sig, i) => {
      const g = got[sig.name];
      const e = expected[i];
      if (g.dims.join(",") !== e.dims.join(","))
        throw new MlError(
          "ML_SHAPE",
          `${dir}: output "${sig.name}" has shape [${g.dims}], expected [${e.dims}]`,
        );
      let max = 0;
      const gd = g.data as Float32Array;
      for (let k = 0; k < e.data.length; k++)
        max = Math.max(max, Math.abs(Number(gd[k]) - Number(e.data[k])));
      return { name: sig.name, dims: e.dims, maxAbsError: max };
    });
    return { outputs, maxAbsError: Math.max(0, ...outputs.map((o) => o.maxAbsError)) };
  } finally {
    await model.close();
  }
}
