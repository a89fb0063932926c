/**
 * Two-Phase Commit: protocol, programs, properties, and the systems `protoweave` lists as
 * `two-phase-commit` and `two-phase-commit/commit-on-any-yes`.
 *
 * @since 0.1.0
 */
import { match, P } from "ts-pattern"
import type { Model } from "../../core/Model.ts"
import * as Manifest from "../../core/Manifest.ts"
import type * as Program from "../../core/Program.ts"
import { withInvariant } from "../../combinators/WithInvariant.ts"
import * as Property from "../../core/Property.ts"
import type { Statelet } from "../../core/Statelet.ts"
import * as System from "../../core/System.ts"
import type { NodesOf } from "../../core/Protocol.ts"
import * as Programs from "./Programs.ts"
import * as TwoPhaseCommitProtocol from "./Protocol.ts"

type Shape = NonNullable<TwoPhaseCommitProtocol.TwoPhaseCommitProtocol["~shape"]>
type Entry = typeof TwoPhaseCommitProtocol.LogEntry.Type

const sameEntry = (a: Entry, b: Entry): boolean => a.commit === b.commit && a.data === b.data

const sameLog = (a: ReadonlyArray<Entry>, b: ReadonlyArray<Entry>): boolean =>
  a.length === b.length && a.every((e, i) => sameEntry(e, b[i]!))

const logsOf = (s: Statelet<Shape>, nodes: NodesOf<Shape>): ReadonlyArray<ReadonlyArray<Entry>> => [
  ...nodes.coordinator.map((c) => s.locals.coordinator[c]!.log),
  ...nodes.participant.map((p) => s.locals.participant[p]!.log)
]

/** Is the participant idle in the coordinator's era, with the coordinator's log? */
const idleWith = (cn: TwoPhaseCommitProtocol.CoordinatorState, pt: TwoPhaseCommitProtocol.ParticipantState): boolean =>
  pt.phase.tag === "init" && pt.era === cn.era && sameLog(pt.log, cn.log)

type Coordinator = TwoPhaseCommitProtocol.CoordinatorState
type Participant = TwoPhaseCommitProtocol.ParticipantState

/**
 * The topologies Two-Phase Commit is meant for: one coordinator (Disel's `cn`), any number of
 * participants. With two coordinators a participant can vote on one's prepare and log the other's
 * data, so log agreement only holds here; the Lean export adds this to its well-formed topologies.
 */
export const oneCoordinator = (nodes: NodesOf<Shape>): boolean => nodes.coordinator.length === 1

/** The participant is in the coordinator's era with the coordinator's log (it has not decided the era yet). */
const inEra = (cn: Coordinator, pt: Participant): boolean => pt.era === cn.era && sameLog(pt.log, cn.log)

/** The participant is in the coordinator's era and has logged its decision `{ commit, data }`. */
const decided = (cn: Coordinator, commit: boolean, data: number, pt: Participant): boolean =>
  pt.era === cn.era && sameLog(pt.log, [...cn.log, { commit, data }])

/** The participant has logged the era's decision `{ commit, data }`, acknowledged it, and is idle in the next era. */
const movedOn = (cn: Coordinator, commit: boolean, data: number, pt: Participant): boolean =>
  pt.era === cn.era + 1 && pt.phase.tag === "init" && sameLog(pt.log, [...cn.log, { commit, data }])

/**
 * Where a participant can be in each phase of the coordinator's era (Disel's per-phase
 * `pt_state` descriptions): idle before the first prepare; between idle and voted, on the era's
 * data, until every vote is in; after a commit, voted yes, committed, or moved on with the commit
 * logged; after an abort, voted, aborted, or moved on with the abort logged.
 */
const participantFits = (cn: Coordinator, pt: Participant): boolean =>
  match<TwoPhaseCommitProtocol.CoordinatorPhase, boolean>(cn.phase)
    .with({ tag: "init" }, () => pt.phase.tag === "init" && inEra(cn, pt))
    .with({ tag: P.union("sentPrepare", "waitVotes") }, (p) =>
      inEra(cn, pt) &&
      (pt.phase.tag === "init" ||
        ((pt.phase.tag === "gotPrepare" || pt.phase.tag === "votedYes" || pt.phase.tag === "votedNo") && pt.phase.data === p.data))
    )
    .with({ tag: P.union("sentCommit", "waitAckCommit") }, (p) =>
      (pt.phase.tag === "votedYes" && pt.phase.data === p.data && inEra(cn, pt)) ||
      (pt.phase.tag === "committed" && pt.phase.data === p.data && decided(cn, true, p.data, pt)) ||
      movedOn(cn, true, p.data, pt)
    )
    .with({ tag: P.union("sentAbort", "waitAckAbort") }, (p) =>
      ((pt.phase.tag === "votedYes" || pt.phase.tag === "votedNo") && pt.phase.data === p.data && inEra(cn, pt)) ||
      (pt.phase.tag === "aborted" && pt.phase.data === p.data && decided(cn, false, p.data, pt)) ||
      movedOn(cn, false, p.data, pt)
    )
    .exhaustive()

/** Every vote the coordinator has counted is the vote its participant cast. */
const votesFit = (s: Statelet<Shape>, nodes: NodesOf<Shape>, cn: Coordinator): boolean =>
  match<TwoPhaseCommitProtocol.CoordinatorPhase, boolean>(cn.phase)
    .with({ tag: "waitVotes" }, (p) =>
      p.votes.every(
        (v) =>
          !(nodes.participant as ReadonlyArray<string>).includes(v.node) ||
          (v.yes ? s.locals.participant[v.node]!.phase.tag === "votedYes" : s.locals.participant[v.node]!.phase.tag === "votedNo")
      )
    )
    .with({ tag: P.union("init", "sentPrepare", "sentCommit", "sentAbort", "waitAckCommit", "waitAckAbort") }, () => true)
    .exhaustive()

/** Every participant whose acknowledgement the coordinator has counted has moved on with the decision logged. */
const ackedFit = (s: Statelet<Shape>, nodes: NodesOf<Shape>, cn: Coordinator): boolean =>
  match<TwoPhaseCommitProtocol.CoordinatorPhase, boolean>(cn.phase)
    .with({ tag: "waitAckCommit" }, (p) =>
      p.acked.every((n) => !(nodes.participant as ReadonlyArray<string>).includes(n) || movedOn(cn, true, p.data, s.locals.participant[n]!))
    )
    .with({ tag: "waitAckAbort" }, (p) =>
      p.acked.every((n) => !(nodes.participant as ReadonlyArray<string>).includes(n) || movedOn(cn, false, p.data, s.locals.participant[n]!))
    )
    .with({ tag: P.union("init", "sentPrepare", "waitVotes", "sentCommit", "sentAbort") }, () => true)
    .exhaustive()

/**
 * No message is from a later era than the coordinator's, and the messages of its era fit its
 * phase: none before the first prepare; prepares carry the era's data; a vote comes from a
 * participant that cast it (while votes are collected); commits and commit acknowledgements only
 * after a commit, with no `no` vote in the era; aborts and abort acknowledgements only after an
 * abort; an acknowledgement comes from a participant that moved on. Older messages are ignored by
 * every step, whatever they say.
 */
const soupFits = (s: Statelet<Shape>, nodes: NodesOf<Shape>, cn: Coordinator): boolean =>
  s.soup.every(
    (m) =>
      m.payload.era < cn.era ||
      (m.payload.era === cn.era &&
        match<TwoPhaseCommitProtocol.CoordinatorPhase, boolean>(cn.phase)
          .with({ tag: "init" }, () => false)
          .with({ tag: P.union("sentPrepare", "waitVotes") }, (p) =>
            (m.tag === "prepare" && m.payload.data === p.data) ||
            (m.tag === "yes" && (nodes.participant as ReadonlyArray<string>).includes(m.from) && s.locals.participant[m.from]!.phase.tag === "votedYes") ||
            (m.tag === "no" && (nodes.participant as ReadonlyArray<string>).includes(m.from) && s.locals.participant[m.from]!.phase.tag === "votedNo")
          )
          .with({ tag: P.union("sentCommit", "waitAckCommit") }, (p) =>
            (m.tag === "prepare" && m.payload.data === p.data) ||
            m.tag === "yes" ||
            m.tag === "commit" ||
            (m.tag === "ackCommit" && (!(nodes.participant as ReadonlyArray<string>).includes(m.from) || movedOn(cn, true, p.data, s.locals.participant[m.from]!)))
          )
          .with({ tag: P.union("sentAbort", "waitAckAbort") }, (p) =>
            (m.tag === "prepare" && m.payload.data === p.data) ||
            m.tag === "yes" ||
            m.tag === "no" ||
            m.tag === "abort" ||
            (m.tag === "ackAbort" && (!(nodes.participant as ReadonlyArray<string>).includes(m.from) || movedOn(cn, false, p.data, s.locals.participant[m.from]!)))
          )
          .exhaustive())
  )

/**
 * Two-Phase Commit's specification as invariant layers of its coherence (Disel's `WithInv`). A
 * log's entry `i` is the decision of era `i`: every node appends exactly one entry per era, before
 * it leaves that era. Every system of the protocol checks each layer by name, and the Lean export
 * proves their conjunction inductive (`assumed_inductive`).
 */
const agreement = (p: TwoPhaseCommitProtocol.TwoPhaseCommitProtocol) => {
  /** Any two nodes' logs agree on every era both have decided (Disel's `pt_log_agreement`, pairwise). */
  const logs = withInvariant(p, "logAgreement", (s, nodes) =>
    logsOf(s, nodes).every((a) => logsOf(s, nodes).every((b) => a.every((e, i) => i >= b.length || sameEntry(e, b[i]!))))
  )
  /** A commit of era `e` is logged anywhere only if no participant ever voted no in era `e` (the soup keeps every vote). */
  const valid = withInvariant(logs, "commitValidity", (s, nodes) =>
    logsOf(s, nodes).every((log) =>
      log.every((entry, era) => !entry.commit || !s.soup.some((m) => m.tag === "no" && m.payload.era === era))
    )
  )
  /**
   * When the coordinator is idle at era `r`, every participant is idle at era `r` with the
   * coordinator's log (Disel's `cn_log_agreement`): a round ends only after everyone has logged it.
   */
  return withInvariant(valid, "coordinatorAgreement", (s, nodes) =>
    nodes.coordinator.every(
      (c) =>
        s.locals.coordinator[c]!.phase.tag !== "init" ||
        nodes.participant.every((q) => idleWith(s.locals.coordinator[c]!, s.locals.participant[q]!))
    )
  )
}

/**
 * The bundled protocol, with the strengthened invariant that makes log agreement inductive
 * (Disel's `TwoPhaseInductiveInv.v`) as its last layer, `tpcInv`: the coordinator has logged one
 * decision per past era; every participant's state, every counted vote and acknowledgement, and
 * every message of the current era fit the coordinator's phase. Each participant's log is then the
 * coordinator's, or the coordinator's with the current era's decision appended, which gives
 * `logAgreement` and `coordinatorAgreement`.
 */
export const protocol = withInvariant(agreement(TwoPhaseCommitProtocol.make()), "tpcInv", (s, nodes) =>
  nodes.coordinator.every((c) => {
    const cn = s.locals.coordinator[c]!
    return (
      cn.log.length === cn.era &&
      nodes.participant.every((q) => participantFits(cn, s.locals.participant[q]!)) &&
      votesFit(s, nodes, cn) &&
      ackedFit(s, nodes, cn) &&
      soupFits(s, nodes, cn)
    )
  })
)

/**
 * The broken protocol whose coordinator may commit as soon as one vote is yes. `tpcInv`
 * describes the correct protocol's states, which this one leaves at its first commit despite a
 * no vote, so it is no layer here; the variant is meant to be caught by `commitValidity`.
 */
export const commitOnAnyYesProtocol = agreement(TwoPhaseCommitProtocol.make({ commitOnAnyYes: true }))

/**
 * The properties of a Two-Phase Commit system besides its protocol's invariant layers (which
 * every system of the protocol checks): witnesses that its rounds both commit and abort.
 */
export const properties = (p: TwoPhaseCommitProtocol.TwoPhaseCommitProtocol) => [
  /** Non-vacuity: some round commits. */
  Property.sometimes(p, "roundCommits", (s, nodes) => logsOf(s, nodes).some((log) => log.some((e) => e.commit))),
  /** Non-vacuity: some round aborts. */
  Property.sometimes(p, "roundAborts", (s, nodes) => logsOf(s, nodes).some((log) => log.some((e) => !e.commit)))
]

/**
 * Liveness of a system running `rounds` rounds: every participant eventually applies the decision
 * of every round (logs `rounds` decisions), under weak fairness; a dropped message breaks it, since
 * the protocol does not retransmit. Checked on the unreduced state graph (`docs/liveness.md`).
 */
export const liveness = (p: TwoPhaseCommitProtocol.TwoPhaseCommitProtocol, rounds: number) => [
  Property.eventually(p, "everyoneAppliesEveryRound", (s, nodes) => nodes.participant.every((q) => s.locals.participant[q]!.log.length === rounds))
]

/** The data the bundled coordinator proposes in era `era`. */
export const dataOf = (era: number): number => 100 + era

/**
 * The bundled participants' votes: the first participant votes no in odd eras, everyone else
 * always votes yes, so that even eras commit and odd eras abort.
 *
 * @example
 * const vote = votes(["p1", "p2"])
 * [vote("p1", 1), vote("p2", 1), vote("p1", 2)] // => [false, true, true]
 */
export const votes =
  (participants: ReadonlyArray<string>) =>
  (self: string, era: number): boolean =>
    !(self === participants[0] && era % 2 === 1)

const parameters = {
  participants: { description: "number of participants", default: 3, min: 1, max: 20 },
  rounds: { description: "rounds the coordinator runs", default: 2, min: 1, max: 20 }
}

const build = (
  p: TwoPhaseCommitProtocol.TwoPhaseCommitProtocol,
  commitOnAnyYes: boolean,
  sizes: { readonly [name: string]: number }
) => {
  const participants = Array.from({ length: sizes.participants ?? parameters.participants.default }, (_, i) => `p${i + 1}`)
  const rounds = sizes.rounds ?? parameters.rounds.default
  const vote = votes(participants)
  const programs: Record<string, Program.Program<Shape>> = {
    c: Programs.coordinator(p, { rounds, dataOf, commitOnAnyYes })
  }
  for (const q of participants) programs[q] = Programs.participant(p, rounds, vote)
  return System.make({ protocol: p, nodes: { coordinator: ["c"], participant: participants }, programs, properties: [...properties(p), ...liveness(p, rounds)] })
}

/**
 * The bundled system: coordinator `c` runs `rounds` rounds with participants `p1..pN`, where `p1`
 * votes no in odd eras.
 *
 * @example
 * system({ participants: 2 }).topology.all // => ["c", "p1", "p2"]
 */
export const system = (sizes: { readonly [name: string]: number } = {}) => build(protocol, false, sizes)

/**
 * The model the checker explores: the protocol alone (no programs), every era below `rounds`
 * with its bundled data, the soup with its history (`commitValidity` reads past votes). The
 * coordinator can start no era past the last, so the state space is finite; a state is final when
 * every node has logged `rounds` decisions and is idle.
 *
 * @example
 * model({ participants: 2, rounds: 1 }).soup // => "history"
 */
export const model = (sizes: { readonly [name: string]: number } = {}, p = protocol, commitOnAnyYes = false): Model => {
  const rounds = sizes.rounds ?? parameters.rounds.default
  const eras = Array.from({ length: rounds }, (_, era) => ({ era }))
  return {
    system: build(p, commitOnAnyYes, sizes),
    soup: "history",
    payloads: {
      prepare: eras.map(({ era }) => ({ era, data: dataOf(era) })),
      yes: eras,
      no: eras,
      commit: eras,
      abort: eras,
      ackCommit: eras,
      ackAbort: eras
    },
    symmetric: ["participant"],
    final: (s, nodes) =>
      nodes.coordinator.every((c) => s.locals.coordinator[c]!.log.length === rounds && s.locals.coordinator[c]!.phase.tag === "init") &&
      nodes.participant.every((q) => s.locals.participant[q]!.log.length === rounds && s.locals.participant[q]!.phase.tag === "init")
  }
}

/**
 * A broken program on the correct protocol: the coordinator decides commit on any yes, and the
 * guard of `sendCommit` refuses its commit (a `ProtocolViolation`) in the first round with a no.
 *
 * @example
 * eagerCoordinator({ participants: 2 }).programs.get("c")?.role // => "coordinator"
 */
export const eagerCoordinator = (sizes: { readonly [name: string]: number } = {}) => {
  const participants = Array.from({ length: sizes.participants ?? parameters.participants.default }, (_, i) => `p${i + 1}`)
  const rounds = sizes.rounds ?? parameters.rounds.default
  const vote = votes(participants)
  return System.make({
    protocol,
    nodes: { coordinator: ["c"], participant: participants },
    programs: {
      c: Programs.coordinator(protocol, { rounds, dataOf, commitOnAnyYes: true }),
      ...Object.fromEntries(participants.map((q) => [q, Programs.participant(protocol, rounds, vote)]))
    },
    properties: properties(protocol)
  })
}

/** The families `protoweave` lists. */
export const families: ReadonlyArray<System.Family> = [
  {
    name: "two-phase-commit",
    description: "Disel's Two-Phase Commit: a coordinator runs rounds of prepare, vote, commit/abort, acknowledge",
    broken: false,
    tolerates: ["drop", "duplicate", "crash", "restart"],
    parameters,
    make: system,
    model: (sizes) => model(sizes)
  },
  {
    name: "two-phase-commit/commit-on-any-yes",
    description: "the commit guard accepts any yes vote and the coordinator commits on one; commitValidity fails",
    broken: true,
    tolerates: [],
    parameters,
    make: (sizes) => build(commitOnAnyYesProtocol, true, sizes),
    model: (sizes) => model(sizes, commitOnAnyYesProtocol, true)
  }
]

export { Programs, TwoPhaseCommitProtocol as Protocol }

/** What `protoweave` reads of Two-Phase Commit: its families, and what its Lean export needs. */
export const manifest = Manifest.make({
  module: import.meta.url,
  families,
  lean: {
    protocols: [
      {
        name: "TwoPhaseCommit",
        family: "two-phase-commit",
        protocol: protocol as unknown as Manifest.ProtocolExport["protocol"],
        schemas: TwoPhaseCommitProtocol,
        protocolFile: Manifest.source(import.meta.url, "./Protocol.ts"),
        propertiesFile: Manifest.source(import.meta.url, "./index.ts"),
        properties: properties(protocol),
        parameters: { commitOnAnyYes: { value: false } },
        topology: "oneCoordinator",
        sizes: { participants: 2, rounds: 2 }
      }
    ]
  }
})
