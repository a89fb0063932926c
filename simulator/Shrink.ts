/**
 * Shrinking a failing run: delta debugging over its decisions, replayed leniently (a decision that
 * is no longer enabled is skipped), keeping every removal after which the run still fails the same
 * way. A run of the programs is shrunk with its programs, then, for an invariant violation, at the
 * protocol level, where the programs no longer constrain what is sent; a protocol-level run (a
 * walk's) is shrunk at the protocol level alone. Every trace returned is re-recorded and replayed
 * strictly (`Replay.replay`); a difference is an error.
 *
 * @since 0.1.0
 */
import * as Step from "../core/Step.ts"
import type { System } from "../core/System.ts"
import type { Choice, Chooser, EngineOptions, EngineView, RunResult } from "./Engine.ts"
import * as Engine from "./Engine.ts"
import * as FaultPlan from "./FaultPlan.ts"
import { replay } from "./Replay.ts"
import { type Decision, decisionsOf, type Trace, type Violation } from "./Trace.ts"

/** What makes two violations "the same bug" for shrinking. */
const signature = (v: Violation | null): string | undefined => {
  if (v === null) return undefined
  switch (v.kind) {
    case "invariant":
      return `invariant:${v.property}`
    case "protocol":
      return `protocol:${v.program}:${v.transition ?? ""}:${v.reason}`
    case "program":
      return `program:${v.program}`
  }
}

const isFault = (d: Decision) => d.type === "drop" || d.type === "duplicate" || d.type === "crash" || d.type === "restart"

/** The message a decision sends, receives, drops or duplicates, if any. */
const messageOfDecision = (d: Decision): number | undefined =>
  d.type === "send" || d.type === "deliver" || d.type === "drop" || d.type === "duplicate" ? d.msg : undefined

/** Does a decision belong to `node`'s activity: its own steps, and the faults of messages it sends or receives? */
const involves = (d: Decision, node: string): boolean => {
  switch (d.type) {
    case "drop":
    case "duplicate":
      return d.from === node || d.to === node
    default:
      return d.node === node
  }
}

/** How many replays a shrink has tried, against its budget; shared by both levels of one shrink. */
interface Attempts {
  count: number
  readonly budget: number
}

const spent = (attempts: Attempts) => attempts.count >= attempts.budget

/**
 * Delta debugging over one list of decisions. `attempt` replays a candidate list and returns the
 * run when it still fails the same way. The moves, repeated until none shortens the run: remove
 * every fault; remove one node's whole activity; remove one send with everything that happens to
 * its message (receive, drop, duplication); remove chunks of halving size down to single decisions.
 * A removal is kept when the run it gives still fails and is shorter.
 */
const minimize = (start: RunResult, attempt: (decisions: ReadonlyArray<Decision>) => RunResult | undefined, nodes: ReadonlyArray<string>, attempts: Attempts): RunResult => {
  let best = start
  let current = decisionsOf(best.events)
  const keepIfShorter = (candidate: ReadonlyArray<Decision>): boolean => {
    if (candidate.length >= current.length || spent(attempts)) return false
    const r = attempt(candidate)
    if (r === undefined || decisionsOf(r.events).length >= current.length) return false
    best = r
    current = decisionsOf(r.events)
    return true
  }
  for (let progress = true; progress && !spent(attempts); ) {
    progress = keepIfShorter(current.filter((d) => !isFault(d)))
    for (const node of nodes) progress = keepIfShorter(current.filter((d) => !involves(d, node))) || progress
    for (let i = 0; i < current.length && !spent(attempts); i++) {
      const d = current[i]!
      if (d.type !== "send" || d.msg < 0) continue
      // Copies made by duplicating the message go with it.
      const gone = new Set([d.msg])
      for (const e of current) if (e.type === "duplicate" && gone.has(e.msg)) gone.add(e.copy)
      if (keepIfShorter(current.filter((e) => e !== d && !gone.has(messageOfDecision(e) ?? -1)))) {
        progress = true
        i--
      }
    }
    for (let chunk = Math.max(1, Math.ceil(current.length / 2)); !spent(attempts); ) {
      let removed = false
      for (let start = 0; start < current.length && !spent(attempts); ) {
        if (keepIfShorter([...current.slice(0, start), ...current.slice(start + chunk)])) removed = true
        else start += chunk
      }
      progress = progress || removed
      if (!removed) {
        if (chunk === 1) break
        chunk = Math.max(1, Math.floor(chunk / 2))
      }
    }
  }
  return best
}

/**
 * Takes the listed decisions in order, each as `resolve` makes it a choice in the current run,
 * skipping those it finds not enabled (undefined), and ends the run when the list is done.
 */
const lenient = (decisions: ReadonlyArray<Decision>, resolve: (d: Decision, view: EngineView) => Choice | undefined): Chooser => {
  let i = 0
  return {
    delay: () => 0,
    choose: (view) => {
      while (i < decisions.length) {
        const choice = resolve(decisions[i++]!, view)
        if (choice !== undefined) return choice
      }
      return { end: "quiescent" }
    }
  }
}

/**
 * Replays decisions with the programs, taking the listed decisions that are still enabled and
 * skipping the rest; messages are matched by content (`Engine.activeMessage`).
 */
const programsChooser = (decisions: ReadonlyArray<Decision>): Chooser =>
  lenient(decisions, (d, view) => {
    const at = (deadline = 0) => Math.max(view.now, d.time, deadline)
    const up = (node: string) => !view.crashed.includes(node)
    switch (d.type) {
      case "send":
        if (!up(d.node)) return undefined
        if (view.isPassive(d.node)) return { candidate: { type: "send", node: d.node, message: { tag: d.tag, to: d.to, payload: d.payload } }, time: at() }
        return view.pendingOf(d.node) === "send" ? { candidate: { type: "send", node: d.node }, time: at() } : undefined
      case "deliver": {
        const m = Engine.activeMessage(view.statelet, { from: d.from, to: d.node, tag: d.tag, payload: d.payload }, view.deliverable)
        return m === undefined ? undefined : { candidate: { type: "deliver", node: d.node, msg: m.id }, time: at() }
      }
      case "timeout":
      case "wake":
        return view.pendingOf(d.node) === (d.type === "timeout" ? "poll" : "sleep") && up(d.node)
          ? { candidate: { type: d.type, node: d.node }, time: at(view.deadlineOf(d.node)) }
          : undefined
      case "drop":
      case "duplicate": {
        const m = Engine.activeMessage(view.statelet, d)
        return m === undefined ? undefined : { candidate: { type: d.type, msg: m.id }, time: at() }
      }
      case "crash":
        return up(d.node) ? { candidate: { type: "crash", node: d.node }, time: at() } : undefined
      case "restart":
        return up(d.node) ? undefined : { candidate: { type: "restart", node: d.node }, time: at() }
    }
  })

/**
 * Replays decisions at the protocol level (no programs; a step is taken when the semantics allow
 * it from the current state), skipping those that are not enabled. Messages are matched by content.
 */
const protocolChooser = (semantics: Step.Semantics, decisions: ReadonlyArray<Decision>): Chooser => {
  const allowed = (view: EngineView, action: Step.Action) => Step.step(semantics, view.statelet, action)._tag === "Stepped"
  return lenient(decisions, (d, view) => {
    switch (d.type) {
      case "send": {
        const message = { tag: d.tag, to: d.to, payload: d.payload }
        return allowed(view, { kind: "send", node: d.node, ...message }) ? { candidate: { type: "send", node: d.node, message } } : undefined
      }
      case "deliver": {
        const m = Engine.activeMessage(view.statelet, { from: d.from, to: d.node, tag: d.tag, payload: d.payload })
        return m !== undefined && allowed(view, { kind: "receive", msgId: m.id }) ? { candidate: { type: "deliver", node: d.node, msg: m.id } } : undefined
      }
      case "drop":
      case "duplicate": {
        const m = Engine.activeMessage(view.statelet, d)
        return m !== undefined && allowed(view, { kind: d.type, msgId: m.id }) ? { candidate: { type: d.type, msg: m.id } } : undefined
      }
      case "crash":
      case "restart":
        return allowed(view, { kind: d.type, node: d.node }) ? { candidate: { type: d.type, node: d.node } } : undefined
      case "timeout":
      case "wake":
        return undefined
    }
  })
}

/**
 * Each send of `decisions` with its tag changed to another tag that the same payload fits, the
 * message's receive changed with it: the neighbours a protocol-level shrink tries (a participant's
 * `no` in place of its `yes`, say), since removing decisions alone can never change what was sent.
 */
const substitutions = (protocol: System["protocol"], decisions: ReadonlyArray<Decision>): Array<ReadonlyArray<Decision>> => {
  const out: Array<ReadonlyArray<Decision>> = []
  decisions.forEach((d, i) => {
    if (d.type !== "send" || d.msg < 0) return
    for (const [tag, declaration] of Object.entries(protocol.messages)) {
      if (tag === d.tag || !declaration.isPayload(d.payload)) continue
      out.push(decisions.map((e, j) => (j === i || (e.type === "deliver" && e.msg === d.msg) ? { ...e, tag } : e)))
    }
  })
  return out
}

/**
 * The shortest run of the protocol's transitions alone found from `decisions` that fails as
 * `target`: `minimize`, then each tag substitution that shortens the run, minimized again. Undefined
 * when a lenient protocol-level replay of `decisions` does not fail as `target`.
 */
const shortestProtocolRun = (system: System, options: EngineOptions, target: string, decisions: ReadonlyArray<Decision>, attempts: Attempts): RunResult | undefined => {
  const passive = Engine.withoutPrograms(system)
  const semantics = Step.make(system.protocol, system.topology, FaultPlan.faultModel(options.faults))
  const nodes = system.topology.all
  const attempt = (candidate: ReadonlyArray<Decision>): RunResult | undefined => {
    attempts.count++
    const result = Engine.run(passive, options, protocolChooser(semantics, candidate))
    return signature(result.end.violation) === target ? result : undefined
  }
  const start = attempt(decisions)
  if (start === undefined) return undefined
  let shortest = minimize(start, attempt, nodes, attempts)
  for (let changed = true; changed && !spent(attempts); ) {
    changed = false
    const length = decisionsOf(shortest.events).length
    for (const candidate of substitutions(system.protocol, decisionsOf(shortest.events))) {
      if (spent(attempts)) break
      const r = attempt(candidate)
      if (r === undefined || decisionsOf(r.events).length >= length) continue
      shortest = minimize(r, attempt, nodes, attempts)
      changed = true
      break
    }
  }
  return shortest
}

/** A shrunk failing run. */
export interface Shrunk {
  /** The shortest run of the programs found that fails the same way; it replays strictly. */
  readonly trace: Trace
  /**
   * For an invariant violation, a shorter run of the protocol's transitions alone (header level
   * `protocol`, as the checker's traces) that breaks the same invariant, when one was found: the
   * shrinker drops the programs, removes decisions, and tries other tags for the same payloads.
   * It replays strictly too.
   */
  readonly protocol: Trace | undefined
  /** Replays tried, over both levels. */
  readonly attempts: number
}

const targetOf = (failing: Trace): string => {
  const target = signature(failing.end.violation)
  if (target === undefined) throw new Error("shrink: the trace does not end in a violation")
  return target
}

/**
 * Shrinks a failing run of the programs (see `minimize`): over the programs' decisions first,
 * keeping only runs that still fail the same way; then, for an invariant violation, at the protocol
 * level (see `Shrunk.protocol`). Every trace returned is re-recorded and replayed strictly; a
 * difference is an error.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * import { reorder } from "./FaultPlan.ts"
 * import { simulate } from "./Simulator.ts"
 * const family = TokenRing.families.find((f) => f.name === "token-ring/keep-token")!
 * const system = family.make({ members: 3, rounds: 2 })
 * const failing = simulate(system, { name: family.name, parameters: {}, seed: 1, runs: 50, faults: reorder, maxSteps: 1000, maxTime: 60000, shrink: false }).firstFailure!.trace
 * shrink(system, failing).trace.end.steps <= failing.end.steps // => true
 */
export const shrink = (system: System, failing: Trace, budget = 4000): Shrunk => {
  const target = targetOf(failing)
  const options = Engine.optionsOf(failing.header)
  const attempts: Attempts = { count: 0, budget }
  const attempt = (decisions: ReadonlyArray<Decision>): RunResult | undefined => {
    attempts.count++
    const result = Engine.run(system, options, programsChooser(decisions))
    return signature(result.end.violation) === target ? result : undefined
  }
  const first = attempt(decisionsOf(failing.events))
  if (first === undefined) return { trace: failing, protocol: undefined, attempts: attempts.count }
  const best = minimize(first, attempt, system.topology.all, attempts)
  const trace = confirmed(system, Engine.traceOf(failing.header, best), target)
  let protocol: Trace | undefined
  if (failing.end.violation?.kind === "invariant") {
    const shortest = shortestProtocolRun(system, options, target, decisionsOf(best.events), attempts)
    if (shortest !== undefined && shortest.end.steps < best.end.steps) {
      protocol = confirmed(system, Engine.traceOf({ ...failing.header, level: "protocol", faults: options.faults }, shortest), target)
    }
  }
  return { trace, protocol, attempts: attempts.count }
}

/**
 * Shrinks a failing protocol-level trace (header level `protocol`, as a walk records): the
 * protocol-level half of `shrink`. The result is replayed strictly to confirm that it fails the
 * same way; `attempts` counts the replays.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * import { reorder } from "./FaultPlan.ts"
 * import { walk } from "./RandomWalk.ts"
 * const family = TokenRing.families.find((f) => f.name === "token-ring/keep-token")!
 * const parameters = { members: 3, rounds: 2 }
 * const system = family.make(parameters)
 * const failing = walk(system, { name: family.name, parameters, seed: 1, runs: 100, faults: reorder, maxSteps: 200, maxTime: 1, model: family.model!(parameters), shrink: false }).firstFailure!.trace
 * [failing.end.steps, shrinkProtocol(system, failing).trace.end.steps] // => [3, 2]
 */
export const shrinkProtocol = (system: System, failing: Trace, budget = 4000): { trace: Trace; attempts: number } => {
  if (failing.header.level !== "protocol") throw new Error(`shrinkProtocol: the trace is of level "${failing.header.level}", not "protocol" (shrink it with \`shrink\`)`)
  const target = targetOf(failing)
  const attempts: Attempts = { count: 0, budget }
  const shortest = shortestProtocolRun(system, Engine.optionsOf(failing.header), target, decisionsOf(failing.events), attempts)
  if (shortest === undefined) throw new Error("shrink: a lenient replay of the failing trace does not fail the same way")
  return { trace: confirmed(system, Engine.traceOf(failing.header, shortest), target), attempts: attempts.count }
}

/** A shrunk trace, checked: it replays strictly to the same violation. */
const confirmed = (system: System, trace: Trace, target: string): Trace => {
  const check = replay(system, trace)
  if (!check.identical || signature(check.trace.end.violation) !== target) {
    throw new Error(`shrink: the shrunk trace does not replay to the same violation: ${check.difference ?? "a different violation"}`)
  }
  return trace
}
