import { assert, describe, it } from "vitest"
import * as Step from "../../core/Step.ts"
import type { Statelet } from "../../core/Statelet.ts"
import type { System } from "../../core/System.ts"
import * as PlainBfs from "../../bench/checker/PlainBfs.ts"
import * as Protocols from "../../protocols/index.ts"
import * as TpcBench from "../../protocols/TpcBench/index.ts"

type CoordinatorState = TpcBench.Protocol.CoordinatorState
type ParticipantState = TpcBench.Protocol.ParticipantState

const coordinator = (state: Partial<CoordinatorState>): CoordinatorState => ({ ...TpcBench.Protocol.initialCoordinator, ...state })
const participant = (phase: ParticipantState["phase"], decision: ParticipantState["decision"] = "none"): ParticipantState => ({
  phase,
  decision
})

const semanticsOf = (system: System) => Step.make(system.protocol, system.topology, Step.reorderOnly)

/** The state after `local` sends `tag` to `to`, or undefined if the send is forbidden. */
const sent = (sem: Step.Semantics<any>, node: string, local: unknown, tag: string, to: string): unknown => {
  const out = Step.sendLocal(sem, node, local, tag, to, {})
  return out._tag === "Sent" ? out.local : undefined
}

/** The state after `node` receives `tag` from `from`, or undefined if it does not accept it. */
const received = (sem: Step.Semantics<any>, node: string, local: unknown, tag: string, from: string): unknown => {
  const out = Step.receiveLocal(sem, node, local, from, tag, {})
  return out._tag === "Received" ? out.local : undefined
}

/**
 * The successors of a statelet with an active-only soup: every send its transitions' `candidates`
 * list, and every receive of an active message that its receiver accepts. Successors are put back
 * in canonical form: consumed messages removed and the soup sorted, as the checker's `active` soup
 * does, so that states differing only in history or arrival order are one state.
 */
const successors = (sem: Step.Semantics<any>, statelet: Statelet<any>): Array<Statelet<any>> => {
  const out: Array<Statelet<any>> = []
  const take = (outcome: Step.Outcome<any>) => {
    if (outcome._tag === "Violated") throw new Error(`a candidate send is refused: ${outcome.violation.message}`)
    if (outcome._tag === "Stepped") out.push(canonical(outcome.statelet))
  }
  for (const node of sem.topology.all) {
    const role = sem.topology.roleOf.get(node)!
    for (const transition of sem.protocol.sends.filter((t) => t.from === role)) {
      for (const { to, msg } of transition.candidates!(sem.local(statelet, node), sem.context(node))) {
        take(Step.step(sem, statelet, { kind: "send", node, tag: transition.tag, to, payload: msg }))
      }
    }
  }
  statelet.soup.forEach((m) => {
    if (m.active) take(Step.step(sem, statelet, { kind: "receive", msgId: m.id }))
  })
  return out
}

const canonical = (statelet: Statelet<any>): Statelet<any> => ({
  locals: statelet.locals,
  crashed: statelet.crashed,
  soup: statelet.soup
    .filter((m) => m.active)
    .map((m) => ({ tag: m.tag, from: m.from, to: m.to, payload: m.payload }))
    .sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0))
    .map((m, id) => ({ ...m, id, active: true }) as any)
})

const keyOf = (statelet: Statelet<any>) => JSON.stringify([statelet.locals, statelet.soup])

/** What an exhaustive exploration of a model found. */
interface Explored {
  readonly states: number
  readonly violated: ReadonlyMap<string, number>
  readonly witnessed: ReadonlySet<string>
  readonly deadlocks: number
  readonly finals: number
  readonly all: ReadonlyArray<Statelet<any>>
}

/** A plain BFS of the protoweave model, through `Step.step` and the transitions' candidates. */
const explore = (participants: number, options: { readonly commitOnAnyYes?: boolean } = {}): Explored => {
  const model = TpcBench.model(participants, options)
  const { system } = model
  const sem = semanticsOf(system)
  const nodes = system.topology.nodes
  const seen = new Set<string>()
  const all: Array<Statelet<any>> = []
  const violated = new Map<string, number>()
  const witnessed = new Set<string>()
  let deadlocks = 0
  let finals = 0
  const visit = (s: Statelet<any>) => {
    const key = keyOf(s)
    if (seen.has(key)) return
    seen.add(key)
    all.push(s)
  }
  visit(canonical(sem.initial))
  for (let i = 0; i < all.length; i++) {
    const s = all[i]!
    for (const p of system.properties) {
      const holds = p.holds(s as never, nodes)
      if (p.kind === "always" && !holds) violated.set(p.name, (violated.get(p.name) ?? 0) + 1)
      if (p.kind === "sometimes" && holds) witnessed.add(p.name)
    }
    const next = successors(sem, s)
    if (next.length === 0) {
      if (model.final!(s as never, nodes)) finals++
      else deadlocks++
    }
    next.forEach(visit)
  }
  return { states: all.length, violated, witnessed, deadlocks, finals, all }
}

describe("TpcBench protocol", () => {
  const system = TpcBench.system({ participants: 2 })
  const sem = semanticsOf(system)

  it("builds, with the benchmark's roles and one send and one receive transition per tag", () => {
    const p = TpcBench.protocol
    assert.strictEqual(p.label, "tpcBench")
    assert.sameMembers(Object.keys(p.roles), ["coordinator", "participant"])
    assert.sameMembers(Object.keys(p.messages), ["prepare", "yes", "no", "commit", "abort", "ackCommit", "ackAbort"])
    for (const tag of Object.keys(p.messages)) {
      assert.isDefined(p.sendOf.get(tag))
      assert.isDefined(p.receiveOf.get(tag))
      assert.isFunction(p.sendOf.get(tag)!.candidates)
    }
    assert.deepStrictEqual(system.topology.all, ["c", "p1", "p2"])
    assert.strictEqual(system.programs.size, 0)
  })

  it("prepares each participant once, in topology order whatever the sending order, then waits for votes", () => {
    const afterP2 = sent(sem, "c", TpcBench.Protocol.initialCoordinator, "prepare", "p2")
    assert.deepStrictEqual(afterP2, coordinator({ phase: "SentPrep", sent: ["p2"] }))
    assert.isUndefined(sent(sem, "c", afterP2, "prepare", "p2"))
    assert.deepStrictEqual(sent(sem, "c", afterP2, "prepare", "p1"), coordinator({ phase: "WaitVotes", sent: [] }))
    const bigger = semanticsOf(TpcBench.system({ participants: 3 }))
    const viaP3 = sent(bigger, "c", coordinator({ phase: "SentPrep", sent: ["p1"] }), "prepare", "p3")
    assert.deepStrictEqual(viaP3, coordinator({ phase: "SentPrep", sent: ["p1", "p3"] }))
    assert.deepStrictEqual(
      sent(bigger, "c", coordinator({ phase: "SentPrep", sent: ["p3"] }), "prepare", "p1"),
      viaP3,
      "sets are kept in participant order"
    )
    assert.isUndefined(sent(sem, "c", coordinator({ phase: "WaitVotes" }), "prepare", "p1"))
  })

  it("lets a participant vote either way only after a prepare, and receive a prepare only when idle", () => {
    assert.deepStrictEqual(received(sem, "p1", participant("Init"), "prepare", "c"), participant("GotPrepare"))
    assert.isUndefined(received(sem, "p1", participant("GotPrepare"), "prepare", "c"))
    assert.deepStrictEqual(sent(sem, "p1", participant("GotPrepare"), "yes", "c"), participant("VotedYes"))
    assert.deepStrictEqual(sent(sem, "p1", participant("GotPrepare"), "no", "c"), participant("VotedNo"))
    assert.isUndefined(sent(sem, "p1", participant("Init"), "yes", "c"))
    assert.isUndefined(sent(sem, "p1", participant("VotedYes"), "no", "c"))
  })

  it("records votes only while waiting for them, in participant order whatever the arrival order", () => {
    const waiting = coordinator({ phase: "WaitVotes" })
    const p2First = received(sem, "c", received(sem, "c", waiting, "no", "p2"), "yes", "p1") as CoordinatorState
    const p1First = received(sem, "c", received(sem, "c", waiting, "yes", "p1"), "no", "p2") as CoordinatorState
    assert.deepStrictEqual(p2First, coordinator({ phase: "WaitVotes", votes: { p1: "yes", p2: "no" } }))
    assert.strictEqual(JSON.stringify(p2First), JSON.stringify(p1First))
    assert.isUndefined(received(sem, "c", coordinator({ phase: "SentPrep", sent: ["p1"] }), "yes", "p1"))
  })

  it("commits only when every vote is in and yes, and aborts only when every vote is in and one is no", () => {
    const allYes = coordinator({ phase: "WaitVotes", votes: { p1: "yes", p2: "yes" } })
    const oneNo = coordinator({ phase: "WaitVotes", votes: { p1: "yes", p2: "no" } })
    const oneMissing = coordinator({ phase: "WaitVotes", votes: { p1: "yes" } })
    assert.deepStrictEqual(sent(sem, "c", allYes, "commit", "p2"), { ...allYes, phase: "SentCommit", sent: ["p2"] })
    assert.isUndefined(sent(sem, "c", allYes, "abort", "p1"))
    assert.deepStrictEqual(sent(sem, "c", oneNo, "abort", "p1"), { ...oneNo, phase: "SentAbort", sent: ["p1"] })
    assert.isUndefined(sent(sem, "c", oneNo, "commit", "p1"))
    assert.isUndefined(sent(sem, "c", oneMissing, "commit", "p1"))
    assert.isUndefined(sent(sem, "c", oneMissing, "abort", "p1"))
    const committing = { ...allYes, phase: "SentCommit" as const, sent: ["p2"] }
    assert.isUndefined(sent(sem, "c", committing, "commit", "p2"))
    assert.isUndefined(sent(sem, "c", committing, "abort", "p1"))
    assert.deepStrictEqual(sent(sem, "c", committing, "commit", "p1"), { ...allYes, phase: "WaitAckCommit", sent: [] })
  })

  it("lets the seeded bug commit on one yes", () => {
    const broken = semanticsOf(TpcBench.model(2, { commitOnAnyYes: true }).system)
    const oneNo = coordinator({ phase: "WaitVotes", votes: { p1: "yes", p2: "no" } })
    assert.deepStrictEqual(sent(broken, "c", oneNo, "commit", "p1"), { ...oneNo, phase: "SentCommit", sent: ["p1"] })
    assert.isUndefined(sent(broken, "c", coordinator({ phase: "WaitVotes", votes: { p1: "no", p2: "no" } }), "commit", "p1"))
  })

  it("applies a commit only after a yes vote and an abort after either vote, then acknowledges it", () => {
    assert.deepStrictEqual(received(sem, "p1", participant("VotedYes"), "commit", "c"), participant("Committed", "commit"))
    assert.isUndefined(received(sem, "p1", participant("VotedNo"), "commit", "c"))
    assert.deepStrictEqual(received(sem, "p1", participant("VotedNo"), "abort", "c"), participant("Aborted", "abort"))
    assert.deepStrictEqual(received(sem, "p1", participant("VotedYes"), "abort", "c"), participant("Aborted", "abort"))
    assert.isUndefined(received(sem, "p1", participant("GotPrepare"), "abort", "c"))
    assert.deepStrictEqual(sent(sem, "p1", participant("Committed", "commit"), "ackCommit", "c"), participant("Done", "commit"))
    assert.deepStrictEqual(sent(sem, "p1", participant("Aborted", "abort"), "ackAbort", "c"), participant("Done", "abort"))
    assert.isUndefined(sent(sem, "p1", participant("Aborted", "abort"), "ackCommit", "c"))
  })

  it("is done when every acknowledgement of its decision is in, and not before", () => {
    const waiting = coordinator({ phase: "WaitAckAbort", votes: { p1: "no", p2: "yes" } })
    const one = received(sem, "c", waiting, "ackAbort", "p2")
    assert.deepStrictEqual(one, { ...waiting, acked: ["p2"] })
    assert.deepStrictEqual(received(sem, "c", one, "ackAbort", "p1"), { ...waiting, phase: "Done", acked: [] })
    assert.isUndefined(received(sem, "c", waiting, "ackCommit", "p1"))
  })

  it("takes a whole round through the global step function, consuming each message it receives", () => {
    let s: Statelet<any> = sem.initial
    const run = (action: Step.Action) => {
      const out = Step.step(sem, s, action)
      assert(out._tag === "Stepped", JSON.stringify(out))
      s = out.statelet
    }
    run({ kind: "send", node: "c", tag: "prepare", to: "p1", payload: {} })
    run({ kind: "send", node: "c", tag: "prepare", to: "p2", payload: {} })
    run({ kind: "receive", msgId: 1 })
    run({ kind: "receive", msgId: 0 })
    assert.isTrue(s.soup.every((m) => !m.active))
    run({ kind: "send", node: "p1", tag: "yes", to: "c", payload: {} })
    run({ kind: "send", node: "p2", tag: "yes", to: "c", payload: {} })
    assert.strictEqual(Step.step(sem, s, { kind: "send", node: "c", tag: "commit", to: "p1", payload: {} })._tag, "Violated")
    run({ kind: "receive", msgId: 2 })
    run({ kind: "receive", msgId: 3 })
    run({ kind: "send", node: "c", tag: "commit", to: "p1", payload: {} })
    run({ kind: "send", node: "c", tag: "commit", to: "p2", payload: {} })
    run({ kind: "receive", msgId: 4 })
    run({ kind: "receive", msgId: 5 })
    run({ kind: "send", node: "p1", tag: "ackCommit", to: "c", payload: {} })
    run({ kind: "send", node: "p2", tag: "ackCommit", to: "c", payload: {} })
    assert.strictEqual(Step.step(sem, s, { kind: "receive", msgId: 5 })._tag, "Refused")
    run({ kind: "receive", msgId: 7 })
    run({ kind: "receive", msgId: 6 })
    assert.deepStrictEqual(s.locals, {
      coordinator: { c: coordinator({ phase: "Done", votes: { p1: "yes", p2: "yes" } }) },
      participant: { p1: participant("Done", "commit"), p2: participant("Done", "commit") }
    })
    assert.isTrue(TpcBench.model(2).final!(s as never, system.topology.nodes))
  })

  it("lists in `candidates` exactly the sends its guards allow, in every reachable state", () => {
    for (const participants of [2, 3]) {
      for (const commitOnAnyYes of [false, true]) {
        const model = TpcBench.model(participants, { commitOnAnyYes })
        const s = semanticsOf(model.system)
        const { all } = explore(participants, { commitOnAnyYes })
        for (const statelet of all) {
          for (const node of s.topology.all) {
            const role = s.topology.roleOf.get(node)!
            const local = s.local(statelet, node)
            for (const transition of s.protocol.sends.filter((t) => t.from === role)) {
              const listed = transition.candidates!(local, s.context(node)).map((c) => c.to)
              const allowed = s.topology.all.filter((to) => Step.sendLocal(s, node, local, transition.tag, to, {})._tag === "Sent")
              assert.deepStrictEqual(listed, allowed, `${transition.name} of ${node} in ${JSON.stringify(local)}`)
            }
          }
        }
      }
    }
  })
})

describe("TpcBench model", () => {
  it("is registered as tpc-bench and tpc-bench/commit-on-any-yes, with models and no programs", () => {
    const correct = Protocols.find("tpc-bench")!
    const broken = Protocols.find("tpc-bench/commit-on-any-yes")!
    assert.isFalse(correct.broken)
    assert.isTrue(broken.broken)
    for (const family of [correct, broken]) {
      assert.deepStrictEqual(family.parameters.participants, { description: "number of participants", default: 3, min: 1, max: 9 })
      assert.deepStrictEqual(family.tolerates, [])
      assert.strictEqual(family.make({}).programs.size, 0)
      const model = family.model!({ participants: 4 })
      assert.strictEqual(model.soup, "active")
      assert.isUndefined(model.faults)
      assert.strictEqual(model.system.topology.nodes.participant.length, 4)
    }
    assert.strictEqual(correct.model!({ participants: 2 }).system.protocol, TpcBench.protocol)
    assert.strictEqual(broken.model!({ participants: 2 }).system.protocol, TpcBench.commitOnAnyYesProtocol)
  })

  for (const participants of [1, 2, 3]) {
    it(`has 2·8^N + 5^N − 4^N − 2^N distinct states for N = ${participants}, no deadlock, and both decisions`, () => {
      const explored = explore(participants)
      assert.strictEqual(explored.states, TpcBench.expectedStates(participants))
      assert.strictEqual(explored.deadlocks, 0)
      assert.strictEqual(explored.finals, 2 ** participants)
      assert.deepStrictEqual([...explored.violated], [])
      assert.sameMembers([...explored.witnessed], ["committed", "aborted"])
    })
  }

  it("catches the seeded bug with validity, and agrees with the plain BFS on its state space", () => {
    for (const participants of [2, 3]) {
      const explored = explore(participants, { commitOnAnyYes: true })
      const plain = PlainBfs.plainBfs(participants, { commitOnAnyYes: true })
      assert.strictEqual(explored.states, plain.states)
      assert.strictEqual(explored.violated.get("validity"), plain.validityViolations)
      assert.isAbove(plain.validityViolations, 0)
      assert.isUndefined(explored.violated.get("agreement"))
      assert.strictEqual(explored.deadlocks, plain.deadlocks)
    }
  })
})

describe("PlainBfs", () => {
  for (const participants of [1, 2, 3, 4, 5]) {
    it(`counts 2·8^N + 5^N − 4^N − 2^N states for N = ${participants}, with no violation or deadlock`, () => {
      const result = PlainBfs.plainBfs(participants)
      assert.strictEqual(result.states, 2 * 8 ** participants + 5 ** participants - 4 ** participants - 2 ** participants)
      assert.strictEqual(result.states, PlainBfs.expectedStates(participants))
      assert.strictEqual(result.depth, 8 * participants)
      assert.strictEqual(result.finals, 2 ** participants)
      assert.deepInclude(result, { agreementViolations: 0, validityViolations: 0, deadlocks: 0 })
    })
  }

  it("finds the seeded bug's validity violations and the deadlocks of the participants that voted no", () => {
    const result = PlainBfs.plainBfs(3, { commitOnAnyYes: true })
    assert.isAbove(result.validityViolations, 0)
    assert.isAbove(result.deadlocks, 0)
    assert.strictEqual(result.agreementViolations, 0)
  })
})
