/**
 * The bundled protocols' Lean exports as the exporter's tests take them: each manifest export as an
 * export spec with paths relative to the repository's root, and the sampling and searching helpers
 * of `prove` at each export's sizes (`cli/Prove.ts` itself knows no protocol).
 */
import { fileURLToPath } from "node:url"
import * as Prove from "../../cli/Prove.ts"
import type { Obligation } from "../../exporter/Export.ts"
import type { WorldExportSpec } from "../../exporter/ExportWorld.ts"
import * as Protocols from "../../protocols/index.ts"

/** The repository root: the bundled protocols' project. */
export const root = fileURLToPath(new URL("../..", import.meta.url))

const protocolExports = Protocols.manifests.flatMap((m) => m.lean.protocols)
const worldExports = Protocols.manifests.flatMap((m) => m.lean.worlds)

/** The bundled protocols' export specs. */
export const bundled = protocolExports.map((e) => Prove.exportSpec(root, e))

/** The bundled worlds' export specs. */
export const bundledWorlds: ReadonlyArray<WorldExportSpec> = worldExports.map((w) => Prove.worldExportSpec(root, w))

/** A bundled family by name, at the sizes of the export of that name's family (or its defaults, for a variant). */
export const sized = (family: string): Prove.Sized => ({
  family: Protocols.find(family)!,
  sizes: [...protocolExports, ...worldExports].find((e) => e.family === family)?.sizes ?? {}
})

/** `prove`'s samples of a bundled family. */
export const samples = (family: string, seeds?: ReadonlyArray<number>, depths?: ReadonlyArray<number>) => Prove.samples(sized(family), seeds, depths)

/** `prove`'s samples of a bundled world (of the family `spec.family`). */
export const worldSamples = (spec: WorldExportSpec, seeds?: ReadonlyArray<number>, depths?: ReadonlyArray<number>) => Prove.worldSamples(spec, sized(spec.family), seeds, depths)

/** `prove`'s counterexamples to induction for a bundled family's open obligations. */
export const inductionCounterexamples = (family: string, open: ReadonlyArray<Obligation>, all?: ReadonlyArray<Obligation>) => Prove.inductionCounterexamples(sized(family), open, all)
