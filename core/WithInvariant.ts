/**
 * `withInvariant` (Disel's `WithInv`): the same protocol with its coherence strengthened to
 * `coh ∧ I`. Its proof obligations, named as the Lean exporter names its theorems, are `I`
 * initially (`<name>_init`) and `I` preserved by every send and every receive transition
 * (`<name>_preserved_by_<transition>`), each under `coh ∧ I`. Every interpreter checks the named
 * invariants on every state it reaches (they become properties of any system of the protocol),
 * and `checker/Induction.ts` searches for the transition that breaks one.
 *
 * @since 0.1.0
 */
import type { ProtocolShape } from "../typings/Protocol.ts"
import type { NodesOf, Protocol } from "./Protocol.ts"
import type { Statelet } from "./Statelet.ts"

/** A named invariant layer of a protocol. */
export interface Invariant<T extends ProtocolShape = any> {
  readonly name: string
  readonly holds: (statelet: Statelet<T>, nodes: NodesOf<T>) => boolean
}

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
 * (named `coherence`) first, if it has one.
 */
export const layers = <T extends ProtocolShape>(protocol: Protocol<T>): ReadonlyArray<Invariant<T>> =>
  protocol.invariants ?? (protocol.coherence === undefined ? [] : [{ name: "coherence", holds: protocol.coherence }])

/**
 * Strengthens a protocol's coherence with `holds`, under a name. The result has the same type, so
 * programs of the protocol run in it unchanged, and may rely on the invariant.
 *
 * @example
 * import * as Calculator from "../protocols/Calculator/index.ts"
 * const strong = withInvariant(Calculator.protocol, "fewPending", (s, nodes) => nodes.client.every((c) => s.locals.client[c]!.pending.length <= 3))
 * obligations(strong).filter((o) => o.invariant === "fewPending").map((o) => o.name).slice(0, 2)
 * // => ["fewPending_init", "fewPending_preserved_by_clientSend"]
 */
export const withInvariant = <T extends ProtocolShape>(
  protocol: Protocol<T>,
  name: string,
  holds: (statelet: Statelet<T>, nodes: NodesOf<T>) => boolean
): Protocol<T> => {
  const before = layers(protocol)
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) throw new Error(`invariant name "${name}" must be an identifier (it names Lean theorems)`)
  if (before.some((l) => l.name === name)) throw new Error(`protocol "${protocol.label}" already has an invariant named "${name}"`)
  const all = [...before, { name, holds }]
  return { ...protocol, coherence: (s, nodes) => all.every((l) => l.holds(s, nodes)), invariants: all }
}

/**
 * Every obligation of a protocol's invariant layers (its own coherence included), by name.
 *
 * @example
 * import * as Calculator from "../protocols/Calculator/index.ts"
 * const strong = withInvariant(Calculator.protocol, "fewPending", () => true)
 * // The Calculator's own coherence is the first layer: 2 × (1 + 2 sends + 2 receives).
 * obligations(strong).length // => 10
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
