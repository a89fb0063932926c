/**
 * The counterexample-to-induction search: it names every transition that breaks a non-inductive
 * invariant (Two-Phase Commit's log agreement, which Disel's proof has to strengthen), each from a
 * state that an independent re-check confirms, built from values the protocol produces, shrunk to
 * the nodes and the one message the step needs, and shown whole in the simulator's trace format;
 * it finds none for an inductive invariant (`tpcInv`, or log agreement under `tpcInv` as `prove`
 * states it) and says what it searched rather than claiming anything; and it is a function of its
 * seed.
 */
import * as Schema from "effect/Schema"
import { assert, describe, it } from "vitest"
import { formatCounterexample, formatState, obligationText, searchCounterexample } from "../../checker/Induction.ts"
import type { Model } from "../../core/Model.ts"
import * as Property from "../../core/Property.ts"
import * as Protocol from "../../core/Protocol.ts"
import * as Step from "../../core/Step.ts"
import * as System from "../../core/System.ts"
import * as Topology from "../../core/Topology.ts"
import { withInvariant } from "../../combinators/WithInvariant.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"
import * as LockResource from "../../protocols/LockResource/index.ts"
import * as TwoPhaseCommit from "../../protocols/TwoPhaseCommit/index.ts"
import { formatTrace } from "../../simulator/Report.ts"
import { reorder } from "../../simulator/FaultPlan.ts"

const tpc = TwoPhaseCommit.model({ participants: 2, rounds: 2 })
const logAgreement = tpc.system.properties.find((p) => p.name === "logAgreement")!.holds
const report = searchCounterexample(tpc, "logAgreement", { seed: 1 })

/** Every leaf (number, string, boolean) of a value. */
const leaves = (value: unknown): Array<unknown> =>
  Array.isArray(value) ? value.flatMap(leaves) : typeof value === "object" && value !== null ? Object.values(value).flatMap(leaves) : [value]

describe("searchCounterexample", () => {
  it("names the four receive transitions that break log agreement, in the protocol's order", () => {
    assert.isTrue(report.initially)
    assert.deepStrictEqual(
      report.broken.map((c) => c.obligation),
      ["receiveCommit", "receiveAbort", "receiveAckCommit", "receiveAckAbort"].map((t) => `logAgreement_preserved_by_${t}`)
    )
    assert.deepStrictEqual(report.hypothesis, ["logAgreement"])
  })

  it("confirms each counterexample independently: the invariant holds, the step is enabled and takes the transition, the invariant fails after", () => {
    for (const c of report.broken) {
      const topology = Topology.make(tpc.system.protocol, c.nodes as any)
      const semantics = Step.make(tpc.system.protocol, topology, Step.reorderOnly)
      assert.isTrue(logAgreement(c.state as any, c.nodes as any), `${c.obligation}: the state satisfies log agreement`)
      const outcome = Step.step(semantics, c.state, c.action)
      assert.strictEqual(outcome._tag, "Stepped", c.obligation)
      if (outcome._tag !== "Stepped") continue
      assert.strictEqual(outcome.transition, c.transition)
      assert.deepStrictEqual(outcome.statelet, c.next)
      assert.isFalse(logAgreement(c.next as any, c.nodes as any), `${c.obligation}: the step breaks it`)
    }
  })

  it("shrinks each counterexample to the one message received and the two nodes it needs, from larger states", () => {
    for (const c of report.broken) {
      assert.strictEqual(c.state.soup.length, 1, formatCounterexample(c))
      assert.strictEqual(c.action.kind, "receive")
      assert.strictEqual(Object.values(c.nodes).flat().length, 2, formatCounterexample(c))
      assert.deepStrictEqual(c.nodes.coordinator, ["c"])
    }
    assert.isTrue(report.broken.some((c) => c.found.messages > 1 && c.shrinkSteps > 0), "some counterexample was found larger and shrunk")
  })

  it("draws every value from the protocol: eras 0 to 2, data 100 or 101 (dataOf), the model's node ids", () => {
    const produced = new Set<unknown>([0, 1, 2, 100, 101, true, false, ...Object.values(tpc.system.topology.nodes).flat()])
    const tags = new Set(["init", "sentPrepare", "waitVotes", "sentCommit", "sentAbort", "waitAckCommit", "waitAckAbort", "gotPrepare", "votedYes", "votedNo", "committed", "aborted"])
    for (const c of report.broken) {
      for (const v of leaves([c.state.locals, c.state.soup.map((m) => m.payload)])) {
        assert.isTrue(produced.has(v) || tags.has(v as string), `${c.obligation}: ${JSON.stringify(v)} is not a value Two-Phase Commit produces`)
      }
    }
  })

  it("invents no value: an invariant broken only from a value that no reachable state has gets no counterexample", () => {
    // A node can double its number only when it is not zero, and it starts at zero: n stays 0.
    // "zeroOrOdd" is not inductive (doubling an odd n breaks it), but no run produces an odd n.
    const Doubler = Protocol.signature({
      label: "doubler",
      roles: { peer: Schema.Struct({ n: Schema.Int }) },
      initial: { peer: { n: 0 } },
      messages: { ping: Schema.Struct({}) }
    })
    const doubler = Doubler.protocol({
      sends: { double: Doubler.send({ tag: "ping", from: "peer", to: "peer", guard: (s) => s.n !== 0, step: (s) => ({ n: s.n * 2 }) }) },
      receives: { gotPing: Doubler.receive({ tag: "ping", by: "peer", step: (s) => s }) }
    })
    const zeroOrOdd = Property.always(doubler, "zeroOrOdd", (s, nodes) => nodes.peer.every((p) => s.locals.peer[p]!.n === 0 || s.locals.peer[p]!.n % 2 !== 0))
    const system = System.make({ protocol: doubler, nodes: { peer: ["a", "b"] }, programs: {}, properties: [zeroOrOdd] })
    const found = searchCounterexample({ system, payloads: { ping: [{}] } }, "zeroOrOdd", { seed: 1, candidates: 500 })
    assert.deepStrictEqual(found.broken, [])
    assert.strictEqual(found.search.reachable, 1)
    assert.match(obligationText(found, "zeroOrOdd_preserved_by_double"), /no counterexample found within \d candidate states \(seed 1\); the search is randomized, so this is not a proof/)
  })

  it("shows the whole state — every node's local state and every message — and the step as the simulator's trace does", () => {
    const c = report.broken.find((x) => x.transition === "receiveCommit")!
    const text = formatCounterexample(c)
    for (const line of formatState(c.state, c.nodes)) assert.include(text.split("\n"), `  ${line}`)
    for (const node of Object.values(c.nodes).flat()) assert.match(text, new RegExp(`^  ${node}: \\{era:`, "m"))
    assert.match(text, /^ {2}msg 0 {2}c → p\d {2}commit \{era:\d\} {2}active$/m)
    // The same step in a simulator trace: its event line and the local-state change under it.
    const m = c.state.soup[0]!
    const before = (c.state.locals as any).participant[m.to]
    const after = (c.next.locals as any).participant[m.to]
    const trace = formatTrace(
      {
        header: { type: "run", format: 1, system: "tpc", level: "programs", parameters: {}, seed: 1, faults: reorder, maxSteps: 1, maxTime: 1 },
        events: [{ type: "deliver", step: 1, time: 0, node: m.to, msg: m.id, from: m.from, tag: m.tag, payload: m.payload, transition: "receiveCommit", local: after }],
        end: { type: "end", status: "stuck", steps: 1, time: 0, violation: null, blocked: [] }
      } as any,
      { initial: new Map([[m.to, before]]) }
    ).split("\n")
    const event = trace[1]!.replace(/^\d+ {2}0ms {2}/, "")
    const change = trace[2]!.trim()
    assert.include(text.split("\n"), `step: ${event}`)
    assert.include(text.split("\n").map((l) => l.trim()), change)
    assert.match(text, /^logAgreement_preserved_by_receiveCommit: receiveCommit breaks logAgreement from this state \(\d nodes, 1 message; shrunk from \d nodes and \d+ messages in \d+ steps\)$/m)
  })

  it("finds nothing for tpcInv, and for log agreement assuming tpcInv as prove does, and says what it searched", () => {
    const strong = searchCounterexample(tpc, "tpcInv", { seed: 1, states: 1000, walks: 20, candidates: 300 })
    assert.deepStrictEqual(strong.broken, [])
    assert.isAbove(strong.tried, 1000)
    const assumed = searchCounterexample(tpc, "logAgreement", { seed: 1, states: 2000, walks: 50, candidates: 1000, assume: ["tpcInv"] })
    assert.deepStrictEqual(assumed.hypothesis, ["logAgreement", "tpcInv"])
    assert.deepStrictEqual(assumed.broken, [])
    const text = obligationText(assumed, "logAgreement_preserved_by_receiveCommit")
    assert.match(text, /^logAgreement_preserved_by_receiveCommit: no counterexample found within [\d,]+ candidate states \(seed 1\); the search is randomized, so this is not a proof$/m)
    assert.include(text, "a breadth-first search of 2,000 states, then 50 random walks")
    assert.notMatch(text, /inductive|holds|proved/)
  })

  it("attaches text to every obligation: a counterexample, or the initial state that violates the invariant", () => {
    assert.strictEqual(obligationText(report, "logAgreement_preserved_by_receiveAbort"), formatCounterexample(report.broken[1]!))
    assert.match(obligationText(report, "logAgreement_init"), /^logAgreement_init: the model's initial state satisfies logAgreement/)
    const busy = withInvariant(Calculator.protocol, "busy", (s) => s.soup.length > 0)
    const system = System.make({ protocol: busy, nodes: { client: ["c1"], server: ["s1"] }, programs: {}, properties: [] })
    const model: Model = { system, payloads: { req: [{ args: [1, 2] }], resp: [] } }
    const failing = searchCounterexample(model, "busy", { states: 200, walks: 5, candidates: 50 })
    assert.isFalse(failing.initially)
    assert.strictEqual(obligationText(failing, "busy_init"), ["busy_init: the initial state violates busy:", "  c1: {pending:[]}", "  s1: {pending:[]}", "  soup: empty"].join("\n"))
  })

  it("searches worlds, whose properties read the world's own nodes, and keeps each node in the roles it plays", () => {
    const world = LockResource.model({ clients: 2 })
    const found = searchCounterexample(world, "oneWriterPerEpoch", { seed: 1, candidates: 500 })
    assert.deepStrictEqual(found.broken.map((c) => c.transition), ["resource_logWrite"])
    for (const c of found.broken) {
      const locals = (c.state.locals as any).node
      assert.strictEqual(locals.s.lock.role, "server", formatCounterexample(c))
      for (const n of ["c1", "c2"]) if (n in locals) assert.strictEqual(locals[n].lock.role, "client", formatCounterexample(c))
    }
  })

  it("gives the same answer for the same seed", () => {
    const a = searchCounterexample(tpc, "logAgreement", { seed: 9, states: 1000, walks: 50, candidates: 500 })
    const b = searchCounterexample(tpc, "logAgreement", { seed: 9, states: 1000, walks: 50, candidates: 500 })
    assert.deepStrictEqual(a, b)
  })

  it("refuses an invariant the protocol does not have, and an assumption it does not have", () => {
    assert.throws(() => searchCounterexample(tpc, "nope"), /has no invariant "nope" \(its layers and always properties: logAgreement, commitValidity, coordinatorAgreement, tpcInv\)/)
    assert.throws(() => searchCounterexample(tpc, "logAgreement", { assume: ["nope"] }), /cannot assume "nope"/)
  })
})

describe("a protocol that never stops, in active soup mode", () => {
  it("keys reachable states as the checker does (consumed messages forgotten, the soup a multiset), so the search exhausts a finite model", async () => {
    const TokenRing = await import("../cli/fixtures/TokenRing.ts")
    // The ring passes its token forever: with the history kept, every pass would be a new state.
    const found = searchCounterexample(TokenRing.model({ members: 3 }), "oneHolder", { seed: 1, states: 2000, walks: 5, candidates: 50 })
    assert.isTrue(found.search.exhausted)
    assert.isBelow(found.search.reachable, 100)
  })
})
