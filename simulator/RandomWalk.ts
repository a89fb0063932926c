/**
 * Protocol-level random simulation: seeded random walks over the protocol's own transitions, with
 * no programs. At each step the walk takes a random enabled step of the semantics
 * (`core/Step.ts`) — a send some node's guard allows, with a payload from the transition's
 * `candidates`, else the model's payload domain, else every value of a finite payload Schema, else
 * values sampled from the Schema (`ValueSampler.ts`); or the receipt of an active message its
 * receiver accepts; or a fault of the fault plan. So guards are exercised as the model checker
 * exercises them — a loosened guard is taken — but at the simulator's speed and at sizes the
 * checker cannot explore. Programs are what program-level simulation (`Simulator.ts`) runs; a
 * guard that the bundled programs never test is only caught here or by the checker.
 *
 * Every `always` property (and the protocol's coherence) is checked after every step and `sometimes`
 * witnesses are recorded, by the simulator's engine; runs are NDJSON traces whose header says
 * `level: "protocol"`, which `replay` reproduces; a failing run is shrunk at the protocol level
 * (`Shrink.shrinkProtocol`), and the shrunk trace is replayed strictly to confirm it still fails.
 *
 * @since 0.1.0
 */
import type * as Schema from "effect/Schema"
import { candidateSources, enumerate, type Candidates } from "../checker/Successors.ts"
import type { Model } from "../core/Model.ts"
import type { NamedSend } from "../core/Protocol.ts"
import * as Prng from "../core/Prng.ts"
import type { Statelet } from "../core/Statelet.ts"
import * as Step from "../core/Step.ts"
import type { System } from "../core/System.ts"
import type { Candidate, Chooser, RunResult } from "./Engine.ts"
import * as Engine from "./Engine.ts"
import { type FaultPlan, injector } from "./FaultPlan.ts"
import * as Report from "./Report.ts"
import * as Simulator from "./Simulator.ts"
import * as Shrink from "./Shrink.ts"
import { type Header, programsHeader, type Trace } from "./Trace.ts"
import * as ValueSampler from "./ValueSampler.ts"

/** Where a send transition's payloads come from in a walk. */
export type PayloadSource = "candidates" | "model" | "finite schema" | "sampled" | "model + sampled"

/**
 * Which payloads a walk tries where no transition declares candidates: `model`, the model's
 * domain (or every value of a finite Schema), sampling only where neither exists; `schema`, values
 * sampled from the Schema as well, beyond the model's domain.
 */
export type PayloadMode = "model" | "schema"

/** Options of a batch of protocol-level runs: the simulator's, and the model's payload domains. */
export interface WalkOptions extends Simulator.SimulateOptions {
  /** The family's model, whose `payloads` give the domain of tags no transition enumerates. */
  readonly model?: Pick<Model, "payloads"> | undefined
  /** How many payloads are sampled from a Schema each time a sampled transition is tried (default 8). */
  readonly samples?: number
  /** Default `model`. */
  readonly payloads?: PayloadMode
}

/** The outcome of a batch of protocol-level runs. */
export interface WalkSummary extends Simulator.Summary {
  /** Each send transition's payload source. */
  readonly sources: ReadonlyArray<{ readonly transition: string; readonly tag: string; readonly source: PayloadSource }>
  /** Candidate sends skipped because their receiver has the wrong role or their payload does not match its schema. */
  readonly malformed: { readonly count: number; readonly first: string | undefined }
  /**
   * Runs stopped (with status `limit`) before `maxSteps` because nothing was found enabled but
   * some transition's payloads were sampled: no sample passed its guard, which does not show that
   * no payload would.
   */
  readonly unsettled: number
}

/**
 * A walk that cannot go on: a guard, filter or step threw on the state and message it was given,
 * or a step returned a local state outside its role's schema.
 */
export class WalkError extends Error {
  override readonly name = "WalkError"
}

/** A random permutation of 0..n-1, drawn lazily (a Fisher–Yates shuffle that stops at the first hit). */
const shuffled = (n: number, prng: Prng.Prng) => {
  const swapped = new Map<number, number>()
  let k = 0
  return (): number | undefined => {
    if (k >= n) return undefined
    const j = k + prng.int(n - k)
    const picked = swapped.get(j) ?? j
    swapped.set(j, swapped.get(k) ?? k)
    k++
    return picked
  }
}

interface Pair {
  readonly node: string
  readonly transition: NamedSend
  /** The transition's candidates or domain, as the checker has them; undefined when there is none. */
  readonly declared: Candidates | undefined
  /** Whether payloads are also sampled from the Schema. */
  readonly sampled: boolean
}

/**
 * A system prepared for walks: the payload source of every send transition, and the choosers that
 * take random enabled steps.
 */
export interface Walker {
  readonly system: System
  readonly sources: WalkSummary["sources"]
  /** A chooser for one run: random enabled steps and the plan's faults. */
  chooser(prng: Prng.Prng, plan: FaultPlan): Chooser
  readonly malformed: { count: number; first: string | undefined }
}

/**
 * Prepares walks of a system: resolves each send transition's payload source as the checker does
 * (`candidateSources`), sampling from the Schema where the checker would refuse the model.
 *
 * @example
 * import * as PingPongSystem from "../test/fixtures/PingPongSystem.ts"
 * const walker = prepare(PingPongSystem.system())
 * walker.sources.map((s) => s.source) // => ["sampled", "sampled", "sampled"]
 */
export const prepare = (system: System, model?: Pick<Model, "payloads">, samples = 8, mode: PayloadMode = "model"): Walker => {
  const { protocol, topology } = system
  const semantics = Step.make(protocol, topology, Step.reorderOnly)
  const sources: Array<{ transition: string; tag: string; source: PayloadSource }> = []
  const sampledTags = new Set<string>()
  for (const t of protocol.sends) {
    const schema = protocol.messages[t.tag]!.payload as Schema.Top
    const source: PayloadSource =
      t.candidates !== undefined ? "candidates" : model?.payloads?.[t.tag] !== undefined ? "model" : enumerate(schema.ast) !== undefined ? "finite schema" : "sampled"
    if (source === "sampled") sampledTags.add(t.tag)
    sources.push({ transition: t.name, tag: t.tag, source: source === "model" && mode === "schema" ? "model + sampled" : source })
  }
  // The checker's sources, with an empty domain standing for the tags sampled here instead.
  const payloads = { ...model?.payloads, ...Object.fromEntries([...sampledTags].map((tag) => [tag, []])) }
  const declared = candidateSources({ system, payloads }, semantics)
  const pairs: Array<Pair> = []
  for (const node of topology.all) {
    const role = topology.roleOf.get(node)!
    for (const t of protocol.sends) {
      if (t.from !== role) continue
      const own = sampledTags.has(t.tag) ? undefined : declared.get(t.name)!
      pairs.push({ node, transition: t, declared: own, sampled: own === undefined || (mode === "schema" && t.candidates === undefined && model?.payloads?.[t.tag] !== undefined) })
    }
  }
  const nodesOf = topology.nodes as Record<string, ReadonlyArray<string>>
  const malformed = { count: 0, first: undefined as string | undefined }
  /** How many more rounds of samples of every sampled transition a step draws before it gives up. */
  const resample = 16

  const guarded = <A>(what: string, f: () => A): A => {
    try {
      return f()
    } catch (e) {
      throw new WalkError(`${what} threw: ${e instanceof Error ? e.message : String(e)}`)
    }
  }

  const sampled = (pair: Pair, local: unknown, prng: Prng.Prng): Array<{ to: string; msg: unknown }> => {
    const t = pair.transition
    const message = protocol.messages[t.tag]!
    const hints = ValueSampler.hintsOf([local, topology.all])
    const receivers = nodesOf[t.to] ?? []
    const out: Array<{ to: string; msg: unknown }> = []
    if (receivers.length === 0) return out
    for (let i = 0; i < samples; i++) {
      const msg = ValueSampler.sample((message.payload as Schema.Top).ast, prng, hints)
      if (msg !== undefined && message.isPayload(msg)) for (const to of receivers) out.push({ to, msg })
    }
    return out
  }

  /** A random enabled send of `pair` in `s`, if it has one. */
  const trySend = (pair: Pair, s: Statelet, prng: Prng.Prng): Candidate | undefined => {
    const { node, transition: t } = pair
    if (s.crashed.includes(node)) return undefined
    const local = semantics.local(s, node)
    const own = pair.declared === undefined ? [] : guarded(`the candidates of ${t.name} at ${node}`, () => pair.declared!(local, node))
    const list = pair.sampled ? [...own, ...sampled(pair, local, prng)] : own
    const ctx = semantics.context(node)
    const isPayload = protocol.messages[t.tag]!.isPayload
    const next = shuffled(list.length, prng)
    for (let k = next(); k !== undefined; k = next()) {
      const c = list[k]!
      if (topology.roleOf.get(c.to) !== t.to || !isPayload(c.msg)) {
        malformed.count++
        malformed.first ??= `${t.name} at ${node}: ${topology.roleOf.get(c.to) !== t.to ? `the receiver ${c.to} does not play "${t.to}"` : `the payload ${JSON.stringify(c.msg)} does not match the schema of "${t.tag}"`}`
        continue
      }
      // Only the guard here: the engine takes the send through the step function, which runs the step once.
      if (guarded(`the guard of ${t.name} at ${node} sending ${JSON.stringify(c.msg)} to ${c.to}`, () => t.guard(local, c.to as never, c.msg, ctx))) {
        return { type: "send", node, message: { tag: t.tag, to: c.to, payload: c.msg } }
      }
    }
    return undefined
  }

  const receivable = (s: Statelet, id: number): boolean => {
    const m = s.soup[id]
    if (m === undefined || !m.active || s.crashed.includes(m.to)) return false
    return guarded(`receiving ${m.tag} ${JSON.stringify(m.payload)} at ${m.to}`, () =>
      Step.canReceive(semantics, m.to, semantics.local(s, m.to), m.from, m.tag, m.payload)
    )
  }

  const chooser = (prng: Prng.Prng, plan: FaultPlan): Chooser => {
    // Active message ids, in an array with positions so that removal is O(1).
    const active: Array<number> = []
    const position = new Map<number, number>()
    const add = (id: number) => {
      position.set(id, active.length)
      active.push(id)
    }
    const remove = (id: number) => {
      const i = position.get(id)
      if (i === undefined) return
      const last = active.pop()!
      if (last !== id) {
        active[i] = last
        position.set(last, i)
      }
      position.delete(id)
    }
    const faults = injector(prng, plan)
    return {
      delay: () => 0,
      applied: (event) => {
        switch (event.type) {
          case "send":
            if (event.msg < 0) return
            add(event.msg)
            faults.sent(event.msg)
            return
          case "deliver":
          case "drop":
            remove(event.msg)
            return
          case "duplicate":
            add(event.copy)
            return
          default:
            return
        }
      },
      choose: (view) => {
        const s = view.statelet
        // Any node that is up may crash: a walk has no programs to finish.
        const fault = faults.due(view.step + 1, s.crashed, () => topology.all.filter((n) => !s.crashed.includes(n)))
        if (fault !== undefined) return { candidate: fault }
        // Every (node, send transition) pair and every active message, in random order, until one is enabled.
        const order = shuffled(pairs.length + active.length, prng)
        const unsettled: Array<Pair> = []
        for (let k = order(); k !== undefined; k = order()) {
          if (k < pairs.length) {
            const pair = pairs[k]!
            const send = trySend(pair, s, prng)
            if (send !== undefined) return { candidate: send }
            if (pair.sampled && !s.crashed.includes(pair.node)) unsettled.push(pair)
          } else {
            const id = active[k - pairs.length]!
            if (receivable(s, id)) return { candidate: { type: "deliver", node: s.soup[id]!.to, msg: id } }
          }
        }
        // Samples that all failed their guard do not show that no payload passes it: sample each again.
        for (let round = 0; round < resample && unsettled.length > 0; round++) {
          const next = shuffled(unsettled.length, prng)
          for (let k = next(); k !== undefined; k = next()) {
            const send = trySend(unsettled[k]!, s, prng)
            if (send !== undefined) return { candidate: send }
          }
        }
        const restart = faults.lastResort(s.crashed)
        if (restart !== undefined) return { candidate: restart }
        // Nothing is enabled only if no transition was sampled; otherwise it is not known, and the run stops at a limit.
        return unsettled.length > 0 ? { end: "limit" } : { end: "quiescent" }
      }
    }
  }

  return { system: Engine.withoutPrograms(system), sources, chooser, malformed }
}

const headerOf = (options: Simulator.SimulateOptions, seed: number): Header => ({
  ...programsHeader({ system: options.name, parameters: options.parameters, seed, faults: options.faults, maxSteps: options.maxSteps, maxTime: options.maxTime }),
  level: "protocol"
})

/**
 * Runs one seeded protocol-level walk and returns its trace.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * import { reorder } from "./FaultPlan.ts"
 * const [ring] = TokenRing.families
 * const walker = prepare(ring!.make({}), TokenRing.model())
 * // The token goes round forever: the walk ends at its step limit.
 * const { trace } = runOnce(walker, { name: "token-ring", parameters: {}, seed: 3, runs: 1, faults: reorder, maxSteps: 20, maxTime: 1 })
 * [trace.header.level, trace.end.status, trace.end.steps] // => ["protocol", "limit", 20]
 */
export const runOnce = (walker: Walker, options: Simulator.SimulateOptions, seed = options.seed): { result: RunResult; trace: Trace } => {
  const header = headerOf(options, seed)
  let result: RunResult
  try {
    result = Engine.run(walker.system, Engine.optionsOf(header), walker.chooser(Prng.make(seed), header.faults))
  } catch (e) {
    // The engine refuses a send whose step returns a state outside the role's schema: a bug of the protocol.
    if (e instanceof WalkError || e instanceof Engine.NotEnabled) throw new WalkError(`run with seed ${seed}: ${e.message}`)
    throw e
  }
  return { result, trace: Engine.traceOf(header, result) }
}

/**
 * Runs `options.runs` seeded protocol-level walks (run `i` uses seed `Prng.derive(seed, i)`),
 * stopping at the first violation unless told otherwise, and shrinks it.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * import { reorder } from "./FaultPlan.ts"
 * const family = TokenRing.families.find((f) => f.name === "token-ring/keep-token")!
 * const summary = walk(family.make({}), { name: family.name, parameters: {}, seed: 1, runs: 50, faults: reorder, maxSteps: 200, maxTime: 1, model: family.model!({}) })
 * summary.firstFailure?.trace.end.violation?.kind // => "invariant"
 */
export const walk = (system: System, options: WalkOptions): WalkSummary => {
  const walker = prepare(system, options.model, options.samples, options.payloads)
  let unsettled = 0
  const summary = Simulator.batch(
    system,
    options,
    (seed) => runOnce(walker, options, seed),
    (trace) => {
      const shrunk = Shrink.shrinkProtocol(system, trace)
      return { shrunk: shrunk.trace, shrinkAttempts: shrunk.attempts }
    },
    (_, result) => {
      if (result.end.status === "limit" && result.end.steps < options.maxSteps) unsettled++
    }
  )
  return { ...summary, sources: walker.sources, malformed: { count: walker.malformed.count, first: walker.malformed.first }, unsettled }
}

/**
 * A protocol-level batch's summary: the simulator's summary, what a run's status means at this
 * level, where each transition's payloads came from, and the candidate sends skipped as malformed.
 *
 * @example
 * import { reorder } from "./FaultPlan.ts"
 * const text = formatSummary(
 *   { runs: 1, steps: 3, elapsedMs: 1, statuses: { completed: 1, stuck: 0, limit: 0, violation: 0 }, witnessed: new Map(), violations: 0, firstFailure: undefined, lastTrace: undefined,
 *     sources: [{ transition: "clientSend", tag: "req", source: "model" }], malformed: { count: 0, first: undefined }, unsettled: 0 },
 *   { name: "calculator", parameters: {}, seed: 1, runs: 1, faults: reorder }
 * )
 * text.includes("payloads    clientSend (req): model") // => true
 */
export const formatSummary = (summary: WalkSummary, options: Report.SummaryOptions): string => {
  const lines = Report.formatSummary(summary, options).split("\n")
  const extra = [
    `level       protocol: random enabled steps of the transitions, no programs ("completed" = no step was enabled)`,
    ...summary.sources.map((s, i) => `${i === 0 ? "payloads    " : "            "}${s.transition} (${s.tag}): ${s.source}`)
  ]
  if (summary.unsettled > 0) {
    extra.push(
      `note: ${summary.unsettled} run(s) stopped as "limit" before --max-steps: no step was found enabled, but no sampled payload passing a guard does not show that none would`
    )
  }
  if (summary.malformed.count > 0) {
    extra.push(`warning: ${summary.malformed.count} candidate send(s) skipped for a receiver of the wrong role or a payload outside its schema; first: ${summary.malformed.first}`)
  }
  return [lines[0]!, ...extra, ...lines.slice(1)].join("\n")
}
