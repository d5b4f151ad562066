/**
 * Connects the journal to the engines: every command the execution engine accepts, every order
 * event it applies, every risk event and every account state is appended, in the order it
 * happened, from the synchronous hot path (an append is a queue push; writing happens later).
 */
import type { MessageBus } from "../core/bus.js";
import type { ExecutionEngine } from "../execution/engine.js";
import type { AccountState } from "../model/events.js";
import type { RiskEngine } from "../risk/engine.js";
import { commandSnapshot } from "./codec.js";
import type { Journal } from "./journal.js";

/** Record kinds besides the event `type`s. */
export const RecordKind = { Command: "Command" } as const;

export interface RecorderSources {
  execution: ExecutionEngine;
  risk?: RiskEngine;
  /** To record `AccountState` events published on `events.account.*`. */
  bus?: MessageBus;
  /** The clock's time for commands (events carry their own). */
  now: () => number;
}

export function attachJournal(journal: Journal, s: RecorderSources): void {
  s.execution.onCommand((cmd) => journal.append(RecordKind.Command, s.now(), commandSnapshot(cmd)));
  s.execution.onEventApplied((e) => journal.append(e.type, e.tsEvent, e));
  s.risk?.onRiskEvent((e) => journal.append(e.type, e.tsEvent, e));
  s.bus?.subscribe<AccountState>("events.account.*", (e) => journal.append(e.type, e.tsEvent, e));
}
