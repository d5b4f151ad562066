/**
 * Kraken WebSocket v1 (`book-N` snapshot `as`/`bs` and updates `a`/`b` with CRC32 `c`; `trade`)
 * and v2 (`channel: "book"` snapshot/update with `checksum`; `channel: "trade"`).
 * Instruments are `PAIR.KRAKEN` with the pair as Kraken writes it (`XBT/USD.KRAKEN`).
 *
 * v1 trades carry no trade id; the id is `<time>-<index in message>`, unique per pair.
 */
import { TradeTick } from "../../model/data.js";
import { AggressorSide, BookSide } from "../../model/enums.js";
import { InstrumentId } from "../../model/identifiers.js";
import { DeltaBatch } from "./book-build.js";
import {
  ControlMessage,
  isObject,
  isoToMicros,
  MarketRecord,
  type ParseContext,
  ParseError,
  type ParseResult,
  parsePrice,
  parseQuantity,
  req,
  reqString,
  secondsTextToMicros,
  show,
} from "./common.js";

export function krakenInstrumentId(pair: string): InstrumentId {
  return InstrumentId.of(pair, "KRAKEN");
}

/** v1 public messages are arrays `[channelID, payload..., channelName, pair]`. */
export function isKrakenV1Message(m: unknown): boolean {
  return (
    Array.isArray(m) &&
    m.length >= 4 &&
    typeof m[m.length - 1] === "string" &&
    typeof m[m.length - 2] === "string"
  );
}

export function isKrakenV2Message(m: Record<string, unknown>): boolean {
  return (
    (typeof m.channel === "string" &&
      ["book", "trade", "heartbeat", "status", "ticker", "ohlc", "instrument"].includes(m.channel)) ||
    (typeof m.method === "string" && m.req_id !== undefined) ||
    typeof m.method === "string"
  );
}

/** v1 control messages: `{"event": "heartbeat" | "systemStatus" | "subscriptionStatus" ...}`. */
export function parseKrakenV1(m: unknown, ctx: ParseContext): ParseResult {
  if (isObject(m)) {
    if (typeof m.event === "string") return new ControlMessage(`kraken ${m.event}`);
    throw new ParseError(`unrecognised Kraken message ${show(m)}`);
  }
  const a = m as unknown[];
  const channel = a[a.length - 2] as string;
  const pair = a[a.length - 1] as string;
  if (channel.startsWith("book")) return [parseV1Book(a, channel, pair, ctx)];
  if (channel === "trade") return parseV1Trades(a, pair, ctx);
  if (channel === "spread" || channel === "ticker" || channel.startsWith("ohlc")) {
    return new ControlMessage(`kraken ${channel} (not decoded)`);
  }
  throw new ParseError(`unsupported Kraken channel ${show(channel)}`, "channelName");
}

function parseV1Book(a: unknown[], channel: string, pair: string, ctx: ParseContext): MarketRecord {
  const where = `kraken ${channel} ${pair}`;
  const depth = Number(channel.slice(5)) || 10;
  const id = krakenInstrumentId(pair);
  const payloads = a.slice(1, a.length - 2);
  if (payloads.length === 0) throw new ParseError(`${where}: no book payload`);
  const first = payloads[0];
  if (!isObject(first)) throw new ParseError(`${where}: payload must be an object`);
  const isSnapshot = first.as !== undefined || first.bs !== undefined;
  const batch = new DeltaBatch(id, isSnapshot);
  let checksum: number | null = null;
  let maxTs = 0;
  const addLevels = (side: BookSide, levels: unknown, field: string) => {
    if (!Array.isArray(levels)) throw new ParseError(`${where}: "${field}" must be an array`, field);
    for (let i = 0; i < levels.length; i++) {
      const l = levels[i];
      if (!Array.isArray(l) || l.length < 3) {
        throw new ParseError(`${where}: ${field}[${i}] must be [price, volume, time, ...]`, field);
      }
      batch.add(side, parsePrice(l[0], `${field}[${i}][0]`), parseQuantity(l[1], `${field}[${i}][1]`));
      const t = secondsTextToMicros(String(l[2]), `${field}[${i}][2]`);
      if (t > maxTs) maxTs = t;
    }
  };
  for (const p of payloads) {
    if (!isObject(p)) throw new ParseError(`${where}: payload must be an object`);
    if (isSnapshot) {
      addLevels(BookSide.Ask, p.as ?? [], "as");
      addLevels(BookSide.Bid, p.bs ?? [], "bs");
    } else {
      if (p.a !== undefined) addLevels(BookSide.Ask, p.a, "a");
      if (p.b !== undefined) addLevels(BookSide.Bid, p.b, "b");
      if (p.c !== undefined) {
        if (typeof p.c !== "string" || !/^\d+$/.test(p.c))
          throw new ParseError(`${where}: bad checksum`, "c");
        checksum = Number(p.c);
      }
    }
  }
  const ts = maxTs > 0 ? maxTs : (ctx.tsRecv ?? 0);
  return new MarketRecord(
    batch.build(-1, -1, -1, ts, ctx.tsRecv ?? ts, checksum),
    "kraken",
    -1,
    depth,
    ctx.tsRecv,
  );
}

function parseV1Trades(a: unknown[], pair: string, ctx: ParseContext): MarketRecord[] {
  const where = `kraken trade ${pair}`;
  const trades = a[1];
  if (!Array.isArray(trades)) throw new ParseError(`${where}: payload must be an array of trades`);
  const id = krakenInstrumentId(pair);
  return trades.map((t, k) => {
    if (!Array.isArray(t) || t.length < 4)
      throw new ParseError(`${where}: trade ${k} must be [price, volume, time, side, ...]`);
    const ts = secondsTextToMicros(String(t[2]), `[${k}][2]`);
    if (t[3] !== "b" && t[3] !== "s") throw new ParseError(`${where}: trade ${k} side ${show(t[3])}`, "side");
    const tick = new TradeTick(
      id,
      parsePrice(t[0], `[${k}][0]`),
      parseQuantity(t[1], `[${k}][1]`),
      t[3] === "b" ? AggressorSide.Buyer : AggressorSide.Seller,
      `${t[2]}-${k}`,
      ts,
      ctx.tsRecv ?? ts,
    );
    return new MarketRecord(tick, "kraken", -1, 0, ctx.tsRecv);
  });
}

/** v2 `checksum`: an unsigned 32-bit integer (JSON number), or absent. */
function v2Checksum(c: unknown, where: string): number | null {
  if (c === undefined || c === null) return null;
  if (typeof c !== "number" || !Number.isInteger(c) || c < 0 || c > 0xffffffff) {
    throw new ParseError(`${where}: checksum ${show(c)} is not an unsigned 32-bit integer`, "checksum");
  }
  return c;
}

/** Kraken WebSocket v2 message. */
export function parseKrakenV2(m: Record<string, unknown>, ctx: ParseContext): ParseResult {
  if (typeof m.method === "string") return new ControlMessage(`kraken v2 ${m.method}`);
  const channel = m.channel as string;
  if (channel === "heartbeat" || channel === "status" || channel === "instrument")
    return new ControlMessage(`kraken v2 ${channel}`);
  const data = req(m, "data", `kraken v2 ${channel}`);
  if (!Array.isArray(data)) throw new ParseError(`kraken v2 ${channel}: "data" must be an array`, "data");
  if (channel === "book") {
    const type = reqString(m, "type", "kraken v2 book");
    if (type !== "snapshot" && type !== "update")
      throw new ParseError(`kraken v2 book: type ${show(type)}`, "type");
    return data.map((d, k) => {
      const where = `kraken v2 book data[${k}]`;
      if (!isObject(d)) throw new ParseError(`${where} must be an object`, "data");
      const id = krakenInstrumentId(reqString(d, "symbol", where));
      const batch = new DeltaBatch(id, type === "snapshot");
      batch.addObjects(BookSide.Ask, d.asks ?? [], "asks");
      batch.addObjects(BookSide.Bid, d.bids ?? [], "bids");
      const ts = d.timestamp === undefined ? (ctx.tsRecv ?? 0) : isoToMicros(d.timestamp, "timestamp");
      const checksum = v2Checksum(d.checksum, where);
      return new MarketRecord(
        batch.build(-1, -1, -1, ts, ctx.tsRecv ?? ts, checksum),
        "kraken-v2",
        -1,
        0,
        ctx.tsRecv,
      );
    });
  }
  if (channel === "trade") {
    return data.map((t, k) => {
      const where = `kraken v2 trade data[${k}]`;
      if (!isObject(t)) throw new ParseError(`${where} must be an object`, "data");
      const side = reqString(t, "side", where);
      if (side !== "buy" && side !== "sell") throw new ParseError(`${where}: side ${show(side)}`, "side");
      const ts = isoToMicros(req(t, "timestamp", where), "timestamp");
      const tick = new TradeTick(
        krakenInstrumentId(reqString(t, "symbol", where)),
        parsePrice(req(t, "price", where), "price"),
        parseQuantity(req(t, "qty", where), "qty"),
        side === "buy" ? AggressorSide.Buyer : AggressorSide.Seller,
        String(req(t, "trade_id", where)),
        ts,
        ctx.tsRecv ?? ts,
      );
      return new MarketRecord(tick, "kraken-v2", -1, 0, ctx.tsRecv);
    });
  }
  return new ControlMessage(`kraken v2 ${channel} (not decoded)`);
}
