/**
 * Thin Parquet layer over hyparquet / hyparquet-writer for the catalog's column layouts:
 * write column arrays with an explicit schema, read metadata, and read row groups lazily.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import { gunzipSync, gzipSync, constants as zlibConstants } from "node:zlib";
import {
  type AsyncBuffer,
  asyncBufferFromFile,
  type ColumnMetaData,
  type FileMetaData,
  parquetMetadataAsync,
  parquetScan,
  snappyUncompress,
} from "hyparquet";
import { parquetHeader } from "hyparquet/src/column.js";
import type { SchemaElement } from "hyparquet-writer";
import { parquetWriteBuffer } from "hyparquet-writer";
import type { ColumnSpec, Columns } from "./schema.js";

/** Rows per row group: the unit of lazy reading (bounded memory per stream). */
export const ROW_GROUP_ROWS = 65_536;

const CANONICAL_INT = /^(0|[1-9]\d{0,15})$/;

/**
 * Whether every value of an `id` column can be stored as INT64 and read back as the same
 * string: non-negative safe integers, or strings that are their canonical decimal form.
 */
function idsAreIntegers(v: ArrayLike<unknown>): boolean {
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x === "number") {
      if (!Number.isSafeInteger(x) || x < 0) return false;
    } else if (typeof x !== "string" || !CANONICAL_INT.test(x) || !Number.isSafeInteger(Number(x)))
      return false;
  }
  return true;
}

function schemaElement(c: ColumnSpec, asInt: boolean): SchemaElement {
  switch (c.kind) {
    case "id":
      return asInt
        ? { name: c.name, type: "INT64", repetition_type: "REQUIRED" }
        : { name: c.name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" };
    case "ts":
      return {
        name: c.name,
        type: "INT64",
        repetition_type: "REQUIRED",
        logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MICROS" },
      };
    case "i64":
      return { name: c.name, type: "INT64", repetition_type: "REQUIRED" };
    case "i32":
      return { name: c.name, type: "INT32", repetition_type: "REQUIRED" };
    case "str":
      return { name: c.name, type: "BYTE_ARRAY", converted_type: "UTF8", repetition_type: "REQUIRED" };
    case "bool":
      return { name: c.name, type: "BOOLEAN", repetition_type: "REQUIRED" };
  }
}

/**
 * Compression of the numeric (PLAIN INT64/INT32) columns:
 * - `none` (default): fastest replay. hyparquet's snappy is JavaScript and was the largest
 *   single cost of decoding; uncompressed pages are zero-copy views.
 * - `gzip`: level 1 via Node's native zlib; ~3x smaller, a little slower to replay. pandas,
 *   polars and pyarrow read it; plain hyparquet needs a GZIP decompressor (the catalog has one).
 * - `snappy`: the ecosystem default; slowest to replay here.
 * String columns are always SNAPPY.
 */
export type NumericCompression = "none" | "gzip" | "snappy";

const CODEC_OF: Record<NumericCompression, "UNCOMPRESSED" | "GZIP" | "SNAPPY"> = {
  none: "UNCOMPRESSED",
  gzip: "GZIP",
  snappy: "SNAPPY",
};

const WRITE_COMPRESSORS = {
  GZIP: (b: Uint8Array) =>
    new Uint8Array(gzipSync(b, { level: 1, strategy: zlibConstants.Z_DEFAULT_STRATEGY })),
};
const READ_COMPRESSORS = {
  GZIP: (b: Uint8Array) => new Uint8Array(gunzipSync(b)),
};

function toBigInt64(values: ArrayLike<number>): BigInt64Array {
  const out = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = BigInt(values[i]);
  return out;
}

/**
 * Encodes columns as a Parquet file (snappy). `rowGroupSizes` lets callers keep multi-row
 * records (delta batches) inside one row group.
 */
export function encodeParquet(
  specs: readonly ColumnSpec[],
  cols: Columns,
  kv: Record<string, string>,
  rowGroupSizes: number[] | number = ROW_GROUP_ROWS,
  compression: NumericCompression = "none",
): ArrayBuffer {
  // Ids read back from an INT64 column are numbers; bring them all to strings first.
  const ids = specs.map((c) =>
    c.kind === "id"
      ? Array.from(cols[c.name] as ArrayLike<unknown>, (x) => (typeof x === "string" ? x : String(x)))
      : null,
  );
  const asInt = ids.map((v) => v !== null && idsAreIntegers(v));
  const columnData = specs.map((c, k) => {
    const v = ids[k] ?? cols[c.name];
    let data: BigInt64Array | Int32Array | string[] | boolean[];
    if (asInt[k]) data = toBigInt64(Array.from(v as ArrayLike<string>, Number));
    else if (c.kind === "ts" || c.kind === "i64") data = toBigInt64(v as ArrayLike<number>);
    else if (c.kind === "i32") data = Int32Array.from(v as ArrayLike<number>);
    else data = Array.from(v as ArrayLike<string | boolean>) as string[] | boolean[];
    // Numbers PLAIN (decoded as zero-copy views); low-cardinality strings may use a dictionary.
    const encoding =
      (c.kind === "str" || c.kind === "bool" || c.kind === "id") && !asInt[k]
        ? undefined
        : ("PLAIN" as const);
    const codec = encoding === "PLAIN" ? CODEC_OF[compression] : ("SNAPPY" as const);
    return { name: c.name, data, nullable: false, encoding, codec };
  });
  return parquetWriteBuffer({
    columnData,
    schema: [
      { name: "schema", num_children: specs.length },
      ...specs.map((c, k) => schemaElement(c, asInt[k])),
    ],
    rowGroupSize: rowGroupSizes,
    kvMetadata: Object.entries(kv).map(([key, value]) => ({ key, value })),
    createdBy: "botv6 catalog",
    compressors: WRITE_COMPRESSORS,
  });
}

export function kvOf(meta: FileMetaData): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of meta.key_value_metadata ?? []) out[e.key] = e.value ?? "";
  return out;
}

export async function readMetadata(file: AsyncBuffer): Promise<FileMetaData> {
  return parquetMetadataAsync(file);
}

export async function openFile(path: string): Promise<AsyncBuffer> {
  return asyncBufferFromFile(path);
}

/**
 * A file opened for synchronous positional reads: each `slice` is one `readSync` into a fresh
 * buffer (one copy, no stream machinery). Close it when the scan is done.
 */
export class FileSlices implements AsyncBuffer {
  readonly byteLength: number;
  private fd: number;

  constructor(readonly path: string) {
    this.fd = openSync(path, "r");
    this.byteLength = fstatSync(this.fd).size;
  }

  slice(start: number, end?: number): ArrayBuffer {
    const stop = end ?? this.byteLength;
    const ab = new ArrayBuffer(stop - start);
    const view = new Uint8Array(ab);
    let off = 0;
    while (off < view.length) {
      const n = readSync(this.fd, view, off, view.length - off, start + off);
      if (n === 0) throw new Error(`${this.path}: unexpected end of file`);
      off += n;
    }
    return ab;
  }

  /** Reads `target.length` bytes at `position` into `target` (no allocation). */
  readInto(target: Uint8Array, position: number): void {
    let off = 0;
    while (off < target.length) {
      const n = readSync(this.fd, target, off, target.length - off, position + off);
      if (n === 0) throw new Error(`${this.path}: unexpected end of file`);
      off += n;
    }
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }
}

/**
 * Direct decoding of the catalog's own numeric columns: REQUIRED, PLAIN, UNCOMPRESSED INT64 or
 * INT32 in v2 data pages. The values are read straight from the file into an 8-byte aligned
 * scratch buffer and converted into the caller's Float64Array, with no intermediate copies or
 * BigInts. Anything else (other codecs or encodings, foreign files) goes through hyparquet.
 */
class NumericChunkReader {
  private scratch = new ArrayBuffer(1 << 20);
  private readonly header = new Uint8Array(512);
  private readonly headerView = new DataView(this.header.buffer);

  constructor(private readonly file: FileSlices) {}

  /** Whether a column chunk qualifies for {@link read}. */
  static qualifies(meta: ColumnMetaData, type: string): boolean {
    return (
      (type === "INT64" || type === "INT32") &&
      meta.codec === "UNCOMPRESSED" &&
      meta.dictionary_page_offset === undefined &&
      meta.encodings.every((e) => e === "PLAIN" || e === "RLE")
    );
  }

  /** Decodes `rows` values of a column chunk into `out` (length >= rows); null if unexpected. */
  read(meta: ColumnMetaData, rows: number, out: Float64Array): Float64Array | null {
    const is64 = meta.type === "INT64";
    const width = is64 ? 8 : 4;
    let pos = Number(meta.data_page_offset);
    const end = pos + Number(meta.total_compressed_size);
    let done = 0;
    while (done < rows && pos < end) {
      const hlen = Math.min(this.header.length, end - pos);
      this.file.readInto(this.header.subarray(0, hlen), pos);
      const reader = { view: this.headerView, offset: 0 };
      const h = parquetHeader(reader);
      const v2 = h.data_page_header_v2;
      if (h.type !== "DATA_PAGE_V2" || v2 === undefined || v2.encoding !== "PLAIN" || v2.num_nulls !== 0) {
        return null;
      }
      const levels = v2.definition_levels_byte_length + v2.repetition_levels_byte_length;
      const n = v2.num_values;
      const bytes = n * width;
      if (h.compressed_page_size !== levels + bytes || done + n > rows) return null;
      if (this.scratch.byteLength < bytes) this.scratch = new ArrayBuffer(bytes * 2);
      this.file.readInto(new Uint8Array(this.scratch, 0, bytes), pos + reader.offset + levels);
      const w = new Int32Array(this.scratch, 0, is64 ? 2 * n : n);
      if (is64) for (let i = 0; i < n; i++) out[done + i] = w[2 * i + 1] * 4294967296 + (w[2 * i] >>> 0);
      else for (let i = 0; i < n; i++) out[done + i] = w[i];
      done += n;
      pos += reader.offset + h.compressed_page_size;
    }
    return done === rows ? out.subarray(0, rows) : null;
  }
}

/**
 * Decodes a dictionary-encoded string column chunk (BYTE_ARRAY, PLAIN dictionary page, v2 data
 * pages with RLE_DICTIONARY indices, uncompressed or Snappy) into `out`, reusing `out` and the
 * reader's buffers: nothing per row group is left for the garbage collector to promote. Null
 * when the chunk is laid out otherwise (the caller then uses the general decoder).
 */
class StringChunkReader {
  private raw = new Uint8Array(1 << 16);
  private plain = new Uint8Array(1 << 16);
  private readonly header = new Uint8Array(512);
  private readonly headerView = new DataView(this.header.buffer);

  constructor(private readonly file: FileSlices) {}

  static qualifies(meta: ColumnMetaData): boolean {
    return (
      meta.type === "BYTE_ARRAY" &&
      (meta.codec === "UNCOMPRESSED" || meta.codec === "SNAPPY") &&
      meta.dictionary_page_offset !== undefined &&
      meta.encodings.every(
        (e) => e === "PLAIN" || e === "RLE" || e === "RLE_DICTIONARY" || e === "PLAIN_DICTIONARY",
      )
    );
  }

  private page(pos: number, end: number): { h: ReturnType<typeof parquetHeader>; at: number } {
    const hlen = Math.min(this.header.length, end - pos);
    this.file.readInto(this.header.subarray(0, hlen), pos);
    const reader = { view: this.headerView, offset: 0 };
    const h = parquetHeader(reader);
    return { h, at: pos + reader.offset };
  }

  /** File bytes [pos, pos + len), Snappy-decompressed to `size` bytes when `snappy`. */
  private bytes(pos: number, len: number, snappy: boolean, size: number): Uint8Array | null {
    if (len < 0 || size < 0) return null;
    if (this.raw.length < len) this.raw = new Uint8Array(len * 2);
    const raw = this.raw.subarray(0, len);
    this.file.readInto(raw, pos);
    if (!snappy) return raw;
    if (this.plain.length < size) this.plain = new Uint8Array(size * 2);
    const out = this.plain.subarray(0, size);
    snappyUncompress(raw, out);
    return out;
  }

  read(meta: ColumnMetaData, rows: number, out: string[]): string[] | null {
    const snappy = meta.codec === "SNAPPY";
    let pos = Number(meta.dictionary_page_offset);
    const end = pos + Number(meta.total_compressed_size);
    const dp = this.page(pos, end);
    const dph = dp.h.dictionary_page_header;
    if (dp.h.type !== "DICTIONARY_PAGE" || dph === undefined) return null;
    if (dph.encoding !== "PLAIN" && dph.encoding !== "PLAIN_DICTIONARY") return null;
    const d = this.bytes(dp.at, dp.h.compressed_page_size, snappy, dp.h.uncompressed_page_size);
    if (d === null) return null;
    const dict: string[] = [];
    let o = 0;
    for (let k = 0; k < dph.num_values; k++) {
      if (o + 4 > d.length) return null;
      const len = (d[o] | (d[o + 1] << 8) | (d[o + 2] << 16) | (d[o + 3] << 24)) >>> 0;
      o += 4;
      if (o + len > d.length) return null;
      dict.push(stringFromBytes(d.subarray(o, o + len)));
      o += len;
    }
    pos = dp.at + dp.h.compressed_page_size;
    if (out.length !== rows) out.length = rows;
    let done = 0;
    while (done < rows && pos < end) {
      const p = this.page(pos, end);
      const v2 = p.h.data_page_header_v2;
      if (p.h.type !== "DATA_PAGE_V2" || v2 === undefined || v2.num_nulls !== 0) return null;
      if (v2.encoding !== "RLE_DICTIONARY" && v2.encoding !== "PLAIN_DICTIONARY") return null;
      const levels = v2.definition_levels_byte_length + v2.repetition_levels_byte_length;
      const n = v2.num_values;
      if (done + n > rows) return null;
      const b = this.bytes(
        p.at + levels,
        p.h.compressed_page_size - levels,
        snappy && v2.is_compressed !== false,
        p.h.uncompressed_page_size - levels,
      );
      if (b === null || !decodeDictionaryIndices(b, n, dict, out, done)) return null;
      done += n;
      pos = p.at + p.h.compressed_page_size;
    }
    return done === rows ? out : null;
  }
}

/**
 * `n` dictionary indices (bit width byte, then RLE / bit-packed hybrid runs) from `b`, written
 * as `dict` entries to out[at..]; false on anything malformed (index out of range, short data).
 */
export function decodeDictionaryIndices(
  b: Uint8Array,
  n: number,
  dict: string[],
  out: string[],
  at: number,
): boolean {
  if (n === 0) return true;
  if (b.length < 1) return false;
  const bw = b[0];
  if (bw > 32) return false;
  const rleBytes = (bw + 7) >> 3;
  const size = dict.length;
  let i = 1;
  let k = 0;
  while (k < n) {
    let header = 0;
    let shift = 0;
    for (;;) {
      if (i >= b.length || shift > 28) return false;
      const c = b[i++];
      header += (c & 0x7f) * 2 ** shift;
      shift += 7;
      if ((c & 0x80) === 0) break;
    }
    if (header % 2 === 1) {
      const count = ((header - 1) / 2) * 8;
      const bytes = (count * bw) / 8;
      if (i + bytes > b.length) return false;
      if (bw <= 24) {
        // common case: a 32-bit accumulator, refilled a byte at a time
        const mask = (1 << bw) - 1;
        let acc = 0;
        let bits = 0;
        let p = i;
        const e = Math.min(n, k + count);
        while (k < e) {
          while (bits < bw) {
            acc |= b[p++] << bits;
            bits += 8;
          }
          const v = acc & mask;
          acc >>>= bw;
          bits -= bw;
          if (v >= size) return false;
          out[at + k++] = dict[v];
        }
        i += bytes;
        continue;
      }
      let bit = i * 8;
      for (let j = 0; j < count; j++) {
        let v = 0;
        for (let got = 0; got < bw; ) {
          const off = bit & 7;
          const take = Math.min(8 - off, bw - got);
          v += ((b[bit >> 3] >> off) & ((1 << take) - 1)) * 2 ** got;
          got += take;
          bit += take;
        }
        if (k < n) {
          if (v >= size) return false;
          out[at + k++] = dict[v];
        }
      }
      i += bytes;
    } else {
      const count = header / 2;
      if (i + rleBytes > b.length) return false;
      let v = 0;
      for (let q = 0; q < rleBytes; q++) v += b[i++] * 2 ** (8 * q);
      if (count > 0 && v >= size) return false;
      const s = dict[v];
      const e = Math.min(n, k + count);
      while (k < e) out[at + k++] = s;
    }
  }
  return true;
}

/** The whole file in memory (small partitions, merges). */
export function bufferOf(path: string): AsyncBuffer {
  const b = readFileSync(path);
  const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  return { byteLength: ab.byteLength, slice: (s, e) => ab.slice(s, e) };
}

/**
 * Short ASCII strings (ids, enum names) are built directly; TextDecoder is much slower per
 * call for strings of a few bytes.
 */
const utf8 = new TextDecoder();
function stringFromBytes(b: Uint8Array): string {
  const n = b.length;
  if (n > 24) return utf8.decode(b);
  let s = "";
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if (c > 0x7f) return utf8.decode(b);
    s += String.fromCharCode(c);
  }
  return s;
}

const PARSERS = {
  stringFromBytes,
  timestampFromMicroseconds: (v: bigint) => Number(v),
  timestampFromMilliseconds: (v: bigint) => Number(v) * 1000,
  timestampFromNanoseconds: (v: bigint) => Number(v / 1000n),
};

/**
 * Converts a decoded INT64 column to numbers without BigInt arithmetic: each value is read as
 * two 32-bit halves (values in the catalog are always safe integers).
 */
function toNumbers(v: ArrayLike<unknown>, reuse?: Float64Array): ArrayLike<number> {
  if (v instanceof BigInt64Array) {
    const n = v.length;
    const w = new Int32Array(v.buffer, v.byteOffset, n * 2);
    const out = reuse !== undefined && reuse.length >= n ? reuse.subarray(0, n) : new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = w[2 * i + 1] * 4294967296 + (w[2 * i] >>> 0);
    return out;
  }
  if (v.length > 0 && typeof v[0] === "bigint") {
    const out = new Float64Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = Number(v[i]);
    return out;
  }
  return v as ArrayLike<number>;
}

/**
 * Metadata with the TIMESTAMP logical type removed from timestamp columns, so hyparquet
 * hands back the raw INT64 microseconds instead of calling a parser per value.
 */
function rawTimestamps(meta: FileMetaData): FileMetaData {
  return {
    ...meta,
    schema: meta.schema.map((e) =>
      e.logical_type?.type === "TIMESTAMP" ? { ...e, logical_type: undefined, converted_type: undefined } : e,
    ),
  };
}

/** Row-group ranges of a file and a reader for one range's columns. */
/** String columns reused alongside a `reuse` map of numeric buffers (see `scanFile().read`). */
const reusedStrings = new WeakMap<Map<string, Float64Array>, Map<string, string[]>>();

function reusedStringColumn(reuse: Map<string, Float64Array>, name: string): string[] {
  let m = reusedStrings.get(reuse);
  if (m === undefined) {
    m = new Map();
    reusedStrings.set(reuse, m);
  }
  let keep = m.get(name);
  if (keep === undefined) {
    keep = [];
    m.set(name, keep);
  }
  return keep;
}

export async function scanFile(
  file: AsyncBuffer,
  specs: readonly ColumnSpec[],
  metadata?: FileMetaData,
): Promise<{
  metadata: FileMetaData;
  ranges: { rowStart: number; rowEnd: number }[];
  /**
   * Columns of rows `[rowStart, rowEnd)`. With `reuse`, numeric columns are written into
   * those buffers (one per column name, created on first use): the result is then only valid
   * until the next call with the same buffers.
   */
  read(rowStart: number, rowEnd: number, reuse?: Map<string, Float64Array>): Promise<Columns>;
}> {
  const meta = metadata ?? (await parquetMetadataAsync(file));
  const scan = await parquetScan({
    file,
    metadata: rawTimestamps(meta),
    parsers: PARSERS,
    compressors: READ_COMPRESSORS,
  });
  const fast = file instanceof FileSlices ? new NumericChunkReader(file) : null;
  const fastStrings = file instanceof FileSlices ? new StringChunkReader(file) : null;
  const groupStarts: number[] = [];
  const groupRows: number[] = [];
  let at = 0;
  for (const rg of meta.row_groups) {
    groupStarts.push(at);
    groupRows.push(Number(rg.num_rows));
    at += Number(rg.num_rows);
  }
  return {
    metadata: meta,
    ranges: scan.ranges.map((r) => ({ rowStart: r.rowStart, rowEnd: r.rowEnd })),
    async read(rowStart, rowEnd, reuse) {
      const cols: Columns = {};
      // Fast path: whole row groups of the catalog's own numeric columns, read directly.
      const group = groupStarts.indexOf(rowStart);
      const direct: (Float64Array | null)[] = specs.map(() => null);
      const directStr: (string[] | null)[] = specs.map(() => null);
      if (fast !== null && reuse !== undefined && group >= 0 && groupRows[group] === rowEnd - rowStart) {
        const rg = meta.row_groups[group];
        for (let k = 0; k < specs.length; k++) {
          const c = specs[k];
          if (c.kind === "str" && fastStrings !== null) {
            const chunk = rg.columns.find((x) => x.meta_data?.path_in_schema[0] === c.name)?.meta_data;
            if (chunk !== undefined && StringChunkReader.qualifies(chunk)) {
              directStr[k] = fastStrings.read(chunk, rowEnd - rowStart, reusedStringColumn(reuse, c.name));
            }
            continue;
          }
          if (c.kind === "str" || c.kind === "bool") continue;
          const chunk = rg.columns.find((x) => x.meta_data?.path_in_schema[0] === c.name)?.meta_data;
          if (chunk === undefined || !NumericChunkReader.qualifies(chunk, chunk.type)) continue;
          let buf = reuse.get(c.name);
          if (buf === undefined || buf.length < rowEnd - rowStart) {
            buf = new Float64Array(Math.max(rowEnd - rowStart, ROW_GROUP_ROWS));
            reuse.set(c.name, buf);
          }
          direct[k] = fast.read(chunk, rowEnd - rowStart, buf);
        }
      }
      const arrays = await Promise.all(
        specs.map((c, k) =>
          direct[k] !== null
            ? Promise.resolve(direct[k])
            : directStr[k] !== null
              ? Promise.resolve(directStr[k])
              : scan.readColumn({ column: c.name, rowStart, rowEnd }),
        ),
      );
      for (let k = 0; k < specs.length; k++) {
        const c = specs[k];
        const a = arrays[k] as ArrayLike<unknown>;
        if (direct[k] !== null) {
          cols[c.name] = direct[k] as Float64Array;
          continue;
        }
        if (c.kind === "i64" || c.kind === "ts" || c.kind === "id") {
          let buf = reuse?.get(c.name);
          if (reuse !== undefined && (buf === undefined || buf.length < a.length)) {
            buf = new Float64Array(Math.max(a.length, ROW_GROUP_ROWS));
            reuse.set(c.name, buf);
          }
          cols[c.name] = toNumbers(a, buf);
        } else {
          cols[c.name] = a as ArrayLike<string>;
        }
      }
      return cols;
    },
  };
}
