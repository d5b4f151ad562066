/**
 * The `botv6 data ...` command group. Each subcommand lives in its own file and is registered
 * here, so adding one touches one line.
 */
import type { Command } from "commander";
import { registerDataBarsCommand } from "./data-bars.js";
import { registerDataCatalogCommands } from "./data-catalog.js";
import { registerVerifyCommand } from "./data-verify.js";
import type { CliIO } from "./main.js";

export function registerDataCommands(data: Command, io: CliIO): void {
  void data;
  void io;
  registerVerifyCommand(data, io);
  registerDataBarsCommand(data, io);
  registerDataCatalogCommands(data, io);
}
