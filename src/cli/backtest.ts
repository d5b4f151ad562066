/**
 * `botv6 backtest`: the quick form for bar data.
 *
 *   botv6 backtest --data FILE --strategy NAME [--param k=v ...] [--cash N] [--commission RATE]
 *                  [--size QTY] [--price-precision P] [--json] [--report out.html]
 *
 * Conventions (docs/backtest.md): signals are computed on bar close; market orders fill at the
 * next bar's open; commission = RATE × fill notional, paid in the quote currency at every fill;
 * final equity marks any open position at the last close (no forced exit). A bare candle file
 * carries no instrument: its price precision is inferred from the data (the most decimals any
 * price is written with, exponent notation included) unless --price-precision is given.
 * It runs the full engine — strategy, execution engine, simulated venue (bar fill model),
 * portfolio — the same components as paper and live trading.
 */

import { writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { SingleBar } from "cli-progress";
import type { Command } from "commander";
import { BacktestEngine, type BacktestResult } from "../backtest/engine.js";
import { runConfiguredBacktest } from "../backtest/from-config.js";
import { renderHtmlReport } from "../backtest/report.js";
import { loadConfig } from "../core/config.js";
import { readMarketData } from "../data/files/index.js";
import { Currency, CurrencyType, registerCurrency } from "../model/currency.js";
import { Bar } from "../model/data.js";
import { BotV6Error } from "../model/errors.js";
import { MAX_PRECISION, parseDecimal, pow10 } from "../model/fixed.js";
import { CurrencyPair } from "../model/instruments.js";
import { microsToIso } from "../model/time.js";
import type { Price } from "../model/values.js";
import { BUILTIN_STRATEGIES, builtinStrategy } from "../strategy/builtin/index.js";
import { StrategyError } from "../strategy/strategy.js";
import { type CliIO, EXIT_BAD_INPUT, EXIT_FAILURE } from "./main.js";

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function decimals(text: string, what: string): number {
  try {
    const d = parseDecimal(text);
    if (d.raw <= 0) throw new Error("must be positive");
    return d.scale;
  } catch (e) {
    throw new BotV6Error("BACKTEST_ARG", `${what} "${text}": ${(e as Error).message}`, {});
  }
}

export interface QuickBacktestOptions {
  data: string;
  strategy: string;
  params: Record<string, string>;
  cash: string;
  commission: string;
  size: string;
  pricePrecision?: number;
  format?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface QuickBacktestOutput {
  result: BacktestResult;
  bars: Bar[];
  instrument: CurrencyPair;
}

/** Runs the quick form (also used by tests and `npm start`). */
export async function runQuickBacktest(o: QuickBacktestOptions): Promise<QuickBacktestOutput> {
  const spec = builtinStrategy(o.strategy);
  if (spec.data !== "bars") {
    throw new BotV6Error(
      "BACKTEST_ARG",
      `strategy ${o.strategy} trades L2 books; the quick form takes candle files`,
      {},
    );
  }
  const raw: Bar[] = [];
  for await (const rec of readMarketData([o.data], { format: o.format })) {
    if (!(rec.data instanceof Bar)) {
      throw new BotV6Error(
        "BACKTEST_DATA",
        `${o.data}:${rec.line}: not a candle (${rec.data.constructor.name}); the quick form takes candle files`,
        {},
      );
    }
    raw.push(rec.data);
  }
  if (raw.length === 0) throw new BotV6Error("BACKTEST_DATA", `${o.data}: no candles`, { file: o.data });
  for (let i = 1; i < raw.length; i++) {
    if (raw[i].tsOpen <= raw[i - 1].tsOpen) {
      throw new BotV6Error(
        "BACKTEST_DATA",
        `${o.data}: candle ${i + 1} (${microsToIso(raw[i].tsOpen)}) is not after the one before`,
        {},
      );
    }
  }
  let pp = o.pricePrecision ?? 0;
  if (o.pricePrecision === undefined) {
    for (const b of raw)
      pp = Math.max(pp, b.open.precision, b.high.precision, b.low.precision, b.close.precision);
  }
  if (!Number.isInteger(pp) || pp < 0 || pp > MAX_PRECISION) {
    throw new BotV6Error("BACKTEST_ARG", `--price-precision must be an integer in 0..${MAX_PRECISION}`, {});
  }
  const sp = decimals(o.size, "--size");
  decimals(o.cash, "--cash");
  const rate = parseDecimal(o.commission);
  if (rate.raw < 0)
    throw new BotV6Error("BACKTEST_ARG", `--commission "${o.commission}" must not be negative`, {});
  const qp = Math.min(MAX_PRECISION, Math.max(2, pp + sp));
  const quote = registerCurrency(new Currency("QUOTE", qp, CurrencyType.Crypto));
  const base = registerCurrency(new Currency("BASE", Math.max(sp, 0), CurrencyType.Crypto));
  const id = raw[0].barType.instrumentId;
  const instrument = new CurrencyPair({
    id,
    baseCurrency: base,
    quoteCurrency: quote,
    priceIncrement: (1 / pow10(pp)).toFixed(pp),
    sizeIncrement: (1 / pow10(sp)).toFixed(sp),
    makerFee: o.commission,
    takerFee: o.commission,
  });
  const barType = raw[0].barType;
  const bars = raw.map((b, i) => {
    const at = (p: Price, field: string) => {
      try {
        return p.withPrecision(pp);
      } catch {
        throw new BotV6Error(
          "BACKTEST_DATA",
          `${o.data}: candle ${i + 1} ${field} ${p} has more than ${pp} decimals (--price-precision)`,
          {},
        );
      }
    };
    return new Bar(
      barType,
      at(b.open, "open"),
      at(b.high, "high"),
      at(b.low, "low"),
      at(b.close, "close"),
      b.volume,
      b.tsOpen,
      b.tsEvent,
      b.tsInit,
    );
  });
  const engine = new BacktestEngine({
    seed: 42,
    venues: [
      {
        name: id.venue,
        accountType: "cash",
        startingBalances: [`${o.cash} QUOTE`],
        fillModel: "bars",
        fees: { maker: o.commission, taker: o.commission },
      },
    ],
    instruments: [instrument],
    reportingCurrency: quote,
    equitySampleUs: barType.spec.intervalMicros(),
  });
  const strategy = spec.create("S-001", { ...o.params, size: o.size }, barType);
  engine.addStrategy(strategy);
  const total = bars.length;
  const result = await engine.run(
    bars,
    o.onProgress === undefined ? undefined : (n) => o.onProgress?.(n, total),
  );
  return { result, bars, instrument };
}

/** Total commission of every fill, exact, in the fills' currency. */
function feesText(r: BacktestResult): string {
  if (r.fills.length === 0) return "0";
  let total = r.fills[0].commission;
  for (let i = 1; i < r.fills.length; i++) total = total.add(r.fills[i].commission);
  return total.toString();
}

function jsonNumber(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** The JSON contract of the quick form. */
export function quickJson(out: QuickBacktestOutput): unknown {
  const r = out.result;
  return {
    instrument: out.instrument.id.value,
    trades: r.trades.map((t) => ({
      side: t.side,
      qty: t.qty,
      entryTime: microsToIso(t.entryTime),
      entryPrice: t.entryPrice,
      exitTime: microsToIso(t.exitTime),
      exitPrice: t.exitPrice,
      pnl: t.pnl,
      fees: t.fees,
    })),
    fills: r.fills.map((f) => ({
      time: microsToIso(f.tsEvent),
      side: f.orderSide,
      qty: f.lastQty.toString(),
      price: f.lastPx.toString(),
      fee: f.commission.toDecimalString(),
      clientOrderId: f.clientOrderId.value,
    })),
    openPosition: r.positions
      .filter((p) => p.isOpen)
      .map((p) => ({ qty: p.signedQty, entryPrice: p.avgPxOpen })),
    startEquity: r.startEquity.toDecimalString(),
    finalEquity: r.finalEquity.toDecimalString(),
    stats: Object.fromEntries(Object.entries(r.stats).map(([k, v]) => [k, jsonNumber(v)])),
  };
}

/** `botv6 backtest --config FILE`: the `backtest` section of a config file. */
async function runFullForm(opts: Record<string, unknown>, io: CliIO): Promise<void> {
  const file = opts.config as string;
  const loaded = loadConfig({ file });
  const cfg = loaded.config.backtest;
  if (cfg === undefined) {
    io.err(`botv6 backtest: ${file} has no backtest section\n`);
    io.setExitCode(EXIT_BAD_INPUT);
    return;
  }
  let bar: SingleBar | null = null;
  let result: BacktestResult;
  let liquidations: unknown[];
  try {
    const out = await runConfiguredBacktest(cfg, loaded.config.seed, dirname(resolve(file)), (n) => {
      if (bar === null && n < 500_000) return;
      if (bar === null) {
        bar = new SingleBar({
          stream: process.stderr,
          noTTYOutput: true,
          notTTYSchedule: 2000,
          format: "backtest {value} events",
        });
        bar.start(0, 0);
      }
      bar.update(n);
    });
    result = out.result;
    liquidations = out.engine.liquidations;
  } catch (e) {
    (bar as SingleBar | null)?.stop();
    if (
      e instanceof StrategyError ||
      (e instanceof BotV6Error && (e.code === "STRATEGY_UNKNOWN" || e.code === "BACKTEST_CONFIG"))
    ) {
      io.err(`botv6 backtest: ${e.message}\n`);
      io.setExitCode(EXIT_BAD_INPUT);
      return;
    }
    throw e;
  }
  (bar as SingleBar | null)?.stop();
  if (opts.report !== undefined) {
    writeFileSync(
      opts.report as string,
      renderHtmlReport(result, {
        title: `Backtest: ${file}`,
        subtitle: [`strategies: ${cfg.strategies.map((s) => s.name).join(", ")}`],
      }),
    );
  }
  if (opts.json) {
    io.out(
      `${JSON.stringify(
        {
          trades: result.trades.map((t) => ({
            ...t,
            entryTime: microsToIso(t.entryTime),
            exitTime: microsToIso(t.exitTime),
          })),
          fills: result.fills.map((f) => ({
            time: microsToIso(f.tsEvent),
            strategy: f.strategyId.value,
            instrument: f.instrumentId.value,
            side: f.orderSide,
            qty: f.lastQty.toString(),
            price: f.lastPx.toString(),
            fee: f.commission.toString(),
          })),
          liquidations,
          startEquity: result.startEquity.toDecimalString(),
          finalEquity: result.finalEquity.toDecimalString(),
          stats: Object.fromEntries(Object.entries(result.stats).map(([k, v]) => [k, jsonNumber(v)])),
        },
        null,
        2,
      )}\n`,
    );
  } else {
    io.out(
      `backtest ${file}: ${result.events} events, orders ${result.orders.length}, fills ${result.fills.length}, trades ${result.trades.length}\n` +
        `equity ${result.startEquity} → ${result.finalEquity} (${(result.stats.totalReturn * 100).toFixed(3)} %)\n` +
        (opts.report === undefined ? "" : `report: ${opts.report}\n`),
    );
  }
}

export function registerBacktestCommand(program: Command, io: CliIO): void {
  program
    .command("backtest")
    .description(
      "backtest a built-in strategy on a candle file (quick form); strategies: " +
        BUILTIN_STRATEGIES.filter((s) => s.data === "bars")
          .map((s) => s.name)
          .join(", "),
    )
    .option("-c, --config <file>", "full form: run the backtest section of a config file")
    .option(
      "-d, --data <file>",
      "quick form: candle file (CSV time,open,high,low,close,volume; freqtrade JSON; ...)",
    )
    .option("-s, --strategy <name>", "quick form: strategy name")
    .option("-p, --param <k=v>", "strategy parameter (repeatable)", collect, [])
    .option("--cash <amount>", "starting cash in the quote currency", "10000")
    .option("--commission <rate>", "commission rate per fill, e.g. 0.001", "0")
    .option("--size <qty>", "order size", "1")
    .option("--price-precision <digits>", "price decimals (default: inferred from the data)")
    .option("--format <format>", "force the input format")
    .option("--json", "print the result as JSON")
    .option("--report <file>", "write a self-contained HTML report")
    .action(async (opts: Record<string, unknown>) => {
      if (opts.config !== undefined) {
        await runFullForm(opts, io);
        return;
      }
      if (opts.data === undefined || opts.strategy === undefined) {
        io.err("botv6 backtest: give --config FILE, or --data FILE and --strategy NAME\n");
        io.setExitCode(EXIT_BAD_INPUT);
        return;
      }
      const params: Record<string, string> = {};
      for (const kv of opts.param as string[]) {
        const eq = kv.indexOf("=");
        if (eq <= 0) {
          io.err(`botv6 backtest: --param expects key=value, got "${kv}"\n`);
          io.setExitCode(EXIT_BAD_INPUT);
          return;
        }
        params[kv.slice(0, eq)] = kv.slice(eq + 1);
      }
      let bar: SingleBar | null = null;
      try {
        const out = await runQuickBacktest({
          data: opts.data as string,
          strategy: opts.strategy as string,
          params,
          cash: opts.cash as string,
          commission: opts.commission as string,
          size: opts.size as string,
          pricePrecision: opts.pricePrecision === undefined ? undefined : Number(opts.pricePrecision),
          format: opts.format as string | undefined,
          onProgress: (done, total) => {
            if (total < 200_000) return;
            if (bar === null) {
              bar = new SingleBar({
                stream: process.stderr,
                noTTYOutput: true,
                notTTYSchedule: 2000,
                format: "backtest [{bar}] {percentage}% | {value}/{total} bars",
              });
              bar.start(total, 0);
            }
            bar.update(done);
          },
        });
        (bar as SingleBar | null)?.stop();
        if (opts.report !== undefined) {
          writeFileSync(
            opts.report as string,
            renderHtmlReport(out.result, {
              title: `Backtest: ${opts.strategy} on ${out.instrument.id.value}`,
              subtitle: [
                `data: ${opts.data}`,
                `params: ${JSON.stringify(params)}, size ${opts.size}, commission ${opts.commission}, cash ${opts.cash}`,
              ],
              candles: out.bars.map((b) => ({
                time: b.tsOpen,
                open: b.open.toNumber(),
                high: b.high.toNumber(),
                low: b.low.toNumber(),
                close: b.close.toNumber(),
              })),
            }),
          );
        }
        if (opts.json) {
          io.out(`${JSON.stringify(quickJson(out), null, 2)}\n`);
        } else {
          const r = out.result;
          const s = r.stats;
          io.out(
            [
              `backtest ${opts.strategy} on ${out.instrument.id.value}: ${out.bars.length} bars, ${microsToIso(r.startTime)} → ${microsToIso(r.endTime)}`,
              `trades ${r.trades.length}, fills ${r.fills.length}, fees ${feesText(r)}`,
              `equity ${r.startEquity.toDecimalString()} → ${r.finalEquity.toDecimalString()} (${(s.totalReturn * 100).toFixed(2)} %)`,
              `sharpe ${s.sharpe.toFixed(3)}, sortino ${s.sortino.toFixed(3)}, max drawdown ${(s.maxDrawdown * 100).toFixed(2)} %, win rate ${(s.winRate * 100).toFixed(1)} %`,
              ...(opts.report === undefined ? [] : [`report: ${opts.report}`]),
              "",
            ].join("\n"),
          );
        }
      } catch (e) {
        (bar as SingleBar | null)?.stop();
        if (
          e instanceof StrategyError ||
          (e instanceof BotV6Error && (e.code === "STRATEGY_UNKNOWN" || e.code === "BACKTEST_ARG"))
        ) {
          io.err(`botv6 backtest: ${e.message}\n`);
          io.setExitCode(EXIT_BAD_INPUT);
          return;
        }
        if (e instanceof BotV6Error) {
          io.err(`botv6 backtest: ${e.message}\n`);
          io.setExitCode(EXIT_FAILURE);
          return;
        }
        throw e;
      }
    });
}
