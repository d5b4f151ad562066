/**
 * Kafka specifics: records packing several messages; a consumer group shares partitions and
 * rebalances when a member leaves.
 */
import { Kafka, logLevel } from "kafkajs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { MessageBus } from "../../core/bus.js";
import { Topics } from "../../core/topics.js";
import type { TradeTick } from "../../model/data.js";
import { InstrumentId } from "../../model/identifiers.js";
import { sampleTrade } from "../codec/fixtures.js";
import { type ServiceHandle, sleep, startKafka } from "../testing/services.js";
import { describeService } from "../testing/vitest.js";
import { waitFor } from "../testing/wait.js";
import { createBusBridge } from "./factory.js";
import { PACK_HEADER } from "./kafka.js";

describeService("kafka", "Kafka bridge consumer group", () => {
  let svc: ServiceHandle;
  beforeAll(async () => {
    svc = await startKafka();
  }, 30_000);
  afterAll(async () => {
    await svc?.stop();
  });

  it("unpacks records of several messages in order; a corrupt pack is dead-lettered whole", async () => {
    const ns = `pack-${process.pid}`;
    const base = {
      kind: "kafka" as const,
      url: svc.url,
      namespace: ns,
      group: "g",
      channels: [{ name: "md", topics: ["data.*"] }],
    };
    const pubBus = new MessageBus();
    const subBus = new MessageBus();
    const pub = createBusBridge({ ...base, nodeId: "data", publish: ["md"] }, pubBus);
    const sub = createBusBridge({ ...base, nodeId: "strategy", consume: ["md"] }, subBus);
    const got: number[] = [];
    subBus.subscribe<TradeTick>("data.trades.*", (t) => got.push(Number(t.tradeId) - 100_000_000));
    await pub.start();
    await sub.start();
    const id = InstrumentId.parse("PACK.VENUE");
    const kafka = new Kafka({ brokers: svc.url.split(","), logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    try {
      // Claims two messages; the first length runs past the end.
      await producer.send({
        topic: `${ns}.md`,
        messages: [{ key: id.value, value: Buffer.from([200, 0, 0, 0, 1]), headers: { [PACK_HEADER]: "2" } }],
      });
    } finally {
      await producer.disconnect();
    }
    const N = 300; // one synchronous burst: one batch, packs of up to 64 per partition
    for (let i = 0; i < N; i++) pubBus.publish(Topics.trades(id), sampleTrade(i, id));
    await pub.flush();
    await waitFor(
      () => got.length >= N && sub.stats().deadLettered === 1,
      `${N} trades and 1 dead letter`,
      40_000,
    );
    expect(got).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(sub.stats().deadLetterReasons).toEqual({ CODEC_TRUNCATED: 1 });
    // The 300 trades travelled packed: a handful of records, not 300.
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(`${ns}.md`);
    await admin.disconnect();
    const records = offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
    expect(records).toBeLessThanOrEqual(1 + Math.ceil(N / 64) + 4);
    await sub.stop();
    await pub.stop();
  });

  it("shares partitions between members, keeps per-instrument order across a rebalance", async () => {
    const ns = `grp-${process.pid}`;
    const base = {
      kind: "kafka" as const,
      url: svc.url,
      namespace: ns,
      group: "strategies",
      channels: [{ name: "md", topics: ["data.*"] }],
      kafka: { sessionTimeoutMs: 3000, heartbeatIntervalMs: 300 },
    };
    const pubBus = new MessageBus();
    const pub = createBusBridge({ ...base, nodeId: "data", publish: ["md"] }, pubBus);
    await pub.start();
    const timeline: { node: number; id: string; seq: number }[] = [];
    const members = [0, 1].map((node) => {
      const bus = new MessageBus();
      bus.subscribe<TradeTick>("data.trades.*", (t) =>
        timeline.push({ node, id: t.instrumentId.value, seq: Number(t.tradeId) - 100_000_000 }),
      );
      return createBusBridge({ ...base, nodeId: `strategy-${node}`, consume: ["md"] }, bus);
    });
    await members[0].start();
    await members[1].start();
    const ids = Array.from({ length: 8 }, (_, i) => InstrumentId.parse(`SYM${i}.VENUE`));
    let seq = 0;
    const publishRound = async () => {
      for (const id of ids) pubBus.publish(Topics.trades(id), sampleTrade(seq, id));
      seq++;
      await pub.flush();
    };
    // Publish until both members have received messages (both joined and were assigned partitions).
    await waitFor(
      async () => {
        await publishRound();
        return new Set(timeline.map((e) => e.node)).size === 2;
      },
      "both members to be assigned partitions",
      40_000,
      100,
    );
    // One member leaves: the other takes over its partitions.
    await members[1].stop();
    const before = seq;
    for (let i = 0; i < 20; i++) await publishRound();
    await waitFor(
      () => ids.every((id) => timeline.some((e) => e.node === 0 && e.id === id.value && e.seq === seq - 1)),
      "the remaining member to receive every instrument's last message",
      40_000,
    );
    await members[0].stop();
    await pub.stop();
    await sleep(10);
    for (const id of ids) {
      // First deliveries per instrument, in the order they happened across both members.
      const seen = new Set<number>();
      const order: number[] = [];
      for (const e of timeline) {
        if (e.id === id.value && !seen.has(e.seq)) {
          seen.add(e.seq);
          order.push(e.seq);
        }
      }
      expect(order).toEqual(Array.from({ length: seq }, (_, k) => k));
    }
    // After the leave, every new message went to member 0.
    expect(timeline.filter((e) => e.seq >= before).every((e) => e.node === 0)).toBe(true);
  });
});
