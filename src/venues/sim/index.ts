/** The simulated venue: its matching engine (rules in docs/matching.md). */
export * from "./codes.js";
export { BookSide, type NodeState, type OrderNode, type PriceLevel } from "./l3-book.js";
export {
  EngineEvent,
  type EngineListener,
  MatchingEngine,
  type MatchingEngineConfig,
  type OrderRequest,
} from "./matching-engine.js";
