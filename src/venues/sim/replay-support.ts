/**
 * Test and benchmark support: loads a Binance USDⓈ-M recording (hftbacktest layout) into memory
 * as a time-ordered list the simulated venue can replay: the depth diffs buffered before the
 * REST snapshot follow it (those older than the snapshot are dropped, as Binance's procedure
 * says), and a break in the `pu` chain throws (fail closed). Not used on the trading path.
 */
import { readMarketData } from "../../data/files/index.js";
import { type MarketData, OrderBookDeltas, QuoteTick, TradeTick } from "../../model/data.js";

export interface LoadedRecording {
  /** Deltas (first: the snapshot), trades and (optionally) quotes, in receive order. */
  records: (OrderBookDeltas | TradeTick | QuoteTick)[];
  deltaCount: number;
}

export async function loadBinanceUsdm(file: string, withQuotes = false): Promise<LoadedRecording> {
  const records: (OrderBookDeltas | TradeTick | QuoteTick)[] = [];
  const buffered: OrderBookDeltas[] = [];
  let synced = false;
  let lastU = -1;
  let deltaCount = 0;
  const push = (d: OrderBookDeltas) => {
    records.push(d);
    deltaCount += d.deltas.length;
    lastU = d.sequence;
  };
  for await (const rec of readMarketData([file])) {
    const d: MarketData = rec.data;
    if (d instanceof OrderBookDeltas) {
      if (d.isSnapshot) {
        if (synced) continue;
        synced = true;
        push(d);
        for (const b of buffered)
          if (b.sequence >= d.sequence) {
            if (lastU !== d.sequence && b.prevSequence !== lastU)
              throw new Error(`gap before update ${b.sequence}`);
            push(b);
          }
        continue;
      }
      if (!synced) {
        buffered.push(d);
        continue;
      }
      if (d.sequence < lastU) continue;
      if (d.prevSequence !== lastU)
        throw new Error(`${rec.file}:${rec.line}: gap: pu ${d.prevSequence} != ${lastU}`);
      push(d);
    } else if (synced && (d instanceof TradeTick || (withQuotes && d instanceof QuoteTick))) {
      records.push(d);
    }
  }
  return { records, deltaCount };
}
