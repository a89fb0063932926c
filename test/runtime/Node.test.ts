/**
 * One node's durability rules, seen from its program and its peer, with the journal's flush held
 * back or failed on purpose: a program's send returns once the step is journaled, without waiting
 * for the sync, while its message leaves only after that sync; the receiver acknowledges a burst
 * of messages in one frame; a message the waiting program takes as it arrives is journaled as one
 * record; a program yields every `releaseEvery` sends of a burst, but answers what waits in its
 * inbox first, so that one flush covers a whole read; and a journal that cannot be synced stops
 * the node with a clear error instead of leaving a program waiting forever.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { afterEach, assert, describe, it } from "vitest"
import * as Program from "../../core/Program.ts"
import * as Protocol from "../../core/Protocol.ts"
import * as System from "../../core/System.ts"
import * as Cluster from "../../runtime/Cluster.ts"
import { type Flush, fileOf, read } from "../../runtime/Journal.ts"
import * as Node from "../../runtime/Node.ts"
import { scratch } from "../cli/Harness.ts"
import { freePorts } from "./Processes.ts"

const dir = scratch("protoweave-node-")
const secret = new TextEncoder().encode("node-test-secret-0123456789")
const launched: Array<Node.Launched> = []
afterEach(async () => {
  for (const node of launched.splice(0)) await node.stop()
})

/** A writer numbers its notes from 0; a reader takes them in order. */
const Notes = Protocol.signature({
  label: "notes",
  roles: { writer: Schema.Struct({ written: Schema.Int }), reader: Schema.Struct({ read: Schema.Int }) },
  initial: { writer: { written: 0 }, reader: { read: 0 } },
  messages: { note: Schema.Struct({ n: Schema.Int }) }
})
const protocol = Notes.protocol({
  sends: { write: Notes.send({ tag: "note", from: "writer", to: "reader", guard: (s, _to, m) => m.n === s.written, step: (s) => ({ written: s.written + 1 }) }) },
  receives: { read: Notes.receive({ tag: "note", by: "reader", step: (s) => ({ read: s.read + 1 }) }) }
})

/** The writer sends `sends` notes at once when `go` resolves, then calls `returned`; the reader waits for `reads` notes. */
const system = (sends: number, reads: number, go: Promise<void>, returned: () => void) =>
  System.make({
    protocol,
    nodes: { writer: ["w"], reader: ["r"] },
    programs: {
      w: Program.make(protocol, "writer", (node) =>
        Effect.gen(function* () {
          yield* Effect.promise(() => go)
          for (let n = 0; n < sends; n++) yield* node.send("note", node.nodes.reader[0]!, { n })
          returned()
          return sends
        })
      ),
      r: Program.make(protocol, "reader", (node) =>
        Effect.gen(function* () {
          for (let n = 0; n < reads; n++) yield* node.receive({ tags: ["note"] })
          return reads
        })
      )
    },
    properties: []
  })

/** A flush that can be held back (the flushes asked for meanwhile wait in `held`) or made to fail. */
const controlledFlush = () => {
  const control = { hold: false, fail: undefined as Error | undefined, held: [] as Array<() => void> }
  const flush: Flush = (fd, done) => {
    if (control.fail !== undefined) return done(control.fail)
    if (control.hold) return void control.held.push(() => fs.fdatasync(fd, done))
    fs.fdatasync(fd, done)
  }
  return { control, flush }
}

const waitUntil = async (condition: () => boolean, what: string, timeoutMs = 20_000) => {
  const until = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

const clusterOf = async () => {
  const ports = await freePorts(2)
  return { ports, cluster: Cluster.parse(`node w writer 127.0.0.1:${ports[0]}\nnode r reader 127.0.0.1:${ports[1]}\n`, "notes.cluster") }
}

describe("a node", () => {
  it("returns from a send before the sync, sends nothing before it, and acknowledges a burst in one frame", async () => {
    const { cluster } = await clusterOf()
    const data = path.join(dir, "group-commit")
    let go!: () => void
    const started = new Promise<void>((resolve) => (go = resolve))
    let returned = false
    const sys = system(50, 50, started, () => void (returned = true))
    const { control, flush } = controlledFlush()
    const reader = await Node.launch({ system: sys, cluster, self: "r", secret, dataDir: data, ackDelayMs: 200 })
    launched.push(reader)
    const writer = await Node.launch({ system: sys, cluster, self: "w", secret, dataDir: data, flush })
    launched.push(writer)

    // Every flush of the writer's journal is held from here on: its 50 sends must still return.
    control.hold = true
    go()
    await waitUntil(() => returned, "the writer's sends to return while its journal's flush is held")
    assert.strictEqual(writer.node.stats.sent, 50)
    assert.isAbove(control.held.length, 0, "a sync was asked for and is waiting")
    await waitUntil(() => writer.node.stats.connections === 0 && reader.node.stats.connections === 1, "the writer's link to the reader")
    await new Promise((r) => setTimeout(r, 300))
    assert.strictEqual(reader.node.stats.received, 0, "no message left the writer before the sync covering it")

    control.hold = false
    for (const release of control.held.splice(0)) release()
    const outcomes = await Promise.all([writer.finished, reader.finished])
    assert.deepStrictEqual(outcomes, [{ outcome: "done", detail: 50 }, { outcome: "done", detail: 50 }])
    assert.strictEqual(reader.node.stats.received, 50)
    assert.strictEqual(writer.node.stats.acknowledged, 50)
    // The 50 messages arrived within the acknowledgement delay: one cumulative acknowledgement
    // covers them all.
    assert.strictEqual(reader.node.stats.acknowledgements, 1)
  })

  it("journals a message the waiting program takes as it arrives in one record, and recovers from such records", async () => {
    const { cluster } = await clusterOf()
    const data = path.join(dir, "in-and-recv")
    let go!: () => void
    const started = new Promise<void>((resolve) => (go = resolve))
    const sys = system(30, 30, started, () => {})
    const reader = await Node.launch({ system: sys, cluster, self: "r", secret, dataDir: data })
    launched.push(reader)
    const writer = await Node.launch({ system: sys, cluster, self: "w", secret, dataDir: data, releaseEvery: 1 })
    launched.push(writer)
    go()
    assert.deepStrictEqual(await reader.finished, { outcome: "done", detail: 30 })
    await writer.finished
    await reader.stop()
    const records = read(fileOf(data, "r"))
    // The writer's flushes made its 30 sends durable (and its records before and after them).
    const { flushes, flushedRecords, flushMs } = writer.node.stats
    assert.isAbove(flushes, 0)
    assert.isAtLeast(flushedRecords, 30)
    assert.isAtLeast(flushMs, 0)
    const seqs = (kind: string) => records.flatMap((r) => (r.r === kind && "seq" in r ? [r.seq] : []))
    // A note that finds the reader waiting is taken at once: one `inrecv`. A note that arrives while
    // the reader is busy waits in the inbox: its `in`, then, when the reader takes it, its `recv`.
    // Every note is one or the other, exactly once.
    assert.isAbove(seqs("inrecv").length, 0)
    assert.deepStrictEqual(seqs("in"), seqs("recv"))
    assert.deepStrictEqual([...seqs("inrecv"), ...seqs("in")].sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i + 1))
    // A node restarted on this journal recovers every note as received and read, and reads no more.
    const again = await Node.launch({ system: system(0, 0, started, () => {}), cluster, self: "r", secret, dataDir: data })
    launched.push(again)
    assert.strictEqual(again.node.incarnation, 2)
    assert.deepStrictEqual(again.node.local(), { read: 30 })
  })

  it("yields every releaseEvery sends of a burst, so that each group is synced (and may leave) while the program goes on", async () => {
    const { cluster } = await clusterOf()
    /** How many flushes a writer's journal makes while its program sends a burst of 50 notes. */
    const flushesDuringBurst = async (releaseEvery: number, data: string) => {
      let flushes = 0
      const flush: Flush = (fd, done) => {
        flushes++
        fs.fdatasyncSync(fd)
        done(null)
      }
      let go!: () => void
      const started = new Promise<void>((resolve) => (go = resolve))
      let returned = -1
      const sys = system(50, 50, started, () => void (returned = flushes))
      const writer = await Node.launch({ system: sys, cluster, self: "w", secret, dataDir: path.join(dir, data), flush, releaseEvery })
      launched.push(writer)
      const before = flushes
      go()
      await waitUntil(() => returned >= 0, "the writer's sends to return")
      await writer.stop()
      return returned - before
    }
    // Groups of 10: each group is flushed when the program yields after its tenth send, before the
    // next group is appended. Sent without yielding, the whole burst waits for one flush at the end
    // of the program's turn, after its last send returned.
    assert.strictEqual(await flushesDuringBurst(10, "release-every-10"), 5)
    assert.strictEqual(await flushesDuringBurst(Number.POSITIVE_INFINITY, "release-at-once"), 0)
  })

  it("answers the messages waiting in its inbox before it yields, up to 16 × releaseEvery sends, so that one flush covers them", async () => {
    // An asker sends questions at once; the answerer answers each, once all of them wait in its inbox.
    const Ask = Protocol.signature({
      label: "ask",
      roles: { asker: Schema.Struct({ asked: Schema.Int }), answerer: Schema.Struct({ heard: Schema.Int, answered: Schema.Int }) },
      initial: { asker: { asked: 0 }, answerer: { heard: 0, answered: 0 } },
      messages: { question: Schema.Struct({ n: Schema.Int }), answer: Schema.Struct({ n: Schema.Int }) }
    })
    const ask = Ask.protocol({
      sends: {
        askOne: Ask.send({ tag: "question", from: "asker", to: "answerer", guard: (s, _to, m) => m.n === s.asked, step: (s) => ({ asked: s.asked + 1 }) }),
        answerOne: Ask.send({ tag: "answer", from: "answerer", to: "asker", guard: (s, _to, m) => m.n === s.answered && s.answered < s.heard, step: (s) => ({ ...s, answered: s.answered + 1 }) })
      },
      receives: {
        hear: Ask.receive({ tag: "question", by: "answerer", step: (s) => ({ ...s, heard: s.heard + 1 }) }),
        takeAnswer: Ask.receive({ tag: "answer", by: "asker", step: (s) => s })
      }
    })
    const questions = 100
    let go!: () => void
    const started = new Promise<void>((resolve) => (go = resolve))
    let flushes = 0
    let flushesWhenDone = -1
    const sys = System.make({
      protocol: ask,
      nodes: { asker: ["w"], answerer: ["r"] },
      programs: {
        w: Program.make(ask, "asker", (node) =>
          Effect.gen(function* () {
            for (let n = 0; n < questions; n++) yield* node.send("question", node.nodes.answerer[0]!, { n })
            for (let n = 0; n < questions; n++) yield* node.receive({ tags: ["answer"] })
          })
        ),
        r: Program.make(ask, "answerer", (node) =>
          Effect.gen(function* () {
            yield* Effect.promise(() => started)
            const before = flushes
            for (let n = 0; n < questions; n++) {
              yield* node.receive({ tags: ["question"] })
              yield* node.send("answer", node.nodes.asker[0]!, { n })
            }
            flushesWhenDone = flushes - before
          })
        )
      },
      properties: []
    })
    const ports = await freePorts(2)
    const cluster = Cluster.parse(`node w asker 127.0.0.1:${ports[0]}\nnode r answerer 127.0.0.1:${ports[1]}\n`, "ask.cluster")
    const data = path.join(dir, "answer-the-inbox")
    const flush: Flush = (fd, done) => {
      flushes++
      fs.fdatasyncSync(fd)
      done(null)
    }
    const answerer = await Node.launch({ system: sys, cluster, self: "r", secret, dataDir: data, flush, releaseEvery: 4 })
    launched.push(answerer)
    const asker = await Node.launch({ system: sys, cluster, self: "w", secret, dataDir: data })
    launched.push(asker)
    await waitUntil(() => asker.node.stats.acknowledged === questions, "every question to be held, and acknowledged, by the answerer")
    go()
    await Promise.all([answerer.finished, asker.finished])
    // 100 answers in groups of at most 16 × 4 = 64: the program yields (and the group is flushed)
    // after the 64th answer, whose question was not the last, and after the 100th, since nothing
    // waits any more. Yielding every 4 answers, as a burst with nothing waiting does, would take 25.
    assert.strictEqual(flushesWhenDone, 2)
    assert.strictEqual(asker.node.stats.received, questions)
  })

  it("stops with a clear error when its journal cannot be synced, instead of leaving its program waiting", async () => {
    const { cluster, ports } = await clusterOf()
    const data = path.join(dir, "failed-sync")
    const { control, flush } = controlledFlush()
    const events: Array<Node.LogEntry> = []
    // The reader only receives, and waits for a second note that never comes: before this rule, a
    // failed sync of the first one left it waiting forever.
    const sys = system(1, 2, Promise.resolve(), () => undefined)
    const reader = await Node.launch({ system: sys, cluster, self: "r", secret, dataDir: data, flush, log: (e) => void events.push(e) })
    launched.push(reader)
    control.fail = Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" })
    const writer = await Node.launch({ system: sys, cluster, self: "w", secret, dataDir: data })
    launched.push(writer)

    const failure = await reader.finished.then(
      () => assert.fail("the reader finished although its journal failed"),
      (e: unknown) => e
    )
    assert.instanceOf(failure, Node.NodeError)
    assert.strictEqual(
      (failure as Node.NodeError).message,
      `the journal of r (${path.join(data, "r.journal")}) failed: EIO: i/o error, fdatasync; the node stopped, since nothing it does can be made durable any more`
    )
    assert.isTrue(events.some((e) => e.event === "journal-failed" && e.reason === "EIO: i/o error, fdatasync"))
    assert.strictEqual(reader.node.stats.received, 1)
    assert.strictEqual(reader.node.stats.acknowledgements, 0, "nothing is acknowledged that is not durable")
    // It no longer serves: its address refuses connections.
    const refused = await new Promise<string>((resolve) => {
      const socket = net.createConnection({ host: "127.0.0.1", port: ports[1]! })
      socket.once("connect", () => {
        socket.destroy()
        resolve("connected")
      })
      socket.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message))
    })
    assert.strictEqual(refused, "ECONNREFUSED")
  })
})
