/**
 * `protoweave check <protocol>`: explores every reachable state of a protocol family's model with
 * the explicit-state checker and reports, per property, whether it holds (with a shortest
 * counterexample when it does not), which `sometimes` properties are reached, and the deadlocks,
 * followed by the search's figures. `--trace FILE` keeps the counterexample as an NDJSON trace that
 * `protoweave replay` reproduces.
 *
 * The search is synchronous, so it runs in a worker thread: the main thread stays free to print
 * the progress the worker posts and to catch Ctrl-C, which it passes on through a shared flag that
 * the search polls; the worker then stops and reports what it has found so far.
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type * as FileSystem from "effect/FileSystem"
import * as Option from "effect/Option"
import { Argument, Command, Flag } from "effect/cli"
import { parentPort, workerData } from "node:worker_threads"
import * as Checker from "../checker/Checker.ts"
import * as Liveness from "../checker/Liveness.ts"
import * as Parallel from "../checker/Parallel.ts"
import type { PartialOrderReport } from "../checker/PartialOrder.ts"
import * as WorkerThread from "../checker/WorkerThread.ts"
import { CodecError } from "../checker/Codec.ts"
import * as Successors from "../checker/Successors.ts"
import { ModelError } from "../checker/Successors.ts"
import type { Model } from "../core/Model.ts"
import type { Family } from "../core/System.ts"
import * as FaultPlan from "../simulator/FaultPlan.ts"
import * as Report from "../simulator/Report.ts"
import * as Simulator from "../simulator/Simulator.ts"
import * as Trace from "../simulator/Trace.ts"
import { oneLine, UsageError, ViolationFound } from "./Errors.ts"
import * as Files from "./Files.ts"
import * as Manifests from "./Manifests.ts"
import * as Parameters from "./Parameters.ts"
import { wholeNumber } from "./Simulate.ts"

/** The flags of `check` itself, which no convenience parameter flag may shadow. */
const ownFlags: ReadonlyArray<string> = ["bfs", "dfs", "symmetry", "no-symmetry", "max-states", "max-depth", "workers", "stop-at-first-violation", "por", "trace", "param"]


const config = (families: ReadonlyArray<Family>) => ({
  protocol: Argument.String("protocol").pipe(
    Argument.withDescription('the protocol to check: a name "protoweave list" shows, or a protocol module\'s path (./src/election.ts, or ./src/election.ts#<family>)')
  ),
  bfs: Flag.Boolean("bfs").pipe(
    Flag.withoutNegation,
    Flag.withDescription("search breadth-first: counterexamples and witnesses are shortest (the default)"),
    Flag.withDefault(false)
  ),
  dfs: Flag.Boolean("dfs").pipe(
    Flag.withoutNegation,
    Flag.withDescription("search depth-first: a smaller frontier, but traces are not shortest"),
    Flag.withDefault(false)
  ),
  symmetry: Flag.Boolean("symmetry").pipe(
    Flag.withDescription("identify states that differ only by renaming the model's interchangeable nodes; --no-symmetry turns it off (default: on when the model declares some)"),
    Flag.optional
  ),
  maxStates: Flag.String("max-states").pipe(
    Flag.withMetavar("N"),
    Flag.withDescription("stop after this many distinct states (default: the model's bound, else none)"),
    Flag.optional
  ),
  maxDepth: Flag.String("max-depth").pipe(
    Flag.withMetavar("N"),
    Flag.withDescription("do not expand states this many steps from the initial state (default: the model's bound, else none)"),
    Flag.optional
  ),
  workers: Flag.String("workers").pipe(
    Flag.withMetavar("N"),
    Flag.withDescription("search on N threads, this one and N - 1 worker threads (breadth-first only; default 1)"),
    Flag.optional
  ),
  stopAtFirstViolation: Flag.Boolean("stop-at-first-violation").pipe(
    Flag.withoutNegation,
    Flag.withDescription(
      "stop at the first violated property or deadlock (breadth-first, at the end of its level); the properties left undecided are reported not established (default: search on until every property has its verdict)"
    ),
    Flag.withDefault(false)
  ),
  por: Flag.Boolean("por").pipe(
    Flag.withoutNegation,
    Flag.withDescription(
      "partial-order reduction: from a state, take only one node's steps when that reaches the same verdicts (invariants, witnesses, deadlocks) over fewer states; a model it does not handle (history soup, faults, liveness properties, properties that read the statelet itself) is searched in full and the report says why (one thread only)"
    ),
    Flag.withDefault(false)
  ),
  trace: Flag.String("trace").pipe(
    Flag.withMetavar("FILE"),
    Flag.withDescription("write the NDJSON trace of the first violated property (else of the first deadlock), for protoweave replay"),
    Flag.optional
  ),
  param: Flag.String("param").pipe(
    Flag.withMetavar("NAME=N"),
    Flag.withDescription('a size parameter of the protocol (repeatable); "protoweave list" shows them'),
    Flag.atLeast(0)
  ),
  sizes: Parameters.sizeFlags(families, ownFlags)
})

/** The parsed command line of `check`: numbers are checked by `check`, for uniform messages. */
export interface CheckInput {
  readonly protocol: string
  readonly bfs: boolean
  readonly dfs: boolean
  readonly symmetry: Option.Option<boolean>
  readonly maxStates: Option.Option<string>
  readonly maxDepth: Option.Option<string>
  readonly workers: Option.Option<string>
  readonly stopAtFirstViolation: boolean
  readonly por: boolean
  readonly trace: Option.Option<string>
  readonly param: ReadonlyArray<string>
  readonly sizes: { readonly [name: string]: Option.Option<string> }
}

/** How the search is run, as far as the command line decides it. */
export interface SearchOptions {
  readonly strategy: "bfs" | "dfs"
  readonly symmetry?: boolean
  readonly maxStates?: number
  readonly maxDepth?: number
  /** Worker threads that expand states (breadth-first only); 1 searches on the calling thread. */
  readonly workers?: number
  /** Stop at the first violation or deadlock (`Checker.CheckOptions.stopAtFirstViolation`). */
  readonly stopAtFirstViolation?: boolean
  /** Partial-order reduction (`Checker.CheckOptions.partialOrder`). */
  readonly partialOrder?: boolean
}

/**
 * A trace found by the checker, recorded as the simulator's NDJSON. The search expands violating
 * states, so a trace may pass through states that violate other properties; the simulator ends a
 * run at its first violation, so the trace is recorded twice: to show, on the system with no
 * invariant but the one the trace is about, so that it runs to its last step; and for `replay`,
 * with every property, so that it ends where a replay ends.
 */
export interface RecordedTrace {
  /** The number of steps from the initial state. */
  readonly steps: number
  readonly ndjson: string
  readonly replayable: string
  /** Each other `always` property violated along the trace, with the first step after which it is. */
  readonly alsoViolates: ReadonlyArray<{ readonly property: string; readonly step: number }>
}

/**
 * The checker's report with its traces recorded as NDJSON text: plain data, so that it crosses
 * from the worker thread unchanged (statelets need not survive structured cloning).
 */
export interface Outcome extends Omit<Checker.CheckReport, "properties" | "deadlocks"> {
  readonly properties: ReadonlyArray<Omit<Checker.PropertyResult, "trace"> & { readonly trace: RecordedTrace | undefined }>
  readonly deadlocks: Omit<Checker.CheckReport["deadlocks"], "trace"> & { readonly trace: RecordedTrace | undefined }
  /** Why the model's liveness properties were not checked, when they were not. */
  readonly livenessSkipped?: string
  /** The liveness properties' verdicts (`checker/Liveness.ts`), when the model has some; lassos recorded as traces. */
  readonly liveness?: Omit<Liveness.LivenessReport, "properties"> & {
    readonly properties: ReadonlyArray<Omit<Liveness.LivenessResult, "lasso"> & { readonly trace: RecordedTrace | undefined; readonly stem: number; readonly stutters: boolean }>
    /** Whether its exploration was bounded by `livenessMaxStates` (no bound given). */
    readonly defaultBound: boolean
  }
}

/**
 * The fault plan under which a model's traces replay: every fault the model explores switched on
 * (with the presets' rates, which only matter to random runs), so that the simulator's step
 * function allows the same steps.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * faultPlanOf(TokenRing.model()).drop // => 0
 */
export const faultPlanOf = (model: Model): FaultPlan.FaultPlan => {
  const faults = model.faults
  if (faults === undefined) return FaultPlan.reorder
  return {
    ...FaultPlan.reorder,
    drop: faults.drop ? FaultPlan.presets.drop!.drop : 0,
    duplicate: faults.duplicate ? FaultPlan.presets.duplicate!.duplicate : 0,
    crash: faults.crash ? FaultPlan.presets.crash!.crash : 0,
    restart: faults.restart ? FaultPlan.presets.crash!.restart : 0,
    maxCrashed: faults.maxCrashed ?? FaultPlan.reorder.maxCrashed
  }
}

/**
 * A family as a worker thread finds it: the URL of the module whose manifest lists it, its name,
 * and the module path its traces name (undefined for a bundled family).
 */
export interface FamilyAt {
  readonly module: string
  readonly family: string
  readonly traced: string | undefined
}

/**
 * Builds a family's model and checks it: the work of the worker thread, usable directly too. The
 * traces are recorded on the system `family.make(parameters)` builds, which is the one
 * `protoweave replay` rebuilds from the trace's header.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * const outcome = await explore({ module: TokenRing.manifest.module, family: "token-ring", traced: undefined }, { members: 3 }, { strategy: "bfs" })
 * outcome.states // => 12
 */
export const explore = async (
  at: FamilyAt,
  parameters: { readonly [name: string]: number },
  search: SearchOptions,
  hooks: Pick<Checker.CheckOptions, "onProgress" | "interrupted"> = {}
): Promise<Outcome> => {
  const name = at.family
  const family = (await Manifests.load(at.module)).families.find((f) => f.name === name)
  if (family?.model === undefined) throw new ModelError(`${name} has no model to check`)
  const model = family.model(parameters)
  const { workers = 1, ...options } = search
  const source = Manifests.modelSource(at, parameters)
  const report =
    workers > 1
      ? await Parallel.checkParallel(model, source, { ...options, ...hooks, workers, progressEvery: 1000 })
      : Checker.check(model, { ...options, ...hooks, progressEvery: 1000 })
  const system = family.make(parameters)
  const faults = faultPlanOf(model)
  const nodes = model.system.topology.nodes
  const invariants = model.system.properties.filter((p) => p.kind === "always")
  /** Records a trace; `about` is the invariant it violates (undefined for a witness or a deadlock). */
  const record = (trace: Checker.CheckTrace | undefined, about: string | undefined): RecordedTrace | undefined => {
    if (trace === undefined) return undefined
    const steps = trace.steps.map((s) => ({ action: s.action, message: s.message }))
    const recorded = (on: typeof system) => Trace.toNdjson(Trace.withModule(Simulator.traceOfSteps(on, { name, parameters, faults }, steps), at.traced))
    const shown = { ...system, properties: system.properties.filter((p) => p.kind !== "always" || p.name === about) }
    const states = [trace.initial, ...trace.steps.map((s) => s.state)]
    const alsoViolates = invariants.flatMap((p) => {
      if (p.name === about) return []
      const step = states.findIndex((s) => !p.holds(s as never, nodes))
      return step < 0 ? [] : [{ property: p.name, step }]
    })
    return { steps: steps.length, ndjson: recorded(shown), replayable: recorded(system), alsoViolates }
  }
  // Liveness runs its own exploration of the unreduced graph, on this thread (see checker/Liveness.ts).
  const livenessBound = options.maxStates ?? model.maxStates ?? livenessMaxStates
  const hasLiveness = model.system.properties.some((p) => p.kind === "eventually" || p.kind === "leadsTo")
  // Stopped at the first violation, the check establishes nothing more: liveness is not explored either.
  const stoppedEarly = options.stopAtFirstViolation === true && (report.incomplete === "violation" || report.incomplete === "deadlock")
  const live = hasLiveness && !stoppedEarly
    ? Liveness.checkLiveness(model, {
        maxStates: livenessBound,
        ...(options.maxDepth === undefined ? {} : { maxDepth: options.maxDepth }),
        ...(hooks.interrupted === undefined ? {} : { interrupted: hooks.interrupted })
      })
    : undefined
  const recordLasso = (property: string, lasso: Liveness.Lasso): RecordedTrace => {
    const steps = [...lasso.stem, ...lasso.cycle].map((s) => ({ action: s.action, message: s.message }))
    const marked = { property, stem: lasso.stem.length, cycle: lasso.cycle.length, stutters: lasso.stutters }
    const recorded = (on: typeof system) => {
      const trace = Trace.withModule(Simulator.traceOfSteps(on, { name, parameters, faults }, steps), at.traced)
      return Trace.toNdjson({ ...trace, header: { ...trace.header, lasso: marked } })
    }
    const shown = { ...system, properties: system.properties.filter((p) => p.kind !== "always") }
    return { steps: steps.length, ndjson: recorded(shown), replayable: recorded(shown), alsoViolates: [] }
  }
  return {
    ...report,
    properties: report.properties.map((p) => ({ ...p, trace: record(p.trace, p.kind === "always" ? p.name : undefined) })),
    deadlocks: { ...report.deadlocks, trace: record(report.deadlocks.trace, undefined) },
    ...(hasLiveness && stoppedEarly ? { livenessSkipped: "not checked: the search stopped at the first violation (--stop-at-first-violation)" } : {}),
    ...(live === undefined
      ? {}
      : {
          liveness: {
            ...live,
            defaultBound: livenessBound === livenessMaxStates && options.maxStates === undefined && model.maxStates === undefined,
            properties: live.properties.map(({ lasso, ...p }) => ({
              ...p,
              trace: lasso === undefined ? undefined : recordLasso(p.name, lasso),
              stem: lasso?.stem.length ?? 0,
              stutters: lasso?.stutters ?? false
            }))
          }
        })
  }
}

/** What the main thread gives the worker. */
interface WorkerInput {
  readonly at: FamilyAt
  readonly parameters: { readonly [name: string]: number }
  readonly search: SearchOptions
  /** One Int32: the main thread stores 1 in it on Ctrl-C. */
  readonly stop: SharedArrayBuffer
}

/** What the worker posts back: progress as it goes, then the outcome or why there is none. */
type WorkerMessage =
  | { readonly type: "progress"; readonly progress: Checker.CheckProgress }
  | { readonly type: "done"; readonly outcome: Outcome }
  | { readonly type: "failed"; readonly usage: boolean; readonly message: string }

/**
 * The body of the checker's worker thread: explores the model named in its `workerData`, posting
 * progress and then the outcome. A model the checker refuses (`ModelError`, `CodecError`) is bad
 * input; anything else is reported as an internal error.
 */
export const runWorker = (): void => {
  const port = parentPort
  if (port === null) throw new Error("runWorker runs in the checker's worker thread only")
  const input = workerData as WorkerInput
  const stop = new Int32Array(input.stop)
  const post = (message: WorkerMessage) => port.postMessage(message)
  const failed = (e: unknown) => {
    const usage = e instanceof ModelError || e instanceof CodecError
    const message = e instanceof Error ? (usage ? e.message : `${e.name}: ${e.message}`) : String(e)
    post({ type: "failed", usage, message })
  }
  explore(input.at, input.parameters, input.search, {
    onProgress: (progress) => post({ type: "progress", progress }),
    interrupted: () => Atomics.load(stop, 0) !== 0
  }).then((outcome) => post({ type: "done", outcome }), failed)
}

const count = (n: number) => Math.round(n).toLocaleString("en-US")

const seconds = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(2)}s` : `${(ms / 1000).toFixed(1)}s`)

const perSecond = (states: number, ms: number) => (ms <= 0 ? "-" : count((states * 1000) / ms))

/**
 * The progress line of a long search.
 *
 * @example
 * formatProgress({ states: 30000, transitions: 52000, depth: 17, queue: 4100, elapsedMs: 2000, memoryBytes: 150 * 2 ** 20 })
 * // => "30,000 states, 15,000 states/s, depth 17, queue 4,100, 150 MB"
 */
export const formatProgress = (p: Checker.CheckProgress): string =>
  `${count(p.states)} states, ${perSecond(p.states, p.elapsedMs)} states/s, depth ${p.depth}, queue ${count(p.queue)}, ${count(p.memoryBytes / 2 ** 20)} MB`

/**
 * Runs the search in a worker thread: progress goes to stderr, and Ctrl-C sets the flag the search
 * polls (a second Ctrl-C quits at once). Interrupting the command itself terminates the worker.
 */
const inWorker = (input: Omit<WorkerInput, "stop">): Effect.Effect<Outcome, UsageError> =>
  Effect.callback<Outcome, UsageError>((resume) => {
    const stop = new SharedArrayBuffer(4)
    const flag = new Int32Array(stop)
    const worker = WorkerThread.start(import.meta.url, "runWorker", { ...input, stop } satisfies WorkerInput)
    let settled = false
    const onSigint = () => {
      if (Atomics.load(flag, 0) !== 0) {
        process.stderr.write("interrupted again: quitting without a result\n")
        process.exit(130)
      }
      Atomics.store(flag, 0, 1)
      process.stderr.write("\ninterrupted: stopping the search to report what it found so far (Ctrl-C again to quit at once)\n")
    }
    const settle = () => {
      settled = true
      process.off("SIGINT", onSigint)
      void worker.terminate()
    }
    const finish = (effect: Effect.Effect<Outcome, UsageError>) => {
      if (settled) return
      settle()
      resume(effect)
    }
    process.on("SIGINT", onSigint)
    worker.on("message", (message: WorkerMessage) => {
      switch (message.type) {
        case "progress":
          // Written straight away: the main thread has nothing else to do while the worker searches.
          process.stderr.write(`progress: ${formatProgress(message.progress)}\n`)
          return
        case "done":
          return finish(Effect.succeed(message.outcome))
        case "failed":
          return finish(
            message.usage
              ? Effect.fail(new UsageError({ message: `cannot check ${input.at.family}: ${oneLine(message.message)}` }))
              : Effect.die(new Error(`the checker failed: ${oneLine(message.message)}`))
          )
      }
    })
    worker.on("error", (e) => finish(Effect.die(e)))
    worker.on("exit", (code) => finish(Effect.die(new Error(`the checker's worker thread stopped (exit code ${code}) without a result`))))
    return Effect.sync(() => {
      if (!settled) settle()
    })
  })

/** What the output says about the run besides the outcome. */
export interface OutcomeContext {
  /** The depth bound in force, to say up to where a bounded search checked. */
  readonly maxDepth: number | undefined
  /** The states bound in force. */
  readonly maxStates: number | undefined
}

const parametersText = (parameters: { readonly [name: string]: number }): string => {
  const entries = Object.entries(parameters)
  return entries.length === 0 ? "default sizes" : entries.map(([k, v]) => `${k}=${v}`).join(" ")
}

const stepsText = (n: number) => `${n} step${n === 1 ? "" : "s"}`

/**
 * Which states a search that stopped early judged against the properties, in words: every state up
 * to a depth (a breadth-first search that stopped at the end of a level), or a number of states.
 */
const exploredText = (outcome: Outcome, context: OutcomeContext): string => {
  const states = `the ${count(outcome.states)} states explored`
  switch (outcome.incomplete) {
    case "max-depth": {
      const bound = context.maxDepth ?? outcome.maxDepth
      // Depth-first, a state first met deep is not expanded again when met shallower later.
      return outcome.strategy === "bfs" ? `every state up to depth ${bound}` : `${states} depth-first, not every state up to depth ${bound}`
    }
    case "violation":
    case "deadlock":
    case "decided":
      return outcome.strategy === "bfs" ? `every state up to depth ${outcome.maxDepth}` : states
    default:
      return states
  }
}

/** Why an incomplete search stopped, in words. */
const incompleteText = (outcome: Outcome, context: OutcomeContext): string => {
  const explored = outcome.strategy === "bfs" ? `explored every state up to depth ${outcome.maxDepth}` : `explored ${count(outcome.states)} states`
  switch (outcome.incomplete) {
    case undefined:
      return "complete: every reachable state was explored"
    case "max-states":
      return `INCOMPLETE: stopped at the bound of ${count(context.maxStates ?? outcome.states)} states`
    case "max-depth":
      return `INCOMPLETE: states ${context.maxDepth ?? outcome.maxDepth} steps deep were not expanded (the depth bound)`
    case "interrupted":
      return "INTERRUPTED (Ctrl-C): the result is partial"
    case "violation":
      return `STOPPED at the first violation (--stop-at-first-violation): ${explored}, not every reachable state`
    case "deadlock":
      return `STOPPED at the first deadlock (--stop-at-first-violation): ${explored}, not every reachable state`
    case "decided":
      return `STOPPED once every property had its verdict and a deadlock was found: ${explored}, not every reachable state`
  }
}

/**
 * Which states a search that stopped early looked for deadlocks in: those it expanded, which are
 * the states it judged less the last level, unless that level was at the depth bound.
 */
const expandedText = (outcome: Outcome, context: OutcomeContext): string => {
  if (outcome.strategy === "bfs" && outcome.incomplete === "max-depth") return exploredText(outcome, context)
  if (outcome.strategy === "bfs" && (outcome.incomplete === "violation" || outcome.incomplete === "deadlock" || outcome.incomplete === "decided")) {
    return `every state up to depth ${Math.max(0, outcome.maxDepth - 1)}`
  }
  return "the states expanded"
}

/** What a search that stopped early says of a verdict it could not establish: why it stopped, and over which states nothing was found. */
const stoppedText = (outcome: Outcome, nothing: string, where: string): string => {
  switch (outcome.incomplete) {
    case "violation":
      return "not established: the search stopped at a violation"
    case "deadlock":
      return "not established: the search stopped at a deadlock"
    case "interrupted":
      return `not established: the search was interrupted (${nothing} in ${where})`
    default:
      return `not established (${nothing} in ${where})`
  }
}

/** The verdict on one property, on one line. */
const verdict = (p: Outcome["properties"][number], outcome: Outcome, context: OutcomeContext): string => {
  const shortest = outcome.strategy === "bfs" ? "shortest trace" : "trace"
  switch (p.status) {
    case "holds":
      return "holds"
    case "holds within bound":
      return `holds within the bound (${exploredText(outcome, context)})`
    case "violated":
      return `VIOLATED (${shortest}: ${stepsText(p.trace?.steps ?? 0)}, below)`
    case "witnessed":
      return `witnessed in ${stepsText(p.trace?.steps ?? 0)}`
    case "never reached":
      return "never reached (warning: no reachable state satisfies it; the invariants may hold vacuously)"
    case "not reached within bound":
      return `not reached within the bound (${exploredText(outcome, context)}; warning)`
    case "not established":
      return stoppedText(outcome, p.kind === "always" ? "no violation" : "not reached", exploredText(outcome, context))
  }
}

/** The deadlock verdict, on one line. */
const deadlocksText = (outcome: Outcome, context: OutcomeContext): string => {
  const { deadlocks } = outcome
  switch (deadlocks.status) {
    case "none":
      return "none"
    case "none within bound":
      return `none within the bound (${expandedText(outcome, context)})`
    case "not established":
      return stoppedText(outcome, "none", expandedText(outcome, context))
    case "found": {
      const found = outcome.incomplete === undefined ? count(deadlocks.count) : `${count(deadlocks.count)} in ${expandedText(outcome, context)}, more may exist`
      return `${found} (DEADLOCK: the first ${outcome.strategy === "bfs" ? "reached" : "found"} in ${stepsText(deadlocks.trace?.steps ?? 0)}, below)`
    }
  }
}

/** How a search on several threads shared its work. */
const threadsText = (t: Checker.ThreadsReport): string =>
  t.threads === 1
    ? "1"
    : t.sharedFrom < 0
    ? `${t.threads}, but this thread finished before the others were ready`
    : `${t.threads}, sharing every level from depth ${t.sharedFrom}; ${count(t.stolen)} batches (${count(t.stolenStates)} states) went to threads that ran out`

/** What partial-order reduction did, or why the search was not reduced. */
const partialOrderText = (p: PartialOrderReport): string =>
  p.applied
    ? `partial-order reduction: on (one node's steps taken at ${count(p.reduced)} of the ${count(p.expanded)} states expanded)`
    : `partial-order reduction: OFF, every state searched: ${p.reason ?? "not applicable"}`

/**
 * The report of a check: the verdict on every property, the deadlocks, then the search's figures
 * — states, transitions, depth, time and rate, bytes per state, the fingerprint collision bound —
 * and whether the search was complete. An interrupted search is announced as partial first.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * const outcome = await explore({ module: TokenRing.manifest.module, family: "token-ring", traced: undefined }, {}, { strategy: "bfs" })
 * const text = formatOutcome(outcome, { maxDepth: undefined, maxStates: undefined })
 * text.includes("search      complete: every reachable state was explored") // => true
 */
export const formatOutcome = (outcome: Outcome, context: OutcomeContext): string => {
  const lines: Array<string> = []
  if (outcome.incomplete === "interrupted") lines.push("PARTIAL RESULT: the search was interrupted before it finished")
  const width = Math.max(0, ...outcome.properties.map((p) => p.name.length))
  outcome.properties.forEach((p, i) => {
    const heading = i === 0 ? "properties  " : "            "
    lines.push(`${heading}${p.name.padEnd(width)}  ${p.kind === "always" ? "always   " : "sometimes"}  ${verdict(p, outcome, context)}`)
  })
  lines.push(`deadlocks   ${deadlocksText(outcome, context)}`)
  lines.push(...livenessLines(outcome))
  lines.push(
    `states      ${count(outcome.states)} distinct, ${count(outcome.transitions)} transitions, depth ${outcome.maxDepth}`,
    `time        ${seconds(outcome.elapsedMs)} (${perSecond(outcome.states, outcome.elapsedMs)} states/s)`,
    `memory      ${count(outcome.bytesPerState)} bytes/state`,
    `collisions  probability ${outcome.collisionProbability.toExponential(1)} that two distinct states shared a fingerprint`,
    ...(outcome.threads === undefined ? [] : [`threads     ${threadsText(outcome.threads)}`]),
    ...(outcome.partialOrder === undefined ? [] : [`reduction   ${partialOrderText(outcome.partialOrder)}`]),
    `search      ${incompleteText(outcome, context)}`
  )
  return lines.join("\n")
}


/**
 * The bound on the liveness exploration's states when neither `--max-states` nor the model gives
 * one: it stores every edge of the unreduced graph (about 0.3 KB a state), so it is kept to what
 * takes seconds; beyond it the verdicts say "not established within the bound".
 */
export const livenessMaxStates = 100_000

/** The liveness verdicts, the fairness they assume and how their graph was explored. */
const livenessLines = (outcome: Outcome): ReadonlyArray<string> => {
  const live = outcome.liveness
  if (live === undefined) return outcome.livenessSkipped === undefined ? [] : [`liveness    ${outcome.livenessSkipped}`]
  const width = Math.max(0, ...live.properties.map((p) => p.name.length))
  const verdictOf = (p: NonNullable<Outcome["liveness"]>["properties"][number]): string =>
    p.status !== "violated"
      ? p.status === "not established within the bound"
        ? `NOT ESTABLISHED within the bound (${live.incomplete}: no fair cycle on which it fails among the states expanded, but states beyond the bound were not)`
        : p.status
      : p.stutters
        ? `VIOLATED: a run of ${stepsText(p.stem)} that then stops for ever (lasso below)`
        : `VIOLATED: a lasso of ${stepsText(p.stem)} and a cycle of ${stepsText((p.trace?.steps ?? 0) - p.stem)} (below)`
  return [
    ...live.properties.map((p, i) => `${i === 0 ? "liveness    " : "            "}${p.name.padEnd(width)}  ${p.kind === "eventually" ? "eventually" : "leadsTo   "}  ${verdictOf(p)}`),
    `fairness    ${live.fairness}`,
    `            liveness explored its own graph on one thread${(outcome.threads?.threads ?? 1) > 1 ? " (not the workers')" : ""}: ${count(live.states)} states, ${count(live.edges)} edges, ${live.incomplete === undefined ? "every reachable state expanded" : `cut (${live.incomplete}${live.incomplete === "max-states" && live.defaultBound ? `: its default bound, ${count(livenessMaxStates)} states; --max-states changes it` : ""})`}; symmetry ${live.symmetry}`
  ]
}

const optionalNumber = (flag: string, text: Option.Option<string>, min: number): Effect.Effect<number | undefined, UsageError> =>
  Option.isNone(text) ? Effect.succeed(undefined) : wholeNumber(flag, text.value, min)

const messageOf = (e: unknown) => oneLine(e instanceof Error ? e.message : String(e))

/** The summary line of the model: what is checked, and how. */
const modelLine = (family: Family, module: string | undefined, parameters: { readonly [name: string]: number }, model: Model, search: SearchOptions): string => {
  const roles = (model.symmetric ?? []).map((g) => (typeof g === "string" ? g : g.join("/")))
  const symmetry =
    roles.length === 0
      ? "symmetry off (no interchangeable roles)"
      : search.symmetry === false
        ? "symmetry off (--no-symmetry)"
        : `symmetry on (${roles.join(", ")})`
  const faults = Object.entries(model.faults ?? {}).filter(([k, v]) => v === true && k !== "maxCrashed" && k !== "maxDuplicates")
  const bounds = [
    ...(search.maxDepth ?? model.maxDepth) !== undefined ? [`max-depth ${search.maxDepth ?? model.maxDepth}`] : [],
    ...(search.maxStates ?? model.maxStates) !== undefined ? [`max-states ${count(search.maxStates ?? model.maxStates!)}`] : [],
    ...(search.stopAtFirstViolation === true ? ["stop at first violation"] : [])
  ]
  return [
    `check ${family.name}${module === undefined ? "" : ` (${module})`}`,
    parametersText(parameters),
    search.strategy,
    symmetry,
    `soup ${model.soup ?? "history"}`,
    `faults ${faults.length === 0 ? "none (reorder only)" : faults.map(([k]) => k).join(", ")}`,
    ...bounds
  ].join("  ")
}

/** A note for a trace that passes through (or ends in) states violating other properties, which the search expanded. */
const passingText = (trace: RecordedTrace): string =>
  trace.alsoViolates.length === 0
    ? ""
    : `\n(this path also violates ${trace.alsoViolates.map((v) => `${v.property} after step ${v.step}`).join(", ")}: the search expands violating states)`

/**
 * The payload domains the search draws sends from (for send transitions that declare no
 * `candidates`), one line per tag: where the values come from, how many, whether they are all the
 * schema's values or a sample of them (an approximation, said so), and the values themselves, cut
 * short.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * payloadLines(TokenRing.model())[0]
 * // => "payloads    token  model, 1 value: all of the schema's values: {}"
 */
export const payloadLines = (model: Model): ReadonlyArray<string> => {
  const domains = Successors.payloadDomains(model)
  const width = Math.max(0, ...domains.map((d) => d.tag.length))
  return domains.map((d, i) => {
    const n = d.values.length
    const values = `${count(n)} value${n === 1 ? "" : "s"}`
    const coverage = !d.sample
      ? `all of the schema's values`
      : d.schemaSize === Number.POSITIVE_INFINITY
        ? "a sample of an infinite schema (an approximation)"
        : d.schemaSize === undefined
          ? "perhaps a sample of the schema, which the checker cannot count (an approximation)"
          : `a sample of the schema's ${count(d.schemaSize)} (an approximation)`
    const listed = d.values.map((v) => Report.compact(v, 60)).join(", ")
    const shown = listed.length <= 60 ? listed : `${listed.slice(0, 59)}…`
    return `${i === 0 ? "payloads    " : "            "}${d.tag.padEnd(width)}  ${d.source}, ${values}: ${coverage}: ${shown}`
  })
}

/**
 * Runs `check` for a parsed command line: validates it, builds the model, searches (in a worker
 * thread), prints the report with the traces of violations and of the first deadlock, writes
 * `--trace`, and fails with `ViolationFound` on a violation or a deadlock, or with a
 * `UsageError` when an interrupted search found neither.
 */
export const check = (input: CheckInput): Effect.Effect<void, UsageError | ViolationFound, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const chosen = yield* Manifests.resolve(input.protocol)
    const family = chosen.family
    if (input.bfs && input.dfs) return yield* Effect.fail(new UsageError({ message: "--bfs and --dfs exclude each other; give one" }))
    const maxStates = yield* optionalNumber("max-states", input.maxStates, 1)
    const maxDepth = yield* optionalNumber("max-depth", input.maxDepth, 0)
    const workers = yield* optionalNumber("workers", input.workers, 1)
    if (workers !== undefined && workers > 1 && input.dfs) {
      return yield* Effect.fail(new UsageError({ message: "--workers applies to the breadth-first search; drop --dfs or --workers" }))
    }
    if (workers !== undefined && workers > 1 && input.por) {
      return yield* Effect.fail(new UsageError({ message: "--por searches on one thread; drop --workers or --por" }))
    }
    const parameters = yield* Parameters.resolve(family, yield* Parameters.given(input))
    const makeModel = family.model
    if (makeModel === undefined) {
      const listed = chosen.module === undefined ? yield* Effect.promise(Manifests.bundledFamilies) : chosen.manifest.families
      const checkable = listed.filter((f) => f.model !== undefined).map((f) => f.name)
      return yield* Effect.fail(new UsageError({ message: `${family.name} has no model to check (these do: ${checkable.join(", ")})` }))
    }
    // Built here too, though the worker builds its own, so that a family that cannot build its model
    // fails before any thread starts, and so that the summary line can say what is checked.
    const model = yield* Effect.try({
      try: () => makeModel(parameters),
      catch: (e) => new UsageError({ message: `cannot build the model of ${family.name}: ${messageOf(e)}` })
    })
    const system = yield* Effect.try({
      try: () => family.make(parameters),
      catch: (e) => new UsageError({ message: `cannot build ${family.name}: ${messageOf(e)}` })
    })
    const search: SearchOptions = {
      strategy: input.dfs ? "dfs" : "bfs",
      ...(Option.isSome(input.symmetry) ? { symmetry: input.symmetry.value } : {}),
      ...(maxStates === undefined ? {} : { maxStates }),
      ...(maxDepth === undefined ? {} : { maxDepth }),
      ...(workers === undefined ? {} : { workers }),
      ...(input.stopAtFirstViolation ? { stopAtFirstViolation: true } : {}),
      ...(input.por ? { partialOrder: true } : {})
    }
    yield* Console.log(modelLine(family, chosen.module, parameters, model, search))
    const domains = payloadLines(model)
    if (domains.length > 0) yield* Console.log(domains.join("\n"))
    const outcome = yield* inWorker({ at: { module: Manifests.urlOf(chosen), family: family.name, traced: chosen.module }, parameters, search })
    const context: OutcomeContext = { maxDepth: maxDepth ?? model.maxDepth, maxStates: maxStates ?? model.maxStates }
    yield* Console.log(formatOutcome(outcome, context))

    const initial = Report.initialLocals(system)
    const shown = (ndjson: string) => Report.formatTrace(Trace.fromNdjson(ndjson, "the checker's trace"), { initial })
    const violated = outcome.properties.filter((p) => p.status === "violated")
    for (const p of violated) {
      if (p.trace !== undefined) yield* Console.log(`\n${p.name} VIOLATED:${passingText(p.trace)}\n${shown(p.trace.ndjson)}`)
    }
    const livelocked = (outcome.liveness?.properties ?? []).filter((p) => p.status === "violated")
    for (const p of livelocked) if (p.trace !== undefined) yield* Console.log(`\n${p.name} VIOLATED (a fair run on which it never comes):\n${shown(p.trace.ndjson)}`)
    if (outcome.deadlocks.trace !== undefined) {
      // The simulator would call the end "completed", since no programs run; say what it is here.
      yield* Console.log(
        `\nfirst deadlock (after the last step nothing can happen, in a state the model does not count as final):${passingText(outcome.deadlocks.trace)}`
      )
      yield* Console.log(shown(outcome.deadlocks.trace.ndjson))
    }

    const traceFile = Option.getOrUndefined(input.trace)
    // The shortest counterexample: breadth-first, it passes through no other violation, so that
    // `replay` runs it to its end.
    const kept = violated.filter((p) => p.trace !== undefined).reduce<(typeof violated)[number] | undefined>((a, p) => (a === undefined || p.trace!.steps < a.trace!.steps ? p : a), undefined)
    const failing = kept === undefined ? (outcome.deadlocks.trace ?? livelocked[0]?.trace) : kept.trace
    if (traceFile !== undefined) {
      if (failing === undefined) {
        yield* Console.log(`\nno trace written to ${traceFile}: nothing was violated and nothing deadlocked`)
      } else {
        yield* Files.writeText(traceFile, `${failing.replayable}\n`, "trace file")
        const what = kept !== undefined ? `the violation of ${kept.name}` : outcome.deadlocks.trace !== undefined ? "the first deadlock" : `the lasso violating ${livelocked[0]!.name}`
        const earlier = failing.alsoViolates.filter((v) => v.step < failing.steps).sort((a, b) => a.step - b.step)[0]
        const cut = earlier === undefined ? "" : ` (a replay ends after step ${earlier.step}, where ${earlier.property} is violated on the way)`
        yield* Console.log(`\ntrace of ${what} written to ${traceFile}${cut}; replay it with: protoweave replay ${traceFile}`)
      }
    }
    if (violated.length > 0 || livelocked.length > 0 || outcome.deadlocks.count > 0) return yield* new ViolationFound()
    if (outcome.incomplete === "interrupted") {
      return yield* Effect.fail(new UsageError({ message: "the search was interrupted before it finished: the result above is partial" }))
    }
  })

/** The `check` command, with a convenience flag for each parameter of `families`. */
export const command = (families: ReadonlyArray<Family>) =>
  Command.make("check", config(families), check).pipe(
  Command.withDescription("Explore every reachable state of a protocol's model, checking its properties and looking for deadlocks")
)
