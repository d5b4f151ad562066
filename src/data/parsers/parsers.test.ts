import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { Bar, BookFlags, MarkPriceUpdate, OrderBookDeltas, QuoteTick, TradeTick } from "../../model/data.js";
import { AggressorSide, BookAction, BookSide } from "../../model/enums.js";
import {
  ControlMessage,
  fastParseBinanceCombined,
  type MarketRecord,
  type ParseContext,
  ParseError,
  parseBinance,
  parseVenueMessage,
  parseVenueText,
} from "./index.js";

const DATA = fileURLToPath(new URL("../../../../shared/data/", import.meta.url));
const FIX = `${DATA}exchange_messages/nautilus_adapter_fixtures/`;
const ctx = (tsRecv: number | null = null): ParseContext => ({
  tsRecv,
  binanceMarket: null,
  symbolHint: null,
});

function fixture(path: string): unknown {
  return JSON.parse(readFileSync(`${FIX}${path}`, "utf8"));
}

function records(r: ReturnType<typeof parseVenueMessage>): MarketRecord[] {
  if (r instanceof ControlMessage) throw new Error(`control: ${r.what}`);
  return r;
}

function one<T>(path: string, type: new (...a: never[]) => T): T {
  const recs = records(parseVenueMessage(fixture(path), ctx()));
  expect(recs).toHaveLength(1);
  expect(recs[0].data).toBeInstanceOf(type);
  return recs[0].data as T;
}

describe("Binance", () => {
  it("parses the futures depthUpdate fixture into ordered deltas with U/u/pu", () => {
    const d = one("binance/futures/market_data_json/depth_update_stream.json", OrderBookDeltas);
    expect(d.instrumentId.value).toBe("BTCUSDT-PERP.BINANCE");
    expect([d.firstSequence, d.sequence, d.prevSequence]).toEqual([157, 160, 149]);
    expect(d.isSnapshot).toBe(false);
    expect(d.tsEvent).toBe(123456789000);
    expect(
      d.deltas.map((x) => [x.action, x.order?.side, x.order?.price.toString(), x.order?.size.toString()]),
    ).toEqual([
      [BookAction.Update, BookSide.Bid, "0.0024", "10"],
      [BookAction.Update, BookSide.Ask, "0.0026", "100"],
    ]);
    expect(d.deltas[1].flags & BookFlags.Last).toBeTruthy();
    expect(d.deltas[0].flags & BookFlags.Last).toBe(0);
  });

  it("parses aggTrade, bookTicker, closed kline and markPrice fixtures", () => {
    const t = one("binance/futures/market_data_json/agg_trade_stream.json", TradeTick);
    expect([t.price.toString(), t.size.toString(), t.aggressorSide, t.tradeId, t.tsEvent]).toEqual([
      "0.001",
      "100",
      AggressorSide.Seller,
      "5933014",
      123456785000,
    ]);
    const q = one("binance/futures/market_data_json/book_ticker_stream.json", QuoteTick);
    expect([
      q.bidPrice.toString(),
      q.bidSize.toString(),
      q.askPrice.toString(),
      q.askSize.toString(),
    ]).toEqual(["25.35190000", "31.21000000", "25.36520000", "40.66000000"]);
    expect(q.instrumentId.value).toBe("BNBUSDT-PERP.BINANCE");
    const b = one("binance/futures/market_data_json/kline_stream_closed.json", Bar);
    expect(b.barType.toString()).toBe("BTCUSDT.BINANCE-1-MINUTE-LAST-EXTERNAL");
    expect([b.open, b.high, b.low, b.close, b.volume].map(String)).toEqual([
      "0.0010",
      "0.0025",
      "0.0010",
      "0.0020",
      "1000",
    ]);
    expect(b.tsOpen).toBe(1638747660000000);
    expect(b.tsEvent).toBe(1638747720000000);
    const m = one("binance/futures/market_data_json/mark_price_stream.json", MarkPriceUpdate);
    expect([m.markPrice.toString(), m.indexPrice?.toString(), m.fundingRate, m.nextFundingTime]).toEqual([
      "11794.15000000",
      "11784.62659091",
      "0.00038167",
      1562306400000000,
    ]);
  });

  it("parses a REST depth snapshot when the symbol is known, and refuses one without", () => {
    const body = fixture("binance/spot/http_json/depth_response.json") as Record<string, unknown>;
    const r = records(parseBinance(body, { tsRecv: 5, binanceMarket: "spot", symbolHint: "BNBBTC" }));
    const d = r[0].data as OrderBookDeltas;
    expect(d.isSnapshot).toBe(true);
    expect(d.sequence).toBe(1027024);
    expect(d.deltas[0].action).toBe(BookAction.Clear);
    expect(d.deltas.slice(1).map((x) => `${x.order?.side} ${x.order?.size}@${x.order?.price}`)).toEqual([
      "BID 431.00000000@4.00000000",
      "ASK 12.00000000@4.00000200",
    ]);
    expect(() => parseBinance(body, ctx())).toThrow(/names no symbol/);
  });

  it("classifies account events as control messages, never as market data", () => {
    for (const f of [
      "binance/spot/user_data_json/execution_report_new.json",
      "binance/spot/user_data_json/balance_update.json",
      "binance/futures/user_data_json/account_update.json",
      "binance/futures/user_data_json/order_update_trade.json",
      "binance/spot/http_json/new_order_full_response.json",
    ]) {
      expect(parseVenueMessage(fixture(f), ctx())).toBeInstanceOf(ControlMessage);
    }
  });

  it("names the field of a malformed message", () => {
    const bad = {
      stream: "btcusdt@trade",
      data: { e: "trade", E: 1, T: 1, s: "BTCUSDT", t: 1, p: "abc", q: "1", m: true },
    };
    expect(() => parseVenueMessage(bad, ctx())).toThrow(ParseError);
    expect(() => parseVenueMessage(bad, ctx())).toThrow(/"abc".*field "p"/);
    expect(() => parseVenueMessage({ e: "depthUpdate", E: 1, s: "X", u: 2, b: [], a: [] }, ctx())).toThrow(
      /missing "U"/,
    );
  });
});

/** Exact text of a record: class names, every field, prices/sizes with their precision. */
/**
 * Canonical JSON of parser output. A batch serialises through `OrderBookDeltas.toJSON` with its
 * deltas as objects, whichever form holds them (columnar batches materialise here), so the
 * comparison checks every field of every delta and never the storage form.
 */
function dump(v: unknown): string {
  return JSON.stringify(v, function (this: unknown, _k, x) {
    if (x !== null && typeof x === "object" && !Array.isArray(x) && x.constructor !== Object) {
      return { __class: x.constructor.name, ...x };
    }
    return x;
  });
}

describe("Binance fast scanner", () => {
  function general(
    line: string,
    start: number,
    tsRecv: number,
    market: "spot" | "usdm" | null,
  ): MarketRecord[] {
    return records(
      parseVenueMessage(JSON.parse(line.slice(start)), {
        tsRecv,
        binanceMarket: market,
        symbolHint: "BTCUSDT",
      }),
    );
  }

  for (const [name, market] of [
    ["hftbacktest_binance-usdm_btcusdt_20240808.gz", "usdm"],
    ["hftbacktest_binance-spot_btcusdt_20240808.gz", "spot"],
  ] as const) {
    it(`produces exactly what JSON.parse + parseBinance produce on ${name}`, () => {
      // every depth update and every 4th other line (keeps the test fast; all message kinds covered)
      const lines = gunzipSync(readFileSync(`${DATA}orderbook/${name}`))
        .toString("utf8")
        .split("\n");
      let fast = 0;
      let n = 0;
      const kinds = new Set<string>();
      for (const line of lines) {
        if (line === "") continue;
        n++;
        if (!line.includes("@depth") && n % 4 !== 0) continue;
        const sp = line.indexOf(" ");
        const ts = Number(line.slice(0, sp - 3));
        // with the container's market; the first 3000 lines also with the market inferred
        for (const m of n < 3000 ? ([market, null] as const) : ([market] as const)) {
          const f = fastParseBinanceCombined(line, sp + 1, ts, m);
          if (f === null) continue;
          fast++;
          kinds.add(f.data.constructor.name);
          const a = dump(f);
          const b = dump(general(line, sp + 1, ts, m)[0]);
          if (a !== b) expect(a).toBe(b);
        }
      }
      expect(fast).toBeGreaterThan(n / 4);
      expect([...kinds].sort()).toEqual(["OrderBookDeltas", "QuoteTick", "TradeTick"]);
    });
  }

  it("falls back (returns null) on layouts it does not handle, and the general path still parses them", () => {
    const escaped =
      '{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"T":1,"s":"BTC\\u0055SDT","t":1,"p":"1.0","q":"2","m":false}}';
    expect(fastParseBinanceCombined(escaped, 0, 1, null)).toBeNull();
    const recs = records(parseVenueText(escaped, 0, ctx(1)));
    expect((recs[0].data as TradeTick).instrumentId.value).toBe("BTCUSDT.BINANCE");
    const float =
      '{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"T":1.5,"s":"BTCUSDT","t":1,"p":"1.0","q":"2","m":false}}';
    expect(fastParseBinanceCombined(float, 0, 1, null)).toBeNull();
    expect(() => parseVenueText(float, 0, ctx(1))).toThrow(/field "T"/);
    // the scanner works on a byte copy of the line: a line cut short must not be completed by
    // the bytes of the longer line scanned before it
    const depth =
      '{"stream":"btcusdt@depth","data":{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":5,"u":6,"pu":4,"b":[["100.50","1.000"],["100.40","2.000"]],"a":[["100.60","0.000"]]}}';
    expect(fastParseBinanceCombined(depth, 0, 1, "usdm")).not.toBeNull();
    for (const cut of [depth.indexOf('"100.40"') + 3, depth.indexOf('"a":') + 2, depth.length - 2]) {
      expect(fastParseBinanceCombined(depth.slice(0, cut), 0, 1, "usdm")).toBeNull();
      expect(() => parseVenueText(depth.slice(0, cut), 0, ctx(1))).toThrow(/invalid JSON/);
    }
    // non-ASCII text (character and byte positions differ) takes the general path
    const accented = depth.replace('"s":"BTCUSDT"', '"s":"BTCUSDÉ"');
    expect(fastParseBinanceCombined(accented, 0, 1, "usdm")).toBeNull();
    const viaGeneral = records(parseVenueText(accented, 0, { tsRecv: 1, binanceMarket: "usdm" }));
    expect((viaGeneral[0].data as OrderBookDeltas).deltas).toHaveLength(3);
    const kline = '{"stream":"btcusdt@kline_1m","data":{"e":"kline","E":1,"s":"BTCUSDT","k":{"x":false}}}';
    expect(fastParseBinanceCombined(kline, 0, 1, null)).toBeNull();
    expect(parseVenueText(kline, 0, ctx(1))).toBeInstanceOf(ControlMessage);
    expect(() => parseVenueText('{"stream":"x@trade","data":{"e":"trade"', 0, ctx(1))).toThrow(
      /invalid JSON/,
    );
  });
});

describe("Bybit", () => {
  it("parses orderbook snapshot/delta with u and seq", () => {
    const s = one("bybit/ws_orderbook_snapshot.json", OrderBookDeltas);
    expect(s.isSnapshot).toBe(true);
    expect(s.instrumentId.value).toBe("BTCUSDT.BYBIT");
    expect([s.sequence, s.firstSequence]).toEqual([123456789, 987654321]);
    expect(s.deltas).toHaveLength(5);
    const d = one("bybit/ws_orderbook_delta.json", OrderBookDeltas);
    expect(d.deltas.map((x) => x.action)).toEqual([BookAction.Update, BookAction.Delete]);
    expect(d.sequence).toBe(123456790);
  });

  it("parses publicTrade and tickers; an unconfirmed kline is a control message", () => {
    const t = one("bybit/ws_public_trade.json", TradeTick);
    expect([t.price.toString(), t.size.toString(), t.aggressorSide, t.tradeId]).toEqual([
      "27451.00",
      "0.010",
      AggressorSide.Buyer,
      "9dc75fca-4bdd-4773-9f78-6f5d7ab2a110",
    ]);
    const q = one("bybit/ws_ticker_linear.json", QuoteTick);
    expect([q.bidPrice, q.bidSize, q.askPrice, q.askSize].map(String)).toEqual([
      "17215.50",
      "84.489",
      "17216.00",
      "83.020",
    ]);
    expect(parseVenueMessage(fixture("bybit/ws_kline.json"), ctx())).toBeInstanceOf(ControlMessage);
    const confirmed = fixture("bybit/ws_kline.json") as { data: Record<string, unknown>[] };
    confirmed.data[0].confirm = true;
    const bar = records(parseVenueMessage(confirmed, ctx()))[0].data as Bar;
    expect(bar.barType.toString()).toBe("BTCUSDT.BYBIT-5-MINUTE-LAST-EXTERNAL");
    expect(bar.close.toString()).toBe("16677");
  });
});

describe("OKX", () => {
  it("parses books snapshot/update with checksum and seqIds", () => {
    const s = one("okx/ws_books_snapshot.json", OrderBookDeltas);
    expect(s.isSnapshot).toBe(true);
    expect(s.checksum).toBe(-855196043);
    expect([s.sequence, s.prevSequence]).toEqual([123456, -1]);
    expect(s.deltas).toHaveLength(17);
    const u = one("okx/ws_books_update.json", OrderBookDeltas);
    expect([u.sequence, u.prevSequence, u.isSnapshot]).toEqual([123457, 123456, false]);
  });

  it("parses trades", () => {
    const t = one("okx/ws_trades.json", TradeTick);
    expect([t.instrumentId.value, t.price.toString(), t.size.toString(), t.aggressorSide, t.tsEvent]).toEqual(
      ["BTC-USD.OKX", "42219.9", "0.12060306", AggressorSide.Buyer, 1630048897897000],
    );
  });
});

describe("Kraken", () => {
  it("parses v2 book snapshot/update and trades", () => {
    const s = one("kraken/ws_book_snapshot.json", OrderBookDeltas);
    expect(s.isSnapshot).toBe(true);
    expect(s.checksum).toBe(2439117997);
    expect(s.deltas.slice(1).map((x) => `${x.order?.side} ${x.order?.price}`)).toContain("BID 105944.2");
    const u = one("kraken/ws_book_update.json", OrderBookDeltas);
    expect(u.deltas.map((x) => x.order?.size.toString())).toEqual(["0.25"]);
    const trades = records(parseVenueMessage(fixture("kraken/ws_trade_update.json"), ctx()));
    expect(trades.map((r) => (r.data as TradeTick).tradeId)).toEqual(["10218208", "10218209"]);
    expect((trades[1].data as TradeTick).aggressorSide).toBe(AggressorSide.Seller);
  });

  it("parses v1 book messages including the two-payload form and the checksum", () => {
    const msg = JSON.parse(
      '[1920,{"a":[["0.042990","364630.28272081","1618678145.920470"]]},{"b":[["0.042990","0.00000000","1618678145.920708"]],"c":"4105471083"},"book-1000","SC/EUR"]',
    );
    const r = records(parseVenueMessage(msg, ctx(7)))[0];
    const d = r.data as OrderBookDeltas;
    expect(r.depth).toBe(1000);
    expect(d.checksum).toBe(4105471083);
    expect(d.deltas.map((x) => `${x.action} ${x.order?.side} ${x.order?.price}`)).toEqual([
      "UPDATE ASK 0.042990",
      "DELETE BID 0.042990",
    ]);
    expect(d.tsEvent).toBe(1618678145920708);
    expect(parseVenueMessage({ event: "heartbeat" }, ctx())).toBeInstanceOf(ControlMessage);
  });
});

describe("Coinbase", () => {
  it("parses Advanced Trade l2_data, market_trades and ticker", () => {
    const s = one("coinbase/ws_l2_data_snapshot.json", OrderBookDeltas);
    expect(s.isSnapshot).toBe(true);
    expect(s.deltas).toHaveLength(7);
    const u = one("coinbase/ws_l2_data_update.json", OrderBookDeltas);
    expect(u.deltas.map((x) => x.action)).toEqual([BookAction.Update, BookAction.Delete]);
    const trades = records(parseVenueMessage(fixture("coinbase/ws_market_trades.json"), ctx()));
    expect(trades.map((r) => (r.data as TradeTick).aggressorSide)).toEqual([
      AggressorSide.Buyer,
      AggressorSide.Seller,
    ]);
    const q = one("coinbase/ws_ticker.json", QuoteTick);
    expect([q.bidPrice, q.bidSize, q.askPrice, q.askSize].map(String)).toEqual([
      "68900.00",
      "1.50000000",
      "68901.00",
      "0.50000000",
    ]);
    expect(parseVenueMessage(fixture("coinbase/ws_user.json"), ctx())).toBeInstanceOf(ControlMessage);
  });

  it("parses Exchange level2/matches/ticker; match side is the maker side", () => {
    const m = records(
      parseVenueMessage(
        {
          type: "match",
          trade_id: 280232,
          side: "sell",
          size: "985",
          price: "0.00001305",
          product_id: "SKL-BTC",
          sequence: 1,
          time: "2021-04-17T16:43:37.089723Z",
        },
        ctx(),
      ),
    )[0].data as TradeTick;
    expect(m.aggressorSide).toBe(AggressorSide.Buyer);
    expect(m.tsEvent).toBe(Date.UTC(2021, 3, 17, 16, 43, 37) * 1000 + 89723);
    const u = records(
      parseVenueMessage(
        {
          type: "l2update",
          product_id: "SKL-BTC",
          changes: [["sell", "0.00001306", "660.5"]],
          time: "2021-04-17T16:43:37Z",
        },
        ctx(),
      ),
    )[0].data as OrderBookDeltas;
    expect(u.deltas[0].order?.side).toBe(BookSide.Ask);
  });
});

it("rejects messages of no known venue with a clear reason", () => {
  expect(() => parseVenueMessage({ hello: 1 }, ctx())).toThrow(/unrecognised venue message/);
  expect(() => parseVenueMessage(42, ctx())).toThrow(/expected a JSON object/);
});
