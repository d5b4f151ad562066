/** Wire bodies of the market-data types (type ids 1-15). */

import { Topics } from "../../core/topics.js";
import {
  Bar,
  BarType,
  BookLevel,
  BookOrder,
  MarkPriceUpdate,
  OrderBookDelta,
  OrderBookDeltas,
  OrderBookDepth,
  QuoteTick,
  TradeTick,
} from "../../model/data.js";
import type { InstrumentId } from "../../model/identifiers.js";
import type { ByteReader, ByteWriter } from "./bytes.js";
import { CodecError } from "./errors.js";
import {
  AggressorSides,
  BookActions,
  BookSides,
  readInstrumentId,
  readOptInt,
  readOptPrice,
  readOptStr,
  readPrice,
  readQuantity,
  writeOptNumber,
  writeOptPrice,
  writeOptStr,
  writePrice,
  writeQuantity,
} from "./fields.js";

export interface BodyCodec<T> {
  /** Stable wire type id (u16). */
  readonly id: number;
  readonly name: string;
  encode(w: ByteWriter, message: T): void;
  decode(r: ByteReader): T;
  /** The bus topic messages of this type are published on by default (none: always written). */
  readonly topicOf?: (message: T) => string;
}

/**
 * Default topics per instrument, built once per instrument (bounded): the encoder compares a
 * message's topic with it and the decoder hands it out, message after message.
 */
function topicCache(make: (id: InstrumentId) => string): (id: InstrumentId) => string {
  const cache = new Map<string, string>();
  // The last instrument asked for: a stream repeats it (one identity check, no hashing).
  let lastId: InstrumentId | null = null;
  let lastTopic = "";
  return (id) => {
    if (id === lastId) return lastTopic;
    let t = cache.get(id.value);
    if (t === undefined) {
      t = make(id);
      if (cache.size >= 4096) cache.clear();
      cache.set(id.value, t);
    }
    lastId = id;
    lastTopic = t;
    return t;
  };
}

const tradeTopic = topicCache(Topics.trades);
const quoteTopic = topicCache(Topics.quotes);
const deltasTopic = topicCache(Topics.bookDeltas);
const depthTopic = topicCache(Topics.bookDepth);
const markTopic = topicCache(Topics.markPrices);

export const TradeTickCodec: BodyCodec<TradeTick> = {
  id: 1,
  name: "TradeTick",
  topicOf: (m) => tradeTopic(m.instrumentId),
  encode(w, m) {
    w.strCached(m.instrumentId.value, "instrumentId");
    writePrice(w, m.price);
    writeQuantity(w, m.size);
    AggressorSides.encode(w, m.aggressorSide);
    w.str(m.tradeId, "tradeId");
    w.f64(m.tsEvent);
    w.f64(m.tsInit);
  },
  decode(r) {
    return new TradeTick(
      readInstrumentId(r, "instrumentId"),
      readPrice(r, "price"),
      readQuantity(r, "size"),
      AggressorSides.decode(r, "aggressorSide"),
      r.str("tradeId"),
      r.int("tsEvent"),
      r.int("tsInit"),
    );
  },
};

export const QuoteTickCodec: BodyCodec<QuoteTick> = {
  id: 2,
  name: "QuoteTick",
  topicOf: (m) => quoteTopic(m.instrumentId),
  encode(w, m) {
    w.strCached(m.instrumentId.value, "instrumentId");
    writePrice(w, m.bidPrice);
    writePrice(w, m.askPrice);
    writeQuantity(w, m.bidSize);
    writeQuantity(w, m.askSize);
    w.f64(m.tsEvent);
    w.f64(m.tsInit);
  },
  decode(r) {
    return new QuoteTick(
      readInstrumentId(r, "instrumentId"),
      readPrice(r, "bidPrice"),
      readPrice(r, "askPrice"),
      readQuantity(r, "bidSize"),
      readQuantity(r, "askSize"),
      r.int("tsEvent"),
      r.int("tsInit"),
    );
  },
};

function writeDelta(w: ByteWriter, d: OrderBookDelta, batch: InstrumentId): void {
  if (d.instrumentId !== batch && d.instrumentId.value !== batch.value) {
    throw new CodecError(
      "CODEC_UNENCODABLE",
      `OrderBookDeltas for ${batch} contains a delta for ${d.instrumentId}`,
      { instrumentId: batch.value },
    );
  }
  BookActions.encode(w, d.action);
  w.u8(d.flags);
  w.f64(d.sequence);
  w.f64(d.tsEvent);
  w.f64(d.tsInit);
  const o = d.order;
  if (o === null) w.u8(0);
  else {
    w.u8(1);
    BookSides.encode(w, o.side);
    writePrice(w, o.price);
    writeQuantity(w, o.size);
    w.f64(o.orderId);
  }
}

function readDelta(r: ByteReader, instrumentId: InstrumentId): OrderBookDelta {
  const action = BookActions.decode(r, "delta.action");
  const flags = r.u8("delta.flags");
  const sequence = r.int("delta.sequence");
  const tsEvent = r.int("delta.tsEvent");
  const tsInit = r.int("delta.tsInit");
  const order = r.bool("delta.order")
    ? new BookOrder(
        BookSides.decode(r, "delta.side"),
        readPrice(r, "delta.price"),
        readQuantity(r, "delta.size"),
        r.int("delta.orderId"),
      )
    : null;
  return new OrderBookDelta(instrumentId, action, order, flags, sequence, tsEvent, tsInit);
}

export const OrderBookDeltasCodec: BodyCodec<OrderBookDeltas> = {
  id: 3,
  name: "OrderBookDeltas",
  topicOf: (m) => deltasTopic(m.instrumentId),
  encode(w, m) {
    w.strCached(m.instrumentId.value, "instrumentId");
    w.bool(m.isSnapshot);
    w.f64(m.firstSequence);
    w.f64(m.sequence);
    w.f64(m.prevSequence);
    w.f64(m.tsEvent);
    w.f64(m.tsInit);
    writeOptNumber(w, m.checksum);
    w.u32(m.deltas.length);
    for (const d of m.deltas) writeDelta(w, d, m.instrumentId);
  },
  decode(r) {
    const instrumentId = readInstrumentId(r, "instrumentId");
    const isSnapshot = r.bool("isSnapshot");
    const firstSequence = r.int("firstSequence");
    const sequence = r.int("sequence");
    const prevSequence = r.int("prevSequence");
    const tsEvent = r.int("tsEvent");
    const tsInit = r.int("tsInit");
    const checksum = readOptInt(r, "checksum");
    const n = r.u32("deltas.length");
    // Each delta takes at least 26 bytes: reject absurd counts before allocating.
    r.need(n * 26, "deltas");
    const deltas: OrderBookDelta[] = new Array(n);
    for (let i = 0; i < n; i++) deltas[i] = readDelta(r, instrumentId);
    return new OrderBookDeltas(
      instrumentId,
      deltas,
      isSnapshot,
      firstSequence,
      sequence,
      prevSequence,
      tsEvent,
      tsInit,
      checksum,
    );
  },
};

function writeLevels(w: ByteWriter, levels: readonly BookLevel[]): void {
  w.u32(levels.length);
  for (const l of levels) {
    writePrice(w, l.price);
    writeQuantity(w, l.size);
    w.u32(l.count);
  }
}

function readLevels(r: ByteReader, field: string): BookLevel[] {
  const n = r.u32(field);
  r.need(n * 22, field);
  const out: BookLevel[] = new Array(n);
  for (let i = 0; i < n; i++)
    out[i] = new BookLevel(readPrice(r, field), readQuantity(r, field), r.u32(field));
  return out;
}

export const OrderBookDepthCodec: BodyCodec<OrderBookDepth> = {
  id: 4,
  name: "OrderBookDepth",
  topicOf: (m) => depthTopic(m.instrumentId),
  encode(w, m) {
    w.strCached(m.instrumentId.value, "instrumentId");
    w.f64(m.sequence);
    w.f64(m.tsEvent);
    w.f64(m.tsInit);
    writeLevels(w, m.bids);
    writeLevels(w, m.asks);
  },
  decode(r) {
    const instrumentId = readInstrumentId(r, "instrumentId");
    const sequence = r.int("sequence");
    const tsEvent = r.int("tsEvent");
    const tsInit = r.int("tsInit");
    const bids = readLevels(r, "bids");
    const asks = readLevels(r, "asks");
    return new OrderBookDepth(instrumentId, bids, asks, sequence, tsEvent, tsInit);
  },
};

/** Bar types repeat endlessly on a stream: parse each distinct string once (bounded cache). */
const barTypeCache = new Map<string, BarType>();

function parseBarType(text: string): BarType {
  let bt = barTypeCache.get(text);
  if (bt === undefined) {
    bt = BarType.parse(text);
    if (barTypeCache.size >= 4096) barTypeCache.clear();
    barTypeCache.set(text, bt);
  }
  return bt;
}

export const BarCodec: BodyCodec<Bar> = {
  id: 5,
  name: "Bar",
  topicOf: (m) => Topics.bars(m.barType),
  encode(w, m) {
    w.str(m.barType.toString(), "barType");
    writePrice(w, m.open);
    writePrice(w, m.high);
    writePrice(w, m.low);
    writePrice(w, m.close);
    writeQuantity(w, m.volume);
    w.f64(m.tsOpen);
    w.f64(m.tsEvent);
    w.f64(m.tsInit);
  },
  decode(r) {
    return new Bar(
      parseBarType(r.str("barType")),
      readPrice(r, "open"),
      readPrice(r, "high"),
      readPrice(r, "low"),
      readPrice(r, "close"),
      readQuantity(r, "volume"),
      r.int("tsOpen"),
      r.int("tsEvent"),
      r.int("tsInit"),
    );
  },
};

export const MarkPriceUpdateCodec: BodyCodec<MarkPriceUpdate> = {
  id: 6,
  name: "MarkPriceUpdate",
  topicOf: (m) => markTopic(m.instrumentId),
  encode(w, m) {
    w.strCached(m.instrumentId.value, "instrumentId");
    writePrice(w, m.markPrice);
    writeOptPrice(w, m.indexPrice);
    writeOptStr(w, m.fundingRate, "fundingRate");
    writeOptNumber(w, m.nextFundingTime);
    w.f64(m.tsEvent);
    w.f64(m.tsInit);
  },
  decode(r) {
    return new MarkPriceUpdate(
      readInstrumentId(r, "instrumentId"),
      readPrice(r, "markPrice"),
      readOptPrice(r, "indexPrice"),
      readOptStr(r, "fundingRate"),
      readOptInt(r, "nextFundingTime"),
      r.int("tsEvent"),
      r.int("tsInit"),
    );
  },
};
