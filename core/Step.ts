/**
 * The network semantics: the one step function that every interpreter calls (Disel's
 * `network_step`, extended with fault steps). A send checks, in order, that the sender is up, that
 * a send transition exists for the tag and the sender's role, that the receiver has the right role,
 * that the payload matches its schema and that the guard holds; only then does the sender's local
 * state change and the message enter the soup. A receive consumes an active message addressed to a
 * live node whose receive transition accepts it. Fault steps (drop, duplicate, crash, restart) are
 * refused unless the fault model switches them on.
 *
 * The node-local halves (`sendLocal`, `receiveLocal`) are exported for interpreters that hold only
 * one node's state (the network runtime); the global `step` is built from them, so the checks are
 * the same everywhere.
 *
 * @since 0.1.0
 */
import type { Envelope, ProtocolShape } from "../typings/Protocol.ts"
import type { NamedReceive, NamedSend, Protocol, TransitionContext } from "./Protocol.ts"
import { ProtocolViolation } from "./ProtocolViolation.ts"
import * as Statelet from "./Statelet.ts"
import type { Topology } from "./Topology.ts"

/**
 * Which fault steps a run allows. Disel's own model is reorder-only: every switch off.
 *
 * @example
 * const lossy: FaultModel = { ...reorderOnly, drop: true }
 * lossy.drop // => true
 */
export interface FaultModel {
  readonly drop: boolean
  readonly duplicate: boolean
  readonly crash: boolean
  readonly restart: boolean
}

/** Disel's network: messages may be received in any order, and nothing else goes wrong. */
export const reorderOnly: FaultModel = { drop: false, duplicate: false, crash: false, restart: false }

/** Every fault step allowed. */
export const allFaults: FaultModel = { drop: true, duplicate: true, crash: true, restart: true }

/** One step of the network: a program's send or receive, or a fault. */
export type Action =
  | { readonly kind: "send"; readonly node: string; readonly tag: string; readonly to: string; readonly payload: unknown }
  | { readonly kind: "receive"; readonly msgId: number }
  | { readonly kind: "drop"; readonly msgId: number }
  | { readonly kind: "duplicate"; readonly msgId: number }
  | { readonly kind: "crash"; readonly node: string }
  | { readonly kind: "restart"; readonly node: string }

/** What a step did: the new statelet, the node whose local state changed (if any), the message. */
export interface Stepped<T extends ProtocolShape> {
  readonly _tag: "Stepped"
  readonly statelet: Statelet.Statelet<T>
  /** The node whose local state or liveness changed, if any. */
  readonly node: string | undefined
  /** The message sent, received, dropped or duplicated (for `duplicate`, the new copy). */
  readonly message: Envelope<T> | undefined
  /** The transition taken, for sends and receives. */
  readonly transition: string | undefined
}

/** A step that is not enabled in this state (not an error of the program: nothing happens). */
export interface Refused {
  readonly _tag: "Refused"
  readonly reason: string
}

/** A send the protocol forbids. */
export interface Violated {
  readonly _tag: "Violated"
  readonly violation: ProtocolViolation
  /** Whether it was the transition's guard that refused the send (rather than a role or schema check). */
  readonly byGuard: boolean
}

/** The result of `step`. */
export type Outcome<T extends ProtocolShape> = Stepped<T> | Refused | Violated

/**
 * The result of a node-local send: the sender's new local state, or why the send is forbidden.
 *
 * @internal
 */
export type SendLocalOutcome =
  | { readonly _tag: "Sent"; readonly local: unknown; readonly transition: NamedSend }
  | Violated

/**
 * The result of a node-local receive: the receiver's new local state, or why it cannot receive.
 *
 * @internal
 */
export type ReceiveLocalOutcome =
  | { readonly _tag: "Received"; readonly local: unknown; readonly transition: NamedReceive }
  | Refused

/** A protocol instantiated on a topology under a fault model: what `step` needs. */
export interface Semantics<T extends ProtocolShape = ProtocolShape> {
  readonly protocol: Protocol<T>
  readonly topology: Topology<T>
  readonly faults: FaultModel
  /** Every node in its role's initial state, an empty soup, nobody crashed. */
  readonly initial: Statelet.Statelet<T>
  /** The parameters transition functions of `node` see. */
  context(node: string): TransitionContext<string, any, any>
  /** The local state of `node`. */
  local(statelet: Statelet.Statelet<T>, node: string): unknown
}

/**
 * Instantiates a protocol on a topology under a fault model.
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * import * as Topology from "./Topology.ts"
 * const protocol = PingPong.protocol
 * const sem = make(protocol, Topology.make(protocol, { pinger: ["p"], ponger: ["q"] }), reorderOnly)
 * sem.initial.soup.length // => 0
 */
export const make = <T extends ProtocolShape>(
  protocol: Protocol<T>,
  topology: Topology<T>,
  faults: FaultModel
): Semantics<T> => {
  const contexts = new Map<string, TransitionContext<string, any, any>>()
  const locals: Record<string, Record<string, unknown>> = {}
  for (const role of Object.keys(protocol.roles)) locals[role] = {}
  for (const node of topology.all) {
    const role = topology.roleOf.get(node)!
    contexts.set(node, Object.freeze({ self: node as any, nodes: topology.nodes }))
    locals[role]![node] = topology.initial.has(node) ? topology.initial.get(node) : protocol.roles[role]!.initial
  }
  return {
    protocol,
    topology,
    faults,
    initial: { locals: locals as any, soup: [], crashed: [] },
    context: (node) => {
      const ctx = contexts.get(node)
      if (ctx === undefined) throw new Error(`"${node}" is not a node of protocol "${protocol.label}"`)
      return ctx
    },
    local: (statelet, node) => (statelet.locals as any)[topology.roleOf.get(node)!]?.[node]
  }
}

/**
 * A refused send. The violation is built on demand: the checker tries many sends whose guards are
 * false, and an Error captures a stack trace when it is constructed.
 */
const violatedSend = (
  protocol: Protocol<any>,
  transition: NamedSend | undefined,
  node: string,
  local: unknown,
  tag: string,
  to: string,
  payload: unknown,
  reason: string,
  byGuard: boolean
): Violated => {
  let violation: ProtocolViolation | undefined
  return {
    _tag: "Violated",
    byGuard,
    get violation() {
      return (violation ??= new ProtocolViolation({
        protocol: protocol.label,
        transition: transition?.name,
        node,
        local,
        attempted: { tag, to, payload },
        reason
      }))
    }
  }
}

/**
 * The node-local half of a send: checks the transition, roles, payload schema and guard against
 * the sender's local state and returns its next local state. Every interpreter sends through this.
 * @internal
 */
export const sendLocal = (
  semantics: Semantics<any>,
  node: string,
  local: unknown,
  tag: string,
  to: string,
  payload: unknown
): SendLocalOutcome => {
  const { protocol, topology } = semantics
  const transition = protocol.sendOf.get(tag)
  // No closure over the arguments: this runs for every send the model checker tries.
  const role = topology.roleOf.get(node)
  if (role === undefined) return violatedSend(protocol, transition, node, local, tag, to, payload, `"${node}" is not a node of this protocol`, false)
  if (transition === undefined) return violatedSend(protocol, transition, node, local, tag, to, payload, `no send transition sends tag "${tag}"`, false)
  const problem = sendProblem(semantics, transition, role, node, to, payload)
  if (problem !== undefined) return violatedSend(protocol, transition, node, local, tag, to, payload, problem, false)
  const ctx = semantics.context(node)
  if (!transition.guard(local, to as never, payload, ctx)) {
    const reason = transition.refusal?.(local, to as never, payload, ctx) ?? `the guard of ${transition.name} is false`
    return violatedSend(protocol, transition, node, local, tag, to, payload, reason, true)
  }
  const next = transition.step(local, to as never, payload, ctx)
  if (!protocol.roles[role]!.isState(next)) {
    const reason = `${transition.name}'s step returned a local state that does not match the schema of role "${role}": ${JSON.stringify(next)}`
    return violatedSend(protocol, transition, node, local, tag, to, payload, reason, false)
  }
  return { _tag: "Sent", local: next, transition }
}

/** What makes a send of `transition` by `node` (of `role`) impossible before its guard is asked: a wrong role, receiver or payload. */
const sendProblem = (semantics: Semantics<any>, transition: NamedSend, role: string, node: string, to: string, payload: unknown): string | undefined => {
  if (transition.from !== role) return `${transition.name} is for role "${transition.from}", but ${node} plays "${role}"`
  const toRole = semantics.topology.roleOf.get(to)
  if (toRole !== transition.to) {
    return toRole === undefined
      ? `the receiver "${to}" is not a node of this protocol`
      : `${transition.name} sends to role "${transition.to}", but ${to} plays "${toRole}"`
  }
  if (!semantics.protocol.messages[transition.tag]!.isPayload(payload)) return `the payload does not match the schema of "${transition.tag}"`
  return undefined
}

/**
 * Whether `node` may receive this message in its local state: its role has the receive transition
 * for `tag`, and the transition's `accepts` holds. Cheaper than `receiveLocal`: the step is not run.
 * @internal
 */
export const canReceive = (
  semantics: Semantics<any>,
  node: string,
  local: unknown,
  from: string,
  tag: string,
  payload: unknown
): boolean => refusal(semantics, node, local, from, tag, payload) === undefined

const refusal = (
  semantics: Semantics<any>,
  node: string,
  local: unknown,
  from: string,
  tag: string,
  payload: unknown
): string | undefined => {
  const transition = semantics.protocol.receiveOf.get(tag)
  const role = semantics.topology.roleOf.get(node)
  if (transition === undefined) return `no receive transition for tag "${tag}"`
  if (transition.by !== role) return `${transition.name} is for role "${transition.by}", but ${node} plays "${String(role)}"`
  if (transition.accepts !== undefined && !transition.accepts(local, from as never, payload, semantics.context(node))) {
    return `${transition.name} does not accept this message in ${node}'s state`
  }
  return undefined
}

/**
 * The node-local half of a receive: whether `node`'s receive transition for `tag` accepts the
 * message in its local state, and the next local state if so.
 * @internal
 */
export const receiveLocal = (
  semantics: Semantics<any>,
  node: string,
  local: unknown,
  from: string,
  tag: string,
  payload: unknown
): ReceiveLocalOutcome => {
  const reason = refusal(semantics, node, local, from, tag, payload)
  if (reason !== undefined) return { _tag: "Refused", reason }
  const transition = semantics.protocol.receiveOf.get(tag)!
  const next = transition.step(local, from as never, payload, semantics.context(node))
  if (!semantics.protocol.roles[transition.by]!.isState(next)) {
    throw new Error(
      `protocol "${semantics.protocol.label}": ${transition.name}'s step returned a local state that does not match the schema of role "${transition.by}": ${JSON.stringify(next)}`
    )
  }
  return { _tag: "Received", local: next, transition }
}

const isDown = (statelet: Statelet.Statelet<any>, node: string) => statelet.crashed.includes(node)

const withLocal = <T extends ProtocolShape>(
  semantics: Semantics<T>,
  statelet: Statelet.Statelet<T>,
  node: string,
  local: unknown
): Statelet.Statelet<T>["locals"] => {
  const role = semantics.topology.roleOf.get(node)!
  const locals = statelet.locals as Record<string, Record<string, unknown>>
  return { ...locals, [role]: { ...locals[role], [node]: local } } as any
}

const refused = (reason: string): Refused => ({ _tag: "Refused", reason })

/**
 * Takes one step. Returns the new statelet, `Refused` when the step is not enabled, or `Violated`
 * when a send breaks the protocol.
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * import * as Topology from "./Topology.ts"
 * const protocol = PingPong.protocol
 * const sem = make(protocol, Topology.make(protocol, { pinger: ["p"], ponger: ["q"] }), reorderOnly)
 * const out = step(sem, sem.initial, { kind: "send", node: "p", tag: "ping", to: "q", payload: { n: 0 } })
 * out._tag // => "Stepped"
 */
export const step = <T extends ProtocolShape>(
  semantics: Semantics<T>,
  statelet: Statelet.Statelet<T>,
  action: Action
): Outcome<T> => {
  switch (action.kind) {
    case "send": {
      if (isDown(statelet, action.node)) return refused(`${action.node} is down`)
      const outcome = sendLocal(
        semantics,
        action.node,
        semantics.local(statelet, action.node),
        action.tag,
        action.to,
        action.payload
      )
      if (outcome._tag === "Violated") return outcome
      const [soup, message] = Statelet.post(statelet.soup, {
        tag: action.tag,
        from: action.node,
        to: action.to,
        payload: action.payload
      } as any)
      return {
        _tag: "Stepped",
        statelet: { locals: withLocal(semantics, statelet, action.node, outcome.local), soup, crashed: statelet.crashed },
        node: action.node,
        message,
        transition: outcome.transition.name
      }
    }
    case "receive": {
      const message = statelet.soup[action.msgId]
      if (message === undefined) return refused(`no message ${action.msgId}`)
      if (!message.active) return refused(`message ${action.msgId} is not active`)
      if (isDown(statelet, message.to)) return refused(`${message.to} is down`)
      const outcome = receiveLocal(
        semantics,
        message.to,
        semantics.local(statelet, message.to),
        message.from,
        message.tag,
        message.payload
      )
      if (outcome._tag === "Refused") return outcome
      return {
        _tag: "Stepped",
        statelet: {
          locals: withLocal(semantics, statelet, message.to, outcome.local),
          soup: Statelet.consume(statelet.soup, action.msgId),
          crashed: statelet.crashed
        },
        node: message.to,
        message: { ...message, active: false },
        transition: outcome.transition.name
      }
    }
    case "drop": {
      if (!semantics.faults.drop) return refused("the fault model does not allow drops")
      const message = statelet.soup[action.msgId]
      if (message === undefined || !message.active) return refused(`message ${action.msgId} is not active`)
      return {
        _tag: "Stepped",
        statelet: { ...statelet, soup: Statelet.consume(statelet.soup, action.msgId) },
        node: undefined,
        message: { ...message, active: false },
        transition: undefined
      }
    }
    case "duplicate": {
      if (!semantics.faults.duplicate) return refused("the fault model does not allow duplicates")
      const message = statelet.soup[action.msgId]
      if (message === undefined || !message.active) return refused(`message ${action.msgId} is not active`)
      const [soup, copy] = Statelet.post(statelet.soup, {
        tag: message.tag,
        from: message.from,
        to: message.to,
        payload: message.payload
      } as any)
      return { _tag: "Stepped", statelet: { ...statelet, soup }, node: undefined, message: copy, transition: undefined }
    }
    case "crash": {
      if (!semantics.faults.crash) return refused("the fault model does not allow crashes")
      if (!semantics.topology.roleOf.has(action.node)) return refused(`"${action.node}" is not a node`)
      if (isDown(statelet, action.node)) return refused(`${action.node} is already down`)
      return {
        _tag: "Stepped",
        statelet: { ...statelet, crashed: [...statelet.crashed, action.node] },
        node: action.node,
        message: undefined,
        transition: undefined
      }
    }
    case "restart": {
      if (!semantics.faults.restart) return refused("the fault model does not allow restarts")
      if (!isDown(statelet, action.node)) return refused(`${action.node} is not down`)
      const role = semantics.topology.roleOf.get(action.node)!
      const recovered = semantics.protocol.roles[role]!.recover(semantics.local(statelet, action.node))
      return {
        _tag: "Stepped",
        statelet: {
          locals: withLocal(semantics, statelet, action.node, recovered),
          soup: statelet.soup,
          crashed: statelet.crashed.filter((n) => n !== action.node)
        },
        node: action.node,
        message: undefined,
        transition: undefined
      }
    }
  }
}

/**
 * The receives enabled in a statelet: every active message to a live node whose receive transition
 * accepts it.
 * @internal
 */
export const enabledReceives = <T extends ProtocolShape>(
  semantics: Semantics<T>,
  statelet: Statelet.Statelet<T>
): ReadonlyArray<Envelope<T>> =>
  statelet.soup.filter(
    (m) =>
      m.active &&
      !isDown(statelet, m.to) &&
      canReceive(semantics, m.to, semantics.local(statelet, m.to), m.from, m.tag, m.payload)
  )
