/**
 * Stream mode of `botv6 node` (issue 8, part 4; docs/deployment.md "Stream mode"): real
 * processes over real brokers trade real candles from ../shared/data without a barrier.
 * Results need not equal the backtest (the interleaving of data and commands is the network's),
 * so the checks are the invariants: every command that reached the broker is handled exactly
 * once, the execution node's positions equal the sum of its fills, no order is lost, and the
 * strategy node's mirror ends with the execution node's orders, fills and positions. A strategy
 * node killed with SIGKILL mid-stream is replaced and the replacement rebuilds its orders and
 * positions before its strategies act; a strategy process that was only paused (SIGSTOP) and
 * wakes up after its replacement said hello cannot trade. A data node killed with SIGKILL
 * mid-stream is replaced and the execution node processes every event of the data set once, in
 * order.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configuredMarketData } from "../../backtest/from-config.js";
import { runCli } from "../../cli/main.js";
import { loadConfig } from "../../core/config.js";
import type { TradingCommand } from "../../model/commands.js";
import type { NodeFrame } from "../codec/control.js";
import { type NodeProcess, startNodeProcess } from "../testing/node-process.js";
import { type ServiceHandle, type ServiceKind, startRedis, startService } from "../testing/services.js";
import { describeService } from "../testing/vitest.js";
import { waitFor } from "../testing/wait.js";
import { candleNodeConfig } from "./fixtures.js";
import { ordersOf } from "./mirror.js";
import { keyOf, type NodeRunOptions, wireFor } from "./nodes.js";
import { planNode } from "./roles.js";
import { ArrivalOrder, MarketDataDigest } from "./stream.js";
import type { RunSummary } from "./summary.js";
import { NodeWire } from "./wire.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const DATA = join(ROOT, "../shared/data/ohlcv");
const FILE_5M = join(DATA, "freqtrade_binance_XRP-ETH_5m_2019-10-11_13.json");
const FILE_1M = join(DATA, "freqtrade_binance_XRP-ETH_1m_2019-10-11_13.json");

interface ExecSummary extends RunSummary {
  commands: { handled: string[]; duplicates: number; stale: number; refused: Record<string, number> };
  marketData: { events: number; lastStep: number; digest: string };
}

function configText(
  kind: ServiceKind,
  url: string,
  namespace: string,
  file: string,
  speed: number,
  extra: string[] = [],
  trading: "default" | "fast" = "default",
): string {
  return candleNodeConfig({
    seed: 1,
    node: [
      `bridge: { kind: ${kind}, url: "${url}", namespace: ${namespace} }`,
      "mode: stream",
      `speed: ${speed}`,
      ...extra,
    ],
    file,
    bar: `XRPETH.BINANCE-${file === FILE_1M ? 1 : 5}-MINUTE-LAST-EXTERNAL`,
    trading,
  });
}

/**
 * Reads the command channel from its start in a group of its own, as the broker holds it: the
 * commands every strategy process published, by incarnation (with the number of hellos before
 * them in the channel), and their `fin` frames. With `md`, also the market-data channel: how
 * often the broker holds each sequence number.
 */
class CommandAudit {
  readonly commands: {
    id: string;
    node: string;
    incarnation: string;
    clientOrderIds: string[];
    afterHellos: number;
  }[] = [];
  readonly fins = new Set<string>();
  /** Incarnations in the order of their hellos, and their node ids. */
  readonly hellos: string[] = [];
  /** Data processes that asked where to resume. */
  readonly resumes: string[] = [];
  private readonly helloNodes: string[] = [];
  /** Market data (with `md`): each sequence number read (repeats are dropped by the bridge). */
  readonly mdSteps = new Map<number, number>();
  mdMax = 0;
  private readonly wire: NodeWire;

  constructor(kind: ServiceKind, url: string, namespace: string, md = false) {
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
      if (f.kind === "md") {
        this.mdSteps.set(f.step, (this.mdSteps.get(f.step) ?? 0) + 1);
        this.mdMax = Math.max(this.mdMax, f.step);
        return;
      }
      if (f.kind !== "done") return;
      const [what, node, incarnation] = f.eventId.split(":");
      if (what === "hello") {
        this.hellos.push(incarnation);
        this.helloNodes.push(node);
      } else if (what === "resume") this.resumes.push(node);
      else if (what === "fin") this.fins.add(incarnation);
      else if (what === "cmd") {
        for (const item of f.items) {
          const cmd = this.wire.open<TradingCommand>(item).message;
          this.commands.push({
            id: cmd.commandId,
            node,
            incarnation,
            clientOrderIds: ordersOf(cmd).map((o) => o.clientOrderId.value),
            afterHellos: this.hellos.length,
          });
        }
      }
    };
    this.wire = new NodeWire(
      { ...plan.bridge!, group: `audit-${Date.now()}`, consume: md ? ["md", "cmd"] : ["cmd"], publish: [] },
      undefined,
      sink,
    );
  }

  start(): Promise<void> {
    return this.wire.start();
  }

  /** Commands of an incarnation that reached the broker after a later incarnation's hello. */
  stale(): CommandAudit["commands"] {
    return this.commands.filter((c) => {
      const own = this.hellos.indexOf(c.incarnation);
      return this.helloNodes.some((n, j) => j > own && j < c.afterHellos && n === c.node);
    });
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

/**
 * Every command the broker holds was handled once, none twice, none that it does not hold —
 * except the commands of superseded incarnations (stale), which are refused.
 */
function expectHandledOnce(exec: ExecSummary, audit: CommandAudit): void {
  const handled = exec.commands.handled;
  expect(new Set(handled).size, "a command handled twice").toBe(handled.length);
  const stale = new Set(audit.stale());
  const live = audit.commands.filter((c) => !stale.has(c));
  // In the order the command channel holds them.
  expect(handled).toEqual(live.map((c) => c.id));
  expect(exec.commands.stale).toBe(stale.size);
  // No strategy process re-sent an order another one had sent.
  const submitted = live.flatMap((c) => c.clientOrderIds);
  expect(new Set(submitted).size).toBe(submitted.length);
  expect(exec.commands.refused.CLIENT_ORDER_ID_DUPLICATE ?? 0).toBe(0);
  // Every order the execution node has came from a command it handled.
  const orders = exec.orders.map((o) => (o as { clientOrderId: string }).clientOrderId);
  expect(orders.filter((id) => !submitted.includes(id))).toEqual([]);
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

/**
 * Starts the execution node (summary to `execOut`) and the strategy node `strat-1` (its mirror
 * to `mirrorOut`, if given), waits until both are ready, then starts the data node `data-1`.
 */
async function startDeployment(
  config: string,
  nodes: NodeProcess[],
  execOut: string,
  mirrorOut?: string,
): Promise<{ exec: NodeProcess; strategy: NodeProcess; data: NodeProcess }> {
  const exec = startNodeProcess("execution", config, "exec-1", {}, ["--out", execOut]);
  const strategy = startNodeProcess("strategy", config, "strat-1", {}, mirrorOut ? ["--out", mirrorOut] : []);
  nodes.push(exec, strategy);
  await exec.waitForLine(/^ready$/);
  await strategy.waitForLine(/^ready$/);
  const data = startNodeProcess("data", config, "data-1");
  nodes.push(data);
  return { exec, strategy, data };
}

/**
 * Waits for `nodes` to exit 0 (in this order), reads the execution node's summary, checks that
 * it is self-consistent, and waits for the audit to read the (one) last strategy process's fin.
 */
async function finish(nodes: NodeProcess[], execOut: string, audit: CommandAudit): Promise<ExecSummary> {
  for (const n of nodes) expect(await n.waitForExit(120_000), n.stderr).toBe(0);
  const got = JSON.parse(readFileSync(execOut, "utf8")) as ExecSummary;
  expectConsistent(got);
  await waitFor(() => audit.fins.size === 1, "the audit to read the strategy process's fin", 30_000);
  return got;
}

/** A fresh namespace and the files of one run: config, execution summary, strategy mirror. */
function runFiles(prefix: string) {
  const namespace = `${prefix}${process.pid}-${Date.now()}`;
  const path = (suffix: string) => join(dir, `${namespace}${suffix}`);
  return {
    namespace,
    config: path(".yaml"),
    execOut: path("-exec.json"),
    mirrorOut: path("-strategy.json"),
  };
}

/** Stops the audit and kills every node (a paused one too). */
async function stopAll(audit: CommandAudit, nodes: NodeProcess[]): Promise<void> {
  await audit.stop();
  for (const n of nodes) {
    if (n.running) n.child.kill("SIGCONT");
    await n.stop("SIGKILL");
  }
}

const doneLine = /^done events=(\d+)/;
const eventsOf = (n: NodeProcess) => Number(n.lines.find((l) => doneLine.test(l))?.match(doneLine)?.[1]);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "botv6-stream-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The data set as the data node reads it: its event count and the digest of its sequence. */
async function dataSet(config: string): Promise<{ events: number; digest: string }> {
  const loaded = loadConfig({ file: config });
  const digest = new MarketDataDigest();
  let n = 0;
  for await (const d of configuredMarketData(loaded.config.backtest!, loaded.config.seed, dir))
    digest.add(++n, keyOf(d), d.tsEvent);
  return { events: digest.events, digest: digest.hex() };
}

for (const kind of ["redis", "kafka"] as const) {
  describeService(kind, `botv6 node stream mode: three processes over ${kind}`, () => {
    let service: ServiceHandle;
    beforeAll(async () => {
      service = await broker(kind);
    }, 30_000);
    afterAll(async () => service?.stop());

    it("every command is handled once, the summary is self-consistent and the mirror agrees", async () => {
      const { namespace, config, execOut, mirrorOut } = runFiles(`stream-${kind}-`);
      // 712 five-minute candles (2.5 days) in about 5 s.
      writeFileSync(config, configText(kind, service.url, namespace, FILE_5M, 50_000));
      const audit = new CommandAudit(kind, service.url, namespace);
      const nodes: NodeProcess[] = [];
      try {
        const { exec, strategy, data } = await startDeployment(config, nodes, execOut, mirrorOut);
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
        await stopAll(audit, nodes);
      }
    }, 240_000);

    it("the data node is killed with SIGKILL mid-stream: the replacement publishes after the last event taken; every event is processed once, in order", async () => {
      const { namespace, config, execOut, mirrorOut } = runFiles(`stream-data-${kind}-`);
      // 3 560 one-minute candles at 10 000× (about 21 s); a lease that outlives a short pause.
      writeFileSync(
        config,
        configText(kind, service.url, namespace, FILE_1M, 10_000, ["lock: { ttlMs: 10000 }"]),
      );
      const expected = await dataSet(config);
      const audit = new CommandAudit(kind, service.url, namespace, true);
      const nodes: NodeProcess[] = [];
      try {
        await audit.start();
        const { exec, strategy, data: first } = await startDeployment(config, nodes, execOut, mirrorOut);
        expect(await first.waitForLine(/^resume after=\d+$/)).toBe("resume after=0");
        await waitFor(() => audit.mdMax >= 800, "the data node to publish 800 events", 60_000);
        // The execution node falls behind the broker (paused), so the replacement publishes
        // again events the broker already holds; then the data node dies.
        exec.child.kill("SIGSTOP");
        const pausedAt = audit.mdMax;
        await waitFor(() => audit.mdMax >= pausedAt + 200, "200 more events in the broker", 60_000);
        first.child.kill("SIGKILL");
        await first.exited;
        // Everything the dead node got to the broker (the audit reads the channel to its end).
        await new Promise((r) => setTimeout(r, 500));
        const inBroker = audit.mdMax;
        expect(inBroker).toBeLessThan(expected.events);

        // Any id will do; a different one here.
        const second = startNodeProcess("data", config, "data-2");
        nodes.push(second);
        // The execution node wakes up with the dead node's last events and the question.
        await waitFor(() => audit.resumes.length === 2, "the replacement to ask where to resume", 60_000);
        exec.child.kill("SIGCONT");
        const after = Number((await second.waitForLine(/^resume after=\d+$/)).split("=")[1]);
        expect(after).toBeGreaterThan(0);
        expect(after, "the replacement publishes events the broker already holds").toBeLessThan(inBroker);

        const got = await finish([second, strategy, exec], execOut, audit);
        expect(second.lines).toContain(`done events=${expected.events} published=${expected.events - after}`);

        // The broker holds every event (events after+1..inBroker twice: the audit's bridge
        // drops the second copy by frame id).
        await waitFor(() => audit.mdSteps.size === expected.events, "the audit to read every event", 30_000);
        expect(audit.mdMax).toBe(expected.events);
        // The execution node processed exactly the data set: every event once, in order.
        expect(got.marketData).toEqual({
          events: expected.events,
          lastStep: expected.events,
          digest: expected.digest,
        });
        expect(eventsOf(exec)).toBe(expected.events);
        // The strategy node too: each event shown once (repeats dropped), none late.
        expect(strategy.lines.find((l) => doneLine.test(l))).toMatch(
          new RegExp(`^done events=${expected.events} commands=\\d+ late=0 repeated=\\d+$`),
        );
        expectHandledOnce(got, audit);
        expect(got.commands.handled.length).toBeGreaterThan(0);
        expectMirror(JSON.parse(readFileSync(mirrorOut, "utf8")) as RunSummary, got);
      } finally {
        await stopAll(audit, nodes);
      }
    }, 300_000);
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
      const { namespace, config, execOut, mirrorOut } = runFiles("stream-kill-");
      // 3 560 one-minute candles (2.5 days) in about 21 s.
      writeFileSync(config, configText("redis", redis.url, namespace, FILE_1M, 10_000));
      const audit = new CommandAudit("redis", redis.url, namespace);
      const nodes: NodeProcess[] = [];
      try {
        await audit.start();
        const { exec, strategy: first, data } = await startDeployment(config, nodes, execOut);
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

        const got = await finish([data, second, exec], execOut, audit);
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
        await stopAll(audit, nodes);
      }
    }, 300_000);

    it("SIGSTOP, replacement, SIGCONT: the paused process's later commands are refused as stale, never executed", async () => {
      const { namespace, config, execOut, mirrorOut } = runFiles("stream-stale-");
      // 3 560 one-minute candles in about 36 s: room for the pause, the sync and the wake-up;
      // strategies that trade every few bars, so the woken process sends commands at once on
      // the market data it still takes from the shared group.
      writeFileSync(config, configText("redis", redis.url, namespace, FILE_1M, 6_000, [], "fast"));
      const audit = new CommandAudit("redis", redis.url, namespace);
      const nodes: NodeProcess[] = [];
      try {
        await audit.start();
        const { exec, strategy: old, data } = await startDeployment(config, nodes, execOut);
        await waitFor(
          () => audit.commands.length >= 4,
          "the first strategy process to send 4 commands",
          60_000,
        );
        // Paused, not dead: its replacement starts with the same id and syncs.
        old.child.kill("SIGSTOP");
        const second = startNodeProcess("strategy", config, "strat-1", {}, ["--out", mirrorOut]);
        nodes.push(second);
        await second.waitForLine(/^synced events=\d+ orders=\d+ rebuilt=\d+$/, 60_000);
        await waitFor(() => audit.hellos.length === 2, "the audit to read the second hello", 30_000);
        // It wakes up and goes on trading on the market data it still gets.
        old.child.kill("SIGCONT");
        await waitFor(
          () => audit.stale().length > 0,
          "the woken process to send commands after its replacement's hello",
          30_000,
        );
        // The end of the stream has not been published: it cannot have taken the end marker.
        expect(data.running, "the replay is still running").toBe(true);
        old.child.kill("SIGKILL");
        await old.exited;

        const got = await finish([data, second, exec], execOut, audit);
        const [paused, replacement] = audit.hellos;
        expect(audit.hellos).toHaveLength(2);
        expect([...audit.fins]).toEqual([replacement]);
        // Every command of the paused process after the new hello was refused as stale and
        // none executed; the rest were each handled once, in the channel's order.
        const stale = audit.stale();
        expect(stale.length).toBeGreaterThan(0);
        expect(stale.every((c) => c.incarnation === paused)).toBe(true);
        expect(got.commands.stale).toBe(stale.length);
        expectHandledOnce(got, audit);
        expect(audit.commands.filter((c) => c.incarnation === replacement).length).toBeGreaterThan(0);
        expect(exec.lines.find((l) => doneLine.test(l))).toMatch(new RegExp(` stale=${stale.length}$`));
        // The replacement's mirror (which never saw the stale commands) ends with the execution
        // node's state.
        expectMirror(JSON.parse(readFileSync(mirrorOut, "utf8")) as RunSummary, got);
      } finally {
        await stopAll(audit, nodes);
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

  it("takes the bridge's tuning keys (retention, batching, de-duplication) and names a bad one", async () => {
    const config = (bridge: string) =>
      `node:\n  bridge:\n    kind: redis\n    url: "redis://127.0.0.1:1"\n${bridge}`;
    const write = (text: string) => {
      const file = join(dir, `tune-${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(file, text);
      return file;
    };
    const good = loadConfig({
      file: write(config("    dedupCapacity: 5000\n    redis: { maxLen: 250000, readCount: 500 }\n")),
    }).config.node;
    if (good === undefined) throw new Error("no node section");
    const wire = wireFor(
      { role: "strategy", node: good, nodeId: "s1", logger: undefined } as unknown as NodeRunOptions,
      "ACC-1",
    );
    const c = wire.bridge.config;
    expect([c.dedupCapacity, c.redis.maxLen, c.redis.readCount]).toEqual([5000, 250_000, 500]);
    // The node's own latency default stays where the config says nothing.
    expect(c.redis.blockMs).toBe(1000);
    const typo = await runCli(
      ["node", "--config", write(config("    redis: { maxlen: 5 }\n")), "--role", "data", "--id", "d1"],
      { out: () => {}, err: (t) => expect(t).toMatch(/:5:\d+: node\.bridge\.redis\.maxlen: unknown key/) },
    );
    expect(typo).toBe(2);
    const zero = await runCli(
      ["node", "--config", write(config("    maxBatch: 0\n")), "--role", "data", "--id", "d1"],
      { out: () => {}, err: (t) => expect(t).toMatch(/node\.bridge\.maxBatch/) },
    );
    expect(zero).toBe(2);
  });
});

describe("botv6 node stream mode: market data order on a strategy node", () => {
  it("shows each event once: repeats by sequence number per instrument and late events are dropped", () => {
    const a = new ArrivalOrder();
    const shown = (events: [number, string, number][]) =>
      events.filter(([step, key, ts]) => a.accept(step, key, ts)).map(([step]) => step);
    // Two instruments in two partitions; a dead data node got 1..4 to the broker, its
    // replacement publishes again from 3 (the execution node had taken 2).
    expect(
      shown([
        [1, "A", 10],
        [2, "B", 20],
        [3, "A", 30],
        [4, "B", 40],
        [3, "A", 30],
        [4, "B", 40],
        [5, "A", 50],
        [6, "B", 60],
      ]),
    ).toEqual([1, 2, 3, 4, 5, 6]);
    expect(a.repeated).toBe(2);
    // An older event of another instrument arriving late is dropped, and so is its repeat.
    expect(
      shown([
        [8, "A", 80],
        [7, "B", 70],
        [7, "B", 70],
        [9, "B", 90],
      ]),
    ).toEqual([8, 9]);
    expect([a.late, a.repeated]).toEqual([1, 3]);
  });
});
