/**
 * Catalog replay throughput: decode Parquet row groups + k-way merge + dispatch through the
 * kernel's bus (one no-op subscriber per topic, no strategy), on one core.
 *
 * Workload: BOTV6_BENCH_REPLAY_EVENTS (default 10,000,000) synthetic trades, split over
 * BOTV6_BENCH_REPLAY_INSTRUMENTS (default 2) instruments and 1,000,000-trade day partitions,
 * written into a temporary catalog first (not timed), then replayed BOTV6_BENCH_REPLAY_REPEATS
 * (default 3) times; the fastest run is reported, with wall-clock and CPU-time rates. Heap used
 * is sampled every 16 chunks, and measured after a full GC before and after the replay, to show
 * memory stays flat.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { Kernel } from "../src/core/kernel.js";
import { Rng } from "../src/core/rng.js";
import { Topics } from "../src/core/topics.js";
import { DataCatalog, dateOf } from "../src/data/catalog/catalog.js";
import { replayFromCatalog } from "../src/data/replay/replay.js";
import { AggressorSide } from "../src/model/enums.js";
import { InstrumentId } from "../src/model/identifiers.js";
import { MICROS_PER_DAY } from "../src/model/time.js";
import { type BenchContext, machineInfo, round } from "./harness.js";

const PER_PARTITION = 1_000_000;

/** A full GC (via --expose-gc set at run time), to measure what a replay leaves on the heap. */
function fullGc(): void {
  if (globalThis.gc === undefined) setFlagsFromString("--expose-gc");
  const gc = (globalThis.gc ?? runInNewContext("gc")) as () => void;
  gc();
}

export async function generate(
  catalog: DataCatalog,
  events: number,
  instruments: InstrumentId[],
): Promise<void> {
  const rng = new Rng(42);
  const perInstrument = Math.ceil(events / instruments.length);
  const day0 = Date.UTC(2024, 0, 1) * 1000;
  for (const id of instruments) {
    let price = 5_000_000; // 50000.00
    let written = 0;
    let day = 0;
    while (written < perInstrument) {
      const n = Math.min(PER_PARTITION, perInstrument - written);
      const start = day0 + day * MICROS_PER_DAY;
      const step = Math.floor(MICROS_PER_DAY / n);
      const ts = new Float64Array(n);
      const priceCol = new Float64Array(n);
      const sizeCol = new Float64Array(n);
      const pp = new Int32Array(n).fill(2);
      const sp = new Int32Array(n).fill(6);
      const side: string[] = new Array(n);
      const tid = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        ts[i] = start + i * step + rng.nextInt(step);
        price += rng.nextInt(21) - 10;
        priceCol[i] = price;
        sizeCol[i] = 1 + rng.nextInt(2_000_000);
        side[i] = rng.nextUint32() & 1 ? AggressorSide.Buyer : AggressorSide.Seller;
        tid[i] = written + i + 1;
      }
      await catalog.writeColumns({ instrumentId: id, dataType: "trades", barType: null }, dateOf(start), {
        ts_event: ts,
        ts_init: ts,
        price: priceCol,
        price_precision: pp,
        size: sizeCol,
        size_precision: sp,
        aggressor_side: side,
        trade_id: tid,
      });
      written += n;
      day++;
    }
  }
}

export async function run(ctx: BenchContext): Promise<void> {
  const events = Number(process.env.BOTV6_BENCH_REPLAY_EVENTS ?? 10_000_000);
  const nInst = Number(process.env.BOTV6_BENCH_REPLAY_INSTRUMENTS ?? 2);
  const root = mkdtempSync(join(tmpdir(), "botv6-bench-replay-"));
  try {
    const instruments = Array.from({ length: nInst }, (_, i) => InstrumentId.of(`SYN${i}USDT`, "BENCH"));
    const catalog = new DataCatalog(root);
    const g0 = process.hrtime.bigint();
    await generate(catalog, events, instruments);
    const genSec = Number(process.hrtime.bigint() - g0) / 1e9;
    ctx.emit({
      case: "replay.generate",
      events,
      instruments: nInst,
      seconds: round(genSec, 2),
      ...machineInfo(),
    });

    let best: Record<string, unknown> | null = null;
    let bestRate = 0;
    const repeats = Number(process.env.BOTV6_BENCH_REPLAY_REPEATS ?? 3);
    for (let rep = 0; rep < repeats; rep++) {
      fullGc();
      const heapAfterGcBefore = process.memoryUsage().heapUsed;
      const kernel = new Kernel({ traderId: "BENCH", mode: "backtest", seed: 1 });
      let received = 0;
      let checksum = 0;
      for (const id of instruments) {
        kernel.bus.subscribe<{ tsEvent: number }>(Topics.trades(id), (t) => {
          received++;
          checksum += t.tsEvent & 1;
        });
      }
      kernel.start();
      const heapSamples: number[] = [];
      // Max heap used in each tenth of the run: garbage makes a sawtooth; a leak would climb.
      const heapByDecile = new Array<number>(10).fill(0);
      const rssBefore = process.memoryUsage.rss();
      let peakRss = rssBefore;
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      let n = 0;
      let chunks = 0;
      for await (const chunk of replayFromCatalog(kernel.bus, catalog, { chunkSize: 8192 })) {
        n += kernel.replay(chunk);
        if ((++chunks & 15) === 0) {
          const m = process.memoryUsage();
          heapSamples.push(m.heapUsed);
          const decile = Math.min(9, Math.floor((10 * n) / events));
          if (m.heapUsed > heapByDecile[decile]) heapByDecile[decile] = m.heapUsed;
          if (m.rss > peakRss) peakRss = m.rss;
        }
      }
      const sec = Number(process.hrtime.bigint() - t0) / 1e9;
      const cu = process.cpuUsage(c0);
      fullGc();
      const heapAfterGcAfter = process.memoryUsage().heapUsed;
      const cpuSec = (cu.user + cu.system) / 1e6;
      if (received !== n || n !== events)
        throw new Error(`replayed ${n}, received ${received}, expected ${events}`);
      heapSamples.sort((a, b) => a - b);
      const mb = (x: number) => round(x / 1048576, 1);
      const rate = n / sec;
      const rec = {
        case: "replay.catalog.trades",
        events: n,
        instruments: nInst,
        seconds: round(sec, 3),
        eventsPerSec: Math.round(rate),
        nsPerEvent: round(1e9 / rate, 1),
        // CPU time of this process: less disturbed by other load on a shared machine.
        cpuSeconds: round(cpuSec, 3),
        eventsPerCpuSec: Math.round(n / cpuSec),
        heapUsedMBp5: mb(heapSamples[Math.floor(heapSamples.length * 0.05)] ?? 0),
        heapUsedMBp50: mb(heapSamples[Math.floor(heapSamples.length * 0.5)] ?? 0),
        heapUsedMBmax: mb(heapSamples[heapSamples.length - 1] ?? 0),
        heapSamples: heapSamples.length,
        heapUsedMBMaxByTenth: heapByDecile.map(mb),
        rssBeforeReplayMB: mb(rssBefore),
        peakRssDuringReplayMB: mb(peakRss),
        // Process lifetime high-water mark (includes generating the catalog).
        maxRssProcessMB: mb(process.resourceUsage().maxRSS * 1024),
        // Heap used after a full GC before and after the replay: what the replay retains.
        heapAfterFullGcBeforeMB: mb(heapAfterGcBefore),
        heapAfterFullGcAfterMB: mb(heapAfterGcAfter),
        checksum,
        // V8 young-generation limit in effect (NODE_OPTIONS=--max-semi-space-size=64 helps).
        nodeOptions: process.env.NODE_OPTIONS ?? "",
      };
      if (rate > bestRate) {
        bestRate = rate;
        best = rec;
      }
      kernel.stop();
    }
    if (best !== null) ctx.emit(best as { case: string });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
