/**
 * The simulator: seeded, deterministic runs of a system's programs on a simulated network with a
 * fault plan, checking every `always` property (and the protocol's coherence) after every step and
 * recording which `sometimes` properties were reached. A failing run is shrunk to fewer steps and
 * faults (and, for an invariant violation, also at the protocol level, without the programs), and
 * every shrunk trace is replayed strictly to confirm that it still fails. A run that ends stuck is
 * explained (what each blocked node waits for) and, when it lost no message and no node, counted as
 * a deadlock of the programs: a failure of the batch whatever the fault plan.
 *
 * @since 0.1.0
 */
import * as Step from "../core/Step.ts"
import type { System } from "../core/System.ts"
import type { Candidate, Chooser, EngineOptions, EngineView, RunResult } from "./Engine.ts"
import * as Engine from "./Engine.ts"
import * as FaultPlan from "./FaultPlan.ts"
import * as Prng from "../core/Prng.ts"
import { type Decision, type Header, programsHeader, type Status, type Trace, type TraceEvent, type Violation } from "./Trace.ts"

const delayOf = (prng: Prng.Prng, plan: FaultPlan.FaultPlan) => () =>
  plan.delay.max > plan.delay.min ? plan.delay.min + prng.int(plan.delay.max - plan.delay.min + 1) : plan.delay.min

/**
 * Chooses uniformly among enabled decisions with a seeded PRNG, and injects the plan's faults:
 * scheduled ones at their step, message loss and duplication right after a send, crashes and
 * restarts with their per-step probabilities. When nothing is enabled it advances simulated time;
 * when nothing will ever be enabled it restarts a crashed node if the plan allows, or ends the run.
 */
export const randomChooser = (prng: Prng.Prng, plan: FaultPlan.FaultPlan): Chooser => {
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
  readonly faults: FaultPlan.FaultPlan
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
  /** A shorter run of the protocol alone that fails the same way, if shrinking found one (see `Shrunk.protocol`). */
  readonly shrunkProtocol?: Trace | undefined
  readonly shrinkAttempts: number
}

/**
 * A run that ended stuck: nothing could ever happen again, and some program was still waiting or
 * some node was down. It is `excused` when the run lost a message or a node (a drop or a crash):
 * a program that waits for what was lost, with nothing to retransmit it, stays stuck, which the
 * plan allows. A stuck run without a loss is a deadlock of the programs under reordering alone.
 */
export interface StuckRun {
  readonly run: number
  readonly trace: Trace
  /** What each blocked node waited for (see `Engine.Wait`). */
  readonly waits: ReadonlyArray<Engine.Wait>
  readonly excused: boolean
}

/** The stuck runs of a batch. */
export interface StuckRuns {
  /** Stuck runs with no drop and no crash: failures whatever the plan. */
  readonly unexcused: number
  /** The first unexcused stuck run, else the first stuck run. */
  readonly first: StuckRun | undefined
}

/**
 * Whether a stuck run is excused: it lost a message or a node (see `StuckRun`).
 *
 * @example
 * excused([{ type: "drop", step: 3, time: 0, msg: 1, from: "a", to: "b", tag: "data", payload: {} }]) // => true
 * excused([]) // => false
 */
export const excused = (events: ReadonlyArray<TraceEvent>): boolean => events.some((e) => e.type === "drop" || e.type === "crash")

/**
 * Whether a batch failed: some run violated a property, or some run ended stuck without losing a
 * message or a node (a deadlock of the programs, which no fault plan excuses).
 *
 * @example
 * failed({ violations: 0, stuck: { unexcused: 2, first: undefined } }) // => true
 * failed({ violations: 0, stuck: { unexcused: 0, first: undefined } }) // => false
 */
export const failed = (summary: Pick<Summary, "violations" | "stuck">): boolean =>
  summary.violations > 0 || (summary.stuck?.unexcused ?? 0) > 0

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
  /** The stuck runs, explained (absent from summaries that do not track them). */
  readonly stuck?: StuckRuns
}

const headerOf = (options: Pick<SimulateOptions, "name" | "parameters" | "faults" | "maxSteps" | "maxTime">, seed: number): Header =>
  programsHeader({ system: options.name, parameters: options.parameters, seed, faults: FaultPlan.validate(options.faults), maxSteps: options.maxSteps, maxTime: options.maxTime })

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
 * Runs `options.runs` seeded runs of one level — run `i` is `runOne(Prng.derive(seed, i))` —
 * counting statuses, steps and witnesses, stopping at the first violation unless told otherwise,
 * and shrinking that run with `shrinkRun`. `onRun` sees every run, for what one level tracks
 * beyond the common tally (stuck runs, unsettled walks). Program-level simulation (`simulate`)
 * and protocol-level walks (`RandomWalk.walk`) are both batches.
 */
export const batch = (
  system: System,
  options: SimulateOptions,
  runOne: (seed: number) => { readonly result: RunResult; readonly trace: Trace },
  shrinkRun: (trace: Trace) => Omit<Failure, "run" | "trace">,
  onRun: (i: number, result: RunResult, trace: Trace) => void = () => {}
): Summary => {
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
  FaultPlan.validate(options.faults)
  const every = options.progressEvery ?? 1000
  for (let i = 0; i < options.runs; i++) {
    const { result, trace } = runOne(Prng.derive(options.seed, i))
    runsDone++
    steps += result.end.steps
    statuses[result.end.status]++
    for (const name of result.witnessed.keys()) witnessed.set(name, (witnessed.get(name) ?? 0) + 1)
    lastTrace = trace
    onRun(i, result, trace)
    if (result.end.status === "violation") {
      violations++
      if (firstFailure === undefined) {
        firstFailure = options.shrink === false ? { run: i, trace, shrunk: undefined, shrinkAttempts: 0 } : { run: i, trace, ...shrinkRun(trace) }
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

/**
 * Runs `options.runs` seeded simulations (run `i` uses seed `Prng.derive(seed, i)`), stopping at the
 * first violation unless told otherwise, and shrinks it.
 */
export const simulate = (system: System, options: SimulateOptions): Summary => {
  let firstStuck: StuckRun | undefined
  let unexcused = 0
  const summary = batch(
    system,
    options,
    (seed) => runOnce(system, options, seed),
    (trace) => {
      const shrunk = shrink(system, trace)
      return { shrunk: shrunk.trace, shrunkProtocol: shrunk.protocol, shrinkAttempts: shrunk.attempts }
    },
    (i, result, trace) => {
      if (result.end.status !== "stuck") return
      const stuck: StuckRun = { run: i, trace, waits: result.waits, excused: excused(trace.events) }
      if (!stuck.excused) unexcused++
      if (firstStuck === undefined || (firstStuck.excused && !stuck.excused)) firstStuck = stuck
    }
  )
  return { ...summary, stuck: { unexcused, first: firstStuck } }
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
  options: { readonly name: string; readonly parameters: { readonly [name: string]: number }; readonly faults: FaultPlan.FaultPlan },
  steps: ReadonlyArray<ProtocolStep>
): Trace => {
  const header: Header = {
    ...headerOf({ ...options, maxSteps: steps.length + 1, maxTime: 1 }, 0),
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
  /** What each node blocked at the end of the replay waited for (see `Engine.Wait`); empty when it diverged. */
  readonly waits: ReadonlyArray<Engine.Wait>
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
      return { trace: recorded, identical: false, difference: e.message, waits: [] }
    }
    throw e
  }
  const trace = traceOf(recorded.header, result)
  const a = trace.events.map((e) => JSON.stringify(e))
  const b = recorded.events.map((e) => JSON.stringify(e))
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      return { trace, identical: false, difference: `event ${i + 1}: the trace has\n  ${b[i] ?? "(nothing)"}\nbut the replay did\n  ${a[i] ?? "(nothing)"}`, waits: result.waits }
    }
  }
  if (JSON.stringify(trace.end) !== JSON.stringify(recorded.end)) {
    return { trace, identical: false, difference: `the end differs: the trace has\n  ${JSON.stringify(recorded.end)}\nbut the replay ended\n  ${JSON.stringify(trace.end)}`, waits: result.waits }
  }
  return { trace, identical: true, difference: undefined, waits: result.waits }
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

/** The message a decision sends, receives, drops or duplicates, if any. */
const messageOfDecision = (d: Decision): number | undefined =>
  d.type === "send" || d.type === "deliver" || d.type === "drop" || d.type === "duplicate" ? d.msg : undefined

/** Does a decision belong to `node`'s activity: its own steps, and the faults of messages it sends or receives? */
const involves = (d: Decision, node: string): boolean => {
  switch (d.type) {
    case "drop":
    case "duplicate":
      return d.from === node || d.to === node
    default:
      return d.node === node
  }
}

/**
 * Delta debugging over one list of decisions. `attempt` replays a candidate list and returns the
 * run when it still fails the same way. The moves, repeated until none shortens the run: remove
 * every fault; remove one node's whole activity; remove one send with everything that happens to
 * its message (receive, drop, duplication); remove chunks of halving size down to single decisions.
 * A removal is kept when the run it gives still fails and is shorter.
 */
const minimize = (start: RunResult, attempt: (decisions: ReadonlyArray<Decision>) => RunResult | undefined, nodes: ReadonlyArray<string>, spent: () => boolean): RunResult => {
  let best = start
  let current = decisionsOf(best.events)
  const keepIfShorter = (candidate: ReadonlyArray<Decision>): boolean => {
    if (candidate.length >= current.length || spent()) return false
    const r = attempt(candidate)
    if (r === undefined || decisionsOf(r.events).length >= current.length) return false
    best = r
    current = decisionsOf(r.events)
    return true
  }
  for (let progress = true; progress && !spent(); ) {
    progress = keepIfShorter(current.filter((d) => !isFault(d)))
    for (const node of nodes) progress = keepIfShorter(current.filter((d) => !involves(d, node))) || progress
    for (let i = 0; i < current.length && !spent(); i++) {
      const d = current[i]!
      if (d.type !== "send" || d.msg < 0) continue
      // Copies made by duplicating the message go with it.
      const gone = new Set([d.msg])
      for (const e of current) if (e.type === "duplicate" && gone.has(e.msg)) gone.add(e.copy)
      if (keepIfShorter(current.filter((e) => e !== d && !gone.has(messageOfDecision(e) ?? -1)))) {
        progress = true
        i--
      }
    }
    for (let chunk = Math.max(1, Math.ceil(current.length / 2)); !spent(); ) {
      let removed = false
      for (let start = 0; start < current.length && !spent(); ) {
        if (keepIfShorter([...current.slice(0, start), ...current.slice(start + chunk)])) removed = true
        else start += chunk
      }
      progress = progress || removed
      if (!removed) {
        if (chunk === 1) break
        chunk = Math.max(1, Math.floor(chunk / 2))
      }
    }
  }
  return best
}

/**
 * Replays decisions at the protocol level (no programs; a send is taken when the protocol allows
 * it from the current state), skipping those that are not enabled. Messages are matched by content.
 */
const protocolChooser = (semantics: Step.Semantics, decisions: ReadonlyArray<Decision>): Chooser => {
  let i = 0
  const findMessage = (view: EngineView, m: { from: string; to: string; tag: string; payload: unknown }) =>
    view.statelet.soup.find((x) => x.active && x.from === m.from && x.to === m.to && x.tag === m.tag && samePayload(x.payload, m.payload))
  const allowed = (view: EngineView, action: Step.Action) => Step.step(semantics, view.statelet, action)._tag === "Stepped"
  const resolve = (d: Decision, view: EngineView): Candidate | undefined => {
    switch (d.type) {
      case "send": {
        const message = { tag: d.tag, to: d.to, payload: d.payload }
        return allowed(view, { kind: "send", node: d.node, ...message }) ? { type: "send", node: d.node, message } : undefined
      }
      case "deliver": {
        const m = findMessage(view, { from: d.from, to: d.node, tag: d.tag, payload: d.payload })
        return m !== undefined && allowed(view, { kind: "receive", msgId: m.id }) ? { type: "deliver", node: d.node, msg: m.id } : undefined
      }
      case "drop":
      case "duplicate": {
        const m = findMessage(view, d)
        return m !== undefined && allowed(view, { kind: d.type, msgId: m.id }) ? { type: d.type, msg: m.id } : undefined
      }
      case "crash":
      case "restart":
        return allowed(view, { kind: d.type, node: d.node }) ? { type: d.type, node: d.node } : undefined
      case "timeout":
      case "wake":
        return undefined
    }
  }
  return {
    delay: () => 0,
    choose: (view) => {
      while (i < decisions.length) {
        const candidate = resolve(decisions[i++]!, view)
        if (candidate !== undefined) return { candidate }
      }
      return { end: "quiescent" }
    }
  }
}

/**
 * Each send of `decisions` with its tag changed to another tag that the same payload fits, the
 * message's receive changed with it: the neighbours a protocol-level shrink tries (a participant's
 * `no` in place of its `yes`, say), since removing decisions alone can never change what was sent.
 */
const substitutions = (protocol: System["protocol"], decisions: ReadonlyArray<Decision>): Array<ReadonlyArray<Decision>> => {
  const out: Array<ReadonlyArray<Decision>> = []
  decisions.forEach((d, i) => {
    if (d.type !== "send" || d.msg < 0) return
    for (const [tag, declaration] of Object.entries(protocol.messages)) {
      if (tag === d.tag || !declaration.isPayload(d.payload)) continue
      out.push(decisions.map((e, j) => (j === i || (e.type === "deliver" && e.msg === d.msg) ? { ...e, tag } : e)))
    }
  })
  return out
}

/** A shrunk failing run. */
export interface Shrunk {
  /** The shortest run of the programs found that fails the same way; it replays strictly. */
  readonly trace: Trace
  /**
   * For an invariant violation, a shorter run of the protocol's transitions alone (header level
   * `protocol`, as the checker's traces) that breaks the same invariant, when one was found: the
   * shrinker drops the programs, removes decisions, and tries other tags for the same payloads.
   * It replays strictly too.
   */
  readonly protocol: Trace | undefined
  /** Replays tried, over both levels. */
  readonly attempts: number
}

/**
 * Shrinks a failing trace by delta debugging (see `minimize`): over the programs' decisions first,
 * keeping only runs that still fail the same way; then, for an invariant violation, at the protocol
 * level, where the programs no longer constrain what is sent (see `Shrunk.protocol`). Every trace
 * returned is re-recorded and replayed strictly; a difference is an error.
 */
export const shrink = (system: System, failing: Trace, budget = 4000): Shrunk => {
  const target = signature(failing.end.violation)
  if (target === undefined) throw new Error("shrink: the trace does not end in a violation")
  const options = engineOptions(failing.header)
  const nodes = system.topology.all
  let attempts = 0
  const spent = () => attempts >= budget
  const attempt = (decisions: ReadonlyArray<Decision>): RunResult | undefined => {
    attempts++
    const result = Engine.run(system, options, lenientChooser(decisions))
    return signature(result.end.violation) === target ? result : undefined
  }
  const first = attempt(decisionsOf(failing.events))
  if (first === undefined) return { trace: failing, protocol: undefined, attempts }
  const best = minimize(first, attempt, nodes, spent)
  const trace = confirmed(system, traceOf(failing.header, best), target)
  let protocol: Trace | undefined
  if (failing.end.violation?.kind === "invariant") {
    const passive = withoutPrograms(system)
    const semantics = Step.make(system.protocol, system.topology, FaultPlan.faultModel(options.faults))
    const attemptProtocol = (decisions: ReadonlyArray<Decision>): RunResult | undefined => {
      attempts++
      const result = Engine.run(passive, options, protocolChooser(semantics, decisions))
      return signature(result.end.violation) === target ? result : undefined
    }
    const start = attemptProtocol(decisionsOf(best.events))
    if (start !== undefined) {
      let shortest = minimize(start, attemptProtocol, nodes, spent)
      for (let changed = true; changed && !spent(); ) {
        changed = false
        const length = decisionsOf(shortest.events).length
        for (const candidate of substitutions(system.protocol, decisionsOf(shortest.events))) {
          if (spent()) break
          const r = attemptProtocol(candidate)
          if (r === undefined || decisionsOf(r.events).length >= length) continue
          shortest = minimize(r, attemptProtocol, nodes, spent)
          changed = true
          break
        }
      }
      if (shortest.end.steps < best.end.steps) {
        protocol = confirmed(passive, traceOf({ ...failing.header, level: "protocol", faults: options.faults }, shortest), target)
      }
    }
  }
  return { trace, protocol, attempts }
}

/** A shrunk trace, checked: it replays strictly to the same violation. */
const confirmed = (system: System, trace: Trace, target: string): Trace => {
  const check = replay(system, trace)
  if (!check.identical || signature(check.trace.end.violation) !== target) {
    throw new Error(`shrink: the shrunk trace does not replay to the same violation: ${check.difference ?? "different violation"}`)
  }
  return trace
}
