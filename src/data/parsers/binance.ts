/**
 * Binance spot and USDⓈ-M futures market-data messages: `depthUpdate` diff streams, REST depth
 * snapshots, `trade`, `aggTrade`, `bookTicker`, `kline`, `markPriceUpdate`, and the combined
 * stream envelope `{"stream": ..., "data": {...}}`.
 *
 * Instruments: spot `BTCUSDT.BINANCE`; USDⓈ-M perpetuals `BTCUSDT-PERP.BINANCE`; USDⓈ-M
 * delivery contracts keep their symbol (`BTCUSDT_240927.BINANCE`).
 */
import {
  Bar,
  BarAggregation,
  BarSpecification,
  BarType,
  MarkPriceUpdate,
  QuoteTick,
  TradeTick,
} from "../../model/data.js";
import { AggressorSide, BookSide, PriceType } from "../../model/enums.js";
import { InstrumentId } from "../../model/identifiers.js";
import type { UnixMicros } from "../../model/time.js";
import { DeltaBatch } from "./book-build.js";
import {
  ControlMessage,
  decimalParts,
  type Feed,
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

export type BinanceMarket = "spot" | "usdm";

const VENUE = "BINANCE";

/** The domain instrument id of a Binance symbol on `market`. */
export function binanceInstrumentId(symbol: string, market: BinanceMarket): InstrumentId {
  const s = symbol.toUpperCase();
  if (market === "spot" || s.includes("_")) return InstrumentId.of(s, VENUE);
  return InstrumentId.of(`${s}-PERP`, VENUE);
}

export function binanceFeed(market: BinanceMarket): Feed {
  return market === "spot" ? "binance-spot" : "binance-usdm";
}

/** Infers the market of one payload from keys only futures messages carry. */
function inferMarket(d: Record<string, unknown>, ctx: ParseContext): BinanceMarket {
  if (ctx.binanceMarket) return ctx.binanceMarket;
  if (d.pu !== undefined || d.ps !== undefined || d.st !== undefined || d.X !== undefined) return "usdm";
  if (d.e === "bookTicker" || d.e === "markPriceUpdate") return "usdm";
  if (d.lastUpdateId !== undefined && d.T !== undefined) return "usdm";
  return "spot";
}

/** True if a JSON value looks like a Binance message (combined envelope or raw payload). */
export function isBinanceMessage(m: Record<string, unknown>): boolean {
  if (typeof m.stream === "string" && isObject(m.data)) return true;
  if (typeof m.e === "string" && (typeof m.s === "string" || typeof m.E === "number")) return true;
  if (m.orderId !== undefined && m.clientOrderId !== undefined && typeof m.symbol === "string") return true;
  if (m.lastUpdateId !== undefined && Array.isArray(m.bids)) return true;
  // spot bookTicker has no "e"
  return typeof m.u === "number" && typeof m.s === "string" && m.b !== undefined && m.A !== undefined;
}

/** Symbol from a combined-stream name such as `btcusdt@depth@0ms`. */
export function streamSymbol(stream: string): string {
  const at = stream.indexOf("@");
  return (at < 0 ? stream : stream.slice(0, at)).toUpperCase();
}

/** Parses one Binance message (already JSON-decoded). */
export function parseBinance(msg: Record<string, unknown>, ctx: ParseContext): ParseResult {
  let d = msg;
  let streamSym: string | null = null;
  if (typeof msg.stream === "string") {
    if (!isObject(msg.data)) throw new ParseError(`combined stream message without an object "data"`, "data");
    d = msg.data;
    streamSym = streamSymbol(msg.stream);
  }
  const market = inferMarket(d, ctx);
  const e = d.e;
  if (e === undefined) {
    if (d.lastUpdateId !== undefined)
      return [parseSnapshot(d, market, streamSym ?? ctx.symbolHint ?? null, ctx)];
    if (d.u !== undefined && d.b !== undefined) return [parseBookTicker(d, market, ctx)];
    if (d.orderId !== undefined) return new ControlMessage("binance order response (not market data)");
    if (d.result !== undefined || d.id !== undefined) return new ControlMessage("binance response");
    throw new ParseError(`unrecognised Binance message ${show(d)}`);
  }
  switch (e) {
    case "depthUpdate":
      return [parseDepthUpdate(d, market, ctx)];
    case "trade":
    case "aggTrade":
      return [parseTrade(d, market, ctx)];
    case "bookTicker":
      return [parseBookTicker(d, market, ctx)];
    case "kline": {
      const bar = parseKline(d, market, ctx);
      return bar === null ? new ControlMessage("binance kline (not closed)") : [bar];
    }
    case "markPriceUpdate":
      return [parseMarkPrice(d, market, ctx)];
    case "executionReport":
    case "balanceUpdate":
    case "outboundAccountPosition":
    case "ORDER_TRADE_UPDATE":
    case "ACCOUNT_UPDATE":
      return new ControlMessage(`binance ${e} (account event, not market data)`);
    default:
      throw new ParseError(`unsupported Binance event type ${show(e)}`, "e");
  }
}

function symbolOf(d: Record<string, unknown>, where: string): string {
  return reqString(d, "s", where);
}

export function parseDepthUpdate(
  d: Record<string, unknown>,
  market: BinanceMarket,
  ctx: ParseContext,
): MarketRecord {
  const where = "depthUpdate";
  const id = binanceInstrumentId(symbolOf(d, where), market);
  const first = reqInt(d, "U", where);
  const last = reqInt(d, "u", where);
  const prev = d.pu === undefined ? -1 : reqInt(d, "pu", where);
  const tsEvent = msToMicros(req(d, "E", where), "E");
  const batch = new DeltaBatch(id, false);
  batch.addPairs(BookSide.Bid, req(d, "b", where), "b");
  batch.addPairs(BookSide.Ask, req(d, "a", where), "a");
  const deltas = batch.build(first, last, prev, tsEvent, ctx.tsRecv ?? tsEvent);
  return new MarketRecord(deltas, binanceFeed(market), -1, 0, ctx.tsRecv);
}

/** REST `GET /api/v3/depth` or `/fapi/v1/depth` response as a snapshot. */
export function parseSnapshot(
  d: Record<string, unknown>,
  market: BinanceMarket,
  symbol: string | null,
  ctx: ParseContext,
): MarketRecord {
  const where = "depth snapshot";
  if (symbol === null) {
    throw new ParseError(`${where}: the message names no symbol and the file gives none`, "lastUpdateId");
  }
  const id = binanceInstrumentId(symbol, market);
  const last = reqInt(d, "lastUpdateId", where);
  const ts = d.E !== undefined ? msToMicros(d.E, "E") : (ctx.tsRecv ?? 0);
  const batch = new DeltaBatch(id, true);
  batch.addPairs(BookSide.Bid, req(d, "bids", where), "bids");
  batch.addPairs(BookSide.Ask, req(d, "asks", where), "asks");
  return new MarketRecord(
    batch.build(last, last, -1, ts, ctx.tsRecv ?? ts),
    binanceFeed(market),
    -1,
    0,
    ctx.tsRecv,
  );
}

export function parseTrade(
  d: Record<string, unknown>,
  market: BinanceMarket,
  ctx: ParseContext,
): MarketRecord {
  const where = String(d.e);
  const id = binanceInstrumentId(symbolOf(d, where), market);
  const tradeId = String(reqInt(d, d.e === "aggTrade" ? "a" : "t", where));
  const m = req(d, "m", where);
  if (typeof m !== "boolean") throw new ParseError(`${where}: "m" must be a boolean`, "m");
  const ts = msToMicros(req(d, "T", where), "T");
  const tick = new TradeTick(
    id,
    parsePrice(req(d, "p", where), "p"),
    parseQuantity(req(d, "q", where), "q"),
    m ? AggressorSide.Seller : AggressorSide.Buyer,
    tradeId,
    ts,
    ctx.tsRecv ?? ts,
  );
  return new MarketRecord(tick, binanceFeed(market), -1, 0, ctx.tsRecv);
}

export function parseBookTicker(
  d: Record<string, unknown>,
  market: BinanceMarket,
  ctx: ParseContext,
): MarketRecord {
  const where = "bookTicker";
  const id = binanceInstrumentId(symbolOf(d, where), market);
  const u = reqInt(d, "u", where);
  let ts: UnixMicros;
  if (d.E !== undefined) ts = msToMicros(d.E, "E");
  else if (ctx.tsRecv !== null) ts = ctx.tsRecv;
  else throw new ParseError(`${where}: spot bookTicker has no time and the file gives no receive time`, "E");
  const q = new QuoteTick(
    id,
    parsePrice(req(d, "b", where), "b"),
    parsePrice(req(d, "a", where), "a"),
    parseQuantity(req(d, "B", where), "B"),
    parseQuantity(req(d, "A", where), "A"),
    ts,
    ctx.tsRecv ?? ts,
  );
  return new MarketRecord(q, binanceFeed(market), u, 0, ctx.tsRecv);
}

const INTERVALS: Record<string, [number, BarAggregation]> = {
  s: [1, BarAggregation.Second],
  m: [1, BarAggregation.Minute],
  h: [1, BarAggregation.Hour],
  d: [1, BarAggregation.Day],
  w: [1, BarAggregation.Week],
};

/** `1m`, `5m`, `1h`, `1d`... as a bar specification on LAST prices. */
export function intervalSpec(interval: string, field: string): BarSpecification {
  const m = /^(\d+)([smhdw])$/.exec(interval);
  if (m === null) throw new ParseError(`unsupported kline interval "${interval}"`, field);
  const [, agg] = INTERVALS[m[2]];
  return new BarSpecification(Number(m[1]), agg, PriceType.Last);
}

/** Closed klines become bars; an unclosed kline (`x: false`) returns null. */
export function parseKline(
  d: Record<string, unknown>,
  market: BinanceMarket,
  ctx: ParseContext,
): MarketRecord | null {
  const where = "kline";
  const k = req(d, "k", where);
  if (!isObject(k)) throw new ParseError(`${where}: "k" must be an object`, "k");
  if (k.x !== true) return null;
  const id = binanceInstrumentId(reqString(k, "s", where), market);
  const spec = intervalSpec(reqString(k, "i", where), "k.i");
  const open = msToMicros(req(k, "t", where), "k.t");
  const close = open + spec.intervalMicros();
  const bar = new Bar(
    new BarType(id, spec),
    parsePrice(req(k, "o", where), "k.o"),
    parsePrice(req(k, "h", where), "k.h"),
    parsePrice(req(k, "l", where), "k.l"),
    parsePrice(req(k, "c", where), "k.c"),
    parseQuantity(req(k, "v", where), "k.v"),
    open,
    close,
    ctx.tsRecv ?? close,
  );
  return new MarketRecord(bar, binanceFeed(market), -1, 0, ctx.tsRecv);
}

export function parseMarkPrice(
  d: Record<string, unknown>,
  market: BinanceMarket,
  ctx: ParseContext,
): MarketRecord {
  const where = "markPriceUpdate";
  const id = binanceInstrumentId(symbolOf(d, where), market);
  const ts = msToMicros(req(d, "E", where), "E");
  const rate = d.r === undefined || d.r === "" ? null : String(d.r);
  if (rate !== null) decimalParts(rate, "r");
  const u = new MarkPriceUpdate(
    id,
    parsePrice(req(d, "p", where), "p"),
    d.i === undefined ? null : parsePrice(d.i, "i"),
    rate,
    d.T === undefined || d.T === 0 ? null : msToMicros(d.T, "T"),
    ts,
    ctx.tsRecv ?? ts,
  );
  return new MarketRecord(u, binanceFeed(market), -1, 0, ctx.tsRecv);
}
