/**
 * The ticket dispenser through protoweave's API: the model checker explores every reachable state
 * of the protocol, and the simulator runs the programs with faults. The broken variant must fail
 * both ways, so these tests can fail.
 */
import { Checker, FaultPlan, Simulator } from "protoweave"
import { describe, expect, it } from "vitest"
import { manifest } from "../src/tickets.ts"

const family = (name: string) => {
  const found = manifest.families.find((f) => f.name === name)
  if (found === undefined) throw new Error(`no family ${name}`)
  return found
}

const status = (report: Checker.CheckReport, property: string) => report.properties.find((p) => p.name === property)?.status

const simulate = (name: string, faults: FaultPlan.FaultPlan) =>
  Simulator.simulate(family(name).make({}), { name, parameters: {}, seed: 1, runs: 300, faults, maxSteps: 1000, maxTime: 60_000 })

describe("tickets", () => {
  it("holds in every reachable state of its model", () => {
    const report = Checker.check(family("tickets").model!({}))
    expect(report.incomplete).toBeUndefined()
    expect(status(report, "uniqueTickets")).toBe("holds")
    expect(status(report, "ticketsIssued")).toBe("holds")
    expect(status(report, "twoTickets")).toBe("witnessed")
  })

  it("holds in simulation, with messages dropped and duplicated", () => {
    const summary = simulate("tickets", { ...FaultPlan.reorder, drop: 0.05, duplicate: 0.05 })
    expect(summary.violations).toBe(0)
    expect(summary.witnessed.get("twoTickets")).toBeGreaterThan(0)
  })

  it("catches the broken dispenser", () => {
    expect(status(Checker.check(family("tickets/repeating-dispenser").model!({})), "uniqueTickets")).toBe("violated")
    expect(simulate("tickets/repeating-dispenser", FaultPlan.reorder).violations).toBeGreaterThan(0)
  })
})
