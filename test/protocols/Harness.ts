/**
 * What every protocol's tests share: batch options, counting the kinds of events a plan injects,
 * checking that every `sometimes` property is witnessed, and checking that a broken variant is
 * caught, shrunk, and that its shrunk trace replays to the same violation.
 */
import { assert } from "vitest"
import type * as System from "../../core/System.ts"
import * as FaultPlan from "../../simulator/FaultPlan.ts"
import * as Prng from "../../core/Prng.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import type { Trace, Violation } from "../../simulator/Trace.ts"

/** Options of a batch of `runs` runs of `name` from `seed`, which does not stop at a violation. */
export const batch = (
  name: string,
  seed: number,
  faults: FaultPlan.FaultPlan,
  runs: number,
  parameters: { readonly [name: string]: number } = {}
): Simulator.SimulateOptions => ({ name, parameters, seed, runs, faults, maxSteps: 5000, maxTime: 600_000, stopOnViolation: false })

/** The scheduling decisions of a trace (every event but program exits). */
export const decisions = (trace: Trace) => trace.events.filter((e) => e.type !== "exit")

/** In how many of the first `sample` runs of a batch each kind of event occurs (runs derive seeds as `simulate` does). */
export const eventCounts = (system: System.System, options: Simulator.SimulateOptions, sample: number) => {
  const counts = new Map<string, number>()
  for (let i = 0; i < sample; i++) {
    const { trace } = Simulator.runOnce(system, options, Prng.derive(options.seed, i))
    for (const type of new Set(trace.events.map((e) => e.type))) counts.set(type, (counts.get(type) ?? 0) + 1)
  }
  return counts
}

/** Every `sometimes` property of the system was reached in some run of the batch. */
export const assertWitnessed = (system: System.System, summary: Simulator.Summary) => {
  for (const p of system.properties.filter((p) => p.kind === "sometimes")) {
    assert.isAbove(summary.witnessed.get(p.name) ?? 0, 0, `${p.name} is never witnessed`)
  }
}

/**
 * Runs a broken family until it fails and checks the failure: it is shrunk to no more decisions,
 * and the shrunk trace replays exactly to the same violation. Returns both violations.
 */
export const assertCaught = (family: System.Family, seed: number, runs = 100): { original: Violation; shrunk: Violation } => {
  assert.isTrue(family.broken)
  const system = family.make({})
  const summary = Simulator.simulate(system, { ...batch(family.name, seed, FaultPlan.reorder, runs), stopOnViolation: true })
  assert.isAbove(summary.violations, 0)
  const failure = summary.firstFailure!
  const shrunk = failure.shrunk!
  assert.isDefined(shrunk)
  assert.isAtMost(decisions(shrunk).length, decisions(failure.trace).length)
  const replayed = Simulator.replay(system, shrunk)
  assert.isTrue(replayed.identical, replayed.difference)
  assert.strictEqual(replayed.trace.end.status, "violation")
  assert.deepStrictEqual(replayed.trace.end.violation, shrunk.end.violation)
  return { original: failure.trace.end.violation!, shrunk: shrunk.end.violation! }
}
