/** Risk events and commands. Published on `events.system.risk`; every trip names its cause. */
import type { TradingState } from "../model/enums.js";
import type { UnixMicros } from "../model/time.js";
import type { TripCause } from "./reasons.js";

/** What a trip or state applies to. */
export type RiskScope = "global" | "account" | "strategy" | "instrument";

/** A post-trade limit was breached (or data went stale): what, where, by how much. */
export interface RiskTripped {
  readonly type: "RiskTripped";
  readonly eventId: string;
  readonly cause: TripCause;
  readonly scope: RiskScope;
  /** Account, strategy or instrument id the scope names (null for global). */
  readonly target: string | null;
  /** The measured value and the limit, as exact decimal strings in the account currency (or counts). */
  readonly value: string;
  readonly limit: string;
  readonly detail: string;
  /** Orders canceled and flatten orders submitted by the kill switch. */
  readonly canceledOrders: number;
  readonly flattenOrders: number;
  readonly tsEvent: UnixMicros;
}

export interface TradingStateChanged {
  readonly type: "TradingStateChanged";
  readonly eventId: string;
  readonly scope: RiskScope;
  readonly target: string | null;
  readonly from: TradingState;
  readonly to: TradingState;
  readonly reason: string;
  readonly tsEvent: UnixMicros;
}

/** A refused risk command (e.g. an unauthorised resume). */
export interface RiskCommandRefused {
  readonly type: "RiskCommandRefused";
  readonly eventId: string;
  readonly code: string;
  readonly reason: string;
  readonly tsEvent: UnixMicros;
}

export type RiskEvent = RiskTripped | TradingStateChanged | RiskCommandRefused;

/**
 * Resume trading after a trip. Only accepted when the engine's `authorize` callback accepts the
 * operator and token (with no callback configured, every resume is refused: fail closed).
 */
export interface ResumeTrading {
  readonly type: "ResumeTrading";
  readonly scope: "global" | "strategy" | "instrument";
  readonly target: string | null;
  readonly operator: string;
  readonly token: string;
  readonly reason: string;
}

/** Set a trading state by hand (halting needs no authorisation; anything else does). */
export interface SetTradingState {
  readonly type: "SetTradingState";
  readonly scope: "global" | "strategy" | "instrument";
  readonly target: string | null;
  readonly state: TradingState;
  readonly operator: string;
  readonly token: string;
  readonly reason: string;
}

export type RiskCommand = ResumeTrading | SetTradingState;
