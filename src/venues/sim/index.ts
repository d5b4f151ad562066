/** The simulated venue: matching engine (docs/matching.md), fill models, latency and fees (docs/simvenue.md). */
export * from "./codes.js";
export {
  type BarPathRule,
  type FillModelKind,
  OWN_OWNER,
  SIM_NATIVE_ORDER_TYPES,
  SimulatedExchange,
  type SimulatedExchangeConfig,
} from "./exchange.js";
export { commissionRaw, FeeSchedule, parseRate } from "./fees.js";
export { barPath, queueAfterLevelUpdate } from "./fill-models.js";
export { BookSide, type NodeState, type OrderNode, type PriceLevel } from "./l3-book.js";
export { type LatencyConfig, LatencyModel } from "./latency.js";
export {
  EngineEvent,
  type EngineListener,
  MatchingEngine,
  type MatchingEngineConfig,
  type OrderRequest,
} from "./matching-engine.js";
