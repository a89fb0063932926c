/**
 * Finding a protocol family by the name given on the command line, with the closest listed names
 * suggested when there is no such family.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type { Family } from "../core/System.ts"
import * as Protocols from "../protocols/index.ts"
import { UsageError } from "./Errors.ts"

/**
 * The edit distance between two strings (insertions, deletions and substitutions).
 *
 * @example
 * distance("calculater", "calculator") // => 1
 */
export const distance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]!
}

/**
 * The listed names closest to a mistyped one, best first: names within a few edits, and names that
 * extend it or that it extends (`calc` → `calculator`).
 *
 * @example
 * suggest("calculater", ["calculator", "calculator/wrong-answer", "two-phase-commit"]) // => ["calculator"]
 */
export const suggest = (name: string, names: ReadonlyArray<string>, limit = 3): ReadonlyArray<string> => {
  const wanted = name.toLowerCase()
  const threshold = Math.max(2, Math.floor(wanted.length / 3))
  return names
    .map((candidate) => {
      const lower = candidate.toLowerCase()
      const d = distance(wanted, lower)
      const related = wanted.length >= 2 && (lower.startsWith(wanted) || wanted.startsWith(lower))
      return { candidate, score: d <= threshold ? d : related ? threshold + d / 100 : Infinity }
    })
    .filter((s) => s.score !== Infinity)
    .sort((x, y) => x.score - y.score)
    .slice(0, limit)
    .map((s) => s.candidate)
}

/**
 * The family listed under `name`, or a `UsageError` naming the closest listed families.
 *
 * @example
 * import * as Effect from "effect/Effect"
 * Effect.runSync(resolve("calculator")).broken // => false
 */
export const resolve = (name: string, families: ReadonlyArray<Family> = Protocols.families): Effect.Effect<Family, UsageError> => {
  const family = families.find((f) => f.name === name)
  if (family !== undefined) return Effect.succeed(family)
  const close = suggest(name, families.map((f) => f.name))
  const hint = close.length === 0 ? "" : ` (did you mean ${close.join(", ")}?)`
  return Effect.fail(new UsageError({ message: `unknown protocol "${name}"${hint}; "protoweave list" shows them all` }))
}
