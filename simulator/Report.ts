/**
 * Human-readable reports of simulation results: a trace as one line per step (with each node's
 * local-state change under it), a run's end with its violation explained, a batch's summary and
 * its progress line. The command line prints these; tests read them. Values are written as compact
 * JavaScript-like literals (`{era:0,data:0}`), not the NDJSON of the trace file.
 *
 * @since 0.1.0
 */
import * as Step from "../core/Step.ts"
import type { System } from "../core/System.ts"
import * as FaultPlan from "./FaultPlan.ts"
import type { Wait } from "./Engine.ts"
import type { Progress, SimulateOptions, StuckRun, Summary } from "./Simulator.ts"
import type { End, Header, Status, Trace, TraceEvent, Violation } from "./Trace.ts"

const identifier = /^[A-Za-z_$][A-Za-z0-9_$]*$/

const literal = (value: unknown): string => {
  if (value === undefined) return "undefined"
  if (value === null || typeof value === "number" || typeof value === "boolean") return String(value)
  if (typeof value === "string") return JSON.stringify(value)
  if (typeof value === "bigint") return `${value}n`
  if (Array.isArray(value)) return `[${value.map(literal).join(",")}]`
  if (typeof value === "object") {
    const fields = Object.entries(value as Record<string, unknown>).map(
      ([k, v]) => `${identifier.test(k) ? k : JSON.stringify(k)}:${literal(v)}`
    )
    return `{${fields.join(",")}}`
  }
  return String(value)
}

/**
 * A value as a compact JavaScript-like literal, cut to `max` characters (with `…`) so that one
 * large state cannot make a trace unreadable; the trace file keeps the full value.
 *
 * @example
 * compact({ era: 0, data: "x", "two words": [1, 2] }) // => '{era:0,data:"x","two words":[1,2]}'
 */
export const compact = (value: unknown, max = 200): string => {
  const text = literal(value)
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** A record tagged by a string `tag` or `_tag` field (a case of a union), split into its tag and other fields. */
const tagOf = (value: unknown): { readonly tag: string; readonly rest: Record<string, unknown> } | undefined => {
  if (!isRecord(value)) return undefined
  const key = typeof value.tag === "string" ? "tag" : typeof value._tag === "string" ? "_tag" : undefined
  if (key === undefined) return undefined
  const { [key]: tag, ...rest } = value
  return { tag: tag as string, rest }
}

const sameKeys = (a: Record<string, unknown>, b: Record<string, unknown>) => {
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k))
}

/** The changes of one field at `path`: nested records of the same shape are followed, appends shown as `+=`. */
const changes = (path: string, before: unknown, after: unknown): Array<string> => {
  if (literal(before) === literal(after)) return []
  const from = tagOf(before)
  const to = tagOf(after)
  if (from !== undefined && to !== undefined && from.tag !== to.tag) {
    // A tagged state moved to another case: the old case's fields were shown when it was entered.
    return [`${path} ${from.tag} → ${to.tag}${Object.keys(to.rest).length === 0 ? "" : compact(to.rest, 120)}`]
  }
  if (isRecord(before) && isRecord(after) && sameKeys(before, after)) {
    return Object.keys(after).flatMap((k) => changes(`${path}.${k}`, before[k], after[k]))
  }
  if (Array.isArray(before) && Array.isArray(after) && after.length > before.length) {
    const prefix = after.slice(0, before.length)
    if (literal(prefix) === literal(before)) return [`${path} += ${after.slice(before.length).map((x) => compact(x, 120)).join(", ")}`]
  }
  return [`${path} ${compact(before, 120)} → ${compact(after, 120)}`]
}

/**
 * What changed between two local states of a node, field by field: only the top-level fields that
 * differ (`phase "init" → "sent"`), following nested records whose shape did not change
 * (`phase.votes …`), showing elements appended to an array as `+=` and a tagged record that changes
 * case as `old → new{fields}`. A value that is not a record is shown whole. Empty when nothing
 * changed.
 *
 * @example
 * localChange({ phase: "init", votes: 0 }, { phase: "sent", votes: 0 }) // => 'phase "init" → "sent"'
 * localChange({ phase: { tag: "wait", votes: ["p1"] } }, { phase: { tag: "wait", votes: ["p1", "p2"] } }) // => 'phase.votes += "p2"'
 * localChange({ phase: { tag: "init" } }, { phase: { tag: "sent", data: 1 } }) // => "phase init → sent{data:1}"
 */
export const localChange = (before: unknown, after: unknown): string => {
  if (literal(before) === literal(after)) return ""
  if (!isRecord(before) || !isRecord(after)) return `${compact(before)} → ${compact(after)}`
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])]
  return keys
    .flatMap((k) => {
      if (!Object.hasOwn(before, k)) return [`${k} (absent) → ${compact(after[k], 120)}`]
      if (!Object.hasOwn(after, k)) return [`${k} ${compact(before[k], 120)} → (absent)`]
      return changes(k, before[k], after[k])
    })
    .join("; ")
}

/**
 * The initial local state of every node of a system, keyed by node: the starting point for the
 * local-state changes `formatTrace` shows.
 *
 * @example
 * import * as PingPongSystem from "../test/fixtures/PingPongSystem.ts"
 * initialLocals(PingPongSystem.system()).get("q1") // => { seen: [], stopped: false }
 */
export const initialLocals = (system: System): ReadonlyMap<string, unknown> => {
  const semantics = Step.make(system.protocol, system.topology, Step.reorderOnly)
  return new Map(system.topology.all.map((node) => [node, semantics.local(semantics.initial, node)]))
}

/** Options of `formatTrace`. */
export interface FormatTraceOptions {
  /** Each node's local state before the first step (see `initialLocals`). Without it, a node's first state is shown whole. */
  readonly initial?: ReadonlyMap<string, unknown> | undefined
}

const parametersText = (parameters: { readonly [name: string]: number }): string => {
  const entries = Object.entries(parameters)
  return entries.length === 0 ? "default sizes" : entries.map(([k, v]) => `${k}=${v}`).join(" ")
}

/**
 * A fault plan as its preset name when it is exactly one, otherwise as its command-line settings.
 *
 * @example
 * import { reorder } from "./FaultPlan.ts"
 * faultsText(reorder) // => "reorder"
 */
export const faultsText = (plan: FaultPlan.FaultPlan): string => {
  const text = FaultPlan.format(plan)
  const preset = Object.entries(FaultPlan.presets).find(([, p]) => FaultPlan.format(p) === text)
  return preset === undefined ? text : preset[0]
}

const firstLine = (text: string) => text.split("\n")[0] ?? ""

const detailText = (detail: unknown): string => (typeof detail === "string" ? firstLine(detail) : compact(detail))

/** The one-line description of an event, without its step and time. */
const describe = (event: TraceEvent): string => {
  switch (event.type) {
    case "send": {
      const base = `${event.node} → ${event.to}  ${event.tag} ${compact(event.payload)}  [${event.transition}]`
      return event.msg < 0 ? `${base}  REFUSED by the protocol` : `${base}  msg ${event.msg}`
    }
    case "deliver":
      return `${event.node} ← ${event.from}  ${event.tag} ${compact(event.payload)}  [${event.transition}]  msg ${event.msg}`
    case "timeout":
      return `${event.node}: timeout (nothing to receive)`
    case "wake":
      return `${event.node}: wakes up`
    case "drop":
      return `network drops msg ${event.msg} (${event.from} → ${event.to}  ${event.tag} ${compact(event.payload)})`
    case "duplicate":
      return `network duplicates msg ${event.msg} as msg ${event.copy} (${event.from} → ${event.to}  ${event.tag} ${compact(event.payload)})`
    case "crash":
      return `${event.node} CRASHES`
    case "restart":
      return `${event.node} restarts`
    case "exit":
      return event.outcome === "done"
        ? `${event.node}: program done${event.detail === null ? "" : ` (${compact(event.detail)})`}`
        : `${event.node}: program FAILED: ${detailText(event.detail)}`
  }
}

/**
 * A violation explained on one or more lines: the invariant that became false; or the protocol
 * violation (node, program, transition, reason, attempted message and local state); or the
 * program that failed.
 *
 * @example
 * formatViolation({ kind: "invariant", property: "responseCorrect", step: 3 })
 * // => 'invariant "responseCorrect" is false after step 3'
 */
export const formatViolation = (violation: Violation): string => {
  switch (violation.kind) {
    case "invariant":
      return `invariant "${violation.property}" is false after step ${violation.step}`
    case "protocol": {
      const via = violation.transition === null ? "" : ` via ${violation.transition}`
      return [
        `ProtocolViolation at step ${violation.step}: ${violation.node} (program ${violation.program}) may not send ${violation.attempted.tag} to ${violation.attempted.to}${via}: ${violation.reason}`,
        `  attempted: ${violation.attempted.tag} ${compact(violation.attempted.payload)} → ${violation.attempted.to}`,
        `  local state of ${violation.node}: ${compact(violation.local, 400)}`
      ].join("\n")
    }
    case "program":
      return `program ${violation.program} on ${violation.node} failed at step ${violation.step}: ${firstLine(violation.error)}`
  }
}

const statusText: { readonly [S in Status]: string } = {
  completed: "completed: every program finished",
  stuck: "stuck: nothing more can happen, but some programs have not finished",
  limit: "stopped at the step or time limit",
  violation: "VIOLATION"
}

/**
 * How a run ended: its status, steps and simulated time, the nodes still blocked, and the
 * violation explained. A protocol-level run has no programs, so it completes when no transition
 * is enabled.
 *
 * @example
 * formatEnd({ type: "end", status: "completed", steps: 4, time: 12, violation: null, blocked: [] })
 * // => "end: completed: every program finished (4 steps, 12ms)"
 * formatEnd({ type: "end", status: "completed", steps: 4, time: 12, violation: null, blocked: [] }, "protocol")
 * // => "end: completed: no transition is enabled (4 steps, 12ms)"
 */
export const formatEnd = (end: End, level: Header["level"] = "programs"): string => {
  const status = level === "protocol" && end.status === "completed" ? "completed: no transition is enabled" : statusText[end.status]
  const lines = [`end: ${status} (${end.steps} steps, ${end.time}ms)`]
  if (end.violation !== null) lines.push(...formatViolation(end.violation).split("\n").map((l) => `  ${l}`))
  if (end.blocked.length > 0) lines.push(`  blocked (waiting or down): ${end.blocked.join(", ")}`)
  return lines.join("\n")
}

/**
 * A trace for humans: its header, one line per event with step and simulated time, the acting
 * node's local-state change on an indented line under it, and the end.
 *
 * @example
 * import { reorder } from "./FaultPlan.ts"
 * const text = formatTrace({
 *   header: { type: "run", format: 1, system: "calculator", level: "programs", parameters: {}, seed: 1, faults: reorder, maxSteps: 10, maxTime: 100 },
 *   events: [{ type: "send", step: 1, time: 0, node: "c1", tag: "req", to: "s1", payload: { args: [0, 0] }, msg: 0, transition: "clientSend", local: { pending: [{ peer: "s1", args: [0, 0] }] } }],
 *   end: { type: "end", status: "stuck", steps: 1, time: 0, violation: null, blocked: ["c1"] }
 * }, { initial: new Map([["c1", { pending: [] }]]) })
 * text.includes("c1 → s1  req {args:[0,0]}  [clientSend]  msg 0") // => true
 * text.includes('c1: pending += {peer:"s1",args:[0,0]}') // => true
 */
export const formatTrace = (trace: Trace, options: FormatTraceOptions = {}): string => {
  const { header, events, end } = trace
  const locals = new Map<string, unknown>(options.initial ?? [])
  const stepWidth = String(Math.max(end.steps, 1)).length
  const timeWidth = `${end.time}ms`.length
  const indent = " ".repeat(stepWidth + 2 + timeWidth + 2)
  const lines = [
    `trace of ${header.system}  ${parametersText(header.parameters)}  seed ${header.seed}  faults ${faultsText(header.faults)}  (${end.steps} steps)`
  ]
  const lasso = header.lasso
  let cycleMarked = false
  if (lasso !== undefined) lines.push(`  stem of the lasso violating ${lasso.property}: steps 1–${lasso.stem}`)
  for (const event of events) {
    if (lasso !== undefined && !cycleMarked && event.step > lasso.stem) {
      cycleMarked = true
      lines.push(`  ↻ cycle: steps ${lasso.stem + 1}–${lasso.stem + lasso.cycle}, one turn; it repeats for ever (back to the state after step ${lasso.stem})`)
    }
    lines.push(`${String(event.step).padStart(stepWidth)}  ${`${event.time}ms`.padStart(timeWidth)}  ${describe(event)}`)
    if (event.type === "send" || event.type === "deliver" || event.type === "restart") {
      const node = event.node
      const change = locals.has(node) ? localChange(locals.get(node), event.local) : compact(event.local)
      if (change.length > 0) lines.push(`${indent}${node}: ${change}`)
      locals.set(node, event.local)
    }
  }
  if (lasso?.stutters === true) lines.push(`  ↻ the run stops here for ever: no send, receive or restart is enabled (only faults, which stop)`)
  lines.push(formatEnd(end, header.level))
  return lines.join("\n")
}

const listed = (items: ReadonlyArray<number | string>) => items.join(", ")

/**
 * Why a node had not finished when its run ended, in a line: what it waits for, and what became of
 * every message of the awaited tags sent to it (received earlier, dropped, or in flight but not
 * taken), or that none was sent.
 *
 * @example
 * formatWait({ node: "p2", kind: "receive", tags: ["commit", "abort"], from: null, messages: [{ msg: 7, from: "c", tag: "commit", fate: "dropped", step: 12 }] })
 * // => "p2 waits for commit|abort; the only such message, msg 7, was dropped at step 12 and nothing retransmits"
 * formatWait({ node: "c", kind: "receive", tags: ["yes", "no"], from: null, messages: [{ msg: 3, from: "p1", tag: "yes", fate: "received", step: 6 }, { msg: 4, from: "p2", tag: "yes", fate: "received", step: 8 }] })
 * // => "c waits for yes|no; msgs 3, 4 were received earlier (steps 6, 8), and no other was sent"
 * formatWait({ node: "p1", kind: "down", since: 9 }) // => "p1 is down: it crashed at step 9 and did not restart"
 */
export const formatWait = (wait: Wait): string => {
  switch (wait.kind) {
    case "down":
      return `${wait.node} is down: it crashed at step ${wait.since} and did not restart`
    case "send":
      return `${wait.node} was about to send when the run ended`
    case "poll":
    case "sleep":
      return `${wait.node} was waiting on a timer when the run ended`
    case "receive": {
      const what = `${wait.node} waits for ${wait.tags.join("|")}${wait.from === null ? "" : ` from ${wait.from}`}`
      const ms = wait.messages
      if (ms.length === 0) return `${what}; no such message was sent to it`
      const dropped = ms.filter((m) => m.fate === "dropped")
      if (dropped.length === ms.length) {
        return dropped.length === 1
          ? `${what}; the only such message, msg ${dropped[0]!.msg}, was dropped at step ${dropped[0]!.step} and nothing retransmits`
          : `${what}; all ${dropped.length} such messages (msgs ${listed(dropped.map((m) => m.msg))}) were dropped (steps ${listed(dropped.map((m) => m.step!))}) and nothing retransmits`
      }
      const group = (fate: string, one: string, many: string, steps: boolean): Array<string> => {
        const of = ms.filter((m) => m.fate === fate)
        if (of.length === 0) return []
        const at = steps ? ` (step${of.length === 1 ? "" : "s"} ${listed(of.map((m) => m.step ?? "?"))})` : ""
        return [of.length === 1 ? `msg ${of[0]!.msg} ${one}${at}` : `msgs ${listed(of.map((m) => m.msg))} ${many}${at}`]
      }
      const parts = [
        ...group("received", "was received earlier", "were received earlier", true),
        ...group("dropped", "was dropped", "were dropped", true),
        ...group("unmatched", "is in flight, but the program's receive filter does not take it", "are in flight, but the program's receive filter does not take them", false),
        ...group("refused", "is in flight, but the protocol's receive refuses it now", "are in flight, but the protocol's receive refuses them now", false),
        ...group("receivable", "is in flight and receivable (the run ended first)", "are in flight and receivable (the run ended first)", false)
      ]
      return `${what}; ${parts.join("; ")}, and no other was sent`
    }
  }
}

/**
 * A stuck run explained: which run, whether it is excused (it lost a message or a node), and what
 * each blocked node waits for, one line each.
 */
export const formatStuck = (stuck: StuckRun): string => {
  const { trace } = stuck
  const why = stuck.excused
    ? "after a loss (a drop or a crash)"
    : "with no message or node lost: a deadlock of the programs"
  return [
    `stuck run: run ${stuck.run} (seed ${trace.header.seed}), ${trace.end.steps} steps, ${why}`,
    ...stuck.waits.map((w) => `  ${formatWait(w)}`)
  ].join("\n")
}

const count = (n: number) => Math.round(n).toLocaleString("en-US")

const seconds = (ms: number) => (ms < 10_000 ? `${(ms / 1000).toFixed(2)}s` : `${(ms / 1000).toFixed(1)}s`)

const rate = (steps: number, ms: number) => (ms <= 0 ? "-" : count((steps * 1000) / ms))

/**
 * The progress line of a long batch.
 *
 * @example
 * formatProgress({ runsDone: 120, runs: 1000, steps: 45000, violations: 0, elapsedMs: 1000 })
 * // => "120/1000 runs, 45,000 steps, 45,000 steps/s, 0 violations"
 */
export const formatProgress = (progress: Progress): string =>
  `${progress.runsDone}/${progress.runs} runs, ${count(progress.steps)} steps, ${rate(progress.steps, progress.elapsedMs)} steps/s, ${progress.violations} violation${progress.violations === 1 ? "" : "s"}`

/** What `formatSummary` needs to know of the batch besides its summary. */
export type SummaryOptions = Pick<SimulateOptions, "name" | "parameters" | "seed" | "runs" | "faults">

/**
 * A batch's summary: runs, total steps, wall time and steps per second, how the runs ended, how
 * many runs reached each `sometimes` property (with a warning for any never reached), and the
 * first violation.
 *
 * @example
 * import { reorder } from "./FaultPlan.ts"
 * const text = formatSummary(
 *   { runs: 2, steps: 20, elapsedMs: 10, statuses: { completed: 2, stuck: 0, limit: 0, violation: 0 }, witnessed: new Map([["responseArrives", 2]]), violations: 0, firstFailure: undefined, lastTrace: undefined },
 *   { name: "calculator", parameters: {}, seed: 1, runs: 2, faults: reorder }
 * )
 * text.includes("responseArrives  reached in 2/2 runs") // => true
 */
export const formatSummary = (summary: Summary, options: SummaryOptions): string => {
  const stopped = summary.runs < options.runs ? ` (of ${options.runs}; stopped at the first violation)` : ""
  const lines = [
    `${options.name}  ${parametersText(options.parameters)}  seed ${options.seed}  faults ${faultsText(options.faults)}`,
    `runs        ${summary.runs}${stopped}`,
    `steps       ${count(summary.steps)} in ${seconds(summary.elapsedMs)} (${rate(summary.steps, summary.elapsedMs)} steps/s${summary.firstFailure?.shrunk === undefined ? "" : ", including shrinking"})`,
    `status      ${(["completed", "stuck", "limit", "violation"] as const).map((s) => `${s} ${summary.statuses[s]}`).join("  ")}`
  ]
  const witnessed = [...summary.witnessed]
  const nameWidth = Math.max(0, ...witnessed.map(([name]) => name.length))
  witnessed.forEach(([name, runs], i) => {
    lines.push(`${i === 0 ? "sometimes   " : "            "}${name.padEnd(nameWidth)}  reached in ${runs}/${summary.runs} runs`)
  })
  const liveness = [...(summary.liveness ?? [])]
  const liveWidth = Math.max(0, ...liveness.map(([name]) => name.length))
  liveness.forEach(([name, t], i) => {
    const excused = t.afterLoss > 0 ? ` (${t.afterLoss} after a loss: not counted as failures)` : ""
    const first = t.first === undefined ? "" : `; first in run ${t.first.run}, waiting since step ${t.first.since}${t.first.lastFault >= 0 ? `, last fault at step ${t.first.lastFault}` : ""}`
    lines.push(
      `${i === 0 ? "liveness    " : "            "}${name.padEnd(liveWidth)}  bounded (goal within ${t.within} steps after its trigger and the last fault, or before the run ends): met in ${t.met}/${summary.runs} runs, violated in ${t.violated}${excused}, open in ${t.open}${first}`
    )
  })
  // A batch cut short by a violation says nothing about reachability, so it gets no warnings.
  for (const [name, runs] of witnessed) {
    if (runs === 0 && stopped.length === 0) {
      lines.push(`warning: sometimes property "${name}" was never reached in ${summary.runs} runs; the invariants may hold vacuously`)
    }
  }
  const stuck = summary.stuck
  if (summary.statuses.stuck > 0 && stuck !== undefined) {
    const n = summary.statuses.stuck
    if (stuck.unexcused > 0) {
      lines.push(`stuck       ${stuck.unexcused} of ${n} stuck run${n === 1 ? "" : "s"} lost no message and no node: the programs deadlock (a failure)`)
    } else {
      lines.push(
        `stuck       ${n === 1 ? "the stuck run" : `all ${n} stuck runs`} lost a message or a node first, which the plan allows: not counted as failures (a program that waits for what was lost stays stuck when nothing sends it again)`
      )
    }
    if (stuck.first !== undefined) lines.push(...formatStuck(stuck.first).split("\n").map((l, i) => (i === 0 ? `first ${l}` : l)))
  }
  lines.push(`violations  ${summary.violations}`)
  const failure = summary.firstFailure
  if (failure !== undefined) {
    const violation = failure.trace.end.violation
    const what = violation === null ? "violation" : firstLine(formatViolation(violation))
    const shrunk =
      failure.shrunk === undefined
        ? ""
        : `; shrunk from ${failure.trace.end.steps} to ${failure.shrunk.end.steps} steps in ${failure.shrinkAttempts} replays${
            failure.shrunkProtocol === undefined
              ? ""
              : `; the protocol's transitions alone, without the programs, reach it in ${failure.shrunkProtocol.end.steps} steps`
          }`
    lines.push(`first violation: run ${failure.run} (seed ${failure.trace.header.seed}): ${what}${shrunk}`)
  }
  return lines.join("\n")
}
