/**
 * End-to-end latency data node → strategy node → execution node over Redis Streams (issue 8:
 * p50 <= 1 ms, p99 <= 5 ms on loopback under 10 k events/s). Used by infra.bench.ts.
 *
 * Three bus bridges with the channel layout `planNode` gives the three roles (own connections,
 * own consumer groups) run in this process, so one clock times them: the data side publishes
 * trades at a fixed rate into `md`; the strategy side answers every trade it receives with a
 * command on `cmd`; the execution side records, per command, the time since its trade was
 * published. This is the free-running streaming path (live and paper trading); the lockstep
 * replay of `botv6 node` adds a barrier per event on top of it (docs/deployment.md).
 */
import { loadavg } from "node:os";
import * as hdr from "hdr-histogram-js";
import { MessageBus } from "../src/core/bus.js";
import { Topics } from "../src/core/topics.js";
import { createBusBridge } from "../src/infra/bridge/index.js";
import { BTC, sampleTrade } from "../src/infra/codec/fixtures.js";
import { planNode } from "../src/infra/node/roles.js";
import { resolveService, startRedis } from "../src/infra/testing/services.js";
import type { TradingCommand } from "../src/model/commands.js";
import type { TradeTick } from "../src/model/data.js";
import { InstrumentId, StrategyId } from "../src/model/identifiers.js";
import type { BenchContext } from "./harness.js";

function cpuSeconds(u: NodeJS.CpuUsage): number {
  return Math.round(((u.user + u.system) / 1e6) * 1000) / 1000;
}

export async function nodeLatencyCase(
  ctx: BenchContext,
  ratePerSec = Number(process.env.INFRA_BENCH_E2E_RATE ?? 10_000),
  seconds = 5,
): Promise<void> {
  const name = "node.e2e-latency.redis";
  const r = resolveService("redis");
  if (r.how === "none") {
    ctx.emit({ case: name, skipped: r.reason });
    return;
  }
  const svc = await startRedis({ appendfsync: "everysec" });
  const namespace = `lat-${process.pid}`;
  const bridge = {
    kind: "redis" as const,
    url: svc.url,
    namespace,
    partitions: 4,
    maxBatch: 500,
    redis: { blockMs: 1000, readCount: 1000 },
  };
  const plan = (role: string, nodeId: string) => {
    const p = planNode({ role, nodeId, bridge, accountId: "SIM-001" }).bridge;
    if (p === null) throw new Error(`${role} has no bridge`);
    // The strategy and execution sides here consume only what this case measures.
    if (role === "execution") return { ...p, consume: ["cmd"] };
    if (role === "strategy") return { ...p, consume: ["md"] };
    return p;
  };
  const dataBus = new MessageBus();
  const strategyBus = new MessageBus();
  const execBus = new MessageBus();
  const data = createBusBridge(plan("data", "data-1"), dataBus);
  const strategy = createBusBridge(plan("strategy", "strategy-1"), strategyBus);
  const exec = createBusBridge(plan("execution", "exec-1"), execBus);

  const total = ratePerSec * seconds;
  const warmup = Math.min(2000, total);
  const sentAt = new Float64Array(warmup + total + 1);
  const hist = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 10_000_000,
    numberOfSignificantValueDigits: 3,
  });
  let received = 0;
  const strategyId = new StrategyId("LAT-1");
  strategyBus.subscribe("data.trades.*", (t: TradeTick) => {
    const cmd: TradingCommand = {
      type: "CancelAllOrders",
      commandId: `c${t.tradeId}`,
      strategyId,
      instrumentId: t.instrumentId,
      tsInit: t.tsEvent,
      side: null,
    };
    strategy.publish(`commands.${strategyId.value}`, cmd);
  });
  execBus.subscribe("commands.*", (c: TradingCommand) => {
    const seq = Number(c.commandId.slice(1)) - 100_000_000;
    if (seq > warmup) hist.recordValue(Math.max(1, Math.round((performance.now() - sentAt[seq]) * 1000)));
    received++;
  });
  const ids = Array.from({ length: 8 }, (_, i) => InstrumentId.parse(`SYM${i}.BENCH`));
  try {
    await data.start();
    await strategy.start();
    await exec.start();
    const send = async (count: number, offset: number) => {
      // Paced by a 1 ms timer: each tick publishes the events due by then, each stamped as it
      // is published (no busy wait: the pacing loop must not steal the CPU it measures).
      const t0 = performance.now();
      let i = 0;
      while (i < count) {
        const due = Math.min(count, Math.floor(((performance.now() - t0) * ratePerSec) / 1000) + 1);
        for (; i < due; i++) {
          const seq = offset + i + 1;
          const t = sampleTrade(seq, ids[seq & 7] ?? BTC);
          sentAt[seq] = performance.now();
          data.publish(Topics.trades(t.instrumentId), t);
        }
        await new Promise((res) => setTimeout(res, 1));
      }
    };
    const waitFor = async (n: number, ms: number) => {
      const deadline = performance.now() + ms;
      while (received < n && performance.now() < deadline) await new Promise((res) => setTimeout(res, 5));
    };
    await send(warmup, 0);
    await waitFor(warmup, 30_000);
    const cpu0 = process.cpuUsage();
    const w0 = performance.now();
    await send(total, warmup);
    await waitFor(warmup + total, 30_000);
    const wall = (performance.now() - w0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const p50 = hist.getValueAtPercentile(50) / 1000;
    const p99 = hist.getValueAtPercentile(99) / 1000;
    ctx.emit({
      case: name,
      note: "three bridges (data → strategy → execution) over a private redis-server; latency = publish of the trade → command handled by the execution side",
      ratePerSec,
      events: total,
      delivered: received - warmup,
      wallSeconds: Math.round(wall * 1000) / 1000,
      nodeCpuSeconds: cpuSeconds(cpu),
      loadAverage1m: Math.round(loadavg()[0] * 100) / 100,
      p50Ms: p50,
      p90Ms: hist.getValueAtPercentile(90) / 1000,
      p99Ms: p99,
      p999Ms: hist.getValueAtPercentile(99.9) / 1000,
      maxMs: hist.maxValue / 1000,
      target: "p50 <= 1 ms, p99 <= 5 ms",
      met: received - warmup === total && p50 <= 1 && p99 <= 5,
    });
  } catch (e) {
    ctx.emit({ case: name, error: e instanceof Error ? e.message : String(e) });
  } finally {
    await exec.stop(1000).catch(() => {});
    await strategy.stop(1000).catch(() => {});
    await data.stop(1000).catch(() => {});
    await svc.stop();
  }
}
