import { describe, expect, it } from "vitest";
import { OrderType, TriggerType } from "../../model/enums.js";
import { limit, order, setup } from "./test-support.js";

describe("liquidity kept outside the book (externalTouch, checkTriggers)", () => {
  it("bid/ask triggers reference the better of the external touch and the book's own", () => {
    let extAsk = Number.NaN;
    const h = setup({ externalTouch: (isBuy) => (isBuy ? extAsk : Number.NaN) });
    const stop = { triggerPrice: 101, triggerType: TriggerType.BidAsk };
    h.engine.submit(order(1, "B", OrderType.StopMarket, 2, stop));
    extAsk = 100;
    h.engine.checkTriggers();
    h.engine.submit(limit(2, "S", 103, 1, { owner: 2 })); // own book's ask 103, external 100: 100
    expect(h.takeKinds()).toEqual(["Accepted#1", "Accepted#2"]);
    extAsk = 101; // the external ask moves up to the trigger
    h.engine.checkTriggers();
    expect(h.takeKinds()).toEqual(["Triggered#1", "Trade#1x2 1@103", "Canceled:MARKET_NO_LIQUIDITY#1"]);
  });

  it("without external liquidity the book's own best is the reference", () => {
    const h = setup({ externalTouch: () => Number.NaN });
    h.engine.submit(
      order(1, "S", OrderType.StopMarket, 1, { triggerPrice: 99, triggerType: TriggerType.BidAsk }),
    );
    h.engine.submit(limit(2, "B", 99, 1, { owner: 2 }));
    expect(h.takeKinds()).toEqual(["Accepted#1", "Accepted#2", "Triggered#1", "Trade#1x2 1@99"]);
  });
});
