/**
 * Unit tests of `core/Protocol.ts`: a well-formed protocol's run-time tables, and every spec
 * mistake reported by name in a `ProtocolSpecError` (in `signature` for roles, initial states and
 * the label; in `protocol` for transitions), several at once when there are several.
 *
 * Most mistakes here are also type errors (see `test/typetest/Protocol.test.ts`), so the
 * declarations below use `as any` casts to get past the types and reach the run-time validation.
 */
import * as Schema from "effect/Schema"
import { assert, describe, it } from "vitest"
import * as Protocol from "../../core/Protocol.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"
import * as PingPong from "../fixtures/PingPong.ts"

const A = Schema.Struct({ n: Schema.Int })
const B = Schema.Struct({ flag: Schema.Boolean })
const Hello = Schema.Struct({ text: Schema.String })
const Count = Schema.Struct({ k: Schema.Int })

const Sig = Protocol.signature({
  label: "spec",
  roles: { a: A, b: B },
  initial: { a: { n: 0 }, b: { flag: false } },
  messages: { hello: Hello, count: Count }
})

const send = (tag: string, from: string, to: string) =>
  Sig.send({ tag: tag as any, from: from as any, to: to as any, guard: () => true, step: (s: any) => s })
const receive = (tag: string, by: string) => Sig.receive({ tag: tag as any, by: by as any, step: (s: any) => s })

/** Runs `f`, which must throw a `ProtocolSpecError`, and returns it. */
const specError = (f: () => unknown): Protocol.ProtocolSpecError => {
  try {
    f()
  } catch (e) {
    assert.instanceOf(e, Protocol.ProtocolSpecError)
    return e
  }
  assert.fail("expected a ProtocolSpecError")
}

const build = (sends: Record<string, unknown>, receives: Record<string, unknown>) =>
  Sig.protocol({ sends: sends as any, receives: receives as any })

describe("a well-formed protocol", () => {
  it("indexes its transitions by tag, with their names", () => {
    const p = Calculator.protocol
    assert.strictEqual(p.label, "calc")
    assert.deepStrictEqual(Object.keys(p.roles), ["client", "server"])
    assert.deepStrictEqual(Object.keys(p.messages), ["req", "resp"])
    assert.deepStrictEqual(p.sends.map((s) => [s.name, s.kind, s.tag, s.from, s.to]), [
      ["clientSend", "send", "req", "client", "server"],
      ["serverSend", "send", "resp", "server", "client"]
    ])
    assert.deepStrictEqual(p.receives.map((r) => [r.name, r.kind, r.tag, r.by]), [
      ["serverRecv", "receive", "req", "server"],
      ["clientRecv", "receive", "resp", "client"]
    ])
    assert.strictEqual(p.sendOf.get("req"), p.sends[0])
    assert.strictEqual(p.receiveOf.get("resp"), p.receives[1])
    assert.isFunction(p.coherence)
  })

  it("compiles schemas into isState and isPayload", () => {
    const p = PingPong.protocol
    assert.isTrue(p.roles.pinger!.isState({ next: 0, acked: [] }))
    assert.isFalse(p.roles.pinger!.isState({ next: 0.5, acked: [] }))
    assert.isFalse(p.roles.pinger!.isState({ seen: [], stopped: false }))
    assert.isTrue(p.messages.ping!.isPayload({ n: 3 }))
    assert.isFalse(p.messages.ping!.isPayload({ n: "3" }))
    assert.isFalse(p.messages.pong!.isPayload({ n: 3 }))
  })

  it("keeps initial states, given recover functions, and durable recovery by default", () => {
    const p = PingPong.protocol
    assert.deepStrictEqual(p.roles.pinger!.initial, { next: 0, acked: [] })
    assert.deepStrictEqual(p.roles.ponger!.recover({ seen: [1, 2], stopped: true }), { seen: [], stopped: true })
    const local = { next: 3, acked: [0, 1] }
    assert.strictEqual(p.roles.pinger!.recover(local), local)
  })

  it("has no coherence unless one is given", () => {
    const p = build({ helloSend: send("hello", "a", "b") }, { helloReceive: receive("hello", "b") })
    assert.isUndefined(p.coherence)
    assert.deepStrictEqual(p.sends.map((s) => s.name), ["helloSend"])
  })

  it("allows a tag that is sent but never received", () => {
    const p = build({ helloSend: send("hello", "a", "b") }, {})
    assert.strictEqual(p.receiveOf.size, 0)
  })
})

describe("signature mistakes", () => {
  const sign = (spec: { label?: string; roles?: object; initial?: object; messages?: object; recover?: object }) => () =>
    Protocol.signature({
      label: spec.label ?? "ok",
      roles: (spec.roles ?? { a: A }) as any,
      initial: (spec.initial ?? { a: { n: 0 } }) as any,
      messages: (spec.messages ?? {}) as any,
      ...(spec.recover === undefined ? {} : { recover: spec.recover as any })
    })

  it("a label that is not an identifier", () => {
    for (const label of ["two-phase", "", "1st", "has space"]) {
      const e = specError(sign({ label }))
      assert.strictEqual(e.label, label)
      assert.deepStrictEqual(e.problems, [`label "${label}" must be an identifier (letters, digits, _)`])
    }
    assert.strictEqual(sign({ label: "Two_phase2" })().label, "Two_phase2")
  })

  it("a missing initial state", () => {
    assert.deepStrictEqual(specError(sign({ roles: { a: A, b: B }, initial: { a: { n: 0 } } })).problems, [
      `role "b" has no initial state`
    ])
  })

  it("an initial state that fails its schema, with the state shown", () => {
    assert.deepStrictEqual(specError(sign({ initial: { a: { n: 1.5 } } })).problems, [
      `the initial state of role "a" does not match its schema: {"n":1.5}`
    ])
  })

  it("an initial state or a recover function for an unknown role", () => {
    assert.deepStrictEqual(specError(sign({ initial: { a: { n: 0 }, z: {} } })).problems, [`initial state given for unknown role "z"`])
    assert.deepStrictEqual(specError(sign({ recover: { z: (s: unknown) => s } })).problems, [`recover given for unknown role "z"`])
  })

  it("no roles at all", () => {
    assert.deepStrictEqual(specError(sign({ roles: {}, initial: {} })).problems, ["a protocol needs at least one role"])
  })

  it("several mistakes are reported together", () => {
    const e = specError(sign({ label: "bad-label", roles: { a: A, b: B, c: B }, initial: { a: { n: "0" }, c: { flag: true }, d: {} } }))
    assert.deepStrictEqual(e.problems, [
      `label "bad-label" must be an identifier (letters, digits, _)`,
      `the initial state of role "a" does not match its schema: {"n":"0"}`,
      `role "b" has no initial state`,
      `initial state given for unknown role "d"`
    ])
    assert.strictEqual(e.name, "ProtocolSpecError")
    assert.include(e.message, `protocol "bad-label" is ill-formed:`)
    for (const problem of e.problems) assert.include(e.message, `  - ${problem}`)
  })
})

describe("transition mistakes", () => {
  it("a send transition naming an unknown role as sender or receiver", () => {
    const e = specError(() => build({ helloSend: send("hello", "x", "y") }, {}))
    assert.strictEqual(e.label, "spec")
    assert.deepStrictEqual(e.problems, [
      `send transition "helloSend": from "x" is not a role of "spec" (roles: a, b)`,
      `send transition "helloSend": to "y" is not a role of "spec" (roles: a, b)`
    ])
  })

  it("a receive transition naming an unknown role", () => {
    const e = specError(() => build({ helloSend: send("hello", "a", "b") }, { helloReceive: receive("hello", "x") }))
    assert.deepStrictEqual(e.problems, [
      `receive transition "helloReceive": by "x" is not a role of "spec" (roles: a, b)`,
      `receive transition "helloReceive" receives tag "hello" at role "x", but "helloSend" sends it to role "b"`
    ])
  })

  it("an unknown tag, in a send or a receive transition", () => {
    const e = specError(() => build({ byeSend: send("bye", "a", "b") }, { byeReceive: receive("bye", "b") }))
    assert.deepStrictEqual(e.problems, [
      `send transition "byeSend": tag "bye" is not a message of "spec" (tags: hello, count)`,
      `receive transition "byeReceive": tag "bye" is not a message of "spec" (tags: hello, count)`
    ])
  })

  it("two send transitions for one tag, both named", () => {
    const e = specError(() => build({ first: send("hello", "a", "b"), second: send("hello", "b", "b") }, {}))
    assert.deepStrictEqual(e.problems, [
      `send transitions "first" and "second" both send tag "hello"; a tag has one send transition (Disel's snd_uniq)`
    ])
  })

  it("two receive transitions for one tag, both named", () => {
    const e = specError(() => build({ helloSend: send("hello", "a", "b") }, { first: receive("hello", "b"), second: receive("hello", "b") }))
    assert.deepStrictEqual(e.problems, [
      `receive transitions "first" and "second" both receive tag "hello"; a tag has one receive transition (Disel's rcv_uniq)`
    ])
  })

  it("a receive for a tag no one sends", () => {
    const e = specError(() => build({ helloSend: send("hello", "a", "b") }, { countReceive: receive("count", "b") }))
    assert.deepStrictEqual(e.problems, [`receive transition "countReceive" receives tag "count", which no send transition sends`])
  })

  it("a receive at a role other than the send's receiver", () => {
    const e = specError(() => build({ helloSend: send("hello", "a", "b") }, { helloReceive: receive("hello", "a") }))
    assert.deepStrictEqual(e.problems, [
      `receive transition "helloReceive" receives tag "hello" at role "a", but "helloSend" sends it to role "b"`
    ])
  })

  it("transitions not made with send(...) or receive(...), or without functions", () => {
    const e = specError(() =>
      build(
        { wrongKind: receive("hello", "b"), noGuard: { ...send("count", "a", "b"), guard: undefined } },
        { alsoWrong: send("hello", "a", "b"), noStep: { ...receive("count", "b"), step: undefined } }
      )
    )
    assert.deepStrictEqual(e.problems, [
      `send transition "wrongKind" was not made with send(...)`,
      `send transition "noGuard" has no guard function`,
      `receive transition "alsoWrong" was not made with receive(...)`,
      `receive transition "noStep" has no step function`
    ])
  })

  it("several mistakes are reported together, by name", () => {
    const e = specError(() =>
      build(
        { s1: send("hello", "a", "b"), s2: send("hello", "a", "b"), s3: send("nope", "a", "zz") },
        { r1: receive("count", "b"), r2: receive("hello", "a") }
      )
    )
    assert.deepStrictEqual(e.problems, [
      `send transitions "s1" and "s2" both send tag "hello"; a tag has one send transition (Disel's snd_uniq)`,
      `send transition "s3": to "zz" is not a role of "spec" (roles: a, b)`,
      `send transition "s3": tag "nope" is not a message of "spec" (tags: hello, count)`,
      `receive transition "r1" receives tag "count", which no send transition sends`,
      `receive transition "r2" receives tag "hello" at role "a", but "s1" sends it to role "b"`
    ])
    for (const name of ["s1", "s2", "s3", "r1", "r2"]) assert.include(e.message, `"${name}"`)
  })

  it("names inherited from Object.prototype are not roles or tags", () => {
    // Role and tag tables are plain objects: "toString" and "constructor" must not count as
    // declared just because every object inherits them.
    const e = specError(() => build({ s: send("constructor", "toString", "a") }, {}))
    assert.deepStrictEqual(e.problems, [
      `send transition "s": from "toString" is not a role of "spec" (roles: a, b)`,
      `send transition "s": tag "constructor" is not a message of "spec" (tags: hello, count)`
    ])
  })
})
