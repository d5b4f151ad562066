/**
 * The versioned binary wire codec for messages that cross a bus bridge.
 *
 * Layout (little endian), version 1.0:
 *
 * ```
 *  0  u8   0xB6, u8 0x06        magic
 *  2  u8   major                an unknown major version is rejected, never guessed at
 *  3  u8   minor                newer minors only append header or body fields
 *  4  u16  typeId               stable id of the message type (see MESSAGE_TYPES)
 *  6  u16  headerLength         offset of the body; lets a newer minor append header fields
 *  8  u32  bodyLength           bytes after the header; total length must match exactly
 * 12  str  eventId              de-duplication key (u16 length + UTF-8)
 *     str  partitionKey         ordering key, normally the instrument id
 *     str  topic                the in-process bus topic to republish on
 *     ...  body                 the type's fields in a fixed order
 * ```
 *
 * Compatibility rules: a decoder accepts its own major with any minor. Fields a newer minor
 * appends to the header or body are skipped (the lengths say where they end); trailing bytes
 * in a message of the decoder's own (or an older) minor mean corruption and are rejected.
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
export const CODEC_MAJOR = 1;
export const CODEC_MINOR = 0;
/** Size of the fixed part of the header. */
export const FIXED_HEADER_BYTES = 12;

/** Everything the codec carries. */
export type WireMessage = MarketData | OrderEvent | PositionEvent | AccountState | TradingCommand | NodeFrame;

/** Where a message goes and how it is identified; written in the header. */
export interface Envelope {
  /** Unique per message; consumers drop a second delivery of the same id. */
  readonly eventId: string;
  /** Messages with the same key keep their order. Defaults to {@link partitionKeyOf}. */
  readonly partitionKey?: string;
  /** Bus topic the consumer republishes on. */
  readonly topic: string;
}

export interface MessageHeader {
  readonly major: number;
  readonly minor: number;
  readonly typeId: number;
  /** Name of the message type, e.g. "TradeTick". */
  readonly type: string;
  readonly eventId: string;
  readonly partitionKey: string;
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
 * Encodes and decodes {@link WireMessage}s. One instance reuses one output buffer, so it is
 * not re-entrant; use one per producer.
 */
export class MessageCodec {
  private readonly w = new ByteWriter();
  private readonly r = new ByteReader(new Uint8Array(0));

  /** Encodes `message` with its envelope into a new byte array. */
  encode(message: WireMessage, envelope: Envelope): Uint8Array {
    const w = this.w;
    this.encodeInto(w, message, envelope);
    return w.finish();
  }

  /** Encodes into `w` as a new message; its bytes are then `w.finish()`. */
  encodeInto(w: ByteWriter, message: WireMessage, envelope: Envelope): void {
    const codec = codecFor(message);
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
    w.pos = s + FIXED_HEADER_BYTES;
    try {
      w.str(envelope.eventId, "eventId");
      w.strCached(envelope.partitionKey ?? partitionKeyOf(message), "partitionKey");
      w.strCached(envelope.topic, "topic");
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
  readonly header: MessageHeader = new MutableHeader();
  private headerOf: Uint8Array | null = null;
  private headerStart = 0;

  /**
   * Reads and validates the header only (magic, version, type, lengths), without decoding the
   * body: enough to de-duplicate and route a message cheaply. Returns the reused
   * {@link header}; follow with {@link decodeBody} to decode the same bytes' body.
   */
  readHeader(bytes: Uint8Array, start = 0, end = bytes.length): MessageHeader {
    const r = this.r;
    r.reset(bytes, start, end);
    this.headerOf = null;
    readHeader(r, this.header as MutableHeader);
    this.headerOf = bytes;
    this.headerStart = start;
    return this.header;
  }

  /** Like {@link readHeader}, but returns a copy the caller may keep. */
  peekHeader(bytes: Uint8Array): MessageHeader {
    return { ...this.readHeader(bytes) };
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
    if (r.pos !== r.end && header.minor <= CODEC_MINOR) {
      throw new CodecError(
        "CODEC_LENGTH_MISMATCH",
        `${header.type} ${header.eventId}: ${r.end - r.pos} unread body bytes (corrupt or mislabelled message)`,
        { type: header.type, eventId: header.eventId },
      );
    }
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
    return { header: { ...this.header }, message };
  }
}

class MutableHeader implements MessageHeader {
  major = 0;
  minor = 0;
  typeId = 0;
  type = "";
  eventId = "";
  partitionKey = "";
  topic = "";
  bodyOffset = 0;
  bodyLength = 0;
}

function readHeader(r: ByteReader, out: MutableHeader): void {
  r.context = "message header";
  const bytes = r.buf;
  // The message is bytes[base, limit); offsets in the header are relative to base.
  const base = r.pos;
  const length = r.end - base;
  if (length < FIXED_HEADER_BYTES) {
    throw new CodecError(
      "CODEC_TRUNCATED",
      `message of ${length} bytes is shorter than the ${FIXED_HEADER_BYTES}-byte header`,
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
  if (major !== CODEC_MAJOR) {
    throw new CodecError(
      "CODEC_UNSUPPORTED_VERSION",
      `message format version ${major}.${minor} is not supported (this build reads ${CODEC_MAJOR}.x); upgrade the consumer or downgrade the producer`,
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
  r.pos = base + FIXED_HEADER_BYTES;
  const eventId = r.str("eventId");
  const partitionKey = r.internedStr("partitionKey");
  const topic = r.internedStr("topic");
  const headerEnd = r.pos - base;
  if (bodyOffset < headerEnd || (bodyOffset > headerEnd && minor <= CODEC_MINOR)) {
    throw new CodecError(
      "CODEC_LENGTH_MISMATCH",
      `${codec.name} ${eventId}: header length ${bodyOffset} does not match its fields (${headerEnd})`,
      { type: codec.name, eventId },
    );
  }
  if (bodyOffset + bodyLength !== length) {
    throw new CodecError(
      "CODEC_LENGTH_MISMATCH",
      `${codec.name} ${eventId}: header says ${bodyOffset + bodyLength} bytes, message has ${length}`,
      { type: codec.name, eventId, expected: bodyOffset + bodyLength, actual: length },
    );
  }
  out.major = major;
  out.minor = minor;
  out.typeId = typeId;
  out.type = codec.name;
  out.eventId = eventId;
  out.partitionKey = partitionKey;
  out.topic = topic;
  out.bodyOffset = bodyOffset;
  out.bodyLength = bodyLength;
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
