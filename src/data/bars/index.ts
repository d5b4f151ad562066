/** Bar aggregation from trades: time (UTC-aligned), tick, volume and value bars. */
export * from "./aggregator.js";
export * from "./interval.js";
