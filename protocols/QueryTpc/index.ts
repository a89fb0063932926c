/**
 * Query over Two-Phase Commit as a world — its properties, model and the families `protoweave`
 * lists as `query-tpc`, `query-tpc/lying-answerer` (the hook refuses the lie) and
 * `query-tpc/no-hook` (without the hook, the lie gets through and `answersAgree` fails).
 *
 * @since 0.1.0
 */
import { match, P } from "ts-pattern"
import type { Model } from "../../core/Model.ts"
import * as Manifest from "../../core/Manifest.ts"
import type { Statelet } from "../../core/Statelet.ts"
import type * as System from "../../core/System.ts"
import * as World from "../../combinators/World.ts"
import * as TwoPhaseCommit from "../TwoPhaseCommit/index.ts"
import * as Programs from "./Programs.ts"
import * as QueryTpcProtocol from "./Protocol.ts"
import { answerWithOwnLog, query, unhookedWorld, world } from "./Protocol.ts"

export { answerWithOwnLog, Programs, query, QueryTpcProtocol as Protocol, unhookedWorld, world }

type Protocols = typeof world.protocols

type Entry = { readonly commit: boolean; readonly data: number }
type Coordinator = typeof TwoPhaseCommit.Protocol.CoordinatorState.Type

/** Two logs agree on every era both have decided. */
const compatible = (a: ReadonlyArray<Entry>, b: ReadonlyArray<Entry>): boolean => a.every((e, i) => i >= b.length || (e.commit === b[i]!.commit && e.data === b[i]!.data))

/** `a` is a prefix of `b`. */
const isPrefixOf = (a: ReadonlyArray<Entry>, b: ReadonlyArray<Entry>): boolean => a.length <= b.length && a.every((e, i) => e.commit === b[i]!.commit && e.data === b[i]!.data)

/** The decision the coordinator has taken in its era and not logged yet: it logs it once every participant has acknowledged it. */
const pendingDecision = (cn: Coordinator): ReadonlyArray<Entry> =>
  match<TwoPhaseCommit.Protocol.CoordinatorPhase, ReadonlyArray<Entry>>(cn.phase)
    .with({ tag: P.union("sentCommit", "waitAckCommit") }, (p) => [{ commit: true, data: p.data }])
    .with({ tag: P.union("sentAbort", "waitAckAbort") }, (p) => [{ commit: false, data: p.data }])
    .with({ tag: P.union("init", "sentPrepare", "waitVotes") }, () => [])
    .exhaustive()

/**
 * The worlds Query over Two-Phase Commit is meant for: every answerer is a participant of Two-Phase
 * Commit (the hook reads its participant state). The Lean export adds this to its well-formed topologies.
 */
export const answerersParticipate = (nodes: World.WorldNodes<Protocols>): boolean =>
  nodes.query.answerer.every((a) => (nodes.tpc.participant as ReadonlyArray<string>).includes(a))

/** The world's properties: Two-Phase Commit's own (its invariant layers and witnesses), and what answers carry. */
export const properties = (w: World.World<"queryTpc", Protocols, any>) => [
  ...[...(TwoPhaseCommit.protocol.invariants ?? []), ...TwoPhaseCommit.properties(TwoPhaseCommit.protocol)].map((p) => World.lift(w, "tpc", p)),
  /** Every answer sent is a log of as many decisions as its era, agreeing with the coordinator's (Disel's postcondition, as an invariant). */
  World.always(w, "answersAgree", (s, nodes) =>
    s.query.soup.every(
      (m) =>
        m.tag !== "response" ||
        (m.payload.log.length === m.payload.era && nodes.tpc.coordinator.every((c) => compatible(m.payload.log, s.tpc.locals.coordinator[c]!.log)))
    )
  ),
  /**
   * The strengthened invariant behind `answersAgree`: every answer sent is a log of as many
   * decisions as its era, and a prefix of the coordinator's log followed by the decision it has
   * taken and not logged yet. That sequence only grows, and an idle participant's log is a prefix
   * of it (`tpcInv`), which is what the hook makes an answer.
   */
  World.always(w, "answersFromLog", (s, nodes) =>
    s.query.soup.every(
      (m) =>
        m.tag !== "response" ||
        (m.payload.log.length === m.payload.era &&
          nodes.tpc.coordinator.every((c) => isPrefixOf(m.payload.log, [...s.tpc.locals.coordinator[c]!.log, ...pendingDecision(s.tpc.locals.coordinator[c]!)])))
    )
  ),
  /** Non-vacuity: the asker holds an answer with a decided log. */
  World.sometimes(w, "answeredWithLog", (s) => Object.values(s.query.locals.asker).some((a) => a.answers.some((x) => x.log.length > 0)))
]

const parameters = {
  participants: { description: "number of participants", default: 2, min: 1, max: 10 },
  rounds: { description: "rounds the coordinator runs before it asks", default: 2, min: 1, max: 10 }
}

const build = (w: World.World<"queryTpc", Protocols, any>, sizes: { readonly [name: string]: number }, lie = false, withPrograms = true) => {
  const participants = Array.from({ length: sizes.participants ?? parameters.participants.default }, (_, i) => `p${i + 1}`)
  const rounds = sizes.rounds ?? parameters.rounds.default
  const vote = TwoPhaseCommit.votes(participants)
  return World.system(w, {
    placement: { tpc: { coordinator: ["c"], participant: participants }, query: { asker: ["c"], answerer: participants } },
    properties: properties(w),
    programs: withPrograms
      ? Object.fromEntries([["c", Programs.coordinator(rounds)], ...participants.map((p) => [p, Programs.participant(rounds, vote, lie)] as const)])
      : {}
  })
}

/**
 * The world with coordinator (and asker) `c` and participants (and answerers) `p1..pN`.
 *
 * @example
 * system({ participants: 2 }).topology.all // => ["c", "p1", "p2"]
 */
export const system = (sizes: { readonly [name: string]: number } = {}) => build(world, sizes)

/**
 * The model the checker explores: Two-Phase Commit's model (every vote, the history soup) with
 * the query protocol on top; answers range over every log of at most `rounds` decisions, so the
 * hook is what keeps the wrong ones out.
 *
 * @example
 * model({ participants: 1, rounds: 1 }).soup // => "history"
 */
export const model = (sizes: { readonly [name: string]: number } = {}, w: World.World<"queryTpc", Protocols, any> = world): Model => {
  const rounds = sizes.rounds ?? parameters.rounds.default
  const core = TwoPhaseCommit.model({ participants: sizes.participants ?? parameters.participants.default, rounds })
  const system = build(w, sizes, false, false)
  const logs = (n: number): Array<Array<Entry>> =>
    n === 0 ? [[]] : logs(n - 1).flatMap((log) => (log.length === n - 1 ? [log, ...[true, false].map((commit) => [...log, { commit, data: TwoPhaseCommit.dataOf(n - 1) }])] : [log]))
  const answers = logs(rounds).flatMap((log) => Array.from({ length: rounds + 1 }, (_, era) => ({ rid: 0, era, log })))
  const payloads = Object.fromEntries([
    ...Object.entries(core.payloads!).map(([tag, values]) => [`tpc.${tag}`, values]),
    ["query.response", [...answers, ...answers.map((a) => ({ ...a, rid: 1 }))]]
  ])
  const tpcFinal = core.final!
  return {
    system,
    soup: "history",
    payloads,
    final: (s: Statelet) => {
      const asker = system.instance.project(s, "query").locals as unknown as {
        asker: Record<string, { waiting: ReadonlyArray<unknown> }>
        answerer: Record<string, { owed: ReadonlyArray<unknown> }>
      }
      return (
        tpcFinal(system.instance.project(s, "tpc") as any, system.instance.placement.tpc as any) &&
        Object.values(asker.asker).every((a) => a.waiting.length === 0) &&
        Object.values(asker.answerer).every((a) => a.owed.length === 0)
      )
    }
  }
}

/** The families `protoweave` lists. */
export const families: ReadonlyArray<System.Family> = [
  {
    name: "query-tpc",
    description: "Disel's QueryPlusTPC: the coordinator runs its rounds, then asks a participant, whose answer the hook ties to its own log",
    broken: false,
    tolerates: [],
    parameters,
    make: system,
    model: (sizes) => model(sizes)
  },
  {
    name: "query-tpc/lying-answerer",
    description: "participants answer with an empty log; the hook refuses the answer (a ProtocolViolation naming it)",
    broken: true,
    tolerates: [],
    parameters,
    make: (sizes) => build(world, sizes, true)
  },
  {
    name: "query-tpc/no-hook",
    description: "the world without the hook, and lying answerers: the lie is delivered and answersAgree fails",
    broken: true,
    tolerates: [],
    parameters,
    make: (sizes) => build(unhookedWorld, sizes, true),
    model: (sizes) => model(sizes, unhookedWorld)
  }
]

/** What `protoweave` reads of Query over Two-Phase Commit: its families, and what the Lean export of its world needs. */
export const manifest = Manifest.make({
  module: import.meta.url,
  families,
  lean: {
    worlds: [
      {
        name: "QueryTpc",
        family: "query-tpc",
        core: TwoPhaseCommit.manifest.lean.protocols.find((p) => p.name === "TwoPhaseCommit")!,
        world: world as unknown as Manifest.WorldExport["world"],
        client: {
          protocol: query as unknown as Manifest.ProtocolExport["protocol"],
          schemas: QueryTpcProtocol,
          protocolFile: Manifest.source(import.meta.url, "./Protocol.ts"),
          propertiesFile: Manifest.source(import.meta.url, "./Protocol.ts"),
          properties: [],
          parameters: {}
        },
        hooksFile: Manifest.source(import.meta.url, "./Protocol.ts"),
        propertiesFile: Manifest.source(import.meta.url, "./index.ts"),
        properties: properties(world),
        topology: "answerersParticipate",
        sizes: { participants: 1, rounds: 1 }
      }
    ]
  }
})
