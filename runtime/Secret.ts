/**
 * The cluster's shared secret, from which peers prove membership (`Handshake.ts`). It is read
 * from a file or from the `PROTOWEAVE_SECRET` environment variable and never taken from the
 * command line, where any user of the host could read it in the process list.
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

/**
 * Loads the secret: from `file` when given, else from `PROTOWEAVE_SECRET` in `env`.
 *
 * @example
 * load(undefined, { PROTOWEAVE_SECRET: "a-long-enough-secret" }).length // => 20
 */
export const load = (file: string | undefined, env: NodeJS.ProcessEnv = process.env): Uint8Array => {
  if (file !== undefined) {
    let text: string
    try {
      text = fs.readFileSync(file, "utf8")
    } catch (e) {
      throw new SecretError(`cannot read the secret file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
    }
    return fromText(text, `the secret file ${file}`)
  }
  const value = env[environmentVariable]
  if (value === undefined || value.length === 0) {
    throw new SecretError(`no secret: give --secret-file FILE or set ${environmentVariable}`)
  }
  return fromText(value, environmentVariable)
}
