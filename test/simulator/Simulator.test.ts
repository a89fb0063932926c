/**
 * The simulator's contract: runs are a function of their seed; every trace replays exactly and a
 * tampered one does not; invariants are checked after every step; failing runs shrink to traces
 * that still fail; simulated time drives timeouts and sleeps; faults follow the plan.
 */
import { assert, describe, it } from "vitest"
import * as Calculator from "../../protocols/Calculator/index.ts"
import { NotEnabled } from "../../simulator/Engine.ts"
import * as FaultPlan from "../../simulator/FaultPlan.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import type { Trace } from "../../simulator/Trace.ts"
import * as Retry from "./RetryProtocol.ts"

const base = { name: "calculator", parameters: {}, seed: 1, runs: 1, faults: FaultPlan.reorder, maxSteps: 5000, maxTime: 600000 }
const unchecked = Calculator.families.find((f) => f.name === "calculator/unchecked-response")!
const wrongAnswer = Calculator.families.find((f) => f.name === "calculator/wrong-answer")!
const decisions = (trace: Trace) => trace.events.filter((e) => e.type !== "exit")

describe("Simulator: determinism and replay", () => {
  it("gives the same trace for the same seed, and different traces for different seeds", () => {
    const system = Calculator.system({ clients: 3, servers: 2 })
    const options = { ...base, faults: FaultPlan.presets.all! }
    const a = Simulator.runOnce(system, options, 11).trace
    const b = Simulator.runOnce(Calculator.system({ clients: 3, servers: 2 }), options, 11).trace
    assert.deepStrictEqual(a, b)
    const distinct = new Set(Array.from({ length: 10 }, (_, seed) => JSON.stringify(Simulator.runOnce(system, options, seed).trace.events)))
    assert.isAbove(distinct.size, 5)
  })

  it("replays every run exactly, with and without faults", () => {
    for (const faults of [FaultPlan.reorder, FaultPlan.presets.all!, FaultPlan.parse("crash=0.05,restart=0.2,max-crashed=2")]) {
      for (let seed = 0; seed < 40; seed++) {
        const { trace } = Simulator.runOnce(Calculator.system({}), { ...base, faults }, seed)
        const replayed = Simulator.replay(Calculator.system({}), trace)
        assert.isTrue(replayed.identical, replayed.difference)
        assert.deepStrictEqual(replayed.trace, trace)
      }
    }
  })

  it("replays runs with timeouts and sleeps exactly", () => {
    for (let seed = 0; seed < 40; seed++) {
      const { trace } = Simulator.runOnce(Retry.system(), { ...base, name: "retry", faults: FaultPlan.parse("drop=0.3") }, seed)
      const replayed = Simulator.replay(Retry.system(), trace)
      assert.isTrue(replayed.identical, replayed.difference)
    }
  })

  it("reports where a tampered trace diverges", () => {
    const { trace } = Simulator.runOnce(Calculator.system({}), base, 3)
    const sendIndex = trace.events.findIndex((e) => e.type === "send")
    const tamperedPayload: Trace = {
      ...trace,
      events: trace.events.map((e, i) => (i === sendIndex && e.type === "send" ? { ...e, payload: { args: [9, 9] } } : e))
    }
    const r1 = Simulator.replay(Calculator.system({}), tamperedPayload)
    assert.isFalse(r1.identical)
    assert.match(r1.difference!, /the trace has/)

    const deliverIndex = trace.events.findIndex((e) => e.type === "deliver")
    const missingStep: Trace = { ...trace, events: trace.events.filter((_, i) => i !== deliverIndex) }
    const r2 = Simulator.replay(Calculator.system({}), missingStep)
    assert.isFalse(r2.identical)

    const wrongEnd: Trace = { ...trace, end: { ...trace.end, steps: trace.end.steps + 1 } }
    const r3 = Simulator.replay(Calculator.system({}), wrongEnd)
    assert.isFalse(r3.identical)
    assert.match(r3.difference!, /end differs/)
  })

  it("detects that a trace was recorded with other programs", () => {
    const { trace } = Simulator.runOnce(Calculator.system({}), base, 4)
    const replayed = Simulator.replay(wrongAnswer.make({}), trace)
    assert.isFalse(replayed.identical)
  })
})

describe("Simulator: checking", () => {
  it("checks invariants after every step: the violation is reported at the first failing step", () => {
    const summary = Simulator.simulate(unchecked.make({}), { ...base, name: unchecked.name, runs: 20 })
    assert.strictEqual(summary.violations, 1)
    const trace = summary.firstFailure!.trace
    assert.deepStrictEqual(trace.end.violation && trace.end.violation.kind, "invariant")
    const lastDecision = decisions(trace).at(-1)!
    assert.strictEqual(trace.end.violation!.step, lastDecision.step)
    // The violating step is the first wrong response: every earlier send of a response is absent.
    assert.isFalse(decisions(trace).slice(0, -1).some((e) => e.type === "send" && e.tag === "resp"))
    assert.strictEqual(lastDecision.type === "send" && lastDecision.tag, "resp")
  })

  it("stops a program's forbidden send with a ProtocolViolation naming the transition", () => {
    const summary = Simulator.simulate(wrongAnswer.make({}), { ...base, name: wrongAnswer.name, runs: 5 })
    const v = summary.firstFailure!.trace.end.violation!
    assert.strictEqual(v.kind, "protocol")
    if (v.kind !== "protocol") return
    assert.strictEqual(v.transition, "serverSend")
    assert.match(v.reason, /guard of serverSend is false/)
    assert.strictEqual(v.attempted.tag, "resp")
    const exit = summary.firstFailure!.trace.events.find((e) => e.type === "exit" && e.outcome === "failed")
    assert.match(String(exit && exit.type === "exit" ? exit.detail : ""), /^ProtocolViolation/)
  })

  it("counts statuses and witnesses over a batch", () => {
    const summary = Simulator.simulate(Calculator.system({}), { ...base, runs: 100 })
    assert.strictEqual(summary.runs, 100)
    assert.strictEqual(summary.statuses.completed, 100)
    assert.strictEqual(summary.witnessed.get("responseArrives"), 100)
    assert.isAbove(summary.steps, 100)
  })

  it("stops at the step limit", () => {
    const { trace } = Simulator.runOnce(Calculator.system({}), { ...base, maxSteps: 5 }, 1)
    assert.strictEqual(trace.end.status, "limit")
    assert.strictEqual(trace.end.steps, 5)
  })
})

describe("Simulator: shrinking", () => {
  it("shrinks a failing run to a shorter trace that still fails under strict replay", () => {
    const system = unchecked.make({ clients: 4, servers: 3, requests: 5 })
    // Every fault but duplication, which the Calculator does not tolerate (a duplicated request is answered twice).
    const summary = Simulator.simulate(system, { ...base, name: unchecked.name, runs: 10, faults: FaultPlan.parse("all,duplicate=0") })
    const failure = summary.firstFailure!
    const shrunk = failure.shrunk!
    assert.isAtMost(decisions(shrunk).length, decisions(failure.trace).length)
    assert.isFalse(decisions(shrunk).some((e) => e.type === "drop" || e.type === "duplicate" || e.type === "crash" || e.type === "restart"))
    // Minimal: a request, its delivery, and the wrong answer.
    assert.deepStrictEqual(decisions(shrunk).map((e) => e.type), ["send", "deliver", "send"])
    const replayed = Simulator.replay(unchecked.make({ clients: 4, servers: 3, requests: 5 }), shrunk)
    assert.isTrue(replayed.identical, replayed.difference)
    assert.deepStrictEqual(replayed.trace.end.violation, shrunk.end.violation)
    assert.isAbove(failure.shrinkAttempts, 0)
  })

  it("refuses to shrink a trace that does not fail", () => {
    const { trace } = Simulator.runOnce(Calculator.system({}), base, 1)
    assert.throws(() => Simulator.shrink(Calculator.system({}), trace), /does not end in a violation/)
  })
})

describe("Simulator: time and faults", () => {
  it("uses simulated time: timeouts fire, sleeps end, and lost messages are retried", () => {
    const summary = Simulator.simulate(Retry.system(), { ...base, name: "retry", runs: 300, faults: FaultPlan.parse("drop=0.3") })
    assert.strictEqual(summary.violations, 0)
    assert.strictEqual(summary.statuses.completed, 300)
    assert.isAbove(summary.witnessed.get("retransmitted")!, 0)
    const { trace } = Simulator.runOnce(Retry.system(), { ...base, faults: FaultPlan.parse("drop=0.5") }, 2)
    assert.isTrue(trace.events.some((e) => e.type === "timeout"))
    assert.isTrue(trace.events.some((e) => e.type === "wake"))
    assert.isTrue(trace.events.some((e) => e.type === "drop"))
    assert.isAbove(trace.end.time, 0)
    for (let i = 1; i < trace.events.length; i++) assert.isAtLeast(trace.events[i]!.time, trace.events[i - 1]!.time)
  })

  it("applies scheduled faults at their step", () => {
    const faults = FaultPlan.parse("crash@3=s1,restart@6=s1")
    const { trace } = Simulator.runOnce(Calculator.system({}), { ...base, faults }, 1)
    assert.deepStrictEqual(
      trace.events.filter((e) => e.type === "crash" || e.type === "restart").map((e) => [e.type, e.step, "node" in e ? e.node : ""]),
      [
        ["crash", 3, "s1"],
        ["restart", 6, "s1"]
      ]
    )
    assert.strictEqual(trace.end.status, "completed")
  })

  it("says so when a scheduled fault is not enabled", () => {
    assert.throws(() => Simulator.runOnce(Calculator.system({}), { ...base, faults: FaultPlan.parse("restart@2=s1") }, 1), NotEnabled, /s1 is not down/)
  })

  it("reports crashed nodes as blocked when they never restart", () => {
    const { trace } = Simulator.runOnce(Calculator.system({ clients: 1, servers: 1 }), { ...base, faults: FaultPlan.parse("crash@1=c1") }, 1)
    assert.strictEqual(trace.end.status, "stuck")
    assert.deepStrictEqual(trace.end.blocked, ["c1"])
  })

  it("loses and duplicates messages with the plan's probabilities", () => {
    const summary = Simulator.simulate(Calculator.system({}), { ...base, runs: 200, faults: FaultPlan.parse("drop=0.2") })
    assert.strictEqual(summary.violations, 0)
    assert.isAbove(summary.statuses.stuck, 0)
    assert.strictEqual(summary.stuck?.unexcused, 0)
    const { trace } = Simulator.runOnce(Calculator.system({ clients: 4, requests: 10 }), { ...base, faults: FaultPlan.parse("drop=0.2,duplicate=0.2") }, 9)
    const sends = trace.events.filter((e) => e.type === "send").length
    const faults = trace.events.filter((e) => e.type === "drop" || e.type === "duplicate").length
    assert.isAbove(faults, 0)
    assert.isBelow(faults, sends)
  })
})
