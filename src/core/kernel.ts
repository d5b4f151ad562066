/**
 * The kernel: one composition for backtest, paper and live nodes.
 *
 * It owns the message bus, the clock, the seeded random source, the id generator and the
 * logger, and drives the lifecycle of every component it holds. Only three things differ by
 * mode — the clock ({@link TestClock} for backtests, {@link LiveClock} otherwise), the data
 * sources and the venues — and components never ask which mode they run in.
 */
import type { Logger } from "pino";
import { BotV6Error } from "../model/errors.js";
import type { UnixMicros } from "../model/time.js";
import { MessageBus, type Topic } from "./bus.js";
import { type Clock, LiveClock, TestClock } from "./clock.js";
import { Component, type ComponentContext, ComponentState } from "./component.js";
import { createLogger } from "./logging.js";
import { IdGenerator, Rng } from "./rng.js";
import { Topics } from "./topics.js";

export type RunMode = "backtest" | "paper" | "live";

export class KernelError extends BotV6Error {}

export interface KernelOptions {
  traderId: string;
  mode: RunMode;
  /** Seed of every random stream in the node. */
  seed: number;
  /** Defaults to a TestClock at 0 for backtests, a LiveClock otherwise. */
  clock?: Clock;
  logger?: Logger;
}

/** A message to deliver at a point in simulated time. */
export interface TimedMessage {
  readonly ts: UnixMicros;
  readonly topic: Topic<unknown>;
  readonly message: unknown;
}

export class Kernel extends Component {
  readonly traderId: string;
  readonly mode: RunMode;
  readonly seed: number;
  readonly bus = new MessageBus();
  readonly clock: Clock;
  readonly logger: Logger;
  readonly ids: IdGenerator;
  private readonly rootRng: Rng;
  private readonly components: Component[] = [];
  private readonly systemTopic: Topic<{ component: string; state: ComponentState; ts: UnixMicros }>;

  constructor(options: KernelOptions) {
    super(`Kernel-${options.traderId}`);
    this.traderId = options.traderId;
    this.mode = options.mode;
    this.seed = options.seed;
    this.clock = options.clock ?? (options.mode === "backtest" ? new TestClock(0) : new LiveClock());
    if (options.mode === "backtest" && !(this.clock instanceof TestClock)) {
      throw new KernelError("KERNEL_CLOCK_MODE", "a backtest kernel needs a TestClock", {});
    }
    this.logger = (options.logger ?? createLogger({ level: "silent" })).child({ trader: options.traderId });
    this.ids = new IdGenerator(options.traderId);
    this.rootRng = new Rng(options.seed);
    this.systemTopic = this.bus.topic(Topics.system("lifecycle"));
    super.initialize(this.contextFor(this.id));
  }

  /** Context for a component: shared bus/clock/ids, a child logger and its own random stream. */
  private contextFor(componentId: string): ComponentContext {
    return {
      bus: this.bus,
      clock: this.clock,
      logger: this.logger.child({ component: componentId }),
      ids: this.ids,
      rng: this.rootRng.fork(),
    };
  }

  /**
   * Adds a component. Component ids are unique. If the kernel is already running the component
   * is initialized and started at once; otherwise with the kernel.
   */
  add<C extends Component>(component: C): C {
    if (this.components.some((c) => c.id === component.id)) {
      throw new KernelError("KERNEL_DUPLICATE_COMPONENT", `a component with id "${component.id}" exists`, {
        component: component.id,
      });
    }
    if (this.state === ComponentState.Disposed) {
      throw new KernelError("KERNEL_DISPOSED", "cannot add components to a disposed kernel", {});
    }
    this.components.push(component);
    component.initialize(this.contextFor(component.id));
    if (this.state === ComponentState.Running) this.startComponent(component);
    return component;
  }

  get componentIds(): string[] {
    return this.components.map((c) => c.id);
  }

  protected override onStart(): void {
    for (const c of this.components) if (c.state !== ComponentState.Running) this.startComponent(c);
  }

  protected override onStop(): void {
    for (let i = this.components.length - 1; i >= 0; i--) {
      const c = this.components[i];
      if (c.state === ComponentState.Running) {
        c.stop();
        this.announce(c);
      }
    }
  }

  protected override onDispose(): void {
    for (let i = this.components.length - 1; i >= 0; i--) {
      const c = this.components[i];
      if (c.state !== ComponentState.Disposed) c.dispose();
    }
    if (this.clock instanceof LiveClock) this.clock.dispose();
  }

  private startComponent(c: Component): void {
    c.start();
    this.announce(c);
  }

  private announce(c: Component): void {
    this.systemTopic.publish({ component: c.id, state: c.state, ts: this.clock.timestampUs() });
  }

  /**
   * Replays time-ordered messages through the bus on the test clock: before each message the
   * clock advances to its timestamp, firing due timers first. Out-of-order input throws,
   * naming the position, and nothing after it is delivered.
   */
  replay(messages: Iterable<TimedMessage>): number {
    const clock = this.clock;
    if (!(clock instanceof TestClock)) {
      throw new KernelError("KERNEL_NOT_BACKTEST", "replay needs the test clock (backtest mode)", {});
    }
    if (!this.isRunning) {
      throw new KernelError(
        "KERNEL_NOT_RUNNING",
        `kernel must be running to replay (state ${this.state})`,
        {},
      );
    }
    let n = 0;
    for (const m of messages) {
      if (m.ts < clock.timestampUs()) {
        throw new KernelError(
          "KERNEL_OUT_OF_ORDER",
          `message ${n} on ${m.topic.name} at ${m.ts} is before the clock (${clock.timestampUs()})`,
          { index: n, topic: m.topic.name, ts: m.ts },
        );
      }
      clock.advanceTo(m.ts);
      m.topic.publish(m.message);
      n++;
    }
    return n;
  }

  /** Fires remaining timers up to `t` (end of a backtest). */
  advanceTo(t: UnixMicros): void {
    const clock = this.clock;
    if (!(clock instanceof TestClock)) {
      throw new KernelError("KERNEL_NOT_BACKTEST", "advanceTo needs the test clock (backtest mode)", {});
    }
    clock.advanceTo(t);
  }
}
