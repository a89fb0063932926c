import * as Effect from "effect/Effect"
import { assert, describe, it } from "vitest"
import * as Suggestions from "../../cli/Suggestions.ts"
import * as Files from "../../cli/Files.ts"
import * as Manifests from "../../cli/Manifests.ts"
import * as Parameters from "../../cli/Parameters.ts"
import type { Family } from "../../core/System.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"

const calculator = Calculator.families.find((f) => f.name === "calculator")!

const failure = <A, E extends { readonly message: string }>(effect: Effect.Effect<A, E>): string => Effect.runSync(Effect.flip(effect)).message

describe("Suggestions and bundled families", () => {
  const names = ["calculator", "calculator/wrong-answer", "two-phase-commit", "two-phase-commit/commit-on-any-yes"]

  it("suggests names a few edits away, and names extending a prefix", () => {
    assert.deepStrictEqual(Suggestions.suggest("calculater", names), ["calculator"])
    assert.deepStrictEqual(Suggestions.suggest("two-phase", names), ["two-phase-commit", "two-phase-commit/commit-on-any-yes"])
    assert.deepStrictEqual(Suggestions.suggest("zzz", names), [])
  })

  it("resolves a bundled family through its manifest and names the closest ones otherwise", async () => {
    const chosen = await Effect.runPromise(Manifests.resolve("calculator"))
    assert.strictEqual(chosen.family, calculator)
    assert.strictEqual(chosen.manifest, Calculator.manifest)
    assert.isUndefined(chosen.module)
    assert.strictEqual(
      (await Effect.runPromise(Effect.flip(Manifests.resolve("calculatr")))).message,
      'unknown protocol "calculatr" (did you mean calculator?); "protoweave list" shows them all, and a protocol module is named by its path (./src/protocol.ts)'
    )
  })
})

describe("Parameters", () => {
  const family: Family = { ...calculator, parameters: { ...calculator.parameters, seed: { description: "clashes", default: 1, min: 0, max: 9 } } }

  it("offers convenience flags for declared parameters, but not over the command's own flags", () => {
    const names = Parameters.convenienceNames([family])
    assert.includeMembers([...names], ["participants", "rounds", "clients", "servers", "requests"])
    assert.notInclude(names, "seed")
  })

  it("fills in defaults and takes the given values", () => {
    assert.deepStrictEqual(Effect.runSync(Parameters.resolve(calculator, [{ name: "servers", text: "5", source: "--servers 5" }])), {
      clients: 2,
      servers: 5,
      requests: 3
    })
  })

  it("refuses undeclared parameters, non-integers, values out of range and conflicting values", () => {
    assert.include(failure(Parameters.resolve(calculator, [{ name: "rounds", text: "2", source: "--rounds 2" }])), 'calculator has no parameter "rounds"')
    assert.include(failure(Parameters.resolve(calculator, [{ name: "clients", text: "1.5", source: "--clients 1.5" }])), "must be a whole number")
    assert.include(failure(Parameters.resolve(calculator, [{ name: "clients", text: "0", source: "--clients 0" }])), "must be in [1, 50]")
    assert.include(
      failure(
        Parameters.resolve(calculator, [
          { name: "clients", text: "2", source: "--param clients=2" },
          { name: "clients", text: "3", source: "--clients 3" }
        ])
      ),
      "given twice with different values"
    )
  })
})

describe("Files.originalPath", () => {
  it("puts .original before the extension", () => {
    assert.strictEqual(Files.originalPath("/tmp/run.ndjson"), "/tmp/run.original.ndjson")
    assert.strictEqual(Files.originalPath("dir.d/run"), "dir.d/run.original")
  })
})
