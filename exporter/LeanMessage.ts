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

/** Lines `prove` makes Lean print, which never continue the message before them. */
const ownLine = /^(protoweave: |'[^']*' (depends on axioms|does not depend on any axioms))/

/**
 * The messages in Lean's output, for the file `checked` that was built from `bundle`. Lines
 * before the first message (Lean's `#eval` output, `trace` messages), and the lines `prove` makes
 * Lean print (`protoweave: ...`, `#print axioms`), are returned as `plain`.
 *
 * @example
 * const out = "B.lean:2:4: error: unknown identifier 'a'\n  more\nprotoweave: done x"
 * const read = readMessages(out, "B.lean", { text: "", origin: [{ file: "A.lean", line: 1 }, { file: "A.lean", line: 7 }] })
 * [read.messages[0]!.file, read.messages[0]!.line, read.messages[0]!.text, read.plain] // => ["A.lean", 7, "unknown identifier 'a'\n  more", ["protoweave: done x"]]
 */
export const readMessages = (
  output: string,
  checked: string,
  bundle: Pick<Bundle, "origin">
): { readonly messages: ReadonlyArray<LeanMessage>; readonly plain: ReadonlyArray<string> } => {
  const messages: Array<{ severity: LeanMessage["severity"]; file: string; line: number; bundleLine: number; text: Array<string> }> = []
  const plain: Array<string> = []
  let continuing = false
  for (const line of output.split("\n")) {
    if (line.startsWith("[DEBUG")) continue
    const m = header.exec(line)
    if (m !== null && (m[1] === checked || m[1]!.endsWith(`/${checked}`))) {
      const bundleLine = Number(m[2])
      const origin = bundle.origin[bundleLine - 1]
      continuing = true
      messages.push({
        severity: m[4] as LeanMessage["severity"],
        file: origin?.file ?? checked,
        line: origin?.line ?? bundleLine,
        bundleLine,
        text: [m[5]!]
      })
    } else if (ownLine.test(line)) {
      plain.push(line)
      continuing = false
    } else if (continuing) {
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

/**
 * What `#print axioms` reported, by the name it was given: each theorem's axioms, sorted. Lean may
 * break a long list over lines; names needing escapes are printed in `«»`, removed here.
 *
 * @example
 * axiomsOf("'A.x' depends on axioms: [propext,\n sorryAx]\n'A.y' does not depend on any axioms\n")
 * // => new Map([["A.x", ["propext", "sorryAx"]], ["A.y", []]])
 */
export const axiomsOf = (output: string): ReadonlyMap<string, ReadonlyArray<string>> => {
  const found = new Map<string, ReadonlyArray<string>>()
  const name = (n: string) => n.replace(/[«»]/g, "")
  for (const m of output.matchAll(/'([^']+)' depends on axioms: \[([^\]]*)\]/g)) {
    found.set(name(m[1]!), m[2]!.split(",").map((a) => name(a.trim())).filter((a) => a !== "").sort())
  }
  for (const m of output.matchAll(/'([^']+)' does not depend on any axioms/g)) found.set(name(m[1]!), [])
  return found
}

/** The axioms Lean's kernel is built on, which a proof may use: every other one, `sorryAx` first, is a gap. */
export const standardAxioms: ReadonlySet<string> = new Set(["propext", "Classical.choice", "Quot.sound"])
