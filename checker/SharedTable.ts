/**
 * The visited table of a search that several threads run at once: an open-addressing hash table of
 * fingerprints in shared memory, where each thread adds the states it finds and learns, atomically,
 * whether another thread found them first. The state whose slot a thread claims is that thread's to
 * expand. Per state it keeps, as `VisitedTable` does, the fingerprint, the parent's id and the
 * depth.
 *
 * A slot is two words: the fingerprint's high half and its low half with the lowest bit set, so
 * that a low word is never 0 (empty) or 2 (being written): fingerprints here have 63 bits. A thread
 * claims an empty slot by swapping its low word from 0 to 2, writes the high half, then publishes
 * the low half; a thread that meets a slot being written waits for it. The table does not grow
 * while threads add to it: an add that would fill it past three quarters answers `FULL`, and the
 * coordinating thread doubles the table (`grown`) between rounds, ahead of time when the next round
 * is likely not to fit (`fits`).
 *
 * Ids are handed out to each thread in blocks of 64, so that threads write the per-state records
 * (fingerprint, parent, depth) in cache lines of their own: with one shared counter, two threads'
 * consecutive ids shared cache lines, and every new state moved a line between the cores. The ids
 * are therefore not dense (a block may be left partly unused), and each thread counts its own
 * states and adds them to the table's count at `publish`, every 64 states and when a round ends.
 *
 * @since 0.1.0
 */
import * as Fingerprint from "../core/Fingerprint.ts"

/** What `add` answers for a state that was there already. */
export const KNOWN = -1
/** What `add` answers when the table is too full to take a new state. */
export const FULL = -2

const BUSY = 2
/** Words of `control`: the first id not yet in a thread's block, and the number of states published. */
const RESERVED = 0
const ADDED = 1
/** Ids a thread takes at a time. */
const BLOCK = 64

/** The shared memory of a table, which a worker thread receives to open the same table. */
export interface SharedTableMemory {
  readonly control: SharedArrayBuffer
  readonly slots: SharedArrayBuffer
  readonly hi: SharedArrayBuffer
  readonly lo: SharedArrayBuffer
  readonly parents: SharedArrayBuffer
  readonly depths: SharedArrayBuffer
}

const homeOf = (hi: number, lo: number, bits: number): number => {
  let h = lo ^ Math.imul(hi ^ (hi >>> 16), 0x45d9f3b)
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b)
  return (h ^ (h >>> 16)) >>> (32 - bits)
}

/** Blocks of ids start below three quarters of the slots; the last block may end a block past it. */
const limitOf = (slots: number): number => (slots >>> 2) * 3

/** A visited table in shared memory. */
export class SharedTable {
  private readonly control: Int32Array
  private readonly slots: Int32Array
  private readonly hi: Int32Array
  private readonly lo: Int32Array
  private readonly parents: Int32Array
  private readonly depths: Uint16Array
  private readonly bits: number
  private readonly limit: number
  /** This opening's block: the next id to hand out and the end of the block. */
  private nextId = 0
  private blockEnd = 0
  /** States this opening added and has not published. */
  private unpublished = 0

  /**
   * A new, empty table with `slots` slots (a power of two).
   *
   * @example
   * const t = SharedTable.create(1 << 10)
   * // Another opening of the same memory (another thread's) hands out ids from a block of its own.
   * [t.add(1, 2, -1, 0), t.add(1, 2, -1, 0), SharedTable.open(t.memory).add(1, 4, 0, 1)] // => [0, -1, 64]
   */
  static create(slots: number): SharedTable {
    const ids = limitOf(slots) + BLOCK
    return new SharedTable({
      control: new SharedArrayBuffer(16),
      slots: new SharedArrayBuffer(8 * slots),
      hi: new SharedArrayBuffer(4 * ids),
      lo: new SharedArrayBuffer(4 * ids),
      parents: new SharedArrayBuffer(4 * ids),
      depths: new SharedArrayBuffer(2 * ids)
    })
  }

  /** The table whose memory another thread created. */
  static open(memory: SharedTableMemory): SharedTable {
    return new SharedTable(memory)
  }

  private constructor(readonly memory: SharedTableMemory) {
    this.control = new Int32Array(memory.control)
    this.slots = new Int32Array(memory.slots)
    this.hi = new Int32Array(memory.hi)
    this.lo = new Int32Array(memory.lo)
    this.parents = new Int32Array(memory.parents)
    this.depths = new Uint16Array(memory.depths)
    this.bits = Math.log2(this.slots.length / 2)
    this.limit = limitOf(this.slots.length / 2)
  }

  /**
   * How many distinct states have been added and published: all of them once every thread that
   * added states has called `publish`.
   */
  get size(): number {
    return Atomics.load(this.control, ADDED)
  }

  /** Adds this opening's states since the last call to the table's count. */
  publish(): void {
    if (this.unpublished === 0) return
    Atomics.add(this.control, ADDED, this.unpublished)
    this.unpublished = 0
  }

  /** Ids handed out in blocks so far: every id is below this. */
  private reserved(): number {
    return Math.min(Atomics.load(this.control, RESERVED), this.hi.length)
  }

  /** Adds a state unless its fingerprint is there; returns its new id, `KNOWN`, or `FULL`. */
  add(hi: number, lo: number, parent: number, depth: number): number {
    hi |= 0
    const key = lo | 1
    const slots = this.slots
    const mask = (1 << this.bits) - 1
    let i = homeOf(hi, key, this.bits)
    for (;;) {
      const at = 2 * i
      // A plain read, not `Atomics.load` (which costs about as much as the cache miss itself): a
      // slot's low word only ever goes 0 → BUSY → key, so a stale read is 0 or BUSY, and both are
      // read again atomically below (by the exchange, or while waiting).
      let l = slots[at + 1]!
      if (l === 0) {
        if (this.nextId === this.blockEnd) {
          const start = Atomics.add(this.control, RESERVED, BLOCK)
          if (start >= this.limit) return FULL
          this.nextId = start
          this.blockEnd = start + BLOCK
        }
        l = Atomics.compareExchange(slots, at + 1, 0, BUSY)
        if (l === 0) {
          // A plain store: publishing the key below (an atomic store) makes it visible to any
          // thread that reads the key atomically.
          slots[at] = hi
          const id = this.nextId++
          this.hi[id] = hi
          this.lo[id] = lo
          this.parents[id] = parent
          this.depths[id] = Math.min(depth, 0xffff)
          Atomics.store(slots, at + 1, key)
          if (++this.unpublished === BLOCK) this.publish()
          return id
        }
      }
      while (l === BUSY) l = Atomics.load(slots, at + 1)
      // The high half was stored before the key was published, and only once: a plain read of it
      // that matches a nonzero high half is right, and any other is read again after the key is,
      // both atomically, so that the key's publication orders them.
      if (l === key && ((hi !== 0 && slots[at] === hi) || (Atomics.load(slots, at + 1) === key && Atomics.load(slots, at) === hi))) return KNOWN
      i = (i + 1) & mask
    }
  }

  /**
   * Reads the home slots of the first `count` fingerprints, so that adding them soon after finds
   * the slots in the cache (`checker/ExpansionBatch.ts`); the sum only keeps the reads.
   *
   * @example
   * const t = SharedTable.create(1 << 10)
   * typeof t.touch(Int32Array.of(1), Int32Array.of(2), 1) // => "number"
   */
  touch(his: Int32Array, los: Int32Array, count: number): number {
    const slots = this.slots
    const bits = this.bits
    let sum = 0
    for (let j = 0; j < count; j++) sum += slots[2 * homeOf(his[j]! | 0, los[j]! | 1, bits) + 1]!
    return sum
  }

  /**
   * A table with twice the slots and the same states (and ids), for the coordinating thread to make
   * while no other thread uses this one, after every thread has published its states.
   *
   * @example
   * const t = SharedTable.create(1 << 10)
   * t.add(7, 9, -1, 0)
   * t.publish()
   * const g = t.grown()
   * // The grown table is another opening: its first new state starts a block of its own.
   * [g.size, g.add(7, 9, -1, 0), g.add(7, 10, 0, 1)] // => [1, -1, 64]
   */
  grown(): SharedTable {
    const next = this.emptyGrown()
    next.place(this.moveSlots(next, 0, 1))
    return next
  }

  /**
   * `grown` in parts, for several threads at once: a table with twice the slots, the same per-state
   * records and counts, and no slots yet; each thread then moves its part of the slots into it
   * (`moveSlots`), one thread places what the parts left over (`place`), and the table is whole.
   */
  emptyGrown(): SharedTable {
    const next = SharedTable.create(2 << this.bits)
    const size = this.reserved()
    Atomics.store(next.control, RESERVED, size)
    Atomics.store(next.control, ADDED, this.size)
    next.hi.set(this.hi.subarray(0, size))
    next.lo.set(this.lo.subarray(0, size))
    next.parents.set(this.parents.subarray(0, size))
    next.depths.set(this.depths.subarray(0, size))
    return next
  }

  /**
   * Moves part `part` of `parts` of this table's slots into `next` (from `emptyGrown`), while other
   * threads move the other parts, and returns the slots it left over, as (high, low) pairs.
   *
   * A home slot is the top bits of a hash, so the fingerprints whose home is in the part's range of
   * this table's slots have theirs in the range twice as far and twice as wide in `next`: each part
   * writes there, and only there, with plain stores. A fingerprint whose probe would run past the
   * end of that range (a cluster that crosses it) is left over, for `place` once every part is
   * moved. No thread reads `next` before then.
   */
  moveSlots(next: SharedTable, part: number, parts: number): Int32Array {
    const old = this.slots
    const fresh = next.slots
    const bits = this.bits
    const count = old.length / 2
    const from = Math.floor((count * part) / parts)
    const to = Math.floor((count * (part + 1)) / parts)
    const end = 2 * to
    const left: Array<number> = []
    // The part's fingerprints are in its range and, for a cluster that crosses its end, up to the
    // next empty slot after it (wrapping round for the last part, but never back into the range).
    for (let k = from; k < to || (k < from + count && old[2 * (k & (count - 1)) + 1] !== 0); k++) {
      const j = k & (count - 1)
      const key = old[2 * j + 1]!
      if (key === 0) continue
      const hi = old[2 * j]!
      const home = homeOf(hi, key, bits)
      if (home < from || home >= to) continue
      let i = homeOf(hi, key, bits + 1)
      while (i < end && fresh[2 * i + 1] !== 0) i++
      if (i === end) {
        left.push(hi, key)
        continue
      }
      fresh[2 * i] = hi
      fresh[2 * i + 1] = key
    }
    return Int32Array.from(left)
  }

  /** Places fingerprints that `moveSlots` left over (with `key` as its slots hold it) into this table, by the usual probe. */
  place(left: Int32Array): void {
    const mask = (1 << this.bits) - 1
    for (let p = 0; p < left.length; p += 2) {
      let i = homeOf(left[p]!, left[p + 1]!, this.bits)
      while (this.slots[2 * i + 1] !== 0) i = (i + 1) & mask
      this.slots[2 * i] = left[p]!
      this.slots[2 * i + 1] = left[p + 1]!
    }
  }

  /** Whether `count` more states fit before the table answers `FULL`. */
  fits(count: number): boolean {
    return this.reserved() + count <= this.limit
  }

  /** The parent id of state `id` (-1 for an initial state). */
  parent(id: number): number {
    return this.parents[id]!
  }

  /** The depth of state `id`. */
  depth(id: number): number {
    return this.depths[id]!
  }

  /** The fingerprint of state `id`, as two signed 32-bit halves. */
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
    return this.slots.byteLength + 14 * this.hi.length
  }

  /** The probability bound that two distinct states of the table shared a fingerprint (63 bits here). */
  collisionProbability(): number {
    return Fingerprint.collisionProbability(this.size, 63)
  }
}
