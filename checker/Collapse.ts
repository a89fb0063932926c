/**
 * The checker's state space in collapsed form, after SPIN's collapse compression: every distinct
 * local state of a role and every distinct message is interned once, and a global state becomes a
 * short vector of small integers — one slot per node (its local state's id, and whether it is down)
 * followed by the soup (message ids: sorted, a multiset, in `active` mode; in order with an active
 * bit in `history` mode).
 *
 * Transitions are computed through the kernel's node-local checks (`Step.sendLocal`,
 * `Step.receiveLocal`) exactly once per (node, local state) and per (message, receiver state), and
 * remembered: in Disel's semantics a send depends only on the sender's local state and a receive
 * only on the message and the receiver's local state, so after the first visits expanding a state
 * is table lookups. This relies on transitions being functions of their arguments — the contract
 * that protocol code never reads clocks or does I/O — so each memoized result is computed twice and
 * compared (the second time only the protocol's own code runs: guard, accepts filter and step, not
 * the schema checks around them), and interned values are frozen: a transition that is not
 * deterministic, or mutates its argument, is reported instead of silently corrupting the search.
 *
 * A state's fingerprint is the sum of 64-bit hashes of its parts (each slot with its node's index,
 * each soup entry — with its position in `history` mode), as in Zobrist hashing. The hashes come
 * from the parts' canonical bytes (`checker/Codec.ts`), not from interned ids, so every thread
 * computes the same fingerprint for the same state; and a successor's fingerprint is the parent's
 * plus and minus the parts that changed, so a successor that is already known is recognised
 * without being built.
 *
 * @since 0.1.0
 */
import * as Fingerprint from "../core/Fingerprint.ts"
import * as LocalPredicate from "../core/LocalPredicate.ts"
import type { Model } from "../core/Model.ts"
import type { NamedSend } from "../core/Protocol.ts"
import type { Statelet } from "../core/Statelet.ts"
import * as Step from "../core/Step.ts"
import * as Codec from "./Codec.ts"
import { type Candidates, candidateSources, ModelError } from "./Successors.ts"
import * as Symmetry from "./Symmetry.ts"

/** Murmur3's finalizer: spreads the bits of a 32-bit value. */
const fmix = (h: number): number => {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  return h ^ (h >>> 16)
}

/**
 * A frozen deep copy of a value: plain objects and arrays are copied (far faster than
 * `structuredClone` for the small records local states are), other objects are cloned.
 */
const frozenCopy = (value: unknown): unknown => {
  if (typeof value !== "object" || value === null) return value
  if (Array.isArray(value)) return Object.freeze(value.map(frozenCopy))
  const prototype = Object.getPrototypeOf(value)
  if (prototype !== Object.prototype && prototype !== null) return deepFreeze(structuredClone(value))
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(value)) copy[key] = frozenCopy((value as Record<string, unknown>)[key])
  return Object.freeze(copy)
}

const deepFreeze = <A>(value: A): A => {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}

/** Whether two values are the same data: equal primitives, or arrays or plain objects with the same data in the same places. */
const sameData = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b) || Object.getPrototypeOf(a) !== Object.prototype || Object.getPrototypeOf(b) !== Object.prototype) return false
  const keys = Object.keys(a)
  if (keys.length !== Object.keys(b).length) return false
  for (const key of keys) if (!Object.hasOwn(b, key) || !sameData((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false
  return true
}

/** A send transition tried on a candidate, for errors. */
const describeSend = (t: NamedSend, node: string, c: { readonly to: string; readonly msg: unknown }, local: unknown): string =>
  `send transition ${t.name} from ${node} to ${c.to} with ${JSON.stringify(c.msg)} in state ${JSON.stringify(local)}`

/** A receive of a message in a local state, for errors. */
const describeReceive = (message: Message, local: unknown): string =>
  `receive of ${message.tag} from ${message.from} by ${message.to} with ${JSON.stringify(message.payload)} in state ${JSON.stringify(local)}`

/**
 * Values of one kind interned to dense ids by their canonical bytes, with a content fingerprint
 * each. The index is an open-addressing table of ids placed by fingerprint, and a match is
 * confirmed on the bytes themselves: two distinct values never share an id, whatever their
 * fingerprints.
 */
class Interned<V> {
  readonly values: Array<V> = []
  readonly hi: Array<number> = []
  readonly lo: Array<number> = []
  /** Every value's canonical bytes, back to back; value `id`'s start at `starts[id]`. */
  private store = new Uint8Array(1 << 12)
  private readonly starts: Array<number> = [0]
  /** id + 1 per slot (0: empty), at most half full. */
  private slots = new Int32Array(1 << 10)

  /** The id of the value whose canonical bytes `w` holds, interning a frozen copy of `value` when new. */
  intern(w: Codec.Writer, value: V): number {
    const hi = Fingerprint.high(w.bytes, w.length) | 0
    const lo = Fingerprint.low(w.bytes, w.length) | 0
    const mask = this.slots.length - 1
    let i = fmix(lo ^ hi) & mask
    for (;;) {
      const occupant = this.slots[i]! - 1
      if (occupant < 0) break
      if (this.lo[occupant] === lo && this.hi[occupant] === hi && this.holds(occupant, w)) return occupant
      i = (i + 1) & mask
    }
    const id = this.values.length
    this.values.push(frozenCopy(value) as V)
    this.hi.push(hi)
    this.lo.push(lo)
    const start = this.starts[id]!
    if (start + w.length > this.store.length) {
      const grown = new Uint8Array(2 * (start + w.length))
      grown.set(this.store)
      this.store = grown
    }
    this.store.set(w.bytes.subarray(0, w.length), start)
    this.starts.push(start + w.length)
    this.slots[i] = id + 1
    if (2 * this.values.length > this.slots.length) this.rehash()
    return id
  }

  /** Whether value `id`'s bytes are those `w` holds. */
  private holds(id: number, w: Codec.Writer): boolean {
    const start = this.starts[id]!
    if (this.starts[id + 1]! - start !== w.length) return false
    for (let j = 0; j < w.length; j++) if (this.store[start + j] !== w.bytes[j]) return false
    return true
  }

  private rehash(): void {
    const slots = new Int32Array(2 * this.slots.length)
    const mask = slots.length - 1
    for (let id = 0; id < this.values.length; id++) {
      let i = fmix(this.lo[id]! ^ this.hi[id]!) & mask
      while (slots[i] !== 0) i = (i + 1) & mask
      slots[i] = id + 1
    }
    this.slots = slots
  }
}

/** A message as interned: its content and the vector slot of its receiver. */
interface Message {
  readonly tag: string
  readonly from: string
  readonly to: string
  readonly payload: unknown
}

const noRenaming: ReadonlyMap<string, string> = new Map()

/** The kinds of step, as the collapsed space records the step it is visiting. */
const SEND = 0
const RECEIVE = 1
const DROP = 2
const DUPLICATE = 3
const CRASH = 4
const RESTART = 5

/** Called for every successor of an expanded state: its fingerprint and whether it is a send or receive. */
export type Visit = (hi: number, lo: number, progress: boolean) => void

/** Ids that grow with a space: a byte or a word per id, doubled as needed. */
const grownTo = <A extends Uint8Array | Int32Array>(array: A, length: number, make: (n: number) => A): A => {
  if (array.length >= length) return array
  const grown = make(Math.max(length, 2 * array.length))
  grown.set(array)
  return grown
}

/**
 * One end of a channel between two threads' spaces, for `writeVectors` and `readVectors`: which of
 * this space's parts the other thread has been sent, and how the other thread's part ids translate
 * to this space's. Batches must be read in the order they were written.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * const [mine, theirs] = [new CollapsedSpace(TokenRing.model(), false), new CollapsedSpace(TokenRing.model(), false)]
 * const [here, there] = [new VectorLink(), new VectorLink()]
 * const start = mine.start()
 * const first = mine.writeVectors([[0, start.vector]], here)
 * const again = mine.writeVectors([[0, start.vector]], here)
 * theirs.readVectors(first, () => {}, there)
 * theirs.readVectors(again, () => {}, there)
 * again.length < first.length // => true
 */
export class VectorLink {
  private sentLocals: Array<Uint8Array> = []
  private sentMessages = new Uint8Array(0)
  /** Per role, then for messages: the other thread's id → this space's id. */
  private readonly tables: Array<Int32Array> = []

  /** What has been sent, sized for the space's current numbers of parts. */
  sent(locals: ReadonlyArray<number>, messages: number): { readonly locals: ReadonlyArray<Uint8Array>; readonly messages: Uint8Array } {
    this.sentLocals = locals.map((count, r) => grownTo(this.sentLocals[r] ?? new Uint8Array(0), count, (k) => new Uint8Array(k)))
    this.sentMessages = grownTo(this.sentMessages, messages, (k) => new Uint8Array(k))
    return { locals: this.sentLocals, messages: this.sentMessages }
  }

  /** The translation tables of received parts: `roles` tables of local ids, then one of message ids. */
  received(roles: number): { readonly add: (table: number, r: Codec.Reader, intern: () => number) => Int32Array } {
    while (this.tables.length < roles + 1) this.tables.push(new Int32Array(0))
    return {
      add: (table, r, intern) => {
        for (let count = r.varint(); count > 0; count--) {
          const theirs = r.varint()
          const id = intern()
          this.tables[table] = grownTo(this.tables[table]!, theirs + 1, (k) => new Int32Array(k))
          this.tables[table]![theirs] = id
        }
        return this.tables[table]!
      }
    }
  }
}

/**
 * The reads a property made of a view (`ViewAccess.tracked`), in order: per read, what was read
 * (a node's slot: its index; a quantified local predicate: `-(2 * id + (some ? 0 : 1)) - 1`) and
 * the value it had (the slot; the answer as 0 or 1). `opaque` is set when the property read the
 * soup, which is not tracked: the reads after it are not recorded.
 */
export class ReadLog {
  readonly what: Array<number> = []
  readonly values: Array<number> = []
  readonly predicates: Array<LocalPredicate.LocalPredicate | undefined> = []
  opaque = false
  private generation = 0
  private seen: Int32Array

  constructor(nodes: number) {
    this.seen = new Int32Array(nodes)
  }

  /** Starts a new evaluation. */
  reset(): void {
    this.what.length = 0
    this.values.length = 0
    this.predicates.length = 0
    this.opaque = false
    this.generation++
  }

  /** Records that slot `i` was read with value `slot` (a slot read again is not recorded again). */
  slot(i: number, slot: number): void {
    if (this.opaque || this.seen[i] === this.generation) return
    this.seen[i] = this.generation
    this.what.push(i)
    this.values.push(slot)
    this.predicates.push(undefined)
  }

  /** Records a quantified local predicate's answer. */
  quantified(predicate: LocalPredicate.LocalPredicate, some: boolean, answer: boolean): void {
    if (this.opaque) return
    this.what.push(-(2 * predicate.id + (some ? 0 : 1)) - 1)
    this.values.push(answer ? 1 : 0)
    this.predicates.push(predicate)
  }
}

/**
 * What a view of a collapsed state offers `checker/Judge.ts` (under the key `viewAccess`): the
 * node slots of the vector viewed, the quantifiers of local predicates over them, and a second view
 * of the same state that records what a property reads of it (`log`).
 */
export interface ViewAccess {
  readonly slots: Int32Array
  readonly quantify: (predicate: LocalPredicate.LocalPredicate, some: boolean) => boolean
  readonly tracked: Statelet
  readonly log: ReadLog
}

/** The key under which a `CollapsedSpace`'s views carry their `ViewAccess`. */
export const viewAccess: unique symbol = Symbol("protoweave/ViewAccess")

/** A state vector and its fingerprint, with the renaming that made it a representative. */
export interface Start {
  readonly vector: Int32Array
  readonly hi: number
  readonly lo: number
  readonly renaming: ReadonlyMap<string, string>
}

/**
 * A model's states as integer vectors, their successors, fingerprints and statelets.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * // Of the ring's initial state, only m1 passing the token on to m2.
 * const space = new CollapsedSpace(TokenRing.model(), false)
 * const start = space.start()
 * let successors = 0
 * space.expand(start.vector, start.hi, start.lo, () => successors++)
 * successors // => 1
 */
export class CollapsedSpace {
  readonly semantics: Step.Semantics
  readonly codec: Codec.StateCodec
  /** Nodes, in vector order (the topology's). */
  private readonly names: ReadonlyArray<string>
  private readonly nodeIndex: ReadonlyMap<string, number>
  private readonly roles: ReadonlyArray<string>
  private readonly roleOfNode: Int32Array
  private readonly locals: ReadonlyArray<Interned<unknown>>
  private readonly messages = new Interned<Message>()
  private readonly messageTo: Array<number> = []
  private readonly sendsByRole: ReadonlyArray<ReadonlyArray<NamedSend>>
  private readonly candidates: ReadonlyMap<string, Candidates>
  /**
   * Per node, per local id: 0 when not computed, else where the node's sends in that state start in
   * `sendPool`, plus one. There they are a count followed by pairs (next local id, message id).
   */
  private readonly sendIndex: Array<Int32Array>
  private sendPool = new Int32Array(1 << 12)
  private sendPoolSize = 0
  /** Per message, per receiver local id: 0 not computed, -1 not receivable, else next local id + 1. */
  private readonly receiveMemo: Array<Int32Array> = []
  /** Per role, per local id: 0 not computed, else the recovered local id + 1. */
  private readonly recoverMemo: Array<Int32Array>
  /** Per node, per slot value (local id × 2 + down): the slot's two hash halves, side by side. */
  private readonly slotHashes: Array<Int32Array>
  private readonly active: boolean
  private readonly faults: Step.FaultModel
  private readonly maxCrashed: number
  private readonly maxDuplicates: number
  /** Whether successors are replaced by their representatives (the model declares symmetric nodes and the search uses them). */
  private readonly symmetric: boolean
  private readonly writer = new Codec.Writer()
  private readonly again = new Codec.Writer()
  private envelopes: Array<Array<unknown>> = []
  private viewStatelet: Statelet | undefined
  /** The node slots of the last vector viewed. */
  private readonly viewSlots: Int32Array
  /** Per node, the slot the view's locals show; they are brought up to date when first read. */
  private readonly viewShows: Int32Array
  private viewLocalsStale = true
  private viewCrashedStale = true
  private readonly viewCrashedArray: Array<string> = []
  /**
   * Per local predicate (by its id), the nodes of its role and, per node, per local id, its answer:
   * 0 not computed yet, 1 false, 2 true.
   */
  private readonly localAnswers: Array<{ readonly members: Int32Array; readonly rows: Array<Uint8Array> } | undefined> = []
  /**
   * The quantified answers already given on the current view (properties often share a
   * predicate): per predicate id × 2 (`some`, `every`), the view they were given on and the answer.
   */
  private viewNumber = 0
  private quantifiedOn = new Int32Array(16)
  private quantified = new Uint8Array(16)
  /** The soup of the last vector viewed, and per position the entry the view's soup array shows. */
  private viewSoupWords = new Int32Array(64)
  private viewSoupSize = 0
  private viewSoupStale = true
  private readonly viewSoupArray: Array<unknown> = []
  private readonly viewSoupShown: Array<number> = []
  private scratch = new Int32Array(64)

  // The step being visited.
  private kind = SEND
  private node = 0
  private slot = 0
  private message = 0
  private position = 0
  /** Whether the state being expanded is only having its steps counted (see `expand`). */
  private countOnly = false
  private canonicalVector: Int32Array | undefined
  private canonicalRenaming: ReadonlyMap<string, string> = new Map()
  /** The symmetric groups, with the vector slot of each member, in the group's order. */
  private readonly groups: ReadonlyArray<Symmetry.Group & { readonly slots: Int32Array; readonly position: Int32Array }>
  private readonly order: ReadonlyMap<string, number>
  /** Per group, per local id of its role: the local state masked, as JSON (a signature's first part). */
  private readonly maskedLocals: Array<Array<string>>
  /** Per group, per (message id, active, sent by the node, received by it): the entry's signature. */
  private readonly entrySignatures: Array<Array<string>>
  /** Per group and renaming: per role the renamed local ids + 1, and the renamed message ids + 1. */
  private readonly renamings: Array<Map<string, { readonly locals: Array<Int32Array>; messages: Int32Array }>>
  private renamed = [new Int32Array(64), new Int32Array(64)]
  /** Per group: entry signatures by (message, flags) key → id, the strings by id, and ids by string. */
  private readonly entrySignatureIds: Array<Array<number>>
  private readonly entrySignatureStrings: Array<Array<string>>
  private readonly entrySignatureIndex: Array<Map<string, number>>
  /** Per group: member signatures by a hash of (local id, entry ids), each bucket checked exactly. */
  private readonly signatureCache: Array<Map<number, Array<{ readonly local: number; readonly ids: Int32Array; readonly signature: string }>>>
  /** Scratch of `canonicalize`: per member of the group at hand, its entries' signature ids, their count, its signature. */
  private readonly groupEntries: Array<Int32Array | undefined> = []
  private groupCounts = new Int32Array(8)
  private readonly groupSignatures: Array<string> = []
  /** Per message id, the vector slot of its sender (as `messageTo` of its receiver; -1: no node of the topology). */
  private readonly messageFrom: Array<number> = []

  constructor(readonly model: Model, symmetry: boolean) {
    const { protocol, topology } = model.system
    this.faults = model.faults ?? Step.reorderOnly
    this.maxCrashed = model.faults?.maxCrashed ?? 1
    this.maxDuplicates = model.faults?.maxDuplicates ?? 1
    this.semantics = Step.make(protocol, topology, this.faults)
    this.codec = Codec.make(protocol, topology, model.soup ?? "history")
    this.active = model.soup === "active"
    this.names = topology.all
    this.nodeIndex = new Map(this.names.map((n, i) => [n, i]))
    this.viewSlots = new Int32Array(this.names.length)
    this.viewShows = new Int32Array(this.names.length).fill(-1)
    this.roles = Object.keys(protocol.roles)
    this.roleOfNode = Int32Array.from(this.names, (n) => this.roles.indexOf(topology.roleOf.get(n)!))
    this.locals = this.roles.map(() => new Interned<unknown>())
    this.sendsByRole = this.roles.map((role) => protocol.sends.filter((t) => t.from === role))
    this.candidates = candidateSources(model, this.semantics)
    this.sendIndex = this.names.map(() => new Int32Array(16))
    this.recoverMemo = this.roles.map(() => new Int32Array(16))
    this.slotHashes = this.names.map(() => new Int32Array(64))
    this.symmetric = symmetry && (model.symmetric ?? []).length > 0
    this.groups = !this.symmetric
      ? []
      : Symmetry.groups(model).map((g) => {
          const position = new Int32Array(this.names.length + 1).fill(-1)
          g.ids.forEach((n, j) => (position[this.nodeIndex.get(n)!] = j))
          return { ...g, slots: Int32Array.from(g.ids, (n) => this.nodeIndex.get(n)!), position }
        })
    this.order = this.nodeIndex
    this.maskedLocals = this.groups.map(() => [])
    this.entrySignatures = this.groups.map(() => [])
    this.renamings = this.groups.map(() => new Map())
    this.entrySignatureIds = this.groups.map(() => [])
    this.entrySignatureStrings = this.groups.map(() => [])
    this.entrySignatureIndex = this.groups.map(() => new Map())
    this.signatureCache = this.groups.map(() => new Map())
  }

  /** The initial state (its representative, under symmetry). */
  start(): Start {
    const raw = this.vectorOf(this.semantics.initial)
    const representative = this.symmetric ? this.canonicalize(raw) : raw
    const vector = representative.slice(0, this.size(representative))
    const [hi, lo] = this.fingerprint(vector)
    return { vector, hi, lo, renaming: this.symmetric ? this.canonicalRenaming : new Map() }
  }

  /** The vector of a statelet, interning its local states and messages. */
  vectorOf(s: Statelet): Int32Array {
    const n = this.names.length
    const locals = s.locals as Record<string, Record<string, unknown>>
    const soup = this.active ? s.soup.filter((m) => m.active) : s.soup
    const v = new Int32Array(n + 1 + soup.length)
    for (let i = 0; i < n; i++) {
      const role = this.roles[this.roleOfNode[i]!]!
      v[i] = (this.internLocal(this.roleOfNode[i]!, locals[role]![this.names[i]!]) << 1) | (s.crashed.includes(this.names[i]!) ? 1 : 0)
    }
    v[n] = soup.length
    const entries = soup.map((m) => {
      const id = this.internMessage(m)
      return this.active ? id : (id << 1) | (m.active ? 1 : 0)
    })
    if (this.active) entries.sort((a, b) => a - b)
    v.set(entries, n + 1)
    return v
  }

  /**
   * Vectors (with their state ids) in a form another thread's space reads with `readVectors`: the
   * distinct local states and messages they use, each once in its canonical bytes, then the vectors
   * of ids. A frontier of thousands of states uses a few hundred distinct parts, so the receiver
   * decodes and interns each part once and translates the vectors by table lookups. Through a
   * `VectorLink` (one per pair of threads, used in order), a part is sent once for all the batches
   * between the two: later batches carry only the parts the other thread has not had.
   */
  writeVectors(states: ReadonlyArray<readonly [number, Int32Array]>, link: VectorLink = new VectorLink()): Uint8Array {
    const n = this.names.length
    const sent = link.sent(this.locals.map((t) => t.values.length), this.messages.values.length)
    const newLocals = this.locals.map((): Array<number> => [])
    const newMessages: Array<number> = []
    const note = (seen: Uint8Array, id: number, fresh: Array<number>) => {
      if (seen[id] !== 0) return
      seen[id] = 1
      fresh.push(id)
    }
    for (const [, v] of states) {
      for (let i = 0; i < n; i++) note(sent.locals[this.roleOfNode[i]!]!, v[i]! >> 1, newLocals[this.roleOfNode[i]!]!)
      for (let p = 0; p < v[n]!; p++) note(sent.messages, this.active ? v[n + 1 + p]! : v[n + 1 + p]! >> 1, newMessages)
    }
    const w = new Codec.Writer()
    const writeNew = (fresh: ReadonlyArray<number>, write: (id: number) => void) => {
      w.varint(fresh.length)
      for (const id of fresh) {
        w.varint(id)
        write(id)
      }
    }
    newLocals.forEach((fresh, r) => writeNew(fresh, (id) => this.codec.encodeLocal(w, this.roles[r]!, this.locals[r]!.values[id])))
    writeNew(newMessages, (m) => this.codec.encodeMessage(w, this.messages.values[m]!))
    w.varint(states.length)
    for (const [id, v] of states) {
      w.varint(id)
      const size = this.size(v)
      w.varint(size)
      for (let j = 0; j < size; j++) w.varint(v[j]!)
    }
    return w.take()
  }

  /**
   * Reads vectors written by another thread's `writeVectors` (through the other end of `link`, if
   * one was used), as vectors of this space, into `push` (the vector is overwritten by the next call).
   */
  readVectors(bytes: Uint8Array, push: (id: number, v: Int32Array, length: number) => void, link: VectorLink = new VectorLink()): void {
    const n = this.names.length
    const r = new Codec.Reader(bytes)
    const ids = link.received(this.roles.length)
    const localIds = this.roles.map((role, ri) => ids.add(ri, r, () => this.internLocal(ri, this.codec.decodeLocal(r, role))))
    const messageIds = ids.add(this.roles.length, r, () => this.internMessage(this.codec.decodeMessage(r)))
    let v = new Int32Array(64)
    for (let count = r.varint(); count > 0; count--) {
      const id = r.varint()
      const size = r.varint()
      if (v.length < size) v = new Int32Array(2 * size)
      for (let j = 0; j < size; j++) v[j] = r.varint()
      for (let i = 0; i < n; i++) v[i] = (localIds[this.roleOfNode[i]!]![v[i]! >> 1]! << 1) | (v[i]! & 1)
      for (let p = n + 1; p < size; p++) v[p] = this.active ? messageIds[v[p]!]! : (messageIds[v[p]! >> 1]! << 1) | (v[p]! & 1)
      // The soup of the `active` mode is sorted by message id, and ids differ between threads.
      if (this.active) v.subarray(n + 1, size).sort()
      push(id, v, size)
    }
  }

  /** The fingerprint of a vector, computed from all its parts. */
  fingerprint(v: Int32Array): readonly [number, number] {
    const n = this.names.length
    let hi = 0
    let lo = 0
    for (let i = 0; i < n; i++) {
      hi = (hi + this.slotHi(i, v[i]!)) | 0
      lo = (lo + this.slotLo(i, v[i]!)) | 0
    }
    for (let p = 0; p < v[n]!; p++) {
      hi = (hi + this.entryHi(p, v[n + 1 + p]!)) | 0
      lo = (lo + this.entryLo(p, v[n + 1 + p]!)) | 0
    }
    return [hi, lo]
  }

  private slotHi(i: number, slot: number): number {
    return this.slotHashes[i]![2 * slot]!
  }

  private slotLo(i: number, slot: number): number {
    return this.slotHashes[i]![2 * slot + 1]!
  }

  /** Records, for every node of `role`, the hashes of its slot holding new local id `id`, up and down. */
  private hashSlots(role: number, id: number): void {
    const local = this.locals[role]!
    for (let i = 0; i < this.names.length; i++) {
      if (this.roleOfNode[i] !== role) continue
      let table = this.slotHashes[i]!
      if (table.length < 4 * (id + 1)) {
        const grown = new Int32Array(Math.max(64, 8 * (id + 1)))
        grown.set(table)
        table = this.slotHashes[i] = grown
      }
      for (let down = 0; down < 2; down++) {
        const slot = 2 * id + down
        table[2 * slot] = fmix(local.hi[id]! ^ Math.imul(2 * i + down + 1, 0x9e3779b1))
        table[2 * slot + 1] = fmix(local.lo[id]! ^ Math.imul(2 * i + down + 1, 0x85ebca77))
      }
    }
  }

  private entryHi(p: number, e: number): number {
    return this.active ? this.messages.hi[e]! : fmix(this.messages.hi[e >> 1]! ^ Math.imul(2 * p + (e & 1) + 1, 0x27d4eb2f))
  }

  private entryLo(p: number, e: number): number {
    return this.active ? this.messages.lo[e]! : fmix(this.messages.lo[e >> 1]! ^ Math.imul(2 * p + (e & 1) + 1, 0x165667b1))
  }

  /**
   * Visits every successor of state `v` (whose fingerprint is `hi`, `lo`): every enabled send and
   * receive, then the fault steps of the model within its bounds. During a visit, `successor`
   * builds the successor's vector and `action` names the step. With `countOnly` (a state at the
   * depth bound, whose steps are only counted), successors are not replaced by their
   * representatives: `visit` gets the successor's own fingerprint, and `successor` is not to be called.
   */
  expand(v: Int32Array, hi: number, lo: number, visit: Visit, countOnly = false): void {
    this.countOnly = countOnly
    const n = this.names.length
    const k = v[n]!
    const base = n + 1
    for (let i = 0; i < n; i++) {
      const slot = v[i]!
      if ((slot & 1) === 1) continue
      const index = this.sendIndex[i]!
      const id = slot >> 1
      const known = id < index.length ? index[id]! - 1 : -1
      const at = known >= 0 ? known : this.computeSends(i, id)
      const pool = this.sendPool
      const end = at + 1 + 2 * pool[at]!
      if (end === at + 1) continue
      const h0 = hi - this.slotHi(i, slot)
      const l0 = lo - this.slotLo(i, slot)
      for (let j = at + 1; j < end; j += 2) {
        const next = pool[j]! << 1
        const m = pool[j + 1]!
        const e = this.active ? m : (m << 1) | 1
        this.visiting(SEND, i, next, m, k)
        const h = h0 + this.slotHi(i, next) + this.entryHi(k, e)
        const l = l0 + this.slotLo(i, next) + this.entryLo(k, e)
        // Sends and receives are most successors: without symmetry they go to `visit` directly.
        if (this.symmetric) this.emit(v, h, l, true, visit)
        else visit(h | 0, l | 0, true)
      }
    }
    for (let p = 0; p < k; p++) {
      const e = v[base + p]!
      if (this.active ? p > 0 && v[base + p - 1] === e : (e & 1) === 0) continue
      const m = this.active ? e : e >> 1
      const to = this.messageTo[m]!
      const slot = v[to]!
      if ((slot & 1) === 1) continue
      const row = this.receiveMemo[m]
      const id = slot >> 1
      const known = row !== undefined && id < row.length ? row[id]! : 0
      const r = known > 0 ? known - 1 : known < 0 ? -1 : this.computeReceive(m, id)
      if (r < 0) continue
      const next = r << 1
      const h = hi - this.slotHi(to, slot) + this.slotHi(to, next) - this.entryHi(p, e) + (this.active ? 0 : this.entryHi(p, e - 1))
      const l = lo - this.slotLo(to, slot) + this.slotLo(to, next) - this.entryLo(p, e) + (this.active ? 0 : this.entryLo(p, e - 1))
      this.visiting(RECEIVE, to, next, m, p)
      if (this.symmetric) this.emit(v, h, l, true, visit)
      else visit(h | 0, l | 0, true)
    }
    if (this.faults.drop) {
      for (let p = 0; p < k; p++) {
        const e = v[base + p]!
        if (this.active ? p > 0 && v[base + p - 1] === e : (e & 1) === 0) continue
        const h = hi - this.entryHi(p, e) + (this.active ? 0 : this.entryHi(p, e - 1))
        const l = lo - this.entryLo(p, e) + (this.active ? 0 : this.entryLo(p, e - 1))
        this.visiting(DROP, -1, 0, this.active ? e : e >> 1, p)
        this.emit(v, h, l, false, visit)
      }
    }
    if (this.faults.duplicate) {
      for (let p = 0; p < k; p++) {
        const e = v[base + p]!
        if (!this.active && (e & 1) === 0) continue
        // Identical active copies offer one duplication, from the first of them, while there are at
        // most maxDuplicates of them.
        let copies = 0
        let first = -1
        for (let q = 0; q < k; q++) {
          if (v[base + q] === e) {
            copies++
            if (first < 0) first = q
          }
        }
        if (first !== p || copies > this.maxDuplicates) continue
        const added = this.active ? e : e | 1
        this.visiting(DUPLICATE, -1, 0, this.active ? e : e >> 1, p)
        this.emit(v, hi + this.entryHi(k, added), lo + this.entryLo(k, added), false, visit)
      }
    }
    if (this.faults.crash && this.crashedIn(v) < this.maxCrashed) {
      for (let i = 0; i < n; i++) {
        const slot = v[i]!
        if ((slot & 1) === 1) continue
        this.visiting(CRASH, i, slot | 1, 0, 0)
        this.emit(v, hi - this.slotHi(i, slot) + this.slotHi(i, slot | 1), lo - this.slotLo(i, slot) + this.slotLo(i, slot | 1), false, visit)
      }
    }
    if (this.faults.restart) {
      for (let i = 0; i < n; i++) {
        const slot = v[i]!
        if ((slot & 1) === 0) continue
        const next = this.recover(this.roleOfNode[i]!, slot >> 1) << 1
        this.visiting(RESTART, i, next, 0, 0)
        this.emit(v, hi - this.slotHi(i, slot) + this.slotHi(i, next), lo - this.slotLo(i, slot) + this.slotLo(i, next), false, visit)
      }
    }
  }

  /**
   * Keeps the step being visited in `out` from `at` (five words), so that its successor can be
   * built later, after other steps were visited (`keptSuccessor`).
   */
  keepVisiting(out: Int32Array, at: number): void {
    out[at] = this.kind
    out[at + 1] = this.node
    out[at + 2] = this.slot
    out[at + 3] = this.message
    out[at + 4] = this.position
  }

  /**
   * The successor of vector `v` by the step kept at `at` of `kept` (by `keepVisiting` while `v` was
   * expanded), which becomes the step being visited: like `successor` during the visit, it is the
   * representative under symmetry, valid until the next call.
   */
  keptSuccessor(v: Int32Array, kept: Int32Array, at: number): Int32Array {
    this.visiting(kept[at]!, kept[at + 1]!, kept[at + 2]!, kept[at + 3]!, kept[at + 4]!)
    if (!this.symmetric) return this.build(v)
    this.canonicalVector = this.canonicalize(this.build(v))
    return this.canonicalVector
  }

  /** How many nodes are down in vector `v`. */
  private crashedIn(v: Int32Array): number {
    let down = 0
    for (let i = 0; i < this.names.length; i++) down += v[i]! & 1
    return down
  }

  private visiting(kind: number, node: number, slot: number, message: number, position: number): void {
    this.kind = kind
    this.node = node
    this.slot = slot
    this.message = message
    this.position = position
  }

  private emit(v: Int32Array, hi: number, lo: number, progress: boolean, visit: Visit): void {
    if (!this.symmetric || this.countOnly) return visit(hi | 0, lo | 0, progress)
    // Under symmetry the successor's representative may be a different vector: then it is built and
    // fingerprinted in full.
    const raw = this.build(v)
    const canonical = this.canonicalize(raw)
    if (canonical === raw) {
      this.canonicalVector = raw
      this.canonicalRenaming = noRenaming
      return visit(hi | 0, lo | 0, progress)
    }
    this.canonicalVector = canonical
    const [h, l] = this.fingerprint(canonical)
    visit(h, l, progress)
  }

  /**
   * The representative of vector `v` under the model's symmetric groups: `v` itself when its nodes
   * are in signature order already. It is the vector of `Symmetry.make`'s representative of `v`'s
   * statelet (tested), computed on interned ids: signatures, masked values and renamed values are
   * remembered per id. The renaming is left in `canonicalRenaming`.
   */
  private canonicalize(v: Int32Array): Int32Array {
    const n = this.names.length
    let current = v
    let renaming: Map<string, string> | undefined
    for (let g = 0; g < this.groups.length; g++) {
      const group = this.groups[g]!
      const size = group.ids.length
      const k = current[n]!
      // Each member's soup entries (their signatures' ids), gathered in one pass over the soup.
      if (this.groupCounts.length < size) this.groupCounts = new Int32Array(size)
      this.groupCounts.fill(0)
      for (let p = 0; p < k; p++) {
        const e = current[n + 1 + p]!
        const m = this.active ? e : e >> 1
        const active = this.active || (e & 1) === 1
        const from = group.position[this.messageFrom[m]!]!
        const to = group.position[this.messageTo[m]!]!
        if (from >= 0) this.noteEntry(from, this.entrySignatureId(g, m, active, true, from === to))
        if (to >= 0 && to !== from) this.noteEntry(to, this.entrySignatureId(g, m, active, false, true))
      }
      const signatures = this.groupSignatures
      let ordered = true
      for (let j = 0; j < size; j++) {
        signatures[j] = this.nodeSignature(g, current[group.slots[j]!]! >> 1, this.groupEntries[j], this.groupCounts[j]!)
        if (j > 0 && signatures[j - 1]! > signatures[j]!) ordered = false
      }
      if (ordered) continue
      const sorted = Symmetry.sortBySignature(group.ids, (node) => signatures[group.position[this.nodeIndex.get(node)!]!]!)
      if (sorted === undefined) continue
      const map = new Map(sorted.map((old, i) => [old, group.ids[i]!]))
      renaming ??= new Map()
      for (const [from, to] of map) if (from !== to) renaming.set(from, to)
      current = this.rename(current, g, sorted, map)
    }
    this.canonicalRenaming = renaming ?? noRenaming
    return current
  }

  /** Adds entry signature `id` to the `j`-th member's list of the group being canonicalized. */
  private noteEntry(j: number, id: number): void {
    let list = this.groupEntries[j]
    if (list === undefined) list = this.groupEntries[j] = new Int32Array(16)
    const c = this.groupCounts[j]!
    if (c === list.length) {
      const grown = new Int32Array(2 * c)
      grown.set(list)
      list = this.groupEntries[j] = grown
    }
    list[c] = id
    this.groupCounts[j] = c + 1
  }

  /**
   * A member's signature (`Symmetry.nodeSignature`) from its local id and its entries' signature
   * ids, remembered per (local id, multiset of entry ids): the string is built once per distinct
   * pair, and comparisons read the remembered string.
   */
  private nodeSignature(g: number, local: number, ids: Int32Array | undefined, count: number): string {
    // The multiset as its ids in increasing order (insertion sort: a node has few entries).
    let h = fmix(local ^ 0x2545f491)
    if (ids !== undefined) {
      for (let a = 1; a < count; a++) {
        const x = ids[a]!
        let b = a - 1
        while (b >= 0 && ids[b]! > x) {
          ids[b + 1] = ids[b]!
          b--
        }
        ids[b + 1] = x
      }
      for (let a = 0; a < count; a++) h = fmix((h + Math.imul(ids[a]! + 1, 0x9e3779b1)) | 0)
    }
    const bucket = this.signatureCache[g]!.get(h)
    if (bucket !== undefined) {
      for (const known of bucket) {
        if (known.local !== local || known.ids.length !== count) continue
        let same = true
        for (let a = 0; a < count && same; a++) same = known.ids[a] === ids![a]
        if (same) return known.signature
      }
    }
    const strings: Array<string> = []
    for (let a = 0; a < count; a++) strings.push(this.entrySignatureStrings[g]![ids![a]!]!)
    const signature = Symmetry.nodeSignature(this.maskedLocal(g, local), strings)
    const entry = { local, ids: ids === undefined ? new Int32Array(0) : ids.slice(0, count), signature }
    if (bucket !== undefined) bucket.push(entry)
    else this.signatureCache[g]!.set(h, [entry])
    return signature
  }

  /** The id of an entry's signature as seen from a member of group `g` (see `entrySignature`). */
  private entrySignatureId(g: number, m: number, active: boolean, from: boolean, to: boolean): number {
    const key = 8 * m + (active ? 4 : 0) + (from ? 2 : 0) + (to ? 1 : 0)
    const known = this.entrySignatureIds[g]![key]
    if (known !== undefined) return known
    const signature = this.entrySignature(g, m, active, from, to)
    const strings = this.entrySignatureStrings[g]!
    let id = this.entrySignatureIndex[g]!.get(signature)
    if (id === undefined) {
      id = strings.length
      strings.push(signature)
      this.entrySignatureIndex[g]!.set(signature, id)
    }
    this.entrySignatureIds[g]![key] = id
    return id
  }

  private maskedLocal(g: number, id: number): string {
    const known = this.maskedLocals[g]![id]
    if (known !== undefined) return known
    const group = this.groups[g]!
    const value = this.locals[this.roles.indexOf(group.role)]!.values[id]
    return (this.maskedLocals[g]![id] = JSON.stringify(Symmetry.mask(value, group.members)))
  }

  private entrySignature(g: number, m: number, active: boolean, from: boolean, to: boolean): string {
    const key = 8 * m + (active ? 4 : 0) + (from ? 2 : 0) + (to ? 1 : 0)
    const known = this.entrySignatures[g]![key]
    if (known !== undefined) return known
    const message = this.messages.values[m]!
    // The signature only asks whether the node is an endpoint: any endpoint-shaped name will do.
    const node = from ? message.from : to ? message.to : ""
    return (this.entrySignatures[g]![key] = Symmetry.entrySignature({ ...message, active }, node, this.groups[g]!.members))
  }

  /**
   * Vector `v` with group `g`'s nodes renamed by `map` (node `sorted[i]` becomes the group's `i`-th
   * node): every local state and message renamed, the group's slots permuted, the soup re-sorted
   * (in `active` mode). Written into one of two buffers, alternately.
   */
  private rename(v: Int32Array, g: number, sorted: ReadonlyArray<string>, map: ReadonlyMap<string, string>): Int32Array {
    const n = this.names.length
    const k = v[n]!
    const group = this.groups[g]!
    const key = sorted.join(" ")
    let memo = this.renamings[g]!.get(key)
    if (memo === undefined) {
      memo = { locals: this.roles.map(() => new Int32Array(0)), messages: new Int32Array(0) }
      this.renamings[g]!.set(key, memo)
    }
    const buffer = this.renamed[0] === v ? 1 : 0
    if (this.renamed[buffer]!.length < n + 1 + k) this.renamed[buffer] = new Int32Array(2 * (n + 1 + k))
    const out = this.renamed[buffer]!
    const sources = new Int32Array(n)
    for (let j = 0; j < n; j++) sources[j] = j
    group.ids.forEach((_, i) => (sources[group.slots[i]!] = this.nodeIndex.get(sorted[i]!)!))
    for (let j = 0; j < n; j++) {
      const slot = v[sources[j]!]!
      out[j] = (this.renamedLocal(memo, this.roleOfNode[j]!, slot >> 1, group, map) << 1) | (slot & 1)
    }
    out[n] = k
    for (let p = 0; p < k; p++) {
      const e = v[n + 1 + p]!
      out[n + 1 + p] = this.active ? this.renamedMessage(memo, e, group, map) : (this.renamedMessage(memo, e >> 1, group, map) << 1) | (e & 1)
    }
    if (this.active) out.subarray(n + 1, n + 1 + k).sort()
    return out
  }

  private renamedLocal(memo: { readonly locals: Array<Int32Array> }, role: number, id: number, group: Symmetry.Group, map: ReadonlyMap<string, string>): number {
    let row = memo.locals[role]!
    if (id < row.length && row[id] !== 0) return row[id]! - 1
    if (id >= row.length) {
      const grown = new Int32Array(Math.max(16, 2 * (id + 1)))
      grown.set(row)
      row = memo.locals[role] = grown
    }
    const renamed = this.internLocal(role, Symmetry.renameValue(this.locals[role]!.values[id], map, group.members, this.order))
    row[id] = renamed + 1
    return renamed
  }

  private renamedMessage(memo: { messages: Int32Array }, m: number, group: Symmetry.Group, map: ReadonlyMap<string, string>): number {
    if (m < memo.messages.length && memo.messages[m] !== 0) return memo.messages[m]! - 1
    if (m >= memo.messages.length) {
      const grown = new Int32Array(Math.max(16, 2 * (m + 1)))
      grown.set(memo.messages)
      memo.messages = grown
    }
    const message = this.messages.values[m]!
    const renamed = this.internMessage({
      tag: message.tag,
      from: map.get(message.from) ?? message.from,
      to: map.get(message.to) ?? message.to,
      payload: Symmetry.renameValue(message.payload, map, group.members, this.order)
    })
    memo.messages[m] = renamed + 1
    return renamed
  }

  /**
   * The vector of the successor being visited (its representative, under symmetry). It is valid until
   * the next call, and may be longer than the vector: see `size`.
   */
  successor(v: Int32Array): Int32Array {
    return !this.symmetric ? this.build(v) : this.canonicalVector!
  }

  /** Node `i`'s interned local state `id` (read by the partial-order reduction's per-local-state analyses). */
  localOf(i: number, id: number): unknown {
    return this.locals[this.roleOfNode[i]!]!.values[id]
  }

  /** The renaming that made the visited successor its representative (empty without symmetry). */
  renaming(): ReadonlyMap<string, string> {
    return this.canonicalRenaming
  }

  /** The step being visited, as the step function's action on the statelet of the expanded vector. */
  action(): Step.Action {
    switch (this.kind) {
      case SEND: {
        const m = this.messages.values[this.message]!
        return { kind: "send", node: this.names[this.node]!, tag: m.tag, to: m.to, payload: m.payload }
      }
      case RECEIVE:
        return { kind: "receive", msgId: this.position }
      case DROP:
        return { kind: "drop", msgId: this.position }
      case DUPLICATE:
        return { kind: "duplicate", msgId: this.position }
      case CRASH:
        return { kind: "crash", node: this.names[this.node]! }
      default:
        return { kind: "restart", node: this.names[this.node]! }
    }
  }

  private build(v: Int32Array): Int32Array {
    const n = this.names.length
    const k = v[n]!
    const base = n + 1
    if (this.scratch.length < base + k + 1) this.scratch = new Int32Array(2 * (base + k + 1))
    const out = this.scratch
    for (let i = 0; i < n; i++) out[i] = v[i]!
    if (this.kind === SEND || this.kind === RECEIVE || this.kind === CRASH || this.kind === RESTART) out[this.node] = this.slot
    if (this.kind === SEND || this.kind === DUPLICATE) {
      out[n] = k + 1
      if (this.active) {
        const m = this.message
        let p = 0
        while (p < k && v[base + p]! <= m) out[base + p] = v[base + p++]!
        out[base + p] = m
        for (; p < k; p++) out[base + p + 1] = v[base + p]!
      } else {
        for (let p = 0; p < k; p++) out[base + p] = v[base + p]!
        out[base + k] = (this.message << 1) | 1
      }
    } else if (this.kind === RECEIVE || this.kind === DROP) {
      if (this.active) {
        out[n] = k - 1
        for (let p = 0, q = 0; p < k; p++) if (p !== this.position) out[base + q++] = v[base + p]!
      } else {
        out[n] = k
        for (let p = 0; p < k; p++) out[base + p] = v[base + p]!
        out[base + this.position] = v[base + this.position]! & ~1
      }
    } else {
      out[n] = k
      for (let p = 0; p < k; p++) out[base + p] = v[base + p]!
    }
    return out
  }

  /** The statelet of a vector, as properties and the step function see it. */
  statelet(v: Int32Array): Statelet {
    const n = this.names.length
    const locals: Record<string, Record<string, unknown>> = {}
    for (const role of this.roles) locals[role] = {}
    const crashed: Array<string> = []
    for (let i = 0; i < n; i++) {
      const r = this.roleOfNode[i]!
      locals[this.roles[r]!]![this.names[i]!] = this.locals[r]!.values[v[i]! >> 1]
      if ((v[i]! & 1) === 1) crashed.push(this.names[i]!)
    }
    const k = v[n]!
    const soup: Array<unknown> = new Array(k)
    for (let p = 0; p < k; p++) soup[p] = this.envelope(p, v[n + 1 + p]!)
    return { locals: locals as Statelet["locals"], soup: soup as Statelet["soup"], crashed }
  }

  /**
   * The statelet of a vector as a view that is overwritten by the next call: for reading (properties,
   * the final-state predicate, encoding) without building a statelet for every state. Its locals,
   * soup and crashed list are brought up to date when first read, and its local predicates
   * (`core/LocalPredicate.ts`) are answered from the node slots without reading any of them.
   */
  view(v: Int32Array): Statelet {
    const n = this.names.length
    const view = (this.viewStatelet ??= this.makeView())
    for (let i = 0; i < n; i++) this.viewSlots[i] = v[i]!
    this.viewNumber++
    this.viewLocalsStale = true
    this.viewCrashedStale = true
    const k = v[n]!
    if (this.viewSoupWords.length < k) this.viewSoupWords = new Int32Array(2 * k)
    for (let p = 0; p < k; p++) this.viewSoupWords[p] = v[n + 1 + p]!
    this.viewSoupSize = k
    this.viewSoupStale = true
    return view
  }

  private makeView(): Statelet {
    const locals: Record<string, Record<string, unknown>> = {}
    for (const role of this.roles) locals[role] = {}
    for (let i = 0; i < this.names.length; i++) locals[this.roles[this.roleOfNode[i]!]!]![this.names[i]!] = undefined
    const space = this
    const nodes = this.model.system.topology.nodes
    const index: LocalPredicate.LocalIndex = { quantify: (predicate, some, of) => (of === nodes ? space.quantify(predicate, some) : undefined) }
    return {
      get locals() {
        return space.viewLocals(locals) as Statelet["locals"]
      },
      get soup() {
        return space.viewSoup() as Statelet["soup"]
      },
      get crashed() {
        return space.viewCrashed()
      },
      [LocalPredicate.localIndex]: index,
      [viewAccess]: this.makeAccess()
    } as Statelet
  }

  /**
   * The access `Judge` has to the view: the tracked view reads the same vector as the view, each
   * node's local state through a getter that records the read.
   */
  private makeAccess(): ViewAccess {
    const space = this
    const log = new ReadLog(this.names.length)
    const slots = this.viewSlots
    const nodes = this.model.system.topology.nodes
    const locals: Record<string, Record<string, unknown>> = {}
    for (const role of this.roles) locals[role] = {}
    for (let i = 0; i < this.names.length; i++) {
      const r = this.roleOfNode[i]!
      const values = this.locals[r]!.values
      Object.defineProperty(locals[this.roles[r]!]!, this.names[i]!, {
        enumerable: true,
        get: () => {
          log.slot(i, slots[i]!)
          return values[slots[i]! >> 1]
        }
      })
    }
    const quantify = (predicate: LocalPredicate.LocalPredicate, some: boolean): boolean => space.quantify(predicate, some)
    const index: LocalPredicate.LocalIndex = {
      quantify: (predicate, some, of) => {
        if (of !== nodes) return undefined
        const answer = space.quantify(predicate, some)
        log.quantified(predicate, some, answer)
        return answer
      }
    }
    const tracked = {
      get locals() {
        return locals as Statelet["locals"]
      },
      get soup() {
        log.opaque = true
        return space.viewSoup() as Statelet["soup"]
      },
      get crashed() {
        for (let i = 0; i < slots.length; i++) log.slot(i, slots[i]!)
        return space.viewCrashed()
      },
      [LocalPredicate.localIndex]: index
    } as Statelet
    return { slots, quantify, tracked, log }
  }

  /** The locals of the view, brought up to date with the last vector viewed: only the slots that changed are written. */
  private viewLocals(locals: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>> {
    if (!this.viewLocalsStale) return locals
    this.viewLocalsStale = false
    const shown = this.viewShows
    for (let i = 0; i < this.names.length; i++) {
      const slot = this.viewSlots[i]!
      if (shown[i] === slot) continue
      shown[i] = slot
      const r = this.roleOfNode[i]!
      locals[this.roles[r]!]![this.names[i]!] = this.locals[r]!.values[slot >> 1]
    }
    return locals
  }

  /**
   * Whether some (`some`) or every (`!some`) node of the predicate's role satisfies local predicate
   * `predicate` in the view: one table lookup per node, the predicate evaluated only on local
   * states it has not seen.
   */
  private quantify(predicate: LocalPredicate.LocalPredicate, some: boolean): boolean {
    const key = 2 * predicate.id + (some ? 0 : 1)
    if (key < this.quantifiedOn.length && this.quantifiedOn[key] === this.viewNumber) return this.quantified[key] === 1
    const answer = this.quantifyNow(predicate, some)
    if (key >= this.quantifiedOn.length) {
      this.quantifiedOn = grownTo(this.quantifiedOn, key + 1, (k) => new Int32Array(k))
      this.quantified = grownTo(this.quantified, key + 1, (k) => new Uint8Array(k))
    }
    this.quantifiedOn[key] = this.viewNumber
    this.quantified[key] = answer ? 1 : 0
    return answer
  }

  private quantifyNow(predicate: LocalPredicate.LocalPredicate, some: boolean): boolean {
    const answers = this.localAnswers[predicate.id] ?? this.answersOf(predicate)
    const { members, rows } = answers
    for (let j = 0; j < members.length; j++) {
      const id = this.viewSlots[members[j]!]! >> 1
      const row = rows[j]!
      let answer = id < row.length ? row[id]! : 0
      if (answer === 0) answer = this.answer(predicate, j, id)
      if ((answer === 2) === some) return some
    }
    return !some
  }

  private answersOf(predicate: LocalPredicate.LocalPredicate): { readonly members: Int32Array; readonly rows: Array<Uint8Array> } {
    const role = this.roles.indexOf(predicate.role)
    // A role the protocol does not have: `membersOf` throws, naming it.
    if (role < 0) LocalPredicate.membersOf(predicate, this.model.system.topology.nodes)
    const members = Int32Array.from(this.names.keys()).filter((i) => this.roleOfNode[i] === role)
    const answers = { members, rows: Array.from(members, () => new Uint8Array(16)) }
    this.localAnswers[predicate.id] = answers
    return answers
  }

  /** Evaluates local predicate `predicate` (twice) on the `j`-th node of its role in local state `id`, and remembers the answer. */
  private answer(predicate: LocalPredicate.LocalPredicate, j: number, id: number): number {
    const answers = this.localAnswers[predicate.id]!
    let row = answers.rows[j]!
    if (id >= row.length) row = answers.rows[j] = grownTo(row, id + 1, (k) => new Uint8Array(k))
    const i = answers.members[j]!
    const node = this.names[i]!
    const local = this.locals[this.roleOfNode[i]!]!.values[id]
    const nodes = this.model.system.topology.nodes
    const context = () => `the local predicate "${predicate.description}" of ${node} in state ${JSON.stringify(local)}`
    const first = this.run(context, () => predicate.holds(local, node, nodes))
    const second = this.run(context, () => predicate.holds(local, node, nodes))
    if (typeof first !== "boolean") throw new ModelError(`${context()} returned ${JSON.stringify(first)}, not a boolean`)
    if (first !== second) throw new ModelError(`${context()} gave ${first} and then ${second}: local predicates must be functions of their arguments (no clocks, randomness or I/O)`)
    const answer = first ? 2 : 1
    row[id] = answer
    return answer
  }

  /** The soup of the view, brought up to date with the last vector viewed. */
  private viewSoup(): ReadonlyArray<unknown> {
    const soup = this.viewSoupArray
    if (!this.viewSoupStale) return soup
    this.viewSoupStale = false
    const k = this.viewSoupSize
    const shown = this.viewSoupShown
    if (soup.length !== k) soup.length = k
    for (let p = 0; p < k; p++) {
      const e = this.viewSoupWords[p]!
      if (shown[p] === e) continue
      shown[p] = e
      soup[p] = this.envelope(p, e)
    }
    // Positions past the soup are forgotten, so a later, longer soup rewrites them.
    for (let p = k; p < shown.length; p++) shown[p] = -1
    return soup
  }

  /** The crashed nodes of the view, brought up to date with the last vector viewed. */
  private viewCrashed(): ReadonlyArray<string> {
    if (this.viewCrashedStale) {
      this.viewCrashedStale = false
      this.viewCrashedArray.length = 0
      for (let i = 0; i < this.names.length; i++) if ((this.viewSlots[i]! & 1) === 1) this.viewCrashedArray.push(this.names[i]!)
    }
    return this.viewCrashedArray
  }

  private envelope(p: number, e: number): unknown {
    const atPosition = (this.envelopes[p] ??= [])
    const known = atPosition[e]
    if (known !== undefined) return known
    const m = this.messages.values[this.active ? e : e >> 1]!
    const envelope = Object.freeze({ id: p, tag: m.tag, from: m.from, to: m.to, payload: m.payload, active: this.active || (e & 1) === 1 })
    atPosition[e] = envelope
    return envelope
  }

  /** How many words of `v` are its vector: the node slots, the soup's size, the soup. */
  size(v: Int32Array): number {
    return this.names.length + 1 + v[this.names.length]!
  }

  /** How many distinct local states and messages have been interned. */
  interned(): { readonly locals: number; readonly messages: number } {
    return { locals: this.locals.reduce((sum, t) => sum + t.values.length, 0), messages: this.messages.values.length }
  }

  private internLocal(role: number, local: unknown): number {
    this.writer.reset()
    this.codec.encodeLocal(this.writer, this.roles[role]!, local)
    return this.internEncoded(role, local)
  }

  /** Interns a local state whose canonical bytes `writer` holds. */
  private internEncoded(role: number, local: unknown): number {
    const before = this.locals[role]!.values.length
    const id = this.locals[role]!.intern(this.writer, local)
    if (id === before) this.hashSlots(role, id)
    return id
  }

  private internMessage(m: Message): number {
    this.writer.reset()
    this.codec.encodeMessage(this.writer, m)
    const before = this.messages.values.length
    const id = this.messages.intern(this.writer, { tag: m.tag, from: m.from, to: m.to, payload: m.payload })
    if (id === before) {
      this.messageTo.push(this.nodeIndex.get(m.to)!)
      this.messageFrom.push(this.nodeIndex.get(m.from) ?? this.names.length)
    }
    return id
  }

  /**
   * Interns the local state that two evaluations of a transition gave, and throws unless they gave
   * the same one.
   */
  private internSame(role: number, first: unknown, second: unknown, context: () => string): number {
    // Equal plain data encodes alike, so only values that differ as data, or that `sameData` does
    // not read (class instances, NaN), need their bytes compared. Only the first value was checked
    // against the role's schema, and only a state of the role has bytes: the second is checked
    // before it is encoded.
    if (sameData(first, second)) return this.internLocal(role, first)
    this.writer.reset()
    this.codec.encodeLocal(this.writer, this.roles[role]!, first)
    let same = this.semantics.protocol.roles[this.roles[role]!]!.isState(second)
    if (same) {
      this.again.reset()
      this.codec.encodeLocal(this.again, this.roles[role]!, second)
      same = this.writer.length === this.again.length && this.writer.bytes.subarray(0, this.writer.length).every((b, i) => b === this.again.bytes[i])
    }
    if (!same) {
      throw new ModelError(
        `${context()}: the step returned ${JSON.stringify(first)} and then ${JSON.stringify(second)}: transitions must be functions of their arguments (no clocks, randomness or I/O)`
      )
    }
    return this.internEncoded(role, first)
  }

  /** Computes the sends of node `i` in local state `id` into `sendPool`; returns where they start. */
  private computeSends(i: number, id: number): number {
    let index = this.sendIndex[i]!
    if (id >= index.length) {
      const grown = new Int32Array(2 * (id + 1))
      grown.set(index)
      index = this.sendIndex[i] = grown
    }
    const role = this.roleOfNode[i]!
    const node = this.names[i]!
    const local = this.locals[role]!.values[id]
    const out: Array<number> = []
    const ctx = this.semantics.context(node)
    for (const t of this.sendsByRole[role]!) {
      for (const c of this.candidates.get(t.name)!(local, node)) {
        // The description is built only for an error, and passed as an unnamed function: a named
        // one costs tsx's `__name` call each time it is made, and this runs for every candidate.
        const first = this.run(() => describeSend(t, node, c, local), () => Step.sendLocal(this.semantics, node, local, t.tag, c.to, c.msg))
        if (first._tag === "Violated" && !first.byGuard) {
          throw new ModelError(`${describeSend(t, node, c, local)}: ${first.violation.reason} (a candidate the transition declares must be a message it may send)`)
        }
        // Run again, the protocol's own code only (the schema checks are the framework's): the
        // same arguments must give the same answer and the same next state.
        const again = this.run(() => describeSend(t, node, c, local), () => t.guard(local, c.to as never, c.msg, ctx))
        if (again !== (first._tag === "Sent")) throw new ModelError(`${describeSend(t, node, c, local)}: its guard gave different answers for the same arguments`)
        if (first._tag === "Violated") continue
        const second = this.run(() => describeSend(t, node, c, local), () => t.step(local, c.to as never, c.msg, ctx))
        const next = this.internSame(role, first.local, second, () => describeSend(t, node, c, local))
        out.push(next, this.internMessage({ tag: t.tag, from: node, to: c.to, payload: c.msg }))
      }
    }
    const at = this.sendPoolSize
    if (at + 1 + out.length > this.sendPool.length) {
      const grown = new Int32Array(2 * (at + 1 + out.length))
      grown.set(this.sendPool)
      this.sendPool = grown
    }
    this.sendPool[at] = out.length / 2
    this.sendPool.set(out, at + 1)
    this.sendPoolSize = at + 1 + out.length
    index[id] = at + 1
    return at
  }

  /** Computes and remembers the local state receiver of message `m` goes to from local state `id` (-1: refused). */
  private computeReceive(m: number, id: number): number {
    let row = this.receiveMemo[m]
    if (row === undefined || row.length <= id) {
      const grown = new Int32Array(Math.max(16, 2 * (id + 1)))
      if (row !== undefined) grown.set(row)
      row = this.receiveMemo[m] = grown
    }
    const message = this.messages.values[m]!
    const role = this.roleOfNode[this.messageTo[m]!]!
    const local = this.locals[role]!.values[id]
    const transition = this.semantics.protocol.receiveOf.get(message.tag)
    if (transition === undefined || transition.by !== this.roles[role]) {
      // No receive transition of the receiver's role takes this tag: never receivable.
      row[id] = -1
      return -1
    }
    const first = this.run(
      () => describeReceive(message, local),
      () => Step.receiveLocal(this.semantics, message.to, local, message.from, message.tag, message.payload)
    )
    // Run again, the protocol's own code only: its accepts filter, then its step.
    const ctx = this.semantics.context(message.to)
    const accepted = this.run(
      () => describeReceive(message, local),
      () => transition.accepts === undefined || transition.accepts(local, message.from as never, message.payload, ctx)
    )
    if (accepted !== (first._tag === "Received")) throw new ModelError(`${describeReceive(message, local)}: its accepts filter gave different answers for the same arguments`)
    if (first._tag === "Refused") {
      row[id] = -1
      return -1
    }
    const second = this.run(
      () => describeReceive(message, local),
      () => transition.step(local, message.from as never, message.payload, ctx)
    )
    const next = this.internSame(role, first.local, second, () => describeReceive(message, local))
    row[id] = next + 1
    return next
  }

  private recover(role: number, id: number): number {
    let row = this.recoverMemo[role]!
    if (row.length <= id) {
      const grown = new Int32Array(2 * (id + 1))
      grown.set(row)
      row = this.recoverMemo[role] = grown
    }
    if (row[id] !== 0) return row[id]! - 1
    const recovered = this.semantics.protocol.roles[this.roles[role]!]!.recover(this.locals[role]!.values[id])
    const next = this.internLocal(role, recovered)
    row[id] = next + 1
    return next
  }

  /** Runs protocol code (a transition, a filter, a local predicate), reporting an exception with the code and state it came from. */
  private run<A>(context: () => string, f: () => A): A {
    try {
      return f()
    } catch (e) {
      if (e instanceof ModelError) throw e
      const message = e instanceof Error ? e.message : String(e)
      const frozen = e instanceof TypeError && /read.only|not extensible|frozen/i.test(message)
      throw new ModelError(
        `${context()} threw: ${message}${frozen ? " (transitions and local predicates must not modify their arguments: a transition returns a new state)" : ""}`,
        { cause: e }
      )
    }
  }
}
