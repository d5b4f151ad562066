/**
 * Embedded inference through onnxruntime-node: one {@link OnnxModel} (one `InferenceSession`) per
 * model, input tensors pre-allocated once and reused, batch inference for backtests, and checks
 * that fail with a clear error before anything runs: a corrupt file (`ML_MODEL_FORMAT`), a model
 * whose input does not match the feature set — name, count, dtype (`ML_MODEL_MISMATCH`), a
 * feature vector of the wrong length (`ML_SHAPE`) or with NaN (`ML_NAN_FEATURE`).
 *
 * `run` in onnxruntime-node is asynchronous (the work runs off the JS thread), so this class is
 * for batch scoring, serving and the "predict on the bar event, consume on the next" pattern.
 * The synchronous hot path uses the pure-TS evaluators ({@link MlpEvaluator}, {@link GbdtEvaluator});
 * see docs/ml.md for the measured trade-off.
 */
import { readFileSync } from "node:fs";
import * as ort from "onnxruntime-node";
import { assertFiniteFeatures, MlError } from "../errors.js";
import { DT, decodeModel, type ModelProto } from "../onnx/proto.js";

export type TensorType =
  | "float32"
  | "float64"
  | "int32"
  | "int64"
  | "uint8"
  | "int8"
  | "float16"
  | "bool"
  | "string";

export interface TensorSignature {
  name: string;
  type: TensorType;
  /** Dimensions; -1 for a symbolic/unknown dimension. */
  dims: number[];
}

const TYPE_NAMES: Record<number, TensorType> = {
  [DT.FLOAT]: "float32",
  [DT.DOUBLE]: "float64",
  [DT.INT32]: "int32",
  [DT.INT64]: "int64",
  [DT.UINT8]: "uint8",
  [DT.INT8]: "int8",
  [DT.FLOAT16]: "float16",
  [DT.BOOL]: "bool",
  [DT.STRING]: "string",
};

function signatures(model: ModelProto, which: "input" | "output"): TensorSignature[] {
  const graph = model.graph!;
  const inits = new Set((graph.initializer ?? []).map((t) => t.name));
  return (graph[which] ?? [])
    .filter((v) => which === "output" || !inits.has(v.name))
    .map((v) => {
      const tt = v.type?.tensorType;
      return {
        name: v.name ?? "",
        type: TYPE_NAMES[tt?.elemType ?? 0] ?? "string",
        dims: (tt?.shape?.dim ?? []).map((d) =>
          d.dimValue !== undefined && d.dimValue !== null && Number(d.dimValue) > 0 ? Number(d.dimValue) : -1,
        ),
      };
    });
}

export interface LoadOptions {
  /** Name used in errors and by the server (default: the file name or "model"). */
  name?: string;
  /** Expected feature count of a single-input float32 model. */
  features?: number;
  /** Expected feature names; compared with the model's `botv6.features` metadata when it has one. */
  featureNames?: readonly string[];
  /** Largest batch per onnxruntime run in {@link OnnxModel.predictBatch} (default 8192). */
  maxBatch?: number;
  /** onnxruntime intra-op threads (default 1: lowest latency at batch 1 and fair on a shared machine). */
  threads?: number;
}

/** A loaded ONNX model with its signature and reusable input buffers. */
export class OnnxModel {
  readonly inputs: TensorSignature[];
  readonly outputs: TensorSignature[];
  readonly metadata: Record<string, string>;
  /** Feature count of a single float32 input [N, F] model (0 for others). */
  readonly nFeatures: number;
  private readonly maxBatch: number;
  private readonly one: Float32Array;
  private readonly oneTensor: ort.Tensor | undefined;
  private batchBuf: Float32Array;
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly name: string,
    private readonly session: ort.InferenceSession,
    proto: ModelProto,
    opts: LoadOptions,
  ) {
    this.inputs = signatures(proto, "input");
    this.outputs = signatures(proto, "output");
    this.metadata = Object.fromEntries(proto.metadataProps.map((p) => [p.key, p.value]));
    const single =
      this.inputs.length === 1 && this.inputs[0].type === "float32" && this.inputs[0].dims.length === 2;
    this.nFeatures = single ? this.inputs[0].dims[1] : 0;
    this.maxBatch = opts.maxBatch ?? 8192;
    this.one = new Float32Array(Math.max(this.nFeatures, 0));
    this.oneTensor =
      this.nFeatures > 0 ? new ort.Tensor("float32", this.one, [1, this.nFeatures]) : undefined;
    this.batchBuf = new Float32Array(0);
  }

  /** Loads a model from a file path or bytes and checks it against `opts`. */
  static async load(source: string | Uint8Array, opts: LoadOptions = {}): Promise<OnnxModel> {
    const where = typeof source === "string" ? source : (opts.name ?? "model");
    let bytes: Uint8Array;
    if (typeof source === "string") {
      try {
        bytes = readFileSync(source);
      } catch (e) {
        throw new MlError("ML_MODEL_FORMAT", `${source}: cannot read model file (${(e as Error).message})`, {
          source,
        });
      }
    } else bytes = source;
    const proto = decodeModel(bytes, where);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(bytes, {
        intraOpNumThreads: opts.threads ?? 1,
        interOpNumThreads: 1,
        executionMode: "sequential",
        graphOptimizationLevel: "all",
        logSeverityLevel: 3,
      });
    } catch (e) {
      throw new MlError(
        "ML_MODEL_FORMAT",
        `${where}: onnxruntime cannot load the model (${(e as Error).message.split("\n")[0]})`,
        {
          source: where,
        },
      );
    }
    const name =
      opts.name ??
      (typeof source === "string" ? (source.split("/").pop() ?? source).replace(/\.onnx$/, "") : "model");
    const model = new OnnxModel(name, session, proto, opts);
    model.checkExpectations(where, opts);
    return model;
  }

  private checkExpectations(where: string, opts: LoadOptions): void {
    const fail = (why: string, details: Record<string, unknown> = {}) => {
      throw new MlError("ML_MODEL_MISMATCH", `${where}: ${why}`, details);
    };
    if (opts.features === undefined && opts.featureNames === undefined) return;
    if (this.inputs.length !== 1)
      fail(
        `expected one input [N, features], the model has ${this.inputs.length}: ${this.inputs.map((i) => i.name).join(", ")}`,
      );
    const inp = this.inputs[0];
    if (inp.type !== "float32")
      fail(`input "${inp.name}" has dtype ${inp.type}, expected float32`, { dtype: inp.type });
    if (inp.dims.length !== 2)
      fail(`input "${inp.name}" has rank ${inp.dims.length}, expected 2 ([N, features])`);
    const want = opts.features ?? opts.featureNames?.length;
    if (want !== undefined && inp.dims[1] !== want)
      fail(`input "${inp.name}" takes ${inp.dims[1]} features, the feature set has ${want}`, {
        expected: want,
        actual: inp.dims[1],
      });
    if (opts.featureNames && this.metadata["botv6.features"]) {
      const have = JSON.parse(this.metadata["botv6.features"]) as string[];
      for (let i = 0; i < opts.featureNames.length; i++)
        if (have[i] !== opts.featureNames[i])
          fail(`feature ${i} is "${have[i]}" in the model but "${opts.featureNames[i]}" in the feature set`, {
            index: i,
          });
    }
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    // The input buffers are shared: runs are queued so a pending run never sees them change.
    const p = this.tail.then(fn, fn);
    this.tail = p.catch(() => undefined);
    return p;
  }

  private requireSingleInput(): void {
    if (!this.oneTensor)
      throw new MlError(
        "ML_MODEL_MISMATCH",
        `${this.name}: predict needs a single float32 [N, F] input; use run() for this model`,
      );
  }

  /** Outputs of one feature vector (batch 1) as `{ outputName: data }`; the input buffer is reused. */
  predict(features: ArrayLike<number>): Promise<Record<string, Float32Array | BigInt64Array>> {
    this.requireSingleInput();
    if (features.length !== this.nFeatures)
      throw new MlError(
        "ML_SHAPE",
        `${this.name}: feature vector has ${features.length} values, the model takes ${this.nFeatures}`,
      );
    assertFiniteFeatures(features);
    return this.serial(async () => {
      this.one.set(features);
      const r = await this.session.run({ [this.inputs[0].name]: this.oneTensor! });
      return unwrap(r);
    });
  }

  /**
   * Scores `rows` feature vectors (row-major float32) in chunks of `maxBatch`; returns the
   * concatenated values of output `output` (default: the last output, e.g. probabilities), as
   * float32 (int64 labels converted).
   */
  predictBatch(x: Float32Array, rows: number, output?: string): Promise<Float32Array> {
    this.requireSingleInput();
    const F = this.nFeatures;
    if (x.length !== rows * F)
      throw new MlError(
        "ML_SHAPE",
        `${this.name}: batch has ${x.length} values, ${rows} rows x ${F} features need ${rows * F}`,
      );
    for (let i = 0; i < x.length; i++)
      if (!Number.isFinite(x[i]))
        throw new MlError(
          "ML_NAN_FEATURE",
          `${this.name}: row ${Math.floor(i / F)}, column ${i % F} is ${x[i]}`,
        );
    const outName = output ?? this.outputs[this.outputs.length - 1].name;
    if (!this.outputs.some((o) => o.name === outName))
      throw new MlError(
        "ML_MODEL_MISMATCH",
        `${this.name}: no output "${outName}" (outputs: ${this.outputs.map((o) => o.name).join(", ")})`,
      );
    return this.serial(async () => {
      let result: Float32Array | undefined;
      let per = 0;
      for (let start = 0; start < rows; start += this.maxBatch) {
        const n = Math.min(this.maxBatch, rows - start);
        if (this.batchBuf.length < n * F) this.batchBuf = new Float32Array(Math.min(rows, this.maxBatch) * F);
        const view = this.batchBuf.subarray(0, n * F);
        view.set(x.subarray(start * F, (start + n) * F));
        const r = await this.session.run({ [this.inputs[0].name]: new ort.Tensor("float32", view, [n, F]) });
        const raw = r[outName].data;
        // int64 outputs (class labels) come back as BigInt64Array; labels are small integers.
        const data = raw instanceof BigInt64Array ? Float32Array.from(raw, Number) : (raw as Float32Array);
        if (!result) {
          per = data.length / n;
          result = new Float32Array(rows * per);
        }
        result.set(data, start * per);
      }
      return result ?? new Float32Array(0);
    });
  }

  /**
   * Runs the model on named tensors (any model, e.g. the ONNX conformance cases). Checks input
   * names, count, dtypes and fixed dimensions first.
   */
  run(
    feeds: Record<string, { type: TensorType; data: ort.Tensor.DataType; dims: number[] }>,
  ): Promise<Record<string, ort.Tensor>> {
    const names = Object.keys(feeds);
    for (const inp of this.inputs) {
      const f = feeds[inp.name];
      if (!f)
        throw new MlError(
          "ML_MODEL_MISMATCH",
          `${this.name}: missing input "${inp.name}" (given: ${names.join(", ") || "none"})`,
        );
      if (f.type !== inp.type)
        throw new MlError(
          "ML_MODEL_MISMATCH",
          `${this.name}: input "${inp.name}" must be ${inp.type}, got ${f.type}`,
        );
      if (f.dims.length !== inp.dims.length || inp.dims.some((d, i) => d > 0 && d !== f.dims[i]))
        throw new MlError(
          "ML_SHAPE",
          `${this.name}: input "${inp.name}" must have shape [${inp.dims.map((d) => (d < 0 ? "?" : d)).join(", ")}], got [${f.dims.join(", ")}]`,
        );
    }
    for (const n of names)
      if (!this.inputs.some((i) => i.name === n))
        throw new MlError(
          "ML_MODEL_MISMATCH",
          `${this.name}: unknown input "${n}" (inputs: ${this.inputs.map((i) => i.name).join(", ")})`,
        );
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [n, f] of Object.entries(feeds))
      ortFeeds[n] = new ort.Tensor(f.type as "float32", f.data as Float32Array, f.dims);
    return this.serial(async () => {
      try {
        return await this.session.run(ortFeeds);
      } catch (e) {
        throw new MlError(
          "ML_MODEL_MISMATCH",
          `${this.name}: onnxruntime run failed (${(e as Error).message.split("\n")[0]})`,
        );
      }
    });
  }

  async close(): Promise<void> {
    await this.tail;
    await this.session.release();
  }
}

function unwrap(r: ort.InferenceSession.ReturnType): Record<string, Float32Array | BigInt64Array> {
  const out: Record<string, Float32Array | BigInt64Array> = {};
  for (const [k, v] of Object.entries(r)) out[k] = v.data as Float32Array | BigInt64Array;
  return out;
}
