/**
 * `botv6 data import FILE... --catalog DIR` and `botv6 data list --catalog DIR [--json]`.
 *
 * Import normalises each file and merges it into the catalog's day partitions (idempotent:
 * records already stored are skipped), with a progress bar on stderr (plain lines when
 * stderr is not a terminal, so CI logs stay readable). Exit codes: 2 for bad arguments
 * (missing file, missing catalog directory for `list`), 1 for bad data or an empty catalog.
 */
import { existsSync, statSync } from "node:fs";
import { Writable } from "node:stream";
import cliProgress from "cli-progress";
import type { Command } from "commander";
import { type CatalogWriter, checkStorable, DataCatalog } from "../data/catalog/catalog.js";
import { readMarketData } from "../data/files/index.js";
import { BotV6Error } from "../model/errors.js";
import { InstrumentId } from "../model/identifiers.js";
import { microsToIso } from "../model/time.js";
import type { CliIO } from "./main.js";

function badArgument(cmd: Command, message: string): never {
  cmd.error(`error: ${message}`, { exitCode: 2, code: "botv6.badArgument" });
  throw new Error("unreachable");
}

/** Progress output: the real terminal when stderr is one, else plain lines through `io.err`. */
function progressStream(io: CliIO): NodeJS.WritableStream {
  if (process.stderr.isTTY && process.env.CI !== "true") return process.stderr;
  return new Writable({
    write(chunk, _enc, cb) {
      io.err(String(chunk));
      cb();
    },
  });
}

export function registerDataCatalogCommands(data: Command, io: CliIO): void {
  data
    .command("import")
    .description(
      "import market data files into a Parquet catalog (idempotent; partitioned by venue/instrument/type/day)",
    )
    .argument("<files...>", "input files")
    .requiredOption("--catalog <dir>", "catalog directory (created if missing)")
    .option("--format <format>", "input format, passed to the file readers (default: detect)")
    .option("--instrument <id>", "instrument id SYMBOL.VENUE when the file does not tell")
    .option("--no-progress", "no progress bar")
    .action(
      async (
        files: string[],
        o: { catalog: string; format?: string; instrument?: string; progress: boolean },
        cmd: Command,
      ) => {
        for (const f of files)
          if (!existsSync(f) || !statSync(f).isFile()) badArgument(cmd, `${f}: no such file`);
        if (existsSync(o.catalog) && !statSync(o.catalog).isDirectory()) {
          badArgument(cmd, `--catalog ${o.catalog} is not a directory`);
        }
        let instrument: InstrumentId | undefined;
        if (o.instrument !== undefined) {
          try {
            instrument = InstrumentId.parse(o.instrument);
          } catch (e) {
            badArgument(cmd, (e as Error).message);
          }
        }
        const catalog = new DataCatalog(o.catalog);
        const bar = o.progress
          ? new cliProgress.SingleBar(
              {
                stream: progressStream(io),
                noTTYOutput: true,
                notTTYSchedule: 1000,
                format:
                  "import {file} | {value} records read | {partitions} partition(s) written | {added} added, {duplicates} already stored",
                hideCursor: false,
              },
              cliProgress.Presets.legacy,
            )
          : null;
        let added = 0;
        let duplicates = 0;
        let received = 0;
        try {
          // Pass 1: read every file completely before writing anything, so bad data (a malformed
          // line, an unsupported record type) fails the import with nothing applied.
          for (const file of files) {
            for await (const rec of readMarketData([file], {
              format: o.format,
              instrument: instrument?.value,
            })) {
              try {
                checkStorable(rec.data);
              } catch (e) {
                if (e instanceof BotV6Error) {
                  throw new BotV6Error(
                    e.code,
                    `${rec.file}:${rec.line}: ${e.message}; nothing was imported`,
                    e.details,
                  );
                }
                throw e;
              }
            }
          }
          for (const file of files) {
            const payload = (w: CatalogWriter) => ({
              file,
              partitions: w.stats.partitions,
              added: w.stats.added,
              duplicates: w.stats.duplicates,
            });
            const writer: CatalogWriter = catalog.writer(() =>
              bar?.update(writer.stats.received, payload(writer)),
            );
            bar?.start(0, 0, payload(writer));
            for await (const rec of readMarketData([file], {
              format: o.format,
              instrument: instrument?.value,
            })) {
              await writer.add(rec.data);
              if (writer.stats.received % 10_000 === 0) bar?.update(writer.stats.received, payload(writer));
            }
            const stats = await writer.finish();
            bar?.update(stats.received, payload(writer));
            bar?.stop();
            received += stats.received;
            added += stats.added;
            duplicates += stats.duplicates;
            io.out(
              `${file}: ${stats.received} records, ${stats.added} added, ${stats.duplicates} already in the catalog, ${stats.partitions} partition(s)\n`,
            );
          }
        } finally {
          bar?.stop();
        }
        if (files.length > 1)
          io.out(`total: ${received} records, ${added} added, ${duplicates} already in the catalog\n`);
      },
    );

  data
    .command("list")
    .description("list the catalog's series: instrument, type, time range, rows")
    .requiredOption("--catalog <dir>", "catalog directory")
    .option("--json", "print JSON")
    .action(async (o: { catalog: string; json?: boolean }, cmd: Command) => {
      if (!existsSync(o.catalog) || !statSync(o.catalog).isDirectory()) {
        badArgument(cmd, `--catalog ${o.catalog}: no such directory`);
      }
      const streams = await new DataCatalog(o.catalog).streams();
      const rows = streams.map((s) => ({
        instrument: s.instrumentId.value,
        type:
          s.dataType === "bars" && s.barType !== null
            ? `bars ${s.barType.spec}-${s.barType.source}`
            : s.dataType,
        start: microsToIso(s.tsMin),
        end: microsToIso(s.tsMax),
        rows: s.rows,
        records: s.records,
        partitions: s.partitions.length,
      }));
      if (o.json) {
        io.out(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      const header = ["instrument", "type", "start", "end", "rows", "partitions"];
      const table = [
        header,
        ...rows.map((r) => [r.instrument, r.type, r.start, r.end, String(r.rows), String(r.partitions)]),
      ];
      const widths = header.map((_, c) => Math.max(...table.map((r) => r[c].length)));
      for (const r of table) {
        io.out(
          `${r
            .map((v, c) => (c >= 4 ? v.padStart(widths[c]) : v.padEnd(widths[c])))
            .join("  ")
            .trimEnd()}\n`,
        );
      }
    });
}
