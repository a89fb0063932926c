/**
 * The collapsed state space against the step function it memoizes: breadth-first, level by level,
 * both must reach the same states — with every fault switched on, with the history soup and the
 * active one — and transitions that are not functions of their arguments are reported.
 */
import * as Schema from "effect/Schema"
import { assert, describe, it } from "vitest"
import * as Codec from "../../checker/Codec.ts"
import { CollapsedSpace } from "../../checker/Collapse.ts"
import { ModelError } from "../../checker/Successors.ts"
import * as Successors from "../../checker/Successors.ts"
import * as Symmetry from "../../checker/Symmetry.ts"
import type { Model } from "../../core/Model.ts"
import * as Protocol from "../../core/Protocol.ts"
import type { Statelet } from "../../core/Statelet.ts"
import * as Step from "../../core/Step.ts"
import * as System from "../../core/System.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"
import * as Protocols from "../../protocols/index.ts"
import * as TpcBench from "../../protocols/TpcBench/index.ts"
import * as TwoPhaseCommit from "../../protocols/TwoPhaseCommit/index.ts"

/** Distinct states per BFS level, through `Step.step` on whole statelets, keyed by their canonical bytes. */
const levelsByStep = (model: Model, depth: number): Array<number> => {
  const expander = Successors.make(model)
  const codec = Codec.make(model.system.protocol, model.system.topology, model.soup ?? "history")
  const w = new Codec.Writer()
  const key = (s: Statelet) => {
    w.reset()
    codec.encode(w, s)
    return Buffer.from(w.take()).toString("latin1")
  }
  const seen = new Set([key(expander.semantics.initial)])
  let level: Array<Statelet> = [expander.semantics.initial]
  const sizes = [1]
  for (let d = 0; d < depth && level.length > 0; d++) {
    const next: Array<Statelet> = []
    for (const s of level) {
      for (const x of expander.successors(s)) {
        const k = key(x.next)
        if (!seen.has(k)) {
          seen.add(k)
          next.push(x.next)
        }
      }
    }
    sizes.push(next.length)
    level = next
  }
  return sizes
}

/** The same, through the collapsed space and its fingerprints. */
const levelsCollapsed = (model: Model, depth: number): Array<number> => {
  const space = new CollapsedSpace(model, false)
  const start = space.start()
  const seen = new Set([`${start.hi}:${start.lo}`])
  let level: Array<[Int32Array, number, number]> = [[start.vector, start.hi, start.lo]]
  const sizes = [1]
  for (let d = 0; d < depth && level.length > 0; d++) {
    const next: Array<[Int32Array, number, number]> = []
    for (const [v, hi, lo] of level) {
      space.expand(v, hi, lo, (h, l) => {
        const k = `${h}:${l}`
        if (seen.has(k)) return
        seen.add(k)
        const built = space.successor(v)
        const successor = built.slice(0, space.size(built))
        // The incremental fingerprint must be the one computed from scratch.
        assert.deepStrictEqual(space.fingerprint(successor), [h, l])
        next.push([successor, h, l])
      })
    }
    sizes.push(next.length)
    level = next
  }
  return sizes
}

const faulty = { ...Step.allFaults, maxCrashed: 1, maxDuplicates: 1 }

/**
 * Under symmetry, every successor's representative — computed on interned ids — must be the vector
 * of `Symmetry.make`'s representative of the successor's statelet, with the same renaming. Returns
 * how many successors were renamed (so that the comparison is not vacuous).
 */
const compareRepresentatives = (model: Model, depth: number): number => {
  const space = new CollapsedSpace(model, true)
  const canonical = Symmetry.make(model)
  const start = space.start()
  const seen = new Set([`${start.hi}:${start.lo}`])
  let level: Array<[Int32Array, number, number]> = [[start.vector, start.hi, start.lo]]
  let renamed = 0
  for (let d = 0; d < depth && level.length > 0; d++) {
    const next: Array<[Int32Array, number, number]> = []
    for (const [v, hi, lo] of level) {
      space.expand(v, hi, lo, (h, l) => {
        const built = space.successor(v)
        const representative = built.slice(0, space.size(built))
        const stepped = Step.step(space.semantics, space.statelet(v), space.action())
        assert.strictEqual(stepped._tag, "Stepped")
        if (stepped._tag !== "Stepped") return
        // With the active soup the space forgets consumed messages, so its statelets hold none.
        const successor = model.soup === "active" ? { ...stepped.statelet, soup: stepped.statelet.soup.filter((m) => m.active) } : stepped.statelet
        const expected = canonical(successor)
        assert.deepStrictEqual([...representative], [...space.vectorOf(expected.state)])
        assert.deepStrictEqual([...space.renaming()], [...expected.renaming])
        assert.deepStrictEqual(space.fingerprint(representative), [h, l])
        if (expected.renaming.size > 0) renamed++
        const k = `${h}:${l}`
        if (seen.has(k)) return
        seen.add(k)
        next.push([representative, h, l])
      })
    }
    level = next
  }
  return renamed
}

describe("CollapsedSpace", () => {
  it("computes under symmetry the representatives that Symmetry.make gives on statelets", async () => {
    const { model: delegating } = await import("../../protocols/DelegatingCalculator/index.ts")
    const cases: ReadonlyArray<readonly [string, Model, number]> = [
      ["two-phase commit, 3 participants, history soup, every fault", { ...TwoPhaseCommit.model({ participants: 3, rounds: 1 }), faults: faulty }, 4],
      ["tpc-bench, 4 participants, active soup", { ...TpcBench.model(4), symmetric: ["participant"] }, 10],
      ["calculator, 3 clients, active soup", { ...Calculator.model({ clients: 3, servers: 1 }), soup: "active" }, 6],
      ["a world, nodes given by id", { ...delegating({ clients: 3, depth: 5 }), symmetric: [["c1", "c2", "c3"]] }, 6]
    ]
    for (const [name, model, depth] of cases) assert.isAbove(compareRepresentatives(model, depth), 10, name)
  })

  const cases: ReadonlyArray<readonly [string, Model, number]> = [
    ["tpc-bench, N = 3, active soup", TpcBench.model(3), 40],
    ["two-phase commit, history soup, every fault", { ...TwoPhaseCommit.model({ participants: 2, rounds: 1 }), faults: faulty }, 8],
    [
      "calculator, active soup, every fault",
      { system: Calculator.system({ clients: 1, servers: 1 }), soup: "active", faults: faulty, payloads: { req: [{ args: [1, 2] }], resp: [{ value: 3, args: [1, 2] }, { value: 4, args: [1, 2] }] } },
      10
    ],
    [
      "calculator, history soup, every fault",
      { system: Calculator.system({ clients: 2, servers: 1 }), faults: faulty, payloads: { req: [{ args: [1, 2] }], resp: [{ value: 3, args: [1, 2] }] } },
      7
    ]
  ]
  for (const [name, model, depth] of cases) {
    it(`reaches the states the step function reaches, level by level: ${name}`, () => {
      const expected = levelsByStep(model, depth)
      assert.isAbove(expected.reduce((a, b) => a + b, 0), 20, "the model explores something")
      assert.deepStrictEqual(levelsCollapsed(model, depth), expected)
    })
  }

  it("moves vectors to another thread's space, where they are the same states with that space's ids", () => {
    // The active soup (a sorted multiset of ids) and the history soup (in order, with active bits).
    for (const model of [TpcBench.model(3), Protocols.find("two-phase-commit")!.model!({ participants: 2, rounds: 1 })]) {
      const mine = new CollapsedSpace(model, false)
      // The other space has interned other values first, so its ids differ.
      const theirs = new CollapsedSpace(model, false)
      const states: Array<readonly [number, Int32Array]> = []
      let level = [mine.start().vector]
      for (let d = 0; d < 8; d++) {
        const next: Array<Int32Array> = []
        for (const v of level) {
          const [hi, lo] = mine.fingerprint(v)
          mine.expand(v, hi, lo, () => void next.push(mine.successor(v).slice(0, mine.size(mine.successor(v)))))
        }
        level = next
        states.push(...next.map((v, i) => [states.length + i, v] as const))
      }
      for (const [, v] of [...states].reverse().slice(0, 5)) theirs.vectorOf(mine.statelet(v))
      const moved: Array<readonly [number, Int32Array]> = []
      theirs.readVectors(mine.writeVectors(states), (id, v, length) => void moved.push([id, v.slice(0, length)]))
      assert.isAbove(states.length, 50)
      assert.deepStrictEqual(moved.map(([id]) => id), states.map(([id]) => id))
      // The same state: the same canonical bytes (an active soup is a multiset, whose order in a
      // vector follows the space's ids) and the same fingerprint.
      const bytes = (space: CollapsedSpace, v: Int32Array) => {
        const w = new Codec.Writer()
        space.codec.encode(w, space.statelet(v))
        return [...w.take()]
      }
      moved.forEach(([, v], i) => {
        assert.deepStrictEqual(bytes(theirs, v), bytes(mine, states[i]![1]))
        assert.deepStrictEqual(theirs.fingerprint(v), mine.fingerprint(states[i]![1]))
      })
    }
  })

  const Sig = Protocol.signature({
    label: "flaky",
    roles: { node: Schema.Struct({ n: Schema.Int }) },
    initial: { node: { n: 0 } },
    messages: { tick: Schema.Struct({}) }
  })
  const modelOf = (
    step: (s: { n: number }) => { n: number },
    guard: (s: { n: number }) => boolean = (s) => s.n < 3,
    accepts: (s: { n: number }) => boolean = () => true
  ): Model => {
    const protocol = Sig.protocol({
      sends: { sendTick: Sig.send({ tag: "tick", from: "node", to: "node", guard, step }) },
      receives: { receiveTick: Sig.receive({ tag: "tick", by: "node", accepts, step: (s) => s }) }
    })
    return { system: System.make({ protocol, nodes: { node: ["a"] }, programs: {}, properties: [] }), soup: "active" }
  }
  const expandAll = (model: Model) => {
    const space = new CollapsedSpace(model, false)
    const start = space.start()
    space.expand(start.vector, start.hi, start.lo, () => {})
  }

  it("reports a transition whose result is not a function of its arguments", () => {
    let calls = 0
    assert.throws(() => expandAll(modelOf((s) => ({ n: s.n + 1 + (calls++ % 2) }))), ModelError, /sendTick .*functions of their arguments/)
  })

  it("reports a transition that modifies the state it is given", () => {
    assert.throws(
      () =>
        expandAll(
          modelOf((s) => {
            ;(s as { n: number }).n++
            return s
          })
        ),
      ModelError,
      /sendTick .* threw: .*must not modify their arguments/
    )
  })

  it("reports a guard or an accepts filter that answers differently for the same arguments", () => {
    let calls = 0
    const flaky = () => calls++ % 2 === 0
    assert.throws(() => expandAll(modelOf((s) => ({ n: s.n + 1 }), flaky)), ModelError, /sendTick .*guard gave different answers/)
    const space = new CollapsedSpace(modelOf((s) => ({ n: s.n + 1 }), undefined, flaky), false)
    const start = space.start()
    // The tick sent from the initial state is received from the state after it.
    assert.throws(
      () =>
        space.expand(start.vector, start.hi, start.lo, () => {
          const next = space.successor(start.vector).slice()
          const [hi, lo] = space.fingerprint(next)
          space.expand(next, hi, lo, () => {})
        }),
      ModelError,
      /receive of tick .*accepts filter gave different answers/
    )
  })

  it("reports a step whose second result is not even a state of the role", () => {
    let calls = 0
    assert.throws(
      () => expandAll(modelOf((s) => (calls++ % 2 === 0 ? { n: s.n + 1 } : ({ n: "one" } as never)))),
      ModelError,
      /sendTick .*returned \{"n":1\} and then \{"n":"one"\}: transitions must be functions of their arguments/
    )
  })

  it("accepts a well-behaved transition", () => {
    assert.doesNotThrow(() => expandAll(modelOf((s) => ({ n: s.n + 1 }))))
  })
})
