/**
 * Worlds (Disel's `world`), as the kernel holds them: several protocols under distinct labels,
 * tied together by send-hooks. A node may play a role in several of them; the global state is one
 * statelet per label. These are the data types interpreters read; declaring a world, compiling it
 * into one protocol, its programs and its properties are in `combinators/` (`World.make`,
 * `World.system`, `World.program`, `World.always`, ...), and declaring a hook in `hooks/SendHook.ts`.
 *
 * @since 0.1.0
 */
import type { CallSite } from "./CallSite.ts"
import type { AnyProtocol, Statelets, WorldNodes } from "../typings/World.ts"

/**
 * A send-hook with its types erased, as worlds and interpreters hold it (declared, typed, with
 * `SendHook.make`): a side condition on every send of `tag` in the `client` protocol, reading the
 * sender's own local state in the `core` protocol.
 */
export interface SendHook<CoreLabel extends string = string, ClientLabel extends string = string> {
  readonly name: string
  /** The protocol whose local state the hook reads. */
  readonly core: CoreLabel
  /** The role the sender must play in the core protocol. */
  readonly coreRole: string
  /** The protocol whose sends the hook constrains. */
  readonly client: ClientLabel
  /** The client tag whose every send the hook constrains. */
  readonly tag: string
  readonly holds: (coreLocal: any, clientLocal: any, msg: any, to: string) => boolean
}

/**
 * A world: protocols with distinct labels, and hooks between them. `Hooked` is, in the type, the
 * labels whose sends some hook constrains: a program of those cannot be injected (`inject`).
 */
export interface World<
  L extends string = string,
  Ps extends ReadonlyArray<AnyProtocol> = ReadonlyArray<AnyProtocol>,
  Hooked extends string = string
> {
  /** The label of the composed protocol (and of the world in output). */
  readonly label: L
  readonly protocols: Ps
  readonly hooks: ReadonlyArray<SendHook<string, Hooked>>
}

/** A world property: a predicate over the statelets of every protocol of the world. */
export interface WorldProperty<Ps extends ReadonlyArray<AnyProtocol> = any> {
  readonly kind: "always" | "sometimes" | "eventually" | "leadsTo"
  readonly name: string
  readonly holds: (statelets: Statelets<Ps>, nodes: WorldNodes<Ps>) => boolean
  /** `leadsTo` only: the states after which `holds` must come. */
  readonly trigger?: ((statelets: Statelets<Ps>, nodes: WorldNodes<Ps>) => boolean) | undefined
  /** Where it was declared (its `World.always(...)` call), when the engine says: where the Lean exporter reads its predicate. */
  readonly at?: CallSite | undefined
}

/** The local state of a node in a world's composed protocol: per label, its role and state there (`null`: it plays none). */
export type ComposedLocal = { readonly [label: string]: { readonly role: string; readonly state: unknown } | null }
