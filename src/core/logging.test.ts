import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger, withCorrelation } from "./logging.js";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split("\n")) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, stream };
}

describe("logging", () => {
  it("writes structured lines with component and correlation ids", () => {
    const { lines, stream } = capture();
    const log = createLogger({ level: "debug", destination: stream, base: { node: "n1" } });
    withCorrelation(log.child({ component: "RiskEngine" }), "O-42").info(
      { check: "max_notional" },
      "order denied",
    );
    expect(lines[0]).toMatchObject({
      level: "info",
      node: "n1",
      component: "RiskEngine",
      correlationId: "O-42",
      check: "max_notional",
      msg: "order denied",
    });
    expect(typeof lines[0].time).toBe("string");
  });

  it("redacts secrets wherever they appear", () => {
    const { lines, stream } = capture();
    const log = createLogger({ destination: stream });
    log.info(
      { apiKey: "k1", venue: { apiSecret: "s1", nested: { password: "p1", token: "t1" } } },
      "connect",
    );
    const text = JSON.stringify(lines[0]);
    for (const s of ["k1", "s1", "p1", "t1"]) expect(text).not.toContain(`"${s}"`);
    expect(text).toContain("[REDACTED]");
  });

  it("respects the level", () => {
    const { lines, stream } = capture();
    const log = createLogger({ level: "warn", destination: stream });
    log.info("hidden");
    log.warn("shown");
    expect(lines.map((l) => l.msg)).toEqual(["shown"]);
  });
});
