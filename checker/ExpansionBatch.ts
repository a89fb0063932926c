/**
 * States expanded in batches, so that the visited table's cache misses overlap. A search's time
 * goes mostly to reading the slots of a table far larger than the processor's caches (and, on a
 * virtual machine, than its address-translation caches): one read costs 150–300 ns when it waits
 * for the one before, and a fraction of that when many are in flight at once. So the successors
 * of up to `capacity` states are computed first — fingerprints and steps, nothing built — then the
 * table's slots for all of them are read in one tight loop (`prefetch`), and only then does the
 * search add them, in order, finding their slots in the cache. Adding in the same order as one
 * state at a time keeps ids, parents and verdicts those of the unbatched search.
 *
 * Most successors are states already known, and most of those were reached a moment before by
 * the other path of a diamond (two independent steps taken in either order, from sibling states
 * expanded one after the other). A small table of the fingerprints recorded last, which stays in
 * the processor's cache, answers them without touching the visited table: at N = 7 of the
 * benchmark it recognises 98% of the 18 million repeated successors. A fingerprint in it was
 * recorded earlier in the search's order, so it is a known state by the time this one would be
 * added: skipping it changes nothing but the time.
 *
 * @since 0.1.0
 */
import type { CollapsedSpace, Visit } from "./Collapse.ts"
import type { Frontier } from "./Frontier.ts"

/** A visited table whose slots for given fingerprints can be read ahead of adding them. */
export interface Prefetchable {
  /** Reads the home slots of the first `count` fingerprints (`his[j]`, `los[j]`); the sum only keeps the reads. */
  touch(his: Int32Array, los: Int32Array, count: number): number
}

/** Fingerprints remembered as recently recorded: 2¹⁴ of them, 128 KiB, in a processor's second-level cache. */
const RECENT_BITS = 14
const RECENT_MASK = (1 << RECENT_BITS) - 1

const grownTo = (array: Int32Array<ArrayBuffer>, length: number): Int32Array<ArrayBuffer> => {
  const grown = new Int32Array(length)
  grown.set(array)
  return grown
}

/**
 * The states of one batch and their recorded successors.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * import { CollapsedSpace } from "./Collapse.ts"
 * import { VisitedTable } from "./VisitedTable.ts"
 * const space = new CollapsedSpace(TokenRing.model(), false)
 * const table = new VisitedTable()
 * const start = space.start()
 * const batch = new ExpansionBatch(space, 64)
 * batch.add(table.add(start.hi, start.lo, -1, 0), start.vector)
 * batch.expand(start.hi, start.lo, 0, true)
 * batch.prefetch(table)
 * const found = []
 * for (let j = batch.firsts[0]!; j < batch.firsts[1]!; j++) {
 *   if (table.add(batch.his[j]!, batch.los[j]!, 0, 1) >= 0) found.push(space.size(batch.successor(0, j)))
 * }
 * [batch.transitions[0], found.length] // => [1, 1]
 */
export class ExpansionBatch {
  /** States in the batch. */
  length = 0
  /** Per state: its id, depth, vector (a copy), the steps taken from it, and whether one was a send or receive. */
  readonly ids: Int32Array
  readonly depths: Int32Array
  readonly vectors: Array<Int32Array>
  readonly transitions: Int32Array
  readonly progressed: Uint8Array
  /** Per state, where its recorded successors start in `his` and `los`; entry `length` is where they end. */
  readonly firsts: Int32Array
  /** The recorded successors' fingerprints, and their steps (five words each, as `CollapsedSpace.keepVisiting` keeps them). */
  his = new Int32Array(1024)
  los = new Int32Array(1024)
  steps = new Int32Array(5 * 1024)
  private recorded = 0
  private recording = true
  private readonly recent = new Int32Array(2 << RECENT_BITS)
  private readonly visit: Visit
  /** The sum `touch` returns, kept so that its reads are not optimized away. */
  private touched = 0

  /**
   * With `everyStep`, every step of a state is recorded, none skipped as recent: for a search that
   * chooses among a state's steps (`checker/PartialOrder.ts`) and so does not add every successor
   * recorded.
   */
  constructor(
    private readonly space: CollapsedSpace,
    readonly capacity: number,
    everyStep = false
  ) {
    this.ids = new Int32Array(capacity)
    this.depths = new Int32Array(capacity)
    this.vectors = Array.from({ length: capacity }, () => new Int32Array(64))
    this.transitions = new Int32Array(capacity)
    this.progressed = new Uint8Array(capacity)
    this.firsts = new Int32Array(capacity + 1)
    // One closure for every state, reading the state being expanded from the fields.
    this.visit = (hi, lo, progress) => {
      const b = this.length
      this.transitions[b]++
      if (progress) this.progressed[b] = 1
      if (!this.recording) return
      if (!everyStep) {
        const r = 2 * ((lo ^ (hi >>> 15)) & RECENT_MASK)
        const recent = this.recent
        if (recent[r + 1] === lo && recent[r] === hi && (hi | lo) !== 0) return
        recent[r] = hi
        recent[r + 1] = lo
      }
      const j = this.recorded++
      if (j === this.his.length) {
        this.his = grownTo(this.his, 2 * j)
        this.los = grownTo(this.los, 2 * j)
        this.steps = grownTo(this.steps, 10 * j)
      }
      this.his[j] = hi
      this.los[j] = lo
      this.space.keepVisiting(this.steps, 5 * j)
    }
  }

  /** Whether the batch holds `capacity` states. */
  get full(): boolean {
    return this.length === this.capacity
  }

  /** Empties the batch. */
  clear(): void {
    this.length = 0
    this.recorded = 0
    this.firsts[0] = 0
  }

  /** Adds state `id`, whose vector is the start of `words`, for `expand`. */
  add(id: number, words: Int32Array): void {
    const b = this.length
    const size = this.space.size(words)
    if (this.vectors[b]!.length < size) this.vectors[b] = new Int32Array(2 * size)
    const v = this.vectors[b]!
    for (let i = 0; i < size; i++) v[i] = words[i]!
    this.ids[b] = id
  }

  /** Adds the next state of `frontier`, for `expand`, and returns its id (-1: the frontier is empty). */
  take(frontier: Frontier): number {
    const id = frontier.popInto(this.vectors, this.length)
    this.ids[this.length] = id
    return id
  }

  /**
   * Expands the state just added or taken (its fingerprint is `hi`, `lo`), counting its steps and
   * recording its successors — unless `record` is false (the state is at the depth bound) or their
   * fingerprints were recorded recently.
   */
  expand(hi: number, lo: number, depth: number, record: boolean): void {
    const b = this.length
    this.depths[b] = depth
    this.transitions[b] = 0
    this.progressed[b] = 0
    this.recording = record
    this.space.expand(this.vectors[b]!, hi, lo, this.visit, !record)
    this.length = b + 1
    this.firsts[b + 1] = this.recorded
  }

  /** Reads the table's slots of every recorded successor, all at once, before they are added. */
  prefetch(table: Prefetchable): void {
    this.touched = (this.touched + table.touch(this.his, this.los, this.recorded)) | 0
  }

  private chosenHis = new Int32Array(1024)
  private chosenLos = new Int32Array(1024)

  /**
   * Like `prefetch`, for the successors by the steps of node `nodes[b]` of each state `b` (all of
   * them where it is -1): the ones a search with partial-order reduction adds, most of the time.
   */
  prefetchChosen(table: Prefetchable, nodes: Int32Array): void {
    if (this.chosenHis.length < this.recorded) {
      this.chosenHis = new Int32Array(this.his.length)
      this.chosenLos = new Int32Array(this.his.length)
    }
    const { his, los, steps, chosenHis, chosenLos } = this
    let k = 0
    for (let b = 0; b < this.length; b++) {
      const node = nodes[b]!
      for (let j = this.firsts[b]!; j < this.firsts[b + 1]!; j++) {
        if (node >= 0 && steps[5 * j + 1] !== node) continue
        chosenHis[k] = his[j]!
        chosenLos[k++] = los[j]!
      }
    }
    this.touched = (this.touched + table.touch(chosenHis, chosenLos, k)) | 0
  }

  /**
   * The vector of recorded successor `j` of the batch's state `b` (valid until the next call), with
   * the space's step being visited set to the one that led to it (for `action` and `renaming`).
   */
  successor(b: number, j: number): Int32Array {
    return this.space.keptSuccessor(this.vectors[b]!, this.steps, 5 * j)
  }
}
