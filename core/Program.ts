/**
 * Programs: Effect programs for one node in one role, whose only protocol effects are `send`,
 * `receive` / `tryReceive` / `receiveWithin` (with a typed filter), reading the node's local state,
 * and simulated time (`sleep`, `now`). Their types come from the protocol: a program can name only
 * the tags its role may send, only to a node of the receiving role, only with that tag's payload;
 * `receive` returns a discriminated union of exactly the tags asked for.
 *
 * Interpreters (the simulator, later the checker and the runtime) implement a `Driver`; `handle`
 * wraps it in the typed `Node` a program sees. A driver's `send` must go through the step function
 * (`core/Step.ts`), which checks the guard: a forbidden send fails with `ProtocolViolation`.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type {
  LocalOf,
  NodeId,
  PayloadOf,
  ProtocolShape,
  Received,
  ReceiverOf,
  RoleOf,
  SendableBy,
  SenderOf
} from "../typings/Protocol.ts"
import type { ReceiveTag, SendTag } from "../typings/TagError.ts"
import type { NodesOf, Protocol } from "./Protocol.ts"
import type { ProtocolViolation } from "./ProtocolViolation.ts"

/**
 * Which messages a receive waits for: some tags, optionally only from one node, optionally only
 * those satisfying `where` (Disel's tryrecv filter). A tag that role `R` cannot receive does not
 * compile, and the error lists the tags it can (`typings/TagError.ts`).
 */
export interface Filter<T extends ProtocolShape, K extends string, R extends string = RoleOf<T>> {
  readonly tags: ReadonlyArray<ReceiveTag<T, R, K>>
  /** Only messages from this node, which must play a role that sends one of the tags. */
  readonly from?: NodeId<T["label"], SenderOf<T, K>>
  readonly where?: (message: Received<T, K>) => boolean
}

/**
 * The typed handle a program uses to act as its node.
 *
 * @example
 * import * as Effect from "effect/Effect"
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * const pinger = make(PingPong.protocol, "pinger", (node) =>
 *   Effect.gen(function* () {
 *     yield* node.send("ping", node.nodes.ponger[0]!, { n: 0 })
 *     const answer = yield* node.receive({ tags: ["pong"] })
 *     return answer.payload.note
 *   })
 * )
 * pinger.role // => "pinger"
 */
export interface Node<T extends ProtocolShape, R extends RoleOf<T>> {
  readonly self: NodeId<T["label"], R>
  readonly role: R
  readonly nodes: NodesOf<T>
  /** The node's current local state. */
  readonly local: Effect.Effect<LocalOf<T, R>>
  /**
   * Sends `payload` with `tag` to `to`; fails with `ProtocolViolation` if the guard is false. A tag
   * the role may not send does not compile, and the error lists those it may send.
   */
  send<const K extends string>(
    tag: SendTag<T, R, K>,
    to: NodeId<T["label"], ReceiverOf<T, K & SendableBy<T, R>>>,
    payload: PayloadOf<T, K & SendableBy<T, R>>
  ): Effect.Effect<void, ProtocolViolation>
  /** Waits for a message matching the filter and receives it (its receive transition runs). */
  receive<const K extends string>(filter: Filter<T, K, R>): Effect.Effect<Received<T, K>>
  /** Receives a matching message if one can be received now; `None` otherwise. */
  tryReceive<const K extends string>(filter: Filter<T, K, R>): Effect.Effect<Option.Option<Received<T, K>>>
  /** Waits at most `ms` of (simulated or real) time for a matching message. */
  receiveWithin<const K extends string>(
    filter: Filter<T, K, R>,
    ms: number
  ): Effect.Effect<Option.Option<Received<T, K>>>
  /** Waits `ms` milliseconds of the interpreter's time. */
  sleep(ms: number): Effect.Effect<void>
  /** The interpreter's current time in milliseconds (simulated time in the simulator). */
  readonly now: Effect.Effect<number>
}

/** A filter with its types erased, as drivers see it. */
export interface RuntimeFilter {
  readonly tags: ReadonlyArray<string>
  readonly from?: string
  readonly where?: (message: ReceivedMessage) => boolean
}

/** A received message with its types erased. */
export interface ReceivedMessage {
  readonly id: number
  readonly tag: string
  readonly from: string
  readonly payload: unknown
}

/**
 * Whether a message matches a receive filter: one of its tags, from its sender if it names one,
 * and satisfying its `where`. Every interpreter matches through this.
 *
 * @internal
 *
 * @example
 * matches({ tags: ["resp"], from: "s1" }, { id: 0, tag: "resp", from: "s1", payload: {} }) // => true
 */
export const matches = (filter: RuntimeFilter, m: ReceivedMessage): boolean =>
  filter.tags.includes(m.tag) && (filter.from === undefined || filter.from === m.from) && (filter.where === undefined || filter.where(m))

/**
 * A program's failure as a stable one-line text (no stack traces): traces record it, and a trace
 * recorded by one interpreter must replay exactly in another.
 *
 * @internal
 *
 * @example
 * import * as Cause from "effect/Cause"
 * describeFailure(Cause.fail(new Error("no quorum"))) // => "Error: no quorum"
 */
export const describeFailure = (cause: Cause.Cause<unknown>): string => {
  const error = Cause.squash(cause)
  if (error instanceof Error) return `${error.name}: ${error.message}`
  return typeof error === "string" ? error : JSON.stringify(error) ?? String(error)
}

/**
 * What an interpreter implements for one node.
 *
 * @internal
 */
export interface Driver {
  readonly local: Effect.Effect<unknown>
  readonly send: (tag: string, to: string, payload: unknown) => Effect.Effect<void, ProtocolViolation>
  /** Waits for a matching message and receives it. */
  readonly receive: (filter: RuntimeFilter) => Effect.Effect<ReceivedMessage>
  /** Receives a matching message within `ms` (0: only if one can be received now), or `None`. */
  readonly poll: (filter: RuntimeFilter, ms: number) => Effect.Effect<Option.Option<ReceivedMessage>>
  readonly sleep: (ms: number) => Effect.Effect<void>
  readonly now: Effect.Effect<number>
}

/** A program for one role of a protocol. */
export interface Program<T extends ProtocolShape = any, R extends RoleOf<T> = any, A = unknown, E = never> {
  readonly protocol: Protocol<T>
  readonly role: R
  readonly name: string
  /**
   * A daemon serves forever (a server loop): a run in which only daemons are still waiting has
   * completed, not got stuck.
   */
  readonly daemon: boolean
  readonly run: (node: Node<T, R>) => Effect.Effect<A, E | ProtocolViolation>
}

/**
 * Defines a program for `role`. `name` defaults to the role; give one when a role has several
 * programs (a one-shot and a memoizing server).
 */
export const make = <T extends ProtocolShape, const R extends RoleOf<T>, A, E = never>(
  protocol: Protocol<T>,
  role: R,
  run: (node: Node<T, R>) => Effect.Effect<A, E | ProtocolViolation>,
  options: { readonly name?: string; readonly daemon?: boolean } = {}
): Program<T, R, A, E> => {
  if (!Object.hasOwn(protocol.roles, role)) throw new Error(`protocol "${protocol.label}" has no role "${role}"`)
  return { protocol, role, name: options.name ?? role, daemon: options.daemon ?? false, run }
}

/**
 * Wraps an interpreter's driver in the typed handle a program sees.
 *
 * @internal
 */
export const handle = <T extends ProtocolShape, R extends RoleOf<T>>(
  self: string,
  role: R,
  nodes: NodesOf<T>,
  driver: Driver
): Node<T, R> => ({
  self: self as NodeId<T["label"], R>,
  role,
  nodes,
  local: driver.local as Effect.Effect<any>,
  send: (tag, to, payload) => driver.send(tag, to, payload),
  receive: (filter) => driver.receive(filter as unknown as RuntimeFilter) as any,
  tryReceive: (filter) => driver.poll(filter as unknown as RuntimeFilter, 0) as any,
  receiveWithin: (filter, ms) => driver.poll(filter as unknown as RuntimeFilter, ms) as any,
  sleep: (ms) => driver.sleep(ms),
  now: driver.now
})
