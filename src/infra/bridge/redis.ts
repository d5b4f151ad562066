/**
 * Redis Streams transport (ioredis).
 *
 * - Each channel is `partitions` streams `<ns>:<channel>:<p>`; a message goes to the stream of
 *   its key's partition, so one key's messages stay in order. Entries carry one field `m`
 *   (the encoded message). Streams are trimmed with `MAXLEN ~ redis.maxLen`.
 * - Consumers form a consumer group (`bridge.group`); a node reads the partitions it owns
 *   (`bridge.ownedPartitions`) with XREADGROUP and XACKs a batch after the bridge processed it,
 *   in the same write as its next XREADGROUP (one round trip per batch; see `readLoop`).
 * - Recovery: on start and after any error a consumer first re-reads its own pending entries
 *   (id 0), and periodically XAUTOCLAIMs entries that a dead consumer left pending longer than
 *   `redis.claimIdleMs`.
 * - Two connections: one blocks in XREADGROUP (and carries the consumer's XACKs); the other
 *   sends (a batch's XADDs in one write), takes over dead consumers' entries and writes dead
 *   letters. The offline queue is off, so a command fails at once while Redis is
 *   down and the bridge retries with its own bounded buffer and backoff; the client reconnects
 *   with the bridge's seeded backoff.
 */
import { Redis } from "ioredis";
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

export { packMessages };

type RawEntry = [Buffer, Buffer[] | null];
type RawRead = [Buffer, RawEntry[]][] | null;

export class RedisStreamsTransport implements Transport {
  private readonly cfg: BridgeConfig;
  private cmd: Redis | null = null;
  private reader: Redis | null = null;
  private closed = false;
  private loop: Promise<void> | null = null;
  private readonly backoff: Backoff;
  private sleepTimer: NodeJS.Timeout | null = null;
  private sleepResolve: (() => void) | null = null;
  /** Reconnections after the first connect (for stats and tests). */
  reconnects = 0;

  constructor(config: BridgeConfig) {
    this.cfg = config;
    this.backoff = new Backoff({ ...config.backoff, seed: config.backoff.seed + 7919 });
  }

  streamKey(channel: string, partition: number): string {
    return `${this.cfg.namespace}:${channel}:${partition}`;
  }

  get deadLetterKey(): string {
    return `${this.cfg.namespace}:dlq`;
  }

  private client(name: string): Redis {
    let ready = false;
    const backoff = new Backoff({ ...this.cfg.backoff, seed: this.cfg.backoff.seed + name.length });
    const r = new Redis(this.cfg.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: this.cfg.connectTimeoutMs,
      connectionName: `${this.cfg.nodeId}-${name}`,
      // The first connection fails fast (a wrong URL must not hang); later drops reconnect forever.
      retryStrategy: () => (ready && !this.closed ? backoff.next() : null),
    });
    r.on("ready", () => {
      if (ready) this.reconnects++;
      ready = true;
      backoff.reset();
    });
    r.on("error", () => {
      // Reported through failed commands; without a listener ioredis would log to stderr.
    });
    return r;
  }

  async connect(): Promise<void> {
    this.cmd = this.client("cmd");
    await this.cmd.connect();
    await this.cmd.ping();
  }

  async send(batch: readonly OutboundRecord[]): Promise<void> {
    const r = this.must(this.cmd);
    const maxLen = String(this.cfg.redis.maxLen);
    const perEntry = this.cfg.redis.messagesPerEntry;
    // Group by stream (order within a stream is kept), then pack up to messagesPerEntry
    // messages into one entry: one XADD, one ack and one trim unit per pack.
    const byChannel = new Map<string, Uint8Array[][]>();
    for (const rec of batch) {
      let parts = byChannel.get(rec.channel);
      if (parts === undefined) {
        parts = [];
        byChannel.set(rec.channel, parts);
      }
      let list = parts[rec.partition];
      if (list === undefined) {
        list = [];
        parts[rec.partition] = list;
      }
      list.push(rec.value);
    }
    // The XADDs are written back to back on one connection (in order; one write(2) for all of
    // them, see corked), without an ioredis Pipeline object per batch.
    const added: Promise<unknown>[] = [];
    corked(r, () => {
      for (const [channel, parts] of byChannel) {
        for (let p = 0; p < parts.length; p++) {
          const values = parts[p];
          if (values === undefined) continue;
          const key = this.streamKey(channel, p);
          for (let i = 0; i < values.length; i += perEntry) {
            const n = Math.min(perEntry, values.length - i);
            const field = n === 1 ? "m" : "b";
            const value = n === 1 ? toBuffer(values[i]) : packMessages(values.slice(i, i + n));
            added.push(r.callBuffer("XADD", key, "MAXLEN", "~", maxLen, "*", field, value));
          }
        }
      }
    });
    // Settle all before reporting a failure, so a retry never overtakes an XADD in flight.
    for (const x of await Promise.allSettled(added)) if (x.status === "rejected") throw x.reason;
  }

  async deadLetter(letter: DeadLetter): Promise<void> {
    const r = this.must(this.cmd);
    await r.xadd(
      this.deadLetterKey,
      "MAXLEN",
      "~",
      String(this.cfg.redis.maxLen),
      "*",
      "m",
      toBuffer(letter.record.value),
      "code",
      letter.code,
      "reason",
      letter.reason,
      "channel",
      letter.record.channel,
      "partition",
      String(letter.record.partition),
      "position",
      letter.record.position,
      "attempts",
      String(letter.attempts),
      "node",
      letter.nodeId,
    );
  }

  async readDeadLetters(max: number): Promise<StoredDeadLetter[]> {
    const r = this.must(this.cmd);
    const entries = (await r.callBuffer(
      "XRANGE",
      this.deadLetterKey,
      "-",
      "+",
      "COUNT",
      String(max),
    )) as RawEntry[];
    return entries.map(([, fields]) => {
      const f = new Map<string, Buffer>();
      for (let i = 0; fields !== null && i < fields.length; i += 2)
        f.set(fields[i].toString(), fields[i + 1]);
      const s = (k: string) => f.get(k)?.toString() ?? "";
      return {
        channel: s("channel"),
        partition: Number(s("partition")),
        position: s("position"),
        code: s("code"),
        reason: s("reason"),
        attempts: Number(s("attempts")),
        nodeId: s("node"),
        value: new Uint8Array(f.get("m") ?? Buffer.alloc(0)),
      };
    });
  }

  async consume(channels: readonly string[], handler: BatchHandler): Promise<void> {
    const cmd = this.must(this.cmd);
    const keys: { key: string; channel: string; partition: number }[] = [];
    for (const channel of channels) {
      for (const partition of this.cfg.ownedPartitions) {
        keys.push({ key: this.streamKey(channel, partition), channel, partition });
      }
    }
    for (const k of keys) {
      try {
        await cmd.xgroup("CREATE", k.key, this.cfg.group, "0", "MKSTREAM");
      } catch (e) {
        if (!String((e as Error).message).includes("BUSYGROUP")) throw e;
      }
    }
    this.reader = this.client("reader");
    await this.reader.connect();
    this.loop = this.readLoop(keys, handler);
  }

  private async readLoop(
    keys: { key: string; channel: string; partition: number }[],
    handler: BatchHandler,
  ): Promise<void> {
    const byKey = new Map(keys.map((k) => [k.key, k]));
    const names = keys.map((k) => k.key);
    const { group } = this.cfg;
    const consumer = this.cfg.nodeId;
    const count = String(this.cfg.redis.readCount);
    const head = ["GROUP", group, consumer, "COUNT", count];
    // Own pending entries (id 0, no BLOCK) after a (re)start or an error; new ones otherwise.
    const pendingArgs = [...head, "STREAMS", ...names, ...names.map(() => "0")];
    const newArgs = [
      ...head,
      "BLOCK",
      String(this.cfg.redis.blockMs),
      "STREAMS",
      ...names,
      ...names.map(() => ">"),
    ];
    let ownPending = true;
    let nextClaim = 0;
    // Entries of the last batch, handled but not yet acknowledged: their XACKs go out on the
    // reader connection in the same write as the next XREADGROUP (so Redis applies them
    // first), which saves a round trip and a wake-up of both sides per batch. If that write or
    // the ack fails, the entries stay pending and the re-read from id 0 redelivers them.
    let handled: Map<string, string[]> | null = null;
    try {
      while (!this.closed) {
        const reader = this.must(this.reader);
        try {
          if (Date.now() >= nextClaim) {
            nextClaim = Date.now() + Math.max(100, this.cfg.redis.claimIdleMs / 2);
            for (const k of keys) await this.claimDead(k, handler);
          }
          const acks = handled;
          handled = null;
          const res = await this.ackAndRead(reader, acks, ownPending ? pendingArgs : newArgs);
          const batch: InboundRecord[] = [];
          const ids = new Map<string, string[]>();
          for (const [keyBuf, entries] of res ?? []) {
            const k = byKey.get(keyBuf.toString());
            if (k === undefined || entries.length === 0) continue;
            const ackIds: string[] = [];
            ids.set(k.key, ackIds);
            for (const [idBuf, fields] of entries) {
              const id = idBuf.toString();
              ackIds.push(id);
              // A pending entry trimmed away by MAXLEN has no fields: nothing to deliver, just ack.
              entryRecords(k, id, fields, batch);
            }
          }
          if (ids.size === 0) {
            ownPending = false;
            continue;
          }
          if (batch.length > 0) await handler(batch);
          handled = ids;
          this.backoff.reset();
        } catch (e) {
          if (this.closed) break;
          ownPending = true;
          await this.sleep(this.backoff.next());
          void e;
        }
      }
    } finally {
      // Stopping between a batch and the next read: acknowledge it now (best effort; if this
      // fails the entries stay pending and are redelivered to this consumer on its next start).
      if (handled !== null) await this.ack(handled).catch(() => {});
    }
  }

  /**
   * Writes the XACKs of `acks` (if any) and then the XREADGROUP as one write on `reader`;
   * resolves with the read once both answered, or rejects if either failed.
   */
  private async ackAndRead(
    reader: Redis,
    acks: Map<string, string[]> | null,
    args: string[],
  ): Promise<RawRead> {
    const { group } = this.cfg;
    const acked: Promise<unknown>[] = [];
    let read: Promise<unknown> = Promise.resolve(null);
    corked(reader, () => {
      if (acks !== null) {
        for (const [key, ids] of acks)
          if (ids.length > 0) acked.push(reader.callBuffer("XACK", key, group, ...ids));
      }
      read = reader.callBuffer("XREADGROUP", ...args);
    });
    // Wait for the read even when an ack failed, so that no read is left outstanding.
    const [ackError, res] = await Promise.all([
      Promise.all(acked).then(
        () => null,
        (e: unknown) => e,
      ),
      read,
    ]);
    if (ackError !== null) throw ackError;
    return res as RawRead;
  }

  /** Takes over entries another consumer left pending for longer than claimIdleMs. */
  private async claimDead(k: { key: string; channel: string; partition: number }, handler: BatchHandler) {
    const cmd = this.must(this.cmd);
    let start = "0-0";
    for (let round = 0; round < 100; round++) {
      const res = (await cmd.callBuffer(
        "XAUTOCLAIM",
        k.key,
        this.cfg.group,
        this.cfg.nodeId,
        String(this.cfg.redis.claimIdleMs),
        start,
        "COUNT",
        String(this.cfg.redis.readCount),
      )) as [Buffer, RawEntry[], Buffer[]?];
      const [next, entries] = res;
      if (entries.length > 0) {
        const batch: InboundRecord[] = [];
        const ids: string[] = [];
        for (const [idBuf, fields] of entries) {
          const id = idBuf.toString();
          ids.push(id);
          entryRecords(k, id, fields, batch);
        }
        if (batch.length > 0) await handler(batch);
        await this.ack(new Map([[k.key, ids]]));
      }
      start = next.toString();
      if (start === "0-0") return;
    }
  }

  private async ack(acks: Map<string, string[]>): Promise<void> {
    const cmd = this.must(this.cmd);
    const p = cmd.pipeline();
    for (const [key, ids] of acks) if (ids.length > 0) p.xack(key, this.cfg.group, ...ids);
    const results = await p.exec();
    for (const [err] of results ?? []) if (err) throw err;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((r) => {
      this.sleepResolve = r;
      this.sleepTimer = setTimeout(r, ms);
    });
  }

  private must(r: Redis | null): Redis {
    if (r === null) throw new Error("redis transport is not connected");
    return r;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.sleepTimer !== null) clearTimeout(this.sleepTimer);
    this.sleepResolve?.();
    this.reader?.disconnect();
    await this.loop?.catch(() => {});
    if (this.cmd !== null) {
      try {
        if (this.cmd.status === "ready") await this.cmd.quit();
        else this.cmd.disconnect();
      } catch {
        this.cmd.disconnect();
      }
    }
  }
}

/**
 * Runs `write`, which issues commands on `r`, with the socket corked: ioredis writes a command
 * to the socket synchronously when the connection is ready, so the commands go out in one
 * write(2) (one wake-up of Redis) instead of one each. Replies and errors are per command.
 */
function corked(r: Redis, write: () => void): void {
  const stream = r.status === "ready" ? r.stream : null;
  stream?.cork();
  try {
    write();
  } finally {
    stream?.uncork();
  }
}

/**
 * Appends the messages of one entry: field `m` holds one message, field `b` a pack. A pack
 * whose lengths do not add up is delivered as one undecodable record, so it is dead-lettered
 * with a reason instead of being skipped.
 */
function entryRecords(
  k: { channel: string; partition: number },
  id: string,
  fields: Buffer[] | null,
  out: InboundRecord[],
): void {
  if (fields === null) return;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const f = fields[i];
    if (f.length !== 1) continue;
    const v = fields[i + 1];
    if (f[0] === 0x6d /* m */) {
      out.push({ channel: k.channel, partition: k.partition, position: id, value: v });
      return;
    }
    if (f[0] === 0x62 /* b */) {
      const values = unpackMessages(v);
      if (values === null) out.push({ channel: k.channel, partition: k.partition, position: id, value: v });
      else {
        for (let n = 0; n < values.length; n++) {
          out.push({ channel: k.channel, partition: k.partition, position: `${id}#${n}`, value: values[n] });
        }
      }
      return;
    }
  }
}
