/**
 * The liveness checker (`checker/Liveness.ts`) on walks whose fair runs are known, one test per
 * known failure mode of liveness checkers: cycles that join (Stateright PR #3), a verdict that only a
 * bound made true, violations that fairness excludes (weak and strong), one that symmetry reduction
 * could hide, runs that stop, and faults on the stem. Every lasso is replayed through the step
 * function and checked: its cycle returns to its start and the goal never holds on it.
 */
import { describe, expect, it } from "vitest"
import { checkLiveness, type Lasso } from "../../checker/Liveness.ts"
import type { Model } from "../../core/Model.ts"
import * as Property from "../../core/Property.ts"
import type { Statelet } from "../../core/Statelet.ts"
import * as Step from "../../core/Step.ts"
import * as Walk from "./fixtures/Walk.ts"

type Edges = { readonly [place: string]: ReadonlyArray<string> }

const at = (walker: string, place: string) => (s: Statelet<any>) => s.locals.walker[walker]!.at === place

/** The state as the graph sees it: locals, crashed nodes and the active messages as a multiset. */
const abstract = (s: Statelet): string =>
  JSON.stringify([s.locals, [...s.crashed].sort(), s.soup.filter((m) => m.active).map((m) => JSON.stringify([m.tag, m.from, m.to, m.payload])).sort()])

/** Replays a lasso through the step function and checks it is a run that never meets `goal` after its trigger. */
const expectLasso = (model: Model, lasso: Lasso, goal: (s: Statelet) => boolean, trigger?: (s: Statelet) => boolean) => {
  const semantics = Step.make(model.system.protocol, model.system.topology, model.faults ?? Step.reorderOnly)
  let s = semantics.initial
  const states: Array<Statelet> = [s]
  for (const step of [...lasso.stem, ...lasso.cycle]) {
    const outcome = Step.step(semantics, s, step.action)
    expect(outcome._tag).toBe("Stepped")
    s = (outcome as Step.Stepped<any>).statelet
    expect(abstract(s)).toBe(abstract(step.state))
    states.push(s)
  }
  const loopStart = states[lasso.stem.length]!
  expect(abstract(states[states.length - 1]!)).toBe(abstract(loopStart))
  expect(lasso.stutters).toBe(lasso.cycle.length === 0)
  const firstTrigger = trigger === undefined ? 0 : states.findIndex(trigger)
  expect(firstTrigger).toBeGreaterThanOrEqual(0)
  expect(firstTrigger).toBeLessThanOrEqual(lasso.stem.length)
  for (const state of states.slice(firstTrigger)) expect(goal(state)).toBe(false)
}

const run = (edges: Edges, property: (p: Walk.WalkProtocol) => Property.Property, options: Parameters<typeof Walk.model>[2] = {}, extra: Partial<Model> = {}) => {
  const protocol = Walk.make(edges, "start")
  const model: Model = { ...Walk.model(protocol, [property(protocol)], options), ...extra }
  const report = checkLiveness(model)
  return { model, report, result: report.properties[0]! }
}

describe("cycles that join (Stateright PR #3)", () => {
  // X is reached from start directly and through P; from X the walk cycles through Y for ever.
  // A search that marks X "satisfied" when it first reaches it through P, and never looks at X
  // again, misses the run start → X → Y → X → ... that never visits P.
  for (const order of [["P", "X"], ["X", "P"]]) {
    it(`finds the run that reaches the join without the goal (edges from start in order ${order.join(", ")})`, () => {
      const edges = { start: order, P: ["X"], X: ["Y"], Y: ["X"] }
      const { model, result } = run(edges, (p) => Property.eventually(p, "visitsP", at("w1", "P")))
      expect(result.status).toBe("violated")
      expectLasso(model, result.lasso!, at("w1", "P"))
      expect(result.lasso!.cycle.length).toBeGreaterThan(0)
    })
  }
  it("leadsTo: a trigger on one path to the join, and the goal only on the other", () => {
    // start → T (trigger) → J; start → G (goal) → J; J → K → J. Leaving T, the goal never comes.
    const edges = { start: ["G", "T"], G: ["J"], T: ["J"], J: ["K"], K: ["J"] }
    const { model, result } = run(edges, (p) => Property.leadsTo(p, "tThenG", at("w1", "T"), at("w1", "G")))
    expect(result.status).toBe("violated")
    expectLasso(model, result.lasso!, at("w1", "G"), at("w1", "T"))
  })
  it("leadsTo holds when every path from the trigger meets the goal before the cycle", () => {
    const edges = { start: ["T", "J"], T: ["G"], G: ["J"], J: ["K"], K: ["J"] }
    expect(run(edges, (p) => Property.leadsTo(p, "tThenG", at("w1", "T"), at("w1", "G"))).result.status).toBe("holds")
  })
})

describe("bounds", () => {
  const chain = { start: ["a1"], a1: ["a2"], a2: ["a3"], a3: ["a4"], a4: ["loop"], loop: ["loop"] }
  it("a violation beyond the bound: not established within the bound, never holds", () => {
    const eventuallyGoal = (p: Walk.WalkProtocol) => Property.eventually(p, "reachesGoal", at("w1", "goal"))
    expect(run(chain, eventuallyGoal).result.status).toBe("violated")
    const cut = run(chain, eventuallyGoal, { maxDepth: 6 })
    expect(cut.report.incomplete).toBe("max-depth")
    expect(cut.result.status).toBe("not established within the bound")
    const few = run(chain, eventuallyGoal, { maxStates: 5 })
    expect(few.report.incomplete).toBe("max-states")
    expect(few.result.status).toBe("not established within the bound")
  })
  it("states left unexpanded at the bound are not runs that stop", () => {
    const toGoal = { start: ["a1"], a1: ["a2"], a2: ["goal"] }
    const eventuallyGoal = (p: Walk.WalkProtocol) => Property.eventually(p, "reachesGoal", at("w1", "goal"))
    expect(run(toGoal, eventuallyGoal).result.status).toBe("holds")
    expect(run(toGoal, eventuallyGoal, { maxDepth: 3 }).result.status).toBe("not established within the bound")
  })
  it("a violation found within the bound is a violation: every state on its lasso was expanded", () => {
    const early = { start: ["loop", "a1"], loop: ["loop"], a1: ["a2"], a2: ["a3"], a3: ["a4"], a4: ["goal"] }
    const { model, result, report } = run(early, (p) => Property.eventually(p, "reachesGoal", at("w1", "goal")), { maxDepth: 5 })
    expect(report.incomplete).toBe("max-depth")
    expect(result.status).toBe("violated")
    expectLasso(model, result.lasso!, at("w1", "goal"))
  })
})

describe("fairness", () => {
  it("weak fairness: a worker whose job stays enabled does it, however long a walker spins", () => {
    const spin = { start: ["start"] }
    const done = (p: Walk.WalkProtocol) => Property.eventually(p, "workDone", (s) => (s.locals.worker.k as { done: boolean }).done)
    const fair = run(spin, done, { workers: ["k"] })
    expect(fair.result.status).toBe("holds")
    expect(fair.report.fairness).toBe("weak fairness of every send and every receive")
    const unfair = run(spin, done, { workers: ["k"], fairness: { weak: "none" } })
    expect(unfair.result.status).toBe("violated")
    expectLasso(unfair.model, unfair.result.lasso!, (s) => (s.locals.worker.k as { done: boolean }).done)
    expect(unfair.result.lasso!.cycle.every((step) => step.message?.tag === "hop")).toBe(true)
  })
  it("strong fairness: a hop enabled infinitely often (not continuously) is taken only under strong fairness", () => {
    const choice = { start: ["start", "D"] }
    const reachesD = (p: Walk.WalkProtocol) => Property.eventually(p, "reachesD", at("w1", "D"))
    const weak = run(choice, reachesD)
    expect(weak.result.status).toBe("violated")
    expectLasso(weak.model, weak.result.lasso!, at("w1", "D"))
    const strong = run(choice, reachesD, { fairness: { strong: ["hop"] } })
    expect(strong.result.status).toBe("holds")
    expect(strong.report.fairness).toContain("strong fairness of the sends and receives of hop")
  })
  it("a run stops where nothing is enabled: a lasso that stutters", () => {
    const { model, result } = run({ start: ["A"], A: [] }, (p) => Property.eventually(p, "reachesB", at("w1", "B")))
    expect(result.status).toBe("violated")
    expect(result.lasso!.stutters).toBe(true)
    expectLasso(model, result.lasso!, at("w1", "B"))
  })
  it("faults happen on the stem, finitely often: a dropped hop strands the walker", () => {
    const edges = { start: ["D"] }
    const reachesD = (p: Walk.WalkProtocol) => Property.eventually(p, "reachesD", at("w1", "D"))
    expect(run(edges, reachesD).result.status).toBe("holds")
    const faults = { drop: true, duplicate: false, crash: false, restart: false }
    const lossy = run(edges, reachesD, {}, { faults })
    expect(lossy.result.status).toBe("violated")
    expect(lossy.result.lasso!.stem.some((step) => step.action.kind === "drop")).toBe(true)
    expectLasso(lossy.model, lossy.result.lasso!, at("w1", "D"))
    expect(lossy.report.fairness).toContain("faults (drop) happen finitely often")
  })
  it("a fault that can repeat for ever is not a fair cycle: duplication alone cannot starve a receive", () => {
    // With duplication (bounded by the model) the walker still arrives: copies are fault steps.
    const faults = { drop: false, duplicate: true, crash: false, restart: false }
    expect(run({ start: ["D"] }, (p) => Property.eventually(p, "reachesD", at("w1", "D")), {}, { faults }).result.status).toBe("holds")
  })
})

describe("symmetry", () => {
  it("explores the unreduced graph: a violation by one of two interchangeable walkers is found", () => {
    // w2 may spin at start for ever while w1 goes to D. Reduced, a state where one walker is at D
    // and one at start has one representative, in which it may be w2 that is at D.
    const edges = { start: ["start", "D"] }
    const { model, result, report } = run(edges, (p) => Property.eventually(p, "w2ReachesD", at("w2", "D")), { walkers: ["w1", "w2"], symmetric: ["walker"] })
    expect(result.status).toBe("violated")
    expectLasso(model, result.lasso!, at("w2", "D"))
    expect(report.symmetry).toContain("unreduced")
  })
})

describe("search", () => {
  it("a deep cycle does not overflow the stack (iterative Tarjan)", () => {
    const ring: Record<string, Array<string>> = { start: ["r0"] }
    for (let i = 0; i < 3000; i++) ring[`r${i}`] = [`r${(i + 1) % 3000}`]
    const { result } = run(ring, (p) => Property.eventually(p, "reachesGoal", at("w1", "goal")))
    expect(result.status).toBe("violated")
    expect(result.lasso!.cycle.length).toBe(6000)
  })
  it("an eventually whose goal holds initially holds whatever the bound", () => {
    expect(run({ start: ["start"] }, (p) => Property.eventually(p, "now", at("w1", "start")), { maxDepth: 0 }).result.status).toBe("holds")
  })
})
