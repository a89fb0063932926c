/**
 * World properties (`combinators/WorldProperty.ts`): `always` and `sometimes` read one statelet and
 * one set of nodes per label, and keep their kind through `World.system`; `lift` reads a protocol's
 * property on that protocol's statelet and nodes only — here two protocols with the same roles and
 * tags, so reading the wrong label gives another answer.
 */
import { assert, describe, it } from "vitest"
import * as World from "../../combinators/World.ts"
import * as Property from "../../core/Property.ts"
import type { Statelet } from "../../core/Statelet.ts"
import * as Step from "../../core/Step.ts"
import * as PingPong from "../fixtures/PingPong.ts"

const world = World.make({ label: "pair", protocols: [PingPong.protocol, PingPong.echo] })
const placement = { pingpong: { pinger: ["a"], ponger: ["b"] }, echo: { pinger: ["b"], ponger: ["a"] } }

/** Echo's ponger has seen nothing (it reads the nodes it is given: in the world, echo's ponger is a). */
const quiet = Property.always(PingPong.echo, "quiet", (s, nodes) => nodes.ponger.every((p) => s.locals.ponger[p]!.seen.length === 0))

describe("World.always, World.sometimes, World.lift", () => {
  const properties = [
    World.lift(world, "echo", quiet),
    World.always(world, "pingpongQuiet", (s, nodes) => nodes.pingpong.ponger.every((p) => s.pingpong.locals.ponger[p]!.seen.length === 0)),
    World.sometimes(world, "echoPinged", (s) => s.echo.soup.some((m) => m.tag === "ping"))
  ]
  const system = World.system(world, { placement, properties })
  const semantics = Step.make(system.protocol, system.topology, Step.reorderOnly)
  const act = (s: Statelet, action: Step.Action): Statelet => {
    const out = Step.step(semantics, s, action)
    assert.strictEqual(out._tag, "Stepped")
    return (out as Step.Stepped<any>).statelet
  }
  const verdicts = (s: Statelet) => Object.fromEntries(system.properties.map((p) => [`${p.kind} ${p.name}`, p.holds(s as never, system.topology.nodes as never)]))

  it("reads each label's statelet and nodes, and keeps each property's kind (after the protocols' coherence)", () => {
    let s = semantics.initial
    assert.deepStrictEqual(verdicts(s), { "always coherence": true, "always quiet": true, "always pingpongQuiet": true, "sometimes echoPinged": false })
    s = act(s, { kind: "send", node: "a", tag: "pingpong.ping", to: "b", payload: { n: 0 } })
    s = act(s, { kind: "receive", msgId: 0 })
    assert.deepStrictEqual(verdicts(s), { "always coherence": true, "always quiet": true, "always pingpongQuiet": false, "sometimes echoPinged": false }, "only pingpong's ponger (b) has seen a ping")
    s = act(s, { kind: "send", node: "b", tag: "echo.ping", to: "a", payload: { n: 0 } })
    assert.deepStrictEqual(verdicts(s), { "always coherence": true, "always quiet": true, "always pingpongQuiet": false, "sometimes echoPinged": true })
    s = act(s, { kind: "receive", msgId: 1 })
    assert.deepStrictEqual(verdicts(s), { "always coherence": true, "always quiet": false, "always pingpongQuiet": false, "sometimes echoPinged": true }, "echo's ponger (a) has seen it")
  })

  it("lifts a protocol's property with its name and kind", () => {
    const witness = Property.sometimes(PingPong.echo, "echoStopped", (s) => Object.values(s.locals.ponger).some((p) => p.stopped))
    const lifted = World.lift(world, "echo", witness)
    assert.deepStrictEqual([lifted.kind, lifted.name], ["sometimes", "echoStopped"])
  })
})
