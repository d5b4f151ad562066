import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runDemo } from "./demo.js";

describe("npm start demo", () => {
  it("backtests built-in strategies on the synthetic market, deterministically, and writes a report", async () => {
    const dir = mkdtempSync(join(tmpdir(), "botv6-demo-"));
    const a = await runDemo({ seed: 11, minutes: 20, report: join(dir, "demo.html") });
    const b = await runDemo({ seed: 11, minutes: 20, report: null });
    const c = await runDemo({ seed: 12, minutes: 20, report: null });
    expect(a.events).toBeGreaterThan(1000);
    expect(a.result.fills.length).toBeGreaterThan(0);
    expect(a.result.finalEquity.toString()).toBe(b.result.finalEquity.toString());
    expect(a.result.fills.map((f) => `${f.tradeId} ${f.lastPx} ${f.lastQty}`)).toEqual(
      b.result.fills.map((f) => `${f.tradeId} ${f.lastPx} ${f.lastQty}`),
    );
    expect(c.events).not.toBe(a.events);
    expect(existsSync(join(dir, "demo.html"))).toBe(true);
    expect(readFileSync(join(dir, "demo.html"), "utf8")).toContain("market maker");
  });
});
