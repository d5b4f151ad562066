/** Stable result codes of the execution engine's command handling. */
import { BotV6Error } from "../model/errors.js";

export class ExecutionError extends BotV6Error {}

/** The answer to a command: accepted (possibly as a no-op) or refused with a stable code. */
export interface CommandResult {
  readonly ok: boolean;
  readonly code: string;
  readonly reason: string;
}

/** Codes a command can be answered with. */
export const CommandCodes = {
  /** Accepted and acted on. */
  OK: "OK",
  /** The same order was submitted again with its client order id: nothing new was created. */
  DUPLICATE_IGNORED: "DUPLICATE_IGNORED",
  /** A cancel for an order whose cancel is already in flight: nothing new was sent. */
  CANCEL_ALREADY_PENDING: "CANCEL_ALREADY_PENDING",
  /** Structurally invalid command (wrong type, missing field, NaN, negative, wrong class). */
  COMMAND_INVALID: "COMMAND_INVALID",
  /** A different order with an id already used (open or closed). */
  CLIENT_ORDER_ID_DUPLICATE: "CLIENT_ORDER_ID_DUPLICATE",
  /** The order object was already used (not in INITIALIZED, or has events). */
  ORDER_NOT_INITIALIZED: "ORDER_NOT_INITIALIZED",
  /** Modify/cancel of a client order id the engine never saw. */
  ORDER_UNKNOWN: "ORDER_UNKNOWN",
  /** Modify/cancel of an order in a terminal state. */
  ORDER_CLOSED: "ORDER_CLOSED",
  /** The command's strategy is not the order's strategy. */
  ORDER_STRATEGY_MISMATCH: "ORDER_STRATEGY_MISMATCH",
  /** A modify while a modify or cancel of the same order is in flight. */
  ORDER_PENDING: "ORDER_PENDING",
  /** Modify to a quantity below what has already filled. */
  MODIFY_QUANTITY_BELOW_FILLED: "MODIFY_QUANTITY_BELOW_FILLED",
  /** The venue cannot edit orders. */
  MODIFY_UNSUPPORTED: "MODIFY_UNSUPPORTED",
  /** The pre-trade risk check refused the modify (the detail names the risk reason code). */
  MODIFY_DENIED: "MODIFY_DENIED",
  /** The order was denied (see its OrderDenied event for the risk reason code). */
  DENIED: "DENIED",
} as const;

const OK_RESULT: CommandResult = Object.freeze({ ok: true, code: CommandCodes.OK, reason: "" });

export function ok(): CommandResult {
  return OK_RESULT;
}

export function okWith(code: string, reason: string): CommandResult {
  return { ok: true, code, reason };
}

export function fail(code: string, reason: string): CommandResult {
  return { ok: false, code, reason };
}
