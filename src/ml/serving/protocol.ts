/**
 * KServe v2 / Triton HTTP inference protocol: the JSON shapes and request validation.
 * Validation names the input and the reason; the server answers such problems with 400 and
 * `{ "error": reason }`, as the protocol specifies.
 */
import type { TensorSignature, TensorType } from "../inference/session.js";

export type V2Datatype =
  | "BOOL"
  | "UINT8"
  | "INT8"
  | "INT16"
  | "INT32"
  | "INT64"
  | "FP16"
  | "FP32"
  | "FP64"
  | "BYTES";

export interface V2Tensor {
  name: string;
  datatype: V2Datatype;
  shape: number[];
  data: number[] | (number | number[])[];
  parameters?: Record<string, unknown>;
}

export interface V2InferRequest {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: V2Tensor[];
  outputs?: { name: string; parameters?: Record<string, unknown> }[];
}

export interface V2InferResponse {
  model_name: string;
  model_version?: string;
  id?: string;
  outputs: { name: string; datatype: V2Datatype; shape: number[]; data: number[] }[];
}

export interface V2ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: { name: string; datatype: V2Datatype; shape: number[] }[];
  outputs: { name: string; datatype: V2Datatype; shape: number[] }[];
}

const TO_V2: Record<TensorType, V2Datatype> = {
  float32: "FP32",
  float64: "FP64",
  float16: "FP16",
  int32: "INT32",
  int64: "INT64",
  uint8: "UINT8",
  int8: "INT8",
  bool: "BOOL",
  string: "BYTES",
};
export function toV2Datatype(t: TensorType): V2Datatype {
  return TO_V2[t];
}
const FROM_V2: Partial<Record<V2Datatype, TensorType>> = {
  FP32: "float32",
  FP64: "float64",
  INT32: "int32",
  INT64: "int64",
  UINT8: "uint8",
  INT8: "int8",
};

export function modelMetadata(
  name: string,
  inputs: TensorSignature[],
  outputs: TensorSignature[],
): V2ModelMetadata {
  const sig = (s: TensorSignature) => ({ name: s.name, datatype: toV2Datatype(s.type), shape: s.dims });
  return {
    name,
    versions: ["1"],
    platform: "onnxruntime_onnx",
    inputs: inputs.map(sig),
    outputs: outputs.map(sig),
  };
}

/** A protocol violation: answered 400 with `{ error: message }`. */
export class V2RequestError extends Error {}

export interface ValidatedInput {
  name: string;
  type: TensorType;
  shape: number[];
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;
}

function flatten(data: unknown, out: unknown[]): void {
  if (Array.isArray(data)) for (const d of data) flatten(d, out);
  else out.push(data);
}

/**
 * Checks an infer request against the model's inputs and outputs and converts the data to typed
 * arrays. Throws {@link V2RequestError} with the reason.
 */
export function validateInferRequest(
  body: unknown,
  inputs: TensorSignature[],
  outputs: TensorSignature[],
): { inputs: ValidatedInput[]; outputs: string[]; id?: string } {
  const bad = (why: string): never => {
    throw new V2RequestError(why);
  };
  if (body === null || typeof body !== "object" || Array.isArray(body))
    bad("request body must be a JSON object");
  const req = body as Partial<V2InferRequest>;
  if (!Array.isArray(req.inputs) || req.inputs.length === 0)
    bad("request must have a non-empty 'inputs' array");
  if (req.id !== undefined && typeof req.id !== "string") bad("'id' must be a string");
  const seen = new Set<string>();
  const result: ValidatedInput[] = [];
  for (const [i, t] of (req.inputs as V2Tensor[]).entries()) {
    if (t === null || typeof t !== "object") bad(`inputs[${i}] must be an object`);
    if (typeof t.name !== "string") bad(`inputs[${i}] has no 'name'`);
    const sig = inputs.find((s) => s.name === t.name);
    if (!sig)
      bad(
        `unexpected input '${t.name}'; the model's inputs are ${inputs.map((s) => `'${s.name}'`).join(", ")}`,
      );
    if (seen.has(t.name)) bad(`input '${t.name}' given more than once`);
    seen.add(t.name);
    const expectedDt = toV2Datatype(sig!.type);
    if (t.datatype !== expectedDt)
      bad(
        `input '${t.name}': datatype ${JSON.stringify(t.datatype)} does not match the model's ${expectedDt}`,
      );
    if (!Array.isArray(t.shape) || t.shape.some((d) => !Number.isInteger(d) || d < 0))
      bad(`input '${t.name}': 'shape' must be an array of non-negative integers`);
    if (t.shape.length !== sig!.dims.length)
      bad(
        `input '${t.name}': shape [${t.shape.join(",")}] has rank ${t.shape.length}, the model expects rank ${sig!.dims.length} [${sig!.dims.join(",")}]`,
      );
    for (let d = 0; d < t.shape.length; d++)
      if (sig!.dims[d] > 0 && sig!.dims[d] !== t.shape[d])
        bad(
          `input '${t.name}': shape [${t.shape.join(",")}] does not match the model's [${sig!.dims.join(",")}] at dimension ${d}`,
        );
    if (!Array.isArray(t.data)) bad(`input '${t.name}': 'data' must be an array`);
    const flat: unknown[] = [];
    flatten(t.data, flat);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (flat.length !== count)
      bad(
        `input '${t.name}': 'data' has ${flat.length} elements, shape [${t.shape.join(",")}] needs ${count}`,
      );
    for (let k = 0; k < flat.length; k++)
      if (typeof flat[k] !== "number" || !Number.isFinite(flat[k] as number))
        bad(`input '${t.name}': element ${k} is ${JSON.stringify(flat[k])}, expected a finite number`);
    const type = FROM_V2[t.datatype];
    if (!type) bad(`input '${t.name}': datatype ${t.datatype} is not supported by this server`);
    const nums = flat as number[];
    let data: ValidatedInput["data"];
    switch (type) {
      case "float32":
        data = Float32Array.from(nums);
        break;
      case "float64":
        data = Float64Array.from(nums);
        break;
      case "int32":
        data = Int32Array.from(nums);
        break;
      case "int64":
        data = BigInt64Array.from(nums, (v) => BigInt(Math.trunc(v)));
        break;
      case "uint8":
        data = Uint8Array.from(nums);
        break;
      default:
        data = Int8Array.from(nums);
    }
    result.push({ name: t.name, type: type!, shape: t.shape, data });
  }
  for (const s of inputs) if (!seen.has(s.name)) bad(`missing input '${s.name}'`);
  let outNames = outputs.map((o) => o.name);
  if (req.outputs !== undefined) {
    if (!Array.isArray(req.outputs)) bad("'outputs' must be an array");
    outNames = req.outputs!.map((o, i) => {
      if (!o || typeof o.name !== "string") bad(`outputs[${i}] has no 'name'`);
      if (!outputs.some((s) => s.name === o.name))
        bad(
          `unknown output '${o.name}'; the model's outputs are ${outputs.map((s) => `'${s.name}'`).join(", ")}`,
        );
      return o.name;
    });
  }
  return { inputs: result, outputs: outNames, id: req.id };
}
