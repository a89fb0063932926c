/**
 * LockResource, a world of two protocols tied by a hook: the checker shows its invariants on every
 * reachable state for 1–3 clients, witnesses the lock changing hands between two writes, and
 * catches the world without the hook with a shortest counterexample that the simulator replays;
 * the counterexample is refused, step for step, by the hooked world. Its programs run in the
 * simulator: the correct ones complete every run, a greedy writer is refused by the hook, and
 * greedy writers without the hook break the invariant. A program of the lock alone, injected into
 * the world, takes exactly the steps it takes alone.
 */
import { assert, describe, it } from "vitest"
import * as Checker from "../../checker/Checker.ts"
import * as Step from "../../core/Step.ts"
import * as LockResource from "../../protocols/LockResource/index.ts"
import * as Protocols from "../../protocols/index.ts"
import * as System from "../../core/System.ts"
import * as World from "../../combinators/World.ts"
import * as FaultPlan from "../../simulator/FaultPlan.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import * as Harness from "./Harness.ts"

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

  it("completes 1000 reordered runs of its programs with its invariants, and witnesses two epochs written", () => {
    const system = LockResource.system({ clients: 3 })
    const summary = Simulator.simulate(system, Harness.batch("lock-resource", 11, FaultPlan.reorder, 1000, { clients: 3 }))
    assert.strictEqual(summary.violations, 0)
    assert.strictEqual(summary.statuses.completed, 1000)
    Harness.assertWitnessed(system, summary)
  })

  it("catches a greedy writer: the hook refuses its write, naming itself", () => {
    const { shrunk } = Harness.assertCaught(Protocols.find("lock-resource/greedy-writer")!, 11)
    assert.strictEqual(shrunk.kind, "protocol")
    assert.match(JSON.stringify(shrunk), /hook \\"onlyHolderWrites\\" is false/)
  })

  it("catches greedy writers without the hook: two writers in one epoch", () => {
    const { shrunk } = Harness.assertCaught(Protocols.find("lock-resource/no-hook")!, 11)
    assert.deepStrictEqual(shrunk.kind === "invariant" ? shrunk.property : shrunk.kind, "oneWriterPerEpoch")
  })

  it("runs a program of the lock alone, injected into the world, step for step as it runs alone", () => {
    const { lockClient, lockServer } = LockResource.Programs
    const alone = System.make({
      protocol: LockResource.lock,
      nodes: { server: ["s"], client: ["c1", "c2"] },
      programs: { s: lockServer, c1: lockClient, c2: lockClient },
      properties: []
    })
    const injected = World.system(LockResource.world, {
      placement: { lock: { server: ["s"], client: ["c1", "c2"] }, resource: { store: ["s"], writer: ["c1", "c2"] } },
      properties: [],
      programs: {
        s: World.inject(lockServer, LockResource.world),
        c1: World.inject(lockClient, LockResource.world),
        c2: World.inject(lockClient, LockResource.world)
      }
    })
    // The world's events, seen from the lock: its tags, its transitions, its part of the local state.
    const projected = (trace: ReturnType<typeof Simulator.runOnce>["trace"]) =>
      trace.events.map((e) => {
        const event = { ...e } as Record<string, unknown>
        if (typeof event.tag === "string") event.tag = event.tag.replace(/^lock\./, "")
        if (typeof event.transition === "string") event.transition = event.transition.replace(/^lock_/, "")
        if (event.local !== undefined) event.local = (event.local as World.ComposedLocal).lock!.state
        return event
      })
    for (let seed = 1; seed <= 50; seed++) {
      const options = Harness.batch("lock", seed, FaultPlan.reorder, 1)
      const a = Simulator.runOnce(alone, options, seed).trace
      const b = Simulator.runOnce(injected, options, seed).trace
      assert.strictEqual(a.end.status, "completed")
      assert.deepStrictEqual(projected(b), [...a.events] as Array<Record<string, unknown>>, `seed ${seed}`)
    }
  })

  it("refuses to inject a program of a hooked protocol", () => {
    const writer = LockResource.Programs.resourceWriter
    // @ts-expect-error the hook onlyHolderWrites constrains the sends of "resource"
    assert.throws(() => World.inject(writer, LockResource.world), /hook "onlyHolderWrites" constrains the sends of "resource"/)
    assert.doesNotThrow(() => World.inject(writer, LockResource.unhookedWorld))
  })
})
