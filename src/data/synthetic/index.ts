/** The seeded synthetic market (queue-reactive L2 order flow with Hawkes-type activity). */
export * from "./market.js";
export * from "./source.js";
