/**
 * Bridge configuration: which engine, where it is, which bus topics travel, and the delivery
 * limits. {@link resolveBridgeConfig} fills defaults and validates; every error names the
 * setting (`bridge.url`, `bridge.channels[1].topics`, ...) and the bad value.
 */
import { BridgeError } from "./errors.js";

export type BridgeKind = "kafka" | "redis" | "nats";

/** A named stream of the external engine that carries a set of bus topics. */
export interface ChannelConfig {
  /** Stream name part: `[a-z0-9-]`, e.g. "market-data". */
  name: string;
  /** Bus topic names or wildcard patterns (`data.trades.*`) published to this channel. */
  topics: string[];
}

export interface BridgeConfigInput {
  kind: BridgeKind;
  /**
   * Kafka: `host:port[,host:port...]` (a `kafka://` prefix is allowed);
   * Redis: `redis://[user:pass@]host:port[/db]`; NATS: `nats://host:port[,nats://...]`.
   */
  url: string;
  /** This node's name: consumer name, and the prefix of generated market-data event ids. */
  nodeId: string;
  /** Prefix of every stream name, so several systems can share a broker. Default "botv6". */
  namespace?: string;
  /** Consumer group (Kafka group id, Redis group, NATS durable name). Default "botv6". */
  group?: string;
  channels: ChannelConfig[];
  /** Channels this node publishes into (default: none). */
  publish?: string[];
  /** Channels this node consumes and republishes on its bus (default: none). */
  consume?: string[];
  /** Partitions per channel (Redis streams / NATS subjects per channel). Kafka uses the topic's own count. Default 4. */
  partitions?: number;
  /** Partitions this node consumes (Redis/NATS); default all. Kafka assigns them by group rebalancing. */
  ownedPartitions?: number[] | null;
  /**
   * Unique per producer incarnation: market data has no event id of its own, so the bridge
   * issues `<producerId>:<seq>`. Default `<nodeId>.<start time in µs>`; set it explicitly for
   * reproducible ids in replays.
   */
  producerId?: string | null;
  /** Messages held for sending (including those in flight). Default 100 000. */
  maxBufferedMessages?: number;
  /** When the outbound buffer is full: throw to the publisher (fail closed) or drop and count. */
  overflow?: "error" | "drop";
  /** Messages per send to the broker. Default 5000. */
  maxBatch?: number;
  /** Event ids remembered for de-duplication. Default 100 000. */
  dedupCapacity?: number;
  /** Failed handlings of one message before it goes to the dead-letter stream. Default 3. */
  maxAttempts?: number;
  /** How long start() may take to reach the broker before failing. Default 5000 ms. */
  connectTimeoutMs?: number;
  backoff?: { initialMs?: number; maxMs?: number; seed?: number };
  redis?: {
    /** Entries kept per stream (`XADD MAXLEN ~`); an entry holds up to messagesPerEntry messages. Default 1 000 000. */
    maxLen?: number;
    /** Pending entries idle this long are taken over from a dead consumer (XAUTOCLAIM). Default 30 000. */
    claimIdleMs?: number;
    blockMs?: number;
    /** Entries per XREADGROUP. Default 2000. */
    readCount?: number;
    /** Messages packed into one stream entry when a batch has several for one stream. Default 64. */
    messagesPerEntry?: number;
  };
  nats?: {
    duplicateWindowMs?: number;
    /** Redelivery delay of an unacknowledged message (e.g. after its consumer died). Default 30 000. */
    ackWaitMs?: number;
    fetchMaxMessages?: number;
    /** Wait for a publish acknowledgement before retrying. Default 5000. */
    requestTimeoutMs?: number;
    /**
     * Most published messages awaiting their acknowledgement. Default maxBatch: one batch in
     * flight, like the other engines. A larger window keeps several batches in flight (more
     * throughput); if an earlier batch is then lost (a dropped connection) while a later one is
     * stored, the re-sent earlier messages land after the later ones: nothing is lost, but
     * per-key order is not kept across that failure.
     */
    publishWindow?: number;
    /**
     * Messages packed into one JetStream message when a batch has several for one partition
     * (1: one JetStream message per message). Default 64.
     */
    messagesPerMessage?: number;
    /** Messages kept per stream. Default 1 000 000. */
    maxMsgs?: number;
  };
  kafka?: {
    sessionTimeoutMs?: number;
    heartbeatIntervalMs?: number;
    acks?: -1 | 1;
    /** Longest a fetch waits for data (kafkajs maxWaitTimeInMs). Default 200; lower for latency. */
    maxWaitMs?: number;
    /**
     * Messages packed into one Kafka record when a batch has several for one partition
     * (1: one record per message). Default 64.
     */
    messagesPerRecord?: number;
  };
}

export interface BridgeConfig {
  readonly kind: BridgeKind;
  readonly url: string;
  readonly nodeId: string;
  readonly namespace: string;
  readonly group: string;
  readonly channels: readonly ChannelConfig[];
  readonly publish: readonly string[];
  readonly consume: readonly string[];
  readonly partitions: number;
  readonly ownedPartitions: readonly number[];
  readonly producerId: string | null;
  readonly maxBufferedMessages: number;
  readonly overflow: "error" | "drop";
  readonly maxBatch: number;
  readonly dedupCapacity: number;
  readonly maxAttempts: number;
  readonly connectTimeoutMs: number;
  readonly backoff: { initialMs: number; maxMs: number; seed: number };
  readonly redis: {
    maxLen: number;
    claimIdleMs: number;
    blockMs: number;
    readCount: number;
    messagesPerEntry: number;
  };
  readonly nats: {
    duplicateWindowMs: number;
    ackWaitMs: number;
    fetchMaxMessages: number;
    requestTimeoutMs: number;
    publishWindow: number;
    messagesPerMessage: number;
    maxMsgs: number;
  };
  readonly kafka: {
    sessionTimeoutMs: number;
    heartbeatIntervalMs: number;
    acks: -1 | 1;
    maxWaitMs: number;
    messagesPerRecord: number;
  };
}

function invalid(setting: string, reason: string, value: unknown): BridgeError {
  return new BridgeError(
    "BRIDGE_CONFIG_INVALID",
    `bridge.${setting}: ${reason} (got ${JSON.stringify(value)})`,
    {
      setting: `bridge.${setting}`,
    },
  );
}

function posInt(setting: string, v: unknown, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
    throw invalid(setting, `must be an integer >= ${min}`, v);
  }
  return v;
}

const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Checks the URL's form for the engine; the connection itself is tried by `start()`. */
export function checkUrl(kind: BridgeKind, url: unknown): string {
  if (typeof url !== "string" || url.trim() === "") throw invalid("url", "is required", url);
  if (kind === "kafka") {
    const brokers = url.split(",").map((b) => b.trim().replace(/^kafka:\/\//, ""));
    for (const b of brokers) {
      if (!/^[A-Za-z0-9.-]+:\d{1,5}$/.test(b) || Number(b.split(":").pop()) > 65535) {
        throw invalid("url", `Kafka broker "${b}" must be host:port`, url);
      }
    }
    return brokers.join(",");
  }
  const schemes = kind === "redis" ? ["redis:", "rediss:"] : ["nats:", "tls:", "ws:", "wss:"];
  for (const part of kind === "nats" ? url.split(",") : [url]) {
    let u: URL;
    try {
      u = new URL(part.trim());
    } catch {
      throw invalid("url", `"${part}" is not a URL (expected ${schemes[0]}//host:port)`, url);
    }
    if (!schemes.includes(u.protocol)) {
      throw invalid("url", `scheme ${u.protocol} is not one of ${schemes.join(" ")} for ${kind}`, url);
    }
    if (u.hostname === "") throw invalid("url", "has no host", url);
  }
  return url.trim();
}

export function resolveBridgeConfig(input: BridgeConfigInput): BridgeConfig {
  if (!["kafka", "redis", "nats"].includes(input.kind)) {
    throw invalid("kind", "must be kafka, redis or nats", input.kind);
  }
  const url = checkUrl(input.kind, input.url);
  if (typeof input.nodeId !== "string" || !/^[A-Za-z0-9._-]{1,64}$/.test(input.nodeId)) {
    throw invalid("nodeId", "must be 1-64 characters of A-Z a-z 0-9 . _ -", input.nodeId);
  }
  const namespace = input.namespace ?? "botv6";
  if (!NAME.test(namespace)) throw invalid("namespace", "must match [a-z0-9][a-z0-9-]*", namespace);
  const group = input.group ?? "botv6";
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(group))
    throw invalid("group", "must be 1-64 characters of A-Z a-z 0-9 _ -", group);
  if (!Array.isArray(input.channels)) throw invalid("channels", "must be a list", input.channels);
  const names = new Set<string>();
  input.channels.forEach((c, i) => {
    if (!NAME.test(c?.name ?? ""))
      throw invalid(`channels[${i}].name`, "must match [a-z0-9][a-z0-9-]*", c?.name);
    if (names.has(c.name)) throw invalid(`channels[${i}].name`, "is used twice", c.name);
    names.add(c.name);
    if (
      !Array.isArray(c.topics) ||
      c.topics.length === 0 ||
      c.topics.some((t) => typeof t !== "string" || t === "")
    ) {
      throw invalid(`channels[${i}].topics`, "must be a non-empty list of topic names or patterns", c.topics);
    }
  });
  const publish = input.publish ?? [];
  const consume = input.consume ?? [];
  for (const [setting, list] of [
    ["publish", publish],
    ["consume", consume],
  ] as const) {
    list.forEach((n, i) => {
      if (!names.has(n))
        throw invalid(`${setting}[${i}]`, `is not a configured channel (${[...names].join(", ")})`, n);
    });
  }
  const partitions = posInt("partitions", input.partitions, 4);
  const owned = input.ownedPartitions ?? null;
  let ownedPartitions: number[];
  if (owned === null) ownedPartitions = Array.from({ length: partitions }, (_, i) => i);
  else {
    if (!Array.isArray(owned) || owned.length === 0)
      throw invalid("ownedPartitions", "must be a non-empty list", owned);
    owned.forEach((p, i) => {
      if (!Number.isInteger(p) || p < 0 || p >= partitions) {
        throw invalid(`ownedPartitions[${i}]`, `must be a partition in 0..${partitions - 1}`, p);
      }
    });
    ownedPartitions = [...new Set(owned)].sort((a, b) => a - b);
  }
  const overflow = input.overflow ?? "error";
  if (overflow !== "error" && overflow !== "drop")
    throw invalid("overflow", 'must be "error" or "drop"', overflow);
  const b = input.backoff ?? {};
  const backoff = {
    initialMs: posInt("backoff.initialMs", b.initialMs, 100),
    maxMs: posInt("backoff.maxMs", b.maxMs, 10_000),
    seed: b.seed ?? 1,
  };
  if (!Number.isSafeInteger(backoff.seed)) throw invalid("backoff.seed", "must be an integer", b.seed);
  const r = input.redis ?? {};
  const n = input.nats ?? {};
  const k = input.kafka ?? {};
  const acks = k.acks ?? -1;
  if (acks !== -1 && acks !== 1) throw invalid("kafka.acks", "must be -1 (all in-sync replicas) or 1", acks);
  const producerId = input.producerId ?? null;
  if (producerId !== null && (typeof producerId !== "string" || !/^[A-Za-z0-9._-]{1,64}$/.test(producerId))) {
    throw invalid("producerId", "must be 1-64 characters of A-Z a-z 0-9 . _ -", producerId);
  }
  const maxBatch = posInt("maxBatch", input.maxBatch, 5000);
  return {
    kind: input.kind,
    url,
    nodeId: input.nodeId,
    namespace,
    group,
    channels: input.channels.map((c) => ({ name: c.name, topics: [...c.topics] })),
    publish: [...publish],
    consume: [...consume],
    partitions,
    ownedPartitions,
    producerId,
    maxBufferedMessages: posInt("maxBufferedMessages", input.maxBufferedMessages, 100_000),
    overflow,
    maxBatch,
    dedupCapacity: posInt("dedupCapacity", input.dedupCapacity, 100_000),
    maxAttempts: posInt("maxAttempts", input.maxAttempts, 3),
    connectTimeoutMs: posInt("connectTimeoutMs", input.connectTimeoutMs, 5000),
    backoff,
    redis: {
      maxLen: posInt("redis.maxLen", r.maxLen, 1_000_000),
      claimIdleMs: posInt("redis.claimIdleMs", r.claimIdleMs, 30_000),
      blockMs: posInt("redis.blockMs", r.blockMs, 200),
      readCount: posInt("redis.readCount", r.readCount, 2000),
      messagesPerEntry: posInt("redis.messagesPerEntry", r.messagesPerEntry, 64),
    },
    nats: {
      duplicateWindowMs: posInt("nats.duplicateWindowMs", n.duplicateWindowMs, 120_000),
      ackWaitMs: posInt("nats.ackWaitMs", n.ackWaitMs, 30_000),
      fetchMaxMessages: posInt("nats.fetchMaxMessages", n.fetchMaxMessages, 2000),
      requestTimeoutMs: posInt("nats.requestTimeoutMs", n.requestTimeoutMs, 5000),
      publishWindow: posInt("nats.publishWindow", n.publishWindow, maxBatch),
      messagesPerMessage: posInt("nats.messagesPerMessage", n.messagesPerMessage, 64),
      maxMsgs: posInt("nats.maxMsgs", n.maxMsgs, 1_000_000),
    },
    kafka: {
      sessionTimeoutMs: posInt("kafka.sessionTimeoutMs", k.sessionTimeoutMs, 10_000),
      heartbeatIntervalMs: posInt("kafka.heartbeatIntervalMs", k.heartbeatIntervalMs, 1000),
      acks,
      maxWaitMs: posInt("kafka.maxWaitMs", k.maxWaitMs, 200),
      messagesPerRecord: posInt("kafka.messagesPerRecord", k.messagesPerRecord, 64),
    },
  };
}

/** A stable hash of a partition key (FNV-1a over UTF-16 code units). */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export function partitionFor(key: string, partitions: number): number {
  return hashKey(key) % partitions;
}
