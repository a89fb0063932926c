/**
 * What the command-line tests share: spawning the real `protoweave` bin, a scratch folder removed
 * after the file's tests, and the check that bad input is exit 2 with one error line and no stack.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, assert } from "vitest"

/** The repository root, where the commands run. */
export const root = fileURLToPath(new URL("../..", import.meta.url))

/** The package's executable. */
export const bin = path.join(root, "bin", "protoweave.js")

/** A scratch folder for one test file, removed after its tests. */
export const scratch = (prefix: string): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix))
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Runs `protoweave` with `args` and returns its exit code and output. */
export const protoweave = (...args: ReadonlyArray<string>) => {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: "utf8", timeout: 120_000 })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** The `protoweave: error:` lines of stderr. */
export const errorLines = (stderr: string) => stderr.split("\n").filter((l) => l.startsWith("protoweave: error:"))

/** Bad input: exit 2, exactly one error line on stderr and nothing else, no stack trace. */
export const assertUsageError = (result: ReturnType<typeof protoweave>, fragment: string) => {
  assert.strictEqual(result.code, 2, `stdout: ${result.stdout}\nstderr: ${result.stderr}`)
  const lines = result.stderr.split("\n").filter((l) => l.trim().length > 0)
  assert.strictEqual(errorLines(result.stderr).length, 1, result.stderr)
  assert.strictEqual(lines.length, 1, result.stderr)
  assert.include(lines[0], fragment)
  assert.notMatch(result.stderr, /^ {4}at /m)
  assert.notMatch(result.stdout, /^ {4}at /m)
}
