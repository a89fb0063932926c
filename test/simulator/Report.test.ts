import { assert, describe, it } from "vitest"
import * as Calculator from "../../protocols/Calculator/index.ts"
import * as FaultPlan from "../../simulator/FaultPlan.ts"
import * as Report from "../../simulator/Report.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import type { End, Header, Trace, TraceEvent } from "../../simulator/Trace.ts"

const header: Header = {
  type: "run",
  format: 1,
  system: "two-phase-commit",
  level: "programs",
  parameters: { participants: 1 },
  seed: 42,
  faults: FaultPlan.parse("all"),
  maxSteps: 100,
  maxTime: 1000
}

const events: ReadonlyArray<TraceEvent> = [
  { type: "send", step: 1, time: 0, node: "c", tag: "prepare", to: "p1", payload: { era: 0, data: 0 }, msg: 0, transition: "sendPrepare", local: { era: 0, phase: { tag: "sentPrepare", data: 0, sent: ["p1"] } } },
  { type: "duplicate", step: 2, time: 0, msg: 0, from: "c", to: "p1", tag: "prepare", payload: { era: 0, data: 0 }, copy: 1 },
  { type: "deliver", step: 3, time: 4, node: "p1", msg: 0, from: "c", tag: "prepare", payload: { era: 0, data: 0 }, transition: "receivePrepare", local: { era: 0, phase: { tag: "gotPrepare", data: 0 } } },
  { type: "drop", step: 4, time: 4, msg: 1, from: "c", to: "p1", tag: "prepare", payload: { era: 0, data: 0 } },
  { type: "crash", step: 5, time: 5, node: "p1" },
  { type: "restart", step: 6, time: 9, node: "p1", local: { era: 0, phase: { tag: "init" } } },
  { type: "timeout", step: 7, time: 120, node: "c" },
  { type: "wake", step: 8, time: 130, node: "p1" },
  { type: "exit", step: 8, time: 130, node: "p1", outcome: "failed", detail: "Error: boom\n  more detail" }
]

const end: End = { type: "end", status: "stuck", steps: 8, time: 130, violation: null, blocked: ["c"] }

const trace: Trace = { header, events, end }

const initial = new Map<string, unknown>([
  ["c", { era: 0, phase: { tag: "init" } }],
  ["p1", { era: 0, phase: { tag: "init" } }]
])

describe("compact", () => {
  it("writes JavaScript-like literals, quoting only keys that need it", () => {
    assert.strictEqual(Report.compact({ era: 0, data: "x", "a-b": [1, null, true] }), '{era:0,data:"x","a-b":[1,null,true]}')
  })

  it("cuts long values with an ellipsis", () => {
    const text = Report.compact({ xs: Array.from({ length: 100 }, (_, i) => i) }, 30)
    assert.strictEqual(text.length, 30)
    assert.isTrue(text.endsWith("…"))
  })
})

describe("localChange", () => {
  it("shows only the top-level fields that changed", () => {
    assert.strictEqual(Report.localChange({ a: 1, b: [1], c: "same" }, { a: 2, b: [1], c: "same" }), "a 1 → 2")
  })

  it("follows nested records of the same shape and shows appends as +=", () => {
    assert.strictEqual(
      Report.localChange({ phase: { tag: "wait", votes: [] } }, { phase: { tag: "wait", votes: [{ node: "p1", yes: true }] } }),
      "phase.votes += {node:\"p1\",yes:true}"
    )
  })

  it("shows a tagged record changing case as old → new{fields}", () => {
    assert.strictEqual(Report.localChange({ phase: { tag: "init" } }, { phase: { tag: "sent", data: 1 } }), "phase init → sent{data:1}")
  })

  it("shows fields that appear or disappear, and non-records whole", () => {
    assert.strictEqual(Report.localChange({ a: 1 }, { b: 2 }), "a 1 → (absent); b (absent) → 2")
    assert.strictEqual(Report.localChange(3, 4), "3 → 4")
    assert.strictEqual(Report.localChange({ a: 1 }, { a: 1 }), "")
  })
})

describe("formatTrace", () => {
  const lines = Report.formatTrace(trace, { initial }).split("\n")

  it("starts with the system, parameters, seed and fault plan", () => {
    assert.strictEqual(lines[0], "trace of two-phase-commit  participants=1  seed 42  faults all  (8 steps)")
  })

  it("prints a send with the sender's local-state change under it", () => {
    assert.strictEqual(lines[1], "1    0ms  c → p1  prepare {era:0,data:0}  [sendPrepare]  msg 0")
    assert.strictEqual(lines[2], '          c: phase init → sentPrepare{data:0,sent:["p1"]}')
  })

  it("prints every kind of event", () => {
    const text = lines.join("\n")
    assert.include(text, "2    0ms  network duplicates msg 0 as msg 1 (c → p1  prepare {era:0,data:0})")
    assert.include(text, "3    4ms  p1 ← c  prepare {era:0,data:0}  [receivePrepare]  msg 0\n          p1: phase init → gotPrepare{data:0}")
    assert.include(text, "4    4ms  network drops msg 1 (c → p1  prepare {era:0,data:0})")
    assert.include(text, "5    5ms  p1 CRASHES")
    assert.include(text, "6    9ms  p1 restarts\n          p1: phase gotPrepare → init")
    assert.include(text, "7  120ms  c: timeout (nothing to receive)")
    assert.include(text, "8  130ms  p1: wakes up")
    assert.include(text, "8  130ms  p1: program FAILED: Error: boom")
    assert.notInclude(text, "more detail")
  })

  it("ends with the status and the blocked nodes", () => {
    assert.deepStrictEqual(lines.slice(-2), [
      "end: stuck: nothing more can happen, but some programs have not finished (8 steps, 130ms)",
      "  blocked (waiting or down): c"
    ])
  })

  it("shows a node's first state whole when no initial states are given", () => {
    assert.strictEqual(Report.formatTrace(trace).split("\n")[2], '          c: {era:0,phase:{tag:"sentPrepare",data:0,sent:["p1"]}}')
  })

  it("marks a send the protocol refused", () => {
    const refused: TraceEvent = { ...(events[0] as Extract<TraceEvent, { type: "send" }>), msg: -1, local: initial.get("c") }
    const text = Report.formatTrace({ header, events: [refused], end: { ...end, steps: 1 } }, { initial })
    assert.include(text, "c → p1  prepare {era:0,data:0}  [sendPrepare]  REFUSED by the protocol")
    assert.notInclude(text, "c: ")
  })
})

describe("formatViolation", () => {
  it("explains an invariant violation", () => {
    assert.strictEqual(Report.formatViolation({ kind: "invariant", property: "commitValidity", step: 9 }), 'invariant "commitValidity" is false after step 9')
  })

  it("explains a protocol violation: node, program, transition, reason, attempted message and local state", () => {
    const text = Report.formatViolation({
      kind: "protocol",
      node: "s1",
      program: "one-shot-server",
      transition: "serverSend",
      reason: "the guard of serverSend is false",
      attempted: { tag: "resp", to: "c1", payload: { value: 2, args: [0, 1] } },
      local: { pending: [{ peer: "c1", args: [0, 1] }] },
      step: 3
    })
    assert.deepStrictEqual(text.split("\n"), [
      "ProtocolViolation at step 3: s1 (program one-shot-server) may not send resp to c1 via serverSend: the guard of serverSend is false",
      "  attempted: resp {value:2,args:[0,1]} → c1",
      '  local state of s1: {pending:[{peer:"c1",args:[0,1]}]}'
    ])
  })

  it("explains a failed program by the first line of its error", () => {
    assert.strictEqual(
      Report.formatViolation({ kind: "program", node: "c1", program: "client", error: "Error: boom\nstack", step: 4 }),
      "program client on c1 failed at step 4: Error: boom"
    )
  })
})

describe("formatSummary and formatProgress", () => {
  const options = { name: "calculator", parameters: { clients: 1 }, seed: 7, runs: 10, faults: FaultPlan.reorder }
  const summary: Simulator.Summary = {
    runs: 10,
    steps: 12345,
    elapsedMs: 500,
    statuses: { completed: 8, stuck: 2, limit: 0, violation: 0 },
    witnessed: new Map([
      ["responseArrives", 10],
      ["repeatedRequest", 0]
    ]),
    violations: 0,
    firstFailure: undefined,
    lastTrace: undefined
  }

  it("prints runs, steps, wall time, steps/s, statuses, witnesses and violations", () => {
    assert.deepStrictEqual(Report.formatSummary(summary, options).split("\n"), [
      "calculator  clients=1  seed 7  faults reorder",
      "runs        10",
      "steps       12,345 in 0.50s (24,690 steps/s)",
      "status      completed 8  stuck 2  limit 0  violation 0",
      "sometimes   responseArrives  reached in 10/10 runs",
      "            repeatedRequest  reached in 0/10 runs",
      'warning: sometimes property "repeatedRequest" was never reached in 10 runs; the invariants may hold vacuously',
      "violations  0"
    ])
  })

  it("reports the first violation of a real batch, shrunk", () => {
    const family = Calculator.families.find((f) => f.name === "calculator/unchecked-response")!
    const batch = { ...options, name: family.name, parameters: {}, maxSteps: 1000, maxTime: 60_000 }
    const result = Simulator.simulate(family.make({}), batch)
    const text = Report.formatSummary(result, batch)
    assert.include(text, "(of 10; stopped at the first violation)")
    assert.match(text, /first violation: run \d+ \(seed \d+\): invariant "responseCorrect" is false after step \d+; shrunk from \d+ to \d+ steps in \d+ replays/)
    assert.notInclude(text, "warning:")
  })

  it("prints a progress line", () => {
    assert.strictEqual(
      Report.formatProgress({ runsDone: 3, runs: 10, steps: 2000, violations: 1, elapsedMs: 2000 }),
      "3/10 runs, 2,000 steps, 1,000 steps/s, 1 violation"
    )
  })
})

describe("initialLocals", () => {
  it("gives every node's initial local state", () => {
    const locals = Report.initialLocals(Calculator.system({ clients: 1, servers: 2 }))
    assert.deepStrictEqual([...locals.keys()], ["c1", "s1", "s2"])
    assert.deepStrictEqual(locals.get("c1"), { pending: [] })
  })
})

describe("Report: why a node is blocked", () => {
  const receive = (messages: ReadonlyArray<{ msg: number; fate: "received" | "dropped" | "unmatched" | "refused"; step: number | null }>, from: string | null = null) =>
    Report.formatWait({ node: "p2", kind: "receive", tags: ["commit", "abort"], from, messages: messages.map((m) => ({ ...m, from: "c", tag: "commit" })) })

  it("says when no awaited message was ever sent, and names the sender a filter requires", () => {
    assert.strictEqual(receive([], "c"), "p2 waits for commit|abort from c; no such message was sent to it")
  })

  it("says when every awaited message was dropped", () => {
    assert.strictEqual(
      receive([{ msg: 4, fate: "dropped", step: 6 }, { msg: 9, fate: "dropped", step: 12 }]),
      "p2 waits for commit|abort; all 2 such messages (msgs 4, 9) were dropped (steps 6, 12) and nothing retransmits"
    )
  })

  it("lists the fate of each message otherwise: received, dropped, filtered out, refused by the protocol", () => {
    assert.strictEqual(
      receive([
        { msg: 1, fate: "received", step: 3 },
        { msg: 4, fate: "dropped", step: 6 },
        { msg: 7, fate: "unmatched", step: null },
        { msg: 8, fate: "refused", step: null }
      ]),
      "p2 waits for commit|abort; msg 1 was received earlier (step 3); msg 4 was dropped (step 6); " +
        "msg 7 is in flight, but the program's receive filter does not take it; msg 8 is in flight, but the protocol's receive refuses it now, and no other was sent"
    )
  })
})
