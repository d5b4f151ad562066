/**
 * The roles of `botv6 node` (docs/deployment.md, "Lockstep replay"):
 *
 * - **data**: reads the configured source (files, catalog range or synthetic market) and
 *   publishes every event as an `md` frame with its global sequence number n (the *step*),
 *   partitioned by instrument; then an `end` frame.
 * - **execution**: the backtest engine without strategies — risk, order state, portfolio and the
 *   simulated venue, whose clock advances with the market data it reads. Per step n it
 *   processes event n (fills happen here), publishes an `ack` frame with every order and
 *   position event since step n-1, waits for the strategy node's `done` frame of step n and
 *   executes its commands in order. It holds the account's lease; a standby runs the same
 *   replica silently and, when it takes the lease, reconciles with the fenced journal before it
 *   publishes.
 * - **strategy**: the strategies on a mirror of the engine (data engine, portfolio, order cache;
 *   its own venue never sees an order). Per step n it waits for `ack` n, applies its events to
 *   the mirror, lets the strategies see event n, and publishes their commands as `done` n.
 * - **model**: the KServe v2 inference server (src/ml/serving).
 *
 * Each step is a barrier, so the three processes compute exactly what the single-process
 * backtest computes, in the same order: the venue sees event n before the strategies do, and
 * the strategies' commands reach the venue before event n+1.
 */
import { writeFileSync } from "node:fs";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import type { BacktestEngine } from "../../backtest/engine.js";
import { configuredMarketData, createConfiguredEngine } from "../../backtest/from-config.js";
import type { BacktestFileConfig, NodeFileConfig } from "../../core/config.js";
import type { TradingCommand } from "../../model/commands.js";
import { Bar, type MarketData } from "../../model/data.js";
import type { OrderEvent, PositionEvent } from "../../model/events.js";
import type { BridgeConfigInput } from "../bridge/config.js";
import { ActiveStandby } from "../cache/lock.js";
import type { NodeFrame } from "../codec/control.js";
import { chainDigest, StepJournal } from "./journal.js";
import { StrategyMirror } from "./mirror.js";
import { type NodeRole, planNode } from "./roles.js";
import { summarize } from "./summary.js";
import { FrameTopics, NodeError, NodeWire } from "./wire.js";

export interface NodeRunOptions {
  role: NodeRole;
  node: NodeFileConfig;
  /** The `backtest` section: instruments, venues, strategies and the data source. */
  backtest: BacktestFileConfig | undefined;
  seed: number;
  /** Directory that relative paths of the config are resolved against. */
  baseDir: string;
  nodeId: string;
  logger: Logger;
  /** Lines for the operator (and the tests): `ready`, `active <token>`, `done ...`. */
  say: (line: string) => void;
  /** Aborted on SIGTERM: the node stops cleanly. */
  signal: AbortSignal;
  /** Execution node: where to write the run summary (overrides node.out). */
  out?: string;
}

export interface NodeRunResult {
  role: NodeRole;
  /** Market-data events handled (data: published). */
  events: number;
  stopped: boolean;
}

export function needBacktest(o: NodeRunOptions): BacktestFileConfig {
  if (o.backtest === undefined) {
    throw new NodeError(
      "NODE_CONFIG",
      `backtest: a ${o.role} node needs the backtest section (instruments, venues, strategies, data)`,
      { setting: "backtest" },
    );
  }
  return o.backtest;
}

export function accountOf(o: NodeRunOptions, bt: BacktestFileConfig): string {
  return o.node.accountId ?? `${bt.venues[0].name}-001`;
}

export function wireFor(
  o: NodeRunOptions,
  accountId: string,
  options: { sink?: (f: NodeFrame) => void; bridge?: Partial<BridgeConfigInput> } = {},
): NodeWire {
  const plan = planNode({
    role: o.role,
    nodeId: o.nodeId,
    accountId,
    bridge: {
      ...o.node.bridge,
      // Latency matters more than batch size for a step barrier (the config's settings win).
      redis: { blockMs: 1000, ...o.node.bridge.redis },
      kafka: { sessionTimeoutMs: 6000, heartbeatIntervalMs: 500, maxWaitMs: 5, ...o.node.bridge.kafka },
    },
  });
  if (plan.bridge === null) throw new NodeError("NODE_CONFIG", `${o.role} nodes use no bridge`, {});
  return new NodeWire({ ...plan.bridge, ...options.bridge }, o.logger, options.sink);
}

export function keyOf(d: MarketData): string {
  return d instanceof Bar ? d.barType.instrumentId.value : d.instrumentId.value;
}

export function frame(
  kind: NodeFrame["kind"],
  id: string,
  key: string,
  step: number,
  items: Uint8Array[],
): NodeFrame {
  return { type: "NodeFrame", eventId: `${kind}:${id}:${step}`, key, kind, step, items };
}

/** Stops `wire` when the signal fires; resolves the node's run as stopped instead of failed. */
export function onAbort(signal: AbortSignal, stop: () => void): void {
  if (signal.aborted) stop();
  else signal.addEventListener("abort", stop, { once: true });
}

// --- data ------------------------------------------------------------------------------------

/**
 * `resumePoint` (stream mode): asks the deployment for the last sequence number it has taken;
 * the events up to it are read again but not published (a replacement of a dead data node).
 */
export async function runDataNode(
  o: NodeRunOptions,
  resumePoint?: (o: NodeRunOptions, account: string) => Promise<number>,
): Promise<NodeRunResult> {
  const bt = needBacktest(o);
  const wire = wireFor(o, accountOf(o, bt));
  await wire.start();
  o.say("ready");
  const stream = o.node.mode === "stream";
  let n = 0;
  let stopped = false;
  let wake = () => {};
  onAbort(o.signal, () => {
    stopped = true;
    wake();
  });
  let after = 0;
  let published = 0;
  if (resumePoint !== undefined) {
    try {
      after = await resumePoint(o, accountOf(o, bt));
    } catch (e) {
      await wire.stop(1000);
      if (stopped) return { role: "data", events: 0, stopped };
      throw e;
    }
    o.say(`resume after=${after}`);
  }
  // Stream mode: paced by the events' timestamps (speed 1 = real time); lockstep: as fast as
  // the bridge accepts (the barrier paces the consumers).
  const speed = stream && typeof o.node.speed === "number" ? o.node.speed : 0;
  let firstTs = -1;
  let firstWall = 0;
  try {
    for await (const d of configuredMarketData(bt, o.seed, o.baseDir)) {
      if (stopped) break;
      // Taken by the deployment before this process started (a replacement data node).
      if (n < after) {
        n++;
        continue;
      }
      if (speed > 0) {
        if (firstTs < 0) {
          firstTs = d.tsEvent;
          firstWall = performance.now();
        }
        const waitMs = firstWall + (d.tsEvent - firstTs) / 1000 / speed - performance.now();
        if (waitMs >= 1) {
          await new Promise<void>((r) => {
            const t = setTimeout(r, waitMs);
            wake = () => {
              clearTimeout(t);
              r();
            };
          });
          if (stopped) break;
        }
      }
      n++;
      await wire.send(
        FrameTopics.md,
        frame("md", "replay", keyOf(d), n, [wire.item(d, `md:${n}`, "data.replay")]),
      );
      published++;
    }
    if (!stopped && !stream) await wire.send(FrameTopics.md, frame("end", "replay", "end", n + 1, []));
    // Stream mode: an end marker behind each instrument's last event, in its partition, for
    // consumers that read only some partitions in arrival order (strategy nodes).
    if (!stopped && stream)
      for (const i of bt.instruments) await wire.send(FrameTopics.md, frame("end", i.id, i.id, n + 1, []));
    await wire.bridge.flush();
  } finally {
    await wire.stop();
  }
  o.say(stream ? `done events=${n} published=${published}` : `done events=${n}`);
  return { role: "data", events: n, stopped };
}

// --- strategy --------------------------------------------------------------------------------

export async function runStrategyNode(o: NodeRunOptions): Promise<NodeRunResult> {
  const bt = needBacktest(o);
  const account = accountOf(o, bt);
  const wire = wireFor(o, account);
  const mirror = new StrategyMirror(bt, o.seed, wire);

  let steps = 0;
  async function* feed(): AsyncGenerator<MarketData> {
    for (let n = 1; ; n++) {
      const md = await wire.inbox.take("md", n);
      if (n % 100 === 0) o.logger.debug({ step: n }, "step");
      mirror.apply((await wire.inbox.take("ack", n)).items);
      if (md.kind === "end") return;
      yield wire.open<MarketData>(md.items[0]).message;
      steps = n;
      const items = mirror.takeOutbox();
      await wire.send(FrameTopics.done(account), frame("done", account, account, n, items));
    }
  }
  return runReplica(o, mirror.engine, wire, feed, () => {
    if (mirror.unknownOrders > 0)
      o.logger.warn(
        { unknownOrders: mirror.unknownOrders },
        "events of orders this node did not send were ignored",
      );
    o.say(`done events=${steps}`);
  });
}

export async function runReplica(
  o: NodeRunOptions,
  engine: BacktestEngine,
  wire: NodeWire,
  feed: () => AsyncGenerator<MarketData>,
  finish: () => void,
  beforeStop?: () => Promise<void>,
): Promise<NodeRunResult & { result?: Awaited<ReturnType<BacktestEngine["run"]>> }> {
  let stopped = false;
  onAbort(o.signal, () => {
    stopped = true;
    wire.inbox.close(new NodeError("NODE_STOPPED", "stopped by signal"));
  });
  try {
    await wire.start();
    o.say("ready");
    const result = await engine.run(feed());
    finish();
    return { role: o.role, events: result.events, stopped: false, result };
  } catch (e) {
    if (stopped) return { role: o.role, events: 0, stopped: true };
    throw e;
  } finally {
    await beforeStop?.();
    await wire.stop(stopped ? 1000 : 5000);
  }
}

// --- execution -------------------------------------------------------------------------------

interface PendingAck {
  step: number;
  digest: string;
  items: Uint8Array[];
  sent: boolean;
}

export async function connectRedis(url: string, timeoutMs: number): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, connectTimeout: timeoutMs });
  redis.on("error", () => {});
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      redis.connect(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return redis;
  } catch (e) {
    redis.disconnect();
    throw new NodeError(
      "NODE_LOCK_CONNECT_FAILED",
      `cannot reach node.lock.url=${url}: ${(e as Error).message}`,
      { setting: "node.lock.url", url },
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Encodes every order and position event the engine publishes, in order. */
export function captureEvents(
  engine: BacktestEngine,
  wire: NodeWire,
  push: (item: Uint8Array) => void,
): void {
  engine.kernel.bus.subscribe("events.order.*", (e: OrderEvent) => {
    push(wire.item(e, e.eventId, `events.order.${e.strategyId.value}`));
  });
  engine.kernel.bus.subscribe("events.position.*", (e: PositionEvent) => {
    push(wire.item(e, e.eventId, `events.position.${e.strategyId.value}`));
  });
}

export async function runExecutionNode(o: NodeRunOptions): Promise<NodeRunResult> {
  const bt = needBacktest(o);
  const account = accountOf(o, bt);
  const engine = createConfiguredEngine(bt, o.seed);
  const wire = wireFor(o, account);

  // Everything the engine publishes for strategies travels back in the next ack, in order.
  let captured: Uint8Array[] = [];
  captureEvents(engine, wire, (item) => captured.push(item));

  // The lease and the fenced journal (without a lock URL: a single execution node, no failover).
  const lockUrl = o.node.lock.url ?? (o.node.bridge.kind === "redis" ? o.node.bridge.url : undefined);
  let redis: Redis | null = null;
  let lease: ActiveStandby | null = null;
  let journal: StepJournal | null = null;
  const plan = planNode({ role: "execution", nodeId: o.nodeId, accountId: account, bridge: o.node.bridge });
  if (lockUrl !== undefined) {
    redis = await connectRedis(lockUrl, o.node.bridge.connectTimeoutMs);
    journal = new StepJournal(redis, o.node.bridge.namespace, account);
  }

  const fatal = (e: Error) => wire.inbox.close(e);
  let reconciledFor: number | null = null;
  let chain = "genesis";
  const digests = new Map<number, string>();
  let pending: PendingAck | null = null;
  let publishing: Promise<void> = Promise.resolve();

  const tryPublish = async (): Promise<void> => {
    const p = pending;
    if (p === null || p.sent) return;
    if (lease !== null && journal !== null) {
      const token = lease.token;
      if (token === null) return; // standby: a silent replica
      if (reconciledFor !== token) {
        const head = await journal.head();
        // The previous holder published this step already; keep replaying up to its last one.
        if (head !== null && head.step > p.step) return;
        if (head !== null && digests.get(head.step) !== head.digest) {
          throw new NodeError(
            "NODE_RECONCILE_MISMATCH",
            `account ${account}: the replica's state at step ${head.step} differs from what token ${head.token} published; refusing to trade`,
            { step: head.step },
          );
        }
        reconciledFor = token;
        o.say(`reconciled step=${head?.step ?? 0} token=${token}`);
      }
      if (!(await journal.append(token, p.step, p.digest))) {
        throw new NodeError(
          "NODE_FENCED",
          `account ${account}: fencing token ${token} is stale (a newer execution node holds the account); stopping`,
          { token },
        );
      }
    }
    await wire.send(FrameTopics.ack(account), frame("ack", account, account, p.step, p.items));
    p.sent = true;
  };
  const schedulePublish = (): Promise<void> => {
    publishing = publishing.then(tryPublish).catch((e: Error) => fatal(e));
    return publishing;
  };
  const ack = async (step: number) => {
    const items = captured;
    captured = [];
    chain = chainDigest(chain, step, items);
    digests.set(step, chain);
    digests.delete(step - 10_000);
    pending = { step, digest: chain, items, sent: false };
    await schedulePublish();
  };

  if (redis !== null && plan.lease !== null) {
    // One lease per deployment (namespace) and account.
    lease = new ActiveStandby(redis, `${o.node.bridge.namespace}:${plan.lease.name}`, o.nodeId, {
      ttlMs: o.node.lock.ttlMs,
      onActive: (token) => {
        o.say(`active token=${token}`);
        void schedulePublish();
      },
      onStandby: (reason) => o.say(`standby ${reason}`),
    });
    lease.start();
  }

  let steps = 0;
  async function* feed(): AsyncGenerator<MarketData> {
    for (let n = 1; ; n++) {
      const md = await wire.inbox.take("md", n);
      if (n % 100 === 0) o.logger.debug({ step: n }, "step");
      if (md.kind === "end") {
        await ack(n);
        return;
      }
      yield wire.open<MarketData>(md.items[0]).message;
      steps = n;
      await ack(n);
      const done = await wire.inbox.take("done", n);
      for (const item of done.items) {
        const cmd = wire.open<TradingCommand>(item).message;
        const r = engine.exec.execute(cmd);
        if (!r.ok)
          o.logger.info({ commandId: cmd.commandId, code: r.code, reason: r.reason }, "command refused");
      }
    }
  }
  const out = o.out ?? o.node.out;
  const r = await runReplica(
    o,
    engine,
    wire,
    feed,
    () => o.say(`done events=${steps} orders=${engine.exec.cache.size} fills=${engine.fills.length}`),
    async () => {
      await publishing;
      await lease?.stop();
      redis?.disconnect();
    },
  );
  if (r.result !== undefined && out !== undefined)
    writeFileSync(out, `${JSON.stringify(summarize(r.result))}\n`);
  return { role: r.role, events: r.events, stopped: r.stopped };
}

// --- model -----------------------------------------------------------------------------------

export async function runModelNode(o: NodeRunOptions): Promise<NodeRunResult> {
  const m = o.node.model;
  if (m === undefined) {
    throw new NodeError("NODE_CONFIG", "node.model: a model node needs node.model (port and models)", {
      setting: "node.model",
    });
  }
  const { resolve } = await import("node:path");
  const { startV2Server } = await import("../../ml/serving/server.js");
  const server = await startV2Server({
    host: m.host,
    port: m.port,
    models: m.models.map((x) => ({ name: x.name, source: resolve(o.baseDir, x.file) })),
  });
  o.say(`ready ${server.url}`);
  await new Promise<void>((r) => onAbort(o.signal, r));
  await server.close();
  return { role: "model", events: 0, stopped: true };
}

export async function runNode(o: NodeRunOptions): Promise<NodeRunResult> {
  const stream = o.node.mode === "stream" ? await import("./stream.js") : null;
  switch (o.role) {
    case "data":
      return runDataNode(o, stream?.askResumePoint);
    case "strategy":
      return stream === null ? runStrategyNode(o) : stream.runStreamStrategyNode(o);
    case "execution":
      return stream === null ? runExecutionNode(o) : stream.runStreamExecutionNode(o);
    case "model":
      return runModelNode(o);
  }
}
