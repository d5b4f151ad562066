import { describe, expect, it } from "vitest";
import { MessageBus } from "../../core/bus.js";
import { type BridgeConfigInput, partitionFor, resolveBridgeConfig } from "./config.js";
import { BridgeError } from "./errors.js";
import { createBusBridge } from "./factory.js";

const base: BridgeConfigInput = {
  kind: "redis",
  url: "redis://127.0.0.1:6379",
  nodeId: "node-1",
  channels: [{ name: "market-data", topics: ["data.*"] }],
  publish: ["market-data"],
};

function settingOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(BridgeError);
    expect((e as BridgeError).code).toBe("BRIDGE_CONFIG_INVALID");
    return String((e as BridgeError).details.setting);
  }
  throw new Error("expected BRIDGE_CONFIG_INVALID");
}

describe("bridge configuration", () => {
  it("fills defaults", () => {
    const c = resolveBridgeConfig(base);
    expect(c).toMatchObject({
      namespace: "botv6",
      group: "botv6",
      partitions: 4,
      ownedPartitions: [0, 1, 2, 3],
      maxBufferedMessages: 100_000,
      overflow: "error",
      maxAttempts: 3,
      consume: [],
    });
  });

  it("packs 64 messages per engine entry and keeps one batch in flight by default", () => {
    const c = resolveBridgeConfig({ ...base, maxBatch: 300 });
    expect(c.redis.messagesPerEntry).toBe(64);
    expect(c.kafka.messagesPerRecord).toBe(64);
    expect(c.nats).toMatchObject({ messagesPerMessage: 64, publishWindow: 300 });
    const tuned = resolveBridgeConfig({ ...base, nats: { publishWindow: 20_000, messagesPerMessage: 1 } });
    expect(tuned.nats).toMatchObject({ publishWindow: 20_000, messagesPerMessage: 1 });
    expect(settingOf(() => resolveBridgeConfig({ ...base, nats: { publishWindow: 0 } }))).toBe(
      "bridge.nats.publishWindow",
    );
    expect(settingOf(() => resolveBridgeConfig({ ...base, kafka: { messagesPerRecord: 1.5 } }))).toBe(
      "bridge.kafka.messagesPerRecord",
    );
  });

  it("names the bad setting", () => {
    expect(settingOf(() => resolveBridgeConfig({ ...base, url: "http://localhost:6379" }))).toBe(
      "bridge.url",
    );
    expect(settingOf(() => resolveBridgeConfig({ ...base, url: "" }))).toBe("bridge.url");
    expect(settingOf(() => resolveBridgeConfig({ ...base, kind: "kafka", url: "kafka://broker" }))).toBe(
      "bridge.url",
    );
    expect(settingOf(() => resolveBridgeConfig({ ...base, kind: "nats", url: "redis://x:1" }))).toBe(
      "bridge.url",
    );
    expect(settingOf(() => resolveBridgeConfig({ ...base, kind: "zeromq" as never }))).toBe("bridge.kind");
    expect(settingOf(() => resolveBridgeConfig({ ...base, publish: ["nope"] }))).toBe("bridge.publish[0]");
    expect(
      settingOf(() => resolveBridgeConfig({ ...base, channels: [{ name: "A B", topics: ["x"] }] })),
    ).toBe("bridge.channels[0].name");
    expect(
      settingOf(() => resolveBridgeConfig({ ...base, channels: [{ name: "a", topics: [] }], publish: [] })),
    ).toBe("bridge.channels[0].topics");
    expect(settingOf(() => resolveBridgeConfig({ ...base, ownedPartitions: [4] }))).toBe(
      "bridge.ownedPartitions[0]",
    );
    expect(settingOf(() => resolveBridgeConfig({ ...base, maxBufferedMessages: 0 }))).toBe(
      "bridge.maxBufferedMessages",
    );
    expect(() => resolveBridgeConfig({ ...base, url: "http://localhost:6379" })).toThrow(
      /bridge\.url: scheme http: is not one of redis: rediss: for redis/,
    );
  });

  it("accepts Kafka broker lists with or without a scheme", () => {
    const c = resolveBridgeConfig({ ...base, kind: "kafka", url: "kafka://a:9092, b.example:9093" });
    expect(c.url).toBe("a:9092,b.example:9093");
  });

  it("partitions by a stable hash of the key", () => {
    expect(partitionFor("BTCUSDT.BINANCE", 4)).toBe(partitionFor("BTCUSDT.BINANCE", 4));
    const spread = new Set(Array.from({ length: 64 }, (_, i) => partitionFor(`SYM${i}.VENUE`, 4)));
    expect(spread.size).toBe(4);
  });
});

describe("a misconfigured broker URL", () => {
  for (const [kind, url] of [
    ["redis", "redis://127.0.0.1:1"],
    ["nats", "nats://127.0.0.1:1"],
    ["kafka", "127.0.0.1:1"],
  ] as const) {
    it(`fails ${kind} start with an error naming bridge.url, not a hang`, async () => {
      const bridge = createBusBridge({ ...base, kind, url, connectTimeoutMs: 1500 }, new MessageBus());
      const err = await bridge.start().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(BridgeError);
      expect((err as BridgeError).code).toBe("BRIDGE_CONNECT_FAILED");
      expect((err as BridgeError).message).toContain(`bridge.url=${url}`);
      expect((err as BridgeError).details.setting).toBe("bridge.url");
    });
  }
});
