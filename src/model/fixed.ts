/**
 * Exact decimal fixed-point primitives shared by {@link Price}, {@link Quantity} and
 * {@link Money}.
 *
 * A value is an integer `raw` (a JS number that is always a safe integer) scaled by
 * `10^-precision`. Parsing reads the decimal digits of the text, never a float, so `"0.1"` is
 * exactly `raw = 1, precision = 1`. Every arithmetic result is checked to stay a safe integer;
 * if it would not, an error is thrown instead of silently losing precision. Products that may
 * exceed 2^53 (price x quantity) are computed with BigInt and rounded by an explicit mode.
 */
import { FixedPointError } from "./errors.js";

/** Largest number of decimal places supported. 10^12 keeps prices up to ~9000 exact at 12 dp. */
export const MAX_PRECISION = 12;

/** Rounding modes for values that must be brought to a coarser precision or increment. */
export enum RoundingMode {
  /** Towards zero (truncate). */
  Down = "DOWN",
  /** Away from zero. */
  Up = "UP",
  /** Towards negative infinity. */
  Floor = "FLOOR",
  /** Towards positive infinity. */
  Ceil = "CEIL",
  /** Nearest; ties away from zero. */
  HalfUp = "HALF_UP",
  /** Nearest; ties to the even neighbour (banker's rounding). */
  HalfEven = "HALF_EVEN",
}

const POW10: number[] = [];
for (let i = 0; i <= 15; i++) POW10.push(10 ** i);
const POW10N: bigint[] = [];
for (let i = 0; i <= 40; i++) POW10N.push(10n ** BigInt(i));

/** 10^n as a number, exact for n <= 15. */
export function pow10(n: number): number {
  const v = POW10[n];
  if (v === undefined)
    throw new FixedPointError("FIXED_POINT_PRECISION", `precision ${n} out of range 0..15`);
  return v;
}

/** 10^n as a BigInt. */
export function pow10n(n: number): bigint {
  return POW10N[n] ?? 10n ** BigInt(n);
}

export function checkPrecision(precision: number, what = "precision"): void {
  if (!Number.isInteger(precision) || precision < 0 || precision > MAX_PRECISION) {
    throw new FixedPointError(
      "FIXED_POINT_PRECISION",
      `${what} must be an integer in 0..${MAX_PRECISION}, got ${precision}`,
      { precision },
    );
  }
}

/** Throws unless `raw` is a safe integer; `context` names the operation for the message. */
export function checkRaw(raw: number, context: string): number {
  if (!Number.isSafeInteger(raw)) {
    throw new FixedPointError(
      "FIXED_POINT_OVERFLOW",
      `${context}: result ${raw} is outside the exact integer range (|raw| <= 2^53-1)`,
      { raw },
    );
  }
  return raw;
}

/** A parsed decimal: `raw * 10^-scale`, exact. */
export interface ParsedDecimal {
  raw: number;
  scale: number;
}

const DECIMAL_RE = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

/**
 * Parses a decimal string (optionally with an exponent, as `String(1e-7)` yields) exactly.
 * The scale is the number of fraction digits as written (trailing zeros count).
 */
export function parseDecimal(text: string): ParsedDecimal {
  const m = DECIMAL_RE.exec(text.trim());
  if (m === null || (m[2] === "" && (m[3] === undefined || m[3] === ""))) {
    throw new FixedPointError("FIXED_POINT_INVALID", `"${text}" is not a decimal number`, { value: text });
  }
  const sign = m[1] === "-" ? -1 : 1;
  const intPart = m[2];
  const fracPart = m[3] ?? "";
  const exp = m[4] === undefined ? 0 : Number.parseInt(m[4], 10);
  let digits = (intPart + fracPart).replace(/^0+(?=\d)/, "");
  let scale = fracPart.length - exp;
  if (scale < 0) {
    digits += "0".repeat(-scale);
    scale = 0;
  }
  const raw = Number(digits);
  if (!Number.isSafeInteger(raw) || digits.length > 16) {
    // Drop trailing zeros of the fraction before giving up: "1.50000000000000000" is fine.
    let d = digits;
    let s = scale;
    while (s > 0 && d.length > 1 && d.endsWith("0")) {
      d = d.slice(0, -1);
      s--;
    }
    const r = Number(d);
    if (!Number.isSafeInteger(r)) {
      throw new FixedPointError(
        "FIXED_POINT_OVERFLOW",
        `"${text}" has more significant digits than can be represented exactly`,
        { value: text },
      );
    }
    return { raw: sign * r === 0 ? 0 : sign * r, scale: s };
  }
  return { raw: raw === 0 ? 0 : sign * raw, scale };
}

/**
 * Parses `text` into a raw integer at exactly `precision` decimal places. Extra fraction digits
 * must be zero unless a rounding `mode` is given; nothing is rounded silently.
 */
export function parseToRaw(text: string, precision: number, mode?: RoundingMode): number {
  checkPrecision(precision);
  const fast = scanPlainDecimal(text, precision);
  if (fast !== null) return fast;
  const { raw, scale } = parseDecimal(text);
  return rescale(raw, scale, precision, mode, text);
}

/**
 * Fast path of {@link parseToRaw} for the common exchange form `[-]digits[.digits]` whose
 * fraction fits `precision` (or has only zeros beyond it): one pass over the characters, no
 * regex, no allocation. Returns null for anything else (exponents, spaces, rounding needed,
 * more than 15 significant digits), which then takes the general path.
 */
function scanPlainDecimal(text: string, precision: number): number | null {
  const n = text.length;
  let i = 0;
  let neg = false;
  if (n === 0) return null;
  const c0 = text.charCodeAt(0);
  if (c0 === 45 /* - */) {
    neg = true;
    i = 1;
  } else if (c0 === 43 /* + */) {
    i = 1;
  }
  let acc = 0;
  let digits = 0;
  let sawDigit = false;
  let frac = -1;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      sawDigit = true;
      if (frac >= 0) {
        if (frac >= precision) {
          if (c !== 48) return null;
          continue;
        }
        frac++;
      }
      if (acc !== 0 || c !== 48) digits++;
      acc = acc * 10 + (c - 48);
    } else if (c === 46 /* . */ && frac < 0) {
      frac = 0;
    } else {
      return null;
    }
  }
  if (!sawDigit || digits > 15) return null;
  const f = Math.max(frac, 0);
  const raw = f === precision ? acc : acc * POW10[precision - f];
  if (!Number.isSafeInteger(raw)) return null;
  return neg ? (raw === 0 ? 0 : -raw) : raw;
}

/** Converts a finite JS number (e.g. from JSON) to raw at `precision`, via its shortest decimal form. */
export function numberToRaw(value: number, precision: number, mode?: RoundingMode): number {
  if (!Number.isFinite(value)) {
    throw new FixedPointError("FIXED_POINT_NOT_FINITE", `value ${value} is not a finite number`, { value });
  }
  return parseToRaw(String(value), precision, mode);
}

/** Changes the scale of `raw` from `from` to `to` decimal places; exact or rounded by `mode`. */
export function rescale(
  raw: number,
  from: number,
  to: number,
  mode?: RoundingMode,
  original?: string,
): number {
  if (from === to) return raw;
  if (from < to) return checkRaw(raw * pow10(to - from), `rescale ${original ?? raw}`);
  const div = pow10(from - to);
  const q = Math.trunc(raw / div);
  const rem = raw - q * div;
  if (rem === 0) return q;
  if (mode === undefined) {
    throw new FixedPointError(
      "FIXED_POINT_PRECISION_EXCEEDED",
      `${original ?? formatRaw(raw, from)} has more than ${to} decimal places`,
      { value: original ?? formatRaw(raw, from), precision: to },
    );
  }
  return roundQuotient(q, rem, div, mode);
}

/**
 * Given an integer division a / d = q remainder r (truncated, r has a's sign, d > 0), returns
 * the quotient rounded by `mode`.
 */
export function roundQuotient(q: number, r: number, d: number, mode: RoundingMode): number {
  if (r === 0) return q;
  const neg = r < 0;
  const absR2 = Math.abs(r) * 2;
  let awayFromZero: boolean;
  switch (mode) {
    case RoundingMode.Down:
      awayFromZero = false;
      break;
    case RoundingMode.Up:
      awayFromZero = true;
      break;
    case RoundingMode.Floor:
      awayFromZero = neg;
      break;
    case RoundingMode.Ceil:
      awayFromZero = !neg;
      break;
    case RoundingMode.HalfUp:
      awayFromZero = absR2 >= d;
      break;
    case RoundingMode.HalfEven:
      awayFromZero = absR2 > d || (absR2 === d && Math.abs(q) % 2 === 1);
      break;
  }
  return awayFromZero ? q + (neg ? -1 : 1) : q;
}

/** BigInt variant of {@link roundQuotient} for products that exceed 2^53. */
export function divRoundBig(a: bigint, d: bigint, mode: RoundingMode): bigint {
  const q = a / d;
  const r = a - q * d;
  if (r === 0n) return q;
  const neg = r < 0n;
  const absR2 = (neg ? -r : r) * 2n;
  let away: boolean;
  switch (mode) {
    case RoundingMode.Down:
      away = false;
      break;
    case RoundingMode.Up:
      away = true;
      break;
    case RoundingMode.Floor:
      away = neg;
      break;
    case RoundingMode.Ceil:
      away = !neg;
      break;
    case RoundingMode.HalfUp:
      away = absR2 >= d;
      break;
    case RoundingMode.HalfEven:
      away = absR2 > d || (absR2 === d && (q < 0n ? -q : q) % 2n === 1n);
      break;
  }
  return away ? q + (neg ? -1n : 1n) : q;
}

/**
 * Computes `a * b / 10^shift` exactly and rounds by `mode`: the building block for
 * price x quantity = notional. Uses plain numbers when the product is exact, BigInt otherwise.
 */
export function mulShift(a: number, b: number, shift: number, mode: RoundingMode, context: string): number {
  const p = a * b;
  if (Number.isSafeInteger(p)) {
    if (shift <= 0) return checkRaw(p * pow10(-shift), context);
    const d = pow10(shift);
    const q = Math.trunc(p / d);
    return roundQuotient(q, p - q * d, d, mode);
  }
  const big = BigInt(a) * BigInt(b);
  const res = shift <= 0 ? big * pow10n(-shift) : divRoundBig(big, pow10n(shift), mode);
  const n = Number(res);
  if (!Number.isSafeInteger(n)) {
    throw new FixedPointError(
      "FIXED_POINT_OVERFLOW",
      `${context}: result ${res} exceeds the exact range`,
      {},
    );
  }
  return n;
}

/** Rounds raw to the nearest multiple of `incrementRaw` (same scale) by `mode`. */
export function roundRawToIncrement(raw: number, incrementRaw: number, mode: RoundingMode): number {
  const q = Math.trunc(raw / incrementRaw);
  const r = raw - q * incrementRaw;
  return roundQuotient(q, r, incrementRaw, mode) * incrementRaw;
}

/** Formats raw at `precision` as a decimal string with exactly `precision` fraction digits. */
export function formatRaw(raw: number, precision: number): string {
  if (precision === 0) return String(raw);
  const neg = raw < 0;
  const s = String(neg ? -raw : raw).padStart(precision + 1, "0");
  const cut = s.length - precision;
  return `${neg ? "-" : ""}${s.slice(0, cut)}.${s.slice(cut)}`;
}
