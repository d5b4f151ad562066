/**
 * NATS JetStream transport (nats.js).
 *
 * - Each channel is a stream `<NS>_<CHANNEL>` over subjects `<ns>.<channel>.<partition>`, file
 *   storage. Messages are published with their event id as `Nats-Msg-Id`, so the server drops a
 *   re-sent message within `nats.duplicateWindowMs`; publishing is asynchronous with a window of
 *   one batch of acknowledgements in flight.
 * - Consumers are durable pull consumers, one per owned partition
 *   (`<group>-<channel>-p<partition>`, filtered to that partition's subject, explicit acks), so
 *   one key's messages are processed in order and a restarted node resumes where its durable
 *   consumer stopped. Dead letters go to the stream `<NS>_DLQ` with the reason in headers.
 * - The client reconnects forever with the bridge's seeded backoff.
 */
import {
  AckPolicy,
  connect,
  DeliverPolicy,
  headers,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type NatsConnection,
  nanos,
  StorageType,
} from "nats";
import { Backoff } from "./backoff.js";
import type { BridgeConfig } from "./config.js";
import type {
  BatchHandler,
  DeadLetter,
  InboundRecord,
  OutboundRecord,
  StoredDeadLetter,
  Transport,
} from "./transport.js";

export class JetStreamTransport implements Transport {
  private readonly cfg: BridgeConfig;
  private nc: NatsConnection | null = null;
  private js: JetStreamClient | null = null;
  private jsm: JetStreamManager | null = null;
  private closed = false;
  private loops: Promise<void>[] = [];
  private readonly backoff: Backoff;
  private readonly ensured = new Set<string>();
  reconnects = 0;

  constructor(config: BridgeConfig) {
    this.cfg = config;
    this.backoff = new Backoff({ ...config.backoff, seed: config.backoff.seed + 104_729 });
  }

  streamName(channel: string): string {
    return `${this.cfg.namespace}_${channel}`.toUpperCase().replace(/-/g, "_");
  }

  subject(channel: string, partition: number): string {
    return `${this.cfg.namespace}.${channel}.${partition}`;
  }

  async connect(): Promise<void> {
    const reconnectBackoff = new Backoff({ ...this.cfg.backoff, seed: this.cfg.backoff.seed + 31 });
    this.nc = await connect({
      servers: this.cfg.url.split(","),
      name: this.cfg.nodeId,
      timeout: this.cfg.connectTimeoutMs,
      reconnect: true,
      maxReconnectAttempts: -1,
      reconnectDelayHandler: () => reconnectBackoff.next(),
    });
    void (async () => {
      for await (const s of (this.nc as NatsConnection).status()) {
        if (s.type === "reconnect") {
          this.reconnects++;
          reconnectBackoff.reset();
        }
      }
    })().catch(() => {});
    this.jsm = await this.nc.jetstreamManager({ timeout: this.cfg.connectTimeoutMs });
    this.js = this.nc.jetstream({ timeout: this.cfg.nats.requestTimeoutMs });
    for (const ch of this.cfg.channels)
      await this.ensureStream(this.streamName(ch.name), [`${this.cfg.namespace}.${ch.name}.*`]);
    await this.ensureStream(this.dlqStream, [`${this.cfg.namespace}.dlq`]);
  }

  get dlqStream(): string {
    return `${this.cfg.namespace}_DLQ`.toUpperCase().replace(/-/g, "_");
  }

  private async ensureStream(name: string, subjects: string[]): Promise<void> {
    if (this.ensured.has(name)) return;
    const jsm = this.mustJsm();
    try {
      await jsm.streams.info(name);
    } catch {
      await jsm.streams.add({
        name,
        subjects,
        storage: StorageType.File,
        duplicate_window: nanos(this.cfg.nats.duplicateWindowMs),
        max_msgs: this.cfg.nats.maxMsgs,
      });
    }
    this.ensured.add(name);
  }

  async send(batch: readonly OutboundRecord[]): Promise<void> {
    const js = this.mustJs();
    const acks = new Array<Promise<unknown>>(batch.length);
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i];
      acks[i] = js.publish(this.subject(r.channel, r.partition), r.value, { msgID: r.eventId });
    }
    const results = await Promise.allSettled(acks);
    for (const res of results) if (res.status === "rejected") throw res.reason;
  }

  async deadLetter(letter: DeadLetter): Promise<void> {
    const h = headers();
    const clean = (s: string) => s.replace(/[\r\n]+/g, " ").slice(0, 4000);
    h.set("code", clean(letter.code));
    h.set("reason", clean(letter.reason));
    h.set("channel", letter.record.channel);
    h.set("partition", String(letter.record.partition));
    h.set("position", letter.record.position);
    h.set("attempts", String(letter.attempts));
    h.set("node", letter.nodeId);
    await this.mustJs().publish(`${this.cfg.namespace}.dlq`, letter.record.value, { headers: h });
  }

  async readDeadLetters(max: number): Promise<StoredDeadLetter[]> {
    const jsm = this.mustJsm();
    const info = await jsm.streams.info(this.dlqStream);
    const out: StoredDeadLetter[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && out.length < max; seq++) {
      let m: Awaited<ReturnType<typeof jsm.streams.getMessage>>;
      try {
        m = await jsm.streams.getMessage(this.dlqStream, { seq });
      } catch {
        continue;
      }
      const h = (k: string) => m.header?.get(k) ?? "";
      out.push({
        channel: h("channel"),
        partition: Number(h("partition")),
        position: h("position"),
        code: h("code"),
        reason: h("reason"),
        attempts: Number(h("attempts")),
        nodeId: h("node"),
        value: m.data,
      });
    }
    return out;
  }

  async consume(channels: readonly string[], handler: BatchHandler): Promise<void> {
    const jsm = this.mustJsm();
    for (const channel of channels) {
      const stream = this.streamName(channel);
      for (const partition of this.cfg.ownedPartitions) {
        const durable = `${this.cfg.group}-${channel}-p${partition}`;
        try {
          await jsm.consumers.info(stream, durable);
        } catch {
          await jsm.consumers.add(stream, {
            durable_name: durable,
            filter_subject: this.subject(channel, partition),
            ack_policy: AckPolicy.Explicit,
            deliver_policy: DeliverPolicy.All,
            ack_wait: nanos(this.cfg.nats.ackWaitMs),
            max_ack_pending: this.cfg.nats.fetchMaxMessages * 4,
          });
        }
        this.loops.push(this.fetchLoop(stream, durable, channel, partition, handler));
      }
    }
  }

  private async fetchLoop(
    stream: string,
    durable: string,
    channel: string,
    partition: number,
    handler: BatchHandler,
  ): Promise<void> {
    const backoff = new Backoff({ ...this.cfg.backoff, seed: this.cfg.backoff.seed + partition });
    while (!this.closed) {
      try {
        const consumer = await this.mustJs().consumers.get(stream, durable);
        while (!this.closed) {
          // Note: a fetch that expires while messages are in flight loses them to this client
          // until the server redelivers them after nats.ackWaitMs (at-least-once still holds).
          const iter = await consumer.fetch({ max_messages: this.cfg.nats.fetchMaxMessages, expires: 1000 });
          const msgs: JsMsg[] = [];
          for await (const m of iter) msgs.push(m);
          if (msgs.length === 0) continue;
          const batch: InboundRecord[] = msgs.map((m) => ({
            channel,
            partition,
            position: String(m.seq),
            value: m.data,
          }));
          await handler(batch);
          for (const m of msgs) m.ack();
          // A flush round-trip proves the server has processed the acks (it handles a
          // connection's messages in order) without one request per message.
          await this.mustNc().flush();
          backoff.reset();
        }
      } catch {
        if (this.closed) break;
        await new Promise((r) => setTimeout(r, backoff.next()));
      }
    }
  }

  private mustNc(): NatsConnection {
    if (this.nc === null) throw new Error("nats transport is not connected");
    return this.nc;
  }

  private mustJs(): JetStreamClient {
    if (this.js === null) throw new Error("nats transport is not connected");
    return this.js;
  }

  private mustJsm(): JetStreamManager {
    if (this.jsm === null) throw new Error("nats transport is not connected");
    return this.jsm;
  }

  async close(): Promise<void> {
    this.closed = true;
    const nc = this.nc;
    if (nc !== null && !nc.isClosed()) {
      await Promise.race([Promise.allSettled(this.loops), new Promise((r) => setTimeout(r, 1500))]);
      await nc.close().catch(() => {});
    }
  }
}
