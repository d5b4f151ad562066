/**
 * A consumer node for fault tests, run as its own process:
 *
 *   node --import tsx src/infra/testing/consumer-node.ts KIND URL NAMESPACE GROUP NODE_ID OUT_FILE
 *
 * It consumes the channel "md" through a bus bridge and appends `eventId\n` to OUT_FILE for
 * every message its bus delivers, synchronously (so a `kill -9` loses no line of a message it
 * handled). It prints "ready" on stdout once consuming.
 */
import { appendFileSync } from "node:fs";
import { MessageBus } from "../../core/bus.js";
import type { BridgeKind } from "../bridge/config.js";
import { createBusBridge } from "../bridge/factory.js";

const [kind, url, namespace, group, nodeId, out] = process.argv.slice(2);
const bus = new MessageBus();
const bridge = createBusBridge(
  {
    kind: kind as BridgeKind,
    url,
    nodeId,
    namespace,
    group,
    channels: [{ name: "md", topics: ["data.*"] }],
    consume: ["md"],
    backoff: { initialMs: 50, maxMs: 500 },
    redis: { blockMs: 50, claimIdleMs: 500, readCount: 50 },
    nats: { fetchMaxMessages: 50, ackWaitMs: 1000 },
    kafka: { sessionTimeoutMs: 3000, heartbeatIntervalMs: 300 },
  },
  bus,
);
bus.subscribe<{ tradeId: string }>("data.trades.*", (t) => {
  appendFileSync(out, `${t.tradeId}\n`);
});
await bridge.start();
process.stdout.write("ready\n");
process.on("SIGTERM", () => {
  void bridge.stop(1000).then(() => process.exit(0));
});
