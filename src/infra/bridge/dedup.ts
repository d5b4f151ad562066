/**
 * A bounded set of recently seen event ids, for idempotent consumers. It remembers the last
 * `capacity` ids (a ring of insertion order beside a Set); older ids are forgotten, so memory is
 * bounded whatever the stream length. A duplicate older than the window would pass: size the
 * window above the longest redelivery distance (the consumer batch size times the number of
 * batches in flight is a safe floor).
 */
export class SeenSet {
  private readonly set = new Set<string>();
  private readonly ring: (string | undefined)[];
  private head = 0;
  /** Sequenced ids (producer, number): one window of numbers per producer. */
  private readonly windows = new Map<string, SeqWindow>();
  private lastProducer: string | null = null;
  private lastWindow: SeqWindow | null = null;
  private uses = 0;

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity <= 0) {
      throw new RangeError(`SeenSet capacity must be a positive integer, got ${capacity}`);
    }
    this.ring = new Array(capacity);
  }

  has(id: string): boolean {
    return this.set.has(id);
  }

  /** Adds `id`; returns false if it was already present. */
  add(id: string): boolean {
    if (this.set.has(id)) return false;
    this.addAbsent(id);
    return true;
  }

  /** Adds an `id` the caller has just seen {@link has} deny (saves a second lookup). */
  addAbsent(id: string): void {
    const old = this.ring[this.head];
    if (old !== undefined) this.set.delete(old);
    this.ring[this.head] = id;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    this.set.add(id);
  }

  /**
   * Whether the sequenced id (`producer`, `sequence`) was seen: the same as `has` of the string
   * `<producer>:<sequence>`, without making the string. Each producer has its own window of the
   * last `capacity` numbers; windows of the {@link MAX_PRODUCERS} most recently used producers
   * are kept.
   */
  hasSeq(producer: string, sequence: number): boolean {
    const w = this.windowOf(producer, false);
    return w?.set.has(sequence) === true;
  }

  /** Adds a sequenced id that {@link hasSeq} has just denied. */
  addSeqAbsent(producer: string, sequence: number): void {
    (this.windowOf(producer, true) as SeqWindow).add(sequence);
  }

  private windowOf(producer: string, create: boolean): SeqWindow | null {
    let w: SeqWindow | null | undefined = this.lastWindow;
    if (this.lastProducer !== producer) {
      w = this.windows.get(producer);
      if (w === undefined) {
        if (!create) return null;
        if (this.windows.size >= MAX_PRODUCERS) this.evictLeastRecentlyUsed();
        w = new SeqWindow(this.capacity);
        this.windows.set(producer, w);
      }
      this.lastProducer = producer;
      this.lastWindow = w;
      w.lastUse = ++this.uses;
    }
    return w;
  }

  private evictLeastRecentlyUsed(): void {
    let oldest: string | null = null;
    let use = Number.POSITIVE_INFINITY;
    for (const [p, w] of this.windows) {
      if (w.lastUse < use) {
        use = w.lastUse;
        oldest = p;
      }
    }
    if (oldest !== null) this.windows.delete(oldest);
  }

  /** Ids remembered: strings plus sequenced ids of every producer window. */
  get size(): number {
    let n = this.set.size;
    for (const w of this.windows.values()) n += w.set.size;
    return n;
  }
}

/** Producers whose sequence windows a {@link SeenSet} keeps (least recently used dropped first). */
export const MAX_PRODUCERS = 64;

/** The last `capacity` sequence numbers of one producer (the ring grows as it fills). */
class SeqWindow {
  readonly set = new Set<number>();
  private ring: Float64Array;
  private head = 0;
  private count = 0;
  lastUse = 0;

  constructor(private readonly capacity: number) {
    this.ring = new Float64Array(Math.min(capacity, 1024));
  }

  add(sequence: number): void {
    if (this.count === this.capacity) this.set.delete(this.ring[this.head]);
    else {
      // Not full yet: head === count, and the ring has not wrapped.
      if (this.head === this.ring.length) {
        const next = new Float64Array(Math.min(this.capacity, this.ring.length * 2));
        next.set(this.ring);
        this.ring = next;
      }
      this.count++;
    }
    this.ring[this.head] = sequence;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    this.set.add(sequence);
  }
}
