/**
 * A damaged journal: a torn tail (the last group incomplete or failing its checksum, followed only
 * by zeros or nothing) is cut off; anything else — a bad group with intact groups after it,
 * garbage, non-zero bytes after the records' end, another node's journal, and a missing or emptied
 * journal where the node has run before — refuses the journal (for a node: refuses to start),
 * naming the file, the byte offset and what is there, and leaves the file as it was. `reset`
 * starts the node afresh, saying what it sets aside.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { crc32 } from "node:zlib"
import { afterEach, assert, describe, it } from "vitest"
import * as Prng from "../../core/Prng.ts"
import * as Cluster from "../../runtime/Cluster.ts"
import * as DataDirectory from "../../runtime/DataDirectory.ts"
import * as Journal from "../../runtime/Journal.ts"
import { RefusedJournal } from "../../runtime/JournalRecovery.ts"
import * as Node from "../../runtime/Node.ts"
import * as PingPongSystem from "../fixtures/PingPongSystem.ts"
import { scratch } from "../cli/Harness.ts"
import { freePorts } from "./Processes.ts"

const dir = scratch("protoweave-corruption-")
const secret = new TextEncoder().encode("corruption-test-secret-0123456789")
const launched: Array<Node.Launched> = []
afterEach(async () => {
  for (const node of launched.splice(0)) await node.stop()
})

const group = (n: number): Buffer => Buffer.from(Journal.encodeRecords([{ r: "acked", to: "c", upTo: n }, { r: "wake", time: n, ms: 1 }]))

/** A file of `parts`, with what it holds and its modification time, to see that nothing changed it. */
const journalOf = (name: string, ...parts: ReadonlyArray<Uint8Array>) => {
  const file = path.join(dir, `${name}.journal`)
  fs.writeFileSync(file, Buffer.concat(parts))
  // A modification time in the past, which any write would move.
  fs.utimesSync(file, new Date(2020, 0, 1), new Date(2020, 0, 1))
  return { file, bytes: fs.readFileSync(file), mtime: fs.statSync(file).mtimeMs }
}

const assertUntouched = (j: ReturnType<typeof journalOf>) => {
  assert.deepStrictEqual(fs.readFileSync(j.file), j.bytes, `${j.file} was changed`)
  assert.strictEqual(fs.statSync(j.file).mtimeMs, j.mtime, `${j.file} was written`)
}

/** Opening `j` fails with a `RefusedJournal` at `offset` saying `what`, for the open and for a trace's read alike. */
const assertRefused = (j: ReturnType<typeof journalOf>, offset: number, what: RegExp) => {
  for (const attempt of [() => Journal.Journal.open(j.file), () => Journal.read(j.file)]) {
    let error: unknown
    try {
      attempt()
    } catch (e) {
      error = e
    }
    assert.instanceOf(error, RefusedJournal)
    const refused = error as RefusedJournal
    assert.strictEqual(refused.file, j.file)
    assert.strictEqual(refused.offset, offset, refused.message)
    assert.match(refused.message, what)
    assert.include(refused.message, `${j.file}, byte ${offset}: `)
  }
  assertUntouched(j)
}

describe("a journal's torn tail", () => {
  it("is cut off whole, whether the last group is incomplete or fails its checksum with zeros where writes did not land", () => {
    const [a, b, c] = [group(1), group(2), group(3)]
    const expected = [...Journal.decodeRecords(Buffer.concat([a, b])).records]
    assert.strictEqual(expected.length, 4)
    // Killed inside a write: a prefix of the last group, then the zeros the file is kept ahead with.
    const killed = journalOf("killed", a, b, c.subarray(0, c.length - 5), Buffer.alloc(4096))
    // A power cut: the last group whole in length, but a page of it zeros; the file's end lost.
    const cut = Buffer.from(c)
    cut.fill(0, 12, 20)
    const power = journalOf("power", a, b, cut)
    for (const j of [killed, power]) {
      const opened = Journal.Journal.open(j.file)
      assert.deepStrictEqual(opened.records, expected)
      opened.journal.close()
      assert.strictEqual(fs.statSync(j.file).size, a.length + b.length)
    }
  })
})

describe("a damaged journal is refused, naming the file, the offset and what is there, and left untouched", () => {
  it("a bad group followed by intact ones", () => {
    const [a, b, c] = [group(1), group(2), group(3)]
    const bad = Buffer.from(b)
    bad[12] ^= 0x01
    assertRefused(journalOf("middle", a, bad, c, Buffer.alloc(1000)), a.length, new RegExp(`fails its checksum .*followed by an intact group of 2 records at byte ${a.length + b.length}`))
  })

  it("a group whose length runs past the file's end, with intact groups inside that length", () => {
    const [a, b, c] = [group(1), group(2), group(3)]
    const bad = Buffer.from(b)
    bad.writeUInt32BE(1 << 20, 0)
    assertRefused(journalOf("long", a, bad, c), a.length, new RegExp(`a group of records 1048576 bytes long.*followed by an intact group .* at byte ${a.length + b.length}`))
  })

  it("garbage: random bytes, and text that is not a journal's", () => {
    const random = Prng.make(20)
    const noise = Buffer.from(Array.from({ length: 4096 }, () => random.int(256)))
    assertRefused(journalOf("noise", noise), 0, /bytes no journal record has/)
    assertRefused(journalOf("text", Buffer.from("this is not a journal\n".repeat(40))), 0, /bytes no journal record has/)
    // Garbage after intact records.
    const a = group(1)
    assertRefused(journalOf("tail-noise", a, noise), a.length, /bytes no journal record has/)
  })

  it("non-zero bytes after the zeros that end the records", () => {
    const a = group(1)
    const j = journalOf("after-zeros", a, Buffer.alloc(100), Buffer.from("x"))
    assertRefused(j, a.length + 100, new RegExp(`non-zero bytes .* after the zeros that end the records at byte ${a.length}`))
  })

  it("a group whose checksum holds but whose text is not JSON", () => {
    const a = group(1)
    const body = Buffer.from('{"r":"acked"')
    const header = Buffer.alloc(8)
    header.writeUInt32BE(body.length, 0)
    header.writeUInt32BE(crc32(body), 4)
    assertRefused(journalOf("not-json", a, header, body), a.length, /checksum holds but whose text is not JSON/)
  })
})

/** q1 and p1 of the ping/pong fixture at free ports. */
const pingPong = async () => {
  const [p, q] = await freePorts(2)
  const cluster = Cluster.parse(`node p1 pinger 127.0.0.1:${p}\nnode q1 ponger 127.0.0.1:${q}`, "test.cluster")
  return { system: PingPongSystem.system(), cluster, secret }
}

/** Starts `self` on `dataDir`, or returns the error it refused to start with. */
const attempt = async (base: Awaited<ReturnType<typeof pingPong>>, self: string, dataDir: string, extra: Partial<Node.NodeOptions> = {}): Promise<Node.Launched | Error> => {
  try {
    const node = await Node.launch({ ...base, self, dataDir, ...extra })
    launched.push(node)
    return node
  } catch (e) {
    return e as Error
  }
}

/** Starts q1 (which waits for a ping, writing nothing more) in `dataDir` and stops it, leaving its journal and marker. */
const ranOnce = async (base: Awaited<ReturnType<typeof pingPong>>, dataDir: string) => {
  const first = await attempt(base, "q1", dataDir)
  assert.notInstanceOf(first, Error)
  await (first as Node.Launched).stop()
  launched.splice(launched.indexOf(first as Node.Launched), 1)
}

describe("a node", () => {
  it("refuses another node's journal before changing it", async () => {
    const base = await pingPong()
    const qDir = path.join(dir, "own")
    await ranOnce(base, qDir)
    // q1's journal, as a killed q1 leaves it (zeros after the records), put where p1's should be.
    const pDir = path.join(dir, "other")
    fs.mkdirSync(pDir)
    const j = { file: Journal.fileOf(pDir, "p1") }
    fs.writeFileSync(j.file, Buffer.concat([fs.readFileSync(Journal.fileOf(qDir, "q1")), Buffer.alloc(4096)]))
    fs.utimesSync(j.file, new Date(2020, 0, 1), new Date(2020, 0, 1))
    const before = { ...j, bytes: fs.readFileSync(j.file), mtime: fs.statSync(j.file).mtimeMs }
    const refused = await attempt(base, "p1", pDir)
    assert.instanceOf(refused, Error)
    assert.include((refused as Error).message, `${j.file}, byte 0: the journal of node "q1" (ponger), not of "p1"`)
    assertUntouched(before)
  })

  it("that has run here refuses to start on a missing or emptied journal, and starts afresh with reset, saying what it discards", async () => {
    const base = await pingPong()
    const dataDir = path.join(dir, "marked")
    await ranOnce(base, dataDir)
    const file = Journal.fileOf(dataDir, "q1")
    const kept = fs.readFileSync(file)
    assert.isTrue(fs.existsSync(DataDirectory.markerOf(dataDir, "q1")))

    // Truncated to a few bytes (a torn header, which alone would be cut off): refused, untouched.
    fs.writeFileSync(file, kept.subarray(0, 5))
    const truncated = await attempt(base, "q1", dataDir)
    assert.instanceOf(truncated, Error)
    assert.match((truncated as Error).message, new RegExp(`q1 has run here since .* but its journal ${file} holds no intact record \\(5 bytes\\).*--reset`))
    assert.deepStrictEqual(fs.readFileSync(file), kept.subarray(0, 5))

    fs.rmSync(file)
    const missing = await attempt(base, "q1", dataDir)
    assert.instanceOf(missing, Error)
    assert.include((missing as Error).message, `but its journal ${file} is missing`)
    assert.isFalse(fs.existsSync(file))

    // Another journal of q1 (another instance) in place of the lost one: refused too.
    const elsewhere = path.join(dir, "elsewhere")
    await ranOnce(base, elsewhere)
    fs.copyFileSync(Journal.fileOf(elsewhere, "q1"), file)
    const other = await attempt(base, "q1", dataDir)
    assert.instanceOf(other, Error)
    assert.match((other as Error).message, /is of instance [0-9a-f]+ \(another journal of q1\)/)

    const said: Array<string> = []
    const reset = await attempt(base, "q1", dataDir, { reset: true, notify: (line) => said.push(line) })
    assert.notInstanceOf(reset, Error)
    assert.strictEqual((reset as Node.Launched).node.incarnation, 1)
    assert.strictEqual(said.length, 1)
    assert.match(said[0]!, new RegExp(`^reset discards its journal ${file} \\(2 records over 1 start, \\d+ bytes\\), set aside as ${file}\\.reset-\\S+ and the record that it ran here`))
    const aside = fs.readdirSync(dataDir).filter((f) => f.startsWith("q1.journal.reset-"))
    assert.strictEqual(aside.length, 1)
    assert.deepStrictEqual(fs.readFileSync(path.join(dataDir, aside[0]!)), fs.readFileSync(Journal.fileOf(elsewhere, "q1")))
    await (reset as Node.Launched).stop()
    launched.splice(0)
    // The fresh start is the node's history from now on: it resumes from it without reset.
    const again = await attempt(base, "q1", dataDir)
    assert.notInstanceOf(again, Error)
    assert.strictEqual((again as Node.Launched).node.incarnation, 2)
  })
})
