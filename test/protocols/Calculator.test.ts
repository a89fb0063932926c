import { assert, describe, it } from "vitest"
import * as Step from "../../core/Step.ts"
import type * as System from "../../core/System.ts"
import * as Topology from "../../core/Topology.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"
import * as FaultPlan from "../../simulator/FaultPlan.ts"
import * as Prng from "../../simulator/Prng.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import type { Trace } from "../../simulator/Trace.ts"

const RUNS = 1000
const SEED = 1618

const options = (name: string, faults: FaultPlan.FaultPlan, runs = RUNS, parameters: { readonly [name: string]: number } = {}) => ({
  name,
  parameters,
  seed: SEED,
  runs,
  faults,
  maxSteps: 5000,
  maxTime: 600_000,
  stopOnViolation: false
})

const decisions = (trace: Trace) => trace.events.filter((e) => e.type !== "exit")

/** How many of the batch's first `sample` runs contain each kind of event (the batch derives seeds the same way). */
const eventCounts = (system: System.System, plan: FaultPlan.FaultPlan, sample: number) => {
  const counts = new Map<string, number>()
  for (let i = 0; i < sample; i++) {
    const { trace } = Simulator.runOnce(system, options("calculator", plan), Prng.derive(SEED, i))
    for (const type of new Set(trace.events.map((e) => e.type))) counts.set(type, (counts.get(type) ?? 0) + 1)
  }
  return counts
}

const assertWitnessed = (system: System.System, summary: Simulator.Summary) => {
  for (const p of system.properties.filter((p) => p.kind === "sometimes")) {
    assert.isAbove(summary.witnessed.get(p.name) ?? 0, 0, `${p.name} is never witnessed`)
  }
}

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
    assertWitnessed(system, summary)
  })

  it(`keeps its invariants over ${RUNS} runs with duplicated messages, which all complete`, () => {
    const plan = FaultPlan.presets.duplicate!
    const summary = Simulator.simulate(system, options("calculator", plan))
    assert.deepStrictEqual(summary.statuses, { completed: RUNS, stuck: 0, limit: 0, violation: 0 })
    assertWitnessed(system, summary)
    assert.isAbove(eventCounts(system, plan, 50).get("duplicate") ?? 0, 0)
  })

  it(`keeps its invariants over ${RUNS} runs with crashes and restarts, which all complete`, () => {
    const plan = FaultPlan.presets.crash!
    const summary = Simulator.simulate(system, options("calculator", plan))
    assert.deepStrictEqual(summary.statuses, { completed: RUNS, stuck: 0, limit: 0, violation: 0 })
    assertWitnessed(system, summary)
    const counts = eventCounts(system, plan, 50)
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
    assertWitnessed(system, summary)
    assert.isAbove(eventCounts(system, plan, 50).get("drop") ?? 0, 0)
  })
})

describe("Calculator broken variants", () => {
  const caught = (name: string) => {
    const family = Calculator.families.find((f) => f.name === name)!
    assert.isTrue(family.broken)
    const system = family.make({})
    const summary = Simulator.simulate(system, { ...options(name, FaultPlan.reorder, 100), stopOnViolation: true })
    assert.isAbove(summary.violations, 0)
    const failure = summary.firstFailure!
    const shrunk = failure.shrunk!
    assert.isDefined(shrunk)
    assert.isAtMost(decisions(shrunk).length, decisions(failure.trace).length)
    const replayed = Simulator.replay(system, shrunk)
    assert.isTrue(replayed.identical, replayed.difference)
    assert.strictEqual(replayed.trace.end.status, "violation")
    assert.deepStrictEqual(replayed.trace.end.violation, shrunk.end.violation)
    return { original: failure.trace.end.violation!, shrunk: shrunk.end.violation! }
  }

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
