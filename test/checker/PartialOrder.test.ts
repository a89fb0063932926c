import * as Schema from "effect/Schema"
import { assert, describe, it } from "vitest"
import * as Checker from "../../checker/Checker.ts"
import * as Successors from "../../checker/Successors.ts"
import { propertyReads, unsupported } from "../../checker/PartialOrder.ts"
import * as LocalPredicate from "../../core/LocalPredicate.ts"
import type { Model } from "../../core/Model.ts"
import * as Property from "../../core/Property.ts"
import * as Protocol from "../../core/Protocol.ts"
import * as Step from "../../core/Step.ts"
import * as System from "../../core/System.ts"
import * as Protocols from "../../protocols/index.ts"
import { assertUsageError, protoweave } from "../cli/Harness.ts"
import { randomModel } from "./fixtures/RandomProtocol.ts"

/**
 * What must not change with the reduction: every verdict, the deadlock verdict and, without
 * symmetry, the number of deadlocks (under symmetry it counts the representatives reached, and a
 * representative is not unique per orbit when symmetric groups interact).
 */
const verdicts = (model: Model, r: Checker.CheckReport) =>
  JSON.stringify({
    properties: r.properties.map((p) => [p.name, p.status]),
    deadlocks: r.deadlocks.status,
    count: (model.symmetric ?? []).length > 0 ? undefined : r.deadlocks.count,
    incomplete: r.incomplete
  })

/** Each trace of a report is a real execution: every step is enabled, and its end decides the property. */
const assertReal = (model: Model, r: Checker.CheckReport): void => {
  const semantics = Step.make(model.system.protocol, model.system.topology, model.faults ?? Step.reorderOnly)
  const nodes = model.system.topology.nodes
  const replay = (trace: Checker.CheckTrace) => {
    let s = trace.initial
    for (const step of trace.steps) {
      const outcome = Step.step(semantics, s, step.action)
      assert.strictEqual(outcome._tag, "Stepped")
      if (outcome._tag === "Stepped") s = outcome.statelet
    }
    return s
  }
  for (const p of r.properties) {
    if (p.trace === undefined) continue
    const property = model.system.properties.find((q) => q.name === p.name)!
    assert.strictEqual(property.holds(replay(p.trace) as never, nodes), p.status === "witnessed", p.name)
  }
  if (r.deadlocks.trace !== undefined) {
    const end = replay(r.deadlocks.trace)
    assert.isFalse(Successors.make(model).successors(end).some((x) => x.progress))
  }
}

const same = (model: Model, options: Checker.CheckOptions = {}) => {
  const full = Checker.check(model, options)
  const reduced = Checker.check(model, { ...options, partialOrder: true })
  assert.strictEqual(verdicts(model, reduced), verdicts(model, full))
  assert.isAtMost(reduced.states, full.states)
  assertReal(model, reduced)
  return { full, reduced }
}

/** Two nodes that each step 0 → 1 → 2, sending a message the other never accepts: every interleaving is a state. */
const independent = (): Model => {
  const Local = Schema.Struct({ s: Schema.Int })
  const Sig = Protocol.signature({
    label: "independent",
    roles: { a: Local, b: Local },
    initial: { a: { s: 0 }, b: { s: 0 } },
    messages: { tick: Schema.Struct({}), tock: Schema.Struct({}) }
  })
  const protocol = Sig.protocol({
    sends: {
      sendTick: Sig.send({ tag: "tick", from: "a", to: "b", guard: (l) => l.s < 2, step: (l) => ({ s: l.s + 1 }) }),
      sendTock: Sig.send({ tag: "tock", from: "b", to: "a", guard: (l) => l.s < 2, step: (l) => ({ s: l.s + 1 }) })
    },
    receives: {
      receiveTick: Sig.receive({ tag: "tick", by: "b", accepts: () => false, step: (l) => l }),
      receiveTock: Sig.receive({ tag: "tock", by: "a", accepts: () => false, step: (l) => l })
    }
  })
  const aAt1 = LocalPredicate.make(protocol, "a", "a in 1", (l) => l.s === 1)
  const bAt1 = LocalPredicate.make(protocol, "b", "b in 1", (l) => l.s === 1)
  return {
    system: System.make({
      protocol,
      nodes: { a: ["a1"], b: ["b1"] },
      programs: {},
      properties: [Property.sometimes(protocol, "bothAt1", (s, n) => aAt1.some(s, n) && bAt1.some(s, n))]
    }),
    soup: "active"
  }
}

/**
 * Node `a` loops forever on its own (it sends itself a ping and receives it, with nothing visible),
 * and node `b` has one visible step: without the cycle proviso the search would go round `a`'s loop
 * and ignore `b`'s step.
 */
const looping = (): Model => {
  const Local = Schema.Struct({ s: Schema.Int })
  const Sig = Protocol.signature({
    label: "looping",
    roles: { a: Local, b: Local },
    initial: { a: { s: 0 }, b: { s: 0 } },
    messages: { ping: Schema.Struct({}), tock: Schema.Struct({}) }
  })
  const protocol = Sig.protocol({
    sends: {
      sendPing: Sig.send({ tag: "ping", from: "a", to: "a", guard: (l) => l.s === 0, step: () => ({ s: 1 }) }),
      sendTock: Sig.send({ tag: "tock", from: "b", to: "a", guard: (l) => l.s === 0, step: () => ({ s: 1 }) })
    },
    receives: {
      receivePing: Sig.receive({ tag: "ping", by: "a", accepts: (l) => l.s === 1, step: () => ({ s: 0 }) }),
      receiveTock: Sig.receive({ tag: "tock", by: "a", accepts: () => false, step: (l) => l })
    }
  })
  const bMoved = LocalPredicate.make(protocol, "b", "b in 1", (l) => l.s === 1)
  return {
    system: System.make({
      protocol,
      nodes: { a: ["a1"], b: ["b1"] },
      programs: {},
      properties: [Property.sometimes(protocol, "bMoved", (s, n) => bMoved.some(s, n)), Property.always(protocol, "bStays", (s, n) => !bMoved.some(s, n))]
    }),
    soup: "active"
  }
}

describe("partial-order reduction", () => {
  it("gives the verdicts of the full search on every bundled protocol and broken variant (smallest sizes, at most 20,000 states; tpc-bench at 3)", () => {
    for (const family of Protocols.families) {
      if (family.model === undefined) continue
      const bench = family.name.startsWith("tpc-bench")
      const sizes = Object.fromEntries(Object.entries(family.parameters).map(([k, p]) => [k, Math.min(p.max, Math.max(p.min, bench ? 3 : 1))]))
      // A bound keeps the big ones (the delegating calculator: 100,981 states and more) quick; both searches stop at it.
      const model = family.model(sizes)
      const { full, reduced } = same(model, { maxStates: 20_000 })
      if (reduced.partialOrder?.applied === false) assert.isAbove(reduced.partialOrder.reason?.length ?? 0, 20, family.name)
      if (bench) {
        // Pinned: fewer states than the full search's 1,077 / 1,239, from one node's steps at 264 / 300 states.
        assert.deepStrictEqual([full.states, reduced.states, reduced.partialOrder?.reduced], family.broken ? [1239, 662, 300] : [1077, 569, 264])
      }
    }
  })

  it("gives the verdicts of the full search on tpc-bench N = 4, breadth- and depth-first", () => {
    const model = Protocols.find("tpc-bench")!.model!({ participants: 4 })
    assert.strictEqual(same(model).reduced.states, 3693)
    same(model, { strategy: "dfs" })
  })

  it("gives the verdicts of the full search on 120 random protocols (breadth-first) and 20 depth-first", () => {
    let reducedSome = 0
    for (let seed = 1; seed <= 120; seed++) {
      const model = randomModel(seed)
      const { full, reduced } = same(model)
      if (reduced.states < full.states) reducedSome++
      if (seed <= 20) same(model, { strategy: "dfs" })
    }
    // Not vacuous: many of them are reduced.
    assert.isAtLeast(reducedSome, 15)
  })

  it("keeps a step that changes a predicate a property reads (visibility): a witness of an interleaving stays reachable", () => {
    const model = independent()
    const { full, reduced } = same(model)
    assert.strictEqual(full.properties[0]!.status, "witnessed")
    assert.strictEqual(full.states, 9)
    assert.isTrue(reduced.partialOrder?.applied)
  })

  it("expands in full a state whose ample set closes a cycle (the ignoring proviso): a step left out of a loop is still taken", () => {
    for (const strategy of ["bfs", "dfs"] as const) {
      const { full, reduced } = same(looping(), { strategy })
      assert.deepStrictEqual(full.properties.map((p) => p.status), ["witnessed", "violated"])
      assert.isTrue(reduced.partialOrder?.applied)
    }
  })

  it("finds what a property reads through every branch of its local-predicate answers", () => {
    const model = independent()
    const protocol = model.system.protocol
    const p = LocalPredicate.make(protocol, "a", "p", () => true)
    const q = LocalPredicate.make(protocol, "b", "q", () => true)
    const nodes = model.system.topology.nodes
    // `q` is read only when `p` holds for some node: a single run would miss it.
    const reads = propertyReads(Property.always(protocol, "branch", (s, n) => !p.some(s, n) || q.every(s, n)), nodes)
    assert.deepStrictEqual(reads._tag === "Predicates" ? reads.predicates.map((x) => x.description).sort() : reads, ["p", "q"])
    const opaque = propertyReads(Property.always(protocol, "late", (s, n) => !p.some(s, n) || s.soup.length === 0), nodes)
    assert.strictEqual(opaque._tag, "Opaque")
  })

  it("check --por prints the reduction, or why there is none, and refuses --workers", () => {
    const reduced = protoweave("check", "tpc-bench", "--participants", "3", "--por")
    assert.strictEqual(reduced.code, 0, reduced.stderr)
    assert.match(reduced.stdout, /^states {6}569 distinct/m)
    assert.match(reduced.stdout, /^reduction {3}partial-order reduction: on \(one node's steps taken at 264 of the 569 states expanded\)$/m)
    const full = protoweave("check", "two-phase-commit", "--participants", "1", "--rounds", "1", "--por")
    // Its reason: a liveness property, or the history soup (both hold for two-phase-commit).
    assert.match(full.stdout, /^reduction {3}partial-order reduction: OFF, every state searched: (property "\w+" is a liveness property|the model's soup is "history")/m)
    assertUsageError(protoweave("check", "tpc-bench", "--por", "--workers", "2"), "--por searches on one thread; drop --workers or --por")
  })

  it("falls back to the full search, naming why, for liveness properties, the history soup, faults and opaque properties", () => {
    const model = independent()
    const liveness = { kind: "eventually", name: "ends", holds: () => true } as unknown as Property.Property
    const withLiveness = { ...model, system: { ...model.system, properties: [...model.system.properties, liveness] } }
    assert.match(unsupported(withLiveness) ?? "", /"ends" is a liveness property/)
    assert.match(unsupported({ ...model, soup: "history" }) ?? "", /history/)
    assert.match(unsupported({ ...model, faults: { ...Step.reorderOnly, drop: true } }) ?? "", /drop/)
    const opaque = Property.always(model.system.protocol, "soupEmpty", (s) => s.soup.length >= 0)
    const withOpaque = { ...model, system: { ...model.system, properties: [opaque] } }
    const report = Checker.check(withOpaque, { partialOrder: true })
    assert.isFalse(report.partialOrder?.applied)
    assert.match(report.partialOrder?.reason ?? "", /"soupEmpty" makes every step visible: it reads the statelet's soup/)
    assert.strictEqual(report.states, Checker.check(withOpaque).states)
  })
})
