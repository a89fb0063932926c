/**
 * The set of states seen so far, as an open-addressing hash table over typed arrays (a JavaScript
 * `Set` holds at most 2²⁴ entries and costs far more per entry). Each state gets a dense id in order
 * of discovery; per id the table keeps the fingerprint, the parent's id (for counterexample traces)
 * and the depth. About 22–30 bytes per state, whatever the state's size.
 *
 * @since 0.1.0
 */

/** Spreads a fingerprint over the table (fingerprints are random, but tests and callers may not be). */
const slotOf = (hi: number, lo: number, mask: number): number => {
  let h = lo ^ Math.imul(hi ^ (hi >>> 16), 0x45d9f3b)
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b)
  return (h ^ (h >>> 16)) & mask
}

const grow = <A extends Int32Array | Uint32Array | Uint16Array>(array: A, size: number, make: (n: number) => A): A => {
  if (size <= array.length) return array
  let capacity = array.length * 2
  while (capacity < size) capacity *= 2
  const next = make(capacity)
  next.set(array)
  return next
}

/** Discovered states, by fingerprint. */
export class VisitedTable {
  private slots: Int32Array
  private mask: number
  private hi = new Uint32Array(1024)
  private lo = new Uint32Array(1024)
  private parents = new Int32Array(1024)
  private depths = new Uint16Array(1024)
  /** How many distinct states have been added. */
  size = 0

  constructor(initialSlots = 1 << 16) {
    let n = 1
    while (n < initialSlots) n <<= 1
    this.slots = new Int32Array(n)
    this.mask = n - 1
  }

  /**
   * Adds a state unless its fingerprint is there; returns its new id, or -1 if it was known.
   *
   * @example
   * const t = new VisitedTable()
   * [t.add(1, 2, -1, 0), t.add(1, 2, -1, 0), t.add(1, 3, 0, 1)] // => [0, -1, 1]
   */
  add(hi: number, lo: number, parent: number, depth: number): number {
    let i = slotOf(hi, lo, this.mask)
    for (;;) {
      const slot = this.slots[i]!
      if (slot === 0) break
      const id = slot - 1
      if (this.lo[id] === lo && this.hi[id] === hi) return -1
      i = (i + 1) & this.mask
    }
    const id = this.size++
    this.hi = grow(this.hi, this.size, (n) => new Uint32Array(n))
    this.lo = grow(this.lo, this.size, (n) => new Uint32Array(n))
    this.parents = grow(this.parents, this.size, (n) => new Int32Array(n))
    this.depths = grow(this.depths, this.size, (n) => new Uint16Array(n))
    this.hi[id] = hi
    this.lo[id] = lo
    this.parents[id] = parent
    this.depths[id] = Math.min(depth, 0xffff)
    this.slots[i] = id + 1
    if (this.size * 2 > this.slots.length) this.rehash()
    return id
  }

  private rehash() {
    const slots = new Int32Array(this.slots.length * 2)
    const mask = slots.length - 1
    for (let id = 0; id < this.size; id++) {
      let i = slotOf(this.hi[id]!, this.lo[id]!, mask)
      while (slots[i] !== 0) i = (i + 1) & mask
      slots[i] = id + 1
    }
    this.slots = slots
    this.mask = mask
  }

  /** The parent id of state `id` (-1 for an initial state). */
  parent(id: number): number {
    return this.parents[id]!
  }

  /** The depth of state `id` (its distance from the initial state in the exploration). */
  depth(id: number): number {
    return this.depths[id]!
  }

  /** The fingerprint of state `id`. */
  fingerprint(id: number): readonly [number, number] {
    return [this.hi[id]!, this.lo[id]!]
  }

  /** Bytes held by the table and its per-state arrays. */
  bytes(): number {
    return this.slots.byteLength + this.hi.byteLength + this.lo.byteLength + this.parents.byteLength + this.depths.byteLength
  }
}
