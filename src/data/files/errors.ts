/** Errors of the market-data file readers. Messages always name the file (and line when known). */
import { BotV6Error } from "../../model/errors.js";

/**
 * A file that cannot be read as market data. Codes: `DATA_FILE_NOT_FOUND`, `DATA_TRUNCATED`
 * (truncated gzip), `DATA_CORRUPT`, `DATA_UNKNOWN_FORMAT`, `DATA_OUT_OF_ORDER`,
 * `DATA_BAD_RECORD` (a malformed line when problems are not being collected).
 */
export class DataFileError extends BotV6Error {}

/** One malformed line or message, reported with its location and reason. */
export interface DataProblem {
  file: string;
  /** 1-based line in the decompressed file (row index for JSON arrays). */
  line: number;
  /** Stable code of the underlying error, e.g. `DATA_PARSE_ERROR`. */
  code: string;
  reason: string;
}

export function formatProblem(p: DataProblem): string {
  return `${p.file}:${p.line}: ${p.reason}`;
}
