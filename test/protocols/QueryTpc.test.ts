/**
 * Query over Two-Phase Commit (Disel's flagship composition): the coordinator's programs run by
 * injection, it asks after its rounds and gets its own log back in every run; the checker shows
 * the world's invariants on every reachable state and catches the world without the hook; a lying
 * answerer is refused by the hook, by name.
 */
import { assert, describe, it } from "vitest"
import * as Checker from "../../checker/Checker.ts"
import * as Protocols from "../../protocols/index.ts"
import * as QueryTpc from "../../protocols/QueryTpc/index.ts"
import * as FaultPlan from "../../simulator/FaultPlan.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import * as Harness from "./Harness.ts"

const verdict = (report: Checker.CheckReport, name: string) => report.properties.find((p) => p.name === name)!

describe("Query over Two-Phase Commit", () => {
  it("completes 300 reordered runs: every query answered with the coordinator's own log", () => {
    const system = QueryTpc.system({ participants: 3, rounds: 2 })
    const summary = Simulator.simulate(system, Harness.batch("query-tpc", 5, FaultPlan.reorder, 300, { participants: 3, rounds: 2 }))
    assert.strictEqual(summary.violations, 0)
    assert.strictEqual(summary.statuses.completed, 300)
    Harness.assertWitnessed(system, summary)
  })

  it("keeps log agreement and answer agreement in every reachable state, and witnesses an answer", () => {
    const report = Checker.check(QueryTpc.model({ participants: 1, rounds: 1 }))
    assert.isUndefined(report.incomplete)
    assert.strictEqual(report.deadlocks.count, 0)
    for (const name of ["logAgreement", "commitValidity", "coordinatorAgreement", "answersAgree", "answersFromLog"]) assert.strictEqual(verdict(report, name).status, "holds", name)
    assert.strictEqual(verdict(report, "answeredWithLog").status, "witnessed")
  })

  it("finds a wrong answer in three steps without the hook, in a trace the simulator replays", () => {
    const family = Protocols.find("query-tpc/no-hook")!
    const model = family.model!({ participants: 1, rounds: 1 })
    const v = verdict(Checker.check(model), "answersAgree")
    assert.strictEqual(v.status, "violated")
    assert.deepStrictEqual(
      v.trace!.steps.map((s) => s.message!.tag),
      ["query.request", "query.request", "query.response"]
    )
    const recorded = Simulator.traceOfSteps(model.system, { name: family.name, parameters: {}, faults: FaultPlan.reorder }, v.trace!.steps)
    assert.isTrue(Simulator.replay(model.system, recorded).identical)
  })

  it("catches a lying answerer: the hook refuses its answer, by name", () => {
    const { shrunk } = Harness.assertCaught(Protocols.find("query-tpc/lying-answerer")!, 5, 20)
    assert.strictEqual(shrunk.kind, "protocol")
    assert.match(JSON.stringify(shrunk), /answerWithOwnLog/)
  })

  it("catches lying answerers without the hook: answersAgree fails", () => {
    const { shrunk } = Harness.assertCaught(Protocols.find("query-tpc/no-hook")!, 5, 20)
    assert.deepStrictEqual(shrunk.kind === "invariant" ? shrunk.property : shrunk.kind, "answersAgree")
  })
})
