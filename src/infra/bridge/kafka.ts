/**
 * Kafka transport (kafkajs).
 *
 * - Each channel is the topic `<ns>.<channel>`; the partition is chosen from the message key
 *   (`partitionFor(key, partition count)`), so one instrument's messages stay in order.
 *   Dead letters go to `<ns>.dlq` with the reason in record headers.
 * - Consumers join the group `bridge.group`; Kafka assigns partitions and rebalances them when
 *   members join or leave. A batch's offset is resolved and committed only after the bridge
 *   has processed it, so a replacement consumer resumes from the last committed offset.
 * - Producers wait for all in-sync replicas (`kafka.acks`, default -1). No idempotent producer:
 *   retried batches may duplicate, and consumers drop duplicates by event id.
 * - Consecutive messages of one partition travel packed in one record (up to
 *   `kafka.messagesPerRecord`, header `bv6-pack`); offsets then count records, and a consumer's
 *   position names the message inside one as `<offset>#<n>`.
 */
import { CompressionTypes, type Consumer, Kafka, logLevel, type Message, type Producer } from "kafkajs";
import type { BridgeConfig } from "./config.js";
import { partitionFor } from "./config.js";
import type {
  BatchHandler,
  DeadLetter,
  InboundRecord,
  OutboundRecord,
  StoredDeadLetter,
  Transport,
} from "./transport.js";
import { packMessages, toBuffer, unpackMessages } from "./transport.js";

/** Header of a record that packs several messages (value: `[u32 length][message]...`). */
export const PACK_HEADER = "bv6-pack";

export class KafkaTransport implements Transport {
  private readonly cfg: BridgeConfig;
  private readonly kafka: Kafka;
  private producer: Producer | null = null;
  private consumer: Consumer | null = null;
  private readonly topicToChannel = new Map<string, string>();
  /** Partition count per topic, read at connect. */
  private readonly partitionCounts = new Map<string, number>();

  constructor(config: BridgeConfig) {
    this.cfg = config;
    this.kafka = new Kafka({
      clientId: config.nodeId,
      brokers: config.url.split(","),
      connectionTimeout: config.connectTimeoutMs,
      requestTimeout: 30_000,
      retry: { retries: 5, initialRetryTime: config.backoff.initialMs, maxRetryTime: config.backoff.maxMs },
      logLevel: logLevel.NOTHING,
    });
  }

  topicOf(channel: string): string {
    return `${this.cfg.namespace}.${channel}`;
  }

  get deadLetterTopic(): string {
    return `${this.cfg.namespace}.dlq`;
  }

  async connect(): Promise<void> {
    this.producer = this.kafka.producer({
      allowAutoTopicCreation: true,
      createPartitioner:
        () =>
        ({ partitionMetadata, message }) =>
          partitionFor(String(message.key ?? ""), partitionMetadata.length),
    });
    await this.producer.connect();
    // The broker creates topics on first use; create them now (a metadata request does it),
    // so a consumer that joins before the first message is sent is assigned their partitions.
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const topics = [...this.cfg.channels.map((c) => this.topicOf(c.name)), this.deadLetterTopic];
      const meta = await admin.fetchTopicMetadata({ topics });
      for (const t of meta.topics) this.partitionCounts.set(t.name, t.partitions.length);
    } finally {
      await admin.disconnect();
    }
  }

  /**
   * Sends the batch in one `sendBatch` (one produce request per broker). Messages of one
   * partition are packed, up to `kafka.messagesPerRecord` in order, into one record (header
   * `bv6-pack`), so the per-record cost of the client and the broker is paid once per pack.
   */
  async send(batch: readonly OutboundRecord[]): Promise<void> {
    const producer = this.must();
    const perRecord = this.cfg.kafka.messagesPerRecord;
    // topic -> partition -> messages in order (partition -1: unknown count, the partitioner decides)
    const byTopic = new Map<string, Map<number, OutboundRecord[]>>();
    for (const r of batch) {
      const topic = this.topicOf(r.channel);
      let parts = byTopic.get(topic);
      if (parts === undefined) {
        parts = new Map();
        byTopic.set(topic, parts);
      }
      const count = this.partitionCounts.get(topic);
      const p = count === undefined ? -1 : partitionFor(r.key, count);
      let list = parts.get(p);
      if (list === undefined) {
        list = [];
        parts.set(p, list);
      }
      list.push(r);
    }
    const topicMessages: { topic: string; messages: Message[] }[] = [];
    for (const [topic, parts] of byTopic) {
      const messages: Message[] = [];
      for (const [p, list] of parts) {
        if (p < 0 || perRecord === 1) {
          for (const r of list) messages.push({ key: r.key, value: toBuffer(r.value) });
          continue;
        }
        for (let i = 0; i < list.length; i += perRecord) {
          const n = Math.min(perRecord, list.length - i);
          if (n === 1) {
            messages.push({ key: list[i].key, value: toBuffer(list[i].value), partition: p });
            continue;
          }
          const values: Uint8Array[] = new Array(n);
          for (let k = 0; k < n; k++) values[k] = list[i + k].value;
          messages.push({
            key: list[i].key,
            value: packMessages(values),
            partition: p,
            headers: { [PACK_HEADER]: String(n) },
          });
        }
      }
      topicMessages.push({ topic, messages });
    }
    await producer.sendBatch({
      acks: this.cfg.kafka.acks,
      compression: CompressionTypes.None,
      topicMessages,
    });
  }

  async deadLetter(letter: DeadLetter): Promise<void> {
    await this.must().send({
      topic: this.deadLetterTopic,
      acks: this.cfg.kafka.acks,
      messages: [
        {
          key: `${letter.record.channel}:${letter.record.partition}`,
          value: toBuffer(letter.record.value),
          headers: {
            code: letter.code,
            reason: letter.reason,
            channel: letter.record.channel,
            partition: String(letter.record.partition),
            position: letter.record.position,
            attempts: String(letter.attempts),
            node: letter.nodeId,
          },
        },
      ],
    });
  }

  async consume(channels: readonly string[], handler: BatchHandler): Promise<void> {
    const consumer = this.kafka.consumer({
      groupId: this.cfg.group,
      sessionTimeout: this.cfg.kafka.sessionTimeoutMs,
      heartbeatInterval: this.cfg.kafka.heartbeatIntervalMs,
      rebalanceTimeout: this.cfg.kafka.sessionTimeoutMs,
      allowAutoTopicCreation: true,
      maxWaitTimeInMs: this.cfg.kafka.maxWaitMs,
      retry: {
        retries: 10,
        initialRetryTime: this.cfg.backoff.initialMs,
        maxRetryTime: this.cfg.backoff.maxMs,
      },
    });
    this.consumer = consumer;
    await consumer.connect();
    for (const ch of channels) {
      const topic = this.topicOf(ch);
      this.topicToChannel.set(topic, ch);
      await consumer.subscribe({ topic, fromBeginning: true });
    }
    await consumer.run({
      // Offsets are resolved only after the bridge processed a batch and committed at once
      // (threshold 1), through kafkajs's own commit path, which also handles rebalances.
      autoCommit: true,
      autoCommitThreshold: 1,
      eachBatchAutoResolve: false,
      eachBatch: async ({
        batch,
        resolveOffset,
        heartbeat,
        commitOffsetsIfNecessary,
        isRunning,
        isStale,
      }) => {
        if (batch.messages.length === 0 || !isRunning() || isStale()) return;
        const channel = this.topicToChannel.get(batch.topic) ?? batch.topic;
        const records: InboundRecord[] = [];
        for (const m of batch.messages) {
          if (m.value === null) continue;
          const values = m.headers?.[PACK_HEADER] === undefined ? null : unpackMessages(m.value);
          if (values === null) {
            // A single message, or a corrupt pack (dead-lettered whole, with the reason).
            records.push({ channel, partition: batch.partition, position: m.offset, value: m.value });
            continue;
          }
          for (let n = 0; n < values.length; n++) {
            records.push({
              channel,
              partition: batch.partition,
              position: `${m.offset}#${n}`,
              value: values[n],
            });
          }
        }
        await handler(records);
        resolveOffset(batch.messages[batch.messages.length - 1].offset);
        await commitOffsetsIfNecessary();
        await heartbeat();
      },
    });
  }

  async readDeadLetters(max: number): Promise<StoredDeadLetter[]> {
    const out: StoredDeadLetter[] = [];
    const admin = this.kafka.admin();
    await admin.connect();
    let ends: Map<number, bigint>;
    try {
      const offsets = await admin.fetchTopicOffsets(this.deadLetterTopic);
      ends = new Map(
        offsets.filter((o) => BigInt(o.high) > BigInt(o.low)).map((o) => [o.partition, BigInt(o.high)]),
      );
    } finally {
      await admin.disconnect();
    }
    if (ends.size === 0) return out;
    const reader = this.kafka.consumer({
      groupId: `${this.cfg.group}-dlq-reader-${process.pid}-${Date.now()}`,
      maxWaitTimeInMs: 100,
    });
    await reader.connect();
    try {
      await reader.subscribe({ topic: this.deadLetterTopic, fromBeginning: true });
      const done = new Set<number>();
      await reader.run({
        eachMessage: async ({ partition, message }) => {
          if (BigInt(message.offset) + 1n >= (ends.get(partition) ?? 0n)) done.add(partition);
          if (out.length >= max || message.value === null) return;
          const h = (k: string) => String(message.headers?.[k] ?? "");
          out.push({
            channel: h("channel"),
            partition: Number(h("partition")),
            position: h("position"),
            code: h("code"),
            reason: h("reason"),
            attempts: Number(h("attempts")),
            nodeId: h("node"),
            value: new Uint8Array(message.value),
          });
        },
      });
      const deadline = Date.now() + 20_000;
      while (out.length < max && done.size < ends.size && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      await reader.disconnect();
    }
    return out;
  }

  private must(): Producer {
    if (this.producer === null) throw new Error("kafka transport is not connected");
    return this.producer;
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect().catch(() => {});
    await this.producer?.disconnect().catch(() => {});
  }
}
