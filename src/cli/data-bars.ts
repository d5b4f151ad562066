/**
 * `botv6 data bars FILE (--interval I | --ticks N | --volume V | --value V) [--csv|--json]`:
 * aggregates a trades file into bars and prints `time,open,high,low,close,volume`, where
 * `time` is the bar's open time (ISO-8601 UTC, microseconds) and prices/volumes are exact
 * decimal strings. Time bars include Binance-style empty bars unless `--no-empty`.
 *
 * Exit codes: 2 for bad arguments (unknown interval, no/several bar kinds, missing file),
 * 1 for bad data (unreadable rows, trades out of time order).
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
  empty: boolean;
}

const DECIMAL = /^\d+(\.\d+)?$/;

/**
 * Trades of a file in file order, through the shared readers (`readMarketData`). Records of
 * other kinds are counted in `skipped` (the command reports them).
 */
export async function* readTradesFile(
  file: string,
  format: string | undefined,
  instrument: InstrumentId | undefined,
  skipped: { count: number },
): AsyncGenerator<TradeTick> {
  const reader = readMarketData([file], { format, instrument: instrument?.value });
  for await (const rec of reader) {
    if (rec.data instanceof TradeTick) yield rec.data;
    else skipped.count++;
  }
}

function badArgument(cmd: Command, message: string): never {
  cmd.error(`error: ${message}`, { exitCode: 2, code: "botv6.badArgument" });
  throw new Error("unreachable");
}

function specFromOptions(cmd: Command, o: BarsOptions): { spec: BarSpecification; threshold?: string } {
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
      return { spec: parseBarInterval(o.interval) };
    } catch (e) {
      if (e instanceof BarIntervalError) badArgument(cmd, e.message);
      throw e;
    }
  }
  if (o.ticks !== undefined) {
    if (!/^\d+$/.test(o.ticks) || Number(o.ticks) <= 0 || !Number.isSafeInteger(Number(o.ticks))) {
      badArgument(cmd, `--ticks "${o.ticks}" must be a positive integer`);
    }
    return { spec: new BarSpecification(Number(o.ticks), BarAggregation.Tick, PriceType.Last) };
  }
  const kind = o.volume !== undefined ? "volume" : "value";
  const text = (o.volume ?? o.value) as string;
  if (!DECIMAL.test(text) || Number(text) <= 0)
    badArgument(cmd, `--${kind} "${text}" must be a positive decimal`);
  const agg = kind === "volume" ? BarAggregation.Volume : BarAggregation.Value;
  const integer = /^\d+$/.test(text) && Number.isSafeInteger(Number(text));
  // A BarSpecification step is an integer; fractional thresholds travel as an option.
  return integer
    ? { spec: new BarSpecification(Number(text), agg, PriceType.Last) }
    : { spec: new BarSpecification(1, agg, PriceType.Last), threshold: text };
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
    .option("--no-empty", "time bars: skip intervals without trades")
    .action(async (file: string, o: BarsOptions, cmd: Command) => {
      if (o.csv && o.json) badArgument(cmd, "choose --csv or --json, not both");
      const { spec, threshold } = specFromOptions(cmd, o);
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
      for await (const t of readTradesFile(file, o.format, instrument, skipped)) {
        if (instrument !== undefined && t.instrumentId !== instrument) {
          skipped.count++;
          continue;
        }
        n++;
        if (aggregator !== null && t.instrumentId !== aggregator.barType.instrumentId) {
          flushOut();
          throw new BarAggregationError(
            "BARS_SEVERAL_INSTRUMENTS",
            `${file}: trade #${n} is of ${t.instrumentId}, earlier trades of ${aggregator.barType.instrumentId}; choose one with --instrument`,
            { file, index: n },
          );
        }
        if (aggregator === null) {
          const bt = new BarType(t.instrumentId, spec, AggregationSource.Internal);
          aggregator = createBarAggregator(bt, onBar, { emitEmpty: o.empty, threshold });
        }
        try {
          aggregator.handleTrade(t);
        } catch (e) {
          if (e instanceof BarAggregationError) {
            flushOut();
            throw new BarAggregationError(e.code, `${file}: trade #${n}: ${e.message}`, {
              ...e.details,
              file,
              index: n,
            });
          }
          throw e;
        }
      }
      aggregator?.flush();
      if (skipped.count > 0) {
        const what = instrument === undefined ? "trades" : `trades of ${instrument}`;
        io.err(`note: ${file}: ${skipped.count} records that are not ${what} were not aggregated\n`);
      }
      if (n === 0) io.err(`note: ${file}: no trades, no bars\n`);
      if (json) buffer.push(first ? "[]\n" : "\n]\n");
      flushOut();
    });
}
