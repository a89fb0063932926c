/**
 * The exporter reads each invariant layer and property where its value says it was declared (the
 * call site `withInvariant` and `always` record), never by searching a file for its name: a decoy
 * `always(...)` call of the same name is never read, two properties with the same predicate text
 * are each read at their own call, a layer's predicate imported from another module is followed
 * there, and what it cannot read is left out or refused with its file:line:column.
 */
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "vitest"
import * as Property from "../../core/Property.ts"
import { type ExportSpec, exportProtocol, omissionWarning } from "../../exporter/Export.ts"
import { ExportError } from "../../exporter/ExportError.ts"
import { ringSpec } from "./fixtures/RingElectionExport.ts"
import * as Inv from "./fixtures/RingInvariants.ts"

const root = fileURLToPath(new URL("../..", import.meta.url))
const spec: ExportSpec = { ...ringSpec, name: "RingInvariants", protocol: Inv.protocol as never, properties: [...Inv.properties, Inv.external] as never }
const exported = exportProtocol(root, spec)
const definition = (name: string) => exported.lean.split("\n\n").find((d) => d.includes(`\ndef ${name} `))!

describe("where the exporter reads a declaration", () => {
  it("exports the protocol's layers first, then its other always properties, each with its obligations", () => {
    assert.deepStrictEqual([...exported.invariants], ["knownLeaderIsNode", "idsPositive", "atMostOneLeader", "twinA", "twinB"])
    assert.include(exported.lean, "def assumed (nodes : Topology) (s : Statelet Locals Msg) : Prop :=\n  knownLeaderIsNode nodes s = true ∧ idsPositive nodes s = true ∧ atMostOneLeader nodes s = true ∧ twinA nodes s = true ∧ twinB nodes s = true")
    assert.includeMembers(exported.obligations.map((o) => o.name), ["knownLeaderIsNode_init", "idsPositive_preserved_by_sendElect", "twinB_preserved_by_receiveElected"])
    assert.strictEqual(exported.obligations.length, 5 * (1 + 2 + 2))
    assert.deepStrictEqual([...exported.predicates.keys()], [...exported.invariants])
  })

  it("reads the call that built the value, not another call declaring the same name", () => {
    assert.match(definition("atMostOneLeader"), /^\/-- Invariant `atMostOneLeader` \(test\/exporter\/fixtures\/RingInvariants\.ts:22:39\)\. -\//)
    assert.include(definition("atMostOneLeader"), "leader")
    assert.notInclude(exported.lean, "12345")
  })

  it("reads two properties with the same predicate text each at its own call", () => {
    assert.include(definition("twinA"), "(test/exporter/fixtures/RingInvariants.ts:23:29)")
    assert.include(definition("twinB"), "(test/exporter/fixtures/RingInvariants.ts:24:29)")
  })

  it("follows a layer's predicate named by an import to the module that defines it, and an inline one where it is", () => {
    assert.include(definition("knownLeaderIsNode"), "Invariant `knownLeaderIsNode` (test/exporter/fixtures/RingPredicates.ts:12:29)")
    assert.include(definition("idsPositive"), "(test/exporter/fixtures/RingInvariants.ts:17:3)")
  })

  it("leaves out a predicate imported from a package, naming the call and the name", () => {
    assert.deepStrictEqual(exported.omitted.map((o) => o.property), ["external"])
    assert.match(
      omissionWarning(exported.omitted[0]!),
      /^warning: test\/exporter\/fixtures\/RingInvariants\.ts:31:25: the property "external" is left out .*: test\/exporter\/fixtures\/RingInvariants\.ts:31:54: cannot export the predicate of "external", `isTruthy` imported from "effect\/Predicate"/
    )
  })

  it("leaves out a value whose call site names no call, or a call of another name, or none at all, with where", () => {
    const real = Inv.properties[0]!
    const at = real.at!
    const moved = { ...real, name: "movedColumn", at: { ...at, column: at.column + 1 } }
    const renamed = { ...real, name: "renamed", at: { ...at, line: at.line + 1 } }
    const bare = { kind: "always" as const, name: "bare", holds: real.holds }
    const e = exportProtocol(root, { ...spec, properties: [moved, renamed, bare] as never })
    const reasons = new Map(e.omitted.map((o) => [o.property, omissionWarning(o)]))
    assert.deepStrictEqual([...reasons.keys()], ["movedColumn", "renamed", "bare"])
    assert.match(reasons.get("movedColumn")!, /RingInvariants\.ts:22:4: the property "movedColumn" is left out .*: test\/exporter\/fixtures\/RingInvariants\.ts:22:4: cannot export the declaration of "movedColumn": no call starts at this position/)
    assert.match(reasons.get("renamed")!, /RingInvariants\.ts:23:3: the property "renamed" .*: test\/exporter\/fixtures\/RingInvariants\.ts:23:20: cannot export the call declaring "twinA": the value's call site names "renamed"/)
    assert.match(reasons.get("bare")!, /^warning: test\/exporter\/fixtures\/RingElection\.ts:1:1: the property "bare" .*its value records no call site/)
    assert.deepStrictEqual([...e.invariants], ["knownLeaderIsNode", "idsPositive"])
  })

  it("refuses a property named like one of the protocol's layers, at the property's call", () => {
    const clash = Property.always(Inv.protocol, "idsPositive", () => true)
    try {
      exportProtocol(root, { ...spec, properties: [clash] as never })
      assert.fail("the export went through")
    } catch (e) {
      assert.instanceOf(e, ExportError)
      assert.match((e as ExportError).location, /^test\/exporter\/Declarations\.test\.ts:\d+:19$/)
      assert.include((e as ExportError).message, 'has an invariant layer of that name')
    }
  })
})
