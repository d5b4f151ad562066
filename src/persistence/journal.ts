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
 * Each record carries `seq` (1, 2, 3, … without gaps), `ts` (µs), `kind`, the JSON payload and
 * a CRC-32 over all four. {@link verifyRecords} checks both on read: a gap or a checksum
 * mismatch throws {@link JournalCorruptError} naming the record (fail closed).
 */
import { crc32 } from "node:zlib";
import { BotV6Error } from "../model/errors.js";
import type { UnixMicros } from "../model/time.js";
import { encodePayload } from "./codec.js";

export class JournalError extends BotV6Error {}
export class JournalCorruptError extends JournalError {}

export interface JournalRecord {
  readonly seq: number;
  readonly ts: UnixMicros;
  readonly kind: string;
  readonly payload: string;
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

/**
 * Storage rows pack consecutive records (one transaction writes a few rows, not one row per
 * record: the per-row cost of a database insert would otherwise dominate). A row holds records
 * `firstSeq..lastSeq` as lines `seq TAB ts TAB kind TAB checksum TAB payload LF`; JSON payloads
 * never contain a raw tab or newline, so the format is unambiguous. Each record keeps its own
 * checksum.
 */
export interface PackedRow {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly data: string;
}

/** Records per storage row. */
export const RECORDS_PER_ROW = 256;

export function packRecords(records: readonly JournalRecord[], perRow = RECORDS_PER_ROW): PackedRow[] {
  const rows: PackedRow[] = [];
  for (let start = 0; start < records.length; start += perRow) {
    const end = Math.min(records.length, start + perRow);
    let data = "";
    for (let i = start; i < end; i++) {
      const r = records[i];
      data += `${r.seq}\t${r.ts}\t${r.kind}\t${r.checksum}\t${r.payload}\n`;
    }
    rows.push({ firstSeq: records[start].seq, lastSeq: records[end - 1].seq, data });
  }
  return rows;
}

/** Unpacks a storage row; a malformed line throws naming the row (a torn write would show here). */
export function unpackRow(row: PackedRow, fromSeq = 1): JournalRecord[] {
  const out: JournalRecord[] = [];
  let pos = 0;
  const d = row.data;
  let line = 0;
  while (pos < d.length) {
    const nl = d.indexOf("\n", pos);
    const t1 = d.indexOf("\t", pos);
    const t2 = t1 < 0 ? -1 : d.indexOf("\t", t1 + 1);
    const t3 = t2 < 0 ? -1 : d.indexOf("\t", t2 + 1);
    const t4 = t3 < 0 ? -1 : d.indexOf("\t", t3 + 1);
    if (nl < 0 || t4 < 0 || t4 > nl) {
      throw new JournalCorruptError(
        "JOURNAL_TORN",
        `journal row ${row.firstSeq}..${row.lastSeq}: line ${line} is incomplete`,
        {
          firstSeq: row.firstSeq,
          line,
        },
      );
    }
    const seq = Number(d.slice(pos, t1));
    if (seq >= fromSeq) {
      out.push({
        seq,
        ts: Number(d.slice(t1 + 1, t2)),
        kind: d.slice(t2 + 1, t3),
        checksum: Number(d.slice(t3 + 1, t4)),
        payload: d.slice(t4 + 1, nl),
      });
    }
    pos = nl + 1;
    line++;
  }
  return out;
}

/** CRC-32 of a record's fields. */
export function recordChecksum(seq: number, ts: number, kind: string, payload: string): number {
  // CRC of "seq|ts|kind|" continued over the payload (no concatenated copy of the payload).
  return crc32(payload, crc32(`${seq}|${ts}|${kind}|`));
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
    const records: JournalRecord[] = new Array(kinds.length);
    for (let i = 0; i < kinds.length; i++) {
      const seq = first + i;
      const payload = encodePayload(payloads[i]);
      const kind = kinds[i];
      if (kind.includes("\t") || kind.includes("\n")) {
        this.failure = new JournalError(
          "JOURNAL_KIND_INVALID",
          `record kind ${JSON.stringify(kind)} contains a tab or newline`,
        );
        throw this.failure;
      }
      records[i] = {
        seq,
        ts: tss[i],
        kind: kinds[i],
        payload,
        checksum: recordChecksum(seq, tss[i], kinds[i], payload),
      };
    }
    this.flushing = (async () => {
      try {
        await this.writeBatch(records);
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

  protected abstract writeBatch(records: JournalRecord[]): Promise<void>;
  protected abstract readRecords(fromSeq: number): Promise<JournalRecord[]>;
  protected abstract closeStore(): Promise<void>;
}
