/**
 * Bybit v5 public WebSocket messages: `orderbook.{depth}.{symbol}` snapshot/delta, `publicTrade`
 * (and the `trade.*` variant), `kline.{interval}.{symbol}` and `tickers.{symbol}`.
 * Instruments are `SYMBOL.BYBIT`.
 */
import { Bar, BarAggregation, BarSpecification, BarType, QuoteTick, TradeTick } from "../../model/data.js";
import { AggressorSide, BookSide, PriceType } from "../../model/enums.js";
import { InstrumentId } from "../../model/identifiers.js";
import { DeltaBatch } from "./book-build.js";
import {
  ControlMessage,
  isObject,
  MarketRecord,
  msToMicros,
  type ParseContext,
  ParseError,
  type ParseResult,
  parsePrice,
  parseQuantity,
  req,
  reqInt,
  reqString,
  show,
} from "./common.js";

export function bybitInstrumentId(symbol: string): InstrumentId {
  return InstrumentId.of(symbol, "BYBIT");
}

export function isBybitMessage(m: Record<string, unknown>): boolean {
  return typeof m.topic === "string";
}

export function parseBybit(m: Record<string, unknown>, ctx: ParseContext): ParseResult {
  const topic = reqString(m, "topic", "bybit message");
  const kind = topic.split(".")[0];
  switch (kind) {
    case "orderbook":
      return [parseBook(m, topic, ctx)];
    case "publicTrade":
    case "trade":
      return parseTrades(m, ctx);
    case "kline":
      return parseKlines(m, topic, ctx);
    case "tickers":
      return parseTicker(m, ctx);
    case "order":
    case "execution":
    case "position":
    case "wallet":
      return new ControlMessage(`bybit ${kind} (account event, not market data)`);
    default:
      throw new ParseError(`unsupported Bybit topic ${show(topic)}`, "topic");
  }
}

function parseBook(m: Record<string, unknown>, topic: string, ctx: ParseContext): MarketRecord {
  const where = topic;
  const type = reqString(m, "type", where);
  if (type !== "snapshot" && type !== "delta")
    throw new ParseError(`${where}: unknown type ${show(type)}`, "type");
  const d = req(m, "data", where);
  if (!isObject(d)) throw new ParseError(`${where}: "data" must be an object`, "data");
  const depth = Number(topic.split(".")[1]);
  const id = bybitInstrumentId(reqString(d, "s", where));
  const u = reqInt(d, "u", where);
  const seq = d.seq === undefined ? -1 : reqInt(d, "seq", where);
  const ts = msToMicros(req(m, "ts", where), "ts");
  const batch = new DeltaBatch(id, type === "snapshot");
  batch.addPairs(BookSide.Bid, req(d, "b", where), "data.b");
  batch.addPairs(BookSide.Ask, req(d, "a", where), "data.a");
  // sequence = u (contiguous per topic); firstSequence carries the cross-sequence `seq`.
  const deltas = batch.build(seq, u, -1, ts, ctx.tsRecv ?? ts);
  return new MarketRecord(deltas, "bybit", -1, Number.isSafeInteger(depth) ? depth : 0, ctx.tsRecv);
}

function parseTrades(m: Record<string, unknown>, ctx: ParseContext): MarketRecord[] {
  const data = req(m, "data", "bybit trade");
  if (!Array.isArray(data)) throw new ParseError(`bybit trade: "data" must be an array`, "data");
  return data.map((t, k) => {
    if (!isObject(t)) throw new ParseError(`bybit trade: data[${k}] must be an object`, "data");
    const where = `bybit trade data[${k}]`;
    const side = reqString(t, "S", where);
    if (side !== "Buy" && side !== "Sell") throw new ParseError(`${where}: side ${show(side)}`, "S");
    const ts = msToMicros(req(t, "T", where), "T");
    const tick = new TradeTick(
      bybitInstrumentId(reqString(t, "s", where)),
      parsePrice(req(t, "p", where), "p"),
      parseQuantity(req(t, "v", where), "v"),
      side === "Buy" ? AggressorSide.Buyer : AggressorSide.Seller,
      reqString(t, "i", where),
      ts,
      ctx.tsRecv ?? ts,
    );
    return new MarketRecord(tick, "bybit", -1, 0, ctx.tsRecv);
  });
}

const BYBIT_INTERVALS: Record<string, [number, BarAggregation]> = {
  D: [1, BarAggregation.Day],
  W: [1, BarAggregation.Week],
};

function parseKlines(m: Record<string, unknown>, topic: string, ctx: ParseContext): ParseResult {
  const symbol = topic.split(".")[2];
  if (symbol === undefined) throw new ParseError(`kline topic ${show(topic)} names no symbol`, "topic");
  const data = req(m, "data", topic);
  if (!Array.isArray(data)) throw new ParseError(`${topic}: "data" must be an array`, "data");
  const out: MarketRecord[] = [];
  for (let k = 0; k < data.length; k++) {
    const b = data[k];
    const where = `${topic} data[${k}]`;
    if (!isObject(b)) throw new ParseError(`${where} must be an object`, "data");
    if (b.confirm !== true) continue;
    const iv = reqString(b, "interval", where);
    const fixed = BYBIT_INTERVALS[iv];
    let spec: BarSpecification;
    if (fixed !== undefined) spec = new BarSpecification(fixed[0], fixed[1], PriceType.Last);
    else if (/^\d+$/.test(iv)) {
      const minutes = Number(iv);
      spec =
        minutes % 60 === 0
          ? new BarSpecification(minutes / 60, BarAggregation.Hour, PriceType.Last)
          : new BarSpecification(minutes, BarAggregation.Minute, PriceType.Last);
    } else throw new ParseError(`${where}: unsupported interval ${show(iv)}`, "interval");
    const open = msToMicros(req(b, "start", where), "start");
    const close = open + spec.intervalMicros();
    out.push(
      new MarketRecord(
        new Bar(
          new BarType(bybitInstrumentId(symbol), spec),
          parsePrice(req(b, "open", where), "open"),
          parsePrice(req(b, "high", where), "high"),
          parsePrice(req(b, "low", where), "low"),
          parsePrice(req(b, "close", where), "close"),
          parseQuantity(req(b, "volume", where), "volume"),
          open,
          close,
          ctx.tsRecv ?? close,
        ),
        "bybit",
        -1,
        0,
        ctx.tsRecv,
      ),
    );
  }
  return out.length === 0 ? new ControlMessage("bybit kline (not confirmed)") : out;
}

function parseTicker(m: Record<string, unknown>, ctx: ParseContext): ParseResult {
  const where = "bybit tickers";
  const d = req(m, "data", where);
  if (!isObject(d)) throw new ParseError(`${where}: "data" must be an object`, "data");
  // Linear deltas omit unchanged fields; a ticker without a full top of book is not a quote.
  if (
    d.bid1Price === undefined ||
    d.ask1Price === undefined ||
    d.bid1Size === undefined ||
    d.ask1Size === undefined
  ) {
    return new ControlMessage("bybit ticker without bid1/ask1");
  }
  const ts = msToMicros(req(m, "ts", where), "ts");
  const q = new QuoteTick(
    bybitInstrumentId(reqString(d, "symbol", where)),
    parsePrice(d.bid1Price, "bid1Price"),
    parsePrice(d.ask1Price, "ask1Price"),
    parseQuantity(d.bid1Size, "bid1Size"),
    parseQuantity(d.ask1Size, "ask1Size"),
    ts,
    ctx.tsRecv ?? ts,
  );
  return [new MarketRecord(q, "bybit", -1, 0, ctx.tsRecv)];
}
