/** Core services: message bus, clocks and timers, kernel and components, config, logging, RNG. */
export * from "./bus.js";
export * from "./clock.js";
export * from "./component.js";
export * from "./config.js";
export * from "./eventlog.js";
export * from "./kernel.js";
export * from "./logging.js";
export * from "./rng.js";
export * from "./topics.js";
