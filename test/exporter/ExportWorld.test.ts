/**
 * Exporting a world: Query over Two-Phase Commit becomes the query protocol, the hook, the world
 * and its invariants over both statelets, in one namespace that shares Two-Phase Commit's types;
 * one obligation per world invariant and transition of either protocol; a world the export cannot
 * read refused with the reason.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "vitest"
import { bundled, bundledWorlds, root, worldSamples } from "./Bundled.ts"
import type * as World from "../../core/World.ts"
import { worldDifferential } from "../../exporter/Differential.ts"
import { exportProtocol, omissionWarning } from "../../exporter/Export.ts"
import { ExportError } from "../../exporter/ExportError.ts"
import { coreTypes, exportWorld } from "../../exporter/ExportWorld.ts"
import * as Obligations from "../../exporter/Obligations.ts"
import * as QueryTpc from "../../protocols/QueryTpc/index.ts"
import * as TwoPhaseCommit from "../../protocols/TwoPhaseCommit/index.ts"

const spec = bundledWorlds.find((s) => s.family === "query-tpc")!
const core = exportProtocol(root, bundled.find((s) => s.family === spec.coreFamily)!)
const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8")

const refusal = (f: () => unknown): ExportError => {
  try {
    f()
  } catch (e) {
    assert.instanceOf(e, ExportError)
    return e as ExportError
  }
  return assert.fail("the world was exported")
}

describe("the world exporter", () => {
  const exported = exportWorld(root, spec, core)

  it("keeps the generated world up to date, importing the core's own export", () => {
    assert.strictEqual(exported.lean, read("proofs/Generated/QueryTpc/Spec.lean"), "run npx protoweave prove query-tpc")
    assert.include(exported.lean, "import Generated.TwoPhaseCommit.Spec")
  })

  it("shares the core's types instead of declaring them again", () => {
    assert.notInclude(exported.lean, "structure LogEntry")
    assert.include(exported.lean, "structure ResponsePayload where\n  rid : Int\n  era : Int\n  log : List TwoPhaseCommit.LogEntry")
  })

  it("translates the hook's condition and requires the sender to play the hook's role in the core", () => {
    assert.include(exported.lean, "def answerWithOwnLog_holds (participant : TwoPhaseCommit.ParticipantState) (_answerer : AnswererState) (msg : ResponsePayload) (_to : Node) : Bool :=")
    assert.include(exported.lean, "    | some m => topoC.participant.contains this && answerWithOwnLog_holds (lc.participant this) (lq.answerer this) m to")
    assert.include(exported.lean, "def world : World TwoPhaseCommit.Topology TwoPhaseCommit.Locals TwoPhaseCommit.Msg Topology Locals Msg where")
  })

  it("translates the world's invariants over both statelets, and its topology predicate into its well-formed topologies", () => {
    assert.include(exported.lean, "def answersAgree (nodes : TwoPhaseCommit.Topology × Topology) (s : WorldState TwoPhaseCommit.Locals TwoPhaseCommit.Msg Locals Msg) : Bool :=")
    assert.include(exported.lean, "(s.1.locals.coordinator c).log")
    assert.include(exported.lean, "def worldWf (topo : TwoPhaseCommit.Topology × Topology) : Prop :=\n  TwoPhaseCommit.wf topo.1 ∧ wf topo.2 ∧ answerersParticipate topo = true")
    assert.deepStrictEqual(exported.invariants, ["answersAgree", "answersFromLog"])
  })

  it("states one obligation per world invariant and transition of either protocol, named as the composed protocol names them", () => {
    const names = exported.obligations.map((o) => o.name)
    assert.strictEqual(names.length, 2 * (1 + 14 + 4))
    assert.includeMembers(names, ["answersFromLog_init", "answersFromLog_preserved_by_tpc_receiveAckCommit", "answersAgree_preserved_by_query_answer"])
    assert.strictEqual(
      exported.obligations.find((o) => o.name === "answersFromLog_preserved_by_query_answer")!.statement,
      "WorldPreservedByClientSend world worldWf worldAssumed answersFromLog answer"
    )
    const composed = QueryTpc.system({ participants: 1 }).protocol
    for (const o of exported.obligations) {
      if (o.transition !== undefined) assert.isTrue(composed.sends.some((t) => t.name === o.transition) || composed.receives.some((t) => t.name === o.transition), o.transition)
    }
  })

  it("leaves every obligation either proved by the ladder, by hand, or open", () => {
    const automatic = Obligations.theoremsOf(read("proofs/Generated/QueryTpc/Automatic.lean"))
    const open = Obligations.theoremsOf(read("proofs/Generated/QueryTpc/Open.lean").replace(/^def /gm, "theorem "))
    for (const o of exported.obligations) assert.notStrictEqual(automatic.includes(o.name), open.includes(o.name), o.name)
  })

  it("checks the query protocol's transitions and the world's invariants on sampled world states, with TypeScript's values", () => {
    const responses = { response: QueryTpc.model({ participants: 1, rounds: 1 }).payloads!["query.response"]! }
    const check = worldDifferential(exported, coreTypes(core), spec.properties, worldSamples(spec), responses)
    assert.include(check.lean, "example : answersFromLog (coretopology1, topology1) (coresample1, sample1) = true := by decide")
    assert.match(check.lean, /example : answer_guard .* := by decide/)
    assert.match(check.lean, /example : (ask|answer|takeRequest|takeResponse)_step .* := by rfl/)
    // Without the hook, a lying answer is in the soup: TypeScript says false, so a translation that accepted it would mismatch.
    const lying = worldDifferential(exported, coreTypes(core), spec.properties, worldSamples({ ...spec, family: "query-tpc/no-hook" }, [1], [80]), responses)
    assert.match(lying.lean, /example : answersAgree \(coretopology\d+, topology\d+\) \(coresample\d+, sample\d+\) = false := by decide/)
  })

  it("refuses a world whose core is not the exported core, with the file:line:column of the world's file", () => {
    const swapped = { ...spec, world: { ...spec.world, protocols: [...spec.world.protocols].reverse() } as World.World }
    const e = refusal(() => exportWorld(root, swapped, core))
    assert.include(e.message, 'the first protocol "query" of the world')
    assert.match(e.location, /^protocols\/QueryTpc\/Protocol\.ts:\d+:\d+$/)
    assert.strictEqual(TwoPhaseCommit.protocol.label, core.spec.protocol.label)
  })

  it("leaves out a world invariant it cannot find, with a warning, and exports the others", () => {
    const unknown = { ...spec, properties: [...spec.properties, { kind: "always" as const, name: "noSuchInvariant", holds: () => true }] }
    const exported = exportWorld(root, unknown, core)
    assert.deepStrictEqual(exported.omitted.map((o) => o.property), ["noSuchInvariant"])
    assert.include(omissionWarning(exported.omitted[0]!), 'protocols/QueryTpc/index.ts:1:1: the property "noSuchInvariant" is left out of the Lean export')
    assert.include(exported.lean, "- `noSuchInvariant` (protocols/QueryTpc/index.ts:1:1)")
    assert.includeMembers([...exported.invariants], ["answersAgree", "answersFromLog"])
    assert.notInclude(exported.obligations.map((o) => o.invariant), "noSuchInvariant")
  })
})
