/**
 * The `protoweave` command tree and how it is run: effect/cli parses the command line, the Node
 * services come from @effect/platform-node-shared, and every outcome becomes an exit code. Bad
 * input of any kind — effect/cli's own parse errors included — is reported as one
 * `protoweave: error: …` line on stderr, never as a help page or a stack trace.
 *
 * @since 0.1.0
 */
import * as NodeChildProcessSpawner from "@effect/platform-node-shared/NodeChildProcessSpawner"
import * as NodeFileSystem from "@effect/platform-node-shared/NodeFileSystem"
import * as NodePath from "@effect/platform-node-shared/NodePath"
import * as NodeStdio from "@effect/platform-node-shared/NodeStdio"
import * as NodeTerminal from "@effect/platform-node-shared/NodeTerminal"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { CliError, CliOutput, Command } from "effect/cli"
import type { Family } from "../core/System.ts"
import * as Package from "../internal/Package.ts"
import * as Check from "./Check.ts"
import * as Induct from "./Induct.ts"
import * as Init from "./Init.ts"
import { ExitCode, oneLine, UsageError, ViolationFound } from "./Errors.ts"
import * as Keys from "./Keys.ts"
import * as List from "./List.ts"
import * as Manifests from "./Manifests.ts"
import * as Prove from "./Prove.ts"
import * as NodeCommand from "./Node.ts"
import * as Replay from "./Replay.ts"
import * as Run from "./Run.ts"
import * as Simulate from "./Simulate.ts"

/**
 * The root command with its subcommands; `families` (the bundled ones and those of the modules
 * named on the command line) give `simulate`, `check` and `induct` a flag per parameter.
 */
export const command = (families: ReadonlyArray<Family>) =>
  Command.make("protoweave").pipe(
    Command.withDescription("Typed distributed protocols: list them, simulate them with faults, check their models exhaustively, replay their traces, run them over TCP, prove them in Lean"),
    Command.withSubcommands([
      Init.command,
      List.command,
      Simulate.command(families),
      Check.command(families),
      Induct.command(families),
      Replay.command,
      Run.command,
      NodeCommand.command,
      Keys.command,
      Prove.command
    ])
  )

/** What the command-line interface needs of Node: files, paths, arguments, the terminal, processes. */
export const services = Layer.provideMerge(
  NodeChildProcessSpawner.layer,
  Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeStdio.layer, NodeTerminal.layer)
)

/**
 * One line for a parse error of effect/cli: its message's first line, with its suggestions
 * (which effect/cli puts on later lines) folded in.
 *
 * @example
 * import { CliError } from "effect/cli"
 * describeCliError(new CliError.UnrecognizedOption({ option: "--run", suggestions: ["--runs"] }))
 * // => "Unrecognized flag: --run (did you mean --runs?)"
 */
export const describeCliError = (error: CliError.NonShowHelpErrors): string => {
  if (error._tag === "InvalidValue" && error.kind === "flag" && error.value.length === 0) return `--${error.option} needs a value`
  const suggestions = "suggestions" in error ? error.suggestions : []
  const hint = suggestions.length === 0 ? "" : ` (did you mean ${suggestions.join(", ")}?)`
  return `${oneLine(error.message)}${hint}`
}

/** The error line of bad input. */
const errorLine = (message: string) => Console.error(`protoweave: error: ${oneLine(message)}`)

/**
 * Shows help as effect/cli does, but an invalid invocation as one error line with a pointer to
 * the help of the command, instead of the whole help page followed by the errors.
 */
const presenter: CliOutput.Presenter = {
  present: (event) =>
    event._tag === "InvalidInvocation"
      ? errorLine(
          `${event.errors.map(describeCliError).join("; ")}; see "${[...event.commandPath, "--help"].join(" ")}"`
        )
      : CliOutput.defaultPresenter.present(event)
}

const codeOfCause = (cause: Cause.Cause<unknown>): Effect.Effect<ExitCode> => {
  const error = Cause.squash(cause)
  if (error instanceof ViolationFound) return Effect.succeed(ExitCode.violation)
  if (error instanceof UsageError) return Effect.as(errorLine(error.message), ExitCode.usage)
  if (CliError.isCliError(error)) {
    // ShowHelp has been presented already (as help, or as the error line above).
    return error._tag === "ShowHelp" ? Effect.succeed(ExitCode.usage) : Effect.as(errorLine(error.message), ExitCode.usage)
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
  return Effect.as(errorLine(`internal error: ${message}`), ExitCode.usage)
}

/**
 * Runs `protoweave` on its arguments (without `node` and the script) and returns the exit code:
 * 0 when nothing is violated, 1 for a violation, 2 for bad input. The protocol modules named among
 * the arguments are loaded first, so that their parameters have flags (`--members 5`).
 *
 * @example
 * import * as Effect from "effect/Effect"
 * await Effect.runPromise(run(["list"])) // => 0
 */
export const run = (args: ReadonlyArray<string>): Effect.Effect<ExitCode> =>
  Effect.promise(() => Manifests.familiesNamedIn(args)).pipe(
    Effect.flatMap((families) => Command.runWith(command(families), { version: Package.version })(args)),
    Effect.provideService(CliOutput.Presenter, presenter),
    Effect.provide(services),
    Effect.matchCauseEffect({ onSuccess: () => Effect.succeed(ExitCode.ok), onFailure: codeOfCause })
  )
