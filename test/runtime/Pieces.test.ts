/**
 * The runtime's pure parts: frames across arbitrary chunk boundaries and the size limit, cluster
 * files and their errors, the handshake's proofs and sealed frames, journals with a torn tail,
 * and where the secret may come from.
 */
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "vitest"
import * as TwoPhaseCommit from "../../protocols/TwoPhaseCommit/index.ts"
import * as Cluster from "../../runtime/Cluster.ts"
import * as Frame from "../../runtime/Frame.ts"
import * as Handshake from "../../runtime/Handshake.ts"
import * as Journal from "../../runtime/Journal.ts"
import * as Secret from "../../runtime/Secret.ts"
import * as Wire from "../../runtime/Wire.ts"
import { scratch } from "../cli/Harness.ts"

const dir = scratch("protoweave-pieces-")

describe("frames", () => {
  it("reassembles frames split at every byte boundary", () => {
    const bodies = [new Uint8Array(0), Uint8Array.of(1), new Uint8Array(300).fill(7), Uint8Array.of(9, 9)]
    const stream = Buffer.concat(bodies.map(Frame.encode))
    for (let cut = 0; cut <= stream.length; cut++) {
      const reader = new Frame.Reader()
      const out = [...reader.push(stream.subarray(0, cut)), ...reader.push(stream.subarray(cut))]
      assert.deepStrictEqual(out.map((f) => Array.from(f)), bodies.map((b) => Array.from(b)))
      assert.strictEqual(reader.buffered, 0)
    }
  })

  it("refuses a length above the limit as soon as the prefix arrives", () => {
    const reader = new Frame.Reader(100)
    assert.throws(() => reader.push(Uint8Array.of(0, 0, 0, 101)), Frame.FrameError, "a frame of 101 bytes announced, above the limit of 100")
    assert.strictEqual(new Frame.Reader(100).push(Frame.encode(new Uint8Array(100))).length, 1)
  })
})

describe("cluster files", () => {
  const bad = (text: string, message: string) => assert.throws(() => Cluster.parse(text, "f.cluster"), Cluster.ClusterError, message)

  it("reports each mistake with its line and field", () => {
    bad("protocol a b", "f.cluster:1: \"protocol\" takes one name, got 2")
    bad("# comment\nparam rounds=two", 'f.cluster:2: param "rounds=two" is not NAME=N with a whole number N')
    bad("node c coordinator 1.2.3.4:99999", 'f.cluster:1: node "c": port 99999 of "1.2.3.4:99999" is not in 1..65535')
    bad("node c coordinator 1.2.3.4:1\nnode c participant 1.2.3.4:2", 'f.cluster:2: node "c" is already declared on line 1')
    bad("node c coordinator 1.2.3.4:1\nnode d participant 1.2.3.4:1", 'f.cluster:2: node "d": address 1.2.3.4:1 is already used by "c" on line 1')
    bad("nodes c coordinator 1.2.3.4:1", 'f.cluster:1: unknown keyword "nodes" (expected protocol, param, node or tls)')
    bad("node c coordinator 1.2.3.4:1\ntls ca ca.crt\ntls node d d.crt d.key", 'f.cluster:3: a certificate for "d", which is not a declared node')
    bad("node c coordinator 1.2.3.4:1\ntls node c c.crt c.key", 'f.cluster:2: the file names node certificates but no CA: add a line "tls ca FILE"')
    bad("node c coordinator 1.2.3.4:1\ntls ca a.crt\ntls ca b.crt", 'f.cluster:3: "tls ca" is already given on line 2')
    bad("node c coordinator 1.2.3.4:1\ntls node c c.crt", 'f.cluster:2: "tls node" takes ID CERT KEY, got 2 field(s)')
    bad("node c coordinator 1.2.3.4:1\ntls key c.key", 'f.cluster:2: "tls" takes "ca FILE" or "node ID CERT KEY", got "key"')
    bad("node -c coordinator 1.2.3.4:1", 'f.cluster:1: node id "-c" must be letters')
    bad("protocol x", "f.cluster: no nodes are declared")
  })

  it("parses IPv6 addresses and round-trips through format", () => {
    const cluster = Cluster.parse("protocol two-phase-commit\nparam participants=1\nnode c coordinator [::1]:7000 # here\nnode p1 participant 10.0.0.2:7001\n", "x")
    assert.deepStrictEqual(cluster.nodes.map((n) => [n.id, n.host, n.port, n.line]), [["c", "::1", 7000, 3], ["p1", "10.0.0.2", 7001, 4]])
    assert.deepStrictEqual(Cluster.parse(Cluster.format(cluster), "y").nodes.map((n) => n.host), ["::1", "10.0.0.2"])
    const withTls = Cluster.parse("node c coordinator 1.2.3.4:1\ntls ca k/ca.crt\ntls node c k/c.crt k/c.key\n", "z")
    assert.deepStrictEqual(Cluster.parse(Cluster.format(withTls), "w").tls?.nodes.get("c"), { cert: "k/c.crt", key: "k/c.key", line: 3 })
  })

  it("must declare exactly the system's nodes in their roles", () => {
    const system = TwoPhaseCommit.system({ participants: 2 })
    const cluster = Cluster.parse("node c coordinator h:1\nnode p1 coordinator h:2\nnode x participant h:3", "f.cluster")
    assert.throws(
      () => Cluster.match(cluster, system.topology),
      'f.cluster:2: node "p1" has role "coordinator", but the protocol has it as "participant"\nf.cluster:3: node "x" is not a node of the protocol (its nodes: c, p1, p2)\nf.cluster: the protocol\'s nodes "p2" are not declared'
    )
  })
})

describe("the handshake", () => {
  const secret = new TextEncoder().encode("0123456789abcdef")
  const session = { client: "p1", server: "c", clientNonce: Handshake.nonce(), serverNonce: Handshake.nonce(), instance: "i1" }

  it("accepts only the proof of the same secret, side, parties and nonces", () => {
    const good = Handshake.proof(secret, "client", session)
    assert.isTrue(Handshake.verify(secret, "client", session, good))
    assert.isFalse(Handshake.verify(new TextEncoder().encode("fedcba9876543210"), "client", session, good))
    assert.isFalse(Handshake.verify(secret, "server", session, good))
    assert.isFalse(Handshake.verify(secret, "client", { ...session, client: "p2" }, good))
    assert.isFalse(Handshake.verify(secret, "client", { ...session, serverNonce: Handshake.nonce() }, good))
    assert.isFalse(Handshake.verify(secret, "client", { ...session, instance: "i2" }, good))
    assert.isFalse(Handshake.verify(secret, "client", session, good.slice(0, 63)))
    assert.isFalse(Handshake.verify(secret, "client", session, 42))
  })

  it("seals frames so that altered, reordered, replayed and cross-direction frames fail", () => {
    const keys = Handshake.keys(secret, session)
    const sealer = new Handshake.Sealer(keys.clientToServer)
    const a = sealer.seal(Uint8Array.of(1))
    const b = sealer.seal(Uint8Array.of(2))
    assert.isUndefined(new Handshake.Opener(keys.serverToClient).open(a))
    const opener = new Handshake.Opener(keys.clientToServer)
    assert.isUndefined(opener.open(b))
    const altered = Uint8Array.from(a)
    altered[altered.length - 1] = 9
    assert.isUndefined(opener.open(altered))
    assert.deepStrictEqual(Array.from(opener.open(a)!), [1])
    assert.isUndefined(opener.open(a))
    assert.deepStrictEqual(Array.from(opener.open(b)!), [2])
  })
})

describe("journals", () => {
  it("cut off a torn last group of records whole and go on appending after the intact ones", async () => {
    const file = path.join(dir, "torn.journal")
    const { journal } = Journal.Journal.open(file)
    journal.append({ r: "acked", to: "c", upTo: 1 })
    // The first turn's record is written as a group of its own; the next turn's two form the torn group.
    await new Promise((resolve) => setImmediate(resolve))
    journal.append({ r: "acked", to: "c", upTo: 2 })
    journal.append({ r: "acked", to: "c", upTo: 3 })
    journal.close()
    const whole = fs.readFileSync(file)
    fs.writeFileSync(file, whole.subarray(0, whole.length - 3))
    const reopened = Journal.Journal.open(file)
    assert.deepStrictEqual(reopened.records, [{ r: "acked", to: "c", upTo: 1 }])
    reopened.journal.append({ r: "acked", to: "c", upTo: 4 })
    reopened.journal.close()
    assert.deepStrictEqual(Journal.read(file), [{ r: "acked", to: "c", upTo: 1 }, { r: "acked", to: "c", upTo: 4 }])
  })

  it("keep the file ahead of its records with zeros, which reading ignores and a reopen or a close cuts off", async () => {
    const file = path.join(dir, "ahead.journal")
    const { journal } = Journal.Journal.open(file)
    journal.append({ r: "acked", to: "c", upTo: 1 })
    await new Promise<void>((resolve) => journal.sync(() => resolve()))
    const records = Journal.encodeRecords([{ r: "acked", to: "c", upTo: 1 }]).length
    // The file as a killed node leaves it: the record, then zeros.
    const killed = path.join(dir, "killed.journal")
    fs.copyFileSync(file, killed)
    journal.close()
    assert.strictEqual(fs.statSync(file).size, records)
    assert.isAbove(fs.statSync(killed).size, records)
    assert.deepStrictEqual(Journal.read(killed), [{ r: "acked", to: "c", upTo: 1 }])
    const reopened = Journal.Journal.open(killed)
    assert.strictEqual(fs.statSync(killed).size, records)
    reopened.journal.append({ r: "acked", to: "c", upTo: 2 })
    reopened.journal.close()
    assert.strictEqual(fs.statSync(killed).size, 2 * records)
    assert.deepStrictEqual(Journal.read(killed), [{ r: "acked", to: "c", upTo: 1 }, { r: "acked", to: "c", upTo: 2 }])
  })

  it("grow ahead of groups larger than one step of zeros, over many steps, and read every record back", async () => {
    const file = path.join(dir, "grow.journal")
    const { journal } = Journal.Journal.open(file)
    const records: Array<Journal.JournalRecord> = []
    // Turns of 1, 1,000 and 10 records of about 300 bytes: the second turn's group alone is
    // several steps of zeros long.
    for (const count of [1, 1000, 10]) {
      for (let k = 0; k < count; k++) {
        const record: Journal.JournalRecord = { r: "exit", time: records.length, outcome: "done", detail: "x".repeat(250) }
        records.push(record)
        journal.append(record)
      }
      await new Promise<void>((resolve) => journal.sync(() => resolve()))
    }
    const killed = path.join(dir, "grow-killed.journal")
    fs.copyFileSync(file, killed)
    journal.close()
    const size = fs.statSync(file).size
    assert.isAbove(size, 3 * 65536)
    assert.isAbove(fs.statSync(killed).size, size)
    assert.deepStrictEqual(Journal.read(file), records)
    assert.deepStrictEqual(Journal.read(killed), records)
  })

  it("detect a corrupted record by its checksum", () => {
    const bytes = Buffer.from(Journal.encodeRecords([{ r: "acked", to: "c", upTo: 1 }]))
    bytes[bytes.length - 2] ^= 1
    assert.deepStrictEqual(Journal.decodeRecords(bytes), { records: [], intact: 0 })
  })

  it("call every sync back once the records before it are flushed, and say what each flush covered", async () => {
    const flushed: Array<number> = []
    const { journal } = Journal.Journal.open(path.join(dir, "sync.journal"), {
      onFlushed: (ms, records) => {
        assert.isAtLeast(ms, 0)
        flushed.push(records)
      }
    })
    journal.append({ r: "acked", to: "c", upTo: 1 })
    journal.append({ r: "acked", to: "c", upTo: 2 })
    const order: Array<number> = []
    await Promise.all([1, 2, 3].map((i) => new Promise<void>((resolve) => journal.sync((e) => {
      assert.isUndefined(e)
      order.push(i)
      resolve()
    }))))
    // One flush covered both records and served the three syncs.
    assert.deepStrictEqual(flushed, [2])
    journal.append({ r: "acked", to: "c", upTo: 3 })
    await new Promise<void>((resolve) => journal.sync(() => resolve()))
    journal.close()
    assert.deepStrictEqual(order, [1, 2, 3])
    assert.deepStrictEqual(flushed, [2, 1])
  })

  it("write the records of one turn in one go at its end, before what waits for them runs", async () => {
    const file = path.join(dir, "turn.journal")
    const { journal } = Journal.Journal.open(file)
    const records = [1, 2, 3].map((upTo) => ({ r: "acked", to: "c", upTo }) as const)
    for (const record of records) journal.append(record)
    // Nothing is in the file until the code appending has finished.
    assert.strictEqual(fs.statSync(file).size, 0)
    const seen: Array<number> = []
    journal.whenWritten(() => seen.push(Journal.read(file).length))
    await new Promise((resolve) => setImmediate(resolve))
    assert.deepStrictEqual(seen, [3])
    assert.deepStrictEqual(Journal.read(file), records)
    // With nothing pending, a reader of the log runs at once.
    journal.whenWritten(() => seen.push(-1))
    assert.deepStrictEqual(seen, [3, -1])
    journal.close()
  })

  it("complete a sync for records already durable at once, without a flush", async () => {
    const { journal } = Journal.Journal.open(path.join(dir, "upto.journal"))
    journal.append({ r: "acked", to: "c", upTo: 1 })
    await new Promise<void>((resolve) => journal.sync(() => resolve()))
    const covered = journal.size
    journal.append({ r: "acked", to: "c", upTo: 2 })
    let early = false
    journal.sync(() => void (early = true), covered)
    assert.isTrue(early, "a sync up to durable records waits for nothing")
    let late = false
    journal.sync(() => void (late = true))
    assert.isFalse(late, "a sync of the new record waits for its write and flush")
    await new Promise<void>((resolve) => journal.sync(() => resolve()))
    assert.isTrue(late)
    journal.close()
  })
})

describe("records and messages written as text", () => {
  // Strings a record carries verbatim: quotes, backslashes, control characters, lone surrogates and
  // characters outside the BMP, all of which JSON.stringify escapes or keeps in its own way.
  const awkward = ["", "p1", 'say "hi"', "back\\slash", "tab\tnew\nline\u0000", "\ud800 lone", "emoji \u{1f600}", "\u2028\u2029"]
  const payloads: ReadonlyArray<unknown> = [{ n: 0, body: "x".repeat(64) }, { s: awkward }, [1, -2.5, 1e21, null, true], "just a string", 0]

  it("sendText and inrecvText are exactly JSON.stringify of the record", () => {
    for (const text of awkward) {
      for (const payload of payloads) {
        const local = { name: text, counts: [1, 2] }
        const send = Journal.sendText(1795713178450, text, 7, text, JSON.stringify(payload), JSON.stringify(local), text)
        assert.strictEqual(send, JSON.stringify({ r: "send", time: 1795713178450, to: text, seq: 7, tag: text, payload, local, transition: text }))
        const inrecv = Journal.inrecvText(3, text, text, 9, text, JSON.stringify(payload), JSON.stringify(local), text)
        assert.strictEqual(inrecv, JSON.stringify({ r: "inrecv", time: 3, from: text, instance: text, seq: 9, tag: text, payload, local, transition: text }))
      }
    }
  })

  it("msgText is exactly JSON.stringify of the message", () => {
    for (const tag of awkward) {
      for (const payload of payloads) {
        assert.strictEqual(Wire.msgText(12, tag, JSON.stringify(payload)), JSON.stringify({ k: "msg", seq: 12, tag, payload }))
      }
    }
  })

  it("a journal reads back the records appended as text", () => {
    const file = path.join(dir, "text.journal")
    const { journal } = Journal.Journal.open(file)
    journal.appendText(Journal.sendText(5, "b", 1, "ping", JSON.stringify({ n: 0 }), JSON.stringify({ sent: 1 }), "sendPing"))
    journal.append({ r: "acked", to: "b", upTo: 1 })
    journal.close()
    assert.deepStrictEqual(Journal.read(file), [
      { r: "send", time: 5, to: "b", seq: 1, tag: "ping", payload: { n: 0 }, local: { sent: 1 }, transition: "sendPing" },
      { r: "acked", to: "b", upTo: 1 }
    ])
  })
})

describe("JSON forms", () => {
  it("skip the Schema encoder only where the JSON form transforms nothing, and decode to the same value either way", () => {
    const identity: ReadonlyArray<{ readonly schema: Schema.Top; readonly value: unknown }> = [
      { schema: Schema.Struct({ sent: Schema.Int, received: Schema.Int }), value: { sent: 1, received: 0 } },
      {
        schema: Schema.Struct({ phase: Schema.Literals(["init", "done"]), log: Schema.Array(Schema.String), pair: Schema.Tuple([Schema.Int, Schema.Boolean]) }),
        value: { phase: "done", log: ["a"], pair: [1, true] }
      },
      { schema: TwoPhaseCommit.protocol.messages.commit!.payload, value: { era: 3 } }
    ]
    for (const { schema, value } of identity) assert.strictEqual(Wire.jsonEncoder(schema)(value), value)
    // Numbers (NaN and the infinities become strings), dates and options transform.
    const transforming: ReadonlyArray<{ readonly schema: Schema.Top; readonly value: unknown }> = [
      { schema: Schema.Struct({ n: Schema.Number }), value: { n: Number.POSITIVE_INFINITY } },
      { schema: Schema.Struct({ at: Schema.Date }), value: { at: new Date(0) } },
      { schema: Schema.Struct({ o: Schema.Option(Schema.Int) }), value: { o: Option.some(3) } }
    ]
    for (const { schema, value } of transforming) {
      const codec = Schema.toCodecJson(schema as Schema.Codec<unknown, unknown>)
      const json = Wire.jsonEncoder(schema)(value)
      assert.notStrictEqual(json, value)
      assert.deepStrictEqual(json, Schema.encodeUnknownSync(codec)(value))
      assert.deepStrictEqual(Schema.decodeUnknownSync(codec)(JSON.parse(JSON.stringify(json))), value)
    }
  })
})

describe("the secret", () => {
  it("comes from a file or the environment, never too short", () => {
    const file = path.join(dir, "secret")
    fs.writeFileSync(file, "a-secret-from-a-file\n")
    assert.strictEqual(new TextDecoder().decode(Secret.load(file, {})), "a-secret-from-a-file")
    assert.throws(() => Secret.load(undefined, { PROTOWEAVE_SECRET: "short" }), "the secret from PROTOWEAVE_SECRET has 5 bytes; at least 16 are needed")
    assert.throws(() => Secret.load(path.join(dir, "missing"), {}), "cannot read the secret file")
    assert.throws(() => Secret.load(undefined, {}), "no secret: give --secret-file FILE or set PROTOWEAVE_SECRET")
  })
})
