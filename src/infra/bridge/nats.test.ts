/**
 * JetStream specifics: the asynchronous publish window and redelivery that does not wait for the
 * consumer's ack wait (a private nats-server is started when the binary is installed).
 */
import { connect, headers } from "nats";
import { afterAll, beforeAll, expect, it } from "vitest";
import { MessageBus } from "../../core/bus.js";
import { Topics } from "../../core/topics.js";
import type { TradeTick } from "../../model/data.js";
import { InstrumentId } from "../../model/identifiers.js";
import { sampleTrade } from "../codec/fixtures.js";
import { MessageCodec } from "../codec/index.js";
import { type ServiceHandle, startService } from "../testing/services.js";
import { describeService } from "../testing/vitest.js";
import { waitFor } from "../testing/wait.js";
import { BusBridge } from "./bridge.js";
import { type BridgeConfigInput, resolveBridgeConfig } from "./config.js";
import { JetStreamTransport, PACK_HEADER } from "./nats.js";
import type { InboundRecord, OutboundRecord } from "./transport.js";

const ID = InstrumentId.parse("BTCUSDT.BINANCE");
/** Far longer than any test waits: a message that needed the server's redelivery would time out. */
const ACK_WAIT_MS = 600_000;
let seq = 0;

describeService("nats", "nats transport", () => {
  let svc: ServiceHandle;
  const closers: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    svc = await startService("nats");
  }, 30_000);
  afterAll(async () => {
    for (const c of closers.reverse()) await c().catch(() => {});
    await svc?.stop();
  });

  function config(over: Partial<BridgeConfigInput> & { nodeId: string; namespace: string }) {
    return resolveBridgeConfig({
      kind: "nats",
      url: svc.url,
      channels: [{ name: "md", topics: ["data.*"] }],
      partitions: 1,
      nats: { ackWaitMs: ACK_WAIT_MS, fetchMaxMessages: 20 },
      ...over,
    });
  }

  function transport(over: Partial<BridgeConfigInput> & { nodeId: string; namespace: string }) {
    const t = new JetStreamTransport(config(over));
    closers.push(() => t.close());
    return t;
  }

  const codec = new MessageCodec();
  function records(from: number, n: number): OutboundRecord[] {
    return Array.from({ length: n }, (_, k) => {
      const i = from + k;
      const value = codec.encode(sampleTrade(i), { eventId: `e-${i}`, topic: Topics.trades(ID) }).slice();
      return { channel: "md", partition: 0, key: ID.value, eventId: `e-${i}`, value };
    });
  }
  const tradeIds = (batch: InboundRecord[]) =>
    batch.map((r) => Number(new MessageCodec().decodeMessage<TradeTick>(r.value).tradeId) - 100_000_000);

  it("retries a batch the bridge could not process from the messages it holds, without the ack wait", async () => {
    const ns = `n${++seq}-${process.pid}`;
    const pub = transport({ nodeId: "p", namespace: ns, publish: ["md"] });
    const sub = transport({ nodeId: "s", namespace: ns, consume: ["md"], group: "g" });
    await pub.connect();
    await sub.connect();
    const got: number[] = [];
    let failures = 0;
    await sub.consume(["md"], async (batch) => {
      if (failures < 2) {
        failures++;
        throw new Error("not now");
      }
      got.push(...tradeIds(batch));
    });
    await pub.send(records(0, 50));
    await waitFor(() => got.length >= 50, "50 messages after two failed attempts");
    expect(failures).toBe(2);
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it("a consumer closed mid-batch hands its messages back: the next consumer gets them at once, in order", async () => {
    const ns = `n${++seq}-${process.pid}`;
    // Unprocessed messages are handed back (nak) on close: the ack wait (10 minutes) never
    // comes into play.
    const over = { namespace: ns, nats: { ackWaitMs: ACK_WAIT_MS, fetchMaxMessages: 20 } };
    const pub = transport({ ...over, nodeId: "p", publish: ["md"] });
    const first = transport({ ...over, nodeId: "s1", consume: ["md"], group: "g" });
    await pub.connect();
    await first.connect();
    let calls = 0;
    // The first consumer never finishes its first batch (a node shutting down mid-batch).
    await first.consume(["md"], () => {
      calls++;
      return new Promise<void>(() => {});
    });
    await pub.send(records(0, 60));
    await waitFor(() => calls === 1, "the first consumer's first batch");
    await first.close();
    const second = transport({ ...over, nodeId: "s2", consume: ["md"], group: "g" });
    await second.connect();
    const got: number[] = [];
    await second.consume(["md"], async (batch) => {
      got.push(...tradeIds(batch));
    });
    await waitFor(() => got.length >= 60, "all 60 messages at the second consumer");
    // Redelivered in order (handed-back messages come before newer ones).
    expect(got).toEqual(Array.from({ length: 60 }, (_, i) => i));
  });

  it("a corrupt pack is dead-lettered whole with the reason, and the consumer keeps going", async () => {
    const ns = `n${++seq}-${process.pid}`;
    const subBus = new MessageBus();
    const sub = new BusBridge(
      config({ namespace: ns, nodeId: "s", consume: ["md"], group: "g" }),
      subBus,
      transportFor({ namespace: ns }, "s", true),
    );
    closers.push(() => sub.stop(500));
    const got: number[] = [];
    subBus.subscribe<TradeTick>("data.trades.*", (t) => got.push(Number(t.tradeId) - 100_000_000));
    await sub.start();
    const pub = transport({ nodeId: "p", namespace: ns, publish: ["md"] });
    await pub.connect();
    const nc = await connect({ servers: svc.url });
    closers.push(() => nc.close());
    const h = headers();
    h.set(PACK_HEADER, "2");
    // Claims two messages, but the first length runs past the end.
    await nc.jetstream().publish(`${ns}.md.0`, new Uint8Array([200, 0, 0, 0, 1, 2, 3]), { headers: h });
    await pub.send(records(0, 3)); // a good pack after it
    await waitFor(() => got.length === 3 && sub.stats().deadLettered === 1, "3 deliveries and 1 dead letter");
    expect(got).toEqual([0, 1, 2]);
    expect(sub.stats().deadLetterReasons).toEqual({ CODEC_TRUNCATED: 1 });
    const [letter] = await sub.readDeadLetters(10);
    expect([...letter.value]).toEqual([200, 0, 0, 0, 1, 2, 3]);
  });

  it("a negative publish acknowledgement fails the batch with the server's reason", async () => {
    const ns = `n${++seq}-${process.pid}`;
    const pub = transport({ nodeId: "p", namespace: ns, publish: ["md"] });
    await pub.connect();
    await pub.send(records(0, 5));
    // The 5 messages were stored as one pack; the stream now refuses new ones (discard new).
    const nc = await connect({ servers: svc.url });
    closers.push(() => nc.close());
    const jsm = await nc.jetstreamManager();
    await jsm.streams.update(pub.streamName("md"), { max_msgs: 1, discard: "new" as never });
    await expect(pub.send(records(5, 3))).rejects.toThrow(
      /JetStream rejected the message: .*maximum messages/i,
    );
    // A re-send of the stored pack is still acknowledged (de-duplicated by its message id).
    await expect(pub.send(records(0, 5))).resolves.toBeUndefined();
  });

  /** Five batches of 50 in flight (publishWindow 400), to a consuming bridge. */
  async function windowedPair(pubTransport?: (c: ReturnType<typeof config>) => JetStreamTransport) {
    const ns = `n${++seq}-${process.pid}`;
    const over = { namespace: ns, maxBatch: 50, nats: { publishWindow: 400, ackWaitMs: ACK_WAIT_MS } };
    const pubBus = new MessageBus();
    const subBus = new MessageBus();
    const pubConfig = config({
      ...over,
      nodeId: "p",
      publish: ["md"],
      backoff: { initialMs: 10, maxMs: 50 },
    });
    const pub = new BusBridge(
      pubConfig,
      pubBus,
      pubTransport?.(pubConfig) ?? new JetStreamTransport(pubConfig),
    );
    const sub = new BusBridge(
      config({ ...over, nodeId: "s", consume: ["md"], group: "g" }),
      subBus,
      transportFor(over, "s", true),
    );
    closers.push(() => pub.stop(500));
    closers.push(() => sub.stop(500));
    const got: number[] = [];
    subBus.subscribe<TradeTick>("data.trades.*", (t) => got.push(Number(t.tradeId) - 100_000_000));
    await pub.start();
    await sub.start();
    return { pub, sub, got };
  }

  it("keeps per-key order and loses nothing with several batches in flight", async () => {
    const { pub, got } = await windowedPair();
    const N = 2000;
    for (let i = 0; i < N; i++) pub.publish(Topics.trades(ID), sampleTrade(i));
    await pub.flush();
    expect(pub.stats()).toMatchObject({ sent: N, buffered: 0, sendFailures: 0 });
    await waitFor(() => got.length >= N, `${N} messages`);
    expect(got).toEqual(Array.from({ length: N }, (_, i) => i));
  });

  it("after a failed batch with others in flight, re-sends from the first unacknowledged one: nothing lost", async () => {
    /** Fails its second send outright (nothing published), like a batch lost on a dropped connection. */
    class FailSecondSend extends JetStreamTransport {
      calls = 0;
      override async send(batch: readonly OutboundRecord[]): Promise<void> {
        if (++this.calls === 2) throw new Error("injected send failure");
        return super.send(batch);
      }
    }
    let flaky: FailSecondSend | null = null;
    const { pub, sub, got } = await windowedPair((c) => {
      flaky = new FailSecondSend(c);
      return flaky;
    });
    const N = 1000;
    for (let i = 0; i < N; i++) pub.publish(Topics.trades(ID), sampleTrade(i));
    await pub.flush();
    expect((flaky as FailSecondSend | null)?.calls).toBeGreaterThan(N / 50);
    expect(pub.stats()).toMatchObject({ sent: N, buffered: 0, sendFailures: 1 });
    await waitFor(() => got.length >= N, `${N} messages`);
    // Batches stored before the failed one was re-sent come again: the server or the consumer's
    // event-id window drops them, so each message is delivered once.
    expect([...got].sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(sub.stats().delivered).toBe(N);
  });

  function transportFor(
    over: Partial<BridgeConfigInput> & { namespace: string },
    nodeId: string,
    consumer = false,
  ) {
    return new JetStreamTransport(
      config({ ...over, nodeId, ...(consumer ? { consume: ["md"], group: "g" } : { publish: ["md"] }) }),
    );
  }
});
