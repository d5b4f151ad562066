/**
 * Failover of the execution node (issue 8, parts 3 and 5), with real processes: the active
 * execution node is killed with SIGKILL mid-replay; the standby (a hot replica) takes the
 * account's lease with a higher fencing token, reconciles its replica with the fenced journal,
 * and finishes the replay — with orders, fills and positions identical to the single-process
 * backtest. A write with the dead node's (stale) token is refused by the journal.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runConfiguredBacktest } from "../../backtest/from-config.js";
import { loadConfig } from "../../core/config.js";
import { type NodeProcess, startNodeProcess } from "../testing/node-process.js";
import { type ServiceHandle, startRedis } from "../testing/services.js";
import { describeService } from "../testing/vitest.js";
import { waitFor } from "../testing/wait.js";
import { candleNodeConfig } from "./fixtures.js";
import { StepJournal } from "./journal.js";
import { type RunSummary, summarize } from "./summary.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const CANDLES = join(ROOT, "../shared/data/ohlcv/freqtrade_binance_XRP-ETH_1m_2019-10-11_13.json");
const BAR = "XRPETH.BINANCE-1-MINUTE-LAST-EXTERNAL";

function configText(url: string, namespace: string): string {
  return candleNodeConfig({
    seed: 7,
    node: [`bridge: { kind: redis, url: "${url}", namespace: ${namespace} }`, "lock: { ttlMs: 1000 }"],
    file: CANDLES,
    bar: BAR,
  });
}

describeService(
  "redis",
  "botv6 node: execution failover",
  () => {
    let redis: ServiceHandle;
    let dir: string;
    const nodes: NodeProcess[] = [];
    beforeAll(async () => {
      redis = await startRedis({ appendfsync: "everysec" });
      dir = mkdtempSync(join(tmpdir(), "botv6-failover-"));
    }, 30_000);
    afterAll(async () => {
      for (const n of nodes) await n.stop("SIGKILL");
      await redis?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    /**
     * Runs a replay with an active and a standby execution node, disturbs the active one at
     * step 800 (`kill`: SIGKILL; `pause`: SIGSTOP until the standby is active, then SIGCONT) and
     * checks the takeover. Returns the old node, the tokens and the journal for more checks.
     */
    async function failover(scenario: "kill" | "pause") {
      const namespace = `failover-${scenario}-${process.pid}`;
      const config = join(dir, `${scenario}.yaml`);
      writeFileSync(config, configText(redis.url, namespace));
      const c = loadConfig({ file: config }).config;
      const { result } = await runConfiguredBacktest(c.backtest!, c.seed, dirname(resolve(config)));
      const expected = JSON.parse(JSON.stringify(summarize(result))) as RunSummary;
      expect(expected.fills.length).toBeGreaterThan(10);

      const outA = join(dir, `${scenario}-a.json`);
      const outB = join(dir, `${scenario}-b.json`);
      const a = startNodeProcess("execution", config, "exec-a", {}, ["--out", outA]);
      nodes.push(a);
      const oldToken = Number((await a.waitForLine(/^active token=\d+$/)).split("=")[1]);
      const b = startNodeProcess("execution", config, "exec-b", {}, ["--out", outB]);
      const strategy = startNodeProcess("strategy", config, "strat-1");
      nodes.push(b, strategy);
      await b.waitForLine(/^ready$/);
      await strategy.waitForLine(/^ready$/);
      expect(b.lines.some((l) => l.startsWith("active"))).toBe(false);
      const data = startNodeProcess("data", config, "data-1");
      nodes.push(data);

      const client = new Redis(redis.url);
      const journal = new StepJournal(client, namespace, "BINANCE-001");
      try {
        await waitFor(
          async () => ((await journal.head())?.step ?? 0) >= 800,
          "the replay to reach step 800",
          120_000,
        );
        a.child.kill(scenario === "kill" ? "SIGKILL" : "SIGSTOP");
        if (scenario === "kill") await a.exited;
        const stoppedAt = (await journal.head())?.step ?? 0;

        const newToken = Number((await b.waitForLine(/^active token=\d+$/, 30_000)).split("=")[1]);
        expect(newToken).toBeGreaterThan(oldToken);
        // It reconciled before publishing anything: at the old node's last journaled step.
        const rec = await b.waitForLine(/^reconciled step=\d+ token=\d+$/, 30_000);
        expect(Number(rec.match(/step=(\d+)/)?.[1])).toBeGreaterThanOrEqual(stoppedAt);
        expect(rec).toContain(`token=${newToken}`);
        if (scenario === "pause") a.child.kill("SIGCONT");

        expect(await b.waitForExit(180_000), b.stderr).toBe(0);
        expect(await strategy.waitForExit(60_000), strategy.stderr).toBe(0);
        expect(await data.waitForExit(60_000), data.stderr).toBe(0);
        const got = JSON.parse(readFileSync(outB, "utf8")) as RunSummary;
        expect(got.orders).toEqual(expected.orders);
        expect(got.fills).toEqual(expected.fills);
        expect(got.positions).toEqual(expected.positions);

        // The old token can no longer write; the current one can.
        const head = await journal.head();
        expect(head?.token).toBe(newToken);
        expect(await journal.append(oldToken, (head?.step ?? 0) + 1, "stale")).toBe(false);
        expect((await journal.head())?.step).toBe(head?.step);
        expect(await journal.append(newToken, (head?.step ?? 0) + 1, "current")).toBe(true);
        return { a, outA, expected };
      } finally {
        client.disconnect();
      }
    }

    it("kill -9 of the active node: the standby takes over with a higher token, reconciles and finishes identically", async () => {
      await failover("kill");
    }, 300_000);

    it("a paused active node that wakes up after the takeover never publishes again and steps down", async () => {
      const { a, outA, expected } = await failover("pause");
      // It noticed the lost lease by itself and finished as a silent replica of the same run.
      expect(await a.waitForExit(60_000), a.stderr).toBe(0);
      expect(a.lines.some((l) => l.startsWith("standby lease"))).toBe(true);
      expect(a.lines.filter((l) => l.startsWith("active"))).toHaveLength(1);
      const replica = JSON.parse(readFileSync(outA, "utf8")) as RunSummary;
      expect(replica).toEqual(expected);
    }, 300_000);
  },
  { needsPrivate: true },
);
