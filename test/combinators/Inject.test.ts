/**
 * Injection (`combinators/Inject.ts`): a protocol's own program, injected into a world that
 * contains the protocol and hooks none of its sends, runs through that protocol's handle (its
 * steps are the protocol's, qualified by its label); a program of a protocol the world lacks, or of
 * one a hook constrains, is refused by name (and, for the hook, in the types).
 */
import * as Effect from "effect/Effect"
import { assert, describe, it } from "vitest"
import * as World from "../../combinators/World.ts"
import * as Program from "../../core/Program.ts"
import * as SendHook from "../../hooks/SendHook.ts"
import * as FaultPlan from "../../simulator/FaultPlan.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import * as PingPong from "../fixtures/PingPong.ts"

const placement = { pingpong: { pinger: ["a"], ponger: ["b"] }, echo: { pinger: ["b"], ponger: ["a"] } }
const options = { name: "pair", parameters: {}, seed: 1, runs: 1, faults: FaultPlan.reorder, maxSteps: 100, maxTime: 1000 }

const pinger = Program.make(
  PingPong.protocol,
  "pinger",
  (node) =>
    Effect.gen(function* () {
      yield* node.send("ping", node.nodes.ponger[0]!, { n: 0 })
      return (yield* node.receive({ tags: ["pong"] })).payload.note
    }),
  { name: "pinger" }
)
const ponger = Program.make(
  PingPong.protocol,
  "ponger",
  (node) =>
    Effect.gen(function* () {
      const ping = yield* node.receive({ tags: ["ping"] })
      yield* node.send("pong", ping.from as never, { n: ping.payload.n, note: "back" })
    }),
  { name: "ponger" }
)

describe("World.inject", () => {
  it("runs a protocol's programs in a world through that protocol's handle", () => {
    const world = World.make({ label: "pair", protocols: [PingPong.protocol, PingPong.echo] })
    const system = World.system(world, { placement, properties: [], programs: { a: World.inject(pinger, world), b: World.inject(ponger, world) } })
    const { trace } = Simulator.runOnce(system, options as never)
    assert.strictEqual(trace.end.status, "completed")
    assert.deepStrictEqual(
      trace.events.filter((e) => e.type === "send" || e.type === "deliver").map((e) => `${e.type} ${(e as { tag?: string }).tag ?? ""} ${(e as { node: string }).node}`),
      ["send pingpong.ping a", "deliver pingpong.ping b", "send pingpong.pong b", "deliver pingpong.pong a"]
    )
  })

  it("refuses a program of a protocol the world lacks, or one a hook constrains, by name", () => {
    const single = World.make({ label: "single", protocols: [PingPong.echo] })
    assert.throws(() => World.inject(pinger, single), World.WorldSpecError, /world "single" has no protocol "pingpong"/)
    const hook = SendHook.make({ name: "pingWhileListening", core: PingPong.echo, coreRole: "ponger", client: PingPong.protocol, tag: "ping", holds: (p) => !p.stopped })
    const hooked = World.make({ label: "hooked", protocols: [PingPong.protocol, PingPong.echo], hooks: [hook] })
    // @ts-expect-error the hook pingWhileListening constrains the sends of "pingpong"
    assert.throws(() => World.inject(pinger, hooked), World.WorldSpecError, /cannot inject pinger into "hooked": hook "pingWhileListening" constrains the sends of "pingpong"/)
    const echoPinger = Program.make(PingPong.echo, "pinger", (node) => node.send("ping", node.nodes.ponger[0]!, { n: 0 }))
    assert.deepStrictEqual(World.inject(echoPinger, hooked).roles, { echo: "pinger" }, "the core protocol's program is not hooked")
  })
})
