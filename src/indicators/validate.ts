/**
 * Parameter and input validation shared by all indicators. Parameter checks run once, in
 * constructors; input checks run on every update and are written so that V8 inlines them.
 */
import { IndicatorError } from "./errors.js";

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** An integer parameter in `[min, max]`. */
export function intParam(
  indicator: string,
  name: string,
  value: unknown,
  min: number,
  max = 1_000_000,
): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
    throw new IndicatorError(
      "INVALID_PARAMETER",
      indicator,
      name,
      value,
      `parameter "${name}" must be an integer in [${min}, ${max}], got ${show(value)}`,
    );
  }
  return value;
}

/** A finite number parameter; `min`/`max` bounds, `exclusiveMin` makes `min` itself invalid. */
export function numParam(
  indicator: string,
  name: string,
  value: unknown,
  min = Number.NEGATIVE_INFINITY,
  max = Number.POSITIVE_INFINITY,
  exclusiveMin = false,
): number {
  if (
    typeof value !== "number" ||
    !Number.isFinite(value) ||
    value > max ||
    value < min ||
    (exclusiveMin && value === min)
  ) {
    const lo = exclusiveMin ? `(${min}` : `[${min}`;
    throw new IndicatorError(
      "INVALID_PARAMETER",
      indicator,
      name,
      value,
      `parameter "${name}" must be a finite number in ${lo}, ${max}], got ${show(value)}`,
    );
  }
  return value;
}

/** One of a fixed set of string choices. */
export function enumParam<T extends string>(
  indicator: string,
  name: string,
  value: unknown,
  choices: readonly T[],
): T {
  if (typeof value !== "string" || !(choices as readonly string[]).includes(value)) {
    throw new IndicatorError(
      "INVALID_PARAMETER",
      indicator,
      name,
      value,
      `parameter "${name}" must be one of ${choices.map((c) => `"${c}"`).join(", ")}, got ${show(value)}`,
    );
  }
  return value as T;
}

/** A boolean parameter. */
export function boolParam(indicator: string, name: string, value: unknown): boolean {
  if (typeof value !== "boolean") {
    throw new IndicatorError(
      "INVALID_PARAMETER",
      indicator,
      name,
      value,
      `parameter "${name}" must be a boolean, got ${show(value)}`,
    );
  }
  return value;
}

/** Throws when `fast >= slow` (MACD, PPO, PVO, ...). */
export function requireLess(
  indicator: string,
  fastName: string,
  fast: number,
  slowName: string,
  slow: number,
): void {
  if (!(fast < slow)) {
    throw new IndicatorError(
      "INVALID_PARAMETER",
      indicator,
      fastName,
      fast,
      `parameter "${fastName}" (${fast}) must be less than "${slowName}" (${slow})`,
    );
  }
}

/** Throws the standard error for a NaN or infinite input value. */
export function badInput(indicator: string, field: string, value: number): never {
  throw new IndicatorError(
    "INVALID_INPUT",
    indicator,
    field,
    value,
    `input "${field}" must be a finite number, got ${value}`,
  );
}

/** Throws the standard error for a negative (or non-finite) volume. */
export function badVolume(indicator: string, value: number): never {
  throw new IndicatorError(
    "INVALID_INPUT",
    indicator,
    "volume",
    value,
    `input "volume" must be a finite number >= 0, got ${value}`,
  );
}

/** Throws the standard error for a bar whose high is below its low. */
export function badRange(indicator: string, high: number, low: number): never {
  throw new IndicatorError(
    "INVALID_INPUT",
    indicator,
    "high",
    high,
    `input "high" (${high}) must not be below input "low" (${low})`,
  );
}

/**
 * Validates a high/low/close bar: all finite and `high >= low`. Close is not required to lie
 * inside [low, high] (some venues print settlement closes outside the traded range).
 */
export function checkHLC(indicator: string, high: number, low: number, close: number): void {
  if (!Number.isFinite(high)) badInput(indicator, "high", high);
  if (!Number.isFinite(low)) badInput(indicator, "low", low);
  if (!Number.isFinite(close)) badInput(indicator, "close", close);
  if (high < low) badRange(indicator, high, low);
}

/** Validates a high/low pair: both finite and `high >= low`. */
export function checkHL(indicator: string, high: number, low: number): void {
  if (!Number.isFinite(high)) badInput(indicator, "high", high);
  if (!Number.isFinite(low)) badInput(indicator, "low", low);
  if (high < low) badRange(indicator, high, low);
}

/** Validates a volume: finite and non-negative. */
export function checkVolume(indicator: string, volume: number): void {
  if (!(volume >= 0) || volume === Number.POSITIVE_INFINITY) badVolume(indicator, volume);
}

/**
 * Validates a timestamp (integer microseconds since the epoch) against the previous one.
 * Equal timestamps are allowed (several ticks in the same microsecond); earlier ones are not.
 */
export function checkTime(indicator: string, time: number, previous: number): void {
  if (!Number.isSafeInteger(time)) {
    throw new IndicatorError(
      "OUT_OF_ORDER_TIME",
      indicator,
      "time",
      time,
      `timestamp ${time} is not an integer number of microseconds since the epoch`,
    );
  }
  if (time < previous) {
    throw new IndicatorError(
      "OUT_OF_ORDER_TIME",
      indicator,
      "time",
      time,
      `timestamp ${time} is earlier than the previous timestamp ${previous}`,
    );
  }
}

/** Batch helpers: every input column must have the same length. */
export function checkColumns(
  indicator: string,
  columns: Readonly<Record<string, ArrayLike<number>>>,
): number {
  let n = -1;
  let first = "";
  for (const [name, col] of Object.entries(columns)) {
    if (col === undefined || col === null || typeof col.length !== "number") {
      throw new IndicatorError("INVALID_COLUMNS", indicator, name, col, `input column "${name}" is missing`);
    }
    if (n < 0) {
      n = col.length;
      first = name;
    } else if (col.length !== n) {
      throw new IndicatorError(
        "INVALID_COLUMNS",
        indicator,
        name,
        col.length,
        `input column "${name}" has ${col.length} rows but "${first}" has ${n}`,
      );
    }
  }
  return Math.max(n, 0);
}
