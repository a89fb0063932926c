/**
 * Properties of a protocol's statelet, checked by the simulator after every step (and by the model
 * checker on every reachable state): `always` properties (safety invariants) and `sometimes`
 * properties (witnesses that some state is reachable, so that no invariant holds vacuously).
 * A property built from node-local predicates quantified over a role (`core/LocalPredicate.ts`)
 * means the same, and the model checker evaluates each such predicate once per distinct local
 * state instead of reading every node's state in every global state.
 *
 * @since 0.1.0
 */
import type { ProtocolShape } from "../typings/Protocol.ts"
import type { NodesOf, Protocol } from "./Protocol.ts"
import type { Statelet } from "./Statelet.ts"

/** A predicate over one protocol's statelet and its nodes. */
export type StatePredicate<T extends ProtocolShape> = (statelet: Statelet<T>, nodes: NodesOf<T>) => boolean

/** A named property: `always` must hold in every reachable state; `sometimes` in some. */
export interface Property<T extends ProtocolShape = any> {
  readonly kind: "always" | "sometimes"
  readonly name: string
  readonly holds: StatePredicate<T>
}

/**
 * A safety invariant. Its name is the Lean `def` it will be exported as.
 *
 * @example
 * import * as Calculator from "../protocols/Calculator/index.ts"
 * const noMessages = always(Calculator.protocol, "noMessages", (s) => s.soup.length === 0)
 * noMessages.kind // => "always"
 */
export const always = <T extends ProtocolShape>(
  _protocol: Protocol<T>,
  name: string,
  holds: StatePredicate<T>
): Property<T> => ({ kind: "always", name, holds })

/**
 * A reachability witness: some run must reach a state where it holds.
 *
 * @example
 * import * as Calculator from "../protocols/Calculator/index.ts"
 * const someMessage = sometimes(Calculator.protocol, "someMessage", (s) => s.soup.length > 0)
 * someMessage.kind // => "sometimes"
 */
export const sometimes = <T extends ProtocolShape>(
  _protocol: Protocol<T>,
  name: string,
  holds: StatePredicate<T>
): Property<T> => ({ kind: "sometimes", name, holds })

/**
 * The protocol's coherence as `always` properties: one per invariant layer added with
 * `withInvariant`, by its name, or else one named `coherence`, if it has one.
 */
export const coherence = <T extends ProtocolShape>(protocol: Protocol<T>): ReadonlyArray<Property<T>> =>
  protocol.invariants !== undefined
    ? protocol.invariants.map((l) => ({ kind: "always" as const, name: l.name, holds: l.holds }))
    : protocol.coherence === undefined
      ? []
      : [{ kind: "always", name: "coherence", holds: protocol.coherence }]
