/**
 * Reading and writing the files `protoweave` is given (trace files), with failures turned into
 * one-line `UsageError`s that name the file and say what went wrong, in the terms a user knows.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import type * as PlatformError from "effect/PlatformError"
import * as path from "node:path"
import { oneLine, UsageError } from "./Errors.ts"

const reasonOf = (error: PlatformError.PlatformError): string => {
  const reason = error.reason
  if (reason._tag === "BadArgument") return oneLine(reason.description ?? reason.message)
  switch (reason._tag) {
    case "NotFound":
      return "no such file or directory"
    case "PermissionDenied":
      return "permission denied"
    case "AlreadyExists":
      return "it already exists"
    default:
      return oneLine(reason.description ?? reason._tag)
  }
}

/**
 * The text of a file, or a `UsageError` such as `cannot read trace file t.ndjson: no such file or directory`.
 */
export const readText = (file: string, what: string): Effect.Effect<string, UsageError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    return yield* fs.readFileString(file)
  }).pipe(
    Effect.mapError((e) => new UsageError({ message: `cannot read ${what} ${file}: ${reasonOf(e)}` }))
  )

/** Writes a file, or fails with a `UsageError` naming it. */
export const writeText = (file: string, text: string, what: string): Effect.Effect<void, UsageError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    yield* fs.writeFileString(file, text)
  }).pipe(
    Effect.mapError((e) => new UsageError({ message: `cannot write ${what} ${file}: ${reasonOf(e)}` }))
  )

/**
 * The name of the original (unshrunk) failing trace beside the shrunk one: `.original` goes
 * before the extension.
 *
 * @example
 * originalPath("out/fail.ndjson") // => "out/fail.original.ndjson"
 * originalPath("fail") // => "fail.original"
 */
export const originalPath = (file: string): string => {
  const ext = path.extname(file)
  return ext.length === 0 ? `${file}.original` : `${file.slice(0, -ext.length)}.original${ext}`
}
