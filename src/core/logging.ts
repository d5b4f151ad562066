/**
 * Structured logging with pino. Every component logs through a child logger carrying
 * `component` (and, per operation, a `correlationId`), and secrets are redacted by key name
 * wherever they appear in a logged object.
 */
import { type DestinationStream, type Logger, pino } from "pino";

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

/** Key names whose values are never written to a log. */
export const SECRET_KEYS = [
  "apiKey",
  "apiSecret",
  "secret",
  "password",
  "passphrase",
  "token",
  "accessToken",
  "refreshToken",
  "privateKey",
  "authorization",
  "jwtSecret",
] as const;

const REDACT_PATHS = SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]);

export interface LoggerOptions {
  level?: LogLevel;
  /** Where to write (default stdout). Tests pass a stream to inspect the output. */
  destination?: DestinationStream;
  /** Static fields on every line (e.g. node name). */
  base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: options.base ?? {},
      redact: { paths: REDACT_PATHS, censor: "[REDACTED]" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}

/** A child logger for one operation (an order's life, a request), tagged with its correlation id. */
export function withCorrelation(logger: Logger, correlationId: string): Logger {
  return logger.child({ correlationId });
}
