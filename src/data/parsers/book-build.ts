/** Builds domain {@link OrderBookDeltas} from decoded price levels (shared by every venue parser). */
import { BookFlags, BookOrder, OrderBookDelta, OrderBookDeltas } from "../../model/data.js";
import { BookAction, BookSide } from "../../model/enums.js";
import type { InstrumentId } from "../../model/identifiers.js";
import type { UnixMicros } from "../../model/time.js";
import type { Price, Quantity } from "../../model/values.js";
import { isObject, ParseError, parsePrice, parseQuantity, show } from "./common.js";

/** Collects levels of one venue message and turns them into one atomic {@link OrderBookDeltas}. */
export class DeltaBatch {
  private readonly orders: BookOrder[] = [];

  constructor(
    readonly instrumentId: InstrumentId,
    readonly isSnapshot: boolean,
  ) {}

  add(side: BookSide, price: Price, size: Quantity): void {
    this.orders.push(new BookOrder(side, price, size, 0));
  }

  /** Adds `[price, size, ...]` string pairs (Binance, Bybit, OKX, Coinbase, Kraken v1). */
  addPairs(side: BookSide, levels: unknown, field: string): void {
    if (!Array.isArray(levels)) throw new ParseError(`"${field}" must be an array of levels`, field);
    for (let i = 0; i < levels.length; i++) {
      const l = levels[i];
      if (!Array.isArray(l) || l.length < 2) {
        throw new ParseError(`${field}[${i}] must be [price, size, ...], got ${show(l)}`, field);
      }
      this.add(side, parsePrice(l[0], `${field}[${i}][0]`), parseQuantity(l[1], `${field}[${i}][1]`));
    }
  }

  /** Adds `{price, qty}` objects (Kraken v2). */
  addObjects(side: BookSide, levels: unknown, field: string): void {
    if (!Array.isArray(levels)) throw new ParseError(`"${field}" must be an array of levels`, field);
    for (let i = 0; i < levels.length; i++) {
      const l = levels[i];
      if (!isObject(l)) throw new ParseError(`${field}[${i}] must be {price, qty}, got ${show(l)}`, field);
      this.add(side, parsePrice(l.price, `${field}[${i}].price`), parseQuantity(l.qty, `${field}[${i}].qty`));
    }
  }

  get size(): number {
    return this.orders.length;
  }

  build(
    firstSequence: number,
    sequence: number,
    prevSequence: number,
    tsEvent: UnixMicros,
    tsInit: UnixMicros,
    checksum: number | null = null,
  ): OrderBookDeltas {
    const out: OrderBookDelta[] = [];
    const snapFlag = this.isSnapshot ? BookFlags.Snapshot : 0;
    const n = this.orders.length;
    if (this.isSnapshot) {
      out.push(
        new OrderBookDelta(
          this.instrumentId,
          BookAction.Clear,
          null,
          snapFlag | (n === 0 ? BookFlags.Last : 0),
          sequence,
          tsEvent,
          tsInit,
        ),
      );
    }
    for (let i = 0; i < n; i++) {
      const o = this.orders[i];
      const action = this.isSnapshot
        ? BookAction.Add
        : o.size.raw === 0
          ? BookAction.Delete
          : BookAction.Update;
      const flags = snapFlag | (i === n - 1 ? BookFlags.Last : 0);
      out.push(new OrderBookDelta(this.instrumentId, action, o, flags, sequence, tsEvent, tsInit));
    }
    return new OrderBookDeltas(
      this.instrumentId,
      out,
      this.isSnapshot,
      firstSequence,
      sequence,
      prevSequence,
      tsEvent,
      tsInit,
      checksum,
    );
  }
}

export { BookSide };
