/**
 * Process-level runtime policy of the `botv6` command.
 *
 * **Memory.** V8 lets the old generation grow well past the live heap before a full collection
 * (its growing factor adapts between 1.1× and 4× of the live size). A long backtest promotes
 * short-lived order objects into the old generation, so its resident memory follows that slack
 * rather than what is alive: a 10 M-event market-maker run peaked at 427 MB RSS with V8's
 * defaults against ~180 MB live. Bounding the growth to 60 % of the live size per cycle keeps
 * the same run at ~355 MB with no measurable loss of speed (`npm run bench -- backtest`,
 * docs/benchmarks.md). The bound is V8's `--heap-growing-percent`, which V8 reads at every
 * collection, so it can be set at start-up from code.
 *
 * `BOTV6_HEAP_GROWING_PERCENT` overrides it (an integer 1–1000; `0` leaves V8's own policy).
 */
import { setFlagsFromString } from "node:v8";
import { BotV6Error } from "../model/errors.js";

export const DEFAULT_HEAP_GROWING_PERCENT = 60;

/**
 * The heap growth bound to apply: `env.BOTV6_HEAP_GROWING_PERCENT` if set, else the default.
 * `null` means "leave V8's policy". A malformed value is an error naming the variable.
 */
export function heapGrowingPercent(env: NodeJS.ProcessEnv = process.env): number | null {
  const text = env.BOTV6_HEAP_GROWING_PERCENT;
  if (text === undefined || text === "") return DEFAULT_HEAP_GROWING_PERCENT;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(n) || n > 1000) {
    throw new BotV6Error(
      "RUNTIME_BAD_SETTING",
      `BOTV6_HEAP_GROWING_PERCENT must be an integer from 0 (V8's own policy) to 1000, got "${text}"`,
      { variable: "BOTV6_HEAP_GROWING_PERCENT", value: text },
    );
  }
  return n === 0 ? null : n;
}

/** Applies the memory policy to this process (idempotent); returns the bound applied or null. */
export function applyMemoryPolicy(env: NodeJS.ProcessEnv = process.env): number | null {
  const percent = heapGrowingPercent(env);
  if (percent !== null) setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}
