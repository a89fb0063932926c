/**
 * The simulator: seeded, deterministic runs of a system's programs on a simulated network with a
 * fault plan, checking every `always` property (and the protocol's coherence) after every step and
 * recording which `sometimes` properties were reached. A failing run is shrunk to fewer steps and
 * faults, and the shrunk trace is replayed strictly to confirm that it still fails.
 *
 * @since 0.1.0
 */
import type * as Step from "../core/Step.ts"
import type { System } from "../core/System.ts"
import type { Candidate, Chooser, EngineOptions, EngineView, RunResult } from "./Engine.ts"
import * as Engine from "./Engine.ts"
import type { FaultPlan } from "./FaultPlan.ts"
import * as Prng from "../core/Prng.ts"
import { type Decision, type Header, programsHeader, type Status, type Trace, type TraceEvent, type Violation } from "./Trace.ts"

const delayOf = (prng: Prng.Prng, plan: FaultPlan) => () =>
  plan.delay.max > plan.delay.min ? plan.delay.min + prng.int(plan.delay.max - plan.delay.min + 1) : plan.delay.min

/**
 * Chooses uniformly among enabled decisions with a seeded PRNG, and injects the plan's faults:
 * scheduled ones at their step, message loss and duplication right after a send, crashes and
 * restarts with their per-step probabilities. When nothing is enabled it advances simulated time;
 * when nothing will ever be enabled it restarts a crashed node if the plan allows, or ends the run.
 */
export const randomChooser = (prng: Prng.Prng, plan: FaultPlan): Chooser => {
  const queued: Array<Candidate> = []
  const delay = delayOf(prng, plan)
  return {
    delay,
    applied: (event) => {
      if (event.type !== "send" || event.msg < 0) return
      if (prng.chance(plan.drop)) queued.push({ type: "drop", msg: event.msg })
      else if (prng.chance(plan.duplicate)) queued.push({ type: "duplicate", msg: event.msg })
    },
    choose: (view) => {
      const next = view.step + 1
      for (const fault of plan.schedule) {
        if (fault.step !== next) continue
        return "node" in fault
          ? { candidate: { type: fault.fault, node: fault.node } }
          : { candidate: { type: fault.fault, msg: fault.message } }
      }
      const fault = queued.shift()
      if (fault !== undefined) return { candidate: fault }
      if (plan.crash > 0 && view.crashed.length < plan.maxCrashed) {
        const live = view.liveRunning()
        if (live.length > 0 && prng.chance(plan.crash)) return { candidate: { type: "crash", node: prng.pick(live) } }
      }
      if (plan.restart > 0 && view.crashed.length > 0 && prng.chance(plan.restart)) {
        return { candidate: { type: "restart", node: prng.pick(view.crashed) } }
      }
      const enabled = view.enabled()
      if (enabled.length > 0) return { candidate: prng.pick(enabled) }
      const later = view.nextTime()
      if (later !== undefined) return { advance: later }
      if (plan.restart > 0 && view.crashed.length > 0) return { candidate: { type: "restart", node: prng.pick(view.crashed) } }
      return { end: "quiescent" }
    }
  }
}

const decisionsOf = (events: ReadonlyArray<TraceEvent>): ReadonlyArray<Decision> =>
  events.filter((e): e is Decision => e.type !== "exit")

const candidateOf = (d: Decision): Candidate => {
  switch (d.type) {
    case "send":
      return { type: "send", node: d.node, message: { tag: d.tag, to: d.to, payload: d.payload } }
    case "timeout":
    case "wake":
    case "crash":
    case "restart":
      return { type: d.type, node: d.node }
    case "deliver":
      return { type: "deliver", node: d.node, msg: d.msg }
    case "drop":
    case "duplicate":
      return { type: d.type, msg: d.msg }
  }
}

/** A replayed trace that does not match what the programs and the protocol do now. */
export class ReplayDivergence extends Error {
  override readonly name = "ReplayDivergence"
}

/** Takes exactly the recorded decisions at the recorded times, and checks each result. */
const strictChooser = (trace: Trace): Chooser => {
  const decisions = decisionsOf(trace.events)
  let i = 0
  return {
    delay: () => 0,
    choose: () => {
      const d = decisions[i]
      if (d === undefined) return { end: trace.end.status === "limit" ? "limit" : "quiescent" }
      return { candidate: candidateOf(d), time: d.time }
    },
    applied: (event) => {
      const expected = decisions[i++]
      if (JSON.stringify(expected) !== JSON.stringify(event)) {
        throw new ReplayDivergence(`step ${event.step}: the trace has\n  ${JSON.stringify(expected)}\nbut the replay did\n  ${JSON.stringify(event)}`)
      }
    }
  }
}

const samePayload = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

/**
 * Takes the listed decisions that are still enabled, skipping the rest; messages are matched by
 * sender, receiver, tag and payload rather than by id, since ids shift when earlier sends go.
 */
const lenientChooser = (decisions: ReadonlyArray<Decision>): Chooser => {
  let i = 0
  const findMessage = (view: EngineView, d: { from: string; to: string; tag: string; payload: unknown }, deliverable: boolean) =>
    view.statelet.soup.find(
      (m) => m.active && m.from === d.from && m.to === d.to && m.tag === d.tag && samePayload(m.payload, d.payload) && (!deliverable || view.deliverable(m.id))
    )
  const resolve = (d: Decision, view: EngineView): { candidate: Candidate; time: number } | undefined => {
    const at = (deadline = 0) => Math.max(view.now, d.time, deadline)
    const up = (node: string) => !view.crashed.includes(node)
    switch (d.type) {
      case "send":
        if (!up(d.node)) return undefined
        if (view.isPassive(d.node)) return { candidate: { type: "send", node: d.node, message: { tag: d.tag, to: d.to, payload: d.payload } }, time: at() }
        return view.pendingOf(d.node) === "send" ? { candidate: { type: "send", node: d.node }, time: at() } : undefined
      case "deliver": {
        const m = findMessage(view, { from: d.from, to: d.node, tag: d.tag, payload: d.payload }, true)
        return m === undefined ? undefined : { candidate: { type: "deliver", node: d.node, msg: m.id }, time: at() }
      }
      case "timeout":
      case "wake":
        return view.pendingOf(d.node) === (d.type === "timeout" ? "poll" : "sleep") && up(d.node)
          ? { candidate: { type: d.type, node: d.node }, time: at(view.deadlineOf(d.node)) }
          : undefined
      case "drop":
      case "duplicate": {
        const m = findMessage(view, d, false)
        return m === undefined ? undefined : { candidate: { type: d.type, msg: m.id }, time: at() }
      }
      case "crash":
        return up(d.node) ? { candidate: { type: "crash", node: d.node }, time: at() } : undefined
      case "restart":
        return up(d.node) ? undefined : { candidate: { type: "restart", node: d.node }, time: at() }
    }
  }
  return {
    delay: () => 0,
    choose: (view) => {
      while (i < decisions.length) {
        const resolved = resolve(decisions[i++]!, view)
        if (resolved !== undefined) return resolved
      }
      return { end: "quiescent" }
    }
  }
}

/** Options of a batch of runs. */
export interface SimulateOptions {
  /** The name the system is listed under, recorded in traces so `replay` can rebuild it. */
  readonly name: string
  readonly parameters: { readonly [name: string]: number }
  readonly seed: number
  readonly runs: number
  readonly faults: FaultPlan
  readonly maxSteps: number
  readonly maxTime: number
  /** Stop at the first violating run (default true). */
  readonly stopOnViolation?: boolean
  /** Shrink the first violating run (default true). */
  readonly shrink?: boolean
  /** Called about every `progressEvery` ms of wall time with the runs done so far. */
  readonly onProgress?: (progress: Progress) => void
  readonly progressEvery?: number
}

/** A batch's progress. */
export interface Progress {
  readonly runsDone: number
  readonly runs: number
  readonly steps: number
  readonly violations: number
  readonly elapsedMs: number
}

/** A violating run: its original trace, and the shrunk one that still fails. */
export interface Failure {
  readonly run: number
  readonly trace: Trace
  readonly shrunk: Trace | undefined
  readonly shrinkAttempts: number
}

/** The outcome of a batch of runs. */
export interface Summary {
  readonly runs: number
  readonly steps: number
  readonly elapsedMs: number
  readonly statuses: { readonly [S in Status]: number }
  /** For each `sometimes` property, in how many runs it was reached. */
  readonly witnessed: ReadonlyMap<string, number>
  readonly violations: number
  readonly firstFailure: Failure | undefined
  /** The trace of the last run (for `--trace` when nothing fails). */
  readonly lastTrace: Trace | undefined
}

const headerOf = (options: SimulateOptions, seed: number): Header =>
  programsHeader({ system: options.name, parameters: options.parameters, seed, faults: options.faults, maxSteps: options.maxSteps, maxTime: options.maxTime })

const engineOptions = (header: Header): EngineOptions => ({ faults: header.faults, maxSteps: header.maxSteps, maxTime: header.maxTime })

const traceOf = (header: Header, result: RunResult): Trace => ({ header, events: result.events, end: result.end })

/**
 * Runs one seeded simulation and returns its trace.
 *
 * @example
 * import * as Calculator from "../protocols/Calculator/index.ts"
 * import { reorder } from "./FaultPlan.ts"
 * const { trace } = runOnce(Calculator.system({ clients: 1, servers: 1 }), { name: "calculator", parameters: {}, seed: 7, runs: 1, faults: reorder, maxSteps: 1000, maxTime: 60000 })
 * trace.end.status // => "completed"
 */
export const runOnce = (system: System, options: SimulateOptions, seed = options.seed) => {
  const header = headerOf(options, seed)
  const result = Engine.run(system, engineOptions(header), randomChooser(Prng.make(seed), header.faults))
  return { result, trace: traceOf(header, result) }
}

/**
 * Runs `options.runs` seeded simulations (run `i` uses seed `Prng.derive(seed, i)`), stopping at the
 * first violation unless told otherwise, and shrinks it.
 */
export const simulate = (system: System, options: SimulateOptions): Summary => {
  const started = performance.now()
  const statuses = { completed: 0, stuck: 0, limit: 0, violation: 0 }
  const witnessed = new Map<string, number>()
  for (const p of system.properties) if (p.kind === "sometimes") witnessed.set(p.name, 0)
  let steps = 0
  let runsDone = 0
  let violations = 0
  let firstFailure: Failure | undefined
  let lastTrace: Trace | undefined
  let lastProgress = started
  const every = options.progressEvery ?? 1000
  for (let i = 0; i < options.runs; i++) {
    const { result, trace } = runOnce(system, options, Prng.derive(options.seed, i))
    runsDone++
    steps += result.end.steps
    statuses[result.end.status]++
    for (const name of result.witnessed.keys()) witnessed.set(name, (witnessed.get(name) ?? 0) + 1)
    lastTrace = trace
    if (result.end.status === "violation") {
      violations++
      if (firstFailure === undefined) {
        const shrunk = options.shrink === false ? undefined : shrink(system, trace)
        firstFailure = { run: i, trace, shrunk: shrunk?.trace, shrinkAttempts: shrunk?.attempts ?? 0 }
      }
      if (options.stopOnViolation !== false) break
    }
    const now = performance.now()
    if (options.onProgress !== undefined && now - lastProgress >= every) {
      lastProgress = now
      options.onProgress({ runsDone, runs: options.runs, steps, violations, elapsedMs: now - started })
    }
  }
  return { runs: runsDone, steps, elapsedMs: performance.now() - started, statuses, witnessed, violations, firstFailure, lastTrace }
}

/** A system with its programs removed: every node's steps are chosen by a trace. */
const withoutPrograms = (system: System): System => ({ ...system, programs: new Map() })

/** One protocol-level step, as the model checker reports it: the action, with the message's content. */
export interface ProtocolStep {
  readonly action: Step.Action
  readonly message: { readonly tag: string; readonly from: string; readonly to: string; readonly payload: unknown } | undefined
}

/**
 * Records a protocol-level path (no programs: the steps say who sends what) as a simulator trace,
 * which `replay` reproduces. Messages are found by content, so a path over a soup that forgets
 * consumed messages replays on the simulator's full soup.
 *
 * @example
 * import * as Calculator from "../protocols/Calculator/index.ts"
 * import { reorder } from "./FaultPlan.ts"
 * const trace = traceOfSteps(Calculator.system({ clients: 1, servers: 1 }), { name: "calculator", parameters: {}, faults: reorder }, [
 *   { action: { kind: "send", node: "c1", tag: "req", to: "s1", payload: { args: [1, 2] } }, message: undefined },
 * ])
 * trace.events.length // => 1
 */
export const traceOfSteps = (
  system: System,
  options: { readonly name: string; readonly parameters: { readonly [name: string]: number }; readonly faults: FaultPlan },
  steps: ReadonlyArray<ProtocolStep>
): Trace => {
  const header: Header = {
    ...headerOf({ ...options, seed: 0, runs: 1, maxSteps: steps.length + 1, maxTime: 1 }, 0),
    level: "protocol"
  }
  let i = 0
  const chooser: Chooser = {
    delay: () => 0,
    choose: (view) => {
      const s = steps[i++]
      if (s === undefined) return { end: "quiescent" }
      const a = s.action
      if (a.kind === "send") return { candidate: { type: "send", node: a.node, message: { tag: a.tag, to: a.to, payload: a.payload } } }
      if (a.kind === "crash" || a.kind === "restart") return { candidate: { type: a.kind, node: a.node } }
      const m = s.message!
      const found = view.statelet.soup.find(
        (x) => x.active && x.from === m.from && x.to === m.to && x.tag === m.tag && samePayload(x.payload, m.payload)
      )
      if (found === undefined) throw new Engine.NotEnabled(`step ${i}: no active message ${JSON.stringify(m)}`)
      return { candidate: a.kind === "receive" ? { type: "deliver", node: m.to, msg: found.id } : { type: a.kind, msg: found.id } }
    }
  }
  const result = Engine.run(withoutPrograms(system), engineOptions(header), chooser)
  return traceOf(header, result)
}

/** The result of replaying a trace. */
export interface Replayed {
  readonly trace: Trace
  /** Whether every event and the end line came out exactly as recorded. */
  readonly identical: boolean
  /** Where the replay first differs from the recording, if it does. */
  readonly difference: string | undefined
}

/**
 * Replays a trace against a system: takes exactly the recorded decisions at the recorded times and
 * checks that every event, every local state and the run's end come out the same.
 */
export const replay = (system: System, recorded: Trace): Replayed => {
  let result: RunResult
  try {
    const replayed = recorded.header.level === "protocol" ? withoutPrograms(system) : system
    result = Engine.run(replayed, engineOptions(recorded.header), strictChooser(recorded))
  } catch (e) {
    if (e instanceof ReplayDivergence || e instanceof Engine.NotEnabled) {
      return { trace: recorded, identical: false, difference: e.message }
    }
    throw e
  }
  const trace = traceOf(recorded.header, result)
  const a = trace.events.map((e) => JSON.stringify(e))
  const b = recorded.events.map((e) => JSON.stringify(e))
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      return { trace, identical: false, difference: `event ${i + 1}: the trace has\n  ${b[i] ?? "(nothing)"}\nbut the replay did\n  ${a[i] ?? "(nothing)"}` }
    }
  }
  if (JSON.stringify(trace.end) !== JSON.stringify(recorded.end)) {
    return { trace, identical: false, difference: `the end differs: the trace has\n  ${JSON.stringify(recorded.end)}\nbut the replay ended\n  ${JSON.stringify(trace.end)}` }
  }
  return { trace, identical: true, difference: undefined }
}

/** What makes two violations "the same bug" for shrinking. */
const signature = (v: Violation | null): string | undefined => {
  if (v === null) return undefined
  switch (v.kind) {
    case "invariant":
      return `invariant:${v.property}`
    case "protocol":
      return `protocol:${v.program}:${v.transition ?? ""}:${v.reason}`
    case "program":
      return `program:${v.program}`
  }
}

const isFault = (d: Decision) => d.type === "drop" || d.type === "duplicate" || d.type === "crash" || d.type === "restart"

/**
 * Shrinks a failing trace: removes faults, then chunks of decisions of halving size (delta
 * debugging), keeping every removal after which a lenient replay still fails the same way. The
 * result is re-recorded and must fail under strict replay too; `attempts` counts replays tried.
 */
export const shrink = (system: System, failing: Trace, budget = 4000): { trace: Trace; attempts: number } => {
  const target = signature(failing.end.violation)
  if (target === undefined) throw new Error("shrink: the trace does not end in a violation")
  const options = engineOptions(failing.header)
  let attempts = 0
  const attempt = (decisions: ReadonlyArray<Decision>): RunResult | undefined => {
    attempts++
    const result = Engine.run(system, options, lenientChooser(decisions))
    return signature(result.end.violation) === target ? result : undefined
  }
  let best: RunResult | undefined = attempt(decisionsOf(failing.events))
  if (best === undefined) return { trace: failing, attempts }
  let current = decisionsOf(best.events)
  const withoutFaults = current.filter((d) => !isFault(d))
  if (withoutFaults.length < current.length) {
    const r = attempt(withoutFaults)
    if (r !== undefined) {
      best = r
      current = decisionsOf(r.events)
    }
  }
  let chunk = Math.max(1, Math.ceil(current.length / 2))
  while (attempts < budget) {
    let removed = false
    for (let start = 0; start < current.length && attempts < budget; ) {
      const candidate = [...current.slice(0, start), ...current.slice(start + chunk)]
      const r = attempt(candidate)
      if (r !== undefined && decisionsOf(r.events).length < current.length) {
        best = r
        current = decisionsOf(r.events)
        removed = true
      } else {
        start += chunk
      }
    }
    if (!removed) {
      if (chunk === 1) break
      chunk = Math.max(1, Math.floor(chunk / 2))
    }
  }
  const trace = traceOf(failing.header, best)
  const check = replay(system, trace)
  if (!check.identical || signature(check.trace.end.violation) !== target) {
    throw new Error(`shrink: the shrunk trace does not replay to the same violation: ${check.difference ?? "different violation"}`)
  }
  return { trace, attempts }
}
