import { describe, expect, it } from "vitest";
import { Topics } from "../../core/topics.js";
import { MarkPriceUpdate, OrderBookDeltas } from "../../model/data.js";
import { InstrumentId } from "../../model/identifiers.js";
import { ByteWriter } from "./bytes.js";
import { CODEC_MAJOR, defaultTopicOf, HeaderFlags, MESSAGE_TYPES, MessageCodec } from "./codec.js";
import { CodecError } from "./errors.js";
import { BTC, sampleMessages, sampleTrade } from "./fixtures.js";

const env = (i = 1) => ({ eventId: `ev-${i}`, topic: `data.trades.${BTC.value}` });

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(CodecError);
    return (e as CodecError).code;
  }
  throw new Error("expected a CodecError");
}

describe("MessageCodec", () => {
  const codec = new MessageCodec();

  it("has a fixture for every registered type", () => {
    expect(Object.keys(sampleMessages()).sort()).toEqual(Object.keys(MESSAGE_TYPES).sort());
  });

  for (const [name, message] of Object.entries(sampleMessages())) {
    it(`round-trips ${name}`, () => {
      const bytes = codec.encode(message, { eventId: `id-${name}`, topic: `t.${name}` });
      const { header, message: back } = codec.decode(bytes);
      expect(header).toMatchObject({
        major: CODEC_MAJOR,
        minor: 0,
        typeId: MESSAGE_TYPES[name],
        type: name,
        eventId: `id-${name}`,
        topic: `t.${name}`,
      });
      expect(back).toStrictEqual(message);
      // Encoding the decoded message gives the same bytes (a canonical form).
      expect(codec.encode(back, { eventId: `id-${name}`, topic: `t.${name}` })).toEqual(bytes);
    });
  }

  it("uses the instrument (or account) as the default partition key, and honours an explicit one", () => {
    const all = sampleMessages();
    expect(codec.decode(codec.encode(all.TradeTick, env())).header.partitionKey).toBe(BTC.value);
    expect(codec.decode(codec.encode(all.Bar, env())).header.partitionKey).toBe(BTC.value);
    expect(codec.decode(codec.encode(all.AccountState, env())).header.partitionKey).toBe("BINANCE-001");
    const h = codec.peekHeader(codec.encode(all.TradeTick, { ...env(), partitionKey: "k" }));
    expect(h.partitionKey).toBe("k");
  });

  it("offers an allocation-free path: readHeader, decodeBody and decodeMessage with a reused header", () => {
    const bytes = codec.encode(sampleTrade(3), env(3));
    const h = codec.readHeader(bytes);
    expect(h).toBe(codec.header);
    expect(h.eventId).toBe("ev-3");
    expect(codec.decodeBody(bytes)).toStrictEqual(sampleTrade(3));
    const other = codec.encode(sampleTrade(4), env(4));
    expect(codec.decodeMessage(other)).toStrictEqual(sampleTrade(4));
    expect(codec.header.eventId).toBe("ev-4");
    // decodeBody of bytes whose header was not read last reads it first.
    expect(codec.decodeBody(bytes)).toStrictEqual(sampleTrade(3));
    expect(codec.header.eventId).toBe("ev-3");
    // peekHeader returns a copy.
    const copy = codec.peekHeader(other);
    codec.readHeader(bytes);
    expect(copy.eventId).toBe("ev-4");
  });

  it("decodes a message in place from a range of a larger buffer", () => {
    const a = codec.encode(sampleTrade(5), env(5));
    const b = codec.encode(sampleTrade(6), env(6));
    const both = new Uint8Array(a.length + b.length + 3);
    both.set(a, 1);
    both.set(b, 1 + a.length);
    expect(codec.decodeMessage(both, 1, 1 + a.length)).toStrictEqual(sampleTrade(5));
    expect(codec.decodeMessage(both, 1 + a.length, 1 + a.length + b.length)).toStrictEqual(sampleTrade(6));
    expect(codec.header.eventId).toBe("ev-6");
    expect(() => codec.decodeMessage(both, 1, a.length)).toThrow(/header says \d+ bytes, message has/);
  });

  it("hands out independent views: later messages never overwrite earlier ones", () => {
    const first = codec.encode(sampleTrade(1), env(1));
    const copy = first.slice();
    const many: Uint8Array[] = [];
    for (let i = 0; i < 5000; i++) many.push(codec.encode(sampleTrade(i), env(i)));
    expect(first).toEqual(copy);
    expect((codec.decode(many[4321]).message as { tradeId: string }).tradeId).toBe(String(100_004_321));
  });

  it("encodes messages larger than a slab", () => {
    const d = sampleMessages().OrderBookDeltas as OrderBookDeltas;
    const deltas = Array.from({ length: 8000 }, () => d.deltas[1]);
    const big = new OrderBookDeltas(BTC, deltas, false, 1, 2, 0, 5, 6);
    const bytes = codec.encode(big, env());
    expect(bytes.length).toBeGreaterThan(256 * 1024);
    expect(codec.decode(bytes).message).toStrictEqual(big);
  });

  it("limits strings to 32767 bytes", () => {
    const big = new MarkPriceUpdate(BTC, sampleTrade(1).price, null, "9".repeat(40_000), null, 1, 2);
    expect(() => codec.encode(big, env())).toThrow(/fundingRate: string of 40000 bytes exceeds 32767/);
  });

  it("rejects an unknown major version, naming both versions", () => {
    const bytes = codec.encode(sampleTrade(1), env()).slice();
    bytes[2] = CODEC_MAJOR + 1;
    expect(() => codec.decode(bytes)).toThrow(
      /version 3\.0 is not supported \(this build reads 1\.x and 2\.x\)/,
    );
    expect(codeOf(() => codec.peekHeader(bytes))).toBe("CODEC_UNSUPPORTED_VERSION");
  });

  it("carries a sequenced id as producer and number, and builds the id string only when read", () => {
    const bytes = codec.encode(sampleTrade(8), { producer: "md-1", sequence: 42, topic: "t.custom" });
    const h = codec.readHeader(bytes);
    expect(h.flags & HeaderFlags.SEQUENCED_ID).toBe(HeaderFlags.SEQUENCED_ID);
    expect(h.producer).toBe("md-1");
    expect(h.sequence).toBe(42);
    expect(h.eventId).toBe("md-1:42");
    expect(h.topic).toBe("t.custom");
    expect(codec.decodeBody(bytes)).toStrictEqual(sampleTrade(8));
    // An explicit id leaves producer and sequence empty.
    const e = codec.peekHeader(codec.encode(sampleTrade(8), env(8)));
    expect([e.eventId, e.producer, e.sequence, e.flags & HeaderFlags.SEQUENCED_ID]).toEqual([
      "ev-8",
      "",
      -1,
      0,
    ]);
  });

  it("leaves out a default topic and key, and finds them from the body when read", () => {
    const trade = sampleTrade(9);
    const topic = Topics.trades(BTC);
    expect(defaultTopicOf(trade)).toBe(topic);
    const compact = codec.encode(trade, { producer: "p", sequence: 1, topic }).slice();
    const explicit = codec
      .encode(trade, { producer: "p", sequence: 1, topic: "x", partitionKey: "k" })
      .slice();
    expect(compact.length).toBe(explicit.length - (2 + 1) - (2 + 1));
    // Only the header read: the topic and key come from the body on demand.
    const h = codec.readHeader(compact);
    expect(h.flags).toBe(HeaderFlags.SEQUENCED_ID | HeaderFlags.DEFAULT_KEY | HeaderFlags.DEFAULT_TOPIC);
    expect(h.topic).toBe(topic);
    expect(h.partitionKey).toBe(BTC.value);
    expect(codec.decodeBody(compact)).toStrictEqual(trade);
    // No topic in the envelope means the default one; every market-data type has one.
    const all = sampleMessages();
    for (const name of [
      "TradeTick",
      "QuoteTick",
      "OrderBookDeltas",
      "OrderBookDepth",
      "Bar",
      "MarkPriceUpdate",
    ]) {
      const d = codec.decode(codec.encode(all[name], { eventId: "e" }));
      expect(d.header.topic).toBe(defaultTopicOf(all[name]));
      expect(d.header.topic.startsWith("data.")).toBe(true);
      expect(d.message).toStrictEqual(all[name]);
    }
    expect(defaultTopicOf(all.OrderFilled)).toBeNull();
  });

  it("refuses an envelope without an id, with two ids, with a bad sequence or without a needed topic", () => {
    const t = sampleTrade(1);
    expect(() => codec.encode(t, { topic: "t" })).toThrow(/needs an eventId or a producer and a sequence/);
    expect(() => codec.encode(t, { eventId: "e", producer: "p", sequence: 1 })).toThrow(/both an eventId/);
    expect(() => codec.encode(t, { producer: "p", sequence: -1 })).toThrow(/sequence -1 is not/);
    expect(() => codec.encode(t, { producer: "p", sequence: 1.5 })).toThrow(/sequence 1.5 is not/);
    expect(() => codec.encode(sampleMessages().OrderFilled, { eventId: "e" })).toThrow(
      /OrderFilled: the envelope needs a topic/,
    );
    expect(codeOf(() => codec.encode(t, { topic: "t" }))).toBe("CODEC_UNENCODABLE");
  });

  it("reads version 1.0 messages (no flags byte, three strings)", () => {
    for (const [name, message] of Object.entries(sampleMessages())) {
      const v2 = codec
        .encode(message, { eventId: `id-${name}`, topic: `t.${name}`, partitionKey: "pk" })
        .slice();
      expect(v2[12]).toBe(0);
      const v1 = new Uint8Array(v2.length - 1);
      v1.set(v2.subarray(0, 12));
      v1.set(v2.subarray(13), 12);
      v1[2] = 1;
      new DataView(v1.buffer).setUint16(6, new DataView(v2.buffer).getUint16(6, true) - 1, true);
      const d = codec.decode(v1);
      expect(d.header).toMatchObject({
        major: 1,
        minor: 0,
        flags: 0,
        eventId: `id-${name}`,
        topic: `t.${name}`,
      });
      expect(d.header.partitionKey).toBe("pk");
      expect(d.message).toStrictEqual(message);
    }
  });

  it("rejects unknown header flags and a default topic for a type without one", () => {
    const bytes = codec.encode(sampleTrade(1), env()).slice();
    bytes[12] = 0x08;
    expect(codeOf(() => codec.decode(bytes))).toBe("CODEC_UNSUPPORTED_VERSION");
    expect(() => codec.decode(bytes)).toThrow(/flags 0x08 include bits unknown/);
    const fill = codec.encode(sampleMessages().OrderFilled, { eventId: "e", topic: "t" }).slice();
    fill[12] = HeaderFlags.DEFAULT_TOPIC;
    expect(codeOf(() => codec.decode(fill))).toBe("CODEC_INVALID_VALUE");
  });

  it("rejects an unknown type id", () => {
    const bytes = codec.encode(sampleTrade(1), env()).slice();
    bytes[4] = 0xff;
    bytes[5] = 0x7f;
    expect(() => codec.decode(bytes)).toThrow(/type id 32767 is unknown/);
    expect(codeOf(() => codec.decode(bytes))).toBe("CODEC_UNKNOWN_TYPE");
  });

  it("rejects bad magic, truncation and trailing bytes", () => {
    const bytes = codec.encode(sampleTrade(1), env()).slice();
    expect(codeOf(() => codec.decode(new TextEncoder().encode('{"json":true}')))).toBe("CODEC_BAD_MAGIC");
    expect(codeOf(() => codec.decode(bytes.subarray(0, 5)))).toBe("CODEC_TRUNCATED");
    expect(codeOf(() => codec.decode(bytes.subarray(0, bytes.length - 1)))).toBe("CODEC_LENGTH_MISMATCH");
    const longer = new Uint8Array(bytes.length + 3);
    longer.set(bytes);
    expect(codeOf(() => codec.decode(longer))).toBe("CODEC_LENGTH_MISMATCH");
    // A consistent length but a body too short for its fields.
    const cut = bytes.slice(0, bytes.length - 4);
    new DataView(cut.buffer).setUint32(8, cut.length - new DataView(cut.buffer).getUint16(6, true), true);
    expect(() => codec.decode(cut)).toThrow(/TradeTick ev-1: .*truncated reading tsInit/);
  });

  it("rejects an unknown enum code and an invalid value, naming the field", () => {
    const bytes = codec.encode(sampleTrade(1), env()).slice();
    const body = new DataView(bytes.buffer).getUint16(6, true);
    // instrumentId (2 + 15) + price (9) + size (9) → aggressorSide
    const aggressorAt = body + 2 + BTC.value.length + 9 + 9;
    bytes[aggressorAt] = 9;
    expect(() => codec.decode(bytes)).toThrow(/aggressorSide has unknown AggressorSide code 9/);
    const bad = codec.encode(sampleTrade(1), env()).slice();
    bad[body + 2 + BTC.value.length + 8] = 99; // price precision 99
    expect(codeOf(() => codec.decode(bad))).toBe("CODEC_INVALID_VALUE");
  });

  it("accepts a newer minor version that appends header and body fields", () => {
    const bytes = codec.encode(sampleTrade(7), env(7));
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const bodyOffset = dv.getUint16(6, true);
    const bodyLength = dv.getUint32(8, true);
    const extraHeader = [0xaa, 0xbb];
    const extraBody = [1, 2, 3, 4];
    const out = new Uint8Array(bytes.length + extraHeader.length + extraBody.length);
    out.set(bytes.subarray(0, bodyOffset));
    out.set(extraHeader, bodyOffset);
    out.set(bytes.subarray(bodyOffset), bodyOffset + extraHeader.length);
    out.set(extraBody, bytes.length + extraHeader.length);
    const odv = new DataView(out.buffer);
    out[3] = 1; // minor 1
    odv.setUint16(6, bodyOffset + extraHeader.length, true);
    odv.setUint32(8, bodyLength + extraBody.length, true);
    const d = codec.decode(out);
    expect(d.header.minor).toBe(1);
    expect(d.message).toStrictEqual(sampleTrade(7));
    // The same bytes labelled minor 0 are corrupt.
    out[3] = 0;
    expect(codeOf(() => codec.decode(out))).toBe("CODEC_LENGTH_MISMATCH");
  });

  it("refuses to encode what it cannot represent", () => {
    expect(codeOf(() => codec.encode({ type: "Nope" } as never, env()))).toBe("CODEC_UNENCODABLE");
    expect(codeOf(() => codec.encode(sampleTrade(1), { eventId: "x".repeat(70_000), topic: "t" }))).toBe(
      "CODEC_UNENCODABLE",
    );
    // The writer recovers after a failed encode.
    expect(codec.decode(codec.encode(sampleTrade(2), env(2))).message).toStrictEqual(sampleTrade(2));
  });

  it("decodes non-ASCII strings and interns repeated ones", () => {
    const all = sampleMessages();
    const a = codec.decode(codec.encode(all.OrderDenied, env())).message as { reason: string };
    expect(a.reason).toBe("notional 1e6 > 5e5 ✗");
    const t1 = codec.decode(codec.encode(sampleTrade(1), env(1))).header.topic;
    const t2 = codec.decode(codec.encode(sampleTrade(2), env(2))).header.topic;
    expect(t1).toBe(t2);
  });
  it("writes repeated strings right whatever its string cache holds (many instruments, topics, keys)", () => {
    const ids = Array.from({ length: 150 }, (_, i) => InstrumentId.parse(`S${i % 7}Y${i}USDT.BINANCE`));
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < ids.length; i++) {
        const id = ids[(i * 37 + round) % ids.length];
        const t = sampleTrade(i, id);
        const env = {
          producer: `p${i % 3}`,
          sequence: i,
          topic: `x.${id.value}`,
          partitionKey: `k-${id.value}`,
        };
        const d = codec.decode(codec.encode(t, env));
        expect(d.message).toStrictEqual(t);
        expect([d.header.topic, d.header.partitionKey, d.header.eventId]).toEqual([
          env.topic,
          env.partitionKey,
          `p${i % 3}:${i}`,
        ]);
      }
    }
  });
});

describe("ByteWriter", () => {
  it("a message started near the end of a slab holds only its own bytes", () => {
    const w = new ByteWriter(1024);
    for (let m = 0; m < 40; m++) {
      w.reset();
      for (let i = 0; i < 100; i++) w.u8((m + i) & 0xff);
      const msg = w.finish();
      expect(msg.length).toBe(100);
      expect(Array.from(msg)).toEqual(Array.from({ length: 100 }, (_, i) => (m + i) & 0xff));
    }
  });
});
