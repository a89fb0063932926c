/**
 * A small vote-collection protocol for the simulator's stuck-run tests: a collector asks every
 * voter, each voter answers once, and the collector finishes when it has a vote from each. Nothing
 * is ever sent again, so a lost message leaves a node waiting for good. `overwrite: true` is the
 * bug the tests look for: the collector keeps only the last vote it received (it overwrites its
 * list instead of appending), so it waits for ever even when no message is lost.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as Program from "../../core/Program.ts"
import * as Protocol from "../../core/Protocol.ts"
import * as System from "../../core/System.ts"

const Ballot = Protocol.signature({
  label: "ballot",
  roles: {
    collector: Schema.Struct({ votes: Schema.Array(Schema.String) }),
    voter: Schema.Struct({ voted: Schema.Boolean })
  },
  initial: { collector: { votes: [] }, voter: { voted: false } },
  messages: { ask: Schema.Struct({}), vote: Schema.Struct({ yes: Schema.Boolean }) }
})

const make = (overwrite: boolean) =>
  Ballot.protocol({
    sends: {
      sendAsk: Ballot.send({ tag: "ask", from: "collector", to: "voter", guard: () => true, step: (s) => s }),
      sendVote: Ballot.send({ tag: "vote", from: "voter", to: "collector", guard: (s) => !s.voted, step: () => ({ voted: true }) })
    },
    receives: {
      receiveAsk: Ballot.receive({ tag: "ask", by: "voter", step: (s) => s }),
      receiveVote: Ballot.receive({
        tag: "vote",
        by: "collector",
        step: (s, from) => ({ votes: overwrite ? [from] : [...s.votes, from] })
      })
    }
  })

/** The system: collector `c` and voters `v1..vN`; with `overwrite`, the collector loses all but the last vote. */
export const system = (voters = 2, overwrite = false) => {
  const protocol = make(overwrite)
  const collector = Program.make(protocol, "collector", (node) =>
    Effect.gen(function* () {
      for (const v of node.nodes.voter) yield* node.send("ask", v, {})
      for (;;) {
        const { votes } = yield* node.local
        if (votes.length >= node.nodes.voter.length) return votes.length
        yield* node.receive({ tags: ["vote"] })
      }
    })
  )
  const voter = Program.make(protocol, "voter", (node) =>
    Effect.gen(function* () {
      const ask = yield* node.receive({ tags: ["ask"] })
      yield* node.send("vote", ask.from, { yes: true })
    })
  )
  const names = Array.from({ length: voters }, (_, i) => `v${i + 1}`)
  const programs: Record<string, Program.Program> = { c: collector }
  for (const v of names) programs[v] = voter
  return System.make({ protocol, nodes: { collector: ["c"], voter: names }, programs, properties: [] })
}
