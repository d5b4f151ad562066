/**
 * Time is an integer count of **microseconds since the Unix epoch**, held in a `number`
 * (exact until the year 2255). Nanosecond inputs are converted exactly from their strings.
 */
import { BotV6Error } from "./errors.js";

/** Microseconds since 1970-01-01T00:00:00Z. */
export type UnixMicros = number;

export const MICROS_PER_MILLI = 1_000;
export const MICROS_PER_SECOND = 1_000_000;
export const MICROS_PER_MINUTE = 60_000_000;
export const MICROS_PER_HOUR = 3_600_000_000;
export const MICROS_PER_DAY = 86_400_000_000;

export class TimeError extends BotV6Error {}

export function checkMicros(t: number, what = "timestamp"): UnixMicros {
  if (!Number.isSafeInteger(t) || t < 0) {
    throw new TimeError("TIME_INVALID", `${what} ${t} is not a non-negative integer count of microseconds`, {
      value: t,
    });
  }
  return t;
}

export function millisToMicros(ms: number): UnixMicros {
  return checkMicros(Math.round(ms * 1000), "milliseconds");
}

export function secondsToMicros(s: number): UnixMicros {
  return checkMicros(Math.round(s * 1_000_000), "seconds");
}

/** Exact conversion of a nanosecond timestamp given as a string or BigInt (truncates below 1 µs). */
export function nanosToMicros(ns: string | bigint): UnixMicros {
  let big: bigint;
  try {
    big = typeof ns === "bigint" ? ns : BigInt(ns);
  } catch {
    throw new TimeError("TIME_INVALID", `"${ns}" is not an integer nanosecond timestamp`, {
      value: String(ns),
    });
  }
  return checkMicros(Number(big / 1000n), "nanoseconds");
}

/** Parses an ISO-8601 / RFC 3339 time (with up to 9 fraction digits; no zone means UTC). */
export function parseIsoToMicros(text: string): UnixMicros {
  const m = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/.exec(
    text.trim(),
  );
  if (m === null) {
    const dateOnly = /^(\d{4}-\d{2}-\d{2})$/.exec(text.trim());
    if (dateOnly !== null) return parseIsoToMicros(`${dateOnly[1]}T00:00:00Z`);
    throw new TimeError("TIME_INVALID", `"${text}" is not an ISO-8601 time`, { value: text });
  }
  const zone = m[4] === undefined ? "Z" : m[4];
  const ms = Date.parse(`${m[1]}T${m[2]}${zone}`);
  if (Number.isNaN(ms)) throw new TimeError("TIME_INVALID", `"${text}" is not a valid time`, { value: text });
  const frac = (m[3] ?? "").padEnd(6, "0").slice(0, 6);
  return checkMicros(ms * 1000 + Number(frac), `time "${text}"`);
}

/** ISO-8601 UTC with microseconds, e.g. `2024-08-08T23:59:59.123456Z`. */
export function microsToIso(t: UnixMicros): string {
  const ms = Math.floor(t / 1000);
  const micros = t - ms * 1000;
  const base = new Date(ms).toISOString(); // ...SS.mmmZ
  return `${base.slice(0, -1)}${String(micros).padStart(3, "0")}Z`;
}
