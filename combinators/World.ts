/**
 * Worlds (Disel's `world`): several protocols under distinct labels, tied together by send-hooks.
 * This module declares a world (`make`) and is the whole world API in one namespace
 * (`import { World } from "protoweave"`): it re-exports compiling a world on nodes into one
 * protocol (`instantiate`, `system`, from `Compose.ts`), injecting a protocol's program (`inject`),
 * world programs (`program`) and world properties (`always`, `sometimes`, `eventually`, `leadsTo`, `lift`), and the
 * kernel's and the type level's world types.
 *
 * @since 0.1.0
 */
import type { SendHook, World } from "../core/World.ts"
import type { AnyProtocol, DistinctLabels, LabelsOf } from "../typings/World.ts"
import { WorldSpecError } from "./WorldSpecError.ts"

export type { ComposedLocal, SendHook, World, WorldProperty } from "../core/World.ts"
export type { LabelsOf, Placement, Roles, ShapeOf, Statelets, WorldNode, WorldNodes } from "../typings/World.ts"
export { type Instance, instantiate, system } from "./Compose.ts"
export { inject } from "./Inject.ts"
export { program, type WorldProgram } from "./WorldProgram.ts"
export { always, eventually, leadsTo, lift, sometimes } from "./WorldProperty.ts"
export { WorldSpecError }

/**
 * Declares a world. Two protocols with one label, or a hook naming a label outside the world, do
 * not type-check (and are refused at run time too, with a `WorldSpecError`).
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * const world = make({ label: "pair", protocols: [PingPong.protocol, PingPong.echo] })
 * world.protocols.map((p) => p.label) // => ["pingpong", "echo"]
 */
export const make = <
  const L extends string,
  const Ps extends ReadonlyArray<AnyProtocol>,
  const Hooks extends ReadonlyArray<SendHook<LabelsOf<Ps>, LabelsOf<Ps>>> = readonly []
>(spec: {
  readonly label: L
  readonly protocols: Ps & DistinctLabels<Ps>
  readonly hooks?: Hooks
}): World<L, Ps, Hooks[number]["client"]> => {
  const labels = spec.protocols.map((p) => p.label as string)
  const problems: Array<string> = []
  labels.forEach((l, i) => {
    if (labels.indexOf(l) !== i) problems.push(`two protocols have the label "${l}"`)
  })
  for (const h of spec.hooks ?? []) {
    for (const l of [h.core, h.client]) if (!labels.includes(l)) problems.push(`hook "${h.name}" names "${l}", which is not a protocol of the world`)
  }
  if (labels.includes(spec.label)) problems.push(`the world's label "${spec.label}" is also the label of one of its protocols`)
  if (problems.length > 0) throw new WorldSpecError(`world "${spec.label}": ${problems.join("; ")}`)
  return { label: spec.label, protocols: spec.protocols, hooks: (spec.hooks ?? []) as Hooks }
}
