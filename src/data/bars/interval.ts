/**
 * Parsing of bar interval text (`1m`, `5m`, `1h`, `1d`, `1w`, `1M`, `250ms`, `30s`) into a
 * {@link BarSpecification}, and the UTC time grid a time bar lives on.
 */
import { BarAggregation, BarSpecification } from "../../model/data.js";
import { PriceType } from "../../model/enums.js";
import { BotV6Error } from "../../model/errors.js";
import { MICROS_PER_DAY, type UnixMicros } from "../../model/time.js";

export class BarIntervalError extends BotV6Error {}

const UNIT: Record<string, BarAggregation> = {
  ms: BarAggregation.Millisecond,
  s: BarAggregation.Second,
  m: BarAggregation.Minute,
  h: BarAggregation.Hour,
  d: BarAggregation.Day,
  w: BarAggregation.Week,
  M: BarAggregation.Month,
};

/**
 * `"5m"` → 5-MINUTE-LAST. Units: `ms`, `s`, `m` (minute), `h`, `d`, `w` (week, Monday 00:00 UTC),
 * `M` (calendar month). A full specification such as `1-MINUTE-LAST` is accepted too.
 */
export function parseBarInterval(text: string, priceType: PriceType = PriceType.Last): BarSpecification {
  const m = /^(\d+)(ms|s|m|h|d|w|M)$/.exec(text.trim());
  if (m === null) {
    if (text.includes("-")) {
      try {
        const spec = BarSpecification.parse(text.trim());
        if (spec.isTimeBar()) return spec;
      } catch {
        // fall through to the error below
      }
    }
    throw new BarIntervalError(
      "BAR_INTERVAL_INVALID",
      `invalid bar interval "${text}": expected a positive integer and a unit ms|s|m|h|d|w|M, e.g. 1m, 5m, 1h, 1d`,
      { value: text },
    );
  }
  const step = Number(m[1]);
  if (!Number.isSafeInteger(step) || step <= 0) {
    throw new BarIntervalError("BAR_INTERVAL_INVALID", `invalid bar interval "${text}": step must be > 0`, {
      value: text,
    });
  }
  return new BarSpecification(step, UNIT[m[2]], priceType);
}

/** The 1970-01-05 Monday: week bars are aligned to Monday 00:00 UTC (Binance `1w`). */
const WEEK_ORIGIN = 4 * MICROS_PER_DAY;

/**
 * Where time bars of a specification start and end. All bars are aligned to UTC: a bar of
 * `n` units starts at a multiple of `n` units since the epoch (weeks since Monday 1970-01-05,
 * months counted from January 1970), so 5m bars start at :00, :05, ... and 1d bars at 00:00 UTC.
 */
export class TimeGrid {
  private readonly interval: number;
  private readonly origin: number;
  private readonly months: number;

  constructor(spec: BarSpecification) {
    if (!spec.isTimeBar()) {
      throw new BarIntervalError("BAR_INTERVAL_NOT_TIME", `${spec} is not a time bar`, {});
    }
    if (spec.aggregation === BarAggregation.Month) {
      this.months = spec.step;
      this.interval = 0;
      this.origin = 0;
    } else {
      this.months = 0;
      this.interval = spec.intervalMicros();
      this.origin = spec.aggregation === BarAggregation.Week ? WEEK_ORIGIN : 0;
    }
  }

  /** Open time of the bar containing `t`. */
  floor(t: UnixMicros): UnixMicros {
    if (this.months === 0) {
      const rel = t - this.origin;
      return t - (((rel % this.interval) + this.interval) % this.interval);
    }
    const d = new Date(Math.floor(t / 1000));
    const monthIndex = d.getUTCFullYear() * 12 + d.getUTCMonth() - 1970 * 12;
    const start = monthIndex - (((monthIndex % this.months) + this.months) % this.months);
    return Date.UTC(1970, start, 1) * 1000;
  }

  /** Open time of the bar after the one opening at `start` (= this bar's close time). */
  next(start: UnixMicros): UnixMicros {
    if (this.months === 0) return start + this.interval;
    const d = new Date(Math.floor(start / 1000));
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + this.months, 1) * 1000;
  }
}
