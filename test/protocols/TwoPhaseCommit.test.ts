import { assert, describe, it } from "vitest"
import * as Step from "../../core/Step.ts"
import * as Topology from "../../core/Topology.ts"
import * as TwoPhaseCommit from "../../protocols/TwoPhaseCommit/index.ts"
import * as FaultPlan from "../../simulator/FaultPlan.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import * as Harness from "./Harness.ts"

const RUNS = 1000
const SEED = 2718

const options = (name: string, faults: FaultPlan.FaultPlan, runs = RUNS, parameters: { readonly [name: string]: number } = {}) =>
  Harness.batch(name, SEED, faults, runs, parameters)

/** The log every node ends with in the bundled system: even eras commit, odd eras abort. */
const expectedLog = (rounds: number) =>
  Array.from({ length: rounds }, (_, era) => ({ commit: era % 2 === 0, data: TwoPhaseCommit.dataOf(era) }))

describe("TwoPhaseCommit protocol", () => {
  const semanticsOf = (protocol: TwoPhaseCommit.Protocol.TwoPhaseCommitProtocol) =>
    Step.make(protocol, Topology.make(protocol, { coordinator: ["c"], participant: ["p1", "p2"] }), Step.reorderOnly)
  const semantics = semanticsOf(TwoPhaseCommit.protocol)
  const waiting = (votes: ReadonlyArray<{ node: string; yes: boolean }>): TwoPhaseCommit.Protocol.CoordinatorState => ({
    era: 3,
    phase: { tag: "waitVotes", data: 7, votes },
    log: []
  })
  const sends = (sem: Step.Semantics<any>, local: unknown, tag: string, to: string, payload: unknown) =>
    Step.sendLocal(sem, "c", local, tag, to, payload)._tag === "Sent"
  const allYes = waiting([{ node: "p1", yes: true }, { node: "p2", yes: true }])
  const oneNo = waiting([{ node: "p1", yes: true }, { node: "p2", yes: false }])
  const oneMissing = waiting([{ node: "p1", yes: true }])

  it("lets the coordinator commit only when every participant voted yes in this era", () => {
    assert.isTrue(sends(semantics, allYes, "commit", "p1", { era: 3 }))
    assert.isFalse(sends(semantics, allYes, "commit", "p1", { era: 2 }))
    assert.isFalse(sends(semantics, oneNo, "commit", "p1", { era: 3 }))
    assert.isFalse(sends(semantics, oneMissing, "commit", "p1", { era: 3 }))
  })

  it("lets the coordinator abort only when every participant voted and one voted no", () => {
    assert.isTrue(sends(semantics, oneNo, "abort", "p1", { era: 3 }))
    assert.isFalse(sends(semantics, allYes, "abort", "p1", { era: 3 }))
    assert.isFalse(sends(semantics, oneMissing, "abort", "p1", { era: 3 }))
  })

  it("lets the broken variant commit on a single yes", () => {
    const broken = semanticsOf(TwoPhaseCommit.commitOnAnyYesProtocol)
    assert.isTrue(sends(broken, oneNo, "commit", "p1", { era: 3 }))
    assert.isFalse(sends(broken, oneNo, "abort", "p1", { era: 3 }))
  })

  it("prepares each participant once, about one datum, then waits for votes", () => {
    const init = TwoPhaseCommit.protocol.roles.coordinator!.initial
    const first = Step.sendLocal(semantics, "c", init, "prepare", "p1", { era: 0, data: 5 })
    assert(first._tag === "Sent")
    assert.deepInclude(first.local as object, { phase: { tag: "sentPrepare", data: 5, sent: ["p1"] } })
    assert.isFalse(sends(semantics, first.local, "prepare", "p1", { era: 0, data: 5 }))
    assert.isFalse(sends(semantics, first.local, "prepare", "p2", { era: 0, data: 6 }))
    const second = Step.sendLocal(semantics, "c", first.local, "prepare", "p2", { era: 0, data: 5 })
    assert(second._tag === "Sent")
    assert.deepInclude(second.local as object, { phase: { tag: "waitVotes", data: 5, votes: [] } })
  })

  it("counts one vote per participant and ignores votes of other eras", () => {
    const voted = waiting([{ node: "p1", yes: false }])
    const receive = (from: string, era: number) => Step.receiveLocal(semantics, "c", voted, from, "yes", { era })
    const again = receive("p1", 3)
    const stale = receive("p2", 2)
    const fresh = receive("p2", 3)
    assert(again._tag === "Received" && stale._tag === "Received" && fresh._tag === "Received")
    assert.deepStrictEqual(again.local, voted)
    assert.deepStrictEqual(stale.local, voted)
    assert.deepStrictEqual(fresh.local, waiting([{ node: "p1", yes: false }, { node: "p2", yes: true }]))
    assert.strictEqual(Step.receiveLocal(semantics, "c", allYes, "p1", "ackCommit", { era: 3 })._tag, "Refused")
  })

  it("logs a commit only at a participant that voted yes in this era", () => {
    const votedNo: TwoPhaseCommit.Protocol.ParticipantState = { era: 1, phase: { tag: "votedNo", data: 9 }, log: [] }
    const votedYes: TwoPhaseCommit.Protocol.ParticipantState = { ...votedNo, phase: { tag: "votedYes", data: 9 } }
    const receive = (local: unknown, tag: string, era: number) => {
      const out = Step.receiveLocal(semantics, "p1", local, "c", tag, { era })
      assert(out._tag === "Received")
      return out.local
    }
    assert.deepStrictEqual(receive(votedNo, "commit", 1), votedNo)
    assert.deepStrictEqual(receive(votedYes, "commit", 0), votedYes)
    assert.deepStrictEqual(receive(votedYes, "commit", 1), { era: 1, phase: { tag: "committed", data: 9 }, log: [{ commit: true, data: 9 }] })
    assert.deepStrictEqual(receive(votedNo, "abort", 1), { era: 1, phase: { tag: "aborted", data: 9 }, log: [{ commit: false, data: 9 }] })
  })
})

describe("TwoPhaseCommit programs", () => {
  it("agree on one log of `rounds` decisions, as the votes dictate, after a reorder run", () => {
    for (const sizes of [{}, { participants: 1, rounds: 3 }, { participants: 5, rounds: 4 }]) {
      const system = TwoPhaseCommit.system(sizes)
      const rounds = "rounds" in sizes ? sizes.rounds : 2
      for (let seed = 0; seed < 20; seed++) {
        const { result } = Simulator.runOnce(system, options("two-phase-commit", FaultPlan.reorder, 1, sizes), seed)
        assert.strictEqual(result.end.status, "completed")
        const exits = result.events.filter((e) => e.type === "exit")
        assert.strictEqual(exits.length, system.topology.all.length)
        for (const exit of exits) assert.deepStrictEqual(exit.detail, expectedLog(rounds), `the result of ${exit.node}`)
        const locals = result.statelet.locals as unknown as {
          readonly coordinator: Readonly<Record<string, TwoPhaseCommit.Protocol.CoordinatorState>>
          readonly participant: Readonly<Record<string, TwoPhaseCommit.Protocol.ParticipantState>>
        }
        assert.deepStrictEqual(locals.coordinator["c"], { era: rounds, phase: { tag: "init" }, log: expectedLog(rounds) })
        for (const p of system.topology.nodes.participant) {
          assert.deepStrictEqual(locals.participant[p], { era: rounds, phase: { tag: "init" }, log: locals.coordinator["c"]!.log })
        }
      }
    }
  })
})

describe("TwoPhaseCommit under faults", () => {
  const system = TwoPhaseCommit.system()

  it(`keeps its invariants over ${RUNS} reordered runs, which all complete`, () => {
    const summary = Simulator.simulate(system, options("two-phase-commit", FaultPlan.reorder))
    assert.deepStrictEqual(summary.statuses, { completed: RUNS, stuck: 0, limit: 0, violation: 0 })
    Harness.assertWitnessed(system, summary)
  })

  it(`keeps its invariants over ${RUNS} runs with duplicated messages, which all complete`, () => {
    const plan = FaultPlan.presets.duplicate!
    const summary = Simulator.simulate(system, options("two-phase-commit", plan))
    assert.deepStrictEqual(summary.statuses, { completed: RUNS, stuck: 0, limit: 0, violation: 0 })
    Harness.assertWitnessed(system, summary)
    assert.isAbove(Harness.eventCounts(system, options("two-phase-commit", plan), 50).get("duplicate") ?? 0, 0)
  })

  it(`keeps its invariants over ${RUNS} runs with crashes and restarts, which all complete`, () => {
    const plan = FaultPlan.presets.crash!
    const summary = Simulator.simulate(system, options("two-phase-commit", plan))
    assert.deepStrictEqual(summary.statuses, { completed: RUNS, stuck: 0, limit: 0, violation: 0 })
    Harness.assertWitnessed(system, summary)
    const counts = Harness.eventCounts(system, options("two-phase-commit", plan), 50)
    assert.isAbove(counts.get("crash") ?? 0, 0)
    assert.isAbove(counts.get("restart") ?? 0, 0)
  })

  it(`keeps its invariants over ${RUNS} runs with lost messages, where a lost message blocks its round`, () => {
    const plan = FaultPlan.presets.drop!
    const summary = Simulator.simulate(system, options("two-phase-commit", plan))
    assert.strictEqual(summary.statuses.violation, 0)
    assert.strictEqual(summary.statuses.limit, 0)
    assert.isAbove(summary.statuses.stuck, 0)
    assert.isAbove(summary.statuses.completed, 0)
    Harness.assertWitnessed(system, summary)
    assert.isAbove(Harness.eventCounts(system, options("two-phase-commit", plan), 50).get("drop") ?? 0, 0)
  })

  it("declares the faults its tests show it tolerates", () => {
    const family = TwoPhaseCommit.families.find((f) => f.name === "two-phase-commit")!
    assert.isFalse(family.broken)
    assert.sameMembers([...family.tolerates], ["drop", "duplicate", "crash", "restart"])
  })
})

describe("TwoPhaseCommit broken variants", () => {
  it("catches commit-on-any-yes with commitValidity, shrinks it and replays the shrunk trace", () => {
    const family = TwoPhaseCommit.families.find((f) => f.name === "two-phase-commit/commit-on-any-yes")!
    const { original, shrunk } = Harness.assertCaught(family, SEED)
    for (const v of [original, shrunk]) assert.deepInclude(v, { kind: "invariant", property: "commitValidity" })
  })

  it("refuses, in the correct protocol, the commit of a coordinator that commits on any yes", () => {
    const system = TwoPhaseCommit.eagerCoordinator({ participants: 3, rounds: 2 })
    const summary = Simulator.simulate(system, { ...options("two-phase-commit", FaultPlan.reorder, 20), stopOnViolation: true })
    assert.strictEqual(summary.violations, 1)
    assert.deepInclude(summary.firstFailure!.trace.end.violation!, {
      kind: "protocol",
      node: "c",
      transition: "sendCommit",
      reason: "the guard of sendCommit is false"
    })
  })
})
