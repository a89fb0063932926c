/**
 * Two-Phase Commit programs (Disel's `TwoPhaseCoordinator.v` and `TwoPhaseParticipant.v`): a
 * coordinator that runs a number of rounds and a participant that votes in each.
 *
 * Both are written as state machines over the node's durable local state: every iteration reads
 * the local state and takes the one step its phase calls for. A program therefore keeps no memory
 * of its own, and after a crash and restart it simply continues from the phase it was in; the
 * protocol's era checks make any message it sees twice harmless.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Program from "../../core/Program.ts"
import type { ProtocolViolation } from "../../core/ProtocolViolation.ts"
import type { CoordinatorPhase, ParticipantPhase, TwoPhaseCommitProtocol } from "./Protocol.ts"

/** What the coordinator program is told to do. */
export interface CoordinatorOptions {
  /** How many rounds to run; the program ends when its log has this many decisions. */
  readonly rounds: number
  /** The data to propose in each era. */
  readonly dataOf: (era: number) => number
  /**
   * Decide commit when at least one vote is yes. Only the broken variant sets this; the correct
   * protocol's guard refuses the resulting commit, the broken protocol's guard lets it through.
   */
  readonly commitOnAnyYes?: boolean
}

const nextUnsent = <N extends string>(participants: ReadonlyArray<N>, sent: ReadonlyArray<string>): N =>
  // The protocol leaves a sending phase as soon as every participant is sent, so one is left here.
  participants.find((p) => !sent.includes(p))!

/**
 * The coordinator (Disel's `coordinator_loop`): for each era, prepare every participant, collect
 * every vote, send the decision to every participant and collect every acknowledgement. It
 * returns its log, one decision per round.
 *
 * @example
 * import { make } from "./Protocol.ts"
 * coordinator(make(), { rounds: 2, dataOf: (era) => era }).role // => "coordinator"
 */
export const coordinator = (protocol: TwoPhaseCommitProtocol, options: CoordinatorOptions) =>
  Program.make(protocol, "coordinator", (node) =>
    Effect.gen(function* () {
      const participants = node.nodes.participant
      const decidesCommit = (votes: ReadonlyArray<{ readonly yes: boolean }>) =>
        options.commitOnAnyYes === true ? votes.some((v) => v.yes) : votes.every((v) => v.yes)
      for (;;) {
        const s = yield* node.local
        if (s.log.length >= options.rounds) return s.log
        const era = s.era
        // A plain switch on the phase's tag: exhaustive (the declared return type) and cheap to type-check.
        const step = (p: CoordinatorPhase): Effect.Effect<unknown, ProtocolViolation> => {
          switch (p.tag) {
            case "init":
              return node.send("prepare", nextUnsent(participants, []), { era, data: options.dataOf(era) })
            case "sentPrepare":
              return node.send("prepare", nextUnsent(participants, p.sent), { era, data: p.data })
            case "waitVotes":
              return participants.every((n) => p.votes.some((v) => v.node === n))
                ? decidesCommit(p.votes)
                  ? node.send("commit", nextUnsent(participants, []), { era })
                  : node.send("abort", nextUnsent(participants, []), { era })
                : node.receive({ tags: ["yes", "no"], where: (m) => m.payload.era === era })
            case "sentCommit":
              return node.send("commit", nextUnsent(participants, p.sent), { era })
            case "sentAbort":
              return node.send("abort", nextUnsent(participants, p.sent), { era })
            case "waitAckCommit":
              return node.receive({ tags: ["ackCommit"], where: (m) => m.payload.era === era })
            case "waitAckAbort":
              return node.receive({ tags: ["ackAbort"], where: (m) => m.payload.era === era })
          }
        }
        yield* step(s.phase)
      }
    })
  )

/**
 * A participant (Disel's `participant_with_choices`): in each era it waits for the prepare, votes
 * `vote(self, era, data)`, waits for the decision, logs it (the protocol does) and acknowledges.
 * It returns its log once it has acknowledged `rounds` decisions.
 *
 * @example
 * import { make } from "./Protocol.ts"
 * participant(make(), 2, () => true).role // => "participant"
 */
export const participant = (
  protocol: TwoPhaseCommitProtocol,
  rounds: number,
  vote: (self: string, era: number, data: number) => boolean
) =>
  Program.make(protocol, "participant", (node) =>
    Effect.gen(function* () {
      const coordinator = node.nodes.coordinator[0]
      if (coordinator === undefined) return yield* Effect.die(new Error(`participant ${node.self}: the system has no coordinator`))
      for (;;) {
        const s = yield* node.local
        if (s.log.length >= rounds && s.phase.tag === "init") return s.log
        const era = s.era
        const step = (p: ParticipantPhase): Effect.Effect<unknown, ProtocolViolation> => {
          switch (p.tag) {
            case "init":
              return node.receive({ tags: ["prepare"], where: (m) => m.payload.era === era })
            case "gotPrepare":
              return vote(node.self, era, p.data) ? node.send("yes", coordinator, { era }) : node.send("no", coordinator, { era })
            case "votedYes":
            case "votedNo":
              return node.receive({ tags: ["commit", "abort"], where: (m) => m.payload.era === era })
            case "committed":
              return node.send("ackCommit", coordinator, { era })
            case "aborted":
              return node.send("ackAbort", coordinator, { era })
          }
        }
        yield* step(s.phase)
      }
    })
  )
