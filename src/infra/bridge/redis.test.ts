/** Redis Streams specifics: recovery of a dead consumer's pending entries, MAXLEN trimming. */
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { MessageBus } from "../../core/bus.js";
import { Topics } from "../../core/topics.js";
import type { TradeTick } from "../../model/data.js";
import { BTC, sampleTrade } from "../codec/fixtures.js";
import { type ServiceHandle, sleep, startRedis } from "../testing/services.js";
import { describeService } from "../testing/vitest.js";
import { waitFor } from "../testing/wait.js";
import { BusBridge } from "./bridge.js";
import { type BridgeConfigInput, partitionFor, resolveBridgeConfig } from "./config.js";
import { RedisStreamsTransport } from "./redis.js";

let run = 0;

describeService("redis", "Redis Streams bridge", () => {
  let svc: ServiceHandle;
  let redis: Redis;
  const bridges: BusBridge[] = [];
  beforeAll(async () => {
    svc = await startRedis();
    redis = new Redis(svc.url);
  }, 30_000);
  afterAll(async () => {
    for (const b of bridges) await b.stop(500).catch(() => {});
    redis?.disconnect();
    await svc?.stop();
  });

  function bridge(bus: MessageBus, over: Partial<BridgeConfigInput> & { nodeId: string; namespace: string }) {
    const config = resolveBridgeConfig({
      kind: "redis",
      url: svc.url,
      channels: [{ name: "md", topics: ["data.*"] }],
      redis: { blockMs: 50 },
      ...over,
    });
    const transport = new RedisStreamsTransport(config);
    const b = new BusBridge(config, bus, transport);
    bridges.push(b);
    return { b, transport };
  }

  /** A publishing bridge on one partition whose stream already has the consumer group. */
  async function publisher(ns: string, messagesPerEntry: number) {
    const bus = new MessageBus();
    const { b, transport } = bridge(bus, {
      nodeId: "pub",
      namespace: ns,
      publish: ["md"],
      partitions: 1,
      redis: { blockMs: 50, messagesPerEntry },
    });
    await b.start();
    const key = transport.streamKey("md", 0);
    await redis.xgroup("CREATE", key, "botv6", "0", "MKSTREAM");
    return { bus, b, key };
  }

  /** A consuming bridge on one partition; the trade ids it delivers collect in `got`. */
  function tradeConsumer(nodeId: string, ns: string, redisOver: BridgeConfigInput["redis"] = {}) {
    const bus = new MessageBus();
    const got: string[] = [];
    bus.subscribe<TradeTick>("data.trades.*", (t) => got.push(t.tradeId));
    const { b, transport } = bridge(bus, {
      nodeId,
      namespace: ns,
      consume: ["md"],
      partitions: 1,
      redis: { blockMs: 50, ...redisOver },
    });
    return { bus, got, b, transport };
  }

  it("recovers entries a dead consumer left pending (XAUTOCLAIM) and acknowledges them", async () => {
    const ns = `claim${++run}-${process.pid}`;
    const { bus: pubBus, b: pub, key } = await publisher(ns, 10);
    for (let i = 0; i < 100; i++) pubBus.publish(Topics.trades(BTC), sampleTrade(i));
    await pub.flush();
    // A consumer reads everything and dies before acknowledging.
    const read = (await redis.xreadgroup(
      "GROUP",
      "botv6",
      "dead-node",
      "COUNT",
      1000,
      "STREAMS",
      key,
      ">",
    )) as [string, unknown[]][];
    // 100 messages, packed 10 per entry.
    expect(read[0][1]).toHaveLength(10);
    expect(((await redis.xpending(key, "botv6")) as [number])[0]).toBe(10);

    const { got, b: sub } = tradeConsumer("survivor", ns, { claimIdleMs: 300 });
    await sub.start();
    await waitFor(() => got.length === 100, "the dead consumer's 100 entries");
    expect(got).toEqual(Array.from({ length: 100 }, (_, i) => String(100_000_000 + i)));
    await waitFor(
      async () => ((await redis.xpending(key, "botv6")) as [number])[0] === 0,
      "the pending list to empty",
    );
  });

  it("acknowledges a handled batch with its next read: a consumer that dies before that leaves it pending, and its restart redelivers it", async () => {
    const ns = `ackread${++run}-${process.pid}`;
    const { bus: pubBus, b: pub, key } = await publisher(ns, 1);
    for (let i = 0; i < 10; i++) pubBus.publish(Topics.trades(BTC), sampleTrade(i));
    await pub.flush();
    const pending = async () => ((await redis.xpending(key, "botv6")) as [number])[0];

    // Consumer 1 handles the batch of 10 entries, then "dies" (like a SIGKILL) from inside its
    // last handler: after the batch was handled but before the read that carries its XACKs.
    const {
      bus: bus1,
      got: got1,
      b: sub1,
      transport: t1,
    } = tradeConsumer("consumer", ns, {
      claimIdleMs: 600_000,
    });
    bus1.subscribe<TradeTick>("data.trades.*", () => {
      if (got1.length === 10) {
        // Private fields: stop the read loop and drop both connections without a word to Redis.
        const dead = t1 as unknown as { closed: boolean; reader: Redis; cmd: Redis };
        dead.closed = true;
        dead.reader.disconnect();
        dead.cmd.disconnect();
      }
    });
    await sub1.start();
    await waitFor(() => got1.length === 10, "consumer 1 to handle the 10 entries");
    await sleep(200);
    expect(await pending()).toBe(10);

    // Its replacement (same consumer name) first re-reads its own pending entries.
    const { got: got2, b: sub2 } = tradeConsumer("consumer", ns, { claimIdleMs: 600_000 });
    await sub2.start();
    await waitFor(() => got2.length === 10, "the 10 pending entries redelivered");
    expect(got2).toEqual(got1);
    // Acknowledged with the next read, which blocks: no further traffic is needed.
    await waitFor(async () => (await pending()) === 0, "the pending list to empty");
    // New entries flow and are acknowledged too.
    for (let i = 10; i < 15; i++) pubBus.publish(Topics.trades(BTC), sampleTrade(i));
    await pub.flush();
    await waitFor(() => got2.length === 15, "5 more entries");
    await waitFor(async () => (await pending()) === 0, "the pending list to empty again");
    expect(sub2.stats().duplicates).toBe(0);
  });

  it("fails a batch whose XADD to one stream fails, and re-sends it whole, in order, once the stream accepts it", async () => {
    const ns = `xaddfail${++run}-${process.pid}`;
    const pubBus = new MessageBus();
    const { b: pub, transport } = bridge(pubBus, {
      nodeId: "pub",
      namespace: ns,
      publish: ["md"],
      partitions: 2,
      backoff: { initialMs: 20, maxMs: 50 },
      redis: { blockMs: 50, messagesPerEntry: 1 },
    });
    await pub.start();
    const { InstrumentId } = await import("../../model/identifiers.js");
    const ids = Array.from({ length: 8 }, (_, i) => InstrumentId.parse(`SYM${i}.VENUE`));
    const parts = new Set(ids.map((id) => partitionFor(id.value, 2)));
    expect(parts.size).toBe(2);
    // Partition 1's key holds a string: its XADD fails (WRONGTYPE), partition 0's succeeds.
    const bad = transport.streamKey("md", 1);
    await redis.set(bad, "not a stream");
    for (let i = 0; i < 40; i++) pubBus.publish(Topics.trades(ids[i % 8]), sampleTrade(i, ids[i % 8]));
    await waitFor(() => pub.stats().sendFailures >= 2, "two failed sends");
    expect(pub.stats().sent).toBe(0);
    expect(pub.lastError?.message).toContain("WRONGTYPE");
    await redis.del(bad);
    await pub.flush();
    expect(pub.stats().sent).toBe(40);

    // Partition 0 holds its entries several times (each failed attempt stored them); the
    // consumer delivers each message once, in per-instrument order.
    const subBus = new MessageBus();
    const got = new Map<string, number[]>();
    subBus.subscribe<TradeTick>("data.trades.*", (t) => {
      const l = got.get(t.instrumentId.value) ?? [];
      l.push(Number(t.tradeId) - 100_000_000);
      got.set(t.instrumentId.value, l);
    });
    const { b: sub } = bridge(subBus, { nodeId: "sub", namespace: ns, consume: ["md"], partitions: 2 });
    await sub.start();
    const delivered = () => [...got.values()].reduce((n, l) => n + l.length, 0);
    await waitFor(() => delivered() === 40, "40 deliveries");
    await sleep(100);
    expect(delivered()).toBe(40);
    for (const [k, id] of ids.entries()) {
      expect(got.get(id.value)).toEqual([k, k + 8, k + 16, k + 24, k + 32]);
    }
    expect(sub.stats().duplicates).toBeGreaterThan(0);
  });

  it("dead-letters a corrupt pack of messages instead of skipping it", async () => {
    const ns = `pack${++run}-${process.pid}`;
    const { got, b: sub, transport } = tradeConsumer("sub", ns);
    await sub.start();
    const key = transport.streamKey("md", 0);
    await redis.xadd(key, "*", "b", Buffer.from([0xff, 0xff, 0, 0, 1, 2]));
    const { MessageCodec } = await import("../codec/index.js");
    const good = new MessageCodec().encode(sampleTrade(9), { eventId: "ok-9", topic: Topics.trades(BTC) });
    await redis.xadd(key, "*", "m", Buffer.from(good));
    await waitFor(
      () => got.length === 1 && sub.stats().deadLettered === 1,
      "one delivery and one dead letter",
    );
    expect(sub.stats().deadLetterReasons).toEqual({ CODEC_TRUNCATED: 1 });
    expect(got).toEqual([String(100_000_009)]);
  });

  it("trims streams to about redis.maxLen entries", async () => {
    const ns = `trim${++run}-${process.pid}`;
    const bus = new MessageBus();
    const { b, transport } = bridge(bus, {
      nodeId: "pub",
      namespace: ns,
      publish: ["md"],
      partitions: 1,
      redis: { maxLen: 100, messagesPerEntry: 1 },
    });
    await b.start();
    for (let i = 0; i < 2000; i++) bus.publish(Topics.trades(BTC), sampleTrade(i));
    await b.flush();
    const len = await redis.xlen(transport.streamKey("md", 0));
    // "MAXLEN ~" trims whole radix-tree nodes (100 entries each by default): between 100 and 200 remain.
    expect(len).toBeGreaterThanOrEqual(100);
    expect(len).toBeLessThanOrEqual(200);
  });

  it("splits partitions between consumers of one group by ownedPartitions", async () => {
    const ns = `own${++run}-${process.pid}`;
    const pubBus = new MessageBus();
    const { b: pub } = bridge(pubBus, { nodeId: "pub", namespace: ns, publish: ["md"] });
    await pub.start();
    const seen = [new Map<string, number>(), new Map<string, number>()];
    for (const [n, owned] of [
      [0, [0, 1]],
      [1, [2, 3]],
    ] as const) {
      const bus = new MessageBus();
      bus.subscribe<TradeTick>("data.trades.*", (t) =>
        seen[n].set(t.instrumentId.value, (seen[n].get(t.instrumentId.value) ?? 0) + 1),
      );
      await bridge(bus, {
        nodeId: `c${n}`,
        namespace: ns,
        consume: ["md"],
        ownedPartitions: [...owned],
      }).b.start();
    }
    const ids = Array.from({ length: 16 }, (_, i) => `SYM${i}.VENUE`);
    const { InstrumentId } = await import("../../model/identifiers.js");
    for (const s of ids)
      for (let i = 0; i < 10; i++)
        pubBus.publish(Topics.trades(InstrumentId.parse(s)), sampleTrade(i, InstrumentId.parse(s)));
    await pub.flush();
    await waitFor(
      () =>
        seen[0].size + seen[1].size === 16 &&
        [...seen[0].values(), ...seen[1].values()].every((v) => v === 10),
      "160 trades",
    );
    expect(seen[0].size).toBeGreaterThan(0);
    expect(seen[1].size).toBeGreaterThan(0);
    for (const k of seen[0].keys()) expect(seen[1].has(k)).toBe(false);
  });
});
