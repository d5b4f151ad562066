/**
 * Order-flow analytics throughput on real data (issue 5 targets): cumulative delta and
 * footprint >= 10 M trades/s; OFI and book imbalance >= 5 M book updates/s.
 *
 * Trades: the 21,313 Binance USD-M BTCUSDT trades of ../shared/data, pre-parsed into raw
 * integer arrays and replayed in a loop with shifted timestamps. Book: the same session's L2
 * stream rebuilt once; OFI runs over the recorded sequence of best quotes, book imbalance over
 * 10 levels reads a live book after each recorded update.
 */
import { fileURLToPath } from "node:url";
import { BookSync } from "../src/data/book/sync.js";
import { readMarketData } from "../src/data/files/index.js";
import { OrderBookDeltas, TradeTick } from "../src/model/data.js";
import { InstrumentId } from "../src/model/identifiers.js";
import {
  aggressorOf,
  BookImbalance,
  CumulativeDelta,
  FootprintBuilder,
  OrderFlowImbalance,
} from "../src/orderflow/index.js";
import { type BenchContext, machineInfo, measure } from "./harness.js";

const DATA = fileURLToPath(new URL("../../shared/data/", import.meta.url));

export async function run(ctx: BenchContext): Promise<void> {
  ctx.emit({ case: "machine", ...machineInfo() });
  const ts: number[] = [];
  const px: number[] = [];
  const qty: number[] = [];
  const side: (1 | -1 | 0)[] = [];
  for await (const rec of readMarketData([`${DATA}trades/binance-usdm_BTCUSDT_trades_2024-08-08.csv`], {
    instrument: "BTCUSDT-PERP.BINANCE",
  })) {
    const t = rec.data;
    if (t instanceof TradeTick) {
      ts.push(t.tsEvent);
      px.push(t.price.raw);
      qty.push(t.size.raw);
      side.push(aggressorOf(t.aggressorSide));
    }
  }
  const n = ts.length;
  const span = ts[n - 1] - ts[0] + 1;
  const T = Float64Array.from(ts);
  const P = Float64Array.from(px);
  const Q = Float64Array.from(qty);
  const S = Int8Array.from(side);

  const cvd = new CumulativeDelta();
  const r1 = measure((iters) => {
    for (let i = 0; i < iters; i++) {
      const k = i % n;
      cvd.update(Q[k], S[k] as 1 | -1 | 0);
    }
    return cvd.delta;
  }, 20_000_000);
  ctx.emit({
    case: "orderflow.cvd",
    tradesPerSec: r1.opsPerSec,
    nsPerTrade: r1.bestNsPerOp,
    target: ">= 10 M trades/s",
    met: r1.opsPerSec >= 10e6,
  });

  let round = 0;
  const fp = new FootprintBuilder({ intervalUs: 60_000_000, tick: 10 });
  let bars = 0;
  const r2 = measure((iters) => {
    for (let i = 0; i < iters; i++) {
      const k = i % n;
      if (k === 0) round++;
      if (fp.update(T[k] + round * span, P[k], Q[k], S[k] as 1 | -1 | 0) !== null) bars++;
    }
    return bars;
  }, 10_000_000);
  ctx.emit({
    case: "orderflow.footprint-1m (bars built included)",
    tradesPerSec: r2.opsPerSec,
    nsPerTrade: r2.bestNsPerOp,
    target: ">= 10 M trades/s",
    met: r2.opsPerSec >= 10e6,
  });

  // Book: rebuild once, recording best quotes and the deltas that follow synchronisation.
  const sync = new BookSync(InstrumentId.parse("BTCUSDT-PERP.BINANCE"), "binance-usdm");
  const tops: number[] = [];
  for await (const rec of readMarketData([`${DATA}orderbook/hftbacktest_binance-usdm_btcusdt_20240808.gz`])) {
    if (rec.data instanceof OrderBookDeltas) {
      sync.apply(rec.data);
      const b = sync.book;
      if (sync.isValid && b.bidLevels > 0 && b.askLevels > 0) {
        tops.push(b.bestBidRaw(), b.bestBidSizeRaw(), b.bestAskRaw(), b.bestAskSizeRaw());
      }
    }
  }
  const TOP = Float64Array.from(tops);
  const m = TOP.length / 4;
  const ofi = new OrderFlowImbalance();
  const r3 = measure((iters) => {
    for (let i = 0; i < iters; i++) {
      const k = (i % m) * 4;
      ofi.update(TOP[k], TOP[k + 1], TOP[k + 2], TOP[k + 3]);
    }
    return ofi.value;
  }, 20_000_000);
  ctx.emit({
    case: "orderflow.ofi (per book update, best quotes given)",
    updatesPerSec: r3.opsPerSec,
    nsPerUpdate: r3.bestNsPerOp,
    target: ">= 5 M book updates/s",
    met: r3.opsPerSec >= 5e6,
  });

  const obi = new BookImbalance(10);
  const book = sync.book;
  const r4 = measure((iters) => {
    let s = 0;
    for (let i = 0; i < iters; i++) s += obi.update(book);
    return s;
  }, 10_000_000);
  ctx.emit({
    case: "orderflow.book-imbalance-10-levels (reads the live L2 book)",
    updatesPerSec: r4.opsPerSec,
    nsPerUpdate: r4.bestNsPerOp,
    target: ">= 5 M book updates/s",
    met: r4.opsPerSec >= 5e6,
  });
}
