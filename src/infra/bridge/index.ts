/** Bus bridges: chosen topics of the in-process bus over Kafka, Redis Streams or NATS JetStream. */
export { type BridgeStats, BusBridge, type BusBridgeOptions } from "./bridge.js";
export {
  type BridgeConfig,
  type BridgeConfigInput,
  type BridgeKind,
  type ChannelConfig,
  partitionFor,
  resolveBridgeConfig,
} from "./config.js";
export { BridgeError } from "./errors.js";
export { createBusBridge, createTransport } from "./factory.js";
export type { DeadLetter, InboundRecord, OutboundRecord, StoredDeadLetter, Transport } from "./transport.js";
