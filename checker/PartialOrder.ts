/**
 * Partial-order reduction (`check --por`): the step of the checker's search (`checker/Checker.ts`)
 * that, from a state, takes only the steps of one node (an ample set) when that is enough to reach
 * every state where a property, a witness or a deadlock can be told apart from the full search, and
 * every step otherwise. This module decides which node (independence, persistence, visibility) and
 * keeps the cycle proviso's data; the search itself is the checker's.
 *
 * In Disel's semantics a step of one node commutes with a step of another unless they touch the
 * same message (a receive consumes what a send posts) or the same node. With the `active` soup (a
 * multiset: the order of sends is not recorded) and no fault steps, the enabled steps of node `n`
 * in state `s` form a persistent set when no step of other nodes can give `n` a new step first:
 * other nodes never change `n`'s local state nor consume its messages, so `n`'s sends stay enabled
 * and its receivable messages stay there; the one way is a message posted to `n` that `n` accepts in
 * its current local state. So `n` is a candidate only if every message that could ever be sent to
 * it (over-approximated from the protocol: per send transition, its payload domain or every value
 * of a finite payload schema, from every node of the sending role) and that its local state accepts
 * is in the soup already, or else no other node may still send one: each sender's local states are
 * explored on their own (its sends, and receives of any message that may be sent to it) and, per
 * local state, the messages it sends on some path from there are kept (`FutureSends`). Then, the
 * usual conditions:
 *
 * - visibility: every step of the ample set is invisible, i.e. it leaves unchanged every local
 *   predicate a property reads for `n`'s role. Which predicates a property reads is found by
 *   running it on a statelet that answers only local-predicate queries, through every combination of
 *   answers; a property that reads the statelet itself (its locals, soup or crashed nodes) makes
 *   every step visible: the search then falls back to no reduction and says so.
 * - the cycle (ignoring) proviso: if a step of the ample set leads to a state already found (visited
 *   or still in the queue; breadth-first, found before the level being expanded began), the state
 *   is expanded in full. Then no cycle of the reduced graph is made
 *   of ample sets only (the last state of a cycle to be expanded finds its successor on the cycle
 *   already found), whatever the search order; see `docs/checking.md`.
 * - deadlocks: an ample set is empty only when nothing is enabled, and persistent sets reach every
 *   reachable state with no step enabled, so the deadlocks (and their number) are those of the full
 *   search.
 *
 * Traces are paths of the reduced graph, so real executions (`replay` reproduces them), but not
 * necessarily the shortest ones.
 *
 * @since 0.2.0
 */
import type * as Schema from "effect/Schema"
import * as LocalPredicate from "../core/LocalPredicate.ts"
import type { Model } from "../core/Model.ts"
import type { Property } from "../core/Property.ts"
import * as Step from "../core/Step.ts"
import type { CollapsedSpace } from "./Collapse.ts"
import * as Successors from "./Successors.ts"

/** What a `--por` search did: reduced (`applied`), or fell back to the full search, and why. */
export interface PartialOrderReport {
  readonly applied: boolean
  /** Why the search fell back to no reduction (when `applied` is false). */
  readonly reason?: string
  /** States expanded, and among them those expanded through an ample set smaller than all their steps. */
  readonly expanded: number
  readonly reduced: number
}

/** What the properties of a model read: local predicates only (which ones), or the statelet itself. */
export type PropertyReads =
  | { readonly _tag: "Predicates"; readonly predicates: ReadonlyArray<LocalPredicate.LocalPredicate> }
  | { readonly _tag: "Opaque"; readonly property: string; readonly why: string }

/** Runs of one property, at most, to explore every combination of its local-predicate answers. */
const maxRuns = 1 << 12

class Touched {
  constructor(readonly key: string) {}
}

/**
 * The local predicates a property can read, found by running it on a statelet that answers
 * local-predicate queries only (with every combination of answers, so that every branch it can take
 * is taken); "Opaque" when it reads the statelet in another way (or when there are too many
 * combinations to try).
 *
 * @example
 * import * as LocalPredicate from "../core/LocalPredicate.ts"
 * import * as Property from "../core/Property.ts"
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * const done = LocalPredicate.make(PingPong.protocol, "pinger", "is done", (s: any) => s.done === true)
 * const nodes = { pinger: ["p1"], ponger: ["q1"] }
 * propertyReads(Property.always(PingPong.protocol, "d", (s, n) => done.every(s, n)), nodes)._tag // => "Predicates"
 * propertyReads(Property.always(PingPong.protocol, "e", (s) => s.soup.length < 3), nodes)._tag // => "Opaque"
 */
export const propertyReads = (property: Property, nodes: unknown): PropertyReads => {
  const read = new Map<number, LocalPredicate.LocalPredicate>()
  let runs = 0
  let opaque: PropertyReads | undefined
  const run = (prefix: ReadonlyArray<boolean>): void => {
    if (opaque !== undefined) return
    if (++runs > maxRuns) {
      opaque = { _tag: "Opaque", property: property.name, why: `it asks more than ${maxRuns} combinations of local-predicate answers` }
      return
    }
    const asked: Array<string> = []
    const answers = new Map<string, boolean>()
    const index: LocalPredicate.LocalIndex = {
      quantify: (predicate, some) => {
        const key = `${predicate.id}:${some}`
        read.set(predicate.id, predicate)
        let answer = answers.get(key)
        if (answer === undefined) {
          answer = asked.length < prefix.length ? prefix[asked.length]! : false
          asked.push(key)
          answers.set(key, answer)
        }
        return answer
      }
    }
    const statelet = new Proxy(
      {},
      {
        get: (_target, key) => {
          if (key === LocalPredicate.localIndex) return index
          throw new Touched(String(key))
        },
        has: (_target, key) => {
          throw new Touched(String(key))
        },
        ownKeys: () => {
          throw new Touched("its keys")
        }
      }
    )
    try {
      property.holds(statelet as never, nodes as never)
    } catch (e) {
      opaque = {
        _tag: "Opaque",
        property: property.name,
        why: e instanceof Touched ? `it reads the statelet's ${e.key} directly, not through local predicates` : `it threw when given local-predicate answers only: ${String(e)}`
      }
      return
    }
    // Every other answer to each query asked past the prefix is another branch.
    for (let k = prefix.length; k < asked.length; k++) run([...prefix, ...Array<boolean>(k - prefix.length).fill(false), true])
  }
  run([])
  return opaque ?? { _tag: "Predicates", predicates: [...read.values()] }
}

/**
 * Why a model is searched without reduction even with `--por`, or undefined when it can be reduced:
 * a liveness property, the `history` soup, fault steps, or a property that reads the statelet itself.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * typeof unsupported(TokenRing.model()) // => "string"
 */
export const unsupported = (model: Model): string | undefined => {
  const properties = model.system.properties
  const liveness = properties.find((p) => p.kind !== "always" && p.kind !== "sometimes")
  if (liveness !== undefined) {
    return `property "${liveness.name}" is a liveness property (${liveness.kind}): the reduction preserves invariants, witnesses and deadlocks, not fair cycles`
  }
  if (model.soup !== "active") {
    return 'the model\'s soup is "history", which records the order of every send, so sends of different nodes do not commute (the reduction needs soup: "active")'
  }
  const faults = model.faults
  const steps = faults === undefined ? [] : (["drop", "duplicate", "crash", "restart"] as const).filter((f) => faults[f])
  if (steps.length > 0) return `the model's fault model has ${steps.join(", ")} steps, which the reduction does not handle`
  for (const p of properties) {
    const reads = propertyReads(p, model.system.topology.nodes)
    if (reads._tag === "Opaque") return `property "${reads.property}" makes every step visible: ${reads.why}`
  }
  return undefined
}

/** A message, as the over-approximation of what may be sent to a node holds it. */
interface Envelope {
  readonly tag: string
  readonly from: string
  readonly payload: unknown
}

/** A canonical key of plain data (object keys sorted), or undefined for other values. */
const keyOf = (value: unknown): string | undefined => {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value)
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : undefined
  if (typeof value === "bigint") return `${value}n`
  if (Array.isArray(value)) {
    const parts = value.map(keyOf)
    return parts.some((p) => p === undefined) ? undefined : `[${parts.join(",")}]`
  }
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const parts: Array<string> = []
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key]
      if (v === undefined) continue
      const k = keyOf(v)
      if (k === undefined) return undefined
      parts.push(`${JSON.stringify(key)}:${k}`)
    }
    return `{${parts.join(",")}}`
  }
  return undefined
}

/**
 * Per node, every message that may ever be sent to it (distinct contents), or why the checker cannot
 * bound them: per send transition, the candidates of a transition without its own `candidates`
 * (the model's payloads or the finite schema, as the search uses them), or else every value of a
 * finite payload schema; from every node of the sending role, to every node of the receiving role.
 */
const messagesTo = (model: Model, semantics: Step.Semantics): ReadonlyArray<ReadonlyArray<Envelope> | string> => {
  const { protocol, topology } = model.system
  const nodes = topology.nodes as Record<string, ReadonlyArray<string>>
  const sources = Successors.candidateSources(model, semantics)
  const byNode = new Map<string, Map<string, Envelope> | string>(topology.all.map((n) => [n, new Map()]))
  const add = (to: string, envelope: Envelope): void => {
    const known = byNode.get(to)
    if (typeof known === "string" || known === undefined) return
    const key = keyOf([envelope.tag, envelope.from, envelope.payload])
    if (key === undefined) byNode.set(to, `a ${envelope.tag} payload that is not plain data: ${String(envelope.payload)}`)
    else known.set(key, envelope)
  }
  for (const t of protocol.sends) {
    const receive = protocol.receiveOf.get(t.tag)
    if (receive === undefined || receive.by !== t.to) continue
    const senders = nodes[t.from] ?? []
    if (t.candidates === undefined) {
      for (const from of senders) for (const c of sources.get(t.name)!(undefined, from)) add(c.to, { tag: t.tag, from, payload: c.msg })
      continue
    }
    const values = Successors.enumerate((protocol.messages[t.tag]!.payload as Schema.Top).ast)
    for (const to of nodes[t.to] ?? []) {
      if (values === undefined) {
        if (typeof byNode.get(to) !== "string") byNode.set(to, `send transition ${t.name} declares candidates and the payload schema of "${t.tag}" is not finite`)
        continue
      }
      for (const from of senders) for (const payload of values) add(to, { tag: t.tag, from, payload })
    }
  }
  for (const m of semantics.initial.soup) if (m.active) add(m.to, { tag: m.tag, from: m.from, payload: m.payload })
  return topology.all.map((n) => {
    const known = byNode.get(n)!
    return typeof known === "string" ? known : [...known.values()]
  })
}

/**
 * A set of fingerprints, emptied at every level of a breadth-first search: the states found one level
 * deeper than the one being expanded, which the cycle proviso tells from those found before.
 */
class LevelSet {
  private slots = new Int32Array(2 << 10)
  private size = 0

  private slot(hi: number, lo: number): number {
    const mask = (this.slots.length >> 1) - 1
    let i = (Math.imul(lo ^ (hi >>> 7), 0x9e3779b1) >>> 0) & mask
    for (;;) {
      const l = this.slots[2 * i + 1]!
      const h = this.slots[2 * i]!
      if ((l === lo && h === hi) || (l === 0 && h === 0)) return i
      i = (i + 1) & mask
    }
  }

  has(hi: number, lo: number): boolean {
    if ((hi | lo) === 0) return this.zero
    const i = this.slot(hi, lo)
    return this.slots[2 * i] !== 0 || this.slots[2 * i + 1] !== 0
  }

  private zero = false

  add(hi: number, lo: number): void {
    if ((hi | lo) === 0) {
      this.zero = true
      return
    }
    const i = this.slot(hi, lo)
    if (this.slots[2 * i] !== 0 || this.slots[2 * i + 1] !== 0) return
    this.slots[2 * i] = hi
    this.slots[2 * i + 1] = lo
    if (4 * ++this.size > 3 * (this.slots.length >> 1)) {
      const old = this.slots
      this.slots = new Int32Array(2 * old.length)
      this.size = 0
      for (let j = 0; j < old.length; j += 2) if (old[j] !== 0 || old[j + 1] !== 0) this.add(old[j]!, old[j + 1]!)
    }
  }

  clear(): void {
    if (this.size > 0) this.slots.fill(0)
    this.size = 0
    this.zero = false
  }
}

/** Local states a node's future sends are worked out for, at most (beyond, it may send anything). */
const maxLocalStates = 1 << 18

/** A node's local-state graph, for `FutureSends`: canonical keys, steps, and the messages each state sends (bits). */
interface LocalGraph {
  readonly keys: ReadonlyArray<string>
  readonly edges: ReadonlyArray<ReadonlyArray<number>>
  readonly sent: ReadonlyArray<ReadonlyArray<number>>
}

/**
 * What one node may still send, from each of its local states: the local states it can reach on
 * its own steps (its sends, with their candidates, and receives of any message that may be sent to
 * it), explored from its initial local state, and per local state the messages sent on some path
 * from it, as bits over the messages that may be sent by the node (`outbound`). Without a graph
 * (its inbound messages are not bounded, or it has too many local states) it may send anything.
 */
class FutureSends {
  private readonly index = new Map<string, number>()
  private readonly bits: Uint32Array | undefined
  private readonly words: number

  constructor(
    outbound: ReadonlyMap<string, number>,
    graph: LocalGraph | undefined
  ) {
    this.words = Math.max(1, Math.ceil(outbound.size / 32))
    if (graph !== undefined) graph.keys.forEach((k, i) => this.index.set(k, i))
    this.bits = graph === undefined ? undefined : closure(graph.edges, graph.sent, this.words)
  }

  /** The vertex of the local state with key `local` (-1: unknown, or no graph). */
  vertex(local: string | undefined): number {
    return (this.bits === undefined || local === undefined ? undefined : this.index.get(local)) ?? -1
  }

  /** Whether the node, at `vertex`, may still send its outbound message number `bit` (true when the vertex is unknown). */
  maySend(vertex: number, bit: number): boolean {
    const bits = this.bits
    if (bits === undefined || vertex < 0) return true
    return (bits[vertex * this.words + (bit >>> 5)]! & (1 << (bit & 31))) !== 0
  }
}

/**
 * Per vertex of a graph, the union of `sent` over every vertex reachable from it (itself included),
 * as `words` words of bits per vertex: Tarjan's strongly connected components, iteratively, each
 * component's union computed once its successors' are.
 */
const closure = (edges: ReadonlyArray<ReadonlyArray<number>>, sent: ReadonlyArray<ReadonlyArray<number>>, words: number): Uint32Array => {
  const n = edges.length
  const bits = new Uint32Array(n * words)
  const order = new Int32Array(n).fill(-1)
  const low = new Int32Array(n)
  const component = new Int32Array(n).fill(-1)
  const onStack = new Uint8Array(n)
  const stack: Array<number> = []
  let counter = 0
  let components = 0
  for (let root = 0; root < n; root++) {
    if (order[root] !== -1) continue
    const work: Array<[number, number]> = [[root, 0]]
    order[root] = low[root] = counter++
    stack.push(root)
    onStack[root] = 1
    while (work.length > 0) {
      const top = work[work.length - 1]!
      const [v, k] = top
      const out = edges[v]!
      if (k < out.length) {
        top[1] = k + 1
        const w = out[k]!
        if (order[w] === -1) {
          order[w] = low[w] = counter++
          stack.push(w)
          onStack[w] = 1
          work.push([w, 0])
        } else if (onStack[w] === 1) low[v] = Math.min(low[v]!, order[w]!)
        continue
      }
      work.pop()
      if (work.length > 0) {
        const parent = work[work.length - 1]![0]
        low[parent] = Math.min(low[parent]!, low[v]!)
      }
      if (low[v] !== order[v]) continue
      // `v` roots a component: its members are on the stack above it; the components it reaches are done.
      const id = components++
      const members: Array<number> = []
      for (;;) {
        const w = stack.pop()!
        onStack[w] = 0
        component[w] = id
        members.push(w)
        if (w === v) break
      }
      const union = new Uint32Array(words)
      for (const w of members) {
        for (const b of sent[w]!) union[b >>> 5] = union[b >>> 5]! | (1 << (b & 31))
        for (const x of edges[w]!) if (component[x] !== id) for (let j = 0; j < words; j++) union[j] = union[j]! | bits[x * words + j]!
      }
      for (const w of members) bits.set(union, w * words)
    }
  }
  return bits
}

/** The code `CollapsedSpace.keepVisiting` records for a receive (its first word). */
const RECEIVE = 1

/**
 * The ample-set choice of a model over its collapsed space: per node and interned local state, how
 * many messages it accepts of those that may be sent to it, and the values of the local predicates
 * the properties read for its role.
 */
export class AmpleSets {
  private readonly names: ReadonlyArray<string>
  private readonly accepted: Array<Int32Array>
  private readonly signatures: Array<Int32Array>
  private readonly inbound: ReadonlyArray<ReadonlyArray<Envelope> | string>
  private readonly visible: ReadonlyArray<ReadonlyArray<LocalPredicate.LocalPredicate>>
  private readonly semantics: Step.Semantics
  private readonly nodes: unknown
  private count: Int32Array
  private receives: Int32Array
  private invisible: Uint8Array
  /** Per node, per local id: the indices in `inbound` of the messages it accepts (computed with `accepted`). */
  private readonly acceptedLists: Array<Array<ReadonlyArray<number>>>
  /** Per node, per inbound message: its sender, and its number among the sender's outbound messages. */
  private readonly inboundFrom: ReadonlyArray<ReadonlyArray<number>>
  private readonly inboundBits: ReadonlyArray<ReadonlyArray<number>>
  /** Per node: the messages it may send, by key, numbered. */
  private readonly outbound: ReadonlyArray<Map<string, number>>
  private readonly futures: Array<FutureSends | undefined>
  /** Per node, per local id: its vertex in the node's `FutureSends` + 2 (0: not computed). */
  private readonly vertices: Array<Int32Array>
  private readonly nodeIndex: ReadonlyMap<string, number>
  private readonly model: Model

  constructor(
    model: Model,
    private readonly space: CollapsedSpace,
    predicates: ReadonlyArray<LocalPredicate.LocalPredicate>
  ) {
    const { topology } = model.system
    this.names = topology.all
    this.semantics = space.semantics
    this.nodes = topology.nodes
    this.inbound = messagesTo(model, space.semantics)
    this.visible = this.names.map((n) => predicates.filter((p) => p.role === topology.roleOf.get(n)))
    this.accepted = this.names.map(() => new Int32Array(16))
    this.signatures = this.names.map(() => new Int32Array(16))
    this.count = new Int32Array(this.names.length)
    this.receives = new Int32Array(this.names.length)
    this.invisible = new Uint8Array(this.names.length)
    this.model = model
    this.nodeIndex = new Map(this.names.map((n, i) => [n, i]))
    this.acceptedLists = this.names.map(() => [])
    this.vertices = this.names.map(() => new Int32Array(16))
    this.futures = this.names.map(() => undefined)
    this.outbound = this.names.map(() => new Map())
    this.inboundFrom = this.inbound.map((envelopes) => (typeof envelopes === "string" ? [] : envelopes.map((e) => this.nodeIndex.get(e.from)!)))
    this.inboundBits = this.inbound.map((envelopes, n) =>
      typeof envelopes === "string"
        ? []
        : envelopes.map((e) => {
            const key = keyOf([e.tag, this.names[n], e.payload])!
            const out = this.outbound[this.nodeIndex.get(e.from)!]!
            if (!out.has(key)) out.set(key, out.size)
            return out.get(key)!
          })
    )
  }

  /** Node `m`'s local-state graph (see `FutureSends`), or undefined when it cannot be bounded. */
  private localGraph(m: number): LocalGraph | undefined {
    const inbound = this.inbound[m]!
    if (typeof inbound === "string") return undefined
    const { protocol, topology } = this.model.system
    const name = this.names[m]!
    const role = topology.roleOf.get(name)!
    const sends = protocol.sends.filter((t) => t.from === role)
    const sources = Successors.candidateSources(this.model, this.semantics)
    const out = this.outbound[m]!
    const keys: Array<string> = []
    const values: Array<unknown> = []
    const edges: Array<Array<number>> = []
    const sent: Array<Array<number>> = []
    const index = new Map<string, number>()
    const vertex = (local: unknown): number | undefined => {
      const key = keyOf(local)
      if (key === undefined) return undefined
      let i = index.get(key)
      if (i === undefined) {
        i = keys.length
        index.set(key, i)
        keys.push(key)
        values.push(local)
        edges.push([])
        sent.push([])
      }
      return i
    }
    if (vertex((this.semantics.initial.locals as Record<string, Record<string, unknown>>)[role]![name]) === undefined) return undefined
    try {
      for (let i = 0; i < keys.length; i++) {
        if (keys.length > maxLocalStates) return undefined
        const local = values[i]
        for (const t of sends) {
          for (const c of sources.get(t.name)!(local, name)) {
            const o = Step.sendLocal(this.semantics, name, local, t.tag, c.to, c.msg)
            if (o._tag !== "Sent") continue
            const j = vertex(o.local)
            if (j === undefined) return undefined
            edges[i]!.push(j)
            const key = keyOf([t.tag, c.to, c.msg])
            const bit = key === undefined ? undefined : out.get(key)
            if (bit !== undefined) sent[i]!.push(bit)
            else if (protocol.receiveOf.get(t.tag)?.by === topology.roleOf.get(c.to)) return undefined
          }
        }
        for (const e of inbound) {
          const o = Step.receiveLocal(this.semantics, name, local, e.from, e.tag, e.payload)
          if (o._tag !== "Received") continue
          const j = vertex(o.local)
          if (j === undefined) return undefined
          edges[i]!.push(j)
        }
      }
    } catch {
      // A transition that throws on a local state or message of the over-approximation: unknown.
      return undefined
    }
    return { keys, edges, sent }
  }

  /** Whether no node but `i` may still send `i` a message that `i`'s local state `id` accepts. */
  private othersDone(v: Int32Array, i: number, id: number): boolean {
    this.acceptedBy(i, id)
    const list = this.acceptedLists[i]![id]
    const inbound = this.inbound[i]!
    if (list === undefined || typeof inbound === "string") return false
    const from = this.inboundFrom[i]!
    for (const k of list) {
      const m = from[k]!
      if (m === i) continue
      const future = (this.futures[m] ??= new FutureSends(this.outbound[m]!, this.localGraph(m)))
      if (future.maySend(this.vertexOf(m, v[m]! >> 1, future), this.inboundBits[i]![k]!)) return false
    }
    return true
  }

  /** Node `m`'s local state `local` as a vertex of its `future` (-1: unknown). */
  private vertexOf(m: number, local: number, future: FutureSends): number {
    let row = this.vertices[m]!
    if (local >= row.length) {
      const grown = new Int32Array(Math.max(2 * row.length, local + 1))
      grown.set(row)
      this.vertices[m] = row = grown
    }
    if (row[local] === 0) row[local] = future.vertex(keyOf(this.space.localOf(m, local))) + 2
    return row[local]! - 2
  }

  /** Memo cell `id` of `rows[i]` (0: not computed, else the value + 1), growing the row as needed. */
  private cell(rows: Array<Int32Array>, i: number, id: number, compute: () => number): number {
    let row = rows[i]!
    if (id >= row.length) {
      const grown = new Int32Array(Math.max(2 * row.length, id + 1))
      grown.set(row)
      rows[i] = row = grown
    }
    const known = row[id]!
    if (known !== 0) return known - 1
    const value = compute()
    row[id] = value + 1
    return value
  }

  /** How many of the messages that may be sent to node `i` its local state `id` accepts (-1: unbounded). */
  private acceptedBy(i: number, id: number): number {
    // Known answers are read without making the closure (this runs for every state).
    const row = this.accepted[i]!
    if (id < row.length && row[id] !== 0) return row[id]! - 1
    return this.cell(this.accepted, i, id, () => {
      const inbound = this.inbound[i]!
      if (typeof inbound === "string") return -1
      const local = this.space.localOf(i, id)
      const list: Array<number> = []
      inbound.forEach((m, k) => {
        let accepts = true
        try {
          accepts = Step.canReceive(this.semantics, this.names[i]!, local, m.from, m.tag, m.payload)
        } catch {
          // A filter that throws on a value the search may never send: counted as accepted (conservative).
        }
        if (accepts) list.push(k)
      })
      this.acceptedLists[i]![id] = list
      return list.length
    })
  }

  /** The values of the visible predicates of node `i`'s role in its local state `id`, as bits. */
  private signature(i: number, id: number): number {
    const row = this.signatures[i]!
    if (id < row.length && row[id] !== 0) return row[id]! - 1
    return this.cell(this.signatures, i, id, () => {
      const local = this.space.localOf(i, id)
      let bits = 0
      this.visible[i]!.forEach((p, b) => {
        if (p.holds(local as never, this.names[i]!, this.nodes as never)) bits |= 1 << b
      })
      return bits
    })
  }

  /**
   * The node whose steps form an ample set of state `v`, given its successors' steps `from` to `to`
   * (exclusive) as `CollapsedSpace.keepVisiting` kept them (five words each in `steps`), or -1:
   * expand in full. Among the candidates, the one with the fewest steps.
   */
  choose(v: Int32Array, steps: Int32Array, from: number, to: number): number {
    const n = this.names.length
    const { count: counts, receives, invisible } = this
    counts.fill(0)
    receives.fill(0)
    invisible.fill(1)
    for (let j = from; j < to; j++) {
      const at = 5 * j
      const i = steps[at + 1]!
      counts[i]!++
      if (steps[at] === RECEIVE) receives[i]!++
      if (invisible[i] === 1 && this.signature(i, v[i]! >> 1) !== this.signature(i, steps[at + 2]! >> 1)) invisible[i] = 0
    }
    let best = -1
    for (let i = 0; i < n; i++) {
      if (counts[i] === 0 || invisible[i] === 0) continue
      if (best >= 0 && counts[i]! >= counts[best]!) continue
      // Every message it accepts is here already, or no other node may still send one.
      if (this.acceptedBy(i, v[i]! >> 1) !== receives[i] && !this.othersDone(v, i, v[i]! >> 1)) continue
      best = i
    }
    // All of the state's steps are one node's: that is no reduction, but no harm either.
    return best
  }

  /** Whether more than 30 predicates are visible for some role (the signature holds 30 bits). */
  get tooManyPredicates(): boolean {
    return this.visible.some((ps) => ps.length > 30)
  }
}

/**
 * The reduction as one step of the checker's search (`checker/Checker.ts`): per state expanded, the
 * node whose steps form its ample set (`choose`), and the data of the cycle proviso. Breadth-first,
 * a state already found is on a cycle of the reduced graph only if it was found before the level
 * being expanded began: the states found since (one level deeper) are kept in a `LevelSet`, so that
 * reaching one of them does not force a full expansion. Depth-first, any state already found does.
 *
 * @example
 * import { randomModel } from "../test/checker/fixtures/RandomProtocol.ts"
 * import { CollapsedSpace } from "./Collapse.ts"
 * const model = randomModel(1)
 * const reduction = reduce(model, new CollapsedSpace(model, false), "bfs")
 * reduction instanceof Reduction // => true
 */
export class Reduction {
  /** States expanded, and those expanded through an ample set smaller than all their steps. */
  expanded = 0
  reduced = 0
  private readonly nextLevel = new LevelSet()
  private level = 0

  constructor(
    private readonly ample: AmpleSets,
    private readonly bfs: boolean
  ) {}

  /** Called as the search expands a state `depth` deep: breadth-first, a deeper level begins the proviso's set anew. */
  expanding(depth: number): void {
    this.expanded++
    if (this.bfs && depth > this.level) {
      this.level = depth
      this.nextLevel.clear()
    }
  }

  /** Called as the search finds a new state (fingerprint `hi`, `lo`), `depth` deep. */
  found(hi: number, lo: number, depth: number): void {
    if (this.bfs && depth > this.level) this.nextLevel.add(hi, lo)
  }

  /**
   * Whether a step of an ample set that leads to the state `hi`, `lo`, found already, may close a
   * cycle of ample sets (then the state is expanded in full): depth-first always, breadth-first when
   * the state was found before the current level began.
   */
  closesCycle(hi: number, lo: number): boolean {
    return !this.bfs || !this.nextLevel.has(hi, lo)
  }

  /** The node whose steps form the ample set of state `v`, given its steps `from` to `to` (see `AmpleSets.choose`), or -1. */
  choose(v: Int32Array, steps: Int32Array, from: number, to: number): number {
    return this.ample.choose(v, steps, from, to)
  }

  /** What the reduction did, for the report. */
  report(): PartialOrderReport {
    return { applied: true, expanded: this.expanded, reduced: this.reduced }
  }
}

/**
 * The reduction of a model over its collapsed space, for a search in the given order, or, when the
 * model is not one the reduction handles (`unsupported`), the report saying why the full search is made.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * import { CollapsedSpace } from "./Collapse.ts"
 * const model = TokenRing.model()
 * const none = reduce(model, new CollapsedSpace(model, false), "bfs")
 * none instanceof Reduction ? none : none.applied // => false
 */
export const reduce = (model: Model, space: CollapsedSpace, strategy: "bfs" | "dfs"): Reduction | PartialOrderReport => {
  const why = unsupported(model)
  if (why !== undefined) return { applied: false, reason: why, expanded: 0, reduced: 0 }
  const nodes = model.system.topology.nodes
  const predicates = new Map<number, LocalPredicate.LocalPredicate>()
  for (const p of model.system.properties) {
    const reads = propertyReads(p, nodes)
    if (reads._tag === "Predicates") for (const q of reads.predicates) predicates.set(q.id, q)
  }
  const ample = new AmpleSets(model, space, [...predicates.values()])
  if (ample.tooManyPredicates) return { applied: false, reason: "the properties read more than 30 local predicates of one role", expanded: 0, reduced: 0 }
  return new Reduction(ample, strategy === "bfs")
}
