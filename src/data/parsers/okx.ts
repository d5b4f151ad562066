/**
 * OKX v5 public WebSocket messages: `books`/`books5`/`books50-l2-tbt`/`books-l2-tbt`
 * (snapshot/update with CRC32 `checksum`, `seqId`/`prevSeqId` when sent), `trades` and
 * `tickers`. Instruments are `INSTID.OKX` (e.g. `BTC-USDT.OKX`, `UNI-USD-SWAP.OKX`).
 */
import { QuoteTick, TradeTick } from "../../model/data.js";
import { AggressorSide, BookSide } from "../../model/enums.js";
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

export function okxInstrumentId(instId: string): InstrumentId {
  return InstrumentId.of(instId, "OKX");
}

export function isOkxMessage(m: Record<string, unknown>): boolean {
  return isObject(m.arg) && typeof (m.arg as Record<string, unknown>).channel === "string";
}

export function parseOkx(m: Record<string, unknown>, ctx: ParseContext): ParseResult {
  const arg = m.arg as Record<string, unknown>;
  const channel = String(arg.channel);
  if (m.event !== undefined) return new ControlMessage(`okx ${String(m.event)}`);
  const data = req(m, "data", `okx ${channel}`);
  if (!Array.isArray(data)) throw new ParseError(`okx ${channel}: "data" must be an array`, "data");
  if (channel.startsWith("books") || channel === "bbo-tbt") {
    const instId = reqString(arg, "instId", `okx ${channel} arg`);
    return data.map((d, k) => parseBook(d, k, m, channel, instId, ctx));
  }
  if (channel === "trades" || channel === "trades-all") return data.map((d, k) => parseTrade(d, k, ctx));
  if (channel === "tickers") return data.map((d, k) => parseTicker(d, k, ctx));
  if (
    channel === "orders" ||
    channel === "account" ||
    channel === "positions" ||
    channel === "balance_and_position"
  )
    return new ControlMessage(`okx ${channel} (account event, not market data)`);
  throw new ParseError(`unsupported OKX channel ${show(channel)}`, "arg.channel");
}

function parseBook(
  d: unknown,
  k: number,
  m: Record<string, unknown>,
  channel: string,
  instId: string,
  ctx: ParseContext,
): MarketRecord {
  const where = `okx ${channel} data[${k}]`;
  if (!isObject(d)) throw new ParseError(`${where} must be an object`, "data");
  const action = m.action === undefined ? "snapshot" : m.action;
  if (action !== "snapshot" && action !== "update") {
    throw new ParseError(`${where}: unknown action ${show(action)}`, "action");
  }
  const id = okxInstrumentId(instId);
  const ts = msToMicros(req(d, "ts", where), "ts");
  const batch = new DeltaBatch(id, action === "snapshot");
  batch.addPairs(BookSide.Bid, req(d, "bids", where), "bids");
  batch.addPairs(BookSide.Ask, req(d, "asks", where), "asks");
  const seq = d.seqId === undefined ? -1 : reqInt(d, "seqId", where);
  const prev = d.prevSeqId === undefined ? -1 : reqInt(d, "prevSeqId", where);
  const checksum = d.checksum === undefined ? null : reqInt(d, "checksum", where);
  const deltas = batch.build(seq, seq, prev, ts, ctx.tsRecv ?? ts, checksum);
  const depth = channel === "books5" ? 5 : channel === "bbo-tbt" ? 1 : channel === "books50-l2-tbt" ? 50 : 0;
  return new MarketRecord(deltas, "okx", -1, depth, ctx.tsRecv);
}

function parseTrade(d: unknown, k: number, ctx: ParseContext): MarketRecord {
  const where = `okx trades data[${k}]`;
  if (!isObject(d)) throw new ParseError(`${where} must be an object`, "data");
  const side = reqString(d, "side", where);
  if (side !== "buy" && side !== "sell") throw new ParseError(`${where}: side ${show(side)}`, "side");
  const ts = msToMicros(req(d, "ts", where), "ts");
  const tick = new TradeTick(
    okxInstrumentId(reqString(d, "instId", where)),
    parsePrice(req(d, "px", where), "px"),
    parseQuantity(req(d, "sz", where), "sz"),
    side === "buy" ? AggressorSide.Buyer : AggressorSide.Seller,
    reqString(d, "tradeId", where),
    ts,
    ctx.tsRecv ?? ts,
  );
  return new MarketRecord(tick, "okx", -1, 0, ctx.tsRecv);
}

function parseTicker(d: unknown, k: number, ctx: ParseContext): MarketRecord {
  const where = `okx tickers data[${k}]`;
  if (!isObject(d)) throw new ParseError(`${where} must be an object`, "data");
  const ts = msToMicros(req(d, "ts", where), "ts");
  const q = new QuoteTick(
    okxInstrumentId(reqString(d, "instId", where)),
    parsePrice(req(d, "bidPx", where), "bidPx"),
    parsePrice(req(d, "askPx", where), "askPx"),
    parseQuantity(req(d, "bidSz", where), "bidSz"),
    parseQuantity(req(d, "askSz", where), "askSz"),
    ts,
    ctx.tsRecv ?? ts,
  );
  return new MarketRecord(q, "okx", -1, 0, ctx.tsRecv);
}
