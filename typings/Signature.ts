/**
 * Type-level derivations from a protocol's declaration to its `ProtocolShape`
 * (`typings/Protocol.ts`): the state and payload types from the signature's schemas, and the send
 * and receive tables (keyed by tag) from the named transitions. `Protocol.signature(...).protocol`
 * (`core/Protocol.ts`) returns a protocol typed by them.
 *
 * @since 0.1.0
 */
import type * as Schema from "effect/Schema"

/**
 * Role → local-state type, from the roles' schemas.
 *
 * @example
 * import * as Schema from "effect/Schema"
 * const roles = { peer: Schema.Struct({ n: Schema.Number }) }
 * const states: StatesOf<typeof roles> = { peer: { n: 1 } }
 * states.peer.n // => 1
 */
export type StatesOf<Roles extends { readonly [role: string]: Schema.Top }> = {
  readonly [R in keyof Roles]: Roles[R]["Type"]
}

/** Tag → payload type, from the messages' schemas. */
export type PayloadsOf<Messages extends { readonly [tag: string]: Schema.Top }> = {
  readonly [K in keyof Messages]: Messages[K]["Type"]
}

/** The send table of named send transitions: tag → sender and receiver roles (one transition per tag). */
export type SendsShape<Sends extends { readonly [name: string]: { readonly tag: string; readonly from: string; readonly to: string } }> = {
  readonly [N in keyof Sends as Sends[N]["tag"]]: { readonly from: Sends[N]["from"]; readonly to: Sends[N]["to"] }
}

/** The receive table of named receive transitions: tag → receiving role (one transition per tag). */
export type ReceivesShape<Receives extends { readonly [name: string]: { readonly tag: string; readonly by: string } }> = {
  readonly [N in keyof Receives as Receives[N]["tag"]]: Receives[N]["by"]
}
