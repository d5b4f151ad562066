/** The domain model: value types, identifiers, instruments, market data, orders and events. */
export * from "./commands.js";
export * from "./currency.js";
export * from "./data.js";
export * from "./enums.js";
export * from "./errors.js";
export * from "./events.js";
export * from "./fixed.js";
export * from "./identifiers.js";
export * from "./instruments.js";
export * from "./orders.js";
export * from "./time.js";
export * from "./values.js";
