/**
 * Builds the bus bridge the configuration asks for: one {@link BusBridge} over a Kafka, Redis
 * Streams or NATS JetStream transport.
 */
import type { MessageBus } from "../../core/bus.js";
import { BusBridge, type BusBridgeOptions } from "./bridge.js";
import { type BridgeConfig, type BridgeConfigInput, resolveBridgeConfig } from "./config.js";
import { KafkaTransport } from "./kafka.js";
import { JetStreamTransport } from "./nats.js";
import { RedisStreamsTransport } from "./redis.js";
import type { Transport } from "./transport.js";

export function createTransport(config: BridgeConfig): Transport {
  switch (config.kind) {
    case "kafka":
      return new KafkaTransport(config);
    case "redis":
      return new RedisStreamsTransport(config);
    case "nats":
      return new JetStreamTransport(config);
  }
}

/** Validates `input` (errors name the setting) and returns an unstarted bridge. */
export function createBusBridge(
  input: BridgeConfigInput,
  bus: MessageBus,
  options: BusBridgeOptions = {},
): BusBridge {
  const config = resolveBridgeConfig(input);
  return new BusBridge(config, bus, createTransport(config), options);
}
