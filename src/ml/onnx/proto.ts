/**
 * Small builders over `onnx-proto` (protobufjs ONNX messages): tensors, attributes, nodes, value
 * infos and the model container, plus float16 conversion and TensorProto decoding. Everything the
 * exporters write goes through here, so the wire format is decided in one place.
 */
import onnxProto from "onnx-proto";
import { MlError } from "../errors.js";

export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type TensorProto = onnxProto.onnx.ITensorProto;
export type NodeProto = onnxProto.onnx.INodeProto;
export type AttributeProto = onnxProto.onnx.IAttributeProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;

export const DT = onnx.TensorProto.DataType;
const AT = onnx.AttributeProto.AttributeType;

/** IEEE 754 half-precision bits of `v` (round to nearest even; overflow to ±Infinity). */
export function toFloat16Bits(v: number): number {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  e = half >>> 10;
  return sign | half;
}

/** The float value of half-precision bits. */
export function fromFloat16Bits(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 0x1f) return m ? Number.NaN : s * Number.POSITIVE_INFINITY;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function bytes(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

export function floatTensor(name: string, dims: number[], data: ArrayLike<number>): TensorProto {
  return { name, dims, dataType: DT.FLOAT, rawData: bytes(Float32Array.from(data)) };
}
export function float16Tensor(name: string, dims: number[], data: ArrayLike<number>): TensorProto {
  const h = new Uint16Array(data.length);
  for (let i = 0; i < data.length; i++) h[i] = toFloat16Bits(data[i]);
  return { name, dims, dataType: DT.FLOAT16, rawData: bytes(h) };
}
export function doubleTensor(name: string, dims: number[], data: ArrayLike<number>): TensorProto {
  return { name, dims, dataType: DT.DOUBLE, rawData: bytes(Float64Array.from(data)) };
}
export function int8Tensor(name: string, dims: number[], data: ArrayLike<number>): TensorProto {
  return { name, dims, dataType: DT.INT8, rawData: bytes(Int8Array.from(data)) };
}
export function uint8Tensor(name: string, dims: number[], data: ArrayLike<number>): TensorProto {
  return { name, dims, dataType: DT.UINT8, rawData: bytes(Uint8Array.from(data)) };
}
export function int64Tensor(name: string, dims: number[], data: ArrayLike<number>): TensorProto {
  return {
    name,
    dims,
    dataType: DT.INT64,
    rawData: bytes(BigInt64Array.from(Array.from(data, (v) => BigInt(v)))),
  };
}

export type AttrValue =
  | number
  | string
  | number[]
  | string[]
  | TensorProto
  | { ints: number[] }
  | { float: number };

/** An attribute; plain numbers are INT when integral (use `{ float: x }` to force FLOAT), arrays FLOATS unless `{ ints }`. */
export function attr(name: string, v: AttrValue): AttributeProto {
  if (typeof v === "number")
    return Number.isInteger(v) ? { name, type: AT.INT, i: v } : { name, type: AT.FLOAT, f: v };
  if (typeof v === "string") return { name, type: AT.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) {
    if (v.length > 0 && typeof v[0] === "string")
      return { name, type: AT.STRINGS, strings: (v as string[]).map((s) => new TextEncoder().encode(s)) };
    return { name, type: AT.FLOATS, floats: v as number[] };
  }
  if ("ints" in v) return { name, type: AT.INTS, ints: v.ints };
  if ("float" in v) return { name, type: AT.FLOAT, f: v.float };
  return { name, type: AT.TENSOR, t: v };
}

export function node(
  opType: string,
  inputs: string[],
  outputs: string[],
  attrs: Record<string, AttrValue> = {},
  domain = "",
): NodeProto {
  return {
    opType,
    input: inputs,
    output: outputs,
    name: `${opType}_${outputs[0]}`,
    domain,
    attribute: Object.entries(attrs).map(([k, v]) => attr(k, v)),
  };
}

/** A tensor value info; a string dim is symbolic (e.g. "N" for the batch). */
export function valueInfo(name: string, elemType: number, dims: (number | string)[]): ValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

export interface ModelSpec {
  name: string;
  nodes: NodeProto[];
  initializers: TensorProto[];
  inputs: ValueInfoProto[];
  outputs: ValueInfoProto[];
  /** Opset of the default domain (default 17). */
  opset?: number;
  /** Opset of ai.onnx.ml when used. */
  mlOpset?: number;
  metadata?: Record<string, string>;
  docString?: string;
}

/** Encodes a model to ONNX bytes. */
export function encodeModel(spec: ModelSpec): Uint8Array {
  const opsetImport = [{ domain: "", version: spec.opset ?? 17 }];
  if (spec.mlOpset !== undefined) opsetImport.push({ domain: "ai.onnx.ml", version: spec.mlOpset });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "botv6",
    producerVersion: "0.1.0",
    opsetImport,
    docString: spec.docString ?? "",
    metadataProps: Object.entries(spec.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: spec.name,
      node: spec.nodes,
      initializer: spec.initializers,
      input: spec.inputs,
      output: spec.outputs,
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Decodes ONNX bytes; a corrupt file throws `ML_MODEL_FORMAT` naming `source`. */
export function decodeModel(buf: Uint8Array, source = "model"): ModelProto {
  try {
    const m = onnx.ModelProto.decode(buf);
    if (!m.graph) throw new Error("no graph");
    return m;
  } catch (e) {
    throw new MlError("ML_MODEL_FORMAT", `${source}: not a valid ONNX model (${(e as Error).message})`, {
      source,
    });
  }
}

export interface DecodedTensor {
  name: string;
  dims: number[];
  /** ONNX element type name: float32, float64, int32, int64, uint8, int8, float16 (as float32). */
  type: "float32" | "float64" | "int32" | "int64" | "uint8" | "int8" | "float16";
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array;
}

/** Decodes a serialized TensorProto (the ONNX test-data `.pb` files). */
export function decodeTensor(buf: Uint8Array, source = "tensor"): DecodedTensor {
  let t: onnxProto.onnx.TensorProto;
  try {
    t = onnx.TensorProto.decode(buf);
  } catch (e) {
    throw new MlError("ML_MODEL_FORMAT", `${source}: not a valid TensorProto (${(e as Error).message})`, {
      source,
    });
  }
  const dims = t.dims.map((d) => Number(d));
  const count = dims.reduce((a, b) => a * b, 1);
  const raw = t.rawData && t.rawData.length > 0 ? t.rawData : undefined;
  const view = <T>(C: { new (b: ArrayBuffer): T }, size: number): T => {
    if (!raw) throw new MlError("ML_MODEL_FORMAT", `${source}: no raw_data`);
    if (raw.length !== count * size)
      throw new MlError(
        "ML_MODEL_FORMAT",
        `${source}: raw_data has ${raw.length} bytes, dims ${JSON.stringify(dims)} need ${count * size}`,
      );
    return new C(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength) as ArrayBuffer);
  };
  const name = t.name ?? "";
  switch (t.dataType) {
    case DT.FLOAT:
      return {
        name,
        dims,
        type: "float32",
        data: raw ? view(Float32Array, 4) : Float32Array.from(t.floatData),
      };
    case DT.DOUBLE:
      return {
        name,
        dims,
        type: "float64",
        data: raw ? view(Float64Array, 8) : Float64Array.from(t.doubleData),
      };
    case DT.INT32:
      return { name, dims, type: "int32", data: raw ? view(Int32Array, 4) : Int32Array.from(t.int32Data) };
    case DT.INT64:
      return {
        name,
        dims,
        type: "int64",
        data: raw ? view(BigInt64Array, 8) : BigInt64Array.from(t.int64Data.map((v) => BigInt(v.toString()))),
      };
    case DT.UINT8:
      return { name, dims, type: "uint8", data: raw ? view(Uint8Array, 1) : Uint8Array.from(t.int32Data) };
    case DT.INT8:
      return { name, dims, type: "int8", data: raw ? view(Int8Array, 1) : Int8Array.from(t.int32Data) };
    case DT.FLOAT16: {
      const bits = raw ? view(Uint16Array, 2) : Uint16Array.from(t.int32Data);
      return { name, dims, type: "float16", data: Float32Array.from(bits, fromFloat16Bits) };
    }
    default:
      throw new MlError("ML_MODEL_FORMAT", `${source}: unsupported tensor data type ${t.dataType}`);
  }
}
