/**
 * withInvariant: obligations named as the Lean theorems are, the named layers checked as
 * properties (the layers are the `always` properties themselves, with where they were declared),
 * and the law that strengthening twice is strengthening by the conjunction.
 */
import { assert, describe, it } from "vitest"
import * as Successors from "../../checker/Successors.ts"
import type { Statelet } from "../../core/Statelet.ts"
import * as System from "../../core/System.ts"
import { layers, obligations, withInvariant } from "../../combinators/WithInvariant.ts"
import * as Property from "../../core/Property.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"
import * as CalculatorProtocol from "../../protocols/Calculator/Protocol.ts"
import * as TwoPhaseCommit from "../../protocols/TwoPhaseCommit/index.ts"
import * as TwoPhaseCommitProtocol from "../../protocols/TwoPhaseCommit/Protocol.ts"

/** The Calculator with its own coherence only (the bundled one carries its specification as layers). */
const plain = CalculatorProtocol.make({ label: "calc", f: Calculator.f, prec: Calculator.prec })
type CalcState = Statelet<NonNullable<(typeof plain)["~shape"]>>
const fewPending = (s: CalcState, nodes: any) => nodes.client.every((c: string) => s.locals.client[c]!.pending.length <= 2)
const answersMatch = (s: CalcState) => s.soup.every((m) => m.tag !== "resp" || m.payload.value === Calculator.f(m.payload.args))

describe("withInvariant", () => {
  it("lists one obligation per invariant and transition, named as in Lean", () => {
    const strong = withInvariant(withInvariant(plain, "fewPending", fewPending), "answersMatch", answersMatch)
    const names = obligations(strong).map((o) => o.name)
    assert.deepStrictEqual(names, [
      "coherence_init",
      "coherence_preserved_by_clientSend",
      "coherence_preserved_by_serverSend",
      "coherence_preserved_by_serverRecv",
      "coherence_preserved_by_clientRecv",
      "fewPending_init",
      "fewPending_preserved_by_clientSend",
      "fewPending_preserved_by_serverSend",
      "fewPending_preserved_by_serverRecv",
      "fewPending_preserved_by_clientRecv",
      "answersMatch_init",
      "answersMatch_preserved_by_clientSend",
      "answersMatch_preserved_by_serverSend",
      "answersMatch_preserved_by_serverRecv",
      "answersMatch_preserved_by_clientRecv"
    ])
    assert.deepStrictEqual(layers(strong).map((l) => l.name), ["coherence", "fewPending", "answersMatch"])
  })

  it("becomes properties of every system of the protocol, by name", () => {
    const strong = withInvariant(plain, "fewPending", fewPending)
    const system = System.make({ protocol: strong, nodes: { client: ["c1"], server: ["s1"] }, programs: {}, properties: [] })
    assert.deepStrictEqual(system.properties.map((p) => [p.name, p.kind]), [
      ["coherence", "always"],
      ["fewPending", "always"]
    ])
    assert.throws(() => withInvariant(strong, "fewPending", () => true), /already has an invariant named "fewPending"/)
    assert.throws(() => withInvariant(strong, "few pending", () => true), /must be an identifier/)
  })

  it("keeps the protocol's own coherence as the first layer", () => {
    assert.deepStrictEqual(layers(withInvariant(TwoPhaseCommitProtocol.make(), "extra", () => true)).map((l) => l.name), ["extra"])
    assert.deepStrictEqual(layers(withInvariant(plain, "extra", () => true)).map((l) => l.name), ["coherence", "extra"])
  })

  it("makes each layer an always property that records where withInvariant was called", () => {
    const holds = () => true
    const strong = withInvariant(plain, "here", holds); const line = new Error().stack!.split("\n")[1]!
    const layer = layers(strong).at(-1)!
    assert.deepInclude(layer, { kind: "always", name: "here", holds })
    assert.strictEqual(layer.at?.file, import.meta.filename)
    // The call is on the line the stack of the line itself names, at the column of `withInvariant`.
    assert.strictEqual(layer.at?.line, Number(/:(\d+):\d+\)?$/.exec(line)![1]))
    assert.strictEqual(layer.at?.column, 20)
    // The protocol's own coherence has no call: the exporter reads it from the protocol's declaration.
    assert.isUndefined(layers(strong)[0]!.at)
    // One concept: the system's properties are the layers themselves.
    assert.strictEqual(Property.coherence(strong).at(-1), layer)
  })

  it("declares the flagship protocols' inductive invariants, in the order the Lean export assumes them", () => {
    assert.deepStrictEqual(layers(TwoPhaseCommit.protocol).map((l) => l.name), ["logAgreement", "commitValidity", "coordinatorAgreement", "tpcInv"])
    // The broken variant leaves `tpcInv`'s states at its first commit despite a no vote: it has no such layer.
    assert.deepStrictEqual(layers(TwoPhaseCommit.commitOnAnyYesProtocol).map((l) => l.name), ["logAgreement", "commitValidity", "coordinatorAgreement"])
    assert.deepStrictEqual(layers(Calculator.protocol).map((l) => l.name), ["coherence", "responseCorrect", "pendingWellFormed", "responsesAnswerRequests", "clientsAwaitAnswers"])
    for (const l of [...layers(TwoPhaseCommit.protocol), ...layers(Calculator.protocol).slice(1)]) {
      assert.match(`${l.at?.file}:${l.at?.line}`, /protocols\/(TwoPhaseCommit|Calculator)\/index\.ts:\d+$/, l.name)
    }
  })

  it("strengthening by I then J is strengthening by I ∧ J, on every state of random walks", () => {
    const twice = withInvariant(withInvariant(plain, "fewPending", fewPending), "answersMatch", answersMatch)
    const once = withInvariant(plain, "both", (s, nodes) => fewPending(s, nodes) && answersMatch(s))
    const model = Calculator.model({ clients: 2, servers: 1 })
    const expander = Successors.make(model)
    const nodes = model.system.topology.nodes
    let seed = 3
    const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8)
    let checked = 0
    let falsified = 0
    for (let walk = 0; walk < 40; walk++) {
      let s = expander.semantics.initial
      for (let d = 0; d < 12; d++) {
        const successors = expander.successors(s)
        if (successors.length === 0) break
        s = successors[next() % successors.length]!.next
        // Also a state outside the reachable ones, where the invariants can fail.
        const skewed = { ...s, soup: s.soup.map((m) => (m.tag === "resp" ? { ...m, payload: { ...(m.payload as object), value: 99 } } : m)) }
        for (const state of [s, skewed]) {
          const a = twice.coherence!(state as any, nodes as any)
          assert.strictEqual(a, once.coherence!(state as any, nodes as any))
          checked++
          if (!a) falsified++
        }
      }
    }
    assert.isAbove(checked, 200)
    assert.isAbove(falsified, 0, "the comparison saw states where the conjunction fails")
  })
})
