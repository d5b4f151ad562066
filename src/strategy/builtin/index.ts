/**
 * The built-in strategies, by name. Each is a documented template in its own file.
 * Bar strategies take the bar type to trade; book strategies name their instrument in params.
 */
import type { BarType } from "../../model/data.js";
import { BotV6Error } from "../../model/errors.js";
import type { Strategy } from "../strategy.js";
import { EmaCross } from "./ema-cross.js";
import { MarketMaker } from "./market-maker.js";
import { MlSignal } from "./ml-signal.js";
import { ObiMomentum } from "./obi-momentum.js";
import { RsiReversion } from "./rsi-reversion.js";
import { SmaCross } from "./sma-cross.js";

export { EmaCross, MarketMaker, MlSignal, ObiMomentum, RsiReversion, SmaCross };

export interface BuiltinStrategy {
  readonly name: string;
  readonly description: string;
  /** "bars": needs a bar type; "book": needs L2 data of `params.instrument`. */
  readonly data: "bars" | "book";
  create(id: string, params: Record<string, unknown>, barType: BarType | null): Strategy;
}

function needBars(name: string, barType: BarType | null): BarType {
  if (barType === null)
    throw new BotV6Error("STRATEGY_NEEDS_BARS", `strategy ${name} trades bars; give it bar data`, {});
  return barType;
}

export const BUILTIN_STRATEGIES: readonly BuiltinStrategy[] = [
  {
    name: "sma-cross",
    description:
      "long-only SMA crossover: buy size on a cross up, close on a cross down (params fast, slow, size)",
    data: "bars",
    create: (id, p, bt) => new SmaCross(id, p, needBars("sma-cross", bt)),
  },
  {
    name: "ema-cross",
    description: "long-only EMA crossover (params fast, slow, size)",
    data: "bars",
    create: (id, p, bt) => new EmaCross(id, p, needBars("ema-cross", bt)),
  },
  {
    name: "rsi-reversion",
    description:
      "long-only RSI mean reversion: buy below lower, close above upper (params period, lower, upper, size)",
    data: "bars",
    create: (id, p, bt) => new RsiReversion(id, p, needBars("rsi-reversion", bt)),
  },
  {
    name: "market-maker",
    description:
      "two-sided post-only quotes around the micro-price with inventory skew and volatility spread (L2)",
    data: "book",
    create: (id, p) => new MarketMaker(id, p),
  },
  {
    name: "ml-signal",
    description:
      "model-driven: a feature set (indicators + order flow) → registry model (embedded or v2) → thresholds and sizing; optional walk-forward retraining with shadow promotion (params features, registry, model, ...)",
    data: "bars",
    create: (id, p, bt) => new MlSignal(id, p, needBars("ml-signal", bt)),
  },
  {
    name: "obi-momentum",
    description: "order-book-imbalance momentum: long on bid-heavy books, exit on ask-heavy (L2)",
    data: "book",
    create: (id, p) => new ObiMomentum(id, p),
  },
];

export function builtinStrategy(name: string): BuiltinStrategy {
  const s = BUILTIN_STRATEGIES.find((b) => b.name === name);
  if (s === undefined) {
    throw new BotV6Error(
      "STRATEGY_UNKNOWN",
      `unknown strategy "${name}"; built in: ${BUILTIN_STRATEGIES.map((b) => b.name).join(", ")}`,
      {
        strategy: name,
      },
    );
  }
  return s;
}
