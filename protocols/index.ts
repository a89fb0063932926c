/**
 * Every bundled protocol family, as `protoweave list` shows them: the protocols in their correct
 * form and their deliberately broken variants (named `<protocol>/<what is broken>`).
 *
 * @since 0.1.0
 */
import type { Model } from "../core/Model.ts"
import type { Family } from "../core/System.ts"
import * as Calculator from "./Calculator/index.ts"
import * as DelegatingCalculator from "./DelegatingCalculator/index.ts"
import * as LockResource from "./LockResource/index.ts"
import * as QueryTpc from "./QueryTpc/index.ts"
import * as TpcBench from "./TpcBench/index.ts"
import * as TwoPhaseCommit from "./TwoPhaseCommit/index.ts"

/** All bundled families, in the order `list` prints them. */
export const families: ReadonlyArray<Family> = [
  ...TwoPhaseCommit.families,
  ...Calculator.families,
  ...QueryTpc.families,
  ...DelegatingCalculator.families,
  ...LockResource.families,
  ...TpcBench.families
]

/**
 * Finds a family by its command-line name.
 *
 * @example
 * find("calculator")?.broken // => false
 */
export const find = (name: string): Family | undefined => families.find((f) => f.name === name)

/**
 * The model of a family, by name: what the checker's worker threads import to rebuild it.
 *
 * @example
 * modelOf("tpc-bench", { participants: 2 }).soup // => "active"
 */
export const modelOf = (name: string, parameters: { readonly [name: string]: number }): Model => {
  const model = find(name)?.model
  if (model === undefined) throw new Error(`${name} has no model to check`)
  return model(parameters)
}

/**
 * Where a worker thread finds the model of a family: this module, its `modelOf` export, and the
 * arguments (the shape of the checker's `ModelSource`).
 *
 * @example
 * modelSource("tpc-bench", { participants: 2 }).exportName // => "modelOf"
 */
export const modelSource = (name: string, parameters: { readonly [name: string]: number }) => ({
  specifier: import.meta.url,
  exportName: "modelOf",
  args: [name, parameters] as ReadonlyArray<unknown>
})
