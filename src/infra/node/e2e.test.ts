/**
 * End to end (issue 8, part 4): three real `botv6 node` processes — data, strategy, execution —
 * replay real candles from ../shared/data over Kafka (the librdkafka mock cluster) and over Redis
 * Streams, and the execution node's orders, fills and positions must equal the single-process
 * backtest of the same config and seed, to the last event id and digit.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runConfiguredBacktest } from "../../backtest/from-config.js";
import { runCli } from "../../cli/main.js";
import { loadConfig } from "../../core/config.js";
import { type NodeProcess, startNodeProcess } from "../testing/node-process.js";
import { type ServiceHandle, type ServiceKind, startRedis, startService } from "../testing/services.js";
import { describeService } from "../testing/vitest.js";
import { waitFor } from "../testing/wait.js";
import { type RunSummary, summarize } from "./summary.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CONFIG = join(ROOT, "examples/config/node-redis.yaml");
const SYNTHETIC_MM = join(ROOT, "examples/config/node-synthetic-mm.yaml");

async function singleProcess(file: string): Promise<RunSummary> {
  const c = loadConfig({ file }).config;
  const { result } = await runConfiguredBacktest(c.backtest!, c.seed, dirname(resolve(file)));
  return JSON.parse(JSON.stringify(summarize(result))) as RunSummary;
}

/** Runs data, strategy and execution nodes to the end; returns the execution node's summary. */
async function threeProcesses(
  env: Record<string, string>,
  dir: string,
  config = CONFIG,
): Promise<RunSummary> {
  const out = join(dir, `exec-${env.BOTV6_NODE__BRIDGE__NAMESPACE}.json`);
  const nodes: NodeProcess[] = [];
  try {
    const exec = startNodeProcess("execution", config, "exec-1", env, ["--out", out]);
    const strategy = startNodeProcess("strategy", config, "strat-1", env);
    nodes.push(exec, strategy);
    await exec.waitForLine(/^ready$/);
    await strategy.waitForLine(/^ready$/);
    const data = startNodeProcess("data", config, "data-1", env);
    nodes.push(data);
    const done = /^done events=(\d+)/;
    expect(await data.waitForExit(120_000), data.stderr).toBe(0);
    expect(await strategy.waitForExit(120_000), strategy.stderr).toBe(0);
    expect(await exec.waitForExit(120_000), exec.stderr).toBe(0);
    // Every process saw every event.
    const counts = [data, strategy, exec].map((n) => n.lines.find((l) => done.test(l))?.match(done)?.[1]);
    expect(new Set(counts).size, counts.join(" ")).toBe(1);
    return JSON.parse(readFileSync(out, "utf8")) as RunSummary;
  } finally {
    for (const n of nodes) await n.stop("SIGKILL");
  }
}

/** A private broker; Redis fsyncs once a second (durability is not what these tests check). */
function broker(kind: ServiceKind): Promise<ServiceHandle> {
  return kind === "redis" ? startRedis({ appendfsync: "everysec" }) : startService(kind);
}

let expected: RunSummary;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "botv6-node-e2e-"));
  expected = await singleProcess(CONFIG);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectIdentical(got: RunSummary): void {
  // The run must trade, or the comparison proves nothing.
  expect(expected.fills.length).toBeGreaterThan(10);
  expect(got.orders).toEqual(expected.orders);
  expect(got.fills).toEqual(expected.fills);
  expect(got.positions).toEqual(expected.positions);
}

for (const kind of ["redis", "kafka"] as const) {
  describeService(
    kind,
    `botv6 node: three processes over ${kind === "redis" ? "Redis Streams" : "Kafka"}`,
    () => {
      let service: ServiceHandle;
      beforeAll(async () => {
        service = await broker(kind);
      }, 30_000);
      afterAll(async () => service?.stop());

      it("orders, fills and positions equal the single-process backtest", async () => {
        const got = await threeProcesses(
          {
            BOTV6_NODE__BRIDGE__KIND: kind,
            BOTV6_NODE__BRIDGE__URL: service.url,
            BOTV6_NODE__BRIDGE__NAMESPACE: `e2e-${process.pid}-${Date.now()}`,
          },
          dir,
        );
        expectIdentical(got);
      }, 240_000);
    },
  );
}

describeService("redis", "botv6 node: L2 market making with venue latency over three processes", () => {
  let redis: ServiceHandle;
  beforeAll(async () => {
    redis = await broker("redis");
  }, 30_000);
  afterAll(async () => redis?.stop());

  it("the synthetic market's orders, fills and positions equal the single-process backtest", async () => {
    const single = await singleProcess(SYNTHETIC_MM);
    expect(single.fills.length).toBeGreaterThan(10);
    const got = await threeProcesses(
      {
        BOTV6_NODE__BRIDGE__URL: redis.url,
        BOTV6_NODE__BRIDGE__NAMESPACE: `mm-${process.pid}-${Date.now()}`,
      },
      dir,
      SYNTHETIC_MM,
    );
    expect(got).toEqual(single);
  }, 180_000);
});

describeService("redis", "botv6 node: shutdown", () => {
  let redis: ServiceHandle;
  beforeAll(async () => {
    redis = await broker("redis");
  }, 30_000);
  afterAll(async () => redis?.stop());

  it("SIGTERM stops waiting nodes cleanly (exit 0) and the active node releases its lease", async () => {
    const env = {
      BOTV6_NODE__BRIDGE__URL: redis.url,
      BOTV6_NODE__BRIDGE__NAMESPACE: `term-${process.pid}-${Date.now()}`,
    };
    const a = startNodeProcess("execution", CONFIG, "exec-t", env);
    const b = startNodeProcess("execution", CONFIG, "exec-u", env);
    const strategy = startNodeProcess("strategy", CONFIG, "strat-t", env);
    try {
      await a.waitForLine(/^ready$/);
      await b.waitForLine(/^ready$/);
      await strategy.waitForLine(/^ready$/);
      // Whichever won the lease is the active one; the other is its standby.
      await waitFor(() => [a, b].some((n) => n.lines.some((l) => l.startsWith("active"))), "an active node");
      const [active, standby] = a.lines.some((l) => l.startsWith("active")) ? [a, b] : [b, a];
      expect(standby.lines.some((l) => l.startsWith("active"))).toBe(false);
      await active.stop("SIGTERM");
      expect(active.exitCode, active.stderr).toBe(0);
      expect(active.lines).toContain("stopped");
      // The lease was released (or expired): the standby takes over.
      await standby.waitForLine(/^active token=\d+$/, 10_000);
      await strategy.stop("SIGTERM");
      await standby.stop("SIGTERM");
      expect([strategy.exitCode, standby.exitCode]).toEqual([0, 0]);
    } finally {
      for (const n of [a, b, strategy]) await n.stop("SIGKILL");
    }
  }, 60_000);

  it("an execution node holding the lease whose broker is unreachable exits with the error, not a hang", async () => {
    const env = {
      BOTV6_NODE__BRIDGE__KIND: "kafka",
      BOTV6_NODE__BRIDGE__URL: "127.0.0.1:1",
      BOTV6_NODE__BRIDGE__CONNECT_TIMEOUT_MS: "500",
      BOTV6_NODE__LOCK__URL: redis.url,
      BOTV6_NODE__BRIDGE__NAMESPACE: `bad-${process.pid}`,
    };
    const exec = startNodeProcess("execution", CONFIG, "exec-x", env);
    try {
      expect(await exec.waitForExit(30_000)).toBe(1);
      expect(exec.stderr).toMatch(
        /BRIDGE_CONNECT_FAILED\]: kafka bridge cannot reach bridge\.url=127\.0\.0\.1:1/,
      );
    } finally {
      await exec.stop("SIGKILL");
    }
  }, 60_000);
});

describe("botv6 node --role model", () => {
  it("serves the configured ONNX model over KServe v2 until SIGTERM", async () => {
    const file = join(dir, "model.yaml");
    const model = join(ROOT, "../shared/data/models/onnx_test_gemm_default_vector_bias/model.onnx");
    writeFileSync(
      file,
      `node:\n  bridge: { kind: redis, url: "redis://127.0.0.1:1" }\n  model: { port: 0, models: [{ name: gemm, file: "${model}" }] }\n`,
    );
    const node = startNodeProcess("model", file, "model-1");
    try {
      const url = (await node.waitForLine(/^ready http/)).split(" ")[1];
      expect((await fetch(`${url}/v2/health/ready`)).status).toBe(200);
      expect((await fetch(`${url}/v2/models/gemm/ready`)).status).toBe(200);
      await node.stop("SIGTERM");
      expect(node.exitCode, node.stderr).toBe(0);
    } finally {
      await node.stop("SIGKILL");
    }
  }, 60_000);
});

describe("botv6 node: bad configuration is named at start", () => {
  async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = "";
    let err = "";
    const code = await runCli(args, { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  }
  function config(name: string, node: string): string {
    const file = join(dir, name);
    const base = readFileSync(CONFIG, "utf8").replace(/^node:\n(?: .*\n)+/m, node);
    writeFileSync(file, base.replace("../../../shared/data/", `${join(ROOT, "../shared/data")}/`));
    return file;
  }

  it("an unreachable broker URL fails within connectTimeoutMs naming bridge.url", async () => {
    const file = config(
      "unreachable.yaml",
      'node:\n  bridge: { kind: redis, url: "redis://127.0.0.1:1", namespace: x, connectTimeoutMs: 500 }\n',
    );
    const started = Date.now();
    const r = await cli(["node", "--config", file, "--role", "data", "--id", "d1"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/BRIDGE_CONNECT_FAILED.*bridge\.url=redis:\/\/127\.0\.0\.1:1/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("an unreachable lock URL fails naming node.lock.url", async () => {
    const file = config(
      "badlock.yaml",
      'node:\n  bridge: { kind: kafka, url: "127.0.0.1:1", namespace: x, connectTimeoutMs: 500 }\n  lock: { url: "redis://127.0.0.1:1" }\n',
    );
    const r = await cli(["node", "--config", file, "--role", "execution", "--id", "e1"]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/NODE_LOCK_CONNECT_FAILED.*node\.lock\.url=redis:\/\/127\.0\.0\.1:1/);
  });

  it("names a bad key, a bad role, a wrong URL scheme and a missing section", async () => {
    const badKind = config("kind.yaml", 'node:\n  bridge: { kind: rabbit, url: "amqp://x" }\n');
    const r1 = await cli(["node", "--config", badKind, "--role", "data"]);
    expect(r1.code).toBe(2);
    expect(r1.err).toMatch(/kind\.yaml:\d+:\d+: node\.bridge\.kind/);
    const r2 = await cli(["node", "--config", CONFIG, "--role", "risk"]);
    expect(r2.code).toBe(2);
    expect(r2.err).toMatch(/--role "risk" is not one of data, strategy, execution, model/);
    const scheme = config("scheme.yaml", 'node:\n  bridge: { kind: redis, url: "http://127.0.0.1:6379" }\n');
    const r3 = await cli(["node", "--config", scheme, "--role", "data", "--id", "d1"]);
    expect(r3.code).toBe(1);
    expect(r3.err).toMatch(/bridge\.url/);
    const none = join(dir, "none.yaml");
    writeFileSync(none, "seed: 1\n");
    const r4 = await cli(["node", "--config", none, "--role", "data"]);
    expect(r4.err).toMatch(/node: the file has no node section/);
    const model = config("model.yaml", 'node:\n  bridge: { kind: redis, url: "redis://127.0.0.1:1" }\n');
    const r5 = await cli(["node", "--config", model, "--role", "model"]);
    expect(r5.err).toMatch(/node\.model: a model node needs node\.model/);
  });
});
