/**
 * The model checker: exact state counts against the benchmark formula, shortest counterexamples
 * that the simulator replays, witnesses, deadlocks, symmetry reduction, the soup option's refusal,
 * bounds and interruption, and errors for models it cannot explore; verdicts that do not depend on
 * which other properties are checked, and no "holds" from a search that stopped early.
 */
import { assert, describe, it } from "vitest"
import * as PlainBfs from "../../bench/checker/PlainBfs.ts"
import * as Checker from "../../checker/Checker.ts"
import { ModelError } from "../../checker/Successors.ts"
import * as LocalPredicate from "../../core/LocalPredicate.ts"
import type { Model } from "../../core/Model.ts"
import * as Property from "../../core/Property.ts"
import type { NodesOf } from "../../core/Protocol.ts"
import type { Statelet } from "../../core/Statelet.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"
import * as TpcBench from "../../protocols/TpcBench/index.ts"
import * as TwoPhaseCommit from "../../protocols/TwoPhaseCommit/index.ts"
import * as FaultPlan from "../../simulator/FaultPlan.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import * as TwoBugs from "./fixtures/TwoBugs.ts"

const property = (report: Checker.CheckReport, name: string) => report.properties.find((p) => p.name === name)!
const broken = (n: number) => TpcBench.model(n, { commitOnAnyYes: true })

/** The trace as the simulator records it, replayed strictly: it must come out identical. */
const replays = (model: Model, name: string, trace: Checker.CheckTrace) => {
  const recorded = Simulator.traceOfSteps(model.system, { name, parameters: {}, faults: FaultPlan.reorder }, trace.steps)
  const replayed = Simulator.replay(model.system, recorded)
  assert.isTrue(replayed.identical, replayed.difference)
  return recorded
}

describe("Checker: exhaustive exploration", () => {
  it("finds exactly 2·8^N + 5^N − 4^N − 2^N states of tpc-bench, with no deadlock, by BFS and by DFS", () => {
    for (const n of [1, 2, 3, 4]) {
      for (const strategy of ["bfs", "dfs"] as const) {
        const report = Checker.check(TpcBench.model(n), { strategy })
        assert.strictEqual(report.states, TpcBench.expectedStates(n), `N=${n} ${strategy}`)
        assert.isUndefined(report.incomplete)
        assert.strictEqual(report.deadlocks.count, 0)
        assert.strictEqual(property(report, "agreement").status, "holds")
        assert.strictEqual(property(report, "validity").status, "holds")
        assert.strictEqual(property(report, "committed").status, "witnessed")
        assert.strictEqual(property(report, "aborted").status, "witnessed")
      }
    }
  })

  it("reports the collision probability and the memory per state", () => {
    const report = Checker.check(TpcBench.model(4))
    assert.isAbove(report.collisionProbability, 0)
    assert.isBelow(report.collisionProbability, 1e-9)
    assert.isAbove(report.bytesPerState, 0)
  })
})

describe("Checker: counterexamples and witnesses", () => {
  it("catches the seeded bug with a shortest trace, which the simulator replays into the same violation", () => {
    const report = Checker.check(broken(3))
    const validity = property(report, "validity")
    assert.strictEqual(validity.status, "violated")
    const steps = validity.trace!.steps
    // Shortest: prepare all (3 sends, 3 receives), 3 votes and their receipt, one commit, its receipt.
    assert.strictEqual(steps.length, 14)
    const dfs = property(Checker.check(broken(3), { strategy: "dfs" }), "validity")
    assert.strictEqual(dfs.status, "violated")
    assert.isAtLeast(dfs.trace!.steps.length, steps.length)
    const recorded = replays(broken(3), "tpc-bench/commit-on-any-yes", validity.trace!)
    assert.deepInclude(recorded.end.violation!, { kind: "invariant", property: "validity" })
  })

  it("gives witnesses that replay, and says when a sometimes property is never reached", () => {
    const report = Checker.check(TpcBench.model(2))
    const committed = property(report, "committed")
    replays(TpcBench.model(2), "tpc-bench", committed.trace!)
    const model = TpcBench.model(2)
    const never: Model = {
      ...model,
      system: { ...model.system, properties: [...model.system.properties, { kind: "sometimes", name: "impossible", holds: () => false }] }
    }
    assert.strictEqual(property(Checker.check(never), "impossible").status, "never reached")
  })

  it("finds the Calculator's unchecked response in three steps", () => {
    const report = Checker.check(Calculator.model({ clients: 1, servers: 1, depth: 4 }, Calculator.uncheckedProtocol))
    const correct = property(report, "responseCorrect")
    assert.strictEqual(correct.status, "violated")
    assert.deepStrictEqual(
      correct.trace!.steps.map((s) => s.action.kind),
      ["send", "receive", "send"]
    )
  })

  it("reports deadlocks: states with nothing to do that the model does not mark final", () => {
    const model = TpcBench.model(2)
    const { final: _final, ...withoutFinal } = model
    const report = Checker.check(withoutFinal)
    // Every run ends with everyone Done: one deadlock per decision (commit, abort) and vote pattern.
    assert.isAbove(report.deadlocks.count, 0)
    const trace = report.deadlocks.trace!
    const last = trace.steps.at(-1)!.state as any
    assert.strictEqual(last.locals.coordinator.c.phase, "Done")
  })
})

describe("Checker: symmetry reduction", () => {
  it("explores fewer states and still finds the violation, with a concrete trace that replays", () => {
    const full = Checker.check(TpcBench.model(4), { symmetry: false })
    const reduced = Checker.check({ ...TpcBench.model(4), symmetric: ["participant"] })
    assert.isTrue(reduced.symmetry)
    assert.strictEqual(full.states, TpcBench.expectedStates(4))
    assert.isBelow(reduced.states, full.states / 3)
    assert.strictEqual(property(reduced, "validity").status, "holds")
    const bad = { ...broken(4), symmetric: ["participant"] as const }
    const report = Checker.check(bad)
    const validity = property(report, "validity")
    assert.strictEqual(validity.status, "violated")
    replays(bad, "tpc-bench/commit-on-any-yes", validity.trace!)
    assert.strictEqual(validity.trace!.steps.length, property(Checker.check(broken(4)), "validity").trace!.steps.length)
  })

  it("reduces TwoPhaseCommit (with its history soup) and agrees with the full search", () => {
    const model = TwoPhaseCommit.model({ participants: 2, rounds: 1 })
    const full = Checker.check(model, { symmetry: false })
    const reduced = Checker.check(model)
    assert.isBelow(reduced.states, full.states)
    for (const p of full.properties) assert.strictEqual(property(reduced, p.name).status, p.status)
    const bad = TwoPhaseCommit.families.find((f) => f.name === "two-phase-commit/commit-on-any-yes")!.model!({ participants: 2, rounds: 2 })
    const validity = property(Checker.check(bad), "commitValidity")
    assert.strictEqual(validity.status, "violated")
    replays(bad, "two-phase-commit/commit-on-any-yes", validity.trace!)
  })
})

describe("Checker: bounds, options and errors", () => {
  it("refuses to forget consumed messages when a property reads them", () => {
    const model: Model = { ...TwoPhaseCommit.model({ participants: 2, rounds: 2 }), soup: "active" }
    assert.throws(() => Checker.check(model), ModelError, /property "tpcInv" reads consumed messages/)
  })

  it("stops at the state and depth bounds, and when interrupted, saying so", () => {
    assert.strictEqual(Checker.check(TpcBench.model(4), { maxStates: 100 }).incomplete, "max-states")
    const shallow = Checker.check(TpcBench.model(4), { maxDepth: 3 })
    assert.strictEqual(shallow.incomplete, "max-depth")
    assert.strictEqual(shallow.maxDepth, 3)
    let polls = 0
    const interrupted = Checker.check(TpcBench.model(4), { interrupted: () => ++polls > 50 })
    assert.strictEqual(interrupted.incomplete, "interrupted")
    assert.isBelow(interrupted.states, TpcBench.expectedStates(4))
  })

  it("reports progress on long searches", () => {
    const seen: Array<Checker.CheckProgress> = []
    Checker.check(TpcBench.model(5), { onProgress: (p) => seen.push(p), progressEvery: 0 })
    assert.isAbove(seen.length, 0)
    assert.isAbove(seen.at(-1)!.states, 0)
    assert.isAbove(seen.at(-1)!.memoryBytes, 0)
  })

  it("explains a send transition it cannot enumerate", () => {
    const model = Calculator.model({ clients: 1, servers: 1 })
    const { payloads: _payloads, ...withoutPayloads } = model
    assert.throws(() => Checker.check(withoutPayloads), ModelError, /send transition "clientSend" declares no candidates and the payload schema of "req" is not finite/)
  })
})

describe("Checker: local predicates", () => {
  type Shape = NonNullable<TpcBench.Protocol.TpcBenchProtocol["~shape"]>
  /** The benchmark's properties and final predicate written out over the statelet's locals, with no local predicates. */
  const asClosures = (model: Model<Shape>): Model<Shape> => {
    const p = model.system.protocol
    const applied = (s: Statelet<Shape>, nodes: NodesOf<Shape>, decision: string) => nodes.participant.some((q) => s.locals.participant[q]!.decision === decision)
    const properties = [
      Property.always(p, "agreement", (s, nodes) => !(applied(s, nodes, "commit") && applied(s, nodes, "abort"))),
      Property.always(p, "validity", (s, nodes) => !applied(s, nodes, "commit") || nodes.coordinator.every((c) => TpcBench.Protocol.allYes(nodes.participant, s.locals.coordinator[c]!.votes))),
      Property.sometimes(p, "committed", (s, nodes) => applied(s, nodes, "commit")),
      Property.sometimes(p, "aborted", (s, nodes) => applied(s, nodes, "abort"))
    ]
    const final = (s: Statelet<Shape>, nodes: NodesOf<Shape>) =>
      nodes.coordinator.every((c) => s.locals.coordinator[c]!.phase === "Done") && nodes.participant.every((q) => s.locals.participant[q]!.phase === "Done")
    return { ...model, system: { ...model.system, properties }, final }
  }
  const summary = (r: Checker.CheckReport) => ({
    states: r.states,
    transitions: r.transitions,
    deadlocks: r.deadlocks.count,
    properties: r.properties.map((p) => [p.name, p.status, p.trace?.steps.length ?? -1])
  })

  it("reach the verdicts of the same properties written over the locals, with traces as short", () => {
    for (const model of [TpcBench.model(4), broken(4)]) {
      assert.deepStrictEqual(summary(Checker.check(model)), summary(Checker.check(asClosures(model))))
    }
    // The seeded bug is still caught, and the witnesses are found, through local predicates alone.
    assert.strictEqual(property(Checker.check(broken(3)), "validity").status, "violated")
  })

  it("report a local predicate that is not a function of its arguments", () => {
    const model = TpcBench.model(2)
    const p = model.system.protocol
    let calls = 0
    const flaky = LocalPredicate.make(p, "participant", "flips", () => ++calls % 2 === 0)
    const withFlaky = { ...model, system: { ...model.system, properties: [Property.always(p, "flaky", (s, nodes) => !flaky.some(s, nodes))] } }
    assert.throws(() => Checker.check(withFlaky), ModelError, /the local predicate "flips" of p1 in state .* gave false and then true: local predicates must be functions of their arguments/)
  })

  it("report a local predicate of a role the protocol does not have", () => {
    const model = TpcBench.model(2)
    const p = model.system.protocol
    const stranger = LocalPredicate.make(p, "observer" as never, "watches", () => true)
    const withStranger = { ...model, system: { ...model.system, properties: [Property.always(p, "watched", (s, nodes) => stranger.every(s, nodes))] } }
    assert.throws(() => Checker.check(withStranger), /the local predicate "watches" is about role observer, which the system does not have \(its roles: coordinator, participant\)/)
  })
})

describe("Checker: symmetry inside worlds", () => {
  it("reduces interchangeable nodes given by id, and reaches the same verdicts", async () => {
    const { model } = await import("../../protocols/DelegatingCalculator/index.ts")
    const plain = model({ clients: 2, depth: 5 })
    const reduced = Checker.check({ ...plain, symmetric: [["c1", "c2"]] })
    const full = Checker.check(plain)
    assert.isTrue(reduced.symmetry)
    assert.isBelow(reduced.states, full.states)
    assert.deepStrictEqual(
      reduced.properties.map((p) => [p.name, p.status]),
      full.properties.map((p) => [p.name, p.status])
    )
    assert.throws(() => Checker.check({ ...plain, symmetric: [["c1", "d"]] }), /symmetric nodes c1 and d start in different states/)
  })
})

describe("Checker: verdicts independent of the other properties", () => {
  const verdicts = (r: Checker.CheckReport) => Object.fromEntries(r.properties.map((p) => [p.name, [p.status, p.trace?.steps.length]]))
  /** Every order of the two bugs, alone and with the stronger property in each position. */
  const orders: ReadonlyArray<ReadonlyArray<keyof typeof TwoBugs.properties>> = [
    ["xAtMostOne", "yAtMostOne", "yReachesThree"],
    ["yAtMostOne", "xAtMostOne", "yReachesThree"],
    ["untouched", "xAtMostOne", "yAtMostOne", "yReachesThree"],
    ["xAtMostOne", "untouched", "yAtMostOne", "yReachesThree"],
    ["yReachesThree", "yAtMostOne", "xAtMostOne", "untouched"]
  ]

  it("reports two independent bugs violated whichever order they are listed in, and a stronger third property changes neither", () => {
    for (const strategy of ["bfs", "dfs"] as const) {
      const reports = orders.map((properties) => Checker.check(TwoBugs.model({ properties }), { strategy }))
      for (const [i, report] of reports.entries()) {
        const what = `${strategy}: ${orders[i]!.join(", ")}`
        assert.strictEqual(property(report, "xAtMostOne").status, "violated", what)
        assert.strictEqual(property(report, "yAtMostOne").status, "violated", what)
        assert.strictEqual(property(report, "yReachesThree").status, "witnessed", what)
        if (orders[i]!.includes("untouched")) assert.strictEqual(property(report, "untouched").status, "violated", what)
        // The search does not depend on the properties: every reachable state, whatever they are.
        assert.isUndefined(report.incomplete, what)
        assert.deepStrictEqual([report.states, report.transitions, report.deadlocks.status], [reports[0]!.states, reports[0]!.transitions, "none"], what)
        if (strategy === "bfs") {
          // Shortest traces: two increments of the same counter.
          assert.deepStrictEqual([verdicts(report)["xAtMostOne"], verdicts(report)["yAtMostOne"]], [["violated", 2], ["violated", 2]], what)
        }
      }
    }
  })

  it("establishes holds over every reachable state: past a violation, the other properties and deadlocks are still checked", () => {
    const family = TwoPhaseCommit.families.find((f) => f.name === "two-phase-commit/commit-on-any-yes")!
    const model = family.model!({ participants: 2, rounds: 1 })
    const report = Checker.check(model)
    assert.strictEqual(property(report, "commitValidity").status, "violated")
    assert.strictEqual(property(report, "logAgreement").status, "holds")
    assert.isUndefined(report.incomplete)
    // Without the violated property, the same states are explored.
    const others = { ...model, system: { ...model.system, properties: model.system.properties.filter((p) => p.name !== "commitValidity") } }
    const without = Checker.check(others)
    assert.deepStrictEqual([report.states, report.transitions, report.deadlocks.count], [without.states, without.transitions, without.deadlocks.count])
    // A participant that voted no and then receives the commit never acknowledges it: reached only past the violation.
    assert.strictEqual(report.deadlocks.status, "found")
    assert.isAbove(report.deadlocks.trace!.steps.length, property(report, "commitValidity").trace!.steps.length)
  })

  it("explores the seeded bug's whole state space, with its deadlocks, as the plain BFS baseline counts them", () => {
    for (const n of [2, 3, 4]) {
      const plain = PlainBfs.plainBfs(n, { commitOnAnyYes: true })
      for (const strategy of ["bfs", "dfs"] as const) {
        const report = Checker.check(broken(n), { strategy })
        assert.deepStrictEqual([report.states, report.transitions, report.deadlocks.count], [plain.states, plain.transitions, plain.deadlocks], `N=${n} ${strategy}`)
        assert.deepStrictEqual([property(report, "validity").status, property(report, "agreement").status], ["violated", "holds"])
      }
    }
  })

  it("with stopAtFirstViolation, stops at the end of the violation's level and establishes nothing else", () => {
    for (const strategy of ["bfs", "dfs"] as const) {
      const report = Checker.check(TwoBugs.model({ properties: orders[3]! }), { strategy, stopAtFirstViolation: true })
      assert.strictEqual(report.incomplete, "violation", strategy)
      assert.deepStrictEqual(verdicts(report), {
        xAtMostOne: ["not established", undefined],
        untouched: ["violated", 1],
        yAtMostOne: ["not established", undefined],
        yReachesThree: ["not established", undefined]
      }, strategy)
      assert.strictEqual(report.deadlocks.status, "not established", strategy)
    }
    // Breadth-first, every property violated at the depth of the first violation is reported: which
    // state of the level was found first does not matter.
    const both = Checker.check(TwoBugs.model({ properties: ["xAtMostOne", "yAtMostOne"] }), { stopAtFirstViolation: true })
    assert.deepStrictEqual(verdicts(both), { xAtMostOne: ["violated", 2], yAtMostOne: ["violated", 2] })
    // Stopped at a deadlock when nothing is violated: the first (halted, two steps deep) is found
    // while the states two steps deep are expanded, which finds the states three steps deep, and
    // with them the witness.
    const halted = Checker.check(TwoBugs.model({ properties: ["yReachesThree"], halt: true }), { stopAtFirstViolation: true })
    assert.deepStrictEqual([halted.incomplete, halted.deadlocks.status, halted.deadlocks.trace?.steps.length, halted.maxDepth], ["deadlock", "found", 2, 3])
    assert.deepStrictEqual(verdicts(halted), { yReachesThree: ["witnessed", 3] })
  })

  it("stops once every property has its verdict only when a deadlock is found too, and says so", () => {
    const decided = Checker.check(TwoBugs.model({ properties: orders[2]!, halt: true }))
    assert.strictEqual(decided.incomplete, "decided")
    assert.strictEqual(decided.deadlocks.status, "found")
    assert.isBelow(decided.deadlocks.count, Checker.check(TwoBugs.model({ properties: [], halt: false, final: false })).states)
    // Every verdict is in, but no deadlock yet: the search goes on, to establish that there is none.
    const complete = Checker.check(TwoBugs.model({ properties: orders[2]! }))
    assert.isUndefined(complete.incomplete)
    assert.strictEqual(complete.deadlocks.status, "none")
  })

  it("never says holds, never reached or no deadlock from a bounded or interrupted search", () => {
    const established = new Set(["holds", "never reached"])
    for (const strategy of ["bfs", "dfs"] as const) {
      for (const bound of [{ maxDepth: 1 }, { maxDepth: 3 }, { maxStates: 5 }, { interrupted: () => true }]) {
        const report = Checker.check(TwoBugs.model({ properties: orders[0]! }), { strategy, ...bound })
        const what = `${strategy} ${JSON.stringify(bound)} ${report.incomplete}`
        assert.isDefined(report.incomplete, what)
        for (const p of report.properties) assert.isFalse(established.has(p.status), `${what}: ${p.name} ${p.status}`)
        assert.notStrictEqual(report.deadlocks.status, "none", what)
        const unfound = "interrupted" in bound ? "not established" : "holds within bound"
        if (property(report, "yAtMostOne").status !== "violated") assert.strictEqual(property(report, "yAtMostOne").status, unfound, what)
      }
    }
    // At a depth bound where no state has a step left, the search is complete after all.
    const whole = Checker.check(TwoBugs.model({ properties: orders[0]! }), { maxDepth: 12 })
    assert.deepStrictEqual([whole.incomplete, property(whole, "xAtMostOne").status, whole.deadlocks.status], [undefined, "violated", "none"])
  })
})
