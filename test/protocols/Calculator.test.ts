import { assert, describe, it } from "vitest"
import * as Step from "../../core/Step.ts"
import * as Topology from "../../core/Topology.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"
import * as FaultPlan from "../../simulator/FaultPlan.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import * as Harness from "./Harness.ts"

const RUNS = 1000
const SEED = 1618

const options = (name: string, faults: FaultPlan.FaultPlan, runs = RUNS, parameters: { readonly [name: string]: number } = {}) =>
  Harness.batch(name, SEED, faults, runs, parameters)

describe("Calculator protocol", () => {
  const protocol = Calculator.protocol
  const semantics = Step.make(protocol, Topology.make(protocol, { client: ["c1"], server: ["s1"] }), Step.reorderOnly)
  const holding = { pending: [{ peer: "c1", args: [2, 3] }] }

  it("lets a client ask only for arguments that satisfy the precondition", () => {
    assert.strictEqual(Step.sendLocal(semantics, "c1", { pending: [] }, "req", "s1", { args: [2, 3] })._tag, "Sent")
    assert.strictEqual(Step.sendLocal(semantics, "c1", { pending: [] }, "req", "s1", { args: [2] })._tag, "Violated")
  })

  it("lets a server answer only a recorded request, only with f of its arguments", () => {
    const answer = Step.sendLocal(semantics, "s1", holding, "resp", "c1", { value: 5, args: [2, 3] })
    assert(answer._tag === "Sent")
    assert.deepStrictEqual(answer.local, { pending: [] })
    assert.strictEqual(Step.sendLocal(semantics, "s1", holding, "resp", "c1", { value: 6, args: [2, 3] })._tag, "Violated")
    assert.strictEqual(Step.sendLocal(semantics, "s1", holding, "resp", "c1", { value: 7, args: [3, 4] })._tag, "Violated")
    assert.strictEqual(Step.sendLocal(semantics, "s1", { pending: [] }, "resp", "c1", { value: 5, args: [2, 3] })._tag, "Violated")
  })

  it("lets a client take only an answer to a request it is waiting on", () => {
    const waiting = { pending: [{ peer: "s1", args: [2, 3] }] }
    const taken = Step.receiveLocal(semantics, "c1", waiting, "s1", "resp", { value: 5, args: [2, 3] })
    assert(taken._tag === "Received")
    assert.deepStrictEqual(taken.local, { pending: [] })
    assert.strictEqual(Step.receiveLocal(semantics, "c1", waiting, "s1", "resp", { value: 9, args: [4, 5] })._tag, "Refused")
    assert.strictEqual(Step.receiveLocal(semantics, "c1", { pending: [] }, "s1", "resp", { value: 5, args: [2, 3] })._tag, "Refused")
  })

  it("sends the unchecked variant's wrong answers", () => {
    const unchecked = Step.make(Calculator.uncheckedProtocol, semantics.topology, Step.reorderOnly)
    assert.strictEqual(Step.sendLocal(unchecked, "s1", holding, "resp", "c1", { value: 6, args: [2, 3] })._tag, "Sent")
  })
})

describe("Calculator programs", () => {
  it("give every client f of each of its requests, in order", () => {
    for (const sizes of [{}, { clients: 3, servers: 1, requests: 5 }, { clients: 1, servers: 4, requests: 4 }]) {
      const system = Calculator.system(sizes)
      const requests = "requests" in sizes ? sizes.requests : 3
      for (let seed = 0; seed < 20; seed++) {
        const { result } = Simulator.runOnce(system, options("calculator", FaultPlan.reorder, 1, sizes), seed)
        assert.strictEqual(result.end.status, "completed")
        const clients = system.topology.nodes.client
        const exits = result.events.filter((e) => e.type === "exit")
        assert.sameMembers(
          exits.map((e) => e.node),
          [...clients]
        )
        clients.forEach((c, k) => {
          // The bundled client k asks for the arguments [j % 2, k % 2], j = 0, 1, ...
          const expected = Array.from({ length: requests }, (_, j) => Calculator.f([j % 2, k % 2]))
          assert.deepStrictEqual(exits.find((e) => e.node === c)!.detail, expected, `the answers of ${c}`)
        })
      }
    }
  })
})

describe("Calculator under faults", () => {
  const system = Calculator.system()
  const family = Calculator.families.find((f) => f.name === "calculator")!

  it("declares the faults its tests show it tolerates", () => {
    assert.isFalse(family.broken)
    assert.sameMembers([...family.tolerates], ["drop", "duplicate", "crash", "restart"])
  })

  it(`keeps its invariants over ${RUNS} reordered runs, which all complete`, () => {
    const summary = Simulator.simulate(system, options("calculator", FaultPlan.reorder))
    assert.deepStrictEqual(summary.statuses, { completed: RUNS, stuck: 0, limit: 0, violation: 0 })
    Harness.assertWitnessed(system, summary)
  })

  it(`keeps its invariants over ${RUNS} runs with duplicated messages, which all complete`, () => {
    const plan = FaultPlan.presets.duplicate!
    const summary = Simulator.simulate(system, options("calculator", plan))
    assert.deepStrictEqual(summary.statuses, { completed: RUNS, stuck: 0, limit: 0, violation: 0 })
    Harness.assertWitnessed(system, summary)
    assert.isAbove(Harness.eventCounts(system, options("calculator", plan), 50).get("duplicate") ?? 0, 0)
  })

  it(`keeps its invariants over ${RUNS} runs with crashes and restarts, which all complete`, () => {
    const plan = FaultPlan.presets.crash!
    const summary = Simulator.simulate(system, options("calculator", plan))
    assert.deepStrictEqual(summary.statuses, { completed: RUNS, stuck: 0, limit: 0, violation: 0 })
    Harness.assertWitnessed(system, summary)
    const counts = Harness.eventCounts(system, options("calculator", plan), 50)
    assert.isAbove(counts.get("crash") ?? 0, 0)
    assert.isAbove(counts.get("restart") ?? 0, 0)
  })

  it(`keeps its invariants over ${RUNS} runs with lost messages, where a lost request or answer blocks its client`, () => {
    const plan = FaultPlan.presets.drop!
    const summary = Simulator.simulate(system, options("calculator", plan))
    assert.strictEqual(summary.statuses.violation, 0)
    assert.strictEqual(summary.statuses.limit, 0)
    assert.isAbove(summary.statuses.stuck, 0)
    assert.isAbove(summary.statuses.completed, 0)
    Harness.assertWitnessed(system, summary)
    assert.isAbove(Harness.eventCounts(system, options("calculator", plan), 50).get("drop") ?? 0, 0)
  })
})

describe("Calculator broken variants", () => {
  const caught = (name: string) => Harness.assertCaught(Calculator.families.find((f) => f.name === name)!, SEED)

  it("catches wrong-answer: the response guard refuses the server's send", () => {
    const { original, shrunk } = caught("calculator/wrong-answer")
    for (const v of [original, shrunk]) {
      assert.deepInclude(v, { kind: "protocol", transition: "serverSend", reason: "the guard of serverSend is false" })
    }
  })

  it("catches unchecked-response with responseCorrect", () => {
    const { original, shrunk } = caught("calculator/unchecked-response")
    for (const v of [original, shrunk]) assert.deepInclude(v, { kind: "invariant", property: "responseCorrect" })
  })
})
