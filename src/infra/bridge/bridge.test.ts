/**
 * The same delivery contract checked against each engine: a private broker is started when its
 * binary is installed (see src/infra/testing/services.ts).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { MessageBus } from "../../core/bus.js";
import { Topics } from "../../core/topics.js";
import type { TradeTick } from "../../model/data.js";
import type { OrderFilled } from "../../model/events.js";
import { InstrumentId } from "../../model/identifiers.js";
import { sampleMessages, sampleTrade } from "../codec/fixtures.js";
import { MessageCodec } from "../codec/index.js";
import { type ServiceHandle, type ServiceKind, startService } from "../testing/services.js";
import { describeService } from "../testing/vitest.js";
import { waitFor } from "../testing/wait.js";
import { BusBridge } from "./bridge.js";
import { type BridgeConfigInput, resolveBridgeConfig } from "./config.js";
import { createTransport } from "./factory.js";
import type { Transport } from "./transport.js";

const INSTRUMENTS = ["BTCUSDT.BINANCE", "ETHUSDT.BINANCE", "SOLUSDT.BINANCE"].map((s) =>
  InstrumentId.parse(s),
);
let seq = 0;

for (const kind of ["redis", "nats", "kafka"] as ServiceKind[]) {
  describeService(kind, `${kind} bus bridge`, () => {
    let svc: ServiceHandle;
    const bridges: BusBridge[] = [];

    beforeAll(async () => {
      svc = await startService(kind);
    }, 30_000);
    afterAll(async () => {
      for (const b of bridges) await b.stop(500).catch(() => {});
      await svc?.stop();
    });

    function make(
      bus: MessageBus,
      over: Partial<BridgeConfigInput> & { nodeId: string },
    ): { bridge: BusBridge; transport: Transport } {
      const config = resolveBridgeConfig({
        kind,
        url: svc.url,
        channels: [
          { name: "md", topics: ["data.*"] },
          { name: "ev", topics: ["events.*"] },
        ],
        redis: { blockMs: 50, claimIdleMs: 60_000 },
        ...over,
      });
      const transport = createTransport(config);
      const bridge = new BusBridge(config, bus, transport, { startTimeUs: 1 });
      bridges.push(bridge);
      return { bridge, transport };
    }

    it("carries chosen topics in per-instrument order and drops duplicate event ids", async () => {
      const ns = `t${++seq}-${process.pid}`;
      const pubBus = new MessageBus();
      const subBus = new MessageBus();
      const { bridge: pub } = make(pubBus, { nodeId: "data-1", namespace: ns, publish: ["md", "ev"] });
      const { bridge: sub } = make(subBus, {
        nodeId: "strategy-1",
        namespace: ns,
        consume: ["md", "ev"],
        group: "g1",
      });
      await pub.start();
      await sub.start();
      const got = new Map<string, number[]>();
      const fills: string[] = [];
      subBus.subscribe<TradeTick>("data.trades.*", (t) => {
        const list = got.get(t.instrumentId.value) ?? [];
        list.push(Number(t.tradeId));
        got.set(t.instrumentId.value, list);
      });
      subBus.subscribe<OrderFilled>("events.order.*", (e) => fills.push(e.eventId));
      const N = 200;
      for (let i = 0; i < N; i++) {
        for (const id of INSTRUMENTS) pubBus.publish(Topics.trades(id), sampleTrade(i, id));
      }
      const fill = sampleMessages().OrderFilled as OrderFilled;
      pubBus.publish("events.order.EMA", fill);
      pubBus.publish("events.order.EMA", fill); // same event id: delivered once
      pubBus.publish("events.other", fill); // another bridged topic, same event id: still once
      // A sentinel on the same key (BTC) as the fill, published after it.
      pubBus.publish(Topics.trades(INSTRUMENTS[0]), sampleTrade(N, INSTRUMENTS[0]));
      await pub.flush();
      await waitFor(() => (got.get(INSTRUMENTS[0].value)?.length ?? 0) === N + 1, "the sentinel trade");
      await waitFor(() => INSTRUMENTS.every((id) => (got.get(id.value)?.length ?? 0) >= N), "all trades");
      // The fill travels on another channel (another Kafka topic / stream): order across
      // channels is not guaranteed, so wait for it rather than relying on the sentinel.
      await waitFor(() => fills.length >= 1, "the fill");
      for (const [i, id] of INSTRUMENTS.entries()) {
        const expected = Array.from({ length: i === 0 ? N + 1 : N }, (_, k) => 100_000_000 + k);
        expect(got.get(id.value)).toEqual(expected);
      }
      expect(fills).toEqual([fill.eventId]);
      expect(pub.stats()).toMatchObject({ enqueued: 3 * N + 4, sent: 3 * N + 4, buffered: 0, dropped: 0 });
      expect(sub.stats().delivered).toBe(3 * N + 2);
    });

    it("dead-letters undecodable messages and failing handlings with the reason, and keeps going", async () => {
      const ns = `t${++seq}-${process.pid}`;
      const pubBus = new MessageBus();
      const subBus = new MessageBus();
      const { bridge: pub, transport } = make(pubBus, { nodeId: "data-2", namespace: ns, publish: ["md"] });
      const { bridge: sub } = make(subBus, {
        nodeId: "strategy-2",
        namespace: ns,
        consume: ["md"],
        maxAttempts: 3,
      });
      await pub.start();
      await sub.start();
      const id = INSTRUMENTS[1];
      const seen: string[] = [];
      let poisonCalls = 0;
      subBus.subscribe<TradeTick>("data.trades.*", (t) => {
        if (t.tradeId === String(100_000_001)) {
          poisonCalls++;
          throw new Error("strategy blew up");
        }
        seen.push(t.tradeId);
      });
      const codec = new MessageCodec();
      // A message of a future major version (3.0).
      const future = codec.encode(sampleTrade(5, id), { eventId: "v2", topic: Topics.trades(id) }).slice();
      future[2] = 3;
      const raw = (value: Uint8Array, eventId: string) => ({
        channel: "md",
        partition: 1,
        key: id.value,
        eventId,
        value,
      });
      await transport.send([raw(new TextEncoder().encode('{"not":"binary"}'), "garbage"), raw(future, "v2")]);
      pubBus.publish(Topics.trades(id), sampleTrade(0, id));
      pubBus.publish(Topics.trades(id), sampleTrade(1, id)); // poison
      pubBus.publish(Topics.trades(id), sampleTrade(2, id));
      await pub.flush();
      await waitFor(
        () => seen.length === 2 && sub.stats().deadLettered === 3,
        "2 deliveries and 3 dead letters",
      );
      expect(seen).toEqual([String(100_000_000), String(100_000_002)]);
      expect(poisonCalls).toBe(3);
      expect(sub.stats().deadLetterReasons).toEqual({
        CODEC_BAD_MAGIC: 1,
        CODEC_UNSUPPORTED_VERSION: 1,
        HANDLER_FAILED: 1,
      });
      const letters = await sub.readDeadLetters(10);
      expect(letters.map((l) => l.code).sort()).toEqual([
        "CODEC_BAD_MAGIC",
        "CODEC_UNSUPPORTED_VERSION",
        "HANDLER_FAILED",
      ]);
      const futureLetter = letters.find((l) => l.code === "CODEC_UNSUPPORTED_VERSION");
      expect(futureLetter?.reason).toMatch(/version 3\.0 is not supported/);
      expect(futureLetter?.value).toEqual(future);
      expect(letters.find((l) => l.code === "HANDLER_FAILED")?.reason).toMatch(
        /failed 3 times: strategy blew up/,
      );
    });

    it("bounds the outbound buffer: overflow throws (fail closed) or drops and counts", async () => {
      const bus = new MessageBus();
      const { bridge } = make(bus, {
        nodeId: "data-3",
        namespace: `t${++seq}-${process.pid}`,
        publish: ["md"],
        maxBufferedMessages: 50,
        overflow: "error",
      });
      await bridge.start();
      const id = INSTRUMENTS[2];
      // A synchronous burst: nothing can be sent before it ends, so the buffer fills.
      expect(() => {
        for (let i = 0; i < 100; i++) bus.publish(Topics.trades(id), sampleTrade(i, id));
      }).toThrow(/outbound buffer is full \(50 messages, bridge.maxBufferedMessages\)/);
      expect(bridge.stats()).toMatchObject({ buffered: 50, maxBuffered: 50, dropped: 1 });
      await bridge.flush();
      expect(bridge.stats()).toMatchObject({ buffered: 0, sent: 50 });
    });
  });
}
