/**
 * The bundled protocols' liveness properties (`checker/Liveness.ts`): each holds under its model's
 * weak fairness and, where the model is finite, fails with a lasso once messages may be dropped
 * (nothing retransmits at the protocol level). Lassos replay in the simulator, marked stem and
 * cycle. The Calculator's model is cut at a depth (clients may always ask again), so its verdict is
 * "not established within the bound", never "holds".
 */
import { assert, describe, it } from "vitest"
import { checkLiveness, type Lasso } from "../../checker/Liveness.ts"
import type { Model } from "../../core/Model.ts"
import type { System } from "../../core/System.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"
import * as LockResource from "../../protocols/LockResource/index.ts"
import * as TwoPhaseCommit from "../../protocols/TwoPhaseCommit/index.ts"
import * as FaultPlan from "../../simulator/FaultPlan.ts"
import * as Report from "../../simulator/Report.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import * as Trace from "../../simulator/Trace.ts"

const drop = { drop: true, duplicate: false, crash: false, restart: false }

const verdict = (model: Model, name: string) => checkLiveness(model).properties.find((p) => p.name === name)!

/** The lasso as the simulator replays it, with the header's marks, and its report. */
const replayed = (system: System, name: string, property: string, lasso: Lasso, faults: FaultPlan.FaultPlan) => {
  const steps = [...lasso.stem, ...lasso.cycle].map((s) => ({ action: s.action, message: s.message }))
  const trace = Simulator.traceOfSteps(system, { name, parameters: {}, faults }, steps)
  const marked = { ...trace, header: { ...trace.header, lasso: { property, stem: lasso.stem.length, cycle: lasso.cycle.length, stutters: lasso.stutters } } }
  const parsed = Trace.fromNdjson(Trace.toNdjson(marked))
  return { replay: Simulator.replay(system, parsed), text: Report.formatTrace(parsed) }
}

describe("TwoPhaseCommit: every participant eventually applies the decision of every round", () => {
  const sizes = { participants: 2, rounds: 1 }
  it("holds under weak fairness on a reorder-only network", () => {
    assert.strictEqual(verdict(TwoPhaseCommit.model(sizes), "everyoneAppliesEveryRound").status, "holds")
  })
  it("fails with a lasso once messages may be dropped, and the lasso replays marked", () => {
    const model = { ...TwoPhaseCommit.model(sizes), faults: drop }
    const result = verdict(model, "everyoneAppliesEveryRound")
    assert.strictEqual(result.status, "violated")
    const lasso = result.lasso!
    assert.isTrue(lasso.stem.some((s) => s.action.kind === "drop"))
    const { replay, text } = replayed(model.system, "two-phase-commit", result.name, lasso, { ...FaultPlan.reorder, drop: 0.1 })
    assert.isTrue(replay.identical, replay.difference)
    assert.include(text, `stem of the lasso violating everyoneAppliesEveryRound: steps 1–${lasso.stem.length}`)
    assert.include(text, lasso.stutters ? "the run stops here for ever" : "↻ cycle")
  })
})

describe("LockResource: every client eventually gets the lock", () => {
  it("holds under weak fairness, 2 and 3 clients", () => {
    for (const clients of [2, 3]) assert.strictEqual(verdict(LockResource.model({ clients }), "everyClientGetsTheLock").status, "holds")
  })
  it("fails with a lasso when a request may be dropped", () => {
    const result = verdict({ ...LockResource.model({ clients: 2 }), faults: drop }, "everyClientGetsTheLock")
    assert.strictEqual(result.status, "violated")
    assert.isTrue(result.lasso!.stem.some((s) => s.action.kind === "drop"))
    const last = result.lasso!.stem.at(-1)?.state ?? result.lasso!.initial
    const clients = Object.values((last.locals as any).node).map((n: any) => n.lock).filter((l: any) => l.role === "client")
    assert.isTrue(clients.some((c: any) => c.state.phase === "waiting" || c.state.phase === "idle"))
  })
})

describe("Calculator: every request is answered", () => {
  it("is not established within the bound of its depth-bounded model (never holds)", () => {
    const report = checkLiveness(Calculator.model({ clients: 1, servers: 1, depth: 4 }))
    assert.strictEqual(report.incomplete, "max-depth")
    assert.strictEqual(report.properties.find((p) => p.name === "everyRequestAnswered")!.status, "not established within the bound")
  })
})

describe("check's report", () => {
  it("lists the liveness verdicts, the fairness assumed and the graph liveness explored", async () => {
    const Check = await import("../../cli/Check.ts")
    const outcome = await Check.explore({ module: LockResource.manifest.module, family: "lock-resource", traced: undefined }, { clients: 2 }, { strategy: "bfs" })
    const text = Check.formatOutcome(outcome, { maxDepth: undefined, maxStates: undefined })
    assert.match(text, /^liveness {4}everyClientGetsTheLock {2}eventually {2}holds$/m)
    assert.match(text, /^fairness {4}weak fairness of every send and every receive$/m)
    assert.match(text, /liveness explored its own graph on one thread: [\d,]+ states, [\d,]+ edges, every reachable state expanded/)
  })
})
