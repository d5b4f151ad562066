import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { runCli } from "./main.js";

const run = promisify(execFile);
const ROOT = new URL("../../", import.meta.url).pathname;
const EXAMPLE = join(ROOT, "examples/config/botv6.yaml");

async function cli(args: string[]) {
  let out = "";
  let err = "";
  const code = await runCli(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

function tmpFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "botv6-cli-"));
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

describe("botv6 CLI (in process)", () => {
  it("prints help and version", async () => {
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.out).toContain("Usage: botv6");
    expect(help.out).toContain("config");
    const v = await cli(["--version"]);
    expect(v.out.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("config validate: 0 on a valid file", async () => {
    const r = await cli(["config", "validate", EXAMPLE]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("valid (profile backtest)");
  });

  it("config validate: 2 naming file, line and key on an unknown key", async () => {
    const f = tmpFile("bad.yaml", "seed: 1\nloging:\n  level: info\n");
    const r = await cli(["config", "validate", f]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${f}:2:1: loging: unknown key "loging"`);
  });

  it("config validate: 2 on a wrong type", async () => {
    const f = tmpFile("bad.yaml", "seed: 1\nlogging:\n  level: 3\n");
    const r = await cli(["config", "validate", f]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad\.yaml:3:3: logging\.level: Invalid option/);
  });

  it("config print masks secrets and shows overrides", async () => {
    const prev = process.env.BINANCE_API_KEY;
    process.env.BINANCE_API_KEY = "do-not-print-me";
    try {
      const r = await cli(["config", "print", EXAMPLE, "--profile", "live", "--json"]);
      expect(r.code).toBe(0);
      expect(r.out).not.toContain("do-not-print-me");
      const cfg = JSON.parse(r.out);
      expect(cfg.mode).toBe("live");
      expect(cfg.venues.BINANCE.apiKey).toEqual({ env: "BINANCE_API_KEY", value: "****" });
    } finally {
      if (prev === undefined) delete process.env.BINANCE_API_KEY;
      else process.env.BINANCE_API_KEY = prev;
    }
  });

  it("unknown commands and options are usage errors (exit 2)", async () => {
    expect((await cli(["frobnicate"])).code).toBe(2);
    expect((await cli(["config", "validate"])).code).toBe(2);
    expect((await cli(["config", "validate", EXAMPLE, "--bogus"])).code).toBe(2);
  });
});

describe("botv6 binary (real process)", () => {
  it("runs --help and validates configs with the documented exit codes", async () => {
    const bin = join(ROOT, "bin/botv6.js");
    const help = await run(process.execPath, [bin, "--help"]);
    expect(help.stdout).toContain("Usage: botv6");
    const ok = await run(process.execPath, [bin, "config", "validate", EXAMPLE]);
    expect(ok.stdout).toContain("valid");
    const bad = tmpFile("typo.yaml", "venues:\n  SIM:\n    kind: sim\n    tesnet: true\n");
    const err = await run(process.execPath, [bin, "config", "validate", bad]).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toContain(`${bad}:4:5: venues.SIM.tesnet: unknown key "tesnet"`);
  });
});
