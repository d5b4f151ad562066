/**
 * Identifiers. Each is a tiny immutable value with a validated string form; `InstrumentId` is
 * `SYMBOL.VENUE` (e.g. `BTCUSDT-PERP.BINANCE`), split at the last dot.
 */
import { IdentifierError } from "./errors.js";

const VALID = /^[^\s]+$/;

abstract class Identifier {
  readonly value: string;

  protected constructor(value: string, kind: string) {
    if (typeof value !== "string" || value.length === 0 || value.length > 128 || !VALID.test(value)) {
      throw new IdentifierError(
        "IDENTIFIER_INVALID",
        `${kind} "${value}" must be 1-128 non-space characters`,
        {
          kind,
          value,
        },
      );
    }
    this.value = value;
  }

  toString(): string {
    return this.value;
  }

  toJSON(): string {
    return this.value;
  }

  equals(other: Identifier): boolean {
    return this.value === other.value && this.constructor === other.constructor;
  }
}

export class Symbol_ extends Identifier {
  constructor(value: string) {
    super(value, "Symbol");
  }
}

export class Venue extends Identifier {
  constructor(value: string) {
    super(value, "Venue");
    if (value.includes(".")) {
      throw new IdentifierError("IDENTIFIER_INVALID", `Venue "${value}" must not contain '.'`, { value });
    }
  }
}

/** `SYMBOL.VENUE`. Interned: the same string always yields the same object, so `===` works. */
export class InstrumentId extends Identifier {
  readonly symbol: string;
  readonly venue: string;

  private constructor(symbol: string, venue: string) {
    super(`${symbol}.${venue}`, "InstrumentId");
    this.symbol = symbol;
    this.venue = venue;
  }

  private static readonly interned = new Map<string, InstrumentId>();

  static of(symbol: string, venue: string): InstrumentId {
    const key = `${symbol}.${venue}`;
    let id = InstrumentId.interned.get(key);
    if (id === undefined) {
      new Symbol_(symbol);
      new Venue(venue);
      id = new InstrumentId(symbol, venue);
      InstrumentId.interned.set(key, id);
    }
    return id;
  }

  /** Parses `SYMBOL.VENUE` (the venue is after the last dot). */
  static parse(text: string): InstrumentId {
    const cached = InstrumentId.interned.get(text);
    if (cached !== undefined) return cached;
    const dot = text.lastIndexOf(".");
    if (dot <= 0 || dot === text.length - 1) {
      throw new IdentifierError("INSTRUMENT_ID_INVALID", `InstrumentId "${text}" must be SYMBOL.VENUE`, {
        value: text,
      });
    }
    return InstrumentId.of(text.slice(0, dot), text.slice(dot + 1));
  }
}

export class ClientOrderId extends Identifier {
  constructor(value: string) {
    super(value, "ClientOrderId");
  }
}

export class VenueOrderId extends Identifier {
  constructor(value: string) {
    super(value, "VenueOrderId");
  }
}

export class TradeId extends Identifier {
  constructor(value: string) {
    super(value, "TradeId");
  }
}

export class StrategyId extends Identifier {
  constructor(value: string) {
    super(value, "StrategyId");
  }
}

export class TraderId extends Identifier {
  constructor(value: string) {
    super(value, "TraderId");
  }
}

/** `VENUE-NUMBER`-style account id, e.g. `BINANCE-001`. */
export class AccountId extends Identifier {
  constructor(value: string) {
    super(value, "AccountId");
  }
}

export class PositionId extends Identifier {
  constructor(value: string) {
    super(value, "PositionId");
  }
}

export class ComponentId extends Identifier {
  constructor(value: string) {
    super(value, "ComponentId");
  }
}
