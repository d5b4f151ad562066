/**
 * The versioned binary wire codec for messages that cross a bus bridge.
 *
 * Layout (little endian), version 2.0:
 *
 * ```
 *  0  u8   0xB6, u8 0x06        magic
 *  2  u8   major                an unknown major version is rejected, never guessed at
 *  3  u8   minor                newer minors only append header or body fields
 *  4  u16  typeId               stable id of the message type (see MESSAGE_TYPES)
 *  6  u16  headerLength         offset of the body; lets a newer minor append header fields
 *  8  u32  bodyLength           bytes after the header; total length must match exactly
 * 12  u8   flags                bit 0: the event id is (producer, sequence)
 *                               bit 1: no partition key (it is the message's default key)
 *                               bit 2: no topic (it is the message type's default topic)
 * 13  str  eventId              de-duplication key (u16 length + UTF-8)              bit 0 clear
 *  |  str  producer, f64 seq    the same as the id "<producer>:<seq>", in two fields  bit 0 set
 *     str  partitionKey         ordering key                                          bit 1 clear
 *     str  topic                the in-process bus topic to republish on              bit 2 clear
 *     ...  body                 the type's fields in a fixed order
 * ```
 *
 * Version 1.x had no flags byte and always carried the three strings; this build still reads
 * it (a 2.0 decoder reads 1.x producers during a rolling upgrade) and writes 2.0.
 *
 * The flags make the header of a market-data message nearly free: a bridge numbers what it
 * publishes (producer id + sequence), the key is the instrument and the topic follows from the
 * type and the instrument (`data.trades.<instrument>`), so the header holds one short repeated
 * string and a number instead of three strings; the decoder builds the id, key or topic string
 * only when someone reads it ({@link MessageHeader}).
 *
 * Compatibility rules: a decoder accepts majors 1 and 2 with any minor. Fields a newer minor
 * appends to the header or body are skipped (the lengths say where they end); trailing bytes
 * in a message of the decoder's own (or an older) minor mean corruption and are rejected.
 * A flag bit this build does not know is rejected (CODEC_UNSUPPORTED_VERSION): a flag changes
 * the layout, so a new one comes with a new major version.
 * Anything that does not decode exactly raises a {@link CodecError} with a stable code, the
 * type and the event id; nothing is half-decoded.
 */
import type { TradingCommand } from "../../model/commands.js";
import {
  Bar,
  type MarketData,
  MarkPriceUpdate,
  OrderBookDeltas,
  OrderBookDepth,
  QuoteTick,
  TradeTick,
} from "../../model/data.js";
import { BotV6Error } from "../../model/errors.js";
import type { AccountState, OrderEvent, PositionEvent } from "../../model/events.js";
import { ByteReader, ByteWriter } from "./bytes.js";
import {
  CancelAllOrdersCodec,
  CancelOrderCodec,
  ModifyOrderCodec,
  SubmitOrderCodec,
  SubmitOrderListCodec,
} from "./commands.js";
import { type NodeFrame, NodeFrameCodec } from "./control.js";
import { CodecError } from "./errors.js";
import { AccountStateCodec, ORDER_EVENT_CODECS, POSITION_EVENT_CODECS } from "./events.js";
import {
  BarCodec,
  type BodyCodec,
  MarkPriceUpdateCodec,
  OrderBookDeltasCodec,
  OrderBookDepthCodec,
  QuoteTickCodec,
  TradeTickCodec,
} from "./market.js";

export const CODEC_MAGIC_0 = 0xb6;
export const CODEC_MAGIC_1 = 0x06;
export const CODEC_MAJOR = 2;
export const CODEC_MINOR = 0;
/**
 * Version of the message *body* layouts (the journal, src/persistence, stores event and command
 * bodies and pins this in every row). Wire format 2.0 changed only the header, so the bodies are
 * still those of 1.0.
 */
export const BODY_LAYOUT_MAJOR = 1;
export const BODY_LAYOUT_MINOR = 0;
/** The oldest major version this build still reads. */
export const CODEC_OLDEST_MAJOR = 1;
/** Size of the fixed part of the header (version 2: including the flags byte). */
export const FIXED_HEADER_BYTES = 13;
const V1_FIXED_HEADER_BYTES = 12;
/** The newest minor of version 1 (1.0 was the only one). */
const V1_LAST_MINOR = 0;

/** Newest minor of `major` this build knows: a message of a newer minor may carry appended fields. */
function lastMinorOf(major: number): number {
  return major === CODEC_MAJOR ? CODEC_MINOR : V1_LAST_MINOR;
}

/** Header flags (version 2). */
export const HeaderFlags = {
  /** The event id is (producer, sequence). */
  SEQUENCED_ID: 1,
  /** The partition key is omitted: it is {@link partitionKeyOf} the message. */
  DEFAULT_KEY: 2,
  /** The topic is omitted: it is the type's default topic for the message ({@link defaultTopicOf}). */
  DEFAULT_TOPIC: 4,
} as const;
const KNOWN_FLAGS = 7;

/** Everything the codec carries. */
export type WireMessage = MarketData | OrderEvent | PositionEvent | AccountState | TradingCommand | NodeFrame;

/**
 * Where a message goes and how it is identified; written in the header. The id is either
 * `eventId` or the pair (`producer`, `sequence`), which stands for the id `<producer>:<sequence>`
 * and costs a number on the wire instead of a string.
 */
export interface Envelope {
  /** Unique per message; consumers drop a second delivery of the same id. */
  readonly eventId?: string;
  /** With {@link sequence}: the id of a message numbered by its producer. */
  readonly producer?: string;
  /** The producer's number of this message (a non-negative safe integer). */
  readonly sequence?: number;
  /** Messages with the same key keep their order. Defaults to {@link partitionKeyOf}. */
  readonly partitionKey?: string;
  /**
   * Bus topic the consumer republishes on. Defaults to the type's default topic
   * ({@link defaultTopicOf}); a topic equal to it is not written out.
   */
  readonly topic?: string;
}

export interface MessageHeader {
  readonly major: number;
  readonly minor: number;
  readonly typeId: number;
  /** Name of the message type, e.g. "TradeTick". */
  readonly type: string;
  /** Header flags ({@link HeaderFlags}; 0 for version 1 messages). */
  readonly flags: number;
  /** The event id (for a sequenced id, `<producer>:<sequence>`, built when read). */
  readonly eventId: string;
  /** The producer of a sequenced id, else "". */
  readonly producer: string;
  /** The sequence number of a sequenced id, else -1. */
  readonly sequence: number;
  /** The ordering key (a default key is found from the body when read). */
  readonly partitionKey: string;
  /** The bus topic (a default topic is found from the body when read). */
  readonly topic: string;
  /** Offset of the body in the message. */
  readonly bodyOffset: number;
  readonly bodyLength: number;
}

export interface Decoded<T extends WireMessage = WireMessage> {
  readonly header: MessageHeader;
  readonly message: T;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds codecs of every message type
type AnyBodyCodec = BodyCodec<any>;

const ALL_CODECS: readonly AnyBodyCodec[] = [
  TradeTickCodec,
  QuoteTickCodec,
  OrderBookDeltasCodec,
  OrderBookDepthCodec,
  BarCodec,
  MarkPriceUpdateCodec,
  ...ORDER_EVENT_CODECS,
  ...POSITION_EVENT_CODECS,
  AccountStateCodec,
  SubmitOrderCodec,
  SubmitOrderListCodec,
  ModifyOrderCodec,
  CancelOrderCodec,
  CancelAllOrdersCodec,
  NodeFrameCodec,
];

const BY_ID: (AnyBodyCodec | undefined)[] = [];
const BY_NAME = new Map<string, AnyBodyCodec>();
for (const c of ALL_CODECS) {
  if (BY_ID[c.id] !== undefined || BY_NAME.has(c.name)) throw new Error(`duplicate codec ${c.id} ${c.name}`);
  BY_ID[c.id] = c;
  BY_NAME.set(c.name, c);
}

/** Stable wire type ids by type name (documentation and tests). */
export const MESSAGE_TYPES: Readonly<Record<string, number>> = Object.fromEntries(
  ALL_CODECS.map((c) => [c.name, c.id]),
);

function codecFor(message: WireMessage): AnyBodyCodec {
  if (message instanceof TradeTick) return TradeTickCodec;
  if (message instanceof QuoteTick) return QuoteTickCodec;
  if (message instanceof OrderBookDeltas) return OrderBookDeltasCodec;
  if (message instanceof Bar) return BarCodec;
  if (message instanceof OrderBookDepth) return OrderBookDepthCodec;
  if (message instanceof MarkPriceUpdate) return MarkPriceUpdateCodec;
  const type = (message as { type?: unknown }).type;
  const c = typeof type === "string" ? BY_NAME.get(type) : undefined;
  if (c === undefined) {
    const name = (message as object)?.constructor?.name ?? typeof message;
    throw new CodecError("CODEC_UNENCODABLE", `no wire codec for message ${String(type ?? name)}`, {
      type: String(type ?? name),
    });
  }
  return c;
}

/** The default ordering key: the instrument (or, for account snapshots, the account). */
export function partitionKeyOf(message: WireMessage): string {
  if (message instanceof Bar) return message.barType.instrumentId.value;
  if ("instrumentId" in message) return message.instrumentId.value;
  if ("key" in message) return message.key;
  return message.accountId.value;
}

/**
 * The bus topic a message of its type is published on by default (market data:
 * `data.trades.<instrument>` and the like, as `Topics` names them), or null for types without
 * one (their topic is always written out).
 */
export function defaultTopicOf(message: WireMessage): string | null {
  const c = codecFor(message);
  return c.topicOf === undefined ? null : c.topicOf(message);
}

function unencodable(codec: AnyBodyCodec, why: string): CodecError {
  return new CodecError("CODEC_UNENCODABLE", `${codec.name}: ${why}`, { type: codec.name });
}

/**
 * Encodes and decodes {@link WireMessage}s. One instance reuses one output buffer, so it is
 * not re-entrant; use one per producer.
 */
export class MessageCodec {
  private readonly w = new ByteWriter();
  private readonly r = new ByteReader(new Uint8Array(0));

  /** Encodes `message` with its envelope into a new byte array (a view of the writer's slab). */
  encode(message: WireMessage, envelope: Envelope): Uint8Array {
    const w = this.w;
    this.encodeInto(w, message, envelope);
    return w.finish();
  }

  /** Encodes into `w` as a new message; its bytes are then `w.finish()`. */
  encodeInto(w: ByteWriter, message: WireMessage, envelope: Envelope): void {
    const codec = codecFor(message);
    const { eventId, producer, sequence, partitionKey, topic } = envelope;
    let flags = 0;
    if (eventId === undefined) {
      if (producer === undefined || sequence === undefined) {
        throw unencodable(codec, "the envelope needs an eventId or a producer and a sequence");
      }
      if (!(sequence >= 0 && Number.isSafeInteger(sequence))) {
        throw unencodable(codec, `sequence ${sequence} is not a non-negative safe integer`);
      }
      flags = HeaderFlags.SEQUENCED_ID;
    } else if (producer !== undefined || sequence !== undefined) {
      throw unencodable(codec, "the envelope has both an eventId and a producer/sequence");
    }
    if (partitionKey === undefined) flags |= HeaderFlags.DEFAULT_KEY;
    if (codec.topicOf !== undefined && (topic === undefined || topic === codec.topicOf(message))) {
      flags |= HeaderFlags.DEFAULT_TOPIC;
    } else if (topic === undefined) {
      throw unencodable(codec, "the envelope needs a topic (the type has no default topic)");
    }
    w.reset();
    w.ensure(FIXED_HEADER_BYTES);
    const buf = w.buf;
    const s = w.start;
    buf[s] = CODEC_MAGIC_0;
    buf[s + 1] = CODEC_MAGIC_1;
    buf[s + 2] = CODEC_MAJOR;
    buf[s + 3] = CODEC_MINOR;
    buf[s + 4] = codec.id & 0xff;
    buf[s + 5] = codec.id >>> 8;
    buf[s + 12] = flags;
    w.pos = s + FIXED_HEADER_BYTES;
    try {
      if (eventId === undefined) {
        w.strCached(producer as string, "producer");
        w.f64(sequence as number);
      } else w.str(eventId, "eventId");
      if (partitionKey !== undefined) w.strCached(partitionKey, "partitionKey");
      if ((flags & HeaderFlags.DEFAULT_TOPIC) === 0) w.strCached(topic as string, "topic");
      const bodyOffset = w.length;
      codec.encode(w, message);
      w.patchU16(6, bodyOffset);
      w.patchU32(8, w.length - bodyOffset);
    } catch (e) {
      w.abort();
      throw e;
    }
  }

  /**
   * The header of the last message read by {@link readHeader}, {@link decodeMessage} or
   * {@link decode}: one object reused for every message (no allocation); copy what you keep.
   */
  readonly header: MessageHeader = new MutableHeader(this);
  private headerOf: Uint8Array | null = null;
  private headerStart = 0;
  private headerEnd = 0;
  /** The message decoded from the bytes of {@link header}, once decoded. */
  private bodyOf: WireMessage | null = null;

  /**
   * Reads and validates the header only (magic, version, type, flags, lengths), without
   * decoding the body: enough to de-duplicate and route a message cheaply. Returns the reused
   * {@link header}; follow with {@link decodeBody} to decode the same bytes' body.
   */
  readHeader(bytes: Uint8Array, start = 0, end = bytes.length): MessageHeader {
    const r = this.r;
    r.reset(bytes, start, end);
    this.headerOf = null;
    this.bodyOf = null;
    readHeader(r, this.header as MutableHeader);
    this.headerOf = bytes;
    this.headerStart = start;
    this.headerEnd = end;
    return this.header;
  }

  /** Like {@link readHeader}, but returns a copy the caller may keep (every field resolved). */
  peekHeader(bytes: Uint8Array): MessageHeader {
    return (this.readHeader(bytes) as MutableHeader).copy();
  }

  /** Decodes the body of the message whose header {@link readHeader} just read. */
  decodeBody<T extends WireMessage = WireMessage>(bytes: Uint8Array, start = 0, end = bytes.length): T {
    if (this.headerOf !== bytes || this.headerStart !== start) this.readHeader(bytes, start, end);
    const r = this.r;
    const header = this.header;
    const codec = BY_ID[header.typeId] as AnyBodyCodec;
    // r.buf is `bytes` (its header was just read): only the range changes.
    r.pos = start + header.bodyOffset;
    r.end = r.pos + header.bodyLength;
    r.context = codec.name;
    let message: T;
    try {
      message = codec.decode(r) as T;
    } catch (e) {
      throw wrapBodyError(e, header);
    }
    if (r.pos !== r.end && header.minor <= lastMinorOf(header.major)) {
      throw new CodecError(
        "CODEC_LENGTH_MISMATCH",
        `${header.type} ${header.eventId}: ${r.end - r.pos} unread body bytes (corrupt or mislabelled message)`,
        { type: header.type, eventId: header.eventId },
      );
    }
    this.bodyOf = message;
    return message;
  }

  /**
   * Decodes one message (the fast path: the header is left in {@link header}). The message may
   * be a range `[start, end)` of a larger buffer (zero-copy: a slab or a received pack). Throws
   * {@link CodecError} if it is not exactly a valid message.
   */
  decodeMessage<T extends WireMessage = WireMessage>(bytes: Uint8Array, start = 0, end = bytes.length): T {
    this.readHeader(bytes, start, end);
    return this.decodeBody<T>(bytes, start, end);
  }

  /** Decodes one message and returns it with a copy of its header. */
  decode<T extends WireMessage = WireMessage>(bytes: Uint8Array): Decoded<T> {
    const message = this.decodeMessage<T>(bytes);
    return { header: (this.header as MutableHeader).copy(), message };
  }

  /** The body of the current header's message (decoded now if it was not yet). */
  private currentBody(): WireMessage {
    if (this.bodyOf !== null) return this.bodyOf;
    const bytes = this.headerOf;
    if (bytes === null) throw new Error("no message header has been read");
    return this.decodeBody(bytes, this.headerStart, this.headerEnd);
  }

  /** @internal the default key of the current message (decodes its body if needed). */
  defaultKey(): string {
    return partitionKeyOf(this.currentBody());
  }

  /** @internal the default topic of the current message (decodes its body if needed). */
  defaultTopic(): string {
    return (BY_ID[this.header.typeId] as AnyBodyCodec).topicOf?.(this.currentBody()) ?? "";
  }
}

/**
 * The reused header. The id, key and topic strings a version-2 header leaves out (sequenced id,
 * default key, default topic) are built when first read, so routing and de-duplication by
 * producer and sequence never make them.
 */
class MutableHeader implements MessageHeader {
  major = 0;
  minor = 0;
  typeId = 0;
  type = "";
  flags = 0;
  producer = "";
  sequence = -1;
  bodyOffset = 0;
  bodyLength = 0;
  /** Strings read from the header, or null until built. */
  id: string | null = null;
  key: string | null = null;
  busTopic: string | null = null;

  constructor(private readonly codec: MessageCodec) {}

  get eventId(): string {
    if (this.id === null) this.id = `${this.producer}:${this.sequence}`;
    return this.id;
  }

  get partitionKey(): string {
    if (this.key === null) this.key = this.codec.defaultKey();
    return this.key;
  }

  get topic(): string {
    if (this.busTopic === null) this.busTopic = this.codec.defaultTopic();
    return this.busTopic;
  }

  /** A plain copy with every field resolved. */
  copy(): MessageHeader {
    return {
      major: this.major,
      minor: this.minor,
      typeId: this.typeId,
      type: this.type,
      flags: this.flags,
      eventId: this.eventId,
      producer: this.producer,
      sequence: this.sequence,
      partitionKey: this.partitionKey,
      topic: this.topic,
      bodyOffset: this.bodyOffset,
      bodyLength: this.bodyLength,
    };
  }
}

function readHeader(r: ByteReader, out: MutableHeader): void {
  r.context = "message header";
  const bytes = r.buf;
  // The message is bytes[base, limit); offsets in the header are relative to base.
  const base = r.pos;
  const length = r.end - base;
  if (length < V1_FIXED_HEADER_BYTES) {
    throw new CodecError(
      "CODEC_TRUNCATED",
      `message of ${length} bytes is shorter than the ${V1_FIXED_HEADER_BYTES}-byte header`,
      { length },
    );
  }
  if (bytes[base] !== CODEC_MAGIC_0 || bytes[base + 1] !== CODEC_MAGIC_1) {
    throw new CodecError(
      "CODEC_BAD_MAGIC",
      `not a Bot V6 message: magic 0x${hex(bytes[base])}${hex(bytes[base + 1])}, expected 0xb606`,
      { magic: (bytes[base] << 8) | bytes[base + 1] },
    );
  }
  const major = bytes[base + 2];
  const minor = bytes[base + 3];
  if (major !== CODEC_MAJOR && major !== CODEC_OLDEST_MAJOR) {
    throw new CodecError(
      "CODEC_UNSUPPORTED_VERSION",
      `message format version ${major}.${minor} is not supported (this build reads ${CODEC_OLDEST_MAJOR}.x and ${CODEC_MAJOR}.x); upgrade the consumer or downgrade the producer`,
      { major, minor, supportedMajor: CODEC_MAJOR },
    );
  }
  const typeId = r.u16At(base + 4);
  const codec = BY_ID[typeId];
  if (codec === undefined) {
    throw new CodecError(
      "CODEC_UNKNOWN_TYPE",
      `message type id ${typeId} is unknown to format ${CODEC_MAJOR}.${CODEC_MINOR}`,
      { typeId, major, minor },
    );
  }
  const bodyOffset = r.u16At(base + 6);
  const bodyLength = r.u32At(base + 8);
  let flags = 0;
  if (major === CODEC_MAJOR) {
    if (length < FIXED_HEADER_BYTES) r.need(FIXED_HEADER_BYTES, "flags");
    flags = bytes[base + 12];
    if ((flags & ~KNOWN_FLAGS) !== 0) {
      throw new CodecError(
        "CODEC_UNSUPPORTED_VERSION",
        `${codec.name}: header flags 0x${hex(flags)} include bits unknown to format ${CODEC_MAJOR}.${CODEC_MINOR}`,
        { type: codec.name, flags },
      );
    }
    if ((flags & HeaderFlags.DEFAULT_TOPIC) !== 0 && codec.topicOf === undefined) {
      throw new CodecError(
        "CODEC_INVALID_VALUE",
        `${codec.name}: flags say default topic, the type has none`,
        {
          type: codec.name,
          flags,
        },
      );
    }
    r.pos = base + FIXED_HEADER_BYTES;
  } else r.pos = base + V1_FIXED_HEADER_BYTES;
  let id: string | null = null;
  let producer = "";
  let sequence = -1;
  if ((flags & HeaderFlags.SEQUENCED_ID) === 0) id = r.str("eventId");
  else {
    producer = r.internedStr("producer");
    sequence = r.int("sequence");
    if (sequence < 0) {
      throw new CodecError("CODEC_INVALID_VALUE", `${codec.name}: sequence ${sequence} is negative`, {
        type: codec.name,
      });
    }
  }
  const key = (flags & HeaderFlags.DEFAULT_KEY) === 0 ? r.internedStr("partitionKey") : null;
  const topic = (flags & HeaderFlags.DEFAULT_TOPIC) === 0 ? r.internedStr("topic") : null;
  const headerEnd = r.pos - base;
  if (bodyOffset < headerEnd || (bodyOffset > headerEnd && minor <= lastMinorOf(major))) {
    throw new CodecError(
      "CODEC_LENGTH_MISMATCH",
      `${codec.name} ${idLabel(id, producer, sequence)}: header length ${bodyOffset} does not match its fields (${headerEnd})`,
      { type: codec.name, eventId: idLabel(id, producer, sequence) },
    );
  }
  if (bodyOffset + bodyLength !== length) {
    throw new CodecError(
      "CODEC_LENGTH_MISMATCH",
      `${codec.name} ${idLabel(id, producer, sequence)}: header says ${bodyOffset + bodyLength} bytes, message has ${length}`,
      {
        type: codec.name,
        eventId: idLabel(id, producer, sequence),
        expected: bodyOffset + bodyLength,
        actual: length,
      },
    );
  }
  out.major = major;
  out.minor = minor;
  out.typeId = typeId;
  out.type = codec.name;
  out.flags = flags;
  out.id = id;
  out.producer = producer;
  out.sequence = sequence;
  out.key = key;
  out.busTopic = topic;
  out.bodyOffset = bodyOffset;
  out.bodyLength = bodyLength;
}

/** The event id of a header being read, for an error message. */
function idLabel(id: string | null, producer: string, sequence: number): string {
  return id ?? `${producer}:${sequence}`;
}

function wrapBodyError(e: unknown, h: MessageHeader): CodecError {
  if (e instanceof CodecError) {
    return new CodecError(e.code, `${h.type} ${h.eventId}: ${e.message}`, {
      ...e.details,
      eventId: h.eventId,
    });
  }
  const reason = e instanceof Error ? e.message : String(e);
  const cause = e instanceof BotV6Error ? e.code : "ERROR";
  return new CodecError("CODEC_INVALID_VALUE", `${h.type} ${h.eventId}: invalid field value: ${reason}`, {
    type: h.type,
    eventId: h.eventId,
    cause,
  });
}

function hex(b: number | undefined): string {
  return (b ?? 0).toString(16).padStart(2, "0");
}
