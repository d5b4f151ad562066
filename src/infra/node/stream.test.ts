/**
 * Stream mode of `botv6 node` (issue 8, part 4; docs/deployment.md "Stream mode"): real
 * processes over real brokers trade real candles from ../shared/data without a barrier.
 * Results need not equal the backtest (the interleaving of data and commands is the network's),
 * so the checks are the invariants: every command that reached the broker is handled exactly
 * once, the execution node's positions equal the sum of its fills, no order is lost, and the
 * strategy node's mirror ends with the execution node's orders, fills and positions. A strategy
 * node killed with SIGKILL mid-stream is replaced and the replacement rebuilds its orders and
 * positions before its strategies act.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../../cli/main.js";
import type { TradingCommand } from "../../model/commands.js";
import type { NodeFrame } from "../codec/control.js";
import { type NodeProcess, startNodeProcess } from "../testing/node-process.js";
import { type ServiceHandle, type ServiceKind, startRedis, startService } from "../testing/services.js";
import { describeService } from "../testing/vitest.js";
import { waitFor } from "../testing/wait.js";
import { candleNodeConfig } from "./fixtures.js";
import { ordersOf } from "./mirror.js";
import { planNode } from "./roles.js";
import type { RunSummary } from "./summary.js";
import { NodeWire } from "./wire.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const DATA = join(ROOT, "../shared/data/ohlcv");
const FILE_5M = join(DATA, "freqtrade_binance_XRP-ETH_5m_2019-10-11_13.json");
const FILE_1M = join(DATA, "freqtrade_binance_XRP-ETH_1m_2019-10-11_13.json");

interface ExecSummary extends RunSummary {
  commands: { handled: string[]; duplicates: number; stale: number; refused: Record<string, number> };
}

function configText(kind: ServiceKind, url: string, namespace: string, file: string, speed: number): string {
  return candleNodeConfig({
    seed: 1,
    node: [
      `bridge: { kind: ${kind}, url: "${url}", namespace: ${namespace} }`,
      "mode: stream",
      `speed: ${speed}`,
    ],
    file,
    bar: `XRPETH.BINANCE-${file === FILE_1M ? 1 : 5}-MINUTE-LAST-EXTERNAL`,
  });
}

/**
 * Reads the command channel from its start in a group of its own, as the broker holds it: the
 * commands every strategy process published, by incarnation, and their `fin` frames.
 */
class CommandAudit {
  readonly commands: { id: string; incarnation: string; clientOrderIds: string[] }[] = [];
  readonly fins = new Set<string>();
  readonly hellos: string[] = [];
  private readonly wire: NodeWire;

  constructor(kind: ServiceKind, url: string, namespace: string) {
    const plan = planNode({
      role: "strategy",
      nodeId: "audit",
      bridge: {
        kind,
        url,
        namespace,
        redis: { blockMs: 200 },
        kafka: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, maxWaitMs: 5 },
      },
    });
    const sink = (f: NodeFrame) => {
      const [what, , incarnation] = f.eventId.split(":");
      if (what === "hello") this.hellos.push(incarnation);
      else if (what === "fin") this.fins.add(incarnation);
      else if (what === "cmd") {
        for (const item of f.items) {
          const cmd = this.wire.open<TradingCommand>(item).message;
          this.commands.push({
            id: cmd.commandId,
            incarnation,
            clientOrderIds: ordersOf(cmd).map((o) => o.clientOrderId.value),
          });
        }
      }
    };
    this.wire = new NodeWire(
      { ...plan.bridge!, group: `audit-${Date.now()}`, consume: ["cmd"], publish: [] },
      undefined,
      sink,
    );
  }

  start(): Promise<void> {
    return this.wire.start();
  }

  async stop(): Promise<void> {
    await this.wire.stop(500);
  }
}

/** Decimal text to an exact integer number of 1e-8 units. */
function units(text: string): bigint {
  const [int, frac = ""] = text.split(" ")[0].split(".");
  const neg = int.startsWith("-");
  const v = BigInt(int.replace("-", "")) * 100_000_000n + BigInt((frac + "00000000").slice(0, 8));
  return neg ? -v : v;
}

/** The summary is self-consistent: positions equal the sum of fills, no order or fill is lost. */
function expectConsistent(s: ExecSummary): void {
  const ids = s.orders.map((o) => (o as { clientOrderId: string }).clientOrderId);
  expect(new Set(ids).size, "client order ids are unique").toBe(ids.length);
  const orders = new Map(s.orders.map((o) => [(o as { clientOrderId: string }).clientOrderId, o]));
  const filled = new Map<string, bigint>();
  const net = new Map<string, bigint>();
  const trades = new Set<string>();
  for (const f of s.fills as Record<string, unknown>[]) {
    const id = f.clientOrderId as string;
    expect(orders.has(id), `fill of unknown order ${id}`).toBe(true);
    expect(trades.has(f.tradeId as string), `fill ${f.tradeId} twice`).toBe(false);
    trades.add(f.tradeId as string);
    const q = units(f.lastQty as string);
    filled.set(id, (filled.get(id) ?? 0n) + q);
    const key = `${(f.instrumentId as { value: string }).value}/${f.strategyId}`;
    net.set(key, (net.get(key) ?? 0n) + (f.orderSide === "BUY" ? q : -q));
  }
  for (const [id, o] of orders) {
    const { status, quantity } = o as { status: string; quantity: string };
    const q = filled.get(id) ?? 0n;
    expect(q <= units(quantity), `order ${id} overfilled`).toBe(true);
    if (status === "FILLED") expect(q, `order ${id} is FILLED`).toBe(units(quantity));
  }
  const held = new Map<string, bigint>();
  for (const p of s.positions as { instrumentId: string; strategyId: string; signedQty: string }[]) {
    const key = `${p.instrumentId}/${p.strategyId}`;
    held.set(key, (held.get(key) ?? 0n) + units(p.signedQty));
  }
  for (const key of new Set([...net.keys(), ...held.keys()]))
    expect(held.get(key) ?? 0n, `position ${key} = sum of its fills`).toBe(net.get(key) ?? 0n);
}

/** Every command the broker holds was handled once, none twice, none that it does not hold. */
function expectHandledOnce(exec: ExecSummary, audit: CommandAudit): void {
  const handled = exec.commands.handled;
  expect(new Set(handled).size, "a command handled twice").toBe(handled.length);
  expect([...handled].sort()).toEqual(audit.commands.map((c) => c.id).sort());
  expect(exec.commands.stale).toBe(0);
  // No strategy process re-sent an order another one had sent.
  const submitted = audit.commands.flatMap((c) => c.clientOrderIds);
  expect(new Set(submitted).size).toBe(submitted.length);
  expect(exec.commands.refused.CLIENT_ORDER_ID_DUPLICATE ?? 0).toBe(0);
}

/** The strategy node's mirror ends with the execution node's state. */
function expectMirror(mirror: RunSummary, exec: ExecSummary): void {
  const status = (s: RunSummary) =>
    s.orders.map((o) => {
      const { clientOrderId, status, quantity } = o as Record<string, unknown>;
      return { clientOrderId, status, quantity };
    });
  expect(status(mirror)).toEqual(status(exec));
  expect(mirror.fills).toEqual(exec.fills);
  expect(mirror.positions).toEqual(exec.positions);
}

function broker(kind: ServiceKind): Promise<ServiceHandle> {
  return kind === "redis" ? startRedis({ appendfsync: "everysec" }) : startService(kind);
}

const doneLine = /^done events=(\d+)/;
const eventsOf = (n: NodeProcess) => Number(n.lines.find((l) => doneLine.test(l))?.match(doneLine)?.[1]);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "botv6-stream-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

for (const kind of ["redis", "kafka"] as const) {
  describeService(kind, `botv6 node stream mode: three processes over ${kind}`, () => {
    let service: ServiceHandle;
    beforeAll(async () => {
      service = await broker(kind);
    }, 30_000);
    afterAll(async () => service?.stop());

    it("every command is handled once, the summary is self-consistent and the mirror agrees", async () => {
      const namespace = `stream-${kind}-${process.pid}-${Date.now()}`;
      const config = join(dir, `${namespace}.yaml`);
      // 712 five-minute candles (2.5 days) in about 5 s.
      writeFileSync(config, configText(kind, service.url, namespace, FILE_5M, 50_000));
      const execOut = join(dir, `${namespace}-exec.json`);
      const mirrorOut = join(dir, `${namespace}-strategy.json`);
      const audit = new CommandAudit(kind, service.url, namespace);
      const nodes: NodeProcess[] = [];
      try {
        const exec = startNodeProcess("execution", config, "exec-1", {}, ["--out", execOut]);
        const strategy = startNodeProcess("strategy", config, "strat-1", {}, ["--out", mirrorOut]);
        nodes.push(exec, strategy);
        await exec.waitForLine(/^ready$/);
        await strategy.waitForLine(/^ready$/);
        const data = startNodeProcess("data", config, "data-1");
        nodes.push(data);
        expect(await data.waitForExit(120_000), data.stderr).toBe(0);
        expect(await strategy.waitForExit(120_000), strategy.stderr).toBe(0);
        expect(await exec.waitForExit(120_000), exec.stderr).toBe(0);
        // Every process saw every event.
        expect(eventsOf(data)).toBeGreaterThan(700);
        expect([eventsOf(strategy), eventsOf(exec)]).toEqual([eventsOf(data), eventsOf(data)]);

        const got = JSON.parse(readFileSync(execOut, "utf8")) as ExecSummary;
        expect(got.fills.length).toBeGreaterThan(5);
        expectConsistent(got);
        await audit.start();
        await waitFor(() => audit.fins.size === 1, "the audit to read the strategy's fin", 30_000);
        expectHandledOnce(got, audit);
        expect(audit.commands.length).toBe(got.commands.handled.length);
        expectMirror(JSON.parse(readFileSync(mirrorOut, "utf8")) as RunSummary, got);
      } finally {
        await audit.stop();
        for (const n of nodes) await n.stop("SIGKILL");
      }
    }, 240_000);
  });
}

describeService(
  "redis",
  "botv6 node stream mode: replacing a dead strategy node",
  () => {
    let redis: ServiceHandle;
    beforeAll(async () => {
      redis = await broker("redis");
    }, 30_000);
    afterAll(async () => redis?.stop());

    it("kill -9 mid-stream: the replacement rebuilds orders and positions, then trades; no command lost or repeated", async () => {
      const namespace = `stream-kill-${process.pid}-${Date.now()}`;
      const config = join(dir, `${namespace}.yaml`);
      // 3 560 one-minute candles (2.5 days) in about 21 s.
      writeFileSync(config, configText("redis", redis.url, namespace, FILE_1M, 10_000));
      const execOut = join(dir, `${namespace}-exec.json`);
      const mirrorOut = join(dir, `${namespace}-strategy.json`);
      const audit = new CommandAudit("redis", redis.url, namespace);
      const nodes: NodeProcess[] = [];
      try {
        await audit.start();
        const exec = startNodeProcess("execution", config, "exec-1", {}, ["--out", execOut]);
        const first = startNodeProcess("strategy", config, "strat-1");
        nodes.push(exec, first);
        await exec.waitForLine(/^ready$/);
        await first.waitForLine(/^ready$/);
        const data = startNodeProcess("data", config, "data-1");
        nodes.push(data);
        // Kill it once it has sent a few orders (and before the replay ends).
        await waitFor(() => audit.commands.length >= 4, "the first strategy node to send 4 commands", 60_000);
        first.child.kill("SIGKILL");
        await first.exited;
        expect(data.running, "the replay is still running").toBe(true);
        const sentByFirst = audit.commands.length;

        const second = startNodeProcess("strategy", config, "strat-1", {}, ["--out", mirrorOut]);
        nodes.push(second);
        // It rebuilt every order its predecessor had sent before its strategies acted.
        const synced = await second.waitForLine(/^synced events=\d+ orders=\d+ rebuilt=\d+$/, 60_000);
        const [events, orders, rebuilt] = (synced.match(/\d+/g) ?? []).map(Number);
        expect(events).toBeGreaterThan(0);
        expect(orders).toBeGreaterThanOrEqual(sentByFirst);
        expect(rebuilt).toBe(orders);

        expect(await data.waitForExit(120_000), data.stderr).toBe(0);
        expect(await second.waitForExit(120_000), second.stderr).toBe(0);
        expect(await exec.waitForExit(120_000), exec.stderr).toBe(0);
        const got = JSON.parse(readFileSync(execOut, "utf8")) as ExecSummary;
        expectConsistent(got);
        await waitFor(() => audit.fins.size === 1, "the audit to read the replacement's fin", 30_000);
        expect(audit.hellos).toHaveLength(2);
        expectHandledOnce(got, audit);
        // Both processes traded: the commands of the dead one were executed, and the
        // replacement carried on.
        const [dead, replacement] = audit.hellos;
        expect(audit.commands.filter((c) => c.incarnation === dead).length).toBeGreaterThanOrEqual(4);
        expect(audit.commands.filter((c) => c.incarnation === replacement).length).toBeGreaterThan(0);
        // The replacement's mirror ends with every order (its predecessor's too), fill and position.
        expectMirror(JSON.parse(readFileSync(mirrorOut, "utf8")) as RunSummary, got);
      } finally {
        await audit.stop();
        for (const n of nodes) await n.stop("SIGKILL");
      }
    }, 300_000);
  },
  { needsPrivate: true },
);

describeService("redis", "botv6 node stream mode: lease and shutdown", () => {
  let redis: ServiceHandle;
  beforeAll(async () => {
    redis = await broker("redis");
  }, 30_000);
  afterAll(async () => redis?.stop());

  it("a standby consumes nothing and will not take over an account another node was active on; SIGTERM stops nodes cleanly", async () => {
    const namespace = `stream-lease-${process.pid}-${Date.now()}`;
    const config = join(dir, `${namespace}.yaml`);
    writeFileSync(config, configText("redis", redis.url, namespace, FILE_5M, 1));
    const a = startNodeProcess("execution", config, "exec-a");
    const nodes = [a];
    try {
      await a.waitForLine(/^ready$/);
      const b = startNodeProcess("execution", config, "exec-b");
      const strategy = startNodeProcess("strategy", config, "strat-1");
      nodes.push(b, strategy);
      await strategy.waitForLine(/^ready$/);
      // The standby waits for the lease before it reads anything.
      await new Promise((r) => setTimeout(r, 1000));
      expect(b.lines).toEqual([]);
      await a.stop("SIGTERM");
      expect(a.exitCode, a.stderr).toBe(0);
      expect(a.lines).toContain("stopped");
      // It gets the lease, sees that exec-a traded this namespace, and fails closed.
      await b.waitForLine(/^active token=\d+$/, 15_000);
      expect(await b.waitForExit(15_000)).toBe(1);
      expect(b.stderr).toMatch(/NODE_STREAM_TAKEOVER/);
      await strategy.stop("SIGTERM");
      expect(strategy.exitCode, strategy.stderr).toBe(0);
      expect(strategy.lines).toContain("stopped");
    } finally {
      for (const n of nodes) await n.stop("SIGKILL");
    }
  }, 60_000);
});

describe("botv6 node stream mode: bad configuration is named", () => {
  async function cli(node: string): Promise<{ code: number; err: string }> {
    const file = join(dir, `bad-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, `node:\n  bridge: { kind: redis, url: "redis://127.0.0.1:1" }\n${node}`);
    let err = "";
    const code = await runCli(["node", "--config", file, "--role", "data", "--id", "d1"], {
      out: () => {},
      err: (s) => (err += s),
    });
    return { code, err };
  }

  it("rejects an unknown mode and a bad speed, naming the key", async () => {
    const mode = await cli("  mode: streaming\n");
    expect(mode.code).toBe(2);
    expect(mode.err).toMatch(/:3:3: node\.mode: must be "lockstep" or "stream"/);
    const word = await cli("  mode: stream\n  speed: fast\n");
    expect(word.code).toBe(2);
    expect(word.err).toMatch(/:4:3: node\.speed: must be "max" or a number >= 0/);
    const negative = await cli("  mode: stream\n  speed: -2\n");
    expect(negative.code).toBe(2);
    expect(negative.err).toMatch(/node\.speed: must be >= 0/);
    const lockstep = await cli("  speed: 10\n");
    expect(lockstep.code).toBe(2);
    expect(lockstep.err).toMatch(/node\.speed: applies to node\.mode: stream only/);
  });
});
