/**
 * The declarations of Lean source files and what each rests on, read from their text: where each
 * declaration starts and ends, its name with its namespaces, whether it carries an attribute (so
 * that a tactic may use it without naming it), and which earlier declarations it names. `prove`
 * uses it to say which failed lemma a theorem rests on, and — where Lean's `#print axioms` is not
 * available (the WebAssembly build imports every module at the exported level, where Lean refuses
 * it) — to refuse "proved" to a theorem that names, directly or through other declarations, one
 * Lean rejected, one with a `sorry`, or an `axiom`.
 *
 * The reading over-approximates what a declaration uses: any mention of a name counts (in a
 * comment too), and a failed declaration with an attribute counts as used by every later
 * declaration that can see it. It never under-approximates short of metaprogramming.
 *
 * @since 0.1.0
 */

/** One declaration (a `theorem`, `def`, `axiom`, `instance`, ...) of a source file. */
export interface Declaration {
  readonly file: string
  readonly kind: string
  /** As declared, without the enclosing namespaces (`x` for `theorem A.x` too). */
  readonly name: string
  /** With the enclosing namespaces: what `#print axioms` is given. */
  readonly fullName: string
  /** First and last line (1-based) of its command. */
  readonly line: number
  readonly end: number
  /** It has an attribute (`@[simp]`, `instance`, `attribute [simp] x`): tactics may use it unnamed. */
  readonly attributed: boolean
  /** The identifiers its text mentions, each dotted part on its own. */
  readonly mentions: ReadonlySet<string>
}

const modifiers = "(?:(?:private|protected|noncomputable|partial|unsafe|nonrec)\\s+)*"
const declarationLine = new RegExp(
  `^(@\\[[^\\]]*\\]\\s*)?${modifiers}(theorem|lemma|def|abbrev|instance|axiom|structure|inductive|class|opaque|example)\\b\\s*([^\\s:({\\[]*)`
)
/** Column-0 starts of commands that end the declaration before them. */
const commandStart = /^(\/--|\/-!|namespace\b|section\b|noncomputable section\b|end\b|open\b|set_option\b|attribute\b|variable\b|universe\b|#|macro\b|macro_rules\b|syntax\b|elab\b|mutual\b|@\[)/

const identifiers = (text: string): ReadonlySet<string> =>
  new Set([...text.matchAll(/[A-Za-z_][A-Za-z0-9_'!?]*/g)].map((m) => m[0]))

/**
 * The declarations of one Lean file, in order.
 *
 * @example
 * const ds = declarationsOf("A.lean", "namespace A\n@[simp] theorem x : True := trivial\ntheorem y : True := by\n  exact x\nend A")
 * ds.map((d) => [d.fullName, d.line, d.end, d.attributed, d.mentions.has("x")])
 * // => [["A.x", 2, 2, true, true], ["A.y", 3, 4, false, true]]
 */
export const declarationsOf = (file: string, text: string): ReadonlyArray<Declaration> => {
  const lines = text.split("\n")
  const scopes: Array<{ readonly kind: "namespace" | "section"; readonly parts: ReadonlyArray<string> }> = []
  const starts: Array<{ kind: string; name: string; fullName: string; line: number; attributed: boolean }> = []
  const attributedNames = new Set<string>()
  const ends: Array<number> = []
  lines.forEach((l, i) => {
    const declaration = declarationLine.exec(l)
    if (declaration === null && !commandStart.test(l)) return
    ends.push(i + 1)
    const ns = /^namespace\s+(\S+)/.exec(l)
    if (ns !== null) scopes.push({ kind: "namespace", parts: ns[1]!.split(".") })
    else if (/^(noncomputable\s+)?section\b/.test(l)) scopes.push({ kind: "section", parts: [] })
    else if (/^end\b/.test(l)) scopes.pop()
    const attribute = /^attribute\s+\[[^\]]*\]\s+(.*)$/.exec(l)
    if (attribute !== null) for (const n of attribute[1]!.split(/\s+/)) if (n !== "") attributedNames.add(n.split(".").pop()!)
    if (declaration === null) return
    const [, attrs, kind, declared] = declaration
    const name = declared === "" ? `${kind}@${i + 1}` : declared!
    const prefix = scopes.flatMap((s) => s.parts).join(".")
    starts.push({
      kind: kind!,
      name: name.split(".").pop()!,
      fullName: prefix === "" ? name : `${prefix}.${name}`,
      line: i + 1,
      attributed: attrs !== undefined || kind === "instance"
    })
  })
  return starts.map((s) => {
    const end = (ends.find((e) => e > s.line) ?? lines.length + 1) - 1
    // `@[simp]` on a line of its own, above the declaration (and its doc comment).
    const above = lines.slice(0, s.line - 1)
    let k = above.length - 1
    while (k >= 0 && (/^\s*$/.test(above[k]!) === false) && !/^@\[/.test(above[k]!) && /(-\/|^\/--|^\s)/.test(above[k]!)) k--
    const attributedAbove = k >= 0 && /^@\[[^\]]*\]\s*$/.test(above[k]!)
    return {
      file,
      ...s,
      end,
      attributed: s.attributed || attributedAbove || attributedNames.has(s.name),
      mentions: identifiers(lines.slice(s.line - 1, end).join("\n"))
    }
  })
}

/**
 * For each declaration, the declarations among `roots` it rests on: itself if it is one, and the
 * roots of every earlier declaration it can see and either names (by its last name part: every
 * declaration of that name, since the text does not say which one Lean resolves it to) or may use
 * unnamed (one with an attribute; not when `unnamed` is false: what it names only).
 * `sees(a, b)` says whether the file of `a` is the file of `b` or imports it; `declarations` are in
 * the order Lean checks them.
 *
 * @example
 * const ds = declarationsOf("A.lean", "theorem bad : False := by simp\ntheorem mid : True := trivial\ntheorem top : True := by\n  have := mid\n  have := bad\n  trivial")
 * const rests = restsOn(ds, new Set([ds[0]!]), () => true)
 * [...rests.get(ds[2]!)!].map((d) => d.name) // => ["bad"]
 * rests.get(ds[1]!)!.size // => 0
 */
export const restsOn = (
  declarations: ReadonlyArray<Declaration>,
  roots: ReadonlySet<Declaration>,
  sees: (from: Declaration, to: Declaration) => boolean,
  unnamed = true
): ReadonlyMap<Declaration, ReadonlySet<Declaration>> => {
  const found = new Map<Declaration, ReadonlySet<Declaration>>()
  declarations.forEach((d, i) => {
    const mine = new Set<Declaration>(roots.has(d) ? [d] : [])
    for (const e of declarations.slice(0, i)) {
      if (sees(d, e) && ((unnamed && e.attributed) || d.mentions.has(e.name))) for (const r of found.get(e)!) mine.add(r)
    }
    found.set(d, mine)
  })
  return found
}

/** A word that lets a declaration be accepted without the kernel checking it, and where it is. */
export interface Gap {
  readonly line: number
  readonly word: "axiom" | "sorry" | "admit" | "native_decide" | "implemented_by" | "extern"
}

const gapWord = /\b(axiom|sorry|admit|native_decide|implemented_by|extern)\b/g

/**
 * The text with its comments and string literals blanked (newlines kept), so that a word found in
 * it is Lean code.
 *
 * @example
 * code('def a := "no" -- sorry\n/- /- -/ -/ def b').split("\n").map((l) => l.trim()) // => ['def a := "  "', "def b"]
 */
export const code = (text: string): string => {
  let out = ""
  let depth = 0
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    const two = text.slice(i, i + 2)
    if (depth > 0) {
      if (two === "/-") depth++
      else if (two === "-/") depth--
      if (two === "/-" || two === "-/") {
        out += "  "
        i += 2
      } else {
        out += c === "\n" ? "\n" : " "
        i++
      }
    } else if (two === "/-") {
      depth = 1
      out += "  "
      i += 2
    } else if (two === "--") {
      const end = text.indexOf("\n", i)
      const stop = end === -1 ? text.length : end
      out += " ".repeat(stop - i)
      i = stop
    } else if (c === '"') {
      let j = i + 1
      while (j < text.length && text[j] !== '"' && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1
      out += `"${" ".repeat(Math.max(0, Math.min(j, text.length) - i - 1))}${j < text.length && text[j] === '"' ? '"' : ""}`
      i = j < text.length && text[j] === '"' ? j + 1 : j
    } else {
      out += c
      i++
    }
  }
  return out
}

/**
 * Where a file's code (not its comments or strings) uses a way to have a declaration accepted
 * without the kernel checking it: an `axiom`, `sorry` or `admit`, `native_decide` (the compiler's
 * evaluation, trusted through an axiom), or `implemented_by`/`extern` (compiled code the kernel
 * never sees). A theorem resting on one is not proved, whatever Lean says of it.
 *
 * @example
 * gapsOf("theorem a : True := trivial -- sorry\ntheorem b : 1 = 1 := by native_decide\naxiom c : False")
 * // => [{ line: 2, word: "native_decide" }, { line: 3, word: "axiom" }]
 */
export const gapsOf = (text: string): ReadonlyArray<Gap> =>
  code(text)
    .split("\n")
    .flatMap((l, i) => [...l.matchAll(gapWord)].map((m) => ({ line: i + 1, word: m[1] as Gap["word"] })))

/**
 * The lines to remove with a declaration so that what is left still parses: its own, and the doc
 * comment, attribute lines and `... in` prefixes directly above it.
 *
 * @example
 * const text = "theorem a : True := trivial\n/-- doc -/\n@[simp]\ntheorem b : True := trivial\ntheorem c : True := trivial"
 * const [, b] = declarationsOf("A.lean", text)
 * removalRange(text, b!) // => { from: 2, to: 4 }
 */
export const removalRange = (text: string, d: Declaration): { readonly from: number; readonly to: number } => {
  const lines = text.split("\n")
  let from = d.line
  for (;;) {
    const above = lines[from - 2]
    if (above === undefined) break
    if (/^@\[[^\]]*\]\s*$/.test(above) || /\bin\s*$/.test(above) && /^(set_option|open)\b/.test(above)) {
      from--
      continue
    }
    if (/-\/\s*$/.test(above)) {
      let start = from - 1
      while (start >= 1 && !lines[start - 1]!.startsWith("/-")) start--
      if (start < 1 || !lines[start - 1]!.startsWith("/--")) break
      from = start
      continue
    }
    break
  }
  return { from, to: d.end }
}
