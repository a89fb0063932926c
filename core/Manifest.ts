/**
 * What a protocol module says about itself, so that every tool finds it the same way whether it
 * is bundled or in a user's repository: its families (sizes, systems, models, broken variants) and
 * what the Lean export needs. A module exports one `manifest`; source files are located from the
 * module itself (`import.meta.url`), never from paths known to the command line.
 *
 * @since 0.1.0
 */
import { fileURLToPath } from "node:url"
import type { Property } from "./Property.ts"
import type { Protocol } from "./Protocol.ts"
import type { Family } from "./System.ts"
import type * as World from "./World.ts"

/** A constructor parameter the transitions read: a function defined at the top of a file (absolute path), or a constant. */
export type LeanParameter = { readonly file: string } | { readonly value: boolean | number }

/** What the Lean export of one protocol needs. Paths are absolute (use `source`). */
export interface ProtocolExport {
  /** The Lean namespace and file name: `Calculator`. */
  readonly name: string
  /** The family (of this manifest) whose systems the differential check samples. */
  readonly family: string
  /** Any protocol instance (`Protocol<any>`, so that a protocol with its own shape needs no cast). */
  readonly protocol: Protocol<any>
  /** The module whose exports name the schemas (`Pending`, `CoordinatorState`, ...). */
  readonly schemas: { readonly [name: string]: unknown }
  /**
   * Absolute paths of the protocol's source and of the module whose top-level functions the
   * export names (`topology`, `initial`, parameters); invariants and properties are read where
   * their values say they were declared.
   */
  readonly protocolFile: string
  readonly propertiesFile: string
  /** The properties: the protocol's `withInvariant` layers are exported first, then its other `always` properties, each as an invariant with its own obligations. */
  readonly properties: ReadonlyArray<Property>
  /** The values of the parameters of the protocol's constructor that its functions read. */
  readonly parameters: { readonly [name: string]: LeanParameter }
  /**
   * A top-level predicate of `propertiesFile`, `(nodes: NodesOf<...>) => boolean`, that every
   * topology of the protocol satisfies (Two-Phase Commit's single coordinator). It is translated
   * like any helper and conjoined with distinct roles in `wf`, so obligations may assume it.
   */
  readonly topology?: string
  /**
   * Per-node initial states, by role: the name of a top-level function of `propertiesFile` (or of
   * `protocolFile`), `(self: string, nodes: NodesOf<...>) => <the role's state>`, that gives each
   * node its own initial local state (a ring's ids, say), as the family's systems give them to
   * `System.make({ initial })`. Lean's `initLocals` gives each node of the role its value; roles not
   * named here start in the role's initial state, and the differential check refuses a system whose
   * nodes start elsewhere.
   */
  readonly initial?: { readonly [role: string]: string }
  /** Small sizes of `family` for the differential check and the search for counterexamples to induction. */
  readonly sizes: { readonly [name: string]: number }
}

/** What the Lean export of a world of two protocols needs: a core exported on its own, and a client hooked on it. */
export interface WorldExport {
  /** The Lean namespace and file name: `QueryTpc`. */
  readonly name: string
  readonly family: string
  /** The `name` of the core protocol's own export (in this manifest or a manifest it imports). */
  readonly core: ProtocolExport
  readonly world: World.World
  /** The client protocol, as a protocol's export (its own invariants, if any, are exported too). */
  readonly client: Omit<ProtocolExport, "name" | "family" | "sizes">
  /** Absolute path of the file that declares the hooks. */
  readonly hooksFile: string
  /** Absolute path of the file that declares the world's properties. */
  readonly propertiesFile: string
  readonly properties: ReadonlyArray<World.WorldProperty>
  /** A top-level predicate of `propertiesFile`, `(nodes) => boolean`, that every world topology satisfies. */
  readonly topology?: string
  readonly sizes: { readonly [name: string]: number }
}

/** A protocol module's description of itself. */
export interface Manifest {
  /** The URL of the module that exports it (`import.meta.url`): worker threads load the model from there. */
  readonly module: string
  readonly families: ReadonlyArray<Family>
  readonly lean: {
    readonly protocols: ReadonlyArray<ProtocolExport>
    readonly worlds: ReadonlyArray<WorldExport>
  }
}

/** A manifest that contradicts itself: a repeated family, or an export of a family it does not list. */
export class ManifestError extends Error {
  override readonly name = "ManifestError"
}

/**
 * The absolute path of a file beside a module: `source(import.meta.url, "./Protocol.ts")`.
 *
 * @example
 * source("file:///p/src/election/index.ts", "./Protocol.ts") // => "/p/src/election/Protocol.ts"
 */
export const source = (moduleUrl: string, relative: string): string => fileURLToPath(new URL(relative, moduleUrl))

/**
 * Declares a module's manifest, checking that family names are distinct and that every export
 * names a family it lists.
 *
 * @example
 * import * as Manifest from "./Manifest.ts"
 * Manifest.make({ module: "file:///p/empty.ts", families: [] }).lean.protocols.length // => 0
 */
export const make = (spec: {
  readonly module: string
  readonly families: ReadonlyArray<Family>
  readonly lean?: { readonly protocols?: ReadonlyArray<ProtocolExport>; readonly worlds?: ReadonlyArray<WorldExport> }
}): Manifest => {
  const names = new Set<string>()
  for (const f of spec.families) {
    if (names.has(f.name)) throw new ManifestError(`${spec.module}: two families are named "${f.name}"`)
    names.add(f.name)
  }
  const protocols = spec.lean?.protocols ?? []
  const worlds = spec.lean?.worlds ?? []
  for (const e of [...protocols, ...worlds]) {
    if (!names.has(e.family)) throw new ManifestError(`${spec.module}: the Lean export ${e.name} names the family "${e.family}", which the manifest does not list`)
  }
  return { module: spec.module, families: spec.families, lean: { protocols, worlds } }
}
