/**
 * The `botv6 data ...` command group. Each subcommand lives in its own file and is registered
 * here, so adding one touches one line.
 */
import type { Command } from "commander";
import type { CliIO } from "./main.js";

export function registerDataCommands(data: Command, io: CliIO): void {
  void data;
  void io;
}
