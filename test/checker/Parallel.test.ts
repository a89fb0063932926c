/**
 * The parallel breadth-first search agrees with the sequential one: the same states, the same
 * verdicts, counterexamples as short, traces that replay, and symmetry reduction — whether the
 * threads share every level, or the calling thread searches the first levels alone while the
 * workers start and then gives them their shares (at a fixed depth here, so that the hand-over is
 * tested whatever the machine's speed). A thread that runs out of states within a level takes
 * some from another. Its verdicts are the sequential search's whatever the properties, bounds and
 * stopping options.
 */
import { assert, describe, it } from "vitest"
import * as Checker from "../../checker/Checker.ts"
import * as Parallel from "../../checker/Parallel.ts"
import * as Manifests from "../../cli/Manifests.ts"
import * as Protocols from "../../protocols/index.ts"
import * as FaultPlan from "../../simulator/FaultPlan.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import * as TwoBugs from "./fixtures/TwoBugs.ts"

/** The workers load the model as `protoweave check --workers` has them do: from the family's manifest, by its module's URL. */
const source = (name: string, parameters: { readonly [name: string]: number }): Parallel.ModelSource =>
  Manifests.modelSource({ module: Protocols.manifests.find((m) => m.families.some((f) => f.name === name))!.module, family: name }, parameters)

const modelOf = (name: string, parameters: { readonly [name: string]: number }) => Protocols.find(name)!.model!(parameters)

/** Levels the calling thread searches alone before it shares: none (the threads share all), or a few. */
const handOvers = [0, 5] as const

const both = async (name: string, parameters: { readonly [name: string]: number }, searchAloneUntil: number) => {
  const model = modelOf(name, parameters)
  const parallel = await Parallel.checkParallel(model, source(name, parameters), { workers: 2, searchAloneUntil })
  const sequential = Checker.check(modelOf(name, parameters))
  return { model, parallel, sequential }
}

describe("Parallel", () => {
  it("finds exactly the sequential search's states and verdicts", async () => {
    for (const [name, parameters] of [
      ["tpc-bench", { participants: 4 }],
      ["tpc-bench/commit-on-any-yes", { participants: 3 }],
      ["two-phase-commit", { participants: 2, rounds: 1 }]
    ] as const) {
      for (const until of handOvers) {
        const { parallel, sequential } = await both(name, parameters, until)
        const what = `${name}, hand-over at ${until}`
        assert.strictEqual(parallel.states, sequential.states, what)
        assert.strictEqual(parallel.transitions, sequential.transitions, what)
        assert.strictEqual(parallel.deadlocks.count, sequential.deadlocks.count, what)
        for (const p of sequential.properties) {
          const q = parallel.properties.find((r) => r.name === p.name)!
          assert.strictEqual(q.status, p.status, `${what}: ${p.name}`)
          assert.strictEqual(q.trace?.steps.length, p.trace?.steps.length, `${what}: ${p.name} as short`)
        }
      }
    }
  })

  it("moves states within a level to threads that ran out, and finds exactly the sequential search's states", async () => {
    const parameters = { participants: 5 }
    const model = modelOf("tpc-bench", parameters)
    // Shared from depth 0, the one initial state goes to the calling thread: both workers start
    // with nothing, and every state they expand was given to them by another thread.
    const report = await Parallel.checkParallel(model, source("tpc-bench", parameters), { workers: 3, searchAloneUntil: 0 })
    const sequential = Checker.check(model)
    assert.strictEqual(report.states, 67_605)
    assert.strictEqual(report.transitions, sequential.transitions)
    assert.deepStrictEqual(
      report.properties.map((p) => [p.status, p.trace?.steps.length]),
      sequential.properties.map((p) => [p.status, p.trace?.steps.length])
    )
    const threads = report.threads!
    assert.strictEqual(threads.threads, 3)
    assert.strictEqual(threads.sharedFrom, 0)
    assert.isAbove(threads.stolen, 1)
    assert.isAbove(threads.stolenStates, 1000)
    assert.isUndefined(sequential.threads)
    // Interrupted in the middle of the search, while threads give and wait for states, every thread
    // stops: the search ends, partial, instead of waiting for a level that never ends.
    let polls = 0
    const interrupted = await Parallel.checkParallel(model, source("tpc-bench", parameters), { workers: 3, searchAloneUntil: 0, interrupted: () => ++polls > 20 })
    assert.strictEqual(interrupted.incomplete, "interrupted")
    assert.isBelow(interrupted.states, 67_605)
  })

  it("grows its shared table in the middle of a level, losing no state", async () => {
    const parameters = { participants: 4 }
    const model = modelOf("tpc-bench", parameters)
    // 256 slots fill within the first levels: successors that find the table full wait for it to
    // grow. With a hand-over at level 12, it grows on the calling thread before the workers take it.
    for (const until of [0, 12]) {
      const report = await Parallel.checkParallel(model, source("tpc-bench", parameters), { workers: 2, initialSlots: 1 << 8, searchAloneUntil: until })
      assert.strictEqual(report.states, 8545)
      assert.isUndefined(report.incomplete)
      assert.deepStrictEqual(
        report.properties.map((p) => p.status),
        Checker.check(model).properties.map((p) => p.status)
      )
    }
  })

  it("gives counterexamples that the simulator replays into the violation", async () => {
    const name = "tpc-bench/commit-on-any-yes"
    const { model, parallel } = await both(name, { participants: 3 }, 0)
    const validity = parallel.properties.find((p) => p.name === "validity")!
    assert.strictEqual(validity.status, "violated")
    const recorded = Simulator.traceOfSteps(model.system, { name, parameters: { participants: 3 }, faults: FaultPlan.reorder }, validity.trace!.steps)
    const replayed = Simulator.replay(model.system, recorded)
    assert.isTrue(replayed.identical, replayed.difference)
    assert.deepInclude(recorded.end.violation!, { kind: "invariant", property: "validity" })
  })

  it("stops at the state bound and when interrupted", async () => {
    const model = modelOf("tpc-bench", { participants: 4 })
    for (const until of handOvers) {
      const bounded = await Parallel.checkParallel(model, source("tpc-bench", { participants: 4 }), { workers: 2, maxStates: 100, searchAloneUntil: until })
      assert.strictEqual(bounded.incomplete, "max-states")
      const interrupted = await Parallel.checkParallel(model, source("tpc-bench", { participants: 4 }), { workers: 2, interrupted: () => true, searchAloneUntil: until })
      assert.strictEqual(interrupted.incomplete, "interrupted")
    }
  })

  it("refuses to forget consumed messages when a property reads them, as the sequential search does", async () => {
    const parameters = { participants: 2, rounds: 2 }
    const model = { ...modelOf("two-phase-commit", parameters), soup: "active" as const }
    const refusal = await Parallel.checkParallel(model, source("two-phase-commit", parameters), { workers: 2 }).then(
      () => assert.fail("the model must be refused"),
      (e: unknown) => String(e)
    )
    assert.match(refusal, /property "tpcInv" reads consumed messages/)
  })

  it("keeps its workers for the next search, but not one that failed", async () => {
    const parameters = { participants: 3 }
    const model = modelOf("tpc-bench", parameters)
    const before = Parallel.waitingWorkers()
    // Shared from the first level, so the worker is ready and answers every level.
    const first = await Parallel.checkParallel(model, source("tpc-bench", parameters), { workers: 3, searchAloneUntil: 0 })
    assert.strictEqual(first.states, 1077)
    const kept = Parallel.waitingWorkers()
    assert.isAtLeast(kept, 2)
    assert.isAtMost(kept, before + 2)
    // The next search takes them (and gives them back).
    const second = await Parallel.checkParallel(model, source("tpc-bench", parameters), { workers: 3, searchAloneUntil: 0 })
    assert.deepStrictEqual([second.states, second.transitions, Parallel.waitingWorkers()], [first.states, first.transitions, kept])
    // A worker that fails the search is stopped, not kept.
    const broken = { ...source("tpc-bench", parameters), exportName: "noSuchExport" }
    await Parallel.checkParallel(model, broken, { workers: 2, searchAloneUntil: 1 }).then(
      () => assert.fail("a worker that cannot load the model must fail the search"),
      () => undefined
    )
    assert.strictEqual(Parallel.waitingWorkers(), kept - 1)
  })

  it("searches a small model on the calling thread while the workers start, and reports a worker that cannot", async () => {
    const parameters = { participants: 3 }
    const model = modelOf("tpc-bench", parameters)
    const report = await Parallel.checkParallel(model, source("tpc-bench", parameters), { workers: 2 })
    assert.strictEqual(report.states, 1077)
    const broken = { ...source("tpc-bench", parameters), exportName: "noSuchExport" }
    const failure = await Parallel.checkParallel(model, broken, { workers: 2, searchAloneUntil: 1 }).then(
      () => assert.fail("a worker that cannot load the model must fail the search"),
      (e: unknown) => String(e)
    )
    assert.include(failure, "has no export noSuchExport")
  })

  it("reaches the sequential search's verdicts, states and stopping point whatever the properties, bounds and options", async () => {
    const summary = (r: Checker.CheckReport) => ({
      states: r.states,
      transitions: r.transitions,
      depth: r.maxDepth,
      incomplete: r.incomplete,
      deadlocks: [r.deadlocks.status, r.deadlocks.count, r.deadlocks.trace?.steps.length],
      properties: r.properties.map((p) => [p.name, p.status, p.trace?.steps.length])
    })
    const cases: ReadonlyArray<readonly [TwoBugs.TwoBugsOptions, Checker.CheckOptions]> = [
      [{ properties: ["xAtMostOne", "yAtMostOne", "yReachesThree"] }, {}],
      [{ properties: ["yAtMostOne", "untouched", "xAtMostOne", "yReachesThree"] }, {}],
      [{ properties: ["yAtMostOne", "untouched", "xAtMostOne", "yReachesThree"] }, { stopAtFirstViolation: true }],
      [{ properties: ["xAtMostOne", "yAtMostOne"] }, { stopAtFirstViolation: true }],
      [{ properties: ["yReachesThree"], halt: true }, { stopAtFirstViolation: true }],
      [{ properties: ["untouched", "xAtMostOne", "yAtMostOne", "yReachesThree"], halt: true }, {}],
      [{ properties: ["xAtMostOne", "yAtMostOne", "yReachesThree"], final: false }, {}],
      [{ properties: ["xAtMostOne", "yAtMostOne", "yReachesThree"] }, { maxDepth: 1 }],
      [{ properties: ["xAtMostOne", "yAtMostOne", "yReachesThree"], halt: true }, { maxDepth: 3 }],
      [{ properties: ["xAtMostOne", "yAtMostOne", "yReachesThree"] }, { maxDepth: 12 }]
    ]
    const specifier = new URL("./fixtures/TwoBugs.ts", import.meta.url).href
    for (const [options, search] of cases) {
      const what = `${JSON.stringify(options)} ${JSON.stringify(search)}`
      const sequential = summary(Checker.check(TwoBugs.model(options), search))
      for (const until of handOvers) {
        const parallel = await Parallel.checkParallel(TwoBugs.model(options), { specifier, exportName: "model", args: [options] }, { ...search, workers: 2, searchAloneUntil: until })
        assert.deepStrictEqual(summary(parallel), sequential, `${what}, hand-over at ${until}`)
      }
    }
    // A depth bound on a larger model: the last level is expanded without keeping successors, as
    // the sequential search does (its steps are counted, its deadlocks found).
    const parameters = { participants: 3 }
    const model = modelOf("tpc-bench", parameters)
    const shallow = await Parallel.checkParallel(model, source("tpc-bench", parameters), { workers: 2, maxDepth: 7, searchAloneUntil: 0 })
    assert.deepStrictEqual(summary(shallow), summary(Checker.check(model, { maxDepth: 7 })))
  })
})
