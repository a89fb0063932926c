/**
 * Fast membership tests for the schemas of local states and payloads. The step function checks
 * every payload sent and every local state a transition returns; `Schema.is` is general but costs
 * microseconds per call, which dominates exhaustive search. This compiles the schema's AST once
 * into a plain predicate for the constructs protocols use (literals, strings, numbers, booleans,
 * arrays and tuples, structs, records, unions, null, and their refinement checks, such as
 * `Schema.Int`), and falls back to `Schema.is` for anything else. It accepts exactly what
 * `Schema.is` accepts; `test/core/Validator.test.ts` compares them.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import type * as SchemaAST from "effect/SchemaAST"

type Test = (value: unknown) => boolean

/** The parse options every check runs with: none, and one object for all of them, not one per call. */
const noOptions: SchemaAST.ParseOptions = Object.freeze({})

const passes = (checks: ReadonlyArray<SchemaAST.Check<any>>, ast: SchemaAST.AST): Test | undefined => {
  const runs: Array<Test> = []
  for (const check of checks) {
    if (check._tag === "Filter") runs.push((v) => check.run(v, ast, noOptions) === undefined)
    else {
      const group = passes(check.checks, ast)
      if (group === undefined) return undefined
      runs.push(group)
    }
  }
  if (runs.length === 1) return runs[0]!
  // A loop, not `every` with a callback: this runs for every field of every state checked.
  return (v) => {
    for (let i = 0; i < runs.length; i++) if (!runs[i]!(v)) return false
    return true
  }
}

const compile = (ast: SchemaAST.AST): Test | undefined => {
  const structural = ((): Test | undefined => {
    switch (ast._tag) {
      case "Literal": {
        const literal = ast.literal
        return (v) => v === literal
      }
      case "String":
        return (v) => typeof v === "string"
      case "Number":
        return (v) => typeof v === "number"
      case "Boolean":
        return (v) => typeof v === "boolean"
      case "Null":
        return (v) => v === null
      case "Undefined":
        return (v) => v === undefined
      case "Unknown":
      case "Any":
        return () => true
      case "Union": {
        const members = ast.types.map(compile)
        if (members.some((m) => m === undefined)) return undefined
        const tests = members as Array<Test>
        return (v) => tests.some((t) => t(v))
      }
      case "Arrays": {
        if (ast.rest.length > 1 || ast.elements.some((e) => e.context?.isOptional === true)) return undefined
        const elements = ast.elements.map(compile)
        const rest = ast.rest.length === 1 ? compile(ast.rest[0]!) : undefined
        if (elements.some((e) => e === undefined) || (ast.rest.length === 1 && rest === undefined)) return undefined
        const fixed = elements as Array<Test>
        return (v) => {
          if (!Array.isArray(v)) return false
          if (rest === undefined ? v.length !== fixed.length : v.length < fixed.length) return false
          for (let i = 0; i < fixed.length; i++) if (!fixed[i]!(v[i])) return false
          if (rest !== undefined) for (let i = fixed.length; i < v.length; i++) if (!rest(v[i])) return false
          return true
        }
      }
      case "Objects": {
        if (ast.indexSignatures.length > 1) return undefined
        const fields: Array<{ name: string; test: Test }> = []
        for (const ps of ast.propertySignatures) {
          if (typeof ps.name !== "string" || ps.type.context?.isOptional === true) return undefined
          const test = compile(ps.type)
          if (test === undefined) return undefined
          fields.push({ name: ps.name, test })
        }
        const index = ast.indexSignatures[0]
        if (index !== undefined && index.parameter._tag !== "String") return undefined
        const values = index === undefined ? undefined : compile(index.type)
        if (index !== undefined && values === undefined) return undefined
        const named = new Set(fields.map((f) => f.name))
        return (v) => {
          if (typeof v !== "object" || v === null || Array.isArray(v)) return false
          const o = v as Record<string, unknown>
          for (const f of fields) if (!Object.hasOwn(o, f.name) || !f.test(o[f.name])) return false
          if (values !== undefined) {
            for (const k of Object.keys(o)) if (!named.has(k) && !values(o[k])) return false
          }
          return true
        }
      }
      case "Suspend":
        return undefined
      default:
        return undefined
    }
  })()
  if (structural === undefined) return undefined
  if (ast.checks === undefined) return structural
  const checks = passes(ast.checks, ast)
  if (checks === undefined) return undefined
  return (v) => structural(v) && checks(v)
}

/**
 * A predicate that accepts exactly the values of `schema`.
 *
 * @example
 * import * as Schema from "effect/Schema"
 * const isVote = make(Schema.Struct({ node: Schema.String, yes: Schema.Boolean }))
 * [isVote({ node: "p1", yes: true }), isVote({ node: "p1" })] // => [true, false]
 */
export const make = (schema: Schema.Top): ((value: unknown) => boolean) =>
  compile(schema.ast) ?? Schema.is(schema as Schema.Schema<unknown>)
