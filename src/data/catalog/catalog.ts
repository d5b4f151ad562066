/**
 * The data catalog: normalised market data on disk, one Parquet file per
 * venue / instrument / data type / UTC day:
 *
 *   ROOT/<venue>/<symbol>/<type>/<YYYY-MM-DD>.parquet      type = trades | quotes | deltas | depth | mark | bars-<spec>-<source>
 *
 * Rows in a file are sorted by `ts_event` (stable: equal timestamps keep arrival order).
 * Writing merges into the existing day file and skips records already stored (same content
 * key), so importing the same data twice changes nothing; each file is rewritten atomically
 * (temp file + rename). Reading is lazy, one row group at a time. See docs/catalog.md.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  Bar,
  BarType,
  type MarketData,
  MarkPriceUpdate,
  OrderBookDeltas,
  OrderBookDepth,
  QuoteTick,
  TradeTick,
} from "../../model/data.js";
import { InstrumentId } from "../../model/identifiers.js";
import { MICROS_PER_DAY, type UnixMicros } from "../../model/time.js";
import {
  bufferOf,
  encodeParquet,
  FileSlices,
  kvOf,
  type NumericCompression,
  readMetadata,
  scanFile,
} from "./parquet.js";
import {
  type CatalogDataType,
  CatalogError,
  CODECS,
  type Columns,
  DATA_TYPE_RANK,
  emptyColumns,
  fundingRateColumns,
  type RecordBatch,
  rowSpan,
} from "./schema.js";

export const SCHEMA_VERSION = "1";

/** One stored series: an instrument and a data type (and bar type for bars). */
export interface StreamKey {
  readonly instrumentId: InstrumentId;
  readonly dataType: CatalogDataType;
  /** For bars only. */
  readonly barType: BarType | null;
}

export interface PartitionInfo extends StreamKey {
  readonly path: string;
  /** `YYYY-MM-DD` (UTC) of the rows' `ts_event`. */
  readonly date: string;
  readonly rows: number;
  /** Records: rows, except deltas where a record is one batch. */
  readonly records: number;
  readonly tsMin: UnixMicros;
  readonly tsMax: UnixMicros;
}

export interface StreamInfo extends StreamKey {
  /** Day partitions in date order. */
  readonly partitions: PartitionInfo[];
  readonly rows: number;
  readonly records: number;
  readonly tsMin: UnixMicros;
  readonly tsMax: UnixMicros;
}

export interface WriteStats {
  /** Records offered. */
  received: number;
  /** Records added to the catalog. */
  added: number;
  /** Records skipped because the catalog already held them. */
  duplicates: number;
  /** Partition files written. */
  partitions: number;
}

export function dateOf(ts: UnixMicros): string {
  return new Date(Math.floor(ts / MICROS_PER_DAY) * 86_400_000).toISOString().slice(0, 10);
}

function typeDir(dataType: CatalogDataType, barType: BarType | null): string {
  return dataType === "bars" && barType !== null ? `bars-${barType.spec}-${barType.source}` : dataType;
}

function streamId(k: StreamKey): string {
  return `${k.instrumentId.value}|${typeDir(k.dataType, k.barType)}`;
}

/** Deterministic stream order: instrument id, then data type rank (deltas, depth, quotes, trades, mark, bars), then bar type. */
export function compareStreams(a: StreamKey, b: StreamKey): number {
  const ia = a.instrumentId.value;
  const ib = b.instrumentId.value;
  if (ia !== ib) return ia < ib ? -1 : 1;
  const r = DATA_TYPE_RANK[a.dataType] - DATA_TYPE_RANK[b.dataType];
  if (r !== 0) return r;
  const ta = a.barType?.toString() ?? "";
  const tb = b.barType?.toString() ?? "";
  return ta < tb ? -1 : ta > tb ? 1 : 0;
}

/** Throws `CATALOG_TYPE_UNSUPPORTED` unless the catalog can store `item`. */
export function checkStorable(item: MarketData): void {
  classify(item);
}

function classify(item: MarketData): { key: StreamKey; ts: UnixMicros } {
  if (item instanceof TradeTick)
    return { key: { instrumentId: item.instrumentId, dataType: "trades", barType: null }, ts: item.tsEvent };
  if (item instanceof QuoteTick)
    return { key: { instrumentId: item.instrumentId, dataType: "quotes", barType: null }, ts: item.tsEvent };
  if (item instanceof OrderBookDeltas)
    return { key: { instrumentId: item.instrumentId, dataType: "deltas", barType: null }, ts: item.tsEvent };
  if (item instanceof Bar)
    return {
      key: { instrumentId: item.barType.instrumentId, dataType: "bars", barType: item.barType },
      ts: item.tsEvent,
    };
  if (item instanceof OrderBookDepth)
    return { key: { instrumentId: item.instrumentId, dataType: "depth", barType: null }, ts: item.tsEvent };
  if (item instanceof MarkPriceUpdate) {
    fundingRateColumns(item); // validated here so an import fails before anything is written
    return { key: { instrumentId: item.instrumentId, dataType: "mark", barType: null }, ts: item.tsEvent };
  }
  throw new CatalogError(
    "CATALOG_TYPE_UNSUPPORTED",
    `the catalog does not store ${(item as object).constructor?.name ?? typeof item} (stores trades, quotes, book deltas, depth snapshots, mark prices, bars)`,
    {},
  );
}

interface PendingPartition {
  key: StreamKey;
  date: string;
  items: unknown[];
}

export interface CatalogOptions {
  /** Compression of numeric columns in files written from now on (default `none`; see parquet.ts). */
  compression?: NumericCompression;
}

export class DataCatalog {
  readonly root: string;
  readonly compression: NumericCompression;

  constructor(root: string, options: CatalogOptions = {}) {
    this.root = root;
    this.compression = options.compression ?? "none";
  }

  /** The file of one partition. */
  partitionPath(key: StreamKey, date: string): string {
    return join(
      this.root,
      encodeURIComponent(key.instrumentId.venue),
      encodeURIComponent(key.instrumentId.symbol),
      typeDir(key.dataType, key.barType),
      `${date}.parquet`,
    );
  }

  /**
   * Stores market data, merging each day partition with what is already there. Records
   * already stored are skipped (idempotent import); everything else is kept, including
   * repeated records within `items`. `onPartition` reports progress after each file.
   */
  async write(
    items: Iterable<MarketData>,
    onPartition?: (done: number, total: number, stats: WriteStats) => void,
  ): Promise<WriteStats> {
    const groups = new Map<string, PendingPartition>();
    let received = 0;
    for (const item of items) {
      const { key, ts } = classify(item);
      const date = dateOf(ts);
      const id = `${streamId(key)}|${date}`;
      let g = groups.get(id);
      if (g === undefined) {
        g = { key, date, items: [] };
        groups.set(id, g);
      }
      g.items.push(item);
      received++;
    }
    const stats: WriteStats = { received, added: 0, duplicates: 0, partitions: 0 };
    const list = [...groups.values()].sort(
      (a, b) => compareStreams(a.key, b.key) || (a.date < b.date ? -1 : a.date > b.date ? 1 : 0),
    );
    for (const g of list) {
      await this.mergePartition(g, stats);
      stats.partitions++;
      onPartition?.(stats.partitions, list.length, stats);
    }
    return stats;
  }

  /**
   * A streaming writer for imports of any size: records are buffered per stream and day, and
   * a day is written as soon as a later day of the same stream arrives (inputs are time
   * ordered), so memory holds about one day per stream and each day file is rewritten once.
   */
  writer(onPartition?: (stats: WriteStats) => void): CatalogWriter {
    return new CatalogWriter(this, onPartition);
  }

  /** @internal Writes one pending partition (used by {@link CatalogWriter}). */
  async flushPartition(g: PendingPartition, stats: WriteStats): Promise<void> {
    await this.mergePartition(g, stats);
    stats.partitions++;
  }

  private async mergePartition(g: PendingPartition, stats: WriteStats): Promise<void> {
    const codec = CODECS[g.key.dataType];
    const fresh = emptyColumns(codec.columns);
    for (const it of g.items) codec.encode(it, fresh);
    await this.mergeColumns(g.key, g.date, fresh as Columns, stats);
  }

  /**
   * Merges rows already in column form (see `schema.ts` for the layout of each data type)
   * into the partition of `date`; for bulk writers such as the synthetic market and benchmarks.
   * Every row's `ts_event` must fall on `date`.
   */
  async writeColumns(key: StreamKey, date: string, fresh: Columns): Promise<WriteStats> {
    const ts = fresh.ts_event as ArrayLike<number>;
    for (let i = 0; i < ts.length; i++) {
      if (dateOf(ts[i]) !== date) {
        throw new CatalogError("CATALOG_WRONG_PARTITION", `row ${i}: ts_event ${ts[i]} is not on ${date}`, {
          row: i,
        });
      }
    }
    const stats: WriteStats = { received: 0, added: 0, duplicates: 0, partitions: 1 };
    await this.mergeColumns(key, date, fresh, stats, true);
    return stats;
  }

  private async mergeColumns(
    key: StreamKey,
    date: string,
    fresh: Columns,
    stats: WriteStats,
    countReceived = false,
  ): Promise<void> {
    const codec = CODECS[key.dataType];
    const path = this.partitionPath(key, date);
    const g = { key, date };
    const freshRows = fresh.ts_event.length;
    let old: Columns | null = null;
    let oldRows = 0;
    if (existsSync(path)) {
      const buf = bufferOf(path);
      const scan = await scanFile(buf, codec.columns);
      const parts = await Promise.all(scan.ranges.map((r) => scan.read(r.rowStart, r.rowEnd)));
      old = concatColumns(
        codec.columns.map((c) => c.name),
        parts,
      );
      oldRows = scan.ranges.reduce((a, r) => a + r.rowEnd - r.rowStart, 0);
    }
    // Record starts (a record is one row, or one delta batch) with their content keys.
    const dt = g.key.dataType;
    const existing = new Set<string>();
    const order: { src: 0 | 1; start: number; span: number; ts: number }[] = [];
    if (old !== null) {
      for (let i = 0; i < oldRows; ) {
        const span = rowSpan(dt, old, i);
        existing.add(recordKey(codec.key, old, i, span));
        order.push({ src: 0, start: i, span, ts: (old.ts_event as ArrayLike<number>)[i] });
        i += span;
      }
    }
    let added = 0;
    let dup = 0;
    let freshRecords = 0;
    for (let i = 0; i < freshRows; ) {
      const span = rowSpan(dt, fresh, i);
      freshRecords++;
      if (old !== null && existing.has(recordKey(codec.key, fresh, i, span))) dup++;
      else {
        order.push({ src: 1, start: i, span, ts: fresh.ts_event[i] as number });
        added++;
      }
      i += span;
    }
    if (countReceived) stats.received += freshRecords;
    stats.added += added;
    stats.duplicates += dup;
    if (added === 0) return;
    // Stable sort by ts_event: existing records first, then new ones in arrival order.
    order.sort((a, b) => a.ts - b.ts);
    const names = codec.columns.map((c) => c.name);
    const groupSizes: number[] = [];
    let inGroup = 0;
    for (const r of order) {
      // Keep each record inside one row group.
      if (inGroup > 0 && inGroup + r.span > 65_536) {
        groupSizes.push(inGroup);
        inGroup = 0;
      }
      inGroup += r.span;
    }
    if (inGroup > 0) groupSizes.push(inGroup);
    let out: Columns;
    if (old === null && isIdentity(order)) {
      // First write of a partition from time-ordered input: the columns are already in order.
      out = fresh;
    } else {
      const gathered: Record<string, unknown[]> = {};
      for (const n of names) gathered[n] = [];
      for (const r of order) {
        const src = r.src === 0 ? (old as Columns) : fresh;
        for (const n of names) {
          const a = src[n] as ArrayLike<unknown>;
          const dst = gathered[n];
          for (let k = 0; k < r.span; k++) dst.push(a[r.start + k]);
        }
      }
      out = gathered;
    }
    const ts = out.ts_event as ArrayLike<number>;
    const records = order.length;
    const kv: Record<string, string> = {
      "botv6.schema_version": SCHEMA_VERSION,
      "botv6.instrument_id": g.key.instrumentId.value,
      "botv6.data_type": g.key.dataType,
      "botv6.date": g.date,
      "botv6.rows": String(ts.length),
      "botv6.records": String(records),
      "botv6.ts_min": String(ts[0]),
      "botv6.ts_max": String(ts[ts.length - 1]),
    };
    if (g.key.barType !== null) kv["botv6.bar_type"] = g.key.barType.toString();
    const bytes = encodeParquet(codec.columns, out, kv, groupSizes, this.compression);
    atomicWrite(path, new Uint8Array(bytes));
  }

  /** Every partition file, in stream order then date order. Throws if the root is missing. */
  async partitions(): Promise<PartitionInfo[]> {
    if (!existsSync(this.root) || !statSync(this.root).isDirectory()) {
      throw new CatalogError("CATALOG_NOT_FOUND", `catalog directory ${this.root} does not exist`, {
        root: this.root,
      });
    }
    const out: PartitionInfo[] = [];
    for (const venue of sortedDirs(this.root)) {
      for (const symbol of sortedDirs(join(this.root, venue))) {
        for (const type of sortedDirs(join(this.root, venue, symbol))) {
          const dir = join(this.root, venue, symbol, type);
          for (const f of readdirSync(dir).sort()) {
            if (!f.endsWith(".parquet")) continue;
            out.push(await this.partitionInfo(join(dir, f)));
          }
        }
      }
    }
    out.sort((a, b) => compareStreams(a, b) || (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
    return out;
  }

  private async partitionInfo(path: string): Promise<PartitionInfo> {
    let kv: Record<string, string>;
    try {
      const file = new FileSlices(path);
      try {
        kv = kvOf(await readMetadata(file));
      } finally {
        file.close();
      }
    } catch (e) {
      throw new CatalogError(
        "CATALOG_FILE_INVALID",
        `${path}: not a readable Parquet file: ${(e as Error).message}`,
        {
          path,
        },
      );
    }
    const dataType = kv["botv6.data_type"] as CatalogDataType;
    if (kv["botv6.schema_version"] !== SCHEMA_VERSION || !(dataType in CODECS)) {
      throw new CatalogError(
        "CATALOG_FILE_INVALID",
        `${path}: not a botv6 catalog file (schema version ${kv["botv6.schema_version"] ?? "missing"}, data type ${dataType ?? "missing"})`,
        { path },
      );
    }
    return {
      instrumentId: InstrumentId.parse(kv["botv6.instrument_id"]),
      dataType,
      barType: kv["botv6.bar_type"] ? BarType.parse(kv["botv6.bar_type"]) : null,
      path,
      date: kv["botv6.date"],
      rows: Number(kv["botv6.rows"]),
      records: Number(kv["botv6.records"]),
      tsMin: Number(kv["botv6.ts_min"]),
      tsMax: Number(kv["botv6.ts_max"]),
    };
  }

  /** The stored series with their partitions, in stream order. Throws if the catalog is empty. */
  async streams(): Promise<StreamInfo[]> {
    const parts = await this.partitions();
    if (parts.length === 0) {
      throw new CatalogError("CATALOG_EMPTY", `catalog ${this.root} holds no data (no partition files)`, {
        root: this.root,
      });
    }
    const byId = new Map<string, PartitionInfo[]>();
    for (const p of parts) {
      const id = streamId(p);
      const l = byId.get(id);
      if (l === undefined) byId.set(id, [p]);
      else l.push(p);
    }
    const out: StreamInfo[] = [];
    for (const ps of byId.values()) {
      const first = ps[0];
      out.push({
        instrumentId: first.instrumentId,
        dataType: first.dataType,
        barType: first.barType,
        partitions: ps,
        rows: ps.reduce((a, p) => a + p.rows, 0),
        records: ps.reduce((a, p) => a + p.records, 0),
        tsMin: Math.min(...ps.map((p) => p.tsMin)),
        tsMax: Math.max(...ps.map((p) => p.tsMax)),
      });
    }
    return out.sort(compareStreams);
  }

  /**
   * Reads one stream lazily: yields one {@link RecordBatch} per row group, in time order,
   * restricted to `start <= ts_event < end` when given. Objects are created by `batch.get(k)`.
   * A batch is valid until the next one is requested (its column buffers are reused).
   */
  async *read(
    stream: StreamInfo,
    range: { start?: UnixMicros; end?: UnixMicros } = {},
  ): AsyncGenerator<RecordBatch<unknown>> {
    const codec = CODECS[stream.dataType];
    const start = range.start ?? Number.NEGATIVE_INFINITY;
    const end = range.end ?? Number.POSITIVE_INFINITY;
    const ctx = { instrumentId: stream.instrumentId, barType: stream.barType };
    // Numeric column buffers reused from one row group to the next (flat memory, less GC).
    const buffers = new Map<string, Float64Array>();
    for (const p of stream.partitions) {
      if (p.tsMax < start || p.tsMin >= end) continue;
      const file = new FileSlices(p.path);
      try {
        const scan = await scanFile(file, codec.columns);
        for (const r of scan.ranges) {
          const cols = await scan.read(r.rowStart, r.rowEnd, buffers);
          const n = r.rowEnd - r.rowStart;
          const ts = cols.ts_event as ArrayLike<number>;
          let from = 0;
          let to = n;
          if (ts[0] < start) while (from < n && ts[from] < start) from++;
          if (ts[n - 1] >= end) while (to > from && ts[to - 1] >= end) to--;
          // Delta batches share one ts_event, so trimming by time keeps them whole.
          if (from < to) yield codec.batch(cols, from, to, ctx);
        }
      } finally {
        file.close();
      }
    }
  }

  /** Everything in one stream as one array (tests, small data). */
  async readAll(stream: StreamInfo): Promise<unknown[]> {
    const out: unknown[] = [];
    for await (const b of this.read(stream)) for (let k = 0; k < b.length; k++) out.push(b.get(k));
    return out;
  }
}

/** See {@link DataCatalog.writer}. */
export class CatalogWriter {
  readonly stats: WriteStats = { received: 0, added: 0, duplicates: 0, partitions: 0 };
  /** Pending days per stream, oldest first. */
  private readonly pending = new Map<string, PendingPartition[]>();

  constructor(
    private readonly catalog: DataCatalog,
    private readonly onPartition?: (stats: WriteStats) => void,
  ) {}

  /** Buffers one record; writes completed days of its stream. */
  async add(item: MarketData): Promise<void> {
    const { key, ts } = classify(item);
    const date = dateOf(ts);
    const id = streamId(key);
    let days = this.pending.get(id);
    if (days === undefined) {
      days = [];
      this.pending.set(id, days);
    }
    let g = days.find((d) => d.date === date);
    if (g === undefined) {
      g = { key, date, items: [] };
      days.push(g);
      // Days before this one are complete for a time-ordered input: write them now.
      const done = days.filter((d) => d.date < date);
      if (done.length > 0) {
        for (const d of done) await this.flush(d);
        this.pending.set(
          id,
          days.filter((d) => d.date >= date),
        );
      }
    }
    g.items.push(item);
    this.stats.received++;
  }

  /** Writes everything still buffered. */
  async finish(): Promise<WriteStats> {
    const all = [...this.pending.values()].flat();
    all.sort((a, b) => compareStreams(a.key, b.key) || (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
    this.pending.clear();
    for (const g of all) await this.flush(g);
    return this.stats;
  }

  private async flush(g: PendingPartition): Promise<void> {
    await this.catalog.flushPartition(g, this.stats);
    this.onPartition?.(this.stats);
  }
}

/** Whether `order` lists the fresh records in their original order, contiguously. */
function isIdentity(order: { src: 0 | 1; start: number; span: number }[]): boolean {
  let next = 0;
  for (const r of order) {
    if (r.src !== 1 || r.start !== next) return false;
    next += r.span;
  }
  return true;
}

function recordKey(
  key: (c: Columns, i: number) => string,
  cols: Columns,
  start: number,
  span: number,
): string {
  if (span === 1) return key(cols, start);
  let k = "";
  for (let i = 0; i < span; i++) k += `${key(cols, start + i)}#`;
  return k;
}

function concatColumns(names: string[], parts: Columns[]): Columns {
  const out: Record<string, unknown[]> = {};
  for (const n of names) {
    const dst: unknown[] = [];
    for (const p of parts) {
      const a = p[n] as ArrayLike<unknown>;
      for (let i = 0; i < a.length; i++) dst.push(a[i]);
    }
    out[n] = dst;
  }
  return out as Columns;
}

function sortedDirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/** Writes via a temp file in the same directory and renames it over the target. */
export function atomicWrite(path: string, bytes: Uint8Array): void {
  const dir = path.slice(0, path.lastIndexOf("/"));
  mkdirSync(dir, { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, path);
  } catch (e) {
    if (existsSync(tmp)) unlinkSync(tmp);
    throw e;
  }
}
