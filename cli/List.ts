/**
 * `protoweave list [module]`: every bundled protocol family, or with a module path the families of
 * that protocol module — name, whether it is a deliberately broken variant, the faults it
 * tolerates, its parameters with their defaults, its description — and a second table with each
 * parameter's range and meaning.
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Argument, Command } from "effect/cli"
import type { Family } from "../core/System.ts"
import { UsageError } from "./Errors.ts"
import * as Manifests from "./Manifests.ts"

/**
 * Lays out rows as columns separated by two spaces; the last column is not padded.
 *
 * @example
 * table([["a", "bb"], ["ccc", "d"]]) // => "a    bb\nccc  d"
 */
export const table = (rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths: Array<number> = []
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)))
  return rows
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  ").trimEnd())
    .join("\n")
}

/**
 * Family names for a table cell, a protocol listed with all its variants shortened to
 * `name (+N variants)`.
 *
 * @example
 * collapse(["calculator", "calculator/wrong-answer"], ["calculator", "calculator/wrong-answer"]) // => "calculator (+1 variant)"
 */
export const collapse = (names: ReadonlyArray<string>, all: ReadonlyArray<string>): string => {
  const out: Array<string> = []
  const done = new Set<string>()
  for (const name of names) {
    if (done.has(name)) continue
    const variants = all.filter((n) => n.startsWith(`${name}/`))
    if (variants.length > 0 && variants.every((v) => names.includes(v))) {
      out.push(`${name} (+${variants.length} variant${variants.length === 1 ? "" : "s"})`)
      for (const v of variants) done.add(v)
    } else {
      out.push(name)
    }
    done.add(name)
  }
  return out.join(", ")
}

/**
 * The text `protoweave list` prints for some families; `named` is how the example line names the
 * first of them on the command line.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * formatList(TokenRing.families).includes("token-ring/keep-token") // => true
 */
export const formatList = (families: ReadonlyArray<Family>, named: string = families[0]?.name ?? "<protocol>"): string => {
  const protocols = table([
    ["PROTOCOL", "BROKEN", "TOLERATES", "PARAMETERS (default)", "DESCRIPTION"],
    ...families.map((f) => [
      f.name,
      f.broken ? "yes" : "no",
      f.tolerates.length === 0 ? "-" : f.tolerates.join(", "),
      Object.entries(f.parameters)
        .map(([name, p]) => `${name}=${p.default}`)
        .join(" ") || "-",
      f.description
    ])
  ])
  const groups = new Map<string, { readonly row: ReadonlyArray<string>; readonly families: Array<string> }>()
  for (const f of families) {
    for (const [name, p] of Object.entries(f.parameters)) {
      const row = [name, `${p.min}..${p.max}`, String(p.default)]
      const key = JSON.stringify([...row, p.description])
      const group = groups.get(key) ?? { row: [...row, p.description], families: [] }
      group.families.push(f.name)
      groups.set(key, group)
    }
  }
  const all = families.map((f) => f.name)
  const parameters = table([
    ["PARAMETER", "RANGE", "DEFAULT", "DESCRIPTION", "PROTOCOLS"],
    ...[...groups.values()].map((g) => [...g.row, collapse(g.families, all)])
  ])
  const first = families[0]
  const parameter = first === undefined ? undefined : Object.entries(first.parameters)[0]
  const example = parameter === undefined ? "" : `, e.g. "protoweave simulate ${named} --${parameter[0]} ${Math.min(parameter[1].max, parameter[1].default + 1)}"`
  return [protocols, "", parameters, "", `Set a parameter with --<parameter> N or --param <parameter>=N${example}.`].join("\n")
}

/** Lists the bundled families, or those of the protocol module `module` names. */
export const list = (module: Option.Option<string>): Effect.Effect<void, UsageError> =>
  Effect.gen(function* () {
    if (Option.isNone(module)) return yield* Console.log(formatList(yield* Effect.promise(Manifests.bundledFamilies)))
    if (!Manifests.isModulePath(module.value)) {
      return yield* new UsageError({ message: `list takes a protocol module's path (./src/election.ts), got "${module.value}"; "protoweave list" alone lists the bundled protocols` })
    }
    const manifest = yield* Effect.tryPromise({ try: () => Manifests.load(Manifests.split(module.value).path), catch: (e) => (e instanceof UsageError ? e : new UsageError({ message: String(e) })) })
    yield* Console.log(formatList(manifest.families, module.value))
  })

/** The `list` command. */
export const command = Command.make(
  "list",
  { module: Argument.String("module").pipe(Argument.withDescription("a protocol module's path, to list its families instead of the bundled ones"), Argument.optional) },
  ({ module }) => list(module)
).pipe(Command.withDescription("List the bundled protocols (or a protocol module's), their broken variants, the faults they tolerate and their parameters"))
