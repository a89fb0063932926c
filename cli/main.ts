/**
 * The entry point of the `protoweave` command (`bin/protoweave.js` loads it): runs the command
 * line and sets the exit code. The exit code is set rather than forced with `process.exit`, so
 * that everything written to stdout and stderr reaches a pipe before the process ends.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as App from "./App.ts"

// Output piped into a command that stops reading early (`| head`) is not an error of ours.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE") process.exit(process.exitCode ?? 0)
    throw e
  })
}

process.exitCode = await Effect.runPromise(App.run(process.argv.slice(2)))
