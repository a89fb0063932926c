/**
 * TypeScript to Lean, for the pure fragment of DESIGN §3: constants, parameters, field access,
 * object literals and spread updates (typed by the Schemas), `===`/`!==`, `&&`, `||`, `!`,
 * ternaries, integer arithmetic and comparisons, arrays (`length`, `includes`, `every`, `some`,
 * `map`, `filter`, `findIndex`, `slice`, spread, indexing), local states keyed by node
 * (`s.locals.server[n]`), node lists (`nodes.client`, `ctx.nodes.participant`), ts-pattern `match`
 * on a union's `tag` or on a string-literal union, string literals where their type is known (a
 * literal of a string-literal union, or a string field's value, `stringNode`), calls of helpers
 * defined at the top of the same file (or of the protocol's
 * parameters), and `const` declarations followed by `return` in a helper's block. Anything else
 * is refused with the construct and its `file:line:column`.
 *
 * The translation is type-directed: every expression gets its Lean type, which decides how object
 * literals become structures or constructors, how `x.tag === "t"` becomes `x.isT`, and where a
 * `Nat` (a length, a position) is cast to `Int`.
 *
 * @since 0.1.0
 */
import ts from "typescript"
import { ExportError } from "./ExportError.ts"
import { bool, capitalize, ident, int, type LeanType, nat, node, render, same, type TypeTable } from "./LeanType.ts"
import { stringNode } from "./LeanValue.ts"
import { locate, type SourceFile } from "./SourceFile.ts"

export { ident } from "./LeanType.ts"

/** A translated expression: its Lean text, its type, and whether it needs no parentheses. */
export interface Value {
  readonly code: string
  readonly type: Typed
  readonly atomic: boolean
}

/** The types of translated expressions: Lean types, and a union's tag (only to compare it). */
export type Typed = LeanType | { readonly kind: "tag"; readonly union: LeanType & { readonly kind: "union" } }

/** A function the translated code may call: a helper or a protocol parameter. */
export interface Callee {
  readonly lean: string
  readonly params: ReadonlyArray<LeanType>
  readonly result: LeanType
}

/** What the translation of one function needs to know. */
export interface Context {
  readonly source: SourceFile
  readonly types: TypeTable
  /** The message type (one constructor per tag, carrying its payload). */
  readonly msg: LeanType & { readonly kind: "union" }
  /** Each role's local-state type. */
  readonly roles: ReadonlyMap<string, LeanType>
  /** Resolves a free identifier to a helper or parameter, or `undefined`. */
  readonly resolve: (name: string, at: ts.Node, source: SourceFile) => Callee | Value | undefined
}

const atom = (code: string, type: Typed): Value => ({ code, type, atomic: true })
const compound = (code: string, type: Typed): Value => ({ code, type, atomic: false })
const paren = (v: Value): string => (v.atomic ? v.code : `(${v.code})`)

type Scope = ReadonlyMap<string, Value>

/** Translates the functions of one source file. */
export class Translator {
  constructor(private readonly ctx: Context) {}

  private refuse(at: ts.Node, construct: string, reason: string): never {
    throw new ExportError(locate(this.ctx.source, at), construct, reason)
  }

  /**
   * A function's Lean parameters and body, given its parameters' types and its result type.
   * Parameters the TypeScript function leaves out get names of their own.
   */
  function(
    fn: ts.ArrowFunction | ts.FunctionExpression,
    params: ReadonlyArray<{ readonly fallback: string; readonly type: LeanType }>,
    result: LeanType | undefined,
    outer: Scope = new Map()
  ): { readonly params: ReadonlyArray<{ readonly name: string; readonly type: LeanType }>; readonly body: Value } {
    if (fn.parameters.length > params.length) this.refuse(fn.parameters[params.length]!, "an extra parameter", `this function takes ${params.length}`)
    const scope = new Map(outer)
    const named = params.map((p, i) => {
      const declared = fn.parameters[i]
      if (declared === undefined) return { name: p.fallback, type: p.type }
      if (!ts.isIdentifier(declared.name)) this.refuse(declared, "a destructuring parameter", "name the parameter and read its fields")
      if (declared.initializer !== undefined || declared.dotDotDotToken !== undefined) this.refuse(declared, "a default or rest parameter", "outside the fragment")
      const name = ident(declared.name.text)
      scope.set(declared.name.text, atom(name, p.type))
      return { name, type: p.type }
    })
    const body = ts.isBlock(fn.body) ? this.block(fn.body, scope, result) : this.expr(fn.body, scope, result)
    if (result !== undefined) this.expect(fn.body, body, result)
    return { params: named, body }
  }

  private expect(at: ts.Node, v: Value, t: LeanType): void {
    if (v.type.kind === "tag" || !same(v.type, t)) {
      this.refuse(at, "an expression of the wrong type", `expected ${render(t)}, got ${v.type.kind === "tag" ? "a tag" : render(v.type)}`)
    }
  }

  private block(block: ts.Block, outer: Scope, result: LeanType | undefined): Value {
    const scope = new Map(outer)
    const lets: Array<string> = []
    const statements = block.statements
    for (let i = 0; i < statements.length; i++) {
      const s = statements[i]!
      if (ts.isVariableStatement(s) && (s.declarationList.flags & ts.NodeFlags.Const) !== 0) {
        for (const d of s.declarationList.declarations) {
          if (!ts.isIdentifier(d.name) || d.initializer === undefined) this.refuse(d, "a declaration without a value", "outside the fragment")
          const v = this.expr(d.initializer, scope, undefined)
          const name = ident(d.name.text)
          lets.push(`let ${name} := ${v.code}`)
          scope.set(d.name.text, atom(name, v.type))
        }
        continue
      }
      if (ts.isReturnStatement(s) && i === statements.length - 1 && s.expression !== undefined) {
        const v = this.expr(s.expression, scope, result)
        return compound([...lets, v.code].join("\n  "), v.type)
      }
      this.refuse(s, `a ${ts.SyntaxKind[s.kind]}`, "a block may only declare constants and then return (no mutation, loops or other statements)")
    }
    return this.refuse(block, "a block without a final return", "outside the fragment")
  }

  /** Translates an expression, with the type expected of it when the context knows it. */
  expr(e: ts.Expression, scope: Scope, expected: LeanType | undefined): Value {
    if (ts.isParenthesizedExpression(e)) {
      const inner = this.expr(e.expression, scope, expected)
      return atom(`(${inner.code})`, inner.type)
    }
    if (ts.isNonNullExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)) return this.expr(e.expression, scope, expected)
    if (e.kind === ts.SyntaxKind.TrueKeyword) return atom("true", bool)
    if (e.kind === ts.SyntaxKind.FalseKeyword) return atom("false", bool)
    if (ts.isNumericLiteral(e)) {
      if (!/^\d+$/.test(e.text)) this.refuse(e, `the number ${e.text}`, "only integers are in the fragment")
      return atom(e.text, expected !== undefined && expected.kind === "nat" ? nat : int)
    }
    if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return this.string(e, expected)
    if (ts.isIdentifier(e)) return this.identifier(e, scope)
    if (ts.isPrefixUnaryExpression(e)) {
      const operand = this.expr(e.operand, scope, expected)
      if (e.operator === ts.SyntaxKind.ExclamationToken) return compound(`!${paren(this.is(e.operand, operand, bool))}`, bool)
      if (e.operator === ts.SyntaxKind.MinusToken && operand.type.kind === "int") return atom(`(-${paren(operand)})`, int)
      return this.refuse(e, `the operator ${ts.tokenToString(e.operator)}`, "outside the fragment")
    }
    if (ts.isBinaryExpression(e)) return this.binary(e, scope, expected)
    if (ts.isConditionalExpression(e)) {
      const c = this.is(e.condition, this.expr(e.condition, scope, bool), bool)
      const a = this.expr(e.whenTrue, scope, expected)
      const b = this.expr(e.whenFalse, scope, expected ?? (a.type.kind === "tag" ? undefined : a.type))
      const t = a.type.kind !== "tag" && b.type.kind !== "tag" && same(a.type, b.type) ? a.type : this.refuse(e, "a conditional whose branches differ in type", "both branches must have one type")
      return compound(`if ${c.code} then ${a.code} else ${b.code}`, t)
    }
    if (ts.isPropertyAccessExpression(e)) return this.property(e, scope)
    if (ts.isElementAccessExpression(e)) return this.element(e, scope)
    if (ts.isCallExpression(e)) return this.call(e, scope, expected)
    if (ts.isArrayLiteralExpression(e)) return this.array(e, scope, expected)
    if (ts.isObjectLiteralExpression(e)) return this.object(e, scope, expected)
    return this.refuse(e, `a ${ts.SyntaxKind[e.kind]}`, "outside the fragment (DESIGN §3)")
  }

  /**
   * A string literal where its type is known: a literal of a string-literal union is its
   * constructor; where a node id is expected, a string is its own constant (`stringNode`).
   */
  private string(e: ts.StringLiteral | ts.NoSubstitutionTemplateLiteral, expected: LeanType | undefined): Value {
    if (expected?.kind === "enum") {
      if (!expected.values.includes(e.text)) this.refuse(e, `the literal "${e.text}"`, `${expected.name} has no such literal (literals: ${expected.values.join(", ")})`)
      return atom(`${expected.name}.${ident(e.text)}`, expected)
    }
    if (expected?.kind === "node") return atom(`(${stringNode(e.text)})`, node)
    return this.refuse(e, `the string "${e.text}"`, "a string literal is a tag, a literal of a string-literal union or a string field's value, and its type must be known from the context")
  }

  /** `v` as a value of type `t`: a `Nat` where an `Int` is expected is cast, anything else must match. */
  private is(at: ts.Node, v: Value, t: LeanType): Value {
    if (v.type.kind === "nat" && t.kind === "int") return atom(`(${v.code} : Int)`, int)
    this.expect(at, v, t)
    return v
  }

  private identifier(e: ts.Identifier, scope: Scope): Value {
    const local = scope.get(e.text)
    if (local !== undefined) return local
    const resolved = this.ctx.resolve(e.text, e, this.ctx.source)
    if (resolved !== undefined && "code" in resolved) return resolved
    if (resolved !== undefined) return this.refuse(e, `the function ${e.text} as a value`, "helpers may only be called")
    if (e.text === "undefined") return this.refuse(e, "undefined", "outside the fragment")
    return this.refuse(e, `the free variable ${e.text}`, "it is neither a parameter, a local constant, a top-level helper of this file nor a protocol parameter")
  }

  private numeric(at: ts.Node, a: Value, b: Value): [Value, Value, LeanType] {
    const ka = a.type.kind
    const kb = b.type.kind
    if (ka === "int" && kb === "int") return [a, b, int]
    if (ka === "nat" && kb === "nat") return [a, b, nat]
    if (ka === "int" && kb === "nat") return [a, atom(`(${b.code} : Int)`, int), int]
    if (ka === "nat" && kb === "int") return [atom(`(${a.code} : Int)`, int), b, int]
    return this.refuse(at, "arithmetic on non-numbers", `operands are ${ka} and ${kb}`)
  }

  private binary(e: ts.BinaryExpression, scope: Scope, expected: LeanType | undefined): Value {
    const op = e.operatorToken.kind
    const K = ts.SyntaxKind
    if (op === K.AmpersandAmpersandToken || op === K.BarBarToken) {
      const a = this.is(e.left, this.expr(e.left, scope, bool), bool)
      const b = this.is(e.right, this.expr(e.right, scope, bool), bool)
      return compound(`${paren(a)} ${op === K.AmpersandAmpersandToken ? "&&" : "||"} ${paren(b)}`, bool)
    }
    if (op === K.EqualsEqualsEqualsToken || op === K.ExclamationEqualsEqualsToken) {
      const negate = op === K.ExclamationEqualsEqualsToken
      const tagTest = this.tagComparison(e, scope)
      if (tagTest !== undefined) return negate ? compound(`!${paren(tagTest)}`, bool) : tagTest
      const a0 = this.expr(e.left, scope, undefined)
      const b = this.expr(e.right, scope, a0.type.kind === "tag" ? undefined : a0.type)
      const a = ts.isNumericLiteral(e.left) && b.type.kind !== "tag" ? this.expr(e.left, scope, b.type) : a0
      const kinds = ["int", "nat", "node", "bool", "enum"]
      if (!kinds.includes(a.type.kind) || !kinds.includes(b.type.kind)) {
        this.refuse(e, "=== on structured values", "JavaScript compares objects and arrays by reference; compare their fields")
      }
      if (a.type.kind === "enum" && !same(a.type, b.type as LeanType)) this.refuse(e, "=== on different types", `${render(a.type)} and ${b.type.kind === "tag" ? "a tag" : render(b.type)}`)
      const [x, y] = a.type.kind === b.type.kind ? [a, b] : this.numeric(e, a, b)
      return compound(`${paren(x)} ${negate ? "!=" : "=="} ${paren(y)}`, bool)
    }
    const comparisons: Partial<Record<ts.SyntaxKind, string>> = {
      [K.LessThanToken]: "<",
      [K.LessThanEqualsToken]: "≤",
      [K.GreaterThanToken]: ">",
      [K.GreaterThanEqualsToken]: "≥"
    }
    const arithmetic: Partial<Record<ts.SyntaxKind, string>> = { [K.PlusToken]: "+", [K.MinusToken]: "-", [K.AsteriskToken]: "*", [K.PercentToken]: "%" }
    const symbol = comparisons[op] ?? arithmetic[op]
    if (symbol === undefined) return this.refuse(e, `the operator ${e.operatorToken.getText()}`, "outside the fragment (no assignment, division, bitwise or nullish operators)")
    const hint = expected !== undefined && (expected.kind === "int" || expected.kind === "nat") ? expected : undefined
    const a0 = this.expr(e.left, scope, hint)
    const b = this.expr(e.right, scope, a0.type.kind === "tag" ? undefined : a0.type)
    const a = ts.isNumericLiteral(e.left) && b.type.kind !== "tag" ? this.expr(e.left, scope, b.type) : a0
    let [x, y, t] = this.numeric(e, a, b)
    // JavaScript subtraction can go below zero; Nat subtraction stops at zero.
    if (symbol === "-" && t.kind === "nat") [x, y, t] = this.numeric(e, atom(`(${x.code} : Int)`, int), y)
    if (symbol === "%") return compound(`Int.tmod ${paren(x)} ${paren(y)}`, t)
    if (comparisons[op] !== undefined) return compound(`decide (${x.code} ${symbol} ${y.code})`, bool)
    return compound(`${paren(x)} ${symbol} ${paren(y)}`, t)
  }

  /**
   * A comparison with a string literal (either side): `x.tag === "t"` on a union or a message is
   * `x.isT`; on a string-literal union or a string field, the literal is translated as a value.
   */
  private tagComparison(e: ts.BinaryExpression, scope: Scope): Value | undefined {
    const [side, literal] = ts.isStringLiteral(e.right) ? [e.left, e.right] : ts.isStringLiteral(e.left) ? [e.right, e.left] : [undefined, undefined]
    if (side === undefined || literal === undefined) return undefined
    const v = this.expr(side, scope, undefined)
    if (v.type.kind === "enum" || v.type.kind === "node") return compound(`${paren(v)} == ${this.string(literal, v.type).code}`, bool)
    if (v.type.kind !== "tag") return this.refuse(literal, `the string "${literal.text}"`, `a string literal is compared with a tag, a literal of a string-literal union or a string field, not with ${render(v.type)}`)
    const union = v.type.union
    if (!union.variants.some((variant) => variant.tag === literal.text)) {
      this.refuse(literal, `the tag "${literal.text}"`, `${union.name} has no such tag (tags: ${union.variants.map((x) => x.tag).join(", ")})`)
    }
    return atom(`${paren(v)}.is${capitalize(literal.text)}`, bool)
  }

  private property(e: ts.PropertyAccessExpression, scope: Scope): Value {
    const name = e.name.text
    const o = this.expr(e.expression, scope, undefined)
    const t = o.type
    const field = (lean: string, type: Typed) => atom(`${paren(o)}.${lean}`, type)
    switch (t.kind) {
      case "struct": {
        const f = t.fields.find((x) => x.name === name)
        if (f === undefined) return this.refuse(e.name, `the field ${name}`, `${t.name} has no such field`)
        return field(ident(name), f.type)
      }
      case "union": {
        if (name === "tag") return { ...o, type: { kind: "tag", union: t } }
        const f = unionField(t, name)
        if (f === undefined) return this.refuse(e.name, `the field ${name}`, `no variant of ${t.name} has it`)
        return field(ident(name), f)
      }
      case "list":
        if (name === "length") return field("length", nat)
        break
      case "envelope": {
        const msg = t.proto?.msg ?? this.ctx.msg
        if (name === "tag") return atom(`${paren(o)}.msg`, { kind: "tag", union: msg })
        if (name === "payload") return field("msg", msg)
        if (name === "from") return field("src", node)
        if (name === "to") return field("dst", node)
        if (name === "active") return field("active", bool)
        if (name === "id") return field("id", nat)
        break
      }
      case "statelet": {
        const proto = t.proto === undefined ? {} : { proto: t.proto }
        if (name === "locals") return field("locals", { kind: "locals", ...proto })
        if (name === "soup") return field("soup", { kind: "list", of: { kind: "envelope", ...proto } })
        break
      }
      case "locals": {
        const role = (t.proto?.roles ?? this.ctx.roles).get(name)
        if (role !== undefined) return field(ident(name), { kind: "roleMap", role: name, of: role })
        break
      }
      case "topology":
        if ((t.proto?.roles ?? this.ctx.roles).has(name)) return field(ident(name), { kind: "list", of: node })
        break
      case "world":
      case "worldTopology": {
        const i = t.parts.findIndex((p) => p.label === name)
        if (i < 0) break
        const proto = t.parts[i]!.proto === undefined ? {} : { proto: t.parts[i]!.proto! }
        return field(String(i + 1), t.kind === "world" ? { kind: "statelet", ...proto } : { kind: "topology", ...proto })
      }
      case "ctx":
        if (name === "self") return field("self", node)
        if (name === "nodes") return field("nodes", { kind: "topology" })
        break
      default:
        break
    }
    return this.refuse(e, `.${name} on ${t.kind === "tag" ? "a tag" : render(t)}`, "outside the fragment")
  }

  private element(e: ts.ElementAccessExpression, scope: Scope): Value {
    const o = this.expr(e.expression, scope, undefined)
    if (o.type.kind === "roleMap") {
      const n = this.is(e.argumentExpression, this.expr(e.argumentExpression, scope, node), node)
      return atom(`(${paren(o)} ${paren(n)})`, o.type.of)
    }
    if (o.type.kind === "list") {
      const i = this.expr(e.argumentExpression, scope, nat)
      if (i.type.kind === "nat") return atom(`(${paren(o)}.getD ${paren(i)} default)`, o.type.of)
      if (i.type.kind === "int") return atom(`(Js.at! ${paren(o)} ${paren(i)})`, o.type.of)
    }
    return this.refuse(e, "this indexing", "only arrays by a number and local states by a node id are indexed")
  }

  private lambda(
    fn: ts.Expression | undefined,
    at: ts.Node,
    scope: Scope,
    params: ReadonlyArray<LeanType>,
    result: LeanType | undefined
  ): { readonly code: string; readonly arity: number; readonly type: Typed } {
    if (fn === undefined || !(ts.isArrowFunction(fn) || ts.isFunctionExpression(fn))) {
      return this.refuse(fn ?? at, "a callback that is not an inline arrow function", "pass an arrow function")
    }
    const arity = fn.parameters.length
    const translated = this.function(fn, params.slice(0, Math.max(arity, 1)).map((type, i) => ({ fallback: `_x${i}`, type })), result, scope)
    const names = translated.params.map((p) => p.name)
    const binder = names.length === 1 ? names[0]! : `(${names.join(", ")})`
    return { code: `(fun ${binder} => ${translated.body.code})`, arity, type: translated.body.type }
  }

  private call(e: ts.CallExpression, scope: Scope, expected: LeanType | undefined): Value {
    const callee = e.expression
    if (ts.isPropertyAccessExpression(callee) && callee.name.text === "exhaustive") return this.patternMatch(e, scope, expected)
    if (ts.isPropertyAccessExpression(callee)) {
      const o = this.expr(callee.expression, scope, undefined)
      if (o.type.kind === "list") return this.arrayMethod(e, callee.name.text, o, o.type.of, scope, expected)
      return this.refuse(callee.name, `the method ${callee.name.text}`, "only array methods are called on values")
    }
    if (!ts.isIdentifier(callee)) return this.refuse(callee, "this call", "only helpers and array methods are called")
    if (scope.has(callee.text)) return this.refuse(callee, `a call of the parameter ${callee.text}`, "functions are not values in the fragment")
    const resolved = this.ctx.resolve(callee.text, callee, this.ctx.source)
    if (resolved === undefined || "code" in resolved) {
      return this.refuse(callee, `the call of ${callee.text}`, "it is neither a top-level helper of this file nor a protocol parameter")
    }
    if (e.arguments.length !== resolved.params.length) {
      this.refuse(e, `the call of ${callee.text}`, `it takes ${resolved.params.length} arguments`)
    }
    const args = e.arguments.map((a, i) => this.is(a, this.expr(a, scope, resolved.params[i]), resolved.params[i]!))
    return compound([resolved.lean, ...args.map(paren)].join(" "), resolved.result)
  }

  private arrayMethod(e: ts.CallExpression, method: string, o: Value, item: LeanType, scope: Scope, expected: LeanType | undefined): Value {
    const [first, second] = e.arguments
    const withIndex = (arity: number, list: string) => (arity >= 2 ? `${list}.zipIdx` : list)
    switch (method) {
      case "some":
      case "every":
      case "filter":
      case "findIndex": {
        const f = this.lambda(first, e, scope, [item, nat], bool)
        const list = withIndex(f.arity, paren(o))
        if (method === "findIndex") {
          if (f.arity >= 2) this.refuse(e, "findIndex with a position", "outside the fragment")
          return compound(`Js.findIndex ${paren(o)} ${f.code}`, int)
        }
        if (method === "filter") {
          if (f.arity >= 2) this.refuse(e, "filter with a position", "outside the fragment")
          return atom(`(${list}.filter ${f.code})`, o.type)
        }
        return atom(`(${list}.${method === "some" ? "any" : "all"} ${f.code})`, bool)
      }
      case "map": {
        const result = expected !== undefined && expected.kind === "list" ? expected.of : undefined
        const f = this.lambda(first, e, scope, [item, nat], result)
        if (f.type.kind === "tag") return this.refuse(e, "a map to tags", "outside the fragment")
        return atom(`(${withIndex(f.arity, paren(o))}.map ${f.code})`, { kind: "list", of: f.type })
      }
      case "includes": {
        if (first === undefined) return this.refuse(e, "includes without an argument", "outside the fragment")
        const x = this.is(first, this.expr(first, scope, item), item)
        if (!["int", "nat", "node", "bool", "enum"].includes(item.kind)) this.refuse(e, "includes on structured values", "JavaScript compares them by reference")
        return atom(`(${paren(o)}.contains ${paren(x)})`, bool)
      }
      case "slice": {
        const a = first === undefined ? atom("0", int) : this.toInt(first, this.expr(first, scope, int))
        if (second === undefined) return compound(`Js.sliceFrom ${paren(o)} ${paren(a)}`, o.type)
        const b = this.toInt(second, this.expr(second, scope, int))
        return compound(`Js.slice ${paren(o)} ${paren(a)} ${paren(b)}`, o.type)
      }
      default:
        return this.refuse(e, `the array method ${method}`, "outside the fragment (length, includes, every, some, map, filter, findIndex, slice)")
    }
  }

  private toInt(at: ts.Node, v: Value): Value {
    if (v.type.kind === "int") return v
    if (v.type.kind === "nat") return atom(`(${v.code} : Int)`, int)
    return this.refuse(at, "a non-number position", "positions are numbers")
  }

  private array(e: ts.ArrayLiteralExpression, scope: Scope, expected: LeanType | undefined): Value {
    const item = expected !== undefined && expected.kind === "list" ? expected.of : undefined
    const parts: Array<string> = []
    let run: Array<string> = []
    let itemType = item
    const flush = () => {
      if (run.length > 0) parts.push(`[${run.join(", ")}]`)
      run = []
    }
    for (const element of e.elements) {
      if (ts.isSpreadElement(element)) {
        const v = this.expr(element.expression, scope, itemType === undefined ? undefined : { kind: "list", of: itemType })
        if (v.type.kind !== "list") return this.refuse(element, "a spread of a non-array", "outside the fragment")
        itemType ??= v.type.of
        this.expect(element, v, { kind: "list", of: itemType })
        flush()
        parts.push(paren(v))
      } else {
        const v = this.expr(element, scope, itemType)
        if (v.type.kind === "tag") return this.refuse(element, "a tag as a value", "outside the fragment")
        itemType ??= v.type
        this.expect(element, v, itemType)
        run.push(v.code)
      }
    }
    flush()
    if (itemType === undefined) return this.refuse(e, "an empty array of unknown type", "its type must be known from the context")
    const type: LeanType = { kind: "list", of: itemType }
    if (parts.length === 0) return atom(`([] : ${render(type)})`, type)
    if (parts.length === 1 && parts[0]!.startsWith("[")) return atom(`(${parts[0]} : ${render(type)})`, type)
    return compound(parts.join(" ++ "), type)
  }

  private object(e: ts.ObjectLiteralExpression, scope: Scope, expected: LeanType | undefined): Value {
    if (expected === undefined || (expected.kind !== "struct" && expected.kind !== "union")) {
      return this.refuse(e, "an object literal", "its type must be a struct or union schema known from the context")
    }
    let base: Value | undefined
    const given = new Map<string, ts.Expression | ts.Identifier>()
    e.properties.forEach((p, i) => {
      if (ts.isSpreadAssignment(p)) {
        if (i !== 0) this.refuse(p, "a spread after other fields", "spread the old value first, then override fields")
        base = this.expr(p.expression, scope, expected)
        this.expect(p, base, expected)
      } else if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) {
        given.set(p.name.text, p.initializer)
      } else if (ts.isShorthandPropertyAssignment(p)) {
        given.set(p.name.text, p.name)
      } else {
        this.refuse(p, "this object member", "only fields, shorthand fields and one leading spread")
      }
    })
    const fieldValue = (name: string, type: LeanType) => {
      const init = given.get(name)!
      return this.is(init, this.expr(init, scope, type), type)
    }
    if (expected.kind === "struct") {
      for (const name of given.keys()) {
        if (!expected.fields.some((f) => f.name === name)) this.refuse(e, `the field ${name}`, `${expected.name} has no such field`)
      }
      const assigned = expected.fields.filter((f) => given.has(f.name)).map((f) => `${ident(f.name)} := ${fieldValue(f.name, f.type).code}`)
      if (base !== undefined) return atom(`{ ${base.code} with ${assigned.join(", ")} }`, expected)
      const missing = expected.fields.filter((f) => !given.has(f.name))
      if (missing.length > 0) this.refuse(e, "an incomplete object literal", `${expected.name} also needs ${missing.map((f) => f.name).join(", ")}`)
      return atom(`({ ${assigned.join(", ")} } : ${expected.name})`, expected)
    }
    if (base !== undefined) {
      if (given.has("tag")) this.refuse(e, "a spread that changes the tag", "build the new variant with all of its fields")
      let code = paren(base)
      for (const name of given.keys()) {
        const f = unionField(expected, name)
        if (f === undefined) this.refuse(e, `the field ${name}`, `no variant of ${expected.name} has it`)
        code = `(${code}.with${capitalize(name)} ${paren(fieldValue(name, f))})`
      }
      return atom(code, expected)
    }
    const tag = given.get("tag")
    if (tag === undefined || !ts.isStringLiteral(tag)) return this.refuse(e, "a union value without a literal tag", `${expected.name} is chosen by its tag`)
    const variant = expected.variants.find((v) => v.tag === tag.text)
    if (variant === undefined) return this.refuse(tag, `the tag "${tag.text}"`, `${expected.name} has no such tag`)
    for (const name of given.keys()) {
      if (name !== "tag" && !variant.fields.some((f) => f.name === name)) this.refuse(e, `the field ${name}`, `${expected.name}.${variant.tag} has no such field`)
    }
    const missing = variant.fields.filter((f) => !given.has(f.name))
    if (missing.length > 0) this.refuse(e, "an incomplete object literal", `${expected.name}.${variant.tag} also needs ${missing.map((f) => f.name).join(", ")}`)
    const args = variant.fields.map((f) => paren(fieldValue(f.name, f.type)))
    return args.length === 0 ? atom(`${expected.name}.${ident(variant.tag)}`, expected) : atom(`(${[`${expected.name}.${ident(variant.tag)}`, ...args].join(" ")})`, expected)
  }

  /** ts-pattern: `match(x).with({ tag: "a" }, (p) => ...).with({ tag: P.union("b", "c") }, () => ...).exhaustive()`. */
  private patternMatch(e: ts.CallExpression, scope: Scope, expected: LeanType | undefined): Value {
    const arms: Array<{ readonly pattern: ts.Expression; readonly handler: ts.Expression; readonly at: ts.Node }> = []
    let cursor: ts.Expression = (e.expression as ts.PropertyAccessExpression).expression
    while (ts.isCallExpression(cursor) && ts.isPropertyAccessExpression(cursor.expression) && cursor.expression.name.text === "with") {
      const [pattern, handler] = cursor.arguments
      if (pattern === undefined || handler === undefined || cursor.arguments.length !== 2) this.refuse(cursor, "a .with(...) arm", "an arm is a tag pattern and a handler")
      arms.unshift({ pattern, handler, at: cursor })
      cursor = cursor.expression.expression
    }
    if (!ts.isCallExpression(cursor) || !ts.isIdentifier(cursor.expression) || cursor.expression.text !== "match" || cursor.arguments.length !== 1) {
      return this.refuse(e, "this .exhaustive() chain", "only ts-pattern's match(x).with(...)....exhaustive() is translated")
    }
    const scrutinee = this.expr(cursor.arguments[0]!, scope, undefined)
    const union = scrutinee.type
    if (union.kind !== "union" && union.kind !== "enum") {
      return this.refuse(cursor, "a match on a value that is neither a union nor a string-literal union", "match is translated on unions discriminated by tag and on string-literal unions")
    }
    const all = union.kind === "union" ? union.variants.map((v) => v.tag) : union.values
    const covered = new Set<string>()
    const lines = arms.map((arm) => {
      const tags = union.kind === "union" ? this.tagPattern(arm.pattern, union) : this.literalPattern(arm.pattern, union)
      for (const t of tags) {
        if (covered.has(t)) this.refuse(arm.pattern, `the tag "${t}" twice`, "every tag has one arm")
        covered.add(t)
      }
      const patterns = tags.map((t) => {
        const fields = union.kind === "union" ? union.variants.find((v) => v.tag === t)!.fields : []
        return [`.${ident(t)}`, ...fields.map(() => "_")].join(" ")
      })
      const f = this.lambda(arm.handler, arm.at, scope, [union], expected)
      const body = f.arity === 0 ? f.code.replace(/^\(fun _x0 => ([\s\S]*)\)$/, "$1") : `${f.code} ${paren(scrutinee)}`
      return { text: `| ${patterns.join(" | ")} => ${body}`, type: f.type }
    })
    const missing = all.filter((t) => !covered.has(t))
    if (missing.length > 0) this.refuse(e, "a non-exhaustive match", `no arm for ${missing.join(", ")}`)
    const type = lines[0]?.type
    if (type === undefined || type.kind === "tag") return this.refuse(e, "an empty match", "outside the fragment")
    return atom(`(match ${scrutinee.code} with\n      ${lines.map((l) => l.text).join("\n      ")})`, type)
  }

  /** A pattern on a string-literal union: `"a"` or `P.union("a", "b")`. */
  private literalPattern(pattern: ts.Expression, union: LeanType & { readonly kind: "enum" }): ReadonlyArray<string> {
    const literals = ts.isStringLiteral(pattern)
      ? [pattern.text]
      : ts.isCallExpression(pattern) && pattern.expression.getText() === "P.union" && pattern.arguments.every(ts.isStringLiteral)
        ? pattern.arguments.map((a) => (a as ts.StringLiteral).text)
        : this.refuse(pattern, "this pattern", "a pattern on a string-literal union is a string or P.union of strings")
    for (const l of literals) if (!union.values.includes(l)) this.refuse(pattern, `the literal "${l}"`, `${union.name} has no such literal`)
    return literals
  }

  private tagPattern(pattern: ts.Expression, union: LeanType & { readonly kind: "union" }): ReadonlyArray<string> {
    if (!ts.isObjectLiteralExpression(pattern) || pattern.properties.length !== 1) {
      return this.refuse(pattern, "this pattern", "patterns are { tag: \"t\" } or { tag: P.union(\"a\", \"b\") }")
    }
    const p = pattern.properties[0]!
    if (!ts.isPropertyAssignment(p) || p.name.getText() !== "tag") return this.refuse(p, "this pattern", "patterns match the tag only")
    const v = p.initializer
    const tags = ts.isStringLiteral(v)
      ? [v.text]
      : ts.isCallExpression(v) && v.expression.getText() === "P.union" && v.arguments.every(ts.isStringLiteral)
        ? v.arguments.map((a) => (a as ts.StringLiteral).text)
        : this.refuse(v, "this tag pattern", "a tag pattern is a string or P.union of strings")
    for (const t of tags) if (!union.variants.some((x) => x.tag === t)) this.refuse(v, `the tag "${t}"`, `${union.name} has no such tag`)
    return tags
  }
}

/**
 * The type of a field across a union's variants (the exporter emits one accessor per field
 * name), or `undefined` when no variant has it.
 *
 * @example
 * const u = { kind: "union", name: "U", variants: [{ tag: "a", fields: [] }, { tag: "b", fields: [{ name: "x", type: { kind: "int" } }] }] } as const
 * unionField(u, "x") // => { kind: "int" }
 */
export const unionField = (union: LeanType & { readonly kind: "union" }, name: string): LeanType | undefined => {
  for (const v of union.variants) {
    const fields = v.payload !== undefined && v.payload.kind === "struct" ? v.payload.fields : v.fields
    const f = fields.find((x) => x.name === name)
    if (f !== undefined) return f.type
  }
  return undefined
}
