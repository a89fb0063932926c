/**
 * The Two-Phase Commit protocol (Disel, `Examples/TwoPhaseCommit/TwoPhaseProtocol.v`; POPL'18
 * §4.1–4.3), at Disel's granularity: one transition per message, so that every send and every
 * receive is one step of the network.
 *
 * A coordinator runs numbered rounds ("eras"). In each it sends `prepare` with the round's data to
 * every participant, collects a `yes` or `no` vote from each, then sends `commit` to all if every
 * vote is yes and `abort` to all otherwise, and waits for every participant's acknowledgement
 * before logging the decision and starting the next era. A participant logs the decision when it
 * receives it and moves to the next era when it acknowledges.
 *
 * Every message carries the era it belongs to, and every step ignores a message of another era,
 * exactly as Disel's `cstep_recv` / `pstep_recv` do: that is what makes stale or duplicated
 * messages harmless. `make({ commitOnAnyYes: true })` builds the deliberately broken variant whose
 * coordinator may commit as soon as one vote is yes.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { match, P } from "ts-pattern"
import * as Protocol from "../../core/Protocol.ts"

/** A decided round as a node logs it (Disel's `(bool * seq nat)`): the decision and the data. */
export const LogEntry = Schema.Struct({ commit: Schema.Boolean, data: Schema.Int })

/** One participant's answer, as the coordinator records it. */
export const Vote = Schema.Struct({ node: Schema.String, yes: Schema.Boolean })

const NodeList = Schema.Array(Schema.String)

/**
 * Where the coordinator is within its era (Disel's `CState`): which participants it has sent the
 * current message to, which votes and acknowledgements it has received.
 */
export const CoordinatorPhase = Schema.Union([
  Schema.Struct({ tag: Schema.Literal("init") }),
  Schema.Struct({ tag: Schema.Literal("sentPrepare"), data: Schema.Int, sent: NodeList }),
  Schema.Struct({ tag: Schema.Literal("waitVotes"), data: Schema.Int, votes: Schema.Array(Vote) }),
  Schema.Struct({ tag: Schema.Literal("sentCommit"), data: Schema.Int, sent: NodeList }),
  Schema.Struct({ tag: Schema.Literal("sentAbort"), data: Schema.Int, sent: NodeList }),
  Schema.Struct({ tag: Schema.Literal("waitAckCommit"), data: Schema.Int, acked: NodeList }),
  Schema.Struct({ tag: Schema.Literal("waitAckAbort"), data: Schema.Int, acked: NodeList })
])

/** The coordinator's phase, as a type. */
export type CoordinatorPhase = typeof CoordinatorPhase.Type

/** The coordinator's local state: its era, its phase in that era, and the decisions so far. */
export const CoordinatorState = Schema.Struct({ era: Schema.Int, phase: CoordinatorPhase, log: Schema.Array(LogEntry) })

/** The coordinator's local state, as a type. */
export type CoordinatorState = typeof CoordinatorState.Type

/** Where a participant is within its era (Disel's `PState`). */
export const ParticipantPhase = Schema.Union([
  Schema.Struct({ tag: Schema.Literal("init") }),
  Schema.Struct({ tag: Schema.Literal("gotPrepare"), data: Schema.Int }),
  Schema.Struct({ tag: Schema.Literal("votedYes"), data: Schema.Int }),
  Schema.Struct({ tag: Schema.Literal("votedNo"), data: Schema.Int }),
  Schema.Struct({ tag: Schema.Literal("committed"), data: Schema.Int }),
  Schema.Struct({ tag: Schema.Literal("aborted"), data: Schema.Int })
])

/** A participant's phase, as a type. */
export type ParticipantPhase = typeof ParticipantPhase.Type

/** A participant's local state: its era, its phase in that era, and the decisions so far. */
export const ParticipantState = Schema.Struct({ era: Schema.Int, phase: ParticipantPhase, log: Schema.Array(LogEntry) })

/** A participant's local state, as a type. */
export type ParticipantState = typeof ParticipantState.Type

/** The `prepare` request: the era and the data to decide on. */
export const Prepare = Schema.Struct({ era: Schema.Int, data: Schema.Int })

/** Every other message carries only the era it belongs to. */
export const EraMessage = Schema.Struct({ era: Schema.Int })

/** The options of `make`. */
export interface TwoPhaseCommitOptions {
  /**
   * Let the coordinator commit when at least one vote is yes (and abort only when all are no).
   * Only the broken variant `two-phase-commit/commit-on-any-yes` turns this on.
   */
  readonly commitOnAnyYes?: boolean
}

const allListed = (nodes: ReadonlyArray<string>, listed: ReadonlyArray<string>): boolean =>
  nodes.every((n) => listed.includes(n))

const allVoted = (nodes: ReadonlyArray<string>, votes: ReadonlyArray<{ readonly node: string }>): boolean =>
  nodes.every((n) => votes.some((v) => v.node === n))

const afterPrepare = (s: CoordinatorState, data: number, sent: ReadonlyArray<string>, participants: ReadonlyArray<string>): CoordinatorState => ({
  ...s,
  phase: allListed(participants, sent) ? { tag: "waitVotes", data, votes: [] } : { tag: "sentPrepare", data, sent }
})

const afterCommit = (s: CoordinatorState, data: number, sent: ReadonlyArray<string>, participants: ReadonlyArray<string>): CoordinatorState => ({
  ...s,
  phase: allListed(participants, sent) ? { tag: "waitAckCommit", data, acked: [] } : { tag: "sentCommit", data, sent }
})

const afterAbort = (s: CoordinatorState, data: number, sent: ReadonlyArray<string>, participants: ReadonlyArray<string>): CoordinatorState => ({
  ...s,
  phase: allListed(participants, sent) ? { tag: "waitAckAbort", data, acked: [] } : { tag: "sentAbort", data, sent }
})

const afterAck = (
  s: CoordinatorState,
  commit: boolean,
  data: number,
  acked: ReadonlyArray<string>,
  participants: ReadonlyArray<string>
): CoordinatorState =>
  allListed(participants, acked)
    ? { era: s.era + 1, phase: { tag: "init" }, log: [...s.log, { commit, data }] }
    : { ...s, phase: commit ? { tag: "waitAckCommit", data, acked } : { tag: "waitAckAbort", data, acked } }

/**
 * Builds the Two-Phase Commit protocol, label `"tpc"`.
 *
 * @example
 * const tpc = make()
 * tpc.sendOf.get("commit")?.name // => "sendCommit"
 */
export const make = (options: TwoPhaseCommitOptions = {}) => {
  const commitOnAnyYes = options.commitOnAnyYes ?? false
  const Tpc = Protocol.signature({
    label: "tpc",
    roles: { coordinator: CoordinatorState, participant: ParticipantState },
    initial: {
      coordinator: { era: 0, phase: { tag: "init" }, log: [] },
      participant: { era: 0, phase: { tag: "init" }, log: [] }
    },
    messages: {
      prepare: Prepare,
      yes: EraMessage,
      no: EraMessage,
      commit: EraMessage,
      abort: EraMessage,
      ackCommit: EraMessage,
      ackAbort: EraMessage
    }
  })

  /** The coordinator asks each participant once per era, about one datum, and waits only after asking all. */
  const sendPrepare = Tpc.send({
    tag: "prepare",
    from: "coordinator",
    to: "participant",
    guard: (s, to, m) =>
      m.era === s.era &&
      (s.phase.tag === "init" || (s.phase.tag === "sentPrepare" && s.phase.data === m.data && !s.phase.sent.includes(to))),
    step: (s, to, m, ctx) =>
      match<CoordinatorPhase, CoordinatorState>(s.phase)
        .with({ tag: "init" }, () => afterPrepare(s, m.data, [to], ctx.nodes.participant))
        .with({ tag: "sentPrepare" }, (p) => afterPrepare(s, p.data, [...p.sent, to], ctx.nodes.participant))
        .with({ tag: P.union("waitVotes", "sentCommit", "sentAbort", "waitAckCommit", "waitAckAbort") }, () => s)
        .exhaustive()
  })

  /** A participant votes yes only on the era's prepare it holds, once, before any decision. */
  const sendYes = Tpc.send({
    tag: "yes",
    from: "participant",
    to: "coordinator",
    guard: (s, _to, m) => s.phase.tag === "gotPrepare" && m.era === s.era,
    step: (s) => (s.phase.tag === "gotPrepare" ? { ...s, phase: { tag: "votedYes", data: s.phase.data } } : s)
  })

  /** A participant votes no only on the era's prepare it holds, once, before any decision. */
  const sendNo = Tpc.send({
    tag: "no",
    from: "participant",
    to: "coordinator",
    guard: (s, _to, m) => s.phase.tag === "gotPrepare" && m.era === s.era,
    step: (s) => (s.phase.tag === "gotPrepare" ? { ...s, phase: { tag: "votedNo", data: s.phase.data } } : s)
  })

  /** Commit only once every participant has voted and every vote is yes; then tell each participant once. */
  const sendCommit = Tpc.send({
    tag: "commit",
    from: "coordinator",
    to: "participant",
    guard: (s, to, m, ctx) =>
      m.era === s.era &&
      ((s.phase.tag === "waitVotes" &&
        allVoted(ctx.nodes.participant, s.phase.votes) &&
        (commitOnAnyYes ? s.phase.votes.some((v) => v.yes) : s.phase.votes.every((v) => v.yes))) ||
        (s.phase.tag === "sentCommit" && !s.phase.sent.includes(to))),
    step: (s, to, _m, ctx) =>
      match<CoordinatorPhase, CoordinatorState>(s.phase)
        .with({ tag: "waitVotes" }, (p) => afterCommit(s, p.data, [to], ctx.nodes.participant))
        .with({ tag: "sentCommit" }, (p) => afterCommit(s, p.data, [...p.sent, to], ctx.nodes.participant))
        .with({ tag: P.union("init", "sentPrepare", "sentAbort", "waitAckCommit", "waitAckAbort") }, () => s)
        .exhaustive()
  })

  /** Abort only once every participant has voted and some vote is no; then tell each participant once. */
  const sendAbort = Tpc.send({
    tag: "abort",
    from: "coordinator",
    to: "participant",
    guard: (s, to, m, ctx) =>
      m.era === s.era &&
      ((s.phase.tag === "waitVotes" &&
        allVoted(ctx.nodes.participant, s.phase.votes) &&
        (commitOnAnyYes ? s.phase.votes.every((v) => !v.yes) : s.phase.votes.some((v) => !v.yes))) ||
        (s.phase.tag === "sentAbort" && !s.phase.sent.includes(to))),
    step: (s, to, _m, ctx) =>
      match<CoordinatorPhase, CoordinatorState>(s.phase)
        .with({ tag: "waitVotes" }, (p) => afterAbort(s, p.data, [to], ctx.nodes.participant))
        .with({ tag: "sentAbort" }, (p) => afterAbort(s, p.data, [...p.sent, to], ctx.nodes.participant))
        .with({ tag: P.union("init", "sentPrepare", "sentCommit", "waitAckCommit", "waitAckAbort") }, () => s)
        .exhaustive()
  })

  /** A participant acknowledges a commit only after logging it, and only then leaves the era. */
  const sendAckCommit = Tpc.send({
    tag: "ackCommit",
    from: "participant",
    to: "coordinator",
    guard: (s, _to, m) => s.phase.tag === "committed" && m.era === s.era,
    step: (s) => ({ ...s, era: s.era + 1, phase: { tag: "init" } })
  })

  /** A participant acknowledges an abort only after logging it, and only then leaves the era. */
  const sendAckAbort = Tpc.send({
    tag: "ackAbort",
    from: "participant",
    to: "coordinator",
    guard: (s, _to, m) => s.phase.tag === "aborted" && m.era === s.era,
    step: (s) => ({ ...s, era: s.era + 1, phase: { tag: "init" } })
  })

  /** A participant takes the prepare of its own era when idle, and ignores any other (stale or duplicated). */
  const receivePrepare = Tpc.receive({
    tag: "prepare",
    by: "participant",
    step: (s, _from, m) => (s.phase.tag === "init" && m.era === s.era ? { ...s, phase: { tag: "gotPrepare", data: m.data } } : s)
  })

  /** Only a participant that voted yes in this era logs a commit; a commit can therefore never override a no. */
  const receiveCommit = Tpc.receive({
    tag: "commit",
    by: "participant",
    step: (s, _from, m) =>
      s.phase.tag === "votedYes" && m.era === s.era
        ? { ...s, phase: { tag: "committed", data: s.phase.data }, log: [...s.log, { commit: true, data: s.phase.data }] }
        : s
  })

  /** A participant that voted in this era logs an abort; one that has not voted yet ignores it. */
  const receiveAbort = Tpc.receive({
    tag: "abort",
    by: "participant",
    step: (s, _from, m) =>
      (s.phase.tag === "votedYes" || s.phase.tag === "votedNo") && m.era === s.era
        ? { ...s, phase: { tag: "aborted", data: s.phase.data }, log: [...s.log, { commit: false, data: s.phase.data }] }
        : s
  })

  /** The coordinator counts a yes only while collecting votes, only for this era, only once per participant. */
  const receiveYes = Tpc.receive({
    tag: "yes",
    by: "coordinator",
    accepts: (s) => s.phase.tag === "waitVotes",
    step: (s, from, m) =>
      s.phase.tag === "waitVotes" && m.era === s.era && !s.phase.votes.some((v) => v.node === from)
        ? { ...s, phase: { ...s.phase, votes: [...s.phase.votes, { node: from, yes: true }] } }
        : s
  })

  /** The coordinator counts a no only while collecting votes, only for this era, only once per participant. */
  const receiveNo = Tpc.receive({
    tag: "no",
    by: "coordinator",
    accepts: (s) => s.phase.tag === "waitVotes",
    step: (s, from, m) =>
      s.phase.tag === "waitVotes" && m.era === s.era && !s.phase.votes.some((v) => v.node === from)
        ? { ...s, phase: { ...s.phase, votes: [...s.phase.votes, { node: from, yes: false }] } }
        : s
  })

  /** The coordinator logs a commit only when every participant has acknowledged it, so every participant logged it first. */
  const receiveAckCommit = Tpc.receive({
    tag: "ackCommit",
    by: "coordinator",
    accepts: (s) => s.phase.tag === "waitAckCommit",
    step: (s, from, m, ctx) =>
      s.phase.tag === "waitAckCommit" && m.era === s.era && !s.phase.acked.includes(from)
        ? afterAck(s, true, s.phase.data, [...s.phase.acked, from], ctx.nodes.participant)
        : s
  })

  /** The coordinator logs an abort only when every participant has acknowledged it, so every participant logged it first. */
  const receiveAckAbort = Tpc.receive({
    tag: "ackAbort",
    by: "coordinator",
    accepts: (s) => s.phase.tag === "waitAckAbort",
    step: (s, from, m, ctx) =>
      s.phase.tag === "waitAckAbort" && m.era === s.era && !s.phase.acked.includes(from)
        ? afterAck(s, false, s.phase.data, [...s.phase.acked, from], ctx.nodes.participant)
        : s
  })

  return Tpc.protocol({
    sends: { sendPrepare, sendYes, sendNo, sendCommit, sendAbort, sendAckCommit, sendAckAbort },
    receives: { receivePrepare, receiveCommit, receiveAbort, receiveYes, receiveNo, receiveAckCommit, receiveAckAbort }
  })
}

/** The type of a Two-Phase Commit protocol built by `make` (the correct one and the broken one alike). */
export type TwoPhaseCommitProtocol = ReturnType<typeof make>
