/**
 * Stuck runs: a run that ends with some program waiting and nothing enabled is explained (who waits
 * for what, and what became of the messages it could have taken); a stuck run that lost no message
 * and no node is a deadlock, which fails the batch whatever the plan; one after a drop or a crash is
 * reported but excused. A malformed fault plan given to the API is a `FaultPlanError`.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "vitest"
import * as Prng from "../../core/Prng.ts"
import * as Engine from "../../simulator/Engine.ts"
import * as FaultPlan from "../../simulator/FaultPlan.ts"
import * as Report from "../../simulator/Report.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import * as Trace from "../../simulator/Trace.ts"
import { protoweave, scratch } from "../cli/Harness.ts"
import * as Ballot from "./BallotProtocol.ts"

const base = { name: "ballot", parameters: {}, seed: 5, runs: 200, faults: FaultPlan.reorder, maxSteps: 1000, maxTime: 60_000 }

describe("stuck runs without a loss are failures", () => {
  it("a collector that overwrites its votes deadlocks in every run under reorder: the batch fails, and the summary says who waits for what", () => {
    const summary = Simulator.simulate(Ballot.system(2, true), base)
    assert.strictEqual(summary.statuses.stuck, 200)
    assert.strictEqual(summary.stuck?.unexcused, 200)
    assert.isTrue(Simulator.failed(summary))
    const first = summary.stuck!.first!
    assert.isFalse(first.excused)
    assert.strictEqual(first.run, 0)
    assert.deepStrictEqual(first.trace.end.blocked, ["c"])
    const wait = first.waits[0]!
    assert.strictEqual(wait.kind, "receive")
    const text = Report.formatSummary(summary, base)
    assert.include(text, "200 of 200 stuck runs lost no message and no node: the programs deadlock (a failure)")
    assert.match(text, /c waits for vote; msgs \d+, \d+ were received earlier \(steps \d+, \d+\), and no other was sent/)
    // The stuck run's trace replays exactly.
    assert.isTrue(Simulator.replay(Ballot.system(2, true), first.trace).identical)
  })

  it("the correct collector never gets stuck under reorder or duplication", () => {
    for (const faults of [FaultPlan.reorder, FaultPlan.presets.duplicate!]) {
      const summary = Simulator.simulate(Ballot.system(3), { ...base, faults })
      assert.strictEqual(summary.statuses.stuck, 0)
      assert.isFalse(Simulator.failed(summary))
    }
  })

  it("a deadlock under a lossy plan is still a failure when the run lost nothing", () => {
    const summary = Simulator.simulate(Ballot.system(2, true), { ...base, faults: FaultPlan.parse("drop=0.2") })
    assert.strictEqual(summary.statuses.stuck, 200)
    const lossless = summary.stuck!.unexcused
    assert.isAbove(lossless, 0)
    assert.isBelow(lossless, 200)
    assert.isFalse(summary.stuck!.first!.excused)
    assert.isTrue(Simulator.failed(summary))
  })
})

describe("stuck runs after a loss are explained and excused", () => {
  it("under drops, a voter whose only ask was dropped waits for it for ever; the summary says so and does not fail", () => {
    const faults = FaultPlan.parse("drop=0.3")
    const summary = Simulator.simulate(Ballot.system(2), { ...base, faults })
    assert.isAbove(summary.statuses.stuck, 0)
    assert.strictEqual(summary.stuck?.unexcused, 0)
    assert.isFalse(Simulator.failed(summary))
    const first = summary.stuck!.first!
    assert.isTrue(first.excused)
    const lines = first.waits.map(Report.formatWait)
    const dropped = lines.filter((l) => /the only such message, msg \d+, was dropped at step \d+ and nothing retransmits/.test(l))
    assert.isAbove(dropped.length, 0, lines.join("\n"))
    const text = Report.formatSummary(summary, { ...base, faults })
    assert.include(text, "lost a message or a node first, which the plan allows: not counted as failures")
    assert.include(text, dropped[0]!)
  })

  it("a node that crashed and never restarted is reported as down", () => {
    const faults = FaultPlan.parse("crash@1=v1")
    const summary = Simulator.simulate(Ballot.system(2), { ...base, runs: 1, faults })
    assert.strictEqual(summary.statuses.stuck, 1)
    const waits = summary.stuck!.first!.waits.map(Report.formatWait)
    assert.include(waits, "v1 is down: it crashed at step 1 and did not restart")
    assert.isTrue(waits.some((w) => w.startsWith("c waits for vote;")), waits.join("\n"))
  })
})

describe("what blocked nodes wait for, in a run its chooser ended early", () => {
  it("tells a message still receivable from one that was lost", () => {
    let taken = 0
    const chooser: Engine.Chooser = {
      delay: () => 0,
      choose: (view) => (taken++ < 2 ? { candidate: view.enabled()[0]! } : { end: "quiescent" })
    }
    const result = Engine.run(Ballot.system(2), { faults: FaultPlan.reorder, maxSteps: 100, maxTime: 100 }, chooser)
    assert.deepStrictEqual(result.end.blocked, ["c", "v1", "v2"])
    assert.deepStrictEqual(
      result.waits.map(Report.formatWait),
      [
        "c waits for vote; no such message was sent to it",
        "v1 waits for ask; msg 0 is in flight and receivable (the run ended first), and no other was sent",
        "v2 waits for ask; msg 1 is in flight and receivable (the run ended first), and no other was sent"
      ]
    )
  })
})

describe("malformed fault plans given to the API", () => {
  const broken: Array<[string, unknown, RegExp]> = [
    ["no schedule", { ...FaultPlan.reorder, schedule: undefined }, /schedule must be an array/],
    ["no delay", { ...FaultPlan.reorder, delay: undefined }, /delay must be \{ min, max \}/],
    ["a probability above 1", { ...FaultPlan.reorder, drop: 3 }, /drop must be a probability in \[0, 1\], got 3/],
    ["a string probability", { ...FaultPlan.reorder, crash: "0.1" }, /crash must be a probability/],
    ["a bad scheduled fault", { ...FaultPlan.reorder, schedule: [{ step: 2, fault: "partition", node: "c" }] }, /schedule\[0\]\.fault must be/],
    ["not an object", null, /the plan must be an object/]
  ]
  for (const [what, faults, message] of broken) {
    it(`fail with FaultPlanError, not a TypeError: ${what}`, () => {
      const options = { ...base, runs: 1, faults: faults as FaultPlan.FaultPlan }
      assert.throws(() => Simulator.simulate(Ballot.system(), options), FaultPlan.FaultPlanError, message)
      assert.throws(() => Simulator.runOnce(Ballot.system(), options), FaultPlan.FaultPlanError, message)
      assert.throws(
        () => Engine.run(Ballot.system(), { faults: faults as FaultPlan.FaultPlan, maxSteps: 10, maxTime: 10 }, Simulator.randomChooser(Prng.make(1), FaultPlan.reorder)),
        FaultPlan.FaultPlanError,
        message
      )
    })
  }
})

describe("protoweave simulate --trace-stuck", () => {
  const dir = scratch("protoweave-stuck-")

  it("writes the first stuck run's trace, which replays; stuck runs after drops do not fail the batch", () => {
    const file = path.join(dir, "stuck.ndjson")
    const result = protoweave("simulate", "two-phase-commit", "--runs", "60", "--faults", "drop", "--trace-stuck", file)
    assert.strictEqual(result.code, 0, result.stdout + result.stderr)
    assert.match(result.stdout, /stuck runs? lost a message or a node first, which the plan allows: not counted as failures/)
    assert.match(result.stdout, /first stuck run: run \d+ \(seed \d+\), \d+ steps, after a loss/)
    assert.match(result.stdout, /waits for [a-zA-Z|]+; /)
    assert.include(result.stdout, `written to ${file}`)
    const trace = Trace.fromNdjson(fs.readFileSync(file, "utf8"))
    assert.strictEqual(trace.end.status, "stuck")
    const replayed = protoweave("replay", file)
    assert.strictEqual(replayed.code, 0, replayed.stdout + replayed.stderr)
    assert.include(replayed.stdout, "identical to the recording")
    assert.include(replayed.stdout, "the run ends stuck after a loss (a drop or a crash):")
    assert.match(replayed.stdout, /^ {2}\S+ (waits for|is down)/m)
  })

  it("says so when no run got stuck", () => {
    const file = path.join(dir, "none.ndjson")
    const result = protoweave("simulate", "calculator", "--runs", "5", "--trace-stuck", file)
    assert.strictEqual(result.code, 0, result.stdout + result.stderr)
    assert.include(result.stdout, `no run ended stuck: nothing written to ${file}`)
    assert.isFalse(fs.existsSync(file))
  })
})
