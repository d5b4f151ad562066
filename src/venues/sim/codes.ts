/**
 * Stable numeric codes of the matching engine: event kinds, reason codes and self-trade
 * prevention modes. Numbers keep the hot path free of string building; {@link reasonName} and
 * {@link eventKindName} give the stable text names used in logs, journals and
 * `docs/matching.md`.
 */

/** What an {@link EngineEvent} reports. */
export const EngineEventKind = {
  /** The order passed validation and is live (resting, pending a trigger, or about to match). */
  Accepted: 1,
  /** The order was refused; nothing was applied. `reason` says why. */
  Rejected: 2,
  /** A conditional order's trigger condition was met; it now works as a market or limit order. */
  Triggered: 3,
  /** A modify took effect, or the engine changed the order (trailing stop moved, reduce-only resize). */
  Updated: 4,
  /** A modify was refused; the order is unchanged. */
  ModifyRejected: 5,
  /** The order (its remaining quantity) was canceled; `reason` says why. */
  Canceled: 6,
  /** A cancel was refused (unknown order). */
  CancelRejected: 7,
  /** A GTD or DAY order reached its expiry time. */
  Expired: 8,
  /** A trade between a taker (aggressor) and a maker (resting order). */
  Trade: 9,
} as const;
export type EngineEventKind = (typeof EngineEventKind)[keyof typeof EngineEventKind];

/**
 * Reason codes carried by Rejected, ModifyRejected, CancelRejected, Canceled, Expired and
 * Updated events. Codes are stable: new codes are appended, never renumbered.
 */
export const Reason = {
  None: 0,
  // ---- validation (Rejected / ModifyRejected): nothing was applied ----
  /** Order id is not a positive safe integer. */
  InvalidOrderId: 1,
  /** An order with this id is live already. */
  DuplicateOrderId: 2,
  /** Owner (account) id is not a non-negative safe integer. */
  InvalidOwner: 3,
  InvalidSide: 4,
  InvalidOrderType: 5,
  /** Quantity is missing, zero, negative, NaN, not an integer, or not above the filled quantity. */
  InvalidQuantity: 6,
  /** Quantity is not a multiple of the lot size. */
  QuantityNotMultipleOfLot: 7,
  /** Price missing for a priced type, given for an unpriced type, or not a positive safe integer. */
  InvalidPrice: 8,
  /** Price or trigger price is not a multiple of the tick size. */
  PriceNotMultipleOfTick: 9,
  /** Trigger price missing for a conditional type, given for another type, or not positive. */
  InvalidTriggerPrice: 10,
  InvalidTimeInForce: 11,
  /** expireTime missing for GTD, given without GTD, or not a safe integer. */
  InvalidExpireTime: 12,
  /** GTD expireTime is not after the engine's current time. */
  ExpireTimeInPast: 13,
  /** Trailing offset / limit offset missing, negative, not an integer, or given for another type. */
  InvalidTrailingOffset: 14,
  /** Trigger type not supported by the simulated venue (index price). */
  UnsupportedTriggerType: 15,
  /** A trailing stop without a trigger price was submitted before any reference price existed. */
  NoReferencePrice: 16,
  /** Post-only on a type or time in force that cannot rest (market, IOC, FOK). */
  InvalidPostOnly: 17,
  /** Self-trade prevention mode is not one of {@link StpMode}. */
  InvalidStpMode: 18,
  /**
   * Display (iceberg) quantity not a positive multiple of the lot, above the quantity, or on an
   * order that cannot rest (market-type, IOC, FOK).
   */
  InvalidDisplayQty: 19,
  // ---- business rules ----
  /** Post-only order (or modify) would take liquidity. */
  PostOnlyWouldTake: 20,
  /** Reduce-only order would open or increase a position (flat or same-direction position). */
  ReduceOnlyWouldIncrease: 21,
  /** Unknown (or no longer live) order id for modify / cancel. */
  UnknownOrder: 22,
  /** Modify not applicable: a field that the order type does not have. */
  ModifyNotApplicable: 23,
  // ---- Canceled reasons ----
  /** Canceled by a cancel command. */
  CanceledByRequest: 30,
  /** Canceled by a cancel-all command. */
  CanceledByCancelAll: 31,
  /** Remainder of an IOC order after matching. */
  IocRemainder: 32,
  /** Remainder of a market order: the opposite side ran out of liquidity. */
  MarketNoLiquidity: 33,
  /** FOK order could not be filled completely; nothing was filled. */
  FokNotFillable: 34,
  /** Self-trade prevention canceled this order as the taker. */
  SelfTradeTaker: 35,
  /** Self-trade prevention canceled this order as the maker. */
  SelfTradeMaker: 36,
  /** A resting reduce-only order would have increased the position when it was about to fill. */
  ReduceOnlyPositionClosed: 37,
  // ---- Expired reasons ----
  /** GTD expiry time reached. */
  GtdExpired: 40,
  /** DAY order reached the session end. */
  DayExpired: 41,
  // ---- Updated reasons ----
  /** Updated by a modify command. */
  Modified: 50,
  /** A trailing stop's trigger (and limit) price followed the reference price. */
  TrailingMoved: 51,
  /** A reduce-only order's quantity was reduced to the open position. */
  ReduceOnlyResized: 52,
  /** An iceberg's shown part was used up and refilled from its hidden part (priority lost). */
  IcebergRefilled: 53,
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

const REASON_NAMES = new Map<number, string>();
for (const [name, code] of Object.entries(Reason)) REASON_NAMES.set(code, toSnake(name));

const KIND_NAMES = new Map<number, string>();
for (const [name, code] of Object.entries(EngineEventKind)) KIND_NAMES.set(code, name);

function toSnake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

/** The stable text name of a reason code, e.g. `POST_ONLY_WOULD_TAKE`. */
export function reasonName(code: number): string {
  return REASON_NAMES.get(code) ?? `UNKNOWN_REASON_${code}`;
}

/** The name of an event kind, e.g. `Trade`. */
export function eventKindName(kind: number): string {
  return KIND_NAMES.get(kind) ?? `Unknown(${kind})`;
}

/**
 * Self-trade prevention: what happens when a taker would match a resting order of the same
 * owner (account). Orders of the reserved external owner never self-trade-prevent.
 */
export const StpMode = {
  /** Allow the self-trade (no prevention). */
  None: 0,
  /** Cancel the taker's remaining quantity; the maker stays. Fills before that point stand. */
  CancelTaker: 1,
  /** Cancel the maker and keep matching the taker against the next resting order. */
  CancelMaker: 2,
  /** Cancel both the maker and the taker's remaining quantity. */
  CancelBoth: 3,
} as const;
export type StpMode = (typeof StpMode)[keyof typeof StpMode];

/**
 * Owner id reserved for liquidity that is not ours: resting orders seeded from external L2/L3
 * data by the fill models. Events for it are still emitted (a fill model needs them) but a
 * later layer does not turn them into order events.
 */
export const EXTERNAL_OWNER = 0;
