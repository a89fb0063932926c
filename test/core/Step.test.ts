/**
 * Unit tests of `core/Step.ts`, the network semantics, on the ping/pong fixture
 * (`test/fixtures/PingPong.ts`): sends (ids, locals, every kind of violation with its
 * `ProtocolViolation`), receives (consumption and refusals), the fault steps under a fault model
 * that refuses them and one that allows them (restart applies the role's `recover`),
 * `enabledReceives`, and two invariants checked on seeded random walks: the soup only grows
 * (consumed messages stay, inactive), and `step` never mutates its input statelet (deep-frozen).
 */
import { assert, describe, it } from "vitest"
import * as Protocol from "../../core/Protocol.ts"
import type * as Statelet from "../../core/Statelet.ts"
import * as Step from "../../core/Step.ts"
import * as Topology from "../../core/Topology.ts"
import * as PingPong from "../fixtures/PingPong.ts"

type S = Statelet.Statelet<PingPong.Shape>

const topology = Topology.make(PingPong.protocol, { pinger: ["p1", "p2"], ponger: ["q1", "q2"] })
const reorderOnly = Step.make(PingPong.protocol, topology, Step.reorderOnly)
const faulty = Step.make(PingPong.protocol, topology, Step.allFaults)

/** Recursively freezes a value, so that any mutation by `step` throws (ES modules are strict). */
const deepFreeze = <A>(value: A): A => {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key])
  }
  return value
}

/** Takes a step on a deep-frozen statelet and checks the statelet is unchanged afterwards. */
const stepFrozen = (sem: Step.Semantics<PingPong.Shape>, statelet: S, action: Step.Action): Step.Outcome<PingPong.Shape> => {
  const before = structuredClone(statelet)
  const out = Step.step(sem, deepFreeze(statelet), action)
  assert.deepStrictEqual(statelet, before, `step mutated its input on ${JSON.stringify(action)}`)
  return out
}

const stepped = (sem: Step.Semantics<PingPong.Shape>, statelet: S, action: Step.Action): Step.Stepped<PingPong.Shape> => {
  const out = stepFrozen(sem, statelet, action)
  assert.strictEqual(out._tag, "Stepped", `expected ${JSON.stringify(action)} to step: ${JSON.stringify(out)}`)
  return out as Step.Stepped<PingPong.Shape>
}

const violated = (sem: Step.Semantics<PingPong.Shape>, statelet: S, action: Step.Action) => {
  const out = stepFrozen(sem, statelet, action)
  assert.strictEqual(out._tag, "Violated", `expected ${JSON.stringify(action)} to be a violation: ${JSON.stringify(out)}`)
  return (out as Step.Violated).violation
}

const refused = (sem: Step.Semantics<PingPong.Shape>, statelet: S, action: Step.Action): string => {
  const out = stepFrozen(sem, statelet, action)
  assert.strictEqual(out._tag, "Refused", `expected ${JSON.stringify(action)} to be refused: ${JSON.stringify(out)}`)
  return (out as Step.Refused).reason
}

const ping = (node: string, to: string, n: number): Step.Action => ({ kind: "send", node, tag: "ping", to, payload: { n } })
const stop = (node: string, to: string): Step.Action => ({ kind: "send", node, tag: "stop", to, payload: { reason: "done" } })
const pong = (node: string, to: string, n: number): Step.Action => ({ kind: "send", node, tag: "pong", to, payload: { n, note: "" } })
const recv = (msgId: number): Step.Action => ({ kind: "receive", msgId })

/** Runs actions that must all step, from `statelet`. */
const run = (sem: Step.Semantics<PingPong.Shape>, statelet: S, ...actions: ReadonlyArray<Step.Action>): S =>
  actions.reduce((s, a) => stepped(sem, s, a).statelet, statelet)

describe("make", () => {
  it("puts every node in its role's initial state, with an empty soup and nobody down", () => {
    const s = reorderOnly.initial
    assert.deepStrictEqual(s, {
      locals: {
        pinger: { p1: { next: 0, acked: [] }, p2: { next: 0, acked: [] } },
        ponger: { q1: { seen: [], stopped: false }, q2: { seen: [], stopped: false } }
      },
      soup: [],
      crashed: []
    })
    assert.deepStrictEqual(reorderOnly.local(s, "q2"), { seen: [], stopped: false })
  })

  it("gives each node its context, and throws for a node it does not know", () => {
    const ctx = reorderOnly.context("p2")
    assert.strictEqual(ctx.self, "p2")
    assert.deepStrictEqual<unknown>(ctx.nodes, { pinger: ["p1", "p2"], ponger: ["q1", "q2"] })
    assert.throws(() => reorderOnly.context("zz"), /"zz" is not a node of protocol "pingpong"/)
  })
})

describe("send", () => {
  it("posts an active message with the next id and changes only the sender's local state", () => {
    const s0 = reorderOnly.initial
    const first = stepped(reorderOnly, s0, ping("p1", "q1", 0))
    assert.deepStrictEqual(first.message, { id: 0, tag: "ping", from: "p1", to: "q1", payload: { n: 0 }, active: true })
    assert.strictEqual(first.node, "p1")
    assert.strictEqual(first.transition, "sendPing")
    assert.deepStrictEqual(first.statelet.soup, [first.message!])
    assert.deepStrictEqual(first.statelet.locals, {
      ...s0.locals,
      pinger: { ...s0.locals.pinger, p1: { next: 1, acked: [] } }
    })
    assert.strictEqual(first.statelet.locals.pinger.p2, s0.locals.pinger.p2)
    assert.strictEqual(first.statelet.locals.ponger, s0.locals.ponger)
    assert.deepStrictEqual(first.statelet.crashed, [])

    const second = stepped(reorderOnly, first.statelet, ping("p2", "q2", 0))
    assert.strictEqual(second.message?.id, 1)
    // Ids are the soup's length, not the number of active messages.
    const received = stepped(reorderOnly, second.statelet, recv(0)).statelet
    const third = stepped(reorderOnly, received, ping("p1", "q2", 1))
    assert.strictEqual(third.message?.id, 2)
    assert.deepStrictEqual(third.statelet.soup.map((m) => [m.id, m.active]), [
      [0, false],
      [1, true],
      [2, true]
    ])
  })

  it("a send whose guard is false is a violation naming protocol, transition, node, local state, message and reason", () => {
    const s = run(reorderOnly, reorderOnly.initial, ping("p1", "q1", 0))
    const v = violated(reorderOnly, s, ping("p1", "q1", 7))
    assert.strictEqual(v._tag, "ProtocolViolation")
    assert.strictEqual(v.protocol, "pingpong")
    assert.strictEqual(v.transition, "sendPing")
    assert.strictEqual(v.node, "p1")
    assert.deepStrictEqual(v.local, { next: 1, acked: [] })
    assert.deepStrictEqual(v.attempted, { tag: "ping", to: "q1", payload: { n: 7 } })
    assert.strictEqual(v.reason, "the guard of sendPing is false")
  })

  it("sending a tag the sender's role has no transition for is a violation", () => {
    const v = violated(reorderOnly, reorderOnly.initial, pong("p1", "p2", 0))
    assert.strictEqual(v.transition, "sendPong")
    assert.strictEqual(v.reason, `sendPong is for role "ponger", but p1 plays "pinger"`)
    const unknown = violated(reorderOnly, reorderOnly.initial, { kind: "send", node: "p1", tag: "pang", to: "q1", payload: {} })
    assert.isUndefined(unknown.transition)
    assert.strictEqual(unknown.reason, `no send transition sends tag "pang"`)
  })

  it("sending to a node of the wrong role, or to no node, is a violation", () => {
    assert.strictEqual(violated(reorderOnly, reorderOnly.initial, ping("p1", "p2", 0)).reason, `sendPing sends to role "ponger", but p2 plays "pinger"`)
    assert.strictEqual(violated(reorderOnly, reorderOnly.initial, ping("p1", "zz", 0)).reason, `the receiver "zz" is not a node of this protocol`)
  })

  it("a sender that is not a node of the protocol is a violation", () => {
    assert.strictEqual(violated(reorderOnly, reorderOnly.initial, ping("zz", "q1", 0)).reason, `"zz" is not a node of this protocol`)
  })

  it("a payload that fails its schema is a violation, checked before the guard", () => {
    for (const payload of [{ n: 0.5 }, { n: "0" }, {}, null]) {
      const v = violated(reorderOnly, reorderOnly.initial, { kind: "send", node: "p1", tag: "ping", to: "q1", payload })
      assert.strictEqual(v.reason, `the payload does not match the schema of "ping"`)
      assert.deepStrictEqual(v.attempted.payload, payload)
    }
  })

  it("a step that returns an ill-formed local state is a violation", () => {
    const Sig = Protocol.signature({
      label: "bad",
      roles: { a: PingPong.PingerState },
      initial: { a: { next: 0, acked: [] } },
      messages: { ping: PingPong.Ping }
    })
    const bad = Sig.protocol({
      sends: { sendBad: Sig.send({ tag: "ping", from: "a", to: "a", guard: () => true, step: (s) => ({ next: s.next + 0.5, acked: s.acked }) }) },
      receives: {}
    })
    const sem = Step.make(bad, Topology.make(bad, { a: ["x"] }), Step.reorderOnly)
    const out = Step.step(sem, sem.initial, { kind: "send", node: "x", tag: "ping", to: "x", payload: { n: 0 } })
    assert.strictEqual(out._tag, "Violated")
    assert.strictEqual(
      out._tag === "Violated" ? out.violation.reason : "",
      `sendBad's step returned a local state that does not match the schema of role "a": {"next":0.5,"acked":[]}`
    )
  })

  it("a node that is down cannot send", () => {
    const s = run(faulty, faulty.initial, { kind: "crash", node: "p1" })
    assert.strictEqual(refused(faulty, s, ping("p1", "q1", 0)), "p1 is down")
  })

  it("a node may send to a node that is down; the message waits", () => {
    const s = run(faulty, faulty.initial, { kind: "crash", node: "q1" }, ping("p1", "q1", 0))
    assert.isTrue(s.soup[0]?.active)
  })
})

describe("receive", () => {
  it("consumes the message and changes only the receiver's local state", () => {
    const s = run(reorderOnly, reorderOnly.initial, ping("p1", "q1", 0), ping("p2", "q2", 0))
    const out = stepped(reorderOnly, s, recv(1))
    assert.strictEqual(out.node, "q2")
    assert.strictEqual(out.transition, "receivePing")
    assert.deepStrictEqual(out.message, { ...s.soup[1]!, active: false })
    assert.deepStrictEqual(out.statelet.soup, [s.soup[0]!, { ...s.soup[1]!, active: false }])
    assert.deepStrictEqual(out.statelet.locals, { ...s.locals, ponger: { ...s.locals.ponger, q2: { seen: [0], stopped: false } } })
    assert.strictEqual(out.statelet.locals.pinger, s.locals.pinger)
    assert.strictEqual(out.statelet.locals.ponger.q1, s.locals.ponger.q1)
  })

  it("is refused for a message that does not exist or is no longer active", () => {
    const s = run(reorderOnly, reorderOnly.initial, ping("p1", "q1", 0), recv(0))
    assert.strictEqual(refused(reorderOnly, s, recv(0)), "message 0 is not active")
    assert.strictEqual(refused(reorderOnly, s, recv(1)), "no message 1")
  })

  it("is refused when the receive transition does not accept the message", () => {
    const s = run(reorderOnly, reorderOnly.initial, stop("p1", "q1"), recv(0), ping("p1", "q1", 0))
    assert.strictEqual(refused(reorderOnly, s, recv(1)), "receivePing does not accept this message in q1's state")
  })

  it("is refused when the receiver is down", () => {
    const s = run(faulty, faulty.initial, ping("p1", "q1", 0), { kind: "crash", node: "q1" })
    assert.strictEqual(refused(faulty, s, recv(0)), "q1 is down")
  })
})

describe("fault steps", () => {
  const withMessage = (sem: Step.Semantics<PingPong.Shape>) => run(sem, sem.initial, ping("p1", "q1", 0))

  it("are all refused when the fault model disables them", () => {
    const s = withMessage(reorderOnly)
    assert.strictEqual(refused(reorderOnly, s, { kind: "drop", msgId: 0 }), "the fault model does not allow drops")
    assert.strictEqual(refused(reorderOnly, s, { kind: "duplicate", msgId: 0 }), "the fault model does not allow duplicates")
    assert.strictEqual(refused(reorderOnly, s, { kind: "crash", node: "q1" }), "the fault model does not allow crashes")
    const down = { ...s, crashed: ["q1"] }
    assert.strictEqual(refused(reorderOnly, down, { kind: "restart", node: "q1" }), "the fault model does not allow restarts")
  })

  it("each is refused when only the others are enabled", () => {
    const s = withMessage(reorderOnly)
    const only = (fault: keyof Step.FaultModel) => Step.make(PingPong.protocol, topology, { ...Step.reorderOnly, [fault]: true })
    assert.strictEqual(refused(only("duplicate"), s, { kind: "drop", msgId: 0 }), "the fault model does not allow drops")
    assert.strictEqual(refused(only("drop"), s, { kind: "duplicate", msgId: 0 }), "the fault model does not allow duplicates")
    assert.strictEqual(refused(only("restart"), s, { kind: "crash", node: "q1" }), "the fault model does not allow crashes")
    assert.strictEqual(refused(only("crash"), { ...s, crashed: ["q1"] }, { kind: "restart", node: "q1" }), "the fault model does not allow restarts")
  })

  it("drop consumes an active message without changing any local state", () => {
    const s = withMessage(faulty)
    const out = stepped(faulty, s, { kind: "drop", msgId: 0 })
    assert.isUndefined(out.node)
    assert.isUndefined(out.transition)
    assert.deepStrictEqual(out.message, { ...s.soup[0]!, active: false })
    assert.deepStrictEqual(out.statelet, { ...s, soup: [{ ...s.soup[0]!, active: false }] })
    assert.strictEqual(refused(faulty, out.statelet, { kind: "drop", msgId: 0 }), "message 0 is not active")
    assert.strictEqual(refused(faulty, out.statelet, { kind: "drop", msgId: 5 }), "message 5 is not active")
  })

  it("duplicate posts an active copy with the next id and keeps the original", () => {
    const s = withMessage(faulty)
    const out = stepped(faulty, s, { kind: "duplicate", msgId: 0 })
    assert.deepStrictEqual(out.message, { ...s.soup[0]!, id: 1 })
    assert.deepStrictEqual(out.statelet.soup, [s.soup[0]!, { ...s.soup[0]!, id: 1 }])
    assert.strictEqual(out.statelet.locals, s.locals)
    const received = run(faulty, out.statelet, recv(0), recv(1))
    assert.deepStrictEqual(received.locals.ponger.q1, { seen: [0, 0], stopped: false })
    assert.strictEqual(refused(faulty, received, { kind: "duplicate", msgId: 0 }), "message 0 is not active")
  })

  it("crash marks a node down and keeps its local state; a down or unknown node cannot crash", () => {
    const s = run(faulty, faulty.initial, ping("p1", "q1", 0), recv(0))
    const out = stepped(faulty, s, { kind: "crash", node: "q1" })
    assert.strictEqual(out.node, "q1")
    assert.deepStrictEqual(out.statelet, { ...s, crashed: ["q1"] })
    assert.strictEqual(refused(faulty, out.statelet, { kind: "crash", node: "q1" }), "q1 is already down")
    assert.strictEqual(refused(faulty, out.statelet, { kind: "crash", node: "zz" }), `"zz" is not a node`)
    const two = stepped(faulty, out.statelet, { kind: "crash", node: "p2" }).statelet
    assert.deepStrictEqual(two.crashed, ["q1", "p2"])
  })

  it("restart applies the role's recover function and brings the node back up", () => {
    const s = run(faulty, faulty.initial, ping("p1", "q1", 0), recv(0), stop("p1", "q1"), recv(1), { kind: "crash", node: "q1" })
    assert.deepStrictEqual(s.locals.ponger.q1, { seen: [0], stopped: true })
    const out = stepped(faulty, s, { kind: "restart", node: "q1" })
    assert.strictEqual(out.node, "q1")
    // The ponger's recover forgets what it has seen but stays stopped.
    assert.deepStrictEqual(out.statelet.locals.ponger.q1, { seen: [], stopped: true })
    assert.deepStrictEqual(out.statelet.crashed, [])
    assert.strictEqual(out.statelet.soup, s.soup)
    assert.strictEqual(refused(faulty, out.statelet, { kind: "restart", node: "q1" }), "q1 is not down")
  })

  it("restart without a recover function keeps the whole local state", () => {
    const s = run(faulty, faulty.initial, ping("p1", "q1", 0), { kind: "crash", node: "p1" }, { kind: "crash", node: "q2" })
    const out = stepped(faulty, s, { kind: "restart", node: "p1" })
    assert.deepStrictEqual(out.statelet.locals.pinger.p1, { next: 1, acked: [] })
    assert.deepStrictEqual(out.statelet.crashed, ["q2"])
    assert.isTrue(stepped(faulty, out.statelet, ping("p1", "q1", 1)).message?.active)
  })
})

describe("enabledReceives", () => {
  it("lists exactly the active messages to live nodes whose receive transition accepts them", () => {
    const s = run(
      faulty,
      faulty.initial,
      stop("p2", "q2"),
      recv(0),
      ping("p1", "q1", 0), // 1: enabled
      ping("p2", "q2", 0), // 2: q2 is stopped, so not accepted
      ping("p1", "q1", 1), // 3: consumed below
      recv(3),
      pong("q1", "p1", 1), // 4: p1 is down
      { kind: "crash", node: "p1" },
      ping("p2", "q1", 1) // 5: enabled
    )
    assert.deepStrictEqual(
      Step.enabledReceives(faulty, s).map((m) => m.id),
      [1, 5]
    )
    for (const m of s.soup) {
      const enabled = Step.enabledReceives(faulty, s).some((e) => e.id === m.id)
      assert.strictEqual(Step.step(faulty, s, recv(m.id))._tag === "Stepped", enabled, `message ${m.id}`)
    }
  })

  it("is empty on the initial statelet", () => {
    assert.deepStrictEqual(Step.enabledReceives(reorderOnly, reorderOnly.initial), [])
  })
})

describe("invariants on random walks", () => {
  /** A small deterministic PRNG (mulberry32). */
  const prng = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const nodes = ["p1", "p2", "q1", "q2", "zz"]
  /** Mostly plausible actions (so that walks do step), with some that must be refused or violate. */
  const randomAction = (random: () => number, sem: Step.Semantics<PingPong.Shape>, s: S): Step.Action => {
    const pick = <A>(xs: ReadonlyArray<A>): A => xs[Math.floor(random() * xs.length)]!
    const active = s.soup.filter((m) => m.active).map((m) => m.id)
    const msgId = active.length > 0 && random() < 0.8 ? pick(active) : Math.floor(random() * (s.soup.length + 1))
    switch (pick(["ping", "ping", "pong", "stop", "junk", "receive", "receive", "receive", "drop", "duplicate", "crash", "restart"] as const)) {
      case "ping": {
        const p = pick(["p1", "p2"])
        return ping(p, pick(["q1", "q2"]), (sem.local(s, p) as { readonly next: number }).next)
      }
      case "pong": {
        const q = pick(["q1", "q2"])
        return pong(q, pick(["p1", "p2"]), pick([0, ...(sem.local(s, q) as { readonly seen: ReadonlyArray<number> }).seen]))
      }
      case "stop":
        return random() < 0.3 ? stop(pick(["p1", "p2"]), pick(["q1", "q2"])) : recv(msgId)
      case "junk": {
        const tag = pick(["ping", "pong", "stop", "pang"])
        return { kind: "send", node: pick(nodes), tag, to: pick(nodes), payload: { n: Math.floor(random() * 3) - 1, note: "x" } }
      }
      case "receive":
        return recv(msgId)
      case "drop":
        return { kind: "drop", msgId }
      case "duplicate":
        return { kind: "duplicate", msgId }
      case "crash":
        return { kind: "crash", node: pick(nodes) }
      case "restart":
        return { kind: "restart", node: pick(s.crashed.length > 0 ? s.crashed : nodes) }
    }
  }

  it("a deep-frozen statelet really refuses mutation (so stepFrozen would catch a mutating step)", () => {
    const s = deepFreeze(structuredClone(run(reorderOnly, reorderOnly.initial, ping("p1", "q1", 0))))
    assert.throws(() => {
      ;(s.soup as Array<unknown>).push(null)
    }, TypeError)
    assert.throws(() => {
      ;(s.locals.pinger.p1 as { next: number }).next = 5
    }, TypeError)
    assert.throws(() => {
      ;(s.soup[0] as { active: boolean }).active = false
    }, TypeError)
  })

  it("the soup only grows, consumed messages stay (inactive), and step never mutates its input", () => {
    const stepsOfKind = new Map<string, number>()
    for (const sem of [reorderOnly, faulty]) {
      for (let seed = 1; seed <= 40; seed++) {
        const random = prng(seed)
        let s = sem.initial
        for (let i = 0; i < 25; i++) {
          const action = randomAction(random, sem, s)
          const out = stepFrozen(sem, s, action)
          if (out._tag !== "Stepped") continue
          stepsOfKind.set(action.kind, (stepsOfKind.get(action.kind) ?? 0) + 1)
          const next = out.statelet
          assert.isAtLeast(next.soup.length, s.soup.length)
          assert.isAtMost(next.soup.length, s.soup.length + 1)
          s.soup.forEach((m, id) => {
            const after = next.soup[id]!
            assert.deepStrictEqual({ ...after, active: m.active }, m, `message ${id} changed`)
            assert.isTrue(m.active || !after.active, `message ${id} became active again`)
          })
          next.soup.forEach((m, id) => assert.strictEqual(m.id, id))
          s = next
        }
      }
    }
    // Every kind of step must actually be taken, or the invariants hold vacuously for it.
    for (const kind of ["send", "receive", "drop", "duplicate", "crash", "restart"]) {
      assert.isAtLeast(stepsOfKind.get(kind) ?? 0, 20, `too few ${kind} steps: ${JSON.stringify([...stepsOfKind])}`)
    }
  })
})
