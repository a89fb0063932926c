/**
 * Every bundled protocol family, as `protoweave list` shows them: the protocols in their correct
 * form and their deliberately broken variants (named `<protocol>/<what is broken>`).
 *
 * @since 0.1.0
 */
import type { Family } from "../core/System.ts"
import * as Calculator from "./Calculator/index.ts"
import * as TpcBench from "./TpcBench/index.ts"
import * as TwoPhaseCommit from "./TwoPhaseCommit/index.ts"

/** All bundled families, in the order `list` prints them. */
export const families: ReadonlyArray<Family> = [...TwoPhaseCommit.families, ...Calculator.families, ...TpcBench.families]

/**
 * Finds a family by its command-line name.
 *
 * @example
 * find("calculator")?.broken // => false
 */
export const find = (name: string): Family | undefined => families.find((f) => f.name === name)
