/**
 * The bus bridge: carries chosen topics of the in-process {@link MessageBus} over an external
 * engine and republishes what it consumes on the local bus.
 *
 * Outbound, the hot path stays synchronous: a bus handler encodes the message and appends it to
 * a bounded buffer; a background pump sends batches in order and removes them only when the
 * engine has acknowledged them (on failure it retries the same batch after an exponential,
 * seeded-jitter backoff). When the buffer is full the publisher gets `BRIDGE_BACKPRESSURE`
 * (fail closed) or, with `overflow: "drop"`, the message is counted as dropped: memory never
 * grows without bound while a broker is slow or down.
 *
 * Inbound, delivery is at-least-once and the consumer is idempotent: a message whose event id
 * was seen recently is dropped; one that cannot be decoded (corrupt, unknown version or type,
 * invalid field) goes to the dead-letter stream at once; one whose handlers throw is retried up
 * to `maxAttempts` times and then dead-lettered. The batch is acknowledged only after that, so
 * a crash redelivers it (and de-duplication removes what was already applied).
 */
import type { Logger } from "pino";
import { type MessageBus, patternToRegex } from "../../core/bus.js";
import { BotV6Error } from "../../model/errors.js";
import { MessageCodec, partitionKeyOf, type WireMessage } from "../codec/index.js";
import { Backoff } from "./backoff.js";
import { type BridgeConfig, partitionFor } from "./config.js";
import { SeenSet } from "./dedup.js";
import { BridgeError } from "./errors.js";
import type { InboundRecord, OutboundRecord, StoredDeadLetter, Transport } from "./transport.js";

export interface BridgeStats {
  /** Messages accepted into the outbound buffer. */
  enqueued: number;
  /** Messages the engine acknowledged. */
  sent: number;
  /** Messages refused because the buffer was full (`overflow: "drop"`, or thrown back with "error"). */
  dropped: number;
  /** Messages in the outbound buffer now (waiting or in flight). */
  buffered: number;
  /** Highest `buffered` seen. */
  maxBuffered: number;
  /** Failed sends (each retried after a backoff). */
  sendFailures: number;
  /** Records read from the engine. */
  received: number;
  /** Messages republished on the local bus. */
  delivered: number;
  /** Records dropped as already seen. */
  duplicates: number;
  /** Handler exceptions (each retried until maxAttempts). */
  handlerFailures: number;
  /** Records written to the dead-letter stream. */
  deadLettered: number;
  /** Dead letters by reason code. */
  deadLetterReasons: Record<string, number>;
}

export interface BusBridgeOptions {
  logger?: Logger;
  /** Start time in µs for the default producer id (defaults to the wall clock). */
  startTimeUs?: number;
}

interface OutChannel {
  readonly name: string;
  readonly regexes: RegExp[];
}

function eventIdOf(m: WireMessage): string | null {
  const o = m as { eventId?: unknown; commandId?: unknown };
  if (typeof o.eventId === "string") return o.eventId;
  if (typeof o.commandId === "string") return o.commandId;
  return null;
}

export class BusBridge {
  readonly config: BridgeConfig;
  private readonly bus: MessageBus;
  private readonly transport: Transport;
  private readonly codec = new MessageCodec();
  private readonly decoder = new MessageCodec();
  private readonly seen: SeenSet;
  private readonly backoff: Backoff;
  private readonly logger: Logger | null;
  private readonly producerId: string;
  private seq = 0;

  private queue: OutboundRecord[] = [];
  /** Index of the oldest message not yet acknowledged by the engine. */
  private head = 0;
  /** Index of the oldest message not yet handed to the transport (>= head). */
  private sendHead = 0;
  private running = false;
  private started = false;
  private stopping = false;
  private pumpDone: Promise<void> = Promise.resolve();
  private wake: (() => void) | null = null;
  private wakeScheduled = false;
  private sleepTimer: NodeJS.Timeout | null = null;
  private sleepResolve: (() => void) | null = null;
  private writableWaiters: (() => void)[] = [];
  private drainWaiters: (() => void)[] = [];
  private readonly subscriptions: { topic: string; handler: (m: unknown) => void }[] = [];
  private readonly outChannels: OutChannel[];
  private currentInbound: unknown = null;
  private inboundChain: Promise<void> = Promise.resolve();

  private readonly s: BridgeStats = {
    enqueued: 0,
    sent: 0,
    dropped: 0,
    buffered: 0,
    maxBuffered: 0,
    sendFailures: 0,
    received: 0,
    delivered: 0,
    duplicates: 0,
    handlerFailures: 0,
    deadLettered: 0,
    deadLetterReasons: {},
  };
  /** The last error of a send or a consumer, for health checks. */
  lastError: Error | null = null;

  constructor(config: BridgeConfig, bus: MessageBus, transport: Transport, options: BusBridgeOptions = {}) {
    this.config = config;
    this.bus = bus;
    this.transport = transport;
    this.seen = new SeenSet(config.dedupCapacity);
    this.backoff = new Backoff(config.backoff);
    this.logger = options.logger ?? null;
    const startUs = options.startTimeUs ?? Math.round((performance.timeOrigin + performance.now()) * 1000);
    this.producerId = config.producerId ?? `${config.nodeId}.${startUs}`;
    this.outChannels = config.channels
      .filter((c) => config.publish.includes(c.name))
      .map((c) => ({ name: c.name, regexes: c.topics.map((t) => patternToRegex(t)) }));
  }

  /**
   * Connects to the engine (failing within `connectTimeoutMs` with an error naming `bridge.url`
   * if it cannot), then starts publishing and consuming the configured channels.
   */
  async start(): Promise<void> {
    if (this.started) throw new BridgeError("BRIDGE_ALREADY_STARTED", "the bridge was already started");
    this.started = true;
    await this.withConnectTimeout(this.transport.connect());
    this.running = true;
    this.pumpDone = this.pump();
    for (const name of this.bus.topicNames()) this.attachTopic(name);
    this.bus.onTopicCreated((name) => {
      if (this.running && !this.stopping) this.attachTopic(name);
    });
    if (this.config.consume.length > 0) {
      // Joining a consumer group may legitimately wait for a rebalance (e.g. for a dead member's
      // session to expire), so only the connection itself is bounded by connectTimeoutMs.
      await this.transport.consume(this.config.consume, (batch) => this.handleBatch(batch));
    }
  }

  private async withConnectTimeout<T>(p: Promise<T>): Promise<T> {
    const ms = this.config.connectTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within bridge.connectTimeoutMs=${ms} ms`)), ms);
    });
    try {
      return await Promise.race([p, timeout]);
    } catch (e) {
      await this.transport.close().catch(() => {});
      this.running = false;
      const reason = e instanceof Error ? e.message : String(e);
      throw new BridgeError(
        "BRIDGE_CONNECT_FAILED",
        `${this.config.kind} bridge cannot reach bridge.url=${this.config.url}: ${reason}`,
        { setting: "bridge.url", url: this.config.url, kind: this.config.kind },
      );
    } finally {
      clearTimeout(timer);
    }
  }

  private attachTopic(name: string): void {
    for (const ch of this.outChannels) {
      if (!ch.regexes.some((r) => r.test(name))) continue;
      const handler = (m: unknown) => {
        // A message this bridge is delivering from the engine is not sent back out.
        if (m === this.currentInbound) return;
        this.offer(ch.name, name, m as WireMessage);
      };
      this.bus.subscribe(name, handler);
      this.subscriptions.push({ topic: name, handler });
      return;
    }
  }

  /**
   * Encodes `message` for `topic` into the outbound buffer of `channel`. Synchronous. Returns
   * false if it was dropped (buffer full with `overflow: "drop"`); throws `BRIDGE_BACKPRESSURE`
   * when full with `overflow: "error"`.
   */
  offer(channel: string, topic: string, message: WireMessage): boolean {
    if (!this.running) {
      throw new BridgeError("BRIDGE_NOT_RUNNING", `bridge is not running; cannot send ${topic}`, { topic });
    }
    const buffered = this.queue.length - this.head;
    if (buffered >= this.config.maxBufferedMessages) {
      this.s.dropped++;
      if (this.config.overflow === "drop") return false;
      throw new BridgeError(
        "BRIDGE_BACKPRESSURE",
        `bridge outbound buffer is full (${buffered} messages, bridge.maxBufferedMessages); the ${this.config.kind} engine is slow or down`,
        { topic, buffered },
      );
    }
    // A message without its own id gets a sequenced one: (producer, number) on the wire, the
    // string `<producer>:<number>` only if someone asks for it.
    const eventId = eventIdOf(message);
    const value =
      eventId === null
        ? this.codec.encode(message, { producer: this.producerId, sequence: ++this.seq, topic })
        : this.codec.encode(message, { eventId, topic });
    // The encoder used the default key; compute it again instead of re-reading the header.
    const key = partitionKeyOf(message);
    const partition = partitionFor(key, this.config.partitions);
    this.queue.push(
      eventId === null
        ? new SequencedRecord(channel, partition, key, value, this.producerId, this.seq)
        : { channel, partition, key, eventId, value },
    );
    this.s.enqueued++;
    if (buffered + 1 > this.s.maxBuffered) this.s.maxBuffered = buffered + 1;
    this.schedulePump();
    return true;
  }

  /** Publishes on the bus topic's channel directly (without a bus subscription). */
  publish(topic: string, message: WireMessage): boolean {
    const ch = this.outChannels.find((c) => c.regexes.some((r) => r.test(topic)));
    if (ch === undefined) {
      throw new BridgeError("BRIDGE_NO_CHANNEL", `no published channel carries topic ${topic}`, { topic });
    }
    return this.offer(ch.name, topic, message);
  }

  /** Whether the buffer has room (a producer that can wait should await {@link whenWritable}). */
  get writable(): boolean {
    return this.queue.length - this.head < this.config.maxBufferedMessages;
  }

  /** Resolves when the buffer is at most half full. */
  whenWritable(): Promise<void> {
    if (this.queue.length - this.head <= this.config.maxBufferedMessages / 2) return Promise.resolve();
    return new Promise((r) => this.writableWaiters.push(r));
  }

  /** Resolves when every buffered message has been acknowledged by the engine. */
  flush(): Promise<void> {
    if (this.queue.length - this.head === 0) return Promise.resolve();
    return new Promise((r) => this.drainWaiters.push(r));
  }

  private schedulePump(): void {
    if (this.wakeScheduled || this.wake === null) return;
    this.wakeScheduled = true;
    // setImmediate lets a synchronous burst of publishes collect into one batch.
    setImmediate(() => {
      this.wakeScheduled = false;
      const w = this.wake;
      this.wake = null;
      w?.();
    });
  }

  /**
   * Sends the buffer in batches of `maxBatch`, in order. With a transport that allows several
   * batches in flight ({@link Transport.maxInFlightMessages}), further batches go out while
   * earlier ones await their acknowledgement; the buffer's head only advances over
   * acknowledged batches, in order. After a failure everything from the first unacknowledged
   * batch on is re-sent, in order, after a backoff.
   */
  private async pump(): Promise<void> {
    const max = this.config.maxBatch;
    // Several batches in flight only when the transport allows more than one batch's worth;
    // otherwise strictly one batch at a time (whatever its size).
    const window = this.transport.maxInFlightMessages ?? 0;
    const several = window > max;
    const inflight: { n: number; result: Promise<Error | null> }[] = [];
    let inflightMessages = 0;
    while (this.running) {
      for (;;) {
        const unsent = this.queue.length - this.sendHead;
        if (unsent === 0) break;
        const n = Math.min(max, unsent);
        if (inflight.length > 0 && (!several || inflightMessages + n > window)) break;
        const batch = this.queue.slice(this.sendHead, this.sendHead + n);
        this.sendHead += n;
        inflightMessages += n;
        inflight.push({ n, result: this.sendBatch(batch) });
      }
      const first = inflight[0];
      const woken = new Promise<void>((r) => {
        this.wake = r;
      });
      if (first === undefined) {
        await woken;
        continue;
      }
      // Wake up for new messages too while there is room for another batch in the window.
      const sent = first.result.then(() => true);
      if (several && inflightMessages < window && !(await Promise.race([sent, woken.then(() => false)]))) {
        continue;
      }
      this.wake = null;
      const error = await first.result;
      inflight.shift();
      inflightMessages -= first.n;
      if (error === null) {
        this.head += first.n;
        this.s.sent += first.n;
        this.backoff.reset();
        this.compact();
        this.notify();
        continue;
      }
      // Let the rest settle (the engine de-duplicates what it stored), then re-send them all.
      await Promise.all(inflight.map((f) => f.result));
      inflight.length = 0;
      inflightMessages = 0;
      this.sendHead = this.head;
      this.s.sendFailures++;
      this.lastError = error;
      const delay = this.backoff.next();
      this.logger?.warn(
        { err: error.message, attempt: this.backoff.attempts, delayMs: delay },
        "bridge send failed; retrying",
      );
      await this.sleep(delay);
    }
    // Stopping: count what the engine acknowledged, in order, up to the first failure.
    for (const f of inflight) {
      if ((await f.result) !== null) break;
      this.head += f.n;
      this.s.sent += f.n;
    }
    this.sendHead = this.head;
    this.notify();
  }

  private sendBatch(batch: OutboundRecord[]): Promise<Error | null> {
    try {
      return this.transport.send(batch).then(
        () => null,
        (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
      );
    } catch (e) {
      return Promise.resolve(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private compact(): void {
    // Drop acknowledged records soon (they would otherwise live on into the old generation and
    // lengthen every young-generation GC); the copy stays amortised O(1) per record.
    if (this.head > 256 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.sendHead -= this.head;
      this.head = 0;
    }
  }

  private notify(): void {
    const buffered = this.queue.length - this.head;
    if (buffered <= this.config.maxBufferedMessages / 2 && this.writableWaiters.length > 0) {
      const ws = this.writableWaiters;
      this.writableWaiters = [];
      for (const w of ws) w();
    }
    if (buffered === 0 && this.drainWaiters.length > 0) {
      const ws = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of ws) w();
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => {
      this.sleepResolve = r;
      this.sleepTimer = setTimeout(() => {
        this.sleepTimer = null;
        this.sleepResolve = null;
        r();
      }, ms);
    });
  }

  /** Processes one inbound batch; serialised so per-partition order holds across partitions' loops. */
  private handleBatch(batch: InboundRecord[]): Promise<void> {
    const run = this.inboundChain.then(() => this.processBatch(batch));
    this.inboundChain = run.catch(() => {});
    return run;
  }

  private async processBatch(batch: InboundRecord[]): Promise<void> {
    const codec = this.decoder;
    for (const rec of batch) {
      this.s.received++;
      // De-duplicate on the header alone: a sequenced id by (producer, number), without making
      // its string.
      let id: string | null;
      let producer: string;
      let sequence: number;
      try {
        const h = codec.readHeader(rec.value);
        sequence = h.sequence;
        producer = h.producer;
        id = sequence < 0 ? h.eventId : null;
      } catch (e) {
        await this.deadLetter(rec, e, 1);
        continue;
      }
      if (id === null ? this.seen.hasSeq(producer, sequence) : this.seen.has(id)) {
        this.s.duplicates++;
        continue;
      }
      let message: WireMessage;
      let topic: string;
      try {
        message = codec.decodeBody(rec.value);
        // After the body: a default topic comes from the decoded message.
        topic = codec.header.topic;
      } catch (e) {
        await this.deadLetter(rec, e, 1);
        this.markSeen(id, producer, sequence);
        continue;
      }
      let attempts = 0;
      for (;;) {
        attempts++;
        this.currentInbound = message;
        try {
          this.bus.publish(topic, message);
          this.s.delivered++;
          break;
        } catch (e) {
          this.s.handlerFailures++;
          if (attempts >= this.config.maxAttempts) {
            await this.deadLetter(rec, e, attempts, "HANDLER_FAILED");
            break;
          }
        } finally {
          this.currentInbound = null;
        }
      }
      // Marked seen only once handled (delivered or dead-lettered): if the dead-letter write
      // fails, the batch is retried and this record with it.
      this.markSeen(id, producer, sequence);
    }
  }

  private markSeen(id: string | null, producer: string, sequence: number): void {
    if (id === null) this.seen.addSeqAbsent(producer, sequence);
    else this.seen.addAbsent(id);
  }

  private async deadLetter(rec: InboundRecord, e: unknown, attempts: number, code?: string): Promise<void> {
    const reasonCode = code ?? (e instanceof BotV6Error ? e.code : "ERROR");
    const message = e instanceof Error ? e.message : String(e);
    const reason = code === "HANDLER_FAILED" ? `handler failed ${attempts} times: ${message}` : message;
    await this.transport.deadLetter({
      record: rec,
      code: reasonCode,
      reason,
      attempts,
      nodeId: this.config.nodeId,
    });
    this.s.deadLettered++;
    this.s.deadLetterReasons[reasonCode] = (this.s.deadLetterReasons[reasonCode] ?? 0) + 1;
    this.logger?.warn(
      { channel: rec.channel, partition: rec.partition, position: rec.position, code: reasonCode, reason },
      "message dead-lettered",
    );
  }

  /** Reads the dead-letter stream (oldest first). */
  readDeadLetters(max = 1000): Promise<StoredDeadLetter[]> {
    return this.transport.readDeadLetters(max);
  }

  stats(): BridgeStats {
    return {
      ...this.s,
      buffered: this.queue.length - this.head,
      deadLetterReasons: { ...this.s.deadLetterReasons },
    };
  }

  /**
   * Stops: detaches from the bus, waits up to `drainMs` for the buffer to be acknowledged, then
   * disconnects. Returns the number of messages left unsent.
   */
  async stop(drainMs = 5000): Promise<number> {
    if (!this.started || this.stopping) return this.queue.length - this.head;
    this.stopping = true;
    for (const s of this.subscriptions) this.bus.unsubscribe(s.topic, s.handler);
    this.subscriptions.length = 0;
    if (this.running && this.queue.length - this.head > 0) {
      await Promise.race([this.flush(), new Promise((r) => setTimeout(r, drainMs).unref())]);
    }
    this.running = false;
    if (this.sleepTimer !== null) clearTimeout(this.sleepTimer);
    this.sleepResolve?.();
    this.wake?.();
    await this.pumpDone;
    await this.inboundChain;
    await this.transport.close();
    return this.queue.length - this.head;
  }
}

/** An outbound record with a sequenced id: its string form is made only if a transport asks. */
class SequencedRecord implements OutboundRecord {
  constructor(
    readonly channel: string,
    readonly partition: number,
    readonly key: string,
    readonly value: Uint8Array,
    private readonly producer: string,
    private readonly sequence: number,
  ) {}

  get eventId(): string {
    return `${this.producer}:${this.sequence}`;
  }
}
