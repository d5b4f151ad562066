/**
 * Field encoders shared by the message bodies: fixed-point values, money, identifiers and
 * enumerations. Enumerations travel as a u8 index into an explicit, append-only list; never
 * reorder these lists (the index is the wire value).
 */
import { currency } from "../../model/currency.js";
import {
  AccountType,
  AggressorSide,
  BookAction,
  BookSide,
  ContingencyType,
  LiquiditySide,
  OrderSide,
  OrderType,
  PositionSide,
  TimeInForce,
  TrailingOffsetType,
  TriggerType,
} from "../../model/enums.js";
import { MAX_PRECISION } from "../../model/fixed.js";
import { InstrumentId } from "../../model/identifiers.js";
import { Money, Price, Quantity } from "../../model/values.js";
import type { ByteReader, ByteWriter } from "./bytes.js";
import { CodecError } from "./errors.js";

export interface EnumCodec<E extends string> {
  readonly name: string;
  readonly values: readonly E[];
  encode(w: ByteWriter, v: E): void;
  decode(r: ByteReader, field: string): E;
}

export function enumCodec<E extends string>(name: string, values: readonly E[]): EnumCodec<E> {
  // A prototype-less object: a keyed load with an enum-constant key is cheaper than a Map lookup.
  const index: Record<string, number> = Object.create(null);
  for (let i = 0; i < values.length; i++) index[values[i]] = i;
  return {
    name,
    values,
    encode(w, v) {
      const i = index[v];
      if (i === undefined) {
        throw new CodecError("CODEC_UNENCODABLE", `${name} value "${v}" has no wire code`, { enum: name });
      }
      w.u8(i);
    },
    decode(r, field) {
      const i = r.u8(field);
      const v = values[i];
      if (v === undefined) {
        throw new CodecError(
          "CODEC_INVALID_VALUE",
          `${r.context}: ${field} has unknown ${name} code ${i} (known 0..${values.length - 1})`,
          { field, code: i },
        );
      }
      return v;
    },
  };
}

// Append-only: the position is the wire code.
export const AggressorSides = enumCodec("AggressorSide", [
  AggressorSide.NoAggressor,
  AggressorSide.Buyer,
  AggressorSide.Seller,
]);
export const BookSides = enumCodec("BookSide", [BookSide.Bid, BookSide.Ask]);
export const BookActions = enumCodec("BookAction", [
  BookAction.Add,
  BookAction.Update,
  BookAction.Delete,
  BookAction.Clear,
]);
export const OrderSides = enumCodec("OrderSide", [OrderSide.Buy, OrderSide.Sell]);
export const OrderTypes = enumCodec("OrderType", [
  OrderType.Market,
  OrderType.Limit,
  OrderType.StopMarket,
  OrderType.StopLimit,
  OrderType.MarketIfTouched,
  OrderType.LimitIfTouched,
  OrderType.TrailingStopMarket,
  OrderType.TrailingStopLimit,
]);
export const TimesInForce = enumCodec("TimeInForce", [
  TimeInForce.GTC,
  TimeInForce.IOC,
  TimeInForce.FOK,
  TimeInForce.GTD,
  TimeInForce.DAY,
]);
export const TriggerTypes = enumCodec("TriggerType", [
  TriggerType.Default,
  TriggerType.LastPrice,
  TriggerType.BidAsk,
  TriggerType.MarkPrice,
  TriggerType.IndexPrice,
]);
export const TrailingOffsetTypes = enumCodec("TrailingOffsetType", [
  TrailingOffsetType.Price,
  TrailingOffsetType.BasisPoints,
  TrailingOffsetType.Ticks,
]);
export const LiquiditySides = enumCodec("LiquiditySide", [
  LiquiditySide.NoLiquiditySide,
  LiquiditySide.Maker,
  LiquiditySide.Taker,
]);
export const PositionSides = enumCodec("PositionSide", [
  PositionSide.Flat,
  PositionSide.Long,
  PositionSide.Short,
]);
export const AccountTypes = enumCodec("AccountType", [AccountType.Cash, AccountType.Margin]);
export const ContingencyTypes = enumCodec("ContingencyType", [
  ContingencyType.None,
  ContingencyType.OCO,
  ContingencyType.OUO,
  ContingencyType.OTO,
]);

export function writePrice(w: ByteWriter, p: Price): void {
  w.f64(p.raw);
  w.u8(p.precision);
}

export function readPrice(r: ByteReader, field: string): Price {
  const raw = r.int(field);
  const precision = r.u8(field);
  if (precision > MAX_PRECISION) throw badPrecision(r, field, precision);
  // raw is a checked safe integer and precision an integer in range: no further checks needed.
  return Price.fromRawUnchecked(raw, precision);
}

function badPrecision(r: ByteReader, field: string, precision: number): CodecError {
  return new CodecError(
    "CODEC_INVALID_VALUE",
    `${r.context}: ${field} has precision ${precision}, outside 0..${MAX_PRECISION}`,
    { field, precision },
  );
}

export function writeQuantity(w: ByteWriter, q: Quantity): void {
  w.f64(q.raw);
  w.u8(q.precision);
}

export function readQuantity(r: ByteReader, field: string): Quantity {
  const raw = r.int(field);
  const precision = r.u8(field);
  if (precision > MAX_PRECISION) throw badPrecision(r, field, precision);
  if (raw < 0) {
    throw new CodecError("CODEC_INVALID_VALUE", `${r.context}: ${field} is negative (raw ${raw})`, { field });
  }
  return Quantity.fromRawUnchecked(raw, precision);
}

/** Null marker (0) or 1 followed by the value. */
export function writeOptPrice(w: ByteWriter, p: Price | null): void {
  if (p === null) w.u8(0);
  else {
    w.u8(1);
    writePrice(w, p);
  }
}

export function readOptPrice(r: ByteReader, field: string): Price | null {
  return r.bool(field) ? readPrice(r, field) : null;
}

export function writeOptQuantity(w: ByteWriter, q: Quantity | null): void {
  if (q === null) w.u8(0);
  else {
    w.u8(1);
    writeQuantity(w, q);
  }
}

export function readOptQuantity(r: ByteReader, field: string): Quantity | null {
  return r.bool(field) ? readQuantity(r, field) : null;
}

export function writeOptNumber(w: ByteWriter, v: number | null): void {
  if (v === null) w.u8(0);
  else {
    w.u8(1);
    w.f64(v);
  }
}

export function readOptNumber(r: ByteReader, field: string): number | null {
  return r.bool(field) ? r.f64(field) : null;
}

export function readOptInt(r: ByteReader, field: string): number | null {
  return r.bool(field) ? r.int(field) : null;
}

export function writeOptStr(w: ByteWriter, v: string | null, field: string): void {
  if (v === null) w.u8(0);
  else {
    w.u8(1);
    w.str(v, field);
  }
}

export function readOptStr(r: ByteReader, field: string): string | null {
  return r.bool(field) ? r.str(field) : null;
}

/** Money: raw, precision and currency code; the precision must match the registered currency. */
export function writeMoney(w: ByteWriter, m: Money): void {
  w.f64(m.raw);
  w.u8(m.precision);
  w.str(m.currency.code, "currency");
}

export function readMoney(r: ByteReader, field: string): Money {
  const raw = r.int(field);
  const precision = r.u8(field);
  const code = r.str(field);
  const c = currency(code);
  if (c.precision !== precision) {
    throw new CodecError(
      "CODEC_INVALID_VALUE",
      `${r.context}: ${field} in ${code} has precision ${precision}, but ${code} is registered with ${c.precision}`,
      { field, currency: code },
    );
  }
  return Money.fromRaw(raw, c);
}

const parseInstrumentId = (s: string) => InstrumentId.parse(s);

export function readInstrumentId(r: ByteReader, field: string): InstrumentId {
  return r.internedValue(field, parseInstrumentId);
}

/** An optional identifier (null marker + string), constructed by `make` on decode. */
export function writeOptId(w: ByteWriter, id: { value: string } | null, field: string): void {
  writeOptStr(w, id === null ? null : id.value, field);
}

export function readOptId<T>(r: ByteReader, field: string, make: (v: string) => T): T | null {
  const s = readOptStr(r, field);
  return s === null ? null : make(s);
}
