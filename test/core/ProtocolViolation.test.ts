/**
 * Unit tests of `core/ProtocolViolation.ts`: the error's fields, its tag, and a `message` that
 * names the protocol, the transition (when there is one), the node, the attempted message, the
 * reason, the payload and the node's local state — both when built directly and when produced by
 * the step function.
 */
import { assert, describe, it } from "vitest"
import { ProtocolViolation } from "../../core/ProtocolViolation.ts"
import * as Step from "../../core/Step.ts"
import * as Topology from "../../core/Topology.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"

const fields = {
  protocol: "tpc",
  transition: "sendCommit",
  node: "c",
  local: { phase: "init" },
  attempted: { tag: "commit", to: "p1", payload: { era: 0 } },
  reason: "the guard of sendCommit is false"
}

describe("ProtocolViolation", () => {
  it("is a tagged Error carrying its fields", () => {
    const v = new ProtocolViolation(fields)
    assert.instanceOf(v, Error)
    assert.strictEqual(v._tag, "ProtocolViolation")
    assert.deepStrictEqual(
      { protocol: v.protocol, transition: v.transition, node: v.node, local: v.local, attempted: v.attempted, reason: v.reason },
      fields
    )
  })

  it("has a message naming protocol, transition, node, message, reason, payload and local state", () => {
    assert.strictEqual(
      new ProtocolViolation(fields).message,
      `protocol "tpc" (transition sendCommit): node c may not send commit to p1: the guard of sendCommit is false\n` +
        `  payload: {"era":0}\n` +
        `  local state of c: {"phase":"init"}`
    )
  })

  it("leaves the transition out of the message when there is none", () => {
    const v = new ProtocolViolation({ ...fields, transition: undefined, reason: `no send transition sends tag "commit"` })
    assert.isTrue(v.message.startsWith(`protocol "tpc": node c may not send commit to p1: no send transition sends tag "commit"\n`))
    assert.notInclude(v.message, "transition sendCommit")
  })

  it("reads the same when the step function raises it", () => {
    const protocol = Calculator.protocol
    const sem = Step.make(protocol, Topology.make(protocol, { client: ["c1"], server: ["s1"] }), Step.reorderOnly)
    const out = Step.step(sem, sem.initial, { kind: "send", node: "c1", tag: "req", to: "s1", payload: { args: [1] } })
    assert.strictEqual(out._tag, "Violated")
    const message = out._tag === "Violated" ? out.violation.message : ""
    for (const part of [`protocol "calc"`, "(transition clientSend)", "node c1", "send req to s1", "the guard of clientSend is false"]) {
      assert.include(message, part)
    }
    assert.include(message, `payload: {"args":[1]}`)
    assert.include(message, `local state of c1: {"pending":[]}`)
  })
})
