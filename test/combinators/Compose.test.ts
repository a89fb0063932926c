/**
 * Compiling a world on nodes (`combinators/Compose.ts`): the composed protocol's steps are the
 * component protocols' steps plus the hooks — no more, no less — each step changes only its own
 * protocol's part of one node, a failing hook is a violation naming the hook, a placement that
 * misses a protocol is refused, and the system's properties read one statelet per label.
 */
import { assert, describe, it } from "vitest"
import type { Statelet } from "../../core/Statelet.ts"
import * as Step from "../../core/Step.ts"
import * as Topology from "../../core/Topology.ts"
import * as World from "../../combinators/World.ts"
import * as Successors from "../../checker/Successors.ts"
import * as LockResource from "../../protocols/LockResource/index.ts"

const placement = { lock: { server: ["s"], client: ["c1", "c2"] }, resource: { store: ["s"], writer: ["c1", "c2"] } }

/** Every state of a few seeded random walks through the composed system, with the step taken. */
const walks = (system: ReturnType<typeof LockResource.system>, count: number) => {
  const expander = Successors.make({ system, soup: "history" })
  const steps: Array<{ before: Statelet; action: Step.Action; after: Statelet }> = []
  let seed = 7
  const next = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8)
  for (let walk = 0; walk < count; walk++) {
    let s = expander.semantics.initial
    for (;;) {
      const successors = expander.successors(s)
      if (successors.length === 0) break
      const x = successors[next() % successors.length]!
      steps.push({ before: s, action: x.action, after: x.next })
      s = x.next
    }
  }
  return { semantics: expander.semantics, steps }
}

describe("World.system / World.instantiate", () => {
  const system = LockResource.system({ clients: 2 })
  const { instance } = system

  it("composes one protocol: qualified tags, one role, each node starting in the roles it plays", () => {
    assert.deepStrictEqual(instance.nodes, ["s", "c1", "c2"])
    assert.deepStrictEqual([...instance.protocol.sendOf.keys()].sort(), ["lock.acquire", "lock.grant", "lock.release", "resource.write"])
    assert.deepStrictEqual(Object.keys(instance.protocol.roles), ["node"])
    assert.deepStrictEqual(instance.initial.c1, { lock: { role: "client", state: { phase: "idle", epoch: 0 } }, resource: { role: "writer", state: { written: 0 } } })
    const initial = Step.make(system.protocol, system.topology, Step.reorderOnly).initial
    assert.deepStrictEqual(instance.project(initial, "lock").locals, { server: { s: { holder: null, queue: [], epoch: 0 } }, client: { c1: { phase: "idle", epoch: 0 }, c2: { phase: "idle", epoch: 0 } } })
  })

  it("takes each step in one protocol of one node, exactly as that protocol alone would (hooks aside)", () => {
    const { semantics, steps } = walks(system, 30)
    assert.isAbove(steps.length, 200)
    const alone: Record<"lock" | "resource", Step.Semantics<any>> = {
      lock: Step.make(LockResource.lock, Topology.make(LockResource.lock, placement.lock), Step.reorderOnly),
      resource: Step.make(LockResource.resource, Topology.make(LockResource.resource, placement.resource), Step.reorderOnly)
    }
    for (const { before, action, after } of steps) {
      const message = action.kind === "send" ? { tag: action.tag, node: action.node } : { tag: before.soup[(action as { msgId: number }).msgId]!.tag, node: before.soup[(action as { msgId: number }).msgId]!.to }
      const label = message.tag.split(".")[0]! as "lock" | "resource"
      const other = label === "lock" ? "resource" : "lock"
      // Disel's step_is_local: the other protocol's statelet and every other node are untouched.
      assert.deepStrictEqual(instance.project(after, other).locals, instance.project(before, other).locals)
      for (const n of instance.nodes) if (n !== message.node) assert.deepStrictEqual(semantics.local(after, n), semantics.local(before, n))
      // The step is the component protocol's own step on the projection.
      const projected = instance.project(before, label)
      const local = alone[label].local(projected, message.node)
      const expected =
        action.kind === "send"
          ? Step.sendLocal(alone[label], action.node, local, action.tag.slice(label.length + 1), action.to, action.payload)
          : (() => {
              const m = before.soup[(action as { msgId: number }).msgId]!
              return Step.receiveLocal(alone[label], m.to, local, m.from, m.tag.slice(label.length + 1), m.payload)
            })()
      assert.notStrictEqual(expected._tag, "Violated")
      assert.notStrictEqual(expected._tag, "Refused")
      assert.deepStrictEqual(alone[label].local(instance.project(after, label), message.node), (expected as { local: unknown }).local)
    }
  })

  it("refuses a send the hook forbids, with a violation naming the hook", () => {
    const semantics = Step.make(system.protocol, system.topology, Step.reorderOnly)
    const out = Step.step(semantics, semantics.initial, { kind: "send", node: "c1", tag: "resource.write", to: "s", payload: { epoch: 1, value: 7 } })
    assert.strictEqual(out._tag, "Violated")
    if (out._tag === "Violated") {
      assert.match(out.violation.reason, /hook "onlyHolderWrites" is false/)
      assert.strictEqual(out.violation.transition, "resource_writeValue")
    }
  })

  it("never runs a hook on a tag it does not name: without hooks, the same steps of the other tags are enabled", () => {
    const hooked = walks(system, 10).steps
    const unhooked = World.system(LockResource.unhookedWorld, { placement, properties: [] })
    const free = Step.make(unhooked.protocol, unhooked.topology, Step.reorderOnly)
    const semantics = Step.make(system.protocol, system.topology, Step.reorderOnly)
    for (const { before } of hooked) {
      for (const tag of ["lock.acquire", "lock.grant", "lock.release"]) {
        const t = system.protocol.sendOf.get(tag)!
        for (const node of instance.nodes) {
          const local = semantics.local(before, node)
          for (const to of instance.nodes) {
            for (const payload of [{}, { epoch: 1 }, { epoch: 2 }]) {
              if (!system.protocol.messages[tag]!.isPayload(payload)) continue
              const a = Step.sendLocal(semantics, node, local, tag, to, payload)._tag
              const b = Step.sendLocal(free, node, local, tag, to, payload)._tag
              assert.strictEqual(a, b, `${t.name} from ${node} to ${to}`)
            }
          }
        }
      }
    }
  })

  it("refuses a placement that misses a protocol or names one outside the world", () => {
    assert.throws(() => World.instantiate(LockResource.world, { lock: placement.lock } as any), Topology.TopologyError, /world "lockedStore": no nodes given for protocol "resource"/)
    assert.throws(() => World.instantiate(LockResource.world, { ...placement, calc: { client: ["c1"], server: ["s"] } } as any), Topology.TopologyError, /world "lockedStore" has no protocol "calc"/)
  })

  it("evaluates the world's properties on the statelet of each label", () => {
    const holders = World.always(LockResource.world, "holders", (s) => Object.values(s.lock.locals.client).filter((c) => c.phase === "holding").length === 0)
    const written = World.always(LockResource.world, "nothingWritten", (s) => s.resource.soup.length === 0)
    const checked = World.system(LockResource.world, { placement, properties: [holders, written] })
    const semantics = Step.make(checked.protocol, checked.topology, Step.reorderOnly)
    const verdicts = (s: Statelet) => checked.properties.map((p) => `${p.name}: ${p.holds(s as never, checked.topology.nodes as never)}`)
    let s = semantics.initial
    assert.deepStrictEqual(verdicts(s), ["holders: true", "nothingWritten: true"])
    for (const action of [
      { kind: "send", node: "c1", tag: "lock.acquire", to: "s", payload: {} },
      { kind: "receive", msgId: 0 },
      { kind: "send", node: "s", tag: "lock.grant", to: "c1", payload: { epoch: 1 } },
      { kind: "receive", msgId: 1 }
    ] as const) {
      const out = Step.step(semantics, s, action)
      assert.strictEqual(out._tag, "Stepped")
      s = (out as Step.Stepped<any>).statelet
    }
    assert.deepStrictEqual(verdicts(s), ["holders: false", "nothingWritten: true"])
    const wrote = Step.step(semantics, s, { kind: "send", node: "c1", tag: "resource.write", to: "s", payload: { epoch: 1, value: 7 } })
    assert.deepStrictEqual(verdicts((wrote as Step.Stepped<any>).statelet), ["holders: false", "nothingWritten: false"])
  })
})
