/**
 * Clocks and timers.
 *
 * Both clocks keep timers in one {@link TimerQueue} and fire them in the same order:
 * by scheduled time, then by the order they were set (a repeating timer keeps its place). The {@link TestClock} is advanced by the
 * event stream (backtest: time jumps to each event's timestamp, firing every timer due on the
 * way, with the clock set to each timer's own time while its callback runs). The
 * {@link LiveClock} reads the wall clock and fires due timers from one `setTimeout`.
 */
import { BotV6Error } from "../model/errors.js";
import { checkMicros, type UnixMicros } from "../model/time.js";

export class ClockError extends BotV6Error {}

/** Passed to a timer's callback. */
export interface TimeEvent {
  readonly name: string;
  /** When the timer was due. */
  readonly tsEvent: UnixMicros;
  /** When it was fired (equals tsEvent on the test clock). */
  readonly tsInit: UnixMicros;
}

export type TimeEventHandler = (event: TimeEvent) => void;

interface TimerEntry {
  name: string;
  next: UnixMicros;
  /** 0 for a one-shot time alert. */
  interval: number;
  stop: UnixMicros | null;
  handler: TimeEventHandler;
  seq: number;
  cancelled: boolean;
}

/** A binary min-heap of timers keyed by (next, seq). */
export class TimerQueue {
  private heap: TimerEntry[] = [];
  private byName = new Map<string, TimerEntry>();
  private seq = 0;

  add(
    name: string,
    next: UnixMicros,
    interval: number,
    stop: UnixMicros | null,
    handler: TimeEventHandler,
  ): void {
    if (this.byName.has(name)) {
      throw new ClockError("TIMER_EXISTS", `a timer named "${name}" is already set`, { name });
    }
    const e: TimerEntry = { name, next, interval, stop, handler, seq: this.seq++, cancelled: false };
    this.byName.set(name, e);
    this.push(e);
  }

  cancel(name: string): boolean {
    const e = this.byName.get(name);
    if (e === undefined) return false;
    e.cancelled = true;
    this.byName.delete(name);
    return true;
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  /** Next due time, or null when no timer is set. */
  peekTime(): UnixMicros | null {
    this.dropCancelled();
    return this.heap.length === 0 ? null : this.heap[0].next;
  }

  /**
   * Pops the earliest timer due at or before `until` and reschedules it if it repeats. Returns
   * the entry's name, due time and handler, or null if none is due.
   */
  popDue(until: UnixMicros): { name: string; ts: UnixMicros; handler: TimeEventHandler } | null {
    this.dropCancelled();
    const top = this.heap[0];
    if (top === undefined || top.next > until) return null;
    this.pop();
    const fired = { name: top.name, ts: top.next, handler: top.handler };
    if (top.interval > 0) {
      const next = top.next + top.interval;
      if (top.stop === null || next <= top.stop) {
        // Keeps its original sequence number: ties always break by the order timers were set.
        top.next = next;
        this.push(top);
      } else {
        this.byName.delete(top.name);
      }
    } else {
      this.byName.delete(top.name);
    }
    return fired;
  }

  clear(): void {
    this.heap = [];
    this.byName.clear();
  }

  private dropCancelled(): void {
    while (this.heap.length > 0 && this.heap[0].cancelled) this.pop();
  }

  private less(a: TimerEntry, b: TimerEntry): boolean {
    return a.next < b.next || (a.next === b.next && a.seq < b.seq);
  }

  private push(e: TimerEntry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  private pop(): TimerEntry | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l], h[m])) m = l;
        if (r < h.length && this.less(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }
}

/** The clock interface every component uses; it never reveals which mode it runs in. */
export abstract class Clock {
  protected readonly timers = new TimerQueue();

  /** Current time in microseconds since the epoch. */
  abstract timestampUs(): UnixMicros;

  /** Fires `handler` once at `at` (immediately-due alerts fire at the next advance/tick). */
  setTimeAlert(name: string, at: UnixMicros, handler: TimeEventHandler): void {
    checkMicros(at, `time alert "${name}"`);
    this.timers.add(name, at, 0, null, handler);
    this.onTimersChanged();
  }

  /**
   * Fires `handler` every `intervalUs` from `start` (default now + interval) until `stop`
   * (inclusive, default never).
   */
  setTimer(
    name: string,
    intervalUs: number,
    handler: TimeEventHandler,
    start?: UnixMicros,
    stop?: UnixMicros | null,
  ): void {
    if (!Number.isSafeInteger(intervalUs) || intervalUs <= 0) {
      throw new ClockError(
        "TIMER_INTERVAL_INVALID",
        `timer "${name}": interval ${intervalUs} must be a positive integer (µs)`,
        {
          name,
        },
      );
    }
    const first = start ?? this.timestampUs() + intervalUs;
    checkMicros(first, `timer "${name}" start`);
    this.timers.add(name, first, intervalUs, stop ?? null, handler);
    this.onTimersChanged();
  }

  cancelTimer(name: string): boolean {
    const r = this.timers.cancel(name);
    if (r) this.onTimersChanged();
    return r;
  }

  timerNames(): string[] {
    return this.timers.names();
  }

  /** Time of the next timer, or null. */
  nextTimerTime(): UnixMicros | null {
    return this.timers.peekTime();
  }

  protected onTimersChanged(): void {}
}

/**
 * Simulated time. `advanceTo(t)` fires every timer due up to and including `t`, each with the
 * clock set to its due time, then sets the clock to `t`. Time never goes backwards.
 */
export class TestClock extends Clock {
  private now: UnixMicros;

  constructor(start: UnixMicros = 0) {
    super();
    this.now = checkMicros(start, "clock start");
  }

  timestampUs(): UnixMicros {
    return this.now;
  }

  /** Sets the time without firing timers (only at start-up, before anything is scheduled). */
  setTime(t: UnixMicros): void {
    checkMicros(t);
    if (t < this.now) throw this.backwards(t);
    this.now = t;
  }

  /** Advances to `t`, firing due timers in order. Returns how many fired. */
  advanceTo(t: UnixMicros): number {
    if (t < this.now) throw this.backwards(t);
    let fired = 0;
    for (;;) {
      const due = this.timers.popDue(t);
      if (due === null) break;
      if (due.ts > this.now) this.now = due.ts;
      due.handler({ name: due.name, tsEvent: due.ts, tsInit: this.now });
      fired++;
    }
    this.now = t;
    return fired;
  }

  private backwards(t: UnixMicros): ClockError {
    return new ClockError("CLOCK_BACKWARDS", `test clock cannot go back from ${this.now} to ${t}`, {
      now: this.now,
      to: t,
    });
  }
}

/** Wall-clock time with microsecond resolution; never decreases. */
export class LiveClock extends Clock {
  private last = 0;
  private handle: NodeJS.Timeout | null = null;
  private readonly originUs = Math.round(performance.timeOrigin * 1000);

  timestampUs(): UnixMicros {
    const t = this.originUs + Math.floor(performance.now() * 1000);
    if (t > this.last) this.last = t;
    return this.last;
  }

  /** Stops the timer loop (timers stay set). */
  dispose(): void {
    if (this.handle !== null) clearTimeout(this.handle);
    this.handle = null;
  }

  protected override onTimersChanged(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.handle !== null) clearTimeout(this.handle);
    this.handle = null;
    const next = this.timers.peekTime();
    if (next === null) return;
    const delayMs = Math.max(0, (next - this.timestampUs()) / 1000);
    this.handle = setTimeout(() => this.fireDue(), Math.min(delayMs, 2_147_483_647));
    this.handle.unref?.();
  }

  private fireDue(): void {
    this.handle = null;
    const now = this.timestampUs();
    for (;;) {
      const due = this.timers.popDue(now);
      if (due === null) break;
      due.handler({ name: due.name, tsEvent: due.ts, tsInit: this.timestampUs() });
    }
    this.schedule();
  }
}
