/**
 * Type tests of typed programs (`core/Program.ts`, `typings/Protocol.ts`), checked by `tsc -p .`.
 *
 * - Negative: every `// @ts-expect-error` marks a program expression that must not compile, for
 *   the reason it states (tsc fails on a directive that no longer suppresses an error). Each of
 *   these programs is also run through the real step function (`test/fixtures/StepDriver.ts`),
 *   and the `it` blocks assert what happens at run time when the types are bypassed: most
 *   mistakes are then caught as a `ProtocolViolation`, some only by the types.
 * - Positive: the inferred types of `receive`, `tryReceive`, `receiveWithin`, `local`, `self`,
 *   `nodes` and node ids, checked with `Equal`/`Expect` inside programs that the `it` blocks run.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { assert, describe, it } from "vitest"
import * as Program from "../../core/Program.ts"
import { ProtocolViolation } from "../../core/ProtocolViolation.ts"
import * as Topology from "../../core/Topology.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"
import type { NodeId } from "../../typings/Protocol.ts"
import * as PingPong from "../fixtures/PingPong.ts"
import * as StepDriver from "../fixtures/StepDriver.ts"
import { type Equal, type Expect, type Extends, expectTrue } from "./helpers.ts"

const pingWorld = () => StepDriver.world(PingPong.protocol, { pinger: ["p1"], ponger: ["q1"] })
const calcWorld = () => StepDriver.world(Calculator.protocol, { client: ["c1"], server: ["s1"] })

/** A node id of the `echo` protocol whose role has the same name as a `pingpong` role. */
const echoPonger = Topology.nodeId(Topology.make(PingPong.echo, { pinger: ["ep1"], ponger: ["eq1"] }), "ponger", "eq1")

type PingerState = { readonly next: number; readonly acked: ReadonlyArray<number> }
type PongerState = { readonly seen: ReadonlyArray<number>; readonly stopped: boolean }
type PingMessage = {
  readonly id: number
  readonly tag: "ping"
  readonly from: NodeId<"pingpong", "pinger">
  readonly payload: { readonly n: number }
}
type StopMessage = {
  readonly id: number
  readonly tag: "stop"
  readonly from: NodeId<"pingpong", "pinger">
  readonly payload: { readonly reason: string }
}
type PongMessage = {
  readonly id: number
  readonly tag: "pong"
  readonly from: NodeId<"pingpong", "ponger">
  readonly payload: { readonly n: number; readonly note: string }
}

const expectViolation = (ending: StepDriver.Ending<unknown, unknown>, reason: RegExp): ProtocolViolation => {
  assert.strictEqual(ending._tag, "Failure")
  const error = (ending as { readonly error: unknown }).error
  assert.instanceOf(error, ProtocolViolation)
  assert.match(error.reason, reason)
  return error
}

/** The message an ending with `Some(message)` received, erased to plain data. */
const receivedMessage = (ending: StepDriver.Ending<unknown, unknown>): Program.ReceivedMessage => {
  assert.strictEqual(ending._tag, "Success")
  const value = (ending as { readonly value: Option.Option<Program.ReceivedMessage> }).value
  assert.isTrue(Option.isSome(value))
  return Option.getOrThrow(value)
}
const receivedTag = (ending: StepDriver.Ending<unknown, unknown>): string => receivedMessage(ending).tag
const receivedFrom = (ending: StepDriver.Ending<unknown, unknown>): string => receivedMessage(ending).from

// ---------------------------------------------------------------------------------------------
// Negative: programs that must not compile.
// ---------------------------------------------------------------------------------------------

const clientSendsResp = Program.make(Calculator.protocol, "client", (node) =>
  // @ts-expect-error a client has no send transition for "resp" (only the server sends it)
  node.send("resp", node.nodes.client[0]!, { value: 3, args: [1, 2] })
)

const sendUnknownTag = Program.make(PingPong.protocol, "pinger", (node) =>
  // @ts-expect-error "pang" is not a tag of any protocol
  node.send("pang", node.nodes.ponger[0]!, { n: 0 })
)

const sendOtherProtocolTag = Program.make(PingPong.protocol, "pinger", (node) =>
  // @ts-expect-error "get" is a tag of the kv protocol, not of pingpong
  node.send("get", node.nodes.ponger[0]!, { key: "k" })
)

const wrongFieldName = Program.make(PingPong.protocol, "pinger", (node) =>
  // @ts-expect-error a ping's payload field is `n`, not `m`
  node.send("ping", node.nodes.ponger[0]!, { m: 0 })
)

const wrongFieldType = Program.make(PingPong.protocol, "pinger", (node) =>
  // @ts-expect-error a ping's `n` is a number, not a string
  node.send("ping", node.nodes.ponger[0]!, { n: "0" })
)

const missingField = Program.make(PingPong.protocol, "ponger", (node) =>
  // @ts-expect-error a pong needs `note` as well as `n`
  node.send("pong", node.nodes.pinger[0]!, { n: 0 })
)

const extraField = Program.make(PingPong.protocol, "pinger", (node) =>
  // @ts-expect-error a ping has no field `extra` (excess property check on a fresh literal)
  node.send("ping", node.nodes.ponger[0]!, { n: 0, extra: true })
)

const toWrongRole = Program.make(PingPong.protocol, "pinger", (node) =>
  // @ts-expect-error a ping goes to a ponger, and node.self is a pinger
  node.send("ping", node.self, { n: 0 })
)

const toPlainString = Program.make(PingPong.protocol, "pinger", (node) =>
  // @ts-expect-error `to` must be a typed node id, not a plain string
  node.send("ping", "q1", { n: 0 })
)

const toOtherProtocolNode = Program.make(PingPong.protocol, "pinger", (node) =>
  // @ts-expect-error echoPonger is a "ponger" of protocol "echo", not of "pingpong"
  node.send("ping", echoPonger, { n: 0 })
)

const toAnyRole = Program.make(PingPong.protocol, "pinger", (node) => {
  const anyRole: NodeId<"pingpong", "pinger" | "ponger"> = node.self
  // @ts-expect-error a node of role "pinger" | "ponger" is not known to be a ponger
  return node.send("ping", anyRole, { n: 0 })
})

const clientReceivesReq = Program.make(Calculator.protocol, "client", (node) =>
  // @ts-expect-error a client cannot receive "req" (the server's receive transition consumes it)
  node.tryReceive({ tags: ["req"] })
)

const receiveUndeclaredTag = Program.make(PingPong.protocol, "ponger", (node) =>
  // @ts-expect-error no one declared a tag "nothing"
  node.tryReceive({ tags: ["nothing"] })
)

const receiveWithinOtherRolesTag = Program.make(PingPong.protocol, "ponger", (node) =>
  // @ts-expect-error a ponger cannot receive "pong"; it sends it
  node.receiveWithin({ tags: ["pong"] }, 10)
)

const receiveOneGoodOneBadTag = Program.make(PingPong.protocol, "ponger", (node) =>
  // @ts-expect-error "ping" is fine, but a ponger cannot receive "pong"
  node.tryReceive({ tags: ["ping", "pong"] })
)

const fromPlainString = Program.make(PingPong.protocol, "pinger", (node) =>
  // @ts-expect-error the filter's `from` must be a typed node id, not a plain string
  node.tryReceive({ tags: ["pong"], from: "q1" })
)

const fromWrongRole = Program.make(PingPong.protocol, "pinger", (node) =>
  // @ts-expect-error pongs come from pongers, so the filter's `from` cannot be a pinger
  node.tryReceive({ tags: ["pong"], from: node.self })
)

const whereReadsMissingField = Program.make(PingPong.protocol, "ponger", (node) =>
  // @ts-expect-error a ping's payload has no `reason`
  node.tryReceive({ tags: ["ping"], where: (m) => m.payload.reason === "" })
)

const unnarrowedField = Program.make(PingPong.protocol, "ponger", (node) =>
  Effect.gen(function* () {
    const m = yield* node.receive({ tags: ["ping", "stop"] })
    // @ts-expect-error `n` is a field of ping only; m may be a stop until narrowed by `tag`
    return m.payload.n
  })
)

/** Never called by the programs above: Program.make checks the role at run time, too. */
const makeForUnknownRole = () =>
  // @ts-expect-error "server" is not a role of pingpong (it is one of the Calculator's)
  Program.make(PingPong.protocol, "server", () => Effect.void)

describe("programs that must not compile", () => {
  it("sending a tag of another role is a violation at run time too", () => {
    const w = calcWorld()
    const v = expectViolation(StepDriver.run(w, clientSendsResp, "c1"), /serverSend is for role "server", but c1 plays "client"/)
    assert.strictEqual(v.transition, "serverSend")
    assert.strictEqual(w.statelet.soup.length, 0)
  })

  it("sending an unknown tag, or another protocol's tag, is a violation", () => {
    expectViolation(StepDriver.run(pingWorld(), sendUnknownTag, "p1"), /no send transition sends tag "pang"/)
    expectViolation(StepDriver.run(pingWorld(), sendOtherProtocolTag, "p1"), /no send transition sends tag "get"/)
  })

  it("payloads with a wrong field name, a wrong field type or a missing field fail the schema", () => {
    for (const [program, node] of [
      [wrongFieldName, "p1"],
      [wrongFieldType, "p1"],
      [missingField, "q1"]
    ] as const) {
      const w = pingWorld()
      expectViolation(StepDriver.run(w, program as Program.Program<PingPong.Shape>, node), /does not match the schema of "p[io]ng"/)
      assert.strictEqual(w.statelet.soup.length, 0)
    }
  })

  it("an extra payload field is caught by the types only: the schema check lets it through", () => {
    const w = pingWorld()
    assert.strictEqual(StepDriver.run(w, extraField, "p1")._tag, "Success")
    assert.strictEqual(w.statelet.soup.length, 1)
  })

  it("sending to a node of the wrong role, or of another protocol, is a violation", () => {
    expectViolation(StepDriver.run(pingWorld(), toWrongRole, "p1"), /sendPing sends to role "ponger", but p1 plays "pinger"/)
    expectViolation(StepDriver.run(pingWorld(), toAnyRole, "p1"), /sendPing sends to role "ponger", but p1 plays "pinger"/)
    expectViolation(StepDriver.run(pingWorld(), toOtherProtocolNode, "p1"), /the receiver "eq1" is not a node of this protocol/)
  })

  it("a plain string that happens to name a ponger is accepted at run time: only the type demands a typed id", () => {
    const w = pingWorld()
    assert.strictEqual(StepDriver.run(w, toPlainString, "p1")._tag, "Success")
    assert.strictEqual(w.statelet.soup[0]?.to, "q1")
  })

  it("receiving tags the role cannot receive finds nothing, even when such messages are in the soup", () => {
    const calc = calcWorld()
    StepDriver.apply(calc, { kind: "send", node: "c1", tag: "req", to: "s1", payload: { args: [1, 2] } })
    assert.deepStrictEqual(StepDriver.run(calc, clientReceivesReq, "c1"), { _tag: "Success", value: Option.none() })
    assert.isTrue(calc.statelet.soup[0]?.active)

    const w = pingWorld()
    StepDriver.apply(w, { kind: "send", node: "p1", tag: "ping", to: "q1", payload: { n: 0 } })
    assert.deepStrictEqual(StepDriver.run(w, receiveUndeclaredTag, "q1"), { _tag: "Success", value: Option.none() })
    assert.deepStrictEqual(StepDriver.run(w, receiveWithinOtherRolesTag, "q1"), { _tag: "Success", value: Option.none() })
    assert.isTrue(w.statelet.soup[0]?.active)
  })

  it("a filter with one receivable tag still receives that tag at run time", () => {
    const w = pingWorld()
    StepDriver.apply(w, { kind: "send", node: "p1", tag: "ping", to: "q1", payload: { n: 0 } })
    assert.strictEqual(receivedTag(StepDriver.run(w, receiveOneGoodOneBadTag, "q1")), "ping")
  })

  it("a plain-string `from` still filters at run time", () => {
    const w = pingWorld()
    StepDriver.apply(w, { kind: "send", node: "p1", tag: "ping", to: "q1", payload: { n: 0 } })
    StepDriver.apply(w, { kind: "receive", msgId: 0 })
    StepDriver.apply(w, { kind: "send", node: "q1", tag: "pong", to: "p1", payload: { n: 0, note: "hi" } })
    assert.strictEqual(receivedFrom(StepDriver.run(w, fromPlainString, "p1")), "q1")
  })

  it("a `from` of the wrong role matches nothing at run time", () => {
    const w = pingWorld()
    StepDriver.apply(w, { kind: "send", node: "p1", tag: "ping", to: "q1", payload: { n: 0 } })
    StepDriver.apply(w, { kind: "receive", msgId: 0 })
    StepDriver.apply(w, { kind: "send", node: "q1", tag: "pong", to: "p1", payload: { n: 0, note: "hi" } })
    assert.deepStrictEqual(StepDriver.run(w, fromWrongRole, "p1"), { _tag: "Success", value: Option.none() })
  })

  it("a `where` reading a missing field sees undefined, so it never matches", () => {
    const w = pingWorld()
    StepDriver.apply(w, { kind: "send", node: "p1", tag: "ping", to: "q1", payload: { n: 0 } })
    assert.deepStrictEqual(StepDriver.run(w, whereReadsMissingField, "q1"), { _tag: "Success", value: Option.none() })
  })

  it("reading a field of another tag without narrowing gives undefined at run time", () => {
    const w = pingWorld()
    StepDriver.apply(w, { kind: "send", node: "p1", tag: "stop", to: "q1", payload: { reason: "done" } })
    assert.deepStrictEqual(StepDriver.run(w, unnarrowedField, "q1"), { _tag: "Success", value: undefined })
  })

  it("Program.make for a role the protocol does not have throws", () => {
    assert.throws(makeForUnknownRole, /protocol "pingpong" has no role "server"/)
  })
})

// ---------------------------------------------------------------------------------------------
// Positive: inferred types.
// ---------------------------------------------------------------------------------------------

/** A ponger that checks the types it sees, answers a ping with a pong and reports what it did. */
const typedPonger = Program.make(PingPong.protocol, "ponger", (node) =>
  Effect.gen(function* () {
    expectTrue<Equal<typeof node.self, NodeId<"pingpong", "ponger">>>()
    expectTrue<Equal<typeof node.role, "ponger">>()
    expectTrue<Equal<typeof node.nodes.pinger, ReadonlyArray<NodeId<"pingpong", "pinger">>>>()
    expectTrue<Equal<Effect.Success<typeof node.local>, PongerState>>()
    const before = yield* node.local
    expectTrue<Equal<typeof before, PongerState>>()

    const m = yield* node.receive({ tags: ["ping", "stop"] })
    expectTrue<Equal<typeof m, PingMessage | StopMessage>>()
    expectTrue<Equal<typeof m.from, NodeId<"pingpong", "pinger">>>()
    expectTrue<Equal<typeof m.tag, "ping" | "stop">>()
    if (m.tag === "stop") {
      expectTrue<Equal<typeof m.payload, { readonly reason: string }>>()
      return { kind: "stopped", reason: m.payload.reason, seen: before.seen.length } as const
    }
    expectTrue<Equal<typeof m.payload, { readonly n: number }>>()
    // The sender's id is typed as a pinger, so it can be answered directly.
    yield* node.send("pong", m.from, { n: m.payload.n, note: `seen by ${node.self}` })
    const after = yield* node.local
    return { kind: "answered", n: m.payload.n, seen: after.seen.length } as const
  })
)

/** A pinger that checks the types of the non-blocking receives. */
const typedPinger = Program.make(PingPong.protocol, "pinger", (node) =>
  Effect.gen(function* () {
    expectTrue<Equal<typeof node.self, NodeId<"pingpong", "pinger">>>()
    const local = yield* node.local
    expectTrue<Equal<typeof local, PingerState>>()
    const ponger = node.nodes.ponger[0]!
    yield* node.send("ping", ponger, { n: local.next })
    const early = yield* node.tryReceive({ tags: ["pong"] })
    expectTrue<Equal<typeof early, Option.Option<PongMessage>>>()
    const later = yield* node.receiveWithin({ tags: ["pong"], from: ponger, where: (p) => p.payload.n === local.next }, 5)
    expectTrue<Equal<typeof later, Option.Option<PongMessage>>>()
    return { early: Option.map(early, (p) => p.payload.note), later: Option.map(later, (p) => p.payload.note) }
  })
)

/** The result type of a program value. */
type ResultOf<P> = P extends Program.Program<any, any, infer A, any> ? A : never
/** The type of program values: protocol shape, role, result (checked by its `kind`s) and no error but violations. */
export type ProgramValueChecks = [
  Expect<Equal<typeof typedPonger, Program.Program<PingPong.Shape, "ponger", ResultOf<typeof typedPonger>, never>>>,
  Expect<Equal<ResultOf<typeof typedPonger>["kind"], "stopped" | "answered">>,
  Expect<Equal<(typeof typedPinger)["role"], "pinger">>,
  Expect<Equal<Parameters<(typeof typedPinger)["run"]>[0], Program.Node<PingPong.Shape, "pinger">>>
]

/** Node ids: a narrower role is accepted where a union of roles is, and a node in two protocols. Never called. */
export const idAssignability = (pinger: NodeId<"pingpong", "pinger">, both: NodeId<"pingpong", "ponger"> & NodeId<"echo", "ponger">) => {
  expectTrue<Extends<NodeId<"pingpong", "pinger">, NodeId<"pingpong", "pinger" | "ponger">>>()
  expectTrue<Equal<Extends<NodeId<"pingpong", "pinger" | "ponger">, NodeId<"pingpong", "pinger">>, false>>()
  expectTrue<Equal<Extends<NodeId<"echo", "ponger">, NodeId<"pingpong", "ponger">>, false>>()
  expectTrue<Extends<NodeId<"pingpong", "pinger">, string>>()
  const either: NodeId<"pingpong", "pinger" | "ponger"> = pinger
  const asPingpong: NodeId<"pingpong", "ponger"> = both
  const asEcho: NodeId<"echo", "ponger"> = both
  return [either, asPingpong, asEcho]
}

/** A program whose ponger id plays "ponger" in both pingpong and echo, accepted by pingpong's send. */
const pingBoth = Program.make(PingPong.protocol, "pinger", (node) =>
  node.send("ping", node.nodes.ponger[0]! as NodeId<"pingpong", "ponger"> & NodeId<"echo", "ponger">, { n: 0 })
)

describe("inferred types, exercised at run time", () => {
  it("program values carry their protocol, role, name and daemon flag", () => {
    assert.strictEqual(typedPonger.protocol, PingPong.protocol)
    assert.strictEqual(typedPonger.role, "ponger")
    assert.strictEqual(typedPonger.name, "ponger")
    assert.isFalse(typedPonger.daemon)
    assert.strictEqual(typedPinger.role, "pinger")
  })

  it("a received ping narrows to its payload and its sender can be answered", () => {
    const w = pingWorld()
    StepDriver.apply(w, { kind: "send", node: "p1", tag: "ping", to: "q1", payload: { n: 0 } })
    assert.deepStrictEqual(StepDriver.run(w, typedPonger, "q1"), {
      _tag: "Success",
      value: { kind: "answered", n: 0, seen: 1 }
    })
    assert.deepStrictEqual(
      w.statelet.soup.map((m) => [m.tag, m.from, m.to, m.active]),
      [
        ["ping", "p1", "q1", false],
        ["pong", "q1", "p1", true]
      ]
    )
    assert.deepStrictEqual(w.statelet.soup[1]?.payload, { n: 0, note: "seen by q1" })
  })

  it("a received stop narrows to its payload", () => {
    const w = pingWorld()
    StepDriver.apply(w, { kind: "send", node: "p1", tag: "stop", to: "q1", payload: { reason: "bye" } })
    assert.deepStrictEqual(StepDriver.run(w, typedPonger, "q1"), {
      _tag: "Success",
      value: { kind: "stopped", reason: "bye", seen: 0 }
    })
  })

  it("tryReceive and receiveWithin give Options of the received message", () => {
    const w = pingWorld()
    assert.deepStrictEqual(StepDriver.run(w, typedPinger, "p1"), {
      _tag: "Success",
      value: { early: Option.none(), later: Option.none() }
    })
    // The pinger's ping is still in the soup, so a ponger can now answer it.
    assert.deepStrictEqual(StepDriver.run(w, typedPonger, "q1"), { _tag: "Success", value: { kind: "answered", n: 0, seen: 1 } })
    // Its pong (n = 0) is received by tryReceive; receiveWithin's `where` wants n = 1, so it gets None.
    assert.deepStrictEqual(StepDriver.run(w, typedPinger, "p1"), {
      _tag: "Success",
      value: { early: Option.some("seen by q1"), later: Option.none() }
    })
  })

  it("a node playing roles in two protocols is a valid receiver in each", () => {
    const w = pingWorld()
    assert.strictEqual(StepDriver.run(w, pingBoth, "p1")._tag, "Success")
    assert.strictEqual(w.statelet.soup[0]?.to, "q1")
  })
})
