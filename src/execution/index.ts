/** Execution: the OMS (order state, routing, in-flight tracking), contingencies, emulation and algorithms. */
export * from "./algorithms.js";
export * from "./cache.js";
export * from "./client.js";
export * from "./contingency.js";
export * from "./emulator.js";
export * from "./engine.js";
export * from "./errors.js";
export * from "./reconciliation.js";
