/**
 * How a `protoweave` command fails, and the exit code of each failure: bad input of any kind exits
 * 2 after one `protoweave: error: …` line; a violation found or reproduced exits 1 after the
 * command has printed it.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"

/** The exit codes of `protoweave`. */
export const ExitCode = {
  /** Nothing was violated. */
  ok: 0,
  /** A simulation found a violation, or a replay reproduced one. */
  violation: 1,
  /** Bad input (command line, fault spec, trace file), or a trace that does not replay identically. */
  usage: 2
} as const

/** The exit code of a `protoweave` command. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

/**
 * Bad input: the command prints `protoweave: error: <message>` and exits 2.
 *
 * @example
 * new UsageError({ message: 'unknown protocol "calc"' }).message // => 'unknown protocol "calc"'
 */
export class UsageError extends Data.TaggedError("UsageError")<{ readonly message: string }> {}

/**
 * A violation, already printed by the command that found it: `protoweave` exits 1.
 *
 * @example
 * new ViolationFound()._tag // => "ViolationFound"
 */
export class ViolationFound extends Data.TaggedError("ViolationFound") {}

/**
 * The one-line message of an error: its first line, trimmed, since a bad-input report is one line.
 *
 * @example
 * oneLine("a\n  at b") // => "a"
 */
export const oneLine = (message: string): string => (message.split("\n").find((l) => l.trim().length > 0) ?? "").trim()
