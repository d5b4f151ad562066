/**
 * An execution-node stand-in for failover tests, run as its own process:
 *
 *   node --import tsx src/infra/testing/lease-node.ts REDIS_URL NAME OWNER TTL_MS
 *
 * It competes for the account lease and prints `active <token>` / `standby <reason>` lines.
 */
import { Redis } from "ioredis";
import { ActiveStandby } from "../cache/lock.js";

const [url, name, owner, ttl] = process.argv.slice(2);
const redis = new Redis(url);
const node = new ActiveStandby(redis, name, owner, {
  ttlMs: Number(ttl),
  onActive: (token) => process.stdout.write(`active ${token}\n`),
  onStandby: (reason) => process.stdout.write(`standby ${reason}\n`),
});
node.start();
process.on("SIGTERM", () => {
  void node.stop().then(() => {
    redis.disconnect();
    process.exit(0);
  });
});
