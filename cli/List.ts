/**
 * `protoweave list`: every bundled protocol family — name, whether it is a deliberately broken
 * variant, the faults it tolerates, its parameters with their defaults, its description — and a
 * second table with each parameter's range and meaning.
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import { Command } from "effect/cli"
import type { Family } from "../core/System.ts"
import * as Protocols from "../protocols/index.ts"

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
 * The text `protoweave list` prints.
 *
 * @example
 * formatList().includes("calculator/unchecked-response") // => true
 */
export const formatList = (families: ReadonlyArray<Family> = Protocols.families): string => {
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
  return [
    protocols,
    "",
    parameters,
    "",
    'Set a parameter with --<parameter> N or --param <parameter>=N, e.g. "protoweave simulate calculator --clients 3".'
  ].join("\n")
}

/** The `list` command. */
export const command = Command.make("list", {}, () => Console.log(formatList())).pipe(
  Command.withDescription("List the bundled protocols, their broken variants, the faults they tolerate and their parameters")
)
