/**
 * The model checker's benchmark: one round of Two-Phase Commit at Disel's granularity, as a plain
 * protoweave protocol (label `"tpcBench"`). Every send and every receive is its own step, and each
 * message `(from, to, tag)` is sent at most once, so with the checker's `active` soup (consumed
 * messages forgotten) the state space is finite and its size has a closed form:
 * `2·8^N + 5^N − 4^N − 2^N` distinct states for `N` participants.
 *
 * Unlike `protocols/TwoPhaseCommit`, there are no eras, no data and no logs: the states are exactly
 * the benchmark's, so that the distinct-state counts of every checker (and of the plain-JavaScript
 * baseline in `bench/checker/PlainBfs.ts`) must agree. For the same reason every state is
 * canonical: sets of participants are arrays kept in the topology's participant order and the
 * votes record is rebuilt in that order, never in arrival order, so equal abstract states are equal
 * values.
 *
 * `make({ commitOnAnyYes: true })` seeds the benchmark's bug: the coordinator may commit as soon as
 * one vote is yes.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as Protocol from "../../core/Protocol.ts"
import type { NodeId } from "../../typings/Protocol.ts"

/** Where the coordinator is in the round. */
export const CoordinatorPhase = Schema.Literals([
  "Init",
  "SentPrep",
  "WaitVotes",
  "SentCommit",
  "SentAbort",
  "WaitAckCommit",
  "WaitAckAbort",
  "Done"
])

/** The coordinator's phase, as a type. */
export type CoordinatorPhase = typeof CoordinatorPhase.Type

/** A participant's vote, as the coordinator records it. */
export const Vote = Schema.Literals(["yes", "no"])

/** A vote, as a type. */
export type Vote = typeof Vote.Type

/** A set of participants: node ids in the topology's participant order, each at most once. */
const ParticipantSet = Schema.Array(Schema.String)

/**
 * The coordinator's local state: its phase, the participants it has sent the current message to
 * (`sent`, used in the `Sent*` phases), the votes received so far, keyed by participant and kept
 * in participant order, and the participants that have acknowledged the decision (`acked`, used
 * in the `WaitAck*` phases). The votes are kept to the end: they are what `validity` reads.
 */
export const CoordinatorState = Schema.Struct({
  phase: CoordinatorPhase,
  sent: ParticipantSet,
  votes: Schema.Record(Schema.String, Vote),
  acked: ParticipantSet
})

/** The coordinator's local state, as a type. */
export type CoordinatorState = typeof CoordinatorState.Type

/** Where a participant is in the round. */
export const ParticipantPhase = Schema.Literals(["Init", "GotPrepare", "VotedYes", "VotedNo", "Committed", "Aborted", "Done"])

/** A participant's phase, as a type. */
export type ParticipantPhase = typeof ParticipantPhase.Type

/** The decision a participant has applied, if any. */
export const Decision = Schema.Literals(["none", "commit", "abort"])

/** A decision, as a type. */
export type Decision = typeof Decision.Type

/**
 * A participant's local state: its phase, and a ghost field with the decision it applied. The
 * ghost is a function of the rest of the global state (it tells `Done` after a commit from `Done`
 * after an abort, which the coordinator's phase and votes also determine), so it does not change
 * the number of distinct states; it lets `agreement` read each participant's decision directly.
 */
export const ParticipantState = Schema.Struct({ phase: ParticipantPhase, decision: Decision })

/** A participant's local state, as a type. */
export type ParticipantState = typeof ParticipantState.Type

/** Every message is a bare tag: the round's one datum is ignored, so payloads are empty. */
export const Empty = Schema.Struct({})

/** The options of `make`. */
export interface TpcBenchOptions {
  /**
   * Let the coordinator commit when at least one vote is yes (the benchmark's seeded bug). Only the
   * broken family `tpc-bench/commit-on-any-yes` turns this on.
   */
  readonly commitOnAnyYes?: boolean
}

/** The coordinator's initial state: nothing sent, no votes, no acknowledgements. */
export const initialCoordinator: CoordinatorState = { phase: "Init", sent: [], votes: {}, acked: [] }

/** A participant's initial state: no prepare received, no decision applied. */
export const initialParticipant: ParticipantState = { phase: "Init", decision: "none" }

/**
 * `set ∪ {p}` in participant order, whatever order the members arrived in: this is what keeps
 * equal sets equal values.
 */
const insert = (participants: ReadonlyArray<string>, set: ReadonlyArray<string>, p: string): Array<string> =>
  participants.filter((q) => q === p || set.includes(q))

const covers = (participants: ReadonlyArray<string>, set: ReadonlyArray<string>): boolean =>
  participants.every((q) => set.includes(q))

/** `votes` with `votes[p] := vote`, rebuilt in participant order. */
const recordVote = (
  participants: ReadonlyArray<string>,
  votes: { readonly [node: string]: Vote },
  p: string,
  vote: Vote
): { readonly [node: string]: Vote } => {
  const next: Record<string, Vote> = {}
  for (const q of participants) {
    const v = q === p ? vote : votes[q]
    if (v !== undefined) next[q] = v
  }
  return next
}

const allVoted = (participants: ReadonlyArray<string>, votes: { readonly [node: string]: Vote }): boolean =>
  participants.every((q) => Object.hasOwn(votes, q))

/** Is every participant's vote in, and every one yes? */
export const allYes = (participants: ReadonlyArray<string>, votes: { readonly [node: string]: Vote }): boolean =>
  participants.every((q) => votes[q] === "yes")

/** Is every participant's vote in, and at least one no? */
const someNo = (participants: ReadonlyArray<string>, votes: { readonly [node: string]: Vote }): boolean =>
  allVoted(participants, votes) && participants.some((q) => votes[q] === "no")

/** Is every participant's vote in, and at least one yes? (the seeded bug's commit condition) */
const someYes = (participants: ReadonlyArray<string>, votes: { readonly [node: string]: Vote }): boolean =>
  allVoted(participants, votes) && participants.some((q) => votes[q] === "yes")

/**
 * The coordinator after sending a broadcast message to `to`: `to` joins `sent`, and once everyone
 * is sent the coordinator moves on to `next` with `sent` emptied (it is only meaningful while
 * sending, and keeping it would split equal states).
 */
const afterBroadcast = (
  s: CoordinatorState,
  to: string,
  participants: ReadonlyArray<string>,
  sending: CoordinatorPhase,
  next: CoordinatorPhase
): CoordinatorState => {
  const sent = insert(participants, s.sent, to)
  return covers(participants, sent) ? { ...s, phase: next, sent: [] } : { ...s, phase: sending, sent }
}

/** The coordinator after an acknowledgement from `from`: once everyone has acked, the round is done. */
const afterAck = (s: CoordinatorState, from: string, participants: ReadonlyArray<string>): CoordinatorState => {
  const acked = insert(participants, s.acked, from)
  return covers(participants, acked) ? { ...s, phase: "Done", acked: [] } : { ...s, acked }
}

/** The one coordinator of the round: the protocol assumes one, like Disel's `cn`. */
const coordinatorOf = (nodes: { readonly coordinator: ReadonlyArray<string> }): string | undefined => nodes.coordinator[0]

/**
 * Builds the benchmark protocol, label `"tpcBench"`.
 *
 * @example
 * const bench = make()
 * bench.sendOf.get("commit")?.name // => "sendCommit"
 */
export const make = (options: TpcBenchOptions = {}) => {
  const commitOnAnyYes = options.commitOnAnyYes ?? false
  const Bench = Protocol.signature({
    label: "tpcBench",
    roles: { coordinator: CoordinatorState, participant: ParticipantState },
    initial: { coordinator: initialCoordinator, participant: initialParticipant },
    messages: { prepare: Empty, yes: Empty, no: Empty, commit: Empty, abort: Empty, ackCommit: Empty, ackAbort: Empty }
  })

  /** The commit condition in `WaitVotes`: all votes in and all yes (in the seeded bug: any yes). */
  const mayCommit = (participants: ReadonlyArray<string>, votes: { readonly [node: string]: Vote }): boolean =>
    commitOnAnyYes ? someYes(participants, votes) : allYes(participants, votes)

  /** The abort condition in `WaitVotes`: all votes in and some no (the same in the seeded bug). */
  const mayAbort = someNo

  const mayPrepare = (s: CoordinatorState, to: string): boolean =>
    (s.phase === "Init" || s.phase === "SentPrep") && !s.sent.includes(to)

  const mayDecide = (
    s: CoordinatorState,
    to: string,
    participants: ReadonlyArray<string>,
    sending: CoordinatorPhase,
    condition: (participants: ReadonlyArray<string>, votes: { readonly [node: string]: Vote }) => boolean
  ): boolean => (s.phase === "WaitVotes" && condition(participants, s.votes)) || (s.phase === sending && !s.sent.includes(to))

  const everyone = <T>(participants: ReadonlyArray<T>, when: (p: T) => boolean) =>
    participants.filter(when).map((to) => ({ to, msg: {} }))

  const toCoordinator = (enabled: boolean, nodes: { readonly coordinator: ReadonlyArray<NodeId<"tpcBench", "coordinator">> }) =>
    enabled && nodes.coordinator.length > 0 ? [{ to: nodes.coordinator[0]!, msg: {} }] : []

  /**
   * The coordinator asks each participant once, before any vote is counted: `sent` records who has
   * been asked, so no prepare is sent twice, and votes are only collected once everyone is asked.
   */
  const sendPrepare = Bench.send({
    tag: "prepare",
    from: "coordinator",
    to: "participant",
    guard: (s, to) => mayPrepare(s, to),
    step: (s, to, _m, ctx) => afterBroadcast(s, to, ctx.nodes.participant, "SentPrep", "WaitVotes"),
    candidates: (s, ctx) => everyone(ctx.nodes.participant, (to) => mayPrepare(s, to))
  })

  /** A participant votes yes only on a prepare it holds and has not answered, so it votes once. */
  const sendYes = Bench.send({
    tag: "yes",
    from: "participant",
    to: "coordinator",
    guard: (s, to, _m, ctx) => s.phase === "GotPrepare" && to === coordinatorOf(ctx.nodes),
    step: (s) => ({ ...s, phase: "VotedYes" }),
    candidates: (s, ctx) => toCoordinator(s.phase === "GotPrepare", ctx.nodes)
  })

  /** A participant votes no only on a prepare it holds and has not answered, so it votes once. */
  const sendNo = Bench.send({
    tag: "no",
    from: "participant",
    to: "coordinator",
    guard: (s, to, _m, ctx) => s.phase === "GotPrepare" && to === coordinatorOf(ctx.nodes),
    step: (s) => ({ ...s, phase: "VotedNo" }),
    candidates: (s, ctx) => toCoordinator(s.phase === "GotPrepare", ctx.nodes)
  })

  /**
   * Commit only once every participant has voted and every vote is yes (validity), then tell each
   * participant once. Once a commit is sent the phase is `SentCommit`, where abort is refused, so
   * the round has one decision (agreement).
   */
  const sendCommit = Bench.send({
    tag: "commit",
    from: "coordinator",
    to: "participant",
    guard: (s, to, _m, ctx) => mayDecide(s, to, ctx.nodes.participant, "SentCommit", mayCommit),
    step: (s, to, _m, ctx) => afterBroadcast(s, to, ctx.nodes.participant, "SentCommit", "WaitAckCommit"),
    candidates: (s, ctx) => everyone(ctx.nodes.participant, (to) => mayDecide(s, to, ctx.nodes.participant, "SentCommit", mayCommit))
  })

  /**
   * Abort only once every participant has voted and some vote is no, then tell each participant
   * once. Once an abort is sent the phase is `SentAbort`, where commit is refused.
   */
  const sendAbort = Bench.send({
    tag: "abort",
    from: "coordinator",
    to: "participant",
    guard: (s, to, _m, ctx) => mayDecide(s, to, ctx.nodes.participant, "SentAbort", mayAbort),
    step: (s, to, _m, ctx) => afterBroadcast(s, to, ctx.nodes.participant, "SentAbort", "WaitAckAbort"),
    candidates: (s, ctx) => everyone(ctx.nodes.participant, (to) => mayDecide(s, to, ctx.nodes.participant, "SentAbort", mayAbort))
  })

  /** A participant acknowledges a commit only after applying it, and then has nothing left to do. */
  const sendAckCommit = Bench.send({
    tag: "ackCommit",
    from: "participant",
    to: "coordinator",
    guard: (s, to, _m, ctx) => s.phase === "Committed" && to === coordinatorOf(ctx.nodes),
    step: (s) => ({ ...s, phase: "Done" }),
    candidates: (s, ctx) => toCoordinator(s.phase === "Committed", ctx.nodes)
  })

  /** A participant acknowledges an abort only after applying it, and then has nothing left to do. */
  const sendAckAbort = Bench.send({
    tag: "ackAbort",
    from: "participant",
    to: "coordinator",
    guard: (s, to, _m, ctx) => s.phase === "Aborted" && to === coordinatorOf(ctx.nodes),
    step: (s) => ({ ...s, phase: "Done" }),
    candidates: (s, ctx) => toCoordinator(s.phase === "Aborted", ctx.nodes)
  })

  /** A participant takes a prepare only while idle; it is sent once, so there is never a second. */
  const receivePrepare = Bench.receive({
    tag: "prepare",
    by: "participant",
    accepts: (s) => s.phase === "Init",
    step: (s) => ({ ...s, phase: "GotPrepare" })
  })

  /** Only a participant that voted yes applies a commit, so a commit never overrides a no. */
  const receiveCommit = Bench.receive({
    tag: "commit",
    by: "participant",
    accepts: (s) => s.phase === "VotedYes",
    step: () => ({ phase: "Committed", decision: "commit" })
  })

  /** A participant that has voted, either way, applies an abort: aborting is always safe. */
  const receiveAbort = Bench.receive({
    tag: "abort",
    by: "participant",
    accepts: (s) => s.phase === "VotedYes" || s.phase === "VotedNo",
    step: () => ({ phase: "Aborted", decision: "abort" })
  })

  /**
   * The coordinator records a yes only while collecting votes, under the sender's name. Each
   * participant sends one vote, so a recorded vote is never overwritten.
   */
  const receiveYes = Bench.receive({
    tag: "yes",
    by: "coordinator",
    accepts: (s) => s.phase === "WaitVotes",
    step: (s, from, _m, ctx) => ({ ...s, votes: recordVote(ctx.nodes.participant, s.votes, from, "yes") })
  })

  /** The coordinator records a no only while collecting votes, under the sender's name. */
  const receiveNo = Bench.receive({
    tag: "no",
    by: "coordinator",
    accepts: (s) => s.phase === "WaitVotes",
    step: (s, from, _m, ctx) => ({ ...s, votes: recordVote(ctx.nodes.participant, s.votes, from, "no") })
  })

  /** The round is done only when every participant has acknowledged the commit, so all applied it first. */
  const receiveAckCommit = Bench.receive({
    tag: "ackCommit",
    by: "coordinator",
    accepts: (s) => s.phase === "WaitAckCommit",
    step: (s, from, _m, ctx) => afterAck(s, from, ctx.nodes.participant)
  })

  /** The round is done only when every participant has acknowledged the abort, so all applied it first. */
  const receiveAckAbort = Bench.receive({
    tag: "ackAbort",
    by: "coordinator",
    accepts: (s) => s.phase === "WaitAckAbort",
    step: (s, from, _m, ctx) => afterAck(s, from, ctx.nodes.participant)
  })

  return Bench.protocol({
    sends: { sendPrepare, sendYes, sendNo, sendCommit, sendAbort, sendAckCommit, sendAckAbort },
    receives: { receivePrepare, receiveCommit, receiveAbort, receiveYes, receiveNo, receiveAckCommit, receiveAckAbort }
  })
}

/** The type of a benchmark protocol built by `make` (the correct one and the broken one alike). */
export type TpcBenchProtocol = ReturnType<typeof make>
