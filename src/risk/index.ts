/** Risk: pre-trade checks, post-trade limits and kill switch, sizing, VaR / expected shortfall. */
export * from "./engine.js";
export * from "./events.js";
export * from "./reasons.js";
export * from "./sizing.js";
export * from "./throttle.js";
export * from "./var.js";
