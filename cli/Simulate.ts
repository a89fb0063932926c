/**
 * `protoweave simulate <protocol>`: seeded simulation runs of a protocol family with a fault plan,
 * a progress line on stderr about once a second, and a summary. A violation is shrunk, printed
 * as a readable trace (with the shorter protocol-level trace the shrinker may find), and makes the
 * command exit 1; `--trace FILE` keeps the NDJSON trace (the shrunk failing one, with the original
 * and the protocol-level one beside it, or else the last run's). A run that ends stuck without
 * having lost a message or a node is a deadlock: its trace is printed and the command exits 1;
 * stuck runs after a loss are explained but excused. `--trace-stuck FILE` keeps the first stuck run.
 *
 * @since 0.1.0
 */
import * as path from "node:path"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type * as FileSystem from "effect/FileSystem"
import * as Option from "effect/Option"
import { Argument, Command, Flag } from "effect/cli"
import type { Family } from "../core/System.ts"
import * as FaultPlan from "../simulator/FaultPlan.ts"
import * as Report from "../simulator/Report.ts"
import * as RandomWalk from "../simulator/RandomWalk.ts"
import * as Simulator from "../simulator/Simulator.ts"
import * as Trace from "../simulator/Trace.ts"
import { oneLine, UsageError, ViolationFound } from "./Errors.ts"
import * as Files from "./Files.ts"
import * as Manifests from "./Manifests.ts"
import * as Parameters from "./Parameters.ts"

/** The defaults of `simulate`'s flags. */
export const defaults = { seed: 1, runs: 1000, faults: "reorder", maxSteps: 5000, maxTime: 600_000, level: "programs", payloads: "model" } as const


const numberFlag = (name: string, fallback: number, description: string) =>
  Flag.String(name).pipe(Flag.withMetavar("N"), Flag.withDefault(String(fallback)), Flag.withDescription(`${description} (default ${fallback})`))

const config = (families: ReadonlyArray<Family>) => ({
  protocol: Argument.String("protocol").pipe(
    Argument.withDescription('the protocol to simulate: a name "protoweave list" shows, or a protocol module\'s path (./src/election.ts, or ./src/election.ts#<family>)')
  ),
  seed: numberFlag("seed", defaults.seed, "the seed of the batch (run i uses a seed derived from it)"),
  runs: numberFlag("runs", defaults.runs, "how many runs"),
  faults: Flag.String("faults").pipe(
    Flag.withDefault(defaults.faults),
    Flag.withMetavar("SPEC"),
    Flag.withDescription(
      `a preset (${Object.keys(FaultPlan.presets).join(", ")}) and/or settings such as drop=0.05,duplicate=0.1,delay=0-20,crash=0.01,restart=0.2,max-crashed=2,crash@12=p1 (default ${defaults.faults})`
    )
  ),
  trace: Flag.String("trace").pipe(
    Flag.withMetavar("FILE"),
    Flag.withDescription("write the NDJSON trace: the shrunk failing run (the original goes to FILE with .original before the extension), else the last run"),
    Flag.optional
  ),
  traceStuck: Flag.String("trace-stuck").pipe(
    Flag.withMetavar("FILE"),
    Flag.withDescription("write the NDJSON trace of the first stuck run (the first that lost no message or node, if any)"),
    Flag.optional
  ),
  level: Flag.String("level").pipe(
    Flag.withDefault(defaults.level),
    Flag.withMetavar("programs|protocol"),
    Flag.withDescription(
      `programs: run the nodes' programs; protocol: take random enabled steps of the protocol's transitions, with payloads from their candidates, the model or the payload schema, so that guards the programs never test are exercised (default ${defaults.level})`
    )
  ),
  payloads: Flag.String("payloads").pipe(
    Flag.withDefault(defaults.payloads),
    Flag.withMetavar("model|schema"),
    Flag.withDescription(
      `with --level protocol, where a transition declares no candidates: model, the model's payload domain (sampling from the payload schema only without one); schema, values sampled from the schema as well (default ${defaults.payloads})`
    )
  ),
  maxSteps: numberFlag("max-steps", defaults.maxSteps, "the step limit of each run"),
  maxTime: numberFlag("max-time", defaults.maxTime, "the simulated-time limit of each run, in ms"),
  param: Flag.String("param").pipe(
    Flag.withMetavar("NAME=N"),
    Flag.withDescription('a size parameter of the protocol (repeatable); "protoweave list" shows them'),
    Flag.atLeast(0)
  ),
  sizes: Parameters.sizeFlags(families)
})

/** The parsed command line of `simulate`: numbers are checked by `simulate`, for uniform messages. */
export interface SimulateInput {
  readonly protocol: string
  readonly seed: string
  readonly runs: string
  readonly faults: string
  readonly trace: Option.Option<string>
  /** `--trace-stuck FILE`. */
  readonly traceStuck?: Option.Option<string>
  readonly maxSteps: string
  readonly maxTime: string
  /** `programs` (default) or `protocol`. */
  readonly level?: string
  /** `model` (default) or `schema`, for `level: "protocol"`. */
  readonly payloads?: string
  readonly param: ReadonlyArray<string>
  readonly sizes: { readonly [name: string]: Option.Option<string> }
}

/**
 * A whole-number flag value in [min, max].
 *
 * @example
 * import * as Effect from "effect/Effect"
 * Effect.runSync(wholeNumber("runs", "200", 1)) // => 200
 */
export const wholeNumber = (flag: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): Effect.Effect<number, UsageError> => {
  const value = Number(text)
  if (!/^[+-]?\d+$/.test(text.trim()) || !Number.isSafeInteger(value)) {
    return Effect.fail(new UsageError({ message: `--${flag} must be a whole number, got "${text}"` }))
  }
  if (value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `in [${min}, ${max}]`
    return Effect.fail(new UsageError({ message: `--${flag} must be ${range}, got ${value}` }))
  }
  return Effect.succeed(value)
}

const parseFaults = (text: string) =>
  Effect.try({
    try: () => FaultPlan.parse(text),
    catch: (e) => new UsageError({ message: oneLine(e instanceof Error ? e.message : String(e)) })
  })


/**
 * Where `--trace FILE` puts the protocol-level shrunk trace: FILE with `.protocol` before its extension.
 *
 * @example
 * protocolPath("out/fail.ndjson") // => "out/fail.protocol.ndjson"
 */
export const protocolPath = (file: string): string => {
  const ext = path.extname(file)
  return ext.length === 0 ? `${file}.protocol` : `${file.slice(0, -ext.length)}.protocol${ext}`
}

/** A note when the fault plan injects faults the family is not meant to tolerate. */
const toleranceNote = (family: Family, plan: FaultPlan.FaultPlan): string | undefined => {
  const model = FaultPlan.faultModel(plan)
  const untolerated = (["drop", "duplicate", "crash", "restart"] as const).filter((f) => model[f] && !family.tolerates.includes(f))
  if (untolerated.length === 0) return undefined
  const tolerated = family.tolerates.length === 0 ? "no faults" : family.tolerates.join(", ")
  return `note: ${family.name} is not meant to tolerate ${untolerated.join(", ")} (it tolerates ${tolerated}); a violation may be expected`
}

/**
 * Runs `simulate` for a parsed command line: validates it, simulates, prints the summary (and the
 * shrunk failing trace), writes `--trace`, and fails with `ViolationFound` on a violation.
 */
export const simulate = (input: SimulateInput): Effect.Effect<void, UsageError | ViolationFound, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const chosen = yield* Manifests.resolve(input.protocol)
    const family = chosen.family
    const faults = yield* parseFaults(input.faults)
    const seed = yield* wholeNumber("seed", input.seed, 0, 0xffffffff)
    const runs = yield* wholeNumber("runs", input.runs, 1)
    const maxSteps = yield* wholeNumber("max-steps", input.maxSteps, 1)
    const maxTime = yield* wholeNumber("max-time", input.maxTime, 1)
    const parameters = yield* Parameters.resolve(family, yield* Parameters.given(input))
    const system = yield* Effect.try({
      try: () => family.make(parameters),
      catch: (e) => new UsageError({ message: `cannot build ${family.name}: ${oneLine(e instanceof Error ? e.message : String(e))}` })
    })
    const level = input.level ?? defaults.level
    if (level !== "programs" && level !== "protocol") {
      return yield* Effect.fail(new UsageError({ message: `--level must be programs or protocol, got "${level}"` }))
    }
    const payloads = input.payloads ?? defaults.payloads
    if (payloads !== "model" && payloads !== "schema") {
      return yield* Effect.fail(new UsageError({ message: `--payloads must be model or schema, got "${payloads}"` }))
    }
    if (level === "programs" && payloads !== defaults.payloads) {
      return yield* Effect.fail(new UsageError({ message: "--payloads applies to --level protocol only" }))
    }
    if (level === "programs" && system.programs.size === 0) {
      return yield* Effect.fail(
        new UsageError({
          message: `${family.name} has no programs to simulate (it is a model for the checker); try "protoweave check ${input.protocol}" or "protoweave simulate ${input.protocol} --level protocol"`
        })
      )
    }
    const note = toleranceNote(family, faults)
    if (note !== undefined) yield* Console.log(note)
    const options: Simulator.SimulateOptions = {
      name: family.name,
      parameters,
      seed,
      runs,
      faults,
      maxSteps,
      maxTime,
      // The batch runs synchronously, so progress is written straight to stderr as it happens.
      onProgress: (progress) => void process.stderr.write(`progress: ${Report.formatProgress(progress)}\n`),
      progressEvery: 1000
    }
    const summary =
      level === "protocol"
        ? yield* Effect.try({
            try: () => RandomWalk.walk(system, { ...options, model: family.model?.(parameters), payloads }),
            catch: (e) => new UsageError({ message: `${family.name}: ${oneLine(e instanceof Error ? e.message : String(e))}` })
          })
        : yield* Effect.sync(() => Simulator.simulate(system, options))
    yield* Console.log("sources" in summary ? RandomWalk.formatSummary(summary as RandomWalk.WalkSummary, options) : Report.formatSummary(summary, options))
    const traceFile = Option.getOrUndefined(input.trace)
    const failure = summary.firstFailure
    const ndjson = (trace: Trace.Trace) => `${Trace.toNdjson(Trace.withModule(trace, chosen.module))}\n`
    // A stuck run that lost no message and no node is a deadlock of the programs: a failure.
    const stuck = summary.stuck?.first
    const deadlocked = (summary.stuck?.unexcused ?? 0) > 0 && stuck !== undefined
    if (deadlocked) {
      yield* Console.log("\nfirst stuck trace (no message or node was lost):")
      yield* Console.log(Report.formatTrace(stuck.trace, { initial: Report.initialLocals(system) }))
      yield* Console.log(Report.formatStuck(stuck))
    }
    const stuckFile = Option.getOrUndefined(input.traceStuck ?? Option.none())
    if (stuckFile !== undefined) {
      if (stuck === undefined) yield* Console.log(`no run ended stuck: nothing written to ${stuckFile}`)
      else {
        yield* Files.writeText(stuckFile, ndjson(stuck.trace), "trace file")
        yield* Console.log(`trace of the first stuck run (run ${stuck.run}) written to ${stuckFile}; replay it with: protoweave replay ${stuckFile}`)
      }
    }
    if (failure === undefined) {
      if (traceFile !== undefined && summary.lastTrace !== undefined) {
        yield* Files.writeText(traceFile, ndjson(summary.lastTrace), "trace file")
        yield* Console.log(`trace of the last run written to ${traceFile}`)
      }
      if (deadlocked) return yield* new ViolationFound()
      return
    }
    const shown = failure.shrunk ?? failure.trace
    yield* Console.log(`\n${failure.shrunk === undefined ? "failing" : "shrunk failing"} trace:`)
    yield* Console.log(Report.formatTrace(shown, { initial: Report.initialLocals(system) }))
    const protocolTrace = failure.shrunkProtocol
    if (protocolTrace !== undefined) {
      yield* Console.log(`\nshorter failing trace of the protocol's transitions alone (no programs, as the checker explores it):`)
      yield* Console.log(Report.formatTrace(protocolTrace, { initial: Report.initialLocals(system) }))
    }
    if (traceFile !== undefined) {
      const original = Files.originalPath(traceFile)
      yield* Files.writeText(traceFile, ndjson(shown), "trace file")
      yield* Files.writeText(original, ndjson(failure.trace), "trace file")
      yield* Console.log(`\nfailing trace written to ${traceFile} (unshrunk: ${original}); replay it with: protoweave replay ${traceFile}`)
      if (protocolTrace !== undefined) {
        const file = protocolPath(traceFile)
        yield* Files.writeText(file, ndjson(protocolTrace), "trace file")
        yield* Console.log(`the protocol-level trace written to ${file}`)
      }
    }
    return yield* new ViolationFound()
  })

/** The `simulate` command, with a convenience flag for each parameter of `families`. */
export const command = (families: ReadonlyArray<Family>) =>
  Command.make("simulate", config(families), simulate).pipe(
  Command.withDescription("Run seeded simulations of a protocol with injected faults, checking its properties after every step")
)
