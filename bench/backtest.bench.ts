/**
 * Backtest throughput (issue 4 targets): trade ticks through the full engine with a no-op
 * strategy (>= 5 M events/s); the market maker on the shared Binance USD-M L2 data through the
 * L2 fill model (>= 1 M events/s); peak RSS of a 10 M-event run (< 400 MB), streamed (the
 * market-maker memory runs each in a child process, so the peak is the run's own).
 * Throughput data is pre-built in memory so the figures measure the engine, not parsing.
 * `BOTV6_BENCH_MEMORY_EVENTS` / `BOTV6_BENCH_TRADES` shrink the runs for a quick look.
 */
import { spawnSync } from "node:child_process";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { BacktestEngine } from "../src/backtest/engine.js";
import { applyMemoryPolicy } from "../src/core/runtime.js";
import { readMarketData } from "../src/data/files/index.js";
import type { OrderRetention } from "../src/execution/cache.js";
import { type MarketData, OrderBookDeltas, QuoteTick, TradeTick } from "../src/model/data.js";
import { AggressorSide } from "../src/model/enums.js";
import { InstrumentId } from "../src/model/identifiers.js";
import { btcUsdtPerp } from "../src/model/testing.js";
import { Price, Quantity } from "../src/model/values.js";
import { MarketMaker } from "../src/strategy/builtin/market-maker.js";
import { Strategy } from "../src/strategy/strategy.js";
import { type BenchContext, machineInfo, round } from "./harness.js";

const DATA = fileURLToPath(new URL("../../shared/data/", import.meta.url));

class NoOp extends Strategy {
  trades = 0;
  constructor(private readonly inst: InstrumentId) {
    super("NOOP", {});
  }
  protected override onStrategyStart(): void {
    this.subscribeTrades(this.inst);
  }
  protected override onTrade(): void {
    this.trades++;
  }
}

/** Trade ticks generated on the fly (nothing kept: the memory case streams them). */
function* tradeStream(id: InstrumentId, n: number): Generator<TradeTick> {
  let px = 6_000_000;
  const t0 = 1_723_161_256_000_000;
  for (let i = 0; i < n; i++) {
    px += ((i * 7919) % 5) - 2;
    yield new TradeTick(
      id,
      Price.fromRaw(px, 1),
      Quantity.fromRaw(1 + (i % 50), 3),
      i % 2 ? AggressorSide.Buyer : AggressorSide.Seller,
      String(i),
      t0 + i * 10,
      t0 + i * 10,
    );
  }
}

/** The market maker on the L2 fill model. */
function mmEngine(id: InstrumentId, orderRetention?: OrderRetention): BacktestEngine {
  const engine = new BacktestEngine({
    orderRetention,
    venues: [
      {
        name: "BINANCE",
        accountType: "margin",
        startingBalances: ["100000 USDT"],
        fillModel: "l2",
        leverage: 10,
      },
    ],
    instruments: [btcUsdtPerp(id)],
  });
  engine.addStrategy(new MarketMaker("MM", { instrument: id.value, size: "0.010" }));
  return engine;
}

/** `data` replayed back to back, each pass shifted after the previous one, `n` events in all. */
function* replayed(data: MarketData[], n: number): Generator<MarketData> {
  const span = data[data.length - 1].tsEvent - data[0].tsEvent + 1_000_000;
  let count = 0;
  for (let pass = 0; count < n; pass++) {
    const off = pass * span;
    for (const d of data) {
      if (count++ >= n) return;
      if (off === 0) yield d;
      else if (d instanceof TradeTick)
        yield new TradeTick(
          d.instrumentId,
          d.price,
          d.size,
          d.aggressorSide,
          d.tradeId,
          d.tsEvent + off,
          d.tsInit + off,
        );
      else if (d instanceof QuoteTick)
        yield new QuoteTick(
          d.instrumentId,
          d.bidPrice,
          d.askPrice,
          d.bidSize,
          d.askSize,
          d.tsEvent + off,
          d.tsInit + off,
        );
      else if (d instanceof OrderBookDeltas)
        yield d.columns !== null
          ? OrderBookDeltas.fromColumns(
              d.instrumentId,
              d.columns,
              d.isSnapshot,
              d.firstSequence,
              d.sequence,
              d.prevSequence,
              d.tsEvent + off,
              d.tsInit + off,
              d.checksum,
            )
          : new OrderBookDeltas(
              d.instrumentId,
              d.deltas,
              d.isSnapshot,
              d.firstSequence,
              d.sequence,
              d.prevSequence,
              d.tsEvent + off,
              d.tsInit + off,
              d.checksum,
            );
    }
  }
}

function cpuSeconds(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
}

/** The Binance USD-M capture (93,954 events), time-ordered, in memory. */
async function loadCapture(): Promise<MarketData[]> {
  const data: MarketData[] = [];
  for await (const rec of readMarketData([`${DATA}orderbook/hftbacktest_binance-usdm_btcusdt_20240808.gz`]))
    data.push(rec.data);
  data.sort((a, b) => a.tsEvent - b.tsEvent);
  return data;
}

/** Child process: one market-maker memory run of `variant`; prints one JSON record. */
/** Runs a backtest, sampling RSS at the engine's progress callback: result, time, CPU, RSS. */
async function runSampled(engine: BacktestEngine, data: Parameters<BacktestEngine["run"]>[0]) {
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const c0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const r = await engine.run(data, () => {
    const rss = process.memoryUsage().rss;
    if (rss > peak) peak = rss;
  });
  const secs = Number(process.hrtime.bigint() - start) / 1e9;
  return { r, secs, c0, rss0, peak };
}

async function memoryChild(variant: string): Promise<void> {
  const id = InstrumentId.parse("BTCUSDT-PERP.BINANCE");
  const rssStart = process.memoryUsage().rss;
  const data = await loadCapture();
  const M = Number(process.env.BOTV6_BENCH_MM_MEMORY_EVENTS ?? 10_000_000);
  const engine = mmEngine(
    id,
    variant === "default" ? undefined : { dropClosedEvents: true, maxClosedOrders: 10_000 },
  );
  const { r, secs, c0, rss0, peak } = await runSampled(engine, replayed(data, M));
  const maxRss = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(
    `${JSON.stringify({
      bench: "backtest",
      case: `backtest.memory.10M-events.market-maker-l2 (capture replayed, streamed; retention ${variant}; own process${process.env.BOTV6_BENCH_CHILD_FLAGS ? ` ${process.env.BOTV6_BENCH_CHILD_FLAGS}` : ""})`,
      events: r.events,
      orders: r.orders.length,
      ordersForgotten: r.ordersForgotten,
      fills: r.fills.length,
      finalEquity: r.finalEquity.toString(),
      seconds: round(secs, 2),
      cpuSeconds: round(cpuSeconds(c0), 2),
      eventsPerSec: Math.round(r.events / secs),
      eventsPerCpuSec: Math.round(r.events / cpuSeconds(c0)),
      rssAtStartMB: Math.round(rssStart / 1e6),
      rssBeforeMB: Math.round(rss0 / 1e6),
      peakRssSampledMB: Math.round(peak / 1e6),
      processMaxRssMB: Math.round(maxRss / 1e6),
      heapUsedAfterMB: Math.round(process.memoryUsage().heapUsed / 1e6),
      target: "< 400 MB RSS",
      met: maxRss < 400e6,
    })}\n`,
  );
}

// The runtime policy the `botv6` command applies at start-up (src/core/runtime.ts): this
// process and the memory children run under it, as a backtest from the CLI does.
applyMemoryPolicy();

const child = process.env.BOTV6_BENCH_BACKTEST_CHILD;
if (child !== undefined) await memoryChild(child);

export async function run(ctx: BenchContext): Promise<void> {
  ctx.emit({ case: "machine", ...machineInfo(), loadAverage: loadavg().map((x) => round(x, 2)) });
  const id = InstrumentId.parse("BTCUSDT-PERP.BINANCE");
  // Memory first (peak RSS is a process-wide maximum): a 10 M-event run over a stream of trade
  // ticks with a no-op strategy; RSS sampled every 64k events.
  {
    const M = Number(process.env.BOTV6_BENCH_MEMORY_EVENTS ?? 10_000_000);
    const engine = new BacktestEngine({
      venues: [
        { name: "BINANCE", accountType: "margin", startingBalances: ["100000 USDT"], fillModel: "trades" },
      ],
      instruments: [btcUsdtPerp(id)],
    });
    engine.addStrategy(new NoOp(id));
    const { r, secs, c0, rss0, peak } = await runSampled(engine, tradeStream(id, M));
    ctx.emit({
      case: "backtest.memory.10M-trade-events.noop-strategy (streamed)",
      events: r.events,
      seconds: round(secs, 2),
      cpuSeconds: round(cpuSeconds(c0), 2),
      eventsPerSec: Math.round(r.events / secs),
      rssBeforeMB: Math.round(rss0 / 1e6),
      peakRssSampledMB: Math.round(peak / 1e6),
      processMaxRssMB: Math.round((process.resourceUsage().maxRSS * 1024) / 1e6),
      target: "< 400 MB RSS",
      met: process.resourceUsage().maxRSS * 1024 < 400e6,
    });
  }
  // The Binance USD-M capture (93,954 events), kept for the market-maker throughput case.
  const data = await loadCapture();
  // Memory of the market maker on L2 data: the capture replayed back to back (shifted in time,
  // events created on the fly) up to 10 M events, each variant in a fresh child process (so its
  // peak RSS is its own, not this process's maximum): the default retention (every order listed,
  // closed orders' events released), the same with V8's old space capped at 256 MB (V8 otherwise
  // lets garbage pile up far beyond the live heap before collecting it), and a bound of 10,000
  // closed orders kept in the cache.
  // Variants: the CLI's runtime policy (bounded heap growth), V8's own growth policy
  // (BOTV6_HEAP_GROWING_PERCENT=0), V8's policy with the old space capped, and the policy with
  // only 10,000 closed orders kept.
  for (const [variant, flags, growth] of [
    ["default", [], undefined],
    ["default", [], "0"],
    ["default", ["--max-old-space-size=256"], "0"],
    ["maxClosedOrders-10000", [], undefined],
  ] as const) {
    const label = [...flags, ...(growth === undefined ? [] : [`BOTV6_HEAP_GROWING_PERCENT=${growth}`])].join(
      " ",
    );
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      BOTV6_BENCH_BACKTEST_CHILD: variant,
      BOTV6_BENCH_CHILD_FLAGS: label,
    };
    if (growth !== undefined) env.BOTV6_HEAP_GROWING_PERCENT = growth;
    const out = spawnSync(process.execPath, [...flags, ...process.execArgv, fileURLToPath(import.meta.url)], {
      env,
      encoding: "utf8",
      maxBuffer: 1 << 20,
    });
    if (out.status !== 0) throw new Error(`memory child ${variant} failed: ${out.stderr}`);
    ctx.emit(JSON.parse(out.stdout.trim().split("\n").pop() ?? "{}"));
  }
  const N = Number(process.env.BOTV6_BENCH_TRADES ?? 2_000_000);
  const trades: TradeTick[] = [...tradeStream(id, N)];
  {
    const engine = new BacktestEngine({
      venues: [
        { name: "BINANCE", accountType: "margin", startingBalances: ["100000 USDT"], fillModel: "trades" },
      ],
      instruments: [btcUsdtPerp(id)],
    });
    const s = new NoOp(id);
    engine.addStrategy(s);
    const rss0 = process.memoryUsage().rss;
    const c0 = process.cpuUsage();
    const start = process.hrtime.bigint();
    const r = await engine.run(trades);
    const secs = Number(process.hrtime.bigint() - start) / 1e9;
    ctx.emit({
      case: "backtest.trades.noop-strategy",
      events: r.events,
      eventsPerSec: Math.round(r.events / secs),
      seconds: Math.round(secs * 1000) / 1000,
      cpuSeconds: round(cpuSeconds(c0), 3),
      strategySawTrades: s.trades,
      rssMB: Math.round(process.memoryUsage().rss / 1e6),
      rssGrowthMB: Math.round((process.memoryUsage().rss - rss0) / 1e6),
      target: ">= 5 M events/s",
      met: r.events / secs >= 5e6,
    });
  }
  {
    // Best of 5 after 2 warm-up runs (the first runs also compile); CPU time beside the wall
    // clock because the machine is shared.
    const runs: { secs: number; cpu: number; events: number; fills: number; orders: number }[] = [];
    for (let k = 0; k < 7; k++) {
      const engine = mmEngine(id);
      const c0 = process.cpuUsage();
      const start = process.hrtime.bigint();
      const r = await engine.run(data);
      const secs = Number(process.hrtime.bigint() - start) / 1e9;
      if (k >= 2)
        runs.push({
          secs,
          cpu: cpuSeconds(c0),
          events: r.events,
          fills: r.fills.length,
          orders: r.orders.length,
        });
    }
    runs.sort((a, b) => a.secs - b.secs);
    const best = runs[0];
    const median = runs[2];
    const byCpu = [...runs].sort((a, b) => a.cpu - b.cpu)[0];
    ctx.emit({
      case: "backtest.l2.market-maker (Binance USD-M BTCUSDT, hftbacktest capture)",
      events: best.events,
      eventsPerSec: Math.round(best.events / best.secs),
      medianEventsPerSec: Math.round(median.events / median.secs),
      eventsPerCpuSec: Math.round(byCpu.events / byCpu.cpu),
      bestMs: round(best.secs * 1000, 1),
      bestRunCpuMs: round(best.cpu * 1000, 1),
      fills: best.fills,
      orders: best.orders,
      target: ">= 1 M events/s",
      met: best.events / best.secs >= 1e6,
    });
  }
  ctx.emit({ case: "load-average-after", loadAverage: loadavg().map((x) => round(x, 2)) });
}
