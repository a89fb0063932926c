/**
 * The counterexample-to-induction search: it names the transitions that break a non-inductive
 * invariant (Two-Phase Commit's log agreement, which Disel's proof has to strengthen), finds none
 * for an inductive one (the Calculator's response correctness), and is a function of its seed.
 */
import { assert, describe, it } from "vitest"
import { searchCounterexample } from "../../checker/Induction.ts"
import type { Model } from "../../core/Model.ts"
import * as System from "../../core/System.ts"
import { withInvariant } from "../../core/WithInvariant.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"
import * as TwoPhaseCommit from "../../protocols/TwoPhaseCommit/index.ts"

/** The model with its protocol strengthened by one of its own properties, under that name. */
const strengthened = (model: Model, property: string): Model => {
  const p = model.system.properties.find((x: { name: string }) => x.name === property)!
  const protocol = withInvariant(model.system.protocol, property, p.holds)
  return { ...model, system: System.make({ protocol, nodes: model.system.topology.nodes as any, programs: {}, properties: [] }) }
}

describe("searchCounterexample", () => {
  const tpc = strengthened(TwoPhaseCommit.model({ participants: 2, rounds: 2 }), "logAgreement")

  it("shows which transitions break log agreement, from states that satisfy it", () => {
    const report = searchCounterexample(tpc, "logAgreement", { seed: 1 })
    assert.isTrue(report.initially)
    const names = report.broken.map((c) => c.obligation)
    assert.include(names, "logAgreement_preserved_by_receiveCommit")
    for (const c of report.broken) {
      const nodes = tpc.system.topology.nodes
      const layer = tpc.system.properties.find((p) => p.name === "logAgreement")!
      assert.isTrue(layer.holds(c.state as any, nodes), `${c.obligation}: the state satisfies the invariant`)
      assert.isFalse(layer.holds(c.next as any, nodes), `${c.obligation}: the step breaks it`)
    }
  })

  it("finds nothing for an invariant the guards make inductive, and says how much it tried", () => {
    const calc = strengthened(Calculator.model({ clients: 2, servers: 1 }), "responseCorrect")
    const report = searchCounterexample(calc, "responseCorrect", { seed: 1, candidates: 1000 })
    assert.deepStrictEqual(report.broken, [])
    assert.isAbove(report.tried, 500)
  })

  it("gives the same answer for the same seed", () => {
    const a = searchCounterexample(tpc, "logAgreement", { seed: 9, walks: 50, candidates: 500 })
    const b = searchCounterexample(tpc, "logAgreement", { seed: 9, walks: 50, candidates: 500 })
    assert.deepStrictEqual(a, b)
  })

  it("refuses an invariant the protocol does not have", () => {
    assert.throws(() => searchCounterexample(tpc, "nope"), /has no invariant "nope" \(its layers: .*logAgreement\)/)
  })
})
