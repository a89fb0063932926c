/**
 * Predicates on one node's local state, lifted to a statelet by a quantifier over the nodes of a
 * role: "some participant has committed", "every coordinator has all votes yes". Most invariants
 * of distributed protocols are built from such node-local facts (Disel's and Veil's invariants
 * quantify over nodes the same way), and writing them as local predicates lets the model checker
 * evaluate each one once per distinct local state of each node instead of once per global state:
 * a search of millions of states meets only hundreds of distinct local states, so a property made
 * of local predicates costs a few table lookups per state. On any other statelet (the simulator's,
 * a runtime trace's) `some` and `every` just read the local states.
 *
 * Like transitions, a local predicate must be a function of its arguments (no clocks, randomness
 * or I/O): the checker remembers its answer per local state, and evaluates it twice on each new
 * one to report a predicate that is not.
 *
 * @since 0.1.0
 */
import type { LocalOf, ProtocolShape, RoleOf } from "../typings/Protocol.ts"
import type { NodesOf, Protocol } from "./Protocol.ts"
import type { Statelet } from "./Statelet.ts"

/** A predicate on the local state of node `node` of role `R`; `nodes` are the system's nodes. */
export type LocalCondition<T extends ProtocolShape, R extends RoleOf<T>> = (local: LocalOf<T, R>, node: string, nodes: NodesOf<T>) => boolean

/** A node-local predicate of role `R`, and its quantifiers over a statelet's nodes of that role. */
export interface LocalPredicate<T extends ProtocolShape = any, R extends RoleOf<T> = any> {
  /** Dense in creation order, process-wide: where a checker keeps this predicate's answers. */
  readonly id: number
  readonly role: R
  /** What it says, for reports and errors. */
  readonly description: string
  readonly holds: LocalCondition<T, R>
  /** Whether some node of the role satisfies the predicate in `statelet`. */
  readonly some: (statelet: Statelet<T>, nodes: NodesOf<T>) => boolean
  /** Whether every node of the role satisfies the predicate in `statelet`. */
  readonly every: (statelet: Statelet<T>, nodes: NodesOf<T>) => boolean
}

/**
 * What a statelet can carry, under the key `localIndex`, to answer `some` and `every` without
 * reading its local states: the checker's views of its packed states do. It answers `undefined`
 * when it cannot (for nodes other than its model's), and the quantifier then reads the statelet.
 */
export interface LocalIndex {
  /** `some` when `some` is true, else `every`; undefined when the index cannot answer. */
  readonly quantify: (predicate: LocalPredicate, some: boolean, nodes: unknown) => boolean | undefined
}

/** The key under which a statelet carries its `LocalIndex`. */
export const localIndex: unique symbol = Symbol.for("protoweave/LocalIndex")

let created = 0

/**
 * A predicate on one node's local state, for the nodes of `role`.
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * const stopped = make(PingPong.protocol, "ponger", "has stopped", (q) => q.stopped)
 * const nodes = { pinger: ["p"], ponger: ["q1", "q2"] } as never
 * const locals = { pinger: { p: { next: 0, acked: [] } }, ponger: { q1: { seen: [], stopped: true }, q2: { seen: [], stopped: false } } }
 * const s = { locals, soup: [], crashed: [] } as never
 * [stopped.some(s, nodes), stopped.every(s, nodes)] // => [true, false]
 */
export const make = <T extends ProtocolShape, R extends RoleOf<T>>(
  _protocol: Protocol<T>,
  role: R,
  description: string,
  holds: LocalCondition<T, R>
): LocalPredicate<T, R> => {
  const predicate: LocalPredicate<T, R> = {
    id: created++,
    role,
    description,
    holds,
    some: (statelet, nodes) => quantify(predicate, true, statelet, nodes),
    every: (statelet, nodes) => quantify(predicate, false, statelet, nodes)
  }
  return predicate
}

/**
 * Whether some node (`some`) or every node (`!some`) of the predicate's role satisfies it: from the
 * statelet's index if it has one that can answer, else by reading the nodes' local states.
 */
const quantify = <T extends ProtocolShape, R extends RoleOf<T>>(predicate: LocalPredicate<T, R>, some: boolean, statelet: Statelet<T>, nodes: NodesOf<T>): boolean => {
  const indexed = (statelet as { readonly [localIndex]?: LocalIndex })[localIndex]?.quantify(predicate, some, nodes)
  if (indexed !== undefined) return indexed
  const locals = statelet.locals[predicate.role]
  for (const node of membersOf(predicate, nodes)) if (predicate.holds(locals[node]!, node, nodes) === some) return some
  return !some
}

/**
 * The nodes of the predicate's role among `nodes`. A role the system does not have is a mistake
 * (the types rule it out), said by name rather than left to fail as a missing field.
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * const pinged = make(PingPong.protocol, "pinger", "has pinged", (p) => p.next > 0)
 * membersOf(pinged, { pinger: ["p"], ponger: [] } as never) // => ["p"]
 */
export const membersOf = <T extends ProtocolShape, R extends RoleOf<T>>(predicate: LocalPredicate<T, R>, nodes: NodesOf<T>): ReadonlyArray<string> => {
  const members = nodes[predicate.role]
  if (members === undefined) {
    throw new Error(`the local predicate "${predicate.description}" is about role ${predicate.role}, which the system does not have (its roles: ${Object.keys(nodes).join(", ")})`)
  }
  return members
}
