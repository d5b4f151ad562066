/**
 * Little-endian byte writer and reader for the wire codec.
 *
 * Numbers that are safe integers (fixed-point raws, microsecond timestamps, sequence numbers)
 * travel as float64: exact for every safe integer, one native store, no BigInt. Strings are
 * length-prefixed UTF-8 (at most 32767 bytes) with an ASCII flag, since identifiers are ASCII.
 */
import { CodecError } from "./errors.js";

const utf8Encoder = new TextEncoder();
/**
 * Strings are prefixed with a u16: the low 15 bits are the byte length, the top bit says the
 * bytes are pure ASCII (so the reader builds the string without scanning or UTF-8 decoding).
 */
const MAX_STR = 0x7fff;
const ASCII_BIT = 0x8000;
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });
/** Entries of a writer's cache of encoded repeated strings (a power of two). */
const STR_CACHE = 64;

/**
 * An output buffer that writes messages back to back into a slab and hands each one out as a
 * view (`finish`), like Node's Buffer pool: allocating one small ArrayBuffer per message costs
 * more than encoding it. A message that does not fit moves to a fresh slab; earlier views keep
 * their slab alive until they are dropped.
 */
export class ByteWriter {
  buf: Uint8Array;
  view: DataView;
  /** The ArrayBuffer of {@link buf} (read once per slab, not per message). */
  private slab: ArrayBufferLike;
  /** Start of the message being written. */
  start = 0;
  pos = 0;
  private readonly slabSize: number;

  constructor(slabSize = 256 * 1024) {
    this.slabSize = slabSize;
    this.buf = newSlabBytes(slabSize);
    this.slab = this.buf.buffer;
    this.view = new DataView(this.slab);
  }

  /** Starts a new message (at the next 8-byte boundary of the slab). */
  reset(): void {
    const next = (this.pos + 7) & ~7;
    if (next + 256 > this.buf.length) {
      // nothing of the previous message moves to the new slab
      this.start = this.pos;
      this.newSlab(0);
    } else this.start = this.pos = next;
  }

  /** Discards the message being written (after an encoding error). */
  abort(): void {
    this.pos = this.start;
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.newSlab(this.pos - this.start + n);
  }

  private newSlab(need: number): void {
    let cap = this.slabSize;
    while (cap < need * 2) cap *= 2;
    const next = newSlabBytes(cap);
    const len = this.pos - this.start;
    if (len > 0) next.set(this.buf.subarray(this.start, this.pos));
    this.buf = next;
    this.slab = next.buffer;
    this.view = new DataView(this.slab);
    this.start = 0;
    this.pos = len;
  }

  /** Writes a u16 at `offset` from the message start. */
  patchU16(offset: number, v: number): void {
    this.view.setUint16(this.start + offset, v, true);
  }

  /** Writes a u32 at `offset` from the message start. */
  patchU32(offset: number, v: number): void {
    this.view.setUint32(this.start + offset, v, true);
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.ensure(2);
    this.view.setUint16(this.pos, v, true);
    this.pos += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }

  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  bool(v: boolean): void {
    this.u8(v ? 1 : 0);
  }

  /** A u16-length-prefixed UTF-8 string. */
  str(s: string, field: string): void {
    const n = s.length;
    this.ensure(2 + n);
    const start = this.pos + 2;
    const buf = this.buf;
    // Copy optimistically as ASCII (no branch per character); rewrite as UTF-8 if any was not.
    let any = 0;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      any |= c;
      buf[start + i] = c;
    }
    if (any > 0x7f) {
      this.strUtf8(s, field);
      return;
    }
    if (n > MAX_STR) throw tooLong(field, n);
    buf[this.pos] = n & 0xff;
    buf[this.pos + 1] = (n >>> 8) | 0x80;
    this.pos = start + n;
  }

  /**
   * Like {@link str}, for strings that repeat message after message (topics, partition keys,
   * instrument ids): the encoded bytes of recently written strings are kept, and a repeat is one
   * native copy instead of a loop over its characters.
   */
  strCached(s: string, field: string): void {
    const n = s.length;
    if (n === 0 || n > 64) {
      this.str(s, field);
      return;
    }
    // Length and four sampled characters pick a pair of slots (two-way: strings that sample
    // alike, e.g. data.trades.BTCUSDT.BINANCE / data.trades.ETHUSDT.BINANCE, can both stay).
    // The last two strings written here keep their slot (a message alternates producer and
    // instrument): an identity check instead of hashing.
    let slot: number;
    if (s === this.memoKey0) slot = this.memoSlot0;
    else if (s === this.memoKey1) slot = this.memoSlot1;
    else {
      const h = Math.imul(
        n ^
          (s.charCodeAt(0) << 7) ^
          (s.charCodeAt(n >> 2) << 12) ^
          (s.charCodeAt(n >> 1) << 17) ^
          (s.charCodeAt(n - 1) << 22),
        0x9e3779b1,
      );
      slot = (h >>> 26) & (STR_CACHE - 1);
      this.memoKey1 = this.memoKey0;
      this.memoSlot1 = this.memoSlot0;
      this.memoKey0 = s;
      this.memoSlot0 = slot;
    }
    const keys = this.cacheKeys;
    if (keys[slot] !== s) slot ^= 1;
    if (keys[slot] === s) {
      // Four bytes per store (a byte loop costs ~4x, the native set() ~2x for these lengths).
      const bytes = this.cacheBytes[slot] as Uint8Array;
      const words = this.cacheWords[slot] as Int32Array;
      const len = bytes.length;
      this.ensure(len);
      const view = this.view;
      const p = this.pos;
      const full = words.length;
      for (let k = 0; k < full; k++) view.setInt32(p + 4 * k, words[k], true);
      const buf = this.buf;
      for (let i = 4 * full; i < len; i++) buf[p + i] = bytes[i];
      this.pos = p + len;
      return;
    }
    const start = this.pos;
    this.str(s, field);
    // The newcomer takes the pair's first slot; what was there moves to the second.
    const first = slot & ~1;
    keys[first | 1] = keys[first];
    this.cacheBytes[first | 1] = this.cacheBytes[first];
    this.cacheWords[first | 1] = this.cacheWords[first];
    keys[first] = s;
    // A copy (the slab is a Buffer, whose slice() would be a view).
    const bytes = Uint8Array.prototype.slice.call(this.buf, start, this.pos);
    const words = new Int32Array(bytes.length >> 2);
    const bv = new DataView(bytes.buffer);
    for (let k = 0; k < words.length; k++) words[k] = bv.getInt32(4 * k, true);
    this.cacheBytes[first] = bytes;
    this.cacheWords[first] = words;
  }

  private readonly cacheKeys: (string | undefined)[] = new Array(STR_CACHE);
  private memoKey0: string | null = null;
  private memoSlot0 = 0;
  private memoKey1: string | null = null;
  private memoSlot1 = 0;
  private readonly cacheBytes: (Uint8Array | undefined)[] = new Array(STR_CACHE);
  /** The cached bytes as little-endian 32-bit words (the last length % 4 bytes left out). */
  private readonly cacheWords: (Int32Array | undefined)[] = new Array(STR_CACHE);

  private strUtf8(s: string, field: string): void {
    const bytes = utf8Encoder.encode(s);
    if (bytes.length > MAX_STR) throw tooLong(field, bytes.length);
    this.u16(bytes.length);
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** The message written since `reset`, as a view into the slab (not copied). */
  finish(): Uint8Array {
    // The constructor on the slab's own ArrayBuffer is about twice as fast as subarray.
    return new Uint8Array(this.slab, this.start, this.pos - this.start);
  }

  /** Length of the message written since `reset`. */
  get length(): number {
    return this.pos - this.start;
  }
}

/**
 * A slab's bytes, not zero-filled: every byte handed out was written first (a message is only
 * handed out up to where it was written), and zeroing 256 KB per slab cost ~3 % of encoding.
 */
function newSlabBytes(size: number): Uint8Array {
  return Buffer.allocUnsafeSlow(size);
}

function tooLong(field: string, n: number): CodecError {
  return new CodecError("CODEC_UNENCODABLE", `${field}: string of ${n} bytes exceeds ${MAX_STR}`, { field });
}

// Node's Buffer#latin1Slice works on any Uint8Array.
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice: (start: number, end: number) => string })
  .latin1Slice;

const fromCharCode = String.fromCharCode;

/**
 * A short ASCII string (1..12 bytes, e.g. a trade id) built by one `String.fromCharCode` call
 * with an argument per byte: for such lengths cheaper than a call into the native
 * `latin1Slice`, and no concatenation.
 */
function shortAscii(b: Uint8Array, p: number, n: number): string {
  switch (n) {
    case 1:
      return fromCharCode(b[p]);
    case 2:
      return fromCharCode(b[p], b[p + 1]);
    case 3:
      return fromCharCode(b[p], b[p + 1], b[p + 2]);
    case 4:
      return fromCharCode(b[p], b[p + 1], b[p + 2], b[p + 3]);
    case 5:
      return fromCharCode(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4]);
    case 6:
      return fromCharCode(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5]);
    case 7:
      return fromCharCode(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6]);
    case 8:
      return fromCharCode(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7]);
    case 9:
      return fromCharCode(
        b[p],
        b[p + 1],
        b[p + 2],
        b[p + 3],
        b[p + 4],
        b[p + 5],
        b[p + 6],
        b[p + 7],
        b[p + 8],
      );
    case 10:
      // biome-ignore format: one argument per byte
      return fromCharCode(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7], b[p + 8], b[p + 9]);
    case 11:
      // biome-ignore format: one argument per byte
      return fromCharCode(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7], b[p + 8], b[p + 9], b[p + 10]);
    default:
      // biome-ignore format: one argument per byte
      return fromCharCode(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7], b[p + 8], b[p + 9], b[p + 10], b[p + 11]);
  }
}

/** Decoded short ASCII strings, interned by content: ids and topics repeat on every message. */
const INTERN_SIZE = 4096;
const internKeys: (string | undefined)[] = new Array(INTERN_SIZE);
/** Per intern slot: its string's bytes as little-endian 32-bit words (the last n % 4 bytes left out). */
const internWords: (Int32Array | undefined)[] = new Array(INTERN_SIZE);
/** Per intern slot: a value made from its string (e.g. the InstrumentId) and the maker. */
const internMakers: unknown[] = new Array(INTERN_SIZE);
const internValues: unknown[] = new Array(INTERN_SIZE);

/**
 * A bounds-checked reader over one message. Every read past the end throws CODEC_TRUNCATED.
 * float64 fields are read through a DataView made once per buffer (not per message): messages
 * of one slab or one received pack share it. Assembling a float64 from bytes in JavaScript
 * instead (two 32-bit stores, one 64-bit load of scratch memory) stalls on store forwarding
 * and costs about three DataView reads.
 */
export class ByteReader {
  buf: Uint8Array;
  pos: number;
  end: number;
  /** Names the message being read, for error messages. */
  context = "";

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.setBuffer(buf);
    this.pos = start;
    this.end = end;
  }

  /** A DataView of `buf`'s whole ArrayBuffer (made when that changes); `buf[i]` is at `viewOffset + i`. */
  private view: DataView = new DataView(new ArrayBuffer(0));
  private viewBuffer: ArrayBufferLike | null = null;
  private viewOffset = 0;

  private setBuffer(buf: Uint8Array): void {
    this.buf = buf;
    const ab = buf.buffer;
    if (ab !== this.viewBuffer) {
      this.viewBuffer = ab;
      this.view = new DataView(ab);
    }
    this.viewOffset = buf.byteOffset;
  }

  /** The little-endian float64 at `p` of `buf`. */
  private f64At(p: number): number {
    return this.view.getFloat64(this.viewOffset + p, true);
  }

  /** Points the reader at the message `buf[start, end)`. */
  reset(buf: Uint8Array, start = 0, end = buf.length): void {
    if (buf !== this.buf) this.setBuffer(buf);
    this.pos = start;
    this.end = end;
  }

  /** u16 at an absolute offset, unchecked (the caller checked the length). */
  u16At(offset: number): number {
    return this.buf[offset] | (this.buf[offset + 1] << 8);
  }

  /** u32 at an absolute offset, unchecked. */
  u32At(offset: number): number {
    const b = this.buf;
    return (b[offset] | (b[offset + 1] << 8) | (b[offset + 2] << 16)) + b[offset + 3] * 0x1000000;
  }

  need(n: number, field: string): void {
    if (this.pos + n > this.end) {
      throw new CodecError(
        "CODEC_TRUNCATED",
        `${this.context}: truncated reading ${field} at byte ${this.pos} (need ${n}, have ${this.end - this.pos})`,
        { field, offset: this.pos },
      );
    }
  }

  u8(field: string): number {
    if (this.pos >= this.end) this.need(1, field);
    return this.buf[this.pos++];
  }

  u16(field: string): number {
    this.need(2, field);
    const v = this.u16At(this.pos);
    this.pos += 2;
    return v;
  }

  u32(field: string): number {
    this.need(4, field);
    const v = this.u32At(this.pos);
    this.pos += 4;
    return v;
  }

  f64(field: string): number {
    const p = this.pos;
    if (p + 8 > this.end) this.need(8, field);
    this.pos = p + 8;
    return this.f64At(p);
  }

  /** A float64 that must hold a safe integer (raws, timestamps, sequence numbers). */
  int(field: string): number {
    const p = this.pos;
    if (p + 8 > this.end) this.need(8, field);
    this.pos = p + 8;
    const v = this.f64At(p);
    if (!Number.isSafeInteger(v)) {
      throw new CodecError("CODEC_INVALID_VALUE", `${this.context}: ${field} = ${v} is not a safe integer`, {
        field,
      });
    }
    return v;
  }

  bool(field: string): boolean {
    const v = this.u8(field);
    if (v > 1) {
      throw new CodecError("CODEC_INVALID_VALUE", `${this.context}: ${field} flag is ${v}, not 0 or 1`, {
        field,
      });
    }
    return v === 1;
  }

  str(field: string): string {
    const prefix = this.u16(field);
    const n = prefix & MAX_STR;
    this.need(n, field);
    const start = this.pos;
    if ((prefix & ASCII_BIT) === 0) return this.strUtf8(start, n, field);
    this.pos = start + n;
    if (n === 0) return "";
    if (n <= 12) return shortAscii(this.buf, start, n);
    // One native call builds a flat one-byte string (far cheaper than concatenation).
    return latin1Slice.call(this.buf, start, start + n) as string;
  }

  /**
   * Like {@link str}, for strings that repeat (instrument ids, topics, strategy ids): a hit in
   * the intern table returns the same flat string without building a new one.
   */
  internedStr(field: string): string {
    const prefix = this.u16(field);
    const n = prefix & MAX_STR;
    this.need(n, field);
    const buf = this.buf;
    const start = this.pos;
    this.internSlot = -1;
    if ((prefix & ASCII_BIT) === 0 || n === 0 || n > 128) return this.strUtf8(start, n, field);
    const last = start + n - 1;
    // A cheap probe (length and four sampled bytes); the full comparison below decides.
    const h =
      Math.imul(n ^ (buf[start] << 8) ^ (buf[last] << 16) ^ (buf[start + (n >> 1)] << 4), 0x9e3779b1) ^
      buf[last - 1];
    const slot = (h >>> 20) & (INTERN_SIZE - 1);
    const cached = internKeys[slot];
    this.pos = start + n;
    this.internSlot = slot;
    if (cached !== undefined && cached.length === n) {
      // Four bytes per step through the DataView, then the last n % 4 bytes.
      const words = internWords[slot] as Int32Array;
      const view = this.view;
      const at = this.viewOffset + start;
      const full = n >> 2;
      let k = 0;
      while (k < full && view.getInt32(at + 4 * k, true) === words[k]) k++;
      if (k === full) {
        let i = n - 1;
        while (i >= 4 * full && cached.charCodeAt(i) === buf[start + i]) i--;
        if (i < 4 * full) return cached;
      }
    }
    const s = latin1Slice.call(buf, start, start + n) as string;
    const words = new Int32Array(n >> 2);
    const view = this.view;
    for (let k = 0; k < words.length; k++) words[k] = view.getInt32(this.viewOffset + start + 4 * k, true);
    internWords[slot] = words;
    internKeys[slot] = s;
    internMakers[slot] = undefined;
    internValues[slot] = undefined;
    return s;
  }

  /** Intern slot of the string the last {@link internedStr} returned (-1: not interned). */
  private internSlot = -1;

  /**
   * Like {@link internedStr}, returning `make(string)`, made once per interned string (e.g. the
   * InstrumentId of an instrument id string) instead of once per message.
   */
  internedValue<T>(field: string, make: (s: string) => T): T {
    const s = this.internedStr(field);
    const slot = this.internSlot;
    if (slot < 0) return make(s);
    if (internMakers[slot] === make && internKeys[slot] === s) return internValues[slot] as T;
    const v = make(s);
    if (internKeys[slot] === s) {
      internMakers[slot] = make;
      internValues[slot] = v;
    }
    return v;
  }

  private strUtf8(start: number, n: number, field: string): string {
    let s: string;
    try {
      s = utf8Decoder.decode(this.buf.subarray(start, start + n));
    } catch {
      throw new CodecError("CODEC_INVALID_VALUE", `${this.context}: ${field} is not valid UTF-8`, { field });
    }
    this.pos = start + n;
    return s;
  }

  remaining(): number {
    return this.end - this.pos;
  }
}
