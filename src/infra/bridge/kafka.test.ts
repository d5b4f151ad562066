/** Kafka specifics: a consumer group shares partitions and rebalances when a member leaves. */
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

describeService("kafka", "Kafka bridge consumer group", () => {
  let svc: ServiceHandle;
  beforeAll(async () => {
    svc = await startKafka();
  }, 30_000);
  afterAll(async () => {
    await svc?.stop();
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
