/**
 * `botv6 data bars FILE (--interval I | --ticks N | --volume V | --value V) [--price P] [--csv|--json]`:
 * aggregates a trades file (or, with `--price bid|ask|mid`, the quotes of a file) into bars and
 * prints `time,open,high,low,close,volume`, where
 * `time` is the bar's open time (ISO-8601 UTC, microseconds) and prices/volumes are exact
 * decimal strings. Time bars include Binance-style empty bars unless `--no-empty`.
 *
 * Exit codes: 2 for bad arguments (unknown interval or price type, no/several bar kinds,
 * missing file), 1 for bad data (unreadable rows, ticks out of time order, `--price bid|ask|mid`
 * on a file without quotes).
 */
import { existsSync, statSync } from "node:fs";
import type { Command } from "commander";
import { BarAggregationError, createBarAggregator } from "../data/bars/aggregator.js";
import { BarIntervalError, parseBarInterval } from "../data/bars/interval.js";
import { readMarketData } from "../data/files/index.js";
import {
  AggregationSource,
  type Bar,
  BarAggregation,
  BarSpecification,
  BarType,
  QuoteTick,
  TradeTick,
} from "../model/data.js";
import { PriceType } from "../model/enums.js";
import { InstrumentId } from "../model/identifiers.js";
import { microsToIso } from "../model/time.js";
import type { CliIO } from "./main.js";

interface BarsOptions {
  interval?: string;
  ticks?: string;
  volume?: string;
  value?: string;
  csv?: boolean;
  json?: boolean;
  format?: string;
  instrument?: string;
  price?: string;
  empty: boolean;
}

const PRICE_TYPES: Record<string, PriceType> = {
  last: PriceType.Last,
  bid: PriceType.Bid,
  ask: PriceType.Ask,
  mid: PriceType.Mid,
};

const DECIMAL = /^\d+(\.\d+)?$/;

/**
 * Records of one kind (`TradeTick` or `QuoteTick`) of a file in file order, through the shared
 * readers (`readMarketData`). Records of other kinds are counted in `skipped` (the command
 * reports them).
 */
export async function* readTicksFile<T extends TradeTick | QuoteTick>(
  file: string,
  format: string | undefined,
  instrument: InstrumentId | undefined,
  skipped: { count: number },
  kind: abstract new (...args: never[]) => T,
): AsyncGenerator<T> {
  const reader = readMarketData([file], { format, instrument: instrument?.value });
  for await (const rec of reader) {
    if (rec.data instanceof kind) yield rec.data as T;
    else skipped.count++;
  }
}

/** Trades of a file in file order (see {@link readTicksFile}). */
export function readTradesFile(
  file: string,
  format: string | undefined,
  instrument: InstrumentId | undefined,
  skipped: { count: number },
): AsyncGenerator<TradeTick> {
  return readTicksFile(file, format, instrument, skipped, TradeTick);
}

function badArgument(cmd: Command, message: string): never {
  cmd.error(`error: ${message}`, { exitCode: 2, code: "botv6.badArgument" });
  throw new Error("unreachable");
}

function priceTypeFromOptions(cmd: Command, o: BarsOptions): PriceType {
  if (o.price === undefined) return PriceType.Last;
  const pt = PRICE_TYPES[o.price.toLowerCase()];
  if (pt === undefined) {
    badArgument(
      cmd,
      `--price "${o.price}": unknown price type; choose last (trades), bid, ask or mid (quotes)`,
    );
  }
  return pt;
}

function specFromOptions(
  cmd: Command,
  o: BarsOptions,
  priceType: PriceType,
): { spec: BarSpecification; threshold?: string } {
  const given = (["interval", "ticks", "volume", "value"] as const).filter((k) => o[k] !== undefined);
  if (given.length !== 1) {
    badArgument(
      cmd,
      given.length === 0
        ? "choose the kind of bars: --interval I, --ticks N, --volume V or --value V"
        : `choose one kind of bars, not ${given.map((g) => `--${g}`).join(" and ")}`,
    );
  }
  if (o.interval !== undefined) {
    try {
      return { spec: parseBarInterval(o.interval, priceType) };
    } catch (e) {
      if (e instanceof BarIntervalError) badArgument(cmd, e.message);
      throw e;
    }
  }
  if (o.ticks !== undefined) {
    if (!/^\d+$/.test(o.ticks) || Number(o.ticks) <= 0 || !Number.isSafeInteger(Number(o.ticks))) {
      badArgument(cmd, `--ticks "${o.ticks}" must be a positive integer`);
    }
    return { spec: new BarSpecification(Number(o.ticks), BarAggregation.Tick, priceType) };
  }
  const kind = o.volume !== undefined ? "volume" : "value";
  const text = (o.volume ?? o.value) as string;
  if (!DECIMAL.test(text) || Number(text) <= 0)
    badArgument(cmd, `--${kind} "${text}" must be a positive decimal`);
  const agg = kind === "volume" ? BarAggregation.Volume : BarAggregation.Value;
  const integer = /^\d+$/.test(text) && Number.isSafeInteger(Number(text));
  // A BarSpecification step is an integer; fractional thresholds travel as an option.
  return integer
    ? { spec: new BarSpecification(Number(text), agg, priceType) }
    : { spec: new BarSpecification(1, agg, priceType), threshold: text };
}

export function registerDataBarsCommand(data: Command, io: CliIO): void {
  data
    .command("bars")
    .description(
      "aggregate a trades file into OHLCV bars (time bars aligned to UTC, tick, volume or value bars)",
    )
    .argument(
      "<file>",
      "trades file (any format the file readers know: freqtrade trades, trades CSV, captures, ...)",
    )
    .option("--interval <interval>", "time bars: 1s, 1m, 5m, 1h, 4h, 1d, 1w, 1M, 250ms, ...")
    .option("--ticks <n>", "tick bars: one bar every N trades")
    .option("--volume <v>", "volume bars: close when base volume reaches V")
    .option("--value <v>", "value (dollar) bars: close when quote notional reaches V")
    .option("--csv", "print CSV (default)")
    .option("--json", "print a JSON array of bars")
    .option("--format <format>", "input format, passed to the file readers (default: detect)")
    .option(
      "--instrument <id>",
      "SYMBOL.VENUE: the instrument to aggregate (files with several), or to assign (files that name none)",
    )
    .option(
      "--price <type>",
      "last (default: bars from trades) | bid | ask | mid (bars from quotes, e.g. bookTicker; volume = sum of quoted sizes)",
    )
    .option("--no-empty", "time bars: skip intervals without trades")
    .action(async (file: string, o: BarsOptions, cmd: Command) => {
      if (o.csv && o.json) badArgument(cmd, "choose --csv or --json, not both");
      const priceType = priceTypeFromOptions(cmd, o);
      const fromQuotes = priceType !== PriceType.Last;
      const tick = fromQuotes ? "quote" : "trade";
      const { spec, threshold } = specFromOptions(cmd, o, priceType);
      if (!existsSync(file) || !statSync(file).isFile()) badArgument(cmd, `${file}: no such file`);
      let instrument: InstrumentId | undefined;
      if (o.instrument !== undefined) {
        try {
          instrument = InstrumentId.parse(o.instrument);
        } catch (e) {
          badArgument(cmd, (e as Error).message);
        }
      }
      const json = o.json === true;
      let buffer: string[] = [];
      let first = true;
      const flushOut = () => {
        if (buffer.length > 0) io.out(buffer.join(""));
        buffer = [];
      };
      const onBar = (b: Bar) => {
        const time = microsToIso(b.tsOpen);
        if (json) {
          buffer.push(
            `${first ? "[\n" : ",\n"}${JSON.stringify({ time, open: b.open.toString(), high: b.high.toString(), low: b.low.toString(), close: b.close.toString(), volume: b.volume.toString() })}`,
          );
        } else {
          buffer.push(`${time},${b.open},${b.high},${b.low},${b.close},${b.volume}\n`);
        }
        first = false;
        if (buffer.length >= 4096) flushOut();
      };
      if (!json) buffer.push("time,open,high,low,close,volume\n");
      let aggregator: ReturnType<typeof createBarAggregator> | null = null;
      let n = 0;
      const skipped = { count: 0 };
      const ticks = readTicksFile<TradeTick | QuoteTick>(
        file,
        o.format,
        instrument,
        skipped,
        fromQuotes ? QuoteTick : TradeTick,
      );
      for await (const t of ticks) {
        if (instrument !== undefined && t.instrumentId !== instrument) {
          skipped.count++;
          continue;
        }
        n++;
        if (aggregator !== null && t.instrumentId !== aggregator.barType.instrumentId) {
          flushOut();
          throw new BarAggregationError(
            "BARS_SEVERAL_INSTRUMENTS",
            `${file}: ${tick} #${n} is of ${t.instrumentId}, earlier ${tick}s of ${aggregator.barType.instrumentId}; choose one with --instrument`,
            { file, index: n },
          );
        }
        if (aggregator === null) {
          const bt = new BarType(t.instrumentId, spec, AggregationSource.Internal);
          aggregator = createBarAggregator(bt, onBar, {
            emitEmpty: o.empty,
            threshold,
            source: fromQuotes ? "quotes" : "trades",
          });
        }
        try {
          if (t instanceof QuoteTick) aggregator.handleQuote(t);
          else aggregator.handleTrade(t);
        } catch (e) {
          if (e instanceof BarAggregationError) {
            flushOut();
            throw new BarAggregationError(e.code, `${file}: ${tick} #${n}: ${e.message}`, {
              ...e.details,
              file,
              index: n,
            });
          }
          throw e;
        }
      }
      aggregator?.flush();
      if (n === 0 && fromQuotes) {
        buffer = []; // no header without bars: the command fails
        const what = instrument === undefined ? "quotes" : `quotes of ${instrument}`;
        throw new BarAggregationError(
          "BARS_NO_QUOTES",
          `${file}: no ${what} (${skipped.count} other records); --price ${o.price} aggregates quotes (bid/ask messages such as Binance bookTicker), use --price last for trades`,
          { file, records: skipped.count },
        );
      }
      if (skipped.count > 0) {
        const what = instrument === undefined ? `${tick}s` : `${tick}s of ${instrument}`;
        io.err(`note: ${file}: ${skipped.count} records that are not ${what} were not aggregated\n`);
      }
      if (n === 0) io.err(`note: ${file}: no trades, no bars\n`);
      if (json) buffer.push(first ? "[]\n" : "\n]\n");
      flushOut();
    });
}
