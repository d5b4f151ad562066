/**
 * Simulated venue, L2 fill model (issue 4 part 2): events per second through
 * `SimulatedExchange` on the shared Binance USDⓈ-M BTCUSDT recording (hftbacktest layout,
 * 2024-08-08 23:54–23:59 UTC): depth diffs (synchronised to the REST snapshot) and trades,
 * loaded into memory once; each run replays them into a fresh venue on a TestClock.
 *
 * Cases: the data alone (book mirror + trade handling); with a quoting loop that every N
 * events cancels its two quotes and places a post-only bid and ask at the recorded touch
 * (0.002 BTC each), zero latency; and the same loop with 1 ms entry / 1 ms ack latency and
 * 500 µs seeded jitter (every command and report goes through the clock's timers).
 * "events" = market-data messages + order commands; deltas (level changes) counted apart.
 * Best of 5 runs after two warm-up runs (median printed too). For scale, the same depth
 * messages applied to the data layer's plain L2 `OrderBook` are timed as a reference.
 */
import { fileURLToPath } from "node:url";
import { TestClock } from "../src/core/clock.js";
import { Rng } from "../src/core/rng.js";
import { OrderBook } from "../src/data/book/order-book.js";
import { OrderBookDeltas, TradeTick } from "../src/model/data.js";
import { OrderSide, OrderType, TimeInForce } from "../src/model/enums.js";
import { AccountId, ClientOrderId, InstrumentId } from "../src/model/identifiers.js";
import { btcUsdtPerp } from "../src/model/testing.js";
import { Price, Quantity } from "../src/model/values.js";
import { SimulatedExchange } from "../src/venues/sim/exchange.js";
import { loadBinanceUsdm } from "../src/venues/sim/replay-support.js";
import { type BenchContext, machineInfo, round } from "./harness.js";

const DATA = fileURLToPath(new URL("../../shared/data/", import.meta.url));
const FILE = `${DATA}orderbook/hftbacktest_binance-usdm_btcusdt_20240808.gz`;

const ID = InstrumentId.parse("BTCUSDT-PERP.BINANCE");
const INST = btcUsdtPerp(ID, { minNotional: "100", marginInit: "0.01", marginMaint: "0.005" });
const QTY = Quantity.parse("0.002");

interface RunResult {
  seconds: number;
  /** Process CPU time (user + system) of the run: the wall clock also counts time not scheduled. */
  cpuSeconds: number;
  events: number;
  commands: number;
  fills: number;
  reports: number;
}

function replay(
  records: (OrderBookDeltas | TradeTick)[],
  quoteEvery: number,
  latency: { entryUs: number; ackUs: number; jitterUs: number } | undefined,
): RunResult {
  const clock = new TestClock(0);
  const ex = new SimulatedExchange({
    venue: "BINANCE",
    accountId: new AccountId("BINANCE-001"),
    instruments: [INST],
    clock,
    rng: new Rng(20261129),
    fillModel: "l2",
    latency,
  });
  let fills = 0;
  let reports = 0;
  ex.bind({
    onVenueReport(r) {
      reports++;
      if (r.kind === "filled") fills++;
    },
  });
  const live: ClientOrderId[] = [];
  let cid = 0;
  let commands = 0;
  let n = 0;
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < records.length; i++) {
    const rec = records[i];
    if (rec.tsEvent > clock.timestampUs()) clock.advanceTo(rec.tsEvent);
    if (rec instanceof OrderBookDeltas) ex.processBookDeltas(rec);
    else ex.processTrade(rec);
    if (quoteEvery > 0 && ++n % quoteEvery === 0) {
      while (live.length > 0) {
        ex.cancelOrder(live.pop()!, null, ID);
        commands++;
      }
      const { bid, ask } = ex.recordedTouch(ID);
      if (Number.isNaN(bid) || Number.isNaN(ask)) continue;
      for (let s = 0; s < 2; s++) {
        const c = new ClientOrderId(`Q${++cid}`);
        live.push(c);
        commands++;
        ex.createOrder({
          clientOrderId: c,
          instrumentId: ID,
          side: s === 0 ? OrderSide.Buy : OrderSide.Sell,
          type: OrderType.Limit,
          quantity: QTY,
          price: Price.fromRaw(s === 0 ? bid : ask, 2),
          triggerPrice: null,
          timeInForce: TimeInForce.GTC,
          postOnly: true,
          reduceOnly: false,
          displayQty: null,
          tsInit: clock.timestampUs(),
        });
      }
    }
  }
  clock.advanceTo(clock.timestampUs() + 10_000_000);
  const t1 = process.hrtime.bigint();
  const c1 = process.cpuUsage(c0);
  return {
    seconds: Number(t1 - t0) / 1e9,
    cpuSeconds: (c1.user + c1.system) / 1e6,
    events: records.length + commands,
    commands,
    fills,
    reports,
  };
}

export async function run(ctx: BenchContext): Promise<void> {
  ctx.emit({ case: "machine", ...machineInfo() });
  const { records, deltaCount } = await loadBinanceUsdm(FILE);
  const data = records.filter(
    (r): r is OrderBookDeltas | TradeTick => r instanceof OrderBookDeltas || r instanceof TradeTick,
  );
  const depthMessages = data.filter((r) => r instanceof OrderBookDeltas).length;
  ctx.emit({
    case: "simvenue.data",
    messages: data.length,
    depthMessages,
    trades: data.length - depthMessages,
    levelChanges: deltaCount,
  });
  // Reference: the same depth messages into the data layer's plain L2 OrderBook (no venue).
  {
    const depth = data.filter((r): r is OrderBookDeltas => r instanceof OrderBookDeltas);
    const once = () => {
      const ob = new OrderBook(ID);
      const t0 = process.hrtime.bigint();
      for (const d of depth) ob.applyDeltas(d);
      return Number(process.hrtime.bigint() - t0) / 1e9;
    };
    once();
    once();
    const times: number[] = [];
    for (let r = 0; r < 5; r++) times.push(once());
    times.sort((a, b) => a - b);
    ctx.emit({
      case: "reference.l2-orderbook.applyDeltas (depth messages only, no venue)",
      levelChangesPerSec: Math.round(deltaCount / times[0]),
      bestMs: round(times[0] * 1000, 1),
      medianMs: round(times[2] * 1000, 1),
    });
  }
  const cases: [string, number, { entryUs: number; ackUs: number; jitterUs: number } | undefined][] = [
    ["simvenue.l2.data-only", 0, undefined],
    ["simvenue.l2.quoting-every-10-events", 10, undefined],
    ["simvenue.l2.quoting-every-2-events", 2, undefined],
    [
      "simvenue.l2.quoting-every-10-events.latency-1ms-jitter-500us",
      10,
      { entryUs: 1000, ackUs: 1000, jitterUs: 500 },
    ],
  ];
  for (const [name, every, latency] of cases) {
    replay(data, every, latency); // warm-up (twice: the first run also compiles)
    replay(data, every, latency);
    const runs: RunResult[] = [];
    for (let r = 0; r < 5; r++) runs.push(replay(data, every, latency));
    const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
    const best = sorted[0];
    const median = sorted[2];
    ctx.emit({
      case: name,
      events: best.events,
      commands: best.commands,
      fills: best.fills,
      reports: best.reports,
      eventsPerSec: Math.round(best.events / best.seconds),
      medianEventsPerSec: Math.round(median.events / median.seconds),
      levelChangesPerSec: Math.round(deltaCount / best.seconds),
      bestMs: round(best.seconds * 1000, 1),
      medianMs: round(median.seconds * 1000, 1),
      bestRunCpuMs: round(best.cpuSeconds * 1000, 1),
    });
  }
}
