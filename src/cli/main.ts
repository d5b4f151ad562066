/**
 * The `botv6` command line. Exit codes: 0 success, 1 failure while running, 2 bad input
 * (invalid config, unknown command or option, bad arguments).
 */
import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { stringify } from "yaml";
import { ConfigError, formatIssue, loadConfig, maskSecrets } from "../core/config.js";
import { BotV6Error } from "../model/errors.js";
import { registerBacktestCommand } from "./backtest.js";
import { registerDataCommands } from "./data.js";
import { registerDemoCommand } from "./demo.js";
import { registerIndicatorCommand } from "./indicator.js";
import { registerModelCommands } from "./model.js";
import { registerNodeCommand } from "./node.js";

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/** Output streams and exit status of one CLI run (tests capture them). */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  /** Sets the exit status the run ends with (commands never call process.exit). */
  setExitCode(code: number): void;
}

/** Builds the program. Subcommand groups register themselves on it from their own files. */
export function buildProgram(io: CliIO): Command {
  const program = new Command();
  program
    .name("botv6")
    .description(
      "Bot V6: AI-driven automated trading — one deterministic engine for backtest, paper and live trading.",
    )
    .version(packageVersion(), "-V, --version", "print the version")
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride()
    .showHelpAfterError("(run botv6 --help for usage)");

  const config = program.command("config").description("validate and inspect configuration files");

  config
    .command("validate")
    .description("validate a YAML/JSON config file (exit 0 if valid, 2 with every problem named if not)")
    .argument("<file>", "config file")
    .option(
      "-p, --profile <mode>",
      "profile to apply: backtest | paper | live (default: BOTV6_PROFILE, then the file's mode)",
    )
    .action((file: string, opts: { profile?: string }) => {
      const loaded = loadConfig({ file, profile: opts.profile });
      const o = loaded.overrides.length === 0 ? "" : `, ${loaded.overrides.length} environment override(s)`;
      io.out(`${file}: valid (profile ${loaded.profile}${o})\n`);
    });

  config
    .command("print")
    .description("print the effective config (profile and BOTV6_* overrides applied, secrets masked)")
    .argument("<file>", "config file")
    .option("-p, --profile <mode>", "profile to apply: backtest | paper | live")
    .option("--json", "print JSON instead of YAML")
    .action((file: string, opts: { profile?: string; json?: boolean }) => {
      const loaded = loadConfig({ file, profile: opts.profile });
      const masked = maskSecrets(loaded.config);
      if (opts.json) {
        io.out(`${JSON.stringify(masked, null, 2)}\n`);
      } else {
        const header = [`# effective config of ${file} (profile ${loaded.profile})`];
        for (const o of loaded.overrides) header.push(`# ${o.path} overridden by ${o.variable}`);
        io.out(`${header.join("\n")}\n${stringify(masked)}`);
      }
    });

  // Command groups of other modules: each file adds its subcommands to `data`.
  const data = program.command("data").description("market data: verify captures, build bars, catalog");
  registerDataCommands(data, io);
  registerModelCommands(program, io);
  registerIndicatorCommand(program, io);
  registerBacktestCommand(program, io);
  registerDemoCommand(program, io);
  registerNodeCommand(program, io);

  return program;
}

/** Runs the CLI and returns the exit code (never calls process.exit itself). */
export async function runCli(
  argv: string[],
  streams: { out: (s: string) => void; err: (s: string) => void } = {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  },
): Promise<number> {
  let exitCode = EXIT_OK;
  const io: CliIO = { ...streams, setExitCode: (c) => (exitCode = c) };
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === "commander.helpDisplayed" ||
        e.code === "commander.version" ||
        e.code === "commander.help"
      ) {
        return EXIT_OK;
      }
      return EXIT_BAD_INPUT;
    }
    if (e instanceof ConfigError) {
      for (const i of e.issues) io.err(`${formatIssue(i)}\n`);
      return EXIT_BAD_INPUT;
    }
    if (e instanceof BotV6Error) {
      io.err(`error [${e.code}]: ${e.message}\n`);
      return EXIT_FAILURE;
    }
    io.err(`error: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT_FAILURE;
  }
}
