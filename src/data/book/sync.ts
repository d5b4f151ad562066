/**
 * Venue sequencing: keeps an {@link OrderBook} in step with a venue feed and refuses to
 * continue across a gap.
 *
 * | feed | rule |
 * |---|---|
 * | `binance-usdm` | buffer diffs until the REST snapshot; drop diffs with `u < lastUpdateId`; the first applied diff must have `U <= lastUpdateId <= u`; then every diff's `pu` must equal the previous `u` |
 * | `binance-spot` | buffer until the snapshot; drop `u <= lastUpdateId`; first applied has `U <= lastUpdateId + 1 <= u`; then `U` must equal previous `u + 1` |
 * | `bybit` | a snapshot (re)initialises the book; every delta's `u` must equal the previous `u + 1`, and `seq` must increase |
 * | `okx` | a snapshot initialises; an update's `prevSeqId` must equal the previous `seqId` (when the venue sends them); the CRC-32 checksum of the top 25 levels must match after every message |
 * | `kraken` | a snapshot initialises; after each update the book is truncated to the subscribed depth and the CRC-32 of the top 10 levels must match |
 * | `kraken-v2` | as `kraken`, truncating to the subscribed depth; the checksum (snapshots and updates) is computed at the pair's precisions: {@link BookSync.pairPrecision} when the instrument's are known, else found from the first checksummed message and then fixed |
 * | `coinbase`, `coinbase-advanced`, `none` | a snapshot initialises; updates apply in order (these feeds carry no per-product sequence) |
 *
 * A Binance REST snapshot that arrives while the book is in sync is not applied (the diff
 * chain is authoritative; the snapshot may be older than the book) and is counted.
 *
 * A gap or checksum mismatch marks the book invalid, counts it, emits a {@link ResyncEvent},
 * and ignores further updates until the next snapshot (Binance: buffering them so a later
 * snapshot can re-synchronise).
 */
import type { OrderBookDeltas, OrderBookDepth } from "../../model/data.js";
import type { InstrumentId } from "../../model/identifiers.js";
import type { Feed } from "../parsers/common.js";
import { krakenChecksum, krakenV2Checksum, krakenV2Precision, okxChecksum } from "./checksum.js";
import { OrderBook } from "./order-book.js";

export type SyncState = "awaiting-snapshot" | "syncing" | "synced";

/** Why a book needs a fresh snapshot. */
export interface ResyncEvent {
  instrumentId: InstrumentId;
  reason: "gap" | "checksum";
  message: string;
  /** The venue sequence of the offending message, -1 if none. */
  sequence: number;
}

export interface BookSyncStats {
  /** Snapshots and delta batches applied to the book. */
  applied: number;
  snapshots: number;
  gaps: number;
  checksumPassed: number;
  checksumFailed: number;
  /** Diffs older than the snapshot, dropped by the venue's sync procedure. */
  stale: number;
  /** Updates received while no valid snapshot was loaded (not applied). */
  unsynced: number;
  /** Applied messages after which the best bid >= best ask. */
  crossed: number;
  /** Binance REST snapshots received while the book was already in sync (not applied). */
  snapshotsSkipped: number;
}

/** Diffs buffered while waiting for a Binance snapshot (oldest dropped and counted beyond this). */
const MAX_BUFFER = 10_000;
const KRAKEN_V2_DEPTHS = [10, 25, 100, 500, 1000];

export class BookSync {
  readonly book: OrderBook;
  state: SyncState = "awaiting-snapshot";
  /** Last applied venue update id (Binance `u`, Bybit `u`, OKX `seqId`), -1 if none. */
  lastUpdateId = -1;
  /** Bybit cross sequence `seq` of the last applied message, -1 if none. */
  private lastCrossSequence = -1;
  /** Venue event time of the last applied message (µs), -1 if none. */
  lastTsEvent = -1;
  private snapshotId = -1;
  private depth = 0;
  private buffer: OrderBookDeltas[] = [];
  /**
   * Kraken v2: the pair's price/quantity precisions used for its checksum (v2 sends JSON numbers,
   * so the decoded values do not carry them). Set it from the instrument (`instrument` channel
   * `price_precision`/`qty_precision`); when null, the first checksummed message fixes it (the
   * precisions at which its checksum matches, see `krakenV2Precision`).
   */
  pairPrecision: { price: number; size: number } | null = null;
  readonly stats: BookSyncStats = {
    applied: 0,
    snapshots: 0,
    gaps: 0,
    checksumPassed: 0,
    checksumFailed: 0,
    stale: 0,
    unsynced: 0,
    crossed: 0,
    snapshotsSkipped: 0,
  };

  constructor(
    instrumentId: InstrumentId,
    readonly feed: Feed,
    private readonly onResync: (e: ResyncEvent) => void = () => {},
  ) {
    this.book = new OrderBook(instrumentId);
  }

  /** True when the book reflects the venue's state (snapshot loaded, no gap since). */
  get isValid(): boolean {
    return (
      this.state === "synced" ||
      (this.state === "syncing" && this.feed !== "binance-spot" && this.feed !== "binance-usdm")
    );
  }

  /** Applies one venue batch under the feed's rules; `depth` is the subscribed depth (Kraken). */
  apply(d: OrderBookDeltas, depth = 0): void {
    if (depth > 0) this.depth = depth;
    if (this.feed === "binance-usdm" || this.feed === "binance-spot") this.applyBinance(d);
    else this.applyGeneric(d);
  }

  /** A full depth snapshot (e.g. Tardis `book_snapshot_N`) replaces the book. */
  applyDepth(d: OrderBookDepth): void {
    this.book.applyDepth(d);
    this.state = "synced";
    this.stats.applied++;
    this.stats.snapshots++;
    this.afterApply();
  }

  private afterApply(): void {
    if (this.book.isCrossed()) this.stats.crossed++;
  }

  private invalidate(reason: "gap" | "checksum", message: string, sequence: number): void {
    if (reason === "gap") this.stats.gaps++;
    this.state = "awaiting-snapshot";
    this.buffer = [];
    this.onResync({ instrumentId: this.book.instrumentId, reason, message, sequence });
  }

  private loadSnapshot(d: OrderBookDeltas): void {
    this.book.clear();
    this.book.applyDeltas(d);
    this.lastTsEvent = d.tsEvent;
    this.stats.applied++;
    this.stats.snapshots++;
  }

  // --- Binance ---------------------------------------------------------------------------

  private applyBinance(d: OrderBookDeltas): void {
    if (d.isSnapshot && this.state === "synced") {
      // The diff chain is authoritative once synchronised; a REST snapshot taken later (a
      // capture split into files, each starting with its own snapshot) would rewind the book
      // to an older state. It is counted, not applied.
      this.stats.snapshotsSkipped++;
      return;
    }
    if (d.isSnapshot) {
      this.loadSnapshot(d);
      this.snapshotId = d.sequence;
      this.lastUpdateId = d.sequence;
      this.state = "syncing";
      this.afterApply();
      const pending = this.buffer;
      this.buffer = [];
      for (const p of pending) this.binanceDiff(p);
      return;
    }
    this.binanceDiff(d);
  }

  private binanceDiff(d: OrderBookDeltas): void {
    const futures = this.feed === "binance-usdm";
    if (this.state === "awaiting-snapshot") {
      if (this.buffer.length >= MAX_BUFFER) {
        this.buffer.shift();
        this.stats.unsynced++;
      }
      this.buffer.push(d);
      return;
    }
    if (this.state === "syncing") {
      const L = this.snapshotId;
      if (futures ? d.sequence < L : d.sequence <= L) {
        this.stats.stale++;
        return;
      }
      const ok = futures ? d.firstSequence <= L : d.firstSequence <= L + 1;
      if (!ok) {
        this.invalidate(
          "gap",
          `first diff after snapshot ${L} starts at U=${d.firstSequence} (u=${d.sequence}): updates between are missing`,
          d.sequence,
        );
        this.buffer.push(d);
        return;
      }
    } else {
      const ok = futures ? d.prevSequence === this.lastUpdateId : d.firstSequence === this.lastUpdateId + 1;
      if (!ok) {
        this.invalidate(
          "gap",
          futures
            ? `pu=${d.prevSequence} does not equal the previous u=${this.lastUpdateId} (U=${d.firstSequence}, u=${d.sequence})`
            : `U=${d.firstSequence} does not follow the previous u=${this.lastUpdateId} (expected ${this.lastUpdateId + 1})`,
          d.sequence,
        );
        this.buffer.push(d);
        return;
      }
    }
    this.book.applyDeltas(d);
    this.lastUpdateId = d.sequence;
    this.lastTsEvent = d.tsEvent;
    this.state = "synced";
    this.stats.applied++;
    this.afterApply();
  }

  // --- Bybit, OKX, Kraken, Coinbase, generic ----------------------------------------------

  private applyGeneric(d: OrderBookDeltas): void {
    if (d.isSnapshot) {
      this.loadSnapshot(d);
      this.lastUpdateId = d.sequence;
      this.lastCrossSequence = d.firstSequence;
      this.state = "synced";
      if (this.feed === "kraken-v2" && this.depth === 0) {
        const n = Math.max(this.book.bidLevels, this.book.askLevels);
        this.depth = KRAKEN_V2_DEPTHS.find((x) => x >= n) ?? n;
      }
      this.afterApply();
      this.verifyChecksum(d);
      return;
    }
    if (this.state !== "synced") {
      this.stats.unsynced++;
      return;
    }
    if (this.feed === "bybit") {
      if (d.sequence !== this.lastUpdateId + 1) {
        this.invalidate(
          "gap",
          `u=${d.sequence} does not follow the previous u=${this.lastUpdateId}`,
          d.sequence,
        );
        return;
      }
      if (d.firstSequence >= 0 && this.lastCrossSequence >= 0 && d.firstSequence <= this.lastCrossSequence) {
        const msg = `seq=${d.firstSequence} does not increase (previous seq=${this.lastCrossSequence})`;
        this.invalidate("gap", msg, d.sequence);
        return;
      }
    }
    if (
      this.feed === "okx" &&
      d.sequence >= 0 &&
      this.lastUpdateId >= 0 &&
      d.prevSequence !== this.lastUpdateId
    ) {
      this.invalidate(
        "gap",
        `prevSeqId=${d.prevSequence} does not equal the previous seqId=${this.lastUpdateId}`,
        d.sequence,
      );
      return;
    }
    this.book.applyDeltas(d);
    if ((this.feed === "kraken" || this.feed === "kraken-v2") && this.depth > 0)
      this.book.truncate(this.depth);
    this.lastUpdateId = d.sequence;
    this.lastCrossSequence = d.firstSequence;
    this.lastTsEvent = d.tsEvent;
    this.stats.applied++;
    this.afterApply();
    this.verifyChecksum(d);
  }

  private verifyChecksum(d: OrderBookDeltas): void {
    if (d.checksum === null) return;
    let expected: number;
    /** Kraken v2: why no checksum could be computed (then it fails). */
    let v2Problem: string | null = null;
    if (this.feed === "okx") expected = okxChecksum(this.book);
    else if (this.feed === "kraken") expected = krakenChecksum(this.book);
    else if (this.feed === "kraken-v2") {
      if (this.pairPrecision === null) this.pairPrecision = krakenV2Precision(this.book, d.checksum);
      const pp = this.pairPrecision;
      const sum = pp === null ? null : krakenV2Checksum(this.book, pp.price, pp.size);
      expected = sum ?? -1;
      if (pp === null) v2Problem = "matches the rebuilt book at no price/qty precision";
      else if (sum === null)
        v2Problem = `cannot match: the rebuilt book has a level finer than the pair's precision (price ${pp.price}, qty ${pp.size} decimals)`;
    } else return;
    const got = this.feed === "okx" ? d.checksum | 0 : d.checksum >>> 0;
    if (expected === got) {
      this.stats.checksumPassed++;
      return;
    }
    this.stats.checksumFailed++;
    this.invalidate(
      "checksum",
      v2Problem === null
        ? `venue checksum ${got} differs from the rebuilt book's ${expected}`
        : `venue checksum ${got} ${v2Problem}`,
      d.sequence,
    );
  }
}
