/**
 * `protoweave init [dir]`: scaffolds a project of one's own — package.json depending on
 * protoweave, tsconfig.json, one small protocol module (`src/tickets.ts`: roles, messages,
 * programs, properties, a `sometimes` witness, a broken variant and its `manifest`), a vitest test
 * that checks and simulates it through the package's API, and a README with the next commands.
 * The files are copied from `cli/templates/project`, shipped in the package.
 *
 * Which protoweave the new project depends on is `--protoweave <spec>` (anything `npm install`
 * accepts: a version range, a tarball path, a git URL), by default `^` the running version. A
 * version range is looked up on the npm registry, and the next steps say when it is not there.
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Argument, Command, Flag } from "effect/cli"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Package from "../internal/Package.ts"
import { UsageError } from "./Errors.ts"

/** Where the project template is, in this repository and in the installed package. */
export const templateDir = Package.file("cli/templates/project")

/** Template files whose names change when copied (npm would not pack a `.gitignore`, nor should a template's package.json look like a package). */
const renamed: { readonly [template: string]: string } = { "package.json.template": "package.json", "gitignore.template": ".gitignore" }

/**
 * An npm package name from a directory's name: lower case, other characters than letters, digits,
 * `-`, `.` and `_` replaced by `-`.
 *
 * @example
 * packageName("/home/me/My Protocols") // => "my-protocols"
 * packageName("/") // => "my-protocols"
 */
export const packageName = (dir: string): string => {
  const name = path.basename(path.resolve(dir)).toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[-._]+|-+$/g, "")
  return name.length === 0 ? "my-protocols" : name
}

/**
 * Whether a dependency spec names versions on the npm registry (a range or tag), rather than a
 * tarball, a directory, a URL or a git repository.
 *
 * @example
 * isRegistrySpec("^0.1.0") // => true
 * isRegistrySpec("/tmp/protoweave-0.1.0.tgz") // => false
 * isRegistrySpec("file:../protoweave") // => false
 */
export const isRegistrySpec = (spec: string): boolean =>
  !/^(?:\.{0,2}\/|~\/|file:|https?:|git(?:\+[a-z]+)?:|github:|[A-Za-z]:\\)/.test(spec) && !/\.t(?:ar\.)?gz$/.test(spec) && !spec.includes("/")

/**
 * The spec written into the new package.json: a path that exists from the working directory (a
 * tarball, a checkout) becomes an absolute `file:` spec, since npm would read a relative one from
 * the new project's directory; anything else is kept.
 *
 * @example
 * dependencySpec("^0.1.0") // => "^0.1.0"
 * dependencySpec("/") // => "file:/"
 */
export const dependencySpec = (spec: string): string =>
  !spec.startsWith("file:") && (spec.startsWith(".") || path.isAbsolute(spec) || spec.endsWith(".tgz")) && fs.existsSync(spec) ? `file:${path.resolve(spec)}` : spec

/** What the registry says of a spec: some version is there, none is, or it could not be asked. */
export type RegistryAnswer = { readonly _tag: "found" } | { readonly _tag: "missing" } | { readonly _tag: "unknown"; readonly reason: string }

/** Asks the npm registry (`npm view protoweave@<spec> version`) whether `spec` names a published version. */
export const askRegistry = (spec: string): RegistryAnswer => {
  const npm = spawnSync("npm", ["view", `protoweave@${spec}`, "version", "--json"], { encoding: "utf8", timeout: 20_000 })
  if (npm.error !== undefined) return { _tag: "unknown", reason: npm.error.message }
  if (npm.status === 0) return npm.stdout.trim().length > 0 ? { _tag: "found" } : { _tag: "missing" }
  return /E404|No match found/.test(npm.stderr) ? { _tag: "missing" } : { _tag: "unknown", reason: npm.stderr.trim().split("\n")[0] ?? `npm view exited ${npm.status}` }
}

/** What `init` needs besides the directory. */
export interface InitOptions {
  /** The dependency spec of protoweave in the new package.json. */
  readonly protoweave: string
  /** How a registry spec is looked up (the real registry by default). */
  readonly registry?: (spec: string) => RegistryAnswer
}

/** What `init` did. */
export interface Created {
  readonly dir: string
  readonly name: string
  /** The files written, relative to `dir`. */
  readonly files: ReadonlyArray<string>
  /** The printed text: what was written and the next commands. */
  readonly text: string
}

const filesUnder = (dir: string, prefix = ""): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name), path.join(prefix, e.name)) : [path.join(prefix, e.name)]
  )

/** The versions the template's package.json pins, from protoweave's own: the same effect, TypeScript, vitest and Node types. */
const pinned = (): { readonly [name: string]: string } => {
  const own = JSON.parse(fs.readFileSync(Package.file("package.json"), "utf8")) as {
    readonly dependencies: { readonly [name: string]: string }
    readonly devDependencies?: { readonly [name: string]: string }
  }
  return { ...own.devDependencies, ...own.dependencies }
}

/**
 * Writes a new project into `dir` (created if missing), which must be empty; throws `UsageError`
 * otherwise.
 *
 * @example
 * import * as fs from "node:fs"
 * import * as os from "node:os"
 * const dir = `${fs.mkdtempSync(`${os.tmpdir()}/init-`)}/demo`
 * const created = init(dir, { protoweave: "file:/tmp/protoweave.tgz" })
 * created.files.includes("src/tickets.ts") // => true
 * JSON.parse(fs.readFileSync(`${dir}/package.json`, "utf8")).dependencies.protoweave // => "file:/tmp/protoweave.tgz"
 */
export const init = (dir: string, options: InitOptions): Created => {
  const target = path.resolve(dir)
  if (fs.existsSync(target)) {
    if (!fs.statSync(target).isDirectory()) throw new UsageError({ message: `${dir} is a file, not a directory` })
    const present = fs.readdirSync(target)
    if (present.length > 0) {
      throw new UsageError({ message: `${dir} is not empty (${present.slice(0, 3).join(", ")}${present.length > 3 ? ", ..." : ""}); init writes only into an empty or new directory` })
    }
  }
  const name = packageName(target)
  const spec = dependencySpec(options.protoweave)
  const values: { readonly [key: string]: string } = { name, protoweave: spec, ...pinned() }
  const fill = (text: string, file: string) =>
    text.replace(/\{\{([^}]+)\}\}/g, (_, key: string) => {
      const value = values[key]
      if (value === undefined) throw new Error(`${file}: the template names {{${key}}}, which init does not know`)
      return value
    })
  const written: Array<string> = []
  for (const file of filesUnder(templateDir)) {
    const out = path.join(path.dirname(file), renamed[path.basename(file)] ?? path.basename(file))
    fs.mkdirSync(path.join(target, path.dirname(out)), { recursive: true })
    fs.writeFileSync(path.join(target, out), fill(fs.readFileSync(path.join(templateDir, file), "utf8"), file))
    written.push(out.split(path.sep).join("/"))
  }
  written.sort()
  const registry = isRegistrySpec(spec) ? (options.registry ?? askRegistry)(spec) : undefined
  const note =
    registry === undefined || registry._tag === "found"
      ? []
      : registry._tag === "missing"
        ? [
            "",
            `protoweave@${spec} is not on the npm registry, so "npm install" will fail: install a packed`,
            "protoweave instead (\"npm pack\" in a protoweave checkout, then \"npm install <path to protoweave-<version>.tgz>\"),",
            "or run init again with --protoweave <tarball, directory or git URL>."
          ]
        : ["", `could not ask the npm registry whether protoweave@${spec} is published (${registry.reason}).`]
  const cd = path.relative(process.cwd(), target)
  const text = [
    `created ${name} in ${target}: ${written.join(", ")}`,
    `it depends on protoweave ${spec}`,
    ...note,
    "",
    "next:",
    ...(cd === "" ? [] : [`  cd ${cd.includes(" ") ? JSON.stringify(cd) : cd}`]),
    "  npm install",
    "  npm test",
    "  npx protoweave check ./src/tickets.ts",
    "  npx protoweave simulate ./src/tickets.ts",
    "  npx protoweave check ./src/tickets.ts#tickets/repeating-dispenser"
  ].join("\n")
  return { dir: target, name, files: written, text }
}

/** The `init` command. */
export const command = Command.make(
  "init",
  {
    dir: Argument.String("dir").pipe(Argument.withDescription("the directory to create the project in, empty or new (default: the current directory)"), Argument.optional),
    protoweave: Flag.String("protoweave").pipe(
      Flag.withMetavar("SPEC"),
      Flag.withDescription(`the protoweave the project depends on: a version range, a tarball, a directory or a git URL (default ^${Package.version})`),
      Flag.optional
    )
  },
  ({ dir, protoweave }) =>
    Effect.gen(function* () {
      const created = yield* Effect.try({
        try: () => init(Option.getOrElse(dir, () => "."), { protoweave: Option.getOrElse(protoweave, () => `^${Package.version}`) }),
        catch: (e) => (e instanceof UsageError ? e : new UsageError({ message: e instanceof Error ? e.message : String(e) }))
      })
      yield* Console.log(created.text)
    })
).pipe(Command.withDescription("Create a project with one protocol module, its test and the next commands to run"))
