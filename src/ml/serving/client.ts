/**
 * A KServe v2 / Triton HTTP client with per-request timeouts (keep-alive connections, loopback or
 * remote), and {@link FallbackPredictor}: remote inference with fallback to the embedded runtime
 * when the endpoint is down, slow or answers an error — the trading node keeps predicting and
 * says why.
 */
import http from "node:http";
import { MlError } from "../errors.js";
import type { V2InferResponse, V2ModelMetadata, V2Tensor } from "./protocol.js";

export interface V2ClientOptions {
  /** Base URL, e.g. http://127.0.0.1:8000 (http only). */
  url: string;
  /** Per-request timeout (default 1000 ms). */
  timeoutMs?: number;
  /** Sockets kept open (default 64). */
  maxSockets?: number;
}

interface RawResponse {
  status: number;
  body: string;
}

export class V2Client {
  private readonly agent: http.Agent;
  private readonly host: string;
  private readonly port: number;
  private readonly timeoutMs: number;

  constructor(opts: V2ClientOptions) {
    const u = new URL(opts.url);
    if (u.protocol !== "http:")
      throw new MlError("ML_SERVING", `v2 client: only http:// URLs are supported, got ${opts.url}`);
    this.host = u.hostname.replace(/^\[|\]$/g, "");
    this.port = Number(u.port || 80);
    this.timeoutMs = opts.timeoutMs ?? 1000;
    this.agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64 });
  }

  private request(method: "GET" | "POST", path: string, body?: unknown): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = http.request(
        {
          host: this.host,
          port: this.port,
          method,
          path,
          agent: this.agent,
          headers: payload
            ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
            : {},
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            clearTimeout(timer);
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
          });
          res.on("error", (e) => {
            clearTimeout(timer);
            reject(e);
          });
        },
      );
      const timer = setTimeout(() => {
        req.destroy(
          new MlError("ML_SERVING", `v2 ${method} ${path}: no answer within ${this.timeoutMs} ms`, {
            reason: "timeout",
          }),
        );
      }, this.timeoutMs);
      req.on("error", (e) => {
        clearTimeout(timer);
        reject(
          e instanceof MlError
            ? e
            : new MlError("ML_SERVING", `v2 ${method} ${path}: ${e.message}`, { reason: "network" }),
        );
      });
      req.end(payload);
    });
  }

  private static errorOf(r: RawResponse, what: string): MlError {
    let reason = r.body;
    try {
      reason = (JSON.parse(r.body) as { error?: string }).error ?? r.body;
    } catch {
      // not JSON: keep the text
    }
    return new MlError("ML_SERVING", `${what}: HTTP ${r.status}: ${reason}`, { status: r.status, reason });
  }

  async live(): Promise<boolean> {
    return (await this.request("GET", "/v2/health/live")).status === 200;
  }
  async ready(model?: string): Promise<boolean> {
    const path = model ? `/v2/models/${encodeURIComponent(model)}/ready` : "/v2/health/ready";
    return (await this.request("GET", path)).status === 200;
  }
  async metadata(model: string): Promise<V2ModelMetadata> {
    const r = await this.request("GET", `/v2/models/${encodeURIComponent(model)}`);
    if (r.status !== 200) throw V2Client.errorOf(r, `metadata of ${model}`);
    return JSON.parse(r.body) as V2ModelMetadata;
  }
  /** POST /v2/models/{model}/infer; a non-200 answer throws `ML_SERVING` with the server's reason. */
  async infer(model: string, inputs: V2Tensor[], outputs?: string[], id?: string): Promise<V2InferResponse> {
    const body = {
      ...(id ? { id } : {}),
      inputs,
      ...(outputs ? { outputs: outputs.map((name) => ({ name })) } : {}),
    };
    const r = await this.request("POST", `/v2/models/${encodeURIComponent(model)}/infer`, body);
    if (r.status !== 200) throw V2Client.errorOf(r, `infer ${model}`);
    return JSON.parse(r.body) as V2InferResponse;
  }
  async close(): Promise<void> {
    this.agent.destroy();
  }
}

/** Something that predicts one feature vector locally (an OnnxModel wrapper or a pure-TS evaluator). */
export type LocalPredictor = (features: Float32Array) => Promise<ArrayLike<number>> | ArrayLike<number>;

export interface FallbackOptions {
  client: V2Client;
  model: string;
  /** Output to read from the v2 answer (default: its first output). */
  output?: string;
  local: LocalPredictor;
  /** After a remote failure, use the local model for this long before trying remote again (default 5000 ms). */
  cooldownMs?: number;
  /** Time source for the cooldown (the engine passes its clock; default performance.now). */
  now?: () => number;
  /** Called with the reason whenever the local model answers instead of the remote one. */
  onFallback?: (reason: string) => void;
}

/** Remote-first prediction with fallback to the embedded runtime. */
export class FallbackPredictor {
  private remoteAfter = 0;
  /** Counts of answers by source. */
  readonly counts = { remote: 0, local: 0 };
  lastFallbackReason: string | undefined;

  constructor(private readonly opts: FallbackOptions) {}

  async predict(features: Float32Array): Promise<{ values: ArrayLike<number>; source: "remote" | "local" }> {
    const now = this.opts.now ?? (() => performance.now());
    if (now() >= this.remoteAfter) {
      try {
        const r = await this.opts.client.infer(this.opts.model, [
          { name: "features", datatype: "FP32", shape: [1, features.length], data: Array.from(features) },
        ]);
        const out = this.opts.output ? r.outputs.find((o) => o.name === this.opts.output) : r.outputs[0];
        if (!out) throw new MlError("ML_SERVING", `v2 answer has no output ${this.opts.output}`);
        this.counts.remote++;
        return { values: out.data, source: "remote" };
      } catch (e) {
        this.remoteAfter = now() + (this.opts.cooldownMs ?? 5000);
        this.lastFallbackReason = (e as Error).message;
        this.opts.onFallback?.(this.lastFallbackReason);
      }
    }
    this.counts.local++;
    return { values: await this.opts.local(features), source: "local" };
  }
}
