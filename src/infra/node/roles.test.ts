import { describe, expect, it } from "vitest";
import { resolveBridgeConfig } from "../bridge/config.js";
import { planNode } from "./roles.js";

const bridge = { kind: "redis" as const, url: "redis://127.0.0.1:6379" };

describe("node roles", () => {
  it("derives each role's channels, group and lease", () => {
    const data = planNode({ role: "data", nodeId: "data-1", bridge });
    expect(data.bridge).toMatchObject({ publish: ["md"], consume: [], group: "data" });
    const strategy = planNode({ role: "strategy", nodeId: "strat-1", bridge });
    expect(strategy.bridge).toMatchObject({ publish: ["cmd"], consume: ["md", "ev"], group: "strategies" });
    const exec = planNode({ role: "execution", nodeId: "exec-1", bridge, accountId: "BINANCE-001" });
    expect(exec.bridge).toMatchObject({
      publish: ["ev"],
      consume: ["md", "cmd"],
      group: "execution-BINANCE-001-exec-1",
    });
    expect(exec.lease).toEqual({ name: "account:BINANCE-001" });
    expect(planNode({ role: "model", nodeId: "model-1", bridge })).toEqual({
      role: "model",
      bridge: null,
      lease: null,
    });
    // Every derived configuration is valid.
    for (const p of [data, strategy, exec])
      expect(() => resolveBridgeConfig(p.bridge as never)).not.toThrow();
  });

  it("rejects an unknown role and an execution node without an account, naming the setting", () => {
    expect(() => planNode({ role: "risk", nodeId: "x", bridge })).toThrow(
      /node\.role: "risk" is not one of data, strategy, execution, model/,
    );
    expect(() => planNode({ role: "execution", nodeId: "x", bridge })).toThrow(/node\.accountId/);
  });
});
