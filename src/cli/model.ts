/**
 * `botv6 model ...`: train, export, quantize, list, show and serve models (issue 7, part 9).
 *
 * - `model train --data CSV [--valid CSV] --kind gbdt|mlp --objective O --out M.model.json [--onnx F]`
 *   (trains on a worker thread, progress on stderr; `--registry DIR --name N` registers it)
 * - `model export M.model.json --out F.onnx [--precision fp32|fp16]`
 * - `model quantize M.model.json --calib CSV --valid CSV --out-dir DIR [--registry DIR --name N --tolerance X]`
 * - `model list --registry DIR [NAME]`, `model show REF --registry DIR`
 * - `model serve --port P [--model NAME=FILE.onnx ...] [--registry DIR --serve REF ...]`
 *
 * Exit codes: 2 for bad arguments, 1 for failures (bad data, corrupt model, refused quantisation).
 * The ML modules (onnxruntime's native binding, SQLite) are imported when a model command runs,
 * so other commands do not pay for loading them.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import type { Quantisation } from "../ml/onnx/quantize.js";
import type { ServedModelSpec, V2Server } from "../ml/serving/server.js";
import type { GbdtObjective } from "../ml/train/gbdt.js";
import type { MlpOutput } from "../ml/train/mlp.js";
import type { CliIO } from "./main.js";

export interface ModelCommandDeps {
  /** Resolves when `model serve` should stop (default: SIGINT or SIGTERM). */
  waitForStop?: (server: V2Server) => Promise<void>;
}

/** The ML modules, loaded on first use. */
async function ml() {
  const [csv, variants, io, exp, registry, server, gbdt, jobs, mlp] = await Promise.all([
    import("../ml/csv.js"),
    import("../ml/inference/variants.js"),
    import("../ml/model-io.js"),
    import("../ml/onnx/export.js"),
    import("../ml/registry/registry.js"),
    import("../ml/serving/server.js"),
    import("../ml/train/gbdt.js"),
    import("../ml/train/jobs.js"),
    import("../ml/train/mlp.js"),
  ]);
  const [report, validation, configRun] = await Promise.all([
    import("../ml/train/report.js"),
    import("../ml/labels/validation.js"),
    import("../ml/train/config-run.js"),
  ]);
  return {
    ...csv,
    ...variants,
    ...io,
    ...exp,
    ...registry,
    ...server,
    ...gbdt,
    ...jobs,
    ...mlp,
    ...report,
    ...validation,
    ...configRun,
  };
}

function badArgument(cmd: Command, message: string): never {
  cmd.error(`error: ${message}`, { exitCode: 2, code: "botv6.badArgument" });
  throw new Error("unreachable");
}

function intOption(cmd: Command, name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) badArgument(cmd, `--${name} must be an integer >= ${min}, got "${v}"`);
  return n;
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

export function registerModelCommands(program: Command, io: CliIO, deps: ModelCommandDeps = {}): void {
  program
    .command("train")
    .description(
      "train from a config file: features, labels, walk-forward / purged k-fold report, final model",
    )
    .requiredOption("--config <file>", "YAML/JSON training config (see docs/ml.md)")
    .option("--onnx <file>", "also export the final model to ONNX")
    .action(async (o: { config: string; onnx?: string }) => {
      const { loadTrainConfig, runTrainConfig, serializeModel, exportGbdt, exportMlp } = await ml();
      const { config, baseDir } = loadTrainConfig(o.config);
      const r = await runTrainConfig(config, baseDir, (label, p) =>
        io.err(`[${label}] ${p.step}/${p.total} train loss ${p.trainLoss.toFixed(6)}\n`),
      );
      io.out(`${r.rows} labelled rows, ${r.features.length} features; look-ahead check: ok\n`);
      io.out("fold  train rows  test rows        metric\n");
      for (const f of r.folds)
        io.out(
          `${String(f.fold).padEnd(5)} ${String(f.trainRows).padEnd(11)} ${`${f.testFirst}..${f.testLast}`.padEnd(16)} ${f.score.metric} ${f.score.value.toFixed(6)}\n`,
        );
      io.out(`mean ${r.meanScore.toFixed(6)}\n`);
      if (r.model.kind === "gbdt")
        io.out(
          `feature importance (mean gain over folds): ${r.importance
            .slice(0, 10)
            .map((x) => `${x.name}=${x.gain.toFixed(4)}`)
            .join(", ")}\n`,
        );
      const out = join(baseDir, config.out ?? "model.json");
      writeFileSync(out, serializeModel(r.model));
      io.out(`final model (all rows) written to ${out}\n`);
      if (o.onnx) writeFileSync(o.onnx, r.model.kind === "gbdt" ? exportGbdt(r.model) : exportMlp(r.model));
    });

  const model = program
    .command("model")
    .description("ML models: train, export to ONNX, quantise, registry, v2 serving");

  model
    .command("train")
    .description("train a GBDT or MLP on a CSV data set (on a worker thread, progress on stderr)")
    .requiredOption("--data <csv>", "training CSV (header; label column; numeric features)")
    .option("--valid <csv>", "validation CSV (metrics, early stopping)")
    .requiredOption("--kind <kind>", "gbdt | mlp")
    .requiredOption(
      "--objective <o>",
      "gbdt: regression | binary | multiclass; mlp: linear | sigmoid | softmax",
    )
    .requiredOption("--out <file>", "where to write the model JSON")
    .option("--onnx <file>", "also export ONNX here")
    .option("--label <column>", "label column", "label")
    .option("--params <json>", 'hyper-parameters as JSON, e.g. \'{"rounds":200,"maxDepth":5}\'')
    .option("--seed <n>", "RNG seed", "1")
    .option("--registry <dir>", "register the model in this registry")
    .option("--name <name>", "registry name (with --registry)")
    .option(
      "--walk-forward <spec>",
      "first report walk-forward folds over the --data rows (time order): train=N,test=M[,step=S][,gap=G][,expanding]",
    )
    .action(async (o: Record<string, string | undefined>, cmd: Command) => {
      const {
        readCsvDataset,
        trainInWorker,
        serializeModel,
        exportGbdt,
        exportMlp,
        ModelRegistry,
        scoreModel,
        takeRows,
        walkForward,
      } = await ml();
      if (o.kind !== "gbdt" && o.kind !== "mlp")
        badArgument(cmd, `--kind must be gbdt or mlp, got "${o.kind}"`);
      if (o.registry && !o.name) badArgument(cmd, "--registry needs --name");
      let params: Record<string, unknown> = {};
      if (o.params) {
        try {
          params = JSON.parse(o.params) as Record<string, unknown>;
        } catch (e) {
          badArgument(cmd, `--params is not valid JSON (${(e as Error).message})`);
        }
      }
      const seed = intOption(cmd, "seed", o.seed, 0);
      const train = readCsvDataset(o.data!, { label: o.label });
      const valid = o.valid
        ? readCsvDataset(o.valid, { label: o.label, features: train.featureNames as string[] })
        : undefined;
      let label = "train";
      const onProgress = (p: { step: number; total: number; trainLoss: number; validLoss?: number }) =>
        io.err(
          `[${label}] ${p.step}/${p.total} train loss ${p.trainLoss.toFixed(6)}${p.validLoss !== undefined ? ` valid loss ${p.validLoss.toFixed(6)}` : ""}\n`,
        );
      const trainOne = (tr: typeof train, va: typeof valid) =>
        o.kind === "gbdt"
          ? trainInWorker(
              {
                kind: "gbdt",
                train: tr,
                valid: va,
                params: { ...params, objective: o.objective as GbdtObjective, seed },
              },
              { onProgress },
            )
          : trainInWorker(
              {
                kind: "mlp",
                train: tr,
                valid: va,
                params: { hidden: [32], ...params, output: o.objective as MlpOutput, seed },
              },
              { onProgress },
            );
      if (o.walkForward) {
        const wf: Record<string, number | boolean> = {};
        for (const part of o.walkForward.split(",")) {
          const [k, v] = part.split("=");
          if (k === "expanding" && v === undefined) wf.expanding = true;
          else if (["train", "test", "step", "gap"].includes(k) && v !== undefined && /^\d+$/.test(v))
            wf[k] = Number(v);
          else
            badArgument(
              cmd,
              `--walk-forward: cannot read "${part}" (train=N,test=M[,step=S][,gap=G][,expanding])`,
            );
        }
        if (wf.train === undefined || wf.test === undefined)
          badArgument(cmd, "--walk-forward needs train=N and test=M");
        const folds = walkForward(train.rows, {
          trainSize: wf.train as number,
          testSize: wf.test as number,
          step: wf.step as number | undefined,
          gap: wf.gap as number | undefined,
          expanding: wf.expanding === true,
        });
        io.out(`walk-forward: ${folds.length} folds\nfold  train rows       test rows        metric\n`);
        const scores: number[] = [];
        const importance = new Float64Array(train.cols);
        for (const [i, f] of folds.entries()) {
          label = `fold ${i + 1}/${folds.length}`;
          const m = await trainOne(takeRows(train, f.train), undefined);
          const sc = scoreModel(m, takeRows(train, f.test));
          scores.push(sc.value);
          if (m.kind === "gbdt")
            for (let k = 0; k < m.importance.length; k++) importance[k] += m.importance[k] / folds.length;
          io.out(
            `${String(i + 1).padEnd(5)} ${`${f.train[0]}..${f.train[f.train.length - 1]}`.padEnd(16)} ${`${f.test[0]}..${f.test[f.test.length - 1]}`.padEnd(16)} ${sc.metric} ${sc.value.toFixed(6)}\n`,
          );
        }
        const mean = scores.reduce((x, y) => x + y, 0) / scores.length;
        io.out(`mean ${mean.toFixed(6)}\n`);
        if (o.kind === "gbdt") {
          const names = train.featureNames ?? [];
          const imp = Array.from(importance, (g, k) => ({ name: names[k] ?? `f${k}`, g })).sort(
            (x, y) => y.g - x.g,
          );
          io.out(
            `mean feature importance over folds: ${imp
              .slice(0, 10)
              .map((x) => `${x.name}=${x.g.toFixed(4)}`)
              .join(", ")}\n`,
          );
        }
        label = "train";
      }
      const trained = await trainOne(train, valid);
      writeFileSync(o.out!, serializeModel(trained));
      const onnx = trained.kind === "gbdt" ? exportGbdt(trained) : exportMlp(trained);
      if (o.onnx) writeFileSync(o.onnx, onnx);
      const metrics: Record<string, number> = {};
      if (valid) {
        const sc = scoreModel(trained, valid);
        metrics[sc.metric] = sc.value;
      }
      io.out(`model written to ${o.out}${o.onnx ? ` and ${o.onnx}` : ""}\n`);
      for (const [k, v] of Object.entries(metrics)) io.out(`valid ${k}: ${v.toFixed(6)}\n`);
      if (trained.kind === "gbdt") {
        const names = train.featureNames ?? [];
        const imp = trained.importance
          .map((g, i) => ({ name: names[i] ?? `f${i}`, g }))
          .sort((a, b) => b.g - a.g);
        io.out(
          `feature importance (total gain): ${imp
            .slice(0, 10)
            .map((x) => `${x.name}=${x.g.toFixed(4)}`)
            .join(", ")}\n`,
        );
      }
      if (o.registry) {
        const reg = new ModelRegistry(o.registry);
        try {
          const rec = reg.register(
            o.name!,
            onnx,
            {
              featureSet: [...(train.featureNames ?? [])],
              metrics,
              gateMetric: { name: Object.keys(metrics)[0] ?? "accuracy", higherIsBetter: true },
            },
            trained,
          );
          io.out(`registered ${rec.name}:${rec.version}\n`);
        } finally {
          reg.close();
        }
      }
    });

  model
    .command("export")
    .description("export a model JSON to ONNX")
    .argument("<model>", "model JSON (from model train)")
    .requiredOption("--out <file>", "ONNX file to write")
    .option("--precision <p>", "fp32 | fp16 (MLP only)", "fp32")
    .action(async (file: string, o: { out: string; precision: string }, cmd: Command) => {
      const { readModelFile, exportGbdt, exportMlp } = await ml();
      if (o.precision !== "fp32" && o.precision !== "fp16")
        badArgument(cmd, `--precision must be fp32 or fp16, got "${o.precision}"`);
      const m = readModelFile(file);
      if (m.kind === "gbdt" && o.precision !== "fp32")
        badArgument(cmd, "--precision fp16 applies to MLP models only");
      const bytes =
        m.kind === "gbdt" ? exportGbdt(m) : exportMlp(m, { precision: o.precision as "fp32" | "fp16" });
      writeFileSync(o.out, bytes);
      io.out(`${o.out}: ${bytes.length} bytes (${m.kind}, ${o.precision})\n`);
    });

  model
    .command("quantize")
    .description("build FP16 / INT8 dynamic / INT8 static variants of an MLP and report accuracy deltas")
    .argument("<model>", "MLP model JSON")
    .requiredOption("--calib <csv>", "calibration rows (e.g. the training set) for INT8 static")
    .requiredOption("--valid <csv>", "validation set for the metric")
    .requiredOption("--out-dir <dir>", "where to write <variant>.onnx")
    .option("--label <column>", "label column", "label")
    .option(
      "--variants <list>",
      "comma-separated: fp16,int8-dynamic,int8-static",
      "fp16,int8-dynamic,int8-static",
    )
    .option("--registry <dir>", "register the fp32 parent and each accepted variant")
    .option("--name <name>", "registry name")
    .option("--tolerance <x>", "largest allowed metric drop for the registry", "0.01")
    .action(async (file: string, o: Record<string, string>, cmd: Command) => {
      const { readModelFile, readCsvDataset, compareVariants, ModelRegistry } = await ml();
      const variants = o.variants.split(",").map((s) => s.trim()) as Quantisation[];
      for (const v of variants)
        if (!["fp16", "int8-dynamic", "int8-static"].includes(v))
          badArgument(cmd, `unknown variant "${v}" (fp16, int8-dynamic, int8-static)`);
      const tolerance = Number(o.tolerance);
      if (!(tolerance >= 0)) badArgument(cmd, `--tolerance must be a number >= 0, got "${o.tolerance}"`);
      if (o.registry && !o.name) badArgument(cmd, "--registry needs --name");
      const m = readModelFile(file);
      if (m.kind !== "mlp") badArgument(cmd, `${file} is a ${m.kind} model; quantisation applies to MLPs`);
      const features = m.featureNames;
      const calib = readCsvDataset(o.calib, { label: o.label, features });
      const valid = readCsvDataset(o.valid, { label: o.label, features });
      const reports = await compareVariants(m, valid, calib, ["fp32", ...variants]);
      mkdirSync(o.outDir, { recursive: true });
      const metric = m.output === "linear" ? "neg_rmse" : "accuracy";
      io.out(`variant        bytes   ${metric.padEnd(9)} drop      max|Δ| vs fp32  p50 µs  p99 µs\n`);
      for (const r of reports) {
        writeFileSync(join(o.outDir, `${r.quantisation}.onnx`), r.onnx);
        io.out(
          `${r.quantisation.padEnd(14)} ${String(r.bytes).padStart(6)}  ${r.score.toFixed(5).padStart(9)} ${r.scoreDrop.toFixed(5).padStart(8)}  ${r.maxAbsDiff.toExponential(2).padEnd(15)} ${r.latencyP50Us.toFixed(1).padStart(6)} ${r.latencyP99Us.toFixed(1).padStart(7)}\n`,
        );
      }
      if (o.registry) {
        const reg = new ModelRegistry(o.registry, { quantisationTolerance: tolerance });
        const failures: string[] = [];
        try {
          const featureSet = features ?? Array.from({ length: m.nFeatures }, (_, i) => `f${i}`);
          const gateMetric = { name: metric, higherIsBetter: true };
          const fp32 = reports[0];
          const parent = reg.register(
            o.name,
            fp32.onnx,
            { featureSet, metrics: { [metric]: fp32.score }, gateMetric },
            m,
          );
          io.out(`registered ${parent.name}:${parent.version} (fp32)\n`);
          for (const r of reports.slice(1)) {
            try {
              const rec = reg.register(o.name, r.onnx, {
                featureSet,
                metrics: { [metric]: r.score },
                gateMetric,
                parent: `${parent.name}:${parent.version}`,
                quantisation: r.quantisation,
              });
              io.out(`registered ${rec.name}:${rec.version} (${r.quantisation})\n`);
            } catch (e) {
              failures.push((e as Error).message);
              io.err(`${(e as Error).message}\n`);
            }
          }
        } finally {
          reg.close();
        }
        if (failures.length > 0) io.setExitCode(1);
      }
    });

  model
    .command("list")
    .description("list registry models")
    .argument("[name]", "only this model name")
    .requiredOption("--registry <dir>", "registry directory")
    .option("--json", "print JSON")
    .action(async (name: string | undefined, o: { registry: string; json?: boolean }) => {
      const { ModelRegistry } = await ml();
      const reg = new ModelRegistry(o.registry);
      try {
        const list = reg.list(name);
        if (o.json) io.out(`${JSON.stringify(list, null, 2)}\n`);
        else
          for (const r of list)
            io.out(
              `${`${r.name}:${r.version}`.padEnd(20)} ${r.kind.padEnd(5)} ${r.quantisation.padEnd(13)} ${r.live ? "live " : "     "}${JSON.stringify(r.metrics)}${r.parent ? ` parent ${r.parent}` : ""}\n`,
            );
      } finally {
        reg.close();
      }
    });

  model
    .command("show")
    .description("show one registry model (NAME, NAME:VERSION, NAME:latest, NAME:live)")
    .argument("<ref>", "model reference")
    .requiredOption("--registry <dir>", "registry directory")
    .action(async (ref: string, o: { registry: string }) => {
      const { ModelRegistry } = await ml();
      const reg = new ModelRegistry(o.registry);
      try {
        io.out(`${JSON.stringify(reg.get(ref), null, 2)}\n`);
      } finally {
        reg.close();
      }
    });

  model
    .command("serve")
    .description("serve ONNX models over the KServe v2 / Triton HTTP protocol with dynamic batching")
    .requiredOption("--port <port>", "TCP port (0 = any free port)")
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option(
      "--model <name=file>",
      "serve FILE.onnx as NAME (repeatable)",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option("--registry <dir>", "registry to serve models from")
    .option(
      "--serve <ref>",
      "registry model to serve, e.g. alpha:live (repeatable)",
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option("--max-batch <n>", "dynamic batching: largest batch in rows", "64")
    .option("--max-delay-us <n>", "dynamic batching: longest wait for a batch, µs", "500")
    .action(
      async (
        o: {
          port: string;
          host: string;
          model: string[];
          registry?: string;
          serve: string[];
          maxBatch: string;
          maxDelayUs: string;
        },
        cmd: Command,
      ) => {
        const { ModelRegistry, startV2Server } = await ml();
        const port = intOption(cmd, "port", o.port, 0)!;
        if (port > 65535) badArgument(cmd, `--port must be <= 65535, got ${port}`);
        const maxBatch = intOption(cmd, "max-batch", o.maxBatch, 1)!;
        const maxDelayUs = intOption(cmd, "max-delay-us", o.maxDelayUs, 0)!;
        const specs: ServedModelSpec[] = [];
        for (const m of o.model) {
          const eq = m.indexOf("=");
          if (eq <= 0 || eq === m.length - 1) badArgument(cmd, `--model "${m}" must be NAME=FILE.onnx`);
          specs.push({ name: m.slice(0, eq), source: m.slice(eq + 1) });
        }
        if (o.serve.length > 0 && !o.registry) badArgument(cmd, "--serve needs --registry");
        if (o.registry) {
          const reg = new ModelRegistry(o.registry);
          try {
            for (const ref of o.serve)
              specs.push({ name: ModelRegistry.parseRef(ref).name, source: reg.readOnnx(ref) });
          } finally {
            reg.close();
          }
        }
        if (specs.length === 0)
          badArgument(cmd, "nothing to serve: give --model NAME=FILE.onnx and/or --registry DIR --serve REF");
        const server = await startV2Server({ port, host: o.host, models: specs, maxBatch, maxDelayUs });
        io.out(
          `serving ${specs.map((s) => s.name).join(", ")} on ${server.url} (KServe v2; max batch ${maxBatch}, max delay ${maxDelayUs} µs)\n`,
        );
        await (deps.waitForStop ?? waitForSignal)(server);
        await server.close();
        io.out("server stopped\n");
      },
    );
}
