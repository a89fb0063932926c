/**
 * The SMT back end of the exporter: each proof obligation of an exported protocol (`<inv>_init`,
 * `<inv>_preserved_by_<transition>`) as an SMT-LIB query whose unsatisfiability is the obligation,
 * encoded from the same definitions Lean is given (`LeanTerm.ts` reads them from the generated
 * `Spec.lean`; the TypeScript is parsed once, by `Translate.ts`).
 *
 * Encoding (docs/smt.md): node ids are an uninterpreted sort `Node` (no fixed number of nodes);
 * each role's nodes a sequence of distinct nodes (`wf`); local states an array from nodes per role;
 * Schemas' structs, unions and string-literal unions algebraic datatypes; lists sequences with
 * their lengths; the soup a sequence of envelopes whose ids are their positions. `all`/`some`
 * become quantifiers over positions, `filter`/`findIndex` folds; helpers are inlined.
 * A construct the encoding lacks makes the obligation's query `undefined` with the reason named.
 *
 * @since 0.1.0
 */
import type { Exported } from "./Export.ts"
import { unionField } from "./Translate.ts"
import { bool, capitalize, int, type LeanType, nat, node } from "./LeanType.ts"
import { type Definition, definitionsOf, LeanTermError, type Term } from "./LeanTerm.ts"

/** What the SMT encoding cannot express: the construct, and where. */
export class SmtRefusal extends Error {}

/** The symbolic values of one query whose model `SmtSolve.ts` reads back. */
export interface Unknowns {
  /** The state before the step (`s`) and the topology (`topo`): constant names. */
  readonly before: string
  readonly topology: string
  /** The step's parameters: a send's sender, receiver and payload, or a receive's message position. */
  readonly step:
    | { readonly kind: "init" }
    | { readonly kind: "send"; readonly node: string; readonly to: string; readonly payload: string; readonly payloadType: LeanType; readonly tag: string }
    | { readonly kind: "receive"; readonly position: string }
}

/** One obligation's query, or why there is none. */
export interface SmtQuery {
  readonly obligation: string
  readonly invariant: string
  readonly transition: string | undefined
  /** The SMT-LIB script up to `(check-sat)`, or the reason the encoding cannot state it. */
  readonly script: string | SmtRefusal
  readonly unknowns: Unknowns
  /** Invariants left out of the hypothesis because the encoding cannot state them (a weaker hypothesis: still sound). */
  readonly unassumed: ReadonlyArray<string>
}

/** The sorts and names a query's model is decoded with. */
export interface Vocabulary {
  readonly roles: ReadonlyMap<string, LeanType>
  readonly msg: LeanType & { readonly kind: "union" }
  /** The node constants of string literals, by SMT name. */
  readonly strings: ReadonlyMap<string, string>
}

/** An exported protocol's queries. */
export interface SmtProtocol {
  readonly queries: ReadonlyArray<SmtQuery>
  readonly vocabulary: Vocabulary
}

/** A quoted SMT-LIB symbol. */
export const sym = (name: string): string => `|${name.replaceAll(/[^\x20-\x7e]|[|\\]/g, (c) => `_u${c.codePointAt(0)!.toString(16)}`)}|`

type Val = {
  readonly smt: string
  readonly type: LeanType
  /** A list built of parts (concatenations, maps, literals), kept so that quantifiers split over them. */
  readonly parts?: ReadonlyArray<Part>
  /** A value chosen by a condition (an `if` or `match` on a structured value), kept so that field reads and quantifiers split over it. */
  readonly cases?: { readonly cond: string; readonly then: Val; readonly else: Val }
  /** A structure whose fields are known terms. */
  readonly record?: ReadonlyMap<string, Val>
  /** A role's local states with one node's replaced (`update`): reads split on the node. */
  readonly store?: { readonly base: string; readonly at: Val; readonly value: Val }
}

const structured = (v: Val): boolean => v.parts !== undefined || v.cases !== undefined || v.record !== undefined || v.store !== undefined
const atomic = (smt: string): boolean => /^[|A-Za-z0-9!.-]+$/.test(smt) || /^\|[^|]*\|$/.test(smt)
type Part = { readonly kind: "seq"; readonly seq: string; readonly of: LeanType; readonly map: (x: Val) => Val } | { readonly kind: "item"; readonly item: Val }
type Fn = { readonly fn: (args: ReadonlyArray<Term>, env: Env, expected: LeanType | undefined) => Val }
type Env = ReadonlyMap<string, Val>

const isFn = (v: Val | Fn): v is Fn => "fn" in v

/** The named types reachable from the roles and the message type. */
const namedTypes = (roles: ReadonlyMap<string, LeanType>, msg: LeanType): Map<string, LeanType> => {
  const out = new Map<string, LeanType>()
  const visit = (t: LeanType): void => {
    if (t.kind === "list") visit(t.of)
    if (t.kind === "roleMap") visit(t.of)
    if (t.kind !== "struct" && t.kind !== "union" && t.kind !== "enum") return
    if (out.has(t.name)) return
    out.set(t.name, t)
    if (t.kind === "struct") t.fields.forEach((f) => visit(f.type))
    if (t.kind === "union") t.variants.forEach((v) => (v.payload !== undefined ? visit(v.payload) : v.fields.forEach((f) => visit(f.type))))
  }
  roles.forEach(visit)
  visit(msg)
  return out
}

/** The SMT sort of a Lean type. */
export const sortOf = (t: LeanType): string => {
  switch (t.kind) {
    case "int":
    case "nat":
      return "Int"
    case "bool":
      return "Bool"
    case "node":
      return "Node"
    case "list":
      return `(Seq ${sortOf(t.of)})`
    case "struct":
    case "union":
    case "enum":
      return sym(t.name)
    case "envelope":
      return "Env"
    case "statelet":
      return "Statelet"
    case "locals":
      return "Locals"
    case "topology":
      return "Topology"
    case "ctx":
      return "Ctx"
    case "roleMap":
      return `(Array Node ${sortOf(t.of)})`
    default:
      throw new SmtRefusal(`the type ${t.kind} (a world's or a pair) is outside the SMT encoding`)
  }
}

/** The constructor of a union's variant, and of a struct. */
export const ctor = (type: string, tag: string): string => sym(`${type}.${tag}`)
export const structCtor = (type: string): string => sym(`${type}.mk`)

const fieldsOfVariant = (v: { readonly fields: ReadonlyArray<{ readonly name: string; readonly type: LeanType }>; readonly payload?: LeanType }) =>
  v.payload !== undefined && v.payload.kind === "struct" ? v.payload.fields : v.fields

/** The datatypes and accessors every query of a protocol starts with. */
const preamble = (roles: ReadonlyMap<string, LeanType>, types: ReadonlyMap<string, LeanType>): Array<string> => {
  const decls: Array<[string, string]> = []
  for (const t of [...types.values()]) {
    if (t.kind === "struct") decls.push([sym(t.name), `((${structCtor(t.name)}${t.fields.map((f) => ` (${sym(`${t.name}.${f.name}`)} ${sortOf(f.type)})`).join("")}))`])
    if (t.kind === "enum") decls.push([sym(t.name), `(${t.values.map((v) => `(${ctor(t.name, v)})`).join(" ")})`])
    if (t.kind === "union") {
      decls.push([
        sym(t.name),
        `(${t.variants
          .map((v) =>
            v.payload !== undefined
              ? `(${ctor(t.name, v.tag)} (${sym(`${t.name}.${v.tag}.payload`)} ${sortOf(v.payload)}))`
              : `(${ctor(t.name, v.tag)}${v.fields.map((f) => ` (${sym(`${t.name}.${v.tag}.${f.name}`)} ${sortOf(f.type)})`).join("")})`
          )
          .join(" ")})`
      ])
    }
  }
  const roleNames = [...roles.keys()]
  decls.push(["Env", "((Env.mk (Env.id Int) (Env.src Node) (Env.dst Node) (Env.msg |Msg|) (Env.active Bool)))"])
  decls.push(["Topology", `((Topology.mk${roleNames.map((r) => ` (${sym(`Topology.${r}`)} (Seq Node))`).join("")}))`])
  decls.push(["Locals", `((Locals.mk${roleNames.map((r) => ` (${sym(`Locals.${r}`)} (Array Node ${sortOf(roles.get(r)!)}))`).join("")}))`])
  decls.push(["Ctx", "((Ctx.mk (Ctx.self Node) (Ctx.nodes Topology)))"])
  decls.push(["Statelet", "((Statelet.mk (Statelet.locals Locals) (Statelet.soup (Seq Env))))"])
  const out = [
    "(declare-sort Node 0)",
    "(declare-const |Node.default| Node)",
    `(declare-datatypes (${decls.map(([n]) => `(${n} 0)`).join(" ")}) (${decls.map(([, d]) => d).join(" ")}))`
  ]
  // A union's field accessors (the field of the variants that have it, `default` elsewhere) and updaters.
  for (const t of types.values()) {
    if (t.kind !== "union") continue
    const names = [...new Set(t.variants.flatMap((v) => fieldsOfVariant(v).map((f) => f.name)))]
    for (const name of names) {
      const type = unionField(t, name)!
      let body = defaultOf(type)
      for (const v of [...t.variants].reverse()) {
        if (!fieldsOfVariant(v).some((f) => f.name === name)) continue
        const get =
          v.payload !== undefined && v.payload.kind === "struct"
            ? `(${sym(`${v.payload.name}.${name}`)} (${sym(`${t.name}.${v.tag}.payload`)} x))`
            : `(${sym(`${t.name}.${v.tag}.${name}`)} x)`
        body = `(ite ((_ is ${ctor(t.name, v.tag)}) x) ${get} ${body})`
      }
      out.push(`(define-fun ${sym(`${t.name}.${name}`)} ((x ${sym(t.name)})) ${sortOf(type)} ${body})`)
      if (t.variants[0]?.payload !== undefined) continue
      let update = "x"
      for (const v of [...t.variants].reverse()) {
        if (!v.fields.some((f) => f.name === name)) continue
        const rebuilt = `(${ctor(t.name, v.tag)} ${v.fields.map((f) => (f.name === name ? "v" : `(${sym(`${t.name}.${v.tag}.${f.name}`)} x)`)).join(" ")})`
        update = `(ite ((_ is ${ctor(t.name, v.tag)}) x) ${rebuilt} ${update})`
      }
      out.push(`(define-fun ${sym(`${t.name}.with${capitalize(name)}`)} ((x ${sym(t.name)}) (v ${sortOf(type)})) ${sym(t.name)} ${update})`)
    }
  }
  return out
}

/** The value Lean's `default` (the generated `Inhabited` instances) is, as an SMT term. */
export const defaultOf = (t: LeanType): string => {
  switch (t.kind) {
    case "int":
    case "nat":
      return "0"
    case "bool":
      return "false"
    case "node":
      return "|Node.default|"
    case "list":
      return `(as seq.empty ${sortOf(t)})`
    case "struct":
      return t.fields.length === 0 ? structCtor(t.name) : `(${structCtor(t.name)} ${t.fields.map((f) => defaultOf(f.type)).join(" ")})`
    case "enum":
      return ctor(t.name, t.values[0]!)
    case "union": {
      const v = t.variants[0]!
      if (v.payload !== undefined) return `(${ctor(t.name, v.tag)} ${defaultOf(v.payload)})`
      return v.fields.length === 0 ? ctor(t.name, v.tag) : `(${ctor(t.name, v.tag)} ${v.fields.map((f) => defaultOf(f.type)).join(" ")})`
    }
    default:
      throw new SmtRefusal(`a default value of ${t.kind}`)
  }
}

/** Translates the generated definitions' terms into SMT terms, type-directed. */
class Encoder {
  private fresh = 0
  readonly strings = new Map<string, string>()

  constructor(
    private readonly defs: ReadonlyMap<string, Definition>,
    private readonly types: ReadonlyMap<string, LeanType>,
    private readonly roles: ReadonlyMap<string, LeanType>,
    private readonly msg: LeanType & { readonly kind: "union" },
    /** The query's topology: every `Ctx`'s `nodes`, and the lists its roles' predicates stand for. */
    private readonly topology: string
  ) {}

  /** The role whose node list `seq` is, if it is one of the query's topology. */
  private roleOf(seq: string): string | undefined {
    for (const r of this.roles.keys()) if (seq === `(${sym(`Topology.${r}`)} ${this.topology})`) return r
    return undefined
  }

  private name(base: string): string {
    return sym(`${base}!${this.fresh++}`)
  }

  /** A Lean type's text (a binder's or an ascription's) as a type. */
  typeOf(text: string): LeanType {
    const t = text.trim()
    if (t.startsWith("(") && t.endsWith(")")) return this.typeOf(t.slice(1, -1))
    if (t === "Int") return int
    if (t === "Nat") return nat
    if (t === "Bool") return bool
    if (t === "Node") return node
    if (t === "Topology") return { kind: "topology" }
    if (t === "Ctx") return { kind: "ctx" }
    if (t === "Locals") return { kind: "locals" }
    if (t === "Statelet Locals Msg") return { kind: "statelet" }
    if (t === "Msg") return this.msg
    if (t.startsWith("List ")) return { kind: "list", of: this.typeOf(t.slice(5)) }
    const named = this.types.get(t)
    if (named !== undefined) return named
    throw new SmtRefusal(`the type ${t} is outside the SMT encoding`)
  }

  private bind(v: Val, base: string, body: (bound: Val) => Val): Val {
    if (structured(v) || atomic(v.smt)) return body(v)
    const n = this.name(base)
    const out = body({ smt: n, type: v.type })
    // A structured result (a choice, a record) keeps its structure: the value is substituted.
    if (structured(out)) return body(v)
    return { smt: `(let ((${n} ${v.smt})) ${out.smt})`, type: out.type }
  }

  /** A list's parts: its concatenated pieces, each a sequence with a map, or one item. */
  private partsOf(v: Val): ReadonlyArray<Part> {
    if (v.parts !== undefined) return v.parts
    if (v.type.kind !== "list") throw new SmtRefusal("a list operation on a non-list")
    return [{ kind: "seq", seq: v.smt, of: v.type.of, map: (x) => x }]
  }

  private listOf(parts: ReadonlyArray<Part>, type: LeanType): Val {
    const seqs = parts.map((p) => {
      if (p.kind === "item") return `(seq.unit ${p.item.smt})`
      const x = this.name("x")
      const mapped = p.map({ smt: x, type: p.of })
      if (mapped.smt === x) return p.seq
      return `(seq.map (lambda ((${x} ${sortOf(p.of)})) ${mapped.smt}) ${p.seq})`
    })
    const smt = seqs.length === 0 ? `(as seq.empty ${sortOf(type)})` : seqs.length === 1 ? seqs[0]! : `(seq.++ ${seqs.join(" ")})`
    return { smt, type, parts }
  }

  private length(v: Val): string {
    if (v.cases !== undefined) return `(ite ${v.cases.cond} ${this.length(v.cases.then)} ${this.length(v.cases.else)})`
    const parts = this.partsOf(v).map((p) => (p.kind === "item" ? "1" : `(seq.len ${p.seq})`))
    return parts.length === 0 ? "0" : parts.length === 1 ? parts[0]! : `(+ ${parts.join(" ")})`
  }

  /** `l.all f` / `l.any f` (with the position when `indexed`) as quantifiers over each part's positions. */
  private quantify(list: Val, kind: "all" | "any", f: (x: Val, i: Val) => Val, indexed = false): Val {
    if (list.cases !== undefined) {
      return { smt: `(ite ${list.cases.cond} ${this.quantify(list.cases.then, kind, f, indexed).smt} ${this.quantify(list.cases.else, kind, f, indexed).smt})`, type: bool }
    }
    const out: Array<string> = []
    let offset = "0"
    for (const p of this.partsOf(list)) {
      const at = (i: string) => (offset === "0" ? i : `(+ ${offset} ${i})`)
      if (p.kind === "item") {
        out.push(f(p.item, { smt: at("0"), type: nat }).smt)
        offset = offset === "0" ? "1" : `(+ ${offset} 1)`
        continue
      }
      const role = this.roleOf(p.seq)
      if (role !== undefined && !indexed) {
        // A role's nodes: a quantifier over nodes guarded by the role's predicate.
        const n = this.name("n")
        const body = f(p.map({ smt: n, type: node }), { smt: "0", type: nat }).smt
        out.push(kind === "all" ? `(forall ((${n} Node)) (=> (${sym(`role.${role}`)} ${n}) ${body}))` : `(exists ((${n} Node)) (and (${sym(`role.${role}`)} ${n}) ${body}))`)
        offset = offset === "0" ? `(seq.len ${p.seq})` : `(+ ${offset} (seq.len ${p.seq}))`
        continue
      }
      const i = this.name("i")
      const body = f(p.map({ smt: `(seq.nth ${p.seq} ${i})`, type: p.of }), { smt: at(i), type: nat }).smt
      const range = `(and (<= 0 ${i}) (< ${i} (seq.len ${p.seq})))`
      out.push(kind === "all" ? `(forall ((${i} Int)) (=> ${range} ${body}))` : `(exists ((${i} Int)) (and ${range} ${body}))`)
      offset = offset === "0" ? `(seq.len ${p.seq})` : `(+ ${offset} (seq.len ${p.seq}))`
    }
    if (out.length === 0) return { smt: kind === "all" ? "true" : "false", type: bool }
    return { smt: out.length === 1 ? out[0]! : `(${kind === "all" ? "and" : "or"} ${out.join(" ")})`, type: bool }
  }

  /** A one- or two-parameter `fun` term as a function of values. */
  private lambda(t: Term | undefined, env: Env, what: string, expected?: LeanType): (x: Val, i: Val) => Val {
    if (t === undefined || t.kind !== "fun") throw new SmtRefusal(`${what}: a function argument that is not a lambda`)
    return (x, i) => {
      const inner = new Map(env)
      const [p0, p1] = t.params
      if (p0 !== undefined && p0 !== "_") inner.set(p0, x)
      if (p1 !== undefined && p1 !== "_") inner.set(p1, i)
      return this.term(t.body, inner, expected)
    }
  }

  private elem(list: Val): LeanType {
    if (list.type.kind !== "list") throw new SmtRefusal("a list method on a non-list")
    return list.type.of
  }

  private method(o: Val, name: string): Val | Fn {
    const requireList = () => this.elem(o)
    switch (name) {
      case "length":
        requireList()
        return { smt: this.length(o), type: nat }
      case "all":
      case "any":
        return { fn: ([f], env) => this.quantify(o, name, this.lambda(f, env, name, bool)) }
      case "contains":
        return {
          fn: ([x], env) => {
            const v = this.term(x!, env, this.elem(o))
            const containsIn = (list: Val, c: Val): string => {
              if (list.cases !== undefined) return `(ite ${list.cases.cond} ${containsIn(list.cases.then, c)} ${containsIn(list.cases.else, c)})`
              const parts = this.partsOf(list).map((p) => {
                if (p.kind === "item") return `(= ${p.item.smt} ${c.smt})`
                const role = this.roleOf(p.seq)
                if (role !== undefined && p.map({ smt: "|probe|", type: p.of }).smt === "|probe|") return `(${sym(`role.${role}`)} ${c.smt})`
                // Membership as a position holding the value: the same vocabulary as `all`/`some`.
                return this.quantify({ smt: "", type: list.type, parts: [p] }, "any", (e) => ({ smt: `(= ${e.smt} ${c.smt})`, type: bool })).smt
              })
              return parts.length === 0 ? "false" : parts.length === 1 ? parts[0]! : `(or ${parts.join(" ")})`
            }
            return this.bind(v, "c", (c) => ({ smt: containsIn(o, c), type: bool }))
          }
        }
      case "map":
        return {
          fn: ([f], env) => {
            const g = this.lambda(f, env, "map")
            const probe = g({ smt: this.name("probe"), type: this.elem(o) }, { smt: "0", type: nat })
            const parts = this.partsOf(o).map((p): Part =>
              p.kind === "item" ? { kind: "item", item: g(p.item, { smt: "0", type: nat }) } : { kind: "seq", seq: p.seq, of: p.of, map: (x) => g(p.map(x), { smt: "0", type: nat }) }
            )
            return this.listOf(parts, { kind: "list", of: probe.type })
          }
        }
      case "filter":
        return {
          fn: ([f], env) => {
            const t = this.elem(o)
            const acc = this.name("acc")
            const x = this.name("x")
            const keep = this.lambda(f, env, "filter", bool)({ smt: x, type: t }, { smt: "0", type: nat }).smt
            const seq = this.listOf(this.partsOf(o), o.type).smt
            return { smt: `(seq.foldl (lambda ((${acc} ${sortOf(o.type)}) (${x} ${sortOf(t)})) (ite ${keep} (seq.++ ${acc} (seq.unit ${x})) ${acc})) (as seq.empty ${sortOf(o.type)}) ${seq})`, type: o.type }
          }
        }
      case "getD":
        return {
          fn: ([i], env) => {
            const t = this.elem(o)
            const at = this.term(i!, env, nat)
            const seq = this.listOf(this.partsOf(o), o.type)
            return this.bind(seq, "l", (l) => this.bind(at, "k", (k) => ({ smt: `(ite (and (<= 0 ${k.smt}) (< ${k.smt} (seq.len ${l.smt}))) (seq.nth ${l.smt} ${k.smt}) ${defaultOf(t)})`, type: t })))
          }
        }
      default:
        throw new SmtRefusal(`the list method ${name} is outside the SMT encoding`)
    }
  }

  /** `.name` on a value. */
  private field(o: Val, name: string): Val | Fn {
    const known = o.record?.get(name)
    if (known !== undefined) return known
    if (o.cases !== undefined) {
      const a = this.field(o.cases.then, name)
      const b = this.field(o.cases.else, name)
      if (!isFn(a) && !isFn(b)) return this.choose(o.cases.cond, a, b)
    }
    const t = o.type
    switch (t.kind) {
      case "struct": {
        const f = t.fields.find((x) => x.name === name)
        if (f === undefined) throw new SmtRefusal(`${t.name} has no field ${name}`)
        return { smt: `(${sym(`${t.name}.${name}`)} ${o.smt})`, type: f.type }
      }
      case "union": {
        const tag = t.variants.find((v) => `is${capitalize(v.tag)}` === name)
        if (tag !== undefined) return { smt: `((_ is ${ctor(t.name, tag.tag)}) ${o.smt})`, type: bool }
        if (name.startsWith("with")) {
          const fieldName = name.charAt(4).toLowerCase() + name.slice(5)
          const ft = unionField(t, fieldName)
          if (ft !== undefined) return { fn: ([v], env) => ({ smt: `(${sym(`${t.name}.${name}`)} ${o.smt} ${this.term(v!, env, ft).smt})`, type: t }) }
        }
        const ft = unionField(t, name)
        if (ft === undefined) throw new SmtRefusal(`no variant of ${t.name} has the field ${name}`)
        return { smt: `(${sym(`${t.name}.${name}`)} ${o.smt})`, type: ft }
      }
      case "list":
        return this.method(o, name)
      case "envelope": {
        const fields: Record<string, LeanType> = { id: nat, src: node, dst: node, msg: this.msg, active: bool }
        if (fields[name] === undefined) break
        return { smt: `(Env.${name} ${o.smt})`, type: fields[name]! }
      }
      case "statelet":
        if (name === "locals") return { smt: `(Statelet.locals ${o.smt})`, type: { kind: "locals" } }
        if (name === "soup") return { smt: `(Statelet.soup ${o.smt})`, type: { kind: "list", of: { kind: "envelope" } } }
        break
      case "locals": {
        const role = this.roles.get(name)
        if (role !== undefined) return { smt: `(${sym(`Locals.${name}`)} ${o.smt})`, type: { kind: "roleMap", role: name, of: role } }
        break
      }
      case "topology":
        if (this.roles.has(name)) return { smt: `(${sym(`Topology.${name}`)} ${o.smt})`, type: { kind: "list", of: node } }
        break
      case "ctx":
        if (name === "self") return { smt: `(Ctx.self ${o.smt})`, type: node }
        // Every context of a query is the query's topology's (`Ctx.mk self topo`).
        if (name === "nodes") return { smt: this.topology, type: { kind: "topology" } }
        break
      default:
        break
    }
    throw new SmtRefusal(`.${name} on ${t.kind} is outside the SMT encoding`)
  }

  /** `if cond then a else b`, kept structured when the values are. */
  choose(cond: string, a: Val, b: Val): Val {
    if (cond === "true") return a
    if (cond === "false") return b
    const smt = `(ite ${cond} ${a.smt} ${b.smt})`
    if (a.type.kind === "int" || a.type.kind === "nat" || a.type.kind === "bool" || a.type.kind === "node" || a.type.kind === "enum") return { smt, type: a.type }
    return { smt, type: a.type, cases: { cond, then: a, else: b } }
  }

  /** A role's local states after one node's step. */
  stored(base: string, role: string, at: Val, value: Val): Val {
    const type = this.roles.get(role)!
    return { smt: `(store ${base} ${at.smt} ${value.smt})`, type: { kind: "roleMap", role, of: type }, store: { base, at, value } }
  }

  /** Applies a value or function to arguments. */
  private apply(head: Val | Fn, args: ReadonlyArray<Term>, env: Env, expected: LeanType | undefined): Val {
    if (isFn(head)) return head.fn(args, env, expected)
    if (head.type.kind === "roleMap" && args.length === 1) {
      const n = this.term(args[0]!, env, node)
      if (head.store !== undefined) return this.choose(`(= ${n.smt} ${head.store.at.smt})`, head.store.value, { smt: `(select ${head.store.base} ${n.smt})`, type: head.type.of })
      return { smt: `(select ${head.smt} ${n.smt})`, type: head.type.of }
    }
    throw new SmtRefusal(`an application of a ${head.type.kind}`)
  }

  /** A definition inlined on arguments. */
  inline(def: Definition, args: ReadonlyArray<Val>): Val {
    if (def.body instanceof LeanTermError) throw new SmtRefusal(def.body.message)
    const env = new Map<string, Val>()
    const lets: Array<[string, string]> = []
    def.params.forEach((p, i) => {
      const a = args[i]!
      if (structured(a) || atomic(a.smt)) env.set(p.name, a)
      else {
        const n = this.name(p.name)
        lets.push([n, a.smt])
        env.set(p.name, { smt: n, type: a.type })
      }
    })
    const body = this.term(def.body, env, this.typeOf(def.result))
    if (lets.length === 0) return body
    // A structured result (a choice, a record) keeps its structure: the arguments are substituted.
    if (structured(body)) {
      const direct = new Map<string, Val>(def.params.map((p, i) => [p.name, args[i]!]))
      return this.term(def.body, direct, this.typeOf(def.result))
    }
    return { smt: `(let (${lets.map(([n, v]) => `(${n} ${v})`).join(" ")}) ${body.smt})`, type: body.type }
  }

  private callable(name: string, env: Env): Val | Fn | undefined {
    const def = this.defs.get(name)
    if (def !== undefined) {
      if (def.params.length === 0) return this.inline(def, [])
      return {
        fn: (args, e) => {
          if (args.length !== def.params.length) throw new SmtRefusal(`${name} applied to ${args.length} arguments`)
          return this.inline(def, args.map((a, i) => this.term(a, e, this.typeOf(def.params[i]!.type))))
        }
      }
    }
    if (name === "decide") return { fn: ([a], e) => this.term(a!, e, bool) }
    if (name === "Int.tmod") {
      return {
        fn: ([a, b], e) => {
          const x = this.term(a!, e, int)
          const y = this.term(b!, e, int)
          return this.bind(x, "a", (xa) => this.bind(y, "b", (yb) => ({
            smt: `(ite (= ${yb.smt} 0) ${xa.smt} (ite (>= ${xa.smt} 0) (mod ${xa.smt} (abs ${yb.smt})) (- (mod (- ${xa.smt}) (abs ${yb.smt})))))`,
            type: int
          })))
        }
      }
    }
    if (name === "Js.findIndex") {
      return {
        fn: ([l, f], e) => {
          const list = this.term(l!, e, undefined)
          const t = this.elem(list)
          const [i, acc, x] = [this.name("i"), this.name("acc"), this.name("x")]
          const p = this.lambda(f, e, "findIndex", bool)({ smt: x, type: t }, { smt: i, type: nat }).smt
          return { smt: `(seq.foldli (lambda ((${i} Int) (${acc} Int) (${x} ${sortOf(t)})) (ite (and (< ${acc} 0) ${p}) ${i} ${acc})) 0 (- 1) ${this.listOf(this.partsOf(list), list.type).smt})`, type: int }
        }
      }
    }
    if (name === "Js.slice" || name === "Js.sliceFrom" || name === "Js.at!") {
      return {
        fn: (args, e) => {
          const list = this.listOf(this.partsOf(this.term(args[0]!, e, undefined)), this.term(args[0]!, e, undefined).type)
          return this.bind(list, "l", (l) => {
            const len = `(seq.len ${l.smt})`
            const position = (i: string) => `(ite (< ${i} 0) (ite (< (+ ${len} ${i}) 0) 0 (+ ${len} ${i})) (ite (< ${i} ${len}) ${i} ${len}))`
            const a = this.term(args[1]!, e, int).smt
            if (name === "Js.at!") {
              const t = this.elem(l)
              return { smt: `(ite (or (< ${a} 0) (>= ${a} ${len})) ${defaultOf(t)} (seq.nth ${l.smt} ${a}))`, type: t }
            }
            const from = position(a)
            if (name === "Js.sliceFrom") return { smt: `(seq.extract ${l.smt} ${from} (- ${len} ${from}))`, type: l.type }
            const to = position(this.term(args[2]!, e, int).smt)
            return { smt: `(seq.extract ${l.smt} ${from} (ite (< ${to} ${from}) 0 (- ${to} ${from})))`, type: l.type }
          })
        }
      }
    }
    // A constructor `T.tag` (or a struct-typed union's) applied to its fields.
    const dot = name.lastIndexOf(".")
    if (dot > 0) {
      const type = name.slice(0, dot) === "Msg" ? this.msg : this.types.get(name.slice(0, dot))
      const tag = name.slice(dot + 1)
      if (type?.kind === "enum" && type.values.includes(tag)) return { smt: ctor(type.name, tag), type }
      if (type?.kind === "union") {
        const v = type.variants.find((x) => x.tag === tag)
        if (v !== undefined) {
          const fields = v.payload !== undefined ? [{ name: "payload", type: v.payload }] : v.fields
          if (fields.length === 0) return { smt: ctor(type.name, tag), type }
          return {
            fn: (args, e) => ({ smt: `(${ctor(type.name, tag)} ${args.map((a, i) => this.term(a, e, fields[i]!.type).smt).join(" ")})`, type })
          }
        }
      }
    }
    void env
    return undefined
  }

  private variable(name: string, env: Env): Val | Fn {
    const segments = name.split(".")
    const local = env.get(segments[0]!)
    if (local !== undefined) {
      let v: Val | Fn = local
      for (const s of segments.slice(1)) {
        if (isFn(v)) throw new SmtRefusal(`.${s} on a function`)
        v = this.field(v, s)
      }
      return v
    }
    for (let k = segments.length; k >= 1; k--) {
      const head = this.callable(segments.slice(0, k).join("."), env)
      if (head === undefined) continue
      let v: Val | Fn = head
      for (const s of segments.slice(k)) {
        if (isFn(v)) throw new SmtRefusal(`.${s} on a function`)
        v = this.field(v, s)
      }
      return v
    }
    throw new SmtRefusal(`the name ${name} is unknown to the SMT encoding`)
  }

  /** `x.zipIdx.all f` and `x.zipIdx.any f`: the head of an application, quantifying with the positions. */
  private zipMethod(fn: Term, env: Env): Fn | undefined {
    let list: Term | undefined
    let kind: string | undefined
    if (fn.kind === "var") {
      const m = /^(.*)\.zipIdx\.(all|any)$/.exec(fn.name)
      if (m !== null) [list, kind] = [{ kind: "var", name: m[1]! }, m[2]!]
    } else if (fn.kind === "field" && (fn.name === "all" || fn.name === "any")) {
      kind = fn.name
      if (fn.of.kind === "field" && fn.of.name === "zipIdx") list = fn.of.of
      else if (fn.of.kind === "var" && fn.of.name.endsWith(".zipIdx")) list = { kind: "var", name: fn.of.name.slice(0, -".zipIdx".length) }
    }
    if (list === undefined || kind === undefined) return undefined
    const l = this.term(list, env, undefined)
    const k = kind as "all" | "any"
    return { fn: ([f], e) => this.quantify(l, k, this.lambda(f, e, k, bool), true) }
  }

  private head(t: Term, env: Env): Val | Fn {
    const zip = this.zipMethod(t, env)
    if (zip !== undefined) return zip
    if (t.kind === "var") return this.variable(t.name, env)
    if (t.kind === "field") {
      const o = this.term(t.of, env, undefined)
      return this.field(o, t.name)
    }
    if (t.kind === "fun") return { fn: (args, e, expected) => {
      const inner = new Map(env)
      const lets: Array<[string, string]> = []
      t.params.forEach((p, i) => {
        const a = this.term(args[i]!, e, undefined)
        const n = this.name(p)
        lets.push([n, a.smt])
        inner.set(p, { smt: n, type: a.type })
      })
      const body = this.term(t.body, inner, expected)
      return { smt: `(let (${lets.map(([n, v]) => `(${n} ${v})`).join(" ")}) ${body.smt})`, type: body.type }
    } }
    return this.term(t, env, undefined)
  }

  /** Translates a term, with the type the context expects of it when it knows it. */
  term(t: Term, env: Env, expected: LeanType | undefined): Val {
    switch (t.kind) {
      case "num":
        return { smt: String(t.value), type: expected?.kind === "nat" ? nat : int }
      case "bool":
        return { smt: String(t.value), type: bool }
      case "stringNode": {
        const n = sym(`node "${t.text}"`)
        this.strings.set(n, t.text)
        return { smt: n, type: node }
      }
      case "default":
        if (expected === undefined) throw new SmtRefusal("a default value of unknown type")
        return { smt: defaultOf(expected), type: expected }
      case "var":
      case "field": {
        const v = this.head(t, env)
        if (isFn(v)) throw new SmtRefusal(`the function ${t.kind === "var" ? t.name : t.name} used as a value`)
        return v
      }
      case "app":
        return this.apply(this.head(t.fn, env), t.args, env, expected)
      case "not":
        return { smt: `(not ${this.term(t.of, env, bool).smt})`, type: bool }
      case "neg":
        return { smt: `(- ${this.term(t.of, env, int).smt})`, type: int }
      case "binary": {
        const ops: Record<string, string> = { "&&": "and", "||": "or", "<": "<", ">": ">", "≤": "<=", "≥": ">=", "+": "+", "-": "-", "*": "*" }
        if (t.op === "++") {
          const a = this.term(t.left, env, expected)
          const b = this.term(t.right, env, a.type)
          return this.listOf([...this.partsOf(a), ...this.partsOf(b)], a.type)
        }
        const hint = t.op === "&&" || t.op === "||" ? bool : expected?.kind === "int" || expected?.kind === "nat" ? expected : undefined
        const a = this.term(t.left, env, hint)
        const b = this.term(t.right, env, t.op === "&&" || t.op === "||" ? bool : a.type)
        if (t.op === "==") return { smt: `(= ${a.smt} ${b.smt})`, type: bool }
        if (t.op === "!=") return { smt: `(not (= ${a.smt} ${b.smt}))`, type: bool }
        const type = ["&&", "||", "<", ">", "≤", "≥"].includes(t.op) ? bool : a.type.kind === "nat" && b.type.kind === "nat" ? nat : int
        return { smt: `(${ops[t.op]} ${a.smt} ${b.smt})`, type }
      }
      case "ite": {
        const c = this.term(t.cond, env, bool)
        const a = this.term(t.then, env, expected)
        const b = this.term(t.else, env, expected ?? a.type)
        return this.choose(c.smt, a, b)
      }
      case "let": {
        const v = this.term(t.value, env, undefined)
        if (structured(v)) return this.term(t.body, new Map(env).set(t.name, v), expected)
        const n = this.name(t.name)
        const body = this.term(t.body, new Map(env).set(t.name, { smt: n, type: v.type }), expected)
        return { smt: `(let ((${n} ${v.smt})) ${body.smt})`, type: body.type }
      }
      case "match": {
        const s = this.term(t.of, env, undefined)
        const u = s.type
        if (u.kind !== "union" && u.kind !== "enum") throw new SmtRefusal(`a match on ${u.kind}`)
        return this.bind(s, "m", (scrutinee) => {
          const arms = t.arms.map((arm) => ({
            cond: arm.tags.map((tag) => (u.kind === "enum" ? `(= ${scrutinee.smt} ${ctor(u.name, tag)})` : `((_ is ${ctor(u.name, tag)}) ${scrutinee.smt})`)),
            body: this.term(arm.body, env, expected)
          }))
          const last = arms.at(-1)
          if (last === undefined) throw new SmtRefusal("an empty match")
          let out = last.body
          for (const arm of arms.slice(0, -1).reverse()) out = this.choose(arm.cond.length === 1 ? arm.cond[0]! : `(or ${arm.cond.join(" ")})`, arm.body, out)
          return out
        })
      }
      case "list": {
        const of = expected?.kind === "list" ? expected.of : undefined
        const items = t.items.map((x) => this.term(x, env, of))
        const type: LeanType = { kind: "list", of: of ?? items[0]?.type ?? int }
        return this.listOf(items.map((item) => ({ kind: "item", item })), type)
      }
      case "ascribe": {
        const type = this.typeOf(t.type)
        const v = this.term(t.of, env, type)
        return { ...v, type: v.type.kind === "nat" && type.kind === "int" ? int : type }
      }
      case "record": {
        if (t.base !== undefined) {
          const base = this.term(t.base, env, expected)
          const st = base.type
          if (st.kind !== "struct") throw new SmtRefusal(`{ _ with } on ${st.kind}`)
          const fields = new Map(
            st.fields.map((f) => {
              const given = t.fields.find((x) => x.name === f.name)
              const v = given === undefined ? this.field(base, f.name) : this.term(given.value, env, f.type)
              if (isFn(v)) throw new SmtRefusal(`the field ${f.name}`)
              return [f.name, v] as const
            })
          )
          return { smt: `(${structCtor(st.name)} ${[...fields.values()].map((v) => v.smt).join(" ")})`, type: st, record: fields }
        }
        if (expected?.kind === "struct") {
          const st = expected
          const fields = new Map(st.fields.map((f) => [f.name, this.term(t.fields.find((x) => x.name === f.name)!.value, env, f.type)] as const))
          return { smt: `(${structCtor(st.name)} ${[...fields.values()].map((v) => v.smt).join(" ")})`, type: st, record: fields }
        }
        if (expected?.kind === "locals") {
          // `initLocals`: each role's nodes start by a constant or by a function of the node.
          return {
            smt: `(Locals.mk ${[...this.roles].map(([role, type]) => {
              const f = t.fields.find((x) => x.name === role)?.value
              if (f === undefined || f.kind !== "fun") throw new SmtRefusal(`the initial states of ${role}`)
              const n = this.name("n")
              const body = this.seqOf(this.term(f.body, new Map(env).set(f.params[0]!, { smt: n, type: node }), type))
              return f.params[0] === "_" ? `((as const (Array Node ${sortOf(type)})) ${body})` : `(lambda ((${n} Node)) ${body})`
            }).join(" ")})`,
            type: expected
          }
        }
        throw new SmtRefusal("a structure literal of unknown type")
      }
      case "fun":
        throw new SmtRefusal("a function as a value")
    }
  }

  seqOf(v: Val): string {
    return v.parts !== undefined ? this.listOf(v.parts, v.type).smt : v.smt
  }

  /** A definition applied to values. */
  callValues(name: string, args: ReadonlyArray<Val>): Val {
    const def = this.defs.get(name)
    if (def === undefined) throw new SmtRefusal(`the definition ${name} is not in the export`)
    return this.inline(def, args)
  }

  /** A definition applied to SMT terms of its parameters' types. */
  call(name: string, args: ReadonlyArray<string>): string {
    const def = this.defs.get(name)
    if (def === undefined) throw new SmtRefusal(`the definition ${name} is not in the export`)
    return this.seqOf(this.inline(def, def.params.map((p, i) => ({ smt: args[i]!, type: this.typeOf(p.type) }))))
  }
}

/**
 * The obligations of an exported protocol as SMT queries. A world's export (several protocols'
 * statelets) is outside the encoding: each of its obligations gets the reason.
 *
 * @example
 * import { exportProtocol } from "./Export.ts"
 * import { inductive } from "../test/exporter/fixtures/Voting.ts"
 * const smt = encode(exportProtocol(".", inductive))
 * smt.queries.map((q) => q.obligation).slice(0, 2) // => ["ballotsMatch_init", "ballotsMatch_preserved_by_sendVote"]
 * typeof smt.queries[0]!.script // => "string"
 */
export const encode = (exported: Exported): SmtProtocol => {
  const { roles, msg } = exported.types
  const defs = definitionsOf(exported.lean)
  const types = namedTypes(roles, msg)
  const vocabulary = (enc?: Encoder): Vocabulary => ({ roles, msg, strings: enc?.strings ?? new Map() })
  const protocol = exported.spec.protocol
  const refuse = (reason: string): SmtProtocol => ({
    queries: exported.obligations.map((o) => ({
      obligation: o.name,
      invariant: o.invariant,
      transition: o.transition,
      script: new SmtRefusal(reason),
      unknowns: { before: "s", topology: "topo", step: { kind: "init" } },
      unassumed: []
    })),
    vocabulary: vocabulary()
  })
  let head: Array<string>
  try {
    head = preamble(roles, types)
  } catch (e) {
    if (e instanceof SmtRefusal) return refuse(e.message)
    throw e
  }
  if (/^def world : World /m.test(exported.lean)) return refuse("a world's obligations (two protocols' statelets, the world's send-hooks) are outside the SMT encoding")
  if (!defs.has("initLocals")) return refuse("the export has no single protocol's initLocals (a world's export, of several protocols' statelets, is outside the SMT encoding)")
  const enc = new Encoder(defs, types, roles, msg, "topo")
  const strings = () => {
    const names = [...enc.strings.keys()]
    return [...names.map((n) => `(declare-const ${n} Node)`), ...(names.length > 1 ? [`(assert (distinct ${names.join(" ")}))`] : [])]
  }
  const roleNames = [...roles.keys()]
  const role = (r: string, topo: string) => `(${sym(`Topology.${r}`)} ${topo})`
  const member = (r: string, n: string) => `(${sym(`role.${r}`)} ${n})`

  // Each role's nodes: a predicate, with the position of each node in the role's list (which
  // makes the list free of duplicates), and no node in two roles: Lean's `wf`.
  const wf = (topo: string): Array<string> => {
    const out: Array<string> = []
    for (const r of roleNames) {
      const [is, at, list] = [sym(`role.${r}`), sym(`index.${r}`), role(r, topo)]
      out.push(`(declare-fun ${is} (Node) Bool)`, `(declare-fun ${at} (Node) Int)`)
      out.push(`(assert (forall ((n Node)) (! (= (${is} n) (and (<= 0 (${at} n)) (< (${at} n) (seq.len ${list})) (= (seq.nth ${list} (${at} n)) n))) :pattern ((${is} n)))))`)
      out.push(`(assert (forall ((i Int)) (! (=> (and (<= 0 i) (< i (seq.len ${list}))) (and (${is} (seq.nth ${list} i)) (= (${at} (seq.nth ${list} i)) i))) :pattern ((seq.nth ${list} i)))))`)
    }
    roleNames.forEach((a, ia) => roleNames.slice(ia + 1).forEach((b) => out.push(`(assert (forall ((n Node)) (not (and (${sym(`role.${a}`)} n) (${sym(`role.${b}`)} n)))))`)))
    if (exported.spec.topology !== undefined) out.push(`(assert ${enc.call(exported.spec.topology, [topo])})`)
    return out
  }
  const dense = (soup: string) => `(forall ((|d.i| Int)) (=> (and (<= 0 |d.i|) (< |d.i| (seq.len ${soup}))) (= (Env.id (seq.nth ${soup} |d.i|)) |d.i|)))`
  const invariantOn = (inv: string, topo: string, s: string) => enc.call(inv, [topo, s])
  // The state after node `at` of role `r` steps to `value`: kept structured, so that the
  // invariant's reads of it split on whether they read the stepping node.
  const after = (r: string, at: string, value: Val, soupValue: Val): Val => {
    const locals = new Map<string, Val>(
      roleNames.map((x) => {
        const base = `(${sym(`Locals.${x}`)} (Statelet.locals s))`
        return [x, x === r ? enc.stored(base, r, { smt: at, type: node }, value) : { smt: base, type: { kind: "roleMap", role: x, of: roles.get(x)! } }]
      })
    )
    const localsValue: Val = { smt: `(Locals.mk ${[...locals.values()].map((v) => v.smt).join(" ")})`, type: { kind: "locals" }, record: locals }
    return { smt: `(Statelet.mk ${localsValue.smt} ${soupValue.smt})`, type: { kind: "statelet" }, record: new Map([["locals", localsValue], ["soup", soupValue]]) }
  }
  const stepOf = (name: string, role: string, local: string, other: string, payload: string, payloadType: LeanType, self: string): Val =>
    enc.callValues(name, [
      { smt: local, type: roles.get(role)! },
      { smt: other, type: node },
      { smt: payload, type: payloadType },
      { smt: `(Ctx.mk ${self} topo)`, type: { kind: "ctx" } }
    ])
  let post: Val | undefined
  const envelopeType: LeanType = { kind: "envelope" }
  const soupType: LeanType = { kind: "list", of: envelopeType }
  const envelope = (id: string, src: string, dst: string, msgTerm: string, active: string): Val => {
    const fields = new Map<string, Val>([
      ["id", { smt: id, type: nat }],
      ["src", { smt: src, type: node }],
      ["dst", { smt: dst, type: node }],
      ["msg", { smt: msgTerm, type: msg }],
      ["active", { smt: active, type: bool }]
    ])
    return { smt: `(Env.mk ${id} ${src} ${dst} ${msgTerm} ${active})`, type: envelopeType, record: fields }
  }

  const queries = exported.obligations.map((o): SmtQuery => {
    const base = { obligation: o.name, invariant: o.invariant, transition: o.transition }
    const lines: Array<string> = ["(declare-const topo Topology)", "(declare-const s Statelet)"]
    const unassumed: Array<string> = []
    let unknowns: Unknowns = { before: "s", topology: "topo", step: { kind: "init" } }
    try {
      lines.push(...wf("topo"))
      if (o.transition === undefined) {
        lines.push(`(assert (not ${invariantOn(o.invariant, "topo", `(Statelet.mk ${enc.call("initLocals", ["topo"])} (as seq.empty (Seq Env)))`)}))`)
        return { ...base, script: [...head, ...strings(), ...lines].join("\n"), unknowns, unassumed }
      }
      lines.push("(assert " + dense("(Statelet.soup s)") + ")")
      for (const inv of exported.invariants) {
        try {
          lines.push(`(assert ${invariantOn(inv, "topo", "s")})`)
        } catch (e) {
          if (!(e instanceof SmtRefusal) || inv === o.invariant) throw e
          unassumed.push(inv)
        }
      }
      const send = protocol.sends.find((t: { name: string }) => t.name === o.transition)
      const receive = protocol.receives.find((t: { name: string }) => t.name === o.transition)
      const soup = "(Statelet.soup s)"
      if (send !== undefined) {
        const payload = msg.variants.find((v) => v.tag === send.tag)!.payload!
        lines.push("(declare-const this Node)", "(declare-const to Node)", `(declare-const m ${sortOf(payload)})`)
        const local = `(select (${sym(`Locals.${send.from}`)} (Statelet.locals s)) this)`
        const ctx = "(Ctx.mk this topo)"
        lines.push(`(assert ${member(send.from, "this")})`, `(assert ${member(send.to, "to")})`)
        lines.push(`(assert ${enc.call(`${send.name}_guard`, [local, "to", "m", ctx])})`)
        // `Soup.post`: the old soup, then the new message (kept as two parts: quantifiers split over them).
        const posted = envelope(`(seq.len ${soup})`, "this", "to", `(${ctor("Msg", send.tag)} m)`, "true")
        const soupAfter: Val = { smt: `(seq.++ ${soup} (seq.unit ${posted.smt}))`, type: soupType, parts: [{ kind: "seq", seq: soup, of: envelopeType, map: (x) => x }, { kind: "item", item: posted }] }
        post = after(send.from, "this", stepOf(`${send.name}_step`, send.from, local, "to", "m", payload, "this"), soupAfter)
        unknowns = { before: "s", topology: "topo", step: { kind: "send", node: "this", to: "to", payload: "m", payloadType: payload, tag: send.tag } }
      } else if (receive !== undefined) {
        lines.push("(declare-const k Int)", `(assert (and (<= 0 k) (< k (seq.len ${soup}))))`)
        const e = `(seq.nth ${soup} k)`
        lines.push("(declare-const rcv Node)", "(declare-const snd Node)", `(assert (= rcv (Env.dst ${e})))`, `(assert (= snd (Env.src ${e})))`)
        lines.push(`(assert (Env.active ${e}))`, `(assert ((_ is ${ctor("Msg", receive.tag)}) (Env.msg ${e})))`)
        const m = `(${sym(`Msg.${receive.tag}.payload`)} (Env.msg ${e}))`
        const local = `(select (${sym(`Locals.${receive.by}`)} (Statelet.locals s)) rcv)`
        const ctx = "(Ctx.mk rcv topo)"
        lines.push(`(assert ${member(receive.by, "rcv")})`)
        if (defs.has(`${receive.name}_accepts`)) lines.push(`(assert ${enc.call(`${receive.name}_accepts`, [local, "snd", m, ctx])})`)
        const payload = msg.variants.find((v) => v.tag === receive.tag)!.payload!
        // `Soup.consume`: every message of the consumed one's id is inactive after, as in Lean.
        const consumed = (x: Val): Val => {
          const get = (f: string) => `(Env.${f} ${x.smt})`
          return envelope(get("id"), get("src"), get("dst"), get("msg"), `(and ${get("active")} (not (= ${get("id")} (Env.id ${e}))))`)
        }
        const x = "|consume.x|"
        const soupAfter: Val = { smt: `(seq.map (lambda ((${x} Env)) ${consumed({ smt: x, type: envelopeType }).smt}) ${soup})`, type: soupType, parts: [{ kind: "seq", seq: soup, of: envelopeType, map: consumed }] }
        post = after(receive.by, "rcv", stepOf(`${receive.name}_step`, receive.by, local, "snd", m, payload, "rcv"), soupAfter)
        unknowns = { before: "s", topology: "topo", step: { kind: "receive", position: "k" } }
      } else throw new SmtRefusal(`the transition ${o.transition} is not the protocol's`)
      lines.push(`(assert (not ${enc.callValues(o.invariant, [{ smt: "topo", type: { kind: "topology" } }, post]).smt}))`)
      return { ...base, script: [...head, ...strings(), ...lines].join("\n"), unknowns, unassumed }
    } catch (e) {
      if (!(e instanceof SmtRefusal)) throw e
      return { ...base, script: e, unknowns, unassumed }
    }
  })
  return { queries, vocabulary: vocabulary(enc) }
}
