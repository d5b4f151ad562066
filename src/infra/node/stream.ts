/**
 * Stream mode of `botv6 node` (`node.mode: stream`, docs/deployment.md "Stream mode"): paper
 * trading over the bridge without a barrier. The data node publishes as it reads (paced by
 * `node.speed`, see runDataNode); here are the strategy and execution nodes.
 *
 * Frames (all NodeFrames; commands and acknowledgements keyed by the account, so each travels in
 * one partition, in order):
 *
 * - strategy → execution, `commands.node.<account>` (`done` frames):
 *   `hello:<node>:<incarnation>` when a strategy process starts, `cmd:<node>:<incarnation>:<k>`
 *   with the commands its strategies made on one market-data event, `fin:<node>:<incarnation>`
 *   when it has consumed the end of the stream.
 * - data → execution, same channel: `resume:<node>:<incarnation>` when a data process starts;
 *   the execution node answers `resumed:<node>:<incarnation>` (an `ack` frame on the events
 *   channel) with the highest sequence number it has taken, so a replacement of a dead data node
 *   publishes from the next one (see {@link askResumePoint}).
 * - execution → strategy, `events.node.<account>` (`ack` frames): `ack:<account>:<k>` with the
 *   events of one input (a market-data event or a command frame) — echoed order submissions
 *   followed by the order and position events — numbered 1, 2, ... without gaps;
 *   `synced:<node>:<incarnation>` answering a hello with the number of `ack` frames published
 *   before it; `eos:<account>` with the final number when the run is over.
 *
 * Every strategy process reads the events channel **from its start** in a consumer group of its
 * own, applies the `ack` frames in order to its mirror and lets its strategies act only once it
 * has applied every frame the execution node had published when it answered the hello: a
 * replacement of a dead strategy node (same node id) thus rebuilds its predecessor's orders and
 * positions first. The execution node executes each command id once, and from the hello of a
 * new incarnation on refuses commands of older incarnations of that node id (a paused "dead"
 * process that wakes up cannot trade twice).
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import type { Redis } from "ioredis";
import { createConfiguredEngine } from "../../backtest/from-config.js";
import type { TradingCommand } from "../../model/commands.js";
import type { MarketData } from "../../model/data.js";
import { ActiveStandby } from "../cache/lock.js";
import type { NodeFrame } from "../codec/control.js";
import { StepJournal } from "./journal.js";
import { ordersOf, StrategyMirror } from "./mirror.js";
import {
  accountOf,
  captureEvents,
  connectRedis,
  frame,
  type NodeRunOptions,
  type NodeRunResult,
  needBacktest,
  onAbort,
  runReplica,
  wireFor,
} from "./nodes.js";
import { planNode } from "./roles.js";
import { summarize } from "./summary.js";
import { FrameTopics, NodeError, type NodeWire } from "./wire.js";

/** Wakes one waiting loop; a notification before the wait is not lost. */
class Signal {
  private pending = false;
  private waiter: (() => void) | null = null;

  notify(): void {
    this.pending = true;
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  wait(): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((r) => {
      this.waiter = () => {
        this.pending = false;
        r();
      };
    });
  }
}

function stoppedError(): NodeError {
  return new NodeError("NODE_STOPPED", "stopped by signal");
}

/** A fresh id per process, so a replacement with the same node id is told apart. */
function incarnationId(): string {
  return `${Date.now().toString(36)}${process.pid.toString(36)}`;
}

/** A frame with an explicit event id (control messages: hello, fin, synced, ...). */
function control(
  kind: "done" | "ack",
  eventId: string,
  key: string,
  step: number,
  items: Uint8Array[] = [],
): NodeFrame {
  return { type: "NodeFrame", eventId, key, kind, step, items };
}

/**
 * The market data a node processed, as a chained digest of (sequence number, instrument,
 * timestamp): equal digests and counts mean the same events, each once, in the same order.
 */
export class MarketDataDigest {
  private readonly hash = createHash("sha256");
  events = 0;
  lastStep = 0;

  add(step: number, key: string, tsEvent: number): void {
    this.hash.update(`${step} ${key} ${tsEvent}\n`);
    this.events++;
    this.lastStep = step;
  }

  /** The digest so far (the hash is copied, so adding may go on). */
  hex(): string {
    return this.hash.copy().digest("hex");
  }
}

// --- data ------------------------------------------------------------------------------------

/**
 * Where a (replacement) data node resumes: it announces itself to the execution node on the
 * command channel and waits for the answer, the highest market-data sequence number the
 * execution node has taken (0 at the start of a run). The execution node takes events strictly
 * by sequence number, so every event up to the answer reached the deployment and is not
 * published again; everything after it — including what a dead predecessor left in its
 * outbound buffer — is. Events after the answer that the broker already holds are published a
 * second time under the same frame id and sequence number and dropped as repeats by the
 * execution node (by sequence) and the strategy nodes (by sequence per instrument).
 */
export async function askResumePoint(o: NodeRunOptions, account: string): Promise<number> {
  const incarnation = incarnationId();
  const answer = `resumed:${o.nodeId}:${incarnation}`;
  const signal = new Signal();
  let at: number | null = null;
  const wire = wireFor(o, account, {
    sink: (f) => {
      if (f.kind === "ack" && f.eventId === answer) {
        at = f.step;
        signal.notify();
      }
    },
    // The answer is on the events channel, read in a group of this process's own.
    bridge: { publish: ["cmd"], consume: ["ev"], group: `data-ev-${o.nodeId}-${incarnation}` },
  });
  onAbort(o.signal, () => signal.notify());
  try {
    await wire.start();
    await wire.send(
      FrameTopics.done(account),
      control("done", `resume:${o.nodeId}:${incarnation}`, account, 0),
    );
    await wire.bridge.flush();
    for (;;) {
      if (at !== null) return at;
      if (o.signal.aborted) throw stoppedError();
      await signal.wait();
    }
  } finally {
    await wire.stop(1000);
  }
}

// --- strategy --------------------------------------------------------------------------------

/**
 * Which market-data events a strategy node shows its strategies, in arrival order: never one
 * twice (a repeat — an at-least-once redelivery, or a replacement data node publishing again
 * what its predecessor had got to the broker — has a sequence number not above the last one of
 * its instrument, which travels in one partition in order), and none older than one already
 * shown (across partitions an older event of one instrument may arrive after a newer one of
 * another; the engine's clock only moves forward).
 */
export class ArrivalOrder {
  private readonly lastStep = new Map<string, number>();
  private lastTs = -1;
  /** Dropped as repeats. */
  repeated = 0;
  /** Dropped as older than an event already shown. */
  late = 0;

  accept(step: number, key: string, tsEvent: number): boolean {
    if (step <= (this.lastStep.get(key) ?? 0)) {
      this.repeated++;
      return false;
    }
    this.lastStep.set(key, step);
    if (tsEvent < this.lastTs) {
      this.late++;
      return false;
    }
    this.lastTs = tsEvent;
    return true;
  }
}

export async function runStreamStrategyNode(o: NodeRunOptions): Promise<NodeRunResult> {
  const bt = needBacktest(o);
  const account = accountOf(o, bt);
  const incarnation = incarnationId();
  const signal = new Signal();
  const mdFrames: NodeFrame[] = [];
  let mdHead = 0;
  const ended = new Set<string>();
  const evFrames = new Map<number, NodeFrame>();
  let evNext = 1;
  let syncedAt: number | null = null;
  let eosAt: number | null = null;
  const syncedId = `synced:${o.nodeId}:${incarnation}`;

  // Market data in the strategy nodes' shared group (a replacement continues where the group
  // is); commands out on the same bridge.
  const md = wireFor(o, account, {
    sink: (f) => {
      if (f.kind === "md") mdFrames.push(f);
      else if (f.kind === "end") ended.add(f.key);
      signal.notify();
    },
    bridge: { consume: ["md"] },
  });
  // Order events from the start of the channel, in a group of this process's own.
  const ev = wireFor(o, account, {
    sink: (f) => {
      if (f.kind !== "ack") return;
      if (f.eventId.startsWith("ack:")) {
        if (f.step >= evNext) evFrames.set(f.step, f);
      } else if (f.eventId === syncedId) syncedAt = f.step;
      else if (f.eventId.startsWith("eos:")) eosAt = f.step;
      signal.notify();
    },
    bridge: { consume: ["ev"], publish: [], group: `strategies-ev-${o.nodeId}-${incarnation}` },
  });
  const mirror = new StrategyMirror(bt, o.seed, md);

  let stopped = false;
  onAbort(o.signal, () => {
    stopped = true;
    signal.notify();
  });
  const applyEvents = () => {
    for (let f = evFrames.get(evNext); f !== undefined; f = evFrames.get(evNext)) {
      evFrames.delete(evNext);
      mirror.apply(f.items);
      evNext++;
    }
  };
  /** Applies events as they come until `done()`; throws when the node is stopped. */
  const until = async (done: () => boolean) => {
    for (;;) {
      applyEvents();
      if (stopped) throw stoppedError();
      if (done()) return;
      await signal.wait();
    }
  };
  let frames = 0;
  const sendCommands = async () => {
    const items = mirror.takeOutbox();
    if (items.length === 0) return;
    frames++;
    const id = `cmd:${o.nodeId}:${incarnation}:${frames}`;
    await md.send(FrameTopics.done(account), control("done", id, account, frames, items));
  };

  let events = 0;
  const arrivals = new ArrivalOrder();
  async function* feed(): AsyncGenerator<MarketData> {
    // Rebuild: every event the execution node published before it answered our hello.
    await until(() => syncedAt !== null && evNext > syncedAt);
    mirror.resumeOrderIds();
    o.say(
      `synced events=${syncedAt} orders=${mirror.engine.exec.cache.size} rebuilt=${mirror.rebuiltOrders}`,
    );
    for (;;) {
      await until(() => mdHead < mdFrames.length || ended.size >= bt.instruments.length);
      if (mdHead >= mdFrames.length) return;
      const f = mdFrames[mdHead];
      mdFrames[mdHead++] = undefined as unknown as NodeFrame;
      if (mdHead > 4096 && mdHead * 2 > mdFrames.length) {
        mdFrames.splice(0, mdHead);
        mdHead = 0;
      }
      const d = md.open<MarketData>(f.items[0]).message;
      if (!arrivals.accept(f.step, f.key, d.tsEvent)) continue;
      yield d;
      events++;
      await sendCommands();
    }
  }

  try {
    await md.start();
    await ev.start();
    await md.send(FrameTopics.done(account), control("done", `hello:${o.nodeId}:${incarnation}`, account, 0));
    await md.bridge.flush();
    o.say("ready");
    await mirror.engine.run(feed());
    // Commands made while stopping, then the end of this node's commands.
    await sendCommands();
    await md.send(
      FrameTopics.done(account),
      control("done", `fin:${o.nodeId}:${incarnation}`, account, frames),
    );
    await md.bridge.flush();
    // Every event of every command this node sent.
    await until(() => eosAt !== null && evNext > eosAt);
    const e = mirror.engine;
    if (o.out !== undefined || o.node.out !== undefined) {
      const s = summarize({
        orders: e.exec.cache.orders(),
        fills: e.fills,
        positions: e.portfolio.allPositions(),
      });
      writeFileSync(o.out ?? (o.node.out as string), `${JSON.stringify(s)}\n`);
    }
    if (mirror.unknownOrders > 0)
      o.logger.warn({ unknownOrders: mirror.unknownOrders }, "events of unknown orders were ignored");
    o.say(
      `done events=${events} commands=${mirror.commands} late=${arrivals.late} repeated=${arrivals.repeated}`,
    );
    return { role: "strategy", events, stopped: false };
  } catch (e) {
    if (stopped) return { role: "strategy", events, stopped: true };
    throw e;
  } finally {
    await md.stop(stopped ? 1000 : 5000);
    await ev.stop(1000);
  }
}

// --- execution -------------------------------------------------------------------------------

/** Takes the account's lease (waiting as a standby) and checks that no other node traded it. */
async function activate(
  o: NodeRunOptions,
  account: string,
  redis: Redis,
  onLost: (reason: string) => void,
): Promise<{ lease: ActiveStandby; token: number }> {
  const plan = planNode({ role: "execution", nodeId: o.nodeId, accountId: account, bridge: o.node.bridge });
  const signal = new Signal();
  let token: number | null = null;
  const lease = new ActiveStandby(redis, `${o.node.bridge.namespace}:${plan.lease?.name}`, o.nodeId, {
    ttlMs: o.node.lock.ttlMs,
    onActive: (t) => {
      token = t;
      o.say(`active token=${t}`);
      signal.notify();
    },
    onStandby: (reason) => {
      o.say(`standby ${reason}`);
      if (token !== null) onLost(reason);
    },
  });
  lease.start();
  const aborted = () => signal.notify();
  o.signal.addEventListener("abort", aborted, { once: true });
  try {
    while (token === null) {
      if (o.signal.aborted) throw stoppedError();
      await signal.wait();
    }
  } catch (e) {
    await lease.stop();
    throw e;
  } finally {
    o.signal.removeEventListener("abort", aborted);
  }
  // Stream mode does not take over an account: the state of a previous holder's venue is not
  // replicated (fail closed). The journal records each holder that became active.
  const journal = new StepJournal(redis, o.node.bridge.namespace, account);
  const head = await journal.head();
  if (head !== null && head.token !== token) {
    await lease.stop();
    throw new NodeError(
      "NODE_STREAM_TAKEOVER",
      `account ${account}: execution node token ${head.token} was already active for this account in this namespace; stream mode does not take over an execution node (start a fresh namespace)`,
      { token: head.token },
    );
  }
  if (!(await journal.append(token, 0, "stream"))) {
    await lease.stop();
    throw new NodeError("NODE_FENCED", `account ${account}: fencing token ${token} is stale; stopping`, {
      token,
    });
  }
  return { lease, token };
}

export async function runStreamExecutionNode(o: NodeRunOptions): Promise<NodeRunResult> {
  const bt = needBacktest(o);
  const account = accountOf(o, bt);
  const engine = createConfiguredEngine(bt, o.seed);
  const signal = new Signal();
  const commandFrames: NodeFrame[] = [];
  let fatal: Error | null = null;
  const wire: NodeWire = wireFor(o, account, {
    sink: (f) => {
      if (f.kind === "done") {
        commandFrames.push(f);
        signal.notify();
      } else if (f.kind === "md" || f.kind === "end") wire.inbox.put(f);
    },
  });
  let captured: Uint8Array[] = [];
  captureEvents(engine, wire, (item) => captured.push(item));

  // The lease (without a lock URL: a single execution node).
  const lockUrl = o.node.lock.url ?? (o.node.bridge.kind === "redis" ? o.node.bridge.url : undefined);
  let redis: Redis | null = null;
  let lease: ActiveStandby | null = null;
  if (lockUrl !== undefined) {
    redis = await connectRedis(lockUrl, o.node.bridge.connectTimeoutMs);
    try {
      lease = (
        await activate(o, account, redis, (reason) => {
          fatal = new NodeError(
            "NODE_FENCED",
            `account ${account}: lost the lease (${reason}); stopping`,
            {},
          );
          signal.notify();
        })
      ).lease;
    } catch (e) {
      redis.disconnect();
      if (e instanceof NodeError && e.code === "NODE_STOPPED")
        return { role: "execution", events: 0, stopped: true };
      throw e;
    }
  }
  onAbort(o.signal, () => signal.notify());

  let published = 0;
  const publish = async (f: NodeFrame) => {
    if (lease !== null && lease.token === null)
      throw fatal ?? new NodeError("NODE_FENCED", "lost the lease", {});
    await wire.send(FrameTopics.ack(account), f);
  };
  const flushEvents = async () => {
    if (captured.length === 0) return;
    const items = captured;
    captured = [];
    published++;
    await publish(frame("ack", account, account, published, items));
  };

  // Strategy processes by node id: the incarnation that said hello last, and whether it is done.
  const strategies = new Map<string, { incarnation: string; fin: boolean }>();
  const handled = new Set<string>();
  const handledIds: string[] = [];
  const refused: Record<string, number> = {};
  let duplicates = 0;
  let stale = 0;
  let started = false;
  /** Highest market-data sequence number taken from the inbox (they are taken in order). */
  let mdTaken = 0;

  /** Handles one command frame; false while it must wait for the first market-data event. */
  const handle = async (f: NodeFrame): Promise<boolean> => {
    const [what, nodeId, incarnation] = f.eventId.split(":");
    const current = strategies.get(nodeId);
    if (what === "hello") {
      strategies.set(nodeId, { incarnation, fin: false });
      // Everything published so far (this frame comes after every command the node's earlier
      // incarnations had sent: same key, same partition).
      await flushEvents();
      await publish(control("ack", `synced:${nodeId}:${incarnation}`, account, published));
      o.logger.info({ nodeId, incarnation, events: published }, "strategy node synced");
      return true;
    }
    if (what === "fin") {
      if (current?.incarnation === incarnation) current.fin = true;
      return true;
    }
    if (what === "resume") {
      // A data process starts: it publishes after the last event taken here (askResumePoint).
      await publish(control("ack", `resumed:${nodeId}:${incarnation}`, account, mdTaken));
      o.logger.info({ nodeId, incarnation, after: mdTaken }, "data node resumes");
      return true;
    }
    if (what !== "cmd") {
      o.logger.warn({ eventId: f.eventId }, "unknown command frame ignored");
      return true;
    }
    if (current?.incarnation !== incarnation) {
      // A superseded (or never announced) incarnation of the node: never trade for it.
      stale += f.items.length;
      o.logger.warn(
        { nodeId, incarnation, commands: f.items.length },
        "commands of a stale strategy process refused",
      );
      return true;
    }
    if (!started) return false;
    for (const item of f.items) {
      const cmd = wire.open<TradingCommand>(item).message;
      if (handled.has(cmd.commandId)) {
        duplicates++;
        continue;
      }
      handled.add(cmd.commandId);
      handledIds.push(cmd.commandId);
      const at = captured.length;
      const r = engine.exec.execute(cmd);
      if (!r.ok) {
        refused[r.code] = (refused[r.code] ?? 0) + 1;
        o.logger.info({ commandId: cmd.commandId, code: r.code, reason: r.reason }, "command refused");
      }
      // The submission itself goes ahead of its events, so a strategy node that did not make
      // the order (a replacement) can rebuild it.
      if (ordersOf(cmd).some((order) => engine.exec.cache.has(order.clientOrderId)))
        captured.splice(at, 0, item);
    }
    await flushEvents();
    return true;
  };

  let events = 0;
  const processed = new MarketDataDigest();
  async function* feed(): AsyncGenerator<MarketData> {
    // Market data by global sequence (the execution node reads every partition, so none is
    // missing); commands in between, as they arrive.
    let ready: NodeFrame | null = null;
    let failed: Error | null = null;
    const arrive = (step: number) =>
      wire.inbox.take("md", step).then(
        (f) => {
          mdTaken = f.step;
          ready = f;
          signal.notify();
        },
        (e: Error) => {
          failed = e;
          signal.notify();
        },
      );
    let mdDone = false;
    void arrive(1);
    for (;;) {
      while (commandFrames.length > 0 && (await handle(commandFrames[0]))) commandFrames.shift();
      if (fatal !== null) throw fatal;
      if (failed !== null) throw failed;
      if (o.signal.aborted) throw stoppedError();
      const f = ready as NodeFrame | null;
      if (f !== null) {
        ready = null;
        if (f.kind === "end") mdDone = true;
        else {
          const d = wire.open<MarketData>(f.items[0]).message;
          processed.add(f.step, f.key, d.tsEvent);
          yield d;
          events++;
          started = true;
          await flushEvents();
          void arrive(f.step + 1);
          continue;
        }
      }
      if (mdDone && [...strategies.values()].every((s) => s.fin)) break;
      await signal.wait();
    }
    await flushEvents();
    await publish(control("ack", `eos:${account}`, account, published));
    await wire.bridge.flush();
  }

  const out = o.out ?? o.node.out;
  const r = await runReplica(
    o,
    engine,
    wire,
    feed,
    () =>
      o.say(
        `done events=${events} orders=${engine.exec.cache.size} fills=${engine.fills.length} commands=${handledIds.length} duplicates=${duplicates} stale=${stale}`,
      ),
    async () => {
      await lease?.stop();
      redis?.disconnect();
    },
  );
  if (r.result !== undefined && out !== undefined) {
    const summary = {
      ...summarize(r.result),
      commands: { handled: handledIds, duplicates, stale, refused },
      marketData: { events: processed.events, lastStep: processed.lastStep, digest: processed.hex() },
    };
    writeFileSync(out, `${JSON.stringify(summary)}\n`);
  }
  return { role: r.role, events: r.events, stopped: r.stopped };
}
