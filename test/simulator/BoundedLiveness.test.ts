/**
 * Bounded liveness in the simulator: a goal still awaited when a run ends is violated; one awaited
 * longer than the window after the last fault is violated; one the run ended too soon to judge is
 * open. On the bundled Two-Phase Commit, the programs meet `everyoneAppliesEveryRound` in every
 * run on a reorder-only network, and runs that drop a message violate it (excused: a loss).
 */
import { assert, describe, it } from "vitest"
import * as Property from "../../core/Property.ts"
import * as TwoPhaseCommit from "../../protocols/TwoPhaseCommit/index.ts"
import { judgeRun } from "../../simulator/BoundedLiveness.ts"
import * as FaultPlan from "../../simulator/FaultPlan.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import type { TraceEvent } from "../../simulator/Trace.ts"

const base = TwoPhaseCommit.system({ participants: 2, rounds: 1 })
const never = Property.eventually(base.protocol, "never", () => false)
const system = { ...base, properties: [never] }
const end = (status: "completed" | "stuck" | "limit", steps: number) => ({ type: "end" as const, status, steps, time: 0, violation: null, blocked: [] })
const drop = (step: number): TraceEvent => ({ type: "drop", step, time: 0, msg: 0, from: "c", to: "p1", tag: "prepare", payload: {} }) as never

describe("judgeRun", () => {
  it("met when nothing waits at the end", () => {
    assert.strictEqual(judgeRun(system, { events: [], end: end("limit", 10), pendingLiveness: new Map() }, 5)[0]!.status, "met")
  })
  it("violated when the run ended waiting, whatever the window", () => {
    assert.strictEqual(judgeRun(system, { events: [], end: end("completed", 3), pendingLiveness: new Map([["never", 0]]) }, 100)[0]!.status, "violated")
  })
  it("at the limit: violated past the window after the last fault, open within it", () => {
    const pending = new Map([["never", 2]])
    assert.strictEqual(judgeRun(system, { events: [drop(5)], end: end("limit", 20), pendingLiveness: pending }, 10)[0]!.status, "violated")
    const open = judgeRun(system, { events: [drop(15)], end: end("limit", 20), pendingLiveness: pending }, 10)[0]!
    assert.strictEqual(open.status, "open")
    assert.isTrue(open.afterLoss)
  })
})

describe("simulate", () => {
  const options = { name: "two-phase-commit", parameters: {}, seed: 3, runs: 40, maxSteps: 2000, maxTime: 60_000, shrink: false, stopOnViolation: false }
  it("the programs meet everyoneAppliesEveryRound in every run without faults", () => {
    const summary = Simulator.simulate(TwoPhaseCommit.system({ participants: 2, rounds: 1 }), { ...options, faults: FaultPlan.reorder })
    const t = summary.liveness!.get("everyoneAppliesEveryRound")!
    assert.strictEqual(t.met, 40)
    assert.isFalse(Simulator.failed(summary))
  })
  it("dropped messages violate it, counted as excused by the loss", () => {
    const summary = Simulator.simulate(TwoPhaseCommit.system({ participants: 2, rounds: 1 }), { ...options, faults: FaultPlan.presets.drop! })
    const t = summary.liveness!.get("everyoneAppliesEveryRound")!
    assert.isAbove(t.violated, 0)
    assert.strictEqual(t.afterLoss, t.violated)
    assert.isTrue(t.first!.afterLoss)
  })
})
