/**
 * How much of each exported protocol's obligations is proved and by what: `prove`'s coverage
 * table. Each obligation is counted once, in the first column that holds for it: proved by Lean's
 * automation (a rung of the ladder, checked by Lean's kernel), proved by Z3 (the SMT stage, not
 * checked by Lean), proved by hand (a hand-written Lean proof), open with a counterexample to
 * induction that TypeScript confirmed, or unknown (with Z3's or the encoding's reason, or not
 * decided by either). The last line counts what was proved automatically: by Lean's automation or
 * by Z3.
 *
 * @since 0.1.0
 */
import type { SmtOutcome } from "./SmtSolve.ts"

/** What Lean said of one obligation: `proved` with the rung or `hand-written`, or anything else. */
export interface LeanStatus {
  readonly status: string
  readonly by: string
}

/** One protocol's obligations, with what Lean (if it ran) and Z3 (if it ran) said of each. */
export interface ProtocolCoverage {
  readonly protocol: string
  readonly obligations: ReadonlyArray<string>
  /** By obligation; missing when Lean did not run. */
  readonly lean?: ReadonlyMap<string, LeanStatus>
  /** By obligation; missing when the SMT stage did not run. */
  readonly smt?: ReadonlyMap<string, SmtOutcome>
}

/** The columns, in the order an obligation is counted. */
export const columns = ["Lean automatic", "Z3", "hand", "open with CTI", "unknown"] as const

/** The column an obligation is counted in. */
export const columnOf = (lean: LeanStatus | undefined, smt: SmtOutcome | undefined): (typeof columns)[number] => {
  if (lean?.status === "proved" && lean.by !== "hand-written") return "Lean automatic"
  if (smt?.status === "valid") return "Z3"
  if (lean?.status === "proved") return "hand"
  if (smt?.status === "invalid") return "open with CTI"
  return "unknown"
}

/**
 * The coverage table, one row per protocol and a total, and the line
 * `automatic: X% of N obligations`.
 *
 * @example
 * const smt = new Map([["i_init", { obligation: "i_init", invariant: "i", transition: undefined, status: "valid", milliseconds: 3 } as const]])
 * coverage([{ protocol: "P", obligations: ["i_init", "i_preserved_by_t"], smt }]).split("\n").at(-1)
 * // => "automatic: 50% of 2 obligations"
 */
export const coverage = (protocols: ReadonlyArray<ProtocolCoverage>): string => {
  const counts = protocols.map((p) => {
    const row = new Map<string, number>(columns.map((c) => [c, 0]))
    for (const o of p.obligations) {
      const c = columnOf(p.lean?.get(o), p.smt?.get(o))
      row.set(c, row.get(c)! + 1)
    }
    return { protocol: p.protocol, total: p.obligations.length, row }
  })
  const total = counts.reduce((n, c) => n + c.total, 0)
  const sum = (c: string) => counts.reduce((n, x) => n + x.row.get(c)!, 0)
  const header = ["protocol", "obligations", ...columns]
  const rows = [
    ...counts.map((c) => [c.protocol, String(c.total), ...columns.map((col) => String(c.row.get(col)))]),
    ["total", String(total), ...columns.map((col) => String(sum(col)))]
  ]
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")
  const automatic = sum("Lean automatic") + sum("Z3")
  const percent = total === 0 ? 0 : Math.round((100 * automatic) / total)
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line), `automatic: ${percent}% of ${total} obligations`].join("\n")
}
