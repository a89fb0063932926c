/**
 * Exports one protocol to Lean: the types of its local states and payloads (from the Schemas),
 * every guard, step, `accepts` filter, coherence predicate, invariant and the helpers and
 * parameters they call (translated from their TypeScript source), each transition packaged for
 * the core library's network step, the protocol with each node's initial local state, and one
 * named obligation per invariant and transition (`<inv>_init`, `<inv>_preserved_by_<transition>`).
 * A property outside the fragment is left out with the reason (`omitted`); anything else outside
 * it refuses the export with the construct and its `file:line:column`.
 *
 * Which invariants, in which order: first the protocol's invariant layers (`withInvariant`, its
 * own coherence first, as `coherence`), its inductive invariant; then the `always` properties of
 * the spec that are not layers, each exported the same way, as an invariant with its own
 * obligations. `assumed`, what every obligation may assume, is the conjunction of all of them in
 * that order, so declaring a property with `withInvariant` or with `Property.always` gives the
 * same Lean file; the layer also strengthens the protocol's coherence for its programs and for
 * `checker/Induction.ts`, which assumes only the layers below it. Each predicate's source is read
 * where its value says it was declared (`Property.at`, `core/CallSite.ts`), never found by name;
 * the protocol's own coherence, which has no such call, is the `coherence` of its declaration.
 *
 * @since 0.1.0
 */
import type * as Schema from "effect/Schema"
import type * as SchemaAST from "effect/SchemaAST"
import ts from "typescript"
import * as path from "node:path"
import type { CallSite } from "../core/CallSite.ts"
import type * as Manifest from "../core/Manifest.ts"
import * as Property from "../core/Property.ts"
import { ExportError } from "./ExportError.ts"
import { bool, capitalize, type Field, int, type LeanType, node, render, same, TypeTable } from "./LeanType.ts"
import { renderValue } from "./LeanValue.ts"
import * as SourceFile from "./SourceFile.ts"
import { type Callee, type Context, ident, Translator, type Value } from "./Translate.ts"

/** A protocol parameter the transitions read: a function defined at the top of a file, or a constant. */
export type Parameter = Manifest.LeanParameter

/**
 * What to export: a protocol's Lean export as its manifest declares it (`Manifest.ProtocolExport`),
 * without the sizes that only `prove` reads; its paths are read relative to the `root` the export
 * is given (an absolute one as it is).
 */
export type ExportSpec = Omit<Manifest.ProtocolExport, "sizes">

/** A property left out of the export: its name, where it is declared, and why. */
export interface Omission {
  readonly property: string
  /** `file:line:column` of its declaration (its `always(...)` or `withInvariant(...)` call), or of its file. */
  readonly at: string
  /** The refusal, with the construct and its own `file:line:column`. */
  readonly reason: string
}

/**
 * The warning `prove` prints for a property left out of the export.
 *
 * @example
 * omissionWarning({ property: "fast", at: "p.ts:3:1", reason: "p.ts:3:30: cannot export a ForStatement: loops" })
 * // => 'warning: p.ts:3:1: the property "fast" is left out of the Lean export (no obligation states it): p.ts:3:30: cannot export a ForStatement: loops'
 */
export const omissionWarning = (o: Omission): string =>
  `warning: ${o.at}: the property "${o.property}" is left out of the Lean export (no obligation states it): ${o.reason}`

/** How a role's nodes start in Lean: all in the role's initial state (its Lean term), or each by a function of the node. */
export type InitialState =
  | { readonly kind: "role"; readonly lean: string; /** Where the role's initial state is declared. */ readonly at: string }
  | { readonly kind: "perNode"; readonly lean: string }

/** One proof obligation: its name, its statement, and what it is about. */
export interface Obligation {
  readonly name: string
  readonly statement: string
  readonly invariant: string
  /** The transition, or `undefined` for the initial state. */
  readonly transition: string | undefined
}

/** The Lean types the differential check needs to render values. */
export interface ExportedTypes {
  readonly roles: ReadonlyMap<string, LeanType>
  readonly msg: LeanType & { readonly kind: "union" }
}

/** An exported protocol. */
export interface Exported {
  readonly spec: ExportSpec
  /** The text of `Generated/<name>/Spec.lean`. */
  readonly lean: string
  /** The protocol's invariant layers (its coherence first, when declared), then its other `always` properties, in order. */
  readonly invariants: ReadonlyArray<string>
  /**
   * The TypeScript predicate of each invariant of the protocol's own part (in a world's export, the
   * client protocol's), by name: what the differential check compares Lean's definitions with.
   */
  readonly predicates: ReadonlyMap<string, Predicate>
  readonly obligations: ReadonlyArray<Obligation>
  /** Every generated definition, for the `simp` set of the tactic ladder. */
  readonly definitions: ReadonlyArray<string>
  readonly types: ExportedTypes
  /** The Lean types of its schemas: a world over this protocol shares them. */
  readonly table: TypeTable
  /** The `always` properties outside the fragment, left out with the reason: `prove` warns of each. */
  readonly omitted: ReadonlyArray<Omission>
  /** How each role's nodes start in Lean's `initLocals`. */
  readonly initial: ReadonlyMap<string, InitialState>
}

/** The command that regenerates a protocol's files, for the banner. */
export const regenerateCommand = (family: string): string => `npx protoweave prove ${family}`

/**
 * The banner of every generated file.
 *
 * @example
 * banner(["protocols/Calculator/Protocol.ts"], "calculator").split("\n")[1] // => "  GENERATED by the protoweave exporter. Do not edit: regenerate with"
 */
export const banner = (sources: ReadonlyArray<string>, family: string): string =>
  [
    "/-",
    "  GENERATED by the protoweave exporter. Do not edit: regenerate with",
    `    ${regenerateCommand(family)}`,
    `  Source: ${sources.join(", ")}`,
    "-/"
  ].join("\n")

const TRANSITION_PARAMS = {
  send: ["_local", "_to", "_msg", "_ctx"],
  receive: ["_local", "_from", "_msg", "_ctx"]
} as const

/**
 * Exports `spec`, reading sources under `root`.
 *
 * @example
 * import { bundled } from "../test/exporter/Bundled.ts"
 * const exported = exportProtocol(".", bundled.find((s) => s.name === "Calculator")!)
 * exported.obligations[0]!.name // => "coherence_init"
 */
export const exportProtocol = (root: string, spec: ExportSpec): Exported => {
  const parts = protocolParts(root, spec)
  const lean = [
    banner([`${spec.protocolFile} (protocol "${spec.protocol.label}")`, `${spec.propertiesFile} (invariants)`], spec.family),
    "import Protoweave",
    "",
    ...namespaceOpening(spec.name),
    ...omissionNote(parts.omitted),
    ...parts.declarations.flatMap((d) => [d, ""]),
    ...namespaceClosing(spec.name)
  ].join("\n")
  return {
    spec,
    lean,
    invariants: parts.invariants,
    predicates: parts.predicates,
    obligations: parts.obligations,
    definitions: parts.definitions,
    types: { roles: parts.roles, msg: parts.msg },
    table: parts.table,
    omitted: parts.omitted,
    initial: parts.initial
  }
}

/** A generated file's note of the properties left out of it, if any. */
export const omissionNote = (omitted: ReadonlyArray<Omission>): ReadonlyArray<string> =>
  omitted.length === 0
    ? []
    : [
        "/-! Left out of this export, outside the translated fragment: no obligation states them.",
        ...omitted.map((o) => `- \`${o.property}\` (${o.at}): ${o.reason.replaceAll("-/", "- /")}`),
        "-/",
        ""
      ]

/** The lines that open a generated file's namespace. */
export const namespaceOpening = (name: string): ReadonlyArray<string> => [
  "noncomputable section",
  "set_option linter.unusedVariables false",
  "",
  `namespace ${name}`,
  "",
  "open Protoweave",
  ""
]

/** The lines that close it. */
export const namespaceClosing = (name: string): ReadonlyArray<string> => [`end ${name}`, "", "end", ""]

/** A protocol's export before it becomes a file: what a world's export extends. */
export interface ProtocolParts {
  /** Every Lean declaration, in order, as the protocol's export has them (helpers translated later: `laterHelpers`). */
  readonly declarations: ReadonlyArray<string>
  readonly invariants: ReadonlyArray<string>
  readonly predicates: ReadonlyMap<string, Predicate>
  readonly obligations: ReadonlyArray<Obligation>
  /** Every generated definition, including helpers translated later. */
  readonly definitions: ReadonlyArray<string>
  readonly roles: ReadonlyMap<string, LeanType>
  readonly msg: LeanType & { readonly kind: "union" }
  readonly table: TypeTable
  /** Translates a function of `source` with the given parameter and result types. */
  readonly translate: (
    located: SourceFile.Located,
    params: ReadonlyArray<{ readonly fallback: string; readonly type: LeanType }>,
    result: LeanType
  ) => { readonly params: ReadonlyArray<{ readonly name: string; readonly type: LeanType }>; readonly body: Value }
  /** The Lean name of a top-level helper of `file` taking one `expected` parameter and returning a `Bool`. */
  readonly predicate: (name: string, file: string, expected: LeanType) => string
  /** The helpers translated after `declarations` was built, in order. */
  readonly laterHelpers: ReadonlyArray<string>
  /** The `always` properties left out, with the reason. */
  readonly omitted: ReadonlyArray<Omission>
  readonly initial: ReadonlyMap<string, InitialState>
  /**
   * Translates the predicate of a declaration (found where `property.at` says it was declared) with
   * `translate`, or, when it is outside the fragment or its source cannot be found, adds it to
   * `omitted` (at `file`'s first line when its value records no call site) and returns `undefined`.
   */
  readonly attempt: <A>(property: Declared, translate: (located: SourceFile.Located) => A, file?: string) => A | undefined
}

/** An invariant's TypeScript predicate, over its statelet (or a world's statelets) and nodes. */
export type Predicate = (state: any, nodes: any) => boolean

/** A declaration whose predicate the export reads: its name, and where its value says it was declared. */
export interface Declared {
  readonly name: string
  readonly at?: CallSite | undefined
}

/** What a protocol exported inside a world needs: the core's export, whose types it shares. */
export interface Within {
  readonly core: Exported
  /** Type names of the world's sources that are not schemas (`WorldNodes`). */
  readonly typeNames: ReadonlyMap<string, LeanType>
  readonly memo: Map<LeanType, LeanType>
}

/**
 * A protocol's declarations, obligations and translator. Inside a world (`within`), the core's
 * types are known by their qualified names and not declared again.
 */
export const protocolParts = (root: string, spec: ExportSpec, within?: Within): ProtocolParts => {
  const p = spec.protocol
  const protocolSource = SourceFile.parse(root, spec.protocolFile)
  const propertiesSource = spec.propertiesFile === spec.protocolFile ? protocolSource : SourceFile.parse(root, spec.propertiesFile)
  const sources = new Map([[protocolSource.file, protocolSource], [propertiesSource.file, propertiesSource]])
  const site = SourceFile.signatureEntry(protocolSource, "roles", "")
  const names = new Map<SchemaAST.AST, string>()
  for (const [name, value] of Object.entries(spec.schemas)) {
    if ((typeof value === "object" || typeof value === "function") && value !== null && "ast" in value) names.set((value as Schema.Top).ast, name)
  }
  const types = new TypeTable(names, (name, path) => SourceFile.schemaLocation([protocolSource, propertiesSource], name, path))
  if (within !== undefined) types.adopt(within.core.table, within.core.spec.name, within.memo)
  const roles = new Map<string, LeanType>()
  for (const [role, declaration] of Object.entries(p.roles)) {
    roles.set(role, types.of(declaration.state, `${capitalize(role)}State`, SourceFile.signatureEntry(protocolSource, "roles", role)))
  }
  const msgVariants = Object.entries(p.messages).map(([tag, declaration]) => {
    const at = SourceFile.signatureEntry(protocolSource, "messages", tag)
    const payload = types.of(declaration.payload, `${capitalize(tag)}Payload`, at)
    if (payload.kind !== "struct") throw new ExportError(at, `the payload of message "${tag}" (${render(payload)})`, "payloads are exported as structures")
    return { tag, fields: [] as ReadonlyArray<Field>, payload }
  })
  const msg = { kind: "union", name: "Msg", variants: msgVariants } as const
  const helpersOf = new Map([...sources.values()].map((s) => [s.file, SourceFile.topLevelFunctions(s)]))
  const aliasesOf = new Map([...sources.values()].map((s) => [s.file, SourceFile.typeAliases(s)]))

  const definitions: Array<string> = []
  const helperDefs: Array<string> = []
  const callees = new Map<string, Callee | Value>()
  const inProgress = new Set<string>()

  const typeOf = (t: ts.TypeNode, source: SourceFile.SourceFile): LeanType => {
    const refuse = (why: string): never => {
      throw new ExportError(SourceFile.locate(source, t), `the type ${t.getText(source.ast)}`, why)
    }
    if (t.kind === ts.SyntaxKind.NumberKeyword) return int
    if (t.kind === ts.SyntaxKind.StringKeyword) return node
    if (t.kind === ts.SyntaxKind.BooleanKeyword) return bool
    if (ts.isParenthesizedTypeNode(t) || ts.isTypeOperatorNode(t)) return typeOf(t.type, source)
    if (ts.isArrayTypeNode(t)) return { kind: "list", of: typeOf(t.elementType, source) }
    if (ts.isTypeReferenceNode(t)) {
      const name = ts.isIdentifier(t.typeName) ? t.typeName.text : t.typeName.right.text
      if ((name === "ReadonlyArray" || name === "Array") && t.typeArguments?.length === 1) return { kind: "list", of: typeOf(t.typeArguments[0]!, source) }
      if (name === "Statelet") return { kind: "statelet" }
      if (name === "NodesOf") return { kind: "topology" }
      const extra = within?.typeNames.get(name)
      if (extra !== undefined) return extra
      const named = types.named(name)
      if (named !== undefined) return named
      const alias = aliasesOf.get(source.file)?.get(name)
      if (alias !== undefined) return typeOf(alias, source)
      return refuse("it names no exported schema")
    }
    if (ts.isTypeQueryNode(t)) {
      const segments = t.exprName.getText(source.ast).split(".")
      const named = segments.at(-1) === "Type" && segments.length >= 2 ? types.named(segments.at(-2)!) : undefined
      return named ?? refuse("only `typeof <Schema>.Type` is read")
    }
    if (ts.isTypeLiteralNode(t)) {
      const fields = t.members.map((m) => (ts.isPropertySignature(m) ? m.name.getText(source.ast) : refuse("only fields")))
      const matches = types.structsWith(fields).filter((s) => s.kind === "struct" && s.fields.length >= fields.length)
      if (matches.length !== 1) return refuse(`${matches.length} schema structs have the fields ${fields.join(", ")}; it must be exactly one`)
      return matches[0]!
    }
    return refuse("outside the fragment's types")
  }

  const translator = (source: SourceFile.SourceFile) => new Translator(context(source))
  const context = (source: SourceFile.SourceFile): Context => ({ source, types, msg, roles, resolve })

  const translateTopLevel = (fn: SourceFile.TopLevelFunction, lean: string): Callee => {
    const params = fn.fn.parameters.map((p) => {
      if (p.type === undefined) throw new ExportError(SourceFile.locate(fn.source, p), `the parameter ${p.name.getText(fn.source.ast)} of ${fn.name}`, "helpers need type annotations on their parameters")
      return { fallback: "_x", type: typeOf(p.type, fn.source) }
    })
    const result = fn.fn.type === undefined ? undefined : typeOf(fn.fn.type, fn.source)
    const translated = translator(fn.source).function(fn.fn, params, result)
    const type = translated.body.type
    if (type.kind === "tag") throw new ExportError(SourceFile.locate(fn.source, fn.fn), `the helper ${fn.name}`, "it returns a tag")
    const binders = translated.params.map((p) => `(${p.name} : ${render(p.type)})`).join(" ")
    helperDefs.push(`/-- \`${fn.name}\` (${SourceFile.locate(fn.source, fn.fn)}). -/\ndef ${lean} ${binders} : ${render(type)} :=\n  ${translated.body.code}`)
    definitions.push(lean)
    return { lean, params: params.map((p) => p.type), result: type }
  }

  function resolve(name: string, at: ts.Node, source: SourceFile.SourceFile): Callee | Value | undefined {
    const key = ident(name)
    const known = callees.get(key)
    if (known !== undefined) return known
    if (inProgress.has(key)) throw new ExportError(SourceFile.locate(source, at), `the recursive call of ${name}`, "recursion is outside the fragment")
    const parameter = spec.parameters[name]
    let found: Callee | Value | undefined
    inProgress.add(key)
    try {
      if (parameter !== undefined && "value" in parameter) {
        const t = typeof parameter.value === "boolean" ? bool : int
        helperDefs.push(`/-- The protocol parameter \`${name}\` of this instance. -/\ndef ${key} : ${render(t)} := ${String(parameter.value)}`)
        definitions.push(key)
        found = { code: key, type: t, atomic: true }
      } else if (parameter !== undefined) {
        const file = sources.get(parameter.file) ?? register(SourceFile.parse(root, parameter.file))
        const fn = helpersOf.get(file.file)!.get(name)
        if (fn === undefined) throw new ExportError(SourceFile.locate(source, at), `the parameter ${name}`, `${parameter.file} has no top-level const of that name`)
        found = translateTopLevel(fn, key)
      } else {
        const fn = helpersOf.get(source.file)?.get(name)
        if (fn !== undefined) found = translateTopLevel(fn, key)
      }
    } finally {
      // A helper outside the fragment leaves the property that called it out; it is not recursion.
      inProgress.delete(key)
    }
    if (found !== undefined) callees.set(key, found)
    return found
  }

  // Per-node initial states: a function of the node and the topology, per role.
  const initialFns = new Map<string, string>()
  for (const [role, helper] of Object.entries(spec.initial ?? {})) {
    const type = roles.get(role)
    if (type === undefined) throw new ExportError(site, `the initial-state function ${helper} of "${role}"`, `the protocol has no role "${role}"`)
    const file = [propertiesSource, protocolSource].find((s) => helpersOf.get(s.file)?.has(helper))
    if (file === undefined) {
      throw new ExportError(`${spec.propertiesFile}:1:1`, `the initial-state function ${helper} of "${role}"`, `neither ${spec.propertiesFile} nor ${spec.protocolFile} has a top-level const of that name`)
    }
    const fn = helpersOf.get(file.file)!.get(helper)!
    const key = ident(helper)
    const params: ReadonlyArray<LeanType> = [node, { kind: "topology" }]
    const known = callees.get(key)
    if (known === undefined) {
      const translated = translator(file).function(fn.fn, [{ fallback: "_self", type: node }, { fallback: "_nodes", type: params[1]! }], type)
      const binders = translated.params.map((x) => `(${x.name} : ${render(x.type)})`).join(" ")
      helperDefs.push(`/-- \`${helper}\`: the initial local state of each ${role}, by node (${SourceFile.locate(file, fn.fn)}). -/\ndef ${key} ${binders} : ${render(type)} :=\n  ${translated.body.code}`)
      definitions.push(key)
      callees.set(key, { lean: key, params, result: type })
    } else if ("code" in known || known.params.length !== 2 || !same(known.params[0]!, node) || !same(known.params[1]!, params[1]!) || !same(known.result, type)) {
      throw new ExportError(SourceFile.locate(file, fn.fn), `the initial-state function ${helper} of "${role}"`, `it must be (self: string, nodes: NodesOf<...>) => ${render(type)}`)
    }
    initialFns.set(role, key)
  }

  // The transitions, in the protocol's order, with their source.
  const declared = SourceFile.transitions(protocolSource)
  const transitionDefs: Array<string> = []
  const wrappers: Array<string> = []
  const ctxOf = "{ self := this, nodes := topo }"
  const translateTransitionFn = (
    located: SourceFile.Located,
    lean: string,
    kind: "send" | "receive",
    role: string,
    payload: LeanType,
    result: LeanType,
    what: string
  ) => {
    const [l, other, m, c] = TRANSITION_PARAMS[kind]
    const params = [
      { fallback: l, type: roles.get(role)! },
      { fallback: other, type: node },
      { fallback: m, type: payload },
      { fallback: c, type: { kind: "ctx" } as LeanType }
    ]
    const translated = translator(located.source).function(located.fn, params, result)
    const binders = translated.params.map((p) => `(${p.name} : ${render(p.type)})`).join(" ")
    transitionDefs.push(`/-- The ${what} (${SourceFile.locate(located.source, located.fn)}). -/\ndef ${lean} ${binders} : ${render(result)} :=\n  ${translated.body.code}`)
    definitions.push(lean)
  }
  const payloadOf = (tag: string) => msgVariants.find((v) => v.tag === tag)!.payload
  for (const t of p.sends) {
    const source = declared.get(t.name)
    if (source === undefined || source.kind !== "send" || source.guard === undefined) {
      throw new ExportError(site, `the send transition "${t.name}"`, `its declaration (with an inline guard) is not in ${spec.protocolFile}`)
    }
    const payload = payloadOf(t.tag)
    translateTransitionFn(source.guard, `${t.name}_guard`, "send", t.from, payload, bool, `guard of \`${t.name}\``)
    translateTransitionFn(source.step, `${t.name}_step`, "send", t.from, payload, roles.get(t.from)!, `step of \`${t.name}\``)
    const local = `(ls.${ident(t.from)} this)`
    wrappers.push(
      [
        `/-- \`${t.name}\`: a ${t.from} sends \`${t.tag}\` to a ${t.to}. -/`,
        `def ${t.name} : SendTransition Topology Locals Msg where`,
        `  name := "${t.name}"`,
        `  Payload := ${render(payload)}`,
        `  inj := Msg.${ident(t.tag)}`,
        `  enabled topo ls this to m := topo.${ident(t.from)}.contains this && topo.${ident(t.to)}.contains to && ${t.name}_guard ${local} to m ${ctxOf}`,
        `  next topo ls this to m := { ls with ${ident(t.from)} := update ls.${ident(t.from)} this (${t.name}_step ${local} to m ${ctxOf}) }`
      ].join("\n")
    )
    definitions.push(t.name)
  }
  for (const t of p.receives) {
    const source = declared.get(t.name)
    if (source === undefined || source.kind !== "receive") {
      throw new ExportError(site, `the receive transition "${t.name}"`, `its declaration is not in ${spec.protocolFile}`)
    }
    const payload = payloadOf(t.tag)
    if (source.accepts !== undefined) {
      translateTransitionFn(source.accepts, `${t.name}_accepts`, "receive", t.by, payload, bool, `filter of \`${t.name}\``)
    }
    translateTransitionFn(source.step, `${t.name}_step`, "receive", t.by, payload, roles.get(t.by)!, `step of \`${t.name}\``)
    const local = `(ls.${ident(t.by)} this)`
    const accepts = source.accepts === undefined ? "" : ` && ${t.name}_accepts ${local} src m ${ctxOf}`
    wrappers.push(
      [
        `/-- \`${t.name}\`: a ${t.by} receives \`${t.tag}\`. -/`,
        `def ${t.name} : ReceiveTransition Topology Locals Msg where`,
        `  name := "${t.name}"`,
        `  Payload := ${render(payload)}`,
        `  payloadOf := Msg.as${capitalize(t.tag)}`,
        `  accepts topo ls this src m := topo.${ident(t.by)}.contains this${accepts}`,
        `  next topo ls this src m := { ls with ${ident(t.by)} := update ls.${ident(t.by)} this (${t.name}_step ${local} src m ${ctxOf}) }`
      ].join("\n")
    )
    definitions.push(t.name)
  }

  // Coherence and invariants: (nodes, s) in Lean, as the core library's `I topo s`.
  const invariantDefs: Array<string> = []
  const invariants: Array<string> = []
  const predicates = new Map<string, Predicate>()
  const translateInvariant = (located: SourceFile.Located, property: Property.Property<any>, doc: string) => {
    register(located.source)
    const translated = translator(located.source).function(located.fn, [
      { fallback: "_s", type: { kind: "statelet" } },
      { fallback: "_nodes", type: { kind: "topology" } }
    ], bool)
    const [s, nodes] = translated.params
    invariantDefs.push(`/-- ${doc} (${SourceFile.locate(located.source, located.fn)}). -/\ndef ${property.name} (${nodes!.name} : Topology) (${s!.name} : Statelet Locals Msg) : Bool :=\n  ${translated.body.code}`)
    definitions.push(property.name)
    invariants.push(property.name)
    predicates.set(property.name, property.holds)
  }
  // A property outside the fragment is left out, with the reason; the others are exported.
  const omitted: Array<Omission> = []
  function attempt<A>(property: Declared, translate: (located: SourceFile.Located) => A, file: string = spec.propertiesFile): A | undefined {
    const found = declarationOf(property, file)
    if (found.located instanceof ExportError) {
      omitted.push({ property: property.name, at: found.at, reason: found.located.message })
      return undefined
    }
    try {
      return translate(found.located)
    } catch (e) {
      if (!(e instanceof ExportError)) throw e
      omitted.push({ property: property.name, at: found.at, reason: e.message })
      return undefined
    }
  }
  // Where a declaration's value says it was made: its call's predicate.
  function declarationOf(property: Declared, file: string = spec.propertiesFile): SourceFile.PropertySource {
    if (property.at === undefined) {
      const at = `${file}:1:1`
      return { at, located: new ExportError(at, `the property "${property.name}"`, "its value records no call site (build it with Property.always or withInvariant, under a JavaScript engine with stack traces)") }
    }
    const relative = path.relative(path.resolve(root), property.at.file).split(path.sep).join("/")
    const source = sources.get(relative) ?? register(SourceFile.parse(root, relative))
    return SourceFile.predicateAt(root, source, property.at.line, property.at.column, property.name)
  }
  // The protocol's layers (its inductive invariant), then its other `always` properties.
  const layers = Property.coherence(p)
  const ownCoherence = SourceFile.coherence(protocolSource)
  // The protocol's own coherence is the first layer, named `coherence`, with no call site.
  const declaresOwn = layers[0] !== undefined && layers[0].name === "coherence" && layers[0].at === undefined
  if ((ownCoherence === undefined) === declaresOwn) {
    throw new ExportError(site, "the coherence predicate", `the protocol's coherence and its source disagree (${ownCoherence === undefined ? "no coherence: in the source" : "the protocol has none"})`)
  }
  layers.forEach((layer, i) => {
    if (i === 0 && ownCoherence !== undefined) translateInvariant(ownCoherence, layer, "Coherence")
    else attempt(layer, (source) => translateInvariant(source, layer, `Invariant \`${layer.name}\``))
  })
  for (const property of spec.properties.filter((x) => x.kind === "always")) {
    if (layers.includes(property as Property.Invariant)) continue
    if (layers.some((l) => l.name === property.name)) {
      throw new ExportError(declarationOf(property).at, `the property "${property.name}"`, `the protocol "${p.label}" has an invariant layer of that name`)
    }
    attempt(property, (source) => translateInvariant(source, property, `Invariant \`${property.name}\``))
  }

  // Sources read after the protocol's own: a parameter's file, a world's hooks and properties.
  function register(source: SourceFile.SourceFile): SourceFile.SourceFile {
    const known = sources.get(source.file)
    if (known !== undefined) return known
    sources.set(source.file, source)
    helpersOf.set(source.file, SourceFile.topLevelFunctions(source))
    aliasesOf.set(source.file, SourceFile.typeAliases(source))
    return source
  }
  // A topology predicate: a helper of a source file taking the node lists.
  function predicate(name: string, file: string, expected: LeanType): string {
    const source = sources.get(file) ?? register(SourceFile.parse(root, file))
    const callee = resolve(name, source.ast, source)
    if (callee === undefined || "code" in callee || callee.params.length !== 1 || !same(callee.params[0]!, expected) || callee.result.kind !== "bool") {
      const declared = helpersOf.get(source.file)?.get(name)
      throw new ExportError(
        declared === undefined ? `${file}:1:1` : SourceFile.locate(source, declared.fn),
        `the topology predicate ${name}`,
        `it must be a top-level const (nodes: ${expected.kind === "topology" ? "NodesOf<...>" : "WorldNodes<...>"}) => boolean of ${file}`
      )
    }
    return callee.lean
  }

  // Types, with one tester, accessor and updater per union field, and default values.
  const typeDefs: Array<string> = []
  for (const t of types.declared) {
    if (t.kind === "struct") {
      typeDefs.push(`structure ${t.name} where\n${t.fields.map((f) => `  ${ident(f.name)} : ${render(f.type)}`).join("\n")}`)
      typeDefs.push(`instance : Inhabited ${t.name} := ⟨{ ${t.fields.map((f) => `${ident(f.name)} := default`).join(", ")} }⟩`)
    } else if (t.kind === "enum") {
      // DecidableEq gives `==` on the literals, and the lemmas `simp` and `decide` use for it.
      typeDefs.push(`inductive ${t.name} where\n${t.values.map((v) => `  | ${ident(v)}`).join("\n")}\n  deriving DecidableEq`)
      typeDefs.push(`instance : Inhabited ${t.name} := ⟨${t.name}.${ident(t.values[0]!)}⟩`)
    } else {
      typeDefs.push(unionDecl(t, false, types.locationOf(t.name)))
    }
  }
  typeDefs.push(unionDecl(msg, true, site))

  const roleNames = [...roles.keys()]
  const topo = `/-- The nodes of each role. -/\nstructure Topology where\n${roleNames.map((r) => `  ${ident(r)} : List Node`).join("\n")}`
  const ctx = "/-- What a transition function reads besides its arguments (`TransitionContext`). -/\nstructure Ctx where\n  self : Node\n  nodes : Topology"
  const locals = `/-- Every node's local state, by role. -/\nstructure Locals where\n${roleNames.map((r) => `  ${ident(r)} : Node → ${render(roles.get(r)!)}`).join("\n")}`
  // A role's initial state knows no topology: its strings are names, not node ids (`stringNode`).
  const initial = new Map<string, InitialState>(
    roleNames.map((r) => {
      const perNode = initialFns.get(r)
      if (perNode !== undefined) return [r, { kind: "perNode", lean: perNode }]
      const at = SourceFile.signatureEntry(protocolSource, "initial", r)
      return [r, { kind: "role", lean: renderValue(p.roles[r]!.initial, roles.get(r)!, () => -1, at), at }]
    })
  )
  const topoParam = initialFns.size === 0 ? "_topo" : "topo"
  const init = `/-- The initial local states${initialFns.size === 0 ? "" : ": each node's own where a function of the node gives it"}. -/\ndef initLocals (${topoParam} : Topology) : Locals :=\n  { ${roleNames
    .map((r) => {
      const i = initial.get(r)!
      return `${ident(r)} := ${i.kind === "perNode" ? `fun n => ${i.lean} n topo` : `fun _ => ${i.lean}`}`
    })
    .join(",\n    ")} }`
  const protocolDef = [
    `/-- The protocol \`${p.label}\`. -/`,
    "def protocol : Protocol Topology Locals Msg where",
    `  label := "${p.label}"`,
    "  init := initLocals",
    `  coh := ${ownCoherence === undefined ? "fun _ _ => true" : "coherence"}`,
    `  sends := [${p.sends.map((t) => t.name).join(", ")}]`,
    `  receives := [${p.receives.map((t) => t.name).join(", ")}]`
  ].join("\n")
  const topology = spec.topology === undefined ? undefined : predicate(spec.topology, spec.propertiesFile, { kind: "topology" })
  const distinct = `(${roleNames.map((r) => `topo.${ident(r)}`).join(" ++ ")}).Nodup`
  const wf =
    topology === undefined
      ? `/-- Well-formed topologies: no node plays two roles. -/\ndef wf (topo : Topology) : Prop :=\n  ${distinct}`
      : `/-- Well-formed topologies: no node plays two roles, and \`${spec.topology}\` holds. -/\ndef wf (topo : Topology) : Prop :=\n  ${distinct} ∧ ${topology} topo = true`
  const assumed = `/-- What every obligation may assume: coherence and every invariant (the strengthened invariant). -/\ndef assumed (nodes : Topology) (s : Statelet Locals Msg) : Prop :=\n  ${invariants.length === 0 ? "True" : invariants.map((i) => `${i} nodes s = true`).join(" ∧ ")}`
  definitions.push("initLocals", "protocol", "wf", "assumed")

  const obligations: Array<Obligation> = invariants.flatMap((inv) => [
    { name: `${inv}_init`, statement: `HoldsInitially protocol wf ${inv}`, invariant: inv, transition: undefined },
    ...p.sends.map((t) => ({ name: `${inv}_preserved_by_${t.name}`, statement: `PreservedBySend wf assumed ${inv} ${t.name}`, invariant: inv, transition: t.name })),
    ...p.receives.map((t) => ({ name: `${inv}_preserved_by_${t.name}`, statement: `PreservedByReceive wf assumed ${inv} ${t.name}`, invariant: inv, transition: t.name }))
  ])

  const declarations = [...typeDefs, topo, ctx, locals, ...helperDefs, ...transitionDefs, ...wrappers, ...invariantDefs, init, protocolDef, wf, assumed]
  const built = helperDefs.length
  return {
    declarations,
    invariants,
    predicates,
    obligations,
    omitted,
    initial,
    attempt,
    get definitions() {
      return [...typeDefinitions(types, msg), ...definitions]
    },
    roles,
    msg,
    table: types,
    translate: (located, params, result) => {
      register(located.source)
      return translator(located.source).function(located.fn, params, result)
    },
    predicate,
    get laterHelpers() {
      return helperDefs.slice(built)
    }
  }
}

const typeDefinitions = (types: TypeTable, msg: LeanType & { readonly kind: "union" }): ReadonlyArray<string> =>
  [...types.declared.filter((t) => t.kind === "union"), msg].flatMap((u) => {
    if (u.kind !== "union") return []
    const fields = new Set(u.variants.flatMap((v) => (v.payload !== undefined && v.payload.kind === "struct" ? v.payload.fields : v.fields).map((f) => f.name)))
    return [
      ...u.variants.map((v) => `${u.name}.is${capitalize(v.tag)}`),
      ...(u.variants[0]?.payload !== undefined ? u.variants.map((v) => `${u.name}.as${capitalize(v.tag)}`) : []),
      ...[...fields].map((f) => `${u.name}.${ident(f)}`),
      ...(u.variants[0]?.payload === undefined ? [...fields].map((f) => `${u.name}.with${capitalize(f)}`) : [])
    ]
  })

/** A union's inductive, its testers, its field accessors and (for state unions) its field updaters. */
const unionDecl = (u: LeanType & { readonly kind: "union" }, boxed: boolean, at: string): string => {
  const ctorArgs = (v: (typeof u.variants)[number]) =>
    boxed ? ` (payload : ${render(v.payload!)})` : v.fields.map((f) => ` (${ident(f.name)} : ${render(f.type)})`).join("")
  const pattern = (v: (typeof u.variants)[number], names?: (f: Field) => string) =>
    boxed ? `.${ident(v.tag)} ${names === undefined ? "_" : "p"}` : [`.${ident(v.tag)}`, ...v.fields.map((f) => (names === undefined ? "_" : names(f)))].join(" ")
  const out: Array<string> = []
  out.push(`inductive ${u.name} where\n${u.variants.map((v) => `  | ${ident(v.tag)}${ctorArgs(v)}`).join("\n")}`)
  const first = u.variants[0]!
  out.push(`instance : Inhabited ${u.name} := ⟨${boxed ? `${u.name}.${ident(first.tag)} default` : [`${u.name}.${ident(first.tag)}`, ...first.fields.map(() => "default")].join(" ")}⟩`)
  for (const v of u.variants) {
    out.push(`def ${u.name}.is${capitalize(v.tag)} : ${u.name} → Bool\n${u.variants.map((w) => `  | ${pattern(w)} => ${w.tag === v.tag}`).join("\n")}`)
    if (boxed) {
      out.push(`def ${u.name}.as${capitalize(v.tag)} : ${u.name} → Option ${render(v.payload!)}\n${u.variants.map((w) => `  | ${pattern(w, () => "p")} => ${w.tag === v.tag ? "some p" : "none"}`).join("\n")}`)
    }
  }
  const fieldsOf = (v: (typeof u.variants)[number]) => (boxed && v.payload !== undefined && v.payload.kind === "struct" ? v.payload.fields : v.fields)
  const fieldNames = [...new Set(u.variants.flatMap((v) => fieldsOf(v).map((f) => f.name)))]
  for (const name of fieldNames) {
    const types = u.variants.flatMap((v) => fieldsOf(v).filter((f) => f.name === name).map((f) => render(f.type)))
    if (new Set(types).size > 1) throw new ExportError(at, `the field ${name} of the union ${u.name}`, "it has different types in different variants")
    if (u.variants.some((v) => v.tag === name)) throw new ExportError(at, `the field ${name} of the union ${u.name}`, "a field may not be named like a variant")
    const arms = u.variants.map((v) => {
      const has = fieldsOf(v).some((f) => f.name === name)
      if (boxed) return `  | ${pattern(v, () => "p")} => ${has ? `p.${ident(name)}` : "default"}`
      return `  | ${pattern(v, (f) => (f.name === name ? "x" : "_"))} => ${has ? "x" : "default"}`
    })
    out.push(`def ${u.name}.${ident(name)} : ${u.name} → ${types[0]}\n${arms.join("\n")}`)
    if (!boxed) {
      const updates = u.variants.map((v) => {
        const names = v.fields.map((f, i) => (f.name === name ? "_" : `a${i}`))
        const rebuilt = [`.${ident(v.tag)}`, ...v.fields.map((f, i) => (f.name === name ? "x" : `a${i}`))].join(" ")
        return `  | ${[`.${ident(v.tag)}`, ...names].join(" ")}, x => ${v.fields.some((f) => f.name === name) ? rebuilt : `.${ident(v.tag)}${names.map((n) => ` ${n}`).join("")}`}`
      })
      out.push(`def ${u.name}.with${capitalize(name)} : ${u.name} → ${types[0]} → ${u.name}\n${updates.join("\n")}`)
    }
  }
  return out.join("\n\n")
}
