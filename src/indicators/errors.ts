/**
 * Typed errors for the indicator package.
 *
 * Every error names the indicator and the parameter, input field or timestamp at fault, and
 * carries a stable {@link IndicatorErrorCode} that callers (CLI, strategy loader, ML feature
 * builder) can switch on without parsing messages.
 */
import { BotV6Error } from "../model/errors.js";

/** Stable machine-readable error codes. Never renamed; new codes may be added. */
export type IndicatorErrorCode =
  /** A parameter is missing, of the wrong type, out of range, or inconsistent with another. */
  | "INVALID_PARAMETER"
  /** An input value is NaN/infinite, a volume is negative, or high < low. */
  | "INVALID_INPUT"
  /** A timestamp is earlier than the previous one, or not an integer µs value. */
  | "OUT_OF_ORDER_TIME"
  /** Batch input columns have different lengths, or a required column is missing. */
  | "INVALID_COLUMNS"
  /** The registry has no indicator of that name. */
  | "UNKNOWN_INDICATOR";

export class IndicatorError extends BotV6Error {
  /** Stable error code. */
  declare readonly code: IndicatorErrorCode;
  /** Registry name of the indicator that rejected the input, e.g. `"rsi"`. */
  readonly indicator: string;
  /** The parameter, input field or column at fault, e.g. `"period"`, `"volume"`, `"time"`. */
  readonly field: string;
  /** The offending value (as received). */
  readonly value: unknown;

  constructor(code: IndicatorErrorCode, indicator: string, field: string, value: unknown, message: string) {
    super(code, `${indicator}: ${message}`, { indicator, field, value });
    this.indicator = indicator;
    this.field = field;
    this.value = value;
  }
}
