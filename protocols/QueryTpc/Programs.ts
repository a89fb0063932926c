/**
 * Query-over-Two-Phase-Commit programs (Disel's `QueryPlusTPC.v`): the coordinator runs its rounds
 * — the Two-Phase Commit coordinator program, unchanged, through its handle in the world — and then
 * asks a participant for its log, which must equal its own (Disel's postcondition of
 * `coordinate_and_query`, checked here when the answer arrives). Participants run the Two-Phase
 * Commit participant program and then answer every request with their own era and log; a lying
 * answerer answers with an empty log.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as World from "../../combinators/World.ts"
import * as TwoPhaseCommit from "../TwoPhaseCommit/index.ts"
import { sameLog, world } from "./Protocol.ts"

/** Runs `rounds` rounds of Two-Phase Commit, then asks the first participant for its log and checks it is its own. */
export const coordinator = (rounds: number) => {
  const coordinate = TwoPhaseCommit.Programs.coordinator(TwoPhaseCommit.protocol, { rounds, dataOf: TwoPhaseCommit.dataOf })
  return World.program(
    world,
    { tpc: "coordinator", query: "asker" },
    (node) =>
      Effect.gen(function* () {
        const log = yield* coordinate.run(node.tpc)
        const asked = node.query.nodes.answerer[0]!
        yield* node.query.send("request", asked, { rid: (yield* node.query.local).next })
        const answer = yield* node.query.receive({ tags: ["response"], from: asked })
        if (!sameLog(answer.payload.log, log)) {
          return yield* Effect.die(new Error(`${asked} answered with log ${JSON.stringify(answer.payload.log)}, but the coordinator's is ${JSON.stringify(log)}`))
        }
        return answer.payload.log
      }),
    { name: "coordinateAndQuery" }
  )
}

/** Takes part in `rounds` rounds, then answers every request, with its own log or (lying) an empty one. */
export const participant = (rounds: number, vote: (self: string, era: number) => boolean, lie = false) => {
  const takePart = TwoPhaseCommit.Programs.participant(TwoPhaseCommit.protocol, rounds, vote)
  return World.program(
    world,
    { tpc: "participant", query: "answerer" },
    (node) =>
      Effect.gen(function* () {
        yield* takePart.run(node.tpc)
        for (;;) {
          const request = yield* node.query.receive({ tags: ["request"] })
          const own = yield* node.tpc.local
          const asker = node.query.nodes.asker.find((a) => a === request.from)!
          yield* node.query.send("response", asker, { rid: request.payload.rid, era: own.era, log: lie ? [] : own.log })
        }
      }),
    { name: lie ? "lyingParticipant" : "participantAndAnswerer", daemon: true }
  )
}
