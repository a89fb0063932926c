/**
 * A family's size parameters from the command line: given as `--param name=value` (any
 * parameter) or as a convenience flag named after the parameter (`--clients 3`), checked against
 * the parameters the family declares and their ranges, with defaults for the rest.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Flag } from "effect/cli"
import type { Family } from "../core/System.ts"
import { UsageError } from "./Errors.ts"

/** The flags of `simulate` and the global flags of effect/cli, which no convenience parameter flag may shadow. */
export const reservedFlags: ReadonlyArray<string> = [
  ...["seed", "runs", "faults", "trace", "max-steps", "max-time", "param", "level", "payloads"],
  ...["help", "version", "wizard", "completions", "log-level"]
]

/** Parameter flags offered even before a family declares them, so that scripts keep working. */
const usual: ReadonlyArray<string> = ["participants", "rounds", "clients", "servers", "requests"]

/**
 * The names that get a convenience flag (`--<name> N`): the usual sizes and every parameter the
 * given families declare (the bundled ones and those of the modules named on the command line),
 * except names `simulate` uses for its own flags.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * convenienceNames(TokenRing.families).includes("members") // => true
 */
export const convenienceNames = (families: ReadonlyArray<Family>): ReadonlyArray<string> =>
  [...new Set([...usual, ...families.flatMap((f) => Object.keys(f.parameters))])].filter((n) => !reservedFlags.includes(n))

/**
 * The help text of a convenience flag: what the families that declare it say about it.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * describeName("members", TokenRing.families).startsWith("number of members") // => true
 */
export const describeName = (name: string, families: ReadonlyArray<Family>): string => {
  const declaring = families.filter((f) => Object.hasOwn(f.parameters, name))
  if (declaring.length === 0) return `the "${name}" size, for protocols that declare it`
  const descriptions = [...new Set(declaring.map((f) => f.parameters[name]!.description))]
  return `${descriptions.join("; ")} (${declaring.map((f) => f.name).join(", ")})`
}

/** Where a parameter value came from, for error messages. */
export interface Given {
  readonly name: string
  readonly text: string
  /** How it was given: `--param clients=3`, `--clients 3`, or `the trace header`. */
  readonly source: string
}

const declaredList = (family: Family) => {
  const names = Object.keys(family.parameters)
  return names.length === 0 ? "it has none" : `its parameters: ${names.join(", ")}`
}

/**
 * Checks the given parameters against what `family` declares — each must be declared, a whole
 * number in [min, max], and given once (or twice with the same value) — and fills in the defaults.
 *
 * @example
 * import * as Effect from "effect/Effect"
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * Effect.runSync(resolve(TokenRing.families[0]!, [{ name: "members", text: "4", source: "--members 4" }])).members // => 4
 */
export const resolve = (
  family: Family,
  given: ReadonlyArray<Given>
): Effect.Effect<{ readonly [name: string]: number }, UsageError> =>
  Effect.gen(function* () {
    const fail = (message: string) => Effect.fail(new UsageError({ message }))
    const values: Record<string, number> = {}
    const sources: Record<string, string> = {}
    for (const g of given) {
      const spec = Object.hasOwn(family.parameters, g.name) ? family.parameters[g.name] : undefined
      if (spec === undefined) {
        return yield* fail(`${g.source}: ${family.name} has no parameter "${g.name}" (${declaredList(family)})`)
      }
      const value = Number(g.text)
      if (!/^[+-]?\d+$/.test(g.text.trim()) || !Number.isSafeInteger(value)) {
        return yield* fail(`${g.source}: ${g.name} must be a whole number, got "${g.text}"`)
      }
      if (value < spec.min || value > spec.max) {
        return yield* fail(`${g.source}: ${g.name} must be in [${spec.min}, ${spec.max}] for ${family.name}, got ${value}`)
      }
      if (g.name in values && values[g.name] !== value) {
        return yield* fail(`${g.name} is given twice with different values (${sources[g.name]} and ${g.source})`)
      }
      values[g.name] = value
      sources[g.name] = g.source
    }
    const resolved: Record<string, number> = {}
    for (const [name, spec] of Object.entries(family.parameters)) resolved[name] = values[name] ?? spec.default
    return resolved
  })

/**
 * A convenience flag (`--clients N`) for every parameter name of the given families, except the
 * command's own flags.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * Object.keys(sizeFlags(TokenRing.families, ["rounds"])) // => ["participants", "clients", "servers", "requests", "members", "depth"]
 */
export const sizeFlags = (families: ReadonlyArray<Family>, own: ReadonlyArray<string> = []): { readonly [name: string]: Flag.Flag<Option.Option<string>> } =>
  Object.fromEntries(
    convenienceNames(families)
      .filter((name) => !own.includes(name))
      .map((name) => [name, Flag.String(name).pipe(Flag.withMetavar("N"), Flag.withDescription(describeName(name, families)), Flag.optional)])
  )

/**
 * The parameters given on a command line — `--param NAME=N` and the convenience flags — in the
 * order given, for `resolve`.
 *
 * @example
 * import * as Option from "effect/Option"
 * import * as Effect from "effect/Effect"
 * Effect.runSync(given({ param: ["rounds=2"], sizes: { clients: Option.some("3") } })).map((g) => g.source)
 * // => ["--param rounds=2", "--clients 3"]
 */
export const given = (input: {
  readonly param: ReadonlyArray<string>
  readonly sizes: { readonly [name: string]: Option.Option<string> }
}): Effect.Effect<ReadonlyArray<Given>, UsageError> =>
  Effect.gen(function* () {
    const out: Array<Given> = []
    for (const text of input.param) {
      const eq = text.indexOf("=")
      if (eq <= 0) return yield* Effect.fail(new UsageError({ message: `--param ${text}: expected NAME=N, e.g. --param participants=3` }))
      out.push({ name: text.slice(0, eq), text: text.slice(eq + 1), source: `--param ${text}` })
    }
    for (const [name, value] of Object.entries(input.sizes)) {
      if (Option.isSome(value)) out.push({ name, text: value.value, source: `--${name} ${value.value}` })
    }
    return out
  })
