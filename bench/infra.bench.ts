/**
 * Infrastructure benchmarks (issue 8): the wire codec and the bus bridges.
 *
 * - codec: encode + decode of market-data messages (target >= 2 M msgs/s).
 * - bridges: publish throughput of ~100-byte messages through each bridge to a private,
 *   loopback-only broker started by this benchmark (Kafka: the librdkafka mock cluster of
 *   `kcat`; Redis Streams: `redis-server`; NATS JetStream: `nats-server -js`), and the time to
 *   consume them back. A broker whose binary is missing is reported as skipped.
 *
 * Bounded in count and time: each bridge case sends a fixed number of messages and gives up
 * after a deadline.
 */

import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { MessageBus } from "../src/core/bus.js";
import { Topics } from "../src/core/topics.js";
import { createBusBridge } from "../src/infra/bridge/index.js";
import { BTC, sampleMessages, sampleTrade } from "../src/infra/codec/fixtures.js";
import { ByteWriter, MessageCodec } from "../src/infra/codec/index.js";
import { resolveService, type ServiceKind, startRedis, startService } from "../src/infra/testing/services.js";
import type { QuoteTick } from "../src/model/data.js";
import { InstrumentId } from "../src/model/identifiers.js";
import { type BenchContext, machineInfo, measure } from "./harness.js";
import { nodeLatencyCase } from "./node-latency.js";

/**
 * CPU nanoseconds per operation (best of `repeats`), from process.cpuUsage: less distorted than
 * wall time when other jobs share the cores (it still includes GC helper threads).
 */
function cpuNsPerOp(fn: (n: number) => unknown, n: number, repeats = 5): number {
  fn(Math.floor(n / 10));
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < repeats; r++) {
    const u0 = process.cpuUsage();
    fn(n);
    const u = process.cpuUsage(u0);
    best = Math.min(best, ((u.user + u.system) * 1000) / n);
  }
  return Math.round(best);
}

function codecCases(ctx: BenchContext): void {
  const codec = new MessageCodec();
  const all = sampleMessages();
  const quote = all.QuoteTick as QuoteTick;
  const trades = Array.from({ length: 1024 }, (_, i) => sampleTrade(i));
  // What a bridge sends for market data: a sequenced id (producer + number), the default key
  // (the instrument) and the default topic (data.trades.<instrument>), left out of the header.
  let seq = 0;
  const producer = "md-node1.1732900000000000";
  const tradeTopic = `data.trades.${BTC.value}`;
  const quoteTopic = `data.quotes.${BTC.value}`;
  // The same with a string id (as a message with its own event id travels).
  const stringIdEnv = { eventId: "md-node1-000000123456", topic: tradeTopic };
  const N = 1_000_000;
  const w = new ByteWriter();
  for (const [name, run] of [
    [
      "trade.in-place",
      (n: number) => {
        // Zero-copy round trip: encode into a slab, decode from the same range (no view objects).
        let s = 0;
        for (let i = 0; i < n; i++) {
          codec.encodeInto(w, trades[i & 1023], { producer, sequence: ++seq, topic: tradeTopic });
          codec.decodeMessage(w.buf, w.start, w.pos);
          s += codec.header.bodyLength;
        }
        return s;
      },
    ],
    [
      "trade",
      (n: number) => {
        let s = 0;
        for (let i = 0; i < n; i++) {
          codec.decodeMessage(
            codec.encode(trades[i & 1023], { producer, sequence: ++seq, topic: tradeTopic }),
          );
          s += codec.header.bodyLength;
        }
        return s;
      },
    ],
    [
      "quote",
      (n: number) => {
        let s = 0;
        for (let i = 0; i < n; i++) {
          codec.decodeMessage(codec.encode(quote, { producer, sequence: ++seq, topic: quoteTopic }));
          s += codec.header.bodyLength;
        }
        return s;
      },
    ],
    [
      "trade.string-id",
      (n: number) => {
        let s = 0;
        for (let i = 0; i < n; i++) {
          codec.decodeMessage(codec.encode(trades[i & 1023], stringIdEnv));
          s += codec.header.bodyLength;
        }
        return s;
      },
    ],
  ] as const) {
    const r = measure(run, N, 5);
    const cpuNs = cpuNsPerOp(run, N);
    const sample = name === "quote" ? quote : trades[0];
    ctx.emit({
      case: `codec.encode+decode.${name}`,
      bytes: codec.encode(
        sample,
        name === "trade.string-id" ? stringIdEnv : { producer, sequence: 123456, topic: tradeTopic },
      ).length,
      nsPerMessage: r.bestNsPerOp,
      medianNsPerMessage: r.medianNsPerOp,
      messagesPerSec: r.opsPerSec,
      cpuNsPerMessage: cpuNs,
      messagesPerCpuSec: Math.round(1e9 / cpuNs),
      target: ">= 2 M msgs/s",
      met: r.opsPerSec >= 2e6,
    });
  }
  const tradeEnv = { producer, sequence: 123456, topic: tradeTopic };
  const bytes = codec.encode(trades[0], tradeEnv).slice();
  const enc = measure(
    (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) s += codec.encode(trades[i & 1023], tradeEnv).length;
      return s;
    },
    N,
    5,
  );
  const dec = measure(
    (n) => {
      let s = 0;
      for (let i = 0; i < n; i++) {
        codec.decodeMessage(bytes);
        s += codec.header.bodyLength;
      }
      return s;
    },
    N,
    5,
  );
  ctx.emit({ case: "codec.encode.trade", nsPerMessage: enc.bestNsPerOp, messagesPerSec: enc.opsPerSec });
  ctx.emit({ case: "codec.decode.trade", nsPerMessage: dec.bestNsPerOp, messagesPerSec: dec.opsPerSec });
  for (const name of ["OrderFilled", "OrderBookDeltas", "SubmitOrder"]) {
    const m = all[name];
    const e = { eventId: "E-1", topic: "t" };
    const r = measure(
      (n) => {
        let s = 0;
        for (let i = 0; i < n; i++) {
          codec.decodeMessage(codec.encode(m, e));
          s += codec.header.bodyLength;
        }
        return s;
      },
      N / 10,
      5,
    );
    ctx.emit({
      case: `codec.encode+decode.${name}`,
      nsPerMessage: r.bestNsPerOp,
      messagesPerSec: r.opsPerSec,
    });
  }
}

const BRIDGE_TARGETS: Record<ServiceKind, number> = { kafka: 100_000, redis: 200_000, nats: 100_000 };

/** Child processes of this one (the private brokers), by /proc. */
function childPids(): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    const f = procStat(Number(d));
    if (f !== null && Number(f[1]) === process.pid) out.push(Number(d));
  }
  return out;
}

/** Fields of /proc/PID/stat after the command name (state, ppid, ...), or null. */
function procStat(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    return text.slice(text.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) used so far by `pids`. */
function cpuSecondsOf(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const f = procStat(pid);
    if (f !== null) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / 100;
}

/** CPU seconds of this process and of its brokers, and the load average, over an interval. */
function cpuMeter(): () => Record<string, number> {
  const pids = childPids();
  const b0 = cpuSecondsOf(pids);
  const u0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const u = process.cpuUsage(u0);
    const wall = (performance.now() - t0) / 1000;
    const node = (u.user + u.system) / 1e6;
    const broker = cpuSecondsOf(pids) - b0;
    return {
      nodeCpuSeconds: Math.round(node * 1000) / 1000,
      brokerCpuSeconds: Math.round(broker * 1000) / 1000,
      nodeCpuPercent: Math.round((node / wall) * 100),
      brokerCpuPercent: Math.round((broker / wall) * 100),
      loadAverage1m: Math.round(loadavg()[0] * 100) / 100,
    };
  };
}

/**
 * Publishes `count` trades (~140 bytes encoded) through a bridge as fast as its backpressure
 * allows, waits until the engine acknowledged all of them, and separately times a consumer
 * bridge receiving them back.
 */
async function bridgeCase(
  ctx: BenchContext,
  kind: ServiceKind,
  count: number,
  deadlineMs: number,
): Promise<void> {
  const r = resolveService(kind);
  if (r.how === "none") {
    ctx.emit({ case: `bridge.${kind}.publish`, skipped: r.reason });
    return;
  }
  // Redis: fsync once a second for throughput (the tests use "always").
  const svc = kind === "redis" ? await startRedis({ appendfsync: "everysec" }) : await startService(kind);
  const ns = `bench-${process.pid}`;
  const common = {
    kind,
    url: svc.url,
    namespace: ns,
    channels: [{ name: "md", topics: ["data.*"] }],
    maxBatch: 5000,
    maxBufferedMessages: 50_000,
    redis: { maxLen: 2 * count, blockMs: 50, readCount: 5000 },
    nats: {
      fetchMaxMessages: 5000,
      maxMsgs: 2 * count,
      // INFRA_BENCH_NATS_WINDOW: messages awaiting acks (default one batch, as configured by default).
      ...(process.env.INFRA_BENCH_NATS_WINDOW
        ? { publishWindow: Number(process.env.INFRA_BENCH_NATS_WINDOW) }
        : {}),
    },
    kafka: { acks: -1 as const },
  };
  const pubBus = new MessageBus();
  const subBus = new MessageBus();
  const pub = createBusBridge({ ...common, nodeId: "bench-pub", publish: ["md"] }, pubBus);
  const sub = createBusBridge({ ...common, nodeId: "bench-sub", consume: ["md"] }, subBus);
  const ids = Array.from({ length: 8 }, (_, i) => InstrumentId.parse(`SYM${i}.BENCH`));
  const trades = Array.from({ length: 1024 }, (_, i) => sampleTrade(i, ids[i & 7]));
  const topics = ids.map((id) => Topics.trades(id));
  let delivered = 0;
  let lastDelivery = 0;
  subBus.subscribe("data.trades.*", () => {
    delivered++;
    lastDelivery = performance.now();
  });
  try {
    await pub.start();
    await sub.start();
    const deadline = performance.now() + deadlineMs;
    const publish = async (n: number) => {
      for (let i = 0; i < n; i++) {
        if (!pub.writable) await pub.whenWritable();
        if (performance.now() > deadline) throw new Error(`deadline of ${deadlineMs} ms passed`);
        pub.publish(topics[i & 7], trades[i & 1023]);
      }
      await pub.flush();
    };
    const waitDelivered = async (n: number) => {
      while (delivered < n && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    };
    // Warm-up: creates streams/topics, joins the consumer group, JIT-compiles the paths.
    await publish(5000);
    await waitDelivered(5000);
    const total = count + 5000;
    const meter = cpuMeter();
    const t0 = performance.now();
    await publish(count);
    const publishMs = performance.now() - t0;
    const publishCpu = meter();
    await waitDelivered(total);
    const consumeCpu = meter();
    const rate = Math.round((count / publishMs) * 1000);
    ctx.emit({
      case: `bridge.${kind}.publish`,
      messages: count,
      bytesPerMessage: new MessageCodec().encode(trades[0], {
        eventId: "bench-pub.1:123456",
        topic: topics[0],
      }).length,
      seconds: Math.round(publishMs) / 1000,
      messagesPerSec: rate,
      maxBuffered: pub.stats().maxBuffered,
      ...publishCpu,
      messagesPerCpuSecond: Math.round(count / (publishCpu.nodeCpuSeconds + publishCpu.brokerCpuSeconds)),
      ...(kind === "redis" ? { appendfsync: "everysec" } : {}),
      target: `>= ${BRIDGE_TARGETS[kind] / 1000} k msgs/s`,
      met: rate >= BRIDGE_TARGETS[kind],
    });
    ctx.emit({
      case: `bridge.${kind}.publish+consume`,
      note: "a consumer bridge runs concurrently; rate = messages / time until the last was delivered",
      messages: delivered - 5000,
      seconds: Math.round(lastDelivery - t0) / 1000,
      messagesPerSec: Math.round(((delivered - 5000) / (lastDelivery - t0)) * 1000),
      complete: delivered === total,
      duplicates: sub.stats().duplicates,
      ...consumeCpu,
      ...(delivered === total ? {} : { stats: sub.stats(), lastError: sub.lastError?.message ?? null }),
    });
  } catch (e) {
    ctx.emit({ case: `bridge.${kind}.publish`, error: e instanceof Error ? e.message : String(e) });
  } finally {
    await sub.stop(1000).catch(() => {});
    await pub.stop(1000).catch(() => {});
    await svc.stop();
  }
}

export async function run(ctx: BenchContext): Promise<void> {
  ctx.emit({ case: "machine", ...machineInfo() });
  if (process.env.INFRA_BENCH_SKIP_CODEC !== "1") codecCases(ctx);
  // INFRA_BENCH_BRIDGES=redis,nats selects bridge cases ("none" for the codec only).
  const only = process.env.INFRA_BENCH_BRIDGES?.split(",").filter((k) => k !== "none" && k !== "") as
    | ServiceKind[]
    | undefined;
  for (const kind of only ?? (["kafka", "redis", "nats"] as ServiceKind[])) {
    await bridgeCase(ctx, kind, Number(process.env.INFRA_BENCH_COUNT ?? 200_000), 60_000);
  }
  // End-to-end latency data → strategy → execution over Redis Streams (INFRA_BENCH_E2E=0 skips).
  if (process.env.INFRA_BENCH_E2E !== "0") await nodeLatencyCase(ctx);
}
