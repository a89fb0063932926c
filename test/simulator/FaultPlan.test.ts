/** Fault plans: the command-line syntax, its errors, and the fault model a plan switches on. */
import { assert, describe, it } from "vitest"
import * as FaultPlan from "../../simulator/FaultPlan.ts"

describe("FaultPlan", () => {
  it("reads presets, settings and scheduled faults", () => {
    const plan = FaultPlan.parse("duplicate,drop=0.2,delay=5-9,max-crashed=2,crash@3=p1,restart@7=p1,drop@4=0")
    assert.strictEqual(plan.duplicate, 0.1)
    assert.strictEqual(plan.drop, 0.2)
    assert.deepStrictEqual(plan.delay, { min: 5, max: 9 })
    assert.strictEqual(plan.maxCrashed, 2)
    assert.deepStrictEqual(plan.schedule, [
      { step: 3, fault: "crash", node: "p1" },
      { step: 7, fault: "restart", node: "p1" },
      { step: 4, fault: "drop", message: 0 }
    ])
  })

  it("round-trips through format", () => {
    const plan = FaultPlan.parse("all,delay=2,crash@3=p1,duplicate@9=4")
    assert.deepStrictEqual(FaultPlan.parse(FaultPlan.format(plan)), plan)
  })

  it("switches on exactly the faults a plan can inject", () => {
    assert.deepStrictEqual(FaultPlan.faultModel(FaultPlan.reorder), { drop: false, duplicate: false, crash: false, restart: false })
    assert.deepStrictEqual(FaultPlan.faultModel(FaultPlan.parse("crash@2=x")), { drop: false, duplicate: false, crash: true, restart: false })
    assert.deepStrictEqual(FaultPlan.faultModel(FaultPlan.presets.all!), { drop: true, duplicate: true, crash: true, restart: true })
  })

  it("explains what is wrong with a bad plan", () => {
    const cases: Array<[string, RegExp]> = [
      ["drop=2", /drop must be a probability/],
      ["drop=", /drop must be a probability/],
      ["lossy", /neither a preset/],
      ["speed=3", /unknown setting "speed"/],
      ["delay=9-2", /max < min/],
      ["delay=x", /delay must be/],
      ["crash@x=p1", /whole number/],
      ["crash@3=", /names no node/],
      ["drop@3=p1", /message id/],
      ["partition@3=p1", /cannot schedule "partition"/]
    ]
    for (const [text, message] of cases) assert.throws(() => FaultPlan.parse(text), FaultPlan.FaultPlanError, message)
  })
})
