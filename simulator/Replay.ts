/**
 * Strict replay of a recorded trace: the engine takes exactly the recorded decisions at the
 * recorded times, and every event, every local state and the run's end must come out as recorded.
 * A trace of level `protocol` is replayed without the programs (its steps say who sends what).
 * This is how `protoweave replay` reproduces a run, and how every shrunk trace is confirmed.
 *
 * @since 0.1.0
 */
import type { System } from "../core/System.ts"
import type { Candidate, Chooser, RunResult } from "./Engine.ts"
import * as Engine from "./Engine.ts"
import { type Decision, decisionsOf, type Trace } from "./Trace.ts"

const candidateOf = (d: Decision): Candidate => {
  switch (d.type) {
    case "send":
      return { type: "send", node: d.node, message: { tag: d.tag, to: d.to, payload: d.payload } }
    case "timeout":
    case "wake":
    case "crash":
    case "restart":
      return { type: d.type, node: d.node }
    case "deliver":
      return { type: "deliver", node: d.node, msg: d.msg }
    case "drop":
    case "duplicate":
      return { type: d.type, msg: d.msg }
  }
}

/** A replayed trace that does not match what the programs and the protocol do now. */
export class ReplayDivergence extends Error {
  override readonly name = "ReplayDivergence"
}

/** Takes exactly the recorded decisions at the recorded times, and checks each result. */
const strictChooser = (trace: Trace): Chooser => {
  const decisions = decisionsOf(trace.events)
  let i = 0
  return {
    delay: () => 0,
    choose: () => {
      const d = decisions[i]
      if (d === undefined) return { end: trace.end.status === "limit" ? "limit" : "quiescent" }
      return { candidate: candidateOf(d), time: d.time }
    },
    applied: (event) => {
      const expected = decisions[i++]
      if (JSON.stringify(expected) !== JSON.stringify(event)) {
        throw new ReplayDivergence(`step ${event.step}: the trace has\n  ${JSON.stringify(expected)}\nbut the replay did\n  ${JSON.stringify(event)}`)
      }
    }
  }
}

/** The result of replaying a trace. */
export interface Replayed {
  readonly trace: Trace
  /** Whether every event and the end line came out exactly as recorded. */
  readonly identical: boolean
  /** Where the replay first differs from the recording, if it does. */
  readonly difference: string | undefined
  /** What each node blocked at the end of the replay waited for (see `Engine.Wait`); empty when it diverged. */
  readonly waits: ReadonlyArray<Engine.Wait>
}

/**
 * Replays a trace against a system: takes exactly the recorded decisions at the recorded times and
 * checks that every event, every local state and the run's end come out the same.
 *
 * @example
 * import * as PingPongSystem from "../test/fixtures/PingPongSystem.ts"
 * import { reorder } from "./FaultPlan.ts"
 * import { runOnce } from "./Simulator.ts"
 * const system = PingPongSystem.system()
 * const { trace } = runOnce(system, { name: "pingpong", parameters: {}, seed: 7, runs: 1, faults: reorder, maxSteps: 1000, maxTime: 60000 })
 * replay(system, trace).identical // => true
 * replay(system, { ...trace, events: trace.events.slice(1) }).identical // => false
 */
export const replay = (system: System, recorded: Trace): Replayed => {
  let result: RunResult
  try {
    const replayed = recorded.header.level === "protocol" ? Engine.withoutPrograms(system) : system
    result = Engine.run(replayed, Engine.optionsOf(recorded.header), strictChooser(recorded))
  } catch (e) {
    if (e instanceof ReplayDivergence || e instanceof Engine.NotEnabled) {
      return { trace: recorded, identical: false, difference: e.message, waits: [] }
    }
    throw e
  }
  const trace = Engine.traceOf(recorded.header, result)
  const a = trace.events.map((e) => JSON.stringify(e))
  const b = recorded.events.map((e) => JSON.stringify(e))
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      return { trace, identical: false, difference: `event ${i + 1}: the trace has\n  ${b[i] ?? "(nothing)"}\nbut the replay did\n  ${a[i] ?? "(nothing)"}`, waits: result.waits }
    }
  }
  if (JSON.stringify(trace.end) !== JSON.stringify(recorded.end)) {
    return { trace, identical: false, difference: `the end differs: the trace has\n  ${JSON.stringify(recorded.end)}\nbut the replay ended\n  ${JSON.stringify(trace.end)}`, waits: result.waits }
  }
  return { trace, identical: true, difference: undefined, waits: result.waits }
}
