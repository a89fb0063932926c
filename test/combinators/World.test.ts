/**
 * Declaring a world (`combinators/World.ts`): a world keeps its protocols and hooks, and ill-formed
 * worlds — a repeated label, a hook naming a protocol outside the world, a world named like one of
 * its protocols — are refused by name, with every problem listed. The namespace is the whole world
 * API.
 */
import { assert, describe, it } from "vitest"
import * as World from "../../combinators/World.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"
import * as LockResource from "../../protocols/LockResource/index.ts"

describe("World.make", () => {
  it("keeps the protocols in order and the hooks", () => {
    const world = World.make({ label: "store", protocols: [LockResource.lock, LockResource.resource], hooks: [LockResource.onlyHolderWrites] })
    assert.deepStrictEqual(world.protocols.map((p) => p.label), ["lock", "resource"])
    assert.deepStrictEqual(world.hooks.map((h) => `${h.name}: ${h.core} → ${h.client}.${h.tag}`), ["onlyHolderWrites: lock → resource.write"])
    assert.deepStrictEqual(World.make({ label: "bare", protocols: [LockResource.lock] }).hooks, [])
  })

  it("refuses ill-formed worlds by name", () => {
    assert.throws(() => World.make({ label: "twice", protocols: [LockResource.lock, LockResource.lock] as any }), World.WorldSpecError, /world "twice": two protocols have the label "lock"/)
    assert.throws(
      () => World.make({ label: "partial", protocols: [LockResource.resource, Calculator.protocol], hooks: [LockResource.onlyHolderWrites as any] }),
      World.WorldSpecError,
      /hook "onlyHolderWrites" names "lock", which is not a protocol of the world/
    )
    assert.throws(() => World.make({ label: "lock", protocols: [LockResource.lock] }), World.WorldSpecError, /also the label of one of its protocols/)
  })

  it("lists every problem of a world at once", () => {
    const error = (() => {
      try {
        World.make({ label: "lock", protocols: [LockResource.lock, LockResource.lock] as any, hooks: [LockResource.onlyHolderWrites as any] })
      } catch (e) {
        return (e as Error).message
      }
      return "accepted"
    })()
    assert.strictEqual(
      error,
      `world "lock": two protocols have the label "lock"; hook "onlyHolderWrites" names "resource", which is not a protocol of the world; the world's label "lock" is also the label of one of its protocols`
    )
  })

  it("is the whole world API: declaration, compilation, injection, programs and properties", () => {
    assert.deepStrictEqual(
      ["make", "instantiate", "system", "inject", "program", "always", "sometimes", "lift", "WorldSpecError"].filter((name) => typeof (World as Record<string, unknown>)[name] !== "function"),
      []
    )
  })
})
