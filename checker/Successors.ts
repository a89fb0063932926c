/**
 * The steps enabled in a state of a model, each taken through the kernel's step function: every
 * send a node's transitions allow (with the candidate messages the transition declares for the
 * sender's state, or the model's payload domain, or every value of a finite payload schema, to
 * every node of the receiving role, kept when the guard holds), every receivable message, and the
 * fault steps of the model's fault model within its bounds.
 *
 * @since 0.1.0
 */
import type * as Schema from "effect/Schema"
import type * as SchemaAST from "effect/SchemaAST"
import type { Model } from "../core/Model.ts"
import type { NamedSend } from "../core/Protocol.ts"
import type { Statelet } from "../core/Statelet.ts"
import * as Step from "../core/Step.ts"

/** A model the checker cannot explore as given (a send with no finite choice of messages, ...). */
export class ModelError extends Error {
  override readonly name = "ModelError"
}

/** One enabled step: the action, and the state it leads to. */
export interface Successor {
  readonly action: Step.Action
  readonly next: Statelet
  /** Send and receive steps are progress; faults are not (a state with only faults left is a deadlock). */
  readonly progress: boolean
}

const maxDomain = 4096

/**
 * Every value of a finite schema, or undefined when it is not finite (or too large).
 *
 * @example
 * import * as Schema from "effect/Schema"
 * enumerate(Schema.Struct({ yes: Schema.Boolean }).ast) // => [{ yes: false }, { yes: true }]
 */
export const enumerate = (ast: SchemaAST.AST): ReadonlyArray<unknown> | undefined => {
  switch (ast._tag) {
    case "Literal":
      return [ast.literal]
    case "Boolean":
      return [false, true]
    case "Null":
      return [null]
    case "Union": {
      const all: Array<unknown> = []
      for (const t of ast.types) {
        const values = enumerate(t)
        if (values === undefined) return undefined
        all.push(...values)
      }
      return all.length > maxDomain ? undefined : all
    }
    case "Objects": {
      if (ast.indexSignatures.length > 0) return undefined
      let objects: Array<Record<string, unknown>> = [{}]
      for (const ps of ast.propertySignatures) {
        const values = enumerate(ps.type)
        if (values === undefined || typeof ps.name !== "string") return undefined
        objects = objects.flatMap((o) => values.map((v) => ({ ...o, [ps.name as string]: v })))
        if (objects.length > maxDomain) return undefined
      }
      return objects
    }
    case "Arrays": {
      if (ast.rest.length > 0) return undefined
      let tuples: Array<Array<unknown>> = [[]]
      for (const e of ast.elements) {
        const values = enumerate(e)
        if (values === undefined) return undefined
        tuples = tuples.flatMap((t) => values.map((v) => [...t, v]))
        if (tuples.length > maxDomain) return undefined
      }
      return tuples
    }
    case "Suspend":
      return enumerate(ast.thunk())
    default:
      return undefined
  }
}

/**
 * How many values a schema has: a count when finite, `Infinity` when it is infinite, undefined when
 * the checker cannot tell (a schema it does not enumerate, or a refined string or number). An
 * optional property counts its absence as one more value.
 */
const schemaSize = (ast: SchemaAST.AST, open: ReadonlySet<SchemaAST.AST> = new Set()): number | undefined => {
  const product = (sizes: ReadonlyArray<number | undefined>): number | undefined =>
    sizes.reduce<number | undefined>((a, b) => (a === undefined || b === undefined ? undefined : a * b), 1)
  switch (ast._tag) {
    case "Literal":
    case "Null":
    case "Undefined":
      return 1
    case "Boolean":
      return 2
    case "String":
    case "Number":
    case "BigInt":
    case "TemplateLiteral":
      return unbounded(ast) ? Number.POSITIVE_INFINITY : undefined
    case "Symbol":
    case "Any":
    case "Unknown":
    case "ObjectKeyword":
      return Number.POSITIVE_INFINITY
    case "Union":
      return ast.types.map((t) => schemaSize(t, open)).reduce<number | undefined>((a, b) => (a === undefined || b === undefined ? undefined : a + b), 0)
    case "Objects":
      if (ast.indexSignatures.length > 0) return Number.POSITIVE_INFINITY
      return product(ast.propertySignatures.map((ps) => {
        const n = schemaSize(ps.type, open)
        return n === undefined || !ps.type.context?.isOptional ? n : n + 1
      }))
    case "Arrays":
      if (ast.rest.length > 0) return Number.POSITIVE_INFINITY
      // Optional elements make tuples of several lengths, which the enumeration does not produce.
      return ast.elements.some((e) => e.context?.isOptional === true) ? undefined : product(ast.elements.map((e) => schemaSize(e, open)))
    case "Suspend": {
      // A schema that contains itself (a list, a tree) has values of every size.
      if (open.has(ast)) return Number.POSITIVE_INFINITY
      return schemaSize(ast.thunk(), new Set([...open, ast]))
    }
    default:
      return undefined
  }
}

/**
 * Whether a string or number schema has infinitely many values whatever its checks: each check
 * states its constraint (`Schema.isInt`, `isBetween`, `isMinLength`, ...) and none bounds it on
 * both sides (a number) or in length (a string). A check that does not state its constraint (a
 * filter of the protocol's own) might make it finite.
 */
const unbounded = (ast: SchemaAST.AST): boolean => {
  const keys = new Set<string>()
  for (const check of ast.checks ?? []) {
    const constraint = check._tag === "Filter" ? (check.annotations?.arbitraryConstraint as object | undefined) : undefined
    if (constraint === undefined) return false
    for (const key of Object.keys(constraint)) keys.add(key)
  }
  if (ast._tag === "String" || ast._tag === "TemplateLiteral") return !keys.has("maxLength")
  if (ast._tag === "BigInt") return keys.size === 0
  return !((keys.has("minimum") || keys.has("exclusiveMinimum")) && (keys.has("maximum") || keys.has("exclusiveMaximum")))
}

/**
 * The messages a tag's sends are drawn from, when a send transition of that tag declares no
 * `candidates`: the model's `payloads` of the tag, or else every value the checker enumerates of a
 * finite payload schema.
 */
export interface PayloadDomain {
  readonly tag: string
  /** The send transitions of the tag that declare no candidates. */
  readonly transitions: ReadonlyArray<string>
  readonly source: "model" | "schema"
  readonly values: ReadonlyArray<unknown>
  /** How many values the payload schema has: `Infinity` for an infinite schema, undefined when the checker cannot tell. */
  readonly schemaSize: number | undefined
  /**
   * Whether the values may leave out some value of the schema: then the checker explores an
   * approximation (a send of a value outside the domain is never tried).
   */
  readonly sample: boolean
}

const domainOf = (model: Model, tag: string): { readonly source: "model" | "schema"; readonly values: ReadonlyArray<unknown> } | undefined => {
  const given = model.payloads?.[tag]
  if (given !== undefined) return { source: "model", values: given }
  const values = enumerate((model.system.protocol.messages[tag]!.payload as Schema.Top).ast)
  return values === undefined ? undefined : { source: "schema", values }
}

/**
 * The payload domains the checker uses, one per tag that some send transition without `candidates`
 * sends (tags with no domain at all are left out: the checker refuses those models).
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * import * as System from "../core/System.ts"
 * const [ping] = payloadDomains({ system: System.make({ protocol: PingPong.protocol, nodes: { pinger: ["p1"], ponger: ["q1"] }, programs: {}, properties: [] }), payloads: { ping: [{ n: 0 }], pong: [], stop: [] } })
 * [ping!.tag, ping!.source, ping!.values.length, ping!.sample] // => ["ping", "model", 1, true]
 */
export const payloadDomains = (model: Model): ReadonlyArray<PayloadDomain> => {
  const byTag = new Map<string, Array<string>>()
  for (const t of model.system.protocol.sends) {
    if (t.candidates !== undefined) continue
    const names = byTag.get(t.tag) ?? []
    names.push(t.name)
    byTag.set(t.tag, names)
  }
  const out: Array<PayloadDomain> = []
  for (const [tag, transitions] of byTag) {
    const domain = domainOf(model, tag)
    if (domain === undefined) continue
    const ast = (model.system.protocol.messages[tag]!.payload as Schema.Top).ast
    const size = schemaSize(ast)
    const distinct = new Set(domain.values.map((v) => JSON.stringify(v))).size
    out.push({ tag, transitions, ...domain, schemaSize: size, sample: size === undefined || distinct < size })
  }
  return out
}

/** The candidate sends of one transition from a node in a local state: receiver and payload. */
export type Candidates = (local: unknown, node: string) => ReadonlyArray<{ readonly to: string; readonly msg: unknown }>

/**
 * Where each send transition's candidate messages come from, by transition name: the transition's
 * own `candidates`, else the model's `payloads` for its tag, else every value of a finite payload
 * schema, sent to every node of the receiving role. Throws `ModelError` for a transition with none.
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * import * as System from "../core/System.ts"
 * import * as Step from "../core/Step.ts"
 * const model = { system: System.make({ protocol: PingPong.protocol, nodes: { pinger: ["p1"], ponger: ["q1"] }, programs: {}, properties: [] }), payloads: { ping: [{ n: 0 }], pong: [], stop: [] } }
 * const semantics = Step.make(model.system.protocol, model.system.topology, Step.reorderOnly)
 * const sources = candidateSources(model, semantics)
 * sources.get("sendPing")!((semantics.initial.locals as any).pinger.p1, "p1").length // => 1
 */
export const candidateSources = (model: Model, semantics: Step.Semantics): ReadonlyMap<string, Candidates> => {
  const { protocol, topology } = model.system
  const nodes = topology.nodes as Record<string, ReadonlyArray<string>>
  const candidatesOf = new Map<string, Candidates>()
  for (const t of protocol.sends) candidatesOf.set(t.name, resolveCandidates(t))

  function resolveCandidates(t: NamedSend): Candidates {
    if (t.candidates !== undefined) {
      const declared = t.candidates
      return (local, node) => declared(local, semantics.context(node))
    }
    const domain = domainOf(model, t.tag)?.values
    if (domain === undefined) {
      throw new ModelError(
        `send transition "${t.name}" declares no candidates and the payload schema of "${t.tag}" is not finite: ` +
          `give the transition a candidates function, or the model payloads.${t.tag}`
      )
    }
    const receivers = nodes[t.to]!
    const all = receivers.flatMap((to) => domain.map((msg) => ({ to, msg })))
    return () => all
  }
  return candidatesOf
}

/** Computes successors of the states of one model. */
export interface Expander {
  readonly semantics: Step.Semantics
  successors(statelet: Statelet): Array<Successor>
}

/**
 * Prepares successor generation for a model: resolves, for every send transition, where its
 * candidate messages come from, and throws `ModelError` for a transition that has none.
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * import * as System from "../core/System.ts"
 * const expander = make({
 *   system: System.make({ protocol: PingPong.protocol, nodes: { pinger: ["p1"], ponger: ["q1"] }, programs: {}, properties: [] }),
 *   payloads: { ping: [{ n: 0 }], pong: [], stop: [] },
 * })
 * expander.successors(expander.semantics.initial).length // => 1
 */
export const make = (model: Model): Expander => {
  const { protocol, topology } = model.system
  const faults = model.faults ?? Step.reorderOnly
  const semantics = Step.make(protocol, topology, faults)
  const maxCrashed = model.faults?.maxCrashed ?? 1
  const maxDuplicates = model.faults?.maxDuplicates ?? 1

  const candidatesOf = candidateSources(model, semantics)

  const sendsByRole = new Map<string, ReadonlyArray<NamedSend>>()
  for (const role of Object.keys(protocol.roles)) sendsByRole.set(role, protocol.sends.filter((t) => t.from === role))

  const sameMessage = (a: { tag: string; from: string; to: string; payload: unknown }, b: typeof a) =>
    a.tag === b.tag && a.from === b.from && a.to === b.to && JSON.stringify(a.payload) === JSON.stringify(b.payload)

  return {
    semantics,
    successors: (s) => {
      const out: Array<Successor> = []
      const take = (action: Step.Action, progress: boolean) => {
        const outcome = Step.step(semantics, s, action)
        if (outcome._tag === "Stepped") out.push({ action, next: outcome.statelet, progress })
      }
      for (const node of topology.all) {
        if (s.crashed.includes(node)) continue
        const role = topology.roleOf.get(node)!
        const local = semantics.local(s, node)
        for (const t of sendsByRole.get(role)!) {
          for (const c of candidatesOf.get(t.name)!(local, node)) {
            take({ kind: "send", node, tag: t.tag, to: c.to, payload: c.msg }, true)
          }
        }
      }
      for (const m of s.soup) {
        if (!m.active || s.crashed.includes(m.to)) continue
        if (Step.canReceive(semantics, m.to, semantics.local(s, m.to), m.from, m.tag, m.payload)) take({ kind: "receive", msgId: m.id }, true)
      }
      if (faults.drop) for (const m of s.soup) if (m.active) take({ kind: "drop", msgId: m.id }, false)
      if (faults.duplicate) {
        for (const m of s.soup) {
          if (!m.active) continue
          const copies = s.soup.filter((n) => n.active && sameMessage(n, m)).length
          if (copies <= maxDuplicates && s.soup.findIndex((n) => n.active && sameMessage(n, m)) === m.id) {
            take({ kind: "duplicate", msgId: m.id }, false)
          }
        }
      }
      if (faults.crash && s.crashed.length < maxCrashed) for (const node of topology.all) if (!s.crashed.includes(node)) take({ kind: "crash", node }, false)
      if (faults.restart) for (const node of s.crashed) take({ kind: "restart", node }, false)
      return out
    }
  }
}
