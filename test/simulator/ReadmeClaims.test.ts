/**
 * The figures the README's "Simulating" section quotes are what `simulate` computes with its
 * default flags: the shrink of two-phase-commit/commit-on-any-yes, and the stuck runs of
 * two-phase-commit under drops.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "vitest"
import { defaults } from "../../cli/Simulate.ts"
import { families } from "../../protocols/index.ts"
import * as FaultPlan from "../../simulator/FaultPlan.ts"
import * as Report from "../../simulator/Report.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import { root } from "../cli/Harness.ts"

const readme = fs.readFileSync(path.join(root, "README.md"), "utf8").replace(/\s+/g, " ")

const run = (name: string, faults: string) => {
  const family = families.find((f) => f.name === name)!
  const parameters = Object.fromEntries(Object.entries(family.parameters).map(([k, p]) => [k, p.default]))
  const options = { ...defaults, name, parameters, faults: FaultPlan.parse(faults) }
  const summary = Simulator.simulate(family.make(parameters), options)
  return { summary, text: Report.formatSummary(summary, options) }
}

describe("README: Simulating", () => {
  it("quotes the shrink of two-phase-commit/commit-on-any-yes as simulate prints it", () => {
    const { text } = run("two-phase-commit/commit-on-any-yes", defaults.faults)
    const printed = /shrunk from \d+ to \d+ steps in \d+ replays; the protocol's transitions alone, without the programs, reach it in \d+ steps/.exec(text)
    assert.isNotNull(printed, text)
    assert.include(readme, printed![0])
  })

  it("quotes the stuck runs of two-phase-commit under drops", () => {
    const { summary } = run("two-phase-commit", "drop")
    assert.strictEqual(summary.stuck?.unexcused, 0)
    assert.include(readme, `${summary.statuses.stuck} of 1,000 runs stuck, all after a drop`)
  })
})
