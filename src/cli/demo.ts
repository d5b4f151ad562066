/**
 * `botv6 demo` (what `npm start` runs): a backtest of the built-in market maker and of an SMA
 * crossover on the seeded synthetic market — no network, no data files. Prints the summary and
 * writes a self-contained HTML report.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { BacktestEngine, type BacktestResult } from "../backtest/engine.js";
import { renderHtmlReport } from "../backtest/report.js";
import { SyntheticMarket } from "../data/synthetic/market.js";
import { currency } from "../model/currency.js";
import {
  AggregationSource,
  BarAggregation,
  BarSpecification,
  BarType,
  type MarketData,
} from "../model/data.js";
import { PriceType } from "../model/enums.js";
import { InstrumentId } from "../model/identifiers.js";
import { CryptoPerpetual } from "../model/instruments.js";
import { microsToIso, parseIsoToMicros } from "../model/time.js";
import { MarketMaker } from "../strategy/builtin/market-maker.js";
import { SmaCross } from "../strategy/builtin/sma-cross.js";
import type { CliIO } from "./main.js";

export interface DemoOptions {
  seed: number;
  minutes: number;
  report: string | null;
}

export async function runDemo(o: DemoOptions): Promise<{ result: BacktestResult; events: number }> {
  const id = InstrumentId.parse("BTCUSDT-PERP.SIM");
  const instrument = new CryptoPerpetual({
    id,
    baseCurrency: currency("BTC"),
    quoteCurrency: currency("USDT"),
    settlementCurrency: currency("USDT"),
    priceIncrement: "0.10",
    sizeIncrement: "0.001",
    marginInit: "0.05",
    marginMaint: "0.025",
    // Zero maker fee: a one-tick spread on BTC (0.1 / 50,000) is 100× smaller than a 0.02 %
    // maker fee, so no passive strategy could earn its spread under that fee.
    makerFee: "0",
    takerFee: "0.0005",
  });
  const start = parseIsoToMicros("2026-01-05T00:00:00Z");
  const end = start + o.minutes * 60_000_000;
  const market = new SyntheticMarket({
    seed: o.seed,
    start,
    instruments: [
      { instrumentId: id.value, initialPrice: "50000.00", tickSize: "0.10", lotSize: "0.001", levels: 20 },
    ],
  });
  const engine = new BacktestEngine({
    seed: o.seed,
    venues: [
      {
        name: "SIM",
        accountType: "margin",
        startingBalances: ["100000 USDT"],
        fillModel: "l2",
        leverage: 10,
      },
    ],
    instruments: [instrument],
    equitySampleUs: 60_000_000,
  });
  engine.addStrategy(new MarketMaker("MM-001", { instrument: id.value, size: "0.010", maxInventory: 5 }));
  const bars = new BarType(
    id,
    new BarSpecification(1, BarAggregation.Minute, PriceType.Last),
    AggregationSource.Internal,
  );
  engine.addStrategy(new SmaCross("SMA-001", { fast: 5, slow: 20, size: "0.050" }, bars));
  function* feed(): Generator<MarketData> {
    while (market.nextTime() < end) yield* market.next();
  }
  const result = await engine.run(feed());
  if (o.report !== null) {
    mkdirSync(dirname(o.report), { recursive: true });
    writeFileSync(
      o.report,
      renderHtmlReport(result, {
        title: "Bot V6 demo: market maker + SMA cross on the synthetic market",
        subtitle: [
          `seed ${o.seed}, ${o.minutes} minutes of simulated L2 order flow, ${result.events} events`,
        ],
      }),
    );
  }
  return { result, events: result.events };
}

export function registerDemoCommand(program: Command, io: CliIO): void {
  program
    .command("demo")
    .description("backtest built-in strategies on the seeded synthetic market (what npm start runs)")
    .option("--seed <n>", "random seed", "7")
    .option("--minutes <n>", "simulated minutes", "120")
    .option("--report <file>", "HTML report path", "reports/demo.html")
    .option("--no-report", "do not write a report")
    .action(async (opts: { seed: string; minutes: string; report: string | false }) => {
      const t0 = performance.now();
      const report = opts.report === false ? null : resolve(opts.report);
      const { result } = await runDemo({ seed: Number(opts.seed), minutes: Number(opts.minutes), report });
      const secs = (performance.now() - t0) / 1000;
      const s = result.stats;
      const byStrategy = new Map<string, number>();
      for (const t of result.trades) byStrategy.set(t.strategyId, (byStrategy.get(t.strategyId) ?? 0) + 1);
      io.out(
        [
          "Bot V6 demo — backtest on the seeded synthetic market (no network, no data files)",
          `  data: ${result.events} events (L2 deltas, trades, quotes) ${microsToIso(result.startTime)} → ${microsToIso(result.endTime)}, replayed in ${secs.toFixed(1)} s`,
          `  strategies: market-maker (MM-001), sma-cross on 1-minute bars (SMA-001)`,
          `  orders ${result.orders.length}, fills ${result.fills.length}, round trips ${[...byStrategy].map(([k, v]) => `${k} ${v}`).join(", ") || "0"}`,
          `  equity ${result.startEquity} → ${result.finalEquity} (${(s.totalReturn * 100).toFixed(3)} %), max drawdown ${(s.maxDrawdown * 100).toFixed(3)} %`,
          ...(report === null ? [] : [`  report: ${report}`]),
          "",
        ].join("\n"),
      );
    });
}
