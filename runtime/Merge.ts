/**
 * Merging the journals of a cluster's nodes into one simulator trace (`simulator/Trace.ts`), which
 * `Simulator.replay` — and so `protoweave replay` — re-runs against the same programs, checking
 * every invariant after every step. Each node's journal orders its own steps; a message's delivery
 * must come after its send; within those constraints steps are taken in order of their wall-clock
 * times. Times become milliseconds since the first node started, never decreasing. A node that was
 * started again on its journal appears as a crash and a restart.
 *
 * A program's end is journaled after its last step, in a later turn of the event loop whenever the
 * program yielded after that step (the node's driver yields after every `releaseEvery` sends, a
 * fiber after its budget of operations, a program when it likes), and a node cannot know a step is
 * the last before its program returns: a power cut can leave the last step durable and lose the
 * `exit`.
 * The node started again then runs the program from that step's local state, and it ends again. In
 * the simulator, as on the node before the cut, the program ended right after its last step, so the
 * merge asks the simulator (`Simulator.replay`) where each program ends, and an end the replay
 * shows right after a node's last step before a crash of that node, which its journal lost, is put
 * back there and listed in `lostExits`: nothing else is added, and every other difference is left
 * for the replay to report.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import type { System } from "../core/System.ts"
import type { FaultPlan, ScheduledFault } from "../simulator/FaultPlan.ts"
import { replay } from "../simulator/Replay.ts"
import { type Decision, type End, programsHeader, type Trace, type TraceEvent, type Violation } from "../simulator/Trace.ts"
import type { JournalRecord } from "./Journal.ts"
import * as Wire from "./Wire.ts"

/** Journals that do not fit together (a delivery whose send is in no journal, a foreign journal). */
export class MergeError extends Error {
  override readonly name = "MergeError"
}

/** One node's step, before global numbering. */
type Local =
  | { readonly kind: "send"; readonly time: number; readonly key: string; readonly tag: string; readonly to: string; readonly payload: unknown; readonly transition: string; readonly local: unknown }
  | { readonly kind: "deliver"; readonly time: number; readonly key: string; readonly from: string; readonly tag: string; readonly payload: unknown; readonly transition: string; readonly local: unknown }
  | { readonly kind: "timeout" | "wake"; readonly time: number; readonly ms: number }
  | { readonly kind: "restart"; readonly time: number; readonly local: unknown }
  | { readonly kind: "exit"; readonly time: number; readonly outcome: "done" | "failed"; readonly detail: unknown }
  | {
      readonly kind: "violation"
      readonly time: number
      readonly tag: string
      readonly to: string
      readonly payload: unknown
      readonly transition: string | null
      readonly reason: string
      readonly local: unknown
    }

const messageKey = (from: string, instance: string, to: string, seq: number) => `${from}#${instance}>${to}:${seq}`

/** A node's steps, read from its journal, with payloads and local states decoded by their Schemas. */
const stepsOf = (system: System, node: string, records: ReadonlyArray<JournalRecord>, codec: Wire.Codec): { steps: Array<Local>; start: number | undefined } => {
  const role = system.topology.roleOf.get(node) as string
  const decodeLocal = Schema.decodeUnknownSync(Schema.toCodecJson(system.protocol.roles[role]!.state as Schema.Codec<unknown, unknown>))
  const steps: Array<Local> = []
  const arrived = new Map<string, { tag: string; payload: unknown }>()
  let instance: string | undefined
  let start: number | undefined
  for (const record of records) {
    switch (record.r) {
      case "init":
        if (record.node !== node) throw new MergeError(`the journal given for "${node}" belongs to "${record.node}"`)
        instance = record.instance
        break
      case "snapshot":
        throw new MergeError(`the journal of "${node}" was compacted; it no longer holds the history a trace needs`)
      case "start":
        start ??= record.time
        if (record.incarnation > 1) steps.push({ kind: "restart", time: record.time, local: decodeLocal(record.local) })
        break
      case "send":
        steps.push({
          kind: "send",
          time: record.time,
          key: messageKey(node, instance ?? "", record.to, record.seq),
          tag: record.tag,
          to: record.to,
          payload: codec.decode(record.tag, record.payload),
          transition: record.transition,
          local: decodeLocal(record.local)
        })
        break
      case "in":
        arrived.set(messageKey(record.from, record.instance, node, record.seq), { tag: record.tag, payload: codec.decode(record.tag, record.payload) })
        break
      case "recv": {
        const key = messageKey(record.from, record.instance, node, record.seq)
        const m = arrived.get(key)
        if (m === undefined) throw new MergeError(`the journal of "${node}" consumes message ${record.seq} from ${record.from}, which it never received`)
        steps.push({ kind: "deliver", time: record.time, key, from: record.from, tag: m.tag, payload: m.payload, transition: record.transition, local: decodeLocal(record.local) })
        break
      }
      case "inrecv": {
        const key = messageKey(record.from, record.instance, node, record.seq)
        const payload = codec.decode(record.tag, record.payload)
        steps.push({ kind: "deliver", time: record.time, key, from: record.from, tag: record.tag, payload, transition: record.transition, local: decodeLocal(record.local) })
        break
      }
      case "timeout":
      case "wake":
        steps.push({ kind: record.r, time: record.time, ms: Math.max(0, record.ms) })
        break
      case "exit":
        steps.push({ kind: "exit", time: record.time, outcome: record.outcome, detail: record.detail })
        break
      case "violation":
        steps.push({
          kind: "violation",
          time: record.time,
          tag: record.tag,
          to: record.to,
          payload: record.payload === null ? null : codec.decode(record.tag, record.payload),
          transition: record.transition,
          reason: record.reason,
          local: decodeLocal(record.local)
        })
        break
      case "acked":
        break
    }
  }
  return { steps, start }
}

/** What the merged trace's header says about the run. */
export interface MergeOptions {
  /** The family's name, as `protoweave list` shows it. */
  readonly name: string
  /** Every size parameter of the family, defaults included. */
  readonly parameters: { readonly [name: string]: number }
}

/** A program's end that a node's journal lost to a crash, put back into a merged trace. */
export interface LostExit {
  readonly node: string
  /** The step after which the program ended: the node's last step before the crash. */
  readonly step: number
  /** The step of the crash that took the journal's `exit` record. */
  readonly crash: number
}

/** A merged trace, with the program ends it put back (`LostExit`). */
export interface MergedTrace extends Trace {
  readonly lostExits: ReadonlyArray<LostExit>
}

/**
 * Merges the journals of every node of `system` (by node id) into one trace, with the program
 * ends their journals lost to crashes put back where the simulator's replay shows them.
 *
 * @example
 * import * as PingPongSystem from "../test/fixtures/PingPongSystem.ts"
 * const system = PingPongSystem.system()
 * const trace = merge(system, { name: "pingpong", parameters: {} }, new Map([
 *   ["p1", [{ r: "init", node: "p1", role: "pinger", instance: "a" }, { r: "start", incarnation: 1, time: 1000, local: { next: 0, acked: [] } }]],
 *   ["q1", [{ r: "init", node: "q1", role: "ponger", instance: "b" }, { r: "start", incarnation: 1, time: 1000, local: { seen: [], stopped: false } }]],
 * ]))
 * trace.end // => { type: "end", status: "stuck", steps: 0, time: 0, violation: null, blocked: ["p1", "q1"] }
 * trace.lostExits // => []
 */
export const merge = (system: System, options: MergeOptions, journals: ReadonlyMap<string, ReadonlyArray<JournalRecord>>): MergedTrace => {
  const merged = fromJournals(system, options, journals)
  let replayed: ReturnType<typeof replay>
  try {
    replayed = replay(system, merged)
  } catch {
    // The trace's own replay fails the same way, and says why.
    return { ...merged, lostExits: [] }
  }
  return replayed.identical ? { ...merged, lostExits: [] } : withLostExits(merged, replayed.trace.events)
}

/**
 * Puts into `merged` each exit that `replayed` (the simulator's events for the same decisions) has
 * and `merged` lacks, when the next event of that node in `merged` is its crash: its program ended
 * after its last step and the crash took the record of that end. It stops at the first other
 * difference (a failed end among them), which the replay of the result then reports.
 */
const withLostExits = (merged: Trace, replayed: ReadonlyArray<TraceEvent>): MergedTrace => {
  const events: Array<TraceEvent> = []
  const lostExits: Array<LostExit> = []
  let i = 0
  let j = 0
  while (i < merged.events.length && j < replayed.length) {
    const m = merged.events[i]!
    const r = replayed[j]!
    if (JSON.stringify(m) === JSON.stringify(r)) {
      events.push(m)
      i++
      j++
      continue
    }
    // A failed end stops the simulated run there, while the node went on after it: not put back.
    if (r.type !== "exit" || r.outcome !== "done") break
    const next = merged.events.slice(i).find((e) => "node" in e && e.node === r.node)
    if (next?.type !== "crash") break
    events.push(r)
    lostExits.push({ node: r.node, step: r.step, crash: next.step })
    j++
  }
  events.push(...merged.events.slice(i))
  return { ...merged, events, lostExits }
}

/** The journals' steps merged in order, each node's steps as its journal has them. */
const fromJournals = (system: System, options: MergeOptions, journals: ReadonlyMap<string, ReadonlyArray<JournalRecord>>): Trace => {
  const codec = new Wire.Codec(system.protocol, system.topology)
  const nodes = system.topology.all
  const queues = new Map<string, Array<Local>>()
  let origin = Infinity
  for (const node of nodes) {
    const records = journals.get(node)
    if (records === undefined) throw new MergeError(`no journal for node "${node}"`)
    const { steps, start } = stepsOf(system, node, records, codec)
    queues.set(node, steps)
    if (start !== undefined) origin = Math.min(origin, start)
  }
  for (const node of journals.keys()) if (!system.topology.roleOf.has(node)) throw new MergeError(`a journal is given for "${node}", which is not a node of the system`)
  if (origin === Infinity) origin = 0

  const events: Array<TraceEvent> = []
  const schedule: Array<ScheduledFault> = []
  const sent = new Map<string, number>()
  const lastDecision = new Map<string, number>(nodes.map((n) => [n, 0]))
  let step = 0
  let now = 0
  let messages = 0
  let violation: Violation | null = null
  const running = new Set(nodes.filter((n) => system.programs.has(n)))

  const ready = (node: string): Local | undefined => {
    const head = queues.get(node)![0]
    if (head === undefined) return undefined
    if (head.kind === "deliver" && !sent.has(head.key)) return undefined
    return head
  }
  /** An exit follows the decision that ended the program, at its step and time. */
  const exits = (node: string) => {
    const queue = queues.get(node)!
    while (queue[0]?.kind === "exit") {
      const e = queue.shift() as Extract<Local, { kind: "exit" }>
      events.push({ type: "exit", step, time: now, node, outcome: e.outcome, detail: e.detail })
      running.delete(node)
      if (e.outcome === "failed" && violation === null) {
        violation = { kind: "program", node, program: system.programs.get(node)?.name ?? "", error: String(e.detail), step }
      }
    }
  }
  for (const node of nodes) exits(node)
  while (violation === null) {
    let chosen: string | undefined
    let earliest = Infinity
    for (const node of nodes) {
      const head = ready(node)
      if (head !== undefined && head.time < earliest) {
        earliest = head.time
        chosen = node
      }
    }
    if (chosen === undefined) break
    const head = queues.get(chosen)!.shift()!
    const wait = head.kind === "timeout" || head.kind === "wake" ? lastDecision.get(chosen)! + head.ms : 0
    now = Math.max(now, head.time - origin, wait)
    const stamp = { step: step + 1, time: now }
    let decision: Decision
    switch (head.kind) {
      case "send":
        sent.set(head.key, messages)
        decision = { type: "send", ...stamp, node: chosen, tag: head.tag, to: head.to, payload: head.payload, msg: messages++, transition: head.transition, local: head.local }
        break
      case "deliver":
        decision = { type: "deliver", ...stamp, node: chosen, msg: sent.get(head.key)!, from: head.from, tag: head.tag, payload: head.payload, transition: head.transition, local: head.local }
        break
      case "timeout":
      case "wake":
        decision = { type: head.kind, ...stamp, node: chosen }
        break
      case "restart":
        events.push({ type: "crash", ...stamp, node: chosen })
        schedule.push({ step: stamp.step, fault: "crash", node: chosen }, { step: stamp.step + 1, fault: "restart", node: chosen })
        step++
        if (system.programs.has(chosen)) running.add(chosen)
        decision = { type: "restart", step: step + 1, time: now, node: chosen, local: head.local }
        break
      case "violation":
        decision = { type: "send", ...stamp, node: chosen, tag: head.tag, to: head.to, payload: head.payload, msg: -1, transition: head.transition ?? "", local: head.local }
        violation = {
          kind: "protocol",
          node: chosen,
          program: system.programs.get(chosen)?.name ?? "",
          transition: head.transition,
          reason: head.reason,
          attempted: { tag: head.tag, to: head.to, payload: head.payload },
          local: head.local,
          step: stamp.step
        }
        break
      case "exit":
        throw new MergeError("internal: an exit is not a decision")
    }
    events.push(decision)
    step = decision.step
    lastDecision.set(chosen, now)
    exits(chosen)
  }
  if (violation === null) {
    const stuck = nodes.find((n) => queues.get(n)!.length > 0)
    if (stuck !== undefined) {
      const head = queues.get(stuck)![0]!
      throw new MergeError(`the journal of "${stuck}" has a step that no order of the journals allows: ${JSON.stringify(head).slice(0, 200)}`)
    }
  }
  const blocked = nodes.filter((n) => running.has(n) && system.programs.get(n)?.daemon !== true)
  const faults: FaultPlan = { drop: 0, duplicate: 0, crash: 0, restart: 0, maxCrashed: nodes.length, delay: { min: 0, max: 0 }, schedule }
  const header = programsHeader({ system: options.name, parameters: options.parameters, seed: 0, faults, maxSteps: step + 1, maxTime: Math.max(1, Math.ceil(now)) })
  const end: End = {
    type: "end",
    status: violation !== null ? "violation" : blocked.length === 0 ? "completed" : "stuck",
    steps: step,
    time: now,
    violation,
    blocked
  }
  return { header, events, end }
}
