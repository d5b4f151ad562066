/**
 * Fault tests (issue 8, part 5): a consumer process killed with SIGKILL mid-stream, and a broker
 * killed and restarted mid-stream. They need private brokers (the binaries), since they kill
 * processes.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { MessageBus } from "../../core/bus.js";
import { Topics } from "../../core/topics.js";
import type { TradeTick } from "../../model/data.js";
import { InstrumentId } from "../../model/identifiers.js";
import { sampleTrade } from "../codec/fixtures.js";
import { MessageCodec } from "../codec/index.js";
import { type ServiceHandle, type ServiceKind, sleep, startService } from "../testing/services.js";
import { describeService } from "../testing/vitest.js";
import { waitFor } from "../testing/wait.js";
import { BusBridge } from "./bridge.js";
import { resolveBridgeConfig } from "./config.js";
import { createTransport } from "./factory.js";
import type { OutboundRecord } from "./transport.js";

const CONSUMER = fileURLToPath(new URL("../testing/consumer-node.ts", import.meta.url));
const IDS = [
  "BTCUSDT.BINANCE",
  "ETHUSDT.BINANCE",
  "SOLUSDT.BINANCE",
  "XRPUSDT.BINANCE",
  "ADAUSDT.BINANCE",
].map((s) => InstrumentId.parse(s));

function lines(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "");
}

function startConsumer(args: string[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", CONSUMER, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumer did not start: ${err}`)), 30_000);
    child.stdout?.on("data", (d: Buffer) => {
      if (d.toString().includes("ready")) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`consumer exited (${code}): ${err}`));
    });
  });
}

let run = 0;

for (const kind of ["kafka", "redis", "nats"] as ServiceKind[]) {
  describeService(
    kind,
    `${kind}: a consumer killed with SIGKILL mid-stream`,
    () => {
      let svc: ServiceHandle;
      const children: ChildProcess[] = [];
      let dir = "";
      beforeAll(async () => {
        svc = await startService(kind);
        dir = mkdtempSync(join(tmpdir(), "botv6-fault-"));
      }, 30_000);
      afterAll(async () => {
        for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
        await svc?.stop();
        rmSync(dir, { recursive: true, force: true });
      });

      it("is replaced by a consumer that resumes from the committed position: nothing lost, duplicates dropped", async () => {
        const ns = `kill${++run}-${process.pid}`;
        const group = `g-${ns}`;
        const config = resolveBridgeConfig({
          kind,
          url: svc.url,
          nodeId: "producer",
          namespace: ns,
          channels: [{ name: "md", topics: ["data.*"] }],
          publish: ["md"],
        });
        const transport = createTransport(config);
        await transport.connect();
        const codec = new MessageCodec();
        const TOTAL = 1500;
        const record = (i: number): OutboundRecord => {
          const id = IDS[i % IDS.length];
          const value = codec
            .encode(sampleTrade(i, id), { eventId: `e-${i}`, topic: Topics.trades(id) })
            .slice();
          return { channel: "md", partition: i % 4, key: id.value, eventId: `e-${i}`, value };
        };
        const fileA = join(dir, `${ns}-a.txt`);
        const fileB = join(dir, `${ns}-b.txt`);
        const a = await startConsumer([kind, svc.url, ns, group, "consumer-1", fileA]);
        children.push(a);
        let produced = 0;
        const producing = (async () => {
          while (produced < TOTAL) {
            const batch: OutboundRecord[] = [];
            for (let k = 0; k < 50 && produced < TOTAL; k++, produced++) {
              const r = record(produced);
              batch.push(r, r); // every message twice, as a retrying producer would
            }
            await transport.send(batch);
            await sleep(20);
          }
        })();
        await waitFor(() => lines(fileA).length >= 300, "consumer 1 to handle 300 messages", 40_000);
        a.kill("SIGKILL");
        await new Promise((r) => a.once("exit", r));
        const handledByA = lines(fileA);
        const b = await startConsumer([kind, svc.url, ns, group, "consumer-1", fileB]);
        children.push(b);
        await producing;
        const all = () => new Set([...lines(fileA), ...lines(fileB)]);
        await waitFor(() => all().size === TOTAL, `all ${TOTAL} messages handled`, 60_000);
        b.kill("SIGTERM");
        await new Promise((r) => b.once("exit", r));
        await transport.close();

        const handledByB = lines(fileB);
        // Nothing lost.
        expect(all().size).toBe(TOTAL);
        // Each process handled every event id once, though the stream holds each twice.
        expect(new Set(handledByA).size).toBe(handledByA.length);
        expect(new Set(handledByB).size).toBe(handledByB.length);
        // The replacement resumed from the committed position: it re-handled at most the
        // uncommitted tail of consumer 1, not the stream from its start.
        const setB = new Set(handledByB);
        const overlap = handledByA.filter((t) => setB.has(t)).length;
        expect(overlap).toBeLessThan(handledByA.length);
        expect(handledByB.length).toBeLessThan(TOTAL);
      });
    },
    { needsPrivate: true },
  );
}

for (const kind of ["redis", "nats"] as ServiceKind[]) {
  describeService(
    kind,
    `${kind}: the broker killed and restarted mid-stream`,
    () => {
      let svc: ServiceHandle;
      const bridges: BusBridge[] = [];
      beforeAll(async () => {
        svc = await startService(kind);
      }, 30_000);
      afterEach(async () => {
        for (const b of bridges) await b.stop(500).catch(() => {});
      });
      afterAll(async () => {
        await svc?.stop();
      });

      it("clients reconnect, no acknowledged message is lost, and the buffer stays bounded", async () => {
        const ns = `restart${++run}-${process.pid}`;
        const common = {
          kind: kind as "redis" | "nats",
          url: svc.url,
          namespace: ns,
          channels: [{ name: "md", topics: ["data.*"] }],
          backoff: { initialMs: 50, maxMs: 400 },
          redis: { blockMs: 50 },
          nats: { requestTimeoutMs: 1000, ackWaitMs: 1000 },
        };
        const pubBus = new MessageBus();
        const subBus = new MessageBus();
        const pubConfig = resolveBridgeConfig({
          ...common,
          nodeId: "pub",
          publish: ["md"],
          maxBufferedMessages: 200,
          maxBatch: 50,
        });
        const subConfig = resolveBridgeConfig({ ...common, nodeId: "sub", consume: ["md"] });
        const pub = new BusBridge(pubConfig, pubBus, createTransport(pubConfig));
        const sub = new BusBridge(subConfig, subBus, createTransport(subConfig));
        bridges.push(pub, sub);
        await pub.start();
        await sub.start();
        const got = new Map<string, number[]>();
        subBus.subscribe<TradeTick>("data.trades.*", (t) => {
          const l = got.get(t.instrumentId.value) ?? [];
          l.push(Number(t.tradeId) - 100_000_000);
          got.set(t.instrumentId.value, l);
        });
        const TOTAL = 1500;
        let restarting: Promise<void> | null = null;
        for (let i = 0; i < TOTAL; i++) {
          if (!pub.writable) await pub.whenWritable();
          const id = IDS[i % IDS.length];
          pub.publish(Topics.trades(id), sampleTrade(i, id));
          if (i === 300) restarting = svc.restart({ downMs: 1000, signal: "SIGKILL" });
          if (i % 50 === 49) await sleep(10);
        }
        await restarting;
        await pub.flush();
        const delivered = () => [...got.values()].reduce((n, l) => n + l.length, 0);
        await waitFor(
          () => delivered() >= TOTAL,
          `all ${TOTAL} messages delivered after the restart`,
          40_000,
        );
        await sleep(200);
        expect(delivered()).toBe(TOTAL);
        for (const [k, id] of IDS.entries()) {
          const expected = Array.from({ length: TOTAL / IDS.length }, (_, j) => k + j * IDS.length);
          expect(got.get(id.value)).toEqual(expected);
        }
        const ps = pub.stats();
        expect(ps.sent).toBe(TOTAL);
        expect(ps.maxBuffered).toBeLessThanOrEqual(200);
        expect(ps.sendFailures).toBeGreaterThan(0);
      });
    },
    { needsPrivate: true },
  );
}
