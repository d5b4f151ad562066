/** Enumerations shared across the domain model. String values are stable (they appear in logs and journals). */

export enum OrderSide {
  Buy = "BUY",
  Sell = "SELL",
}

export function oppositeSide(side: OrderSide): OrderSide {
  return side === OrderSide.Buy ? OrderSide.Sell : OrderSide.Buy;
}

/** Which side of a trade took liquidity. */
export enum AggressorSide {
  NoAggressor = "NO_AGGRESSOR",
  Buyer = "BUYER",
  Seller = "SELLER",
}

export enum OrderType {
  Market = "MARKET",
  Limit = "LIMIT",
  StopMarket = "STOP_MARKET",
  StopLimit = "STOP_LIMIT",
  MarketIfTouched = "MARKET_IF_TOUCHED",
  LimitIfTouched = "LIMIT_IF_TOUCHED",
  TrailingStopMarket = "TRAILING_STOP_MARKET",
  TrailingStopLimit = "TRAILING_STOP_LIMIT",
}

export enum TimeInForce {
  /** Good till canceled. */
  GTC = "GTC",
  /** Immediate or cancel: fill what can be filled now, cancel the rest. */
  IOC = "IOC",
  /** Fill or kill: fill completely now or not at all. */
  FOK = "FOK",
  /** Good till date: expires at `expireTime`. */
  GTD = "GTD",
  /** Expires at the end of the venue's trading day. */
  DAY = "DAY",
}

export enum OrderStatus {
  Initialized = "INITIALIZED",
  Denied = "DENIED",
  Submitted = "SUBMITTED",
  Accepted = "ACCEPTED",
  Rejected = "REJECTED",
  Triggered = "TRIGGERED",
  PendingUpdate = "PENDING_UPDATE",
  PendingCancel = "PENDING_CANCEL",
  PartiallyFilled = "PARTIALLY_FILLED",
  Filled = "FILLED",
  Canceled = "CANCELED",
  Expired = "EXPIRED",
}

/** Which price a stop / if-touched / trailing order triggers on. */
export enum TriggerType {
  Default = "DEFAULT",
  LastPrice = "LAST_PRICE",
  BidAsk = "BID_ASK",
  MarkPrice = "MARK_PRICE",
  IndexPrice = "INDEX_PRICE",
}

/** How a trailing offset is expressed. */
export enum TrailingOffsetType {
  /** An absolute price distance. */
  Price = "PRICE",
  /** Basis points of the reference price. */
  BasisPoints = "BASIS_POINTS",
  /** A number of price ticks. */
  Ticks = "TICKS",
}

export enum LiquiditySide {
  NoLiquiditySide = "NO_LIQUIDITY_SIDE",
  Maker = "MAKER",
  Taker = "TAKER",
}

export enum BookSide {
  Bid = "BID",
  Ask = "ASK",
}

export enum BookAction {
  Add = "ADD",
  Update = "UPDATE",
  Delete = "DELETE",
  Clear = "CLEAR",
}

export enum BookType {
  /** Top of book only. */
  L1 = "L1_MBP",
  /** Market by price: aggregated size per price level. */
  L2 = "L2_MBP",
  /** Market by order: every resting order. */
  L3 = "L3_MBO",
}

export enum PriceType {
  Bid = "BID",
  Ask = "ASK",
  Mid = "MID",
  Last = "LAST",
  Mark = "MARK",
}

export enum PositionSide {
  Flat = "FLAT",
  Long = "LONG",
  Short = "SHORT",
}

export enum OmsType {
  /** One position per instrument per strategy; fills net against it. */
  Netting = "NETTING",
  /** A position per entry order. */
  Hedging = "HEDGING",
}

export enum AccountType {
  Cash = "CASH",
  Margin = "MARGIN",
}

export enum ContingencyType {
  None = "NONE",
  /** One cancels the other. */
  OCO = "OCO",
  /** One updates the other (partial fills reduce the sibling). */
  OUO = "OUO",
  /** One triggers the other (parent fill activates children). */
  OTO = "OTO",
}

export enum TradingState {
  Active = "ACTIVE",
  Reducing = "REDUCING",
  Halted = "HALTED",
}
