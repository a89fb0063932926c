import { describe, expect, it } from "vitest"
import * as Step from "../../core/Step.ts"
import * as Topology from "../../core/Topology.ts"
import { columnOf, coverage } from "../../exporter/Coverage.ts"
import { exportProtocol } from "../../exporter/Export.ts"
import { definitionsOf, parseTerm } from "../../exporter/LeanTerm.ts"
import { encode } from "../../exporter/Smt.ts"
import { solve, type SmtOutcome } from "../../exporter/SmtSolve.ts"
import * as Voting from "./fixtures/Voting.ts"
import { exportWorld } from "../../exporter/ExportWorld.ts"
import { bundled, bundledWorlds, root } from "./Bundled.ts"

const byName = (outcomes: ReadonlyArray<SmtOutcome>) => new Map(outcomes.map((o) => [o.obligation, o]))

describe("the generated fragment read back (LeanTerm)", () => {
  it("reads every definition of an export, with nothing refused", () => {
    const defs = definitionsOf(exportProtocol(root, Voting.inductive).lean)
    expect([...defs.keys()]).toEqual(expect.arrayContaining(["sendVote_guard", "sendVote_step", "receiveVote_step", "ballotsMatch", "countedVoted", "noDoubleCount", "initLocals"]))
    for (const d of defs.values()) expect(d.body, d.name).not.toBeInstanceOf(Error)
  })

  it("keeps precedence and field accesses of parenthesized terms", () => {
    expect(parseTerm("a || b && (f x).y", "t")).toEqual({
      kind: "binary",
      op: "||",
      left: { kind: "var", name: "a" },
      right: { kind: "binary", op: "&&", left: { kind: "var", name: "b" }, right: { kind: "field", of: { kind: "app", fn: { kind: "var", name: "f" }, args: [{ kind: "var", name: "x" }] }, name: "y" } }
    })
  })
})

describe("the SMT stage (Z3)", () => {
  it("proves every obligation of an inductive invariant of a protocol that is not bundled", async () => {
    const outcomes = byName(await solve(exportProtocol(root, Voting.inductive), { timeoutMs: 10000 }))
    expect(outcomes.size).toBe(9)
    for (const o of outcomes.values()) expect(o.status, `${o.obligation}: ${o.reason}`).toBe("valid")
  }, 60000)

  it("returns a counterexample to induction for a non-inductive invariant, which TypeScript confirms", async () => {
    const outcomes = byName(await solve(exportProtocol(root, Voting.notInductive), { timeoutMs: 10000 }))
    expect(outcomes.get("countedVoted_init")!.status).toBe("valid")
    expect(outcomes.get("countedVoted_preserved_by_sendVote")!.status).toBe("valid")
    const broken = outcomes.get("countedVoted_preserved_by_receiveVote")!
    expect(broken.status, broken.reason).toBe("invalid")
    const cti = broken.counterexample!
    // Evaluated again here, independently of the stage: before, the step, after.
    expect(Voting.countedVoted.holds(cti.state as never, cti.nodes as never)).toBe(true)
    const semantics = Step.make(Voting.protocol, Topology.make(Voting.protocol, cti.nodes as never), Step.reorderOnly)
    const out = Step.step(semantics, cti.state as never, cti.action!)
    expect(out._tag).toBe("Stepped")
    if (out._tag !== "Stepped") return
    expect(out.transition).toBe("receiveVote")
    expect(Voting.countedVoted.holds(out.statelet as never, cti.nodes as never)).toBe(false)
    expect(cti.text).toMatch(/^countedVoted_preserved_by_receiveVote: receiveVote breaks countedVoted from this state/)
    expect(cti.text).toMatch(/\nstep: candidate\d ← voter\d {2}vote /)
  }, 60000)

  it("states every obligation of an export, each named, with the step's parameters for its model", () => {
    const { queries } = encode(exportProtocol(root, Voting.inductive))
    expect(queries.map((q) => q.obligation)).toEqual(exportProtocol(root, Voting.inductive).obligations.map((o) => o.name))
    for (const q of queries) expect(typeof q.script, q.obligation).toBe("string")
    expect(queries.find((q) => q.obligation === "noDoubleCount_preserved_by_sendVote")!.unknowns.step).toMatchObject({ kind: "send", tag: "vote" })
    expect(queries.find((q) => q.obligation === "noDoubleCount_preserved_by_receiveVote")!.unknowns.step).toEqual({ kind: "receive", position: "k" })
  })
})

describe("what the encoding cannot state", () => {
  it("leaves a world's obligations unknown, each with the reason", () => {
    const spec = bundledWorlds.find((w) => w.family === "query-tpc")!
    const world = exportWorld(root, spec, exportProtocol(root, bundled.find((s) => s.family === spec.coreFamily)!))
    const { queries } = encode(world)
    expect(queries.length).toBe(world.obligations.length)
    for (const q of queries) expect(q.script, q.obligation).toMatchObject({ message: expect.stringMatching(/world's obligations .* are outside the SMT encoding/) })
  })
})

describe("coverage", () => {
  const valid: SmtOutcome = { obligation: "a", invariant: "i", transition: undefined, status: "valid", milliseconds: 1 }
  it("counts each obligation once, Lean's automation first, then Z3, then hand proofs", () => {
    expect(columnOf({ status: "proved", by: "grind" }, valid)).toBe("Lean automatic")
    expect(columnOf({ status: "proved", by: "hand-written" }, valid)).toBe("Z3")
    expect(columnOf({ status: "proved", by: "hand-written" }, undefined)).toBe("hand")
    expect(columnOf({ status: "open", by: "" }, { ...valid, status: "invalid" })).toBe("open with CTI")
    expect(columnOf(undefined, { ...valid, status: "unknown", reason: "Z3: timeout after 5 ms" })).toBe("unknown")
  })

  it("ends with the share proved automatically", () => {
    const text = coverage([
      { protocol: "P", obligations: ["a", "b", "c", "d"], lean: new Map([["a", { status: "proved", by: "decide" }], ["b", { status: "proved", by: "hand-written" }]]), smt: new Map([["c", { ...valid, obligation: "c" }]]) }
    ])
    expect(text.split("\n").at(-1)).toBe("automatic: 50% of 4 obligations")
    expect(text).toMatch(/P +4 +1 +1 +1 +0 +1/)
  })
})
