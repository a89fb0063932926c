/**
 * The hook "only while holding the lock" (`hooks/OnlyWhileHolding.ts`), in LockResource's world:
 * a write is refused before the writer holds the lock, by a client that does not hold it, with
 * another epoch than the one it holds (the fence), and after it released the lock; it is allowed
 * to the holder in its epoch. Without a fence, the holder may write in any epoch.
 */
import { assert, describe, it } from "vitest"
import * as World from "../../combinators/World.ts"
import type { Statelet } from "../../core/Statelet.ts"
import * as Step from "../../core/Step.ts"
import { onlyWhileHolding } from "../../hooks/OnlyWhileHolding.ts"
import * as LockResource from "../../protocols/LockResource/index.ts"

const { lock, resource } = LockResource
const placement = { lock: { server: ["s"], client: ["c1", "c2"] }, resource: { store: ["s"], writer: ["c1", "c2"] } }

/** The world's composed semantics, and c1 holding the lock in epoch 1 (acquired, granted, taken). */
const holding = (world: typeof LockResource.world) => {
  const system = World.system(world, { placement, properties: [] })
  const semantics = Step.make(system.protocol, system.topology, Step.reorderOnly)
  const act = (s: Statelet, action: Step.Action): Statelet => {
    const out = Step.step(semantics, s, action)
    if (out._tag !== "Stepped") throw new Error(`${JSON.stringify(action)}: ${out._tag === "Refused" ? out.reason : out.violation.reason}`)
    return out.statelet
  }
  let s = semantics.initial
  const initial = s
  s = act(s, { kind: "send", node: "c1", tag: "lock.acquire", to: "s", payload: {} })
  s = act(s, { kind: "receive", msgId: 0 })
  s = act(s, { kind: "send", node: "s", tag: "lock.grant", to: "c1", payload: { epoch: 1 } })
  s = act(s, { kind: "receive", msgId: 1 })
  return { semantics, act, initial, holding: s }
}

const write = (node: string, epoch: number): Step.Action => ({ kind: "send", node, tag: "resource.write", to: "s", payload: { epoch, value: 7 } })

/** Why the send is refused (the violation's reason), or "allowed". */
const verdict = (semantics: Step.Semantics<any>, s: Statelet, action: Step.Action): string => {
  const out = Step.step(semantics, s, action)
  return out._tag === "Stepped" ? "allowed" : out._tag === "Refused" ? out.reason : out.violation.reason
}

describe("onlyWhileHolding", () => {
  it("allows the holder's write in its epoch, and refuses every other write by the hook's name", () => {
    const { semantics, act, initial, holding: s } = holding(LockResource.world)
    const refusedByHook = /hook "onlyHolderWrites" is false/
    assert.match(verdict(semantics, initial, write("c1", 1)), refusedByHook, "before c1 holds the lock")
    assert.strictEqual(verdict(semantics, s, write("c1", 1)), "allowed")
    assert.match(verdict(semantics, s, write("c1", 2)), refusedByHook, "the holder, in another epoch (the fence)")
    assert.match(verdict(semantics, s, write("c2", 1)), refusedByHook, "a client that does not hold the lock")
    const released = act(s, { kind: "send", node: "c1", tag: "lock.release", to: "s", payload: { epoch: 1 } })
    assert.match(verdict(semantics, released, write("c1", 1)), refusedByHook, "after c1 released the lock")
  })

  it("without a fence, lets the holder write in any epoch, and still refuses the others", () => {
    const unfenced = onlyWhileHolding({ name: "holderWrites", lock, role: "client", client: resource, tag: "write", holding: (c) => c.phase === "holding" })
    const world = World.make({ label: "lockedStore", protocols: [lock, resource], hooks: [unfenced] })
    const { semantics, initial, holding: s } = holding(world)
    assert.strictEqual(verdict(semantics, s, write("c1", 2)), "allowed")
    assert.match(verdict(semantics, s, write("c2", 1)), /hook "holderWrites" is false/)
    assert.match(verdict(semantics, initial, write("c1", 1)), /hook "holderWrites" is false/)
  })

  it("is refused at declaration when the lock has no such role or the client no such tag", () => {
    assert.throws(
      () => onlyWhileHolding({ name: "h", lock, role: "admin" as "client", client: resource, tag: "write", holding: () => true }),
      /protocol "lock" has no role "admin"/
    )
    assert.throws(
      () => onlyWhileHolding({ name: "h", lock, role: "client", client: resource, tag: "erase" as "write", holding: () => true }),
      /protocol "resource" sends no tag "erase"/
    )
  })
})
