/**
 * Components and their lifecycle: an explicit state machine.
 *
 *   PRE_INITIALIZED --initialize--> READY --start--> RUNNING --stop--> STOPPED --start--> RUNNING
 *   READY | STOPPED --dispose--> DISPOSED            any --fault--> FAULTED --dispose--> DISPOSED
 *
 * An action not allowed in the current state throws {@link ComponentStateError} naming both and
 * changes nothing. Subclasses put their work in the `on*` hooks.
 */
import type { Logger } from "pino";
import { BotV6Error } from "../model/errors.js";
import type { MessageBus } from "./bus.js";
import type { Clock } from "./clock.js";
import type { IdGenerator, Rng } from "./rng.js";

export enum ComponentState {
  PreInitialized = "PRE_INITIALIZED",
  Ready = "READY",
  Running = "RUNNING",
  Stopped = "STOPPED",
  Faulted = "FAULTED",
  Disposed = "DISPOSED",
}

export type ComponentAction = "initialize" | "start" | "stop" | "dispose" | "fault";

/** The lifecycle transition table. */
export const COMPONENT_TRANSITIONS: ReadonlyMap<
  ComponentState,
  ReadonlyMap<ComponentAction, ComponentState>
> = new Map([
  [
    ComponentState.PreInitialized,
    new Map<ComponentAction, ComponentState>([
      ["initialize", ComponentState.Ready],
      ["fault", ComponentState.Faulted],
    ]),
  ],
  [
    ComponentState.Ready,
    new Map<ComponentAction, ComponentState>([
      ["start", ComponentState.Running],
      ["dispose", ComponentState.Disposed],
      ["fault", ComponentState.Faulted],
    ]),
  ],
  [
    ComponentState.Running,
    new Map<ComponentAction, ComponentState>([
      ["stop", ComponentState.Stopped],
      ["fault", ComponentState.Faulted],
    ]),
  ],
  [
    ComponentState.Stopped,
    new Map<ComponentAction, ComponentState>([
      ["start", ComponentState.Running],
      ["dispose", ComponentState.Disposed],
      ["fault", ComponentState.Faulted],
    ]),
  ],
  [ComponentState.Faulted, new Map<ComponentAction, ComponentState>([["dispose", ComponentState.Disposed]])],
  [ComponentState.Disposed, new Map<ComponentAction, ComponentState>()],
]);

export class ComponentStateError extends BotV6Error {}

/** What the kernel hands every component: the shared services of one node. */
export interface ComponentContext {
  readonly bus: MessageBus;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly ids: IdGenerator;
  /** A random stream of this component's own, forked from the node's seed. */
  readonly rng: Rng;
}

export abstract class Component {
  readonly id: string;
  private stateValue = ComponentState.PreInitialized;
  private ctx: ComponentContext | null = null;

  constructor(id: string) {
    this.id = id;
  }

  get state(): ComponentState {
    return this.stateValue;
  }

  /** The node's services; available from `initialize` on. */
  protected get context(): ComponentContext {
    if (this.ctx === null) {
      throw new ComponentStateError("COMPONENT_NOT_INITIALIZED", `component ${this.id} is not initialized`, {
        component: this.id,
      });
    }
    return this.ctx;
  }

  get isRunning(): boolean {
    return this.stateValue === ComponentState.Running;
  }

  initialize(ctx: ComponentContext): void {
    const next = this.check("initialize");
    this.ctx = ctx;
    this.onInitialize();
    this.stateValue = next;
  }

  start(): void {
    const next = this.check("start");
    this.onStart();
    this.stateValue = next;
  }

  stop(): void {
    const next = this.check("stop");
    this.onStop();
    this.stateValue = next;
  }

  dispose(): void {
    const next = this.check("dispose");
    this.onDispose();
    this.stateValue = next;
  }

  /** Marks the component FAULTED after an unrecoverable error (it then only allows dispose). */
  fault(reason: string): void {
    const next = this.check("fault");
    this.ctx?.logger.error({ component: this.id, reason }, "component faulted");
    this.stateValue = next;
  }

  protected onInitialize(): void {}
  protected onStart(): void {}
  protected onStop(): void {}
  protected onDispose(): void {}

  private check(action: ComponentAction): ComponentState {
    const next = COMPONENT_TRANSITIONS.get(this.stateValue)?.get(action);
    if (next === undefined) {
      throw new ComponentStateError(
        "COMPONENT_INVALID_TRANSITION",
        `component ${this.id}: cannot ${action} in state ${this.stateValue}`,
        { component: this.id, state: this.stateValue, action },
      );
    }
    return next;
  }
}
