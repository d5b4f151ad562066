/**
 * Topic naming. One place builds every topic name so publishers and subscribers agree, and
 * wildcards like `data.trades.*` work by prefix.
 */
import type { BarType } from "../model/data.js";
import type { InstrumentId, StrategyId } from "../model/identifiers.js";

export const Topics = {
  trades: (id: InstrumentId) => `data.trades.${id.value}`,
  quotes: (id: InstrumentId) => `data.quotes.${id.value}`,
  bookDeltas: (id: InstrumentId) => `data.book.deltas.${id.value}`,
  bookDepth: (id: InstrumentId) => `data.book.depth.${id.value}`,
  bars: (barType: BarType) => `data.bars.${barType.toString()}`,
  markPrices: (id: InstrumentId) => `data.mark.${id.value}`,
  orderEvents: (strategyId: StrategyId) => `events.order.${strategyId.value}`,
  positionEvents: (strategyId: StrategyId) => `events.position.${strategyId.value}`,
  accountEvents: (accountId: string) => `events.account.${accountId}`,
  timeEvents: (component: string) => `events.time.${component}`,
  /** Lifecycle and risk notices (component started/stopped, trading state changes). */
  system: (kind: string) => `events.system.${kind}`,
} as const;

/** Request/response endpoints. */
export const Endpoints = {
  execute: "exec.command",
  risk: "risk.command",
  data: "data.command",
} as const;
