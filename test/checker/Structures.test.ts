/** The checker's data structures: the visited table, the frontier pages, fingerprints and the state codec. */
import { assert, describe, it } from "vitest"
import * as Codec from "../../checker/Codec.ts"
import * as Fingerprint from "../../core/Fingerprint.ts"
import { Frontier } from "../../checker/Frontier.ts"
import { FULL, KNOWN, SharedTable } from "../../checker/SharedTable.ts"
import { VisitedTable } from "../../checker/VisitedTable.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"
import * as TwoPhaseCommit from "../../protocols/TwoPhaseCommit/index.ts"
import * as FaultPlan from "../../simulator/FaultPlan.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import * as Step from "../../core/Step.ts"
import type { System } from "../../core/System.ts"

describe("VisitedTable", () => {
  it("gives dense ids, finds every known fingerprint, and keeps parents and depths through growth", () => {
    const table = new VisitedTable(4)
    const n = 200_000
    for (let i = 0; i < n; i++) assert.strictEqual(table.add(i * 2654435761 >>> 0, i, i - 1, i % 70000), i)
    for (let i = 0; i < n; i += 997) assert.strictEqual(table.add(i * 2654435761 >>> 0, i, 0, 0), -1)
    assert.strictEqual(table.size, n)
    assert.strictEqual(table.parent(12345), 12344)
    assert.strictEqual(table.depth(12345), 12345)
    assert.deepStrictEqual(table.fingerprint(7), [(7 * 2654435761) | 0, 7])
    // The fingerprint (0, 0) (state 0 above), which marks an empty slot, is a state like any other.
    assert.strictEqual(table.add(0, 0, 4, 1), -1)
    assert.deepStrictEqual(table.fingerprint(0), [0, 0])
    // Same low half, different high half: distinct states.
    assert.notStrictEqual(table.add(1, 5, -1, 0), -1)
  })
})

describe("SharedTable", () => {
  it("gives each opening ids in blocks of its own, finds known fingerprints from another opening of the same memory, and grows", () => {
    let table = SharedTable.create(1 << 8)
    const other = SharedTable.open(table.memory)
    const ids: Array<number> = []
    for (let i = 0; i < 100; i++) ids.push((i % 2 === 0 ? table : other).add(i * 2654435761, i * 2 + 1, i - 1, i))
    // Each opening hands out its block's ids in order: the first one 0..63, the other 64..127.
    assert.deepStrictEqual(ids.filter((_, i) => i % 2 === 0), Array.from({ length: 50 }, (_, i) => i))
    assert.deepStrictEqual(ids.filter((_, i) => i % 2 === 1), Array.from({ length: 50 }, (_, i) => 64 + i))
    for (let i = 0; i < 100; i++) assert.strictEqual((i % 2 === 0 ? other : table).add(i * 2654435761, i * 2 + 1, 0, 0), KNOWN)
    // The count is exact once both openings have published what they added.
    assert.strictEqual(table.size, 0)
    table.publish()
    other.publish()
    assert.strictEqual(table.size, 100)
    assert.strictEqual(table.parent(64 + 3), 6)
    // Blocks start below three quarters of the 256 slots (192): the first opening's next block is
    // 128..191, then no block is left and it answers FULL instead of growing under other threads.
    let full = 0
    let added = 0
    for (let i = 100; i < 300; i++) {
      const id = table.add(i * 2654435761, i * 2 + 1, 0, 1)
      if (id === FULL) full++
      else added++
    }
    assert.strictEqual(added, 14 + 64)
    assert.strictEqual(full, 200 - added)
    // The other opening still has 14 ids of its block.
    for (let i = 300; i < 314; i++) assert.isAtLeast(other.add(i * 2654435761, i * 2 + 1, 0, 1), 114)
    assert.strictEqual(other.add(314 * 2654435761, 629, 0, 1), FULL)
    table.publish()
    other.publish()
    assert.strictEqual(table.size, 100 + 78 + 14)
    assert.isFalse(table.fits(1))
    table = table.grown()
    assert.strictEqual(table.size, 192)
    for (let i = 0; i < 100 + 78; i++) assert.strictEqual(table.add(i * 2654435761, i * 2 + 1, 0, 0), KNOWN, `state ${i} survives growth`)
    assert.isAtLeast(table.add(7, 8, 3, 4), 192)
    assert.strictEqual(table.parent(5), 9)
    assert.strictEqual(table.depth(5), 10)
    assert.deepStrictEqual(table.fingerprint(5), [(10 * 2654435761) | 0, 21])
    // Fingerprints differing in the lowest bit only are one state here (63-bit fingerprints), and the report says so.
    assert.strictEqual(table.add(7, 9, 0, 0), KNOWN)
    assert.isAbove(table.collisionProbability(), Fingerprint.collisionProbability(table.size))
  })

  it("grows in parts, one per thread, into the same table as growing whole", () => {
    const states = 190
    const filled = () => {
      const t = SharedTable.create(1 << 8)
      for (let i = 0; i < states; i++) t.add(i * 2654435761, i * 2 + 1, i - 1, i)
      t.publish()
      return t
    }
    /** Slots in use: each state in exactly one. */
    const used = (t: SharedTable) => new Int32Array(t.memory.slots).filter((word, at) => at % 2 === 1 && word !== 0).length
    const whole = filled().grown()
    assert.strictEqual(used(whole), states)
    assert.strictEqual(whole.add(5, 7, 1, 2), 192)
    let leftOver = 0
    for (const parts of [3, 64]) {
      const old = filled()
      const parted = old.emptyGrown()
      // Moved in an order other than the parts'; what they leave over is placed after.
      const order = Array.from({ length: parts }, (_, k) => (k * 5) % parts)
      const left = order.map((part) => old.moveSlots(parted, part, parts))
      for (const l of left) parted.place(l)
      leftOver += left.reduce((sum, l) => sum + l.length / 2, 0)
      assert.strictEqual(parted.size, whole.size)
      assert.strictEqual(used(parted), states, `${parts} parts: each state in one slot`)
      for (let i = 0; i < states; i++) assert.strictEqual(parted.add(i * 2654435761, i * 2 + 1, 0, 0), KNOWN, `state ${i} survives growth in ${parts} parts`)
      // New states get ids past the blocks handed out before growth (three blocks of 64).
      assert.strictEqual(parted.add(5, 7, 1, 2), 192)
      assert.deepStrictEqual([parted.parent(149), parted.depth(149)], [148, 149])
    }
    // Clusters crossed the ends of parts here, so the leftovers were placed.
    assert.isAbove(leftOver, 0)
  })
})

describe("Frontier", () => {
  it("keeps vectors as words, in order, across pages, both ways", () => {
    for (const order of ["fifo", "lifo"] as const) {
      const f = new Frontier(order)
      const count = 100_000
      for (let i = 0; i < count; i++) f.pushWords(i, Int32Array.of(i, -i, i % 7, 1 << 30), 1 + (i % 4))
      const seen: Array<number> = []
      for (let id = f.popWords(); id >= 0; id = f.popWords()) {
        seen.push(id)
        const expected = [id, -id, id % 7, 1 << 30].slice(0, 1 + (id % 4))
        assert.deepStrictEqual([...f.words.subarray(0, expected.length)], expected)
      }
      assert.strictEqual(seen.length, count)
      assert.deepStrictEqual(seen.slice(0, 3), order === "fifo" ? [0, 1, 2] : [count - 1, count - 2, count - 3])
      assert.strictEqual(f.length, 0)
    }
  })

  it("is first-in first-out across pages, and releases what it has read", () => {
    const q = new Frontier("fifo")
    const big = new Uint8Array(300_000)
    for (let i = 0; i < 20; i++) q.push(i, big.fill(i), big.length)
    for (let i = 0; i < 20; i++) {
      const e = q.pop()!
      assert.strictEqual(e.id, i)
      assert.strictEqual(e.bytes.length, big.length)
      assert.strictEqual(e.bytes[123], i)
    }
    assert.isUndefined(q.pop())
    assert.isBelow(q.bytes(), 3 << 20)
  })

  it("is last-in first-out across pages", () => {
    const s = new Frontier("lifo")
    for (let i = 0; i < 5000; i++) s.push(i, new Uint8Array([i & 255, (i >> 8) & 255]))
    for (let i = 4999; i >= 0; i--) {
      const e = s.pop()!
      assert.strictEqual(e.id, i)
      assert.deepStrictEqual([...e.bytes], [i & 255, (i >> 8) & 255])
    }
    assert.strictEqual(s.length, 0)
  })
})

describe("Fingerprint", () => {
  it("differs for different bytes and agrees for equal ones", () => {
    const seen = new Set<string>()
    for (let i = 0; i < 20000; i++) {
      const bytes = new TextEncoder().encode(`state-${i}`)
      seen.add(`${Fingerprint.high(bytes, bytes.length)}:${Fingerprint.low(bytes, bytes.length)}`)
    }
    assert.strictEqual(seen.size, 20000)
    const a = new Uint8Array([1, 2, 3, 4, 5])
    assert.strictEqual(Fingerprint.high(a, 5), Fingerprint.high(a.slice(), 5))
    assert.notStrictEqual(Fingerprint.low(a, 4), Fingerprint.low(a, 5))
    assert.isBelow(Fingerprint.collisionProbability(34e6), 1e-4)
  })
})

describe("Codec", () => {
  it("round-trips every state of simulated runs, and equal states encode equally", () => {
    for (const system of [TwoPhaseCommit.system({ participants: 3 }), Calculator.system({})] as Array<System>) {
      const codec = Codec.make(system.protocol, system.topology, "history")
      const semantics = Step.make(system.protocol, system.topology, Step.allFaults)
      const w = new Codec.Writer()
      for (let seed = 0; seed < 20; seed++) {
        const { trace } = Simulator.runOnce(system, { name: "x", parameters: {}, seed, runs: 1, faults: FaultPlan.presets.all!, maxSteps: 500, maxTime: 1e6 })
        let s = semantics.initial
        for (const e of trace.events) {
          const action: Step.Action | undefined =
            e.type === "send" && e.msg >= 0
              ? { kind: "send", node: e.node, tag: e.tag, to: e.to, payload: e.payload }
              : e.type === "deliver"
                ? { kind: "receive", msgId: e.msg }
                : e.type === "drop" || e.type === "duplicate"
                  ? { kind: e.type, msgId: e.msg }
                  : e.type === "crash" || e.type === "restart"
                    ? { kind: e.type, node: e.node }
                    : undefined
          if (action === undefined) continue
          const out = Step.step(semantics, s, action)
          assert.strictEqual(out._tag, "Stepped")
          if (out._tag !== "Stepped") return
          s = out.statelet
          w.reset()
          codec.encode(w, s)
          const bytes = w.take()
          const decoded = codec.decode(bytes)
          assert.deepStrictEqual(JSON.parse(JSON.stringify(decoded)), JSON.parse(JSON.stringify({ ...s, crashed: [...s.crashed].sort() })))
          w.reset()
          codec.encode(w, decoded)
          assert.deepStrictEqual(w.take(), bytes)
        }
      }
    }
  })

  it("encodes the soup as a multiset in active mode", () => {
    const system = Calculator.system({ clients: 2, servers: 1 })
    const codec = Codec.make(system.protocol, system.topology, "active")
    const m = (id: number, from: string, active = true) => ({ id, tag: "req" as const, from, to: "s1", payload: { args: [1, 2] }, active })
    const locals = { client: { c1: { pending: [] }, c2: { pending: [] } }, server: { s1: { pending: [] } } }
    const bytes = (soup: Array<ReturnType<typeof m>>) => {
      const w = new Codec.Writer()
      codec.encode(w, { locals, soup, crashed: [] } as any)
      return [...w.take()]
    }
    assert.deepStrictEqual(bytes([m(0, "c1"), m(1, "c2")]), bytes([m(0, "c2"), m(1, "c1")]))
    assert.deepStrictEqual(bytes([m(0, "c1", false), m(1, "c2")]), bytes([m(0, "c2")]))
    assert.notDeepEqual(bytes([m(0, "c1")]), bytes([m(0, "c2")]))
  })

  it("names the role and path of a schema it cannot encode", () => {
    const system = Calculator.system({ clients: 1, servers: 1 })
    const broken = { ...system.protocol, roles: { ...system.protocol.roles, client: { ...system.protocol.roles.client!, state: { ast: { _tag: "BigInt" } } } } }
    assert.throws(() => Codec.make(broken as any, system.topology, "history"), Codec.CodecError, /role client: the checker cannot encode a BigInt schema/)
  })
})
