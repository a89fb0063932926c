/**
 * Lean's messages, read from its output: `file:line:col: error: ...` (or `warning`, `info`),
 * with the lines that follow until the next message, mapped back through a bundle to the
 * original file and line.
 *
 * @since 0.1.0
 */
import type { Bundle } from "./Bundle.ts"

/** One message of Lean. */
export interface LeanMessage {
  readonly severity: "error" | "warning" | "info"
  /** The original file and line (through the bundle), or the bundle's line when unmapped. */
  readonly file: string
  readonly line: number
  /** The line in the file Lean checked. */
  readonly bundleLine: number
  readonly text: string
}

const header = /^(.*?):(\d+):(\d+): (error|warning|info)(?:\([^)]*\))?: ?(.*)$/

/**
 * The messages in Lean's output, for the file `checked` that was built from `bundle`. Lines
 * before the first message (Lean's `#eval` output, `trace` messages) are returned as `plain`.
 *
 * @example
 * const out = "B.lean:2:4: error: unknown identifier 'a'\n  more\nprotoweave: x proved by decide"
 * const read = readMessages(out, "B.lean", { text: "", origin: [{ file: "A.lean", line: 1 }, { file: "A.lean", line: 7 }] })
 * [read.messages[0]!.file, read.messages[0]!.line, read.messages[0]!.text] // => ["A.lean", 7, "unknown identifier 'a'\n  more\nprotoweave: x proved by decide"]
 */
export const readMessages = (
  output: string,
  checked: string,
  bundle: Pick<Bundle, "origin">
): { readonly messages: ReadonlyArray<LeanMessage>; readonly plain: ReadonlyArray<string> } => {
  const messages: Array<{ severity: LeanMessage["severity"]; file: string; line: number; bundleLine: number; text: Array<string> }> = []
  const plain: Array<string> = []
  for (const line of output.split("\n")) {
    if (line.startsWith("[DEBUG")) continue
    const m = header.exec(line)
    if (m !== null && (m[1] === checked || m[1]!.endsWith(`/${checked}`))) {
      const bundleLine = Number(m[2])
      const origin = bundle.origin[bundleLine - 1]
      messages.push({
        severity: m[4] as LeanMessage["severity"],
        file: origin?.file ?? checked,
        line: origin?.line ?? bundleLine,
        bundleLine,
        text: [m[5]!]
      })
    } else if (messages.length > 0) {
      messages.at(-1)!.text.push(line)
    } else {
      plain.push(line)
    }
  }
  return { messages: messages.map((m) => ({ ...m, text: m.text.join("\n").trimEnd() })), plain }
}

/**
 * The `protoweave: <obligation> proved by <rung>` lines the tactic ladder prints, by obligation.
 *
 * @example
 * provedBy("x\nprotoweave: inv_init proved by simp_all\n") // => new Map([["inv_init", "simp_all"]])
 */
export const provedBy = (output: string): ReadonlyMap<string, string> => {
  const found = new Map<string, string>()
  for (const m of output.matchAll(/protoweave: (\S+) proved by ([^\n]+)/g)) found.set(m[1]!, m[2]!.trim())
  return found
}
