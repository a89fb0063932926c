/**
 * The simulator: seeded, deterministic runs of a system's programs on a simulated network with a
 * fault plan, checking every `always` property (and the protocol's coherence) after every step and
 * recording which `sometimes` properties were reached. A failing run is shrunk to fewer steps and
 * faults (and, for an invariant violation, also at the protocol level, without the programs), and
 * every shrunk trace is replayed strictly to confirm that it still fails. A run that ends stuck is
 * explained (what each blocked node waits for) and, when it lost no message and no node, counted as
 * a deadlock of the programs: a failure of the batch whatever the fault plan. Strict replay is
 * `Replay.ts`'s and shrinking `Shrink.ts`'s; both are re-exported here.
 *
 * @since 0.1.0
 */
import type * as Step from "../core/Step.ts"
import type { System } from "../core/System.ts"
import type { Chooser, RunResult } from "./Engine.ts"
import * as BoundedLiveness from "./BoundedLiveness.ts"
import * as Engine from "./Engine.ts"
import * as FaultPlan from "./FaultPlan.ts"
import * as Prng from "../core/Prng.ts"
import { shrink } from "./Shrink.ts"
import { type Header, programsHeader, type Status, type Trace, type TraceEvent } from "./Trace.ts"

export { replay, ReplayDivergence, type Replayed } from "./Replay.ts"
export { shrink, type Shrunk } from "./Shrink.ts"

const delayOf = (prng: Prng.Prng, plan: FaultPlan.FaultPlan) => () =>
  plan.delay.max > plan.delay.min ? plan.delay.min + prng.int(plan.delay.max - plan.delay.min + 1) : plan.delay.min

/**
 * Chooses uniformly among enabled decisions with a seeded PRNG, and injects the plan's faults:
 * scheduled ones at their step, message loss and duplication right after a send, crashes and
 * restarts with their per-step probabilities. When nothing is enabled it advances simulated time;
 * when nothing will ever be enabled it restarts a crashed node if the plan allows, or ends the run.
 */
export const randomChooser = (prng: Prng.Prng, plan: FaultPlan.FaultPlan): Chooser => {
  const faults = FaultPlan.injector(prng, plan)
  return {
    delay: delayOf(prng, plan),
    applied: (event) => {
      if (event.type === "send" && event.msg >= 0) faults.sent(event.msg)
    },
    choose: (view) => {
      const fault = faults.due(view.step + 1, view.crashed, view.liveRunning)
      if (fault !== undefined) return { candidate: fault }
      const enabled = view.enabled()
      if (enabled.length > 0) return { candidate: prng.pick(enabled) }
      const later = view.nextTime()
      if (later !== undefined) return { advance: later }
      const restart = faults.lastResort(view.crashed)
      return restart === undefined ? { end: "quiescent" } : { candidate: restart }
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
  /** Bounded liveness (`simulator/BoundedLiveness.ts`): steps a goal may take after its trigger and the last fault (default 200). */
  readonly livenessWithin?: number
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
export const failed = (summary: Pick<Summary, "violations" | "stuck" | "liveness">): boolean =>
  summary.violations > 0 || (summary.stuck?.unexcused ?? 0) > 0 || [...(summary.liveness?.values() ?? [])].some((l) => l.violated > l.afterLoss)

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
  /** Bounded liveness, per `eventually`/`leadsTo` property (program-level simulation only). */
  readonly liveness?: ReadonlyMap<string, LivenessTally>
}

/** How one liveness property fared over a batch's runs, as bounded liveness (see `BoundedLiveness.judgeRun`). */
export interface LivenessTally {
  readonly within: number
  readonly met: number
  /** Runs that ended, or waited more than `within` steps after the last fault, without the goal... */
  readonly violated: number
  /** ...of which this many had lost a message or a node (a drop or a crash): excused, as stuck runs are. */
  readonly afterLoss: number
  /** Runs that ended at their limit too soon to tell. */
  readonly open: number
  /** The first violating run not excused by a loss, else the first violating run. */
  readonly first: { readonly run: number; readonly since: number; readonly lastFault: number; readonly afterLoss: boolean } | undefined
}

const headerOf = (options: Pick<SimulateOptions, "name" | "parameters" | "faults" | "maxSteps" | "maxTime">, seed: number): Header =>
  programsHeader({ system: options.name, parameters: options.parameters, seed, faults: FaultPlan.validate(options.faults), maxSteps: options.maxSteps, maxTime: options.maxTime })


/**
 * Runs one seeded simulation and returns its trace.
 *
 * @example
 * import * as PingPongSystem from "../test/fixtures/PingPongSystem.ts"
 * import { reorder } from "./FaultPlan.ts"
 * const { trace } = runOnce(PingPongSystem.system(), { name: "pingpong", parameters: {}, seed: 7, runs: 1, faults: reorder, maxSteps: 1000, maxTime: 60000 })
 * trace.end.status // => "completed"
 */
export const runOnce = (system: System, options: SimulateOptions, seed = options.seed) => {
  const header = headerOf(options, seed)
  const result = Engine.run(system, Engine.optionsOf(header), randomChooser(Prng.make(seed), header.faults))
  return { result, trace: Engine.traceOf(header, result) }
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
  const within = options.livenessWithin ?? 200
  const tallies = new Map<string, LivenessTally>()
  for (const p of system.properties) {
    if (p.kind === "eventually" || p.kind === "leadsTo") tallies.set(p.name, { within, met: 0, violated: 0, afterLoss: 0, open: 0, first: undefined })
  }
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
      for (const verdict of BoundedLiveness.judgeRun(system, result, within)) {
        const t = tallies.get(verdict.name)!
        const afterLoss = verdict.afterLoss === true
        const first =
          verdict.status === "violated" && (t.first === undefined || (t.first.afterLoss && !afterLoss))
            ? { run: i, since: verdict.since!, lastFault: verdict.lastFault!, afterLoss }
            : t.first
        tallies.set(verdict.name, {
          ...t,
          met: t.met + (verdict.status === "met" ? 1 : 0),
          violated: t.violated + (verdict.status === "violated" ? 1 : 0),
          afterLoss: t.afterLoss + (verdict.status === "violated" && afterLoss ? 1 : 0),
          open: t.open + (verdict.status === "open" ? 1 : 0),
          first
        })
      }
      if (result.end.status !== "stuck") return
      const stuck: StuckRun = { run: i, trace, waits: result.waits, excused: excused(trace.events) }
      if (!stuck.excused) unexcused++
      if (firstStuck === undefined || (firstStuck.excused && !stuck.excused)) firstStuck = stuck
    }
  )
  const liveness = tallies.size === 0 ? {} : { liveness: tallies }
  return { ...summary, stuck: { unexcused, first: firstStuck }, ...liveness }
}

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
 * import * as PingPongSystem from "../test/fixtures/PingPongSystem.ts"
 * import { reorder } from "./FaultPlan.ts"
 * const trace = traceOfSteps(PingPongSystem.system(), { name: "pingpong", parameters: {}, faults: reorder }, [
 *   { action: { kind: "send", node: "p1", tag: "ping", to: "q1", payload: { n: 0 } }, message: undefined },
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
      const found = Engine.activeMessage(view.statelet, m)
      if (found === undefined) throw new Engine.NotEnabled(`step ${i}: no active message ${JSON.stringify(m)}`)
      return { candidate: a.kind === "receive" ? { type: "deliver", node: m.to, msg: found.id } : { type: a.kind, msg: found.id } }
    }
  }
  const result = Engine.run(Engine.withoutPrograms(system), Engine.optionsOf(header), chooser)
  return Engine.traceOf(header, result)
}
