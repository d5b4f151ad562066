/**
 * The Redis cache of the latest market and account state, for the API, the dashboard and
 * other nodes: books (depth snapshots), quotes, bars, features, positions and balances.
 *
 * Writes are made on the hot path synchronously and cost a map insert: the latest value per
 * key is staged (a newer value replaces an unsent older one), and a timer writes the staged
 * keys in one pipeline of `SET key value PX ttl`. Memory is bounded by the number of distinct
 * keys (capped by `maxPendingKeys`; beyond it new keys are dropped and counted while Redis is
 * unreachable). Values are the versioned binary wire codec (features: JSON), so readers get
 * exact fixed-point values and an unknown format version is an error, never a misread.
 */
import type { Redis } from "ioredis";
import type { MessageBus } from "../../core/bus.js";
import type { Bar, BarType, OrderBookDepth, QuoteTick } from "../../model/data.js";
import type { AccountState, PositionEvent } from "../../model/events.js";
import type { InstrumentId } from "../../model/identifiers.js";
import { MessageCodec, type WireMessage } from "../codec/index.js";

export interface CacheTtls {
  bookMs: number;
  quoteMs: number;
  barMs: number;
  featuresMs: number;
  positionMs: number;
  accountMs: number;
}

export const DEFAULT_CACHE_TTLS: CacheTtls = {
  bookMs: 10_000,
  quoteMs: 10_000,
  barMs: 24 * 3_600_000,
  featuresMs: 60_000,
  positionMs: 24 * 3_600_000,
  accountMs: 24 * 3_600_000,
};

export interface RedisCacheOptions {
  namespace?: string;
  ttl?: Partial<CacheTtls>;
  /** How often staged writes are sent. Default 50 ms. */
  flushIntervalMs?: number;
  /** Distinct keys staged at most (while Redis is slow or down). Default 100 000. */
  maxPendingKeys?: number;
}

/** Latest feature values of an instrument (floats are fine for features). */
export interface FeatureSnapshot {
  readonly instrumentId: string;
  readonly tsEvent: number;
  readonly values: Readonly<Record<string, number>>;
}

interface Staged {
  value: Buffer;
  ttlMs: number;
}

export interface CacheStats {
  written: number;
  staged: number;
  dropped: number;
  flushFailures: number;
}

export class RedisCache {
  private readonly ns: string;
  private readonly ttl: CacheTtls;
  private readonly codec = new MessageCodec();
  private readonly reader = new MessageCodec();
  private pending = new Map<string, Staged>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private readonly maxPendingKeys: number;
  private readonly flushIntervalMs: number;
  private readonly unsubscribers: (() => void)[] = [];
  private readonly s: CacheStats = { written: 0, staged: 0, dropped: 0, flushFailures: 0 };

  constructor(
    private readonly redis: Redis,
    options: RedisCacheOptions = {},
  ) {
    this.ns = options.namespace ?? "botv6";
    this.ttl = { ...DEFAULT_CACHE_TTLS, ...options.ttl };
    this.maxPendingKeys = options.maxPendingKeys ?? 100_000;
    this.flushIntervalMs = options.flushIntervalMs ?? 50;
  }

  key(kind: string, id: string): string {
    return `${this.ns}:cache:${kind}:${id}`;
  }

  private stage(key: string, value: Buffer, ttlMs: number): void {
    if (!this.pending.has(key) && this.pending.size >= this.maxPendingKeys) {
      this.s.dropped++;
      return;
    }
    this.pending.set(key, { value, ttlMs });
    this.s.staged++;
    if (this.timer === null) this.timer = setTimeout(() => void this.flush(), this.flushIntervalMs);
  }

  private encode(m: WireMessage, key: string): Buffer {
    const bytes = this.codec.encode(m, { eventId: key, topic: "cache" });
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  putQuote(q: QuoteTick): void {
    const k = this.key("quote", q.instrumentId.value);
    this.stage(k, this.encode(q, k), this.ttl.quoteMs);
  }

  putBook(d: OrderBookDepth): void {
    const k = this.key("book", d.instrumentId.value);
    this.stage(k, this.encode(d, k), this.ttl.bookMs);
  }

  putBar(b: Bar): void {
    const k = this.key("bar", b.barType.toString());
    this.stage(k, this.encode(b, k), this.ttl.barMs);
  }

  putFeatures(instrumentId: InstrumentId, tsEvent: number, values: Record<string, number>): void {
    const k = this.key("features", instrumentId.value);
    const snap: FeatureSnapshot = { instrumentId: instrumentId.value, tsEvent, values };
    this.stage(k, Buffer.from(JSON.stringify(snap)), this.ttl.featuresMs);
  }

  putPosition(e: PositionEvent): void {
    const k = this.key("position", e.positionId.value);
    this.stage(k, this.encode(e, k), this.ttl.positionMs);
  }

  putAccount(a: AccountState): void {
    const k = this.key("account", a.accountId.value);
    this.stage(k, this.encode(a, k), this.ttl.accountMs);
  }

  /** Subscribes to the bus: quotes, depth snapshots, bars, position and account events. */
  attach(bus: MessageBus): void {
    const subs: [string, (m: never) => void][] = [
      ["data.quotes.*", (m: QuoteTick) => this.putQuote(m)],
      ["data.book.depth.*", (m: OrderBookDepth) => this.putBook(m)],
      ["data.bars.*", (m: Bar) => this.putBar(m)],
      ["events.position.*", (m: PositionEvent) => this.putPosition(m)],
      ["events.account.*", (m: AccountState) => this.putAccount(m)],
    ];
    for (const [pattern, h] of subs) {
      bus.subscribe(pattern, h);
      this.unsubscribers.push(() => bus.unsubscribe(pattern, h));
    }
  }

  /** Writes everything staged now. On failure the values stay staged (unless newer ones replaced them). */
  flush(): Promise<void> {
    if (this.flushing !== null) return this.flushing.then(() => this.flush());
    if (this.timer !== null) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending.size === 0) return Promise.resolve();
    const batch = this.pending;
    this.pending = new Map();
    const p = this.redis.pipeline();
    for (const [k, v] of batch) p.set(k, v.value, "PX", v.ttlMs);
    this.flushing = p
      .exec()
      .then((res) => {
        for (const [err] of res ?? []) if (err) throw err;
        this.s.written += batch.size;
      })
      .catch(() => {
        this.s.flushFailures++;
        // Put back what no newer write replaced, and try again later.
        for (const [k, v] of batch) if (!this.pending.has(k)) this.pending.set(k, v);
        if (this.timer === null) this.timer = setTimeout(() => void this.flush(), this.flushIntervalMs * 10);
      })
      .finally(() => {
        this.flushing = null;
      });
    return this.flushing;
  }

  private async read<T extends WireMessage>(key: string): Promise<T | null> {
    const v = await this.redis.getBuffer(key);
    return v === null ? null : this.reader.decode<T>(v).message;
  }

  getQuote(id: InstrumentId): Promise<QuoteTick | null> {
    return this.read<QuoteTick>(this.key("quote", id.value));
  }

  getBook(id: InstrumentId): Promise<OrderBookDepth | null> {
    return this.read<OrderBookDepth>(this.key("book", id.value));
  }

  getBar(barType: BarType): Promise<Bar | null> {
    return this.read<Bar>(this.key("bar", barType.toString()));
  }

  async getFeatures(id: InstrumentId): Promise<FeatureSnapshot | null> {
    const v = await this.redis.get(this.key("features", id.value));
    return v === null ? null : (JSON.parse(v) as FeatureSnapshot);
  }

  getPosition(positionId: string): Promise<PositionEvent | null> {
    return this.read<PositionEvent>(this.key("position", positionId));
  }

  getAccount(accountId: string): Promise<AccountState | null> {
    return this.read<AccountState>(this.key("account", accountId));
  }

  stats(): CacheStats {
    return { ...this.s };
  }

  /** Detaches from the bus and writes what is staged. */
  async close(): Promise<void> {
    for (const u of this.unsubscribers) u();
    this.unsubscribers.length = 0;
    await this.flush();
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
