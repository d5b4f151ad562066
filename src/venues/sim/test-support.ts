/**
 * Test helpers for the matching engine (imported by the `*.test.ts` files beside it only):
 * an engine wired to a recorder that copies each flyweight event into a plain object, keeps
 * per-owner positions from trades (for reduce-only), and prints the book compactly.
 */
import { OrderSide, OrderType, TimeInForce } from "../../model/enums.js";
import { EngineEventKind, eventKindName, reasonName } from "./codes.js";
import {
  type EngineEvent,
  MatchingEngine,
  type MatchingEngineConfig,
  type OrderRequest,
} from "./matching-engine.js";

export interface Rec {
  kind: string;
  reason: string;
  ts: number;
  id: number;
  owner: number;
  side: "B" | "S";
  price: number;
  trigger: number;
  qty: number;
  leaves: number;
  tradeId: number;
  px: number;
  lastQty: number;
  maker: number;
  makerOwner: number;
  makerLeaves: number;
}

export function copyEvent(e: EngineEvent): Rec {
  return {
    kind: eventKindName(e.kind),
    reason: reasonName(e.reason),
    ts: e.ts,
    id: e.orderId,
    owner: e.owner,
    side: e.isBuy ? "B" : "S",
    price: e.price,
    trigger: e.triggerPrice,
    qty: e.quantity,
    leaves: e.leaves,
    tradeId: e.tradeId,
    px: e.lastPx,
    lastQty: e.lastQty,
    maker: e.makerOrderId,
    makerOwner: e.makerOwner,
    makerLeaves: e.makerLeaves,
  };
}

export interface Harness {
  engine: MatchingEngine;
  events: Rec[];
  positions: Map<number, number>;
  /** Events recorded since the last call. */
  take(): Rec[];
  /**
   * `kind[:reason]#id` per event since the last call, e.g. `Canceled:IOC_REMAINDER#3`; trades
   * as `Trade#taker x maker qty@px`.
   */
  takeKinds(): string[];
  /** The book, best level first, as `price: id/leaves ...`. */
  book(): { bids: string[]; asks: string[] };
}

export function setup(config: Partial<MatchingEngineConfig> = {}): Harness {
  const events: Rec[] = [];
  const positions = new Map<number, number>();
  let mark = 0;
  const engine = new MatchingEngine({
    tickSize: 1,
    lotSize: 1,
    positionOf: (owner) => positions.get(owner) ?? 0,
    listener: (e) => {
      events.push(copyEvent(e));
      if (e.kind === EngineEventKind.Trade) {
        const signed = e.isBuy ? e.lastQty : -e.lastQty;
        positions.set(e.owner, (positions.get(e.owner) ?? 0) + signed);
        positions.set(e.makerOwner, (positions.get(e.makerOwner) ?? 0) - signed);
      }
    },
    ...config,
  });
  const take = () => {
    const out = events.slice(mark);
    mark = events.length;
    return out;
  };
  return {
    engine,
    events,
    positions,
    take,
    takeKinds: () =>
      take().map((r) =>
        r.kind === "Trade"
          ? `Trade#${r.id}x${r.maker} ${r.lastQty}@${r.px}`
          : `${r.kind}${r.reason === "NONE" ? "" : `:${r.reason}`}#${r.id}`,
      ),
    book: () => bookView(engine),
  };
}

/** Book as `price: id/leaves id/leaves` lines, best first. */
export function bookView(engine: MatchingEngine): { bids: string[]; asks: string[] } {
  const side = (s: MatchingEngine["bids"]) => {
    const out: string[] = [];
    for (const level of s.levelsFromBest()) {
      const parts: string[] = [];
      for (let n = level.head; n !== null; n = n.next) parts.push(`${n.id}/${n.leaves}`);
      out.push(`${level.price}: ${parts.join(" ")}`);
    }
    return out;
  };
  return { bids: side(engine.bids), asks: side(engine.asks) };
}

/** A limit order request. */
export function limit(
  orderId: number,
  side: "B" | "S",
  price: number,
  quantity: number,
  extra: Partial<OrderRequest> = {},
): OrderRequest {
  return {
    orderId,
    owner: 1,
    side: side === "B" ? OrderSide.Buy : OrderSide.Sell,
    type: OrderType.Limit,
    price,
    quantity,
    timeInForce: TimeInForce.GTC,
    ...extra,
  };
}

/** A market order request. */
export function market(
  orderId: number,
  side: "B" | "S",
  quantity: number,
  extra: Partial<OrderRequest> = {},
): OrderRequest {
  return {
    orderId,
    owner: 1,
    side: side === "B" ? OrderSide.Buy : OrderSide.Sell,
    type: OrderType.Market,
    quantity,
    ...extra,
  };
}

/** Any order request. */
export function order(
  orderId: number,
  side: "B" | "S",
  type: OrderType,
  quantity: number,
  extra: Partial<OrderRequest> = {},
): OrderRequest {
  return {
    orderId,
    owner: 1,
    side: side === "B" ? OrderSide.Buy : OrderSide.Sell,
    type,
    quantity,
    ...extra,
  };
}
