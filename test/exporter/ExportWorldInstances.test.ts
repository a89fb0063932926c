/**
 * Exporting a world of two instances of one protocol: DelegatingCalculator's `front` and `back`
 * Calculator instances, each in its own Lean namespace (the front's own export, the back in the
 * world's), sharing the payload types both declare, with one message type per instance and
 * obligations named by each instance's label. No Lean runs here: the text is checked.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "vitest"
import { bundled, bundledWorlds, root, worldSamples } from "./Bundled.ts"
import { worldDifferential } from "../../exporter/Differential.ts"
import { exportProtocol } from "../../exporter/Export.ts"
import { coreTypes, exportWorld } from "../../exporter/ExportWorld.ts"
import * as Obligations from "../../exporter/Obligations.ts"
import * as DelegatingCalculator from "../../protocols/DelegatingCalculator/index.ts"

const spec = bundledWorlds.find((s) => s.family === "delegating-calculator")!
const core = exportProtocol(root, bundled.find((s) => s.family === spec.coreFamily)!)
const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8")

describe("the world exporter, on two instances of one protocol", () => {
  const exported = exportWorld(root, spec, core)

  it("keeps both instances' generated files up to date, the world importing the front's export", () => {
    assert.strictEqual(core.lean, read("proofs/Generated/DelegatingCalculatorFront/Spec.lean"), "run npx protoweave prove delegating-calculator/front")
    assert.strictEqual(exported.lean, read("proofs/Generated/DelegatingCalculator/Spec.lean"), "run npx protoweave prove delegating-calculator")
    assert.include(exported.lean, "import Generated.DelegatingCalculatorFront.Spec")
  })

  it("declares each instance in its own namespace: one message type and protocol each, the payload types once", () => {
    assert.include(core.lean, "namespace DelegatingCalculatorFront")
    assert.include(exported.lean, "namespace DelegatingCalculator\n")
    for (const text of [core.lean, exported.lean]) {
      assert.include(text, "\ninductive Msg where")
      assert.include(text, "\ndef protocol : Protocol Topology Locals Msg where")
    }
    // The back's messages carry the front's payload structures, not copies of them.
    assert.notInclude(exported.lean, "structure Response where")
    assert.include(exported.lean, "| resp (payload : DelegatingCalculatorFront.Response)")
    assert.include(exported.lean, "def world : World DelegatingCalculatorFront.Topology DelegatingCalculatorFront.Locals DelegatingCalculatorFront.Msg Topology Locals Msg where")
    assert.include(exported.lean, "  hooks := []")
  })

  it("reads the world invariant in each instance's own statelet", () => {
    assert.deepStrictEqual(exported.invariants, ["responsesCorrect"])
    assert.include(exported.lean, "(s.1.soup.all (fun m => (!m.msg.isResp) || (m.msg.value == (f m.msg.args)))) && (s.2.soup.all (fun m => (!m.msg.isResp) || (m.msg.value == (f m.msg.args))))")
  })

  it("names each obligation by the instance whose transition it is, as the composed protocol names them", () => {
    const names = exported.obligations.filter((o) => o.invariant === "responsesCorrect").map((o) => o.name)
    const transitions = ["clientSend", "serverSend", "serverRecv", "clientRecv"]
    assert.sameMembers(names, ["responsesCorrect_init", ...["front", "back"].flatMap((label) => transitions.map((t) => `responsesCorrect_preserved_by_${label}_${t}`))])
    assert.strictEqual(
      exported.obligations.find((o) => o.name === "responsesCorrect_preserved_by_front_serverSend")!.statement,
      "WorldPreservedByCoreSend worldWf worldAssumed responsesCorrect DelegatingCalculatorFront.serverSend"
    )
    assert.strictEqual(
      exported.obligations.find((o) => o.name === "responsesCorrect_preserved_by_back_serverSend")!.statement,
      "WorldPreservedByClientSend world worldWf worldAssumed responsesCorrect serverSend"
    )
    const composed = DelegatingCalculator.system({ clients: 1 }).protocol
    for (const o of exported.obligations) {
      if (o.transition !== undefined && o.invariant === "responsesCorrect") {
        assert.isTrue(composed.sends.some((t) => t.name === o.transition) || composed.receives.some((t) => t.name === o.transition), o.transition)
      }
    }
  })

  it("leaves every obligation either proved by the ladder or open", () => {
    const automatic = Obligations.theoremsOf(read("proofs/Generated/DelegatingCalculator/Automatic.lean"))
    const open = Obligations.theoremsOf(read("proofs/Generated/DelegatingCalculator/Open.lean").replace(/^def /gm, "theorem "))
    for (const o of exported.obligations) assert.notStrictEqual(automatic.includes(o.name), open.includes(o.name), o.name)
  })

  it("checks the back instance's transitions and the world invariant on sampled world states, and a wrong answer makes it false", () => {
    const check = worldDifferential(exported, coreTypes(core), spec.properties, worldSamples(spec), {})
    assert.match(check.lean, /example : responsesCorrect \(coretopology\d+, topology\d+\) \(coresample\d+, sample\d+\) = true := by decide/)
    assert.notMatch(check.lean, /example : responsesCorrect .* = false := by decide/)
    const wrong = worldDifferential(exported, coreTypes(core), spec.properties, worldSamples({ ...spec, family: "delegating-calculator/wrong-backend" }, [1], [40]), {})
    assert.match(wrong.lean, /example : responsesCorrect \(coretopology\d+, topology\d+\) \(coresample\d+, sample\d+\) = false := by decide/)
  })
})
