/**
 * Venue message parsers: raw exchange JSON → domain market data ({@link MarketRecord}).
 *
 * {@link parseVenueMessage} recognises the venue from the message's shape, so a file may mix
 * venues; {@link parseVenueText} adds the fast path for hot Binance messages.
 */
import { isBinanceMessage, parseBinance } from "./binance.js";
import { fastParseBinanceCombined } from "./binance-fast.js";
import { isBybitMessage, parseBybit } from "./bybit.js";
import { isCoinbaseMessage, parseCoinbase } from "./coinbase.js";
import { ControlMessage, isObject, type ParseContext, ParseError, type ParseResult, show } from "./common.js";
import { isKrakenV1Message, isKrakenV2Message, parseKrakenV1, parseKrakenV2 } from "./kraken.js";
import { isOkxMessage, parseOkx } from "./okx.js";

export * from "./binance.js";
export { fastParseBinanceCombined } from "./binance-fast.js";
export * from "./bybit.js";
export * from "./coinbase.js";
export * from "./common.js";
export * from "./kraken.js";
export * from "./okx.js";

/** Decodes one already-parsed venue message, recognising the venue from its shape. */
export function parseVenueMessage(msg: unknown, ctx: ParseContext): ParseResult {
  if (Array.isArray(msg)) {
    if (isKrakenV1Message(msg)) return parseKrakenV1(msg, ctx);
    throw new ParseError(`unrecognised message array ${show(msg)}`);
  }
  if (!isObject(msg)) throw new ParseError(`expected a JSON object or array, got ${show(msg)}`);
  if (isBinanceMessage(msg)) return parseBinance(msg, ctx);
  if (isBybitMessage(msg)) return parseBybit(msg, ctx);
  if (isOkxMessage(msg)) return parseOkx(msg, ctx);
  if (isCoinbaseMessage(msg)) return parseCoinbase(msg, ctx);
  if (isKrakenV2Message(msg)) return parseKrakenV2(msg, ctx);
  if (typeof msg.event === "string") return new ControlMessage(`venue event ${msg.event}`);
  if (msg.op !== undefined || msg.success !== undefined || msg.ret_msg !== undefined) {
    return new ControlMessage("venue response");
  }
  throw new ParseError(`unrecognised venue message ${show(msg)}`);
}

/**
 * Decodes the JSON text of one venue message starting at `start` (e.g. after a container's
 * timestamp prefix). Binance combined-stream depth/trade/bookTicker messages take a scanner
 * fast path that yields exactly what the general path yields.
 */
export function parseVenueText(text: string, start: number, ctx: ParseContext): ParseResult {
  if (text.charCodeAt(start) === 123 && text.startsWith('{"stream":"', start)) {
    const r = fastParseBinanceCombined(text, start, ctx.tsRecv, ctx.binanceMarket ?? null);
    if (r !== null) return [r];
  }
  let msg: unknown;
  try {
    msg = JSON.parse(start === 0 ? text : text.slice(start));
  } catch (e) {
    throw new ParseError(`invalid JSON: ${(e as Error).message}`);
  }
  return parseVenueMessage(msg, ctx);
}
