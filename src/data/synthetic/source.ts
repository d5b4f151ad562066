/**
 * The synthetic market as a data source for the kernel: chunks of timed messages on the
 * standard topics, ready for `Kernel.replay`, generated on the fly (memory stays flat).
 */
import type { MessageBus, Topic } from "../../core/bus.js";
import type { TimedMessage } from "../../core/kernel.js";
import { Topics } from "../../core/topics.js";
import { type MarketData, OrderBookDeltas, QuoteTick, TradeTick } from "../../model/data.js";
import type { InstrumentId } from "../../model/identifiers.js";
import type { UnixMicros } from "../../model/time.js";
import type { SyntheticMarket } from "./market.js";

function topicOf(bus: MessageBus, cache: Map<string, Topic<unknown>>, d: MarketData): Topic<unknown> {
  let name: string;
  let id: InstrumentId;
  if (d instanceof TradeTick) {
    id = d.instrumentId;
    name = Topics.trades(id);
  } else if (d instanceof QuoteTick) {
    id = d.instrumentId;
    name = Topics.quotes(id);
  } else if (d instanceof OrderBookDeltas) {
    id = d.instrumentId;
    name = Topics.bookDeltas(id);
  } else {
    throw new Error("the synthetic market emits trades, quotes and book deltas only");
  }
  let t = cache.get(name);
  if (t === undefined) {
    t = bus.topic(name);
    cache.set(name, t);
  }
  return t;
}

/**
 * Yields chunks (arrays of at most `chunkSize` messages, fresh arrays) of the market's output
 * up to (excluding) `end`. Feed each to `kernel.replay(chunk)`.
 */
export function* syntheticChunks(
  bus: MessageBus,
  market: SyntheticMarket,
  end: UnixMicros,
  chunkSize = 4096,
): Generator<TimedMessage[]> {
  const cache = new Map<string, Topic<unknown>>();
  let chunk: TimedMessage[] = [];
  while (market.nextTime() < end) {
    for (const d of market.next()) {
      chunk.push({ ts: d.tsEvent, topic: topicOf(bus, cache, d), message: d });
    }
    if (chunk.length >= chunkSize) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}
