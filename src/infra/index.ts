/**
 * Infrastructure at the edge of the system: the versioned wire codec, bus bridges (Kafka,
 * Redis Streams, NATS JetStream), the Redis cache with rate limits and the fenced lock, and the
 * role scaffolding of multi-process deployments. See docs/deployment.md.
 */
export * from "./bridge/index.js";
export * from "./cache/index.js";
export * from "./codec/index.js";
export {
  NODE_ROLES,
  type NodePlan,
  type NodePlanInput,
  type NodeRole,
  planNode,
  STANDARD_CHANNELS,
} from "./node/roles.js";
