/**
 * The set of states seen so far, as an open-addressing hash table over typed arrays (a JavaScript
 * `Set` holds at most 2²⁴ entries and costs far more per entry). Each state gets a dense id in order
 * of discovery; per id the table keeps the fingerprint, the parent's id (for counterexample traces)
 * and the depth. About 30–50 bytes per state (the slots are at most half full), whatever the
 * state's size.
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
  /**
   * Three words per slot — the fingerprint's two halves and the state's id + 1 (0: empty) — so that
   * a probe reads one cache line: most lookups in a big search are of states already known, and a
   * separate array of fingerprints indexed by id would cost a second cache miss for each.
   */
  private slots: Uint32Array
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
    this.slots = new Uint32Array(3 * n)
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
    const slots = this.slots
    let i = slotOf(hi, lo, this.mask)
    for (;;) {
      const at = 3 * i
      const occupant = slots[at + 2]!
      if (occupant === 0) break
      if (slots[at + 1] === lo && slots[at] === hi) return -1
      i = (i + 1) & this.mask
    }
    const id = this.size++
    if (id >= this.hi.length) {
      this.hi = grow(this.hi, this.size, (n) => new Uint32Array(n))
      this.lo = grow(this.lo, this.size, (n) => new Uint32Array(n))
      this.parents = grow(this.parents, this.size, (n) => new Int32Array(n))
      this.depths = grow(this.depths, this.size, (n) => new Uint16Array(n))
    }
    this.hi[id] = hi
    this.lo[id] = lo
    this.parents[id] = parent
    this.depths[id] = Math.min(depth, 0xffff)
    slots[3 * i] = hi
    slots[3 * i + 1] = lo
    slots[3 * i + 2] = id + 1
    if (this.size * 2 > this.mask + 1) this.rehash()
    return id
  }

  private rehash() {
    const capacity = 2 * (this.mask + 1)
    const slots = new Uint32Array(3 * capacity)
    const mask = capacity - 1
    for (let id = 0; id < this.size; id++) {
      const hi = this.hi[id]!
      const lo = this.lo[id]!
      let i = slotOf(hi, lo, mask)
      while (slots[3 * i + 2] !== 0) i = (i + 1) & mask
      slots[3 * i] = hi
      slots[3 * i + 1] = lo
      slots[3 * i + 2] = id + 1
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

  /** The high half of the fingerprint of state `id`. */
  high(id: number): number {
    return this.hi[id]!
  }

  /** The low half of the fingerprint of state `id`. */
  low(id: number): number {
    return this.lo[id]!
  }

  /** Bytes held by the table and its per-state arrays. */
  bytes(): number {
    return this.slots.byteLength + this.hi.byteLength + this.lo.byteLength + this.parents.byteLength + this.depths.byteLength
  }
}
