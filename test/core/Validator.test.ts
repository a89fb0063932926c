/**
 * `Validator.make` compiles a schema into a predicate that must accept exactly what `Schema.is`
 * accepts; the step function relies on it for every state and payload it checks.
 */
import * as Schema from "effect/Schema"
import { assert, describe, it } from "vitest"
import * as Validator from "../../core/Validator.ts"

const cases: ReadonlyArray<{ readonly name: string; readonly schema: Schema.Top; readonly values: ReadonlyArray<unknown> }> = [
  {
    name: "a struct of integers, strings and booleans",
    schema: Schema.Struct({ n: Schema.Int, s: Schema.String, b: Schema.Boolean }),
    values: [{ n: 1, s: "a", b: true }, { n: 1.5, s: "a", b: true }, { n: 1, s: 2, b: true }, { n: 1, s: "a" }, { n: 1, s: "a", b: true, extra: 0 }, null, [], "x"]
  },
  {
    name: "several checks on one number (each must pass)",
    schema: Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(0), Schema.isLessThan(10)),
    values: [0, 9, 10, -1, 3.5, Number.NaN, "3", undefined]
  },
  {
    name: "one check on a number",
    schema: Schema.Number.check(Schema.isBetween({ minimum: 1, maximum: 3 })),
    values: [1, 2.5, 3, 0.99, 4, Number.POSITIVE_INFINITY]
  },
  {
    name: "a union of literals",
    schema: Schema.Literals(["idle", "busy"]),
    values: ["idle", "busy", "done", 0, null]
  },
  {
    name: "a tuple and an array",
    schema: Schema.Struct({ pair: Schema.Tuple([Schema.String, Schema.Int]), list: Schema.Array(Schema.Int) }),
    values: [{ pair: ["a", 1], list: [] }, { pair: ["a", 1, 2], list: [1] }, { pair: ["a"], list: [1] }, { pair: ["a", 1], list: [1, 1.5] }, { pair: ["a", 1], list: {} }]
  },
  {
    name: "a record keyed by strings",
    schema: Schema.Record(Schema.String, Schema.Int),
    values: [{}, { a: 1, b: 2 }, { a: 1, b: "2" }, [], null]
  },
  {
    name: "a string with a length check, nested in a struct",
    schema: Schema.Struct({ inner: Schema.Struct({ id: Schema.String.check(Schema.isMinLength(2)) }) }),
    values: [{ inner: { id: "ab" } }, { inner: { id: "a" } }, { inner: {} }, { inner: null }]
  },
  {
    name: "an optional field (compiled by falling back to Schema.is)",
    schema: Schema.Struct({ a: Schema.optionalKey(Schema.Int) }),
    values: [{}, { a: 1 }, { a: 1.5 }, { a: undefined }]
  }
]

describe("Validator.make", () => {
  for (const { name, schema, values } of cases) {
    it(`accepts exactly what Schema.is accepts: ${name}`, () => {
      const is = Schema.is(schema as Schema.Schema<unknown>)
      const test = Validator.make(schema)
      const accepted = values.filter((v) => is(v))
      // Each case has values on both sides, so that agreement is not agreement on "always" or "never".
      assert.isAbove(accepted.length, 0, name)
      assert.isBelow(accepted.length, values.length, name)
      for (const v of values) assert.strictEqual(test(v), is(v), `${name}: ${JSON.stringify(v)}`)
    })
  }
})
