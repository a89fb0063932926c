/**
 * The delegating calculator: two Calculator instances in one world, the Calculator's own client
 * and server programs injected unchanged, and a delegator between them; every answer is correct
 * in every run and in every state the checker reaches to its bound, and a wrong back end is caught.
 */
import { assert, describe, it } from "vitest"
import * as Checker from "../../checker/Checker.ts"
import * as DelegatingCalculator from "../../protocols/DelegatingCalculator/index.ts"
import * as Protocols from "../../protocols/index.ts"
import * as FaultPlan from "../../simulator/FaultPlan.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import * as Harness from "./Harness.ts"

describe("Delegating calculator", () => {
  it("answers every request correctly through the back instance, in 300 reordered runs", () => {
    const system = DelegatingCalculator.system({ clients: 2, requests: 2 })
    const summary = Simulator.simulate(system, Harness.batch("delegating-calculator", 3, FaultPlan.reorder, 300))
    assert.strictEqual(summary.violations, 0)
    assert.strictEqual(summary.statuses.completed, 300)
    Harness.assertWitnessed(system, summary)
  })

  it("keeps every answer correct in every state to depth 7, and witnesses a delegated answer", () => {
    const report = Checker.check(DelegatingCalculator.model({ clients: 1, depth: 7 }))
    assert.strictEqual(report.incomplete, "max-depth")
    assert.strictEqual(report.properties.find((p) => p.name === "responsesCorrect")!.status, "holds within bound")
    assert.strictEqual(report.properties.find((p) => p.name === "delegatedAnswerArrives")!.status, "witnessed")
  })

  it("catches a wrong back end, in simulation and by the checker", () => {
    const family = Protocols.find("delegating-calculator/wrong-backend")!
    const { shrunk } = Harness.assertCaught(family, 3, 20)
    assert.deepStrictEqual(shrunk.kind === "invariant" ? shrunk.property : shrunk.kind, "responsesCorrect")
    const report = Checker.check(family.model!({ clients: 1, depth: 4 }))
    assert.strictEqual(report.properties.find((p) => p.name === "responsesCorrect")!.status, "violated")
  })
})
