/**
 * The generated fragment's Lean terms, read back as a tree: the one intermediate form the SMT back
 * end (`Smt.ts`) encodes. The exporter translates the TypeScript once (`Translate.ts`) into the
 * definitions of `Spec.lean`; this module reads those definitions — a small grammar the exporter
 * itself writes (DESIGN §3's fragment in Lean syntax) — so that Lean and Z3 are given the same
 * terms, and the TypeScript is never parsed a second time. A form the exporter does not write is
 * refused with the definition's name and the text around it.
 *
 * @since 0.1.0
 */

/** A term of the generated fragment. */
export type Term =
  | { readonly kind: "num"; readonly value: bigint }
  | { readonly kind: "bool"; readonly value: boolean }
  | { readonly kind: "stringNode"; readonly text: string }
  | { readonly kind: "var"; readonly name: string }
  | { readonly kind: "default" }
  | { readonly kind: "field"; readonly of: Term; readonly name: string }
  | { readonly kind: "app"; readonly fn: Term; readonly args: ReadonlyArray<Term> }
  | { readonly kind: "binary"; readonly op: string; readonly left: Term; readonly right: Term }
  | { readonly kind: "not"; readonly of: Term }
  | { readonly kind: "neg"; readonly of: Term }
  | { readonly kind: "ite"; readonly cond: Term; readonly then: Term; readonly else: Term }
  | { readonly kind: "let"; readonly name: string; readonly value: Term; readonly body: Term }
  | { readonly kind: "fun"; readonly params: ReadonlyArray<string>; readonly body: Term }
  | { readonly kind: "match"; readonly of: Term; readonly arms: ReadonlyArray<{ readonly tags: ReadonlyArray<string>; readonly body: Term }> }
  | { readonly kind: "list"; readonly items: ReadonlyArray<Term> }
  | { readonly kind: "record"; readonly base: Term | undefined; readonly fields: ReadonlyArray<{ readonly name: string; readonly value: Term }> }
  | { readonly kind: "ascribe"; readonly of: Term; readonly type: string }

/** A `def` of the generated file: its name, its typed parameters, its result type and body (or why it could not be read). */
export interface Definition {
  readonly name: string
  readonly params: ReadonlyArray<{ readonly name: string; readonly type: string }>
  readonly result: string
  readonly body: Term | LeanTermError
}

/** A form of the generated Lean the reader does not know. */
export class LeanTermError extends Error {}

type Token = { readonly t: string; readonly v: string }

const tokenize = (text: string, where: string): Array<Token> => {
  const out: Array<Token> = []
  let i = 0
  while (i < text.length) {
    const c = text[i]!
    if (c === "\n") {
      out.push({ t: "nl", v: "\n" })
      i++
      continue
    }
    if (/\s/.test(c)) {
      i++
      continue
    }
    if (text.startsWith("/-", i)) {
      const end = text.indexOf("-/", i + 2)
      if (end < 0) throw new LeanTermError(`${where}: an unclosed comment`)
      const inner = text.slice(i + 2, end).trim()
      const last = out.at(-1)
      // `stringNode`: a number followed by the string it stands for.
      if (last !== undefined && last.t === "num" && inner.startsWith('"')) out[out.length - 1] = { t: "str", v: JSON.parse(inner.replaceAll("-\\/", "-/")) as string }
      i = end + 2
      continue
    }
    const two = text.slice(i, i + 2)
    if (["&&", "||", "==", "!=", "++", ":=", "=>"].includes(two)) {
      out.push({ t: "op", v: two })
      i += 2
      continue
    }
    if ("()[]{},|:+-*<>≤≥!".includes(c)) {
      out.push({ t: "op", v: c })
      i++
      continue
    }
    if (c === "«") {
      const end = text.indexOf("»", i)
      out.push({ t: "id", v: text.slice(i + 1, end) })
      i = end + 1
      continue
    }
    const num = /^\d+/.exec(text.slice(i))
    if (num !== null) {
      out.push({ t: "num", v: num[0] })
      i += num[0].length
      continue
    }
    const before = out.at(-1)
    if (c === "." && before !== undefined && (before.t === "dot" || (before.t === "op" && ")]}".includes(before.v)))) {
      // `(...).name`: a field of a parenthesized term.
      const rest = /^\.([A-Za-z_][A-Za-z0-9_'!?]*|\d+)/.exec(text.slice(i))
      if (rest !== null) {
        out.push({ t: "dot", v: rest[1]! })
        i += rest[0].length
        continue
      }
    }
    // Identifiers with their dotted accesses (`s.locals.coordinator`, `.init`, `Msg.asYes`, `xs.1`).
    const id = /^\.?[A-Za-z_«][A-Za-z0-9_'!?]*(\.(?:[A-Za-z_][A-Za-z0-9_'!?]*|\d+|«[^»]*»))*/.exec(text.slice(i))
    if (id !== null) {
      out.push({ t: "id", v: id[0].replaceAll(/[«»]/g, "") })
      i += id[0].length
      continue
    }
    throw new LeanTermError(`${where}: unexpected "${text.slice(i, i + 20)}"`)
  }
  return out
}

class Parser {
  private i = 0
  constructor(private readonly tokens: ReadonlyArray<Token>, private readonly where: string) {}

  private fail(what: string): never {
    const near = this.tokens.slice(this.i, this.i + 8).map((t) => t.v).join(" ")
    throw new LeanTermError(`${this.where}: ${what} near "${near}"`)
  }
  private peek(skipNl = true): Token | undefined {
    let j = this.i
    while (skipNl && this.tokens[j]?.t === "nl") j++
    return this.tokens[j]
  }
  private next(): Token {
    while (this.tokens[this.i]?.t === "nl") this.i++
    const t = this.tokens[this.i++]
    if (t === undefined) this.fail("an unexpected end")
    return t
  }
  private is(v: string, skipNl = true): boolean {
    const t = this.peek(skipNl)
    return t !== undefined && t.t !== "num" && t.t !== "str" && t.v === v
  }
  private expect(v: string): void {
    if (this.next().v !== v) this.fail(`expected "${v}"`)
  }

  done(): boolean {
    return this.peek() === undefined
  }

  /** A term; `line` stops it at the end of the line (a `let`'s value). */
  term(line = false): Term {
    if (this.is("let")) {
      this.next()
      const name = this.next().v
      this.expect(":=")
      const value = this.term(true)
      return { kind: "let", name, value, body: this.term(line) }
    }
    if (this.is("if")) {
      this.next()
      const cond = this.term()
      this.expect("then")
      const then = this.term()
      this.expect("else")
      return { kind: "ite", cond, then, else: this.term(line) }
    }
    if (this.is("fun")) {
      this.next()
      const params: Array<string> = []
      if (this.is("(")) {
        this.next()
        for (;;) {
          params.push(this.next().v)
          if (this.is(")")) break
          this.expect(",")
        }
        this.next()
      } else params.push(this.next().v)
      this.expect("=>")
      return { kind: "fun", params, body: this.term(line) }
    }
    if (this.is("match")) {
      this.next()
      const of = this.term()
      this.expect("with")
      const arms: Array<{ tags: Array<string>; body: Term }> = []
      while (this.is("|")) {
        const tags: Array<string> = []
        while (this.is("|")) {
          this.next()
          const tag = this.next()
          if (tag.t !== "id" || !tag.v.startsWith(".")) this.fail("a match pattern")
          tags.push(tag.v.slice(1))
          while (this.is("_")) this.next()
        }
        this.expect("=>")
        arms.push({ tags, body: this.term() })
      }
      return { kind: "match", of, arms }
    }
    return this.binary(0, line)
  }

  private static readonly levels: ReadonlyArray<ReadonlyArray<string>> = [["||"], ["&&"], ["==", "!=", "<", ">", "≤", "≥"], ["++", "+", "-"], ["*"]]

  private binary(level: number, line: boolean): Term {
    if (level === Parser.levels.length) return this.unary(line)
    let left = this.binary(level + 1, line)
    for (;;) {
      const t = this.peek(!line)
      if (t === undefined || t.t !== "op" || !Parser.levels[level]!.includes(t.v)) return left
      this.next()
      const right = this.binary(level + 1, line)
      left = { kind: "binary", op: t.v, left, right }
    }
  }

  private unary(line: boolean): Term {
    if (this.is("!")) {
      this.next()
      return { kind: "not", of: this.unary(line) }
    }
    return this.application(line)
  }

  private startsAtom(t: Token | undefined): boolean {
    if (t === undefined) return false
    if (t.t === "num" || t.t === "str") return true
    if (t.t === "id") return !["then", "else", "with", "fun", "match", "let", "if", "_"].includes(t.v) && !t.v.startsWith(".")
    return t.t === "op" && (t.v === "(" || t.v === "[" || t.v === "{")
  }

  private application(line: boolean): Term {
    const fn = this.postfix(this.atom())
    const args: Array<Term> = []
    while (this.startsAtom(this.peek(!line))) args.push(this.postfix(this.atom()))
    return args.length === 0 ? fn : { kind: "app", fn, args }
  }

  private postfix(t: Term): Term {
    let out = t
    while (this.peek(false)?.t === "dot") out = { kind: "field", of: out, name: this.next().v }
    return out
  }

  private atom(): Term {
    const t = this.next()
    if (t.t === "num") return { kind: "num", value: BigInt(t.v) }
    if (t.t === "str") return { kind: "stringNode", text: t.v }
    if (t.t === "id") {
      if (t.v === "true" || t.v === "false") return { kind: "bool", value: t.v === "true" }
      if (t.v === "default") return { kind: "default" }
      return { kind: "var", name: t.v }
    }
    if (t.v === "(") {
      if (this.is("-") && this.tokens[this.i + 1]?.t !== "op") {
        this.next()
        const of = this.term()
        this.expect(")")
        return { kind: "neg", of }
      }
      const inner = this.term()
      if (this.is(":")) {
        this.next()
        const type = this.typeText()
        this.expect(")")
        return { kind: "ascribe", of: inner, type }
      }
      this.expect(")")
      return inner
    }
    if (t.v === "[") {
      const items: Array<Term> = []
      while (!this.is("]")) {
        items.push(this.term())
        if (this.is(",")) this.next()
      }
      this.next()
      return { kind: "list", items }
    }
    if (t.v === "{") {
      let base: Term | undefined
      const save = this.i
      const first = this.next()
      if (!(first.t === "id" && this.is(":="))) {
        this.i = save
        base = this.term()
        this.expect("with")
      } else this.i = save
      const fields: Array<{ name: string; value: Term }> = []
      while (!this.is("}")) {
        const name = this.next().v
        this.expect(":=")
        fields.push({ name, value: this.term() })
        if (this.is(",")) this.next()
      }
      this.next()
      return { kind: "record", base, fields }
    }
    return this.fail(`unexpected "${t.v}"`)
  }

  /** A type's text up to the closing parenthesis of an ascription. */
  private typeText(): string {
    let depth = 0
    const parts: Array<string> = []
    for (;;) {
      const t = this.peek()
      if (t === undefined) this.fail("an unclosed ascription")
      if (t.v === ")" && depth === 0) return parts.join(" ").replaceAll("( ", "(").replaceAll(" )", ")")
      if (t.v === "(") depth++
      if (t.v === ")") depth--
      parts.push(this.next().v)
    }
  }
}

/**
 * Reads one term of the generated fragment.
 *
 * @example
 * parseTerm("(s.phase.isInit && (m.era == s.era))", "x")
 * // => { kind: "binary", op: "&&", left: { kind: "var", name: "s.phase.isInit" }, right: { kind: "binary", op: "==", left: { kind: "var", name: "m.era" }, right: { kind: "var", name: "s.era" } } }
 */
export const parseTerm = (text: string, where: string): Term => {
  const p = new Parser(tokenize(text, where), where)
  const t = p.term()
  if (!p.done()) throw new LeanTermError(`${where}: text after the term`)
  return t
}

/** The `(name : Type)` binders of a definition's header. */
const binders = (text: string): Array<{ name: string; type: string }> => {
  const out: Array<{ name: string; type: string }> = []
  let depth = 0
  let start = -1
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "(") {
      if (depth === 0) start = i + 1
      depth++
    } else if (text[i] === ")") {
      depth--
      if (depth === 0) {
        const inner = text.slice(start, i)
        const colon = inner.indexOf(" : ")
        out.push({ name: inner.slice(0, colon).trim().replaceAll(/[«»]/g, ""), type: inner.slice(colon + 3).trim() })
      }
    }
  }
  return out
}

/**
 * The term definitions (`def name (x : T) ... : R :=` and a body) of a generated file, by name.
 * Type declarations, the generated accessors (defined by pattern matching) and the transitions'
 * `where` structures are not term definitions and are skipped: `Smt.ts` builds them from the types.
 *
 * @example
 * const defs = definitionsOf("/-- doc -/\ndef f (x : Int) : Bool :=\n  decide (x > 0)\n\ndef g : Int := 3")
 * [defs.get("f")!.params, defs.get("g")!.body] // => [[{ name: "x", type: "Int" }], { kind: "num", value: 3n }]
 */
export const definitionsOf = (lean: string): ReadonlyMap<string, Definition> => {
  const out = new Map<string, Definition>()
  for (const chunk of lean.split(/\n\s*\n/)) {
    const text = chunk.replace(/^\/--[\s\S]*?-\/\n/, "")
    const header = /^def (\S+)((?: \([^:]+ : [^)]*(?:\([^)]*\)[^)]*)*\))*) : ([^\n]+?) :=\s*\n?([\s\S]*)$/.exec(text)
    if (header === null) continue
    const [, name, params, result, body] = header
    if (name!.includes(".") || / where$/.test(result!) || result!.trim() === "Prop") continue
    let term: Term | LeanTermError
    try {
      term = parseTerm(body!, `the definition ${name}`)
    } catch (e) {
      if (!(e instanceof LeanTermError)) throw e
      term = e
    }
    out.set(name!, { name: name!, params: binders(params!), result: result!.trim(), body: term })
  }
  return out
}
