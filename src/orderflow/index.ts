/**
 * Order-flow analytics: aggressor classification, cumulative delta, footprint bars, volume
 * profile, book imbalance, order-flow imbalance, micro-price (weighted and Stoikov), VPIN,
 * Kyle's lambda, trade intensity, and large-trade / absorption / liquidity-withdrawal
 * detectors. All streaming, on raw fixed-point integers. See docs/orderflow.md.
 */
export * from "./book.js";
export * from "./classify.js";
export * from "./common.js";
export * from "./delta.js";
export * from "./detectors.js";
export * from "./footprint.js";
export * from "./intensity.js";
export * from "./kyle.js";
export { VolumeLadder, valueArea } from "./ladder.js";
export * from "./microprice.js";
export * from "./profile.js";
export * from "./vpin.js";
