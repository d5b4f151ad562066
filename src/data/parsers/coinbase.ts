/**
 * Coinbase Exchange (formerly Coinbase Pro) WebSocket feed: `level2` (`snapshot`, `l2update`),
 * `matches` (`match`, `last_match`), `ticker`; and Coinbase Advanced Trade: `l2_data`,
 * `market_trades`, `ticker`. Instruments are `PRODUCT.COINBASE` (e.g. `SKL-USD.COINBASE`).
 *
 * Exchange `match.side` is the **maker** order's side, so the aggressor is the opposite side.
 * Exchange `ticker` messages carry best bid/ask prices but no sizes: their quote sizes are 0.
 */
import { QuoteTick, TradeTick } from "../../model/data.js";
import { AggressorSide, BookSide } from "../../model/enums.js";
import { InstrumentId } from "../../model/identifiers.js";
import { Quantity } from "../../model/values.js";
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
  reqArray,
  reqInt,
  reqString,
  show,
} from "./common.js";

export function coinbaseInstrumentId(product: string): InstrumentId {
  return InstrumentId.of(product, "COINBASE");
}

const EXCHANGE_TYPES = new Set([
  "snapshot",
  "l2update",
  "match",
  "last_match",
  "ticker",
  "subscriptions",
  "heartbeat",
  "error",
  "received",
  "open",
  "done",
  "change",
  "activate",
]);

export function isCoinbaseMessage(m: Record<string, unknown>): boolean {
  if (typeof m.type === "string" && EXCHANGE_TYPES.has(m.type) && m.channel === undefined) return true;
  return typeof m.channel === "string" && Array.isArray(m.events);
}

const ZERO = Quantity.zero(0);

export function parseCoinbase(m: Record<string, unknown>, ctx: ParseContext): ParseResult {
  if (typeof m.channel === "string") return parseAdvanced(m, ctx);
  const type = m.type as string;
  switch (type) {
    case "snapshot": {
      const where = "coinbase snapshot";
      const id = coinbaseInstrumentId(reqString(m, "product_id", where));
      const batch = new DeltaBatch(id, true);
      batch.addPairs(BookSide.Bid, req(m, "bids", where), "bids");
      batch.addPairs(BookSide.Ask, req(m, "asks", where), "asks");
      const ts = m.time !== undefined ? isoToMicros(m.time, "time") : (ctx.tsRecv ?? 0);
      return [new MarketRecord(batch.build(-1, -1, -1, ts, ctx.tsRecv ?? ts), "coinbase", -1, 0, ctx.tsRecv)];
    }
    case "l2update": {
      const where = "coinbase l2update";
      const id = coinbaseInstrumentId(reqString(m, "product_id", where));
      const changes = reqArray(m, "changes", where);
      const batch = new DeltaBatch(id, false);
      for (let i = 0; i < changes.length; i++) {
        const c = changes[i];
        if (!Array.isArray(c) || c.length < 3)
          throw new ParseError(`${where}: changes[${i}] must be [side, price, size]`, "changes");
        const side = c[0] === "buy" ? BookSide.Bid : c[0] === "sell" ? BookSide.Ask : null;
        if (side === null) throw new ParseError(`${where}: changes[${i}] side ${show(c[0])}`, "changes");
        batch.add(side, parsePrice(c[1], `changes[${i}][1]`), parseQuantity(c[2], `changes[${i}][2]`));
      }
      const ts = isoToMicros(req(m, "time", where), "time");
      return [new MarketRecord(batch.build(-1, -1, -1, ts, ctx.tsRecv ?? ts), "coinbase", -1, 0, ctx.tsRecv)];
    }
    case "match":
    case "last_match": {
      const where = `coinbase ${type}`;
      const side = reqString(m, "side", where);
      if (side !== "buy" && side !== "sell") throw new ParseError(`${where}: side ${show(side)}`, "side");
      const ts = isoToMicros(req(m, "time", where), "time");
      const tick = new TradeTick(
        coinbaseInstrumentId(reqString(m, "product_id", where)),
        parsePrice(req(m, "price", where), "price"),
        parseQuantity(req(m, "size", where), "size"),
        side === "buy" ? AggressorSide.Seller : AggressorSide.Buyer,
        String(reqInt(m, "trade_id", where)),
        ts,
        ctx.tsRecv ?? ts,
      );
      return [new MarketRecord(tick, "coinbase", -1, 0, ctx.tsRecv)];
    }
    case "ticker": {
      const where = "coinbase ticker";
      if (m.best_bid === undefined || m.best_ask === undefined)
        return new ControlMessage("coinbase ticker without best bid/ask");
      const ts = m.time !== undefined ? isoToMicros(m.time, "time") : (ctx.tsRecv ?? 0);
      const q = new QuoteTick(
        coinbaseInstrumentId(reqString(m, "product_id", where)),
        parsePrice(m.best_bid, "best_bid"),
        parsePrice(m.best_ask, "best_ask"),
        m.best_bid_size === undefined ? ZERO : parseQuantity(m.best_bid_size, "best_bid_size"),
        m.best_ask_size === undefined ? ZERO : parseQuantity(m.best_ask_size, "best_ask_size"),
        ts,
        ctx.tsRecv ?? ts,
      );
      return [new MarketRecord(q, "coinbase", -1, 0, ctx.tsRecv)];
    }
    default:
      return new ControlMessage(`coinbase ${type}`);
  }
}

function parseAdvanced(m: Record<string, unknown>, ctx: ParseContext): ParseResult {
  const channel = m.channel as string;
  const events = reqArray(m, "events", `coinbase ${channel}`);
  const out: MarketRecord[] = [];
  const msgTs = m.timestamp !== undefined ? isoToMicros(m.timestamp, "timestamp") : (ctx.tsRecv ?? 0);
  const seq = m.sequence_num === undefined ? -1 : reqInt(m, "sequence_num", `coinbase ${channel}`);
  for (let k = 0; k < events.length; k++) {
    const ev = events[k];
    const where = `coinbase ${channel} events[${k}]`;
    if (!isObject(ev)) throw new ParseError(`${where} must be an object`, "events");
    if (channel === "l2_data") {
      const type = reqString(ev, "type", where);
      const id = coinbaseInstrumentId(reqString(ev, "product_id", where));
      const batch = new DeltaBatch(id, type === "snapshot");
      const updates = reqArray(ev, "updates", where);
      let ts = msgTs;
      for (let i = 0; i < updates.length; i++) {
        const u = updates[i];
        if (!isObject(u)) throw new ParseError(`${where}: updates[${i}] must be an object`, "updates");
        const side =
          u.side === "bid" ? BookSide.Bid : u.side === "offer" || u.side === "ask" ? BookSide.Ask : null;
        if (side === null) throw new ParseError(`${where}: updates[${i}].side ${show(u.side)}`, "side");
        batch.add(
          side,
          parsePrice(u.price_level, "price_level"),
          parseQuantity(u.new_quantity, "new_quantity"),
        );
        if (u.event_time !== undefined) ts = isoToMicros(u.event_time, "event_time");
      }
      out.push(
        new MarketRecord(
          batch.build(seq, seq, -1, ts, ctx.tsRecv ?? ts),
          "coinbase-advanced",
          -1,
          0,
          ctx.tsRecv,
        ),
      );
    } else if (channel === "market_trades") {
      const trades = reqArray(ev, "trades", where);
      for (let i = 0; i < trades.length; i++) {
        const t = trades[i];
        const w = `${where} trades[${i}]`;
        if (!isObject(t)) throw new ParseError(`${w} must be an object`, "trades");
        const side = reqString(t, "side", w);
        if (side !== "BUY" && side !== "SELL") throw new ParseError(`${w}: side ${show(side)}`, "side");
        const ts = isoToMicros(req(t, "time", w), "time");
        out.push(
          new MarketRecord(
            new TradeTick(
              coinbaseInstrumentId(reqString(t, "product_id", w)),
              parsePrice(req(t, "price", w), "price"),
              parseQuantity(req(t, "size", w), "size"),
              side === "BUY" ? AggressorSide.Buyer : AggressorSide.Seller,
              reqString(t, "trade_id", w),
              ts,
              ctx.tsRecv ?? ts,
            ),
            "coinbase-advanced",
            -1,
            0,
            ctx.tsRecv,
          ),
        );
      }
    } else if (channel === "ticker" || channel === "ticker_batch") {
      const tickers = reqArray(ev, "tickers", where);
      for (let i = 0; i < tickers.length; i++) {
        const t = tickers[i];
        const w = `${where} tickers[${i}]`;
        if (!isObject(t)) throw new ParseError(`${w} must be an object`, "tickers");
        out.push(
          new MarketRecord(
            new QuoteTick(
              coinbaseInstrumentId(reqString(t, "product_id", w)),
              parsePrice(req(t, "best_bid", w), "best_bid"),
              parsePrice(req(t, "best_ask", w), "best_ask"),
              parseQuantity(req(t, "best_bid_quantity", w), "best_bid_quantity"),
              parseQuantity(req(t, "best_ask_quantity", w), "best_ask_quantity"),
              msgTs,
              ctx.tsRecv ?? msgTs,
            ),
            "coinbase-advanced",
            -1,
            0,
            ctx.tsRecv,
          ),
        );
      }
    } else {
      return new ControlMessage(`coinbase ${channel}`);
    }
  }
  return out;
}
