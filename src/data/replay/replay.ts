/**
 * Replay: a time-ordered merge of any number of catalog streams (instruments x data types),
 * produced as chunks of {@link TimedMessage} for {@link Kernel.replay}.
 *
 * - **k-way merge** with a binary heap keyed by `(tsEvent, stream rank)`. The rank is the
 *   stream's position in {@link compareStreams} order (instrument id, then data type:
 *   book deltas, depth snapshots, quotes, trades, mark prices, bars; then bar type), so equal timestamps across streams are
 *   delivered in that documented order, and within a stream in stored order. Deterministic.
 * - **Flat memory**: each stream is read one Parquet row group at a time, and output chunks
 *   reuse one pool of message objects: a chunk is valid until the next one is requested
 *   (Kernel.replay consumes it synchronously, so this is safe there).
 * - Topics come from {@link Topics}: trades, quotes, book deltas, depth snapshots, mark prices,
 *   bars per bar type.
 */
import type { MessageBus, Topic } from "../../core/bus.js";
import type { Kernel, TimedMessage } from "../../core/kernel.js";
import { Topics } from "../../core/topics.js";
import { BotV6Error } from "../../model/errors.js";
import type { UnixMicros } from "../../model/time.js";
import { compareStreams, type DataCatalog, type StreamInfo, type StreamKey } from "../catalog/catalog.js";
import type { CatalogDataType, RecordBatch } from "../catalog/schema.js";

/** A source of time-ordered record batches (a catalog stream, or arrays via {@link arrayBatches}). */
export interface ReplaySource {
  readonly key: StreamKey;
  readonly chunks: AsyncIterable<RecordBatch<unknown>>;
}

/** Wraps in-memory, time-ordered market data objects (anything with `tsEvent`) as record batches. */
export async function* arrayBatches(
  items: readonly { tsEvent: number }[],
  batchSize = 65_536,
): AsyncGenerator<RecordBatch<unknown>> {
  for (let from = 0; from < items.length; from += batchSize) {
    const to = Math.min(items.length, from + batchSize);
    const times = new Float64Array(to - from);
    for (let k = 0; k < times.length; k++) times[k] = items[from + k].tsEvent;
    yield { length: to - from, times, get: (k) => items[from + k] };
  }
}

export interface ReplayOptions {
  /** Messages per chunk handed to the kernel (default 8192). */
  chunkSize?: number;
  /** Inclusive start / exclusive end on `tsEvent`. */
  start?: UnixMicros;
  end?: UnixMicros;
  /** Restrict to these instrument ids (`SYMBOL.VENUE`). */
  instruments?: readonly string[];
  /** Restrict to these data types. */
  dataTypes?: readonly CatalogDataType[];
}

/** The topic a stream's messages are published on. */
export function topicFor(bus: MessageBus, key: StreamKey): Topic<unknown> {
  switch (key.dataType) {
    case "trades":
      return bus.topic(Topics.trades(key.instrumentId));
    case "quotes":
      return bus.topic(Topics.quotes(key.instrumentId));
    case "deltas":
      return bus.topic(Topics.bookDeltas(key.instrumentId));
    case "depth":
      return bus.topic(Topics.bookDepth(key.instrumentId));
    case "mark":
      return bus.topic(Topics.markPrices(key.instrumentId));
    case "bars":
      if (key.barType === null) throw new Error("bars stream without a bar type");
      return bus.topic(Topics.bars(key.barType));
  }
}

const EMPTY: RecordBatch<unknown> = { length: 0, times: [], get: () => undefined };

/**
 * A pooled chunk entry. The record is decoded when `message` is read (the kernel reads it once,
 * right before dispatch), not when the chunk is filled: objects then die young instead of a
 * whole chunk of them surviving a scavenge, which made garbage collection the largest cost of a
 * replay. Each read decodes afresh (an equal, new object); read it once.
 */
class Message implements TimedMessage {
  ts = 0;
  topic: Topic<unknown> = null as unknown as Topic<unknown>;
  batch: RecordBatch<unknown> = EMPTY;
  index = 0;
  get message(): unknown {
    return this.batch.get(this.index);
  }
}

interface Cursor {
  ts: number;
  rank: number;
  batch: RecordBatch<unknown>;
  times: ArrayLike<number>;
  pos: number;
  readonly topic: Topic<unknown>;
  readonly iter: AsyncIterator<RecordBatch<unknown>>;
}

function less(a: Cursor, b: Cursor): boolean {
  return a.ts < b.ts || (a.ts === b.ts && a.rank < b.rank);
}

function siftDown(h: Cursor[], i: number): void {
  const n = h.length;
  const x = h[i];
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    const c = r < n && less(h[r], h[l]) ? r : l;
    if (!less(h[c], x)) break;
    h[i] = h[c];
    i = c;
  }
  h[i] = x;
}

function siftUp(h: Cursor[], i: number): void {
  const x = h[i];
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!less(x, h[p])) break;
    h[i] = h[p];
    i = p;
  }
  h[i] = x;
}

function outOfOrder(topic: Topic<unknown>, ts: number, prev: number): ReplayError {
  return new ReplayError(
    "REPLAY_OUT_OF_ORDER",
    `${topic.name}: message at ${ts} follows one at ${prev}; a stream must be time-ordered`,
    { topic: topic.name, ts, previous: prev },
  );
}

/** Pulls the next non-empty chunk of a cursor; false at the end of its stream. */
async function refill(c: Cursor): Promise<boolean> {
  for (;;) {
    const r = await c.iter.next();
    if (r.done) return false;
    const b = r.value;
    if (b.length === 0) continue;
    c.batch = b;
    c.times = b.times;
    c.pos = 0;
    c.ts = b.times[0];
    return true;
  }
}

/**
 * Merges sources by `(tsEvent, rank)` into chunks of timed messages. `sources` must already
 * be in rank order (their index is the tie-break). Each source must itself be time-ordered;
 * a source going back in time throws `REPLAY_OUT_OF_ORDER`.
 */
export async function* mergeSources(
  bus: MessageBus,
  sources: readonly ReplaySource[],
  chunkSize = 8192,
): AsyncGenerator<TimedMessage[]> {
  const heap: Cursor[] = [];
  for (let rank = 0; rank < sources.length; rank++) {
    const s = sources[rank];
    const c: Cursor = {
      ts: 0,
      rank,
      batch: EMPTY,
      times: EMPTY.times,
      pos: 0,
      topic: topicFor(bus, s.key),
      iter: s.chunks[Symbol.asyncIterator](),
    };
    if (await refill(c)) {
      heap.push(c);
      siftUp(heap, heap.length - 1);
    }
  }
  const pool: Message[] = [];
  for (let i = 0; i < chunkSize; i++) pool.push(new Message());
  let n = 0;
  while (heap.length > 0) {
    const c = heap[0];
    // Emit a run from the top cursor up to the next cursor's head, without heap operations.
    let limitTs = Number.POSITIVE_INFINITY;
    let limitRank = 0;
    if (heap.length > 1) {
      const o = heap.length > 2 && less(heap[2], heap[1]) ? heap[2] : heap[1];
      limitTs = o.ts;
      limitRank = o.rank;
    }
    const batch = c.batch;
    const times = c.times;
    const len = batch.length;
    const topic = c.topic;
    let pos = c.pos;
    let ts = c.ts;
    for (;;) {
      const m = pool[n++];
      m.ts = ts;
      m.topic = topic;
      m.batch = batch;
      m.index = pos;
      pos++;
      if (pos >= len || n === chunkSize) break;
      const next = times[pos];
      if (next < ts) throw outOfOrder(topic, next, ts);
      ts = next;
      if (ts > limitTs || (ts === limitTs && c.rank > limitRank)) break;
    }
    if (pos < len) {
      const next = times[pos];
      if (next < ts) throw outOfOrder(topic, next, ts);
      c.pos = pos;
      c.ts = next;
      if (heap.length > 1) siftDown(heap, 0);
    } else {
      const prev = times[len - 1];
      // The chunk's entries decode from this batch when read, and the next batch of the stream
      // may reuse its buffers: hand the chunk over before pulling the next batch.
      if (n > 0) {
        yield n === chunkSize ? pool : pool.slice(0, n);
        n = 0;
      }
      if (await refill(c)) {
        if (c.ts < prev) throw outOfOrder(topic, c.ts, prev);
        if (heap.length > 1) siftDown(heap, 0);
      } else {
        const last = heap.pop() as Cursor;
        if (heap.length > 0) {
          heap[0] = last;
          siftDown(heap, 0);
        }
      }
    }
    if (n === chunkSize) {
      yield pool;
      n = 0;
    }
  }
  if (n > 0) yield pool.slice(0, n);
}

export class ReplayError extends BotV6Error {}

/** The catalog's streams selected by `options`, in rank order. */
export async function selectStreams(
  catalog: DataCatalog,
  options: ReplayOptions = {},
): Promise<StreamInfo[]> {
  const streams = await catalog.streams();
  const inst = options.instruments === undefined ? null : new Set(options.instruments);
  const types = options.dataTypes === undefined ? null : new Set(options.dataTypes);
  const selected = streams.filter(
    (s) => (inst === null || inst.has(s.instrumentId.value)) && (types === null || types.has(s.dataType)),
  );
  if (selected.length === 0) {
    throw new ReplayError(
      "REPLAY_NOTHING_SELECTED",
      `no stream in catalog ${catalog.root} matches the selection`,
      {
        instruments: options.instruments ?? null,
        dataTypes: options.dataTypes ?? null,
      },
    );
  }
  return selected.sort(compareStreams);
}

/** Chunks of timed messages from the catalog, for `kernel.replay(chunk)`. */
export async function* replayFromCatalog(
  bus: MessageBus,
  catalog: DataCatalog,
  options: ReplayOptions = {},
): AsyncGenerator<TimedMessage[]> {
  const streams = await selectStreams(catalog, options);
  const range = { start: options.start, end: options.end };
  const sources: ReplaySource[] = streams.map((s) => ({ key: s, chunks: catalog.read(s, range) }));
  yield* mergeSources(bus, sources, options.chunkSize);
}

/** Replays the catalog through a running backtest kernel. Returns the number of messages. */
export async function replayCatalogIntoKernel(
  kernel: Kernel,
  catalog: DataCatalog,
  options: ReplayOptions = {},
): Promise<number> {
  let n = 0;
  for await (const chunk of replayFromCatalog(kernel.bus, catalog, options)) n += kernel.replay(chunk);
  return n;
}
