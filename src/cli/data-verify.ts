/**
 * `botv6 data verify FILE... [--format F] [--json] [--skip-bad] [--instrument ID]`: integrity
 * check of a market-data capture. Rebuilds every instrument's order book under its venue's
 * sequencing rules and reports events applied, gaps, checksum checks, top-of-book checks and
 * the final book. Exit 0 when clean; 1 on any gap, checksum failure, id-matched top-of-book
 * mismatch or (without `--skip-bad`) malformed line. See docs/data.md.
 */
import type { Command } from "commander";
import { type InstrumentVerification, type VerifyResult, verifyCapture } from "../data/book/verify.js";
import { formatProblem } from "../data/files/index.js";
import type { CliIO } from "./main.js";

interface VerifyCliOptions {
  format?: string;
  json?: boolean;
  skipBad?: boolean;
  instrument?: string;
}

const MAX_LISTED = 20;

export function registerVerifyCommand(data: Command, io: CliIO): void {
  data
    .command("verify")
    .description(
      "rebuild every instrument's order book from a capture and check sequencing, checksums and top of book (exit 1 on any problem)",
    )
    .argument(
      "<files...>",
      "files of one capture, in time order (e.g. a WebSocket capture and its REST snapshot file)",
    )
    .option("-f, --format <format>", "force the file format instead of detecting it (see docs/data.md)")
    .option("--json", "print one JSON object with the per-instrument results")
    .option("--skip-bad", "continue past malformed lines: report their count but do not fail because of them")
    .option("--instrument <id>", "SYMBOL.VENUE for files whose rows name no instrument")
    .action(async (files: string[], opts: VerifyCliOptions) => {
      let listed = 0;
      const result = await verifyCapture(files, {
        format: opts.format,
        instrument: opts.instrument,
        onProblem: (p) => {
          if (listed++ < MAX_LISTED || !opts.skipBad) io.err(`bad input: ${formatProblem(p)}\n`);
        },
      });
      if (opts.json) {
        io.out(`${JSON.stringify({ instruments: result.instruments }, null, 2)}\n`);
        for (const line of diagnostics(result)) io.err(`${line}\n`);
      } else {
        io.out(humanReport(files, result, opts.skipBad === true));
      }
      const bad = result.problems.length;
      if (bad > MAX_LISTED && opts.skipBad) io.err(`bad input: ... ${bad - MAX_LISTED} more not listed\n`);
      if (bad > 0) {
        io.err(
          opts.skipBad
            ? `${bad} malformed line(s) skipped (--skip-bad)\n`
            : `${bad} malformed line(s); failing (pass --skip-bad to continue past them)\n`,
        );
      }
      const failed = result.failures > 0 || (bad > 0 && !opts.skipBad);
      io.setExitCode(failed ? 1 : 0);
    });
}

function diagnostics(r: VerifyResult): string[] {
  const out: string[] = [];
  for (const e of r.resyncs.slice(0, MAX_LISTED)) {
    out.push(`resync needed: ${e.instrumentId} at ${e.file}:${e.line}: ${e.reason}: ${e.message}`);
  }
  if (r.resyncs.length > MAX_LISTED) out.push(`resync needed: ... ${r.resyncs.length - MAX_LISTED} more`);
  const strict = r.mismatches.filter((m) => m.strict);
  const race = r.mismatches.filter((m) => !m.strict);
  for (const m of strict.slice(0, MAX_LISTED))
    out.push(`top-of-book mismatch: ${m.instrument} at ${m.file}:${m.line}: ${m.message}`);
  if (strict.length > MAX_LISTED) out.push(`top-of-book mismatch: ... ${strict.length - MAX_LISTED} more`);
  for (const m of race.slice(0, MAX_LISTED)) {
    out.push(
      `top-of-book differs (ticker race, not a failure): ${m.instrument} at ${m.file}:${m.line}: ${m.message}`,
    );
  }
  if (race.length > MAX_LISTED)
    out.push(`top-of-book differs (ticker race): ... ${race.length - MAX_LISTED} more`);
  return out;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

function row(i: InstrumentVerification): string[] {
  return [
    i.instrument,
    String(i.events),
    String(i.gaps),
    `${i.checksum.passed}/${i.checksum.passed + i.checksum.failed}`,
    `${i.topOfBook.matched}/${i.topOfBook.total}`,
    i.bestBid ?? "-",
    i.bestAsk ?? "-",
    `${i.bidLevels}/${i.askLevels}`,
  ];
}

function humanReport(files: string[], r: VerifyResult, skipBad: boolean): string {
  const lines: string[] = [];
  const s = r.stats;
  for (const f of files) lines.push(`${f}: ${s.formats[f] ?? "?"}`);
  lines.push(
    `${s.lines} lines, ${s.records} records, ${s.control} control messages, ${s.metadata} metadata lines, ${s.bad} malformed`,
  );
  lines.push("");
  const header = [
    "instrument",
    "events",
    "gaps",
    "checksums ok",
    "top-of-book ok",
    "best bid",
    "best ask",
    "levels bid/ask",
  ];
  const rows = [header, ...r.instruments.map(row)];
  const widths = header.map((_, k) => Math.max(...rows.map((x) => x[k].length)));
  for (const x of rows)
    lines.push(
      x
        .map((c, k) => pad(c, widths[k]))
        .join("  ")
        .trimEnd(),
    );
  if (r.instruments.length === 0) lines.push("(no order-book or quote data in these files)");
  lines.push("");
  r.instruments.forEach((i, k) => {
    const d = r.details[k];
    const notes: string[] = [`feed ${d.feed}`, `book ${d.state}`];
    if (d.stale > 0) notes.push(`${d.stale} diffs older than the snapshot dropped (venue sync procedure)`);
    if (d.unsynced > 0) notes.push(`${d.unsynced} updates received without a valid snapshot (not applied)`);
    if (d.crossed > 0) notes.push(`${d.crossed} crossed states`);
    if (d.snapshotsSkipped > 0)
      notes.push(`${d.snapshotsSkipped} REST snapshots received while in sync (not applied)`);
    if (d.deferredTopOfBook.total > 0) {
      notes.push(
        `${d.deferredTopOfBook.matched}/${d.deferredTopOfBook.total} quotes matched when the book reached their update id`,
      );
    }
    if (!d.strictTopOfBook && d.topOfBookMismatches > 0) {
      notes.push(`${d.topOfBookMismatches} ticker quotes differ (channel race; reported, not a failure)`);
    }
    notes.push(`${d.trades} trades, ${d.quotes} quotes`);
    lines.push(`${i.instrument}: ${notes.join("; ")}`);
  });
  const diag = diagnostics(r);
  if (diag.length > 0) lines.push("", ...diag);
  lines.push("");
  const bad = r.problems.length;
  if (r.failures === 0 && (bad === 0 || skipBad)) {
    lines.push(bad === 0 ? "result: OK" : `result: OK (${bad} malformed lines skipped)`);
  } else {
    const why: string[] = [];
    const gaps = r.instruments.reduce((a, i) => a + i.gaps, 0);
    const cks = r.instruments.reduce((a, i) => a + i.checksum.failed, 0);
    const tob = r.mismatches.filter((m) => m.strict).length;
    if (gaps > 0) why.push(`${gaps} gaps`);
    if (cks > 0) why.push(`${cks} checksum failures`);
    if (tob > 0) why.push(`${tob} top-of-book mismatches`);
    if (bad > 0 && !skipBad) why.push(`${bad} malformed lines`);
    lines.push(`result: FAILED (${why.join(", ")})`);
  }
  return `${lines.join("\n")}\n`;
}
