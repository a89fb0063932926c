/**
 * LockResource, a world of two protocols tied by a hook: the checker shows its invariants on every
 * reachable state for 1–3 clients, witnesses the lock changing hands between two writes, and
 * catches the world without the hook with a shortest counterexample that the simulator replays;
 * the counterexample is refused, step for step, by the hooked world.
 */
import { assert, describe, it } from "vitest"
import * as Checker from "../../checker/Checker.ts"
import * as Step from "../../core/Step.ts"
import * as LockResource from "../../protocols/LockResource/index.ts"
import * as Protocols from "../../protocols/index.ts"
import * as FaultPlan from "../../simulator/FaultPlan.ts"
import * as Simulator from "../../simulator/Simulator.ts"

const verdict = (report: Checker.CheckReport, name: string) => report.properties.find((p) => p.name === name)!

describe("LockResource", () => {
  for (const clients of [1, 2, 3]) {
    it(`keeps one holder and one writer per epoch in every reachable state, ${clients} client(s)`, () => {
      const report = Checker.check(LockResource.model({ clients }))
      assert.isUndefined(report.incomplete)
      assert.strictEqual(report.deadlocks.count, 0)
      assert.strictEqual(verdict(report, "atMostOneHolder").status, "holds")
      assert.strictEqual(verdict(report, "oneWriterPerEpoch").status, "holds")
      assert.strictEqual(verdict(report, "twoEpochsWritten").status, clients >= 2 ? "witnessed" : "never reached")
    })
  }

  it("witnesses two epochs written, with a trace in which the lock changes hands", () => {
    const report = Checker.check(LockResource.model({ clients: 2 }))
    const trace = verdict(report, "twoEpochsWritten").trace!
    const sent = trace.steps.filter((s) => s.action.kind === "send").map((s) => `${s.message!.from} ${s.message!.tag}`)
    assert.includeMembers(sent, ["s lock.grant", "c1 lock.release", "c1 resource.write", "c2 resource.write"])
    assert.strictEqual(sent.filter((t) => t === "s lock.grant").length, 2, "the lock is granted twice")
  })

  it("catches the world without the hook: two writers in one epoch, in a shortest trace the simulator replays", () => {
    const family = Protocols.find("lock-resource/no-hook")!
    assert.isTrue(family.broken)
    const model = family.model!({ clients: 2 })
    const report = Checker.check(model)
    const v = verdict(report, "oneWriterPerEpoch")
    assert.strictEqual(v.status, "violated")
    const steps = v.trace!.steps
    assert.strictEqual(steps.length, 4)
    assert.deepStrictEqual(
      steps.map((s) => [s.action.kind, s.message?.tag, s.message?.from]),
      [
        ["send", "resource.write", "c1"],
        ["send", "resource.write", "c2"],
        ["receive", "resource.write", "c1"],
        ["receive", "resource.write", "c2"]
      ]
    )
    const recorded = Simulator.traceOfSteps(model.system, { name: family.name, parameters: { clients: 2 }, faults: FaultPlan.reorder }, steps)
    const replayed = Simulator.replay(model.system, recorded)
    assert.isTrue(replayed.identical, replayed.difference)
    // In the hooked world the first write of that trace is already refused, by the hook.
    const hooked = LockResource.system({ clients: 2 })
    const semantics = Step.make(hooked.protocol, hooked.topology, Step.reorderOnly)
    const out = Step.step(semantics, semantics.initial, steps[0]!.action)
    assert.strictEqual(out._tag, "Violated")
    if (out._tag === "Violated") assert.match(out.violation.reason, /onlyHolderWrites/)
  })
})
