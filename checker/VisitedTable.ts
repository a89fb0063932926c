/**
 * The set of states seen so far, as an open-addressing hash table over typed arrays (a JavaScript
 * `Set` holds at most 2²⁴ entries and costs far more per entry). Each state gets a dense id in order
 * of discovery; per id the table keeps the fingerprint, the parent's id (for counterexample traces)
 * and the depth, in chunks, so that they are never copied and never over-allocated by more than a
 * chunk. About 25–35 bytes per state (the slots are at most three quarters full), whatever the
 * state's size.
 *
 * Fingerprint halves are signed 32-bit integers throughout: they stay small integers for the
 * JavaScript engine, never boxed numbers.
 *
 * @since 0.1.0
 */

/**
 * A fingerprint's home slot, from the top `bits` bits of a mix of both halves (fingerprints are
 * random, but tests and callers may not be). Taking the top bits keeps the table sorted by home
 * slot, so that doubling it reads the old slots in order and writes the new ones almost in order.
 */
const homeOf = (hi: number, lo: number, bits: number): number => {
  let h = lo ^ Math.imul(hi ^ (hi >>> 16), 0x45d9f3b)
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b)
  return (h ^ (h >>> 16)) >>> (32 - bits)
}

/** Per-state records are kept in chunks of 2¹⁶ states. */
const CHUNK_BITS = 16
const CHUNK = 1 << CHUNK_BITS
const IN_CHUNK = CHUNK - 1

/** Discovered states, by fingerprint. */
export class VisitedTable {
  /**
   * Two words per slot, the fingerprint's halves (both 0: empty), so that a probe reads one cache
   * line and nothing else: most lookups in a big search are of states already known, and they need
   * no id. The id of a new state is the table's size. The fingerprint `(0, 0)`, which marks an
   * empty slot, is recorded apart, in `zeroSeen`.
   */
  private slots: Int32Array
  private zeroSeen = false
  private bits: number
  private readonly hi: Array<Int32Array> = []
  private readonly lo: Array<Int32Array> = []
  private readonly parents: Array<Int32Array> = []
  private readonly depths: Array<Uint16Array> = []
  /** How many distinct states have been added. */
  size = 0

  constructor(initialSlots = 1 << 16) {
    let bits = 4
    while (1 << bits < initialSlots) bits++
    this.bits = bits
    this.slots = new Int32Array(2 << bits)
  }

  /**
   * Adds a state unless its fingerprint is there; returns its new id, or -1 if it was known.
   *
   * @example
   * const t = new VisitedTable()
   * [t.add(1, 2, -1, 0), t.add(1, 2, -1, 0), t.add(1, 3, 0, 1)] // => [0, -1, 1]
   */
  add(hi: number, lo: number, parent: number, depth: number): number {
    hi |= 0
    lo |= 0
    const slots = this.slots
    const mask = (1 << this.bits) - 1
    let i = homeOf(hi, lo, this.bits)
    if ((hi | lo) === 0) {
      if (this.zeroSeen) return -1
      this.zeroSeen = true
      i = -1
    } else {
      for (;;) {
        const at = 2 * i
        const l = slots[at + 1]!
        if (l === lo) {
          if (slots[at] === hi) return -1
        } else if (l === 0 && slots[at] === 0) break
        i = (i + 1) & mask
      }
    }
    const id = this.size++
    if ((id & IN_CHUNK) === 0) {
      this.hi.push(new Int32Array(CHUNK))
      this.lo.push(new Int32Array(CHUNK))
      this.parents.push(new Int32Array(CHUNK))
      this.depths.push(new Uint16Array(CHUNK))
    }
    const c = id >>> CHUNK_BITS
    const j = id & IN_CHUNK
    this.hi[c]![j] = hi
    this.lo[c]![j] = lo
    this.parents[c]![j] = parent
    this.depths[c]![j] = Math.min(depth, 0xffff)
    if (i < 0) return id
    slots[2 * i] = hi
    slots[2 * i + 1] = lo
    if (4 * this.size > 3 * (mask + 1)) this.grow()
    return id
  }

  /**
   * Reads the home slots of the first `count` fingerprints, so that adding them soon after finds
   * the slots in the cache (`checker/ExpansionBatch.ts`); the sum only keeps the reads.
   *
   * @example
   * const t = new VisitedTable()
   * typeof t.touch(Int32Array.of(1), Int32Array.of(2), 1) // => "number"
   */
  touch(his: Int32Array, los: Int32Array, count: number): number {
    const slots = this.slots
    const bits = this.bits
    let sum = 0
    for (let j = 0; j < count; j++) sum += slots[2 * homeOf(his[j]! | 0, los[j]! | 0, bits) + 1]!
    return sum
  }

  /** Doubles the slots, moving the old ones over in order. */
  private grow() {
    const old = this.slots
    const bits = this.bits + 1
    const slots = new Int32Array(2 << bits)
    const mask = (1 << bits) - 1
    for (let at = 0; at < old.length; at += 2) {
      const hi = old[at]!
      const lo = old[at + 1]!
      if ((hi | lo) === 0) continue
      let i = homeOf(hi, lo, bits)
      while ((slots[2 * i]! | slots[2 * i + 1]!) !== 0) i = (i + 1) & mask
      slots[2 * i] = hi
      slots[2 * i + 1] = lo
    }
    this.slots = slots
    this.bits = bits
  }

  /** The parent id of state `id` (-1 for an initial state). */
  parent(id: number): number {
    return this.parents[id >>> CHUNK_BITS]![id & IN_CHUNK]!
  }

  /** The depth of state `id` (its distance from the initial state in the exploration). */
  depth(id: number): number {
    return this.depths[id >>> CHUNK_BITS]![id & IN_CHUNK]!
  }

  /** The fingerprint of state `id`, as two signed 32-bit halves. */
  fingerprint(id: number): readonly [number, number] {
    return [this.high(id), this.low(id)]
  }

  /** The high half of the fingerprint of state `id`. */
  high(id: number): number {
    return this.hi[id >>> CHUNK_BITS]![id & IN_CHUNK]!
  }

  /** The low half of the fingerprint of state `id`. */
  low(id: number): number {
    return this.lo[id >>> CHUNK_BITS]![id & IN_CHUNK]!
  }

  /** Bytes held by the table and its per-state arrays. */
  bytes(): number {
    return this.slots.byteLength + this.hi.length * CHUNK * 14
  }
}
