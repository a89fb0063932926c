/**
 * A randomized search for counterexamples to induction (CTIs): states that satisfy an invariant
 * and what its obligations assume (`coh ∧ I`, and any other invariants assumed) from which one
 * transition leads to a state violating `I`. An invariant can hold on every reachable state and
 * still not be inductive; what a user needs to learn then is *which* transition breaks it from
 * *which* state, to strengthen it (as Disel's Two-Phase Commit proof strengthens log agreement).
 *
 * Candidates are built from values the protocol produces. A breadth-first search of the model
 * through the checker's successor function (`checker/Successors.ts`), within a budget of states,
 * and seeded random walks past its frontier collect reachable states; from them come every local
 * state each node reached and every message sent. A candidate recombines them — each node's local
 * state, and the messages of the soup, taken from different reachable states: each part is
 * reachable on its own, their combination need not be — and sometimes mutates a local state or a
 * payload within its Schema (a part replaced by the same part of another reachable value, an
 * array element dropped or repeated; a mutant that does not match its schema is not used), so
 * that every number and string in a candidate is one a reachable state has. A third of the candidates are aimed at a step: a sent message is put in the
 * soup and its receiver given a reachable local state that accepts it. A candidate that fails the
 * hypothesis is often one part away from one that satisfies it, so its variants with one node
 * reset or removed, or one message removed, are tried too. Every step the model allows from a
 * state that satisfies the hypothesis is taken; one after which `I` is false is a CTI of that
 * transition's obligation.
 *
 * Each CTI is shrunk (the first few found for an obligation each, keeping the smallest) — nodes the step does not involve removed (one per role is kept), then
 * messages, then values made simpler (a local state reset to its initial one, a part replaced by a
 * lighter value that reachable values have in its place) — and
 * re-confirmed after every shrink step: the hypothesis holds, the step is enabled and takes the
 * same transition, `I` is false after it. The search finds counterexamples; it cannot prove their
 * absence, and its report says how many candidate states it tried.
 *
 * @since 0.1.0
 */
import type { Model } from "../core/Model.ts"
import * as Prng from "../core/Prng.ts"
import type { Statelet } from "../core/Statelet.ts"
import * as Step from "../core/Step.ts"
import * as Topology from "../core/Topology.ts"
import { layers } from "../combinators/WithInvariant.ts"
import { compact, localChange } from "../simulator/Report.ts"
import * as Successors from "./Successors.ts"

/** How hard to search. */
export interface InductionOptions {
  readonly seed?: number
  /** Distinct states the breadth-first search of the model collects (default 5000). */
  readonly states?: number
  /** Random walks that collect reachable states past the breadth-first frontier (default 200). */
  readonly walks?: number
  /** Steps per walk (default 40). */
  readonly depth?: number
  /** Recombined and mutated candidate states tried, beyond the reachable ones (default 3000). */
  readonly candidates?: number
  /**
   * Further invariants every candidate must satisfy, by name (invariant layers of the protocol or
   * `always` properties of the model's system). `prove` states each obligation under every exported
   * invariant, so its counterexamples must satisfy all of them.
   */
  readonly assume?: ReadonlyArray<string>
}

/** Node ids per role. */
export type Nodes = { readonly [role: string]: ReadonlyArray<string> }

/** A transition that breaks the invariant: the obligation, the state it starts from, the step and where it leads. */
export interface Counterexample {
  /** `<invariant>_preserved_by_<transition>` (fault steps: `<invariant>_preserved_by_<fault>`). */
  readonly obligation: string
  readonly transition: string
  readonly invariant: string
  /** What the state satisfies: the invariant, the layers below it and the invariants assumed. */
  readonly hypothesis: ReadonlyArray<string>
  /** The nodes of the counterexample: the model's, less those shrinking removed. */
  readonly nodes: Nodes
  readonly state: Statelet
  readonly action: Step.Action
  readonly next: Statelet
  /** Its size as found, before shrinking. */
  readonly found: { readonly nodes: number; readonly messages: number }
  /** Shrink steps taken, each re-confirmed. */
  readonly shrinkSteps: number
}

/** What the search looked at, for its report. */
export interface SearchSummary {
  readonly seed: number
  /** The breadth-first search's budget of states, and whether it explored every reachable state within it. */
  readonly states: number
  readonly exhausted: boolean
  readonly walks: number
  readonly depth: number
  readonly candidates: number
  /** Distinct reachable states collected, distinct local states of nodes in them, distinct messages sent in them. */
  readonly reachable: number
  readonly localStates: number
  readonly messages: number
}

/** What the search found for one invariant. */
export interface InductionReport {
  readonly invariant: string
  /** The names every candidate satisfied: the invariant, the layers below it, and those assumed. */
  readonly hypothesis: ReadonlyArray<string>
  /** Whether the invariant holds in the model's initial state (`<invariant>_init`). */
  readonly initially: boolean
  readonly initial: Statelet
  /** The model's nodes. */
  readonly nodes: Nodes
  /** One shrunk counterexample per broken obligation, in the order of the protocol's transitions (fault steps last). */
  readonly broken: ReadonlyArray<Counterexample>
  /** Distinct candidate states that satisfied the hypothesis, whose every step was taken. */
  readonly tried: number
  readonly search: SearchSummary
}

type Predicate = (statelet: Statelet, nodes: Nodes) => boolean

/** The predicate named `name`: an invariant layer of the protocol, or an `always` property of the system. */
const predicateOf = (model: Model, name: string): Predicate | undefined => {
  const layer = layers(model.system.protocol).find((l) => l.name === name)
  if (layer !== undefined) return layer.holds as Predicate
  const property = model.system.properties.find((p: { kind: string; name: string }) => p.kind === "always" && p.name === name)
  return property === undefined ? undefined : (property.holds as Predicate)
}

/**
 * The names `searchCounterexample` accepts: the protocol's invariant layers, then the system's
 * other `always` properties.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * invariantNames(TokenRing.model()) // => ["oneHolder"]
 */
export const invariantNames = (model: Model): ReadonlyArray<string> => [
  ...new Set([
    ...layers(model.system.protocol).map((l) => l.name),
    ...model.system.properties.filter((p: { kind: string }) => p.kind === "always").map((p: { name: string }) => p.name)
  ])
]

/**
 * The obligations of an invariant, named as the Lean exporter names them: `<invariant>_init`, then
 * `<invariant>_preserved_by_<transition>` for every send and every receive transition.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * obligationsOf(TokenRing.model(), "oneHolder") // => ["oneHolder_init", "oneHolder_preserved_by_pass", "oneHolder_preserved_by_take"]
 */
export const obligationsOf = (model: Model, invariant: string): ReadonlyArray<string> => [
  `${invariant}_init`,
  ...[...model.system.protocol.sends, ...model.system.protocol.receives].map((t) => `${invariant}_preserved_by_${t.name}`)
]

/**
 * What an obligation of `invariant` assumes: a layer of the protocol assumes the layers up to it;
 * an `always` property that is not a layer assumes every layer and itself; and the names in `assume`.
 */
const hypothesisOf = (model: Model, invariant: string, assume: ReadonlyArray<string>): ReadonlyArray<string> => {
  const all = layers(model.system.protocol).map((l) => l.name)
  const at = all.indexOf(invariant)
  const base = at >= 0 ? all.slice(0, at + 1) : [...all, invariant]
  return [...new Set([...base, ...assume])]
}

// ---------------------------------------------------------------------------------------------
// Values: paths, mutation, simplification, weight.

type Path = ReadonlyArray<string | number>

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

/** Every path to a proper part of a value. */
const pathsOf = (value: unknown, prefix: Path = []): Array<Path> => {
  const out: Array<Path> = []
  if (Array.isArray(value)) value.forEach((v, i) => out.push([...prefix, i], ...pathsOf(v, [...prefix, i])))
  else if (isRecord(value)) for (const [k, v] of Object.entries(value)) out.push([...prefix, k], ...pathsOf(v, [...prefix, k]))
  return out
}

const getAt = (value: unknown, path: Path): unknown => {
  let here: unknown = value
  for (const k of path) {
    if (Array.isArray(here) && typeof k === "number") here = here[k]
    else if (isRecord(here) && typeof k === "string" && Object.hasOwn(here, k)) here = here[k]
    else return undefined
  }
  return here
}

const setAt = (value: unknown, path: Path, replacement: unknown): unknown => {
  if (path.length === 0) return replacement
  const [k, ...rest] = path
  if (Array.isArray(value)) return value.map((v, i) => (i === k ? setAt(v, rest, replacement) : v))
  if (isRecord(value)) return { ...value, [k as string]: setAt(value[k as string], rest, replacement) }
  return value
}

/**
 * How complex a value is: a measure every simplification decreases (so shrinking ends). Numbers
 * weigh their distance from zero, arrays their elements, `true` more than `false`.
 */
const weight = (value: unknown): number => {
  if (typeof value === "number") return 1 + Math.min(Math.abs(value), 1e9)
  if (typeof value === "boolean") return value ? 2 : 1
  if (Array.isArray(value)) return 1 + value.length + value.reduce((n: number, v) => n + weight(v), 0)
  if (isRecord(value)) return 1 + Object.values(value).reduce((n: number, v) => n + weight(v), 0)
  return 1
}

/**
 * Simpler variants of a value, most aggressive first: the reference value (a local state's initial
 * one), then part by part a lighter value that `donors` (reachable values of the same role or tag)
 * have at the same place — so that a shrunk state keeps to values the protocol produces.
 */
const simplerValues = (value: unknown, reference: unknown, donorsAt: (path: Path) => ReadonlyArray<unknown>): Array<unknown> => {
  const out: Array<unknown> = []
  if (reference !== undefined && JSON.stringify(reference) !== JSON.stringify(value)) out.push(reference)
  for (const path of pathsOf(value)) {
    const w = weight(getAt(value, path))
    for (const v of donorsAt(path)) if (weight(v) < w) out.push(setAt(value, path, v))
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Counterexamples as states of a topology that shrinking may make smaller.

interface Candidate {
  readonly nodes: Nodes
  readonly state: Statelet
  readonly action: Step.Action
}

const nodeCount = (nodes: Nodes) => Object.values(nodes).reduce((n, ids) => n + ids.length, 0)

/** The message an action is about, if any. */
const messageOf = (action: Step.Action): number | undefined => ("msgId" in action ? action.msgId : undefined)

/** The nodes an action needs: its actor, and the ends of its message. */
const involved = (state: Statelet, action: Step.Action): ReadonlySet<string> => {
  if (action.kind === "send") return new Set([action.node, action.to])
  if (action.kind === "crash" || action.kind === "restart") return new Set([action.node])
  const m = state.soup[action.msgId]!
  return new Set([m.from, m.to])
}

/** The soup without the messages `drop` selects, ids made dense again, and the action's message id moved with it. */
const withoutMessages = (c: Candidate, drop: (m: Statelet["soup"][number]) => boolean): Candidate => {
  const kept = c.state.soup.filter((m) => !drop(m))
  const soup = kept.map((m, id) => ({ ...m, id }))
  const at = messageOf(c.action)
  const action = at === undefined ? c.action : { ...c.action, msgId: kept.indexOf(c.state.soup[at]!) }
  return { nodes: c.nodes, state: { ...c.state, soup }, action: action as Step.Action }
}

const withoutNode = (c: Candidate, role: string, node: string): Candidate => {
  const locals = { ...(c.state.locals as Record<string, Record<string, unknown>>) }
  const { [node]: _, ...rest } = locals[role]!
  locals[role] = rest
  const nodes = { ...c.nodes, [role]: c.nodes[role]!.filter((n) => n !== node) }
  const smaller = withoutMessages(c, (m) => m.from === node || m.to === node)
  return { nodes, state: { locals: locals as any, soup: smaller.state.soup, crashed: c.state.crashed.filter((n) => n !== node) }, action: smaller.action }
}

const withLocal = (c: Candidate, role: string, node: string, local: unknown): Candidate => {
  const locals = c.state.locals as Record<string, Record<string, unknown>>
  return { ...c, state: { ...c.state, locals: { ...locals, [role]: { ...locals[role], [node]: local } } as any } }
}

const withPayload = (c: Candidate, id: number, payload: unknown): Candidate => ({
  ...c,
  state: { ...c.state, soup: c.state.soup.map((m) => (m.id === id ? { ...m, payload } : m)) as any }
})

/** (nodes, messages, weight of what differs from the initial state): what shrinking decreases, in that order. */
const measure = (c: Candidate, initialOf: (node: string, role: string) => unknown): readonly [number, number, number] => {
  let w = 0
  for (const [role, ids] of Object.entries(c.nodes)) {
    for (const node of ids) {
      const local = (c.state.locals as any)[role][node]
      if (JSON.stringify(local) !== JSON.stringify(initialOf(node, role))) w += weight(local)
    }
  }
  for (const m of c.state.soup) w += weight(m.payload) + (m.active ? 1 : 0)
  return [nodeCount(c.nodes), c.state.soup.length, w]
}

const smaller = (a: readonly [number, number, number], b: readonly [number, number, number]) =>
  a[0] !== b[0] ? a[0] < b[0] : a[1] !== b[1] ? a[1] < b[1] : a[2] < b[2]

/**
 * Searches for counterexamples to the induction of `invariant`: an invariant layer of the model's
 * protocol (added with `withInvariant`, or `coherence`) or an `always` property of its system.
 * Throws `ModelError` for a name that is neither.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * // oneHolder holds on every reachable state but is not inductive: alone it allows a holder and a token in flight.
 * const report = searchCounterexample(TokenRing.model(), "oneHolder", { walks: 20, candidates: 200 })
 * report.broken.map((c) => c.obligation) // => ["oneHolder_preserved_by_take"]
 * report.broken[0]!.state.soup.length // => 1
 */
export const searchCounterexample = (model: Model, invariant: string, options: InductionOptions = {}): InductionReport => {
  const { protocol, topology } = model.system
  const target = predicateOf(model, invariant)
  if (target === undefined) {
    throw new Successors.ModelError(
      `protocol "${protocol.label}" has no invariant "${invariant}" (its layers and always properties: ${invariantNames(model).join(", ") || "none"})`
    )
  }
  const hypothesis = hypothesisOf(model, invariant, options.assume ?? [])
  const predicates = hypothesis.map((name) => {
    const p = predicateOf(model, name)
    if (p === undefined) {
      throw new Successors.ModelError(`cannot assume "${name}": protocol "${protocol.label}" has no such invariant (it has: ${invariantNames(model).join(", ")})`)
    }
    return p
  })
  const nodes = topology.nodes as Nodes
  const holds = (s: Statelet, on: Nodes) => predicates.every((p) => p(s, on))
  const expander = Successors.make(model)
  const semantics = expander.semantics
  const seed = options.seed ?? 1
  const prng = Prng.make(seed)
  const initially = target(semantics.initial, nodes)
  const budget = options.states ?? 5000
  const walks = options.walks ?? 200
  const depth = options.depth ?? 40
  const candidates = options.candidates ?? 3000
  const key = (v: unknown) => JSON.stringify(v)
  // In `active` soup mode the model forgets consumed messages and treats the soup as a multiset, as
  // the checker does; without this a protocol that never stops grows every state by its history.
  const canonical = (s: Statelet): Statelet => {
    if (model.soup !== "active") return s
    const active = s.soup.filter((m) => m.active).map((m) => ({ m, k: key([m.tag, m.from, m.to, m.payload]) }))
    active.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    return { ...s, soup: active.map(({ m }, id) => ({ ...m, id })) }
  }

  // Reachable states: breadth-first within the budget, then random walks past the frontier.
  const initialState = canonical(semantics.initial)
  const reachable = new Map<string, Statelet>([[key(initialState), initialState]])
  let frontier: Array<Statelet> = [initialState]
  while (frontier.length > 0 && reachable.size < budget) {
    const next: Array<Statelet> = []
    for (const s of frontier) {
      for (const x of expander.successors(s)) {
        const state = canonical(x.next)
        const k = key(state)
        if (reachable.has(k) || reachable.size >= budget) continue
        reachable.set(k, state)
        next.push(state)
      }
      if (reachable.size >= budget) break
    }
    frontier = next
  }
  const exhausted = frontier.length === 0
  // The walks start at the breadth-first search's deepest level, to reach what it did not.
  for (let walk = 0; walk < walks && !exhausted; walk++) {
    let s = prng.pick(frontier)
    for (let d = 0; d < depth; d++) {
      const next = expander.successors(s)
      if (next.length === 0) break
      s = canonical(prng.pick(next).next)
      if (!reachable.has(key(s))) reachable.set(key(s), s)
    }
  }
  const pool = [...reachable.values()]

  // The parts: each node's local states, each role's, and the messages sent, all distinct.
  const byNode = new Map<string, Map<string, unknown>>(topology.all.map((n) => [n, new Map()]))
  const byRole = new Map<string, Map<string, unknown>>(Object.keys(protocol.roles).map((r) => [r, new Map()]))
  const byTag = new Map<string, Map<string, unknown>>()
  const messages = new Map<string, { tag: string; from: string; to: string; payload: unknown }>()
  for (const s of pool) {
    for (const node of topology.all) {
      const local = semantics.local(s, node)
      const k = key(local)
      byNode.get(node)!.set(k, local)
      byRole.get(topology.roleOf.get(node)!)!.set(k, local)
    }
    for (const m of s.soup) {
      const message = { tag: m.tag, from: m.from, to: m.to, payload: m.payload }
      messages.set(key(message), message)
      if (!byTag.has(m.tag)) byTag.set(m.tag, new Map())
      byTag.get(m.tag)!.set(key(m.payload), m.payload)
    }
  }
  const values = <A>(m: Map<string, A>) => [...m.values()]
  const nodeLocals = new Map([...byNode].map(([n, m]) => [n, values(m)]))
  const roleLocals = new Map([...byRole].map(([r, m]) => [r, values(m)]))
  /**
   * The reachable local states a node's may be drawn from or mixed with: its role's, unless the
   * node starts in a state of its own (a world's nodes play different roles of its protocols under
   * one composed role), then only its own.
   */
  const peersOf = (node: string, role: string): ReadonlyArray<unknown> => (topology.initial.has(node) ? nodeLocals.get(node)! : roleLocals.get(role)!)
  const tagPayloads = new Map([...byTag].map(([t, m]) => [t, values(m)]))
  const sent = values(messages)

  /**
   * A value with one part replaced — by the same part of a donor (another reachable value of the
   * role or tag), or an array with an element dropped or repeated — if that stays in its schema.
   * No value is invented: every leaf of the mutant is a leaf of a reachable value.
   */
  const mutate = (value: unknown, donors: ReadonlyArray<unknown>, valid: (v: unknown) => boolean): unknown => {
    const paths = pathsOf(value)
    if (paths.length === 0) return value
    const path = prng.pick(paths)
    const here = getAt(value, path)
    const options: Array<unknown> = []
    const there = donors.length === 0 ? undefined : getAt(prng.pick(donors), path)
    if (there !== undefined) options.push(there)
    if (Array.isArray(here) && here.length > 0) {
      const i = prng.int(here.length)
      options.push(
        here.filter((_, j) => j !== i),
        [...here, here[i]]
      )
    }
    if (options.length === 0) return value
    const mutant = setAt(value, path, prng.pick(options))
    return valid(mutant) ? mutant : value
  }

  const initialOf = (node: string, role: string): unknown => topology.initial.get(node) ?? protocol.roles[role]!.initial
  const localOf = (state: Statelet, role: string, node: string): unknown => (state.locals as any)[role][node]

  /** For each sent message, the local states of its receiver (its own, or its role's) that accept it. */
  const acceptors = new Map<string, ReadonlyArray<unknown>>()
  const acceptorsOf = (m: (typeof sent)[number]): ReadonlyArray<unknown> => {
    const k = key(m)
    let locals = acceptors.get(k)
    if (locals === undefined) {
      const role = topology.roleOf.get(m.to)!
      const all = new Map([...peersOf(m.to, role), ...nodeLocals.get(m.to)!].map((local) => [key(local), local]))
      locals = [...all.values()].filter((local) => Step.canReceive(semantics, m.to, local, m.from, m.tag, m.payload))
      acceptors.set(k, locals)
    }
    return locals
  }

  /**
   * A candidate: each node's local state from a reachable base state, from another reachable state
   * (its own or its role's) or its initial one, sometimes mutated; a soup from the base or another
   * state, with messages added. A third of the candidates are aimed at one step: a sent message
   * is put in the soup and its receiver given a local state that accepts it.
   */
  const candidate = (): Statelet => {
    const base = prng.pick(pool)
    const aimed = sent.length > 0 && prng.chance(0.35) ? prng.pick(sent) : undefined
    const acceptors = aimed === undefined ? [] : acceptorsOf(aimed)
    const locals: Record<string, Record<string, unknown>> = {}
    for (const role of Object.keys(protocol.roles)) locals[role] = {}
    for (const node of topology.all) {
      const role = topology.roleOf.get(node)!
      if (aimed !== undefined && node === aimed.to && acceptors.length > 0) {
        locals[role]![node] = prng.pick(acceptors)
        continue
      }
      const draw = prng.float()
      let local =
        draw < 0.5
          ? semantics.local(base, node)
          : draw < 0.8
            ? prng.pick(nodeLocals.get(node)!)
            : draw < 0.9
              ? prng.pick(peersOf(node, role))
              : initialOf(node, role)
      if (prng.chance(0.15)) local = mutate(local, peersOf(node, role), protocol.roles[role]!.isState)
      locals[role]![node] = local
    }
    /** A sent message its receiver accepts in its local state here, if there is one. */
    const receivable = () => {
      const options = sent.filter(
        (m) => !base.crashed.includes(m.to) && Step.canReceive(semantics, m.to, locals[topology.roleOf.get(m.to)!]![m.to], m.from, m.tag, m.payload)
      )
      return options.length === 0 ? [] : [{ ...prng.pick(options), active: true }]
    }
    const draw = sent.length === 0 ? prng.float() * 0.45 : prng.float()
    let soup: Array<{ tag: string; from: string; to: string; payload: unknown; active: boolean }> =
      aimed !== undefined
        ? [...(draw < 0.7 ? base : prng.pick(pool)).soup, { ...aimed, active: true }]
        : draw < 0.3
          ? [...base.soup]
          : draw < 0.45
            ? [...prng.pick(pool).soup]
            : draw < 0.65
              ? [...base.soup, ...receivable()]
              : draw < 0.8
                ? [...base.soup, ...Array.from({ length: 1 + prng.int(2) }, () => ({ ...prng.pick(sent), active: true }))]
                : [...receivable(), ...Array.from({ length: prng.int(4) }, () => ({ ...prng.pick(sent), active: prng.chance(0.75) }))]
    if (soup.length > 0 && prng.chance(0.15)) {
      const i = prng.int(soup.length)
      const m = soup[i]!
      soup = soup.map((x, j) => (j === i ? { ...x, payload: mutate(m.payload, tagPayloads.get(m.tag) ?? [], protocol.messages[m.tag]!.isPayload) } : x))
    }
    return {
      locals: locals as any,
      soup: soup.map((m, id) => ({ id, tag: m.tag, from: m.from, to: m.to, payload: m.payload, active: m.active })) as any,
      crashed: base.crashed
    }
  }

  // The model on fewer nodes: candidates repaired, and counterexamples shrunk, by removing nodes.
  const views = new Map<string, Successors.Expander>([[key(nodes), expander]])
  const viewOf = (on: Nodes): Successors.Expander => {
    const k = key(on)
    let view = views.get(k)
    if (view === undefined) {
      const kept = new Set(Object.values(on).flat())
      const initial = Object.fromEntries([...topology.initial].filter(([n]) => kept.has(n)))
      const smaller = Topology.make(protocol, on as any, initial)
      view = Successors.make({ ...model, system: { ...model.system, topology: smaller } })
      views.set(k, view)
    }
    return view
  }

  /** Up to `kept` counterexamples per obligation, in the order found: shrinking each and keeping the smallest escapes a shrink that stops early. */
  const kept = 8
  const found = new Map<string, { readonly transition: string; readonly candidates: Array<Candidate> }>()
  const seen = new Set<string>()
  let tried = 0
  const tryState = (on: Nodes, s: Statelet): boolean => {
    const k = key([on, s])
    if (seen.has(k)) return false
    seen.add(k)
    if (on === nodes) return expand(on, s)
    try {
      return expand(on, s)
    } catch {
      // On fewer nodes, a predicate that reads a removed node (a world's properties read the
      // world's own placement) cannot judge the state: it is no candidate.
      return false
    }
  }
  const expand = (on: Nodes, s: Statelet): boolean => {
    if (!holds(s, on)) return false
    const view = viewOf(on)
    const broken: Array<{ readonly transition: string; readonly action: Step.Action }> = []
    for (const x of view.successors(s)) {
      if (target(x.next, on)) continue
      const outcome = Step.step(view.semantics, s, x.action)
      broken.push({ transition: (outcome._tag === "Stepped" ? outcome.transition : undefined) ?? x.action.kind, action: x.action })
    }
    tried++
    for (const { transition, action } of broken) {
      const obligation = `${invariant}_preserved_by_${transition}`
      const entry = found.get(obligation) ?? { transition, candidates: [] }
      found.set(obligation, entry)
      if (entry.candidates.length < kept) entry.candidates.push({ nodes: on, state: s, action })
    }
    return true
  }
  /**
   * A candidate that fails the hypothesis is often one part away from a state that satisfies it
   * (one node's log from another run): its variants with one node reset to its initial state or
   * removed, or one message removed, are tried instead, up to two that satisfy the hypothesis.
   */
  const repair = (s: Statelet) => {
    const moves: Array<() => Candidate> = []
    const whole: Candidate = { nodes, state: s, action: { kind: "crash", node: "" } }
    for (const [role, ids] of Object.entries(nodes)) {
      for (const node of ids) {
        moves.push(() => withLocal(whole, role, node, initialOf(node, role)))
        if (ids.length > 1) moves.push(() => withoutNode(whole, role, node))
      }
    }
    for (const m of s.soup) moves.push(() => withoutMessages(whole, (x) => x.id === m.id))
    let repaired = 0
    while (moves.length > 0 && repaired < 2) {
      const move = moves.splice(prng.int(moves.length), 1)[0]!()
      if (tryState(move.nodes, move.state)) repaired++
    }
  }
  for (const s of pool) tryState(nodes, s)
  for (let k = 0; k < candidates; k++) {
    const s = candidate()
    if (!tryState(nodes, s) && !seen.has(key([nodes, s, "repaired"]))) {
      seen.add(key([nodes, s, "repaired"]))
      repair(s)
    }
  }

  // Shrinking.
  /** The distinct values reachable values of a role (or a tag's payloads) have at a place, lightest first. */
  const donorIndex = new Map<string, ReadonlyArray<unknown>>()
  const donorsAt = (owner: string, donors: ReadonlyArray<unknown>, path: Path): ReadonlyArray<unknown> => {
    const k = key([owner, path])
    let values = donorIndex.get(k)
    if (values === undefined) {
      const distinct = new Map<string, unknown>()
      for (const d of donors) {
        const v = getAt(d, path)
        if (v !== undefined) distinct.set(key(v), v)
      }
      values = [...distinct.values()].sort((x, y) => weight(x) - weight(y))
      donorIndex.set(k, values)
    }
    return values
  }
  const confirms = (c: Candidate, transition: string): boolean => {
    try {
      if (!holds(c.state, c.nodes)) return false
      const outcome = Step.step(viewOf(c.nodes).semantics, c.state, c.action)
      if (outcome._tag !== "Stepped" || (outcome.transition ?? c.action.kind) !== transition) return false
      return !target(outcome.statelet, c.nodes)
    } catch {
      // A predicate that cannot read a smaller state (it names a removed node) does not confirm it.
      return false
    }
  }
  const shrink = (start: Candidate, transition: string): { readonly candidate: Candidate; readonly steps: number } => {
    let current = start
    let steps = 0
    const variants = function* (c: Candidate): Generator<Candidate> {
      const needed = involved(c.state, c.action)
      for (const [role, ids] of Object.entries(c.nodes)) {
        if (ids.length <= 1) continue
        for (const node of ids) if (!needed.has(node)) yield withoutNode(c, role, node)
      }
      const own = messageOf(c.action)
      for (const m of c.state.soup) if (m.id !== own) yield withoutMessages(c, (x) => x.id === m.id)
      for (const [role, ids] of Object.entries(c.nodes)) {
        const isState = protocol.roles[role]!.isState
        for (const node of ids) {
          for (const v of simplerValues(localOf(c.state, role, node), initialOf(node, role), (path) => donorsAt(topology.initial.has(node) ? `node ${node}` : `role ${role}`, peersOf(node, role), path))) {
            if (isState(v)) yield withLocal(c, role, node, v)
          }
        }
      }
      for (const m of c.state.soup) {
        const isPayload = protocol.messages[m.tag]!.isPayload
        for (const v of simplerValues(m.payload, undefined, (path) => donorsAt(`msg ${m.tag}`, tagPayloads.get(m.tag) ?? [], path))) {
          if (isPayload(v)) yield withPayload(c, m.id, v)
        }
      }
    }
    for (let progress = true; progress; ) {
      progress = false
      const size = measure(current, initialOf)
      for (const v of variants(current)) {
        if (smaller(measure(v, initialOf), size) && confirms(v, transition)) {
          current = v
          steps++
          progress = true
          break
        }
      }
    }
    return { candidate: current, steps }
  }

  const broken: Array<Counterexample> = []
  for (const [obligation, { transition, candidates: starts }] of found) {
    const shrunk = starts.map((start) => ({ start, ...shrink(start, transition) }))
    const { start, candidate: c, steps } = shrunk.reduce((best, x) => (smaller(measure(x.candidate, initialOf), measure(best.candidate, initialOf)) ? x : best))
    const outcome = Step.step(viewOf(c.nodes).semantics, c.state, c.action)
    if (outcome._tag !== "Stepped") throw new Error(`induction search: the shrunk counterexample of ${obligation} no longer steps`)
    broken.push({
      obligation,
      transition,
      invariant,
      hypothesis,
      nodes: c.nodes,
      state: c.state,
      action: c.action,
      next: outcome.statelet,
      found: { nodes: nodeCount(start.nodes), messages: start.state.soup.length },
      shrinkSteps: steps
    })
  }
  const order = obligationsOf(model, invariant)
  const rank = (c: Counterexample) => (order.includes(c.obligation) ? order.indexOf(c.obligation) : order.length)
  broken.sort((x, y) => rank(x) - rank(y))
  return {
    invariant,
    hypothesis,
    initially,
    initial: semantics.initial,
    nodes,
    broken,
    tried,
    search: {
      seed,
      states: budget,
      exhausted,
      walks: exhausted ? 0 : walks,
      depth,
      candidates,
      reachable: pool.length,
      localStates: [...byNode.values()].reduce((n, m) => n + m.size, 0),
      messages: sent.length
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Text, in the simulator's trace format (`simulator/Report.ts`).

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`

/**
 * A whole state, one line per node (`node: local state`, as a simulator trace first shows a node)
 * and one per message of the soup (`msg 0  c → p1  commit {era:0}  active`).
 *
 * @example
 * formatState({ locals: { client: { c1: { pending: [] } }, server: { s1: { pending: [] } } }, soup: [{ id: 0, tag: "req", from: "c1", to: "s1", payload: { args: [1, 2] }, active: true }], crashed: [] }, { client: ["c1"], server: ["s1"] })
 * // => ["c1: {pending:[]}", "s1: {pending:[]}", "msg 0  c1 → s1  req {args:[1,2]}  active"]
 */
export const formatState = (state: Statelet, nodes: Nodes): Array<string> => [
  ...Object.entries(nodes).flatMap(([role, ids]) =>
    ids.map((n) => `${n}: ${compact((state.locals as any)[role][n], Number.POSITIVE_INFINITY)}${state.crashed.includes(n) ? "  (down)" : ""}`)
  ),
  ...(state.soup.length === 0
    ? ["soup: empty"]
    : state.soup.map((m) => `msg ${m.id}  ${m.from} → ${m.to}  ${m.tag} ${compact(m.payload)}  ${m.active ? "active" : "consumed"}`))
]

/** A step as a simulator trace shows it (`p1 ← c  commit {era:0}  [receiveCommit]  msg 0`), and the acting node's change. */
const formatStep = (c: Counterexample): Array<string> => {
  const { action, state, next, transition } = c
  const local = (s: Statelet, node: string) => Object.values(s.locals as Record<string, Record<string, unknown>>).find((r) => Object.hasOwn(r, node))?.[node]
  const change = (node: string) => {
    const text = localChange(local(state, node), local(next, node))
    return text.length === 0 ? [] : [`  ${node}: ${text}`]
  }
  switch (action.kind) {
    case "send":
      return [
        `${action.node} → ${action.to}  ${action.tag} ${compact(action.payload)}  [${transition}]  msg ${state.soup.length}`,
        ...change(action.node)
      ]
    case "receive": {
      const m = state.soup[action.msgId]!
      return [`${m.to} ← ${m.from}  ${m.tag} ${compact(m.payload)}  [${transition}]  msg ${m.id}`, ...change(m.to)]
    }
    case "drop":
    case "duplicate": {
      const m = state.soup[action.msgId]!
      const what = `(${m.from} → ${m.to}  ${m.tag} ${compact(m.payload)})`
      return [action.kind === "drop" ? `network drops msg ${m.id} ${what}` : `network duplicates msg ${m.id} as msg ${state.soup.length} ${what}`]
    }
    case "crash":
      return [`${action.node} CRASHES`]
    case "restart":
      return [`${action.node} restarts`, ...change(action.node)]
  }
}

/**
 * A counterexample to induction as plain text: the obligation, the nodes, the whole state (every
 * local state and the soup), the step and what it changed, in the simulator's trace format.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * const [cti] = searchCounterexample(TokenRing.model(), "oneHolder", { walks: 20, candidates: 200 }).broken
 * formatCounterexample(cti!).split("\n").slice(3, 6)
 * // => ["  m1: {holding:true,visited:false}", "  m2: {holding:false,visited:false}", "  msg 0  m1 → m2  token {}  active"]
 */
export const formatCounterexample = (c: Counterexample): string => {
  const shrunk =
    c.found.nodes === nodeCount(c.nodes) && c.found.messages === c.state.soup.length
      ? `as found; shrinking made ${plural(c.shrinkSteps, "value")} simpler`
      : `shrunk from ${plural(c.found.nodes, "node")} and ${plural(c.found.messages, "message")} in ${plural(c.shrinkSteps, "step")}`
  return [
    `${c.obligation}: ${c.transition} breaks ${c.invariant} from this state (${plural(nodeCount(c.nodes), "node")}, ${plural(c.state.soup.length, "message")}; ${shrunk})`,
    `nodes: ${Object.entries(c.nodes).map(([role, ids]) => `${role} ${ids.join(", ")}`).join("; ")}`,
    `state (satisfies ${c.hypothesis.join(" ∧ ")}):`,
    ...formatState(c.state, c.nodes).map((l) => `  ${l}`),
    `step: ${formatStep(c)[0]}`,
    ...formatStep(c).slice(1).map((l) => `  ${l}`),
    `after the step ${c.invariant} is false`
  ].join("\n")
}

/** What the search looked at, in one sentence. */
export const formatSearch = (report: InductionReport): string => {
  const s = report.search
  const reached = s.exhausted
    ? `every reachable state (${plural(s.reachable, "state")}; the breadth-first search exhausted the model within its budget of ${plural(s.states, "state")})`
    : `${plural(s.reachable, "reachable state")} (a breadth-first search of ${plural(s.states, "state")}, then ${plural(s.walks, "random walk")} of up to ${plural(s.depth, "step")})`
  return `randomized search, seed ${s.seed}: parts from ${reached}: ${plural(s.localStates, "local state")} of nodes, ${plural(s.messages, "message")}; ${plural(s.candidates, "candidate")} recombined and mutated from them; ${plural(report.tried, "distinct state")} satisfied ${report.hypothesis.join(" ∧ ")}`
}

/**
 * The text to attach to one obligation of the report's invariant (`I_init` or
 * `I_preserved_by_<transition>`): its shrunk counterexample, the initial state when it violates
 * the invariant, or what was searched without finding one — never a claim that it holds.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * const report = searchCounterexample(TokenRing.model(), "oneHolder", { walks: 20, candidates: 200 })
 * obligationText(report, "oneHolder_preserved_by_pass").split("\n")[0].replace(/[\d,]+ candidate/, "N candidate")
 * // => "oneHolder_preserved_by_pass: no counterexample found within N candidate states (seed 1); the search is randomized, so this is not a proof"
 */
export const obligationText = (report: InductionReport, obligation: string): string => {
  if (obligation === `${report.invariant}_init`) {
    return report.initially
      ? `${obligation}: the model's initial state satisfies ${report.invariant} (on its nodes only: ${Object.entries(report.nodes).map(([r, ids]) => `${r} ${ids.join(", ")}`).join("; ")})`
      : [`${obligation}: the initial state violates ${report.invariant}:`, ...formatState(report.initial, report.nodes).map((l) => `  ${l}`)].join("\n")
  }
  const c = report.broken.find((x) => x.obligation === obligation)
  if (c !== undefined) return formatCounterexample(c)
  return [
    `${obligation}: no counterexample found within ${plural(report.tried, "candidate state")} (seed ${report.search.seed}); the search is randomized, so this is not a proof`,
    formatSearch(report)
  ].join("\n")
}
