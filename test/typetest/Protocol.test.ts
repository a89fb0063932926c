/**
 * Type tests of protocol declarations (`core/Protocol.ts`, `core/Topology.ts`) and of the
 * type-level derivations in `typings/Protocol.ts`, checked by `tsc -p .`.
 *
 * - Negative: every `// @ts-expect-error` marks a declaration that must not compile, for the
 *   reason it states. The declarations sit in functions that the `it` blocks call, asserting that
 *   the run-time validation reports the same mistake by name (`ProtocolSpecError`,
 *   `TopologyError`) or, for mistakes inside transition functions, what the step function does.
 * - Positive: `RoleOf`, `TagOf`, `LocalOf`, `PayloadOf`, `NodeOf`, `SendableBy`, `ReceivableBy`,
 *   `ReceiverOf`, `SenderOf`, `Received` and `Envelope` for the Calculator and the ping/pong
 *   fixture, each compared with the run-time tables of the same protocol.
 */
import * as Schema from "effect/Schema"
import { assert, describe, it } from "vitest"
import * as Protocol from "../../core/Protocol.ts"
import * as Step from "../../core/Step.ts"
import * as Topology from "../../core/Topology.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"
import type {
  Envelope,
  LocalOf,
  NodeId,
  NodeOf,
  PayloadOf,
  ReceivableBy,
  Received,
  ReceiverOf,
  RoleOf,
  SendableBy,
  SenderOf,
  TagOf
} from "../../typings/Protocol.ts"
import * as PingPong from "../fixtures/PingPong.ts"
import type { Equal, Expect } from "./helpers.ts"

const A = Schema.Struct({ n: Schema.Int })
const B = Schema.Struct({ flag: Schema.Boolean })
const Hello = Schema.Struct({ text: Schema.String })
const Count = Schema.Struct({ k: Schema.Int })

/** A well-typed signature to declare transitions against. */
const Sig = Protocol.signature({
  label: "typed",
  roles: { a: A, b: B },
  initial: { a: { n: 0 }, b: { flag: false } },
  messages: { hello: Hello, count: Count }
})

const helloSend = Sig.send({ tag: "hello", from: "a", to: "b", guard: () => true, step: (s) => s })
const helloReceive = Sig.receive({ tag: "hello", by: "b", step: (s) => s })

/** Runs `build`, which must throw a `ProtocolSpecError`, and returns its problems. */
const problemsOf = (build: () => unknown): ReadonlyArray<string> => {
  try {
    build()
  } catch (e) {
    assert.instanceOf(e, Protocol.ProtocolSpecError)
    return e.problems
  }
  assert.fail("expected a ProtocolSpecError")
}

const problemMatching = (problems: ReadonlyArray<string>, pattern: RegExp): string => {
  const found = problems.find((p) => pattern.test(p))
  assert.isDefined(found, `no problem matches ${pattern}; problems: ${JSON.stringify(problems)}`)
  return found!
}

// ---------------------------------------------------------------------------------------------
// Negative: declarations that must not compile.
// ---------------------------------------------------------------------------------------------

const initialOfWrongType = () =>
  Protocol.signature({
    label: "badInitial",
    roles: { a: A, b: B },
    // @ts-expect-error the initial `n` of role a must be a number, not a string
    initial: { a: { n: "zero" }, b: { flag: false } },
    messages: {}
  })

const initialMissing = () =>
  Protocol.signature({
    label: "noInitial",
    roles: { a: A, b: B },
    // @ts-expect-error role b has no initial state
    initial: { a: { n: 0 } },
    messages: {}
  })

const recoverForUnknownRole = () =>
  Protocol.signature({
    label: "badRecover",
    roles: { a: A },
    initial: { a: { n: 0 } },
    messages: {},
    // @ts-expect-error there is no role c to recover
    recover: { c: (s: unknown) => s }
  })

const sendFromUnknownRole = () =>
  Sig.protocol({
    sends: {
      helloSend,
      // @ts-expect-error "c" is not a role of the signature (as sender)
      countSend: Sig.send({ tag: "count", from: "c", to: "b", guard: () => true, step: (s) => s })
    },
    receives: { helloReceive }
  })

const sendToUnknownRole = () =>
  Sig.protocol({
    sends: {
      helloSend,
      // @ts-expect-error "c" is not a role of the signature (as receiver)
      countSend: Sig.send({ tag: "count", from: "a", to: "c", guard: () => true, step: (s) => s })
    },
    receives: { helloReceive }
  })

const sendUnknownTag = () =>
  Sig.protocol({
    sends: {
      helloSend,
      // @ts-expect-error "bye" is not a message of the signature
      byeSend: Sig.send({ tag: "bye", from: "a", to: "b", guard: () => true, step: (s) => s })
    },
    receives: { helloReceive }
  })

const receiveByUnknownRole = () =>
  Sig.protocol({
    sends: { helloSend },
    receives: {
      // @ts-expect-error "c" is not a role of the signature (as receiver)
      helloReceive: Sig.receive({ tag: "hello", by: "c", step: (s) => s })
    }
  })

const receiveUnknownTag = () =>
  Sig.protocol({
    sends: { helloSend },
    receives: {
      helloReceive,
      // @ts-expect-error "bye" is not a message of the signature
      byeReceive: Sig.receive({ tag: "bye", by: "b", step: (s) => s })
    }
  })

/** Transitions whose functions are ill-typed; the protocol builds, and the step function judges them. */
const illTypedFunctions = () =>
  Sig.protocol({
    sends: {
      helloSend: Sig.send({
        tag: "hello",
        from: "a",
        to: "b",
        // @ts-expect-error role a's state has no field `flag` (that is role b's)
        guard: (s) => s.flag === undefined,
        // @ts-expect-error the step must return role a's state, whose `n` is a number
        step: (s, _to, m) => ({ n: `${s.n}:${m.text}` })
      }),
      countSend: Sig.send({
        tag: "count",
        from: "a",
        to: "b",
        // @ts-expect-error a count's payload has no `text` (that is hello's)
        guard: (_s, _to, m) => m.text !== "",
        step: (s) => s
      })
    },
    receives: {
      helloReceive: Sig.receive({
        tag: "hello",
        by: "b",
        // @ts-expect-error the step must return role b's state ({ flag }), not role a's ({ n })
        step: () => ({ n: 1 })
      })
    },
    // @ts-expect-error there are no nodes of role c
    coherence: (_s, nodes) => nodes.c.length === 0
  })

const topologyMissingRole = () =>
  // @ts-expect-error role "ponger" is given no nodes
  Topology.make(PingPong.protocol, { pinger: ["p1"] })

const topologyUnknownRole = () =>
  // @ts-expect-error "server" is not a role of pingpong
  Topology.make(PingPong.protocol, { pinger: ["p1"], ponger: ["q1"], server: ["s1"] })

describe("declarations that must not compile are also reported at run time", () => {
  it("an initial state of the wrong type", () => {
    const problem = problemMatching(problemsOf(initialOfWrongType), /initial state of role "a" does not match its schema/)
    assert.include(problem, `{"n":"zero"}`)
  })

  it("a missing initial state", () => {
    assert.deepStrictEqual(problemsOf(initialMissing), [`role "b" has no initial state`])
  })

  it("a recover function for an unknown role", () => {
    assert.deepStrictEqual(problemsOf(recoverForUnknownRole), [`recover given for unknown role "c"`])
  })

  it("a send transition naming an unknown role", () => {
    problemMatching(problemsOf(sendFromUnknownRole), /send transition "countSend": from "c" is not a role of "typed" \(roles: a, b\)/)
    problemMatching(problemsOf(sendToUnknownRole), /send transition "countSend": to "c" is not a role of "typed"/)
  })

  it("a send transition for an unknown tag", () => {
    problemMatching(problemsOf(sendUnknownTag), /send transition "byeSend": tag "bye" is not a message of "typed" \(tags: hello, count\)/)
  })

  it("a receive transition naming an unknown role", () => {
    const problems = problemsOf(receiveByUnknownRole)
    problemMatching(problems, /receive transition "helloReceive": by "c" is not a role of "typed"/)
    problemMatching(problems, /receives tag "hello" at role "c", but "helloSend" sends it to role "b"/)
  })

  it("a receive transition for an unknown tag", () => {
    problemMatching(problemsOf(receiveUnknownTag), /receive transition "byeReceive": tag "bye" is not a message of "typed"/)
  })

  it("a topology missing a role, or naming an unknown one", () => {
    assert.throws(topologyMissingRole, Topology.TopologyError, `no nodes given for role "ponger"`)
    assert.throws(topologyUnknownRole, Topology.TopologyError, `protocol "pingpong" has no role "server"`)
  })

  it("ill-typed transition functions: the guard sees undefined, and an ill-formed next state is a violation", () => {
    const protocol = illTypedFunctions()
    const sem = Step.make(protocol, Topology.make(protocol, { a: ["a1"], b: ["b1"] }), Step.reorderOnly)
    const hello = Step.step(sem, sem.initial, { kind: "send", node: "a1", tag: "hello", to: "b1", payload: { text: "hi" } })
    assert.strictEqual(hello._tag, "Violated")
    assert.match(hello._tag === "Violated" ? hello.violation.reason : "", /helloSend's step returned a local state that does not match the schema of role "a"/)
    const count = Step.step(sem, sem.initial, { kind: "send", node: "a1", tag: "count", to: "b1", payload: { k: 1 } })
    assert.strictEqual(count._tag, "Stepped")
  })
})

// ---------------------------------------------------------------------------------------------
// Positive: derivations over the Calculator and ping/pong shapes.
// ---------------------------------------------------------------------------------------------

type Calc = NonNullable<(typeof Calculator.protocol)["~shape"]>
type Pending = { readonly peer: string; readonly args: ReadonlyArray<number> }
type CalcState = { readonly pending: ReadonlyArray<Pending> }
type Req = { readonly args: ReadonlyArray<number> }
type Resp = { readonly value: number; readonly args: ReadonlyArray<number> }

export type CalculatorDerivations = [
  Expect<Equal<Calc["label"], "calc">>,
  Expect<Equal<RoleOf<Calc>, "client" | "server">>,
  Expect<Equal<TagOf<Calc>, "req" | "resp">>,
  Expect<Equal<LocalOf<Calc, "client">, CalcState>>,
  Expect<Equal<LocalOf<Calc, "server">, CalcState>>,
  Expect<Equal<PayloadOf<Calc, "req">, Req>>,
  Expect<Equal<PayloadOf<Calc, "resp">, Resp>>,
  Expect<Equal<NodeOf<Calc, "server">, NodeId<"calc", "server">>>,
  Expect<Equal<NodeOf<Calc>, NodeId<"calc", "client" | "server">>>,
  Expect<Equal<SendableBy<Calc, "client">, "req">>,
  Expect<Equal<SendableBy<Calc, "server">, "resp">>,
  Expect<Equal<SendableBy<Calc, "client" | "server">, "req" | "resp">>,
  Expect<Equal<SendableBy<Calc, "nobody">, never>>,
  Expect<Equal<ReceivableBy<Calc, "client">, "resp">>,
  Expect<Equal<ReceivableBy<Calc, "server">, "req">>,
  Expect<Equal<ReceivableBy<Calc, "nobody">, never>>,
  Expect<Equal<ReceiverOf<Calc, "req">, "server">>,
  Expect<Equal<ReceiverOf<Calc, "resp">, "client">>,
  Expect<Equal<SenderOf<Calc, "req">, "client">>,
  Expect<Equal<SenderOf<Calc, "resp">, "server">>,
  Expect<Equal<SenderOf<Calc, "undeclared">, "client" | "server">>,
  Expect<
    Equal<
      Received<Calc, "resp">,
      { readonly id: number; readonly tag: "resp"; readonly from: NodeId<"calc", "server">; readonly payload: Resp }
    >
  >,
  Expect<Equal<Received<Calc, "undeclared">, never>>,
  Expect<Equal<Envelope<Calc>["tag"], "req" | "resp">>,
  Expect<Equal<Extract<Envelope<Calc>, { readonly tag: "req" }>["payload"], Req>>,
  /** Another instance of the same protocol factory keeps its own label. */
  Expect<Equal<NonNullable<Calculator.Protocol.CalculatorProtocolOf<"calc2">["~shape"]>["label"], "calc2">>
]

type Ping = PingPong.Shape
export type PingPongDerivations = [
  Expect<Equal<SendableBy<Ping, "pinger">, "ping" | "stop">>,
  Expect<Equal<SendableBy<Ping, "ponger">, "pong">>,
  Expect<Equal<ReceivableBy<Ping, "ponger">, "ping" | "stop">>,
  Expect<Equal<ReceivableBy<Ping, "pinger">, "pong">>,
  Expect<Equal<ReceiverOf<Ping, "stop">, "ponger">>,
  Expect<Equal<SenderOf<Ping, "pong">, "ponger">>,
  Expect<Equal<Received<Ping, "ping" | "stop">["tag"], "ping" | "stop">>,
  Expect<Equal<Received<Ping, "ping" | "stop">["from"], NodeId<"pingpong", "pinger">>>,
  Expect<Equal<PingPong.EchoShape["label"], "echo">>,
  Expect<Equal<RoleOf<PingPong.EchoShape>, RoleOf<Ping>>>
]

/** Typed tables that the run-time tables must agree with. */
const calcSendable: { readonly [R in RoleOf<Calc>]: ReadonlyArray<SendableBy<Calc, R>> } = { client: ["req"], server: ["resp"] }
const calcReceivable: { readonly [R in RoleOf<Calc>]: ReadonlyArray<ReceivableBy<Calc, R>> } = { client: ["resp"], server: ["req"] }
const calcReceiver: { readonly [K in TagOf<Calc>]: ReceiverOf<Calc, K> } = { req: "server", resp: "client" }
const calcSender: { readonly [K in TagOf<Calc>]: SenderOf<Calc, K> } = { req: "client", resp: "server" }
const pingSendable: { readonly [R in RoleOf<Ping>]: ReadonlyArray<SendableBy<Ping, R>> } = { pinger: ["ping", "stop"], ponger: ["pong"] }
const pingReceivable: { readonly [R in RoleOf<Ping>]: ReadonlyArray<ReceivableBy<Ping, R>> } = { pinger: ["pong"], ponger: ["ping", "stop"] }

const runtimeSendable = (p: Protocol.Protocol<any>, role: string) => p.sends.filter((s) => s.from === role).map((s) => s.tag)
const runtimeReceivable = (p: Protocol.Protocol<any>, role: string) => p.receives.filter((r) => r.by === role).map((r) => r.tag)

describe("type-level derivations agree with the run-time protocol", () => {
  it("Calculator: SendableBy and ReceivableBy per role", () => {
    for (const role of ["client", "server"] as const) {
      assert.deepStrictEqual(runtimeSendable(Calculator.protocol, role), [...calcSendable[role]])
      assert.deepStrictEqual(runtimeReceivable(Calculator.protocol, role), [...calcReceivable[role]])
    }
  })

  it("Calculator: ReceiverOf and SenderOf per tag", () => {
    for (const tag of ["req", "resp"] as const) {
      assert.strictEqual(Calculator.protocol.sendOf.get(tag)?.to, calcReceiver[tag])
      assert.strictEqual(Calculator.protocol.sendOf.get(tag)?.from, calcSender[tag])
      assert.strictEqual(Calculator.protocol.receiveOf.get(tag)?.by, calcReceiver[tag])
    }
    assert.strictEqual(Calculator.protocol.label, "calc")
  })

  it("ping/pong: SendableBy and ReceivableBy per role, in both instances", () => {
    for (const protocol of [PingPong.protocol, PingPong.echo]) {
      for (const role of ["pinger", "ponger"] as const) {
        assert.deepStrictEqual(runtimeSendable(protocol, role), [...pingSendable[role]])
        assert.deepStrictEqual(runtimeReceivable(protocol, role), [...pingReceivable[role]])
      }
    }
    assert.deepStrictEqual([PingPong.protocol.label, PingPong.echo.label], ["pingpong", "echo"])
  })
})
