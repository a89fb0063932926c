/**
 * Batched expansion against expansion one state at a time: a breadth-first search that expands
 * states in batches, reads the table ahead and skips recently recorded fingerprints must give every
 * state the same id, fingerprint, parent and vector as the search that adds each successor as it is
 * visited — with and without symmetry, where a successor's representative is rebuilt after the
 * batch.
 */
import { assert, describe, it } from "vitest"
import { CollapsedSpace } from "../../checker/Collapse.ts"
import { ExpansionBatch } from "../../checker/ExpansionBatch.ts"
import { VisitedTable } from "../../checker/VisitedTable.ts"
import type { Model } from "../../core/Model.ts"
import * as TpcBench from "../../protocols/TpcBench/index.ts"
import * as TwoPhaseCommit from "../../protocols/TwoPhaseCommit/index.ts"

/** What a search stored: per id, the fingerprint, the parent and the vector; and the steps taken. */
interface Stored {
  readonly states: Array<string>
  readonly transitions: number
  /** Successors recorded for the table (batched search only). */
  readonly recorded: number
}

const stored = (table: VisitedTable, vectors: Array<string>, transitions: number, recorded: number): Stored => ({
  states: vectors.map((v, id) => `${table.fingerprint(id).join(",")} ${table.parent(id)} ${v}`),
  transitions,
  recorded
})

/** Breadth-first search adding each successor as it is visited. */
const oneAtATime = (model: Model, symmetry: boolean): Stored => {
  const space = new CollapsedSpace(model, symmetry)
  const table = new VisitedTable()
  const start = space.start()
  const vectors = [start.vector.join(" ")]
  const queue: Array<Int32Array> = [start.vector]
  table.add(start.hi, start.lo, -1, 0)
  let transitions = 0
  for (let id = 0; id < queue.length; id++) {
    const v = queue[id]!
    space.expand(v, table.high(id), table.low(id), (hi, lo) => {
      transitions++
      if (table.add(hi, lo, id, table.depth(id) + 1) < 0) return
      const next = space.successor(v)
      queue.push(next.slice(0, space.size(next)))
      vectors.push(queue[queue.length - 1]!.join(" "))
    })
  }
  return stored(table, vectors, transitions, 0)
}

/** Breadth-first search through batches of `capacity` states. */
const batched = (model: Model, symmetry: boolean, capacity: number): Stored => {
  const space = new CollapsedSpace(model, symmetry)
  const table = new VisitedTable()
  const batch = new ExpansionBatch(space, capacity)
  const start = space.start()
  const vectors = [start.vector.join(" ")]
  const queue: Array<Int32Array> = [start.vector]
  table.add(start.hi, start.lo, -1, 0)
  let transitions = 0
  let recorded = 0
  for (let next = 0; next < queue.length; ) {
    batch.clear()
    while (!batch.full && next < queue.length) {
      const id = next++
      batch.add(id, queue[id]!)
      batch.expand(table.high(id), table.low(id), table.depth(id), true)
    }
    batch.prefetch(table)
    recorded += batch.firsts[batch.length]!
    for (let b = 0; b < batch.length; b++) {
      transitions += batch.transitions[b]!
      for (let j = batch.firsts[b]!; j < batch.firsts[b + 1]!; j++) {
        if (table.add(batch.his[j]!, batch.los[j]!, batch.ids[b]!, batch.depths[b]! + 1) < 0) continue
        const v = batch.successor(b, j)
        queue.push(v.slice(0, space.size(v)))
        vectors.push(queue[queue.length - 1]!.join(" "))
      }
    }
  }
  return stored(table, vectors, transitions, recorded)
}

describe("ExpansionBatch", () => {
  it("stores every state with the id, fingerprint, parent and vector that expanding one state at a time gives", () => {
    const model = TpcBench.model(4)
    const reference = oneAtATime(model, false)
    assert.strictEqual(reference.states.length, TpcBench.expectedStates(4))
    for (const capacity of [1, 7, 64]) {
      const result = batched(model, false, capacity)
      assert.strictEqual(result.transitions, reference.transitions, `capacity ${capacity}`)
      assert.deepStrictEqual(result.states, reference.states, `capacity ${capacity}`)
    }
  })

  it("records most repeated successors only once: the recent fingerprints answer them", () => {
    const result = batched(TpcBench.model(4), false, 64)
    // Every new state is recorded; of the repeats, the recent fingerprints leave only a few.
    const repeats = result.transitions - result.states.length
    assert.isAtLeast(result.recorded, result.states.length - 1)
    assert.isBelow(result.recorded - (result.states.length - 1), repeats / 10)
  })

  it("rebuilds a successor's representative under symmetry after the batch", () => {
    const model = TwoPhaseCommit.model({ participants: 2, rounds: 1 })
    const reference = oneAtATime(model, true)
    const result = batched(model, true, 64)
    assert.isBelow(reference.states.length, oneAtATime(model, false).states.length, "symmetry reduced the space")
    assert.deepStrictEqual(result.states, reference.states)
  })
})
