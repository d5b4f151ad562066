import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { BotV6Error } from "../model/errors.js";
import { applyMemoryPolicy, DEFAULT_HEAP_GROWING_PERCENT, heapGrowingPercent } from "./runtime.js";

describe("runtime memory policy", () => {
  it("bounds V8's heap growth by default; the variable overrides it; 0 leaves V8's policy", () => {
    expect(heapGrowingPercent({})).toBe(DEFAULT_HEAP_GROWING_PERCENT);
    expect(heapGrowingPercent({ BOTV6_HEAP_GROWING_PERCENT: "30" })).toBe(30);
    expect(heapGrowingPercent({ BOTV6_HEAP_GROWING_PERCENT: "0" })).toBeNull();
    expect(applyMemoryPolicy({ BOTV6_HEAP_GROWING_PERCENT: "0" })).toBeNull();
  });

  it("rejects a malformed value, naming the variable", () => {
    for (const bad of ["-5", "1.5", "abc", "5000", "60%"]) {
      const e = (() => {
        try {
          heapGrowingPercent({ BOTV6_HEAP_GROWING_PERCENT: bad });
        } catch (err) {
          return err;
        }
        return null;
      })();
      expect(e).toBeInstanceOf(BotV6Error);
      expect((e as BotV6Error).code).toBe("RUNTIME_BAD_SETTING");
      expect((e as BotV6Error).message).toContain("BOTV6_HEAP_GROWING_PERCENT");
    }
  });

  it("the flag it sets is one this V8 knows (node refuses an unknown flag)", () => {
    const run = (flag: string) =>
      spawnSync(process.execPath, [flag, "-e", 'console.log("ok")'], { encoding: "utf8" });
    const known = run(`--heap-growing-percent=${DEFAULT_HEAP_GROWING_PERCENT}`);
    expect(known.status, known.stderr).toBe(0);
    expect(known.stdout.trim()).toBe("ok");
    expect(run("--heap-growing-percentage=60").status).not.toBe(0);
  });
});
