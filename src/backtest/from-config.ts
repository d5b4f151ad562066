/**
 * The full form: a backtest described by the `backtest` section of a config file (instruments,
 * venues, strategies and one data source: files, a catalog range or the synthetic market).
 */
import { resolve } from "node:path";
import { MessageBus } from "../core/bus.js";
import type { BacktestFileConfig } from "../core/config.js";
import { DataCatalog } from "../data/catalog/catalog.js";
import { readMarketData } from "../data/files/index.js";
import { replayFromCatalog } from "../data/replay/replay.js";
import { SyntheticMarket } from "../data/synthetic/market.js";
import { Currency, CurrencyType, currency, hasCurrency, registerCurrency } from "../model/currency.js";
import { BarType, type MarketData } from "../model/data.js";
import { BotV6Error } from "../model/errors.js";
import { InstrumentId } from "../model/identifiers.js";
import { CryptoPerpetual, CurrencyPair, type Instrument } from "../model/instruments.js";
import { parseIsoToMicros } from "../model/time.js";
import { builtinStrategy } from "../strategy/builtin/index.js";
import type { Strategy } from "../strategy/strategy.js";
import { BacktestEngine, type BacktestResult } from "./engine.js";

function ccy(code: string): Currency {
  return hasCurrency(code) ? currency(code) : registerCurrency(new Currency(code, 8, CurrencyType.Crypto));
}

export function instrumentsFromConfig(cfg: BacktestFileConfig): Instrument[] {
  return cfg.instruments.map((i) => {
    const common = {
      id: InstrumentId.parse(i.id),
      baseCurrency: ccy(i.base),
      quoteCurrency: ccy(i.quote),
      priceIncrement: i.priceIncrement,
      sizeIncrement: i.sizeIncrement,
      minQuantity: i.minQuantity,
      maxQuantity: i.maxQuantity,
      minNotional: i.minNotional,
      makerFee: i.makerFee,
      takerFee: i.takerFee,
    };
    return i.kind === "spot"
      ? new CurrencyPair(common)
      : new CryptoPerpetual({
          ...common,
          settlementCurrency: ccy(i.settlement ?? i.quote),
          marginInit: i.marginInit,
          marginMaint: i.marginMaint,
        });
  });
}

async function* fromCatalog(root: string, d: BacktestFileConfig["data"]): AsyncGenerator<MarketData> {
  const catalog = new DataCatalog(root);
  const bus = new MessageBus();
  for await (const chunk of replayFromCatalog(bus, catalog, {
    start: d.start === undefined ? undefined : parseIsoToMicros(d.start),
    end: d.end === undefined ? undefined : parseIsoToMicros(d.end),
    instruments: d.instruments,
  })) {
    for (const m of chunk) yield m.message as MarketData;
  }
}

async function* fromFiles(files: string[], format: string | undefined): AsyncGenerator<MarketData> {
  for await (const rec of readMarketData(files, { format })) yield rec.data;
}

function* fromSynthetic(
  seed: number,
  s: NonNullable<BacktestFileConfig["data"]["synthetic"]>,
): Generator<MarketData> {
  const start = parseIsoToMicros(s.start);
  const market = new SyntheticMarket({ seed, start, instruments: s.instruments });
  const end = start + s.minutes * 60_000_000;
  while (market.nextTime() < end) yield* market.next();
}

/** The engine of a config file's `backtest` section, without strategies or data. */
export function createConfiguredEngine(cfg: BacktestFileConfig, seed: number): BacktestEngine {
  return new BacktestEngine({
    seed,
    venues: cfg.venues,
    instruments: instrumentsFromConfig(cfg),
    equitySampleUs: cfg.equitySampleUs,
  });
}

/** Creates the section's strategies (ids default to `<name>-<k>`). */
export function configuredStrategies(cfg: BacktestFileConfig): Strategy[] {
  return cfg.strategies.map((s, k) => {
    const spec = builtinStrategy(s.name);
    let barType: BarType | null = null;
    if (s.barType !== undefined) barType = BarType.parse(s.barType);
    if (spec.data === "bars" && barType === null) {
      throw new BotV6Error(
        "BACKTEST_CONFIG",
        `backtest.strategies.${k}: strategy ${s.name} needs a barType`,
        {},
      );
    }
    return spec.create(s.id ?? `${s.name}-${k + 1}`, s.params, barType);
  });
}

/** The section's data source, time-ordered (paths relative to `baseDir`). */
export function configuredMarketData(
  cfg: BacktestFileConfig,
  seed: number,
  baseDir: string,
): Iterable<MarketData> | AsyncIterable<MarketData> {
  const d = cfg.data;
  return d.files !== undefined
    ? fromFiles(
        d.files.map((f) => resolve(baseDir, f)),
        d.format,
      )
    : d.catalog !== undefined
      ? fromCatalog(resolve(baseDir, d.catalog), d)
      : fromSynthetic(seed, d.synthetic!);
}

/** Runs the backtest of a config file's `backtest` section (paths relative to `baseDir`). */
export async function runConfiguredBacktest(
  cfg: BacktestFileConfig,
  seed: number,
  baseDir: string,
  onProgress?: (events: number, ts: number) => void,
): Promise<{ engine: BacktestEngine; result: BacktestResult }> {
  const engine = createConfiguredEngine(cfg, seed);
  for (const s of configuredStrategies(cfg)) engine.addStrategy(s);
  const result = await engine.run(configuredMarketData(cfg, seed, baseDir), onProgress);
  return { engine, result };
}
