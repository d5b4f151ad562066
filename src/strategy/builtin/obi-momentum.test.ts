/**
 * `obi-momentum` in the backtest engine on the seeded synthetic L2 market: it trades on the
 * book imbalance, and an order the risk engine denies (synchronously, inside the submit call)
 * must not leave the strategy waiting forever for an answer that already came.
 */
import { describe, expect, it } from "vitest";
import { type BacktestConfig, BacktestEngine } from "../../backtest/engine.js";
import { SyntheticMarket } from "../../data/synthetic/market.js";
import { currency } from "../../model/currency.js";
import type { MarketData } from "../../model/data.js";
import { AccountType, OrderStatus } from "../../model/enums.js";
import { AccountId, InstrumentId } from "../../model/identifiers.js";
import { btcUsdtPerp } from "../../model/testing.js";
import { parseIsoToMicros } from "../../model/time.js";
import { ObiMomentum } from "./obi-momentum.js";

const ID = InstrumentId.parse("BTCUSDT-PERP.SIM");
const PERP = btcUsdtPerp(ID, { makerFee: "0" });

function* feed(minutes: number): Generator<MarketData> {
  const start = parseIsoToMicros("2026-01-05T00:00:00Z");
  const end = start + minutes * 60_000_000;
  const market = new SyntheticMarket({
    seed: 7,
    start,
    instruments: [
      { instrumentId: ID.value, initialPrice: "50000.00", tickSize: "0.10", lotSize: "0.001", levels: 20 },
    ],
  });
  while (market.nextTime() < end) yield* market.next();
}

function engine(risk?: BacktestConfig["risk"]): BacktestEngine {
  return new BacktestEngine({
    seed: 7,
    venues: [
      {
        name: "SIM",
        accountType: "margin",
        startingBalances: ["100000 USDT"],
        fillModel: "l2",
        leverage: 10,
      },
    ],
    instruments: [PERP],
    ...(risk === undefined ? {} : { risk }),
  });
}

const PARAMS = { instrument: ID.value, size: "0.010", threshold: 0.3, cooldownUs: 1_000_000 };

describe("obi-momentum", () => {
  it("enters and exits on the imbalance (fills on both sides)", async () => {
    const e = engine();
    e.addStrategy(new ObiMomentum("OBI-1", PARAMS));
    const r = await e.run(feed(10));
    expect(r.fills.length).toBeGreaterThan(2);
    const sides = new Set(r.fills.map((f) => f.orderSide));
    expect(sides.size).toBe(2);
  });

  it("keeps trying after a risk denial (the denial arrives inside the submit call)", async () => {
    const e = engine({
      accounts: [
        {
          accountId: new AccountId("SIM-001"),
          venue: "SIM",
          type: AccountType.Margin,
          currency: currency("USDT"),
          startingEquity: "100000",
          // 0.010 BTC at ~50,000 USDT = ~500 USDT per order: every order is over the limit
          maxOrderNotional: "100",
        },
      ],
    });
    e.addStrategy(new ObiMomentum("OBI-2", PARAMS));
    const r = await e.run(feed(10));
    expect(r.orders.length).toBeGreaterThan(1);
    expect(r.orders.every((o) => o.status === OrderStatus.Denied)).toBe(true);
    expect(r.fills.length).toBe(0);
  });
});
