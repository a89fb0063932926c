/**
 * Protocols in Disel's sense: per-role local state, message tags with payload schemas, guarded
 * send transitions, receive transitions with an optional well-formedness filter, and an optional
 * coherence predicate over the statelet. A protocol is declared in two steps — a signature (roles,
 * initial states, messages) and then the transitions, typed by that signature — and validated when
 * it is built, so spec mistakes are reported by name before anything runs.
 *
 * Guards, steps, filters and coherence are plain pure functions over decoded data (DESIGN §3), so
 * that the model checker can run them fast and the exporter can translate them to Lean.
 *
 * @since 0.1.0
 */
import type * as Schema from "effect/Schema"
import type { NodeId, NodesOf, ProtocolShape } from "../typings/Protocol.ts"
import type { PayloadsOf, ReceivesShape, SendsShape, StatesOf } from "../typings/Signature.ts"
import type { Invariant } from "./Property.ts"
import type { Statelet } from "./Statelet.ts"
import * as Validator from "./Validator.ts"

/** The static parameters every transition function may read: its own id and every node's id. */
export interface TransitionContext<L extends string, States, R extends keyof States> {
  readonly self: NodeId<L, R & string>
  readonly nodes: { readonly [Q in keyof States & string]: ReadonlyArray<NodeId<L, Q>> }
}

/**
 * A send transition: the `from` role may send `tag` to a node of the `to` role when `guard` holds;
 * the sender's local state then becomes `step(...)` and the message is posted to the soup.
 * `candidates` optionally lists the messages the transition can send from a state, for the model
 * checker.
 */
export interface SendTransition<
  L extends string = string,
  States = any,
  Payloads = any,
  K extends keyof Payloads & string = any,
  F extends keyof States & string = any,
  To extends keyof States & string = any
> {
  readonly kind: "send"
  readonly tag: K
  readonly from: F
  readonly to: To
  readonly guard: (
    local: States[F],
    to: NodeId<L, To>,
    msg: Payloads[K],
    ctx: TransitionContext<L, States, F>
  ) => boolean
  readonly step: (
    local: States[F],
    to: NodeId<L, To>,
    msg: Payloads[K],
    ctx: TransitionContext<L, States, F>
  ) => States[F]
  readonly candidates?: (
    local: States[F],
    ctx: TransitionContext<L, States, F>
  ) => ReadonlyArray<{ readonly to: NodeId<L, To>; readonly msg: Payloads[K] }>
  /**
   * Why the guard is false, for the violation's reason (default: "the guard of … is false"). A
   * world's composed transitions use it to name the failing part: the protocol's guard or a hook.
   */
  readonly refusal?: (
    local: States[F],
    to: NodeId<L, To>,
    msg: Payloads[K],
    ctx: TransitionContext<L, States, F>
  ) => string
}

/**
 * A receive transition: a node of role `by` consumes an active message with `tag` addressed to it,
 * when `accepts` holds (Disel's `msg_wf`); its local state becomes `step(...)`, which is total.
 */
export interface ReceiveTransition<
  L extends string = string,
  States = any,
  Payloads = any,
  K extends keyof Payloads & string = any,
  R extends keyof States & string = any
> {
  readonly kind: "receive"
  readonly tag: K
  readonly by: R
  readonly accepts?: (
    local: States[R],
    from: NodeId<L, keyof States & string>,
    msg: Payloads[K],
    ctx: TransitionContext<L, States, R>
  ) => boolean
  readonly step: (
    local: States[R],
    from: NodeId<L, keyof States & string>,
    msg: Payloads[K],
    ctx: TransitionContext<L, States, R>
  ) => States[R]
}

/** A send transition with its name, as stored in a built protocol. */
export type NamedSend = SendTransition & { readonly name: string }

/** A receive transition with its name, as stored in a built protocol. */
export type NamedReceive = ReceiveTransition & { readonly name: string }

/** A role's declaration at run time: its state schema, initial state and recovery function. */
export interface RoleDeclaration {
  readonly state: Schema.Top
  readonly initial: unknown
  readonly recover: (local: any) => any
  /** Is `value` a well-formed local state of this role? (compiled once from the schema) */
  readonly isState: (value: unknown) => boolean
}

/** A message tag's declaration at run time. */
export interface MessageDeclaration {
  readonly payload: Schema.Top
  /** Is `value` a well-formed payload of this tag? (compiled once from the schema) */
  readonly isPayload: (value: unknown) => boolean
}

/**
 * A built, validated protocol. `T` is its type-level shape (see `typings/Protocol.ts`); at run time
 * it is plain data plus the transition functions.
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * PingPong.protocol.label // => "pingpong"
 */
export interface Protocol<T extends ProtocolShape = ProtocolShape> {
  readonly "~shape"?: T
  readonly label: T["label"]
  readonly roles: { readonly [role: string]: RoleDeclaration }
  readonly messages: { readonly [tag: string]: MessageDeclaration }
  readonly sends: ReadonlyArray<NamedSend>
  readonly receives: ReadonlyArray<NamedReceive>
  /** The one send transition of each tag (Disel's `snd_uniq`). */
  readonly sendOf: ReadonlyMap<string, NamedSend>
  /** The one receive transition of each tag (Disel's `rcv_uniq`). */
  readonly receiveOf: ReadonlyMap<string, NamedReceive>
  readonly coherence: ((statelet: Statelet<T>, nodes: NodesOf<T>) => boolean) | undefined
  /**
   * The named layers whose conjunction `coherence` is, when invariants were added with
   * `withInvariant` (`combinators/WithInvariant.ts`): `always` properties, each checked and
   * reported by its name, and exported to Lean as the protocol's inductive invariant.
   */
  readonly invariants?: ReadonlyArray<Invariant<T>>
}

/** Node ids per role (`typings/Protocol.ts`), re-exported with the protocol that they are of. */
export type { NodesOf }

/** A spec mistake found while building a protocol, with every problem listed by name. */
export class ProtocolSpecError extends Error {
  override readonly name = "ProtocolSpecError"
  constructor(
    readonly label: string,
    readonly problems: ReadonlyArray<string>
  ) {
    super(`protocol "${label}" is ill-formed:\n${problems.map((p) => `  - ${p}`).join("\n")}`)
  }
}

/**
 * A protocol's signature: its label, roles (state schemas and initial states) and message tags.
 * Its methods build transitions typed by it, and finally the protocol.
 */
export interface Signature<
  L extends string,
  States extends { readonly [role: string]: unknown },
  Payloads extends { readonly [tag: string]: unknown }
> {
  readonly label: L
  /** Declares a send transition; its functions are typed from the roles and the tag. */
  send<
    const K extends keyof Payloads & string,
    const F extends keyof States & string,
    const To extends keyof States & string
  >(spec: {
    readonly tag: K
    readonly from: F
    readonly to: To
    readonly guard: SendTransition<L, States, Payloads, K, F, To>["guard"]
    readonly step: SendTransition<L, States, Payloads, K, F, To>["step"]
    readonly candidates?: SendTransition<L, States, Payloads, K, F, To>["candidates"]
    readonly refusal?: SendTransition<L, States, Payloads, K, F, To>["refusal"]
  }): SendTransition<L, States, Payloads, K, F, To>
  /** Declares a receive transition; its functions are typed from the role and the tag. */
  receive<const K extends keyof Payloads & string, const R extends keyof States & string>(spec: {
    readonly tag: K
    readonly by: R
    readonly accepts?: ReceiveTransition<L, States, Payloads, K, R>["accepts"]
    readonly step: ReceiveTransition<L, States, Payloads, K, R>["step"]
  }): ReceiveTransition<L, States, Payloads, K, R>
  /**
   * Builds and validates the protocol from named transitions. Throws `ProtocolSpecError` listing
   * every problem: unknown roles or tags, two transitions for one tag, a received tag no one sends.
   */
  protocol<
    const Sends extends { readonly [name: string]: SendTransition<L, States, Payloads> },
    const Receives extends { readonly [name: string]: ReceiveTransition<L, States, Payloads> }
  >(spec: {
    readonly sends: Sends
    readonly receives: Receives
    readonly coherence?: (
      statelet: Statelet<{ label: L; states: States; payloads: Payloads; sends: any; receives: any }>,
      nodes: { readonly [R in keyof States & string]: ReadonlyArray<NodeId<L, R>> }
    ) => boolean
  }): Protocol<{
    label: L
    states: States
    payloads: Payloads
    sends: SendsShape<Sends>
    receives: ReceivesShape<Receives>
  }>
}

/**
 * Declares a protocol's signature. Initial states are checked against their schemas here.
 *
 * @example
 * import * as Schema from "effect/Schema"
 * const Counter = Protocol.signature({
 *   label: "counter",
 *   roles: { peer: Schema.Struct({ n: Schema.Number }) },
 *   initial: { peer: { n: 0 } },
 *   messages: { bump: Schema.Struct({ by: Schema.Number }) },
 * })
 * const counter = Counter.protocol({
 *   sends: { sendBump: Counter.send({ tag: "bump", from: "peer", to: "peer", guard: (_s, _to, m) => m.by > 0, step: (s) => s }) },
 *   receives: { receiveBump: Counter.receive({ tag: "bump", by: "peer", step: (s, _from, m) => ({ n: s.n + m.by }) }) },
 * })
 * counter.sendOf.get("bump")?.name // => "sendBump"
 */
export const signature = <
  const L extends string,
  Roles extends { readonly [role: string]: Schema.Top },
  Messages extends { readonly [tag: string]: Schema.Top }
>(spec: {
  readonly label: L
  readonly roles: Roles
  readonly initial: { readonly [R in keyof Roles]: Roles[R]["Type"] }
  readonly messages: Messages
  /** What survives a crash: the local state a role restarts with. Default: all of it (durable). */
  readonly recover?: { readonly [R in keyof Roles]?: (local: Roles[R]["Type"]) => Roles[R]["Type"] }
}): Signature<L, StatesOf<Roles>, PayloadsOf<Messages>> => {
  const problems: Array<string> = []
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(spec.label)) {
    problems.push(`label "${spec.label}" must be an identifier (letters, digits, _)`)
  }
  const roles: Record<string, RoleDeclaration> = {}
  for (const [role, state] of Object.entries(spec.roles)) {
    const isState = Validator.make(state)
    const initial = (spec.initial as Record<string, unknown>)[role]
    if (!Object.hasOwn(spec.initial, role)) {
      problems.push(`role "${role}" has no initial state`)
    } else if (!isState(initial)) {
      problems.push(`the initial state of role "${role}" does not match its schema: ${JSON.stringify(initial)}`)
    }
    const recover = (spec.recover as Record<string, ((local: unknown) => unknown) | undefined> | undefined)?.[role]
    roles[role] = { state, initial, isState, recover: recover ?? ((local: unknown) => local) }
  }
  for (const role of Object.keys(spec.initial)) {
    if (!Object.hasOwn(spec.roles, role)) problems.push(`initial state given for unknown role "${role}"`)
  }
  for (const role of Object.keys(spec.recover ?? {})) {
    if (!Object.hasOwn(spec.roles, role)) problems.push(`recover given for unknown role "${role}"`)
  }
  if (Object.keys(roles).length === 0) problems.push("a protocol needs at least one role")
  const messages: Record<string, MessageDeclaration> = {}
  for (const [tag, payload] of Object.entries(spec.messages)) {
    messages[tag] = { payload, isPayload: Validator.make(payload) }
  }
  if (problems.length > 0) throw new ProtocolSpecError(spec.label, problems)

  return {
    label: spec.label,
    send: (transition) => ({ kind: "send", ...transition }) as any,
    receive: (transition) => ({ kind: "receive", ...transition }) as any,
    protocol: (body) => build(spec.label, roles, messages, body as any) as any
  }
}

const build = (
  label: string,
  roles: Record<string, RoleDeclaration>,
  messages: Record<string, MessageDeclaration>,
  body: {
    readonly sends: { readonly [name: string]: SendTransition }
    readonly receives: { readonly [name: string]: ReceiveTransition }
    readonly coherence?: (statelet: any, nodes: any) => boolean
  }
): Protocol => {
  const problems: Array<string> = []
  const sendOf = new Map<string, NamedSend>()
  const receiveOf = new Map<string, NamedReceive>()
  const sends: Array<NamedSend> = []
  const receives: Array<NamedReceive> = []
  const checkRole = (where: string, field: string, role: unknown) => {
    if (typeof role !== "string" || !Object.hasOwn(roles, role)) {
      problems.push(`${where}: ${field} "${String(role)}" is not a role of "${label}" (roles: ${Object.keys(roles).join(", ")})`)
    }
  }
  const checkTag = (where: string, tag: unknown) => {
    if (typeof tag !== "string" || !Object.hasOwn(messages, tag)) {
      problems.push(`${where}: tag "${String(tag)}" is not a message of "${label}" (tags: ${Object.keys(messages).join(", ")})`)
      return false
    }
    return true
  }
  for (const [name, transition] of Object.entries(body.sends)) {
    const where = `send transition "${name}"`
    if (transition?.kind !== "send") {
      problems.push(`${where} was not made with send(...)`)
      continue
    }
    checkRole(where, "from", transition.from)
    checkRole(where, "to", transition.to)
    if (typeof transition.guard !== "function") problems.push(`${where} has no guard function`)
    if (typeof transition.step !== "function") problems.push(`${where} has no step function`)
    if (!checkTag(where, transition.tag)) continue
    const named: NamedSend = { ...transition, name }
    const previous = sendOf.get(transition.tag)
    if (previous !== undefined) {
      problems.push(
        `send transitions "${previous.name}" and "${name}" both send tag "${transition.tag}"; a tag has one send transition (Disel's snd_uniq)`
      )
      continue
    }
    sendOf.set(transition.tag, named)
    sends.push(named)
  }
  for (const [name, transition] of Object.entries(body.receives)) {
    const where = `receive transition "${name}"`
    if (transition?.kind !== "receive") {
      problems.push(`${where} was not made with receive(...)`)
      continue
    }
    checkRole(where, "by", transition.by)
    if (typeof transition.step !== "function") problems.push(`${where} has no step function`)
    if (!checkTag(where, transition.tag)) continue
    const named: NamedReceive = { ...transition, name }
    const previous = receiveOf.get(transition.tag)
    if (previous !== undefined) {
      problems.push(
        `receive transitions "${previous.name}" and "${name}" both receive tag "${transition.tag}"; a tag has one receive transition (Disel's rcv_uniq)`
      )
      continue
    }
    const sender = sendOf.get(transition.tag)
    if (sender === undefined) {
      problems.push(`${where} receives tag "${transition.tag}", which no send transition sends`)
    } else if (sender.to !== transition.by) {
      problems.push(
        `${where} receives tag "${transition.tag}" at role "${transition.by}", but "${sender.name}" sends it to role "${sender.to}"`
      )
    }
    receiveOf.set(transition.tag, named)
    receives.push(named)
  }
  if (problems.length > 0) throw new ProtocolSpecError(label, problems)
  return { label, roles, messages, sends, receives, sendOf, receiveOf, coherence: body.coherence }
}
