/**
 * Order lookup by id: an open-addressing hash table from positive safe-integer ids to values,
 * with linear probing and backward-shift deletion (no tombstones), keys in a Float64Array.
 * Faster than `Map` on the matching hot path (no hashing of heap numbers, no rehash on
 * delete-heavy churn). It does not iterate: the engine keeps live orders in a linked list for
 * that (acceptance order).
 */

const EMPTY = 0;

export class OrderIndex<V> {
  private keys: Float64Array;
  private vals: (V | undefined)[];
  private mask: number;
  private shift: number;
  private count = 0;

  constructor(initialCapacity = 1024) {
    let cap = 16;
    while (cap < initialCapacity * 2) cap *= 2;
    this.keys = new Float64Array(cap);
    this.vals = new Array<V | undefined>(cap).fill(undefined);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
  }

  get size(): number {
    return this.count;
  }

  private slotOf(id: number): number {
    // Fibonacci hashing of the low and high 32-bit halves.
    const lo = id | 0;
    const hi = (id / 4294967296) | 0;
    return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> this.shift;
  }

  /** The value for `id` (a positive safe integer), or undefined. */
  get(id: number): V | undefined {
    const keys = this.keys;
    const mask = this.mask;
    let i = this.slotOf(id);
    for (;;) {
      const k = keys[i];
      if (k === id) return this.vals[i];
      if (k === EMPTY) return undefined;
      i = (i + 1) & mask;
    }
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  /** Inserts or replaces. */
  set(id: number, value: V): void {
    if ((this.count + 1) * 2 > this.keys.length) this.grow();
    const keys = this.keys;
    const mask = this.mask;
    let i = this.slotOf(id);
    for (;;) {
      const k = keys[i];
      if (k === id) {
        this.vals[i] = value;
        return;
      }
      if (k === EMPTY) {
        keys[i] = id;
        this.vals[i] = value;
        this.count++;
        return;
      }
      i = (i + 1) & mask;
    }
  }

  /** Removes `id`; returns whether it was present. */
  delete(id: number): boolean {
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    let i = this.slotOf(id);
    for (;;) {
      const k = keys[i];
      if (k === EMPTY) return false;
      if (k === id) break;
      i = (i + 1) & mask;
    }
    // Backward-shift deletion: move later entries of the probe run into the hole.
    let hole = i;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      const k = keys[j];
      if (k === EMPTY) break;
      const home = this.slotOf(k);
      // Move k if its home is not in the (cyclic) range (hole, j].
      if (hole <= j ? home <= hole || home > j : home <= hole && home > j) {
        keys[hole] = k;
        vals[hole] = vals[j];
        hole = j;
      }
    }
    keys[hole] = EMPTY;
    vals[hole] = undefined;
    this.count--;
    return true;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldVals = this.vals;
    const cap = oldKeys.length * 2;
    this.keys = new Float64Array(cap);
    this.vals = new Array<V | undefined>(cap).fill(undefined);
    this.mask = cap - 1;
    this.shift = 32 - Math.log2(cap);
    this.count = 0;
    for (let i = 0; i < oldKeys.length; i++) {
      const k = oldKeys[i];
      if (k !== EMPTY) this.set(k, oldVals[i] as V);
    }
  }
}
