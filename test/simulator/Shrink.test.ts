/**
 * Shrinking against the shortest counterexamples: for every bundled broken variant that has
 * programs, the simulator's shrunk trace is at most 1.5 times the checker's shortest trace at the
 * same parameters. An invariant violation is compared with the model checker's shortest trace of
 * the same property (breadth-first); a forbidden send (a ProtocolViolation, which the protocol-level
 * checker cannot see) with the shortest schedule of the programs (`Schedules.explore`, iterative
 * deepening). The simulator's shortest is the shrunk trace of the programs or, when shrinking found
 * one, the shorter protocol-level trace; both are printed, and both replay strictly.
 */
import { assert, describe, it } from "vitest"
import * as Checker from "../../checker/Checker.ts"
import { families } from "../../protocols/index.ts"
import * as FaultPlan from "../../simulator/FaultPlan.ts"
import * as RandomWalk from "../../simulator/RandomWalk.ts"
import * as Schedules from "../../simulator/Schedules.ts"
import * as Simulator from "../../simulator/Simulator.ts"

/** Sizes small enough for an exhaustive search; the same sizes for the simulator and the checker. */
const sizes: { readonly [name: string]: { readonly [name: string]: number } } = {
  "two-phase-commit/commit-on-any-yes": { participants: 2, rounds: 2 },
  "calculator/wrong-answer": { clients: 1, servers: 1, requests: 1 },
  "calculator/unchecked-response": { clients: 1, servers: 1, requests: 1 },
  "query-tpc/lying-answerer": { participants: 1, rounds: 1 },
  "query-tpc/no-hook": { participants: 1, rounds: 1 },
  "delegating-calculator/wrong-backend": { clients: 1, requests: 1 },
  "lock-resource/greedy-writer": { clients: 2 },
  "lock-resource/no-hook": { clients: 2 }
}

const withPrograms = families.filter((f) => f.broken && f.make({}).programs.size > 0)

describe("shrinking against the checker's shortest traces", () => {
  it("covers every broken variant with programs", () => {
    assert.deepStrictEqual(withPrograms.map((f) => f.name).sort(), Object.keys(sizes).sort())
  })

  for (const family of withPrograms) {
    it(`${family.name}: the shrunk trace is at most 1.5 × the shortest`, () => {
      const parameters = sizes[family.name] ?? {}
      const system = family.make(parameters)
      const options = { name: family.name, parameters, seed: 1, runs: 500, faults: FaultPlan.reorder, maxSteps: 5000, maxTime: 600_000 }
      const failure = Simulator.simulate(system, options).firstFailure
      assert.isDefined(failure, `${family.name}: no violation in ${options.runs} runs`)
      const violation = failure!.trace.end.violation!
      const shrunk = failure!.shrunk!
      const protocol = failure!.shrunkProtocol
      const simulator = Math.min(shrunk.end.steps, protocol?.end.steps ?? Number.POSITIVE_INFINITY)
      let reference: number
      let by: string
      if (violation.kind === "invariant" && family.model !== undefined) {
        const report = Checker.check(family.model(parameters), { strategy: "bfs" })
        const result = report.properties.find((p) => p.name === violation.property)
        assert.strictEqual(result?.status, "violated", `the checker does not find ${violation.property} violated`)
        reference = result!.trace!.steps.length
        by = "checker (bfs)"
      } else {
        const explored = Schedules.explore(family.make(parameters), { name: family.name, parameters, maxDepth: shrunk.end.steps, shortestFirst: true })
        assert.isAbove(explored.violations.length, 0)
        reference = explored.violations[0]!.trace.end.steps
        by = "program schedules (shortest first)"
      }
      console.log(
        `${family.name} ${JSON.stringify(parameters)}: run ${failure!.trace.end.steps} steps, shrunk ${shrunk.end.steps} (programs)` +
          `${protocol === undefined ? "" : `, ${protocol.end.steps} (protocol level)`}; shortest by the ${by}: ${reference}`
      )
      assert.isAtMost(simulator, 1.5 * reference, `${family.name}: shrunk to ${simulator} steps, the shortest is ${reference}`)
      for (const [trace, level] of [[shrunk, "programs"], [protocol, "protocol"]] as const) {
        if (trace === undefined) continue
        assert.strictEqual(trace.header.level, level)
        const replayed = Simulator.replay(family.make(parameters), trace)
        assert.isTrue(replayed.identical, replayed.difference)
        assert.deepStrictEqual(replayed.trace.end.violation?.kind, violation.kind)
      }
    })
  }
})

describe("shrinking protocol-level walks against the checker's shortest traces", () => {
  const withoutPrograms = families.filter((f) => f.broken && f.make({}).programs.size === 0)

  it("covers every broken variant without programs", () => {
    assert.isAbove(withoutPrograms.length, 0)
    for (const family of withoutPrograms) assert.isDefined(family.model, `${family.name} has neither programs nor a model`)
  })

  for (const family of withoutPrograms) {
    it(`${family.name}: a walk's shrunk trace is at most 1.5 × the shortest`, () => {
      const parameters = {}
      const model = family.model!(parameters)
      const options = { name: family.name, parameters, seed: 1, runs: 200, faults: FaultPlan.reorder, maxSteps: 500, maxTime: 600_000, model }
      const failure = RandomWalk.walk(family.make(parameters), options).firstFailure
      assert.isDefined(failure, `${family.name}: no violation in ${options.runs} walks`)
      const violation = failure!.trace.end.violation!
      assert.strictEqual(violation.kind, "invariant", "a walk without programs breaks an invariant")
      if (violation.kind !== "invariant") return
      const shrunk = failure!.shrunk!
      const result = Checker.check(model, { strategy: "bfs" }).properties.find((p) => p.name === violation.property)
      assert.strictEqual(result?.status, "violated", `the checker does not find ${violation.property} violated`)
      const reference = result!.trace!.steps.length
      console.log(`${family.name}: walk ${failure!.trace.end.steps} steps, shrunk ${shrunk.end.steps}; shortest by the checker (bfs): ${reference}`)
      assert.isAtMost(shrunk.end.steps, 1.5 * reference)
      const replayed = Simulator.replay(family.make(parameters), shrunk)
      assert.isTrue(replayed.identical, replayed.difference)
    })
  }
})

describe("shrinking at the protocol level", () => {
  it("changes a vote to reach Two-Phase Commit's bug in the first round, which the programs only reach in the second", () => {
    const family = families.find((f) => f.name === "two-phase-commit/commit-on-any-yes")!
    const parameters = { participants: 3, rounds: 2 }
    const summary = Simulator.simulate(family.make(parameters), {
      name: family.name,
      parameters,
      seed: 1,
      runs: 10,
      faults: FaultPlan.reorder,
      maxSteps: 5000,
      maxTime: 600_000
    })
    const protocol = summary.firstFailure!.shrunkProtocol!
    // Three prepares, each received and answered, three votes counted, one commit sent and received.
    assert.strictEqual(protocol.end.steps, 14)
    const votes = protocol.events.filter((e) => e.type === "send" && (e.tag === "yes" || e.tag === "no"))
    assert.sameMembers(votes.map((e) => (e.type === "send" ? e.tag : "")), ["no", "yes", "yes"])
    // The programs' own shrunk run needs the second round, where p1 votes no.
    assert.isAbove(summary.firstFailure!.shrunk!.end.steps, 30)
  })
})
