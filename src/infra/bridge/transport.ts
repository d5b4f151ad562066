/**
 * What an engine adapter (Kafka, Redis Streams, NATS JetStream) provides to the bridge. The
 * bridge owns encoding, buffering, retries, de-duplication and dead-lettering; a transport only
 * moves bytes and acknowledges them.
 */

/** One encoded message on its way out. */
export interface OutboundRecord {
  readonly channel: string;
  /** Partition chosen from the key (Kafka: the transport's own partitioner decides from `key`). */
  readonly partition: number;
  readonly key: string;
  readonly eventId: string;
  readonly value: Uint8Array;
}

/** One message read from the engine. */
export interface InboundRecord {
  readonly channel: string;
  readonly partition: number;
  /** Engine position (Kafka offset, Redis entry id, JetStream stream sequence), for logs. */
  readonly position: string;
  readonly value: Uint8Array;
}

/** A message that could not be handled, with why. */
export interface DeadLetter {
  readonly record: InboundRecord;
  /** Stable reason code, e.g. CODEC_UNSUPPORTED_VERSION or HANDLER_FAILED. */
  readonly code: string;
  readonly reason: string;
  readonly attempts: number;
  readonly nodeId: string;
}

/** A dead letter as stored in the engine's dead-letter stream. */
export interface StoredDeadLetter {
  readonly channel: string;
  readonly partition: number;
  readonly position: string;
  readonly code: string;
  readonly reason: string;
  readonly attempts: number;
  readonly nodeId: string;
  readonly value: Uint8Array;
}

/**
 * Handles one batch; resolves when every record is processed (delivered, dropped as duplicate or
 * dead-lettered durably). Only then does the transport acknowledge / commit the batch.
 * A rejection means "not processed": the transport must redeliver (at-least-once).
 */
export type BatchHandler = (batch: InboundRecord[]) => Promise<void>;

export interface Transport {
  /**
   * Optional: how many messages may await the engine's acknowledgement at once. When larger
   * than a batch, the bridge sends further batches before earlier ones are acknowledged; after
   * a failure it re-sends from the first unacknowledged batch on, in order, so this is only
   * safe for an engine that drops re-sent messages it already stored (JetStream message ids).
   * Absent: one batch at a time.
   */
  readonly maxInFlightMessages?: number;
  /** Connects (and creates streams/groups as needed); rejects with the engine's error. */
  connect(): Promise<void>;
  /** Sends records in order; resolves when the engine has durably accepted all of them. */
  send(batch: readonly OutboundRecord[]): Promise<void>;
  /** Writes to the dead-letter stream; resolves when durably accepted. */
  deadLetter(letter: DeadLetter): Promise<void>;
  /** Starts consuming `channels`; resolves once the consumers are set up. */
  consume(channels: readonly string[], handler: BatchHandler): Promise<void>;
  /** Reads up to `max` entries of the dead-letter stream, oldest first (operations and tests). */
  readDeadLetters(max: number): Promise<StoredDeadLetter[]>;
  /** Stops consuming and disconnects. */
  close(): Promise<void>;
}

export function toBuffer(u8: Uint8Array): Buffer {
  return Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

/**
 * Concatenates messages as `[u32 length][bytes]...`, so one engine entry (a Redis stream entry,
 * a Kafka record) carries several: the engine's per-entry cost is paid once per pack.
 */
export function packMessages(values: readonly Uint8Array[]): Buffer {
  let total = 0;
  for (const v of values) total += 4 + v.length;
  const out = Buffer.allocUnsafe(total);
  let pos = 0;
  for (const v of values) {
    out.writeUInt32LE(v.length, pos);
    out.set(v, pos + 4);
    pos += 4 + v.length;
  }
  return out;
}

/**
 * Splits a pack made by {@link packMessages} into views of its messages (no copy), or returns
 * null if the lengths do not add up (the caller dead-letters the whole pack with a reason).
 */
export function unpackMessages(v: Buffer): Buffer[] | null {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos + 4 <= v.length) {
    const len = v.readUInt32LE(pos);
    if (pos + 4 + len > v.length) return null;
    out.push(v.subarray(pos + 4, pos + 4 + len));
    pos += 4 + len;
  }
  return pos === v.length ? out : null;
}
