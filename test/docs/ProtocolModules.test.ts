/**
 * docs/protocol-modules.md (and README.md's protocol in a page) against the code: every `ts` block
 * is a piece of test/docs/fixtures/Beacon.ts, which `tsc -p .` type-checks with the repository;
 * the module it describes simulates and checks as the page says; and the errors and the context
 * the page quotes are the ones the kernel produces.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "vitest"
import * as Checker from "../../checker/Checker.ts"
import { Protocol, System } from "../../index.ts"
import * as FaultPlan from "../../simulator/FaultPlan.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import { root } from "../cli/Harness.ts"
import * as Beacon from "./fixtures/Beacon.ts"

const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8")
const page = read("docs/protocol-modules.md")
const flat = page.replace(/\s+/g, " ")
const fixture = read("test/docs/fixtures/Beacon.ts")

/** The `lang` blocks of a Markdown text. */
const blocks = (text: string, lang: string) => [...text.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]!)

/** A block as it stands in the fixture: the package's name is the repository's index.ts there. */
const inFixture = (block: string) => block.replaceAll('from "protoweave"', 'from "../../../index.ts"').trimEnd()

const family = (name: string) => Beacon.families.find((f) => f.name === name)!
const simulate = (name: string) =>
  Simulator.simulate(family(name).make({}), { name, parameters: {}, seed: 1, runs: 50, faults: FaultPlan.reorder, maxSteps: 1000, maxTime: 60_000 })

describe("docs/protocol-modules.md", () => {
  it("every ts block of the page and of README.md's protocol in a page is a piece of test/docs/fixtures/Beacon.ts", () => {
    const shown = [...blocks(page, "ts"), ...blocks(read("README.md"), "ts")]
    assert.isAtLeast(shown.length, 6)
    for (const block of shown) assert.include(fixture, inFixture(block), "a block that is not in the fixture")
  })

  it("the module simulates and checks as described: beacon holds, beacon/repeat breaks oncePerSensor", () => {
    const good = simulate("beacon")
    assert.strictEqual(good.violations, 0)
    assert.strictEqual(good.witnessed.get("allHeard"), 50)
    const bad = simulate("beacon/repeat")
    assert.isAbove(bad.violations, 0)
    assert.include(JSON.stringify(bad.firstFailure?.trace.end.violation), "oncePerSensor")
    const checked = Checker.check(family("beacon").model!({ sensors: 2 }))
    assert.isUndefined(checked.incomplete)
    assert.deepStrictEqual(
      checked.properties.map((p) => [p.name, p.status]),
      [["oncePerSensor", "holds"], ["allHeard", "witnessed"]]
    )
    const broken = Checker.check(family("beacon/repeat").model!({ sensors: 2 }))
    assert.strictEqual(broken.properties.find((p) => p.name === "oncePerSensor")?.status, "violated")
  })

  it("per-node initial states: each sensor starts with its own reading, and the module's initialSensor gives the same", () => {
    const system = family("beacon").make({ sensors: 3 })
    assert.deepStrictEqual([...system.topology.initial.entries()], [
      ["s1", { reading: 10, reported: false }],
      ["s2", { reading: 20, reported: false }],
      ["s3", { reading: 30, reported: false }]
    ])
    assert.include(flat, 'the initial state of s1 does not match the schema of role "sensor": …')
    assert.throws(
      () => System.make({ protocol: Beacon.protocol, nodes: { sensor: ["s1"], hub: ["h"] }, programs: {}, properties: [], initial: { s1: { reading: 0.5, reported: false } } }),
      'protocol "beacon": the initial state of s1 does not match the schema of role "sensor": {"reading":0.5,"reported":false}'
    )
  })

  it("ctx holds self and nodes, and nothing else: the simulator passes the node's own id and the system's nodes", () => {
    const table = page.slice(page.indexOf("### The transition context"), page.indexOf("### One send transition"))
    assert.deepStrictEqual([...table.matchAll(/^\| `ctx\.(\w+)`/gm)].map((m) => m[1]), ["self", "nodes"])
    const Sig = Protocol.signature({ label: "beacon", roles: { sensor: Beacon.Sensor, hub: Beacon.Hub }, initial: { sensor: { reading: 0, reported: false }, hub: { heard: [] } }, messages: { report: Beacon.Report } })
    const contexts: Array<{ readonly role: string; readonly ctx: object }> = []
    const q = Sig.protocol({
      sends: { sendReport: Sig.send({ tag: "report", from: "sensor", to: "hub", guard: (_s, _to, _m, ctx) => (contexts.push({ role: "sensor", ctx }), true), step: (s) => ({ ...s, reported: true }) }) },
      receives: { receiveReport: Sig.receive({ tag: "report", by: "hub", step: (s, from, _m, ctx) => (contexts.push({ role: "hub", ctx }), { heard: [...s.heard, from] }) }) }
    })
    const base = family("beacon").make({ sensors: 2 })
    const programs = Object.fromEntries([...base.programs].map(([node, program]) => [node, { ...program, protocol: q }]))
    const system = System.make({ protocol: q, nodes: { sensor: ["s1", "s2"], hub: ["h"] }, programs, properties: [] })
    Simulator.runOnce(system, { name: "beacon", parameters: {}, seed: 1, runs: 1, faults: FaultPlan.reorder, maxSteps: 100, maxTime: 60_000 })
    assert.isNotEmpty(contexts)
    for (const { ctx } of contexts) {
      assert.deepStrictEqual(Object.keys(ctx), ["self", "nodes"])
      assert.deepStrictEqual((ctx as { nodes: unknown }).nodes, { sensor: ["s1", "s2"], hub: ["h"] })
    }
    assert.sameMembers([...new Set(contexts.filter((c) => c.role === "sensor").map((c) => (c.ctx as { self: string }).self))], ["s1", "s2"])
    assert.sameMembers([...new Set(contexts.filter((c) => c.role === "hub").map((c) => (c.ctx as { self: string }).self))], ["h"])
  })

  it("one send transition per tag: the error the page quotes is the one building the protocol throws", () => {
    const quoted = blocks(page, "text").find((b) => b.includes("snd_uniq"))!.trimEnd()
    const Sig = Protocol.signature({ label: "beacon", roles: { sensor: Beacon.Sensor, hub: Beacon.Hub }, initial: { sensor: { reading: 0, reported: false }, hub: { heard: [] } }, messages: { report: Beacon.Report } })
    const send = Sig.send({ tag: "report", from: "sensor", to: "hub", guard: () => true, step: (s) => s })
    const error = (() => {
      try {
        Sig.protocol({ sends: { sendReport: send, resendReport: send }, receives: {} })
      } catch (e) {
        return e
      }
    })()
    assert.instanceOf(error, Protocol.ProtocolSpecError)
    assert.strictEqual((error as Error).message, quoted)
  })

  it("one receive transition per tag: the page's wording of the rcv_uniq error is the kernel's", () => {
    const Sig = Protocol.signature({ label: "beacon", roles: { sensor: Beacon.Sensor, hub: Beacon.Hub }, initial: { sensor: { reading: 0, reported: false }, hub: { heard: [] } }, messages: { report: Beacon.Report } })
    const receive = Sig.receive({ tag: "report", by: "hub", step: (s) => s })
    assert.throws(
      () => Sig.protocol({ sends: { sendReport: Sig.send({ tag: "report", from: "sensor", to: "hub", guard: () => true, step: (s) => s }) }, receives: { a: receive, b: receive } }),
      'receive transitions "a" and "b" both receive tag "report"; a tag has one receive transition (Disel\'s rcv_uniq)'
    )
    assert.include(flat, "`receive transitions \"…\" and \"…\" both receive tag \"…\"; a tag has one receive transition (Disel's rcv_uniq)`")
  })

  it("the Family fields the page lists are the fields of System.Family, and the Lean export's those of Manifest.ProtocolExport", () => {
    const fields = (heading: string, until: string) => {
      const at = page.indexOf(heading)
      const table = page.slice(at, page.indexOf(until, at))
      return [...table.matchAll(/^\| `(\w+)(?:\([^)]*\))?`(?:, `(\w+)`)?/gm)].flatMap((m) => [m[1]!, ...(m[2] === undefined ? [] : [m[2]])])
    }
    assert.deepStrictEqual(fields("Its fields:", "```ts"), ["name", "description", "broken", "tolerates", "parameters", "make", "model"])
    const source = (file: string, iface: string) => {
      const text = read(file)
      const body = text.slice(text.indexOf(`export interface ${iface}`), text.indexOf("\n}", text.indexOf(`export interface ${iface}`)))
      return [...body.matchAll(/^ {2}readonly (\w+)\??:/gm)].map((m) => m[1]!)
    }
    assert.deepStrictEqual(fields("Its fields:", "```ts"), source("core/System.ts", "Family"))
    assert.deepStrictEqual(fields("A Lean export (`Manifest.ProtocolExport`) names:", "`lean.worlds`"), source("core/Manifest.ts", "ProtocolExport"))
  })
})
