/**
 * Finding a protocol family from the command line: a bundled family by name
 * (`two-phase-commit/commit-on-any-yes`), or a protocol module the user wrote, by path
 * (`./src/election.ts`, optionally `./src/election.ts#election/no-tiebreak`). Either way the family
 * comes from a module's `manifest` (`core/Manifest.ts`): the bundled ones from the manifests that
 * `protocols/index.ts` lists, loaded the same way. A `.ts` module is loaded through tsx's ESM
 * loader, registered here when the command itself runs as compiled JavaScript.
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import type { Manifest } from "../core/Manifest.ts"
import type { Model } from "../core/Model.ts"
import type { Family } from "../core/System.ts"
import { oneLine, UsageError } from "./Errors.ts"
import { suggest } from "./Suggestions.ts"

/** A family chosen on the command line, with the manifest it comes from. */
export interface Chosen {
  readonly manifest: Manifest
  readonly family: Family
  /** The absolute path of the user's module it comes from; undefined for a bundled family. */
  readonly module: string | undefined
  /**
   * What names this family again in a later command, a trace or a child process: a bundled
   * family's name, or `<absolute path>#<family>`.
   */
  readonly argument: string
}

const moduleExtension = /\.(?:[cm]?[jt]s|[jt]sx)$/

/**
 * A module path and its family selector: `./x.ts#ring/broken` is `./x.ts` and `ring/broken`.
 *
 * @example
 * split("./src/ring.ts#ring/keep-token") // => { path: "./src/ring.ts", selector: "ring/keep-token" }
 * split("./src/ring.ts") // => { path: "./src/ring.ts", selector: undefined }
 */
export const split = (arg: string): { readonly path: string; readonly selector: string | undefined } => {
  const hash = arg.lastIndexOf("#")
  return hash < 0 || fs.existsSync(arg) ? { path: arg, selector: undefined } : { path: arg.slice(0, hash), selector: arg.slice(hash + 1) }
}

/**
 * Whether a command-line argument names a module rather than a bundled family: it starts with `.`
 * or `/`, is a `file:` URL, or ends in a JavaScript or TypeScript extension.
 *
 * @example
 * isModulePath("./src/election.ts") // => true
 * isModulePath("two-phase-commit/commit-on-any-yes") // => false
 */
export const isModulePath = (arg: string): boolean => {
  const file = split(arg).path
  return file.startsWith(".") || file.startsWith("/") || file.startsWith("file:") || moduleExtension.test(file)
}

/** The absolute path a module argument names, from the working directory. */
const absolute = (file: string): string => (file.startsWith("file:") ? fileURLToPath(file) : path.resolve(file))

/** Whether this module runs as TypeScript, in which case a loader for `.ts` files is in place already. */
const runningTypeScript = import.meta.url.endsWith(".ts")

let typeScriptLoader: Promise<void> | undefined

/**
 * Makes `.ts` modules importable: nothing to do when this module is TypeScript itself (run through
 * tsx or vitest); from the compiled JavaScript, tsx's ESM loader is registered once, with the
 * tsconfig.json of the working directory (the user's project) as tsx finds it.
 */
const typeScript = (): Promise<void> => {
  if (runningTypeScript) return Promise.resolve()
  typeScriptLoader ??= import("tsx/esm/api").then(({ register }) => void register())
  return typeScriptLoader
}

const messageOf = (e: unknown) => oneLine(e instanceof Error ? e.message : String(e))

/** Checks that an export is a manifest (as `Manifest.make` builds one), or says what is wrong with it. */
const asManifest = (value: unknown, where: string): Manifest => {
  const m = value as Partial<Manifest> | undefined
  if (typeof m !== "object" || m === null || typeof m.module !== "string" || !Array.isArray(m.families) || typeof m.lean !== "object") {
    throw new UsageError({ message: `${where} exports a "manifest" that Manifest.make did not build (it needs module, families and lean)` })
  }
  if (!m.module.startsWith("file:")) {
    throw new UsageError({ message: `${where}: its manifest's module is "${m.module}"; give Manifest.make({ module: import.meta.url, ... })` })
  }
  return m as Manifest
}

const loaded = new Map<string, Promise<Manifest>>()

/**
 * The manifest a protocol module exports, by path (relative to the working directory, absolute, or
 * a `file:` URL). Fails with a `UsageError` when the file does not exist, cannot be loaded, or
 * exports no `manifest`. A module is loaded once per process.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * const manifest = await load(TokenRing.manifest.module)
 * manifest.families.map((f) => f.name) // => ["token-ring", "token-ring/keep-token"]
 */
export const load = (specifier: string): Promise<Manifest> => {
  const file = absolute(specifier)
  const url = pathToFileURL(file).href
  const known = loaded.get(url)
  if (known !== undefined) return known
  const loading = (async () => {
    if (!fs.existsSync(file)) throw new UsageError({ message: `cannot load ${specifier}: no such file (${file})` })
    if (fs.statSync(file).isDirectory()) throw new UsageError({ message: `cannot load ${specifier}: it is a directory; give the protocol module's file (${file}/index.ts, say)` })
    if (/\.[cm]?tsx?$/.test(file)) await typeScript()
    let module: Record<string, unknown>
    try {
      module = (await import(url)) as Record<string, unknown>
    } catch (e) {
      throw new UsageError({ message: `cannot load ${specifier}: ${messageOf(e)}` })
    }
    if (!("manifest" in module)) {
      const exports = Object.keys(module).filter((k) => k !== "default")
      throw new UsageError({
        message: `${specifier} does not export a manifest (${exports.length === 0 ? "it exports nothing" : `its exports: ${exports.join(", ")}`}); a protocol module exports one: export const manifest = Manifest.make({ module: import.meta.url, families }) (docs/protocol-modules.md)`
      })
    }
    return asManifest(module.manifest, specifier)
  })()
  loaded.set(url, loading)
  return loading
}

let bundledManifests: Promise<ReadonlyArray<Manifest>> | undefined

/**
 * The bundled protocols' manifests, as `protocols/index.ts` lists them.
 *
 * @example
 * const manifests = await bundled()
 * manifests.flatMap((m) => m.families).some((f) => f.name === "calculator") // => true
 */
export const bundled = (): Promise<ReadonlyArray<Manifest>> => {
  bundledManifests ??= import("../protocols/index.ts").then((m) => m.manifests.map((manifest, i) => asManifest(manifest, `protocols/index.ts (manifest ${i + 1})`)))
  return bundledManifests
}

/**
 * The bundled families, in the order `protoweave list` prints them.
 *
 * @example
 * (await bundledFamilies())[0]!.name // => "two-phase-commit"
 */
export const bundledFamilies = async (): Promise<ReadonlyArray<Family>> => (await bundled()).flatMap((m) => m.families)

const toUsageError = (e: unknown): UsageError => (e instanceof UsageError ? e : new UsageError({ message: messageOf(e) }))

/** The family a module's selector names, or else its first correct one (said on stderr when it has others). */
const familyOf = (manifest: Manifest, arg: string, selector: string | undefined): Effect.Effect<Family, UsageError> => {
  const names = manifest.families.map((f) => f.name)
  if (selector !== undefined) {
    const family = manifest.families.find((f) => f.name === selector)
    if (family !== undefined) return Effect.succeed(family)
    const close = suggest(selector, names)
    return Effect.fail(
      new UsageError({ message: `${split(arg).path} has no family "${selector}"${close.length === 0 ? "" : ` (did you mean ${close.join(", ")}?)`}; its families: ${names.join(", ")}` })
    )
  }
  const family = manifest.families.find((f) => !f.broken) ?? manifest.families[0]
  if (family === undefined) return Effect.fail(new UsageError({ message: `${arg}: its manifest lists no families` }))
  if (manifest.families.length === 1) return Effect.succeed(family)
  const others = names.filter((n) => n !== family.name)
  return Effect.as(Console.error(`note: ${arg} has ${names.length} families; using ${family.name} (others: ${others.join(", ")}; choose one with ${arg}#<family>)`), family)
}

/**
 * The family a command-line argument names: a bundled family's name (with the closest names
 * suggested when there is none), or a module path, optionally followed by `#<family>` to choose one
 * of the module's families (without it, the module's first family that is not broken is used, and
 * a note on stderr says so when it has others).
 *
 * @example
 * import * as Effect from "effect/Effect"
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * (await Effect.runPromise(resolve("calculator"))).argument // => "calculator"
 * (await Effect.runPromise(resolve(`${TokenRing.manifest.module}#token-ring/keep-token`))).family.broken // => true
 */
export const resolve = (arg: string): Effect.Effect<Chosen, UsageError> =>
  Effect.gen(function* () {
    if (isModulePath(arg)) {
      const { path: file, selector } = split(arg)
      const manifest = yield* Effect.tryPromise({ try: () => load(file), catch: toUsageError })
      const family = yield* familyOf(manifest, arg, selector)
      const module = absolute(file)
      return { manifest, family, module, argument: `${module}#${family.name}` }
    }
    const manifests = yield* Effect.tryPromise({ try: bundled, catch: toUsageError })
    for (const manifest of manifests) {
      const family = manifest.families.find((f) => f.name === arg)
      if (family !== undefined) return { manifest, family, module: undefined, argument: family.name }
    }
    const close = suggest(arg, manifests.flatMap((m) => m.families.map((f) => f.name)))
    const hint = close.length === 0 ? "" : ` (did you mean ${close.join(", ")}?)`
    return yield* new UsageError({ message: `unknown protocol "${arg}"${hint}; "protoweave list" shows them all, and a protocol module is named by its path (./src/protocol.ts)` })
  })

/**
 * The URL a chosen family's manifest is loaded from again, in a worker thread: the module the
 * user named, or the bundled manifest's own module.
 *
 * @example
 * import * as Effect from "effect/Effect"
 * (await Effect.runPromise(resolve("calculator").pipe(Effect.map(urlOf)))).endsWith("/protocols/Calculator/index.ts") // => true
 */
export const urlOf = (chosen: Chosen): string => (chosen.module === undefined ? chosen.manifest.module : pathToFileURL(chosen.module).href)

/**
 * The families a command line may name: the bundled ones and those of every module path among the
 * arguments (whose parameters get convenience flags such as `--members N`). A module that cannot
 * be loaded is left out here: the command that names it reports why.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * const families = await familiesNamedIn(["check", TokenRing.manifest.module])
 * families.some((f) => f.name === "token-ring") // => true
 */
export const familiesNamedIn = async (args: ReadonlyArray<string>): Promise<ReadonlyArray<Family>> => {
  const modules = args.filter((a) => !a.startsWith("-") && isModulePath(a)).map((a) => split(a).path)
  const own = await Promise.all(modules.map((m) => load(m).then((manifest) => manifest.families, () => [])))
  return [...(await bundledFamilies()), ...own.flat()]
}

/**
 * The model of a family of the manifest `module` (a URL) exports: what the checker's worker threads
 * call to rebuild the model, through `modelSource`.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * (await modelOf(TokenRing.manifest.module, "token-ring", { members: 2 })).system.topology.all // => ["m1", "m2"]
 */
export const modelOf = async (module: string, family: string, parameters: { readonly [name: string]: number }): Promise<Model> => {
  const found = (await load(module)).families.find((f) => f.name === family)
  if (found?.model === undefined) throw new Error(`${module}: ${found === undefined ? `no family ${family}` : `${family} has no model`}`)
  return found.model(parameters)
}

/**
 * Where a worker thread finds the model of a family: this module's `modelOf`, with the manifest's
 * module URL (`checker/Parallel.ts`'s `ModelSource`).
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * modelSource({ module: TokenRing.manifest.module, family: "token-ring" }, { members: 2 }).exportName // => "modelOf"
 */
export const modelSource = (of: { readonly module: string; readonly family: string }, parameters: { readonly [name: string]: number }) => ({
  specifier: import.meta.url,
  exportName: "modelOf",
  args: [of.module, of.family, parameters] as ReadonlyArray<unknown>
})
