/**
 * Bounded liveness: the simulator's reading of `eventually` and `leadsTo` on one finite run. A run
 * cannot show that a goal never comes, only that it did not come in time: a property still waiting
 * when the run ended is `violated` when nothing more could happen (the run completed or ended
 * stuck), or when it has waited more than `within` steps after the later of its trigger and the
 * run's last fault (drop, duplicate, crash: faults are assumed to stop); otherwise it is `open`
 * (the run ended at its step or time limit too soon to tell). The model checker's verdicts on all
 * fair runs are `checker/Liveness.ts`'s; this is weaker, and said to be.
 *
 * @since 0.1.0
 */
import type { System } from "../core/System.ts"
import type { RunResult } from "./Engine.ts"

/** The verdict on one liveness property in one run. */
export interface RunVerdict {
  readonly name: string
  readonly status: "met" | "violated" | "open"
  /** When violated or open: the step since which it waited, and the run's last fault step (-1: none). */
  readonly since?: number
  readonly lastFault?: number
  /** Whether the run lost a message or a node (a drop or a crash) before it ended waiting. */
  readonly afterLoss?: boolean
}

/**
 * The verdicts of one run on the system's liveness properties.
 *
 * @example
 * import * as PingPongSystem from "../test/fixtures/PingPongSystem.ts"
 * import * as Property from "../core/Property.ts"
 * const base = PingPongSystem.system()
 * const never = Property.eventually(base.protocol, "never", () => false)
 * const system = { ...base, properties: [never] }
 * const result = { events: [], end: { type: "end", status: "completed", steps: 3, time: 0, violation: null, blocked: [] }, pendingLiveness: new Map([["never", 0]]) } as never
 * judgeRun(system, result, 100)[0]!.status // => "violated"
 */
export const judgeRun = (system: System, result: Pick<RunResult, "events" | "end" | "pendingLiveness">, within: number): ReadonlyArray<RunVerdict> => {
  let lastFault = -1
  let loss = false
  for (const e of result.events) {
    if (e.type === "drop" || e.type === "duplicate" || e.type === "crash") lastFault = Math.max(lastFault, e.step)
    if (e.type === "drop" || e.type === "crash") loss = true
  }
  return system.properties
    .filter((p) => p.kind === "eventually" || p.kind === "leadsTo")
    .map((p): RunVerdict => {
      const since = result.pendingLiveness.get(p.name)
      if (since === undefined) return { name: p.name, status: "met" }
      const ended = result.end.status === "completed" || result.end.status === "stuck"
      const late = result.end.steps - Math.max(since, lastFault) > within
      return { name: p.name, status: ended || late ? "violated" : "open", since, lastFault, afterLoss: loss }
    })
}
