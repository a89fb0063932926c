/**
 * Properties of a protocol's statelet, checked by the simulator after every step (and by the model
 * checker on every reachable state): `always` properties (safety invariants) and `sometimes`
 * properties (witnesses that some state is reachable, so that no invariant holds vacuously); and
 * liveness properties, `eventually` (every fair run reaches a state satisfying `p`) and `leadsTo`
 * (on every fair run, every state satisfying `p` is followed by one satisfying `q`), which the model
 * checker decides by searching for fair cycles (`checker/Liveness.ts`, `docs/liveness.md`) and the
 * simulator checks as bounded liveness.
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

/**
 * A named property: `always` must hold in every reachable state; `sometimes` in some; `eventually`
 * somewhere on every fair run; `leadsTo`: on every fair run, after every state satisfying `trigger`
 * (that state included), in some state.
 */
export interface Property<T extends ProtocolShape = any> {
  readonly kind: "always" | "sometimes" | "eventually" | "leadsTo"
  readonly name: string
  /** The state predicate: the invariant, the witness, or the goal a liveness property waits for. */
  readonly holds: StatePredicate<T>
  /** `leadsTo` only: the states after which `holds` must come. */
  readonly trigger?: StatePredicate<T> | undefined
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

/** A liveness property: `eventually` or `leadsTo`. */
export interface LivenessProperty<T extends ProtocolShape = any> extends Property<T> {
  readonly kind: "eventually" | "leadsTo"
}

/**
 * A liveness property: on every fair run (`docs/liveness.md`), some state satisfies `p`.
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * const stops = eventually(PingPong.protocol, "stops", (s, nodes) => nodes.ponger.every((q) => s.locals.ponger[q]!.stopped))
 * stops.kind // => "eventually"
 */
export const eventually = <T extends ProtocolShape>(
  _protocol: Protocol<T>,
  name: string,
  p: StatePredicate<T>
): LivenessProperty<T> => ({ kind: "eventually", name, holds: p, at: CallSite.capture(eventually) })

/**
 * A liveness property: on every fair run, every state satisfying `p` is followed by (or is) a state
 * satisfying `q`.
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * const answered = leadsTo(PingPong.protocol, "answered", (s) => s.soup.some((m) => m.active && m.tag === "ping"), (s) => s.soup.some((m) => m.tag === "pong"))
 * [answered.kind, answered.trigger !== undefined] // => ["leadsTo", true]
 */
export const leadsTo = <T extends ProtocolShape>(
  _protocol: Protocol<T>,
  name: string,
  p: StatePredicate<T>,
  q: StatePredicate<T>
): LivenessProperty<T> => ({ kind: "leadsTo", name, holds: q, trigger: p, at: CallSite.capture(leadsTo) })

/**
 * Whether a property is a liveness property.
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * isLiveness(always(PingPong.protocol, "none", (s) => s.soup.length === 0)) // => false
 */
export const isLiveness = <T extends ProtocolShape>(property: Property<T>): property is LivenessProperty<T> =>
  property.kind === "eventually" || property.kind === "leadsTo"

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
