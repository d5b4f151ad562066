/**
 * Trigger rules of conditional orders (stop, if-touched, trailing stop), as pure functions on
 * raw integer prices. The matching engine keeps the pending orders and decides when to ask.
 *
 * | type                          | buy fires when      | sell fires when     | then becomes |
 * |-------------------------------|---------------------|---------------------|--------------|
 * | stop-market, trailing-market  | ref >= trigger      | ref <= trigger      | market       |
 * | stop-limit, trailing-limit    | ref >= trigger      | ref <= trigger      | limit        |
 * | market-if-touched             | ref <= trigger      | ref >= trigger      | market       |
 * | limit-if-touched              | ref <= trigger      | ref >= trigger      | limit        |
 *
 * `ref` is the trigger type's reference price: last trade (DEFAULT, LAST_PRICE), the best ask
 * for buys / best bid for sells (BID_ASK), or the mark price (MARK_PRICE).
 */
import { OrderType, TrailingOffsetType, TriggerType } from "../../model/enums.js";

/** Types that wait for a trigger before they work. */
export function isConditionalType(type: OrderType): boolean {
  return type !== OrderType.Market && type !== OrderType.Limit;
}

/** Types that trade as a market order (no limit price) once active. */
export function isMarketLikeType(type: OrderType): boolean {
  return (
    type === OrderType.Market ||
    type === OrderType.StopMarket ||
    type === OrderType.MarketIfTouched ||
    type === OrderType.TrailingStopMarket
  );
}

export function isTrailingType(type: OrderType): boolean {
  return type === OrderType.TrailingStopMarket || type === OrderType.TrailingStopLimit;
}

/** Types whose `price` (limit) must be given at submission. */
export function needsLimitPrice(type: OrderType): boolean {
  return type === OrderType.Limit || type === OrderType.StopLimit || type === OrderType.LimitIfTouched;
}

/** Types whose trigger price must be given at submission (trailing stops may compute theirs). */
export function needsTriggerPrice(type: OrderType): boolean {
  return (
    type === OrderType.StopMarket ||
    type === OrderType.StopLimit ||
    type === OrderType.MarketIfTouched ||
    type === OrderType.LimitIfTouched
  );
}

/** Stop-like types fire when the price moves through the trigger against a resting position. */
function isStopLike(type: OrderType): boolean {
  return type !== OrderType.MarketIfTouched && type !== OrderType.LimitIfTouched;
}

/** Whether a conditional order of `type` and side fires at reference price `ref` (NaN: never). */
export function conditionMet(type: OrderType, isBuy: boolean, trigger: number, ref: number): boolean {
  if (Number.isNaN(ref)) return false; // NaN: no reference price yet
  if (isStopLike(type)) return isBuy ? ref >= trigger : ref <= trigger;
  return isBuy ? ref <= trigger : ref >= trigger;
}

/** Reference-price category of a trigger type: 0 last trade, 1 bid/ask, 2 mark; -1 unsupported. */
export function triggerCategory(triggerType: TriggerType): number {
  switch (triggerType) {
    case TriggerType.Default:
    case TriggerType.LastPrice:
      return 0;
    case TriggerType.BidAsk:
      return 1;
    case TriggerType.MarkPrice:
      return 2;
    default:
      return -1;
  }
}

/**
 * A distance in raw price units for an offset expressed in `unit`, measured from `base`
 * (basis points are of `base`, rounded up to a whole raw unit so the distance is never less
 * than asked).
 */
export function offsetDistance(offset: number, unit: TrailingOffsetType, base: number, tick: number): number {
  if (unit === TrailingOffsetType.Ticks) return offset * tick;
  if (unit === TrailingOffsetType.BasisPoints) {
    // base * offset / 10_000 exactly, without an intermediate product above 2^53.
    const q = Math.floor(base / 10_000);
    const r = base - q * 10_000;
    return q * offset + Math.ceil((r * offset) / 10_000);
  }
  return offset;
}

/** Largest multiple of `tick` <= x. */
export function floorToTick(x: number, tick: number): number {
  const m = x % tick;
  return m === 0 ? x : m > 0 ? x - m : x - m - tick;
}

/** Smallest multiple of `tick` >= x. */
export function ceilToTick(x: number, tick: number): number {
  const m = x % tick;
  return m === 0 ? x : m > 0 ? x - m + tick : x - m;
}

/**
 * The trailing trigger for reference price `ref`: a sell stop trails below (ref - distance,
 * floored to the tick), a buy stop above (ref + distance, ceiled to the tick).
 */
export function trailingTrigger(
  isBuy: boolean,
  ref: number,
  offset: number,
  unit: TrailingOffsetType,
  tick: number,
): number {
  const d = offsetDistance(offset, unit, ref, tick);
  return isBuy ? ceilToTick(ref + d, tick) : floorToTick(ref - d, tick);
}

/**
 * The limit price of a trailing-stop-limit for trigger `trigger`: a sell limit sits
 * `limitOffset` below the trigger (floored to the tick), a buy limit above (ceiled).
 */
export function trailingLimitPrice(
  isBuy: boolean,
  trigger: number,
  limitOffset: number,
  unit: TrailingOffsetType,
  tick: number,
): number {
  const d = offsetDistance(limitOffset, unit, trigger, tick);
  return isBuy ? ceilToTick(trigger + d, tick) : floorToTick(trigger - d, tick);
}
