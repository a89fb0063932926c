/**
 * A randomized search for counterexamples to induction: states that satisfy an invariant layer and
 * the layers before it (`coh ∧ I`) from which one transition leads to a state violating `I`. An
 * invariant can hold on every reachable state and still not be inductive; what a user needs to
 * learn then is *which* transition breaks it from *which* state, to strengthen it (as Disel's
 * Two-Phase Commit proof strengthens log agreement).
 *
 * Candidate states come from seeded random walks through the model (reachable states), from
 * recombining them — each node's local state, and the soup, taken from different reachable
 * states, since each part is reachable on its own but their combination need not be — and from
 * local states sampled from the role's Schema (`effect/Arbitrary`). A candidate is kept when it
 * satisfies the hypothesis; then every step the model allows from it is taken through the step
 * function. The search finds counterexamples, it does not prove their absence: "none found"
 * says how many states it tried.
 *
 * @since 0.1.0
 */
import * as Arbitrary from "effect/Arbitrary"
import * as Effect from "effect/Effect"
import type { Model } from "../core/Model.ts"
import * as Prng from "../core/Prng.ts"
import type { Statelet } from "../core/Statelet.ts"
import * as Step from "../core/Step.ts"
import { layers } from "../core/WithInvariant.ts"
import * as Successors from "./Successors.ts"

/** How hard to search. */
export interface InductionOptions {
  readonly seed?: number
  /** Random walks that collect reachable states (default 200). */
  readonly walks?: number
  /** Steps per walk (default 40). */
  readonly depth?: number
  /** Recombined and sampled candidates tried, beyond the reachable ones (default 3000). */
  readonly candidates?: number
}

/** A transition that breaks the invariant: the obligation, the state it starts from, the step and where it leads. */
export interface Counterexample {
  /** `<invariant>_preserved_by_<transition>` (fault steps: `<invariant>_preserved_by_<fault>`). */
  readonly obligation: string
  readonly transition: string
  readonly state: Statelet
  readonly action: Step.Action
  readonly next: Statelet
}

/** What the search found for one invariant layer. */
export interface InductionReport {
  readonly invariant: string
  /** Whether the invariant holds in the initial state (`<invariant>_init`). */
  readonly initially: boolean
  /** One counterexample per broken obligation, in the order found. */
  readonly broken: ReadonlyArray<Counterexample>
  /** Distinct candidate states that satisfied the hypothesis, whose every step was taken. */
  readonly tried: number
}

/**
 * Searches for counterexamples to the induction of invariant layer `invariant` of the model's
 * protocol (a layer added with `withInvariant`, or `coherence`).
 *
 * @example
 * import * as Calculator from "../protocols/Calculator/index.ts"
 * import * as System from "../core/System.ts"
 * import { withInvariant } from "../core/WithInvariant.ts"
 * const strong = withInvariant(Calculator.protocol, "atMostOnePending", (s, nodes) => nodes.client.every((c) => s.locals.client[c]!.pending.length <= 1))
 * const system = System.make({ protocol: strong, nodes: { client: ["c1"], server: ["s1"] }, programs: {}, properties: [] })
 * const report = searchCounterexample({ system, payloads: { req: [{ args: [1, 2] }], resp: [{ value: 3, args: [1, 2] }] } }, "atMostOnePending", { walks: 20, candidates: 200 })
 * report.broken.map((c) => c.obligation) // => ["atMostOnePending_preserved_by_clientSend"]
 */
export const searchCounterexample = (model: Model, invariant: string, options: InductionOptions = {}): InductionReport => {
  const { protocol, topology } = model.system
  const all = layers(protocol)
  const at = all.findIndex((l) => l.name === invariant)
  if (at < 0) {
    throw new Successors.ModelError(
      `protocol "${protocol.label}" has no invariant "${invariant}" (its layers: ${all.map((l) => l.name).join(", ") || "none"})`
    )
  }
  const nodes = topology.nodes
  const hypothesis = all.slice(0, at + 1)
  const target = all[at]!
  const holds = (s: Statelet) => hypothesis.every((l) => l.holds(s as any, nodes as any))
  const expander = Successors.make(model)
  const semantics = expander.semantics
  const prng = Prng.make(options.seed ?? 1)
  const initially = target.holds(semantics.initial as any, nodes as any)

  const pool: Array<Statelet> = [semantics.initial]
  for (let walk = 0; walk < (options.walks ?? 200); walk++) {
    let s = semantics.initial
    for (let d = 0; d < (options.depth ?? 40); d++) {
      const next = expander.successors(s)
      if (next.length === 0) break
      s = prng.pick(next).next
      pool.push(s)
    }
  }
  const sampled = new Map<string, ReadonlyArray<unknown>>()
  for (const [role, declaration] of Object.entries(protocol.roles)) {
    const values = Effect.runSync(Arbitrary.sampleEffect(Arbitrary.schema(declaration.state as any), { seed: options.seed ?? 1, count: 50 }))
    sampled.set(role, values)
  }
  const recombined = (): Statelet => {
    const base = prng.pick(pool)
    const locals: Record<string, Record<string, unknown>> = {}
    for (const role of Object.keys(protocol.roles)) locals[role] = { ...(base.locals as any)[role] }
    for (const node of topology.all) {
      const role = topology.roleOf.get(node)!
      const draw = prng.float()
      if (draw < 0.4) locals[role]![node] = semantics.local(prng.pick(pool), node)
      else if (draw < 0.5) locals[role]![node] = prng.pick(sampled.get(role)!)
    }
    const soup = prng.chance(0.5) ? prng.pick(pool).soup : base.soup
    return { locals: locals as any, soup, crashed: base.crashed }
  }

  const broken = new Map<string, Counterexample>()
  const seen = new Set<string>()
  let tried = 0
  const tryState = (s: Statelet) => {
    const key = JSON.stringify(s)
    if (seen.has(key)) return
    seen.add(key)
    if (!holds(s)) return
    tried++
    for (const x of expander.successors(s)) {
      if (target.holds(x.next as any, nodes as any)) continue
      const outcome = Step.step(semantics, s, x.action)
      const transition = outcome._tag === "Stepped" && outcome.transition !== undefined ? outcome.transition : x.action.kind
      const obligation = `${target.name}_preserved_by_${transition}`
      if (!broken.has(obligation)) broken.set(obligation, { obligation, transition, state: s, action: x.action, next: x.next })
    }
  }
  for (const s of pool) tryState(s)
  for (let k = 0; k < (options.candidates ?? 3000); k++) tryState(recombined())
  return { invariant, initially, broken: [...broken.values()], tried }
}
