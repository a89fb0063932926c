/**
 * Program-level checking: every schedule of a system's real programs, up to a bound.
 *
 * The model checker (`checker/`) explores the protocol alone; here the nodes run their Effect
 * programs, so what is checked is that the programs, under every interleaving the network allows,
 * never attempt a send their protocol forbids, never break an invariant and never fail.
 *
 * Fibers cannot be cloned, so the search is stateless in the VeriSoft / CHESS sense: a schedule is
 * the list of decision indices taken from the initial state, and exploring below a prefix means
 * running the engine again from the start, following the prefix and then going on. Each engine
 * run follows one maximal path depth-first (first candidate first), so a run costs one replay of
 * its prefix, not one per explored state. At each step the candidates are numbered in this order:
 * the engine's enabled decisions (`EngineView.enabled`: sends, deliveries, expired timeouts and
 * sleeps), then, as the fault bounds allow, a drop of each active message, a duplication of each
 * active message, a crash of each node whose program still runs, and a restart of each crashed
 * node.
 *
 * Time is not a choice: messages have no delay (so their delivery order is what is explored), and
 * when nothing is enabled time jumps to the next deadline, as the random chooser does. Timeouts and
 * sleeps therefore end only when nothing else can happen; races between a timer and a delivery are
 * not explored.
 *
 * Pruning (on by default) keeps the states reached, by fingerprint, with the depth of their
 * shallowest expansion, and stops a path at a state already expanded at that depth or less (a
 * state reached again with more of the depth bound left is expanded again, so pruning reaches the
 * same states within the bound). The engine's real state includes each program's memory (its
 * variables, where it is in its code), which cannot be seen, so the fingerprint abstracts it: the
 * statelet (local states, the soup as a multiset of messages without their ids, the crashed
 * nodes), each node's pending request (send: tag, receiver and payload; receive or poll: tags and
 * sender filter), whether its program still runs, the time left on its pending timer, and the
 * fault budget used. Absolute time is left out, so that states reached at different times merge;
 * the time left on each timer is kept, since it decides which timer ends first.
 *
 * Pruning is therefore sound only if a program's behaviour is a deterministic function of its
 * node's local state and of the messages it has received (their contents, not their ids or arrival
 * times), and if properties do not depend on message ids or on the order of the soup. A program
 * whose own memory changes what it does (beyond a cache such as the Calculator's memo table), or
 * that reads `now`, breaks this: explore it with `prune: false`. Determinism itself is checked: a
 * replayed prefix that does not offer the same candidates, or does not reach the same state at the
 * branch point, as when it was first run throws `Nondeterministic`.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Fingerprint from "../core/Fingerprint.ts"
import type * as Program from "../core/Program.ts"
import type { System } from "../core/System.ts"
import * as Engine from "./Engine.ts"
import type { Candidate, Chooser, EngineOptions, EngineView, RunResult } from "./Engine.ts"
import type { FaultPlan } from "./FaultPlan.ts"
import { presets, reorder } from "./FaultPlan.ts"
import { type Header, programsHeader, type Trace, type Violation } from "./Trace.ts"

/**
 * The fault decisions explored, and their bounds. Every switch defaults to off (Disel's
 * reorder-only network). Restarts are bounded by crashes, so `maxFaults` counts drops,
 * duplications and crashes only.
 */
export interface FaultBounds {
  readonly drop?: boolean
  readonly duplicate?: boolean
  readonly crash?: boolean
  readonly restart?: boolean
  /** At most this many nodes down at once (default 1). */
  readonly maxCrashed?: number
  /** At most this many duplications in a schedule (default 1): duplication alone has no bound. */
  readonly maxDuplicates?: number
  /** At most this many drops, duplications and crashes in a schedule (default: no bound but the depth). */
  readonly maxFaults?: number
}

/** What to explore, and how far. */
export interface ExploreOptions {
  /** The name the system is listed under, recorded in traces so that `replay` can rebuild it. */
  readonly name: string
  readonly parameters?: { readonly [name: string]: number }
  /** At most this many decisions per schedule. */
  readonly maxDepth: number
  /** At most this many engine runs (default 100,000). */
  readonly maxSchedules?: number
  /** Simulated milliseconds after which a schedule is cut (default 600,000). */
  readonly maxTime?: number
  readonly faults?: FaultBounds
  /** Skip states already expanded at a smaller or equal depth (default true); see the module comment. */
  readonly prune?: boolean
  /** Go on after the first violation and report every distinct one (default false). */
  readonly all?: boolean
  /**
   * Iterative deepening: explore with bounds 1, 2, … up to `maxDepth`, so that the first violation
   * found has a shortest schedule (default false). It stops early once a bound explores everything.
   */
  readonly shortestFirst?: boolean
  /** Called about every `progressEvery` ms (default 1000) while the search runs. */
  readonly onProgress?: (progress: ExploreProgress) => void
  readonly progressEvery?: number
  /** Polled between runs; when it returns true the search stops and reports what it has. */
  readonly interrupted?: () => boolean
}

/** The search's progress. */
export interface ExploreProgress {
  readonly schedules: number
  readonly states: number
  /** The current depth bound (the last one, unless `shortestFirst`). */
  readonly bound: number
  readonly elapsedMs: number
}

/** A violation found, with the schedule that reaches it. */
export interface Found {
  readonly violation: Violation
  /** The decision indices from the initial state, numbered as the module comment says (see `runSchedule`). */
  readonly schedule: ReadonlyArray<number>
  /** The run as a simulator trace, at level `programs`: `Simulator.replay` reproduces it exactly. */
  readonly trace: Trace
  /** How many explored schedules ended in this violation (the same kind, node, transition or property). */
  readonly occurrences: number
}

/**
 * Why a search did not cover every schedule within `maxDepth`: a schedule was cut by the depth or
 * time bound, the run budget ran out, the caller interrupted it, or it stopped at the first
 * violation (without `all`).
 */
export type Incomplete = "max-depth" | "max-schedules" | "max-time" | "interrupted" | "violation"

/** The outcome of an exploration. */
export interface ExploreReport {
  /** Engine runs, each one schedule replayed from the initial state (summed over every bound when deepening). */
  readonly schedules: number
  /** Decisions taken over all runs, replayed prefixes included: the work done. */
  readonly decisions: number
  /** Distinct states (fingerprints) reached within the bound. */
  readonly states: number
  /** The longest schedule run. */
  readonly depth: number
  /**
   * True when the search covered every schedule and no bound cut one short (`incomplete` is
   * empty): nothing the programs can do was left unexplored.
   */
  readonly exhaustive: boolean
  readonly incomplete: ReadonlyArray<Incomplete>
  /** Distinct violations, in the order found. */
  readonly violations: ReadonlyArray<Found>
  /** Distinct final states where nothing can happen any more: every program done, or some stuck. */
  readonly ends: { readonly completed: number; readonly stuck: number }
  /** The `sometimes` properties that held in some explored state. */
  readonly witnessed: ReadonlyArray<string>
  readonly elapsedMs: number
}

/** A program that did not do the same thing when its schedule was replayed. */
export class Nondeterministic extends Error {
  override readonly name = "Nondeterministic"
}

/** A schedule index that names no enabled candidate. */
export class BadSchedule extends Error {
  override readonly name = "BadSchedule"
}

/** What a node's program is waiting for, as far as the fingerprint can see it. */
type Request =
  | { readonly kind: "send"; readonly tag: string; readonly to: string; readonly payload: unknown }
  | { readonly kind: "receive" | "poll"; readonly tags: ReadonlyArray<string>; readonly from: string | null }
  | { readonly kind: "sleep" }

/**
 * The engine does not show a pending request's message, so each program's handle is wrapped to
 * note what it asks for, and to forget it when the request ends (resumed, or interrupted by a
 * crash). The wrapping changes nothing the engine or a trace sees.
 */
const instrument = (system: System, requests: Map<string, Request>): System => {
  const observed = (node: string, handle: Program.Node<any, any>): Program.Node<any, any> => {
    const around = <A, E>(request: Request, effect: Effect.Effect<A, E>) =>
      Effect.suspend(() => {
        requests.set(node, request)
        return effect
      }).pipe(Effect.ensuring(Effect.sync(() => requests.delete(node))))
    const filterOf = (kind: "receive" | "poll", filter: Program.Filter<any, any>): Request => ({
      kind,
      tags: [...filter.tags],
      from: filter.from ?? null
    })
    return {
      ...handle,
      send: (tag, to, payload) => around({ kind: "send", tag, to, payload }, handle.send(tag, to, payload)),
      receive: (filter) => around(filterOf("receive", filter), handle.receive(filter)),
      tryReceive: (filter) => around(filterOf("poll", filter), handle.tryReceive(filter)),
      receiveWithin: (filter, ms) => around(filterOf("poll", filter), handle.receiveWithin(filter, ms)),
      sleep: (ms) => around({ kind: "sleep" }, handle.sleep(ms))
    }
  }
  const programs = new Map<string, Program.Program>()
  for (const [node, program] of system.programs) programs.set(node, { ...program, run: (handle) => program.run(observed(node, handle)) })
  return { ...system, programs }
}

/** JSON with object keys sorted, so that equal values built in different orders print the same. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]))
      : v
  )

const encoder = new TextEncoder()

interface Budget {
  duplicates: number
  faults: number
}

/** The fingerprint of the state a chooser sees (see the module comment for what it includes). */
const fingerprint = (system: System, view: EngineView, requests: ReadonlyMap<string, Request>, budget: Budget): string => {
  const s = view.statelet
  const soup = s.soup.map((m) => canonical({ from: m.from, to: m.to, tag: m.tag, payload: m.payload, active: m.active })).sort()
  const live = new Set(view.liveRunning())
  const nodes = system.topology.all.map((node) => {
    const deadline = view.deadlineOf(node)
    return [live.has(node), requests.get(node) ?? null, deadline === undefined ? null : deadline - view.now]
  })
  const text = canonical([s.locals, soup, [...s.crashed].sort(), nodes, budget.duplicates, budget.faults])
  const bytes = encoder.encode(text)
  return `${Fingerprint.high(bytes, bytes.length).toString(36)}.${Fingerprint.low(bytes, bytes.length).toString(36)}`
}

interface Bounds {
  readonly drop: boolean
  readonly duplicate: boolean
  readonly crash: boolean
  readonly restart: boolean
  readonly maxCrashed: number
  readonly maxDuplicates: number
  readonly maxFaults: number
}

const boundsOf = (faults: FaultBounds = {}): Bounds => ({
  drop: faults.drop ?? false,
  duplicate: faults.duplicate ?? false,
  crash: faults.crash ?? false,
  restart: faults.restart ?? false,
  maxCrashed: faults.maxCrashed ?? 1,
  maxDuplicates: faults.maxDuplicates ?? 1,
  maxFaults: faults.maxFaults ?? Number.POSITIVE_INFINITY
})

/**
 * The decisions enabled in a state, in the order schedule indices count them: the engine's enabled
 * decisions (sends, deliveries, expired timeouts and sleeps), then drops and duplications of each
 * active message, crashes of each running node and restarts of each crashed one, as the bounds allow.
 */
const candidatesOf = (view: EngineView, bounds: Bounds, budget: Budget): ReadonlyArray<Candidate> => {
  const out = [...view.enabled()]
  const canFault = budget.faults < bounds.maxFaults
  if (canFault && (bounds.drop || (bounds.duplicate && budget.duplicates < bounds.maxDuplicates))) {
    const active = view.statelet.soup.filter((m) => m.active)
    if (bounds.drop) for (const m of active) out.push({ type: "drop", msg: m.id })
    if (bounds.duplicate && budget.duplicates < bounds.maxDuplicates) for (const m of active) out.push({ type: "duplicate", msg: m.id })
  }
  if (canFault && bounds.crash && view.crashed.length < bounds.maxCrashed) {
    for (const node of view.liveRunning()) out.push({ type: "crash", node })
  }
  if (bounds.restart) for (const node of view.crashed) out.push({ type: "restart", node })
  return out
}

const spend = (budget: Budget, type: Candidate["type"]) => {
  if (type === "duplicate") budget.duplicates++
  if (type === "drop" || type === "duplicate" || type === "crash") budget.faults++
}

/**
 * The plan a trace header records: it switches on exactly the explored faults (with the `all`
 * preset's rates, which replay does not use: only which faults are on decides what the step
 * function allows) and records the zero delay the exploration used. No more nodes than there are
 * can be down, which keeps an unbounded `maxCrashed` a whole number the trace format accepts.
 */
const planOf = (bounds: Bounds, nodes: number): FaultPlan => ({
  ...reorder,
  drop: bounds.drop ? presets.all!.drop : 0,
  duplicate: bounds.duplicate ? presets.all!.duplicate : 0,
  crash: bounds.crash ? presets.all!.crash : 0,
  restart: bounds.restart ? presets.all!.restart : 0,
  maxCrashed: Math.min(bounds.maxCrashed, nodes),
  delay: { min: 0, max: 0 },
  schedule: []
})

interface Setup {
  readonly bounds: Bounds
  readonly header: Header
  readonly engine: EngineOptions
}

/** The header and engine options are the same for every run, so that a run's trace replays as recorded. */
const setup = (system: System, options: ExploreOptions): Setup => {
  const bounds = boundsOf(options.faults)
  const faults = planOf(bounds, system.topology.all.length)
  const maxTime = options.maxTime ?? 600_000
  // One more step than the bound, so that a chooser is asked at the bound and can tell a state
  // with nothing left to do from one that the bound cuts.
  const maxSteps = options.maxDepth + 1
  const header = programsHeader({ system: options.name, parameters: options.parameters ?? {}, seed: 0, faults, maxSteps, maxTime })
  return { bounds, header, engine: { faults, maxSteps, maxTime } }
}

/** One decision of the current path: the state's fingerprint, the candidates it offered, and which one is taken. */
interface Frame {
  readonly fingerprint: string
  readonly keys: string
  readonly count: number
  chosen: number
}

/** How a run's path ended, other than in a violation. */
type Leaf = "terminal" | "pruned" | "max-depth" | "max-time"

/** A distinct violation: the first schedule that ended in it, and how many did. */
interface Tally {
  readonly first: Omit<Found, "occurrences">
  occurrences: number
}

interface Pass {
  readonly visited: Map<string, number>
  readonly completed: Set<string>
  readonly stuck: Set<string>
  /** By violation signature. */
  readonly found: Map<string, Tally>
  readonly incomplete: Set<Incomplete>
  stopped: boolean
}

const signature = (v: Violation): string => {
  switch (v.kind) {
    case "invariant":
      return `invariant:${v.property}`
    case "protocol":
      return `protocol:${v.node}:${v.transition ?? ""}:${v.reason}`
    case "program":
      return `program:${v.node}:${v.error}`
  }
}

/**
 * Explores every schedule of `system`'s programs up to `options.maxDepth` decisions, depth-first,
 * and reports the violations found (the first only, unless `all`), each with a replayable trace.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * const keep = TokenRing.families.find((f) => f.name === "token-ring/keep-token")!
 * const report = explore(keep.make({ members: 2, rounds: 1 }), { name: keep.name, maxDepth: 10 })
 * report.violations[0]?.violation // => { kind: "invariant", property: "oneHolder", step: 2 }
 * report.violations[0]?.schedule // => [0, 0]
 */
export const explore = (system: System, options: ExploreOptions): ExploreReport => {
  const started = performance.now()
  const s = setup(system, options)
  const maxSchedules = options.maxSchedules ?? 100_000
  const prune = options.prune ?? true
  const every = options.progressEvery ?? 1000
  const witnessed = new Set<string>()
  const found = new Map<string, Tally>()
  let schedules = 0
  let decisions = 0
  let depth = 0
  let lastProgress = started

  /**
   * Runs the path the stack describes, then extends it depth-first (first candidate first) until a
   * leaf: a state with nothing left to do, one already expanded no deeper, or a bound.
   */
  const runPath = (stack: Array<Frame>, bound: number, pass: Pass): { result: RunResult; leaf: Leaf | undefined; fingerprint: string | undefined } => {
    const requests = new Map<string, Request>()
    const budget: Budget = { duplicates: 0, faults: 0 }
    let at = 0
    let leaf: Leaf | undefined
    let last: string | undefined
    const end = (why: Leaf): { end: "quiescent" } => {
      leaf = why
      return { end: "quiescent" }
    }
    const chooser: Chooser = {
      delay: () => 0,
      applied: (event) => {
        decisions++
        spend(budget, event.type)
      },
      choose: (view) => {
        const candidates = candidatesOf(view, s.bounds, budget)
        if (candidates.length === 0) {
          // Nothing can happen now: time moving on to the next deadline is forced, not a choice.
          const later = view.nextTime()
          if (later !== undefined && later <= s.engine.maxTime) return { advance: later }
          if (at < stack.length) throw new Nondeterministic(`step ${at + 1}: the replayed prefix offers no decision where it offered ${stack[at]!.count}`)
          last = fingerprint(system, view, requests, budget)
          if (!pass.visited.has(last)) pass.visited.set(last, at)
          return end(later === undefined ? "terminal" : "max-time")
        }
        const keys = JSON.stringify(candidates)
        if (at < stack.length) {
          const frame = stack[at]!
          if (frame.keys !== keys) {
            throw new Nondeterministic(`step ${at + 1}: the replayed prefix offers\n  ${keys}\nwhere it offered\n  ${frame.keys}`)
          }
          // The branch point is where a difference matters: check the whole state there, once a run.
          if (at === stack.length - 1) {
            const again = fingerprint(system, view, requests, budget)
            if (again !== frame.fingerprint) throw new Nondeterministic(`step ${at + 1}: the replayed prefix reaches a different state than when it was first run`)
          }
          at++
          return { candidate: candidates[frame.chosen]! }
        }
        last = fingerprint(system, view, requests, budget)
        const seen = pass.visited.get(last)
        if (seen === undefined || at < seen) pass.visited.set(last, at)
        else if (prune) return end("pruned")
        if (at >= bound) return end("max-depth")
        stack.push({ fingerprint: last, keys, count: candidates.length, chosen: 0 })
        at++
        return { candidate: candidates[0]! }
      }
    }
    const result = Engine.run(instrument(system, requests), s.engine, chooser)
    return { result, leaf, fingerprint: last }
  }

  const explorePass = (bound: number): Pass => {
    const pass: Pass = { visited: new Map(), completed: new Set(), stuck: new Set(), found: new Map(), incomplete: new Set(), stopped: false }
    const stack: Array<Frame> = []
    for (;;) {
      if (options.interrupted?.() === true) {
        pass.incomplete.add("interrupted")
        pass.stopped = true
        break
      }
      if (schedules >= maxSchedules) {
        pass.incomplete.add("max-schedules")
        pass.stopped = true
        break
      }
      const { result, leaf, fingerprint: last } = runPath(stack, bound, pass)
      schedules++
      depth = Math.max(depth, result.end.steps)
      for (const name of result.witnessed.keys()) witnessed.add(name)
      const violation = result.end.violation
      if (violation !== null) {
        const key = signature(violation)
        const entry = pass.found.get(key)
        if (entry !== undefined) entry.occurrences++
        else {
          const schedule = stack.map((f) => f.chosen)
          pass.found.set(key, { first: { violation, schedule, trace: { header: s.header, events: result.events, end: result.end } }, occurrences: 1 })
        }
        if (options.all !== true) {
          pass.incomplete.add("violation")
          pass.stopped = true
          break
        }
      } else if (leaf === "terminal") {
        ;(result.end.status === "completed" ? pass.completed : pass.stuck).add(last!)
      } else if (leaf === "max-depth" || leaf === "max-time") {
        pass.incomplete.add(leaf)
      } else if (leaf === undefined) {
        throw new Error(`internal: a schedule ended (${result.end.status}) without a leaf or a violation`)
      }
      const now = performance.now()
      if (options.onProgress !== undefined && now - lastProgress >= every) {
        lastProgress = now
        options.onProgress({ schedules, states: pass.visited.size, bound, elapsedMs: now - started })
      }
      while (stack.length > 0 && stack[stack.length - 1]!.chosen + 1 >= stack[stack.length - 1]!.count) stack.pop()
      if (stack.length === 0) break
      stack[stack.length - 1]!.chosen++
    }
    return pass
  }

  let pass: Pass
  for (let bound = options.shortestFirst === true ? Math.min(1, options.maxDepth) : options.maxDepth; ; bound++) {
    pass = explorePass(bound)
    // A shallower bound's violation has a schedule no longer than any found later: keep it.
    for (const [key, entry] of pass.found) {
      const earlier = found.get(key)
      found.set(key, earlier === undefined ? entry : { first: earlier.first, occurrences: entry.occurrences })
    }
    const deeper = pass.incomplete.has("max-depth")
    if (pass.stopped || !deeper || bound >= options.maxDepth) break
  }
  const incomplete = [...pass.incomplete]
  return {
    schedules,
    decisions,
    states: pass.visited.size,
    depth,
    exhaustive: incomplete.length === 0,
    incomplete,
    violations: [...found.values()].map((e) => ({ ...e.first, occurrences: e.occurrences })),
    ends: { completed: pass.completed.size, stuck: pass.stuck.size },
    witnessed: [...witnessed].sort(),
    elapsedMs: performance.now() - started
  }
}

/**
 * Runs one schedule (decision indices, as `explore` reports them) and records it as a trace; the
 * run ends where the schedule does, or earlier at a violation.
 *
 * @example
 * import * as PingPongSystem from "../test/fixtures/PingPongSystem.ts"
 * const system = PingPongSystem.system()
 * const trace = runSchedule(system, { name: "pingpong", maxDepth: 10 }, [0, 0, 0, 0])
 * trace.end.status // => "completed"
 */
export const runSchedule = (system: System, options: ExploreOptions, schedule: ReadonlyArray<number>): Trace => {
  const s = setup(system, options)
  const budget: Budget = { duplicates: 0, faults: 0 }
  let at = 0
  const chooser: Chooser = {
    delay: () => 0,
    applied: (event) => spend(budget, event.type),
    choose: (view) => {
      const candidates = candidatesOf(view, s.bounds, budget)
      if (candidates.length === 0) {
        const later = view.nextTime()
        if (later !== undefined && later <= s.engine.maxTime) return { advance: later }
      }
      if (at >= schedule.length) return { end: "quiescent" }
      const index = schedule[at]!
      const candidate = candidates[index]
      if (candidate === undefined) throw new BadSchedule(`step ${at + 1}: index ${index}, but ${candidates.length} decision(s) are enabled`)
      at++
      return { candidate }
    }
  }
  const result = Engine.run(system, s.engine, chooser)
  return { header: s.header, events: result.events, end: result.end }
}
