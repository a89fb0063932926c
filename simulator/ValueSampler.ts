/**
 * Random values of a Schema, for protocol-level simulation: payloads that no transition declares
 * and no model enumerates. Random values rarely satisfy a guard, so the sampler leans towards the
 * values a guard is likely to compare with — boundary values (0, ±1, empty and one-element arrays,
 * the empty string) and the values the sender already holds (numbers, strings and arrays found in
 * its local state, node ids, and, less often, those numbers ±1 and their pairwise sums, since
 * protocols compute answers from what they hold). A struct's field is drawn half the time from the
 * values the state holds under the same field name. Every value is drawn from a seeded `core/Prng.ts` generator, so a
 * run stays a function of its seed.
 *
 * The sampler follows the Schema's structure (structs, tuples, arrays, records, unions, literals,
 * strings, numbers with their integer and range checks); the caller validates what it gets against
 * the Schema, since checks beyond those (a custom filter) are not known to the sampler.
 *
 * @since 0.1.0
 */
import type * as SchemaAST from "effect/SchemaAST"
import type { Prng } from "../core/Prng.ts"

/** Values found in a state, by kind: what a sampled value is biased towards. */
export interface Hints {
  /** The numbers found. */
  readonly numbers: ReadonlyArray<number>
  /** Numbers computed from them (±1, pairwise sums), drawn less often than the numbers found. */
  readonly derived?: ReadonlyArray<number>
  readonly strings: ReadonlyArray<string>
  readonly arrays: ReadonlyArray<ReadonlyArray<unknown>>
  /**
   * The values found under each field name: a payload's `era` is drawn from the state's `era`
   * fields more often than from other numbers, since protocols name the fields alike.
   */
  readonly byKey?: ReadonlyMap<string, ReadonlyArray<unknown>>
}

const boundaryNumbers: ReadonlyArray<number> = [0, 1, -1, 2, -2]

const maxHints = 64

/**
 * The hints of some values: every number, string and array they contain (at any depth), each
 * number ±1, and the sums of pairs of their numbers. Bounded, so that a large state costs little.
 *
 * @example
 * const h = hintsOf([{ pending: [{ peer: "s1", args: [1, 2] }] }])
 * [h.strings, h.arrays.length, h.numbers, h.derived!.includes(3)] // => [["s1"], 2, [1, 2], true]
 */
export const hintsOf = (values: ReadonlyArray<unknown>): Hints => {
  const numbers = new Set<number>()
  const strings = new Set<string>()
  const arrays: Array<ReadonlyArray<unknown>> = []
  const seen = new Set<string>()
  const byKey = new Map<string, Array<unknown>>()
  const keep = (key: string, value: unknown) => {
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return
    const values = byKey.get(key) ?? []
    if (values.length < maxHints && !values.some((v) => JSON.stringify(v) === JSON.stringify(value))) values.push(value)
    byKey.set(key, values)
  }
  const visit = (value: unknown, depth: number): void => {
    if (depth > 8) return
    if (typeof value === "number") {
      if (numbers.size < maxHints) numbers.add(value)
    } else if (typeof value === "string") {
      if (strings.size < maxHints) strings.add(value)
    } else if (Array.isArray(value)) {
      const key = JSON.stringify(value)
      if (arrays.length < maxHints && !seen.has(key)) {
        seen.add(key)
        arrays.push(value)
      }
      for (const v of value) visit(v, depth + 1)
    } else if (typeof value === "object" && value !== null) {
      for (const [k, v] of Object.entries(value)) {
        keep(k, v)
        visit(v, depth + 1)
      }
    }
  }
  for (const v of values) visit(v, 0)
  const base = [...numbers].filter(Number.isFinite)
  const derived = new Set<number>()
  for (const x of base) {
    derived.add(x + 1)
    derived.add(x - 1)
  }
  for (let i = 0; i < base.length && derived.size < 4 * maxHints; i++) {
    for (let j = i; j < base.length && derived.size < 4 * maxHints; j++) derived.add(base[i]! + base[j]!)
  }
  for (const x of base) derived.delete(x)
  return { numbers: base, derived: [...derived].filter(Number.isFinite), strings: [...strings], arrays, byKey }
}

/** No hints: boundary values and random ones only. */
export const noHints: Hints = { numbers: [], strings: [], arrays: [] }

/** The integer and range constraints a number's checks declare (through their arbitrary constraints). */
const numberConstraints = (ast: SchemaAST.AST) => {
  let integer = false
  let min = -Infinity
  let max = Infinity
  for (const check of (ast.checks ?? []) as ReadonlyArray<any>) {
    const c = check?.annotations?.arbitraryConstraint
    if (c === undefined) continue
    if (c.number === "integer") integer = true
    if (typeof c.minimum === "number") min = Math.max(min, c.exclusiveMinimum === true ? c.minimum + (integer ? 1 : Number.EPSILON) : c.minimum)
    if (typeof c.maximum === "number") max = Math.min(max, c.exclusiveMaximum === true ? c.maximum - (integer ? 1 : Number.EPSILON) : c.maximum)
  }
  return { integer, min, max }
}

const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

/** Undefined, for an optional property the sampler leaves out. */
const absent = Symbol("absent")

/**
 * A random value of a Schema's type, biased towards boundary values and the hints. Returns
 * `undefined` for a type it cannot sample (a declaration such as a class, a symbol, a template
 * literal); `depth` bounds recursive schemas.
 *
 * @example
 * import * as Schema from "effect/Schema"
 * import * as Prng from "../core/Prng.ts"
 * const prng = Prng.make(1)
 * const v = sample(Schema.Struct({ era: Schema.Int }).ast, prng, { numbers: [7], strings: [], arrays: [] }) as { era: number }
 * Number.isInteger(v.era) // => true
 */
export const sample = (ast: SchemaAST.AST, prng: Prng, hints: Hints, depth = 0): unknown => {
  const value = draw(ast, prng, hints, depth)
  return value === absent ? undefined : value
}

const draw = (ast: SchemaAST.AST, prng: Prng, hints: Hints, depth: number): unknown => {
  switch (ast._tag) {
    case "Literal":
      return ast.literal
    case "Boolean":
      return prng.chance(0.5)
    case "Null":
      return null
    case "Undefined":
    case "Void":
      return absent
    case "Enum":
      return prng.pick(ast.enums)[1]
    case "Number":
      return number(ast, prng, hints)
    case "String":
      return string(prng, hints)
    case "Union":
      return ast.types.length === 0 ? absent : draw(prng.pick(ast.types), prng, hints, depth + 1)
    case "Suspend":
      return depth > 6 ? absent : draw(ast.thunk(), prng, hints, depth + 1)
    case "Arrays":
      return array(ast, prng, hints, depth)
    case "Objects":
      return object(ast, prng, hints, depth)
    case "Unknown":
    case "Any":
      return prng.pick([0, "", null, [], {}])
    default:
      return absent
  }
}

const number = (ast: SchemaAST.AST, prng: Prng, hints: Hints): number => {
  const { integer, min, max } = numberConstraints(ast)
  const fits = (x: number) => x >= min && x <= max && (!integer || Number.isInteger(x))
  const roll = prng.int(10)
  const pool = roll < 4 ? hints.numbers.filter(fits) : roll < 5 ? (hints.derived ?? []).filter(fits) : roll < 8 ? boundaryNumbers.filter(fits) : []
  if (pool.length > 0) return prng.pick(pool)
  const lo = Number.isFinite(min) ? min : Number.isFinite(max) ? max - 1000 : -1000
  const hi = Number.isFinite(max) ? max : lo + 2000
  const x = lo + prng.float() * (hi - lo)
  return integer ? Math.min(Math.floor(hi), Math.max(Math.ceil(lo), Math.round(x))) : x
}

const string = (prng: Prng, hints: Hints): string => {
  const roll = prng.int(10)
  if (roll < 6 && hints.strings.length > 0) return prng.pick(hints.strings)
  if (roll < 8) return ""
  const length = 1 + prng.int(6)
  let s = ""
  for (let i = 0; i < length; i++) s += alphabet[prng.int(alphabet.length)]
  return s
}

const array = (ast: SchemaAST.Arrays, prng: Prng, hints: Hints, depth: number): unknown => {
  const out: Array<unknown> = []
  for (const e of ast.elements) {
    const v = draw(e, prng, hints, depth + 1)
    if (v === absent) {
      if ((e as any).context?.isOptional === true) break
      return absent
    }
    out.push(v)
  }
  if (ast.rest.length === 0) return out
  const element = ast.rest[0]!
  // A copy of an array the sender holds whose elements are of the right kind (the caller checks the rest).
  if (ast.elements.length === 0 && prng.chance(0.4)) {
    const kind = kindOf(element)
    const fitting = hints.arrays.filter((a) => kind === undefined || a.every((x) => (Array.isArray(x) ? "array" : typeof x) === kind))
    if (fitting.length > 0) return [...prng.pick(fitting)]
  }
  const length = prng.pick([0, 1, 1, 2, 2, 3, 4])
  for (let i = 0; i < length; i++) {
    const v = draw(element, prng, hints, depth + 1)
    if (v === absent) return out
    out.push(v)
  }
  return out
}

/** The JavaScript kind of a type's values, when it has one. */
const kindOf = (ast: SchemaAST.AST): string | undefined => {
  switch (ast._tag) {
    case "Number":
      return "number"
    case "String":
      return "string"
    case "Boolean":
      return "boolean"
    case "Literal":
      return typeof ast.literal
    case "Arrays":
      return "array"
    case "Objects":
      return "object"
    default:
      return undefined
  }
}

const object = (ast: SchemaAST.Objects, prng: Prng, hints: Hints, depth: number): unknown => {
  const out: Record<string, unknown> = {}
  for (const ps of ast.propertySignatures) {
    if (typeof ps.name !== "string") return absent
    const optional = (ps.type as any).context?.isOptional === true
    if (optional && prng.chance(0.3)) continue
    const kind = kindOf(ps.type)
    const same = (hints.byKey?.get(ps.name) ?? []).filter((x) => kind === undefined || (Array.isArray(x) ? "array" : typeof x) === kind)
    const v = same.length > 0 && prng.chance(0.5) ? prng.pick(same) : draw(ps.type, prng, hints, depth + 1)
    if (v === absent) {
      if (optional) continue
      return absent
    }
    out[ps.name] = v
  }
  for (const is of ast.indexSignatures) {
    const entries = prng.pick([0, 1, 2, 3])
    for (let i = 0; i < entries; i++) {
      const key = draw(is.parameter, prng, hints, depth + 1)
      if (typeof key !== "string") break
      const v = draw(is.type, prng, hints, depth + 1)
      if (v === absent) break
      out[key] = v
    }
  }
  return out
}
