/**
 * Local predicates (`core/LocalPredicate.ts`) on ordinary statelets: `some` and `every` read each
 * node of the role, for the nodes given; and their types, both ways: a predicate is typed by its
 * role's local state, and a role or field the protocol does not have does not compile.
 */
import { assert, describe, it } from "vitest"
import * as LocalPredicate from "../../core/LocalPredicate.ts"
import type { Statelet } from "../../core/Statelet.ts"
import * as TpcBench from "../../protocols/TpcBench/index.ts"
import { type Equal, expectTrue } from "../typetest/helpers.ts"

const { protocol } = TpcBench
type Shape = NonNullable<typeof protocol["~shape"]>
type Participant = TpcBench.Protocol.ParticipantState

const committed = LocalPredicate.make(protocol, "participant", "applied a commit", (p) => p.decision === "commit")

const statelet = (participants: Record<string, Participant>): Statelet<Shape> =>
  ({ locals: { coordinator: { c: TpcBench.Protocol.initialCoordinator }, participant: participants }, soup: [], crashed: [] }) as never

const nodesOf = (participants: ReadonlyArray<string>) => ({ coordinator: ["c"], participant: participants }) as never

describe("LocalPredicate", () => {
  it("quantifies over the nodes of its role, as given", () => {
    const done: Participant = { phase: "Done", decision: "commit" }
    const s = statelet({ p1: done, p2: TpcBench.Protocol.initialParticipant })
    assert.deepStrictEqual([committed.some(s, nodesOf(["p1", "p2"])), committed.every(s, nodesOf(["p1", "p2"]))], [true, false])
    assert.deepStrictEqual([committed.some(s, nodesOf(["p2"])), committed.every(s, nodesOf(["p1"]))], [false, true])
    // Over no nodes, nothing is some and everything is every.
    assert.deepStrictEqual([committed.some(s, nodesOf([])), committed.every(s, nodesOf([]))], [false, true])
  })

  it("passes each node's id and the system's nodes to the predicate", () => {
    const seen: Array<string> = []
    const named = LocalPredicate.make(protocol, "participant", "is p2", (_p, node, nodes) => {
      seen.push(`${node}/${nodes.participant.length}`)
      return node === "p2"
    })
    const s = statelet({ p1: TpcBench.Protocol.initialParticipant, p2: TpcBench.Protocol.initialParticipant })
    assert.isTrue(named.some(s, nodesOf(["p1", "p2"])))
    assert.deepStrictEqual(seen, ["p1/2", "p2/2"])
  })

  it("gives every predicate its own id, in creation order", () => {
    const later = LocalPredicate.make(protocol, "coordinator", "is done", (c) => c.phase === "Done")
    assert.isAbove(later.id, committed.id)
  })

  it("is typed by its role's local state", () => {
    const coordinatorDone = LocalPredicate.make(protocol, "coordinator", "is done", (c) => {
      expectTrue<Equal<typeof c, TpcBench.Protocol.CoordinatorState>>()
      return c.phase === "Done"
    })
    expectTrue<Equal<typeof coordinatorDone.role, "coordinator">>()
    // @ts-expect-error "observer" is not a role of the benchmark protocol
    LocalPredicate.make(protocol, "observer", "watches", () => true)
    // @ts-expect-error a participant's local state has no `votes` (the coordinator's has)
    LocalPredicate.make(protocol, "participant", "voted", (p) => p.votes !== undefined)
    // @ts-expect-error a local predicate answers a boolean
    LocalPredicate.make(protocol, "participant", "phase", (p) => p.phase)
    assert.strictEqual(coordinatorDone.role, "coordinator")
  })
})
