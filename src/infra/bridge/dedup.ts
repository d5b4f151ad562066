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

  get size(): number {
    return this.set.size;
  }
}
