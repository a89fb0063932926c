/**
 * The judge's trees of evaluations against running the properties: on every reachable state of a
 * model with crashes, each property answers through the tree as it does on the state's statelet,
 * whatever it reads (local states that decide what it reads next, quantified local predicates, the
 * crashed nodes, the soup); and a property that is not a function of the state is reported.
 */
import { assert, describe, it } from "vitest"
import { CollapsedSpace } from "../../checker/Collapse.ts"
import { Judge } from "../../checker/Judge.ts"
import { ModelError } from "../../checker/Successors.ts"
import * as LocalPredicate from "../../core/LocalPredicate.ts"
import type { Model } from "../../core/Model.ts"
import * as Property from "../../core/Property.ts"
import * as Step from "../../core/Step.ts"
import * as TwoPhaseCommit from "../../protocols/TwoPhaseCommit/index.ts"

const p = TwoPhaseCommit.protocol
const voted = LocalPredicate.make(p, "participant", "has voted", (pt) => pt.phase.tag === "votedYes" || pt.phase.tag === "votedNo")

/** Properties whose reads depend on what they read before. */
const properties = [
  // Which participant is read depends on the coordinator's phase.
  Property.always(p, "phaseDecidesReads", (s, nodes) => {
    const cn = s.locals.coordinator[nodes.coordinator[0]!]!
    const q = cn.phase.tag === "init" ? nodes.participant[0]! : nodes.participant[nodes.participant.length - 1]!
    return s.locals.participant[q]!.era <= cn.era || s.locals.participant[nodes.participant[0]!]!.log.length > 0
  }),
  Property.always(p, "quantified", (s, nodes) => !voted.some(s, nodes) || (voted.every(s, nodes) && s.locals.coordinator[nodes.coordinator[0]!]!.phase.tag !== "init")),
  Property.always(p, "crashedAndLocal", (s, nodes) => s.crashed.length === 0 || s.locals.participant[nodes.participant[0]!]!.phase.tag !== "committed"),
  // Reads the soup only in some states.
  Property.always(p, "soupSometimes", (s, nodes) => s.locals.coordinator[nodes.coordinator[0]!]!.phase.tag === "init" || s.soup.length < 7),
  Property.always(p, "entries", (s) => Object.values(s.locals.participant).filter((pt) => pt.phase.tag === "init").length !== 1),
  Property.sometimes(p, "everyoneMovedOn", (s, nodes) => nodes.participant.every((q) => s.locals.participant[q]!.era === 1))
]

const model: Model = {
  ...TwoPhaseCommit.model({ participants: 2, rounds: 1 }),
  faults: { ...Step.reorderOnly, crash: true, restart: true }
}

describe("Judge", () => {
  it("answers through its trees as the properties do on every reachable state", () => {
    const space = new CollapsedSpace(model, false)
    const judge = new Judge(model)
    const nodes = model.system.topology.nodes
    const start = space.start()
    const seen = new Set([`${start.hi}:${start.lo}`])
    const queue: Array<[Int32Array, number, number]> = [[start.vector, start.hi, start.lo]]
    const answered = new Map<string, [number, number]>()
    for (let i = 0; i < queue.length; i++) {
      const [v, hi, lo] = queue[i]!
      const statelet = space.statelet(v)
      for (const property of properties) {
        const expected = property.holds(statelet as never, nodes)
        assert.strictEqual(judge.evaluate(property, space.view(v)), expected, `${property.name} in state ${i}`)
        const [yes, no] = answered.get(property.name) ?? [0, 0]
        answered.set(property.name, expected ? [yes + 1, no] : [yes, no + 1])
      }
      space.expand(v, hi, lo, (h, l) => {
        if (seen.has(`${h}:${l}`)) return
        seen.add(`${h}:${l}`)
        const next = space.successor(v)
        queue.push([next.slice(0, space.size(next)), h, l])
      })
    }
    assert.isAbove(queue.length, 1000)
    // Every property is both true and false somewhere, so that an answer kept for the wrong states shows.
    for (const property of properties) {
      const [yes, no] = answered.get(property.name)!
      assert.isTrue(yes > 0 && no > 0, `${property.name}: ${yes} true, ${no} false`)
    }
  })

  it("reports a property that is not a function of the state", () => {
    let calls = 0
    const flaky = Property.always(p, "flaky", (s, nodes) => (calls++ % 2 === 0 ? s.locals.participant[nodes.participant[0]!]!.era >= 0 : s.locals.coordinator[nodes.coordinator[0]!]!.era >= 0))
    const space = new CollapsedSpace(model, false)
    const judge = new Judge(model)
    const start = space.start()
    judge.evaluate(flaky, space.view(start.vector))
    const successors: Array<Int32Array> = []
    space.expand(start.vector, start.hi, start.lo, () => {
      const next = space.successor(start.vector)
      successors.push(next.slice(0, space.size(next)))
    })
    assert.throws(() => {
      for (const v of successors) judge.evaluate(flaky, space.view(v))
    }, ModelError)
  })
})
