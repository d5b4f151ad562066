import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportMlp } from "../onnx/export.js";
import { blobs } from "../testing/synthetic.js";
import { MlpEvaluator, predictMlp, trainMlp } from "../train/mlp.js";
import { FallbackPredictor, V2Client } from "./client.js";
import { startV2Server, type V2Server } from "./server.js";

const ds = blobs(300, 5, 3, 12, 2);
const mlp = trainMlp(ds, { hidden: [8], output: "softmax", epochs: 3, seed: 1 });
const gemmDir = "/work/shared/data/models/onnx_test_gemm_default_vector_bias";

let server: V2Server;
let client: V2Client;
beforeAll(async () => {
  server = await startV2Server({
    port: 0,
    models: [
      { name: "mlp", source: exportMlp(mlp) },
      { name: "gemm", source: join(gemmDir, "model.onnx") },
    ],
    maxBatch: 16,
    maxDelayUs: 2000,
  });
  client = new V2Client({ url: server.url, timeoutMs: 2000 });
});
afterAll(async () => {
  await client.close();
  await server.close();
});

async function post(path: string, body: unknown): Promise<{ status: number; json: { error?: string } }> {
  const r = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: r.status, json: (await r.json()) as { error?: string } };
}

describe("v2 server and client over real HTTP", () => {
  it("health, readiness and model metadata", async () => {
    expect(await client.live()).toBe(true);
    expect(await client.ready()).toBe(true);
    expect(await client.ready("mlp")).toBe(true);
    expect(await client.ready("nope")).toBe(false);
    const live = await fetch(`${server.url}/v2/health/live`);
    expect(live.status).toBe(200);
    expect(await live.text()).toBe("");
    const md = await client.metadata("mlp");
    expect(md).toMatchObject({
      name: "mlp",
      platform: "onnxruntime_onnx",
      inputs: [{ name: "features", datatype: "FP32", shape: [-1, 5] }],
      outputs: [{ name: "output", datatype: "FP32", shape: [-1, 3] }],
    });
    await expect(client.metadata("nope")).rejects.toThrow(/HTTP 404: unknown model 'nope'/);
  });

  it("infer returns the embedded model's predictions; concurrent requests are batched", async () => {
    const expected = predictMlp(mlp, ds.x, ds.rows);
    const before = server.stats();
    const rs = await Promise.all(
      Array.from({ length: 40 }, (_, r) =>
        client.infer(
          "mlp",
          [
            {
              name: "features",
              datatype: "FP32",
              shape: [1, 5],
              data: Array.from(ds.x.subarray(r * 5, r * 5 + 5)),
            },
          ],
          undefined,
          `req-${r}`,
        ),
      ),
    );
    rs.forEach((res, r) => {
      expect(res.id).toBe(`req-${r}`);
      expect(res.outputs[0]).toMatchObject({ name: "output", datatype: "FP32", shape: [1, 3] });
      for (let k = 0; k < 3; k++)
        expect(Math.abs(res.outputs[0].data[k] - expected[r * 3 + k])).toBeLessThan(1e-6);
    });
    const after = server.stats();
    expect(after.requests - before.requests).toBe(40);
    expect(after.runs - before.runs).toBeLessThan(40);
    // a multi-row request and nested data
    const two = await client.infer("mlp", [
      {
        name: "features",
        datatype: "FP32",
        shape: [2, 5],
        data: [Array.from(ds.x.subarray(0, 5)), Array.from(ds.x.subarray(5, 10))],
      },
    ]);
    expect(two.outputs[0].shape).toEqual([2, 3]);
  });

  it("serves a foreign multi-input model (Gemm conformance case) without batching", async () => {
    const a = Array.from({ length: 14 }, (_, i) => i / 10);
    const b = Array.from({ length: 28 }, (_, i) => (i % 5) / 7);
    const c = [1, 2, 3, 4];
    const r = await client.infer("gemm", [
      { name: "a", datatype: "FP32", shape: [2, 7], data: a },
      { name: "b", datatype: "FP32", shape: [7, 4], data: b },
      { name: "c", datatype: "FP32", shape: [1, 4], data: c },
    ]);
    const y = r.outputs[0].data;
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 4; j++) {
        let s = c[j];
        for (let k = 0; k < 7; k++) s += a[i * 7 + k] * b[k * 4 + j];
        expect(Math.abs(y[i * 4 + j] - s)).toBeLessThan(1e-5);
      }
  });

  it("answers bad requests with 400 and the reason", async () => {
    const row = [0.1, 0.2, 0.3, 0.4, 0.5];
    const cases: [unknown, RegExp][] = [
      [
        { inputs: [{ name: "features", datatype: "FP32", shape: [1, 4], data: row.slice(0, 4) }] },
        /does not match the model's \[-1,5\] at dimension 1/,
      ],
      [
        { inputs: [{ name: "features", datatype: "FP32", shape: [5], data: row }] },
        /has rank 1, the model expects rank 2/,
      ],
      [
        { inputs: [{ name: "features", datatype: "FP64", shape: [1, 5], data: row }] },
        /datatype "FP64" does not match the model's FP32/,
      ],
      [
        { inputs: [{ name: "features", datatype: "FP32", shape: [1, 5], data: row.slice(0, 3) }] },
        /'data' has 3 elements, shape \[1,5\] needs 5/,
      ],
      [
        { inputs: [{ name: "features", datatype: "FP32", shape: [1, 5], data: [0, null, 0, 0, 0] }] },
        /element 1 is null, expected a finite number/,
      ],
      [
        { inputs: [{ name: "x", datatype: "FP32", shape: [1, 5], data: row }] },
        /unexpected input 'x'; the model's inputs are 'features'/,
      ],
      [{ inputs: [] }, /non-empty 'inputs' array/],
      [
        {
          inputs: [{ name: "features", datatype: "FP32", shape: [1, 5], data: row }],
          outputs: [{ name: "probs" }],
        },
        /unknown output 'probs'/,
      ],
      ["{not json", /JSON/],
      [{ inputs: [{ name: "features", datatype: "FP32", shape: [0, 5], data: [] }] }, /batch dimension is 0/],
    ];
    for (const [body, reason] of cases) {
      const r = await post("/v2/models/mlp/infer", body);
      expect(r.status, String(reason)).toBe(400);
      expect(r.json.error).toMatch(reason);
    }
    const gemm = await post("/v2/models/gemm/infer", {
      inputs: [{ name: "a", datatype: "FP32", shape: [2, 7], data: new Array(14).fill(0) }],
    });
    expect(gemm.status).toBe(400);
    expect(gemm.json.error).toMatch(/missing input 'b'/);
    const unknown = await post("/v2/models/nope/infer", { inputs: [] });
    expect(unknown.status).toBe(404);
    await expect(
      client.infer("mlp", [{ name: "features", datatype: "FP32", shape: [1, 2], data: [1, 2] }]),
    ).rejects.toThrow(/HTTP 400: input 'features': shape \[1,2\]/);
  });

  it("hot-swaps a model without a restart", async () => {
    const other = trainMlp(ds, { hidden: [4], output: "softmax", epochs: 1, seed: 99 });
    const row = Array.from(ds.x.subarray(0, 5));
    await server.swapModel({ name: "mlp2", source: exportMlp(mlp) });
    await server.swapModel({ name: "mlp2", source: exportMlp(other) });
    const r = await client.infer("mlp2", [{ name: "features", datatype: "FP32", shape: [1, 5], data: row }]);
    const want = predictMlp(other, ds.x, 1);
    expect(Math.abs(r.outputs[0].data[0] - want[0])).toBeLessThan(1e-6);
  });
});

describe("client timeouts and fallback to the embedded runtime", () => {
  it("falls back on a dead endpoint, and again after a timeout, then retries remote after the cooldown", async () => {
    const ev = new MlpEvaluator(mlp);
    const local = (f: Float32Array) => ev.predict(f, new Float64Array(3));
    let now = 0;
    const reasons: string[] = [];
    const dead = new V2Client({ url: "http://127.0.0.1:1", timeoutMs: 500 });
    const fp = new FallbackPredictor({
      client: dead,
      model: "mlp",
      local,
      cooldownMs: 1000,
      now: () => now,
      onFallback: (r) => reasons.push(r),
    });
    const x = ds.x.subarray(0, 5);
    const a = await fp.predict(x);
    expect(a.source).toBe("local");
    expect(reasons[0]).toMatch(/ECONNREFUSED|connect/);
    await dead.close();

    // A server that never answers: the client times out.
    const { createServer } = await import("node:http");
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as { port: number }).port;
    const slow = new V2Client({ url: `http://127.0.0.1:${port}`, timeoutMs: 100 });
    await expect(
      slow.infer("mlp", [{ name: "features", datatype: "FP32", shape: [1, 5], data: Array.from(x) }]),
    ).rejects.toThrow(/no answer within 100 ms/);
    await slow.close();
    silent.closeAllConnections();
    silent.close();

    // Healthy remote: first answer remote; after a failure, local until the cooldown passes.
    const good = new FallbackPredictor({ client, model: "mlp", local, cooldownMs: 1000, now: () => now });
    expect((await good.predict(x)).source).toBe("remote");
    const bad = new FallbackPredictor({ client, model: "nope", local, cooldownMs: 1000, now: () => now });
    expect((await bad.predict(x)).source).toBe("local");
    expect(bad.lastFallbackReason).toMatch(/404/);
    expect((await bad.predict(x)).source).toBe("local");
    now = 2000;
    expect((await bad.predict(x)).source).toBe("local");
    expect(bad.counts).toEqual({ remote: 0, local: 3 });
  });
});
