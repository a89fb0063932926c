/**
 * World programs (`combinators/WorldProgram.ts`): a program playing roles in two protocols gets one
 * handle per protocol — sending, receiving and reading its local state there with unqualified
 * tags — and `receiveAny`, which returns the label a message came through; `World.system` refuses a
 * program placed on a node that does not play its roles, by name.
 */
import * as Effect from "effect/Effect"
import { assert, describe, it } from "vitest"
import * as World from "../../combinators/World.ts"
import * as Topology from "../../core/Topology.ts"
import * as FaultPlan from "../../simulator/FaultPlan.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import * as PingPong from "../fixtures/PingPong.ts"

const world = World.make({ label: "pair", protocols: [PingPong.protocol, PingPong.echo] })
const placement = { pingpong: { pinger: ["a"], ponger: ["b"] }, echo: { pinger: ["b"], ponger: ["a"] } }

describe("World.program", () => {
  it("names a program after its roles unless named", () => {
    const p = World.program(world, { pingpong: "pinger", echo: "ponger" }, () => Effect.void)
    assert.deepStrictEqual([p.name, p.daemon], ["pingpong.pinger+echo.ponger", false])
    assert.deepStrictEqual([World.program(world, { echo: "pinger" }, () => Effect.void, { name: "e", daemon: true })].map((q) => [q.name, q.daemon]), [["e", true]])
  })

  it("gives a node one handle per protocol and receiveAny over both, in every seeded run", () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const seen: Array<string> = []
      const a = World.program(world, { pingpong: "pinger", echo: "ponger" }, (node) =>
        Effect.gen(function* () {
          yield* node.pingpong.send("ping", node.pingpong.nodes.ponger[0]!, { n: 0 })
          for (let i = 0; i < 2; i++) {
            const got = yield* node.receiveAny({ pingpong: ["pong"], echo: ["ping"] })
            seen.push(`${got.label}:${got.message.tag}:${got.message.from}`)
          }
          const echo = yield* node.echo.local
          const pingpong = yield* node.pingpong.local
          seen.push(`echo seen ${JSON.stringify(echo.seen)}, pingpong acked ${JSON.stringify(pingpong.acked)}`)
          yield* node.echo.send("pong", node.echo.nodes.pinger[0]!, { n: 0, note: "echoed" })
        })
      )
      const b = World.program(world, { pingpong: "ponger", echo: "pinger" }, (node) =>
        Effect.gen(function* () {
          const ping = yield* node.pingpong.receive({ tags: ["ping"] })
          yield* node.echo.send("ping", node.echo.nodes.ponger[0]!, { n: 0 })
          yield* node.pingpong.send("pong", ping.from as never, { n: ping.payload.n, note: "back" })
          const pong = yield* node.echo.receive({ tags: ["pong"] })
          seen.push(`b got ${pong.tag} ${pong.payload.note}`)
        })
      )
      const system = World.system(world, { placement, properties: [], programs: { a, b } })
      const { trace } = Simulator.runOnce(system, { name: "pair", parameters: {}, seed, runs: 1, faults: FaultPlan.reorder, maxSteps: 100, maxTime: 1000 } as never)
      assert.strictEqual(trace.end.status, "completed", `seed ${seed}`)
      assert.sameMembers(seen.slice(0, 2), ["pingpong:pong:b", "echo:ping:b"], `seed ${seed}`)
      assert.deepStrictEqual(seen.slice(2), ["echo seen [0], pingpong acked [0]", "b got pong echoed"], `seed ${seed}`)
    }
  })

  it("is refused on a node that does not play its roles, by name", () => {
    const pinger = World.program(world, { pingpong: "pinger" }, () => Effect.void)
    assert.throws(
      () => World.system(world, { placement, properties: [], programs: { b: pinger } }),
      Topology.TopologyError,
      /world "pair": the program "pingpong.pinger" of b is for role "pinger" in "pingpong", but b plays "ponger" there/
    )
    const only = World.system(World.make({ label: "one", protocols: [PingPong.protocol] }), { placement: { pingpong: placement.pingpong }, properties: [] })
    assert.strictEqual(only.programs.size, 0)
  })
})
