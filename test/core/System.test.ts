/**
 * Unit tests of `core/System.ts` and `core/Property.ts`: a system's topology, programs per node
 * and properties (the protocol's coherence first, as an `always` property named "coherence"), and
 * every error of `System.make`: a program for another role, another protocol (even one with the
 * same label), or no node; two properties with one name. Wrong programs are type errors too,
 * hence the casts.
 */
import * as fs from "node:fs"
import * as Effect from "effect/Effect"
import { assert, describe, it } from "vitest"
import * as Program from "../../core/Program.ts"
import * as Property from "../../core/Property.ts"
import * as Step from "../../core/Step.ts"
import * as System from "../../core/System.ts"
import * as Topology from "../../core/Topology.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"
import * as KeyValue from "../fixtures/KeyValue.ts"
import * as PingPong from "../fixtures/PingPong.ts"

const pinger = Program.make(PingPong.protocol, "pinger", () => Effect.void)
const ponger = Program.make(PingPong.protocol, "ponger", () => Effect.void, { daemon: true })
const nodes = { pinger: ["p1", "p2"], ponger: ["q1"] }

describe("System.make", () => {
  it("builds the topology and maps each node to its program; nodes without one are passive", () => {
    const system = System.make({ protocol: PingPong.protocol, nodes, programs: { p1: pinger, q1: ponger }, properties: [] })
    assert.strictEqual(system.protocol, PingPong.protocol)
    assert.deepStrictEqual(system.topology.all, ["p1", "p2", "q1"])
    assert.deepStrictEqual([...system.programs], [
      ["p1", pinger],
      ["q1", ponger]
    ])
  })

  it("puts the protocol's coherence first, as an always property named coherence", () => {
    const mine = Property.always(PingPong.protocol, "mine", () => true)
    const witness = Property.sometimes(PingPong.protocol, "witness", (s) => s.soup.length > 0)
    const system = System.make({ protocol: PingPong.protocol, nodes, programs: {}, properties: [mine, witness] })
    assert.deepStrictEqual(system.properties.map((p) => [p.kind, p.name]), [
      ["always", "coherence"],
      ["always", "mine"],
      ["sometimes", "witness"]
    ])
    assert.strictEqual(system.properties[0]!.holds, PingPong.protocol.coherence)
  })

  it("the coherence property judges statelets as the protocol's coherence does", () => {
    const system = Calculator.system({ clients: 1, servers: 1 })
    const coherence = system.properties.find((p) => p.name === "coherence")!
    const sem = Step.make(system.protocol, system.topology, Step.reorderOnly)
    assert.isTrue(coherence.holds(sem.initial, system.topology.nodes))
    // A server holding a request that fails `prec` (fewer than two arguments) is incoherent.
    const bad = { ...sem.initial, locals: { ...sem.initial.locals, server: { s1: { pending: [{ peer: "c1", args: [1] }] } } } }
    assert.isFalse(coherence.holds(bad, system.topology.nodes))
  })

  it("adds no coherence property for a protocol without coherence", () => {
    const p = Property.always(KeyValue.protocol, "p", () => true)
    const system = System.make({ protocol: KeyValue.protocol, nodes: { client: ["c"], server: ["s"] }, programs: {}, properties: [p] })
    assert.deepStrictEqual(system.properties, [p])
    assert.deepStrictEqual(Property.coherence(KeyValue.protocol), [])
  })

  it("the Calculator system lists its properties after coherence and runs a program on every node", () => {
    const system = Calculator.system({ clients: 2, servers: 1 })
    assert.deepStrictEqual(system.properties.map((p) => p.name), [
      "coherence",
      "responseCorrect",
      "pendingWellFormed",
      "responsesAnswerRequests",
      "clientsAwaitAnswers",
      "responseArrives",
      "everyRequestAnswered",
      "repeatedRequest"
    ])
    assert.deepStrictEqual([...system.programs].map(([node, p]) => [node, p.role, p.name, p.daemon]), [
      ["c1", "client", "client", false],
      ["c2", "client", "client", false],
      ["s1", "server", "one-shot-server", true]
    ])
  })

  it("rejects a program for another role", () => {
    assert.throws(
      () => System.make({ protocol: PingPong.protocol, nodes, programs: { p1: ponger }, properties: [] }),
      Topology.TopologyError,
      `the program "ponger" of p1 is for role "ponger", but p1 plays "pinger"`
    )
  })

  it("rejects a program of another protocol, even one with the same label and roles", () => {
    const echoPinger = Program.make(PingPong.echo, "pinger", () => Effect.void)
    assert.throws(
      () => System.make({ protocol: PingPong.protocol, nodes, programs: { p1: echoPinger as any }, properties: [] }),
      Topology.TopologyError,
      `the program "pinger" of p1 is for protocol "echo", not "pingpong"`
    )
    const unchecked = Calculator.Programs.oneShotServer(Calculator.uncheckedProtocol, Calculator.f)
    assert.throws(
      () => System.make({ protocol: Calculator.protocol, nodes: { client: [], server: ["s1"] }, programs: { s1: unchecked }, properties: [] }),
      Topology.TopologyError,
      `the program "one-shot-server" of s1 is for protocol "calc", not "calc"`
    )
  })

  it("rejects a program for a node that is not in the topology", () => {
    assert.throws(
      () => System.make({ protocol: PingPong.protocol, nodes, programs: { zz: pinger }, properties: [] }),
      Topology.TopologyError,
      `a program is given for "zz", which is not a node`
    )
  })

  it("rejects two properties with one name, including one named coherence", () => {
    const a = Property.always(PingPong.protocol, "same", () => true)
    const b = Property.sometimes(PingPong.protocol, "same", () => true)
    assert.throws(
      () => System.make({ protocol: PingPong.protocol, nodes, programs: {}, properties: [a, b] }),
      `protocol "pingpong": two properties are named "same"`
    )
    const clash = Property.always(PingPong.protocol, "coherence", () => true)
    assert.throws(
      () => System.make({ protocol: PingPong.protocol, nodes, programs: {}, properties: [clash] }),
      `protocol "pingpong": two properties are named "coherence"`
    )
    // Without a coherence predicate, the name is free.
    const free = Property.always(KeyValue.protocol, "coherence", () => true)
    assert.strictEqual(System.make({ protocol: KeyValue.protocol, nodes: { client: [], server: [] }, programs: {}, properties: [free] }).properties.length, 1)
  })

  it("reports topology errors", () => {
    assert.throws(
      () => System.make({ protocol: PingPong.protocol, nodes: { pinger: ["x"], ponger: ["x"] }, programs: {}, properties: [] }),
      Topology.TopologyError,
      `node "x" is listed as "pinger" and as "ponger"`
    )
  })
})

describe("Property", () => {
  it("always and sometimes keep their name and predicate, and where they were called", () => {
    const holds = () => false
    const file = import.meta.filename
    // The lines of the two calls below, found in this file's text so that edits above them don't matter.
    const lines = fs.readFileSync(file, "utf8").split("\n")
    const lineOf = (call: string) => lines.findIndex((l) => l.includes(`assert.deepStrictEqual(${call}(PingPong`)) + 1
    assert.deepStrictEqual(Property.always(PingPong.protocol, "a", holds), { kind: "always", name: "a", holds, at: { file, line: lineOf("Property.always"), column: 37 } })
    assert.deepStrictEqual(Property.sometimes(PingPong.protocol, "s", holds), { kind: "sometimes", name: "s", holds, at: { file, line: lineOf("Property.sometimes"), column: 37 } })
  })
})
