import { assert, describe, it } from "vitest"
import * as Checker from "../../checker/Checker.ts"
import type { NamedReceive, NamedSend, Protocol } from "../../core/Protocol.ts"
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
    assert.sameMembers([...family.tolerates], ["drop", "crash", "restart"])
  })

  it(`keeps its invariants over ${RUNS} reordered runs, which all complete`, () => {
    const summary = Simulator.simulate(system, options("calculator", FaultPlan.reorder))
    assert.deepStrictEqual(summary.statuses, { completed: RUNS, stuck: 0, limit: 0, violation: 0 })
    Harness.assertWitnessed(system, summary)
  })

  it(`answers correctly over ${RUNS} runs with duplicated messages, but a duplicated request breaks exactly-once`, () => {
    const plan = FaultPlan.presets.duplicate!
    const summary = Simulator.simulate(system, options("calculator", plan))
    assert.isAbove(summary.violations, 0)
    const violation = summary.firstFailure!.trace.end.violation
    assert(violation?.kind === "invariant")
    assert.include(["responsesAnswerRequests", "clientsAwaitAnswers"], violation.property)
    // Without the two properties that count requests and answers, every run completes: values stay correct.
    const valuesOnly = { ...system, properties: system.properties.filter((p) => !["responsesAnswerRequests", "clientsAwaitAnswers"].includes(p.name)) }
    const counted = Simulator.simulate(valuesOnly, options("calculator", plan))
    assert.deepStrictEqual(counted.statuses, { completed: RUNS, stuck: 0, limit: 0, violation: 0 })
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

type Pending = ReadonlyArray<{ readonly peer: string; readonly args: ReadonlyArray<number> }>
type Local = { readonly pending: Pending }
type Answer = { readonly value: number; readonly args: ReadonlyArray<number> }
const sameArgs = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => a.length === b.length && a.every((x, i) => x === b[i])
const dropAt = (pending: Pending, i: number) => (i < 0 ? pending : [...pending.slice(0, i), ...pending.slice(i + 1)])

/** The bundled protocol with one send and one receive transition changed. */
const mutate = (
  change: { readonly send?: [string, Partial<NamedSend>]; readonly receive?: [string, Partial<NamedReceive>] }
): typeof Calculator.protocol => {
  const p = Calculator.protocol as unknown as Protocol
  const sends = p.sends.map((t) => (change.send?.[0] === t.name ? ({ ...t, ...change.send[1] } as NamedSend) : t))
  const receives = p.receives.map((t) => (change.receive?.[0] === t.name ? ({ ...t, ...change.receive[1] } as NamedReceive) : t))
  return {
    ...p,
    sends,
    receives,
    sendOf: new Map(sends.map((t) => [t.tag, t])),
    receiveOf: new Map(receives.map((t) => [t.tag, t]))
  } as unknown as typeof Calculator.protocol
}

/**
 * Single-point bugs that the properties of Disel's full specification must catch. The first three
 * keep every answer equal to `f` of its arguments, so `responseCorrect` and `pendingWellFormed`
 * alone miss them; the last two are servers wrong only for some inputs, which a model with one
 * request value would miss.
 */
const mutants = [
  {
    name: "a server answers another client's request",
    protocol: mutate({
      send: ["serverSend", { guard: (s: Local, _to: string, m: Answer) => s.pending.some((p) => sameArgs(p.args, m.args)) && m.value === Calculator.f(m.args) }]
    }),
    sizes: { clients: 2, servers: 1, depth: 4 },
    caughtBy: ["responsesAnswerRequests", "clientsAwaitAnswers"]
  },
  {
    name: "a server removes another client's request with the same arguments",
    protocol: mutate({
      send: ["serverSend", { step: (s: Local, _to: string, m: Answer) => ({ pending: dropAt(s.pending, s.pending.findIndex((p) => sameArgs(p.args, m.args))) }) }]
    }),
    sizes: { clients: 2, servers: 1, depth: 5 },
    caughtBy: ["responsesAnswerRequests", "clientsAwaitAnswers"]
  },
  {
    name: "a client takes an answer from any server",
    protocol: mutate({
      receive: [
        "clientRecv",
        {
          accepts: (s: Local, _from: string, m: Answer) => s.pending.some((p) => sameArgs(p.args, m.args)),
          step: (s: Local, _from: string, m: Answer) => ({ pending: dropAt(s.pending, s.pending.findIndex((p) => sameArgs(p.args, m.args))) })
        }
      ]
    }),
    sizes: { clients: 1, servers: 2, depth: 5 },
    caughtBy: ["clientsAwaitAnswers"]
  },
  {
    // Not a bug in Disel's network: clientsAwaitAnswers implies a response in flight always matches
    // a pending request from its sender, so the sender check never refuses (README, Properties).
    name: "nothing, when a client's filter ignores the sender but its step removes the sender's request",
    protocol: mutate({ receive: ["clientRecv", { accepts: (s: Local, _from: string, m: Answer) => s.pending.some((p) => sameArgs(p.args, m.args)) }] }),
    sizes: { clients: 1, servers: 2, depth: 5 },
    caughtBy: []
  },
  {
    name: "a server that sums every argument (wrong with three)",
    protocol: mutate({
      send: [
        "serverSend",
        {
          guard: (s: Local, to: string, m: Answer) =>
            s.pending.some((p) => p.peer === to && sameArgs(p.args, m.args)) && m.value === m.args.reduce((x, y) => x + y, 0)
        }
      ]
    }),
    sizes: { clients: 1, servers: 1, depth: 3 },
    caughtBy: ["responseCorrect"]
  },
  {
    name: "a server that adds absolute values (wrong with a negative)",
    protocol: mutate({
      send: [
        "serverSend",
        {
          guard: (s: Local, to: string, m: Answer) =>
            s.pending.some((p) => p.peer === to && sameArgs(p.args, m.args)) && m.value === Math.abs(m.args[0]!) + Math.abs(m.args[1]!)
        }
      ]
    }),
    sizes: { clients: 1, servers: 1, depth: 3 },
    caughtBy: ["responseCorrect"]
  }
]

describe("Calculator's properties state Disel's full specification", () => {
  const status = (report: Checker.CheckReport, name: string) => report.properties.find((p) => p.name === name)!.status

  it("hold on the bundled protocol, to the model's bound, with both witnesses", () => {
    const report = Checker.check(Calculator.model({ clients: 2, servers: 2, depth: 5 }))
    for (const name of ["coherence", "responseCorrect", "pendingWellFormed", "responsesAnswerRequests", "clientsAwaitAnswers"]) {
      assert.strictEqual(status(report, name), "holds within bound", name)
    }
    assert.strictEqual(status(report, "responseArrives"), "witnessed")
  })

  for (const mutant of mutants) {
    it(`catch ${mutant.name}`, () => {
      const report = Checker.check(Calculator.model(mutant.sizes, mutant.protocol))
      const violated = report.properties.filter((p) => p.status === "violated").map((p) => p.name)
      assert.sameMembers(violated, mutant.caughtBy)
    })
  }
})
