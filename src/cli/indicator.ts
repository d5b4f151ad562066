/**
 * `botv6 indicator NAME --input FILE [--param k=v ...] [--csv|--json]` and
 * `botv6 indicator --list`: one indicator over a candle file, one output row per input bar.
 *
 * Bars come from any candle format the data module reads (plain CSV `time,open,high,low,close,
 * volume`, freqtrade JSON, ...). Each row is `time` then the indicator's output columns, empty
 * (CSV) or null (JSON) where the indicator is not yet defined. `time` is echoed as written in
 * the input (CSV), as epoch milliseconds for freqtrade JSON, or as ISO-8601 with `--time iso`.
 * Errors: an unknown indicator or bad parameter exits 2; a data problem exits 1 naming the file,
 * line and field.
 */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { readMarketData } from "../data/files/index.js";
import { isGzipFile, readAllText } from "../data/files/lines.js";
import { IndicatorError } from "../indicators/errors.js";
import { getIndicator, listIndicators, type ParamValue, parseParamArgs } from "../indicators/registry.js";
import { Bar } from "../model/data.js";
import { microsToIso } from "../model/time.js";
import { type CliIO, EXIT_BAD_INPUT, EXIT_FAILURE } from "./main.js";

const TIME_MODES = ["input", "iso", "ms", "us", "s"] as const;

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Time cells of a CSV candle file, in row order (null for other formats). */
async function csvTimeCells(file: string): Promise<string[] | null> {
  const text = isGzipFile(file) ? await readAllText(file) : readFileSync(file, "utf8");
  const lines = text.split(/\r?\n/);
  const header = lines[0]?.split(",").map((h) => h.trim().toLowerCase()) ?? [];
  const col = ["time", "timestamp", "open_time", "date", "datetime"]
    .map((c) => header.indexOf(c))
    .find((i) => i >= 0);
  if (col === undefined || header.length < 5) return null;
  const out: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const l = lines[i];
    if (l.trim() === "") continue;
    out.push(l.split(",")[col].trim());
  }
  return out;
}

function formatTime(
  us: number,
  mode: (typeof TIME_MODES)[number],
  cell: string | undefined,
): string | number {
  switch (mode) {
    case "iso":
      return microsToIso(us);
    case "ms":
      return Math.floor(us / 1000);
    case "us":
      return us;
    case "s":
      return Math.floor(us / 1_000_000);
    default:
      return cell ?? Math.floor(us / 1000);
  }
}

function num(v: number): string {
  return Number.isNaN(v) ? "" : String(v);
}

export function registerIndicatorCommand(program: Command, io: CliIO): void {
  program
    .command("indicator")
    .description("compute one indicator over a candle file (botv6 indicator --list shows them all)")
    .argument("[name]", "indicator name, e.g. rsi, macd, bbands")
    .option("-i, --input <file>", "candle file (CSV time,open,high,low,close,volume; freqtrade JSON; ...)")
    .option("-p, --param <k=v>", "indicator parameter (repeatable), e.g. --param period=14", collect, [])
    .option("--csv", "CSV output (the default)")
    .option("--json", "JSON output")
    .option("--list", "list indicators with their parameters and output columns")
    .option("--format <format>", "force the input format instead of detecting it")
    .option("--instrument <id>", "SYMBOL.VENUE label for files that name none")
    .option("--time <mode>", `time column: ${TIME_MODES.join(" | ")}`, "input")
    .action(async (name: string | undefined, opts: Record<string, unknown>) => {
      if (opts.list) {
        const specs = listIndicators();
        if (opts.json) {
          const out = specs.map((s) => ({
            name: s.name,
            title: s.title,
            inputs: s.inputs,
            params: s.params.map((p) => ({
              name: p.name,
              type: p.type,
              default: p.default,
              choices: p.choices,
            })),
            outputs: s.outputs,
          }));
          io.out(`${JSON.stringify(out, null, 2)}\n`);
        } else {
          for (const s of specs) {
            const params = s.params.map((p) => `${p.name}=${p.default}`).join(" ");
            io.out(
              `${s.name.padEnd(16)} ${s.title}\n${"".padEnd(16)} params: ${params || "(none)"}\n${"".padEnd(16)} outputs: ${s.outputs.join(", ")}\n`,
            );
          }
        }
        return;
      }
      const bad = (msg: string) => {
        io.err(`botv6 indicator: ${msg}\n`);
        io.setExitCode(EXIT_BAD_INPUT);
      };
      if (name === undefined) return bad("name an indicator, or use --list");
      const input = opts.input as string | undefined;
      if (input === undefined) return bad("--input FILE is required");
      const mode = String(opts.time) as (typeof TIME_MODES)[number];
      if (!(TIME_MODES as readonly string[]).includes(mode))
        return bad(`--time must be one of ${TIME_MODES.join(", ")}`);
      if (opts.csv && opts.json) return bad("choose one of --csv and --json");
      let spec: ReturnType<typeof getIndicator>;
      let params: Record<string, ParamValue>;
      try {
        spec = getIndicator(name);
        params = spec.resolveParams(parseParamArgs(spec.name, opts.param as string[]));
      } catch (e) {
        if (e instanceof IndicatorError) return bad(e.message);
        throw e;
      }
      const ind = spec.create(params);
      const cells = mode === "input" ? await csvTimeCells(input) : null;
      const row = new Float64Array(spec.inputs.length);
      const out = new Float64Array(spec.outputs.length);
      const json = Boolean(opts.json);
      const rows: (string | number | null)[][] = [];
      const lines: string[] = json ? [] : [["time", ...spec.outputs].join(",")];
      let i = 0;
      const reader = readMarketData([input], {
        format: opts.format as string | undefined,
        instrument: opts.instrument as string | undefined,
      });
      for await (const rec of reader) {
        const bar = rec.data;
        if (!(bar instanceof Bar)) {
          io.err(`botv6 indicator: ${input}: holds ${bar.constructor.name} records, not candles\n`);
          io.setExitCode(EXIT_FAILURE);
          return;
        }
        for (let k = 0; k < spec.inputs.length; k++) {
          const c = spec.inputs[k];
          row[k] =
            c === "time"
              ? bar.tsOpen
              : c === "open"
                ? bar.open.toNumber()
                : c === "high"
                  ? bar.high.toNumber()
                  : c === "low"
                    ? bar.low.toNumber()
                    : c === "close"
                      ? bar.close.toNumber()
                      : bar.volume.toNumber();
        }
        try {
          ind.update(row);
        } catch (e) {
          if (e instanceof IndicatorError) {
            io.err(`botv6 indicator: ${input}:${rec.line}: ${e.message}\n`);
            io.setExitCode(EXIT_FAILURE);
            return;
          }
          throw e;
        }
        ind.read(out);
        const t = formatTime(bar.tsOpen, mode, cells?.[i]);
        if (json) rows.push([t, ...Array.from(out, (v) => (Number.isNaN(v) ? null : v))]);
        else lines.push([t, ...Array.from(out, num)].join(","));
        i++;
      }
      if (json) {
        const objects = rows.map((r) =>
          Object.fromEntries(["time", ...spec.outputs].map((k, j) => [k, r[j]])),
        );
        io.out(
          `${JSON.stringify({ indicator: spec.name, params, columns: ["time", ...spec.outputs], rows: objects })}\n`,
        );
      } else {
        io.out(`${lines.join("\n")}\n`);
      }
    });
}
