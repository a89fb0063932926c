/**
 * Liveness checking: `eventually` and `leadsTo` properties (`core/Property.ts`) decided on the
 * reachable state graph under the model's fairness (`core/Model.ts` `Fairness`), with violations
 * reported as lassos — a stem from the initial state and a cycle that repeats forever.
 *
 * The method (see `docs/liveness.md` for the argument):
 * - an exploration of its own, breadth-first on one thread, that stores every edge and labels it
 *   with its fairness constraint (a send, a receive of a message, a restart of a node) or as a fault
 *   step (drop, duplicate, crash). It never uses symmetry reduction: a liveness property need not be
 *   symmetric, and a cycle among representatives need not be a cycle of the system, so the graph is
 *   the unreduced one;
 * - per property, the product of the graph with a one-bit monitor, "pending": set by a state
 *   satisfying the trigger (`leadsTo`'s `p`; for `eventually`, the initial state), cleared by one
 *   satisfying the goal (`q`). A run violates the property exactly when it is pending forever;
 * - the strongly connected components (Tarjan's algorithm, iterative) of the pending part of the
 *   product over non-fault edges, where a state with no non-fault step stutters (a run may end
 *   there). A component is fair when every weakly fair constraint is either taken inside it or
 *   disabled somewhere in it; a strongly fair constraint enabled in it but never taken inside it
 *   makes the states where it is enabled unusable, and the rest is decomposed again (the
 *   Emerson–Lei / Lichtenstein–Pnueli refinement). Fault edges may lie on the stem but never on the
 *   cycle: faults eventually stop.
 *
 * A fair pending component reachable from the initial state is a violation, whatever the bound:
 * every state on the lasso was expanded in full. Without one, the property holds only when the
 * exploration was complete; a bounded one says "not established within the bound".
 *
 * @since 0.1.0
 */
import type { Fairness, Model } from "../core/Model.ts"
import type { Property } from "../core/Property.ts"
import type { Statelet } from "../core/Statelet.ts"
import * as Step from "../core/Step.ts"
import type { TraceStep } from "./Checker.ts"
import { CollapsedSpace } from "./Collapse.ts"

/** How far to explore. */
export interface LivenessOptions {
  /** Override the model's bound on distinct states. */
  readonly maxStates?: number
  /** Override the model's bound on depth. */
  readonly maxDepth?: number
  /** Polled during the exploration; when it returns true the exploration stops. */
  readonly interrupted?: () => boolean
}

/** A run that violates a liveness property: `stem` from the initial state, then `cycle` forever. */
export interface Lasso {
  readonly initial: Statelet
  readonly stem: ReadonlyArray<TraceStep>
  /**
   * One turn of the cycle, starting from the stem's last state and returning to it (in the
   * explored graph: the concrete soup may have grown by the consumed messages it keeps). Empty when
   * the run stops there (`stutters`): no send, receive or restart is enabled in that state.
   */
  readonly cycle: ReadonlyArray<TraceStep>
  readonly stutters: boolean
}

/**
 * The verdict on one liveness property: `holds` over every fair run (a complete exploration only),
 * `violated` with a lasso, `not established within the bound` (the exploration was cut by a bound
 * and found no violation among the states it expanded), `not established` (interrupted).
 */
export interface LivenessResult {
  readonly name: string
  readonly kind: "eventually" | "leadsTo"
  readonly status: "holds" | "violated" | "not established within the bound" | "not established"
  readonly lasso: Lasso | undefined
}

/** The liveness checker's answer. */
export interface LivenessReport {
  /** Distinct states of the unreduced graph explored, and edges stored. */
  readonly states: number
  readonly edges: number
  /** Undefined when every reachable state was expanded. */
  readonly incomplete: "max-states" | "max-depth" | "interrupted" | undefined
  /** The fairness assumed, in words. */
  readonly fairness: string
  /** How symmetry was handled, in words. */
  readonly symmetry: string
  readonly properties: ReadonlyArray<LivenessResult>
  readonly elapsedMs: number
}

/** An edge's label: a fairness constraint's index, or one of these. */
const FAULT = -1
const STUTTER = -2

/**
 * The fairness a model assumes, in words, for reports.
 *
 * @example
 * describeFairness({ system: undefined as never, faults: { drop: true, duplicate: false, crash: false, restart: false } })
 * // => "weak fairness of every send and every receive; faults (drop) happen finitely often"
 */
export const describeFairness = (model: Model): string => {
  const fairness: Fairness = model.fairness ?? {}
  const faults = model.faults
  const steps = faults?.restart === true ? "every send, every receive and every restart" : "every send and every receive"
  const weak = fairness.weak === "none" ? "no weak fairness (any infinite run; a run stops only where nothing is enabled)" : `weak fairness of ${steps}`
  const strong = (fairness.strong ?? []).length > 0 ? `; strong fairness of the sends and receives of ${fairness.strong!.join(", ")}` : ""
  const kinds = faults === undefined ? [] : (["drop", "duplicate", "crash"] as const).filter((k) => faults[k])
  const finite = kinds.length > 0 ? `; faults (${kinds.join(", ")}) happen finitely often` : ""
  return `${weak}${strong}${finite}`
}

/**
 * Checks every liveness property of a model on its unreduced state graph.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * import * as Property from "../core/Property.ts"
 * const base = TokenRing.model({ members: 3 })
 * const visits = Property.eventually(TokenRing.protocol, "m3Visited", (s) => s.locals.member.m3!.visited)
 * const model = { ...base, system: { ...base.system, properties: [visits] } }
 * checkLiveness(model).properties[0]!.status // => "holds"
 */
export const checkLiveness = (model: Model, options: LivenessOptions = {}): LivenessReport => {
  const started = performance.now()
  const properties = model.system.properties.filter((p: Property) => p.kind === "eventually" || p.kind === "leadsTo")
  const graph = explore(model, properties, options)
  const results = properties.map((p, i) => decide(model, graph, p, i))
  const symmetric = (model.symmetric ?? []).length > 0
  return {
    states: graph.vectors.length,
    edges: graph.targets.length,
    incomplete: graph.incomplete,
    fairness: describeFairness(model),
    symmetry: symmetric
      ? "not used: liveness explores the unreduced state graph (a property need not be symmetric, and a cycle of representatives need not be one of the system)"
      : "none declared",
    properties: results,
    elapsedMs: performance.now() - started
  }
}

/** The explored graph, with its edges in compressed rows and the properties' predicates per state. */
interface Graph {
  readonly space: CollapsedSpace
  readonly vectors: Array<Int32Array>
  /** Per state: whether its edges are all known (it was expanded in full). */
  readonly expanded: Array<boolean>
  /** Edges of state s: `first[s]` to `first[s + 1]` (states never expanded have none). */
  readonly first: Array<number>
  readonly targets: Array<number>
  /** Per edge: its fairness constraint, `FAULT` or `STUTTER`. */
  readonly labels: Array<number>
  /** Per constraint: whether it is strongly fair (else weakly, or not at all under `weak: "none"`). */
  readonly strong: Array<boolean>
  /** Per property, per state: the goal and (leadsTo) the trigger. */
  readonly goal: Array<Array<boolean>>
  readonly trigger: Array<Array<boolean>>
  readonly incomplete: LivenessReport["incomplete"]
}

const explore = (model: Model, properties: ReadonlyArray<Property>, options: LivenessOptions): Graph => {
  const space = new CollapsedSpace(model, false)
  const nodes = model.system.topology.nodes
  const maxStates = options.maxStates ?? model.maxStates ?? Number.POSITIVE_INFINITY
  const maxDepth = options.maxDepth ?? model.maxDepth ?? Number.POSITIVE_INFINITY
  const strongTags = new Set(model.fairness?.strong ?? [])
  const restartFair = model.faults?.restart === true
  const ids = new Map<string, number>()
  const vectors: Array<Int32Array> = []
  const fingerprints: Array<readonly [number, number]> = []
  const depths: Array<number> = []
  const expanded: Array<boolean> = []
  const first: Array<number> = []
  const targets: Array<number> = []
  const labels: Array<number> = []
  const constraints = new Map<string, number>()
  const strong: Array<boolean> = []
  const goal = properties.map(() => [] as Array<boolean>)
  const trigger = properties.map(() => [] as Array<boolean>)
  const payloadKeys = new Map<unknown, string>()
  const payloadKey = (payload: unknown): string => {
    let key = payloadKeys.get(payload)
    if (key === undefined) payloadKeys.set(payload, (key = JSON.stringify(payload)))
    return key
  }
  const constraint = (key: string, tag: string | undefined): number => {
    let c = constraints.get(key)
    if (c === undefined) {
      constraints.set(key, (c = strong.length))
      strong.push(tag !== undefined && strongTags.has(tag))
    }
    return c
  }
  let incomplete: LivenessReport["incomplete"]
  const discover = (v: Int32Array, hi: number, lo: number, depth: number): number => {
    const id = vectors.length
    ids.set(`${hi},${lo}`, id)
    vectors.push(v)
    fingerprints.push([hi, lo])
    depths.push(depth)
    expanded.push(false)
    const view = space.view(v)
    properties.forEach((p, i) => {
      goal[i]!.push(p.holds(view as never, nodes))
      trigger[i]!.push(p.trigger === undefined ? false : p.trigger(view as never, nodes))
    })
    return id
  }
  const start = space.start()
  discover(start.vector, start.hi, start.lo, 0)
  let next = 0
  for (; next < vectors.length; next++) {
    if (options.interrupted?.() === true) {
      incomplete = "interrupted"
      break
    }
    const v = vectors[next]!
    const [hi, lo] = fingerprints[next]!
    const soup = space.statelet(v).soup
    const found: Array<{ hi: number; lo: number; vector: Int32Array | undefined; label: number }> = []
    let known = true
    space.expand(v, hi, lo, (h, l) => {
      const action = space.action()
      const label =
        action.kind === "send"
          ? constraint(`s ${action.node} ${action.tag} ${action.to} ${payloadKey(action.payload)}`, action.tag)
          : action.kind === "receive"
            ? constraint(`r ${soup[action.msgId]!.to} ${soup[action.msgId]!.tag} ${soup[action.msgId]!.from} ${payloadKey(soup[action.msgId]!.payload)}`, soup[action.msgId]!.tag)
            : action.kind === "restart" && restartFair
              ? constraint(`x ${action.node}`, undefined)
              : FAULT
      const isNew = !ids.has(`${h},${l}`)
      if (isNew) known = false
      const successor = isNew ? space.successor(v) : undefined
      found.push({ hi: h, lo: l, vector: successor?.slice(0, space.size(successor)), label })
    })
    if (depths[next]! >= maxDepth) {
      if (found.length > 0) incomplete ??= "max-depth"
      first.push(targets.length)
      continue
    }
    // Each new successor takes an id; at the bound on states, this state stays unexpanded (and so
    // do the rest), unless all its successors are known already.
    let newCount = 0
    const seen = new Set<string>()
    for (const f of found) if (f.vector !== undefined && !seen.has(`${f.hi},${f.lo}`)) seen.add(`${f.hi},${f.lo}`), newCount++
    if (!known && vectors.length + newCount > maxStates) {
      incomplete = "max-states"
      first.push(targets.length)
      break
    }
    first.push(targets.length)
    let progress = false
    for (const f of found) {
      const key = `${f.hi},${f.lo}`
      const target = ids.get(key) ?? discover(f.vector!, f.hi, f.lo, depths[next]! + 1)
      targets.push(target)
      labels.push(f.label)
      if (f.label !== FAULT) progress = true
    }
    // A run may stop where no send, receive or restart is enabled (only faults, which stop).
    if (!progress) {
      targets.push(next)
      labels.push(STUTTER)
    }
    expanded[next] = true
  }
  for (let s = first.length; s <= vectors.length; s++) first.push(targets.length)
  return { space, vectors, expanded, first, targets, labels, strong, goal, trigger, incomplete }
}

/** Decides one property on the graph: a fair pending component reachable from the start, or none. */
const decide = (model: Model, graph: Graph, property: Property, index: number): LivenessResult => {
  const kind = property.kind as "eventually" | "leadsTo"
  const { first, targets, labels, expanded, vectors } = graph
  const goal = graph.goal[index]!
  const trigger = graph.trigger[index]!
  const n = vectors.length
  // The product with the monitor: node 2s + b, b = pending.
  const pendingAfter = (b: number, s: number): number => ((b === 1 || trigger[s]!) && !goal[s]! ? 1 : 0)
  const start = kind === "eventually" ? (goal[0]! ? 0 : 1) : pendingAfter(0, 0)
  const parentEdge = new Int32Array(2 * n).fill(-1)
  const parentNode = new Int32Array(2 * n).fill(-1)
  const reached = new Uint8Array(2 * n)
  // Breadth-first order of the product's nodes: the lasso enters its cycle at the component's first.
  const order = new Int32Array(2 * n)
  const queue: Array<number> = [start]
  reached[start] = 1
  for (let h = 0; h < queue.length; h++) {
    order[queue[h]!] = h
    const node = queue[h]!
    const s = node >> 1
    const b = node & 1
    for (let e = first[s]!; e < first[s + 1]!; e++) {
      if (labels[e] === STUTTER) continue
      const t = targets[e]!
      const to = 2 * t + pendingAfter(b, t)
      if (reached[to] === 1) continue
      reached[to] = 1
      parentEdge[to] = e
      parentNode[to] = node
      queue.push(to)
    }
  }
  // The pending part: reachable pending product nodes of expanded states (only they have all their edges).
  const members: Array<number> = []
  for (let s = 0; s < n; s++) if (reached[2 * s + 1] === 1 && expanded[s]) members.push(s)
  const inside = (s: number): boolean => reached[2 * s + 1] === 1 && expanded[s]! && !goal[s]!
  const fair = fairComponent(graph, members, inside, model.fairness?.weak !== "none", (s) => order[2 * s + 1]!)
  if (fair === undefined) {
    // An `eventually` whose goal holds initially holds on every run, whatever was explored.
    const certain = graph.incomplete === undefined || (start === 0 && kind === "eventually")
    const status = certain ? "holds" : graph.incomplete === "interrupted" ? "not established" : "not established within the bound"
    return { name: property.name, kind, status, lasso: undefined }
  }
  const stemEdges: Array<number> = []
  for (let node = 2 * fair.entry + 1; parentEdge[node]! >= 0; node = parentNode[node]!) stemEdges.push(parentEdge[node]!)
  stemEdges.reverse()
  return { name: property.name, kind, status: "violated", lasso: lasso(graph, stemEdges, fair.cycle) }
}

/** A fair component's entry state and one turn of a fair cycle through it (edges; empty: it stutters). */
interface FairCycle {
  readonly entry: number
  readonly cycle: ReadonlyArray<number>
}

/**
 * Finds a fair strongly connected component of the subgraph induced by `inside` (over non-fault
 * edges), refining by strong fairness, and a fair cycle through it.
 */
const fairComponent = (
  graph: Graph,
  members: ReadonlyArray<number>,
  inside: (s: number) => boolean,
  weak: boolean,
  rank: (s: number) => number
): FairCycle | undefined => {
  const { first, targets, labels, strong } = graph
  const work: Array<ReadonlyArray<number>> = [members]
  const allowed = new Uint8Array(graph.vectors.length)
  for (const s of members) allowed[s] = 1
  while (work.length > 0) {
    const set = work.pop()!
    for (const component of components(graph, set, (s) => allowed[s] === 1 && inside(s))) {
      const inC = new Set(component)
      const internal = (e: number): boolean => labels[e] !== FAULT && inC.has(targets[e]!)
      let cyclic = component.length > 1
      const taken = new Set<number>()
      const enabledCount = new Map<number, number>()
      for (const s of component) {
        const enabledHere = new Set<number>()
        for (let e = first[s]!; e < first[s + 1]!; e++) {
          const label = labels[e]!
          if (label >= 0) enabledHere.add(label)
          if (internal(e)) {
            if (targets[e] === s) cyclic = true
            if (label >= 0) taken.add(label)
          }
        }
        for (const c of enabledHere) enabledCount.set(c, (enabledCount.get(c) ?? 0) + 1)
      }
      if (!cyclic) continue
      // A strongly fair step enabled here but never taken inside: no fair cycle visits a state where it is enabled.
      const unusable = [...enabledCount.keys()].filter((c) => strong[c]! && !taken.has(c))
      if (unusable.length > 0) {
        const bad = new Set(unusable)
        const rest = component.filter((s) => {
          for (let e = first[s]!; e < first[s + 1]!; e++) if (bad.has(labels[e]!)) return false
          return true
        })
        const kept = new Set(rest)
        for (const s of component) if (!kept.has(s)) allowed[s] = 0
        if (rest.length > 0) work.push(rest)
        continue
      }
      // A weakly fair step enabled in every state and never taken: every cycle here is unfair.
      const starved = weak ? [...enabledCount].filter(([c, count]) => !strong[c]! && count === component.length && !taken.has(c)) : []
      if (starved.length > 0) continue
      const entry = component.reduce((a, b) => (rank(b) < rank(a) ? b : a))
      return { entry, cycle: fairCycle(graph, entry, component, inC, weak) }
    }
  }
  return undefined
}

/**
 * The strongly connected components of the subgraph induced by `set ∩ inside` over non-fault edges:
 * Tarjan's algorithm with an explicit stack (no recursion, whatever the graph's depth).
 */
const components = (graph: Graph, set: ReadonlyArray<number>, inside: (s: number) => boolean): Array<Array<number>> => {
  const { first, targets, labels } = graph
  const index = new Map<number, number>()
  const low = new Map<number, number>()
  const onStack = new Set<number>()
  const stack: Array<number> = []
  const out: Array<Array<number>> = []
  let counter = 0
  for (const root of set) {
    if (index.has(root) || !inside(root)) continue
    // Frames: [state, next edge to look at].
    const frames: Array<[number, number]> = [[root, first[root]!]]
    index.set(root, counter)
    low.set(root, counter++)
    stack.push(root)
    onStack.add(root)
    while (frames.length > 0) {
      const frame = frames[frames.length - 1]!
      const s = frame[0]
      if (frame[1] < first[s + 1]!) {
        const e = frame[1]++
        const t = targets[e]!
        if (labels[e] === FAULT || !inside(t)) continue
        if (!index.has(t)) {
          index.set(t, counter)
          low.set(t, counter++)
          stack.push(t)
          onStack.add(t)
          frames.push([t, first[t]!])
        } else if (onStack.has(t)) low.set(s, Math.min(low.get(s)!, index.get(t)!))
        continue
      }
      frames.pop()
      if (frames.length > 0) {
        const parent = frames[frames.length - 1]![0]
        low.set(parent, Math.min(low.get(parent)!, low.get(s)!))
      }
      if (low.get(s) === index.get(s)) {
        const component: Array<number> = []
        let t: number
        do {
          t = stack.pop()!
          onStack.delete(t)
          component.push(t)
        } while (t !== s)
        out.push(component)
      }
    }
  }
  return out
}

/**
 * A closed walk in a fair component from its entry state that meets every fairness constraint
 * enabled in it: each weakly fair one taken or seen disabled, each strongly fair one taken. It goes
 * from requirement to requirement by shortest paths inside the component, then back.
 */
const fairCycle = (graph: Graph, entry: number, component: ReadonlyArray<number>, inC: ReadonlySet<number>, weak: boolean): ReadonlyArray<number> => {
  const { first, targets, labels, strong } = graph
  const enabledSets = new Map<number, Set<number>>()
  for (const s of component) {
    const out = new Set<number>()
    for (let e = first[s]!; e < first[s + 1]!; e++) if (labels[e]! >= 0) out.add(labels[e]!)
    enabledSets.set(s, out)
  }
  const enabledAt = (s: number): Set<number> => enabledSets.get(s)!
  const internal = (e: number): boolean => labels[e] !== FAULT && inC.has(targets[e]!)
  // Requirements: per constraint, an edge that takes it or (weak only) a state where it is disabled.
  const required = new Set<number>()
  for (const s of component) for (const c of enabledAt(s)) if (strong[c]! || weak) required.add(c)
  const walk: Array<number> = []
  const taken = new Set<number>()
  // A weak constraint is met by a visited state where it is disabled: it is enabled in fewer of the
  // distinct states visited than there are.
  const visited = new Set<number>()
  const enabledVisits = new Map<number, number>()
  const visit = (s: number): void => {
    if (visited.has(s)) return
    visited.add(s)
    for (const c of enabledAt(s)) enabledVisits.set(c, (enabledVisits.get(c) ?? 0) + 1)
  }
  const met = (c: number): boolean => taken.has(c) || (!strong[c]! && (enabledVisits.get(c) ?? 0) < visited.size)
  /** Shortest path inside the component from `from` to the first edge satisfying `goal`, that edge included. */
  const pathTo = (from: number, goal: (e: number) => boolean): Array<number> | undefined => {
    const via = new Map<number, number>([[from, -1]])
    const queue = [from]
    for (let h = 0; h < queue.length; h++) {
      const s = queue[h]!
      for (let e = first[s]!; e < first[s + 1]!; e++) {
        if (!internal(e)) continue
        if (goal(e)) {
          const path = [e]
          for (let x = s; via.get(x)! >= 0; ) {
            const back = via.get(x)!
            path.push(back)
            x = sourceOf(graph, back)
          }
          return path.reverse()
        }
        const t = targets[e]!
        if (!via.has(t)) {
          via.set(t, e)
          queue.push(t)
        }
      }
    }
    return undefined
  }
  let at = entry
  visit(at)
  const follow = (path: ReadonlyArray<number>): void => {
    for (const e of path) {
      walk.push(e)
      if (labels[e]! >= 0) taken.add(labels[e]!)
      at = targets[e]!
      visit(at)
    }
  }
  for (const c of required) {
    if (met(c)) continue
    const path = pathTo(at, (e) => labels[e] === c || (!strong[c]! && !enabledAt(targets[e]!).has(c)))
    if (path === undefined) throw new Error(`internal: no edge meets fairness constraint ${c} inside a fair component`)
    follow(path)
  }
  if (walk.length === 0 || at !== entry) {
    const back = pathTo(at, (e) => targets[e] === entry)
    if (back === undefined) throw new Error("internal: a fair component's walk cannot return to its entry")
    follow(back)
  }
  return walk.length === 1 && labels[walk[0]!] === STUTTER ? [] : walk
}

/** The state an edge leaves (edges are stored in rows by source). */
const sourceOf = (graph: Graph, e: number): number => {
  let lo = 0
  let hi = graph.vectors.length - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (graph.first[mid]! <= e) lo = mid
    else hi = mid - 1
  }
  // Rows are in order and the row of e's source ends after e, so no later row starts at or before e.
  return lo
}

/** The concrete run along stored edges: each edge's step re-found by expanding its source, renamed onto the concrete soup. */
const lasso = (graph: Graph, stem: ReadonlyArray<number>, cycle: ReadonlyArray<number>): Lasso => {
  const { space } = graph
  const semantics = space.semantics
  let concrete: Statelet = semantics.initial
  const take = (e: number): TraceStep | undefined => {
    if (graph.labels[e] === STUTTER) return undefined
    const s = sourceOf(graph, e)
    const v = graph.vectors[s]!
    const position = e - graph.first[s]!
    let action: Step.Action | undefined
    let visits = 0
    space.expand(v, 0, 0, () => {
      if (visits++ === position) action = space.action()
    })
    if (action === undefined) throw new Error(`internal: edge ${e} of state ${s} is not among its steps`)
    const soup = space.statelet(v).soup
    const repMessage = action.kind === "receive" || action.kind === "drop" || action.kind === "duplicate" ? soup[action.msgId] : undefined
    let message: TraceStep["message"]
    let concreteAction: Step.Action = action
    if (action.kind === "send") message = { tag: action.tag, from: action.node, to: action.to, payload: action.payload }
    else if (repMessage !== undefined) {
      message = { tag: repMessage.tag, from: repMessage.from, to: repMessage.to, payload: repMessage.payload }
      const m = message
      const match = concrete.soup.find(
        (x) => x.active && x.tag === m.tag && x.from === m.from && x.to === m.to && JSON.stringify(x.payload) === JSON.stringify(m.payload)
      )
      if (match === undefined) throw new Error(`internal: no concrete message for edge ${e}`)
      concreteAction = { kind: action.kind as "receive", msgId: match.id }
    }
    const outcome = Step.step(semantics, concrete, concreteAction)
    if (outcome._tag !== "Stepped") throw new Error(`internal: the concrete step of edge ${e} is not enabled`)
    concrete = outcome.statelet
    return { action: concreteAction, message, state: concrete }
  }
  const initial = concrete
  const stemSteps = stem.map(take).filter((x): x is TraceStep => x !== undefined)
  const cycleSteps = cycle.map(take).filter((x): x is TraceStep => x !== undefined)
  return { initial, stem: stemSteps, cycle: cycleSteps, stutters: cycle.length === 0 }
}
