/**
 * The cluster's shared secret, from which peers prove membership (`Handshake.ts`), when the
 * cluster does not use per-node certificates (`Tls.ts`). It is read from a file or from the
 * `PROTOWEAVE_SECRET` environment variable and never taken from the command line, where any user
 * of the host could read it in the process list; a secret file that every user can read is used
 * with a warning.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"

/** The environment variable that may hold the secret. */
export const environmentVariable = "PROTOWEAVE_SECRET"

/** Secrets shorter than this many bytes are refused: they could be guessed offline from a handshake. */
export const minimumBytes = 16

/** A secret that cannot be used, saying where it was looked for. */
export class SecretError extends Error {
  override readonly name = "SecretError"
}

/**
 * Checks and encodes the text of a secret (surrounding whitespace, such as a file's final newline,
 * is not part of it).
 *
 * @example
 * fromText("0123456789abcdef\n", "test").length // => 16
 */
export const fromText = (text: string, source: string): Uint8Array => {
  const secret = new TextEncoder().encode(text.trim())
  if (secret.length < minimumBytes) {
    throw new SecretError(`the secret from ${source} has ${secret.length} bytes; at least ${minimumBytes} are needed`)
  }
  return secret
}

/** Writes a warning line on stderr. */
export const warnOnStderr = (line: string): void => void process.stderr.write(`${line}\n`)

/**
 * A warning when `file` (a secret or a private key, named `what`) can be read by every user of the
 * host; undefined when it cannot (or cannot be examined: reading it reports that).
 *
 * @example
 * import * as fs from "node:fs"
 * import * as os from "node:os"
 * import * as path from "node:path"
 * const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "secret-")), "s")
 * fs.writeFileSync(file, "x", { mode: 0o600 })
 * permissionWarning(file, "the secret file") // => undefined
 * fs.chmodSync(file, 0o644)
 * permissionWarning(file, "the secret file")?.startsWith("warning: the secret file") // => true
 */
export const permissionWarning = (file: string, what: string): string | undefined => {
  let mode: number
  try {
    mode = fs.statSync(file).mode
  } catch {
    return undefined
  }
  if ((mode & 0o004) === 0) return undefined
  return `warning: ${what} ${file} is readable by every user of this host (mode ${(mode & 0o777).toString(8).padStart(4, "0")}); restrict it with: chmod 600 ${file}`
}

/**
 * Loads the secret: from `file` when given (warning through `warn` if every user can read it),
 * else from `PROTOWEAVE_SECRET` in `env`.
 *
 * @example
 * load(undefined, { PROTOWEAVE_SECRET: "a-long-enough-secret" }).length // => 20
 */
export const load = (file: string | undefined, env: NodeJS.ProcessEnv = process.env, warn: (line: string) => void = warnOnStderr): Uint8Array => {
  if (file !== undefined) {
    let text: string
    try {
      text = fs.readFileSync(file, "utf8")
    } catch (e) {
      throw new SecretError(`cannot read the secret file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
    }
    const secret = fromText(text, `the secret file ${file}`)
    const warning = permissionWarning(file, "the secret file")
    if (warning !== undefined) warn(warning)
    return secret
  }
  const value = env[environmentVariable]
  if (value === undefined || value.length === 0) {
    throw new SecretError(`no secret: give --secret-file FILE or set ${environmentVariable}`)
  }
  return fromText(value, environmentVariable)
}
