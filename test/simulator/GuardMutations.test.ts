/**
 * The mutation test of protocol-level simulation: single-point bugs in Two-Phase Commit and the
 * Calculator (`GuardMutations.ts`), each run at both levels with a fixed seed and small run counts.
 * Program-level runs execute the bundled programs, which never attempt a send a correct guard
 * forbids, so a loosened guard is never taken there; protocol-level walks take random enabled
 * sends, so they must take it and break a property. The table (also in docs/simulation.md) is
 * printed on the test's output.
 */
import { assert, describe, it } from "vitest"
import type { System } from "../../core/System.ts"
import * as FaultPlan from "../../simulator/FaultPlan.ts"
import * as RandomWalk from "../../simulator/RandomWalk.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import { type Mutation, mutantSystem, mutations } from "./GuardMutations.ts"

const seed = 7
const common = { parameters: {}, seed, faults: FaultPlan.reorder, maxTime: 600_000, shrink: false }

/** The property a batch broke, or undefined when none was. */
const caught = (summary: Simulator.Summary): string | undefined => {
  const v = summary.firstFailure?.trace.end.violation
  if (v === undefined || v === null) return undefined
  return v.kind === "invariant" ? v.property : v.kind
}

const programLevel = (name: string, system: System) => caught(Simulator.simulate(system, { ...common, name, runs: 100, maxSteps: 2000 }))

const protocolLevel = (mutation: Pick<Mutation, "family">, system: System, payloads: RandomWalk.PayloadMode) =>
  caught(
    RandomWalk.walk(system, { ...common, name: mutation.family.name, runs: 40, maxSteps: 120, model: mutation.family.model?.({}), payloads })
  )

interface Row {
  readonly name: string
  readonly kind: string
  readonly programs: string | undefined
  readonly model: string | undefined
  readonly schema: string | undefined
}

const rows: Array<Row> = []

const table = (): string => {
  const cell = (c: string | undefined) => c ?? "-"
  const lines = [["mutation", "kind", "programs", "protocol (model payloads)", "protocol (+ schema samples)"]]
  for (const r of rows) lines.push([r.name, r.kind, cell(r.programs), cell(r.model), cell(r.schema)])
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)))
  return lines.map((l) => l.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd()).join("\n")
}

describe("protocol-level simulation catches guard bugs that program-level simulation misses", () => {
  it("finds nothing in the bundled protocols at either level (no false alarm)", () => {
    for (const family of new Set(mutations.map((m) => m.family))) {
      const system = family.make({})
      const row = { name: `${family.name} (unmutated)`, kind: "-", programs: programLevel(family.name, system), model: protocolLevel({ family }, system, "model"), schema: protocolLevel({ family }, system, "schema") }
      rows.push(row)
      assert.deepStrictEqual([row.programs, row.model, row.schema], [undefined, undefined, undefined], family.name)
    }
  })

  for (const mutation of mutations) {
    it(mutation.name, () => {
      const system = mutantSystem(mutation, {})
      const row: Row = {
        name: mutation.name,
        kind: mutation.kind,
        programs: programLevel(mutation.family.name, system),
        model: protocolLevel(mutation, system, "model"),
        schema: protocolLevel(mutation, system, "schema")
      }
      rows.push(row)
      if (mutation.kind === "guard") {
        // The programs never attempt what the correct guard forbids, so the loosened guard is never taken.
        assert.isUndefined(row.programs, `program-level simulation caught ${mutation.name}`)
        assert.isDefined(row.model ?? row.schema, `protocol-level simulation missed ${mutation.name}`)
      }
    })
  }

  it("prints the table, and protocol level catches every guard mutation while program level catches none", () => {
    console.log(`\nmutation test, seed ${seed}: the property each level broke first (- = nothing caught)\n${table()}\n`)
    const guards = rows.filter((r) => r.kind === "guard")
    assert.strictEqual(guards.length, mutations.filter((m) => m.kind === "guard").length)
    assert.isTrue(guards.every((r) => r.programs === undefined && (r.model ?? r.schema) !== undefined))
  })
})
