import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, type ConfigIssue, loadConfig, maskSecrets, resolveSecret } from "./config.js";

const EXAMPLE = new URL("../../examples/config/botv6.yaml", import.meta.url).pathname;

function issuesOf(fn: () => unknown): ConfigIssue[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return [...e.issues];
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("loads the example with defaults", () => {
    const { config, profile } = loadConfig({ file: EXAMPLE, env: {} });
    expect(profile).toBe("backtest");
    expect(config.trader.id).toBe("TRADER-001");
    expect(config.seed).toBe(42);
    expect(config.venues.SIM.startingBalances).toEqual(["100000 USDT"]);
    expect(config.venues.BINANCE.apiKey).toEqual({ env: "BINANCE_API_KEY" });
  });

  it("an empty file is valid and all defaults", () => {
    const { config } = loadConfig({ file: "empty.yaml", text: "", env: {} });
    expect(config).toEqual({
      trader: { id: "TRADER-001" },
      mode: "backtest",
      seed: 42,
      logging: { level: "info" },
      venues: {},
    });
  });

  it("applies the selected profile over the base", () => {
    const live = loadConfig({ file: EXAMPLE, profile: "live", env: {} });
    expect(live.config.mode).toBe("live");
    expect(live.config.venues.BINANCE.testnet).toBe(false);
    const paper = loadConfig({ file: EXAMPLE, env: { BOTV6_PROFILE: "paper" } });
    expect(paper.config.logging.level).toBe("debug");
    expect(paper.config.venues.BINANCE.testnet).toBe(true);
  });

  it("applies BOTV6_ environment overrides, case- and underscore-insensitive", () => {
    const { config, overrides } = loadConfig({
      file: EXAMPLE,
      env: {
        BOTV6_LOGGING__LEVEL: "warn",
        BOTV6_SEED: "7",
        BOTV6_VENUES__BINANCE__TESTNET: "false",
        BOTV6_TRADER__ID: "007",
      },
    });
    expect(config.logging.level).toBe("warn");
    expect(config.seed).toBe(7);
    expect(config.venues.BINANCE.testnet).toBe(false);
    expect(config.trader.id).toBe("007");
    expect(overrides.map((o) => o.path)).toEqual([
      "logging.level",
      "seed",
      "trader.id",
      "venues.BINANCE.testnet",
    ]);
  });

  it("names file, line, key path and reason for an unknown key", () => {
    const text = "trader:\n  id: X\nlogging:\n  levle: debug\n";
    const issues = issuesOf(() => loadConfig({ file: "bot.yaml", text, env: {} }));
    expect(issues).toEqual([
      { source: "bot.yaml", line: 4, column: 3, path: "logging.levle", message: 'unknown key "levle"' },
    ]);
  });

  it("reports wrong types and out-of-range values, all at once", () => {
    const text =
      'seed: "abc"\nmode: fast\nvenues:\n  SIM:\n    kind: sim\n    testnet: "yes"\n    startingBalances: ["lots"]\n';
    const issues = issuesOf(() => loadConfig({ file: "bot.yaml", text, env: {} }));
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i]));
    expect(byPath.seed.line).toBe(1);
    expect(byPath.seed.message).toMatch(/expected number/);
    expect(byPath.mode.line).toBe(2);
    expect(byPath["venues.SIM.testnet"].line).toBe(6);
    expect(byPath["venues.SIM.testnet"].message).toMatch(/expected boolean/);
    expect(byPath["venues.SIM.startingBalances.0"].message).toMatch(/AMOUNT CURRENCY/);
    const neg = issuesOf(() => loadConfig({ file: "b.yaml", text: "seed: -5\n", env: {} }));
    expect(neg[0]).toMatchObject({ path: "seed", line: 1 });
    expect(neg[0].message).toMatch(/>=0/);
  });

  it("refuses secrets written into the file", () => {
    const text = "venues:\n  BINANCE:\n    kind: binance\n    apiKey: abcdef123\n";
    const issues = issuesOf(() => loadConfig({ file: "b.yaml", text, env: {} }));
    expect(issues[0]).toMatchObject({ path: "venues.BINANCE.apiKey", line: 4 });
    expect(issues[0].message).toMatch(/secrets must not be written in the config file/);
  });

  it("refuses duplicate keys, bad YAML and non-mapping documents", () => {
    expect(
      issuesOf(() => loadConfig({ file: "d.yaml", text: "seed: 1\nseed: 2\n", env: {} }))[0].message,
    ).toMatch(/unique/i);
    expect(issuesOf(() => loadConfig({ file: "d.yaml", text: "a: [1, 2\n", env: {} }))[0].source).toBe(
      "d.yaml",
    );
    expect(issuesOf(() => loadConfig({ file: "d.yaml", text: "- 1\n- 2\n", env: {} }))[0].message).toMatch(
      /mapping/,
    );
  });

  it("locates errors inside the selected profile", () => {
    const text = "seed: 1\nprofiles:\n  live:\n    logging:\n      level: loud\n";
    const issues = issuesOf(() => loadConfig({ file: "p.yaml", text, profile: "live", env: {} }));
    expect(issues[0]).toMatchObject({ path: "logging.level", line: 5 });
    expect(
      issuesOf(() => loadConfig({ file: "p.yaml", text, profile: "staging", env: {} }))[0].message,
    ).toMatch(/unknown profile "staging"/);
    expect(
      issuesOf(() => loadConfig({ file: "p.yaml", text: "profiles:\n  prod: {}\n", env: {} }))[0],
    ).toMatchObject({
      path: "profiles.prod",
      line: 2,
    });
  });

  it("names the environment variable of a bad override", () => {
    const unknown = issuesOf(() => loadConfig({ file: EXAMPLE, env: { BOTV6_LOGIN__LEVEL: "x" } }));
    expect(unknown[0].source).toBe("env:BOTV6_LOGIN__LEVEL");
    expect(unknown[0].message).toMatch(/no config key "login"/);
    const bad = issuesOf(() => loadConfig({ file: EXAMPLE, env: { BOTV6_SEED: "1.5" } }));
    expect(bad[0]).toMatchObject({ source: "env:BOTV6_SEED", path: "seed" });
  });

  it("reports an unreadable file", () => {
    const dir = mkdtempSync(join(tmpdir(), "botv6-cfg-"));
    const issues = issuesOf(() => loadConfig({ file: join(dir, "missing.yaml"), env: {} }));
    expect(issues[0].message).toMatch(/cannot read the file/);
    const json = join(dir, "c.json");
    writeFileSync(json, JSON.stringify({ seed: 3, logging: { level: "debug" } }));
    expect(loadConfig({ file: json, env: {} }).config.seed).toBe(3);
  });
});

describe("secrets", () => {
  it("resolve from the environment or a vault, and are masked for printing", () => {
    expect(resolveSecret({ env: "K" }, { K: "v" })).toBe("v");
    expect(() => resolveSecret({ env: "K" }, {})).toThrow(/K is not set/);
    expect(resolveSecret({ vault: "binance" }, {}, (k) => (k === "binance" ? "s" : undefined))).toBe("s");
    expect(() => resolveSecret({ vault: "x" }, {}, () => undefined)).toThrow(/not in the vault/);
    const { config } = loadConfig({ file: EXAMPLE, env: {} });
    const masked = JSON.stringify(maskSecrets(config, { BINANCE_API_KEY: "supersecret" }));
    expect(masked).not.toContain("supersecret");
    expect(masked).toContain('"env":"BINANCE_API_KEY","value":"****"');
    expect(masked).toContain('"env":"BINANCE_API_SECRET","value":"(not set)"');
  });
});
