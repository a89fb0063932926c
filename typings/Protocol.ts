/**
 * Type-level derivations over a protocol's shape: roles, tags, payloads, node ids per role, and
 * what a role may send and receive. This module has no runtime code; `core/` builds values whose
 * types are described here, and typed programs read these types to reject ill-formed sends and
 * receives at compile time.
 *
 * @since 0.1.0
 */

/**
 * The type-level description of one protocol, fixed when the protocol is built.
 *
 * - `label`: the protocol's label (`"tpc"`).
 * - `states`: role → local-state type.
 * - `payloads`: tag → payload type.
 * - `sends`: tag → the roles of its one send transition (sender and receiver).
 * - `receives`: tag → the role whose receive transition consumes it.
 *
 * @example
 * type Ping = {
 *   label: "ping"; states: { pinger: { n: number } }; payloads: { ping: { n: number } }
 *   sends: { ping: { from: "pinger"; to: "pinger" } }; receives: { ping: "pinger" }
 * }
 */
export interface ProtocolShape {
  readonly label: string
  readonly states: { readonly [role: string]: unknown }
  readonly payloads: { readonly [tag: string]: unknown }
  readonly sends: { readonly [tag: string]: { readonly from: string; readonly to: string } }
  readonly receives: { readonly [tag: string]: string }
}

/** The key under which a node id records the roles it plays, per protocol label. */
export declare const NodeIdBrand: unique symbol

/**
 * A node's id, carrying in its type the role it plays in protocol `L`. At run time it is a plain
 * string. A node that plays roles in several protocols has the intersection of their ids.
 *
 * @example
 * const p = "p1" as NodeId<"tpc", "participant">
 * const s: string = p
 * s // => "p1"
 */
export type NodeId<L extends string, R extends string> = string & {
  readonly [NodeIdBrand]: { readonly [K in L]: R }
}

/** The roles of a protocol. */
export type RoleOf<T extends ProtocolShape> = keyof T["states"] & string

/** The message tags of a protocol. */
export type TagOf<T extends ProtocolShape> = keyof T["payloads"] & string

/** The local-state type of role `R`. */
export type LocalOf<T extends ProtocolShape, R extends RoleOf<T>> = T["states"][R]

/** The payload type of tag `K`. */
export type PayloadOf<T extends ProtocolShape, K extends TagOf<T>> = T["payloads"][K]

/** A node id of role `R` in protocol `T`. */
export type NodeOf<T extends ProtocolShape, R extends RoleOf<T> = RoleOf<T>> = NodeId<T["label"], R>

/** The tags role `R` may send: those whose send transition has `from: R`. */
export type SendableBy<T extends ProtocolShape, R extends string> = {
  [K in keyof T["sends"]]: T["sends"][K]["from"] extends R ? K : never
}[keyof T["sends"]] &
  string

/** The role that receives tag `K` (the `to` of its send transition). */
export type ReceiverOf<T extends ProtocolShape, K extends keyof T["sends"]> = T["sends"][K]["to"]

/** The role that sends tag `K`; any role when no send transition names it. */
export type SenderOf<T extends ProtocolShape, K extends string> = K extends keyof T["sends"]
  ? T["sends"][K]["from"]
  : RoleOf<T>

/** The tags role `R` may receive: those whose receive transition has `by: R`. */
export type ReceivableBy<T extends ProtocolShape, R extends string> = {
  [K in keyof T["receives"]]: T["receives"][K] extends R ? K : never
}[keyof T["receives"]] &
  string

/**
 * What a program gets from `receive`: a discriminated union on `tag` of exactly the requested
 * tags, each with its payload type and a sender id of the sending role.
 */
export type Received<T extends ProtocolShape, K extends string> = K extends TagOf<T>
  ? {
      readonly id: number
      readonly tag: K
      readonly from: NodeId<T["label"], SenderOf<T, K>>
      readonly payload: PayloadOf<T, K>
    }
  : never

/** A message of the soup, discriminated on `tag`. */
export type Envelope<T extends ProtocolShape> = {
  [K in TagOf<T>]: {
    readonly id: number
    readonly tag: K
    readonly from: string
    readonly to: string
    readonly payload: PayloadOf<T, K>
    readonly active: boolean
  }
}[TagOf<T>]

/** Every node's local state, grouped by role and keyed by node id. */
export type Locals<T extends ProtocolShape> = {
  readonly [R in RoleOf<T>]: { readonly [node: string]: LocalOf<T, R> }
}

/** Node ids per role, as transition functions, invariants and programs see them. */
export type NodesOf<T extends ProtocolShape> = {
  readonly [R in RoleOf<T>]: ReadonlyArray<NodeOf<T, R>>
}
