/**
 * The frame reader's cost and limits: frames reassembled from random chunkings, work linear in the
 * bytes received (the audit's shape: a 1 MiB partial frame followed by 10,000 one-byte chunks),
 * and the pre-handshake limit that a connection lifts once its peer is authenticated.
 */
import * as net from "node:net"
import { assert, describe, it } from "vitest"
import * as Prng from "../../core/Prng.ts"
import * as Frame from "../../runtime/Frame.ts"
import * as Transport from "../../runtime/Transport.ts"

describe("the frame reader", () => {
  it("reassembles frames of every size from random chunkings", () => {
    const rng = Prng.make(20)
    const sizes = [0, 1, 3, 4, 5, 4096, 65535, 65536, 65537, 200_000, 1 << 20]
    const bodies = sizes.map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + n) & 0xff))
    const stream = Buffer.concat(bodies.map(Frame.encode))
    for (let run = 0; run < 8; run++) {
      const reader = new Frame.Reader()
      const out: Array<Uint8Array> = []
      for (let at = 0; at < stream.length; ) {
        // Chunk sizes from 1 byte to 128 KiB, so that frames start and end anywhere in a chunk.
        const size = 1 + rng.int(run % 2 === 0 ? 17 : 1 << 17)
        out.push(...reader.push(stream.subarray(at, at + size)))
        at += size
      }
      assert.strictEqual(out.length, bodies.length)
      out.forEach((f, i) => assert.isTrue(Buffer.from(f).equals(Buffer.from(bodies[i]!)), `frame ${i} (${sizes[i]} bytes), run ${run}`))
      assert.strictEqual(reader.buffered, 0)
      assert.isBelow(reader.copied, 3 * stream.length)
    }
  })

  it("does work linear in the bytes received: a 1 MiB partial frame, then 10,000 one-byte chunks", () => {
    const length = Frame.defaultMaxFrame
    const body = Uint8Array.from({ length }, (_, i) => i & 0xff)
    const framed = Frame.encode(body)
    const reader = new Frame.Reader()
    const began = process.hrtime.bigint()
    const head = framed.length - 10_000
    assert.deepStrictEqual(reader.push(framed.subarray(0, head)), [])
    assert.strictEqual(reader.buffered, head)
    const out: Array<Uint8Array> = []
    for (let at = head; at < framed.length; at++) out.push(...reader.push(framed.subarray(at, at + 1)))
    const ms = Number(process.hrtime.bigint() - began) / 1e6
    assert.strictEqual(out.length, 1)
    assert.isTrue(Buffer.from(out[0]!).equals(Buffer.from(body)))
    // Each byte is copied once, and once more for each doubling of the frame's buffer it survives
    // (64 KiB up to 1 MiB): under twice the bytes. A reader that re-copies its partial buffer per
    // chunk copies about 10,000 MiB here, and took 6.5 s of CPU in the audit.
    assert.isBelow(reader.copied, 2 * framed.length)
    assert.isBelow(ms, 1000, `10,000 one-byte chunks after a 1 MiB partial frame took ${ms.toFixed(0)} ms`)
  })

  it("refuses a frame above the pre-handshake limit until the limit is lifted", () => {
    const reader = new Frame.Reader(Frame.preAuthMaxFrame)
    assert.strictEqual(reader.push(Frame.encode(new Uint8Array(Frame.preAuthMaxFrame))).length, 1)
    assert.throws(() => reader.push(Frame.encode(new Uint8Array(Frame.preAuthMaxFrame + 1))), Frame.FrameError, `a frame of ${Frame.preAuthMaxFrame + 1} bytes announced, above the limit of ${Frame.preAuthMaxFrame}`)
    const lifted = new Frame.Reader(Frame.preAuthMaxFrame)
    // A prefix split across chunks is checked once complete, against the limit then in force.
    assert.deepStrictEqual(lifted.push(Uint8Array.of(0, 0)), [])
    lifted.allow(1 << 20)
    const framed = Frame.encode(new Uint8Array(50_000).fill(3))
    assert.strictEqual(lifted.push(framed.subarray(2)).length, 1)
    assert.strictEqual(lifted.maxFrame, 1 << 20)
  })
})

/** A connection to a fresh server; `send` writes raw bytes to it from the other end. */
const pair = async (maxFrame: number) => {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const accepted = new Promise<net.Socket>((resolve) => server.once("connection", resolve))
  const client = net.connect({ host: "127.0.0.1", port: (server.address() as net.AddressInfo).port })
  const connection = new Transport.Connection(await accepted, maxFrame)
  await new Promise((resolve) => client.once("connect", resolve))
  client.on("error", () => undefined)
  return {
    connection,
    send: (bytes: Uint8Array) => void client.write(bytes),
    end: () => {
      client.destroy()
      server.close()
    }
  }
}

describe("a connection's frame limit", () => {
  it("is the pre-handshake limit until the peer is authenticated, then maxFrame", async () => {
    const before = await pair(1 << 20)
    assert.strictEqual(before.connection.frameLimit, Frame.preAuthMaxFrame)
    const closed = new Promise<Transport.LinkError>((resolve) => before.connection.onClose(resolve))
    before.send(Frame.encode(new Uint8Array(Frame.preAuthMaxFrame + 1)))
    const error = await closed
    assert.isTrue(error.rejected)
    assert.strictEqual(error.reason, `a frame of ${Frame.preAuthMaxFrame + 1} bytes announced, above the limit of ${Frame.preAuthMaxFrame}`)
    before.end()

    const after = await pair(1 << 20)
    after.send(Frame.encode(Uint8Array.of(1)))
    assert.deepStrictEqual(Array.from(await after.connection.next(5000, "first frame")), [1])
    after.connection.authenticated()
    assert.strictEqual(after.connection.frameLimit, 1 << 20)
    after.send(Frame.encode(new Uint8Array(300_000).fill(9)))
    const big = await after.connection.next(5000, "large frame")
    assert.strictEqual(big.length, 300_000)
    assert.isFalse(after.connection.closed)
    after.end()
  })

  it("never exceeds maxFrame, even when it is below the pre-handshake limit", async () => {
    const small = await pair(100)
    assert.strictEqual(small.connection.frameLimit, 100)
    small.connection.authenticated()
    assert.strictEqual(small.connection.frameLimit, 100)
    small.end()
  })
})
