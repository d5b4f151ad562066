/**
 * Shared definitions of the order-flow analytics.
 *
 * Trades enter as raw fixed-point integers (`priceRaw` at the instrument's price precision,
 * `sizeRaw` at its size precision) and a signed aggressor: +1 the buyer took liquidity, -1 the
 * seller did, 0 unknown. Volumes are summed as exact integers, so deltas and footprints reconcile
 * to the last unit with the trades they came from.
 */
import { AggressorSide } from "../model/enums.js";
import { BotV6Error } from "../model/errors.js";

export type Aggressor = 1 | -1 | 0;
export const BUY: Aggressor = 1;
export const SELL: Aggressor = -1;
export const UNKNOWN: Aggressor = 0;

export class OrderFlowError extends BotV6Error {}

export function aggressorOf(side: AggressorSide): Aggressor {
  return side === AggressorSide.Buyer ? 1 : side === AggressorSide.Seller ? -1 : 0;
}

/** The minimal read view of an L2 book the book analytics need (`OrderBook` satisfies it). */
export interface BookLevels {
  readonly bidLevels: number;
  readonly askLevels: number;
  /** Price (raw) of the k-th level from the top of a side (0 = bid, 1 = ask). */
  priceAt(side: 0 | 1, k: number): number;
  /** Size (raw) of the k-th level from the top of a side. */
  sizeAt(side: 0 | 1, k: number): number;
  /** Optional: the summed size of the top `n` levels of a side in one pass (the L2 book has it). */
  sizeSum?(side: 0 | 1, n: number): number;
}

export function checkPositiveInt(name: string, param: string, value: number): void {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new OrderFlowError(
      "ORDERFLOW_PARAM_INVALID",
      `${name}: ${param} must be a positive integer, got ${value}`,
      {
        indicator: name,
        param,
        value,
      },
    );
  }
}

export function checkPositive(name: string, param: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new OrderFlowError(
      "ORDERFLOW_PARAM_INVALID",
      `${name}: ${param} must be a positive number, got ${value}`,
      {
        indicator: name,
        param,
        value,
      },
    );
  }
}

/** Rejects a trade with a non-integer or negative size or a NaN price, naming the analytic. */
export function checkTrade(name: string, priceRaw: number, sizeRaw: number): void {
  if (!Number.isSafeInteger(priceRaw)) {
    throw new OrderFlowError(
      "ORDERFLOW_BAD_INPUT",
      `${name}: price ${priceRaw} is not a raw fixed-point integer`,
      {
        indicator: name,
        field: "price",
      },
    );
  }
  if (!Number.isSafeInteger(sizeRaw) || sizeRaw < 0) {
    throw new OrderFlowError(
      "ORDERFLOW_BAD_INPUT",
      `${name}: size ${sizeRaw} must be a non-negative raw integer`,
      {
        indicator: name,
        field: "size",
      },
    );
  }
}

export function checkTime(name: string, last: number, ts: number): void {
  if (!Number.isSafeInteger(ts) || ts < last) {
    throw new OrderFlowError(
      "ORDERFLOW_OUT_OF_ORDER",
      `${name}: timestamp ${ts} is before the previous one (${last}) or not an integer of microseconds`,
      { indicator: name, ts, last },
    );
  }
}
