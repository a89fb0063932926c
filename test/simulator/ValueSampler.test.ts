/**
 * The Schema sampler of protocol-level simulation: values match their Schema, are a function of
 * the seed, and lean towards boundary values and the values found in the state.
 */
import * as Schema from "effect/Schema"
import { assert, describe, it } from "vitest"
import * as Prng from "../../core/Prng.ts"
import * as Validator from "../../core/Validator.ts"
import * as ValueSampler from "../../simulator/ValueSampler.ts"

const draws = (schema: Schema.Top, hints: ValueSampler.Hints, n = 300, seed = 1) => {
  const prng = Prng.make(seed)
  return Array.from({ length: n }, () => ValueSampler.sample(schema.ast, prng, hints))
}

describe("ValueSampler", () => {
  it("samples values that match structs, arrays, records, unions, literals and refined numbers", () => {
    const schema = Schema.Struct({
      era: Schema.Int,
      positive: Schema.Int.check(Schema.isGreaterThan(0)),
      args: Schema.Array(Schema.Int),
      pair: Schema.Tuple([Schema.String, Schema.Boolean]),
      votes: Schema.Record(Schema.String, Schema.Literals(["yes", "no"])),
      phase: Schema.Union([Schema.Struct({ tag: Schema.Literal("init") }), Schema.Struct({ tag: Schema.Literal("sent"), data: Schema.Number })]),
      maybe: Schema.optional(Schema.String),
      nothing: Schema.NullOr(Schema.Int)
    })
    const isValue = Validator.make(schema)
    const values = draws(schema, ValueSampler.hintsOf([{ era: 3, peers: ["s1", "s2"] }]))
    for (const v of values) assert.isTrue(isValue(v), JSON.stringify(v))
    assert.isTrue(values.some((v: any) => v.maybe === undefined) && values.some((v: any) => typeof v.maybe === "string"))
    assert.isTrue(values.some((v: any) => v.phase.tag === "init") && values.some((v: any) => v.phase.tag === "sent"))
  })

  it("leans towards boundary values and the values of the state", () => {
    const hints = ValueSampler.hintsOf([{ era: 41, pending: [{ peer: "c7", args: [5, 9] }] }])
    const ints = draws(Schema.Int, hints) as Array<number>
    for (const x of [0, -1, 41, 42, 14]) assert.include(ints, x, `${x} (boundary, state value, value + 1, sum of two)`)
    assert.isAbove(ints.filter((x) => x === 41 || x === 0).length, 10)
    const strings = draws(Schema.String, hints) as Array<string>
    assert.include(strings, "c7")
    assert.include(strings, "")
    const arrays = draws(Schema.Array(Schema.Int), hints) as Array<Array<number>>
    assert.isTrue(arrays.some((a) => a.length === 0))
    assert.isTrue(arrays.some((a) => JSON.stringify(a) === "[5,9]"), "a copy of an array from the state")
  })

  it("draws a struct's fields from the state's fields of the same name", () => {
    const hints = ValueSampler.hintsOf([{ era: 6, phase: { tag: "sent", data: -658 }, log: [{ data: 100 }, { data: 101 }] }])
    const prepares = draws(Schema.Struct({ era: Schema.Int, data: Schema.Int }), hints) as Array<{ era: number; data: number }>
    assert.isAbove(prepares.filter((p) => p.era === 6 && p.data === -658).length, 15)
  })

  it("is a function of the seed", () => {
    const hints = ValueSampler.hintsOf([{ n: 3 }])
    const schema = Schema.Struct({ a: Schema.Int, b: Schema.Array(Schema.String) })
    assert.deepStrictEqual(draws(schema, hints, 50, 9), draws(schema, hints, 50, 9))
    assert.notDeepEqual(draws(schema, hints, 50, 9), draws(schema, hints, 50, 10))
  })

  it("returns undefined for a type it cannot sample", () => {
    assert.isUndefined(ValueSampler.sample(Schema.Struct({ s: Schema.Symbol }).ast, Prng.make(1), ValueSampler.noHints))
  })
})
