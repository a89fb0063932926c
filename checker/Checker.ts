/**
 * The explicit-state model checker: explores every state of a model reachable from its initial
 * state through the kernel's transitions, breadth-first (shortest counterexamples) or depth-first,
 * over the collapsed state space (`checker/Collapse.ts`: states as vectors of interned local states
 * and messages, transitions memoized), storing each state as a 64-bit fingerprint in a table of its
 * own, with the states still to expand kept as their vectors in pages of words. Breadth-first,
 * states are expanded 64 at a time (`checker/ExpansionBatch.ts`), so that the table's cache misses
 * overlap; their successors are added in the same order as one state at a time. With partial-order
 * reduction (`checker/PartialOrder.ts`), the same search adds only the successors by a state's
 * ample set (or, by the cycle proviso, all of them). Traces are rebuilt
 * through the step function itself. It reports, per `always` property, holds or violated with a
 * shortest (BFS) trace; per `sometimes` property, a witness trace or "never reached"; and
 * deadlocks: states with no send or receive enabled that the model does not mark final.
 *
 * A violating state is expanded like any other (as Stateright does): a verdict on one property
 * never depends on which other properties are checked, and "holds" means that no reachable state
 * violates it. The first state found is kept per verdict (the shortest trace, breadth-first). The
 * search goes on until the state space is exhausted, or until every property has its verdict and a
 * deadlock has been found (nothing is left to decide but the number of deadlocks), or, with
 * `stopAtFirstViolation`, until the first violation or deadlock. Breadth-first, it stops only at the
 * end of a level (every state as deep as the one that decided is judged), which makes the verdicts
 * and counts those of the parallel search (`checker/Parallel.ts`). A search that stops before the
 * end, for any reason (a bound, an interruption, a violation), says why (`incomplete`), and the
 * verdicts it did not establish say so too: "holds within bound", "not reached within bound",
 * "not established"; never "holds" or "never reached".
 *
 * @since 0.1.0
 */
import type { Model } from "../core/Model.ts"
import type { Property } from "../core/Property.ts"
import type { Statelet } from "../core/Statelet.ts"
import * as Step from "../core/Step.ts"
import * as Fingerprint from "../core/Fingerprint.ts"
import { CollapsedSpace } from "./Collapse.ts"
import { ExpansionBatch } from "./ExpansionBatch.ts"
import { Frontier } from "./Frontier.ts"
import { Judge } from "./Judge.ts"
import { reduce, Reduction, type PartialOrderReport } from "./PartialOrder.ts"
import * as Successors from "./Successors.ts"
import { renameValue } from "./Symmetry.ts"
import { VisitedTable } from "./VisitedTable.ts"

/** States expanded per batch in a breadth-first search: enough for the table's reads to overlap, few enough to stay in the cache. */
const BATCH = 64

/** How to search. */
export interface CheckOptions {
  readonly strategy?: "bfs" | "dfs"
  /** Override the model's bound on distinct states. */
  readonly maxStates?: number
  /** Override the model's bound on depth. */
  readonly maxDepth?: number
  /** Use the model's symmetric roles (default true when it declares some). */
  readonly symmetry?: boolean
  /** Called about every `progressEvery` ms (default 1000) while the search runs. */
  readonly onProgress?: (progress: CheckProgress) => void
  readonly progressEvery?: number
  /** Polled during the search; when it returns true the search stops and reports what it has. */
  readonly interrupted?: () => boolean
  /**
   * Stop at the first violated `always` property or deadlock (breadth-first, at the end of its
   * level) instead of going on until every property has its verdict; the properties left without
   * one are reported "not established". Default false.
   */
  readonly stopAtFirstViolation?: boolean
  /**
   * Partial-order reduction (`checker/PartialOrder.ts`): the same verdicts over fewer states, or, for
   * a model it does not handle, the full search with the reason in the report. Default false.
   */
  readonly partialOrder?: boolean
}

/** The search's progress. */
export interface CheckProgress {
  readonly states: number
  readonly transitions: number
  readonly depth: number
  readonly queue: number
  readonly elapsedMs: number
  readonly memoryBytes: number
}

/** One step of a counterexample or witness: the action and the state after it. */
export interface TraceStep {
  readonly action: Step.Action
  /** The message the action sent, received, dropped or duplicated, as it was in the soup. */
  readonly message: { readonly tag: string; readonly from: string; readonly to: string; readonly payload: unknown } | undefined
  readonly state: Statelet
}

/** A path from the initial state. */
export interface CheckTrace {
  readonly initial: Statelet
  readonly steps: ReadonlyArray<TraceStep>
}

/**
 * The verdict on one property. `holds` (always) and `never reached` (sometimes) are established
 * over every reachable state: only a complete search gives them. A search cut by a bound gives
 * `holds within bound` / `not reached within bound` (over the states it explored: see the report's
 * `incomplete`), and one that stopped for another reason (interrupted, or at a violation) gives
 * `not established`.
 */
export interface PropertyResult {
  readonly name: string
  readonly kind: "always" | "sometimes"
  readonly status: "holds" | "holds within bound" | "violated" | "witnessed" | "never reached" | "not reached within bound" | "not established"
  readonly trace: CheckTrace | undefined
}

/**
 * Why a search stopped before exhausting the state space: a bound (`max-states`, `max-depth`: some
 * state at the depth bound had steps that were not taken), an interruption, the first violation or
 * deadlock (`stopAtFirstViolation`), or every property decided with a deadlock found (`decided`:
 * only the number of deadlocks was left to count).
 */
export type Incomplete = "max-states" | "max-depth" | "interrupted" | "violation" | "deadlock" | "decided"

/** The deadlock verdict: `none` over every reachable state, or `none within bound` / `not established` for a search that stopped early (as for properties), or `found`. */
export type DeadlockStatus = "none" | "none within bound" | "not established" | "found"

/** The checker's answer. */
export interface CheckReport {
  /** Distinct states found (representatives, under symmetry). */
  readonly states: number
  /** Steps taken from expanded states, including those to known states. */
  readonly transitions: number
  readonly maxDepth: number
  readonly elapsedMs: number
  /** Undefined when the whole reachable state space (within the model) was explored. */
  readonly incomplete: Incomplete | undefined
  readonly properties: ReadonlyArray<PropertyResult>
  /** The deadlocks found: `count` is every reachable one when the search is complete, those among the states explored otherwise. */
  readonly deadlocks: { readonly status: DeadlockStatus; readonly count: number; readonly trace: CheckTrace | undefined }
  /** Probability bound that two distinct states shared a fingerprint in this run. */
  readonly collisionProbability: number
  /** Peak bytes of the visited table and frontier, per distinct state. */
  readonly bytesPerState: number
  readonly strategy: "bfs" | "dfs"
  readonly symmetry: boolean
  /** How a search on several threads (`checker/Parallel.ts`) shared its work; absent on one thread. */
  readonly threads?: ThreadsReport
  /** What partial-order reduction did, when it was asked for. */
  readonly partialOrder?: PartialOrderReport
}

/** How the work of a search on several threads was shared. */
export interface ThreadsReport {
  /** The threads that searched: the calling thread and its worker threads. */
  readonly threads: number
  /** The first level the threads shared (-1: the calling thread finished alone, before the workers were ready). */
  readonly sharedFrom: number
  /** Batches of states a thread out of work took from another within a level, and the states they held. */
  readonly stolen: number
  readonly stolenStates: number
}

/**
 * Refuses a model that forgets consumed messages while a property reads them. Along random paths
 * (with the full soup) it evaluates every property on states whose consumed messages report any
 * read of a field other than `active` (filtering them out is fine; looking inside is not), and
 * compares each property with and without the consumed messages.
 * @internal
 */
export const assertForgettable = (model: Model, expander: Successors.Expander): void => {
  if (model.soup !== "active") return
  const properties = model.system.properties
  const nodes = model.system.topology.nodes
  let seed = 1
  const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8)
  const refuse = (p: Property): never => {
    throw new Successors.ModelError(
      `property "${p.name}" reads consumed messages, so this model cannot use soup: "active" (which forgets them); use soup: "history"`
    )
  }
  for (let walk = 0; walk < 20; walk++) {
    let s = expander.semantics.initial
    for (let depth = 0; depth < 60; depth++) {
      const successors = expander.successors(s)
      if (successors.length === 0) break
      s = successors[next() % successors.length]!.next
      let touched = false
      const watched = s.soup.map((m) =>
        m.active
          ? m
          : new Proxy(m, {
              get: (target, key) => {
                if (key !== "active") touched = true
                return (target as any)[key]
              }
            })
      )
      const probe = { ...s, soup: watched }
      const forgotten = { ...s, soup: s.soup.filter((m) => m.active) }
      for (const p of properties) {
        touched = false
        const value = p.holds(probe as any, nodes)
        if (touched || value !== p.holds(forgotten as any, nodes)) refuse(p)
      }
    }
  }
}

/**
 * Explores a model and reports on every property and on deadlocks.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * const report = check({ ...TokenRing.model(), maxDepth: 2 })
 * // Some state 2 steps deep has steps left: over the states explored only.
 * report.incomplete // => "max-depth"
 * report.properties.find((p) => p.name === "oneHolder")?.status // => "holds within bound"
 */
export const check = (model: Model, options: CheckOptions = {}): CheckReport => {
  const started = performance.now()
  const strategy = options.strategy ?? "bfs"
  const maxStates = options.maxStates ?? model.maxStates ?? Number.POSITIVE_INFINITY
  const maxDepth = options.maxDepth ?? model.maxDepth ?? Number.POSITIVE_INFINITY
  const symmetry = (options.symmetry ?? true) && (model.symmetric ?? []).length > 0
  assertForgettable(model, Successors.make(model))
  const space = new CollapsedSpace(model, symmetry)
  // Partial-order reduction, when asked for and the model allows it; else why not, for the report.
  const reduction = options.partialOrder === true ? reduce(model, space, strategy) : undefined
  const ample = reduction instanceof Reduction ? reduction : undefined
  const nodes = model.system.topology.nodes
  const judge = new Judge(model)
  const table = new VisitedTable()
  const frontier = new Frontier(strategy === "bfs" ? "fifo" : "lifo")
  let transitions = 0
  let deepest = 0
  let deadlocks = 0
  let firstDeadlock = -1
  let incomplete: Incomplete | undefined
  let peakBytes = 0
  let lastProgress = started
  const every = options.progressEvery ?? 1000

  const stopAtFirstViolation = options.stopAtFirstViolation ?? false
  /**
   * Set once the search has what it is after (see `stopReason`): states at least this deep are not
   * expanded. Breadth-first, that is the depth after the state being expanded, so that the level
   * ends first; depth-first, -1: at once.
   */
  let stopDepth = Number.POSITIVE_INFINITY
  const stopAfter = (depth: number): void => {
    if (stopDepth === Number.POSITIVE_INFINITY && stopReason() !== undefined) stopDepth = strategy === "bfs" ? depth + 1 : -1
  }
  const stopReason = (): Incomplete | undefined => searchStop(judge, deadlocks, stopAtFirstViolation)

  const discovered = (id: number, v: Int32Array, depth: number): void => {
    ample?.found(table.high(id), table.low(id), depth)
    if (depth > deepest) deepest = depth
    judge.judge(id, space.view(v))
    frontier.pushWords(id, v, space.size(v))
  }

  const start = space.start()
  discovered(table.add(start.hi, start.lo, -1, 0), start.vector, 0)
  stopAfter(-1)

  // Breadth-first, states are expanded in batches (see `checker/ExpansionBatch.ts`): the order in
  // which successors are added is the same. Depth-first, a batch would change the order.
  const batch = new ExpansionBatch(space, strategy === "bfs" ? BATCH : 1, ample !== undefined)
  // With the reduction, the node of each batched state's ample set (-1: all its steps), chosen as it is expanded.
  const chosen = new Int32Array(batch.capacity)
  /**
   * With the reduction, adds the successors of the batch's state `b` by the steps of `node` (its
   * ample set), or, when one of them closes a cycle (the proviso), by every step; returns the steps taken.
   */
  const addAmple = (b: number, id: number, depth: number, node: number): number => {
    const { his, los, steps } = batch
    const first = batch.firsts[b]!
    const end = batch.firsts[b + 1]!
    let taken = 0
    let closes = false
    for (let j = first; j < end; j++) {
      if (steps[5 * j + 1] !== node) continue
      taken++
      const added = table.add(his[j]!, los[j]!, id, depth + 1)
      if (added >= 0) discovered(added, batch.successor(b, j), depth + 1)
      else if (ample!.closesCycle(his[j]!, los[j]!)) closes = true
    }
    if (!closes) {
      if (taken < end - first) ample!.reduced++
      return taken
    }
    for (let j = first; j < end; j++) {
      if (steps[5 * j + 1] === node) continue
      const added = table.add(his[j]!, los[j]!, id, depth + 1)
      if (added >= 0) discovered(added, batch.successor(b, j), depth + 1)
    }
    return end - first
  }
  search: while (frontier.length > 0) {
    if (options.interrupted?.() === true) {
      incomplete = "interrupted"
      break
    }
    batch.clear()
    while (!batch.full && frontier.length > 0) {
      const id = batch.take(frontier)
      const depth = table.depth(id)
      const b = batch.length
      batch.expand(table.high(id), table.low(id), depth, depth < maxDepth)
      if (ample !== undefined) chosen[b] = ample.choose(batch.vectors[b]!, batch.steps, batch.firsts[b]!, batch.firsts[b + 1]!)
    }
    if (ample === undefined) batch.prefetch(table)
    else batch.prefetchChosen(table, chosen)
    for (let b = 0; b < batch.length; b++) {
      // Once the search stops, or at the bound, the rest of the batch is dropped: those states were
      // expanded, but nothing of them is counted, as if they had not been.
      const depth = batch.depths[b]!
      if (depth >= stopDepth) {
        incomplete = stopReason()
        break search
      }
      if (table.size >= maxStates) {
        incomplete = "max-states"
        break search
      }
      const id = batch.ids[b]!
      if (depth >= maxDepth && batch.transitions[b]! > 0) incomplete ??= "max-depth"
      ample?.expanding(depth)
      const node = ample === undefined ? -1 : chosen[b]!
      if (node >= 0) transitions += addAmple(b, id, depth, node)
      else {
        transitions += batch.transitions[b]!
        for (let j = batch.firsts[b]!; j < batch.firsts[b + 1]!; j++) {
          const added = table.add(batch.his[j]!, batch.los[j]!, id, depth + 1)
          if (added >= 0) discovered(added, batch.successor(b, j), depth + 1)
        }
      }
      if (batch.progressed[b] === 0 && !(model.final?.(space.view(batch.vectors[b]!) as any, nodes) ?? false)) {
        deadlocks++
        if (firstDeadlock < 0) firstDeadlock = id
      }
      stopAfter(depth)
      if ((id & 0x3ff) === 0) {
        const now = performance.now()
        const bytesNow = table.bytes() + frontier.bytes()
        if (bytesNow > peakBytes) peakBytes = bytesNow
        if (options.onProgress !== undefined && now - lastProgress >= every) {
          lastProgress = now
          options.onProgress({
            states: table.size,
            transitions,
            depth: deepest,
            queue: frontier.length,
            elapsedMs: now - started,
            memoryBytes: process.memoryUsage().rss
          })
        }
      }
    }
  }
  peakBytes = Math.max(peakBytes, table.bytes() + frontier.bytes())
  const { violatedAt, witnessedAt } = judge
  const report = buildReport({ model, space, table, violatedAt, witnessedAt, deadlocks, firstDeadlock, transitions, maxDepth: deepest, incomplete, started, peakBytes, strategy, symmetry })
  return reduction === undefined ? report : { ...report, partialOrder: reduction instanceof Reduction ? reduction.report() : reduction }
}

/**
 * Why a search has what it is after, if it has (undefined: it goes on): with `stopAtFirstViolation`,
 * a violation (or else a deadlock) found; otherwise every property decided and a deadlock found,
 * since a search that found no deadlock must go on to establish that there is none.
 *
 * @internal
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * import { Judge } from "./Judge.ts"
 * searchStop(new Judge(TokenRing.model()), 1, true) // => "deadlock"
 */
export const searchStop = (judge: Judge, deadlocks: number, stopAtFirstViolation: boolean): Incomplete | undefined =>
  stopAtFirstViolation
    ? judge.violatedAt.size > 0
      ? "violation"
      : deadlocks > 0
        ? "deadlock"
        : undefined
    : judge.decided() && deadlocks > 0
      ? "decided"
      : undefined

/**
 * What a report needs of a search's visited table: its states' parents and fingerprints.
 *
 * @internal
 */
export type StateTable = Pick<VisitedTable, "size" | "parent" | "fingerprint" | "bytes">

/**
 * What a finished search hands over to become a report.
 *
 * @internal
 */
export interface SearchResult {
  readonly model: Model
  /** The state space the search stored fingerprints of (traces are rebuilt through it). */
  readonly space: CollapsedSpace
  readonly table: StateTable
  /** Bits of the fingerprints the table compares (64 unless said otherwise). */
  readonly fingerprintBits?: number
  /** The first state found violating each property, and the first reaching each witness. */
  readonly violatedAt: ReadonlyMap<string, number>
  readonly witnessedAt: ReadonlyMap<string, number>
  readonly deadlocks: number
  readonly firstDeadlock: number
  readonly transitions: number
  readonly maxDepth: number
  readonly incomplete: Incomplete | undefined
  /** When the search started (`performance.now()`), and the most bytes its table and frontier held. */
  readonly started: number
  readonly peakBytes: number
  readonly strategy: "bfs" | "dfs"
  readonly symmetry: boolean
  readonly threads?: ThreadsReport
}

/**
 * The report of a finished search (sequential or parallel): verdicts with their traces, and the figures.
 *
 * @internal
 */
export const buildReport = (result: SearchResult): CheckReport => {
  const { model, space, table, violatedAt, witnessedAt, firstDeadlock, incomplete } = result
  const traceTo = (target: number): CheckTrace => reconstruct(model, space, table, target)
  // What a search that did not find a violation (or a witness, or a deadlock) can say.
  const bounded = incomplete === "max-states" || incomplete === "max-depth"
  const unfound = <A, B, C>(complete: A, withinBound: B, stopped: C): A | B | C => (incomplete === undefined ? complete : bounded ? withinBound : stopped)
  // Liveness properties are decided on the unreduced graph by `checker/Liveness.ts`, not here.
  const safety = model.system.properties.filter((p: Property) => p.kind === "always" || p.kind === "sometimes")
  const properties: Array<PropertyResult> = safety.map((p: Property): PropertyResult => {
    if (p.kind === "always") {
      const at = violatedAt.get(p.name)
      if (at !== undefined) return { name: p.name, kind: "always", status: "violated", trace: traceTo(at) }
      return { name: p.name, kind: "always", status: unfound("holds", "holds within bound", "not established"), trace: undefined }
    }
    const at = witnessedAt.get(p.name)
    if (at !== undefined) return { name: p.name, kind: "sometimes", status: "witnessed", trace: traceTo(at) }
    return { name: p.name, kind: "sometimes", status: unfound("never reached", "not reached within bound", "not established"), trace: undefined }
  })
  const deadlockStatus: DeadlockStatus = result.deadlocks > 0 ? "found" : unfound("none", "none within bound", "not established")
  return {
    states: table.size,
    transitions: result.transitions,
    maxDepth: result.maxDepth,
    elapsedMs: performance.now() - result.started,
    incomplete: result.incomplete,
    properties,
    deadlocks: { status: deadlockStatus, count: result.deadlocks, trace: firstDeadlock < 0 ? undefined : traceTo(firstDeadlock) },
    collisionProbability: Fingerprint.collisionProbability(table.size, result.fingerprintBits),
    bytesPerState: Math.max(result.peakBytes, table.bytes()) / Math.max(1, table.size),
    strategy: result.strategy,
    symmetry: result.symmetry,
    ...(result.threads === undefined ? {} : { threads: result.threads })
  }
}

/**
 * The concrete path to a stored state. Walks the parent ids back to the initial state, then goes
 * forward exactly as the search did — from each stored representative, the successor whose
 * representative has the next stored fingerprint — while keeping the renaming that maps the
 * representatives onto one concrete run: each action is renamed and taken, through the step
 * function, from the concrete state. Messages are matched by content, since ids differ between a
 * representative whose soup was re-sorted and the concrete soup.
 */
const reconstruct = (model: Model, space: CollapsedSpace, table: StateTable, target: number): CheckTrace => {
  const path: Array<number> = []
  for (let id = target; id >= 0; id = table.parent(id)) path.push(id)
  path.reverse()
  const { topology } = model.system
  const order = new Map(topology.all.map((n, i) => [n, i]))
  const everyone = new Set(topology.all)
  const semantics = space.semantics
  const initial = semantics.initial
  const first = space.start()
  // The representative the search expanded, and the map from its node names to the concrete run's.
  let representative = first.vector
  let toConcrete = new Map([...first.renaming].map(([concrete, rep]) => [rep, concrete]))
  let concrete = initial
  const steps: Array<TraceStep> = []
  const rename = <A>(value: A): A => renameValue(value, toConcrete, everyone, order) as A
  for (const id of path.slice(1)) {
    const [hi, lo] = table.fingerprint(id)
    let found: { action: Step.Action; next: Int32Array; renaming: ReadonlyMap<string, string> } | undefined
    space.expand(representative, ...table.fingerprint(table.parent(id)), (h, l) => {
      if (found === undefined && h === hi && l === lo) {
        const next = space.successor(representative)
        found = { action: space.action(), next: next.slice(0, space.size(next)), renaming: space.renaming() }
      }
    })
    if (found === undefined) throw new Error(`internal: state ${id} is not a successor of its parent`)
    const a = found.action
    const repMessage = a.kind === "receive" || a.kind === "drop" || a.kind === "duplicate" ? space.statelet(representative).soup[a.msgId] : undefined
    const message =
      a.kind === "send"
        ? { tag: a.tag, from: toConcrete.get(a.node) ?? a.node, to: toConcrete.get(a.to) ?? a.to, payload: rename(a.payload) }
        : repMessage === undefined
          ? undefined
          : { tag: repMessage.tag, from: toConcrete.get(repMessage.from) ?? repMessage.from, to: toConcrete.get(repMessage.to) ?? repMessage.to, payload: rename(repMessage.payload) }
    let action: Step.Action
    if (a.kind === "send") action = { kind: "send", node: message!.from, tag: a.tag, to: message!.to, payload: message!.payload }
    else if (a.kind === "crash" || a.kind === "restart") action = { kind: a.kind, node: toConcrete.get(a.node) ?? a.node }
    else {
      const m = message!
      const match = concrete.soup.find(
        (x) => x.active && x.tag === m.tag && x.from === m.from && x.to === m.to && JSON.stringify(x.payload) === JSON.stringify(m.payload)
      )
      if (match === undefined) throw new Error(`internal: no concrete message for step to state ${id}`)
      action = { kind: a.kind, msgId: match.id }
    }
    const outcome = Step.step(semantics, concrete, action)
    if (outcome._tag !== "Stepped") throw new Error(`internal: the concrete step to state ${id} is not enabled`)
    concrete = outcome.statelet
    steps.push({ action, message, state: concrete })
    // The stored representative renamed the successor with `renaming` (old → new); the concrete run is
    // the successor renamed by toConcrete, so representative names map to concrete ones through the inverse.
    const inverse = new Map([...found.renaming].map(([from, to]) => [to, from]))
    const composed = new Map<string, string>()
    for (const n of topology.all) {
      const before = inverse.get(n) ?? n
      composed.set(n, toConcrete.get(before) ?? before)
    }
    toConcrete = composed
    representative = found.next
  }
  return { initial, steps }
}
