/**
 * `botv6 node --config FILE --role data|strategy|execution|model [--id ID] [--out FILE]`: runs one
 * process of a multi-process deployment (docs/deployment.md). Every node reads the same config
 * file: the `node` section says where the broker is and how the nodes run (`node.mode: lockstep`,
 * the exact replay, or `stream`, free-running paper trading paced by `node.speed`), the
 * `backtest` section what is replayed and traded. Lines for the operator go to stdout (`ready`,
 * `active token=N`, stream mode's `synced events=N orders=N rebuilt=N` and `resume after=N`,
 * `done events=N ...`);
 * SIGTERM or SIGINT stops the node cleanly (exit 0).
 */
import { dirname, resolve } from "node:path";
import type { Command } from "commander";
import { loadConfig } from "../core/config.js";
import { createLogger } from "../core/logging.js";
import { runNode } from "../infra/node/nodes.js";
import { NODE_ROLES, type NodeRole } from "../infra/node/roles.js";
import { NodeError } from "../infra/node/wire.js";
import { type CliIO, EXIT_BAD_INPUT } from "./main.js";

export function registerNodeCommand(program: Command, io: CliIO): void {
  program
    .command("node")
    .description("run one node of a multi-process deployment: data, strategy, execution or model")
    .addHelpText(
      "after",
      `
Modes (node.mode in the config):
  lockstep  (default) every market-data event is a barrier step: the nodes compute exactly the
            single-process backtest of the backtest section.
  stream    free-running paper trading: the data node publishes at node.speed (1 = real time by
            event timestamps, "max" or 0 = as fast as the broker accepts), the strategy node
            sends commands as its strategies make them, the execution node trades them on its
            simulated venue and writes the summary at the end of the stream. Every command
            that reaches the broker is handled (executed or refused) exactly once. A strategy
            node that died is replaced by starting it again with the same --id: it rebuilds
            its orders and positions from the events channel before its strategies act. A data
            node that died is replaced by starting it again (any --id): it asks the execution
            node for the last event it has taken and publishes from the next one.`,
    )
    .requiredOption("-c, --config <file>", "config file with a node section (and a backtest section)")
    .requiredOption("-r, --role <role>", `role: ${NODE_ROLES.join(" | ")}`)
    .option(
      "--id <id>",
      "node id (default: node.id, then <role>-<pid>); a replacement strategy node reuses it",
    )
    .option(
      "--out <file>",
      "execution node: write orders, fills and positions as JSON at the end (stream mode: on a strategy node, its mirror's)",
    )
    .action(async (opts: { config: string; role: string; id?: string; out?: string }) => {
      if (!NODE_ROLES.includes(opts.role as NodeRole)) {
        io.err(`error: --role "${opts.role}" is not one of ${NODE_ROLES.join(", ")}\n`);
        io.setExitCode(EXIT_BAD_INPUT);
        return;
      }
      const loaded = loadConfig({ file: opts.config });
      const node = loaded.config.node;
      if (node === undefined) {
        throw new NodeError("NODE_CONFIG", `${opts.config}: node: the file has no node section`, {
          setting: "node",
        });
      }
      const nodeId = opts.id ?? node.id ?? `${opts.role}-${process.pid}`;
      if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/.test(nodeId)) {
        io.err(`error: --id "${nodeId}" must be 1-32 letters, digits, '-' or '_'\n`);
        io.setExitCode(EXIT_BAD_INPUT);
        return;
      }
      const logger = createLogger({
        level: loaded.config.logging.level,
        base: { node: nodeId, role: opts.role },
        destination: process.stderr,
      });
      const ac = new AbortController();
      const stop = () => ac.abort();
      process.once("SIGTERM", stop);
      process.once("SIGINT", stop);
      try {
        const r = await runNode({
          role: opts.role as NodeRole,
          node,
          backtest: loaded.config.backtest,
          seed: loaded.config.seed,
          baseDir: dirname(resolve(opts.config)),
          nodeId,
          logger,
          say: (line) => io.out(`${line}\n`),
          signal: ac.signal,
          out: opts.out,
        });
        if (r.stopped) io.out("stopped\n");
      } finally {
        process.off("SIGTERM", stop);
        process.off("SIGINT", stop);
      }
    });
}
