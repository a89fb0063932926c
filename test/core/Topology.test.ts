/**
 * Unit tests of `core/Topology.ts`: node ids per role, the role of each id, declaration order,
 * typed ids via `nodeId`, and every `TopologyError` (duplicate id, missing role, unknown role,
 * empty or non-string id). Ill-formed topologies are type errors too, hence the `as any` casts.
 */
import { assert, describe, it } from "vitest"
import * as Topology from "../../core/Topology.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"
import * as PingPong from "../fixtures/PingPong.ts"

const make = (ids: object) => () => Topology.make(PingPong.protocol, ids as any)

describe("Topology.make", () => {
  it("lists nodes per role, the role of each node, and every node in the protocol's role order", () => {
    // Roles are listed out of order on purpose: `all` follows the protocol (pinger, then ponger).
    const t = Topology.make(PingPong.protocol, { ponger: ["q1", "q2"], pinger: ["p1"] })
    assert.deepStrictEqual<unknown>(t.nodes, { pinger: ["p1"], ponger: ["q1", "q2"] })
    assert.deepStrictEqual([...t.roleOf], [
      ["p1", "pinger"],
      ["q1", "ponger"],
      ["q2", "ponger"]
    ])
    assert.deepStrictEqual(t.all, ["p1", "q1", "q2"])
  })

  it("copies the id lists it is given", () => {
    const clients = ["c1"]
    const t = Topology.make(Calculator.protocol, { client: clients, server: ["s1"] })
    clients.push("c2")
    assert.deepStrictEqual<ReadonlyArray<string>>(t.nodes.client, ["c1"])
    assert.isFalse(t.roleOf.has("c2"))
  })

  it("allows a role with no nodes", () => {
    const t = Topology.make(PingPong.protocol, { pinger: [], ponger: ["q1"] })
    assert.deepStrictEqual(t.all, ["q1"])
  })

  it("rejects an id listed twice, in one role or in two", () => {
    assert.throws(make({ pinger: ["p1", "p1"], ponger: [] }), Topology.TopologyError, `protocol "pingpong": node "p1" is listed as "pinger" and as "pinger"`)
    assert.throws(make({ pinger: ["x"], ponger: ["x"] }), Topology.TopologyError, `protocol "pingpong": node "x" is listed as "pinger" and as "ponger"`)
  })

  it("rejects a missing role", () => {
    assert.throws(make({ pinger: ["p1"] }), Topology.TopologyError, `protocol "pingpong": no nodes given for role "ponger"`)
  })

  it("rejects an unknown role", () => {
    assert.throws(make({ pinger: ["p1"], ponger: ["q1"], server: ["s1"] }), Topology.TopologyError, `protocol "pingpong" has no role "server"`)
  })

  it("rejects an unknown role named like an Object.prototype member", () => {
    // The protocol's role table is a plain object; "constructor" is inherited, not a role.
    assert.throws(
      make({ pinger: ["p1"], ponger: ["q1"], constructor: ["x"] }),
      Topology.TopologyError,
      `protocol "pingpong" has no role "constructor"`
    )
  })

  it("rejects empty and non-string ids", () => {
    assert.throws(make({ pinger: [""], ponger: [] }), Topology.TopologyError, `node ids must be non-empty strings, got ""`)
    assert.throws(make({ pinger: [7], ponger: [] }), Topology.TopologyError, `node ids must be non-empty strings, got 7`)
  })

  it("errors are TopologyErrors", () => {
    try {
      make({ pinger: ["p1"] })()
      assert.fail("expected a TopologyError")
    } catch (e) {
      assert.instanceOf(e, Topology.TopologyError)
      assert.instanceOf(e, Error)
      assert.strictEqual(e.name, "TopologyError")
    }
  })
})

describe("Topology.nodeId", () => {
  const t = Topology.make(PingPong.protocol, { pinger: ["p1"], ponger: ["q1"] })

  it("returns the id of a node of the given role", () => {
    const q1 = Topology.nodeId(t, "ponger", "q1")
    assert.strictEqual(q1, "q1")
    assert.strictEqual(t.roleOf.get(q1), "ponger")
  })

  it("throws for a node of another role, or no node", () => {
    assert.throws(() => Topology.nodeId(t, "ponger", "p1"), Topology.TopologyError, `"p1" is not a node of role "ponger"`)
    assert.throws(() => Topology.nodeId(t, "pinger", "zz"), Topology.TopologyError, `"zz" is not a node of role "pinger"`)
  })
})
