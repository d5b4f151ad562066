/**
 * Pre-trade risk check latency (issue 6): the full check chain on every order, per order, with
 * every check configured (increments, min/max quantity and notional, max order notional, price
 * band, max position, gross/net exposure, open-order limits, self-trade prevention, balance,
 * two token-bucket throttles). Targets: p50 <= 1 µs, p99 <= 5 µs on one core.
 *
 * Latency per call is taken with `process.hrtime.bigint()` around each check and recorded in an
 * HDR histogram; the timer's own cost (an empty timed call) is measured the same way and
 * reported beside it, and subtracted in the `net` figures. The mean from a tight batch loop (no
 * per-call timer) is reported too. A second case times the whole submit path through the
 * execution engine (command validation, risk, events, a venue that acknowledges at once).
 */
import * as hdr from "hdr-histogram-js";
import { Kernel } from "../src/core/kernel.js";
import type { ExecutionClient, ExecutionReportSink, VenueOrderRequest } from "../src/execution/client.js";
import { ExecutionEngine } from "../src/execution/engine.js";
import { currency } from "../src/model/currency.js";
import { AccountType, OrderSide, OrderType } from "../src/model/enums.js";
import {
  AccountId,
  ClientOrderId,
  InstrumentId,
  StrategyId,
  VenueOrderId,
} from "../src/model/identifiers.js";
import { CurrencyPair } from "../src/model/instruments.js";
import { createOrder, type Order } from "../src/model/orders.js";
import { Money, Price, Quantity } from "../src/model/values.js";
import { RiskEngine } from "../src/risk/engine.js";
import { type BenchContext, machineInfo, measure, round } from "./harness.js";

/** Acknowledges every order at once (the bench measures our side, not a venue). */
class AckVenue implements ExecutionClient {
  readonly venue = "SIM";
  readonly accountId = new AccountId("SIM-001");
  readonly capabilities = {
    nativeOrderTypes: new Set([OrderType.Market, OrderType.Limit]),
    supportsModify: true,
    supportsPostOnly: true,
    supportsReduceOnly: true,
  };
  private sink!: ExecutionReportSink;
  private readonly vid = new VenueOrderId("V");
  bind(sink: ExecutionReportSink): void {
    this.sink = sink;
  }
  createOrder(r: VenueOrderRequest): void {
    this.sink.onVenueReport({
      kind: "accepted",
      clientOrderId: r.clientOrderId,
      venueOrderId: this.vid,
      ts: 0,
    });
  }
  cancelOrder(): void {}
  editOrder(): void {}
  fetchOrder = async () => null;
  fetchOpenOrders = async () => [];
  fetchMyTrades = async () => [];
  fetchPositions = async () => [];
  fetchBalance = async () => ({ accountId: this.accountId, balances: [], tsLast: 0 });
}

function node() {
  const kernel = new Kernel({ traderId: "B", mode: "backtest", seed: 1 });
  const usdt = currency("USDT");
  const instruments = ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"].map(
    (s) =>
      new CurrencyPair({
        id: InstrumentId.parse(`${s}.SIM`),
        baseCurrency: currency("BTC"),
        quoteCurrency: usdt,
        priceIncrement: "0.01",
        sizeIncrement: "0.00001",
        minQuantity: "0.00001",
        maxQuantity: "9000",
        minNotional: "5",
        maxNotional: "10000000",
        takerFee: "0.001",
      }),
  );
  const exec = new ExecutionEngine({ instruments: new Map(instruments.map((i) => [i.id, i])) });
  kernel.add(exec);
  const venue = new AckVenue();
  exec.registerClient(venue);
  const risk = new RiskEngine(exec, {
    accounts: [
      {
        accountId: venue.accountId,
        venue: "SIM",
        type: AccountType.Cash,
        currency: usdt,
        maxGrossExposure: "5000000",
        maxNetExposure: "5000000",
        maxOrderNotional: "1000000",
        maxOpenOrders: 1_000_000,
        throttle: { capacity: 1_000_000_000, perSecond: 1_000_000_000 },
      },
    ],
    defaultInstrument: { maxPosition: "1000000", priceBandBps: 500, staleAfterUs: 3_600_000_000 },
    defaultStrategy: {
      maxOpenOrders: 1_000_000,
      throttle: { capacity: 1_000_000_000, perSecond: 1_000_000_000 },
    },
  });
  kernel.add(risk);
  kernel.start();
  risk.setFreeBalance("SIM", Money.parse("10000000", usdt));
  risk.setFreeBalance("SIM", Money.parse("1000000", currency("BTC")));
  for (const i of instruments) risk.setReferencePrice(i.id, Price.parse("61659.70"));
  return { kernel, exec, risk, instruments, strategy: new StrategyId("S-1") };
}

function makeOrders(n: ReturnType<typeof node>, count: number, prefix: string): Order[] {
  const out: Order[] = [];
  for (let i = 0; i < count; i++) {
    const buy = i % 2 === 0;
    out.push(
      createOrder({
        strategyId: n.strategy,
        instrumentId: n.instruments[i % n.instruments.length].id,
        clientOrderId: new ClientOrderId(`${prefix}-${i}`),
        side: buy ? OrderSide.Buy : OrderSide.Sell,
        type: i % 5 === 0 ? OrderType.Market : OrderType.Limit,
        quantity: Quantity.parse(`0.${String(1000 + (i % 500)).padStart(5, "0")}`),
        price: i % 5 === 0 ? null : Price.parse(buy ? `${61000 + (i % 300)}.10` : `${62000 + (i % 300)}.20`),
        tsInit: 0,
      }),
    );
  }
  return out;
}

function histogram() {
  return hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 10_000_000_000,
    numberOfSignificantValueDigits: 3,
  });
}

function summary(h: hdr.Histogram, overheadNs: number) {
  const p = (q: number) => h.getValueAtPercentile(q);
  return {
    p50Ns: p(50),
    p90Ns: p(90),
    p99Ns: p(99),
    p999Ns: p(99.9),
    maxNs: h.maxValue,
    netP50Ns: Math.max(0, p(50) - overheadNs),
    netP99Ns: Math.max(0, p(99) - overheadNs),
    samples: h.totalCount,
  };
}

export async function run(ctx: BenchContext): Promise<void> {
  ctx.emit({ case: "machine", ...machineInfo() });
  const n = node();
  const orders = makeOrders(n, 4096, "R");
  const risk = n.risk;

  // Sanity: every order passes (a denial would measure an early exit, not the chain).
  for (const o of orders) {
    const code = risk.checkSubmit(o);
    if (code !== null)
      throw new Error(`bench order ${o.clientOrderId} denied: ${code}: ${risk.lastDenialReason()}`);
  }

  // Timer overhead: an empty timed region.
  const empty = histogram();
  for (let i = 0; i < 2_000_000; i++) {
    const t0 = process.hrtime.bigint();
    const t1 = process.hrtime.bigint();
    if (i >= 200_000) empty.recordValue(Number(t1 - t0));
  }
  const overhead = empty.getValueAtPercentile(50);
  ctx.emit({ case: "timer.overhead", p50Ns: overhead, p99Ns: empty.getValueAtPercentile(99) });

  const N = 2_000_000;
  const h = histogram();
  let denied = 0;
  for (let i = 0; i < N + 200_000; i++) {
    const o = orders[i & 4095];
    const t0 = process.hrtime.bigint();
    const code = risk.checkSubmit(o);
    const t1 = process.hrtime.bigint();
    if (code !== null) denied++;
    if (i >= 200_000) h.recordValue(Number(t1 - t0));
  }
  const s = summary(h, overhead);
  ctx.emit({
    case: "risk.pretrade.full-chain.per-order",
    ...s,
    denied,
    target: "p50 <= 1000 ns, p99 <= 5000 ns",
    met: s.p50Ns <= 1000 && s.p99Ns <= 5000,
  });

  const batch = measure((iters) => {
    let d = 0;
    for (let i = 0; i < iters; i++) if (risk.checkSubmit(orders[i & 4095]) !== null) d++;
    return d;
  }, 2_000_000);
  ctx.emit({
    case: "risk.pretrade.full-chain.batch-mean",
    nsPerOrder: batch.bestNsPerOp,
    medianNsPerOrder: batch.medianNsPerOp,
    ordersPerSec: batch.opsPerSec,
  });

  // Whole submit path through the engine (new orders each time: creation is outside the timer).
  {
    const m = node();
    const total = 200_000;
    const fresh = makeOrders(m, total, "E");
    const he = histogram();
    for (let i = 0; i < total; i++) {
      const o = fresh[i];
      const cmd = {
        type: "SubmitOrder" as const,
        commandId: "c",
        strategyId: o.strategyId,
        instrumentId: o.instrumentId,
        tsInit: 0,
        order: o,
        positionId: null,
      };
      const t0 = process.hrtime.bigint();
      m.exec.execute(cmd);
      const t1 = process.hrtime.bigint();
      if (i >= 20_000) he.recordValue(Number(t1 - t0));
    }
    ctx.emit({
      case: "execution.submit-path.risk+engine+ack.per-order",
      ...summary(he, overhead),
      note: "includes 3 events built and published, cache and risk bookkeeping",
    });
  }
  ctx.emit({ case: "done", heapMB: round(process.memoryUsage().heapUsed / 1e6, 1) });
}
