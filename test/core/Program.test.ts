/**
 * Unit tests of `core/Program.ts`: `make` (defaults, options, run-time role check) and `handle`
 * (the typed node forwards every operation to the interpreter's driver, with `tryReceive` as a
 * poll of 0 ms). Also runs the Calculator's server programs through the real step function
 * (`test/fixtures/StepDriver.ts`): a correct answer is sent, a wrong one fails the program with a
 * `ProtocolViolation` from the guard.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { assert, describe, it } from "vitest"
import * as Program from "../../core/Program.ts"
import { ProtocolViolation } from "../../core/ProtocolViolation.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"
import * as PingPong from "../fixtures/PingPong.ts"
import * as StepDriver from "../fixtures/StepDriver.ts"

describe("Program.make", () => {
  it("names a program after its role and makes it a non-daemon by default", () => {
    const run = () => Effect.succeed(1)
    const p = Program.make(PingPong.protocol, "pinger", run)
    assert.strictEqual(p.protocol, PingPong.protocol)
    assert.strictEqual(p.role, "pinger")
    assert.strictEqual(p.name, "pinger")
    assert.isFalse(p.daemon)
    assert.strictEqual(p.run, run)
  })

  it("takes a name and a daemon flag", () => {
    const p = Program.make(PingPong.protocol, "ponger", () => Effect.void, { name: "server-loop", daemon: true })
    assert.strictEqual(p.name, "server-loop")
    assert.isTrue(p.daemon)
  })

  it("throws for a role the protocol does not have (a type error too, hence the cast)", () => {
    assert.throws(() => Program.make(PingPong.protocol, "server" as any, () => Effect.void), `protocol "pingpong" has no role "server"`)
  })

  it("throws for a role named like an Object.prototype member", () => {
    // The protocol's role table is a plain object: "toString" is inherited, not a role.
    assert.throws(() => Program.make(PingPong.protocol, "toString" as any, () => Effect.void), `protocol "pingpong" has no role "toString"`)
  })
})

describe("Program.handle", () => {
  /** A driver that records every call and answers with fixed values. */
  const recording = () => {
    const calls: Array<ReadonlyArray<unknown>> = []
    const message: Program.ReceivedMessage = { id: 4, tag: "pong", from: "q1", payload: { n: 1, note: "x" } }
    const driver: Program.Driver = {
      local: Effect.sync(() => {
        calls.push(["local"])
        return { next: 3, acked: [] }
      }),
      send: (tag, to, payload) => Effect.sync(() => void calls.push(["send", tag, to, payload])),
      receive: (filter) => Effect.sync(() => (calls.push(["receive", filter]), message)),
      poll: (filter, ms) => Effect.sync(() => (calls.push(["poll", filter, ms]), Option.some(message))),
      sleep: (ms) => Effect.sync(() => void calls.push(["sleep", ms])),
      now: Effect.sync(() => (calls.push(["now"]), 42))
    }
    return { calls, driver, message }
  }
  const nodes = { pinger: ["p1"], ponger: ["q1"] } as unknown as Program.Node<PingPong.Shape, "pinger">["nodes"]

  it("exposes self, role and nodes", () => {
    const node = Program.handle<PingPong.Shape, "pinger">("p1", "pinger", nodes, recording().driver)
    assert.strictEqual(node.self, "p1")
    assert.strictEqual(node.role, "pinger")
    assert.strictEqual(node.nodes, nodes)
  })

  it("forwards every operation to the driver", () => {
    const { calls, driver, message } = recording()
    const node = Program.handle<PingPong.Shape, "pinger">("p1", "pinger", nodes, driver)
    const q1 = node.nodes.ponger[0]!
    const filter = { tags: ["pong"] as const, from: q1 }
    const result = Effect.runSync(
      Effect.gen(function* () {
        const local = yield* node.local
        yield* node.send("ping", q1, { n: local.next })
        const a = yield* node.receive(filter)
        const b = yield* node.tryReceive(filter)
        const c = yield* node.receiveWithin(filter, 250)
        yield* node.sleep(10)
        const now = yield* node.now
        return { a, b, c, now }
      })
    )
    assert.deepStrictEqual(result, { a: message, b: Option.some(message), c: Option.some(message), now: 42 })
    assert.deepStrictEqual(calls, [
      ["local"],
      ["send", "ping", "q1", { n: 3 }],
      ["receive", filter],
      ["poll", filter, 0],
      ["poll", filter, 250],
      ["sleep", 10],
      ["now"]
    ])
  })
})

describe("Calculator server programs on the step function", () => {
  const world = () => {
    const w = StepDriver.world(Calculator.protocol, { client: ["c1"], server: ["s1"] })
    StepDriver.apply(w, { kind: "send", node: "c1", tag: "req", to: "s1", payload: { args: [2, 3] } })
    return w
  }

  it("a correct server answers f(args), then waits for the next request", () => {
    const w = world()
    const ending = StepDriver.run(w, Calculator.Programs.oneShotServer(Calculator.protocol, Calculator.f), "s1")
    assert.strictEqual(ending._tag, "Defect")
    assert.match(String(ending._tag === "Defect" && (ending.defect as Error).message), /s1 would block/)
    assert.deepStrictEqual<unknown>(
      w.statelet.soup.map((m) => [m.tag, m.from, m.to, m.payload, m.active]),
      [
        ["req", "c1", "s1", { args: [2, 3] }, false],
        ["resp", "s1", "c1", { value: 5, args: [2, 3] }, true]
      ]
    )
    assert.deepStrictEqual(w.statelet.locals.server.s1, { pending: [] })
  })

  it("a server computing the wrong value fails with the guard's ProtocolViolation and sends nothing", () => {
    const w = world()
    const ending = StepDriver.run(w, Calculator.Programs.memoizingServer(Calculator.protocol, (args) => Calculator.f(args) + 1), "s1")
    assert.strictEqual(ending._tag, "Failure")
    const error = ending._tag === "Failure" ? ending.error : undefined
    assert.instanceOf(error, ProtocolViolation)
    assert.strictEqual(error.transition, "serverSend")
    assert.strictEqual(error.reason, "the guard of serverSend is false")
    assert.deepStrictEqual<unknown>(error.attempted, { tag: "resp", to: "c1", payload: { value: 6, args: [2, 3] } })
    assert.strictEqual(w.statelet.soup.length, 1)
    assert.deepStrictEqual(w.statelet.locals.server.s1, { pending: [{ peer: "c1", args: [2, 3] }] })
  })

  it("a client asking a server that does not exist dies before sending", () => {
    const w = world()
    const ending = StepDriver.run(w, Calculator.Programs.client(Calculator.protocol, [{ server: "s9", args: [1, 1] }]), "c1")
    assert.strictEqual(ending._tag, "Defect")
    assert.match(String(ending._tag === "Defect" && (ending.defect as Error).message), /client c1: no server s9/)
    assert.strictEqual(w.statelet.soup.length, 1)
  })
})
