/**
 * Type-level derivations of worlds: the shape of each protocol of a world, its labels, one statelet
 * and one set of nodes per label, where nodes are placed, which roles a world program plays, the
 * handles it gets, and the types that refuse an ill-formed world or injection by naming the label.
 *
 * They read the kernel's `Protocol` and `Statelet` interfaces (type-only: nothing here exists at
 * run time).
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type { Node } from "../core/Program.ts"
import type { NodesOf, Protocol } from "../core/Protocol.ts"
import type { Statelet } from "../core/Statelet.ts"
import type { Received, RoleOf } from "./Protocol.ts"
import type { ReceiveTag } from "./TagError.ts"

/** Any protocol, as a world holds it. */
export type AnyProtocol = Protocol<any>

/** The shape of a protocol value. */
export type ShapeOf<P> = P extends Protocol<infer T> ? T : never

/** The first label that two protocols of the list share, or `never`. */
export type RepeatedLabel<Ps extends ReadonlyArray<AnyProtocol>, Seen extends string = never> = Ps extends readonly [
  infer H extends AnyProtocol,
  ...infer Rest extends ReadonlyArray<AnyProtocol>
]
  ? ShapeOf<H>["label"] extends Seen
    ? ShapeOf<H>["label"]
    : RepeatedLabel<Rest, Seen | ShapeOf<H>["label"]>
  : never

/** The labels of a world's protocols. */
export type LabelsOf<Ps extends ReadonlyArray<AnyProtocol>> = ShapeOf<Ps[number]>["label"]

/** Fails to type-check, naming the label, when two protocols of a world share it. */
export type DistinctLabels<Ps extends ReadonlyArray<AnyProtocol>> = [RepeatedLabel<Ps>] extends [never]
  ? unknown
  : { readonly "two protocols of a world share a label": RepeatedLabel<Ps> }

/** The protocol of a world with label `K`. */
export type ProtocolAt<Ps extends ReadonlyArray<AnyProtocol>, K> = Extract<Ps[number], { readonly label: K }>

/** The statelet of each protocol of a world, by label. */
export type Statelets<Ps extends ReadonlyArray<AnyProtocol>> = {
  readonly [P in Ps[number] as ShapeOf<P>["label"]]: Statelet<ShapeOf<P>>
}

/** The nodes of each role of each protocol of a world, by label. */
export type WorldNodes<Ps extends ReadonlyArray<AnyProtocol>> = {
  readonly [P in Ps[number] as ShapeOf<P>["label"]]: NodesOf<ShapeOf<P>>
}

/** Which nodes play each role of each protocol, by label. */
export type Placement<Ps extends ReadonlyArray<AnyProtocol>> = {
  readonly [P in Ps[number] as ShapeOf<P>["label"]]: { readonly [R in RoleOf<ShapeOf<P>>]: ReadonlyArray<string> }
}

/** Which role a program plays in which protocols of a world: label → role. */
export type Roles<Ps extends ReadonlyArray<AnyProtocol>> = {
  readonly [P in Ps[number] as ShapeOf<P>["label"]]?: RoleOf<ShapeOf<P>>
}

/**
 * What a program of a world sees of its node: one typed handle per protocol it plays in, and a
 * receive that waits on several protocols at once.
 */
export type WorldNode<Ps extends ReadonlyArray<AnyProtocol>, R extends Roles<Ps>> = {
  readonly [K in keyof R & string]: Node<ShapeOf<ProtocolAt<Ps, K>>, R[K] & RoleOf<ShapeOf<ProtocolAt<Ps, K>>>>
} & {
  readonly self: string
  /** Waits for the first message matching one of the tags, per label; returns its label and the message. */
  receiveAny<const Tags extends { readonly [K in keyof R & string]?: ReadonlyArray<string> }>(
    tags: Tags & {
      readonly [K in keyof Tags & keyof R & string]: ReadonlyArray<ReceiveTag<ShapeOf<ProtocolAt<Ps, K>>, R[K] & string, NonNullable<Tags[K]>[number] & string>>
    }
  ): Effect.Effect<
    { [K in keyof Tags & string]: { readonly label: K; readonly message: Received<ShapeOf<ProtocolAt<Ps, K>>, NonNullable<Tags[K]>[number] & string> } }[keyof Tags & string]
  >
}

/** Fails to type-check, naming the label, when a hook of the world constrains the program's protocol. */
export type NotHooked<Hooked extends string, Label extends string> = [Extract<Hooked, Label>] extends [never]
  ? unknown
  : { readonly "a hook of the world constrains the sends of": Label }
