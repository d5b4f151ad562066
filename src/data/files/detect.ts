/**
 * Automatic format detection from a file's first bytes (after gzip decompression) and name.
 * Every format can also be forced with `--format`.
 */
import { basename } from "node:path";
import { DataFileError } from "./errors.js";

/** Supported container formats. */
export const FORMATS = [
  "hftbacktest",
  "cryptofeed",
  "cryptofeed-http",
  "jsonl",
  "json",
  "tardis-csv",
  "binance-depth-csv",
  "trades-csv",
  "ohlcv-csv",
  "freqtrade-trades",
  "freqtrade-ohlcv",
] as const;

export type FormatName = (typeof FORMATS)[number];

export function isFormatName(s: string): s is FormatName {
  return (FORMATS as readonly string[]).includes(s);
}

/** Binance market named by a capture's URLs or shown by its messages; null if not Binance/unknown. */
export function binanceMarketFromHead(head: string): "spot" | "usdm" | null {
  if (/(fstream|fapi)\.binance\.com/.test(head)) return "usdm";
  if (/(dstream|dapi)\.binance\.com/.test(head)) return "usdm";
  if (/\/\/(stream|api)[0-9]*\.binance\.com/.test(head)) return "spot";
  if (/"e":"depthUpdate"[^\n]*"pu":/.test(head) || /@depth@0ms/.test(head)) return "usdm";
  if (/"e":"depthUpdate"/.test(head)) return "spot";
  return null;
}

function firstLine(head: string): string {
  const lines = head.split("\n");
  for (const l of lines) if (l.trim() !== "") return l.replace(/\r$/, "");
  return "";
}

/** Detects the format of `file` from its first bytes; throws DATA_UNKNOWN_FORMAT if none fits. */
export function detectFormat(file: string, head: string): FormatName {
  const line = firstLine(head);
  const name = basename(file).toLowerCase();
  if (/^\d{16,20} [{[]/.test(line)) return "hftbacktest";
  if (/^https?:\/\/\S+ -> \d+(\.\d+)?: /.test(line)) return "cryptofeed-http";
  if (/^\d{9,11}(\.\d+)?: [{[]/.test(line) || /^wss?:\/\/\S+ (<->|<-) /.test(line)) return "cryptofeed";
  const t = head.trimStart();
  if (t.startsWith("[")) {
    if (/^\[\s*\[\s*\d+(\.\d+)?\s*,\s*"/.test(t)) return "freqtrade-trades";
    if (/^\[\s*\[\s*\d+(\.\d+)?\s*,\s*-?[\d.]/.test(t)) return "freqtrade-ohlcv";
    if (/^\[\s*\]/.test(t)) return name.includes("trade") ? "freqtrade-trades" : "freqtrade-ohlcv";
    return "json";
  }
  if (t.startsWith("{")) {
    try {
      JSON.parse(line);
      return "jsonl";
    } catch {
      return "json";
    }
  }
  const header = line.toLowerCase();
  if (header.startsWith("exchange,symbol,timestamp,local_timestamp")) return "tardis-csv";
  if (header.startsWith("symbol,timestamp,first_update_id,last_update_id,side,update_type,price,qty")) {
    return "binance-depth-csv";
  }
  const cols = header.split(",").map((c) => c.trim());
  const hasOhlc = ["open", "high", "low", "close"].every((c) => cols.includes(c));
  if (hasOhlc && cols.some((c) => ["time", "timestamp", "open_time", "date", "datetime"].includes(c)))
    return "ohlcv-csv";
  if (cols.includes("price") && cols.some((c) => ["qty", "amount", "size", "quantity"].includes(c)))
    return "trades-csv";
  throw new DataFileError(
    "DATA_UNKNOWN_FORMAT",
    `${file}: unknown format (first line: ${JSON.stringify(line.slice(0, 80))}); pass --format with one of: ${FORMATS.join(", ")}`,
    { file },
  );
}
