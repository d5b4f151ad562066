/**
 * The v2 inference server (`botv6 model serve`): KServe v2 / Triton HTTP protocol on Fastify.
 *
 * Endpoints: `GET /v2` (server metadata), `GET /v2/health/live`, `GET /v2/health/ready`,
 * `GET /v2/models/{name}` (model metadata), `GET /v2/models/{name}/ready`,
 * `POST /v2/models/{name}/infer` (also under `/versions/{v}`). Health answers are the status code
 * with an empty body (200 = true), as the protocol says. Bad requests are 400 with
 * `{ "error": reason }`, unknown models 404.
 *
 * Models with one float32 [N, F] input are served through a {@link DynamicBatcher}; others run
 * one request per onnxruntime run.
 */
import Fastify, { type FastifyInstance } from "fastify";
import { MlError } from "../errors.js";
import { OnnxModel } from "../inference/session.js";
import { DynamicBatcher } from "./batcher.js";
import {
  modelMetadata,
  toV2Datatype,
  type V2InferResponse,
  V2RequestError,
  type ValidatedInput,
  validateInferRequest,
} from "./protocol.js";

export interface ServedModelSpec {
  name: string;
  /** ONNX file path or bytes. */
  source: string | Uint8Array;
}

export interface V2ServerOptions {
  port: number;
  host?: string;
  models: ServedModelSpec[];
  /** Largest dynamic batch in rows (default 64). */
  maxBatch?: number;
  /** Longest wait for a batch to fill, µs (default 500; below 1000 the batch is what arrived in one I/O turn). */
  maxDelayUs?: number;
  /** Request body limit in bytes (default 8 MiB). */
  bodyLimit?: number;
  logger?: boolean;
}

interface Served {
  model: OnnxModel;
  batcher?: DynamicBatcher;
}

export interface V2Server {
  url: string;
  port: number;
  app: FastifyInstance;
  /** Requests, onnxruntime runs and rows over all batched models (runs < requests means batching happened). */
  stats(): { requests: number; runs: number; rows: number };
  /** Replaces (or adds) a model without a restart; in-flight requests finish on the old session. */
  swapModel(spec: ServedModelSpec): Promise<void>;
  close(): Promise<void>;
}

export async function startV2Server(opts: V2ServerOptions): Promise<V2Server> {
  const maxBatch = opts.maxBatch ?? 64;
  const maxDelayUs = opts.maxDelayUs ?? 500;
  if (!Number.isInteger(maxBatch) || maxBatch < 1)
    throw new MlError("ML_SERVING", `maxBatch must be a positive integer, got ${maxBatch}`);
  if (!(maxDelayUs >= 0)) throw new MlError("ML_SERVING", `maxDelayUs must be >= 0, got ${maxDelayUs}`);
  const models = new Map<string, Served>();
  const load = async (spec: ServedModelSpec): Promise<Served> => {
    if (!/^[A-Za-z0-9_.-]+$/.test(spec.name))
      throw new MlError("ML_SERVING", `model name "${spec.name}" must match [A-Za-z0-9_.-]+`);
    const model = await OnnxModel.load(spec.source, { name: spec.name });
    const batchable = model.nFeatures > 0 && model.inputs[0].dims[0] === -1;
    return { model, batcher: batchable ? new DynamicBatcher(model, maxBatch, maxDelayUs) : undefined };
  };
  for (const spec of opts.models) {
    if (models.has(spec.name)) throw new MlError("ML_SERVING", `model "${spec.name}" given twice`);
    models.set(spec.name, await load(spec));
  }
  const retired: Served[] = [];

  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: opts.bodyLimit ?? 8 * 1024 * 1024 });
  app.setErrorHandler((err, _req, reply) => {
    const e = err as Error & { statusCode?: number };
    const status = e instanceof V2RequestError ? 400 : (e.statusCode ?? 500);
    void reply.code(status).send({ error: e.message });
  });
  // Plain JSON.parse: the body is only read, never merged into objects, so prototype-poisoning
  // protection (Fastify's default parser) buys nothing here and costs time per request.
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (e) {
      const err = new V2RequestError(`request body is not valid JSON (${(e as Error).message})`);
      done(err, undefined);
    }
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: `no route ${req.method} ${req.url}` });
  });

  app.get("/v2", async () => ({ name: "botv6", version: "0.1.0", extensions: [] }));
  app.get("/v2/health/live", async (_req, reply) => reply.code(200).send());
  app.get("/v2/health/ready", async (_req, reply) => reply.code(models.size > 0 ? 200 : 503).send());

  const find = (name: string) => {
    const m = models.get(name);
    if (!m) {
      const e = new Error(`unknown model '${name}'`) as Error & { statusCode: number };
      e.statusCode = 404;
      throw e;
    }
    return m;
  };
  type P = { Params: { name: string; version?: string } };
  const metadata = async (req: { params: { name: string } }) => {
    const s = find(req.params.name);
    return modelMetadata(req.params.name, s.model.inputs, s.model.outputs);
  };
  app.get<P>("/v2/models/:name", metadata);
  app.get<P>("/v2/models/:name/versions/:version", metadata);
  const ready = async (
    req: { params: { name: string } },
    reply: { code(c: number): { send(): unknown } },
  ) => {
    find(req.params.name);
    return reply.code(200).send();
  };
  app.get<P>("/v2/models/:name/ready", ready);
  app.get<P>("/v2/models/:name/versions/:version/ready", ready);

  const infer = async (req: { params: { name: string }; body: unknown }): Promise<V2InferResponse> => {
    const name = req.params.name;
    const s = find(name);
    const v = validateInferRequest(req.body, s.model.inputs, s.model.outputs);
    let out: Record<string, { data: ArrayLike<number | bigint>; dims: number[] }>;
    if (s.batcher) {
      const inp = v.inputs[0] as ValidatedInput & { data: Float32Array };
      if (inp.shape[0] === 0)
        throw new V2RequestError(`input '${inp.name}': batch dimension is 0; send at least one row`);
      out = await s.batcher.submit(inp.data, inp.shape[0]);
    } else {
      const feeds: Parameters<OnnxModel["run"]>[0] = {};
      for (const i of v.inputs) feeds[i.name] = { type: i.type, data: i.data, dims: i.shape };
      const r = await s.model.run(feeds);
      out = {};
      for (const [k, t] of Object.entries(r)) out[k] = { data: t.data as Float32Array, dims: [...t.dims] };
    }
    return {
      model_name: name,
      model_version: "1",
      ...(v.id !== undefined ? { id: v.id } : {}),
      outputs: v.outputs.map((o) => {
        const sig = s.model.outputs.find((x) => x.name === o)!;
        const t = out[o];
        return {
          name: o,
          datatype: toV2Datatype(sig.type),
          shape: t.dims,
          data: Array.from(t.data as ArrayLike<number>, Number),
        };
      }),
    };
  };
  app.post<P>("/v2/models/:name/infer", infer);
  app.post<P>("/v2/models/:name/versions/:version/infer", infer);

  await app.listen({ port: opts.port, host: opts.host ?? "127.0.0.1" });
  const addr = app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : opts.port;
  const host = opts.host ?? "127.0.0.1";
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    app,
    stats: () => {
      const t = { requests: 0, runs: 0, rows: 0 };
      for (const s of [...models.values(), ...retired])
        if (s.batcher) {
          t.requests += s.batcher.stats.requests;
          t.runs += s.batcher.stats.runs;
          t.rows += s.batcher.stats.rows;
        }
      return t;
    },
    swapModel: async (spec) => {
      const next = await load(spec);
      const prev = models.get(spec.name);
      models.set(spec.name, next);
      if (prev) retired.push(prev);
    },
    close: async () => {
      await app.close();
      for (const s of [...models.values(), ...retired]) await s.model.close();
    },
  };
}
