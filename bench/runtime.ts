/**
 * `npm run bench:runtime [-- [<round trips> [<window>]] [--rounds K]]`: the network runtime against
 * raw sockets, in the same run. A ping-pong protocol (each ping answered by a pong with the same
 * 64-byte body) runs between two protoweave nodes over loopback — the ponger in a child process,
 * the pinger in this one — with everything the runtime does: guards checked by the step function,
 * Schema-encoded and validated payloads, HMAC-sealed frames, the journal synced before every
 * message leaves, acknowledgements. The baseline is a raw `node:net` length-prefixed echo of the
 * same JSON messages, also with its server in a child process.
 *
 * Each is measured with one ping in flight (the next ping only once the previous pong is back, so
 * latency is the whole cost), and with a window of W pings in flight (default 32; the protocol's
 * guard allows at most W unanswered pings, and the raw client keeps W frames outstanding too), as
 * a server with many requests in flight would run, where one journal sync covers every message
 * appended while the previous one was on disk. Each line reports one-way messages per second, the
 * round-trip latency's p50 and p99 (from the send of a ping to the receipt of its pong), and the
 * CPU time both processes spent per message, all over the round trips measured. A run measures
 * `<round trips>` (default 20,000) with the window after 30,000 of warm-up, and a quarter of that
 * with one ping in flight after 5,000 (`warmupOf` says why).
 *
 * Two more lines say where the gap to the raw echo lies. `raw + sync` is the raw echo made durable
 * the plainest way: each side writes the frames it is about to send to a file and fdatasyncs it
 * before the socket write, once for all the frames one read of the socket brought (group commit):
 * what the disk alone costs, with no framework. `pw no sync` is protoweave with its journals
 * written but not synced (`durable: false`, which no real node should use): what the framework
 * costs without the disk. The last five lines are: the one-in-flight ratios (protoweave over the
 * raw echo and over `raw + sync`); `raw + sync` over the raw echo, the share of the raw echo's
 * rate that the disk alone leaves at one sync per read (a runtime that syncs before a message
 * leaves passes it only by covering more messages with each sync); protoweave's msgs/s over the
 * raw echo's with the window; both p99s with the window and their quotient; and last, `ratio to
 * raw+sync: X`, protoweave over `raw + sync` with the window, the cost of the framework next to an
 * echo as durable.
 *
 * The machine is shared, and a run's rate swings by half from one minute to the next, the raw
 * echo's most. So everything is measured in rounds (`--rounds K`, default 3), each round running
 * every line once, one after the other, and each line shows its fastest run and then the rates of
 * all its runs: a fast or slow spell then falls on every line alike, and the ratios divide fastest
 * by fastest.
 *
 * The journals are written to `PROTOWEAVE_BENCH_DIR` (default: the OS temporary folder); the
 * header says which file system that is, since a sync costs what the disk makes it cost. Under
 * each protoweave line, the pinger's journal of its fastest run says how many flushes it made, how
 * many records each covered and how long they took: the node waits for them on its thread.
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

/** At most `window` pings unanswered: with a window of 1, the next ping only once the previous one is answered. */
const protocolOf = (window: number) => PingPong.protocol({
  sends: {
    sendPing: PingPong.send({ tag: "ping", from: "pinger", to: "ponger", guard: (s, _to, m) => m.n === s.sent && s.sent - s.received < window, step: (s) => ({ ...s, sent: s.sent + 1 }) }),
    sendPong: PingPong.send({ tag: "pong", from: "ponger", to: "pinger", guard: (s, _to, m) => m.n === s.answered && s.answered < s.received, step: (s) => ({ ...s, answered: s.answered + 1 }) })
  },
  receives: {
    receivePing: PingPong.receive({ tag: "ping", by: "ponger", step: (s, _from, m) => (m.n === s.received ? { ...s, received: s.received + 1 } : s) }),
    receivePong: PingPong.receive({ tag: "pong", by: "pinger", step: (s, _from, m) => (m.n === s.received ? { ...s, received: s.received + 1 } : s) })
  }
})

const body = "x".repeat(64)
/**
 * Round trips run before measuring, on both sides, with the window and with one ping in flight.
 * Each side's server is a fresh process, and V8's compilers keep speeding it up for tens of
 * thousands of messages. Measured here in segments of 5,000 round trips after the first 5,000 (k
 * msgs/s, W = 32): protoweave 16, 32, 26, 33, 37, 36, 43, 41, 42, 44, 45, 43; the raw echo 101,
 * 188, 117, 132, 129, 124, 143, 141, 135, 155, 175, 160. So the window's runs are measured after
 * 30,000, where protoweave's rate has levelled off; a short warm-up measures the compilers as
 * much as the runtime. One ping in flight runs a tenth as fast and warms up over fewer round trips.
 */
const warmupOf = (window: number) => (window === 1 ? 5_000 : 30_000)

/** Each round trip's latency and the moment it completed, in ms; `warm` is called as the warm-up's last one completes. */
interface Samples {
  readonly warmup: number
  readonly latencies: Array<number>
  readonly completed: Array<number>
  readonly warm: () => void
}

const sample = (samples: Samples, latency: number, now: number) => {
  samples.latencies.push(latency)
  samples.completed.push(now)
  if (samples.completed.length === samples.warmup) samples.warm()
}

const system = (roundTrips: number, window: number, samples: Samples) => {
  const protocol = protocolOf(window)
  return System.make({
    protocol,
    nodes: { pinger: ["a"], ponger: ["b"] },
    programs: {
      a: Program.make(protocol, "pinger", (node) =>
        Effect.gen(function* () {
          const sentAt: Array<number> = []
          const ping = (n: number) => {
            sentAt.push(performance.now())
            return node.send("ping", node.nodes.ponger[0]!, { n, body })
          }
          while (sentAt.length < Math.min(window, roundTrips)) yield* ping(sentAt.length)
          for (let received = 0; received < roundTrips; received++) {
            const pong = yield* node.receive({ tags: ["pong"] })
            const now = performance.now()
            sample(samples, now - sentAt[pong.payload.n]!, now)
            if (sentAt.length < roundTrips) yield* ping(sentAt.length)
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
}

interface Measured {
  readonly msgsPerSecond: number
  readonly p50: number
  readonly p99: number
  /** CPU time (user + system) of both processes per one-way message, in µs, after the warm-up. */
  readonly cpuPerMessage: number
}

/** CPU time of this process so far, in µs. */
const cpuNow = () => {
  const usage = process.cpuUsage()
  return usage.user + usage.system
}

/** Throughput and latency over the round trips after the warm-up; `cpu` is both processes' CPU time over them. */
const measure = (samples: Samples, cpu: number): Measured => {
  const ms = samples.completed[samples.completed.length - 1]! - samples.completed[samples.warmup - 1]!
  const sorted = samples.latencies.slice(samples.warmup).sort((a, b) => a - b)
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! * 1000
  return { msgsPerSecond: (2 * sorted.length) / (ms / 1000), p50: at(0.5), p99: at(0.99), cpuPerMessage: cpu / (2 * sorted.length) }
}

const format = (name: string, m: Measured) =>
  `${name.padEnd(12)} ${Math.round(m.msgsPerSecond).toLocaleString("en-US").padStart(8)} msgs/s   p50 ${Math.round(m.p50).toString().padStart(5)} µs   p99 ${Math.round(m.p99).toString().padStart(6)} µs   CPU ${m.cpuPerMessage.toFixed(1).padStart(6)} µs/msg`

const self = fileURLToPath(import.meta.url)
const secret = "bench-secret-0123456789abcdef"

/** CPU time of this process and of `other` so far, in µs. */
const bothCpu = async (other: Child): Promise<number> => cpuNow() + (await other.cpu())

/** A child process running this script in some mode: its first line, and its CPU time on request. */
interface Child {
  readonly line: string
  /** The child's CPU time so far, in µs. */
  readonly cpu: () => Promise<number>
  readonly stop: () => void
}

/**
 * Starts this script in a child process in `mode`; resolves once it prints its first line. Every
 * line written to its stdin asks for its CPU time, which it prints as a line.
 */
const child = (args: ReadonlyArray<string>) =>
  new Promise<Child>((resolve, reject) => {
    const proc = spawn(process.execPath, ["--import", "tsx", self, ...args], { env: { ...process.env, PROTOWEAVE_SECRET: secret }, stdio: ["pipe", "pipe", "inherit"] })
    const lines: Array<string> = []
    const waiting: Array<(line: string) => void> = []
    let out = ""
    let started = false
    proc.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk
      for (let nl = out.indexOf("\n"); nl >= 0; nl = out.indexOf("\n")) {
        const line = out.slice(0, nl)
        out = out.slice(nl + 1)
        const w = waiting.shift()
        if (w !== undefined) w(line)
        else lines.push(line)
      }
      if (!started && lines.length > 0) {
        started = true
        resolve({
          line: lines.shift()!,
          cpu: () =>
            new Promise<number>((r) => {
              waiting.push((line) => r(Number(line)))
              proc.stdin!.write("cpu\n")
            }),
          stop: () => proc.kill("SIGTERM")
        })
      }
    })
    proc.once("exit", (code) => reject(new Error(`the child (${args.join(" ")}) exited with ${code}`)))
  })

/** In a child: answers every line on stdin with this process's CPU time. */
const answerCpu = () =>
  process.stdin.setEncoding("utf8").on("data", (chunk: string) => {
    for (const _ of chunk.split("\n").slice(1)) process.stdout.write(`${cpuNow()}\n`)
  })

/**
 * A file that the raw echo makes durable before it writes to its socket: its bytes go in place
 * into space already written with zeros, as a journal's do, and each write is flushed (fdatasync).
 */
const syncedFile = (dir: string, name: string): ((bytes: Uint8Array) => void) => {
  const size = 8 << 20
  const zeros = Buffer.alloc(1 << 20)
  const fd = fs.openSync(path.join(dir, name), "w+")
  for (let at = 0; at < size; at += zeros.length) fs.writeSync(fd, zeros, 0, zeros.length, at)
  fs.fdatasyncSync(fd)
  let end = 0
  return (bytes) => {
    // A run writes a few megabytes; past the end it starts again at the beginning.
    if (end + bytes.length > size) end = 0
    fs.writeSync(fd, bytes, 0, bytes.length, end)
    end += bytes.length
    fs.fdatasyncSync(fd)
  }
}

/**
 * The raw baseline's server: echoes every frame. Given a folder, it first makes the frames of each
 * read durable in a file there, then echoes them in one write.
 */
const echoServer = (syncDir: string | undefined) => {
  const durable = syncDir === undefined ? undefined : syncedFile(syncDir, "echo-server")
  const server = net.createServer((socket) => {
    socket.setNoDelay(true)
    const reader = new Frame.Reader()
    socket.on("data", (chunk) => {
      const frames = reader.push(chunk)
      if (durable === undefined) {
        for (const frame of frames) socket.write(Frame.encode(frame))
      } else if (frames.length > 0) {
        const bytes = Frame.encodeAll(frames)
        durable(bytes)
        socket.write(bytes)
      }
    })
    socket.on("error", () => undefined)
  })
  server.listen(0, "127.0.0.1", () => {
    process.stdout.write(`${(server.address() as net.AddressInfo).port}\n`)
    answerCpu()
  })
}

const ping = (n: number) => Frame.encode(new TextEncoder().encode(JSON.stringify({ k: "msg", seq: n + 1, tag: "ping", payload: { n, body } })))

/**
 * The raw client: keeps `window` pings outstanding, sending the next one as each echo arrives.
 * Given a folder, it is the durable variant (`raw + sync`): it makes the pings it is about to send
 * durable in a file there first, once for all the pings one read of the socket calls for, and
 * sends those in one write.
 */
const raw = async (roundTrips: number, warmup: number, window: number, syncDir: string | undefined): Promise<Measured> => {
  const server = await child(syncDir === undefined ? ["--echo-server"] : ["--echo-server", syncDir])
  try {
    const durable = syncDir === undefined ? undefined : syncedFile(syncDir, "client")
    const socket = net.createConnection({ host: "127.0.0.1", port: Number(server.line) })
    socket.setNoDelay(true)
    await new Promise((r) => socket.once("connect", r))
    const reader = new Frame.Reader()
    let cpuAtWarm: Promise<number> | undefined
    const samples: Samples = { warmup, latencies: [], completed: [], warm: () => void (cpuAtWarm = bothCpu(server)) }
    const sentAt: Array<number> = []
    let received = 0
    const done = new Promise<void>((resolve, reject) => {
      /** Sends up to `count` more pings: one write each, or all of them in one durable write. */
      const send = (count: number) => {
        const frames: Array<Uint8Array> = []
        for (let k = 0; k < count && sentAt.length < roundTrips; k++) {
          const n = sentAt.length
          sentAt.push(performance.now())
          if (durable === undefined) socket.write(ping(n))
          else frames.push(ping(n))
        }
        if (durable !== undefined && frames.length > 0) {
          const bytes = Buffer.concat(frames)
          durable(bytes)
          socket.write(bytes)
        }
      }
      socket.on("data", (chunk) => {
        let echoes = 0
        for (const frame of reader.push(chunk)) {
          const echoed = JSON.parse(new TextDecoder().decode(frame)) as { payload: { n: number } }
          if (echoed.payload.n !== received) return reject(new Error("the echo does not match"))
          const now = performance.now()
          sample(samples, now - sentAt[echoed.payload.n]!, now)
          if (++received === roundTrips) return resolve()
          echoes++
          if (durable === undefined) send(1)
        }
        if (durable !== undefined) send(echoes)
      })
      send(window)
    })
    await done
    const cpu = (await bothCpu(server)) - (await cpuAtWarm!)
    socket.destroy()
    return measure(samples, cpu)
  } finally {
    server.stop()
  }
}

const clusterOf = (ports: readonly [number, number]) =>
  Cluster.parse(`node a pinger 127.0.0.1:${ports[0]}\nnode b ponger 127.0.0.1:${ports[1]}\n`, "bench")

const ponger = async (roundTrips: number, window: number, ports: readonly [number, number], dataDir: string, durable: boolean) => {
  const node = await Node.launch({ system: system(roundTrips, window, { warmup: 0, latencies: [], completed: [], warm: () => undefined }), cluster: clusterOf(ports), self: "b", secret: new TextEncoder().encode(secret), dataDir, durable })
  process.stdout.write("ready\n")
  answerCpu()
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

/** What the pinger's journal flushes cost over the round trips measured. */
interface Flushes {
  readonly flushes: number
  readonly records: number
  readonly ms: number
  /** The measured part of the pinger's run. */
  readonly runMs: number
}

const flushLine = (f: Flushes) =>
  `  the pinger's journal: ${f.flushes.toLocaleString("en-US")} flushes of ${(f.records / Math.max(1, f.flushes)).toFixed(1)} records, ${(f.ms / Math.max(1, f.flushes)).toFixed(2)} ms each on average: ${(f.ms / 1000).toFixed(1)} s of the ${(f.runMs / 1000).toFixed(1)} s measured`

const protoweave = async (roundTrips: number, warmup: number, window: number, dataDir: string, durable: boolean): Promise<Measured & { readonly flushes: Flushes }> => {
  const ports = [await freePort(), await freePort()] as const
  const other = await child(["--ponger", String(roundTrips), String(window), String(ports[0]), String(ports[1]), dataDir, String(durable)])
  try {
    let node: Node.Launched | undefined
    let atWarm: { readonly cpu: Promise<number>; readonly began: number; readonly stats: Node.Stats | undefined } | undefined
    const warm = () => {
      atWarm = { cpu: bothCpu(other), began: performance.now(), stats: node === undefined ? undefined : { ...node.node.stats } }
    }
    const samples: Samples = { warmup, latencies: [], completed: [], warm }
    node = await Node.launch({ system: system(roundTrips, window, samples), cluster: clusterOf(ports), self: "a", secret: new TextEncoder().encode(secret), dataDir, durable })
    await node.finished
    const runMs = performance.now() - atWarm!.began
    const cpu = (await bothCpu(other)) - (await atWarm!.cpu)
    const before = atWarm!.stats!
    const { flushes, flushedRecords, flushMs } = node.node.stats
    await node.stop()
    return { ...measure(samples, cpu), flushes: { flushes: flushes - before.flushes, records: flushedRecords - before.flushedRecords, ms: flushMs - before.flushMs, runMs } }
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

/** A fresh folder under `base` for one run's files, removed after it. */
const inFolder = async <A>(base: string, run: (dir: string) => Promise<A>): Promise<A> => {
  const dir = fs.mkdtempSync(path.join(base, "protoweave-bench-"))
  try {
    return await run(dir)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

const fastest = <M extends Measured>(runs: ReadonlyArray<M>): M => runs.reduce((a, b) => (b.msgsPerSecond > a.msgsPerSecond ? b : a))

/** A line's fastest run, then the rates of all its runs. */
const rowOf = (name: string, runs: ReadonlyArray<Measured>, note = ""): string =>
  `${format(name, fastest(runs))}${note}${runs.length === 1 ? "" : `   (runs: ${runs.map((m) => Math.round(m.msgsPerSecond).toLocaleString("en-US")).join(", ")})`}`

const usage = "usage: npm run bench:runtime [-- [<round trips> [<window>]] [--rounds K]]"
const count = (n: number) => n.toLocaleString("en-US")

const main = async () => {
  const args = process.argv.slice(2)
  if (args[0] === "--echo-server") return echoServer(args[1])
  if (args[0] === "--ponger") return ponger(Number(args[1]), Number(args[2]), [Number(args[3]), Number(args[4])], args[5]!, args[6] === "true")
  const roundsAt = args.indexOf("--rounds")
  const rounds = roundsAt < 0 ? 3 : Number(args[roundsAt + 1])
  const positional = args.filter((_, i) => roundsAt < 0 || (i !== roundsAt && i !== roundsAt + 1))
  const measured = Number(positional[0] ?? 20_000)
  const window = Number(positional[1] ?? 32)
  if (positional.length > 2 || ![rounds, measured, window].every((n) => Number.isInteger(n) && n >= 1)) {
    console.error(`bench:runtime: round trips, window and rounds are positive integers (${usage})`)
    process.exit(2)
  }
  const base = process.env.PROTOWEAVE_BENCH_DIR ?? os.tmpdir()
  // One ping in flight runs at a tenth of the windowed rate: a quarter as many round trips keep its
  // runs short without making them noisy.
  const oneInFlight = Math.max(1, Math.round(measured / 4))
  console.log(
    `ping-pong over loopback, 64-byte bodies: ${count(measured)} round trips measured with W = ${window} (${count(oneInFlight)} with W = 1) after ${count(warmupOf(window))} of warm-up (${count(warmupOf(1))} with W = 1); journals on ${fileSystemOf(base)} (${base}); each line's fastest of ${rounds} interleaved run${rounds === 1 ? "" : "s"}`
  )
  const ratios: Array<{ readonly toRaw: number; readonly toSynced: number; readonly syncedToRaw: number; readonly p99: number; readonly syncedP99: number }> = []
  for (const w of [1, window]) {
    console.log(w === 1 ? "one ping in flight (W = 1):" : `a window of ${w} pings in flight (W = ${w}):`)
    const warmup = warmupOf(w)
    const roundTrips = (w === 1 ? oneInFlight : measured) + warmup
    const raws: Array<Measured> = []
    const synced: Array<Measured> = []
    const pws: Array<Measured & { readonly flushes: Flushes }> = []
    const unsynced: Array<Measured> = []
    // Every line once per round, one after the other, so that a spell of the machine falls on all.
    for (let round = 0; round < rounds; round++) {
      raws.push(await raw(roundTrips, warmup, w, undefined))
      synced.push(await inFolder(base, (dir) => raw(roundTrips, warmup, w, dir)))
      pws.push(await inFolder(base, (dir) => protoweave(roundTrips, warmup, w, dir, true)))
      unsynced.push(await inFolder(base, (dir) => protoweave(roundTrips, warmup, w, dir, false)))
    }
    const [r, rs, p, u] = [fastest(raws), fastest(synced), fastest(pws), fastest(unsynced)]
    console.log(rowOf("raw node:net", raws))
    console.log(rowOf("raw + sync", synced, `   (ratio ${(rs.msgsPerSecond / r.msgsPerSecond).toFixed(3)})`))
    console.log(rowOf("protoweave", pws))
    console.log(flushLine(p.flushes))
    console.log(rowOf("pw no sync", unsynced, `   (ratio ${(u.msgsPerSecond / r.msgsPerSecond).toFixed(3)})`))
    ratios.push({ toRaw: p.msgsPerSecond / r.msgsPerSecond, toSynced: p.msgsPerSecond / rs.msgsPerSecond, syncedToRaw: rs.msgsPerSecond / r.msgsPerSecond, p99: p.p99, syncedP99: rs.p99 })
  }
  const [one, windowed] = [ratios[0]!, ratios[1]!]
  console.log(`one-in-flight ratio (W = 1): ${one.toRaw.toFixed(3)} to the raw echo, ${one.toSynced.toFixed(3)} to raw + sync (target ≥ 0.9)`)
  console.log(`the disk alone (W = ${window}): raw + sync ÷ raw = ${windowed.syncedToRaw.toFixed(3)}, an echo that syncs each read's answers before they leave and does nothing else`)
  console.log(`ratio to the raw echo (W = ${window}): ${windowed.toRaw.toFixed(3)}`)
  console.log(`p99 (W = ${window}, fastest runs): protoweave ${Math.round(windowed.p99)} µs, raw + sync ${Math.round(windowed.syncedP99)} µs: ${(windowed.p99 / windowed.syncedP99).toFixed(2)}× (target ≤ 1.5×)`)
  console.log(`ratio to raw+sync: ${windowed.toSynced.toFixed(3)}`)
}

await main()
