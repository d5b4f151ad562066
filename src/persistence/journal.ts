/**
 * The execution journal: every accepted command and every applied event, appended in order.
 *
 * {@link Journal.append} is the hot-path call: it only pushes a reference onto an in-memory
 * queue (no serialisation, no I/O). {@link Journal.flush} serialises the queued entries,
 * checksums each record and writes the whole batch in **one transaction**; it runs on a timer,
 * when the queue reaches `maxBatch` (scheduled with `setImmediate`, i.e. after the current
 * synchronous call chain), and on close. A record is durable — and may be reported as
 * acknowledged — only once the flush that wrote it has resolved.
 *
 * Each record carries `seq` (1, 2, 3, … without gaps), `ts` (µs), `kind`, the binary payload
 * (codec.ts) and a CRC-32 over all four. {@link verifyRecords} checks both on read: a gap or a checksum
 * mismatch throws {@link JournalCorruptError} naming the record (fail closed).
 */
import { crc32 } from "node:zlib";
import { ByteReader, ByteWriter } from "../infra/codec/bytes.js";
import { BotV6Error } from "../model/errors.js";
import type { UnixMicros } from "../model/time.js";
import { BODY_LAYOUT_MAJOR, BODY_LAYOUT_MINOR, decodePayload, writePayload } from "./codec.js";

export class JournalError extends BotV6Error {}
export class JournalCorruptError extends JournalError {}
/** The stored journal is of a format version this build does not read. */
export class JournalFormatError extends JournalError {}

export interface JournalRecord {
  readonly seq: number;
  readonly ts: UnixMicros;
  readonly kind: string;
  /** The encoded payload (see codec.ts); {@link decodeRecord} turns it back into the value. */
  readonly payload: Uint8Array;
  readonly checksum: number;
}

export interface JournalOptions {
  /** Flush at least this often while entries are queued (ms of wall time; 0 = only by size/explicit). */
  flushIntervalMs?: number;
  /** Schedule a flush once this many entries are queued. */
  maxBatch?: number;
}

export interface Journal {
  /** Queues an entry; returns its sequence number. Synchronous and allocation-light. */
  append(kind: string, ts: UnixMicros, payload: unknown): number;
  /** Writes everything queued in one transaction; resolves with the last durable sequence number. */
  flush(): Promise<number>;
  /** Every record from `fromSeq` (default 1), verified (contiguous, checksums match). */
  read(fromSeq?: number): Promise<JournalRecord[]>;
  /** Last sequence number known to be written. */
  readonly durableSeq: number;
  /** Entries queued but not yet written. */
  readonly pending: number;
  close(): Promise<void>;
}

/** Row format version written by this build; rows of any other version are refused. */
export const JOURNAL_FORMAT_VERSION = 2;
const ROW_MAGIC_0 = 0xb6;
const ROW_MAGIC_1 = 0x4a; // "J"
/** Row header: magic (2), format version, wire-codec major and minor of the positional bodies. */
const ROW_HEADER_BYTES = 5;

/**
 * Storage rows pack consecutive records (one transaction writes a few rows, not one row per
 * record: the per-row cost of a database insert would otherwise dominate). A row is binary:
 *
 * ```
 * u8 0xB6, u8 0x4A    magic
 * u8 version          JOURNAL_FORMAT_VERSION (2); format 1 was JSON text rows
 * u8 codecMajor       major and minor of the wire codec's body layouts the payloads use
 * u8 codecMinor       (src/infra/codec; a row of another codec version is refused)
 * then per record:    u32 bodyLength, body, u32 crc32(body)
 * body:               f64 seq, f64 ts, str kind (u16 length + bytes), payload (codec.ts)
 * ```
 *
 * Each record keeps its own checksum; a length running past the row is a torn record.
 */
export interface PackedRow {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly data: Uint8Array;
}

/** Records per storage row. */
export const RECORDS_PER_ROW = 256;

/** Row data as the drivers want it (a Buffer view, not a copy). */
function rowData(w: ByteWriter): Buffer {
  const v = w.finish();
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function writeRowHeader(w: ByteWriter): void {
  w.reset();
  w.u8(ROW_MAGIC_0);
  w.u8(ROW_MAGIC_1);
  w.u8(JOURNAL_FORMAT_VERSION);
  w.u8(BODY_LAYOUT_MAJOR);
  w.u8(BODY_LAYOUT_MINOR);
}

/**
 * Writes one record frame; `payload` writes the payload bytes. Returns the body's CRC-32 (also
 * written after the body) unless `checksum` is given, which is then written as is (tests).
 */
function writeRecord(
  w: ByteWriter,
  seq: number,
  ts: number,
  kind: string,
  payload: (w: ByteWriter) => void,
  checksum?: number,
): number {
  const lenAt = w.pos - w.start;
  w.u32(0);
  w.f64(seq);
  w.f64(ts);
  w.str(kind, "kind");
  payload(w);
  const bodyStart = w.start + lenAt + 4;
  const len = w.pos - bodyStart;
  w.patchU32(lenAt, len);
  const crc = checksum ?? crc32(w.buf.subarray(bodyStart, w.pos));
  w.u32(crc);
  return crc;
}

/** Packs already-encoded records (keeping their checksums) into rows. */
export function packRecords(records: readonly JournalRecord[], perRow = RECORDS_PER_ROW): PackedRow[] {
  const rows: PackedRow[] = [];
  const w = new ByteWriter(1 << 16);
  for (let start = 0; start < records.length; start += perRow) {
    const end = Math.min(records.length, start + perRow);
    writeRowHeader(w);
    for (let i = start; i < end; i++) {
      const r = records[i];
      writeRecord(
        w,
        r.seq,
        r.ts,
        r.kind,
        (x) => {
          x.ensure(r.payload.length);
          x.buf.set(r.payload, x.pos);
          x.pos += r.payload.length;
        },
        r.checksum,
      );
    }
    rows.push({ firstSeq: records[start].seq, lastSeq: records[end - 1].seq, data: rowData(w) });
  }
  return rows;
}

/** Refuses a row that is not of this build's format, naming the version found. */
function checkRowHeader(row: PackedRow): void {
  const d = row.data as unknown;
  const where = `journal row ${row.firstSeq}..${row.lastSeq}`;
  if (typeof d === "string") {
    throw new JournalFormatError(
      "JOURNAL_VERSION_UNSUPPORTED",
      `${where} is journal format version 1 (JSON text rows); this build reads format version ${JOURNAL_FORMAT_VERSION} only — replay the old journal with the build that wrote it, or start a new journal`,
      { firstSeq: row.firstSeq, version: 1 },
    );
  }
  const b = row.data;
  if (b.length < ROW_HEADER_BYTES || b[0] !== ROW_MAGIC_0 || b[1] !== ROW_MAGIC_1) {
    throw new JournalCorruptError("JOURNAL_TORN", `${where} has no journal row header`, {
      firstSeq: row.firstSeq,
    });
  }
  if (b[2] !== JOURNAL_FORMAT_VERSION) {
    throw new JournalFormatError(
      "JOURNAL_VERSION_UNSUPPORTED",
      `${where} is journal format version ${b[2]}; this build reads format version ${JOURNAL_FORMAT_VERSION} only`,
      { firstSeq: row.firstSeq, version: b[2] },
    );
  }
  if (b[3] !== BODY_LAYOUT_MAJOR || b[4] !== BODY_LAYOUT_MINOR) {
    throw new JournalFormatError(
      "JOURNAL_VERSION_UNSUPPORTED",
      `${where} (journal format ${JOURNAL_FORMAT_VERSION}) uses wire codec body layout ${b[3]}.${b[4]}; this build has ${BODY_LAYOUT_MAJOR}.${BODY_LAYOUT_MINOR}`,
      { firstSeq: row.firstSeq, codecMajor: b[3], codecMinor: b[4] },
    );
  }
}

/** Unpacks a storage row; a record running past the row throws naming it (a torn write would show here). */
export function unpackRow(row: PackedRow, fromSeq = 1): JournalRecord[] {
  checkRowHeader(row);
  const out: JournalRecord[] = [];
  const d = row.data;
  const r = new ByteReader(d, ROW_HEADER_BYTES);
  r.context = `journal row ${row.firstSeq}..${row.lastSeq}`;
  let line = 0;
  while (r.remaining() > 0) {
    const torn = () =>
      new JournalCorruptError(
        "JOURNAL_TORN",
        `journal row ${row.firstSeq}..${row.lastSeq}: record ${line} is incomplete`,
        { firstSeq: row.firstSeq, line },
      );
    if (r.remaining() < 4) throw torn();
    const len = r.u32("bodyLength");
    if (len < 18 || r.remaining() < len + 4) throw torn();
    const bodyEnd = r.pos + len;
    const seq = r.f64("seq");
    const ts = r.f64("ts");
    let kind: string;
    try {
      kind = r.str("kind");
    } catch {
      throw torn();
    }
    if (r.pos > bodyEnd) throw torn();
    const payload = d.subarray(r.pos, bodyEnd);
    r.pos = bodyEnd;
    const checksum = r.u32("checksum");
    if (seq >= fromSeq) out.push({ seq, ts, kind, payload, checksum });
    line++;
  }
  return out;
}

const head = new ByteWriter(256);

/** CRC-32 of a record's fields (the same bytes as the stored body). */
export function recordChecksum(seq: number, ts: number, kind: string, payload: Uint8Array): number {
  head.reset();
  head.f64(seq);
  head.f64(ts);
  head.str(kind, "kind");
  return crc32(payload, crc32(head.finish()));
}

/** The record's payload, decoded (a malformed one throws naming the record). */
export function decodeRecord<T = unknown>(r: JournalRecord): T {
  return decodePayload<T>(r.payload, `journal record ${r.seq} (${r.kind})`);
}

/** Verifies sequence contiguity (from `firstSeq`) and checksums; throws naming the first bad record. */
export function verifyRecords(records: readonly JournalRecord[], firstSeq = 1): void {
  let expect = firstSeq;
  for (const r of records) {
    if (r.seq !== expect) {
      throw new JournalCorruptError(
        "JOURNAL_GAP",
        `journal record ${expect} is missing (found ${r.seq} next)`,
        { expected: expect, found: r.seq },
      );
    }
    if (recordChecksum(r.seq, r.ts, r.kind, r.payload) !== r.checksum) {
      throw new JournalCorruptError(
        "JOURNAL_CHECKSUM",
        `journal record ${r.seq} (${r.kind}) fails its checksum`,
        { seq: r.seq },
      );
    }
    expect++;
  }
}

/**
 * The queue and scheduling shared by every store. Subclasses implement `writeBatch` (one
 * transaction) and `readRecords`.
 */
export abstract class BatchingJournal implements Journal {
  private kinds: string[] = [];
  private tss: number[] = [];
  private payloads: unknown[] = [];
  private nextSeq = 1;
  private durable = 0;
  private firstQueuedSeq = 1;
  private timer: NodeJS.Timeout | null = null;
  private scheduled = false;
  private flushing: Promise<number> | null = null;
  private closed = false;
  protected readonly maxBatch: number;
  private readonly flushIntervalMs: number;
  /** Called after each successful flush with the last durable seq. */
  onFlushed: ((seq: number) => void) | null = null;
  /** Set when a background flush failed; the next append throws it (fail closed). */
  private failure: Error | null = null;
  /** Encoding buffer: rows are views into its slabs (a full slab is replaced, never reused). */
  private readonly writer = new ByteWriter(1 << 20);

  protected constructor(options: JournalOptions) {
    this.maxBatch = options.maxBatch ?? 10_000;
    this.flushIntervalMs = options.flushIntervalMs ?? 50;
  }

  /** Sets the sequence to continue from (after opening an existing journal). */
  protected resumeAt(lastSeq: number): void {
    this.nextSeq = lastSeq + 1;
    this.durable = lastSeq;
    this.firstQueuedSeq = lastSeq + 1;
  }

  protected startTimer(): void {
    if (this.flushIntervalMs > 0) {
      this.timer = setInterval(() => {
        if (this.kinds.length > 0) this.backgroundFlush();
      }, this.flushIntervalMs);
      this.timer.unref();
    }
  }

  get durableSeq(): number {
    return this.durable;
  }

  get pending(): number {
    return this.kinds.length;
  }

  append(kind: string, ts: UnixMicros, payload: unknown): number {
    if (this.closed) throw new JournalError("JOURNAL_CLOSED", "journal is closed");
    if (this.failure !== null) throw this.failure;
    this.kinds.push(kind);
    this.tss.push(ts);
    this.payloads.push(payload);
    if (this.kinds.length >= this.maxBatch && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.backgroundFlush();
      });
    }
    return this.nextSeq++;
  }

  private backgroundFlush(): void {
    this.flush().catch((e: Error) => {
      this.failure = new JournalError("JOURNAL_WRITE_FAILED", `journal flush failed: ${e.message}`);
    });
  }

  async flush(): Promise<number> {
    // One flush at a time: writes stay in sequence order.
    while (this.flushing !== null) await this.flushing;
    if (this.kinds.length === 0) return this.durable;
    const kinds = this.kinds;
    const tss = this.tss;
    const payloads = this.payloads;
    const first = this.firstQueuedSeq;
    this.kinds = [];
    this.tss = [];
    this.payloads = [];
    this.firstQueuedSeq = first + kinds.length;
    let rows: PackedRow[];
    try {
      rows = this.encodeRows(first, kinds, tss, payloads);
    } catch (e) {
      // Nothing of the batch is written; later records would leave a gap: fail closed.
      this.failure = new JournalError(
        "JOURNAL_ENCODE_FAILED",
        `journal records ${first}..${first + kinds.length - 1} cannot be encoded: ${(e as Error).message}`,
      );
      throw this.failure;
    }
    this.flushing = (async () => {
      try {
        await this.writeBatch(rows);
        this.durable = first + kinds.length - 1;
        this.onFlushed?.(this.durable);
        return this.durable;
      } catch (e) {
        // The batch is not durable and later records would leave a gap: refuse further appends.
        this.failure = new JournalError(
          "JOURNAL_WRITE_FAILED",
          `journal write of records ${first}.. failed: ${(e as Error).message}`,
        );
        throw this.failure;
      } finally {
        this.flushing = null;
      }
    })();
    return this.flushing;
  }

  /** Encodes queued entries straight into packed rows (no intermediate record objects). */
  private encodeRows(first: number, kinds: string[], tss: number[], payloads: unknown[]): PackedRow[] {
    const w = this.writer;
    const rows: PackedRow[] = [];
    for (let start = 0; start < kinds.length; start += RECORDS_PER_ROW) {
      const end = Math.min(kinds.length, start + RECORDS_PER_ROW);
      writeRowHeader(w);
      for (let i = start; i < end; i++) {
        const payload = payloads[i];
        writeRecord(w, first + i, tss[i], kinds[i], (x) => writePayload(x, payload));
      }
      rows.push({ firstSeq: first + start, lastSeq: first + end - 1, data: rowData(w) });
    }
    return rows;
  }

  async read(fromSeq = 1): Promise<JournalRecord[]> {
    const records = await this.readRecords(fromSeq);
    verifyRecords(records, fromSeq);
    return records;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer !== null) clearInterval(this.timer);
    await this.flush();
    this.closed = true;
    await this.closeStore();
  }

  /** Writes the rows in one transaction (all or nothing). */
  protected abstract writeBatch(rows: PackedRow[]): Promise<void>;
  protected abstract readRecords(fromSeq: number): Promise<JournalRecord[]>;
  protected abstract closeStore(): Promise<void>;
}
