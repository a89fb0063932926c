/**
 * Which nodes play which role in one protocol instance (Disel's constant `nodes`). Node ids are
 * strings at run time and carry their role in their type.
 *
 * @since 0.1.0
 */
import type { NodeId, ProtocolShape, RoleOf } from "../typings/Protocol.ts"
import type { NodesOf, Protocol } from "./Protocol.ts"

/** The nodes of a protocol instance: ids per role, and the role of each id. */
export interface Topology<T extends ProtocolShape = ProtocolShape> {
  readonly nodes: NodesOf<T>
  readonly roleOf: ReadonlyMap<string, RoleOf<T>>
  /** Every node id, in declaration order (roles in the protocol's order). */
  readonly all: ReadonlyArray<string>
  /**
   * Initial local states of particular nodes, where they differ from their role's: a world's
   * nodes share one role of its composed protocol but start in the states of the roles they play.
   */
  readonly initial: ReadonlyMap<string, unknown>
}

/** A topology that was asked for but does not fit the protocol. */
export class TopologyError extends Error {
  override readonly name = "TopologyError"
}

/**
 * Assigns node ids to roles. Every role of the protocol must be listed; ids must be distinct,
 * non-empty strings.
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * const topology = Topology.make(PingPong.protocol, { pinger: ["p1"], ponger: ["q1"] })
 * topology.roleOf.get("q1") // => "ponger"
 */
export const make = <T extends ProtocolShape>(
  protocol: Protocol<T>,
  ids: { readonly [R in RoleOf<T>]: ReadonlyArray<string> },
  initial: { readonly [node: string]: unknown } = {}
): Topology<T> => {
  const roleOf = new Map<string, RoleOf<T>>()
  const nodes: Record<string, ReadonlyArray<string>> = {}
  const all: Array<string> = []
  for (const role of Object.keys(protocol.roles) as Array<RoleOf<T>>) {
    const list = ids[role]
    if (list === undefined) throw new TopologyError(`protocol "${protocol.label}": no nodes given for role "${role}"`)
    for (const id of list) {
      if (typeof id !== "string" || id.length === 0) {
        throw new TopologyError(`protocol "${protocol.label}": node ids must be non-empty strings, got ${JSON.stringify(id)}`)
      }
      const previous = roleOf.get(id)
      if (previous !== undefined) {
        throw new TopologyError(`protocol "${protocol.label}": node "${id}" is listed as "${previous}" and as "${role}"`)
      }
      roleOf.set(id, role)
      all.push(id)
    }
    nodes[role] = [...list]
  }
  for (const role of Object.keys(ids)) {
    if (!Object.hasOwn(protocol.roles, role)) throw new TopologyError(`protocol "${protocol.label}" has no role "${role}"`)
  }
  const initialOf = new Map<string, unknown>()
  for (const [node, local] of Object.entries(initial)) {
    const role = roleOf.get(node)
    if (role === undefined) throw new TopologyError(`protocol "${protocol.label}": an initial state is given for "${node}", which is not a node`)
    if (!protocol.roles[role]!.isState(local)) {
      throw new TopologyError(`protocol "${protocol.label}": the initial state of ${node} does not match the schema of role "${role}": ${JSON.stringify(local)}`)
    }
    initialOf.set(node, local)
  }
  return { nodes: nodes as unknown as NodesOf<T>, roleOf, all, initial: initialOf }
}

/** Casts a string known to be a node of role `R` to its typed id; throws if it is not. */
export const nodeId = <T extends ProtocolShape, R extends RoleOf<T>>(
  topology: Topology<T>,
  role: R,
  id: string
): NodeId<T["label"], R> => {
  if (topology.roleOf.get(id) !== role) throw new TopologyError(`"${id}" is not a node of role "${role}"`)
  return id as NodeId<T["label"], R>
}
