import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { Rng } from "../core/rng.js";
import { datasetToCsv } from "../ml/csv.js";
import { blobs, splitRows } from "../ml/testing/synthetic.js";
import { runCli } from "./main.js";
import { registerModelCommands } from "./model.js";

async function cli(args: string[]) {
  let out = "";
  let err = "";
  const code = await runCli(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), "botv6-model-cli-"));
const ds = { ...blobs(600, 4, 3, 3, 2.5), featureNames: ["ret_1", "ret_5", "rsi_14", "vol_20"] };
const [train, valid] = splitRows(ds, 0.75);
const trainCsv = join(dir, "train.csv");
const validCsv = join(dir, "valid.csv");
writeFileSync(trainCsv, datasetToCsv(train));
writeFileSync(validCsv, datasetToCsv(valid));

function writeBars(file: string, n: number): void {
  const rng = new Rng(11);
  const lines = ["time,open,high,low,close,volume"];
  let px = 100;
  for (let i = 0; i < n; i++) {
    const open = px;
    px *= Math.exp(0.005 * rng.nextNormal());
    lines.push(
      `${1_700_000_000_000_000 + i * 60_000_000},${open},${Math.max(open, px) * 1.001},${Math.min(open, px) * 0.999},${px},${1 + rng.nextFloat()}`,
    );
  }
  writeFileSync(file, `${lines.join("\n")}\n`);
}

describe("botv6 train --config", () => {
  it("features → look-ahead check → labels → purged k-fold report → final model; bad configs exit 1", async () => {
    writeBars(join(dir, "bars.csv"), 400);
    const cfg = (features: string) => `bars: bars.csv
features:
  name: demo
  features:
${features}
labels: { kind: triple-barrier, profitTake: 1, stopLoss: 1, maxHolding: 10, volWindow: 20 }
model: { kind: gbdt, objective: binary, params: { rounds: 5, maxDepth: 2 } }
validation: { purgedKFold: { k: 3, embargo: 5 } }
out: final.model.json
`;
    const good = join(dir, "train.yaml");
    writeFileSync(
      good,
      cfg(`    - { kind: return, name: ret_1, bars: 1 }
    - { kind: indicator, name: rsi_14, indicator: rsi }
    - { kind: rolling, name: vol_20, of: ret_1, window: 20, stat: std }`),
    );
    const r = await cli(["train", "--config", good, "--onnx", join(dir, "final.onnx")]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/\d+ labelled rows, 3 features; look-ahead check: ok/);
    expect(r.out.match(/accuracy 0\.\d+/g)).toHaveLength(3);
    expect(r.out).toMatch(/feature importance \(mean gain over folds\): \w+=/);
    expect(r.err).toContain("[final] 5/5");
    expect(readFileSync(join(dir, "final.model.json"), "utf8")).toContain('"kind":"gbdt"');

    // Every feature kind is causal by construction, so a config cannot express look-ahead (the
    // run still checks and refuses; the check itself is tested in labels.test.ts). Bad specs fail:
    const sneaky = join(dir, "badspec.yaml");
    writeFileSync(sneaky, cfg("    - { kind: lag, name: x, of: nothing, bars: 1 }"));
    const s = await cli(["train", "--config", sneaky]);
    expect(s.code).toBe(1);
    expect(s.err).toMatch(/refers to "nothing"/);
    const broken = join(dir, "broken.yaml");
    writeFileSync(broken, "bars: bars.csv\nfeatures: 3\n");
    const b = await cli(["train", "--config", broken]);
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/broken\.yaml: features must have a name and a features list/);
  });
});

describe("botv6 model", () => {
  it("train (worker, progress) → export → quantize into a registry → list/show", async () => {
    const mlpJson = join(dir, "mlp.model.json");
    const t = await cli([
      "model",
      "train",
      "--data",
      trainCsv,
      "--valid",
      validCsv,
      "--kind",
      "mlp",
      "--objective",
      "softmax",
      "--params",
      '{"hidden":[16],"epochs":10,"learningRate":0.01}',
      "--out",
      mlpJson,
    ]);
    expect(t.err).toContain("[train] 10/10");
    expect(t.code, t.err).toBe(0);
    expect(t.out).toMatch(/valid accuracy: 0\.\d+/);

    const g = await cli([
      "model",
      "train",
      "--data",
      trainCsv,
      "--kind",
      "gbdt",
      "--objective",
      "multiclass",
      "--params",
      '{"rounds":10}',
      "--out",
      join(dir, "gbdt.model.json"),
      "--onnx",
      join(dir, "gbdt.onnx"),
    ]);
    expect(g.code, g.err).toBe(0);
    expect(g.out).toMatch(/feature importance \(total gain\): \w+=/);

    const e = await cli([
      "model",
      "export",
      mlpJson,
      "--out",
      join(dir, "mlp16.onnx"),
      "--precision",
      "fp16",
    ]);
    expect(e.code, e.err).toBe(0);
    expect(readFileSync(join(dir, "mlp16.onnx")).length).toBeGreaterThan(100);

    const reg = join(dir, "registry");
    const q = await cli([
      "model",
      "quantize",
      mlpJson,
      "--calib",
      trainCsv,
      "--valid",
      validCsv,
      "--out-dir",
      join(dir, "q"),
      "--registry",
      reg,
      "--name",
      "alpha",
      "--tolerance",
      "0.05",
    ]);
    expect(q.code, q.err).toBe(0);
    expect(q.out).toMatch(/int8-static\s+\d+\s+0\.\d+/);
    expect(q.out).toContain("registered alpha:4 (int8-static)");

    const l = await cli(["model", "list", "--registry", reg]);
    expect(l.out.trim().split("\n")).toHaveLength(4);
    const s = await cli(["model", "show", "alpha:2", "--registry", reg]);
    expect(JSON.parse(s.out)).toMatchObject({
      name: "alpha",
      version: 2,
      quantisation: "fp16",
      parent: "alpha:1",
    });
  });

  it("serve: answers v2 requests until told to stop", async () => {
    const onnx = join(dir, "gbdt-serve.onnx");
    await cli([
      "model",
      "train",
      "--data",
      trainCsv,
      "--kind",
      "gbdt",
      "--objective",
      "multiclass",
      "--params",
      '{"rounds":3}',
      "--out",
      join(dir, "g2.json"),
      "--onnx",
      onnx,
    ]);
    let out = "";
    const program = new Command().exitOverride();
    let status = 0;
    registerModelCommands(
      program,
      { out: (s) => (out += s), err: () => {}, setExitCode: () => {} },
      {
        waitForStop: async (server) => {
          const r = await fetch(`${server.url}/v2/models/g/infer`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              inputs: [{ name: "features", datatype: "FP32", shape: [1, 4], data: [0, 0, 0, 0] }],
            }),
          });
          status = r.status;
        },
      },
    );
    await program.parseAsync(["model", "serve", "--port", "0", "--model", `g=${onnx}`], { from: "user" });
    expect(status).toBe(200);
    expect(out).toMatch(/serving g on http:\/\/127\.0\.0\.1:\d+/);
    expect(out).toContain("server stopped");
  });

  it("bad arguments exit 2, bad data and corrupt models exit 1 with the reason", async () => {
    expect((await cli(["model", "serve", "--port", "0", "--model", "nofile"])).code).toBe(2);
    expect((await cli(["model", "serve", "--port", "0"])).err).toMatch(/nothing to serve/);
    expect(
      (await cli(["model", "export", join(dir, "mlp.model.json"), "--out", "x.onnx", "--precision", "int4"]))
        .code,
    ).toBe(2);
    const badCsv = join(dir, "bad.csv");
    writeFileSync(badCsv, "a,b,label\n1,2,0\n1,x,1\n");
    const r = await cli([
      "model",
      "train",
      "--data",
      badCsv,
      "--kind",
      "gbdt",
      "--objective",
      "binary",
      "--out",
      join(dir, "b.json"),
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.csv:3: column "b" is "x", not a finite number/);
    const corrupt = join(dir, "corrupt.onnx");
    writeFileSync(corrupt, "garbage");
    const c = await cli(["model", "serve", "--port", "0", "--model", `m=${corrupt}`]);
    expect(c.code).toBe(1);
    expect(c.err).toMatch(/ML_MODEL_FORMAT.*corrupt\.onnx/);
  });
});
