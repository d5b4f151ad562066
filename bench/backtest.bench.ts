/**
 * Backtest throughput (issue 4 targets): trade ticks through the full engine with a no-op
 * strategy (>= 5 M events/s); the market maker on the shared Binance USD-M L2 data through the
 * L2 fill model (>= 1 M events/s); RSS of a 10 M-event run (< 400 MB).
 * Data is pre-built in memory so the figures measure the engine, not parsing.
 */
import { fileURLToPath } from "node:url";
import { BacktestEngine } from "../src/backtest/engine.js";
import { readMarketData } from "../src/data/files/index.js";
import { currency } from "../src/model/currency.js";
import { type MarketData, TradeTick } from "../src/model/data.js";
import { AggressorSide } from "../src/model/enums.js";
import { InstrumentId } from "../src/model/identifiers.js";
import { CryptoPerpetual } from "../src/model/instruments.js";
import { Price, Quantity } from "../src/model/values.js";
import { MarketMaker } from "../src/strategy/builtin/market-maker.js";
import { Strategy } from "../src/strategy/strategy.js";
import { type BenchContext, machineInfo } from "./harness.js";

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

function perp(id: InstrumentId): CryptoPerpetual {
  return new CryptoPerpetual({
    id,
    baseCurrency: currency("BTC"),
    quoteCurrency: currency("USDT"),
    settlementCurrency: currency("USDT"),
    priceIncrement: "0.10",
    sizeIncrement: "0.001",
    marginInit: "0.05",
    marginMaint: "0.025",
    makerFee: "0.0002",
    takerFee: "0.0005",
  });
}

export async function run(ctx: BenchContext): Promise<void> {
  ctx.emit({ case: "machine", ...machineInfo() });
  const id = InstrumentId.parse("BTCUSDT-PERP.BINANCE");
  const N = Number(process.env.BOTV6_BENCH_TRADES ?? 2_000_000);
  const trades: TradeTick[] = new Array(N);
  let px = 6_000_000;
  const t0 = 1_723_161_256_000_000;
  for (let i = 0; i < N; i++) {
    px += ((i * 7919) % 5) - 2;
    trades[i] = new TradeTick(
      id,
      Price.fromRaw(px, 1),
      Quantity.fromRaw(1 + (i % 50), 3),
      i % 2 ? AggressorSide.Buyer : AggressorSide.Seller,
      String(i),
      t0 + i * 10,
      t0 + i * 10,
    );
  }
  {
    const engine = new BacktestEngine({
      venues: [
        { name: "BINANCE", accountType: "margin", startingBalances: ["100000 USDT"], fillModel: "trades" },
      ],
      instruments: [perp(id)],
    });
    const s = new NoOp(id);
    engine.addStrategy(s);
    const rss0 = process.memoryUsage().rss;
    const start = process.hrtime.bigint();
    const r = await engine.run(trades);
    const secs = Number(process.hrtime.bigint() - start) / 1e9;
    ctx.emit({
      case: "backtest.trades.noop-strategy",
      events: r.events,
      eventsPerSec: Math.round(r.events / secs),
      seconds: Math.round(secs * 1000) / 1000,
      strategySawTrades: s.trades,
      rssMB: Math.round(process.memoryUsage().rss / 1e6),
      rssGrowthMB: Math.round((process.memoryUsage().rss - rss0) / 1e6),
      target: ">= 5 M events/s",
      met: r.events / secs >= 5e6,
    });
  }
  {
    const data: MarketData[] = [];
    for await (const rec of readMarketData([`${DATA}orderbook/hftbacktest_binance-usdm_btcusdt_20240808.gz`]))
      data.push(rec.data);
    data.sort((a, b) => a.tsEvent - b.tsEvent);
    const engine = new BacktestEngine({
      venues: [
        {
          name: "BINANCE",
          accountType: "margin",
          startingBalances: ["100000 USDT"],
          fillModel: "l2",
          leverage: 10,
        },
      ],
      instruments: [perp(id)],
    });
    engine.addStrategy(new MarketMaker("MM", { instrument: id.value, size: "0.010" }));
    const start = process.hrtime.bigint();
    const r = await engine.run(data);
    const secs = Number(process.hrtime.bigint() - start) / 1e9;
    ctx.emit({
      case: "backtest.l2.market-maker (Binance USD-M BTCUSDT, hftbacktest capture)",
      events: r.events,
      eventsPerSec: Math.round(r.events / secs),
      fills: r.fills.length,
      orders: r.orders.length,
      target: ">= 1 M events/s",
      met: r.events / secs >= 1e6,
    });
  }
}
