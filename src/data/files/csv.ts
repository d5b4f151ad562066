/**
 * CSV decoders: Tardis.dev (`incremental_book_L2`, `book_snapshot_N`, `trades`, `quotes`),
 * Binance historical depth CSV (`symbol,timestamp,first_update_id,...`), trade CSVs and OHLCV
 * CSVs (`time,open,high,low,close,volume`, nautilus `timestamp,open,...`; time as ISO-8601 or
 * epoch seconds/milliseconds/microseconds/nanoseconds, told apart by magnitude).
 *
 * Rows that form one venue batch (a snapshot, or the levels of one update id) are grouped into
 * one {@link OrderBookDeltas}; if any row of a group is bad the whole group is rejected, so a
 * book is never fed a partial batch.
 */
import { Bar, BarType, BookLevel, OrderBookDepth, QuoteTick, TradeTick } from "../../model/data.js";
import { AggressorSide, BookSide } from "../../model/enums.js";
import { InstrumentId } from "../../model/identifiers.js";
import { parseIsoToMicros, type UnixMicros } from "../../model/time.js";
import { binanceInstrumentId, intervalSpec } from "../parsers/binance.js";
import { DeltaBatch } from "../parsers/book-build.js";
import {
  MarketRecord,
  ParseError,
  type ParseResult,
  parsePrice,
  parseQuantity,
  volumeText,
} from "../parsers/common.js";
import type { LineDecoder } from "./containers.js";
import { DataFileError } from "./errors.js";
import { instrumentForFile, intervalFromName } from "./instrument.js";

/** Splits one CSV line; supports double-quoted fields. */
export function splitCsv(line: string): string[] {
  if (!line.includes('"')) return line.split(",");
  const out: string[] = [];
  let cur = "";
  let q = false;
  for (let k = 0; k < line.length; k++) {
    const c = line[k];
    if (q) {
      if (c === '"') {
        if (line[k + 1] === '"') {
          cur += '"';
          k++;
        } else q = false;
      } else cur += c;
    } else if (c === '"') q = true;
    else if (c === ",") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Epoch number (s, ms, µs or ns by magnitude) or ISO-8601 text to microseconds. */
export function parseTimeCell(text: string, field: string): UnixMicros {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) {
    const [int, frac = ""] = t.split(".");
    const digits = int.length;
    // seconds < 1e11, milliseconds < 1e14, microseconds < 1e17, else nanoseconds
    const shift = digits <= 11 ? 6 : digits <= 14 ? 3 : digits <= 17 ? 0 : -3;
    let us: number;
    if (shift >= 0) {
      us = Number(int) * 10 ** shift + Number((frac.padEnd(shift, "0") || "0").slice(0, shift) || "0");
    } else {
      us = Number(int.slice(0, shift));
    }
    if (!Number.isSafeInteger(us)) throw new ParseError(`time "${text}" is out of range`, field);
    return us;
  }
  try {
    return parseIsoToMicros(t);
  } catch {
    throw new ParseError(`"${text}" is neither an epoch number nor an ISO-8601 time`, field);
  }
}

abstract class CsvDecoder implements LineDecoder {
  orderTs: number | null = null;
  protected cols: string[] = [];
  protected idx = new Map<string, number>();

  constructor(protected readonly file: string) {}

  decode(line: string, lineNo: number): ParseResult | null {
    if (line.trim() === "") return null;
    if (this.cols.length === 0) {
      this.cols = splitCsv(line).map((c) => c.trim().toLowerCase());
      this.cols.forEach((c, k) => {
        this.idx.set(c, k);
      });
      this.header();
      return null;
    }
    const cells = splitCsv(line);
    if (cells.length !== this.cols.length) {
      this.rowFailed();
      throw new ParseError(`expected ${this.cols.length} columns, got ${cells.length}`);
    }
    try {
      return this.row(cells, lineNo);
    } catch (e) {
      this.rowFailed();
      throw e;
    }
  }

  protected col(cells: string[], name: string): string {
    const k = this.idx.get(name);
    if (k === undefined) throw new ParseError(`missing column "${name}"`, name);
    return cells[k];
  }

  protected has(name: string): boolean {
    return this.idx.has(name);
  }

  protected header(): void {}
  protected rowFailed(): void {}
  protected abstract row(cells: string[], lineNo: number): ParseResult | null;

  finish(): MarketRecord[] {
    return [];
  }
}

/** Groups consecutive rows with the same key into one atomic batch. */
abstract class GroupedCsvDecoder extends CsvDecoder {
  private key = "";
  private batch: DeltaBatch | null = null;
  private meta: {
    first: number;
    seq: number;
    prev: number;
    ts: number;
    tsRecv: number | null;
    line: number;
  } | null = null;
  private poisoned = false;

  protected override rowFailed(): void {
    this.poisoned = true;
  }

  /** Adds a row to the current group; returns the previous group's record when the key changes. */
  protected group(
    key: string,
    open: () => DeltaBatch,
    meta: { first: number; seq: number; prev: number; ts: number; tsRecv: number | null },
    lineNo: number,
  ): { out: MarketRecord[]; batch: DeltaBatch } {
    let out: MarketRecord[] = [];
    if (key !== this.key || this.batch === null) {
      out = this.flush();
      this.key = key;
      this.batch = open();
      this.meta = { ...meta, line: lineNo };
    }
    return { out, batch: this.batch };
  }

  protected abstract feed(): MarketRecord["feed"];

  private flush(): MarketRecord[] {
    const b = this.batch;
    const m = this.meta;
    this.batch = null;
    if (b === null || m === null) return [];
    if (this.poisoned) {
      this.poisoned = false;
      throw new ParseError(`the batch starting at line ${m.line} is rejected because one of its rows is bad`);
    }
    const r = new MarketRecord(
      b.build(m.first, m.seq, m.prev, m.ts, m.tsRecv ?? m.ts),
      this.feed(),
      -1,
      0,
      m.tsRecv,
    );
    r.line = m.line;
    return [r];
  }

  override finish(): MarketRecord[] {
    return this.flush();
  }
}

export class TardisCsvDecoder extends GroupedCsvDecoder {
  private kind: "book" | "snapshot" | "trades" | "quotes" = "book";
  private levels = 0;

  protected override header(): void {
    if (this.has("is_snapshot")) this.kind = "book";
    else if (this.has("asks[0].price")) {
      this.kind = "snapshot";
      while (this.has(`asks[${this.levels}].price`)) this.levels++;
    } else if (this.has("id") && this.has("side")) this.kind = "trades";
    else if (this.has("ask_price") && this.has("bid_price")) this.kind = "quotes";
    else {
      throw new DataFileError(
        "DATA_UNKNOWN_FORMAT",
        `${this.file}: unsupported Tardis CSV data type (columns ${this.cols.join(",")}); supported: incremental_book_L2, book_snapshot_N, trades, quotes`,
        { file: this.file },
      );
    }
  }

  protected feed(): MarketRecord["feed"] {
    return "none";
  }

  private id(cells: string[]): InstrumentId {
    return InstrumentId.of(this.col(cells, "symbol"), this.col(cells, "exchange").toUpperCase());
  }

  protected row(cells: string[], lineNo: number): ParseResult | null {
    const ts = parseTimeCell(this.col(cells, "timestamp"), "timestamp");
    const local = parseTimeCell(this.col(cells, "local_timestamp"), "local_timestamp");
    this.orderTs = local;
    const id = this.id(cells);
    switch (this.kind) {
      case "book": {
        const snap = this.col(cells, "is_snapshot");
        if (snap !== "true" && snap !== "false") throw new ParseError(`is_snapshot "${snap}"`, "is_snapshot");
        const sideText = this.col(cells, "side");
        const side = sideText === "bid" ? BookSide.Bid : sideText === "ask" ? BookSide.Ask : null;
        if (side === null) throw new ParseError(`side "${sideText}"`, "side");
        const price = parsePrice(this.col(cells, "price"), "price");
        const size = parseQuantity(this.col(cells, "amount"), "amount");
        const { out, batch } = this.group(
          `${id}|${ts}|${snap}`,
          () => new DeltaBatch(id, snap === "true"),
          { first: -1, seq: -1, prev: -1, ts, tsRecv: local },
          lineNo,
        );
        batch.add(side, price, size);
        return out;
      }
      case "snapshot": {
        const bids: BookLevel[] = [];
        const asks: BookLevel[] = [];
        for (let k = 0; k < this.levels; k++) {
          for (const [side, arr] of [
            ["bids", bids],
            ["asks", asks],
          ] as const) {
            const p = this.col(cells, `${side}[${k}].price`);
            const a = this.col(cells, `${side}[${k}].amount`);
            if (p === "" && a === "") continue;
            arr.push(
              new BookLevel(
                parsePrice(p, `${side}[${k}].price`),
                parseQuantity(a, `${side}[${k}].amount`),
                0,
              ),
            );
          }
        }
        return [new MarketRecord(new OrderBookDepth(id, bids, asks, -1, ts, local), "none", -1, 0, local)];
      }
      case "trades": {
        const side = this.col(cells, "side");
        const aggressor =
          side === "buy"
            ? AggressorSide.Buyer
            : side === "sell"
              ? AggressorSide.Seller
              : AggressorSide.NoAggressor;
        const t = new TradeTick(
          id,
          parsePrice(this.col(cells, "price"), "price"),
          parseQuantity(this.col(cells, "amount"), "amount"),
          aggressor,
          this.col(cells, "id"),
          ts,
          local,
        );
        return [new MarketRecord(t, "none", -1, 0, local)];
      }
      case "quotes": {
        const q = new QuoteTick(
          id,
          parsePrice(this.col(cells, "bid_price"), "bid_price"),
          parsePrice(this.col(cells, "ask_price"), "ask_price"),
          parseQuantity(this.col(cells, "bid_amount"), "bid_amount"),
          parseQuantity(this.col(cells, "ask_amount"), "ask_amount"),
          ts,
          local,
        );
        return [new MarketRecord(q, "none", -1, 0, local)];
      }
    }
  }
}

/** Binance historical order-book CSV (`update_type` `snap` / `set`). */
export class BinanceDepthCsvDecoder extends GroupedCsvDecoder {
  protected feed(): MarketRecord["feed"] {
    return this.has("pu") ? "binance-usdm" : "binance-spot";
  }

  protected row(cells: string[], lineNo: number): ParseResult | null {
    const market = this.has("pu") ? "usdm" : "spot";
    const id = binanceInstrumentId(this.col(cells, "symbol"), market);
    const ts = parseTimeCell(this.col(cells, "timestamp"), "timestamp");
    this.orderTs = ts;
    const type = this.col(cells, "update_type");
    if (type !== "snap" && type !== "set") throw new ParseError(`update_type "${type}"`, "update_type");
    const first = Number(this.col(cells, "first_update_id"));
    const last = Number(this.col(cells, "last_update_id"));
    const pu = this.has("pu") ? Number(this.col(cells, "pu")) : -1;
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(last) || !Number.isSafeInteger(pu)) {
      throw new ParseError("update ids must be integers", "last_update_id");
    }
    const sideText = this.col(cells, "side");
    const side = sideText === "b" ? BookSide.Bid : sideText === "a" ? BookSide.Ask : null;
    if (side === null) throw new ParseError(`side "${sideText}"`, "side");
    const price = parsePrice(this.col(cells, "price"), "price");
    const size = parseQuantity(this.col(cells, "qty"), "qty");
    const { out, batch } = this.group(
      `${id}|${ts}|${last}|${type}`,
      () => new DeltaBatch(id, type === "snap"),
      { first: type === "snap" ? last : first, seq: last, prev: type === "snap" ? -1 : pu, ts, tsRecv: null },
      lineNo,
    );
    batch.add(side, price, size);
    return out;
  }
}

/**
 * Trade CSV with a header naming `price`, a size column (`qty`/`amount`/`size`/`quantity`), a
 * time column (`ts_ms`/`time`/`timestamp`/`transact_time`) and optionally `trade_id`/`id` and
 * `side` (aggressor) or `is_buyer_maker`. The instrument comes from `--instrument` or the name.
 */
export class TradesCsvDecoder extends CsvDecoder {
  private id: InstrumentId | null = null;
  private timeCol = "";
  private sizeCol = "";
  private idCol = "";
  private seq = 0;

  constructor(
    file: string,
    private readonly instrument?: string,
  ) {
    super(file);
  }

  protected override header(): void {
    this.id = instrumentForFile(this.file, this.instrument);
    this.timeCol = ["ts_ms", "time", "timestamp", "transact_time", "ts"].find((c) => this.has(c)) ?? "";
    this.sizeCol = ["qty", "amount", "size", "quantity"].find((c) => this.has(c)) ?? "";
    this.idCol = ["trade_id", "id", "agg_trade_id"].find((c) => this.has(c)) ?? "";
    if (this.timeCol === "") {
      throw new DataFileError("DATA_UNKNOWN_FORMAT", `${this.file}: trade CSV has no time column`, {
        file: this.file,
      });
    }
  }

  protected row(cells: string[]): ParseResult | null {
    const ts = parseTimeCell(this.col(cells, this.timeCol), this.timeCol);
    this.orderTs = ts;
    let aggressor = AggressorSide.NoAggressor;
    if (this.has("side")) {
      const s = this.col(cells, "side").toLowerCase();
      if (s === "buy") aggressor = AggressorSide.Buyer;
      else if (s === "sell") aggressor = AggressorSide.Seller;
      else throw new ParseError(`side "${s}"`, "side");
    } else if (this.has("is_buyer_maker")) {
      const m = this.col(cells, "is_buyer_maker").toLowerCase();
      if (m !== "true" && m !== "false") throw new ParseError(`is_buyer_maker "${m}"`, "is_buyer_maker");
      aggressor = m === "true" ? AggressorSide.Seller : AggressorSide.Buyer;
    }
    const tradeId = this.idCol === "" ? String(++this.seq) : this.col(cells, this.idCol);
    const tsRecv = this.has("local_ts_ns") ? Math.trunc(Number(this.col(cells, "local_ts_ns")) / 1000) : null;
    const t = new TradeTick(
      this.id!,
      parsePrice(this.col(cells, "price"), "price"),
      parseQuantity(this.col(cells, this.sizeCol), this.sizeCol),
      aggressor,
      tradeId,
      ts,
      ts,
    );
    return [new MarketRecord(t, "none", -1, 0, tsRecv)];
  }
}

/** OHLCV CSV; the bar length comes from the file name (`_1m_`) or the first two rows' spacing. */
export class OhlcvCsvDecoder extends CsvDecoder {
  private id: InstrumentId | null = null;
  private timeCol = "";
  private barType: BarType | null = null;
  private pending: { cells: string[]; line: number; t: number } | null = null;

  constructor(
    file: string,
    private readonly instrument?: string,
    private readonly interval?: string,
  ) {
    super(file);
  }

  protected override header(): void {
    this.id = instrumentForFile(this.file, this.instrument, true);
    this.timeCol = ["time", "timestamp", "open_time", "date", "datetime"].find((c) => this.has(c)) ?? "";
    const iv = this.interval ?? intervalFromName(this.file);
    if (iv !== null) this.barType = new BarType(this.id, intervalSpec(iv, "interval"));
  }

  private bar(cells: string[], t: number, lineNo: number): MarketRecord {
    const spec = this.barType!.spec;
    const close = t + spec.intervalMicros();
    const b = new Bar(
      this.barType!,
      parsePrice(this.col(cells, "open"), "open"),
      parsePrice(this.col(cells, "high"), "high"),
      parsePrice(this.col(cells, "low"), "low"),
      parsePrice(this.col(cells, "close"), "close"),
      this.has("volume")
        ? parseQuantity(volumeText(this.col(cells, "volume"), "volume"), "volume")
        : parseQuantity("0", "volume"),
      t,
      close,
      close,
    );
    const r = new MarketRecord(b, "none", -1, 0, null);
    r.line = lineNo;
    return r;
  }

  protected row(cells: string[], lineNo: number): ParseResult | null {
    const t = parseTimeCell(this.col(cells, this.timeCol), this.timeCol);
    if (this.orderTs !== null && t <= this.orderTs) {
      throw new DataFileError(
        "DATA_OUT_OF_ORDER",
        `${this.file}:${lineNo}: bar time ${t} is not after the previous bar's ${this.orderTs}`,
        { file: this.file, line: lineNo },
      );
    }
    this.orderTs = t;
    if (this.barType === null) {
      if (this.pending === null) {
        this.pending = { cells, line: lineNo, t };
        return [];
      }
      const step = t - this.pending.t;
      this.barType = new BarType(this.id!, intervalSpec(microsToInterval(step, this.file), "interval"));
      const first = this.bar(this.pending.cells, this.pending.t, this.pending.line);
      this.pending = null;
      return [first, this.bar(cells, t, lineNo)];
    }
    return [this.bar(cells, t, lineNo)];
  }

  override finish(): MarketRecord[] {
    if (this.pending !== null) {
      throw new DataFileError(
        "DATA_NO_INTERVAL",
        `${this.file}: one bar and no interval in the file name; pass the bar interval explicitly`,
        { file: this.file },
      );
    }
    return [];
  }
}

function microsToInterval(step: number, file: string): string {
  for (const [unit, us] of [
    ["w", 604_800_000_000],
    ["d", 86_400_000_000],
    ["h", 3_600_000_000],
    ["m", 60_000_000],
    ["s", 1_000_000],
  ] as const) {
    if (step > 0 && step % us === 0) return `${step / us}${unit}`;
  }
  throw new DataFileError(
    "DATA_NO_INTERVAL",
    `${file}: cannot tell the bar interval from a spacing of ${step} µs`,
    {
      file,
    },
  );
}
