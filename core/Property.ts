/**
 * Properties of a protocol's statelet, checked by the simulator after every step (and by the model
 * checker on every reachable state): `always` properties (safety invariants) and `sometimes`
 * properties (witnesses that some state is reachable, so that no invariant holds vacuously).
 * A property built from node-local predicates quantified over a role (`core/LocalPredicate.ts`)
 * means the same, and the model checker evaluates each such predicate once per distinct local
 * state instead of reading every node's state in every global state.
 *
 * One invariant concept: a protocol's invariant layers (`combinators/WithInvariant.ts`) are
 * `always` properties carried by the protocol, so every system of it checks them; `coherence`
 * lists them. Each property records where it was declared (`core/CallSite.ts`), which is where
 * the Lean exporter reads its predicate's source.
 *
 * @since 0.1.0
 */
import type { ProtocolShape } from "../typings/Protocol.ts"
import * as CallSite from "./CallSite.ts"
import type { NodesOf, Protocol } from "./Protocol.ts"
import type { Statelet } from "./Statelet.ts"

/** A predicate over one protocol's statelet and its nodes. */
export type StatePredicate<T extends ProtocolShape> = (statelet: Statelet<T>, nodes: NodesOf<T>) => boolean

/** A named property: `always` must hold in every reachable state; `sometimes` in some. */
export interface Property<T extends ProtocolShape = any> {
  readonly kind: "always" | "sometimes"
  readonly name: string
  readonly holds: StatePredicate<T>
  /** Where it was declared (the `always(...)`/`sometimes(...)`/`withInvariant(...)` call), when the engine says. */
  readonly at?: CallSite.CallSite | undefined
}

/** An invariant layer of a protocol (`withInvariant`): an `always` property the protocol carries. */
export interface Invariant<T extends ProtocolShape = any> extends Property<T> {
  readonly kind: "always"
}

/**
 * A safety invariant. Its name is the Lean `def` it will be exported as.
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * const noMessages = always(PingPong.protocol, "noMessages", (s) => s.soup.length === 0)
 * noMessages.kind // => "always"
 */
export const always = <T extends ProtocolShape>(
  _protocol: Protocol<T>,
  name: string,
  holds: StatePredicate<T>
): Property<T> => ({ kind: "always", name, holds, at: CallSite.capture(always) })

/**
 * A reachability witness: some run must reach a state where it holds.
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * const someMessage = sometimes(PingPong.protocol, "someMessage", (s) => s.soup.length > 0)
 * someMessage.kind // => "sometimes"
 */
export const sometimes = <T extends ProtocolShape>(
  _protocol: Protocol<T>,
  name: string,
  holds: StatePredicate<T>
): Property<T> => ({ kind: "sometimes", name, holds, at: CallSite.capture(sometimes) })

/**
 * The protocol's coherence as `always` properties: its invariant layers themselves (added with
 * `withInvariant`), or else one named `coherence`, if it has one.
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * coherence(PingPong.protocol).map((p) => p.name) // => ["coherence"]
 */
export const coherence = <T extends ProtocolShape>(protocol: Protocol<T>): ReadonlyArray<Invariant<T>> =>
  protocol.invariants !== undefined
    ? protocol.invariants
    : protocol.coherence === undefined
      ? []
      : [{ kind: "always", name: "coherence", holds: protocol.coherence }]
