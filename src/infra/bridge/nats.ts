/**
 * NATS JetStream transport (nats.js).
 *
 * - Each channel is a stream `<NS>_<CHANNEL>` over subjects `<ns>.<channel>.<partition>`, file
 *   storage. Messages are published with their event id as `Nats-Msg-Id`, so the server drops a
 *   re-sent message within `nats.duplicateWindowMs`. Publishing is asynchronous: the
 *   acknowledgements come back on one shared inbox (no request, promise or timer per message).
 *   The bridge keeps up to `nats.publishWindow` messages unacknowledged (default one batch;
 *   more keeps several batches in flight, and a failed batch is re-sent with everything after
 *   it, the server dropping what it already stored).
 * - Consumers are durable pull consumers, one per owned partition
 *   (`<group>-<channel>-p<partition>`, filtered to that partition's subject, explicit acks), read
 *   with a continuous pull subscription, so one key's messages are processed in order and a
 *   restarted node resumes where its durable consumer stopped. Unprocessed messages are handed
 *   back (nak) on close; a consumer that dies leaves them to the server's redelivery after
 *   `nats.ackWaitMs`. Dead letters go to the stream `<NS>_DLQ` with the reason in headers.
 * - The client reconnects forever with the bridge's seeded backoff.
 */
import {
  AckPolicy,
  type ConsumerInfo,
  type ConsumerMessages,
  connect,
  createInbox,
  DeliverPolicy,
  headers,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type Msg,
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
import { packMessages, toBuffer, unpackMessages } from "./transport.js";

export class JetStreamTransport implements Transport {
  private readonly cfg: BridgeConfig;
  private nc: NatsConnection | null = null;
  private js: JetStreamClient | null = null;
  private jsm: JetStreamManager | null = null;
  private closed = false;
  private loops: Promise<void>[] = [];
  private readonly backoff: Backoff;
  private readonly ensured = new Set<string>();
  /** Reply subjects of publish acknowledgements are `<ackPrefix>.<token>`. */
  private ackPrefix = "";
  private nextToken = 1;
  private readonly windows: PublishWindow[] = [];
  private readonly inboxes: MessageInbox[] = [];
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
    this.ackPrefix = createInbox();
    this.nc.subscribe(`${this.ackPrefix}.*`, { callback: (_err, m) => this.onPublishAck(m) });
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

  /**
   * Publishes the batch asynchronously: every JetStream message goes out at once with its own
   * reply subject on one shared acknowledgement inbox (no request object, promise or timer per
   * message), and the batch resolves when the stream has acknowledged all of them. It rejects on
   * the first negative acknowledgement, or when no acknowledgement arrived for
   * `nats.requestTimeoutMs`; the bridge then re-sends the batch, and the server drops the
   * copies it already stored (`Nats-Msg-Id`), so the stream keeps their order.
   *
   * Consecutive messages of one partition are packed, up to `nats.messagesPerMessage`, into one
   * JetStream message (header `Bv6-Pack`, id `<first event id>+<count>`): the server's
   * per-message cost (store, de-duplication, acknowledgement) is paid once per pack.
   */
  async send(batch: readonly OutboundRecord[]): Promise<void> {
    if (batch.length === 0) return;
    const nc = this.mustNc();
    const perMessage = this.cfg.nats.messagesPerMessage;
    const units: { subject: string; value: Uint8Array; msgId: string; count: number }[] = [];
    if (perMessage === 1) {
      for (const r of batch) {
        units.push({
          subject: this.subject(r.channel, r.partition),
          value: r.value,
          msgId: r.eventId,
          count: 1,
        });
      }
    } else {
      const bySubject = new Map<string, OutboundRecord[]>();
      for (const r of batch) {
        const subject = this.subject(r.channel, r.partition);
        let list = bySubject.get(subject);
        if (list === undefined) {
          list = [];
          bySubject.set(subject, list);
        }
        list.push(r);
      }
      for (const [subject, list] of bySubject) {
        for (let i = 0; i < list.length; i += perMessage) {
          const n = Math.min(perMessage, list.length - i);
          if (n === 1) {
            units.push({ subject, value: list[i].value, msgId: list[i].eventId, count: 1 });
            continue;
          }
          const values: Uint8Array[] = new Array(n);
          for (let k = 0; k < n; k++) values[k] = list[i + k].value;
          units.push({ subject, value: packMessages(values), msgId: `${list[i].eventId}+${n}`, count: n });
        }
      }
    }
    const n = units.length;
    const first = this.nextToken;
    this.nextToken += n;
    const w = new PublishWindow(first, n);
    this.windows.push(w);
    const prefix = `${this.ackPrefix}.`;
    try {
      for (let i = 0; i < n; i++) {
        const u = units[i];
        const h = headers();
        h.set("Nats-Msg-Id", u.msgId);
        if (u.count > 1) h.set(PACK_HEADER, String(u.count));
        nc.publish(u.subject, u.value, { reply: prefix + (first + i), headers: h });
      }
      w.watch(this.cfg.nats.requestTimeoutMs);
      await w.done;
    } finally {
      w.dispose();
      const i = this.windows.indexOf(w);
      if (i >= 0) this.windows.splice(i, 1);
    }
  }

  /** Publishes a window of several batches (the bridge keeps at most this many messages unacknowledged). */
  get maxInFlightMessages(): number {
    return this.cfg.nats.publishWindow;
  }

  private onPublishAck(m: Msg): void {
    const subject = m.subject;
    const token = Number(subject.slice(subject.lastIndexOf(".") + 1));
    for (const w of this.windows) {
      if (token >= w.first && token < w.first + w.size) {
        w.ack(token - w.first, publishAckError(m));
        return;
      }
    }
    // The acknowledgement of a batch that already failed (and will be re-sent): ignored.
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
    const ackWait = nanos(this.cfg.nats.ackWaitMs);
    for (const channel of channels) {
      const stream = this.streamName(channel);
      for (const partition of this.cfg.ownedPartitions) {
        const durable = `${this.cfg.group}-${channel}-p${partition}`;
        let info: ConsumerInfo | null = null;
        try {
          info = await jsm.consumers.info(stream, durable);
        } catch {
          await jsm.consumers.add(stream, {
            durable_name: durable,
            filter_subject: this.subject(channel, partition),
            ack_policy: AckPolicy.Explicit,
            deliver_policy: DeliverPolicy.All,
            ack_wait: ackWait,
            // Counts JetStream messages (packs of up to messagesPerMessage): ~4 batches.
            max_ack_pending: Math.max(
              64,
              Math.ceil((this.cfg.nats.fetchMaxMessages * 4) / this.cfg.nats.messagesPerMessage),
            ),
          });
        }
        if (info !== null && info.config.ack_wait !== ackWait) {
          // A durable made with another nats.ackWaitMs: the configured redelivery delay wins.
          await jsm.consumers.update(stream, durable, { ack_wait: ackWait });
        }
        this.loops.push(this.consumeLoop(stream, durable, channel, partition, handler));
      }
    }
  }

  /**
   * One partition's consumer: a continuous pull subscription (`consume`), so a message the
   * server delivers while a pull request is being renewed still arrives (a one-shot `fetch`
   * that expired would drop it, and the server would redeliver it only after
   * `nats.ackWaitMs`). Messages are handled in batches of up to `nats.fetchMaxMessages`, in
   * order, and acknowledged after the bridge processed them. A batch the bridge could not
   * process is retried from the messages held here (after a backoff), not left to the ack
   * wait. On close, messages received but not processed are negatively acknowledged (after the
   * closed subscription's pull requests expired), so the next consumer of the durable gets them
   * at once, in order, instead of after `nats.ackWaitMs`.
   */
  private async consumeLoop(
    stream: string,
    durable: string,
    channel: string,
    partition: number,
    handler: BatchHandler,
  ): Promise<void> {
    const backoff = new Backoff({ ...this.cfg.backoff, seed: this.cfg.backoff.seed + partition });
    const max = this.cfg.nats.fetchMaxMessages;
    const inbox = new MessageInbox();
    this.inboxes.push(inbox);
    while (!this.closed) {
      let messages: ConsumerMessages | null = null;
      try {
        const consumer = await this.mustJs().consumers.get(stream, durable);
        const pull = Math.max(16, Math.ceil((max * 2) / this.cfg.nats.messagesPerMessage));
        messages = await consumer.consume({
          max_messages: Math.min(max, pull),
          expires: PULL_EXPIRES_MS,
          callback: (m) => inbox.push(m),
        });
        inbox.messages = messages;
        if (this.closed) break;
        const ended = messages.closed().then(
          () => "ended" as const,
          () => "ended" as const,
        );
        while (!this.closed) {
          if (inbox.size === 0 && (await Promise.race([inbox.next(), ended])) === "ended") break;
          const msgs = inbox.takeMessages(max);
          if (msgs.length === 0) continue;
          inbox.current = msgs;
          const batch: InboundRecord[] = [];
          for (const m of msgs) {
            const values = packCount(m) > 1 ? unpackMessages(toBuffer(m.data)) : null;
            if (values === null) {
              // A single message, or a corrupt pack (dead-lettered whole, with the reason).
              batch.push({ channel, partition, position: String(m.seq), value: m.data });
              continue;
            }
            for (let k = 0; k < values.length; k++) {
              batch.push({ channel, partition, position: `${m.seq}#${k}`, value: values[k] });
            }
          }
          for (;;) {
            try {
              await handler(batch);
              break;
            } catch {
              if (this.closed) break;
              // Keep the messages (and their order): tell the server they are being worked on
              // so it does not redeliver them meanwhile, and retry after a backoff.
              await new Promise((r) => setTimeout(r, backoff.next()));
              for (const m of msgs) m.working();
            }
          }
          if (this.closed) break;
          inbox.current = null;
          for (const m of msgs) m.ack();
          // A flush round-trip proves the server has processed the acks (it handles a
          // connection's messages in order) without one request per message.
          await this.mustNc().flush();
          backoff.reset();
        }
      } catch {
        if (this.closed) break;
        await new Promise((r) => setTimeout(r, backoff.next()));
      } finally {
        messages?.stop();
      }
    }
    // Messages still held are handed back by close(), once the server has dropped this
    // subscription's pull requests.
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
    // Unsubscribe first: messages handed back below must not be redelivered to this client.
    // The connection keeps order, so the server sees the unsubscribe before any nak.
    for (const inbox of this.inboxes) {
      inbox.messages?.stop();
      inbox.wakeUp();
    }
    for (const w of this.windows) w.fail(new Error("nats transport closed"));
    const nc = this.nc;
    if (nc !== null && !nc.isClosed()) {
      await nc.flush().catch(() => {});
      await Promise.race([Promise.allSettled(this.loops), new Promise((r) => setTimeout(r, 1500))]);
      if (this.inboxes.some((i) => i.held > 0)) {
        // The server may still hold pull requests of the closed subscriptions and would hand a
        // redelivered message to one (lost until the ack wait): let them expire first.
        await new Promise((r) => setTimeout(r, PULL_EXPIRES_MS + 250));
      }
      for (const inbox of this.inboxes) inbox.handBack();
      // Sends the negative acknowledgements of unprocessed messages before disconnecting.
      await nc.flush().catch(() => {});
      await nc.close().catch(() => {});
    }
  }
}

/** Publish acknowledgements of one batch: resolves when all arrived, rejects on a failure or a stall. */
class PublishWindow {
  private readonly acked: Uint8Array;
  private remaining: number;
  private progress = 0;
  private timer: NodeJS.Timeout | null = null;
  private finished = false;
  private settle: (e: Error | null) => void = () => {};
  readonly done: Promise<void>;

  constructor(
    readonly first: number,
    readonly size: number,
  ) {
    this.acked = new Uint8Array(size);
    this.remaining = size;
    this.done = new Promise<void>((resolve, reject) => {
      this.settle = (e) => {
        if (this.finished) return;
        this.finished = true;
        if (e === null) resolve();
        else reject(e);
      };
    });
    this.done.catch(() => {});
  }

  ack(i: number, err: Error | null): void {
    if (err !== null) {
      this.settle(err);
      return;
    }
    if (this.acked[i] === 1) return;
    this.acked[i] = 1;
    this.progress++;
    if (--this.remaining === 0) this.settle(null);
  }

  /** Fails the batch if `timeoutMs` pass without any acknowledgement. */
  watch(timeoutMs: number): void {
    let last = this.progress;
    const check = () => {
      if (this.finished) return;
      if (this.progress === last) {
        this.settle(
          new Error(
            `no JetStream publish acknowledgement within nats.requestTimeoutMs=${timeoutMs} ms (${this.remaining} of ${this.size} messages unacknowledged)`,
          ),
        );
        return;
      }
      last = this.progress;
      this.timer = setTimeout(check, timeoutMs);
    };
    this.timer = setTimeout(check, timeoutMs);
  }

  fail(e: Error): void {
    this.settle(e);
  }

  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.finished = true;
  }
}

/**
 * Reads a JetStream publish acknowledgement: null when the stream stored (or de-duplicated) the
 * message, else the error. A success starts with `{"stream"`, which is checked without parsing.
 */
export function publishAckError(m: Msg): Error | null {
  const status = m.headers?.code ?? 0;
  if (status >= 300) {
    return new Error(`JetStream publish failed: ${status} ${m.headers?.description ?? ""}`.trim());
  }
  const d = m.data;
  if (
    d.length > 12 &&
    d[0] === 0x7b &&
    d[1] === 0x22 &&
    d[2] === 0x73 &&
    d[3] === 0x74 &&
    d[4] === 0x72 &&
    d[5] === 0x65 &&
    d[6] === 0x61 &&
    d[7] === 0x6d &&
    d[8] === 0x22
  ) {
    return null;
  }
  const text = Buffer.from(d.buffer, d.byteOffset, d.byteLength).toString("utf8");
  try {
    const j = JSON.parse(text) as {
      error?: { code?: number; err_code?: number; description?: string };
      stream?: unknown;
    };
    if (j.error !== undefined) {
      return new Error(
        `JetStream rejected the message: ${j.error.description ?? "unknown error"} (${j.error.err_code ?? j.error.code ?? "?"})`,
      );
    }
    if (typeof j.stream === "string") return null;
  } catch {
    // not JSON: reported below
  }
  return new Error(`invalid JetStream publish acknowledgement: ${text.slice(0, 200)}`);
}

/**
 * Lifetime of a consumer's pull requests (renewed continuously while it runs). A closing
 * transport that holds unprocessed messages waits this long before handing them back, so the
 * server has dropped the closed subscription's requests and redelivers to a live consumer.
 */
const PULL_EXPIRES_MS = 2000;

/** Header of a JetStream message that packs several bridge messages (`[u32 length][message]...`). */
export const PACK_HEADER = "Bv6-Pack";

/** Bridge messages in a JetStream message (1 unless it is a pack). */
function packCount(m: JsMsg): number {
  if (!m.headers) return 1;
  const v = m.headers.get(PACK_HEADER);
  if (v === "") return 1;
  const n = Number(v);
  return Number.isSafeInteger(n) && n > 1 ? n : 1;
}

/** Messages delivered by a consume subscription, waiting to be handled (in arrival order). */
class MessageInbox {
  /** The batch being handled (not yet acknowledged). */
  current: JsMsg[] | null = null;
  /** The consume subscription delivering into this inbox. */
  messages: ConsumerMessages | null = null;
  private items: JsMsg[] = [];
  private head = 0;
  private waiter: (() => void) | null = null;

  get size(): number {
    return this.items.length - this.head;
  }

  /** Messages received and not acknowledged: the batch being handled and those waiting. */
  get held(): number {
    return (this.current?.length ?? 0) + this.size;
  }

  push(m: JsMsg): void {
    this.items.push(m);
    this.wakeUp();
  }

  wakeUp(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  /** Resolves when a message arrives (or {@link wakeUp} is called). */
  next(): Promise<"message"> {
    if (this.size > 0) return Promise.resolve("message");
    return new Promise((r) => {
      this.waiter = () => r("message");
    });
  }

  /**
   * Negatively acknowledges the batch being handled and every waiting message, in order, so the
   * server redelivers them at once (before newer messages) instead of after the ack wait.
   */
  handBack(): void {
    const current = this.current ?? [];
    this.current = null;
    for (const m of [...current, ...this.take(Number.POSITIVE_INFINITY)]) {
      try {
        m.nak();
      } catch {
        // connection already closed: the server redelivers after the ack wait
      }
    }
  }

  /** Takes whole JetStream messages (at least one) until they hold `max` bridge messages. */
  takeMessages(max: number): JsMsg[] {
    let n = 0;
    let total = 0;
    while (this.head + n < this.items.length && (n === 0 || total < max)) {
      total += packCount(this.items[this.head + n]);
      n++;
    }
    return this.take(n);
  }

  take(max: number): JsMsg[] {
    const n = Math.min(max, this.size);
    const out = this.items.slice(this.head, this.head + n);
    this.head += n;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return out;
  }
}
