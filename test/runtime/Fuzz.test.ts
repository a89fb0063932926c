/**
 * A node under attack: more than a thousand malformed, oversized, wrong-role, unknown-tag,
 * undecodable, replayed and unauthenticated frames are sent to a participant of a Two-Phase Commit
 * cluster. Each must be rejected (and counted and logged with a reason), none may reach the
 * node's journal or change its state, and the node must still complete a round afterwards.
 */
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { afterAll, assert, describe, it } from "vitest"
import * as TwoPhaseCommit from "../../protocols/TwoPhaseCommit/index.ts"
import * as Cluster from "../../runtime/Cluster.ts"
import * as Frame from "../../runtime/Frame.ts"
import * as Handshake from "../../runtime/Handshake.ts"
import * as Journal from "../../runtime/Journal.ts"
import * as Node from "../../runtime/Node.ts"
import * as Wire from "../../runtime/Wire.ts"
import { scratch } from "../cli/Harness.ts"
import { freePorts } from "./Processes.ts"

const dir = scratch("protoweave-fuzz-")
const secret = new TextEncoder().encode("fuzz-test-secret-0123456789")
const wrongSecret = new TextEncoder().encode("not-the-secret-0123456789")
const launched: Array<Node.Launched> = []
afterAll(async () => {
  for (const node of launched) await node.stop()
})

/** A raw connection to the target, reading its frames. */
const connect = (port: number) =>
  new Promise<{ socket: net.Socket; next: () => Promise<Uint8Array>; closed: Promise<void>; raw: (bytes: Uint8Array) => void; frame: (body: Uint8Array) => void }>((resolve, reject) => {
    const socket = net.createConnection({ host: "127.0.0.1", port })
    const reader = new Frame.Reader()
    const frames: Array<Uint8Array> = []
    const waiting: Array<(f: Uint8Array) => void> = []
    socket.on("data", (chunk) => {
      for (const f of reader.push(chunk)) {
        const w = waiting.shift()
        if (w !== undefined) w(f)
        else frames.push(f)
      }
    })
    socket.on("error", () => undefined)
    const closed = new Promise<void>((r) => socket.once("close", () => r()))
    socket.once("connect", () =>
      resolve({
        socket,
        closed,
        next: () =>
          new Promise((r, j) => {
            const f = frames.shift()
            if (f !== undefined) return r(f)
            waiting.push(r)
            void closed.then(() => j(new Error("closed")))
          }),
        raw: (bytes) => void socket.write(bytes),
        frame: (body) => void socket.write(Frame.encode(body))
      })
    )
    socket.once("error", reject)
  })

const json = (value: unknown) => Wire.toBytes(value)

/** Performs the client side of the handshake as `as`, optionally with the wrong secret. */
const authenticate = async (port: number, as: string, instance: string, key = secret) => {
  const conn = await connect(port)
  const clientNonce = Handshake.nonce()
  const hello = json({ k: "hello", v: 2, from: as, to: "p1", nonce: clientNonce, instance })
  conn.frame(hello)
  const challenge = JSON.parse(new TextDecoder().decode(await conn.next())) as Wire.Challenge
  const parties = { client: as, server: "p1", clientNonce, serverNonce: challenge.nonce, instance }
  const auth = json({ k: "auth", proof: Handshake.proof(key, "client", parties) })
  conn.frame(auth)
  // The server's proof (or its refusal) comes before the sealed ready.
  await conn.next()
  const keys = Handshake.keys(key, parties)
  return { ...conn, hello, auth, sealer: new Handshake.Sealer(keys.clientToServer), opener: new Handshake.Opener(keys.serverToClient) }
}

const waitUntil = async (condition: () => boolean, what: string, timeoutMs = 60_000) => {
  const until = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe("a node under a flood of bad frames", () => {
  it("rejects every one, accepts none, and still completes a round", async () => {
    const system = TwoPhaseCommit.system({ participants: 2, rounds: 1 })
    const ports = await freePorts(3)
    const cluster = Cluster.parse(`protocol two-phase-commit\nparam participants=2\nparam rounds=1\nnode c coordinator 127.0.0.1:${ports[0]}\nnode p1 participant 127.0.0.1:${ports[1]}\nnode p2 participant 127.0.0.1:${ports[2]}\n`, "fuzz.cluster")
    const data = path.join(dir, "data")
    const reasons: Array<string> = []
    const options = (self: string): Node.NodeOptions => ({
      system,
      cluster,
      self,
      secret,
      dataDir: data,
      maxFrame: 64 * 1024,
      log: (e) => void (e.event === "rejected" && self === "p1" && reasons.push(String(e.reason)))
    })
    const target = await Node.launch(options("p1"))
    launched.push(target)
    const port = ports[1]!
    let expected = 0
    const oneRejection = async (attack: () => Promise<{ closed: Promise<void> }>) => {
      expected++
      const conn = await attack()
      await conn.closed
    }
    const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(Math.random() * 256))

    // Unauthenticated: a message before any handshake, a peer that is not configured, a hello for
    // another node, a proof made with the wrong secret.
    for (let i = 0; i < 100; i++) await oneRejection(async () => { const c = await connect(port); c.frame(json({ k: "msg", seq: 1, tag: "prepare", payload: { era: 0, data: 1 } })); return c })
    for (let i = 0; i < 50; i++) await oneRejection(async () => { const c = await connect(port); c.frame(json({ k: "hello", v: 2, from: "mallory", to: "p1", nonce: "00", instance: "x" })); return c })
    for (let i = 0; i < 50; i++) await oneRejection(async () => { const c = await connect(port); c.frame(json({ k: "hello", v: 2, from: "c", to: "p2", nonce: "00", instance: "x" })); return c })
    for (let i = 0; i < 100; i++) await oneRejection(() => authenticate(port, "c", "fuzz", wrongSecret))
    // Malformed: random bytes as the first frame; oversized: a length far above the limit.
    for (let i = 0; i < 100; i++) await oneRejection(async () => { const c = await connect(port); c.frame(bytes(1 + (i % 40))); return c })
    for (let i = 0; i < 50; i++) await oneRejection(async () => { const c = await connect(port); c.raw(Uint8Array.of(0x7f, 0xff, 0xff, 0xff, 1, 2, 3)); return c })
    // Replayed handshake: a recorded hello and auth, sent again on a new connection.
    const recorded = await authenticate(port, "c", "fuzz")
    recorded.socket.destroy()
    for (let i = 0; i < 100; i++) {
      await oneRejection(async () => {
        const c = await connect(port)
        c.frame(recorded.hello)
        await c.next()
        c.frame(recorded.auth)
        return c
      })
    }
    // Authenticated but oversized.
    for (let i = 0; i < 50; i++) await oneRejection(async () => { const s = await authenticate(port, "c", "fuzz"); await s.next(); s.raw(Uint8Array.of(0, 2, 0, 0)); return s })
    // Replayed within a session (the MAC's counter has moved on) and across sessions (other keys);
    // the first copy in a session is a bad payload, rejected without closing the connection.
    let captured: Uint8Array | undefined
    for (let i = 0; i < 50; i++) {
      await oneRejection(async () => {
        const s = await authenticate(port, "c", "fuzz")
        await s.next()
        const frame = s.sealer.seal(json({ k: "msg", seq: 1, tag: "prepare", payload: { era: "zero", data: 1 } }))
        captured = frame
        expected++
        s.frame(frame)
        s.frame(frame)
        return s
      })
    }
    for (let i = 0; i < 50; i++) await oneRejection(async () => { const s = await authenticate(port, "c", "fuzz"); await s.next(); s.frame(captured!); return s })

    // Within one authenticated session: frames that are sealed but wrong, each rejected on its own.
    const session = await authenticate(port, "p2", "fuzz")
    await session.next()
    const sealed = (body: unknown) => {
      expected++
      session.frame(session.sealer.seal(body instanceof Uint8Array ? body : json(body)))
    }
    for (let i = 0; i < 150; i++) sealed(bytes(1 + (i % 30)).map((b) => (b === 0x7b ? 0 : b)))
    for (let i = 0; i < 50; i++) sealed({ k: "msg", seq: -i, tag: "commit", payload: { era: 0 } })
    for (let i = 0; i < 50; i++) sealed({ k: "gossip", seq: 1 })
    for (let i = 0; i < 100; i++) sealed({ k: "msg", seq: 1, tag: `bogus${i}`, payload: { era: 0 } })
    for (let i = 0; i < 100; i++) sealed({ k: "msg", seq: 1, tag: "yes", payload: { era: 0 } })
    for (let i = 0; i < 100; i++) sealed({ k: "msg", seq: 1, tag: "commit", payload: { era: 0 } })
    for (let i = 0; i < 50; i++) sealed({ k: "ack", upTo: 1 })
    await waitUntil(() => target.node.stats.rejected >= expected, `${expected} rejections (have ${target.node.stats.rejected})`)
    session.socket.destroy()

    assert.isAtLeast(expected, 1000)
    assert.strictEqual(target.node.stats.rejected, expected)
    assert.strictEqual(reasons.length, expected)
    assert.strictEqual(target.node.stats.received, 0)
    assert.deepStrictEqual(target.node.local(), system.protocol.roles.participant!.initial)
    const journal = Journal.read(Journal.fileOf(data, "p1"))
    assert.deepStrictEqual(journal.map((r) => r.r), ["init", "start"])
    for (const fragment of [
      "is not a configured peer",
      "did not prove that it holds the cluster's secret",
      "bad hello",
      "above the limit of 65536",
      "failed its MAC check",
      'unknown tag "bogus0"',
      'tag "yes" is not received by role "participant"',
      'tag "commit" is sent by role "coordinator", but p2 plays "participant"',
      'the payload of "prepare" does not decode',
      "the frame is not UTF-8 JSON",
      "a msg's seq must be a positive integer",
      'unknown frame kind "gossip"',
      "an ack on a connection that carries no messages"
    ]) {
      assert.isTrue(reasons.some((r) => r.includes(fragment)), `no rejection says "${fragment}"`)
    }

    // The node still serves: the real coordinator and the other participant complete a round.
    const others = await Promise.all([Node.launch(options("c")), Node.launch(options("p2"))])
    launched.push(...others)
    const outcomes = await Promise.all([target.finished, ...others.map((o) => o.finished)])
    for (const o of outcomes) assert.deepStrictEqual(o, { outcome: "done", detail: [{ commit: true, data: 100 }] })
    assert.strictEqual(target.node.stats.rejected, expected)
    assert.isTrue(fs.existsSync(Journal.fileOf(data, "c")))
  })
})
