/**
 * One role of the end-to-end latency benchmark (bench/node-latency.ts), run as its own process
 * so that each hop has its own event loop and heap, like `botv6 node` processes:
 *
 * - `data`: publishes trades at a fixed rate into `md`, each stamped with the monotonic clock
 *   (µs, `process.hrtime`, shared by every process of the machine) in `tsEvent`;
 * - `strategy`: answers every trade with a command on `cmd`, carrying the stamp in `tsInit`;
 * - `execution`: records, per command, monotonic now − stamp, and reports the histogram.
 *
 * Talks to the parent over IPC: `ready` after its bridge started; `go` → the data side sends;
 * `done` → the execution side replies with its measurements.
 */
import * as hdr from "hdr-histogram-js";
import { MessageBus } from "../src/core/bus.js";
import { Topics } from "../src/core/topics.js";
import { createBusBridge } from "../src/infra/bridge/index.js";
import { sampleTrade } from "../src/infra/codec/fixtures.js";
import { planNode } from "../src/infra/node/roles.js";
import type { TradingCommand } from "../src/model/commands.js";
import { TradeTick } from "../src/model/data.js";
import { InstrumentId, StrategyId } from "../src/model/identifiers.js";

export interface RoleArgs {
  role: "data" | "strategy" | "execution";
  url: string;
  namespace: string;
  ratePerSec: number;
  events: number;
  /** Events published before the measured ones (not counted). */
  warmup: number;
  /** A shorter warm-up also reported (`early*` figures): events after it are counted there. */
  earlyWarmup: number;
}

type ToChild = { type: "go" } | { type: "done" };
export type FromChild =
  | { type: "ready"; role: string }
  | { type: "sent"; events: number }
  | { type: "complete" }
  | {
      type: "result";
      received: number;
      cpuSeconds: number;
      p50Us: number;
      p90Us: number;
      p99Us: number;
      p999Us: number;
      maxUs: number;
      /** The same over every event after `earlyWarmup` (the measured ones and the late warm-up). */
      early: { p50Us: number; p90Us: number; p99Us: number; p999Us: number; maxUs: number };
    };

const monoUs = (): number => Number(process.hrtime.bigint() / 1000n);

function send(m: FromChild): void {
  process.send?.(m);
}

async function main(a: RoleArgs): Promise<void> {
  const bridgeConfig = {
    kind: "redis" as const,
    url: a.url,
    namespace: a.namespace,
    partitions: 4,
    maxBatch: 500,
    redis: { blockMs: 1000, readCount: 1000 },
  };
  const nodeId = `${a.role}-1`;
  const planned = planNode({ role: a.role, nodeId, bridge: bridgeConfig, accountId: "SIM-001" }).bridge;
  if (planned === null) throw new Error(`${a.role} has no bridge`);
  // The strategy and execution sides consume only what this benchmark measures.
  const plan =
    a.role === "execution"
      ? { ...planned, consume: ["cmd"] }
      : a.role === "strategy"
        ? { ...planned, consume: ["md"] }
        : planned;
  const bus = new MessageBus();
  const bridge = createBusBridge(plan, bus);
  const cpu0 = process.cpuUsage();
  const hist = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  const early = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  let received = 0;
  if (a.role === "strategy") {
    const strategyId = new StrategyId("LAT-1");
    bus.subscribe("data.trades.*", (t: TradeTick) => {
      const cmd: TradingCommand = {
        type: "CancelAllOrders",
        commandId: `c${t.tradeId}`,
        strategyId,
        instrumentId: t.instrumentId,
        tsInit: t.tsEvent,
        side: null,
      };
      bridge.publish(`commands.${strategyId.value}`, cmd);
    });
  } else if (a.role === "execution") {
    bus.subscribe("commands.*", (c: TradingCommand) => {
      const seq = Number(c.commandId.slice(1)) - 100_000_000;
      if (seq > a.earlyWarmup) {
        const us = Math.max(1, monoUs() - c.tsInit);
        early.recordValue(us);
        if (seq > a.warmup) hist.recordValue(us);
      }
      if (++received === a.warmup + a.events) send({ type: "complete" });
    });
  }
  await bridge.start();
  const ids = Array.from({ length: 8 }, (_, i) => InstrumentId.parse(`SYM${i}.BENCH`));
  process.on("message", (m: ToChild) => {
    if (m.type === "go" && a.role === "data") {
      void (async () => {
        // Paced by a 1 ms timer: each tick publishes the events due by then, each stamped as it
        // is published (no busy wait: the pacing loop must not steal the CPU it measures).
        const total = a.warmup + a.events;
        const t0 = performance.now();
        let i = 0;
        while (i < total) {
          const due = Math.min(total, Math.floor(((performance.now() - t0) * a.ratePerSec) / 1000) + 1);
          for (; i < due; i++) {
            const seq = i + 1;
            const t = sampleTrade(seq, ids[seq & 7]);
            const now = monoUs();
            const stamped = new TradeTick(
              t.instrumentId,
              t.price,
              t.size,
              t.aggressorSide,
              t.tradeId,
              now,
              now,
            );
            bridge.publish(Topics.trades(stamped.instrumentId), stamped);
          }
          await new Promise((res) => setTimeout(res, 1));
        }
        await bridge.flush();
        send({ type: "sent", events: total });
      })();
    } else if (m.type === "done") {
      const c = process.cpuUsage(cpu0);
      send({
        type: "result",
        received,
        cpuSeconds: (c.user + c.system) / 1e6,
        p50Us: hist.getValueAtPercentile(50),
        p90Us: hist.getValueAtPercentile(90),
        p99Us: hist.getValueAtPercentile(99),
        p999Us: hist.getValueAtPercentile(99.9),
        maxUs: hist.maxValue,
        early: {
          p50Us: early.getValueAtPercentile(50),
          p90Us: early.getValueAtPercentile(90),
          p99Us: early.getValueAtPercentile(99),
          p999Us: early.getValueAtPercentile(99.9),
          maxUs: early.maxValue,
        },
      });
      void bridge.stop(1000).finally(() => process.exit(0));
    }
  });
  send({ type: "ready", role: a.role });
}

if (process.send !== undefined && process.env.BOTV6_LATENCY_ROLE !== undefined) {
  main(JSON.parse(process.env.BOTV6_LATENCY_ROLE) as RoleArgs).catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
