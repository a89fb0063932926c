/**
 * Program-level checking: every schedule of the real programs up to a bound. Broken programs are
 * caught with schedules that the simulator replays exactly; correct ones are explored exhaustively
 * (the numbers of schedules and states are pinned as a regression signal); pruning by state does
 * not change a verdict; nondeterministic programs are refused.
 */
import * as Effect from "effect/Effect"
import { assert, describe, it } from "vitest"
import * as Program from "../../core/Program.ts"
import * as System from "../../core/System.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"
import * as TwoPhaseCommit from "../../protocols/TwoPhaseCommit/index.ts"
import * as Schedules from "../../simulator/Schedules.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import * as Trace from "../../simulator/Trace.ts"
import * as Retry from "./RetryProtocol.ts"

const wrongAnswer = Calculator.families.find((f) => f.name === "calculator/wrong-answer")!

/** Every fault, at most one of them per schedule, so that the space is finite. */
const oneFault: Schedules.FaultBounds = { drop: true, duplicate: true, crash: true, restart: true, maxFaults: 1 }

/** The coordinator that commits on any yes, running against the correct protocol. */
const commitOnAnyYes = (participants: ReadonlyArray<string>) => TwoPhaseCommit.eagerCoordinator({ participants: participants.length, rounds: 2 })

/**
 * A server that, after a restart, answers the requests it holds with a wrong value: only a crash
 * between receiving a request and answering it exposes the bug.
 */
const recoveringServer = Program.make(
  Calculator.protocol,
  "server",
  (node) =>
    Effect.gen(function* () {
      const { pending } = yield* node.local
      for (const request of pending) {
        const client = node.nodes.client.find((c) => c === request.peer)
        if (client !== undefined) yield* node.send("resp", client, { value: Calculator.f(request.args) + 1, args: request.args })
      }
      for (;;) {
        const request = yield* node.receive({ tags: ["req"] })
        yield* node.send("resp", request.from, { value: Calculator.f(request.payload.args), args: request.payload.args })
      }
    }),
  { name: "recovering-server", daemon: true }
)

const withRecoveringServer = () =>
  System.make({
    protocol: Calculator.protocol,
    nodes: { client: ["c1"], server: ["s1"] },
    programs: {
      c1: Calculator.Programs.client(Calculator.protocol, [
        { server: "s1", args: [1, 2] },
        { server: "s1", args: [3, 4] }
      ]),
      s1: recoveringServer
    },
    properties: Calculator.properties(Calculator.protocol)
  })

/** The found violation replays exactly, from the trace and from its schedule, and survives NDJSON. */
const assertReplays = (system: System.System, options: Schedules.ExploreOptions, found: Schedules.Found) => {
  assert.strictEqual(found.trace.header.level, "programs")
  assert.strictEqual(found.trace.end.status, "violation")
  assert.deepStrictEqual(found.trace.end.violation, found.violation)
  assert.strictEqual(found.trace.events.filter((e) => e.type !== "exit").length, found.schedule.length)
  const replayed = Simulator.replay(system, Trace.fromNdjson(Trace.toNdjson(found.trace)))
  assert.isTrue(replayed.identical, replayed.difference)
  assert.deepStrictEqual(replayed.trace.end.violation, found.violation)
  assert.deepStrictEqual(Schedules.runSchedule(system, options, found.schedule), found.trace)
}

/** What must not depend on pruning. */
const verdict = (r: Schedules.ExploreReport) => ({
  violations: r.violations.map((f) => f.violation).map((v) => (v.kind === "invariant" ? v.property : `${v.kind}:${v.node}:${v.kind === "protocol" ? v.transition : v.error}`)),
  states: r.states,
  exhaustive: r.exhaustive,
  incomplete: r.incomplete,
  ends: r.ends,
  witnessed: r.witnessed
})

describe("Schedules: broken programs are caught", () => {
  it("finds calculator/wrong-answer's forbidden serverSend, with a schedule the simulator replays", () => {
    const system = wrongAnswer.make({ clients: 1, servers: 1, requests: 1 })
    const options = { name: wrongAnswer.name, parameters: { clients: 1, servers: 1, requests: 1 }, maxDepth: 10 }
    const report = Schedules.explore(system, options)
    assert.strictEqual(report.violations.length, 1)
    const found = report.violations[0]!
    assert.deepInclude(found.violation, { kind: "protocol", node: "s1", program: "one-shot-server", transition: "serverSend", reason: "the guard of serverSend is false" })
    assert.deepStrictEqual(found.schedule, [0, 0, 0])
    const last = found.trace.events.filter((e) => e.type !== "exit").at(-1)!
    assert.deepInclude(last, { type: "send", node: "s1", tag: "resp", msg: -1, transition: "serverSend" })
    assert.deepStrictEqual(found.trace.header.parameters, options.parameters)
    assertReplays(system, options, found)
    assert.isFalse(report.exhaustive)
    assert.deepStrictEqual(report.incomplete, ["violation"])
  })

  it("catches, in the correct protocol, the commit of a coordinator that commits on any yes (2 participants)", () => {
    const system = commitOnAnyYes(["p1", "p2"])
    const options = { name: "two-phase-commit", parameters: { participants: 2, rounds: 2 }, maxDepth: 40 }
    const report = Schedules.explore(system, options)
    assert.strictEqual(report.violations.length, 1)
    const found = report.violations[0]!
    assert.deepInclude(found.violation, { kind: "protocol", node: "c", transition: "sendCommit", reason: "the guard of sendCommit is false" })
    assertReplays(system, options, found)
  })

  it("finds a bug that only a crash between a receive and its answer exposes, and the shortest such schedule first", () => {
    const system = withRecoveringServer()
    const options = { name: "recovering-server", maxDepth: 20, faults: { crash: true, restart: true } }
    const depthFirst = Schedules.explore(system, options)
    const shortest = Schedules.explore(system, { ...options, shortestFirst: true })
    for (const report of [depthFirst, shortest]) {
      assert.strictEqual(report.violations.length, 1)
      assert.deepInclude(report.violations[0]!.violation, { kind: "protocol", node: "s1", program: "recovering-server", transition: "serverSend" })
      assertReplays(system, options, report.violations[0]!)
    }
    // Send, deliver, crash, restart, the wrong answer: nothing shorter exposes it.
    const kinds = shortest.violations[0]!.trace.events.filter((e) => e.type !== "exit").map((e) => e.type)
    assert.deepStrictEqual(kinds, ["send", "deliver", "crash", "restart", "send"])
    assert.isAbove(depthFirst.violations[0]!.schedule.length, shortest.violations[0]!.schedule.length)
  })

  it("with all, reports each distinct violation once, with how many schedules end in it", () => {
    const system = withRecoveringServer()
    const report = Schedules.explore(system, { name: "recovering-server", maxDepth: 30, faults: { crash: true, restart: true, maxFaults: 1 }, all: true })
    assert.isTrue(report.exhaustive)
    assert.strictEqual(report.violations.length, 1)
    assert.isAbove(report.violations[0]!.occurrences, 1)
  })
})

describe("Schedules: correct programs are explored exhaustively", () => {
  const pinned = (system: System.System, options: Schedules.ExploreOptions, expected: { schedules: number; states: number; completed: number; stuck: number }) => {
    const report = Schedules.explore(system, options)
    assert.deepStrictEqual(report.violations, [])
    assert.isTrue(report.exhaustive, report.incomplete.join(", "))
    assert.deepStrictEqual(
      { schedules: report.schedules, states: report.states, completed: report.ends.completed, stuck: report.ends.stuck },
      expected
    )
    return report
  }

  it("Calculator, one client and one server, one and two requests", () => {
    pinned(Calculator.system({ clients: 1, servers: 1, requests: 1 }), { name: "calculator", maxDepth: 30 }, { schedules: 1, states: 5, completed: 1, stuck: 0 })
    pinned(Calculator.system({ clients: 1, servers: 1, requests: 2 }), { name: "calculator", maxDepth: 30 }, { schedules: 1, states: 9, completed: 1, stuck: 0 })
  })

  it("Calculator with one drop, crash or restart: drops leave the client waiting, nothing breaks", () => {
    const report = pinned(
      Calculator.system({ clients: 1, servers: 1, requests: 2 }),
      { name: "calculator", maxDepth: 30, faults: { ...oneFault, duplicate: false } },
      { schedules: 51, states: 92, completed: 4, stuck: 4 }
    )
    assert.deepStrictEqual(report.witnessed, ["repeatedRequest", "responseArrives"])
  })

  it("Calculator with one duplication: the duplicated request is a second request the client never made", () => {
    const report = Schedules.explore(Calculator.system({ clients: 1, servers: 1, requests: 2 }), {
      name: "calculator",
      maxDepth: 30,
      faults: { duplicate: true, maxFaults: 1 },
      shortestFirst: true
    })
    assert.deepStrictEqual(
      report.violations.map((v) => [v.violation, v.schedule]),
      [[{ kind: "invariant", property: "clientsAwaitAnswers", step: 2 }, [0, 1]]]
    )
  })

  it("TwoPhaseCommit, one round, one and two participants", () => {
    pinned(TwoPhaseCommit.system({ participants: 1, rounds: 1 }), { name: "two-phase-commit", maxDepth: 40 }, { schedules: 1, states: 9, completed: 1, stuck: 0 })
    const two = pinned(TwoPhaseCommit.system({ participants: 2, rounds: 1 }), { name: "two-phase-commit", maxDepth: 40 }, { schedules: 23, states: 40, completed: 1, stuck: 0 })
    assert.deepStrictEqual(two.witnessed, ["roundCommits"])
  })

  it("TwoPhaseCommit, one participant, with one fault of any kind", () => {
    pinned(TwoPhaseCommit.system({ participants: 1, rounds: 1 }), { name: "two-phase-commit", maxDepth: 40, faults: oneFault }, { schedules: 35, states: 57, completed: 6, stuck: 4 })
  })

  it("a retransmitting sender: time advances when nothing else can happen, and a drop forces a retry", () => {
    const report = pinned(Retry.system(2, 30, 5), { name: "retry", maxDepth: 40, faults: { drop: true, maxFaults: 1 } }, { schedules: 19, states: 71, completed: 5, stuck: 0 })
    assert.include(report.witnessed, "retransmitted")
  })
})

describe("Schedules: bounds and pruning", () => {
  it("says when a bound cut the search", () => {
    const system = TwoPhaseCommit.system({ participants: 2, rounds: 1 })
    const shallow = Schedules.explore(system, { name: "two-phase-commit", maxDepth: 10 })
    assert.isFalse(shallow.exhaustive)
    assert.deepStrictEqual(shallow.incomplete, ["max-depth"])
    assert.strictEqual(shallow.depth, 10)
    const few = Schedules.explore(system, { name: "two-phase-commit", maxDepth: 40, maxSchedules: 5 })
    assert.strictEqual(few.schedules, 5)
    assert.deepStrictEqual(few.incomplete, ["max-schedules"])
  })

  it("gives the same verdicts, states and ends with and without pruning, and prunes runs", () => {
    const cases: ReadonlyArray<readonly [string, () => System.System, Schedules.ExploreOptions]> = [
      ["wrong-answer", () => wrongAnswer.make({ clients: 1, servers: 1, requests: 2 }), { name: "w", maxDepth: 20, faults: oneFault, all: true }],
      ["recovering-server", withRecoveringServer, { name: "r", maxDepth: 30, faults: { crash: true, restart: true, maxFaults: 1 }, all: true }],
      ["commit-on-any-yes", () => commitOnAnyYes(["p1", "p2"]), { name: "t", maxDepth: 40 }],
      ["calculator", () => Calculator.system({ clients: 1, servers: 1, requests: 2 }), { name: "c", maxDepth: 30, faults: oneFault }],
      ["two-phase-commit", () => TwoPhaseCommit.system({ participants: 2, rounds: 1 }), { name: "t", maxDepth: 40 }],
      ["retry", () => Retry.system(2, 30, 5), { name: "r", maxDepth: 40, faults: { drop: true, maxFaults: 1 } }]
    ]
    let fewer = 0
    for (const [label, make, options] of cases) {
      const pruned = Schedules.explore(make(), { ...options, prune: true })
      const full = Schedules.explore(make(), { ...options, prune: false })
      assert.deepStrictEqual(verdict(pruned), verdict(full), label)
      assert.isAtMost(pruned.schedules, full.schedules, label)
      if (pruned.schedules < full.schedules) fewer++
    }
    assert.isAbove(fewer, 2)
  })

  it("refuses a program that does not do the same thing when its schedule is replayed", () => {
    let starts = 0
    const fickle = Program.make(Calculator.protocol, "client", (node) =>
      Effect.gen(function* () {
        starts++
        yield* node.send("req", node.nodes.server[0]!, { args: [starts, 0] })
        return yield* node.receive({ tags: ["resp"] })
      })
    )
    const system = System.make({
      protocol: Calculator.protocol,
      nodes: { client: ["c1", "c2"], server: ["s1"] },
      programs: { c1: fickle, c2: fickle, s1: Calculator.Programs.oneShotServer(Calculator.protocol, Calculator.f) },
      properties: []
    })
    assert.throws(() => Schedules.explore(system, { name: "fickle", maxDepth: 20 }), Schedules.Nondeterministic)
  })

  it("refuses a schedule index that names no enabled decision", () => {
    const system = Calculator.system({ clients: 1, servers: 1, requests: 1 })
    assert.throws(() => Schedules.runSchedule(system, { name: "calculator", maxDepth: 10 }, [0, 3]), Schedules.BadSchedule)
  })
})
