/**
 * A canonical, JSON-ready form of a run's orders, fills and positions: what the execution node
 * writes at the end of a replay and what the end-to-end test compares with the single-process
 * backtest. Fixed-point values are written as their exact decimal text, identifiers as their
 * value, so two runs are identical exactly when their summaries are equal.
 */
import type { BacktestResult } from "../../backtest/engine.js";
import { formatRaw } from "../../model/fixed.js";

export interface RunSummary {
  orders: unknown[];
  fills: unknown[];
  positions: unknown[];
}

/** Plain data of a value: fixed-point values as text, identifiers as strings, recursively. */
export function canonical(v: unknown): unknown {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(canonical);
  const o = v as Record<string, unknown>;
  if (typeof o.raw === "number" && typeof o.precision === "number") return String(v);
  const keys = Object.keys(o);
  if (keys.length === 1 && keys[0] === "value" && typeof o.value === "string") return o.value;
  const out: Record<string, unknown> = {};
  for (const k of keys.sort()) out[k] = canonical(o[k]);
  return out;
}

export function summarize(result: Pick<BacktestResult, "orders" | "fills" | "positions">): RunSummary {
  return {
    orders: result.orders.map((o) => ({
      clientOrderId: o.clientOrderId.value,
      strategyId: o.strategyId.value,
      instrumentId: o.instrumentId.value,
      side: o.side,
      type: o.type,
      status: o.status,
      quantity: o.quantity.toString(),
      price: o.price?.toString() ?? null,
      venueOrderId: o.venueOrderId?.value ?? null,
      events: o.events.map(canonical),
    })),
    fills: result.fills.map(canonical),
    positions: result.positions.map((p) => ({
      id: p.id.value,
      instrumentId: p.instrument.id.value,
      strategyId: p.strategyId.value,
      accountId: p.accountId.value,
      side: p.side,
      signedQty: p.signedQty,
      openedAt: p.openedAt,
      closedAt: p.closedAt,
      realizedPnl: p.realizedPnl.toString(),
      fees: formatRaw(p.feesInSettlementRaw, p.settlement.precision),
    })),
  };
}
