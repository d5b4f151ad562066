/**
 * Benchmark runner: `npm run bench -- NAME [NAME ...]` (or `all`).
 *
 * Each benchmark lives in `bench/<name>.bench.ts` and exports
 * `run(ctx: BenchContext): Promise<void>`; every record it emits is printed as one JSON line
 * on stdout, tagged with the benchmark name, so the output can be piped into `jq` or stored.
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { BenchContext, BenchRecord } from "./harness.js";

const here = dirname(fileURLToPath(import.meta.url));

function available(): string[] {
  return readdirSync(here)
    .filter((f) => f.endsWith(".bench.ts"))
    .map((f) => f.slice(0, -".bench.ts".length))
    .sort();
}

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => a !== "--");
  const names = available();
  if (args.length === 0 || args.includes("--help") || args.includes("-h")) {
    process.stderr.write(`usage: npm run bench -- NAME [NAME ...] | all\navailable: ${names.join(", ")}\n`);
    process.exitCode = args.length === 0 ? 2 : 0;
    return;
  }
  const selected = args.includes("all") ? names : args;
  for (const name of selected) {
    if (!names.includes(name)) {
      process.stderr.write(`bench: unknown benchmark "${name}"; available: ${names.join(", ")}\n`);
      process.exitCode = 2;
      return;
    }
  }
  for (const name of selected) {
    const mod = (await import(pathToFileURL(join(here, `${name}.bench.ts`)).href)) as {
      run: (ctx: BenchContext) => Promise<void>;
    };
    const ctx: BenchContext = {
      emit(record: BenchRecord) {
        process.stdout.write(`${JSON.stringify({ bench: name, ...record })}\n`);
      },
    };
    await mod.run(ctx);
  }
}

await main();
