/**
 * The translation of the fragment (DESIGN §3), on small sources: what it produces, and that what
 * is outside the fragment is refused with the construct and its file:line:column.
 */
import { assert, describe, it } from "vitest"
import { ExportError } from "../../exporter/ExportError.ts"
import { bool, int, type LeanType, node, TypeTable } from "../../exporter/LeanType.ts"
import * as SourceFile from "../../exporter/SourceFile.ts"
import { type Callee, Translator, type Value } from "../../exporter/Translate.ts"

const phase: LeanType = {
  kind: "union",
  name: "Phase",
  variants: [
    { tag: "idle", fields: [] },
    { tag: "busy", fields: [{ name: "data", type: int }, { name: "sent", type: { kind: "list", of: node } }] }
  ]
}
const mode: LeanType = { kind: "enum", name: "Mode", values: ["on", "off", "in-flight"] }
const state: LeanType = {
  kind: "struct",
  name: "State",
  fields: [{ name: "era", type: int }, { name: "phase", type: phase }, { name: "mode", type: mode }, { name: "owner", type: node }]
}
const msg = { kind: "union", name: "Msg", variants: [{ tag: "go", fields: [], payload: { kind: "struct", name: "Go", fields: [{ name: "era", type: int }] } }] } as const

/** Translates the body of `const fn = <arrow>` in `text` with parameters (s: State, to: Node). */
const translate = (text: string, result: LeanType = bool, helpers: ReadonlyMap<string, Callee | Value> = new Map()) => {
  const source = SourceFile.fromText("spec.ts", text)
  const fn = SourceFile.topLevelFunctions(source).get("fn")!
  const translator = new Translator({
    source,
    types: new TypeTable(new Map()),
    msg,
    roles: new Map([["peer", state]]),
    resolve: (name) => helpers.get(name)
  })
  return translator.function(fn.fn, [
    { fallback: "_s", type: state },
    { fallback: "_to", type: node }
  ], result).body.code
}

const refusal = (text: string): ExportError => {
  try {
    translate(text)
  } catch (e) {
    if (e instanceof ExportError) return e
    throw e
  }
  return assert.fail("the translation was not refused")
}

describe("the fragment", () => {
  it("translates tags, arrays, arithmetic and comparisons", () => {
    assert.strictEqual(
      translate('const fn = (s, to) => s.phase.tag === "busy" && !s.phase.sent.includes(to) && s.era + 1 >= s.phase.sent.length'),
      "(s.phase.isBusy && (!(s.phase.sent.contains to))) && (decide (s.era + 1 ≥ (s.phase.sent.length : Int)))"
    )
  })

  it("translates spreads, union literals and ternaries by the expected type", () => {
    assert.strictEqual(
      translate('const fn = (s, to) => s.phase.tag === "idle" ? { ...s, phase: { tag: "busy", data: s.era, sent: [to] } } : s', state),
      "if s.phase.isIdle then { s with phase := (Phase.busy s.era ([to] : List Node)) } else s"
    )
  })

  it("translates ts-pattern matches on tags", () => {
    assert.strictEqual(
      translate('const fn = (s) => match(s.phase).with({ tag: "idle" }, () => s.era).with({ tag: "busy" }, (p) => p.data).exhaustive()', int),
      "(match s.phase with\n      | .idle => s.era\n      | .busy _ _ => (fun p => p.data) s.phase)"
    )
  })

  it("translates calls of helpers and callbacks with positions", () => {
    const helpers = new Map([["twice", { lean: "twice", params: [int], result: int }]])
    assert.strictEqual(
      translate("const fn = (s) => s.phase.sent.every((n, i) => twice(i) > s.era)", bool, helpers),
      "(s.phase.sent.zipIdx.all (fun (n, i) => decide (twice (i : Int) > s.era)))"
    )
  })

  it("refuses a loop with its location", () => {
    const e = refusal("const fn = (s) => {\n  for (const x of []) {}\n  return true\n}")
    assert.strictEqual(e.location, "spec.ts:2:3")
    assert.include(e.message, "ForOfStatement")
  })

  it("refuses a free variable", () => {
    const e = refusal("const fn = (s) => s.era === limit")
    assert.strictEqual(e.location, "spec.ts:1:29")
    assert.include(e.message, "the free variable limit")
  })

  it("refuses floats, division and mutation", () => {
    assert.include(refusal("const fn = (s) => s.era === 1.5").message, "the number 1.5")
    assert.include(refusal("const fn = (s) => s.era / 2 === 1").message, "the operator /")
    assert.include(refusal("const fn = (s) => (s.era = 2) === 2").message, "the operator =")
  })

  it("refuses === on structured values and unknown tags", () => {
    assert.include(refusal("const fn = (s) => s.phase === s.phase").message, "=== on structured values")
    assert.include(refusal('const fn = (s) => s.phase.tag === "done"').message, 'the tag "done"')
  })

  it("translates string-literal unions: literals by the expected type, comparisons either way round, and matches", () => {
    assert.strictEqual(
      translate('const fn = (s) => s.mode === "on" ? { ...s, mode: "in-flight" } : { ...s, mode: s.mode !== "off" ? "off" : s.mode }', state),
      "if s.mode == Mode.on then { s with mode := Mode.«in-flight» } else { s with mode := if !(s.mode == Mode.off) then Mode.off else s.mode }"
    )
    assert.strictEqual(translate('const fn = (s, to) => "off" === s.mode && s.mode === s.mode'), "(s.mode == Mode.off) && (s.mode == s.mode)")
    assert.strictEqual(
      translate('const fn = (s) => match(s.mode).with("on", () => 1).with(P.union("off", "in-flight"), () => s.era).exhaustive()', int),
      "(match s.mode with\n      | .on => 1\n      | .off | .«in-flight» => s.era)"
    )
  })

  it("translates a string where a node id is expected as its own constant, above every node", () => {
    assert.strictEqual(translate('const fn = (s, to) => s.owner === "" || s.owner === to'), '(s.owner == (4294967297 /- "" -/)) || (s.owner == to)')
    assert.strictEqual(translate('const fn = (s) => ({ ...s, owner: "none" })', state), '({ s with owner := (10442731109 /- "none" -/) })')
  })

  it("refuses a literal that is not in the union, a match that misses one, and a string of unknown type, with their locations", () => {
    const unknown = refusal('const fn = (s) => s.mode === "standby"')
    assert.strictEqual(unknown.location, "spec.ts:1:30")
    assert.include(unknown.message, 'the literal "standby": Mode has no such literal')
    assert.include(refusal('const fn = (s) => match(s.mode).with("on", () => true).exhaustive()').message, "no arm for off, in-flight")
    assert.include(refusal('const fn = (s) => s.era === "x"').message, 'the string "x"')
  })

  it("refuses a method outside the fragment", () => {
    assert.include(refusal("const fn = (s) => s.phase.sent.reduce((a, b) => a, 0) === 0").message, "the array method reduce")
  })
})
