/**
 * The Lean types of a protocol, read from its Schemas: structures for structs, inductives for
 * unions discriminated by a `tag` literal, `List` for arrays, `Int` for `Schema.Int`, `Bool`, and
 * `Node` for strings (every string of a bundled protocol's state is a node id; the exporter numbers
 * node ids as the checker's codec does). Floats, records, tuples, optional fields and other
 * literals have no Lean type here and are refused with the schema's place.
 *
 * @since 0.1.0
 */
import type * as Schema from "effect/Schema"
import type * as SchemaAST from "effect/SchemaAST"
import { ExportError } from "./ExportError.ts"

/** A field of a Lean structure or of a constructor. */
export interface Field {
  readonly name: string
  readonly type: LeanType
}

/** A constructor of a union: its tag, and its fields (or, for messages, one payload structure). */
export interface Variant {
  readonly tag: string
  readonly fields: ReadonlyArray<Field>
  /** For the message type: the payload structure the constructor carries. */
  readonly payload?: LeanType
}

/**
 * Another protocol's statelets, local states, envelopes and node lists, in a world's export: the
 * Lean namespace of its generated spec, its roles' local-state types and its message type.
 */
export interface ProtocolRef {
  readonly ns: string
  readonly roles: ReadonlyMap<string, LeanType>
  readonly msg: LeanType & { readonly kind: "union" }
}

/** A protocol of a world, by label: its statelet and its node lists. */
export interface WorldPart {
  readonly label: string
  readonly proto: ProtocolRef | undefined
}

/**
 * A type of the translated fragment. Statelets, local states, envelopes and topologies are the
 * exported protocol's own unless `proto` names another; a world's state and topology have one
 * part per protocol (core first).
 */
export type LeanType =
  | { readonly kind: "int" }
  | { readonly kind: "nat" }
  | { readonly kind: "bool" }
  | { readonly kind: "node" }
  | { readonly kind: "list"; readonly of: LeanType }
  | { readonly kind: "struct"; readonly name: string; readonly fields: ReadonlyArray<Field> }
  | { readonly kind: "union"; readonly name: string; readonly variants: ReadonlyArray<Variant> }
  | { readonly kind: "enum"; readonly name: string; readonly values: ReadonlyArray<string> }
  | { readonly kind: "envelope"; readonly proto?: ProtocolRef }
  | { readonly kind: "statelet"; readonly proto?: ProtocolRef }
  | { readonly kind: "locals"; readonly proto?: ProtocolRef }
  | { readonly kind: "roleMap"; readonly role: string; readonly of: LeanType }
  | { readonly kind: "topology"; readonly proto?: ProtocolRef }
  | { readonly kind: "world"; readonly parts: ReadonlyArray<WorldPart> }
  | { readonly kind: "worldTopology"; readonly parts: ReadonlyArray<WorldPart> }
  | { readonly kind: "ctx" }
  | { readonly kind: "pair"; readonly first: LeanType; readonly second: LeanType }

const reserved = new Set([
  "at", "by", "do", "else", "end", "export", "fun", "from", "have", "if", "import", "in", "let", "match", "mut", "namespace",
  "open", "return", "section", "show", "then", "theorem", "def", "where", "with", "variable", "universe", "structure",
  "inductive", "instance", "class", "deriving", "for", "unless", "try", "catch", "finally", "break", "continue", "calc",
  "suffices", "obtain", "nomatch", "nofun", "local", "private", "protected", "partial", "unsafe", "noncomputable",
  "macro", "syntax", "abbrev", "example", "axiom", "opaque", "Type", "Prop", "Sort", "fun", "λ", "this"
])

/**
 * A TypeScript identifier or a string literal as a Lean identifier (keywords, and names that are
 * not identifiers, in «»).
 *
 * @example
 * [ident("from"), ident("_s"), ident("pending"), ident("in-flight")] // => ["«from»", "_s", "pending", "«in-flight»"]
 */
export const ident = (name: string): string => (reserved.has(name) || !/^[A-Za-z_][A-Za-z0-9_']*$/.test(name) ? `«${name}»` : name)

/** The scalar types. */
export const int: LeanType = { kind: "int" }
/** Natural numbers: lengths and positions. */
export const nat: LeanType = { kind: "nat" }
/** Booleans: guards, filters and invariants are `Bool`-valued. */
export const bool: LeanType = { kind: "bool" }
/** Node ids. */
export const node: LeanType = { kind: "node" }

/**
 * How a type is written in Lean.
 *
 * @example
 * render({ kind: "list", of: { kind: "list", of: { kind: "int" } } }) // => "List (List Int)"
 */
export const render = (t: LeanType): string => {
  switch (t.kind) {
    case "int":
      return "Int"
    case "nat":
      return "Nat"
    case "bool":
      return "Bool"
    case "node":
      return "Node"
    case "list": {
      const inner = render(t.of)
      return `List ${inner.includes(" ") ? `(${inner})` : inner}`
    }
    case "struct":
    case "union":
    case "enum":
      return t.name
    case "envelope":
      return `Envelope ${qualifier(t.proto)}Msg`
    case "statelet":
      return `Statelet ${qualifier(t.proto)}Locals ${qualifier(t.proto)}Msg`
    case "locals":
      return `${qualifier(t.proto)}Locals`
    case "roleMap":
      return `Node → ${render(t.of)}`
    case "topology":
      return `${qualifier(t.proto)}Topology`
    case "world":
      return `WorldState ${t.parts.map((p) => `${qualifier(p.proto)}Locals ${qualifier(p.proto)}Msg`).join(" ")}`
    case "worldTopology":
      return t.parts.map((p) => `${qualifier(p.proto)}Topology`).join(" × ")
    case "ctx":
      return "Ctx"
    case "pair":
      return `${render(t.first)} × ${render(t.second)}`
  }
}

const qualifier = (proto: ProtocolRef | undefined): string => (proto === undefined ? "" : `${proto.ns}.`)

/**
 * Do two types agree? Structures and unions by name.
 *
 * @example
 * same({ kind: "list", of: { kind: "int" } }, { kind: "list", of: { kind: "int" } }) // => true
 */
export const same = (a: LeanType, b: LeanType): boolean => {
  if (a.kind !== b.kind) return false
  switch (a.kind) {
    case "list":
      return same(a.of, (b as typeof a).of)
    case "struct":
    case "union":
    case "enum":
      return a.name === (b as typeof a).name
    case "roleMap":
      return a.role === (b as typeof a).role
    case "pair":
      return same(a.first, (b as typeof a).first) && same(a.second, (b as typeof a).second)
    default:
      return render(a) === render(b)
  }
}

/**
 * A protocol's type as another namespace sees it: its structures and unions prefixed by `ns`.
 * `memo` keeps one copy per type, so that a world's export shares them.
 *
 * @example
 * render(qualify({ kind: "list", of: { kind: "struct", name: "LogEntry", fields: [] } }, "TwoPhaseCommit")) // => "List TwoPhaseCommit.LogEntry"
 */
export const qualify = (t: LeanType, ns: string, memo: Map<LeanType, LeanType> = new Map()): LeanType => {
  const known = memo.get(t)
  if (known !== undefined) return known
  const fields = (fs: ReadonlyArray<Field>) => fs.map((f) => ({ name: f.name, type: qualify(f.type, ns, memo) }))
  const q: LeanType =
    t.kind === "list"
      ? { kind: "list", of: qualify(t.of, ns, memo) }
      : t.kind === "struct"
        ? { kind: "struct", name: `${ns}.${t.name}`, fields: fields(t.fields) }
        : t.kind === "union"
          ? {
              kind: "union",
              name: `${ns}.${t.name}`,
              variants: t.variants.map((v) => ({ tag: v.tag, fields: fields(v.fields), ...(v.payload === undefined ? {} : { payload: qualify(v.payload, ns, memo) }) }))
            }
          : t.kind === "enum"
            ? { kind: "enum", name: `${ns}.${t.name}`, values: t.values }
            : t
  memo.set(t, q)
  return q
}

/** Where a schema is used or declared: its export name (if any), the field path below it, and a fallback location. */
interface Origin {
  readonly name?: string
  readonly path: ReadonlyArray<string>
  readonly at: string
}

/**
 * Finds the `file:line:column` of a schema: the declaration of the schema exported as `name`, or
 * of the field `path` below it. `undefined` when it cannot be found.
 */
export type SchemaLocator = (name: string, path: ReadonlyArray<string>) => string | undefined

const isIntNumber = (ast: SchemaAST.AST): boolean =>
  ast._tag === "Number" && (ast.checks ?? []).some((c) => c._tag === "Filter" && (c.annotations as any)?.representation?.id === "effect/schema/isInt")

/** The Lean types of a protocol's schemas, in the order they must be declared. */
export class TypeTable {
  /** Declared structures, unions and enumerations, dependencies first. */
  readonly declared: Array<LeanType & { readonly kind: "struct" | "union" | "enum" }> = []
  /** Types another protocol's export declares (`adopt`): known here, declared there. */
  private readonly adopted: Array<LeanType> = []
  private readonly byAst = new Map<SchemaAST.AST | string, LeanType>()
  private readonly byName = new Map<string, LeanType>()
  private readonly locations = new Map<string, string>()

  private readonly names = new Map<string, string>()

  /**
   * `names` gives the export name of named schemas of the protocol's module. They are matched by
   * structure, because a schema's AST is not always the same object where it is used. `locate`
   * finds a named schema's declaration, for the locations of errors.
   */
  constructor(
    names: ReadonlyMap<SchemaAST.AST, string>,
    private readonly locate: SchemaLocator = () => undefined
  ) {
    for (const [ast, name] of names) if (!this.names.has(structureOf(ast))) this.names.set(structureOf(ast), name)
  }

  /** The type named `name` (a schema's export name), if any. */
  named(name: string): LeanType | undefined {
    return this.byName.get(name)
  }

  /** The `file:line:column` of the schema a declared type was read from, as well as it is known. */
  locationOf(name: string): string {
    return this.locations.get(name) ?? name
  }

  /** The structures whose fields include all of `fields`. */
  structsWith(fields: ReadonlyArray<string>): ReadonlyArray<LeanType> {
    return [...this.declared, ...this.adopted].filter((t) => t.kind === "struct" && fields.every((f) => t.fields.some((g) => g.name === f)))
  }

  /**
   * Knows the types of `other` (another protocol's export, in namespace `ns`) without declaring
   * them: a schema both protocols use is the other's Lean type. Names already taken here stay.
   */
  adopt(other: TypeTable, ns: string, memo: Map<LeanType, LeanType>): void {
    for (const [key, t] of other.byAst) if (!this.byAst.has(key)) this.byAst.set(key, qualify(t, ns, memo))
    for (const [name, t] of other.byName) if (!this.byName.has(name)) this.byName.set(name, qualify(t, ns, memo))
    for (const t of other.declared) this.adopted.push(qualify(t, ns, memo))
  }

  /**
   * The Lean type of `schema`; `place` names its Lean type when the schema is not exported by
   * name, and `at` is the `file:line:column` where it is used (a role's or a tag's declaration),
   * for errors about a schema that has no declaration of its own.
   */
  of(schema: Schema.Top, place: string, at: string = place): LeanType {
    return this.ofAst(schema.ast, place, { path: [], at })
  }

  private where(origin: Origin): string {
    return (origin.name === undefined ? undefined : this.locate(origin.name, origin.path)) ?? origin.at
  }

  private ofAst(ast: SchemaAST.AST, place: string, outer: Origin): LeanType {
    const known = this.byAst.get(ast) ?? this.byAst.get(structureOf(ast) as never)
    if (known !== undefined) return known
    const exported = this.names.get(structureOf(ast))
    const origin: Origin = exported === undefined ? outer : { name: exported, path: [], at: this.where(outer) }
    const name = exported ?? place
    const t = this.build(ast, name, origin)
    if (t.kind === "struct" || t.kind === "union" || t.kind === "enum") {
      if (this.byName.has(t.name)) throw new ExportError(this.where(origin), `the schema ${t.name}`, "two schemas would get the same Lean name")
      this.byName.set(t.name, t)
      this.locations.set(t.name, this.where(origin))
      this.declared.push(t)
    }
    this.byAst.set(ast, t)
    this.byAst.set(structureOf(ast) as never, t)
    return t
  }

  private build(ast: SchemaAST.AST, name: string, origin: Origin): LeanType {
    const refuse = (construct: string, why: string): never => {
      throw new ExportError(this.where(origin), `${construct}${origin.path.length > 0 ? ` (the field ${origin.path.join(".")})` : ""}`, why)
    }
    switch (ast._tag) {
      case "String":
        return node
      case "Boolean":
        return bool
      case "Number":
        if (!isIntNumber(ast)) return refuse("a non-integer number schema", "floats are outside the fragment; use Schema.Int")
        return int
      case "Literal":
        return this.literals(name, [ast], refuse)
      case "Arrays": {
        if (ast.elements.length > 0 || ast.rest.length !== 1) return refuse("a tuple schema", "only arrays of one element type are exported")
        return { kind: "list", of: this.ofAst(ast.rest[0]!, `${name}Item`, origin) }
      }
      case "Objects":
        return { kind: "struct", name, fields: this.fieldsOf(ast, name, origin, []) }
      case "Union": {
        if (ast.types.every((m) => m._tag === "Literal")) return this.literals(name, ast.types as ReadonlyArray<SchemaAST.Literal>, refuse)
        const kinds = [...new Set(ast.types.map((m) => (m._tag === "Literal" ? `${typeof m.literal} literal` : m._tag)))]
        if (kinds.length !== 1 || kinds[0] !== "Objects") {
          return refuse(`a union of ${kinds.join(" and ")} members`, "unions are exported as inductives: of structs discriminated by a `tag` literal, or of string literals")
        }
        const variants = ast.types.map((member) => {
          const m = member as SchemaAST.Objects
          const tag = m.propertySignatures.find((p) => p.name === "tag")
          if (tag === undefined || tag.type._tag !== "Literal" || typeof tag.type.literal !== "string") {
            return refuse("a union member without a string `tag` literal", "unions of structs are exported as inductives discriminated by `tag`")
          }
          const ctor = tag.type.literal
          return { tag: ctor, fields: this.fieldsOf(m, `${name}${capitalize(ctor)}`, origin, ["tag"]) }
        })
        return { kind: "union", name, variants }
      }
      default:
        return refuse(`a ${ast._tag} schema`, "it has no Lean type in the fragment")
    }
  }

  /**
   * Literals: strings become an inductive with one constructor per literal; integers are `Int`
   * and booleans `Bool` (a wider type: obligations then cover every integer, which proves more).
   */
  private literals(name: string, members: ReadonlyArray<SchemaAST.Literal>, refuse: (construct: string, why: string) => never): LeanType {
    const values = members.map((m) => m.literal)
    if (values.every((v) => typeof v === "string")) {
      for (const v of values as ReadonlyArray<string>) {
        if (/[«»\n]/.test(v) || v.length === 0) refuse(`the literal ${JSON.stringify(v)}`, "a literal becomes a Lean constructor name, which cannot be empty or contain « » or a line break")
      }
      return { kind: "enum", name, values: [...new Set(values as ReadonlyArray<string>)] }
    }
    if (values.every((v) => typeof v === "number" && Number.isInteger(v))) return int
    if (values.every((v) => typeof v === "boolean")) return bool
    return refuse(`the literals ${values.map((v) => JSON.stringify(v)).join(", ")}`, "literals are exported when all are strings (an inductive), all integers (Int) or all booleans (Bool)")
  }

  private fieldsOf(ast: SchemaAST.Objects, name: string, origin: Origin, skip: ReadonlyArray<string>): ReadonlyArray<Field> {
    const at = (field: string): Origin => ({ ...origin, path: [...origin.path, field] })
    if (ast.indexSignatures.length > 0) throw new ExportError(this.where(origin), "a record schema", "records are not exported yet")
    return ast.propertySignatures
      .filter((p) => !skip.includes(String(p.name)))
      .map((p) => {
        if (typeof p.name !== "string") throw new ExportError(this.where(origin), "a symbol-keyed field", "fields must be named by strings")
        if (p.type.context?.isOptional === true) throw new ExportError(this.where(at(p.name)), `the optional field ${p.name}`, "optional fields are outside the fragment")
        return { name: p.name, type: this.ofAst(p.type, `${name}${capitalize(p.name)}`, at(p.name)) }
      })
  }
}

/**
 * A schema's structure as a string: its kind, fields, literals and integer checks, recursively.
 *
 * @example
 * import * as Schema from "effect/Schema"
 * structureOf(Schema.Struct({ era: Schema.Int }).ast) // => "Objects{era:Number#int}"
 */
export const structureOf = (ast: SchemaAST.AST): string => {
  switch (ast._tag) {
    case "Objects":
      return `Objects{${ast.propertySignatures.map((p) => `${String(p.name)}:${structureOf(p.type)}`).join(",")}}`
    case "Arrays":
      return `Arrays[${ast.elements.map(structureOf).join(",")}|${ast.rest.map(structureOf).join(",")}]`
    case "Union":
      return `Union(${ast.types.map(structureOf).join("|")})`
    case "Literal":
      return `Literal(${JSON.stringify(ast.literal)})`
    case "Number":
      return isIntNumber(ast) ? "Number#int" : "Number"
    default:
      return ast._tag
  }
}

/**
 * `name` with its first letter in upper case.
 *
 * @example
 * capitalize("waitVotes") // => "WaitVotes"
 */
export const capitalize = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1)
