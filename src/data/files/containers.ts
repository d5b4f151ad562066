/**
 * Line decoders of the capture containers: hftbacktest (`<local_ts_ns> <json>`), cryptofeed
 * (`<recv_ts>: <json>` plus connection metadata lines), cryptofeed REST files
 * (`<url> -> <recv_ts>: <body>`) and plain JSON lines.
 */
import { parseBinance, streamSymbol } from "../parsers/binance.js";
import {
  ControlMessage,
  type MarketRecord,
  nsTextToMicros,
  type ParseContext,
  ParseError,
  type ParseResult,
  secondsTextToMicros,
} from "../parsers/common.js";
import { parseVenueText } from "../parsers/index.js";

/** Decodes a file line by line. */
export interface LineDecoder {
  /** Decodes one line; null for a metadata or blank line (counted, never market data). */
  decode(line: string, lineNo: number): ParseResult | null;
  /** Ordering time (receive or row time, µs) of the last decoded line; null if it has none. */
  orderTs: number | null;
  /** Records completed only at end of file (grouped CSV rows). */
  finish(): MarketRecord[];
}

/** Tracks the symbols of combined-stream names, for REST snapshots that name none. */
class SymbolTracker {
  private readonly symbols = new Set<string>();
  private last = "";

  see(line: string, start: number): void {
    if (!line.startsWith('{"stream":"', start)) return;
    const end = line.indexOf('"', start + 11);
    if (end < 0) return;
    const name = line.slice(start + 11, end);
    if (name === this.last) return;
    this.last = name;
    this.symbols.add(streamSymbol(name));
  }

  hint(): string | null {
    if (this.symbols.size === 1) return this.symbols.values().next().value ?? null;
    if (this.symbols.size === 0) {
      throw new ParseError("depth snapshot names no symbol and no stream was seen before it");
    }
    throw new ParseError(
      `depth snapshot names no symbol and the file carries several (${[...this.symbols].join(", ")})`,
    );
  }
}

export class HftbacktestDecoder implements LineDecoder {
  orderTs: number | null = null;
  private readonly symbols = new SymbolTracker();
  private readonly ctx: ParseContext;

  constructor(market: "spot" | "usdm" | null) {
    this.ctx = { tsRecv: null, binanceMarket: market, symbolHint: null };
  }

  decode(line: string): ParseResult | null {
    if (line.length === 0) return null;
    const sp = line.indexOf(" ");
    if (sp <= 0) throw new ParseError("expected '<local_ts_ns> <json>'");
    const ts = nsTextToMicros(line.slice(0, sp), "local_ts_ns");
    this.orderTs = ts;
    this.ctx.tsRecv = ts;
    this.symbols.see(line, sp + 1);
    if (line.startsWith('{"lastUpdateId"', sp + 1)) this.ctx.symbolHint = this.symbols.hint();
    return parseVenueText(line, sp + 1, this.ctx);
  }

  finish(): MarketRecord[] {
    return [];
  }
}

/** Connection/subscription lines and the recorder's `configuration: {...}` line. */
const CF_META = /^((wss?|https?):\/\/\S+ (<->|<-) |configuration: )/;

export class CryptofeedDecoder implements LineDecoder {
  orderTs: number | null = null;
  private readonly ctx: ParseContext;

  constructor(market: "spot" | "usdm" | null) {
    this.ctx = { tsRecv: null, binanceMarket: market, symbolHint: null };
  }

  decode(line: string): ParseResult | null {
    if (line.length === 0) return null;
    if (CF_META.test(line)) return null;
    const sep = line.indexOf(": ");
    if (sep <= 0) throw new ParseError("expected '<recv_ts>: <json>'");
    const ts = secondsTextToMicros(line.slice(0, sep), "recv_ts");
    this.orderTs = ts;
    this.ctx.tsRecv = ts;
    return parseVenueText(line, sep + 2, this.ctx);
  }

  finish(): MarketRecord[] {
    return [];
  }
}

/** `<url> -> <recv_ts>: <body>`: REST responses recorded by cryptofeed (depth snapshots). */
export class CryptofeedHttpDecoder implements LineDecoder {
  orderTs: number | null = null;

  decode(line: string): ParseResult | null {
    if (line.length === 0 || CF_META.test(line)) return null;
    const m = /^(\S+) -> (\d+(?:\.\d+)?): /.exec(line);
    if (m === null) throw new ParseError("expected '<url> -> <recv_ts>: <body>'");
    const url = m[1];
    const ts = secondsTextToMicros(m[2], "recv_ts");
    this.orderTs = ts;
    const bodyStart = m[0].length;
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new ParseError(`bad URL ${url}`, "url");
    }
    if (/binance\.com$/.test(u.hostname)) {
      const market = /^(fapi|dapi)\./.test(u.hostname) ? "usdm" : "spot";
      if (u.pathname.endsWith("/exchangeInfo")) return new ControlMessage("binance exchangeInfo");
      if (u.pathname.endsWith("/depth")) {
        const symbol = u.searchParams.get("symbol");
        if (symbol === null) throw new ParseError(`depth URL without symbol: ${url}`, "url");
        let body: unknown;
        try {
          body = JSON.parse(line.slice(bodyStart));
        } catch (e) {
          throw new ParseError(`invalid JSON body: ${(e as Error).message}`);
        }
        if (typeof body !== "object" || body === null || Array.isArray(body)) {
          throw new ParseError("depth response body is not an object");
        }
        return parseBinance(body as Record<string, unknown>, {
          tsRecv: ts,
          binanceMarket: market,
          symbolHint: symbol,
        });
      }
    }
    return parseVenueText(line, bodyStart, { tsRecv: ts, binanceMarket: null, symbolHint: null });
  }

  finish(): MarketRecord[] {
    return [];
  }
}

/** One venue JSON message per line, without a container timestamp (e.g. Bybit ob500 dumps). */
export class JsonLinesDecoder implements LineDecoder {
  orderTs: number | null = null;
  private readonly symbols = new SymbolTracker();
  private readonly ctx: ParseContext;

  constructor(market: "spot" | "usdm" | null) {
    this.ctx = { tsRecv: null, binanceMarket: market, symbolHint: null };
  }

  decode(line: string): ParseResult | null {
    if (line.trim().length === 0) return null;
    this.symbols.see(line, 0);
    if (line.startsWith('{"lastUpdateId"')) this.ctx.symbolHint = this.symbols.hint();
    return parseVenueText(line, 0, this.ctx);
  }

  finish(): MarketRecord[] {
    return [];
  }
}
