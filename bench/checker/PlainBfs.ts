/**
 * The plain-JavaScript baseline of the model-checker benchmark: a breadth-first search of the
 * one-round Two-Phase Commit model (`protocols/TpcBench`) written directly over packed binary
 * states, with no framework at all. It is what protoweave's checker is measured against, so it is
 * written to be fast and small, not general:
 *
 * - A state is `W = ceil(N / 2)` 32-bit words. Each participant owns a 14-bit slot, two slots per
 *   word (bits 0–13 and 14–27); bits 28–30 of word 0 hold the coordinator's phase. A slot holds the
 *   participant's phase (3 bits), the coordinator's record of it (vote: 2 bits, `sent`: 1 bit,
 *   `acked`: 1 bit) and one presence bit for each of the 7 messages that can travel between it and
 *   the coordinator: every `(from, to, tag)` is sent at most once and consumed messages are
 *   forgotten, so a presence bit is the whole soup.
 * - The participant's 8th phase value is used for the benchmark's ghost decision: `Done` after a
 *   commit and `Done` after an abort are distinct values. The ghost is a function of the rest of
 *   the state, so it does not change the number of distinct states; it lets `agreement` be checked
 *   from the state alone.
 * - Visited states are stored once, densely, in insertion order (which is BFS order, so that store
 *   is also the queue), in chunks so that it never has to be copied. An open-addressing hash table
 *   of 32-bit slots indexes it: each slot holds a state's index plus the hash bits not used to
 *   place it, so almost every probe of an occupied slot that does not match is rejected without
 *   touching the store.
 * - Expansion works on the packed words: counts over all participants (sent, acked, votes, phases)
 *   are bit-parallel popcounts, a participant's own moves come from a table indexed by its slot,
 *   and the coordinator's moves are chosen by its phase. A successor is written into the expanded
 *   state in place, added, and undone.
 *
 * Run it with `npx tsx bench/checker/PlainBfs.ts [N ...] [--commit-on-any-yes]`.
 *
 * @since 0.1.0
 */
import { pathToFileURL } from "node:url"

/** What one exploration found and what it cost. */
export interface PlainBfsResult {
  /** N, the number of participants. */
  readonly participants: number
  /** Distinct reachable states. */
  readonly states: number
  /** Transitions taken (edges explored, new state or not). */
  readonly transitions: number
  /** BFS depth: the number of steps of the longest shortest path from the initial state. */
  readonly depth: number
  /** Wall-clock milliseconds of the exploration. */
  readonly ms: number
  /** Bytes of the visited store and the hash table, per distinct state. */
  readonly bytesPerState: number
  /** Reachable states where a participant applied commit while another applied abort. */
  readonly agreementViolations: number
  /** Reachable states where a participant applied commit although some vote is not yes. */
  readonly validityViolations: number
  /** Reachable states with no enabled step that are not final (everyone `Done`). */
  readonly deadlocks: number
  /** Reachable final states. */
  readonly finals: number
}

/** The options of `plainBfs`. */
export interface PlainBfsOptions {
  /** The benchmark's seeded bug: the coordinator commits when all votes are in and any is yes. */
  readonly commitOnAnyYes?: boolean
}

// Coordinator phases (bits 28–30 of word 0).
const C_INIT = 0
const C_SENT_PREP = 1
const C_WAIT_VOTES = 2
const C_SENT_COMMIT = 3
const C_SENT_ABORT = 4
const C_WAIT_ACK_COMMIT = 5
const C_WAIT_ACK_ABORT = 6
const C_DONE = 7
const C_SHIFT = 28
const C_MASK = 7 << C_SHIFT

// Participant phases (bits 0–2 of a slot). DONE_COMMIT / DONE_ABORT carry the ghost decision.
const P_INIT = 0
const P_GOT_PREPARE = 1
const P_VOTED_YES = 2
const P_VOTED_NO = 3
const P_COMMITTED = 4
const P_ABORTED = 5
const P_DONE_COMMIT = 6
const P_DONE_ABORT = 7
const PHASE = 7

// The coordinator's record of a participant: its vote (0 none, 1 yes, 2 no), sent, acked.
const VOTE_SHIFT = 3
const VOTE = 3 << VOTE_SHIFT
const VOTE_YES = 1 << VOTE_SHIFT
const VOTE_NO = 2 << VOTE_SHIFT
const SENT = 1 << 5
const ACKED = 1 << 6

// Presence bits of the messages between the coordinator and a participant.
const M_PREPARE = 1 << 7
const M_YES = 1 << 8
const M_NO = 1 << 9
const M_COMMIT = 1 << 10
const M_ABORT = 1 << 11
const M_ACK_COMMIT = 1 << 12
const M_ACK_ABORT = 1 << 13

const SLOT_BITS = 14
const SLOT = (1 << SLOT_BITS) - 1

/** States per chunk of the visited store (a power of two, so indexing is a shift and a mask). */
const CHUNK_BITS = 16
const CHUNK = 1 << CHUNK_BITS
/** The hash table doubles beyond this load: probes stay short and the table stays compact. */
const MAX_LOAD = 0.75

/** murmur3's 32-bit mixing over `words` words of `data` from `at`: every input bit affects every output bit. */
const hashWords = (data: Uint32Array, at: number, words: number): number => {
  let h = 0x9e3779b9
  for (let w = 0; w < words; w++) {
    h = Math.imul(h ^ data[at + w]!, 0xcc9e2d51)
    h = Math.imul((h << 15) | (h >>> 17), 0x1b873593)
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/**
 * The visited set and BFS queue: states stored densely in insertion order, indexed by an
 * open-addressing (linear probing) table of 32-bit slots. A slot is 0 when empty; otherwise its low
 * `bits` bits are `index + 1` and its high bits are the key's hash bits above `bits`, which the
 * slot's position does not already determine (a free fingerprint).
 */
class VisitedStore {
  readonly words: number
  size = 0
  readonly chunks: Array<Uint32Array> = []
  private bits = 16
  private table = new Uint32Array(1 << 16)
  private mask = (1 << 16) - 1

  constructor(words: number) {
    this.words = words
  }

  /** Adds `key` (its first `words` words) if it is new; returns whether it was. */
  add(key: Uint32Array): boolean {
    const words = this.words
    const h = hashWords(key, 0, words)
    const mask = this.mask
    const high = h & ~mask
    const table = this.table
    const chunks = this.chunks
    let i = h & mask
    for (;;) {
      const slot = table[i]! | 0
      if (slot === 0) break
      if ((slot & ~mask) === high) {
        const index = (slot & mask) - 1
        const chunk = chunks[index >>> CHUNK_BITS]!
        const at = (index & (CHUNK - 1)) * words
        let w = 0
        while (w < words && chunk[at + w] === key[w]) w++
        if (w === words) return false
      }
      i = (i + 1) & mask
    }
    const index = this.size++
    if ((index & (CHUNK - 1)) === 0) chunks.push(new Uint32Array(CHUNK * words))
    const chunk = chunks[index >>> CHUNK_BITS]!
    const at = (index & (CHUNK - 1)) * words
    for (let w = 0; w < words; w++) chunk[at + w] = key[w]!
    table[i] = high | (index + 1)
    if (this.size > MAX_LOAD * (mask + 1)) this.grow()
    return true
  }

  /** Doubles the table and re-inserts every state: the fingerprint loses one bit, the index gains one. */
  private grow() {
    const bits = this.bits + 1
    if (bits > 31) throw new Error("PlainBfs: more than 2^31 table slots")
    const mask = (2 ** bits - 1) | 0
    const table = new Uint32Array(2 ** bits)
    const words = this.words
    const chunks = this.chunks
    const size = this.size
    for (let index = 0; index < size; index++) {
      const h = hashWords(chunks[index >>> CHUNK_BITS]!, (index & (CHUNK - 1)) * words, words)
      let i = h & mask
      while (table[i] !== 0) i = (i + 1) & mask
      table[i] = (h & ~mask) | (index + 1)
    }
    this.bits = bits
    this.mask = mask
    this.table = table
  }

  /** Bytes held by the store and the table. */
  bytes(): number {
    return this.chunks.length * CHUNK * this.words * 4 + this.table.byteLength
  }
}

/** The number of set bits of a 32-bit word. */
const popcount = (x: number): number => {
  x = x - ((x >>> 1) & 0x55555555)
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333)
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24
}

/**
 * Successor slots per slot in `LOCAL`. A participant has at most two moves of its own in any slot:
 * its phase enables at most two (a vote either way in `GotPrepare`; a commit or an abort received
 * in `VotedYes`), and each message it receives is enabled in one phase only.
 */
const LOCAL_WIDTH = 2

/**
 * The participant's own moves, which read and write only its slot: for every 14-bit slot value,
 * how many moves it has (`LOCAL_COUNT`) and the slots they lead to (`LOCAL`). Tabulating them once
 * replaces a chain of unpredictable branches per participant and state by one lookup.
 */
const { LOCAL, LOCAL_COUNT } = (() => {
  const local = new Uint16Array((SLOT + 1) * LOCAL_WIDTH)
  const count = new Uint8Array(SLOT + 1)
  for (let slot = 0; slot <= SLOT; slot++) {
    const moves: Array<number> = []
    const phase = slot & PHASE
    const rest = slot & ~PHASE
    if (phase === P_GOT_PREPARE) moves.push(rest | P_VOTED_YES | M_YES, rest | P_VOTED_NO | M_NO)
    if (phase === P_COMMITTED) moves.push(rest | P_DONE_COMMIT | M_ACK_COMMIT)
    if (phase === P_ABORTED) moves.push(rest | P_DONE_ABORT | M_ACK_ABORT)
    if ((slot & M_PREPARE) !== 0 && phase === P_INIT) moves.push((rest & ~M_PREPARE) | P_GOT_PREPARE)
    if ((slot & M_COMMIT) !== 0 && phase === P_VOTED_YES) moves.push((rest & ~M_COMMIT) | P_COMMITTED)
    if ((slot & M_ABORT) !== 0 && (phase === P_VOTED_YES || phase === P_VOTED_NO)) moves.push((rest & ~M_ABORT) | P_ABORTED)
    if (moves.length > LOCAL_WIDTH) throw new Error(`PlainBfs: slot ${slot} has ${moves.length} moves`)
    count[slot] = moves.length
    moves.forEach((m, j) => {
      local[slot * LOCAL_WIDTH + j] = m
    })
  }
  return { LOCAL: local, LOCAL_COUNT: count }
})()

/**
 * One exploration: the packing of states for `n` participants, the visited store, the scratch
 * states and the counters. `expand` is a method of its own, called once per state, so that the
 * JIT optimises it as a function (and re-optimises it cheaply when a branch first runs deep into
 * the search) instead of on-stack-replacing one huge loop.
 */
class Search {
  readonly n: number
  readonly words: number
  readonly commitOnAnyYes: boolean
  readonly wordOf: Int32Array
  readonly shiftOf: Int32Array
  /** Per word, bit 0 of every slot in it: the masks for counting flags across participants at once. */
  readonly ones: Uint32Array
  /** The `sent` and `acked` bits of every participant, per word, to empty either set at once. */
  readonly sentMask: Uint32Array
  readonly ackedMask: Uint32Array
  readonly store: VisitedStore
  /** The state being expanded; successors are written into it, added, and undone. */
  readonly cur: Uint32Array
  /** A successor that changes more than two words (emptying `sent` or `acked`). */
  readonly next: Uint32Array
  transitions = 0
  agreementViolations = 0
  validityViolations = 0
  deadlocks = 0
  finals = 0

  constructor(n: number, commitOnAnyYes: boolean) {
    this.n = n
    this.commitOnAnyYes = commitOnAnyYes
    const words = Math.ceil(n / 2)
    this.words = words
    this.wordOf = new Int32Array(n)
    this.shiftOf = new Int32Array(n)
    this.ones = new Uint32Array(words)
    this.sentMask = new Uint32Array(words)
    this.ackedMask = new Uint32Array(words)
    for (let i = 0; i < n; i++) {
      const s = (i & 1) * SLOT_BITS
      this.wordOf[i] = i >> 1
      this.shiftOf[i] = s
      this.ones[i >> 1] |= 1 << s
      this.sentMask[i >> 1] |= SENT << s
      this.ackedMask[i >> 1] |= ACKED << s
    }
    this.store = new VisitedStore(words)
    this.cur = new Uint32Array(words)
    this.next = new Uint32Array(words)
  }

  /** Adds `cur` with participant `i`'s slot set to `slot` and the coordinator's phase to `phase`. */
  private emit(i: number, slot: number, phase: number) {
    const cur = this.cur
    const w = this.wordOf[i]!
    const s = this.shiftOf[i]!
    const word = cur[w]!
    const word0 = cur[0]!
    cur[w] = (word & ~(SLOT << s)) | (slot << s)
    cur[0] = (cur[0]! & ~C_MASK) | (phase << C_SHIFT)
    this.transitions++
    this.store.add(cur)
    cur[w] = word
    cur[0] = word0
  }

  /** Like `emit`, but also empties every participant's bits of `masks` (`sent` or `acked`). */
  private emitCleared(i: number, slot: number, phase: number, masks: Uint32Array) {
    const cur = this.cur
    const next = this.next
    for (let w = 0; w < this.words; w++) next[w] = cur[w]!
    const w = this.wordOf[i]!
    const s = this.shiftOf[i]!
    next[w] = (next[w]! & ~(SLOT << s)) | (slot << s)
    next[0] = (next[0]! & ~C_MASK) | (phase << C_SHIFT)
    for (let v = 0; v < this.words; v++) next[v] = next[v]! & ~masks[v]!
    this.transitions++
    this.store.add(next)
  }

  private slot(i: number): number {
    return (this.cur[this.wordOf[i]!]! >>> this.shiftOf[i]!) & SLOT
  }

  /** The coordinator sends `message` to every participant not yet sent, then moves to `next`. */
  private broadcast(message: number, sending: number, next: number, sentCount: number) {
    const last = sentCount + 1 === this.n
    for (let i = 0; i < this.n; i++) {
      const slot = this.slot(i)
      if ((slot & SENT) !== 0) continue
      if (last) this.emitCleared(i, slot | SENT | message, next, this.sentMask)
      else this.emit(i, slot | SENT | message, sending)
    }
  }

  /** The coordinator takes each acknowledgement `message`; the last one ends the round. */
  private collectAcks(message: number, phase: number, ackedCount: number) {
    const last = ackedCount + 1 === this.n
    for (let i = 0; i < this.n; i++) {
      const slot = this.slot(i)
      if ((slot & message) === 0) continue
      if (last) this.emitCleared(i, (slot & ~message) | ACKED, C_DONE, this.ackedMask)
      else this.emit(i, (slot & ~message) | ACKED, phase)
    }
  }

  /** Checks the invariants on state `index`, adds its successors to the store, and tells a deadlock. */
  expand(index: number) {
    const n = this.n
    const words = this.words
    const cur = this.cur
    const chunk = this.store.chunks[index >>> CHUNK_BITS]!
    const at = (index & (CHUNK - 1)) * words
    for (let w = 0; w < words; w++) cur[w] = chunk[at + w]!
    const cp = (cur[0]! >>> C_SHIFT) & 7

    // Counts over all participants, a word (two slots) at a time.
    let sentCount = 0
    let ackedCount = 0
    let votes = 0
    let yesVotes = 0
    let committed = 0
    let aborted = 0
    let done = 0
    for (let w = 0; w < words; w++) {
      const x = cur[w]!
      const ones = this.ones[w]!
      sentCount += popcount(x & this.sentMask[w]!)
      ackedCount += popcount(x & this.ackedMask[w]!)
      const yes = (x >>> VOTE_SHIFT) & ones
      const no = (x >>> (VOTE_SHIFT + 1)) & ones
      votes += popcount(yes | no)
      yesVotes += popcount(yes & ~no)
      // Phase bits b2 b1 b0: Committed 100 and DoneCommit 110; Aborted 101 and DoneAbort 111; Done 11x.
      const b0 = x & ones
      const b1 = (x >>> 1) & ones
      const b2 = (x >>> 2) & ones
      committed |= b2 & ~b0
      aborted |= b2 & b0
      done += popcount(b2 & b1)
    }
    if (committed !== 0 && aborted !== 0) this.agreementViolations++
    if (committed !== 0 && yesVotes !== n) this.validityViolations++
    const before = this.transitions

    // Every participant's own moves: votes, acknowledgements, and receiving the coordinator's messages.
    for (let i = 0; i < n; i++) {
      const slot = this.slot(i)
      const count = LOCAL_COUNT[slot]!
      for (let j = 0; j < count; j++) this.emit(i, LOCAL[slot * LOCAL_WIDTH + j]!, cp)
    }

    // The coordinator's moves, which only its phase enables.
    switch (cp) {
      case C_INIT:
      case C_SENT_PREP:
        this.broadcast(M_PREPARE, C_SENT_PREP, C_WAIT_VOTES, sentCount)
        break
      case C_WAIT_VOTES: {
        for (let i = 0; i < n; i++) {
          const slot = this.slot(i)
          if ((slot & M_YES) !== 0) this.emit(i, (slot & ~(VOTE | M_YES)) | VOTE_YES, cp)
          if ((slot & M_NO) !== 0) this.emit(i, (slot & ~(VOTE | M_NO)) | VOTE_NO, cp)
        }
        if (votes === n) {
          if (this.commitOnAnyYes ? yesVotes > 0 : yesVotes === n) this.broadcast(M_COMMIT, C_SENT_COMMIT, C_WAIT_ACK_COMMIT, 0)
          if (yesVotes < n) this.broadcast(M_ABORT, C_SENT_ABORT, C_WAIT_ACK_ABORT, 0)
        }
        break
      }
      case C_SENT_COMMIT:
        this.broadcast(M_COMMIT, C_SENT_COMMIT, C_WAIT_ACK_COMMIT, sentCount)
        break
      case C_SENT_ABORT:
        this.broadcast(M_ABORT, C_SENT_ABORT, C_WAIT_ACK_ABORT, sentCount)
        break
      case C_WAIT_ACK_COMMIT:
        this.collectAcks(M_ACK_COMMIT, cp, ackedCount)
        break
      case C_WAIT_ACK_ABORT:
        this.collectAcks(M_ACK_ABORT, cp, ackedCount)
        break
    }

    if (this.transitions === before) {
      if (cp === C_DONE && done === n) this.finals++
      else this.deadlocks++
    }
  }
}

/**
 * Explores every reachable state of the `n`-participant benchmark by BFS and counts them, the
 * transitions, the violating states of `agreement` and `validity`, and the deadlocks.
 *
 * @example
 * plainBfs(3).states // => 1077
 */
export const plainBfs = (n: number, options: PlainBfsOptions = {}): PlainBfsResult => {
  if (!Number.isInteger(n) || n < 1 || n > 16) throw new RangeError(`PlainBfs: participants must be 1..16, got ${n}`)
  const started = performance.now()
  const search = new Search(n, options.commitOnAnyYes ?? false)
  const store = search.store
  store.add(search.cur)
  let depth = 0
  let levelEnd = 1
  for (let index = 0; index < store.size; index++) {
    if (index === levelEnd) {
      depth++
      levelEnd = store.size
    }
    search.expand(index)
  }
  const ms = performance.now() - started
  return {
    participants: n,
    states: store.size,
    transitions: search.transitions,
    depth,
    ms,
    bytesPerState: store.bytes() / store.size,
    agreementViolations: search.agreementViolations,
    validityViolations: search.validityViolations,
    deadlocks: search.deadlocks,
    finals: search.finals
  }
}

/**
 * The benchmark's closed form for the number of distinct states: `2·8^n + 5^n − 4^n − 2^n`.
 *
 * @example
 * expectedStates(3) // => 1077
 */
export const expectedStates = (n: number): number => 2 * 8 ** n + 5 ** n - 4 ** n - 2 ** n

const main = (args: ReadonlyArray<string>) => {
  const commitOnAnyYes = args.includes("--commit-on-any-yes")
  const sizes = args.filter((a) => !a.startsWith("--")).map(Number)
  for (const n of sizes.length > 0 ? sizes : [3, 4, 5, 6, 7]) {
    const r = plainBfs(n, { commitOnAnyYes })
    const expected = expectedStates(n)
    const perSecond = Math.round(r.states / (r.ms / 1000))
    console.log(
      [
        `N=${n}${commitOnAnyYes ? " commit-on-any-yes" : ""}`,
        `states ${r.states.toLocaleString("en")}${commitOnAnyYes ? "" : r.states === expected ? " (= formula)" : ` (formula: ${expected.toLocaleString("en")})`}`,
        `transitions ${r.transitions.toLocaleString("en")}`,
        `depth ${r.depth}`,
        `${(r.ms / 1000).toFixed(2)} s`,
        `${perSecond.toLocaleString("en")} states/s`,
        `${r.bytesPerState.toFixed(1)} B/state`,
        `agreement ${r.agreementViolations}`,
        `validity ${r.validityViolations}`,
        `deadlocks ${r.deadlocks}`,
        `finals ${r.finals}`
      ].join(", ")
    )
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2))
