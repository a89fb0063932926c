/**
 * Protocol-level random simulation: walks take only enabled steps and take every kind of them
 * (each guard is exercised), are a function of their seed, replay exactly through the simulator's
 * `replay`, inject the plan's faults, stop only when nothing is enabled, run on worlds and at sizes
 * beyond the checker's reach, and shrink failing runs to short traces that still fail.
 */
import { assert, describe, it } from "vitest"
import type { Family } from "../../core/System.ts"
import * as Protocols from "../../protocols/index.ts"
import * as TwoPhaseCommit from "../../protocols/TwoPhaseCommit/index.ts"
import * as FaultPlan from "../../simulator/FaultPlan.ts"
import * as RandomWalk from "../../simulator/RandomWalk.ts"
import * as Report from "../../simulator/Report.ts"
import * as Simulator from "../../simulator/Simulator.ts"

const family = (name: string): Family => Protocols.find(name)!

const optionsOf = (f: Family, parameters: { readonly [name: string]: number } = {}, extra: Partial<RandomWalk.WalkOptions> = {}): RandomWalk.WalkOptions => ({
  name: f.name,
  parameters,
  seed: 1,
  runs: 1,
  faults: FaultPlan.reorder,
  maxSteps: 400,
  maxTime: 1,
  model: f.model?.(parameters),
  ...extra
})

const walkOnce = (f: Family, seed: number, parameters: { readonly [name: string]: number } = {}, extra: Partial<RandomWalk.WalkOptions> = {}) => {
  const options = optionsOf(f, parameters, extra)
  return RandomWalk.runOnce(RandomWalk.prepare(f.make(parameters), options.model, options.samples, options.payloads), options, seed)
}

describe("RandomWalk", () => {
  it("is a function of its seed, and its traces replay exactly (with faults, on worlds, with sampled payloads)", () => {
    const cases: ReadonlyArray<readonly [string, FaultPlan.FaultPlan, RandomWalk.PayloadMode]> = [
      ["two-phase-commit", FaultPlan.reorder, "model"],
      ["two-phase-commit", FaultPlan.presets.all!, "schema"],
      ["query-tpc", FaultPlan.presets.all!, "model"],
      ["lock-resource", FaultPlan.parse("crash=0.05,restart=0.3,max-crashed=2"), "model"],
      ["calculator/wrong-answer", FaultPlan.presets.duplicate!, "model"],
      ["tpc-bench", FaultPlan.presets.drop!, "model"]
    ]
    for (const [name, faults, payloads] of cases) {
      const f = family(name)
      for (let seed = 0; seed < 8; seed++) {
        const { trace } = walkOnce(f, seed, {}, { faults, payloads })
        assert.strictEqual(trace.header.level, "protocol")
        assert.deepStrictEqual(walkOnce(f, seed, {}, { faults, payloads }).trace, trace, `${name} seed ${seed}`)
        const replayed = Simulator.replay(f.make({}), trace)
        assert.isTrue(replayed.identical, `${name} seed ${seed}: ${replayed.difference}`)
      }
    }
    const a = walkOnce(family("two-phase-commit"), 1).trace.events
    const b = walkOnce(family("two-phase-commit"), 2).trace.events
    assert.notDeepEqual(a, b)
  })

  it("exercises every transition of Two-Phase Commit, and votes both ways", () => {
    const f = family("two-phase-commit")
    const summary = RandomWalk.walk(f.make({}), optionsOf(f, {}, { runs: 60 }))
    assert.strictEqual(summary.violations, 0)
    const taken = new Set<string>()
    for (let seed = 0; seed < 60; seed++) for (const e of walkOnce(f, seed).trace.events) if (e.type === "send" || e.type === "deliver") taken.add(e.transition)
    const all = [...f.make({}).protocol.sends, ...f.make({}).protocol.receives].map((t) => t.name)
    assert.deepStrictEqual([...taken].sort(), [...all].sort())
    assert.isAbove(summary.witnessed.get("roundCommits")!, 0)
    assert.isAbove(summary.witnessed.get("roundAborts")!, 0)
  })

  it("ends a run only when no step is enabled: a completed Two-Phase Commit run ends in the model's final state", () => {
    const f = family("two-phase-commit")
    const parameters = { participants: 2, rounds: 2 }
    const model = f.model!(parameters)
    const walker = RandomWalk.prepare(f.make(parameters), model)
    for (let seed = 0; seed < 30; seed++) {
      const { result, trace } = RandomWalk.runOnce(walker, optionsOf(f, parameters), seed)
      assert.strictEqual(result.end.status, "completed")
      assert.include(Report.formatTrace(trace), "end: completed: no transition is enabled", "a walk has no programs to finish")
      assert.isTrue(model.final!(result.statelet as any, f.make(parameters).topology.nodes as any), `seed ${seed}`)
    }
  })

  it("injects the plan's faults: drops, duplicates, crashes and restarts, and scheduled ones", () => {
    const f = family("two-phase-commit")
    const kinds = new Set<string>()
    for (let seed = 0; seed < 20; seed++) {
      for (const e of walkOnce(f, seed, {}, { faults: FaultPlan.parse("drop=0.2,duplicate=0.2,crash=0.05,restart=0.3") }).trace.events) kinds.add(e.type)
    }
    for (const k of ["drop", "duplicate", "crash", "restart"]) assert.isTrue(kinds.has(k), k)
    const scheduled = walkOnce(f, 1, {}, { faults: FaultPlan.parse("crash@3=p2") }).trace
    assert.deepInclude(scheduled.events[2], { type: "crash", step: 3, node: "p2" })
    assert.isFalse(walkOnce(f, 1).trace.events.some((e) => e.type === "drop" || e.type === "crash"), "reorder injects no fault")
  })

  it("says where payloads come from: candidates, the model, or samples of the schema", () => {
    const sources = (name: string, mode: RandomWalk.PayloadMode = "model") =>
      new Set(RandomWalk.prepare(family(name).make({}), family(name).model?.({}), 8, mode).sources.map((s) => s.source))
    assert.deepStrictEqual(sources("tpc-bench"), new Set(["candidates"]))
    assert.deepStrictEqual(sources("two-phase-commit"), new Set(["model"]))
    assert.deepStrictEqual(sources("two-phase-commit", "schema"), new Set(["model + sampled"]))
    assert.deepStrictEqual(sources("calculator/wrong-answer"), new Set(["sampled"]))
  })

  it("finds answers with sampled payloads: a Calculator without a model gets responses through its value guard", () => {
    const f = family("calculator/wrong-answer")
    const summary = RandomWalk.walk(f.make({}), optionsOf(f, {}, { runs: 10, maxSteps: 150 }))
    assert.strictEqual(summary.violations, 0)
    assert.isAbove(summary.witnessed.get("responseArrives")!, 5)
  })

  it("never calls a run completed when some payloads were sampled: it stops as a limit and says so", () => {
    const f = family("query-tpc/lying-answerer")
    const options = optionsOf(f, {}, { runs: 4, maxSteps: 300 })
    const summary = RandomWalk.walk(f.make({}), options)
    assert.strictEqual(summary.statuses.completed, 0)
    assert.isAbove(summary.unsettled, 0)
    assert.include(RandomWalk.formatSummary(summary, options), `note: ${summary.unsettled} run(s) stopped as "limit" before --max-steps`)
    const exact = RandomWalk.walk(family("two-phase-commit").make({}), optionsOf(family("two-phase-commit"), {}, { runs: 10 }))
    assert.deepStrictEqual([exact.statuses.completed, exact.unsettled], [10, 0])
  })

  it("runs at sizes beyond the checker's reach: tpc-bench with 8 participants", () => {
    const f = family("tpc-bench")
    const parameters = { participants: 8 }
    const summary = RandomWalk.walk(f.make(parameters), optionsOf(f, parameters, { runs: 30 }))
    assert.strictEqual(summary.violations, 0)
    assert.strictEqual(summary.statuses.completed, 30)
    const broken = family("tpc-bench/commit-on-any-yes")
    const failing = RandomWalk.walk(broken.make(parameters), optionsOf(broken, parameters, { runs: 200 }))
    assert.strictEqual(failing.firstFailure?.trace.end.violation?.kind, "invariant")
  })

  it("shrinks a failing run to a short trace that replays to the same violation", () => {
    const f = family("two-phase-commit/commit-on-any-yes")
    const parameters = { participants: 2, rounds: 1 }
    const summary = RandomWalk.walk(f.make(parameters), optionsOf(f, parameters, { runs: 100, faults: FaultPlan.presets.duplicate! }))
    const failure = summary.firstFailure!
    assert.isDefined(failure)
    const shrunk = failure.shrunk!
    assert.deepStrictEqual(shrunk.end.violation, { ...failure.trace.end.violation!, step: shrunk.end.steps })
    // Prepare and vote for both participants (8 steps), a commit, its receipt: 10, the checker's shortest.
    assert.strictEqual(shrunk.end.steps, 10)
    assert.isFalse(shrunk.events.some((e) => e.type === "duplicate"))
    const replayed = Simulator.replay(f.make(parameters), shrunk)
    assert.isTrue(replayed.identical, replayed.difference)
  })

  it("reports a guard that throws, with the transition and the message", () => {
    const f = family("two-phase-commit")
    const system = f.make({})
    const sends = system.protocol.sends.map((t) =>
      t.name === "sendYes"
        ? {
            ...t,
            guard: () => {
              throw new Error("boom")
            }
          }
        : t
    )
    const broken = { ...system, protocol: { ...system.protocol, sends, sendOf: new Map(sends.map((t) => [t.tag, t])) } }
    assert.throws(() => RandomWalk.walk(broken, optionsOf(f, {}, { runs: 5 })), RandomWalk.WalkError, /sendYes at p\d sending \{"era":0\} to c threw: boom/)
  })

  it("catches the bundled broken protocols that the checker catches", () => {
    for (const name of ["two-phase-commit/commit-on-any-yes", "calculator/unchecked-response", "query-tpc/no-hook", "lock-resource/no-hook", "delegating-calculator/wrong-backend"]) {
      const f = family(name)
      const summary = RandomWalk.walk(f.make({}), optionsOf(f, {}, { runs: 200, maxSteps: 200, shrink: false }))
      assert.strictEqual(summary.firstFailure?.trace.end.violation?.kind, "invariant", name)
    }
    assert.isDefined(TwoPhaseCommit.model)
  })
})
