/**
 * `withInvariant` (Disel's `WithInv`): the same protocol with its coherence strengthened to
 * `coh ∧ I`. The layer is an `always` property (`core/Property.ts`) that the protocol carries, so
 * there is one invariant concept: every system of the protocol checks each layer by its name on
 * every state it reaches, `checker/Induction.ts` searches for the transition that breaks one, and
 * the Lean exporter exports the layers as the protocol's inductive invariant. Its proof
 * obligations, named as the Lean exporter names its theorems, are `I` initially (`<name>_init`)
 * and `I` preserved by every send and every receive transition (`<name>_preserved_by_<transition>`),
 * each under the conjunction of the layers. Each layer records where `withInvariant` was called
 * (`core/CallSite.ts`): that call's predicate is the source the exporter translates.
 *
 * @since 0.1.0
 */
import * as CallSite from "../core/CallSite.ts"
import type { Invariant } from "../core/Property.ts"
import type { NodesOf, Protocol } from "../core/Protocol.ts"
import type { Statelet } from "../core/Statelet.ts"
import type { ProtocolShape } from "../typings/Protocol.ts"

export type { Invariant } from "../core/Property.ts"

/** One proof obligation of an invariant layer. */
export interface Obligation {
  /** `<invariant>_init` or `<invariant>_preserved_by_<transition>`. */
  readonly name: string
  readonly invariant: string
  readonly kind: "init" | "send" | "receive"
  /** The transition, for `send` and `receive` obligations. */
  readonly transition: string | undefined
}

/**
 * The named layers of a protocol's coherence, in the order they were added: its own coherence
 * (named `coherence`, with no call site: it is the `coherence` of its declaration) first, if it
 * has one.
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * layers(withInvariant(PingPong.protocol, "small", (s) => s.soup.length < 9)).map((l) => l.name) // => ["coherence", "small"]
 */
export const layers = <T extends ProtocolShape>(protocol: Protocol<T>): ReadonlyArray<Invariant<T>> =>
  protocol.invariants ?? (protocol.coherence === undefined ? [] : [{ kind: "always", name: "coherence", holds: protocol.coherence }])

/**
 * Strengthens a protocol's coherence with `holds`, under a name. The result has the same type, so
 * programs of the protocol run in it unchanged, and may rely on the invariant.
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * const strong = withInvariant(PingPong.protocol, "fewPings", (s, nodes) => nodes.pinger.every((p) => s.locals.pinger[p]!.next <= 3))
 * obligations(strong).filter((o) => o.invariant === "fewPings").map((o) => o.name).slice(0, 2)
 * // => ["fewPings_init", "fewPings_preserved_by_sendPing"]
 */
export const withInvariant = <T extends ProtocolShape>(
  protocol: Protocol<T>,
  name: string,
  holds: (statelet: Statelet<T>, nodes: NodesOf<T>) => boolean
): Protocol<T> => {
  const at = CallSite.capture(withInvariant)
  const before = layers(protocol)
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) throw new Error(`invariant name "${name}" must be an identifier (it names Lean theorems)`)
  if (before.some((l) => l.name === name)) throw new Error(`protocol "${protocol.label}" already has an invariant named "${name}"`)
  const all: ReadonlyArray<Invariant<T>> = [...before, { kind: "always", name, holds, at }]
  return { ...protocol, coherence: (s, nodes) => all.every((l) => l.holds(s, nodes)), invariants: all }
}

/**
 * Every obligation of a protocol's invariant layers (its own coherence included), by name.
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * const strong = withInvariant(PingPong.protocol, "small", () => true)
 * // PingPong's own coherence is the first layer: 2 × (1 + 3 sends + 3 receives).
 * obligations(strong).length // => 14
 */
export const obligations = (protocol: Protocol<any>): ReadonlyArray<Obligation> =>
  layers(protocol).flatMap((l) => [
    { name: `${l.name}_init`, invariant: l.name, kind: "init" as const, transition: undefined },
    ...protocol.sends.map((t) => ({ name: `${l.name}_preserved_by_${t.name}`, invariant: l.name, kind: "send" as const, transition: t.name })),
    ...protocol.receives.map((t) => ({
      name: `${l.name}_preserved_by_${t.name}`,
      invariant: l.name,
      kind: "receive" as const,
      transition: t.name
    }))
  ])
