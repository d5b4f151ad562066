/**
 * Reading market-data files into domain objects.
 *
 * ```ts
 * const reader = readMarketData(["capture.ws.txt", "capture.http.txt"], { skipBad: false, onProblem: report });
 * for await (const rec of reader) {
 *   rec.data; // TradeTick | QuoteTick | OrderBookDeltas (incl. snapshots) | OrderBookDepth | Bar | MarkPriceUpdate
 *   rec.file; rec.line; // where it came from
 * }
 * reader.stats; // lines, records, control messages, metadata lines, bad records
 * ```
 *
 * Files are read in the order given, as one stream (e.g. consecutive days). REST snapshot side
 * files (`cryptofeed-http`) are merged into the stream by receive time, so a snapshot appears
 * where it was received. Formats are detected per file unless `format` forces one.
 */
import type { MarketRecord } from "../parsers/common.js";
import { ControlMessage, type ParseResult } from "../parsers/common.js";
import {
  CryptofeedDecoder,
  CryptofeedHttpDecoder,
  HftbacktestDecoder,
  JsonLinesDecoder,
  type LineDecoder,
} from "./containers.js";
import { BinanceDepthCsvDecoder, OhlcvCsvDecoder, TardisCsvDecoder, TradesCsvDecoder } from "./csv.js";
import { binanceMarketFromHead, detectFormat, FORMATS, type FormatName, isFormatName } from "./detect.js";
import { type DocumentItem, freqtradeOhlcv, freqtradeTrades, jsonDocument } from "./documents.js";
import { DataFileError, type DataProblem, formatProblem } from "./errors.js";
import { readAllText, readHead, readLineBatches } from "./lines.js";

export type { Feed } from "../parsers/common.js";
export { MarketRecord } from "../parsers/common.js";
export { binanceMarketFromHead, detectFormat, FORMATS, type FormatName, isFormatName } from "./detect.js";
export { DataFileError, type DataProblem, formatProblem } from "./errors.js";
export { readLineBatches } from "./lines.js";

/** Options of {@link readMarketData}. */
export interface ReadMarketDataOptions {
  /** Force a format (see {@link FORMATS}) instead of detecting it per file. */
  format?: string;
  /**
   * Continue past malformed lines. Without it (and without `onProblem`) the first malformed
   * line throws a `DATA_BAD_RECORD` error naming file, line and reason.
   */
  skipBad?: boolean;
  /**
   * Called for every malformed line or message (file, line, reason); reading continues. Use
   * it to report all problems of a file before failing.
   */
  onProblem?: (p: DataProblem) => void;
  /** `SYMBOL.VENUE` for formats whose rows name no instrument (trade/OHLCV CSVs, freqtrade). */
  instrument?: string;
  /** Bar interval (`1m`, `5m`, `1h`) for OHLCV files whose name does not carry one. */
  interval?: string;
}

/** Counters of one read; nothing is dropped without being counted here. */
export interface ReadStats {
  files: number;
  /** Lines (or JSON array rows) read. */
  lines: number;
  /** Market-data records produced. */
  records: number;
  /** Valid venue messages without market data (subscription acks, heartbeats, account events, unclosed klines). */
  control: number;
  /** Container metadata lines (connection/subscription lines of captures, CSV headers, blank lines). */
  metadata: number;
  /** Malformed lines or messages (reported through `onProblem`). */
  bad: number;
  /** Control messages by kind. */
  controlKinds: Record<string, number>;
  /** Format used per file. */
  formats: Record<string, FormatName>;
}

interface Planned {
  file: string;
  format: FormatName;
  market: "spot" | "usdm" | null;
}

/** The iterable returned by {@link readMarketData}; `stats` is complete once iteration ends. */
export class MarketDataReader implements AsyncIterable<MarketRecord> {
  readonly stats: ReadStats = {
    files: 0,
    lines: 0,
    records: 0,
    control: 0,
    metadata: 0,
    bad: 0,
    controlKinds: {},
    formats: {},
  };
  private lastTs: number | null = null;
  private lastWhere = "";

  constructor(
    private readonly files: readonly string[],
    private readonly opts: ReadMarketDataOptions,
  ) {
    if (opts.format !== undefined && !isFormatName(opts.format)) {
      throw new DataFileError(
        "DATA_UNKNOWN_FORMAT",
        `unknown format "${opts.format}"; supported: ${FORMATS.join(", ")}`,
        { format: opts.format },
      );
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<MarketRecord> {
    const plans: Planned[] = [];
    for (const file of this.files) {
      const head = await readHead(file);
      const format = (this.opts.format as FormatName | undefined) ?? detectFormat(file, head);
      plans.push({ file, format, market: binanceMarketFromHead(head) });
      this.stats.formats[file] = format;
    }
    this.stats.files = plans.length;
    // REST snapshot side files are merged into the main stream by receive time.
    const side: MarketRecord[] = [];
    for (const p of plans.filter((x) => x.format === "cryptofeed-http")) {
      for await (const r of this.readFile(p, false)) side.push(r);
    }
    side.sort((a, b) => (a.tsRecv ?? 0) - (b.tsRecv ?? 0));
    let k = 0;
    for (const p of plans) {
      if (p.format === "cryptofeed-http") continue;
      for await (const r of this.readFile(p, true)) {
        if (r.tsRecv !== null) {
          while (k < side.length && (side[k].tsRecv ?? 0) <= r.tsRecv) yield side[k++];
        }
        yield r;
      }
    }
    while (k < side.length) yield side[k++];
  }

  private problem(file: string, line: number, e: unknown): void {
    if (e instanceof DataFileError) throw e;
    const err = e as Error & { code?: string };
    const p: DataProblem = {
      file,
      line,
      code: typeof err.code === "string" ? err.code : "DATA_PARSE_ERROR",
      reason: err.message,
    };
    this.stats.bad++;
    if (this.opts.onProblem !== undefined) this.opts.onProblem(p);
    else if (!this.opts.skipBad) {
      throw new DataFileError("DATA_BAD_RECORD", formatProblem(p), { file, line, reason: p.reason });
    }
  }

  private checkOrder(file: string, line: number, ts: number | null, ordered: boolean): void {
    if (ts === null || !ordered) return;
    if (this.lastTs !== null && ts < this.lastTs) {
      throw new DataFileError(
        "DATA_OUT_OF_ORDER",
        `${file}:${line}: timestamp ${ts} µs is earlier than ${this.lastTs} µs at ${this.lastWhere}; records (and files) must be in time order`,
        { file, line },
      );
    }
    this.lastTs = ts;
    this.lastWhere = `${file}:${line}`;
  }

  /** Tallies one parse result; returns its records with their source set. */
  private take(file: string, line: number, res: ParseResult | null): MarketRecord[] {
    if (res === null) {
      this.stats.metadata++;
      return [];
    }
    if (res instanceof ControlMessage) {
      this.stats.control++;
      this.stats.controlKinds[res.what] = (this.stats.controlKinds[res.what] ?? 0) + 1;
      return [];
    }
    for (const r of res) {
      r.file = file;
      if (r.line === 0) r.line = line;
    }
    this.stats.records += res.length;
    return res;
  }

  private async *readFile(p: Planned, ordered: boolean): AsyncGenerator<MarketRecord> {
    const { file, format } = p;
    if (format === "json" || format === "freqtrade-trades" || format === "freqtrade-ohlcv") {
      const text = await readAllText(file);
      let items: Generator<DocumentItem>;
      if (format === "json") items = jsonDocument(file, text);
      else if (format === "freqtrade-trades") items = freqtradeTrades(file, text, this.opts.instrument);
      else items = freqtradeOhlcv(file, text, this.opts.instrument, this.opts.interval);
      for (const it of items) {
        this.stats.lines++;
        if (it.result instanceof Error) {
          this.problem(file, it.line, it.result);
          continue;
        }
        this.checkOrder(file, it.line, it.orderTs, ordered && format !== "json");
        const recs = this.take(file, it.line, it.result);
        for (const r of recs) yield r;
      }
      return;
    }
    const dec = this.decoder(p);
    let lineNo = 0;
    for await (const batch of readLineBatches(file)) {
      const out: MarketRecord[] = [];
      for (const line of batch) {
        lineNo++;
        let res: ParseResult | null;
        try {
          res = dec.decode(line, lineNo);
        } catch (e) {
          this.problem(file, lineNo, e);
          continue;
        }
        this.checkOrder(file, lineNo, dec.orderTs, ordered);
        const recs = this.take(file, lineNo, res);
        for (const r of recs) out.push(r);
      }
      this.stats.lines = this.stats.lines + batch.length;
      for (const r of out) yield r;
    }
    let tail: MarketRecord[] = [];
    try {
      tail = this.take(file, lineNo, dec.finish());
    } catch (e) {
      this.problem(file, lineNo, e);
    }
    for (const r of tail) yield r;
  }

  private decoder(p: Planned): LineDecoder {
    switch (p.format) {
      case "hftbacktest":
        return new HftbacktestDecoder(p.market);
      case "cryptofeed":
        return new CryptofeedDecoder(p.market);
      case "cryptofeed-http":
        return new CryptofeedHttpDecoder();
      case "jsonl":
        return new JsonLinesDecoder(p.market);
      case "tardis-csv":
        return new TardisCsvDecoder(p.file);
      case "binance-depth-csv":
        return new BinanceDepthCsvDecoder(p.file);
      case "trades-csv":
        return new TradesCsvDecoder(p.file, this.opts.instrument);
      case "ohlcv-csv":
        return new OhlcvCsvDecoder(p.file, this.opts.instrument, this.opts.interval);
      default:
        throw new DataFileError("DATA_UNKNOWN_FORMAT", `${p.file}: format ${p.format} is not line-based`, {});
    }
  }
}

/**
 * Reads market-data files as one stream of domain records, in file order, each tagged with its
 * source file and line. See {@link ReadMarketDataOptions} for bad-input handling. Throws
 * {@link DataFileError} for unreadable files: `DATA_FILE_NOT_FOUND`, `DATA_TRUNCATED` (cut-off
 * gzip), `DATA_UNKNOWN_FORMAT`, `DATA_OUT_OF_ORDER` (receive/row times going backwards within
 * or across files).
 */
export function readMarketData(files: readonly string[], opts: ReadMarketDataOptions = {}): MarketDataReader {
  return new MarketDataReader(files, opts);
}
