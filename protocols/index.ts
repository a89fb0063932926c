/**
 * The bundled protocols, as `protoweave` finds them: one manifest per protocol module, each
 * listing its families (the protocol in its correct form and its deliberately broken variants,
 * named `<protocol>/<what is broken>`) and its Lean export. The command line loads this module the
 * way it loads a user's protocol module, and reads `manifests`.
 *
 * @since 0.1.0
 */
import type { Family } from "../core/System.ts"
import type { Manifest } from "../core/Manifest.ts"
import * as Calculator from "./Calculator/index.ts"
import * as DelegatingCalculator from "./DelegatingCalculator/index.ts"
import * as LockResource from "./LockResource/index.ts"
import * as QueryTpc from "./QueryTpc/index.ts"
import * as TpcBench from "./TpcBench/index.ts"
import * as TwoPhaseCommit from "./TwoPhaseCommit/index.ts"

/** The bundled manifests, in the order `list` prints their families. */
export const manifests: ReadonlyArray<Manifest> = [
  TwoPhaseCommit.manifest,
  Calculator.manifest,
  QueryTpc.manifest,
  DelegatingCalculator.manifest,
  LockResource.manifest,
  TpcBench.manifest
]

/**
 * Every bundled family, from the manifests (for tests and benchmarks).
 *
 * @example
 * families.length === manifests.reduce((n, m) => n + m.families.length, 0) // => true
 */
export const families: ReadonlyArray<Family> = manifests.flatMap((m) => m.families)

/**
 * A bundled family by its command-line name.
 *
 * @example
 * find("calculator")?.broken // => false
 */
export const find = (name: string): Family | undefined => families.find((f) => f.name === name)
