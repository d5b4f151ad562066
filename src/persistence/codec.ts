/**
 * Journal payload codec: a compact positional binary form per event and command type, exact and
 * versioned.
 *
 * A payload is `u16 typeId` followed by the type's fields in a fixed order. The bodies are the
 * bus wire codec's (`src/infra/codec`, body layout {@link BODY_LAYOUT_MAJOR}): fixed-point values travel as
 * their raw integer (float64, exact for every safe integer) plus precision, money with its
 * currency code, identifiers as strings, enumerations as u8 indices into append-only lists. So
 * a decoded event equals the original field for field, precisions included. Risk events have
 * journal-own bodies (type ids 200..202). Anything else — or an object of a known type that
 * carries fields the positional body does not (a future field, an ad-hoc tag) — is stored as
 * type 0, JSON text revived by field name, so nothing appended is ever lost or changed.
 *
 * Orders inside commands are journaled as their specification ({@link orderSpecOf}) captured
 * when the command was accepted (the live `Order` object changes afterwards). The row format
 * version that pins these layouts is in `journal.ts` ({@link JOURNAL_FORMAT_VERSION}).
 */

import { ByteReader, ByteWriter } from "../infra/codec/bytes.js";
import { BODY_LAYOUT_MAJOR, BODY_LAYOUT_MINOR } from "../infra/codec/codec.js";
import {
  CancelAllOrdersCodec,
  CancelOrderCodec,
  ModifyOrderCodec,
  SubmitOrderCodec,
  SubmitOrderListCodec,
} from "../infra/codec/commands.js";
import { AccountStateCodec, ORDER_EVENT_CODECS, POSITION_EVENT_CODECS } from "../infra/codec/events.js";
import { enumCodec, readOptStr, writeOptStr } from "../infra/codec/fields.js";
import type { BodyCodec } from "../infra/codec/market.js";
import type { SubmitOrder, SubmitOrderList, TradingCommand } from "../model/commands.js";
import { currency } from "../model/currency.js";
import { TradingState } from "../model/enums.js";
import { BotV6Error } from "../model/errors.js";
import {
  AccountId,
  ClientOrderId,
  InstrumentId,
  PositionId,
  StrategyId,
  VenueOrderId,
} from "../model/identifiers.js";
import type { Order, OrderSpec } from "../model/orders.js";
import { Money, Price, Quantity } from "../model/values.js";
import type { RiskCommandRefused, RiskScope, RiskTripped, TradingStateChanged } from "../risk/events.js";
import type { TripCause } from "../risk/reasons.js";

export { BODY_LAYOUT_MAJOR, BODY_LAYOUT_MINOR };

export class JournalCodecError extends BotV6Error {}

// ---------------------------------------------------------------------------------------------
// JSON (type 0): the fallback for payloads without a positional body.

const PRICE_FIELDS = new Set(["price", "triggerPrice", "lastPx"]);
const QTY_FIELDS = new Set(["quantity", "lastQty", "displayQty", "filledQty"]);
const MONEY_FIELDS = new Set([
  "commission",
  "total",
  "locked",
  "free",
  "initial",
  "maintenance",
  "realizedPnl",
  "unrealizedPnl",
]);

function reviveId(key: string, v: string): unknown {
  switch (key) {
    case "strategyId":
      return new StrategyId(v);
    case "instrumentId":
      return InstrumentId.parse(v);
    case "clientOrderId":
    case "parentOrderId":
      return new ClientOrderId(v);
    case "venueOrderId":
      return new VenueOrderId(v);
    case "accountId":
      return new AccountId(v);
    case "positionId":
      return new PositionId(v);
    default:
      return undefined;
  }
}

function reviver(key: string, v: unknown): unknown {
  if (typeof v === "string") {
    if (PRICE_FIELDS.has(key)) return Price.parse(v);
    if (QTY_FIELDS.has(key)) return Quantity.parse(v);
    if (MONEY_FIELDS.has(key)) {
      const sp = v.indexOf(" ");
      if (sp < 0) throw new JournalCodecError("JOURNAL_DECODE", `money field ${key} "${v}" has no currency`);
      return Money.parse(v.slice(0, sp), currency(v.slice(sp + 1)));
    }
    const id = reviveId(key, v);
    if (id !== undefined) return id;
  } else if (key === "linkedOrderIds" && Array.isArray(v)) {
    return v.map((x) => new ClientOrderId(String(x)));
  }
  return v;
}

/** JSON text of a payload (value types as exact decimal strings). */
export function encodeJson(payload: unknown): string {
  return JSON.stringify(payload);
}

/** Parses JSON text back into typed values; a malformed payload throws naming the reason. */
export function decodeJson<T = unknown>(text: string): T {
  try {
    return JSON.parse(text, reviver) as T;
  } catch (e) {
    throw new JournalCodecError("JOURNAL_DECODE", `cannot decode journal payload: ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Positional bodies.

/** The immutable specification of an order, as it was when submitted. */
export function orderSpecOf(order: Order): OrderSpec {
  return {
    strategyId: order.strategyId,
    instrumentId: order.instrumentId,
    clientOrderId: order.clientOrderId,
    side: order.side,
    type: order.type,
    quantity: order.quantity,
    price: order.price,
    triggerPrice: order.triggerPrice,
    triggerType: order.triggerType,
    trailingOffset: order.trailingOffset,
    limitOffset: order.limitOffset,
    trailingOffsetType: order.trailingOffsetType,
    timeInForce: order.timeInForce,
    expireTime: order.expireTime,
    postOnly: order.postOnly,
    reduceOnly: order.reduceOnly,
    displayQty: order.displayQty,
    contingencyType: order.contingencyType,
    parentOrderId: order.parentOrderId,
    linkedOrderIds: [...order.linkedOrderIds],
    emulated: order.emulated,
    tags: [...order.tags],
    tsInit: order.tsInit,
  };
}

/** A command as journaled: orders replaced by their specifications. */
export function commandSnapshot(cmd: TradingCommand): unknown {
  if (cmd.type === "SubmitOrder") {
    return { ...cmd, order: orderSpecOf(cmd.order) };
  }
  if (cmd.type === "SubmitOrderList") {
    return { ...cmd, orders: cmd.orders.map(orderSpecOf) };
  }
  return cmd;
}

/** Number of keys `orderSpecOf` produces: a spec with any other key set is not positional. */
const SPEC_KEYS = 23;

function countKeys(o: object): number {
  let n = 0;
  for (const _ in o) n++;
  return n;
}

/**
 * A journaled spec is positional when it is exactly what {@link orderSpecOf} makes (every
 * field present, none undefined, integer times): the wire's order writer then reads it as it
 * reads an order.
 */
function checkSpec(spec: OrderSpec): void {
  if (countKeys(spec) !== SPEC_KEYS) throw NOT_POSITIONAL;
  for (const k in spec)
    if ((spec as unknown as Record<string, unknown>)[k] === undefined) throw NOT_POSITIONAL;
  if (
    !Number.isSafeInteger(spec.tsInit) ||
    (spec.expireTime != null && !Number.isSafeInteger(spec.expireTime))
  )
    throw NOT_POSITIONAL;
}

type Snapshot<C, K extends string, V> = Omit<C, K> & { [key in K]: V };
type SubmitOrderSnapshot = Snapshot<SubmitOrder, "order", OrderSpec>;
type SubmitOrderListSnapshot = Snapshot<SubmitOrderList, "orders", readonly OrderSpec[]>;

/**
 * The wire's SubmitOrder / SubmitOrderList bodies carrying specifications: the same bytes;
 * decoding re-creates each order (validating it again) and takes its specification.
 */
const SubmitOrderSnapshotCodec: BodyCodec<SubmitOrderSnapshot> = {
  id: SubmitOrderCodec.id,
  name: "SubmitOrder",
  encode(w, c) {
    checkSpec(c.order);
    SubmitOrderCodec.encode(w, c as unknown as SubmitOrder);
  },
  decode(r) {
    const c = SubmitOrderCodec.decode(r);
    return { ...c, order: orderSpecOf(c.order) };
  },
};

const SubmitOrderListSnapshotCodec: BodyCodec<SubmitOrderListSnapshot> = {
  id: SubmitOrderListCodec.id,
  name: "SubmitOrderList",
  encode(w, c) {
    for (const o of c.orders) checkSpec(o);
    SubmitOrderListCodec.encode(w, c as unknown as SubmitOrderList);
  },
  decode(r) {
    const c = SubmitOrderListCodec.decode(r);
    return { ...c, orders: c.orders.map(orderSpecOf) };
  },
};

// Append-only: the position is the stored code.
const SCOPES = enumCodec<RiskScope>("RiskScope", ["global", "account", "strategy", "instrument"]);
const STATES = enumCodec("TradingState", [TradingState.Active, TradingState.Reducing, TradingState.Halted]);

const RiskTrippedCodec: BodyCodec<RiskTripped> = {
  id: 200,
  name: "RiskTripped",
  encode(w, e) {
    w.str(e.eventId, "eventId");
    w.str(e.cause, "cause");
    SCOPES.encode(w, e.scope);
    writeOptStr(w, e.target, "target");
    w.str(e.value, "value");
    w.str(e.limit, "limit");
    w.str(e.detail, "detail");
    w.f64(e.canceledOrders);
    w.f64(e.flattenOrders);
    w.f64(e.tsEvent);
  },
  decode(r) {
    return {
      type: "RiskTripped",
      eventId: r.str("eventId"),
      cause: r.str("cause") as TripCause,
      scope: SCOPES.decode(r, "scope"),
      target: readOptStr(r, "target"),
      value: r.str("value"),
      limit: r.str("limit"),
      detail: r.str("detail"),
      canceledOrders: r.int("canceledOrders"),
      flattenOrders: r.int("flattenOrders"),
      tsEvent: r.int("tsEvent"),
    };
  },
};

const TradingStateChangedCodec: BodyCodec<TradingStateChanged> = {
  id: 201,
  name: "TradingStateChanged",
  encode(w, e) {
    w.str(e.eventId, "eventId");
    SCOPES.encode(w, e.scope);
    writeOptStr(w, e.target, "target");
    STATES.encode(w, e.from);
    STATES.encode(w, e.to);
    w.str(e.reason, "reason");
    w.f64(e.tsEvent);
  },
  decode(r) {
    return {
      type: "TradingStateChanged",
      eventId: r.str("eventId"),
      scope: SCOPES.decode(r, "scope"),
      target: readOptStr(r, "target"),
      from: STATES.decode(r, "from"),
      to: STATES.decode(r, "to"),
      reason: r.str("reason"),
      tsEvent: r.int("tsEvent"),
    };
  },
};

const RiskCommandRefusedCodec: BodyCodec<RiskCommandRefused> = {
  id: 202,
  name: "RiskCommandRefused",
  encode(w, e) {
    w.str(e.eventId, "eventId");
    w.str(e.code, "code");
    w.str(e.reason, "reason");
    w.f64(e.tsEvent);
  },
  decode(r) {
    return {
      type: "RiskCommandRefused",
      eventId: r.str("eventId"),
      code: r.str("code"),
      reason: r.str("reason"),
      tsEvent: r.int("tsEvent"),
    };
  },
};

// biome-ignore lint/suspicious/noExplicitAny: the registry holds bodies of every journaled type
type AnyBody = BodyCodec<any>;

/** Type id of the JSON fallback. */
export const JSON_TYPE_ID = 0;

const BODIES: readonly AnyBody[] = [
  ...ORDER_EVENT_CODECS,
  ...POSITION_EVENT_CODECS,
  AccountStateCodec,
  SubmitOrderSnapshotCodec,
  SubmitOrderListSnapshotCodec,
  ModifyOrderCodec,
  CancelOrderCodec,
  CancelAllOrdersCodec,
  RiskTrippedCodec,
  TradingStateChangedCodec,
  RiskCommandRefusedCodec,
];
const BY_ID: (AnyBody | undefined)[] = [];
const BY_NAME = new Map<string, AnyBody>();
for (const c of BODIES) {
  BY_ID[c.id] = c;
  BY_NAME.set(c.name, c);
}
/**
 * Key count of each positional type's decoded object, learnt from the first encoding: an
 * object with a different number of keys has fields the body would drop, so it goes as JSON.
 */
const KEYS: (number | undefined)[] = [];

/** Thrown inside an encoder when the payload has no exact positional form (caught: JSON). */
const NOT_POSITIONAL = new JournalCodecError("JOURNAL_NOT_POSITIONAL", "payload has no positional form");

const utf8 = new TextEncoder();

function writeJson(w: ByteWriter, payload: unknown): void {
  const text = JSON.stringify(payload);
  if (text === undefined) {
    throw new JournalCodecError("JOURNAL_ENCODE", `payload of type ${typeof payload} has no journal form`);
  }
  const bytes = utf8.encode(text);
  w.u16(JSON_TYPE_ID);
  w.u32(bytes.length);
  w.ensure(bytes.length);
  w.buf.set(bytes, w.pos);
  w.pos += bytes.length;
}

const probe = new ByteReader(new Uint8Array(0));

/** Positional bodies keep times as integers (µs); anything else goes as JSON, exactly. */
function integralTimes(p: { tsEvent?: unknown; tsInit?: unknown }): boolean {
  return (
    (p.tsEvent === undefined || Number.isSafeInteger(p.tsEvent)) &&
    (p.tsInit === undefined || Number.isSafeInteger(p.tsInit))
  );
}

/**
 * Appends the payload's journal form to `w` (at `w.pos`): positional when its type has a
 * body and its shape matches exactly, JSON otherwise. Never writes a partial payload.
 */
export function writePayload(w: ByteWriter, payload: unknown): void {
  const type =
    payload !== null && typeof payload === "object" ? (payload as { type?: unknown }).type : undefined;
  const body = typeof type === "string" ? BY_NAME.get(type) : undefined;
  if (body !== undefined && integralTimes(payload as { tsEvent?: unknown; tsInit?: unknown })) {
    const keys = countKeys(payload as object);
    const expected = KEYS[body.id];
    if (expected === undefined || expected === keys) {
      const start = w.pos - w.start;
      try {
        w.u16(body.id);
        body.encode(w, payload);
        if (expected === undefined) {
          const bytes = w.buf.subarray(w.start + start, w.pos);
          probe.reset(bytes);
          probe.context = `journal ${type}`;
          KEYS[body.id] = countKeys(readPayload(probe) as object);
          if (KEYS[body.id] === keys) return;
        } else return;
      } catch {
        // No exact positional form (unknown enum value, missing field, ...): JSON below.
      }
      w.pos = w.start + start;
    }
  }
  writeJson(w, payload);
}

/** Reads one payload that spans the reader's remaining bytes exactly. */
export function readPayload<T = unknown>(r: ByteReader): T {
  const id = r.u16("typeId");
  let value: unknown;
  if (id === JSON_TYPE_ID) {
    const n = r.u32("json.length");
    r.need(n, "json");
    const text = Buffer.from(r.buf.buffer, r.buf.byteOffset + r.pos, n).toString("utf8");
    r.pos += n;
    value = decodeJson(text);
  } else {
    const body = BY_ID[id];
    if (body === undefined) {
      throw new JournalCodecError("JOURNAL_DECODE", `${r.context}: unknown payload type id ${id}`, {
        typeId: id,
      });
    }
    value = body.decode(r);
  }
  if (r.remaining() !== 0) {
    throw new JournalCodecError(
      "JOURNAL_DECODE",
      `${r.context}: ${r.remaining()} unexpected bytes after the payload`,
      { typeId: id },
    );
  }
  return value as T;
}

const scratchWriter = new ByteWriter(4096);

/** A payload's journal bytes (a copy; tests and tools — the journal encodes in place). */
export function encodePayload(payload: unknown): Uint8Array {
  scratchWriter.reset();
  writePayload(scratchWriter, payload);
  return scratchWriter.finish().slice();
}

/** Decodes journal payload bytes; anything malformed throws a {@link JournalCodecError}. */
export function decodePayload<T = unknown>(bytes: Uint8Array, context = "journal payload"): T {
  const r = new ByteReader(bytes);
  r.context = context;
  try {
    return readPayload<T>(r);
  } catch (e) {
    if (e instanceof JournalCodecError) throw e;
    throw new JournalCodecError("JOURNAL_DECODE", `cannot decode ${context}: ${(e as Error).message}`);
  }
}
