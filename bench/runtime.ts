/**
 * `npm run bench:runtime [-- <round trips>]`: the network runtime against raw sockets, in the same
 * run. A ping-pong protocol (one ping outstanding at a time, each answered by a pong with the
 * same 64-byte body) runs between two protoweave nodes over loopback — the ponger in a child
 * process, the pinger in this one — with everything the runtime does: guards checked by the step
 * function, Schema-encoded and validated payloads, HMAC-sealed frames, the journal synced before
 * every message leaves, acknowledgements. The baseline is a raw `node:net` length-prefixed echo
 * of the same JSON messages, also with its server in a child process. Both report one-way
 * messages per second and the round-trip latency's p50 and p99; the last line is their ratio.
 *
 * The journals are written to `PROTOWEAVE_BENCH_DIR` (default: the OS temporary folder); the
 * header says which file system that is, since a sync costs what the disk makes it cost.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as Program from "../core/Program.ts"
import * as Protocol from "../core/Protocol.ts"
import * as System from "../core/System.ts"
import * as Cluster from "../runtime/Cluster.ts"
import * as Frame from "../runtime/Frame.ts"
import * as Node from "../runtime/Node.ts"

const Message = Schema.Struct({ n: Schema.Int, body: Schema.String })

const PingPong = Protocol.signature({
  label: "pingpong",
  roles: {
    pinger: Schema.Struct({ sent: Schema.Int, received: Schema.Int }),
    ponger: Schema.Struct({ received: Schema.Int, answered: Schema.Int })
  },
  initial: { pinger: { sent: 0, received: 0 }, ponger: { received: 0, answered: 0 } },
  messages: { ping: Message, pong: Message }
})

/** One ping at a time: the next ping only once the previous one is answered. */
const protocol = PingPong.protocol({
  sends: {
    sendPing: PingPong.send({ tag: "ping", from: "pinger", to: "ponger", guard: (s, _to, m) => m.n === s.sent && s.sent === s.received, step: (s) => ({ ...s, sent: s.sent + 1 }) }),
    sendPong: PingPong.send({ tag: "pong", from: "ponger", to: "pinger", guard: (s, _to, m) => m.n === s.answered && s.answered < s.received, step: (s) => ({ ...s, answered: s.answered + 1 }) })
  },
  receives: {
    receivePing: PingPong.receive({ tag: "ping", by: "ponger", step: (s, _from, m) => (m.n === s.received ? { ...s, received: s.received + 1 } : s) }),
    receivePong: PingPong.receive({ tag: "pong", by: "pinger", step: (s, _from, m) => (m.n === s.received ? { ...s, received: s.received + 1 } : s) })
  }
})

const body = "x".repeat(64)
const warmup = 300

/** Each round trip's latency and the moment it completed, in ms. */
interface Samples {
  readonly latencies: Array<number>
  readonly completed: Array<number>
}

const system = (roundTrips: number, samples: Samples) =>
  System.make({
    protocol,
    nodes: { pinger: ["a"], ponger: ["b"] },
    programs: {
      a: Program.make(protocol, "pinger", (node) =>
        Effect.gen(function* () {
          for (let n = 0; n < roundTrips; n++) {
            const sent = performance.now()
            yield* node.send("ping", node.nodes.ponger[0]!, { n, body })
            yield* node.receive({ tags: ["pong"] })
            const now = performance.now()
            samples.latencies.push(now - sent)
            samples.completed.push(now)
          }
          return roundTrips
        })
      ),
      b: Program.make(protocol, "ponger", (node) =>
        Effect.gen(function* () {
          for (let n = 0; n < roundTrips; n++) {
            const ping = yield* node.receive({ tags: ["ping"] })
            yield* node.send("pong", node.nodes.pinger[0]!, { n: ping.payload.n, body: ping.payload.body })
          }
          return roundTrips
        })
      )
    },
    properties: []
  })

interface Measured {
  readonly msgsPerSecond: number
  readonly p50: number
  readonly p99: number
}

/** Throughput and latency over the round trips after the warm-up. */
const measure = (samples: Samples): Measured => {
  const ms = samples.completed[samples.completed.length - 1]! - samples.completed[warmup - 1]!
  const sorted = samples.latencies.slice(warmup).sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 1000
  return { msgsPerSecond: (2 * sorted.length) / (ms / 1000), p50: at(0.5), p99: at(0.99) }
}

const format = (name: string, m: Measured) =>
  `${name.padEnd(12)} ${Math.round(m.msgsPerSecond).toLocaleString("en-US").padStart(8)} msgs/s   p50 ${Math.round(m.p50).toString().padStart(5)} µs   p99 ${Math.round(m.p99).toString().padStart(6)} µs`

const self = fileURLToPath(import.meta.url)
const secret = "bench-secret-0123456789abcdef"

/** Starts this script in a child process in `mode`; resolves once it prints its first line. */
const child = (args: ReadonlyArray<string>) =>
  new Promise<{ stop: () => void; line: string }>((resolve, reject) => {
    const proc = spawn(process.execPath, ["--import", "tsx", self, ...args], { env: { ...process.env, PROTOWEAVE_SECRET: secret }, stdio: ["ignore", "pipe", "inherit"] })
    let out = ""
    proc.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk
      const nl = out.indexOf("\n")
      if (nl >= 0) resolve({ stop: () => proc.kill("SIGTERM"), line: out.slice(0, nl) })
    })
    proc.once("exit", (code) => reject(new Error(`the child (${args.join(" ")}) exited with ${code}`)))
  })

/** The raw baseline's server: echoes every frame. */
const echoServer = () => {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true)
    const reader = new Frame.Reader()
    socket.on("data", (chunk) => {
      for (const frame of reader.push(chunk)) socket.write(Frame.encode(frame))
    })
    socket.on("error", () => undefined)
  })
  server.listen(0, "127.0.0.1", () => process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`))
}

const raw = async (roundTrips: number): Promise<Measured> => {
  const server = await child(["--echo-server"])
  try {
    const socket = net.createConnection({ host: "127.0.0.1", port: Number(server.line) })
    socket.setNoDelay(true)
    await new Promise((r) => socket.once("connect", r))
    const reader = new Frame.Reader()
    const samples: Samples = { latencies: [], completed: [] }
    let n = 0
    let sentAt = 0
    const done = new Promise<void>((resolve) => {
      const send = () => {
        sentAt = performance.now()
        socket.write(Frame.encode(new TextEncoder().encode(JSON.stringify({ k: "msg", seq: n + 1, tag: "ping", payload: { n, body } }))))
      }
      socket.on("data", (chunk) => {
        for (const frame of reader.push(chunk)) {
          const echoed = JSON.parse(new TextDecoder().decode(frame)) as { payload: { n: number } }
          if (echoed.payload.n !== n) throw new Error("the echo does not match")
          const now = performance.now()
          samples.latencies.push(now - sentAt)
          samples.completed.push(now)
          if (++n === roundTrips) return resolve()
          send()
        }
      })
      send()
    })
    await done
    socket.destroy()
    return measure(samples)
  } finally {
    server.stop()
  }
}

const clusterOf = (ports: readonly [number, number]) =>
  Cluster.parse(`node a pinger 127.0.0.1:${ports[0]}\nnode b ponger 127.0.0.1:${ports[1]}\n`, "bench")

const ponger = async (roundTrips: number, ports: readonly [number, number], dataDir: string) => {
  const node = await Node.launch({ system: system(roundTrips, { latencies: [], completed: [] }), cluster: clusterOf(ports), self: "b", secret: new TextEncoder().encode(secret), dataDir })
  process.stdout.write("ready\n")
  await node.finished
  await new Promise((r) => setTimeout(r, 60_000))
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer()
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })

const protoweave = async (roundTrips: number, dataDir: string): Promise<Measured> => {
  const ports = [await freePort(), await freePort()] as const
  const other = await child(["--ponger", String(roundTrips), String(ports[0]), String(ports[1]), dataDir])
  try {
    const samples: Samples = { latencies: [], completed: [] }
    const node = await Node.launch({ system: system(roundTrips, samples), cluster: clusterOf(ports), self: "a", secret: new TextEncoder().encode(secret), dataDir })
    await node.finished
    await node.stop()
    return measure(samples)
  } finally {
    other.stop()
  }
}

const fileSystemOf = (dir: string): string => {
  try {
    return execFileSync("df", ["-T", dir], { encoding: "utf8" }).trim().split("\n").pop()!.split(/\s+/)[1] ?? "?"
  } catch {
    return "?"
  }
}

const main = async () => {
  const [mode, ...rest] = process.argv.slice(2)
  if (mode === "--echo-server") return echoServer()
  if (mode === "--ponger") return ponger(Number(rest[0]), [Number(rest[1]), Number(rest[2])], rest[3]!)
  const roundTrips = Number(mode ?? 5000) + warmup
  const base = process.env.PROTOWEAVE_BENCH_DIR ?? os.tmpdir()
  const dataDir = fs.mkdtempSync(path.join(base, "protoweave-bench-"))
  try {
    console.log(`ping-pong over loopback: ${roundTrips - warmup} round trips after ${warmup} warm-up, 64-byte bodies; journals on ${fileSystemOf(dataDir)} (${base})`)
    const r = await raw(roundTrips)
    console.log(format("raw node:net", r))
    const p = await protoweave(roundTrips, dataDir)
    console.log(format("protoweave", p))
    console.log(`ratio: ${(p.msgsPerSecond / r.msgsPerSecond).toFixed(3)}`)
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

await main()
