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
    return {
      file,
      ...s,
      end,
      attributed: s.attributed || attributedNames.has(s.name),
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
