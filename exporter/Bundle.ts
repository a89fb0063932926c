/**
 * One Lean file from many. Every Lean run pays about two minutes of start-up on this machine
 * (DESIGN §4), so everything one check needs — the core library, the generated specs, the
 * attempts, the hand-written proofs, the differential checks — goes into one file, in import
 * order, without its `import` lines. The bundle remembers where each line came from, so that
 * Lean's messages point at the original files.
 *
 * @since 0.1.0
 */

/** A Lean source: the path shown in messages, its module name, and its text. */
export interface LeanSource {
  readonly file: string
  readonly module: string
  readonly text: string
}

/** A bundled file and where each of its lines came from. */
export interface Bundle {
  readonly text: string
  /** `origin[i]` is the file and line of the bundle's line `i + 1`. */
  readonly origin: ReadonlyArray<{ readonly file: string; readonly line: number }>
}

/**
 * The modules a Lean file imports.
 *
 * @example
 * importsOf("import Protoweave\nimport Generated.Calculator.Spec\n\ndef x := 1") // => ["Protoweave", "Generated.Calculator.Spec"]
 */
export const importsOf = (text: string): ReadonlyArray<string> =>
  text
    .split("\n")
    .filter((l) => l.startsWith("import "))
    .map((l) => l.slice("import ".length).trim())

/**
 * Bundles `sources` into one file, each after the sources it imports. An import of a module that
 * is not among the sources is an error: the bundle would not elaborate.
 *
 * @example
 * const b = bundle([{ file: "B.lean", module: "B", text: "import A\ndef b := a" }, { file: "A.lean", module: "A", text: "def a := 1" }])
 * b.text // => "def a := 1\n\ndef b := a"
 * b.origin[2] // => { file: "B.lean", line: 2 }
 */
export const bundle = (sources: ReadonlyArray<LeanSource>): Bundle => {
  const byModule = new Map(sources.map((s) => [s.module, s]))
  const ordered: Array<LeanSource> = []
  const state = new Map<string, "visiting" | "done">()
  const visit = (s: LeanSource, from: string) => {
    const seen = state.get(s.module)
    if (seen === "done") return
    if (seen === "visiting") throw new Error(`Lean import cycle through ${s.module} (from ${from})`)
    state.set(s.module, "visiting")
    for (const m of importsOf(s.text)) {
      const dep = byModule.get(m)
      if (dep === undefined) throw new Error(`${s.file} imports ${m}, which is not in the bundle`)
      visit(dep, s.file)
    }
    state.set(s.module, "done")
    ordered.push(s)
  }
  for (const s of sources) visit(s, "the bundle")
  const lines: Array<string> = []
  const origin: Array<{ file: string; line: number }> = []
  for (const s of ordered) {
    if (lines.length > 0) {
      lines.push("")
      origin.push({ file: s.file, line: 0 })
    }
    s.text.split("\n").forEach((line, i) => {
      if (line.startsWith("import ")) return
      lines.push(line)
      origin.push({ file: s.file, line: i + 1 })
    })
  }
  return { text: lines.join("\n"), origin }
}

/**
 * The bundle with each line rewritten by `f` (given the line and where it came from), every line
 * keeping its place, so that Lean's messages on the result map back as on the original. A line
 * rewritten to `""` is left out: that is how `prove` runs Lean again without some declarations.
 *
 * @example
 * const b = bundle([{ file: "A.lean", module: "A", text: "def a := 1\ntheorem bad : a = 2 := rfl\ndef c := 3" }])
 * edit(b, (line, from) => (from.line === 2 ? "" : line)).text // => "def a := 1\n\ndef c := 3"
 */
export const edit = (b: Bundle, f: (line: string, from: { readonly file: string; readonly line: number }) => string): Bundle => ({
  text: b.text
    .split("\n")
    .map((line, i) => f(line, b.origin[i]!))
    .join("\n"),
  origin: b.origin
})
