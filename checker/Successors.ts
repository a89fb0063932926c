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

/** The candidate sends of one transition from a node in a local state: receiver and payload. */
export type Candidates = (local: unknown, node: string) => ReadonlyArray<{ readonly to: string; readonly msg: unknown }>

/**
 * Where each send transition's candidate messages come from, by transition name: the transition's
 * own `candidates`, else the model's `payloads` for its tag, else every value of a finite payload
 * schema, sent to every node of the receiving role. Throws `ModelError` for a transition with none.
 *
 * @example
 * import * as Calculator from "../protocols/Calculator/index.ts"
 * import * as Step from "../core/Step.ts"
 * const model = { system: Calculator.system({ clients: 1, servers: 1 }), payloads: { req: [{ args: [1, 2] }], resp: [] } }
 * const semantics = Step.make(model.system.protocol, model.system.topology, Step.reorderOnly)
 * const sources = candidateSources(model, semantics)
 * sources.get("clientSend")!((semantics.initial.locals as any).client.c1, "c1").length // => 1
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
    const domain = model.payloads?.[t.tag] ?? enumerate((protocol.messages[t.tag]!.payload as Schema.Top).ast)
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
 * import * as Calculator from "../protocols/Calculator/index.ts"
 * const expander = make({
 *   system: Calculator.system({ clients: 1, servers: 1 }),
 *   payloads: { req: [{ args: [1, 2] }], resp: [{ value: 3, args: [1, 2] }] },
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
