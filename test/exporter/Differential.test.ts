/**
 * The differential check's Lean examples carry TypeScript's values on sampled states, and Lean's
 * initial state of every node is compared with the one the simulator and the checker start from:
 * for every bundled protocol, and for a ring election (a fixture) whose nodes start with their own
 * ids. One Lean run checks the ring's export, and that a Lean `init` giving every node its role's
 * state (what the exporter did before) mismatches.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "vitest"
import { bundled, bundledWorlds, root, samples, worldSamples } from "./Bundled.ts"
import { differential, worldDifferential } from "../../exporter/Differential.ts"
import { exportProtocol } from "../../exporter/Export.ts"
import { ExportError } from "../../exporter/ExportError.ts"
import { coreTypes, exportWorld } from "../../exporter/ExportWorld.ts"
import * as LeanToolchain from "../../exporter/LeanToolchain.ts"
import * as Prove from "../../exporter/Prove.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"
import * as Protocols from "../../protocols/index.ts"
import * as Ring from "./fixtures/RingElection.ts"
import { ringSamples, ringSpec } from "./fixtures/RingElectionExport.ts"

const initExample = (role: string, k: number, index: number) => `example : (protocol.init topology${k}).${role} ${index} = `

describe("the differential check", () => {
  const spec = bundled.find((s) => s.family === "calculator")!
  const exported = exportProtocol(root, spec)
  const sampled = samples("calculator")
  const check = differential(exported, sampled, Calculator.model().payloads ?? {})

  it("samples distinct states from the simulator", () => {
    const soups = new Set(sampled.map((s) => s.statelet.soup.length))
    assert.isAbove(soups.size, 1)
  })

  it("compares every invariant on every sample, with TypeScript's value", () => {
    for (const [i, sample] of sampled.entries()) {
      for (const p of spec.properties.filter((x) => x.kind === "always")) {
        const expected = p.holds(sample.statelet as never, sample.nodes as never)
        assert.include(check.lean, `example : ${p.name} topology${i + 1} sample${i + 1} = ${expected} := by decide`)
      }
    }
  })

  it("compares guards and steps of every transition somewhere", () => {
    for (const name of ["clientSend_guard", "clientSend_step", "serverSend_guard", "serverSend_step", "serverRecv_step", "clientRecv_step"]) {
      assert.include(check.lean, `example : ${name} `, name)
    }
    assert.isAbove(check.checks, 30)
  })

  it("records a wrong answer as false, so that a translation that accepts it mismatches", () => {
    const wrong = differential(exported, sampled, { resp: [{ value: 4, args: [1, 2] }] })
    assert.match(wrong.lean, /example : serverSend_guard [^\n]* \(\{ value := 4, args := \[1, 2\] \} : Response\) [^\n]* = false := by decide/)
  })

  it("compares Lean's initial local state of every node with TypeScript's, for every bundled protocol and world", () => {
    for (const s of bundled) {
      const e = exportProtocol(root, s)
      const sample = samples(s.family, [1], [4])[0]!
      const lean = differential(e, [sample], Protocols.find(s.family)?.model?.({}).payloads ?? {}).lean
      const nodes = sample.nodes as { readonly [role: string]: ReadonlyArray<string> }
      for (const [role, ids] of Object.entries(nodes)) {
        for (const id of ids) assert.include(lean, `${initExample(role, 1, sample.all.indexOf(id))}`, `${s.name}: ${role} ${id}`)
      }
    }
    const w = bundledWorlds[0]!
    const core = exportProtocol(root, bundled.find((s) => s.family === w.coreFamily)!)
    const lean = worldDifferential(exportWorld(root, w, core), coreTypes(core), w.properties, worldSamples(w, [1], [4]), {}).lean
    assert.match(lean, /example : \(TwoPhaseCommit\.protocol\.init coretopology1\)\.coordinator 0 = .* := by rfl/)
    assert.match(lean, /example : \(protocol\.init topology1\)\.asker \d+ = .* := by rfl/)
  })
})

describe("per-node initial states (a ring whose nodes start with their own ids)", () => {
  const exported = exportProtocol(root, ringSpec)
  const sampled = ringSamples(3, [1, 2, 3], 12)

  it("exports each node's initial state as a function of the node and the topology", () => {
    assert.include(exported.lean, "def initialNode (self : Node) (nodes : Topology) : NodeState :=")
    assert.include(exported.lean, "def initLocals (topo : Topology) : Locals :=\n  { node := fun n => initialNode n topo }")
  })

  it("compares Lean's init with TypeScript's initial statelet for every node, each with its own id", () => {
    const check = differential(exported, sampled, Ring.model(3).payloads ?? {})
    for (const [i, id] of [3, 2, 1].entries()) {
      assert.include(check.lean, `${initExample("node", 1, i)}({ id := ${id}, phase := Phase.idle, leader := 4294967297 /- "" -/, outbox := ([] : List Int) } : NodeState) := by rfl`)
    }
    // One topology and one initial statelet: compared once, not once per sample.
    assert.strictEqual(check.lean.match(/protocol\.init/g)?.length, 3)
  })

  it("compares the exported invariants only, not the properties left out of the export", () => {
    const check = differential(exported, sampled, Ring.model(3).payloads ?? {})
    assert.include(check.lean, "example : atMostOneLeader topology1 sample1 = ")
    assert.notInclude(check.lean, "example : loops ")
    assert.notInclude(check.lean, "example : named ")
  })

  it("refuses, before Lean runs, a system whose nodes start in their own states where the export gives the role one state", () => {
    const { initial: _, ...withoutInitial } = ringSpec
    const roleOnly = exportProtocol(root, withoutInitial)
    assert.include(roleOnly.lean, "def initLocals (_topo : Topology) : Locals :=\n  { node := fun _ => ({ id := 0,")
    try {
      differential(roleOnly, sampled, Ring.model(3).payloads ?? {})
      assert.fail("the per-node initial states were dropped silently")
    } catch (e) {
      assert.instanceOf(e, ExportError)
      const error = e as ExportError
      assert.match(error.location, /^test\/exporter\/fixtures\/RingElection\.ts:\d+:\d+$/)
      assert.include(error.message, 'cannot export the initial state of n1 ({"id":3,')
      assert.include(error.message, "in the export spec's `initial`")
    }
  })

  it("checks in Lean the ring's export and the bundled protocols' differential checks: all agree, and an init that drops the ring's ids mismatches", { timeout: 60 * 60_000 }, async () => {
    const dir = fs.mkdtempSync("/tmp/protoweave-ring-")
    try {
      fs.cpSync(path.join(root, "proofs/Protoweave"), path.join(dir, "proofs/Protoweave"), { recursive: true })
      fs.copyFileSync(path.join(root, "proofs/Protoweave.lean"), path.join(dir, "proofs/Protoweave.lean"))
      const payloads = Ring.model(3).payloads ?? {}
      const check = differential(exported, sampled, payloads)
      // The mutant: the same export, but every node starts in the role's state (ids dropped), as before per-node export.
      const { initial: _, ...withoutInitial } = ringSpec
      const roleState = exportProtocol(root, withoutInitial).initial.get("node")!.lean
      const mutantExport = exportProtocol(root, { ...ringSpec, name: "RingMutant" })
      const dropped = mutantExport.lean.replace("{ node := fun n => initialNode n topo }", `{ node := fun _ => ${roleState} }`)
      assert.notStrictEqual(dropped, mutantExport.lean)
      const mutant = { ...mutantExport, lean: dropped }
      const mutantCheck = differential(mutant, sampled.slice(0, 1), payloads)
      // The bundled protocols' specs and differential checks (initial states included), without their obligations.
      const cores = new Map(bundled.map((s) => [s.family, exportProtocol(root, s)]))
      const bundledInputs: Array<Prove.ProtocolInput> = [
        ...bundled.map((s) => {
          const e = cores.get(s.family)!
          const d = differential(e, samples(s.family, [1], [12]), Protocols.find(s.family)?.model?.({}).payloads ?? {}, 8)
          return { exported: { ...e, obligations: [] }, differential: d.lean, differentialChecks: d.checks, counterexamples: new Map() }
        }),
        ...bundledWorlds.map((w) => {
          const core = cores.get(w.coreFamily)!
          const e = exportWorld(root, w, core)
          const d = worldDifferential(e, coreTypes(core), w.properties, worldSamples(w, [1], [12]), {}, 8)
          return { exported: { ...e, obligations: [] }, differential: d.lean, differentialChecks: d.checks, counterexamples: new Map() }
        })
      ]
      const toolchain = LeanToolchain.find(() => {})
      const report = await Prove.prove(
        [
          { exported, differential: check.lean, differentialChecks: check.checks, counterexamples: new Map() },
          { exported: mutant, differential: mutantCheck.lean, differentialChecks: mutantCheck.checks, counterexamples: new Map() },
          ...bundledInputs
        ],
        { root: dir, mode: "discharge", say: () => {}, toolchain }
      )
      assert.deepStrictEqual(report.errors, [], "Lean errors outside the obligations")
      assert.isAbove(report.results.filter((r) => r.protocol === "RingElection").length, 0)
      assert.deepStrictEqual(report.results.filter((r) => r.status === "failed"), [])
      const mismatches = report.differential.mismatches
      assert.deepStrictEqual(mismatches.filter((m) => !m.file.includes("RingMutant")), [], "the ring's and the bundled protocols' comparisons agree")
      const mutantMismatches = mismatches.filter((m) => m.file.includes("RingMutant"))
      assert.isAbove(mutantMismatches.length, 0, "the mutant's init mismatches")
      // Only its initial states, one per node: ids 3, 2 and 1, where the role's state has 0.
      const mutantLines = mutantCheck.lean.split("\n")
      for (const m of mutantMismatches) assert.match(mutantLines[m.line - 1] ?? "", /^example : \(protocol\.init topology1\)\.node \d+ = /)
      assert.strictEqual(mutantMismatches.length, 3)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
