/**
 * Fixed-capacity building blocks for O(1) streaming indicators: a ring buffer of doubles and
 * monotonic-deque rolling maximum/minimum (amortised O(1) per push). All storage is allocated
 * once in the constructor; nothing allocates per update.
 */

/** A circular buffer of the last `capacity` numbers. */
export class RingBuffer {
  readonly capacity: number;
  private readonly data: Float64Array;
  private head = 0;
  private count = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
    this.data = new Float64Array(capacity);
  }

  /** Number of values held (at most `capacity`). */
  get size(): number {
    return this.count;
  }

  /** True once `capacity` values have been pushed. */
  get full(): boolean {
    return this.count === this.capacity;
  }

  /**
   * Appends `x`; returns the value that fell out of the window, or NaN while the buffer is
   * still filling.
   */
  push(x: number): number {
    const h = this.head;
    const old = this.data[h];
    this.data[h] = x;
    this.head = h + 1 === this.capacity ? 0 : h + 1;
    if (this.count < this.capacity) {
      this.count++;
      return Number.NaN;
    }
    return old;
  }

  /** The value pushed `ago` updates before the newest (0 = newest). Requires `ago < size`. */
  ago(ago: number): number {
    let i = this.head - 1 - ago;
    if (i < 0) i += this.capacity;
    return this.data[i];
  }

  /** The i-th value from the oldest (0 = oldest). Requires `i < size`. */
  at(i: number): number {
    let j = (this.count < this.capacity ? 0 : this.head) + i;
    if (j >= this.capacity) j -= this.capacity;
    return this.data[j];
  }

  /** Sum of the held values, recomputed exactly (O(size)). */
  sum(): number {
    let s = 0;
    for (let i = 0; i < this.count; i++) s += this.data[i];
    return s;
  }

  reset(): void {
    this.head = 0;
    this.count = 0;
    this.data.fill(0);
  }
}

/**
 * Rolling maximum over the last `window` pushes using a monotonic deque (amortised O(1)).
 * `latestOnTie` decides which of several equal maxima is reported by {@link barsSince}: the
 * most recent (TA-Lib's AROON/WILLR convention) or the oldest.
 */
export class RollingMax {
  readonly window: number;
  private readonly vals: Float64Array;
  private readonly seqs: Float64Array;
  private readonly latestOnTie: boolean;
  private head = 0;
  private len = 0;
  private seq = 0;

  constructor(window: number, latestOnTie = true) {
    this.window = window;
    this.latestOnTie = latestOnTie;
    this.vals = new Float64Array(window);
    this.seqs = new Float64Array(window);
  }

  /** Pushes `x` and returns the maximum of the last `window` values (fewer while filling). */
  push(x: number): number {
    const cap = this.window;
    const vals = this.vals;
    const seq = this.seq;
    // Expire the front if it left the window.
    if (this.len > 0 && this.seqs[this.head] <= seq - cap) {
      this.head = this.head + 1 === cap ? 0 : this.head + 1;
      this.len--;
    }
    // Drop dominated values from the back.
    let len = this.len;
    if (this.latestOnTie) {
      while (len > 0) {
        let b = this.head + len - 1;
        if (b >= cap) b -= cap;
        if (vals[b] <= x) len--;
        else break;
      }
    } else {
      while (len > 0) {
        let b = this.head + len - 1;
        if (b >= cap) b -= cap;
        if (vals[b] < x) len--;
        else break;
      }
    }
    let t = this.head + len;
    if (t >= cap) t -= cap;
    vals[t] = x;
    this.seqs[t] = seq;
    this.len = len + 1;
    this.seq = seq + 1;
    return vals[this.head];
  }

  /** Current maximum (NaN before the first push). */
  get value(): number {
    return this.len > 0 ? this.vals[this.head] : Number.NaN;
  }

  /** Number of pushes since the current maximum was pushed (0 = the newest value). */
  get barsSince(): number {
    return this.seq - 1 - this.seqs[this.head];
  }

  reset(): void {
    this.head = 0;
    this.len = 0;
    this.seq = 0;
  }
}

/** Rolling minimum over the last `window` pushes; mirror image of {@link RollingMax}. */
export class RollingMin {
  readonly window: number;
  private readonly vals: Float64Array;
  private readonly seqs: Float64Array;
  private readonly latestOnTie: boolean;
  private head = 0;
  private len = 0;
  private seq = 0;

  constructor(window: number, latestOnTie = true) {
    this.window = window;
    this.latestOnTie = latestOnTie;
    this.vals = new Float64Array(window);
    this.seqs = new Float64Array(window);
  }

  /** Pushes `x` and returns the minimum of the last `window` values (fewer while filling). */
  push(x: number): number {
    const cap = this.window;
    const vals = this.vals;
    const seq = this.seq;
    if (this.len > 0 && this.seqs[this.head] <= seq - cap) {
      this.head = this.head + 1 === cap ? 0 : this.head + 1;
      this.len--;
    }
    let len = this.len;
    if (this.latestOnTie) {
      while (len > 0) {
        let b = this.head + len - 1;
        if (b >= cap) b -= cap;
        if (vals[b] >= x) len--;
        else break;
      }
    } else {
      while (len > 0) {
        let b = this.head + len - 1;
        if (b >= cap) b -= cap;
        if (vals[b] > x) len--;
        else break;
      }
    }
    let t = this.head + len;
    if (t >= cap) t -= cap;
    vals[t] = x;
    this.seqs[t] = seq;
    this.len = len + 1;
    this.seq = seq + 1;
    return vals[this.head];
  }

  /** Current minimum (NaN before the first push). */
  get value(): number {
    return this.len > 0 ? this.vals[this.head] : Number.NaN;
  }

  /** Number of pushes since the current minimum was pushed (0 = the newest value). */
  get barsSince(): number {
    return this.seq - 1 - this.seqs[this.head];
  }

  reset(): void {
    this.head = 0;
    this.len = 0;
    this.seq = 0;
  }
}

/**
 * Rolling sum of the last `window` values over a ring buffer. Counts the non-zero values in
 * the window so that a window of zeros (e.g. zero-volume bars) sums to exactly 0 instead of
 * to the rounding residue of earlier additions and subtractions, and re-sums the window
 * exactly once every `window` pushes (amortised O(1)) so that rounding drift cannot build up.
 */
export class RollingSum {
  readonly window: number;
  /** Current sum of the values in the window. */
  sum = 0;
  private readonly buf: Float64Array;
  private head = 0;
  private count = 0;
  private nonZero = 0;

  constructor(window: number) {
    this.window = window;
    this.buf = new Float64Array(window);
  }

  /** True once `window` values have been pushed. */
  get full(): boolean {
    return this.count === this.window;
  }

  /** Pushes `x` and returns the sum of the last `window` values (fewer while filling). */
  push(x: number): number {
    const h = this.head;
    const old = this.buf[h];
    this.buf[h] = x;
    this.head = h + 1 === this.window ? 0 : h + 1;
    if (this.count < this.window) {
      this.count++;
      this.sum += x;
    } else {
      this.sum += x - old;
      if (old !== 0) this.nonZero--;
    }
    if (x !== 0) this.nonZero++;
    if (this.nonZero === 0) this.sum = 0;
    else if (this.head === 0 && this.count === this.window) {
      // Exact re-summation once per window: bounds rounding drift, amortised O(1).
      const buf = this.buf;
      let s = 0;
      for (let i = 0; i < this.window; i++) s += buf[i];
      this.sum = s;
    }
    return this.sum;
  }

  reset(): void {
    this.buf.fill(0);
    this.head = 0;
    this.count = 0;
    this.nonZero = 0;
    this.sum = 0;
  }
}
