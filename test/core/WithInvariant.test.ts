/**
 * withInvariant: obligations named as the Lean theorems are, the named layers checked as
 * properties, and the law that strengthening twice is strengthening by the conjunction.
 */
import { assert, describe, it } from "vitest"
import * as Successors from "../../checker/Successors.ts"
import type { Statelet } from "../../core/Statelet.ts"
import * as System from "../../core/System.ts"
import { layers, obligations, withInvariant } from "../../core/WithInvariant.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"
import * as TwoPhaseCommit from "../../protocols/TwoPhaseCommit/index.ts"

type CalcState = Statelet<NonNullable<(typeof Calculator.protocol)["~shape"]>>
const fewPending = (s: CalcState, nodes: any) => nodes.client.every((c: string) => s.locals.client[c]!.pending.length <= 2)
const answersMatch = (s: CalcState) => s.soup.every((m) => m.tag !== "resp" || m.payload.value === Calculator.f(m.payload.args))

describe("withInvariant", () => {
  it("lists one obligation per invariant and transition, named as in Lean", () => {
    const strong = withInvariant(withInvariant(Calculator.protocol, "fewPending", fewPending), "answersMatch", answersMatch)
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
    const strong = withInvariant(Calculator.protocol, "fewPending", fewPending)
    const system = System.make({ protocol: strong, nodes: { client: ["c1"], server: ["s1"] }, programs: {}, properties: [] })
    assert.deepStrictEqual(system.properties.map((p) => [p.name, p.kind]), [
      ["coherence", "always"],
      ["fewPending", "always"]
    ])
    assert.throws(() => withInvariant(strong, "fewPending", () => true), /already has an invariant named "fewPending"/)
    assert.throws(() => withInvariant(strong, "few pending", () => true), /must be an identifier/)
  })

  it("keeps the protocol's own coherence as the first layer", () => {
    const tpc = TwoPhaseCommit.protocol
    const strong = withInvariant(tpc, "extra", () => true)
    assert.deepStrictEqual(layers(strong).map((l) => l.name), tpc.coherence === undefined ? ["extra"] : ["coherence", "extra"])
  })

  it("strengthening by I then J is strengthening by I ∧ J, on every state of random walks", () => {
    const twice = withInvariant(withInvariant(Calculator.protocol, "fewPending", fewPending), "answersMatch", answersMatch)
    const once = withInvariant(Calculator.protocol, "both", (s, nodes) => fewPending(s, nodes) && answersMatch(s))
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
