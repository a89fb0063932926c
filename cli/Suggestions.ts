/**
 * The closest listed names to a mistyped one, for the suggestions of a `UsageError` (a family, a
 * flag): edit distance, and names that extend a prefix.
 *
 * @since 0.1.0
 */

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
