/**
 * The deterministic discrete-event engine under the simulator. It runs every node's program as an
 * Effect fiber on a scheduler it drains itself, so a program runs synchronously until it asks the
 * network for something (send, receive, sleep) and then waits for the engine's decision. Each
 * decision is one step of the network semantics (`core/Step.ts`), taken in simulated time.
 *
 * Decisions come from a `Chooser`: random (seeded PRNG and fault plan), strict replay of a trace
 * (any difference is reported as a divergence), or lenient replay of a list of decisions, skipping
 * those that are not enabled (used by the shrinker).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import type * as Scheduler from "effect/Scheduler"
import * as Program from "../core/Program.ts"
import type { ProtocolViolation } from "../core/ProtocolViolation.ts"
import type { Statelet } from "../core/Statelet.ts"
import * as Step from "../core/Step.ts"
import type { System } from "../core/System.ts"
import type { FaultPlan } from "./FaultPlan.ts"
import { faultModel, validate } from "./FaultPlan.ts"
import type { Decision, End, Header, Status, Trace, TraceEvent, Violation } from "./Trace.ts"

/** Runs Effect fibers synchronously: tasks queue here until the engine drains them. */
class DrainedScheduler implements Scheduler.Scheduler {
  readonly executionMode = "sync" as const
  private readonly tasks: Array<() => void> = []
  shouldYield(): boolean {
    return false
  }
  makeDispatcher(): Scheduler.SchedulerDispatcher {
    return { scheduleTask: (task) => void this.tasks.push(task), flush: () => this.drain() }
  }
  drain(): void {
    for (let task = this.tasks.shift(); task !== undefined; task = this.tasks.shift()) task()
  }
}

type Pending =
  | { readonly kind: "send"; readonly tag: string; readonly to: string; readonly payload: unknown; readonly resume: (e: Effect.Effect<void, ProtocolViolation>) => void }
  | { readonly kind: "receive"; readonly filter: Program.RuntimeFilter; readonly resume: (e: Effect.Effect<Program.ReceivedMessage>) => void }
  | {
      readonly kind: "poll"
      readonly filter: Program.RuntimeFilter
      readonly deadline: number
      readonly resume: (e: Effect.Effect<Option.Option<Program.ReceivedMessage>>) => void
    }
  | { readonly kind: "sleep"; readonly deadline: number; readonly resume: (e: Effect.Effect<void>) => void }

interface NodeRun {
  readonly node: string
  readonly program: Program.Program | undefined
  incarnation: number
  fiber: Fiber.Fiber<unknown, unknown> | undefined
  pending: Pending | undefined
  status: "running" | "done" | "failed" | "crashed" | "passive"
}

/** What a chooser sees of the run when it decides. */
export interface EngineView {
  readonly now: number
  readonly step: number
  readonly statelet: Statelet
  /** Decisions enabled now (sends, deliveries whose delay has passed, expired timeouts and sleeps). */
  enabled(): ReadonlyArray<Candidate>
  /** The earliest future time at which something becomes enabled, if any. */
  nextTime(): number | undefined
  /** Nodes that are up and whose program has not ended. */
  liveRunning(): ReadonlyArray<string>
  readonly crashed: ReadonlyArray<string>
  /** Whether delivering message `msg` to its receiver is enabled now, ignoring its delay. */
  deliverable(msg: number): boolean
  pendingOf(node: string): Pending["kind"] | undefined
  /** Whether `node` runs no program, so that a trace chooses its steps. */
  isPassive(node: string): boolean
  /** The deadline of a node's pending poll or sleep. */
  deadlineOf(node: string): number | undefined
}

/** A decision that can be taken now, before the engine stamps it with step and time. */
export type Candidate =
  | {
      readonly type: "send"
      readonly node: string
      /** The message, for a node without a program, whose sends the trace itself chooses. */
      readonly message?: { readonly tag: string; readonly to: string; readonly payload: unknown }
    }
  | { readonly type: "deliver"; readonly node: string; readonly msg: number }
  | { readonly type: "timeout"; readonly node: string }
  | { readonly type: "wake"; readonly node: string }
  | { readonly type: "drop"; readonly msg: number }
  | { readonly type: "duplicate"; readonly msg: number }
  | { readonly type: "crash"; readonly node: string }
  | { readonly type: "restart"; readonly node: string }

/** What a chooser answers: a decision (optionally at a later time), or the end of the run. */
export type Choice =
  | { readonly candidate: Candidate; readonly time?: number }
  | { readonly advance: number }
  | { readonly end: "limit" | "quiescent" }

/** Decides the next step. `applied` is told what each decision produced. */
export interface Chooser {
  choose(view: EngineView): Choice
  applied?(event: Decision, view: EngineView): void
  /** The delay of a newly posted message. */
  delay(): number
}

/** What became of a message a blocked node could have received. */
export interface MessageFate {
  readonly msg: number
  readonly from: string
  readonly tag: string
  /**
   * `received`: consumed by a receive (at `step`); `dropped`: lost by the network (at `step`);
   * `unmatched`: still in flight, but the node's receive filter does not take it; `refused`: still
   * in flight, but the protocol's receive transition does not accept it in the node's state;
   * `receivable`: in flight and receivable (only in a run its chooser ended early, never in a
   * stuck one).
   */
  readonly fate: "received" | "dropped" | "unmatched" | "refused" | "receivable"
  readonly step: number | null
}

/**
 * Why a node had not finished when its run ended: it was down (since its last crash), waiting to
 * receive (with what became of every message of the awaited tags sent to it), or had a pending
 * request that the run ended before taking (a run cut short by its chooser).
 */
export type Wait =
  | { readonly node: string; readonly kind: "down"; readonly since: number }
  | {
      readonly node: string
      readonly kind: "receive"
      readonly tags: ReadonlyArray<string>
      readonly from: string | null
      readonly messages: ReadonlyArray<MessageFate>
    }
  | { readonly node: string; readonly kind: "send" | "poll" | "sleep" }

/** A run's result. */
export interface RunResult {
  readonly events: ReadonlyArray<TraceEvent>
  readonly end: End
  /** The `sometimes` properties that held at some step, with the first such step. */
  readonly witnessed: ReadonlyMap<string, number>
  /**
   * The liveness properties (`eventually`, `leadsTo`) still waiting for their goal when the run
   * ended, with the step since which each waits (`simulator/BoundedLiveness.ts` judges them).
   */
  readonly pendingLiveness: ReadonlyMap<string, number>
  readonly statelet: Statelet
  /** For each node in `end.blocked`, in that order, what it was waiting for. */
  readonly waits: ReadonlyArray<Wait>
}

/** A decision that is not enabled in the current state (a bad schedule or a diverging replay). */
export class NotEnabled extends Error {
  override readonly name = "NotEnabled"
}



/** Options of one run. */
export interface EngineOptions {
  readonly faults: FaultPlan
  readonly maxSteps: number
  readonly maxTime: number
}

/**
 * The options a trace's header records for its run.
 *
 * @example
 * import { reorder } from "./FaultPlan.ts"
 * import { programsHeader } from "./Trace.ts"
 * optionsOf(programsHeader({ system: "calculator", parameters: {}, seed: 1, faults: reorder, maxSteps: 10, maxTime: 100 })).maxSteps // => 10
 */
export const optionsOf = (header: Header): EngineOptions => ({ faults: header.faults, maxSteps: header.maxSteps, maxTime: header.maxTime })

/**
 * A run's result as a trace under `header`.
 *
 * @example
 * import * as PingPongSystem from "../test/fixtures/PingPongSystem.ts"
 * import { randomChooser } from "./Simulator.ts"
 * import * as Prng from "../core/Prng.ts"
 * import { reorder } from "./FaultPlan.ts"
 * import { programsHeader } from "./Trace.ts"
 * const header = programsHeader({ system: "pingpong", parameters: {}, seed: 1, faults: reorder, maxSteps: 1000, maxTime: 60000 })
 * traceOf(header, run(PingPongSystem.system(), optionsOf(header), randomChooser(Prng.make(1), reorder))).end.status // => "completed"
 */
export const traceOf = (header: Header, result: RunResult): Trace => ({ header, events: result.events, end: result.end })

/**
 * A system with its programs removed: the engine takes every node's steps from its chooser, as in
 * a protocol-level run (a walk, a recorded checker path, a protocol-level shrink).
 *
 * @example
 * import * as PingPongSystem from "../test/fixtures/PingPongSystem.ts"
 * withoutPrograms(PingPongSystem.system()).programs.size // => 0
 */
export const withoutPrograms = (system: System): System => ({ ...system, programs: new Map() })

/** A message's content: what identifies it across runs, where its id may differ. */
export interface MessageContent {
  readonly from: string
  readonly to: string
  readonly tag: string
  readonly payload: unknown
}

/**
 * The first active message of `statelet` with this content (and passing `where`). A list of
 * decisions taken from another run finds its messages so, since ids shift when earlier sends go.
 *
 * @example
 * const soup = [{ id: 0, from: "c", to: "s", tag: "req", payload: { args: [1] }, active: true }]
 * activeMessage({ locals: {}, soup, crashed: [] }, { from: "c", to: "s", tag: "req", payload: { args: [1] } })?.id // => 0
 * activeMessage({ locals: {}, soup, crashed: [] }, { from: "c", to: "s", tag: "req", payload: { args: [2] } }) // => undefined
 */
export const activeMessage = (statelet: Statelet, content: MessageContent, where: (id: number) => boolean = () => true) => {
  const payload = JSON.stringify(content.payload)
  return statelet.soup.find(
    (m) => m.active && m.from === content.from && m.to === content.to && m.tag === content.tag && JSON.stringify(m.payload) === payload && where(m.id)
  )
}

/**
 * Runs one simulation of `system` with decisions from `chooser`.
 *
 * @example
 * import * as PingPongSystem from "../test/fixtures/PingPongSystem.ts"
 * import { randomChooser } from "./Simulator.ts"
 * import * as Prng from "../core/Prng.ts"
 * import { reorder } from "./FaultPlan.ts"
 * const result = run(PingPongSystem.system(), { faults: reorder, maxSteps: 1000, maxTime: 60000 }, randomChooser(Prng.make(1), reorder))
 * result.end.status // => "completed"
 */
export const run = (system: System, options: EngineOptions, chooser: Chooser): RunResult => {
  const semantics = Step.make(system.protocol, system.topology, faultModel(validate(options.faults)))
  const scheduler = new DrainedScheduler()
  const events: Array<TraceEvent> = []
  const witnessed = new Map<string, number>()
  const deliverAt = new Map<number, number>()
  /** Active message ids by receiver, so that finding deliverable messages does not scan history. */
  const inbox = new Map<string, Set<number>>()
  const activate = (msg: number, to: string) => {
    let set = inbox.get(to)
    if (set === undefined) inbox.set(to, (set = new Set()))
    set.add(msg)
  }
  const deactivate = (msg: number, to: string) => inbox.get(to)?.delete(msg)
  const always = system.properties.filter((p) => p.kind === "always")
  const sometimes = system.properties.filter((p) => p.kind === "sometimes")
  const liveness = system.properties.filter((p) => p.kind === "eventually" || p.kind === "leadsTo")
  // An `eventually` waits from the start until its goal first holds; a `leadsTo` from each trigger to the next goal.
  const pendingLiveness = new Map<string, number>(liveness.filter((p) => p.kind === "eventually").map((p) => [p.name, 0]))
  const settled = new Set<string>()
  let statelet: Statelet = semantics.initial
  let now = 0
  let step = 0
  let violation: Violation | undefined

  const nodes = new Map<string, NodeRun>()
  for (const node of system.topology.all) {
    const program = system.programs.get(node)
    nodes.set(node, { node, program, incarnation: 0, fiber: undefined, pending: undefined, status: program === undefined ? "passive" : "running" })
  }

  const setPending = (run: NodeRun, incarnation: number, pending: Pending) => {
    if (run.incarnation !== incarnation) return
    if (run.pending !== undefined) throw new Error(`internal: ${run.node} asked for two things at once`)
    run.pending = pending
  }

  const driver = (run: NodeRun, incarnation: number): Program.Driver => ({
    local: Effect.sync(() => semantics.local(statelet, run.node)),
    now: Effect.sync(() => now),
    send: (tag, to, payload) => Effect.callback<void, ProtocolViolation>((resume) => setPending(run, incarnation, { kind: "send", tag, to, payload, resume })),
    receive: (filter) => Effect.callback<Program.ReceivedMessage>((resume) => setPending(run, incarnation, { kind: "receive", filter, resume })),
    poll: (filter, ms) =>
      Effect.callback<Option.Option<Program.ReceivedMessage>>((resume) =>
        setPending(run, incarnation, { kind: "poll", filter, deadline: now + Math.max(0, ms), resume })
      ),
    sleep: (ms) => Effect.callback<void>((resume) => setPending(run, incarnation, { kind: "sleep", deadline: now + Math.max(0, ms), resume }))
  })

  const start = (run: NodeRun) => {
    const program = run.program!
    const incarnation = ++run.incarnation
    run.pending = undefined
    run.status = "running"
    const node = Program.handle(run.node, program.role, system.topology.nodes, driver(run, incarnation))
    const fiber = Effect.runFork(Effect.suspend(() => program.run(node)), { scheduler })
    run.fiber = fiber
    fiber.addObserver((exit) => {
      if (run.incarnation !== incarnation || run.status === "crashed") return
      if (Exit.isSuccess(exit)) {
        run.status = "done"
        events.push({ type: "exit", step, time: now, node: run.node, outcome: "done", detail: exit.value ?? null })
      } else {
        run.status = "failed"
        const error = Program.describeFailure(exit.cause)
        events.push({ type: "exit", step, time: now, node: run.node, outcome: "failed", detail: error })
        violation ??= { kind: "program", node: run.node, program: program.name, error, step }
      }
    })
    scheduler.drain()
  }

  const checkProperties = () => {
    for (const p of always) {
      let holds: boolean
      try {
        holds = p.holds(statelet as any, system.topology.nodes)
      } catch (e) {
        throw new Error(`property "${p.name}" threw at step ${step}: ${(e as Error).message}`)
      }
      if (!holds) {
        violation ??= { kind: "invariant", property: p.name, step }
        return
      }
    }
    for (const p of sometimes) {
      if (!witnessed.has(p.name) && p.holds(statelet as any, system.topology.nodes)) witnessed.set(p.name, step)
    }
    for (const p of liveness) {
      if (settled.has(p.name)) continue
      if (p.holds(statelet as any, system.topology.nodes)) {
        pendingLiveness.delete(p.name)
        if (p.kind === "eventually") settled.add(p.name)
      } else if (p.kind === "leadsTo" && !pendingLiveness.has(p.name) && p.trigger!(statelet as any, system.topology.nodes)) pendingLiveness.set(p.name, step)
    }
  }

  const isUp = (node: string) => !statelet.crashed.includes(node)

  const receivable = (run: NodeRun, msgId: number, filter: Program.RuntimeFilter): boolean => {
    const m = statelet.soup[msgId]
    if (m === undefined || !m.active || m.to !== run.node || !isUp(run.node)) return false
    if (!Program.matches(filter, m)) return false
    return Step.canReceive(semantics, m.to, semantics.local(statelet, m.to), m.from, m.tag, m.payload)
  }

  const view: EngineView = {
    get now() {
      return now
    },
    get step() {
      return step
    },
    get statelet() {
      return statelet
    },
    get crashed() {
      return statelet.crashed
    },
    enabled: () => {
      const out: Array<Candidate> = []
      for (const run of nodes.values()) {
        const p = run.pending
        if (p === undefined || !isUp(run.node)) continue
        switch (p.kind) {
          case "send":
            out.push({ type: "send", node: run.node })
            break
          case "receive":
          case "poll":
            for (const id of inbox.get(run.node) ?? []) {
              if ((deliverAt.get(id) ?? 0) <= now && receivable(run, id, p.filter)) out.push({ type: "deliver", node: run.node, msg: id })
            }
            if (p.kind === "poll" && p.deadline <= now) out.push({ type: "timeout", node: run.node })
            break
          case "sleep":
            if (p.deadline <= now) out.push({ type: "wake", node: run.node })
            break
        }
      }
      return out
    },
    nextTime: () => {
      let next: number | undefined
      const consider = (t: number) => {
        if (t > now && (next === undefined || t < next)) next = t
      }
      for (const run of nodes.values()) {
        const p = run.pending
        if (p === undefined || !isUp(run.node)) continue
        if (p.kind === "poll" || p.kind === "sleep") consider(p.deadline)
        if (p.kind === "receive" || p.kind === "poll") {
          for (const id of inbox.get(run.node) ?? []) {
            const at = deliverAt.get(id) ?? 0
            if (at > now && receivable(run, id, p.filter)) consider(at)
          }
        }
      }
      return next
    },
    liveRunning: () => [...nodes.values()].filter((r) => r.status === "running" && isUp(r.node)).map((r) => r.node),
    deliverable: (msg) => {
      const m = statelet.soup[msg]
      if (m === undefined) return false
      const run = nodes.get(m.to)
      if (run !== undefined && run.program === undefined) return receivable(run, msg, { tags: [m.tag] })
      const p = run?.pending
      return run !== undefined && p !== undefined && (p.kind === "receive" || p.kind === "poll") && receivable(run, msg, p.filter)
    },
    pendingOf: (node) => nodes.get(node)?.pending?.kind,
    isPassive: (node) => nodes.get(node)?.program === undefined,
    deadlineOf: (node) => {
      const p = nodes.get(node)?.pending
      return p !== undefined && (p.kind === "poll" || p.kind === "sleep") ? p.deadline : undefined
    }
  }

  const refuse = (candidate: Candidate, reason: string): never => {
    throw new NotEnabled(`step ${step + 1}: cannot take ${JSON.stringify(candidate)}: ${reason}`)
  }

  const stepOrRefuse = (candidate: Candidate, action: Step.Action) => {
    const outcome = Step.step(semantics, statelet, action)
    if (outcome._tag === "Refused") return refuse(candidate, outcome.reason)
    return outcome
  }

  /** Takes a send the step function allowed: posts its message, due after the chooser's delay. */
  const sent = (node: string, message: { readonly tag: string; readonly to: string; readonly payload: unknown }, outcome: Step.Stepped<any>, stepNo: number): Decision => {
    statelet = outcome.statelet
    const msg = outcome.message!.id
    deliverAt.set(msg, now + chooser.delay())
    activate(msg, message.to)
    step = stepNo
    const event: Decision = {
      type: "send",
      step: stepNo,
      time: now,
      node,
      tag: message.tag,
      to: message.to,
      payload: message.payload,
      msg,
      transition: outcome.transition!,
      local: semantics.local(statelet, node)
    }
    events.push(event)
    return event
  }

  /** A send of a node without a program: the trace names the message; the step function checks it. */
  const sendFromTrace = (run: NodeRun, message: NonNullable<Extract<Candidate, { type: "send" }>["message"]>, stepNo: number): Decision => {
    const candidate: Candidate = { type: "send", node: run.node, message }
    const outcome = stepOrRefuse(candidate, { kind: "send", node: run.node, ...message })
    if (outcome._tag === "Violated") return refuse(candidate, outcome.violation.reason)
    return sent(run.node, message, outcome, stepNo)
  }

  /** A fault (drop, duplicate, crash, restart), taken through the step function. */
  const faultStep = (candidate: Candidate, action: Step.Action, stepNo: number): Step.Stepped<any> => {
    const outcome = stepOrRefuse(candidate, action)
    if (outcome._tag !== "Stepped") return refuse(candidate, "not a fault step")
    statelet = outcome.statelet
    step = stepNo
    return outcome
  }

  /** A crash or restart of a node, through the step function; the caller updates the node's program. */
  const nodeFault = (candidate: Extract<Candidate, { type: "crash" | "restart" }>, stepNo: number): NodeRun => {
    const run = nodes.get(candidate.node)
    if (run === undefined) return refuse(candidate, `"${candidate.node}" is not a node`)
    faultStep(candidate, { kind: candidate.type, node: run.node }, stepNo)
    return run
  }

  /** Applies one decision; returns the event it produced. */
  const apply = (candidate: Candidate): Decision => {
    const stepNo = step + 1
    switch (candidate.type) {
      case "send": {
        const run = nodes.get(candidate.node)
        if (run !== undefined && run.program === undefined && candidate.message !== undefined && isUp(run.node)) {
          return sendFromTrace(run, candidate.message, stepNo)
        }
        const p = run?.pending
        if (run === undefined || p?.kind !== "send" || !isUp(run.node)) return refuse(candidate, `${candidate.node} is not sending`)
        const outcome = stepOrRefuse(candidate, { kind: "send", node: run.node, tag: p.tag, to: p.to, payload: p.payload })
        if (outcome._tag === "Violated") {
          const v = outcome.violation
          violation ??= {
            kind: "protocol",
            node: run.node,
            program: run.program?.name ?? "",
            transition: v.transition ?? null,
            reason: v.reason,
            attempted: v.attempted,
            local: v.local,
            step: stepNo
          }
          run.pending = undefined
          step = stepNo
          const refused: Decision = { type: "send", step: stepNo, time: now, node: run.node, tag: p.tag, to: p.to, payload: p.payload, msg: -1, transition: v.transition ?? "", local: v.local }
          events.push(refused)
          p.resume(Effect.fail(v))
          return refused
        }
        run.pending = undefined
        const event = sent(run.node, p, outcome, stepNo)
        p.resume(Effect.void)
        return event
      }
      case "deliver": {
        const run = nodes.get(candidate.node)
        const p = run?.pending
        const passive = run !== undefined && run.program === undefined
        if (run === undefined || (!passive && (p === undefined || (p.kind !== "receive" && p.kind !== "poll")))) {
          return refuse(candidate, `${candidate.node} is not receiving`)
        }
        const filter = p !== undefined && (p.kind === "receive" || p.kind === "poll") ? p.filter : { tags: [statelet.soup[candidate.msg]?.tag ?? ""] }
        if (!receivable(run, candidate.msg, filter)) return refuse(candidate, `message ${candidate.msg} cannot be received by ${run.node} now`)
        const outcome = stepOrRefuse(candidate, { kind: "receive", msgId: candidate.msg })
        if (outcome._tag !== "Stepped") return refuse(candidate, "not a receive")
        statelet = outcome.statelet
        const m = outcome.message!
        deactivate(m.id, m.to)
        step = stepNo
        run.pending = undefined
        const event: Decision = {
          type: "deliver",
          step: stepNo,
          time: now,
          node: run.node,
          msg: m.id,
          from: m.from,
          tag: m.tag,
          payload: m.payload,
          transition: outcome.transition!,
          local: semantics.local(statelet, run.node)
        }
        events.push(event)
        const received: Program.ReceivedMessage = { id: m.id, tag: m.tag, from: m.from, payload: m.payload }
        if (p?.kind === "receive") p.resume(Effect.succeed(received))
        else if (p?.kind === "poll") p.resume(Effect.succeed(Option.some(received)))
        return event
      }
      case "timeout":
      case "wake": {
        const run = nodes.get(candidate.node)
        const p = run?.pending
        const kind = candidate.type === "timeout" ? "poll" : "sleep"
        if (run === undefined || p?.kind !== kind || !isUp(run.node)) return refuse(candidate, `${candidate.node} is not waiting on a ${kind}`)
        if (p.deadline > now) return refuse(candidate, `its deadline ${p.deadline} is after the current time ${now}`)
        step = stepNo
        run.pending = undefined
        const event: Decision = { type: candidate.type, step: stepNo, time: now, node: run.node }
        events.push(event)
        if (p.kind === "poll") p.resume(Effect.succeed(Option.none()))
        else if (p.kind === "sleep") p.resume(Effect.void)
        return event
      }
      case "drop":
      case "duplicate": {
        const outcome = faultStep(candidate, { kind: candidate.type, msgId: candidate.msg }, stepNo)
        const m = statelet.soup[candidate.msg]!
        const fields = { msg: m.id, from: m.from, to: m.to, tag: m.tag, payload: m.payload }
        let event: Decision
        if (candidate.type === "duplicate") {
          const copy = outcome.message!.id
          deliverAt.set(copy, now + chooser.delay())
          activate(copy, m.to)
          event = { type: "duplicate", step: stepNo, time: now, ...fields, copy }
        } else {
          deactivate(m.id, m.to)
          event = { type: "drop", step: stepNo, time: now, ...fields }
        }
        events.push(event)
        return event
      }
      case "crash": {
        const run = nodeFault(candidate, stepNo)
        run.pending = undefined
        const fiber = run.fiber
        run.status = "crashed"
        const event: Decision = { type: "crash", step: stepNo, time: now, node: run.node }
        events.push(event)
        if (fiber !== undefined) {
          fiber.interruptUnsafe()
          scheduler.drain()
        }
        return event
      }
      case "restart": {
        const run = nodeFault(candidate, stepNo)
        const event: Decision = { type: "restart", step: stepNo, time: now, node: run.node, local: semantics.local(statelet, run.node) }
        events.push(event)
        if (run.program !== undefined) start(run)
        else run.status = "passive"
        return event
      }
    }
  }

  /** What a blocked node waits for, and the fate of each message it could have taken (see `Wait`). */
  const waitOf = (run: NodeRun): Wait => {
    if (!isUp(run.node)) {
      let since = 0
      for (const e of events) if (e.type === "crash" && e.node === run.node) since = e.step
      return { node: run.node, kind: "down", since }
    }
    const p = run.pending
    if (p === undefined || p.kind !== "receive") return { node: run.node, kind: p?.kind ?? "send" }
    const consumed = new Map<number, { fate: "received" | "dropped"; step: number }>()
    for (const e of events) {
      if (e.type === "deliver" && e.node === run.node) consumed.set(e.msg, { fate: "received", step: e.step })
      else if (e.type === "drop" && e.to === run.node) consumed.set(e.msg, { fate: "dropped", step: e.step })
    }
    const messages = statelet.soup
      .filter((m) => m.to === run.node && p.filter.tags.includes(m.tag) && (p.filter.from === undefined || p.filter.from === m.from))
      .map((m): MessageFate => {
        const base = { msg: m.id, from: m.from, tag: m.tag }
        const gone = consumed.get(m.id)
        if (!m.active) return { ...base, ...(gone ?? { fate: "received", step: null }) }
        const taken = Program.matches(p.filter, { id: m.id, tag: m.tag, from: m.from, payload: m.payload })
        const fate = !taken ? "unmatched" : receivable(run, m.id, p.filter) ? "receivable" : "refused"
        return { ...base, fate, step: null }
      })
    return { node: run.node, kind: "receive", tags: p.filter.tags, from: p.filter.from ?? null, messages }
  }

  for (const run of nodes.values()) if (run.program !== undefined) start(run)
  checkProperties()

  let status: Status | undefined
  while (violation === undefined) {
    if (step >= options.maxSteps) {
      status = "limit"
      break
    }
    const choice = chooser.choose(view)
    if ("end" in choice) {
      status = choice.end === "limit" ? "limit" : undefined
      break
    }
    if ("advance" in choice) {
      if (choice.advance > options.maxTime) {
        status = "limit"
        break
      }
      now = Math.max(now, choice.advance)
      continue
    }
    if (choice.time !== undefined) {
      if (choice.time < now) throw new NotEnabled(`step ${step + 1}: time ${choice.time} is before the current time ${now}`)
      if (choice.time > options.maxTime) {
        status = "limit"
        break
      }
      now = choice.time
    }
    const event = apply(choice.candidate)
    scheduler.drain()
    if (violation === undefined) checkProperties()
    chooser.applied?.(event, view)
  }
  const blocked = [...nodes.values()]
    .filter((r) => r.status === "crashed" || (r.status === "running" && r.program?.daemon !== true))
    .map((r) => r.node)
  if (violation !== undefined) status = "violation"
  status ??= blocked.length === 0 ? "completed" : "stuck"
  return {
    events,
    witnessed,
    pendingLiveness,
    statelet,
    waits: blocked.map((node) => waitOf(nodes.get(node)!)),
    end: { type: "end", status, steps: step, time: now, violation: violation ?? null, blocked }
  }
}
