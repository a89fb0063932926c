/**
 * `protoweave replay <trace-file>`: rebuilds the system a trace names in its header, replays the
 * recorded decisions strictly and says whether the replay is identical to the recording, and, for a
 * run that ends stuck, what each blocked node waits for. Exits 0 when it is identical and nothing
 * is violated, 1 when it reproduces a violation, 2 when it differs.
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type * as FileSystem from "effect/FileSystem"
import { Argument, Command } from "effect/cli"
import * as Report from "../simulator/Report.ts"
import * as Simulator from "../simulator/Simulator.ts"
import * as Trace from "../simulator/Trace.ts"
import { oneLine, UsageError, ViolationFound } from "./Errors.ts"
import * as Files from "./Files.ts"
import * as Manifests from "./Manifests.ts"
import * as Parameters from "./Parameters.ts"

const messageOf = (e: unknown) => oneLine(e instanceof Error ? e.message : String(e))

/** Reads and validates a trace file. */
const readTrace = (file: string): Effect.Effect<Trace.Trace, UsageError, FileSystem.FileSystem> =>
  Effect.flatMap(Files.readText(file, "trace file"), (text) =>
    Effect.try({ try: () => Trace.fromNdjson(text, file), catch: (e) => new UsageError({ message: messageOf(e) }) })
  )

/**
 * Runs `replay` on a trace file: prints the recorded trace readably, then whether the replay is
 * identical (and the violation it reproduces) or where it differs. The system is the family the
 * header names: from the protocol module it names (`module`), else a bundled one.
 */
export const replay = (file: string): Effect.Effect<void, UsageError | ViolationFound, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const recorded = yield* readTrace(file)
    const { header } = recorded
    const { family } = yield* (
      header.module === undefined
        ? Manifests.resolve(header.system).pipe(Effect.mapError((e) => new UsageError({ message: `${file}: the header names ${e.message}` })))
        : Manifests.resolve(`${header.module}#${header.system}`).pipe(
            Effect.mapError((e) => new UsageError({ message: `${file}: the header's protocol module: ${e.message}` }))
          )
    )
    const parameters = yield* Parameters.resolve(
      family,
      Object.entries(header.parameters).map(([name, value]) => ({ name, text: String(value), source: `${file}: the header` }))
    )
    const system = yield* Effect.try({
      try: () => family.make(parameters),
      catch: (e) => new UsageError({ message: `${file}: cannot build ${family.name}: ${messageOf(e)}` })
    })
    const replayed = yield* Effect.try({
      try: () => Simulator.replay(system, recorded),
      catch: (e) => new UsageError({ message: `${file}: the replay failed: ${messageOf(e)}` })
    })
    yield* Console.log(Report.formatTrace(recorded, { initial: Report.initialLocals(system) }))
    yield* Console.log("")
    if (!replayed.identical) {
      yield* Console.log(`the replay differs from the recording: ${replayed.difference ?? "(no detail)"}`)
      return yield* new UsageError({
        message: `${file} does not replay identically (has ${family.name} or its programs changed since it was recorded?)`
      })
    }
    yield* Console.log(`replayed ${recorded.end.steps} steps: identical to the recording`)
    if (replayed.trace.end.status === "stuck") {
      yield* Console.log(`the run ends stuck ${Simulator.excused(recorded.events) ? "after a loss (a drop or a crash)" : "with no message or node lost"}:`)
      for (const wait of replayed.waits) yield* Console.log(`  ${Report.formatWait(wait)}`)
    }
    const violation = replayed.trace.end.violation
    if (violation !== null) {
      yield* Console.log(`reproduced violation: ${Report.formatViolation(violation)}`)
      return yield* new ViolationFound()
    }
  })

/** The `replay` command. */
export const command = Command.make(
  "replay",
  { file: Argument.String("trace-file").pipe(Argument.withDescription("an NDJSON trace written by \"protoweave simulate --trace\" or \"protoweave check --trace\"")) },
  ({ file }) => replay(file)
).pipe(Command.withDescription("Replay a recorded trace strictly and check that it comes out identical"))
