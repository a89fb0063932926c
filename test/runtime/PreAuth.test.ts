/**
 * Bounded cost before authentication, with the shapes of the audit's attack on a `protoweave node`
 * process (a Calculator server): 200 connections each sending all but one byte of a frame near the
 * configured limit (1 MiB), 200 more each holding all but one byte of a frame at the pre-handshake
 * limit, and 10,000 one-byte chunks after a 1 MiB partial frame and then after partial frames at
 * the pre-handshake limit. The attacker is a process of its own, so that its work does not slow the
 * real client, which runs in this process. During the attack the node must hold at most its cap of
 * unauthenticated connections, its resident memory must stay within 48 MiB of what it was before,
 * and a real client's requests must complete within twice the time they took before the attack.
 * Once a peer is authenticated, the configured limit applies again: a 100 KB message arrives.
 */
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { afterAll, assert, describe, it } from "vitest"
import * as Program from "../../core/Program.ts"
import * as System from "../../core/System.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"
import * as Admission from "../../runtime/Admission.ts"
import * as Cluster from "../../runtime/Cluster.ts"
import * as Frame from "../../runtime/Frame.ts"
import * as Node from "../../runtime/Node.ts"
import { assertUsageError, protoweave, scratch } from "../cli/Harness.ts"
import * as PingPong from "../fixtures/PingPong.ts"
import { pinger } from "../fixtures/PingPongSystem.ts"
import { freePorts, startNode } from "./Processes.ts"

const dir = scratch("protoweave-preauth-")
const secretText = "pre-auth-test-secret-0123456789"
const secret = new TextEncoder().encode(secretText)
/** A warm-up client, then five before the attack and five during it. */
const clients = 11
const requests = 30
/** How far the node's resident memory may grow during the attack. */
const memoryBoundMiB = 48

// The attacker, in plain JavaScript so that its process starts at once. It prints one JSON line
// per stage; `held` is how many of the 200 connections at the pre-handshake limit the node still
// holds once all are open (and it has had time to accept them).
const attacker = `
import * as net from "node:net"
const [port, small, big, cap] = process.argv.slice(2).map(Number)
const say = (o) => process.stdout.write(JSON.stringify(o) + "\\n")
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
let stopping = false
process.stdin.on("data", () => undefined).once("end", () => (stopping = true))
const open = () => new Promise((resolve) => {
  const s = net.connect({ host: "127.0.0.1", port, noDelay: true })
  s.on("error", () => undefined)
  s.once("connect", () => resolve(s))
  s.once("close", () => resolve(s))
})
const header = (n) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b }
const filler = Buffer.alloc(big, 0x61)
const isOpen = (s) => !s.destroyed && s.readyState === "open"
let rounds = 0
let chunks = 0
let trickles = 0
// Rounds of the attack until told to stop, and at least one whole round.
while (rounds === 0 || !stopping) {
  const near = await Promise.all(Array.from({ length: 200 }, open))
  for (const s of near) if (isOpen(s)) { s.write(header(big)); s.write(filler.subarray(0, big - 1)) }
  const atLimit = []
  for (let i = 0; i < 200; i++) {
    const s = await open()
    if (isOpen(s)) { s.write(header(small)); s.write(filler.subarray(0, small - 1)) }
    atLimit.push(s)
  }
  // The node may still have connections to accept (the kernel completes them first): wait for it
  // to come down to its cap, for at most 2.5 s (half its handshake timeout).
  for (let waited = 0; waited < 2500 && atLimit.filter(isOpen).length > cap; waited += 50) await sleep(50)
  if (rounds === 0) say({ stage: "held", held: atLimit.filter(isOpen).length, nearOpen: near.filter(isOpen).length })
  // 10,000 one-byte chunks: first after the audit's 1 MiB partial frame, then (once that
  // connection is refused) after partial frames at the pre-handshake limit.
  for (let n = 0; n < 10000; ) {
    const s = await open()
    trickles++
    if (!isOpen(s)) continue
    const announce = n === 0 ? big : small
    s.write(header(announce))
    s.write(filler.subarray(0, Math.max(0, announce - 10001)))
    while (n < 10000 && isOpen(s)) {
      await new Promise((r) => s.write(filler.subarray(0, 1), r))
      n++
      chunks++
      // Separate chunks, about ten a millisecond: a slow trickle, not a busy loop of the attacker.
      await (n % 10 === 0 ? sleep(1) : new Promise((r) => setImmediate(r)))
    }
    s.destroy()
  }
  for (const s of [...near, ...atLimit]) s.destroy()
  rounds++
  await sleep(200)
}
say({ stage: "done", rounds, chunks, trickles })
`

const launched: Array<Node.Launched> = []
afterAll(async () => {
  for (const node of launched) await node.stop()
})

/** A process's CPU time (user and system) in ms, from /proc. */
const cpuMs = (pid: number): number => {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /, "").split(" ")
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
}

/** The node's resident memory in MiB, from /proc. */
const rssMiB = (pid: number): number => {
  const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))
  return match === null ? 0 : Number(match[1]) / 1024
}

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

describe("a node attacked before authentication", () => {
  it("holds at most its cap of connections and little memory, and serves a real client within twice its normal time", async () => {
    const ports = await freePorts(clients + 1)
    const lines = ["protocol calculator", `param clients=${clients}`, "param servers=1", `param requests=${requests}`, `node s1 server 127.0.0.1:${ports[0]}`]
    for (let k = 1; k <= clients; k++) lines.push(`node c${k} client 127.0.0.1:${ports[k]}`)
    const clusterFile = path.join(dir, "calculator.cluster")
    fs.writeFileSync(clusterFile, `${lines.join("\n")}\n`)
    const cluster = Cluster.parse(fs.readFileSync(clusterFile, "utf8"), clusterFile)
    const system = Calculator.system({ clients, servers: 1, requests })
    const server = startNode("s1", ["--cluster", clusterFile, "--data", path.join(dir, "s1"), "--linger", "-1"], secretText)
    await server.waitFor((e) => e.event === "started", "start")
    for (let connected = false; !connected; ) {
      connected = await new Promise<boolean>((resolve) => {
        const s = net.connect({ host: "127.0.0.1", port: ports[0]! }, () => (s.destroy(), resolve(true)))
        s.on("error", () => setTimeout(() => resolve(false), 50))
      })
    }

    /** Runs client `c<k>` to the end of its requests; its milliseconds. */
    const client = async (k: number): Promise<number> => {
      const began = performance.now()
      const node = await Node.launch({ system, cluster, self: `c${k}`, secret, dataDir: path.join(dir, `c${k}`) })
      launched.push(node)
      const outcome = await node.finished
      const ms = performance.now() - began
      assert.strictEqual(outcome.outcome, "done", JSON.stringify(outcome))
      assert.strictEqual((outcome.detail as ReadonlyArray<unknown>).length, requests)
      await node.stop()
      return ms
    }

    // The first client's run is a warm-up (code loaded and compiled in both processes), not measured.
    await client(1)
    const half = 1 + (clients - 1) / 2
    const baseline: Array<number> = []
    for (let k = 2; k <= half; k++) baseline.push(await client(k))
    const before = rssMiB(server.child.pid!)

    const script = path.join(dir, "attacker.mjs")
    fs.writeFileSync(script, attacker)
    const attack = spawn(process.execPath, [script, String(ports[0]), String(Frame.preAuthMaxFrame), String(Frame.defaultMaxFrame - 1), String(Admission.defaultMaxUnauthenticated)], { stdio: ["pipe", "pipe", "inherit"] })
    const cpuBefore = cpuMs(server.child.pid!)
    const stages: Array<Record<string, number | string>> = []
    let peak = before
    const sampler = setInterval(() => void (peak = Math.max(peak, rssMiB(server.child.pid!))), 20)
    const stage = (name: string) =>
      new Promise<Record<string, number | string>>((resolve, reject) => {
        const check = () => {
          const found = stages.find((s) => s.stage === name)
          if (found !== undefined) resolve(found)
        }
        attack.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
          for (const line of chunk.split("\n").filter((l) => l.length > 0)) stages.push(JSON.parse(line))
          check()
        })
        attack.once("exit", () => (check(), reject(new Error(`the attacker exited before "${name}": ${JSON.stringify(stages)}`))))
        check()
      })
    const done = stage("done")
    const held = await stage("held")
    const attacked: Array<number> = []
    for (let k = half + 1; k <= clients; k++) attacked.push(await client(k))
    const attackerCpu = cpuMs(attack.pid!)
    const nodeCpu = cpuMs(server.child.pid!) - cpuBefore
    attack.stdin!.end()
    const finished = await done
    clearInterval(sampler)
    peak = Math.max(peak, rssMiB(server.child.pid!))

    const dropped = server.events.filter((e) => e.event === "disconnected" && String(e.reason).startsWith("dropped before its handshake completed")).length
    const refused = server.events.filter((e) => e.event === "rejected" && String(e.reason).includes(`above the limit of ${Frame.preAuthMaxFrame}`)).length
    const summary = `baseline ${baseline.map((ms) => ms.toFixed(0)).join(", ")} ms; under attack ${attacked.map((ms) => ms.toFixed(0)).join(", ")} ms; ` +
      `CPU during the attack: node ${nodeCpu.toFixed(0)} ms, attacker ${attackerCpu.toFixed(0)} ms; RSS ${before.toFixed(0)} -> peak ${peak.toFixed(0)} MiB; held ${held.held}, near-limit open ${held.nearOpen}; dropped ${dropped}; refused ${refused}; ${JSON.stringify(finished)}`
    console.log(summary)
    assert.isAtMost(Number(held.held), Admission.defaultMaxUnauthenticated, summary)
    assert.strictEqual(Number(held.nearOpen), 0, summary)
    assert.isAtLeast(dropped, 200 - Admission.defaultMaxUnauthenticated, summary)
    // Every connection of the first 200 is dropped or refused, and all of the next 200 but those held.
    assert.isAtLeast(dropped + refused, 400 - Admission.defaultMaxUnauthenticated, summary)
    assert.isAtLeast(Number(finished.chunks), 10_000)
    assert.isBelow(peak - before, memoryBoundMiB, summary)
    assert.isAtMost(median(attacked), 2 * median(baseline), summary)
    assert.strictEqual(server.child.exitCode, null, server.stderr())
  }, 60_000)

  it("lifts the limit once the peer is authenticated: a message of 100 KB arrives", async () => {
    const note = "n".repeat(100_000)
    const ponger = Program.make(PingPong.protocol, "ponger", (node) =>
      Effect.gen(function* () {
        const ping = yield* node.receive({ tags: ["ping"] })
        yield* node.send("pong", ping.from, { n: ping.payload.n, note })
      })
    )
    const system = System.make({ protocol: PingPong.protocol, nodes: { pinger: ["p1"], ponger: ["q1"] }, programs: { p1: pinger, q1: ponger }, properties: [] })
    const ports = await freePorts(2)
    const cluster = Cluster.parse(`node p1 pinger 127.0.0.1:${ports[0]}\nnode q1 ponger 127.0.0.1:${ports[1]}\n`, "pingpong.cluster")
    // A refused frame fails the test at once (the sender would otherwise retry it forever).
    let refuse: (e: Error) => void = () => undefined
    const refused = new Promise<never>((_, reject) => (refuse = reject))
    const nodes = await Promise.all(["p1", "q1"].map((self) =>
      Node.launch({ system, cluster, self, secret, dataDir: path.join(dir, "big"), log: (e) => void (e.event === "rejected" && refuse(new Error(`${self} rejected: ${e.reason}`))) })
    ))
    launched.push(...nodes)
    const [p1, q1] = await Promise.race([Promise.all(nodes.map((n) => n.finished)), refused])
    assert.strictEqual(p1!.detail, note)
    assert.strictEqual(q1!.outcome, "done")
  }, 30_000)

  it("takes its cap from --max-unauthenticated and drops the oldest connection first", async () => {
    const ports = await freePorts(2)
    const clusterFile = path.join(dir, "cap.cluster")
    fs.writeFileSync(clusterFile, `protocol calculator\nparam clients=1\nparam servers=1\nnode c1 client 127.0.0.1:${ports[0]}\nnode s1 server 127.0.0.1:${ports[1]}\n`)
    assertUsageError(protoweave("node", "--id", "s1", "--cluster", clusterFile, "--data", path.join(dir, "cap0"), "--max-unauthenticated", "0"), "--max-unauthenticated must be at least 1, got 0")
    const server = startNode("s1", ["--cluster", clusterFile, "--data", path.join(dir, "cap"), "--linger", "-1", "--max-unauthenticated", "3"], secretText)
    await server.waitFor((e) => e.event === "started", "start")
    const isDrop = (e: { event: string; reason?: unknown }) => e.event === "disconnected" && String(e.reason).startsWith("dropped before its handshake completed: more than 3")
    const sockets: Array<net.Socket> = []
    const closed: Array<Promise<void>> = []
    for (let i = 0; i < 5; i++) {
      const socket = await new Promise<net.Socket>((resolve) => {
        const attempt = () => {
          const s = net.connect({ host: "127.0.0.1", port: ports[1]! }, () => resolve(s))
          s.once("error", () => setTimeout(attempt, 50))
        }
        attempt()
      })
      sockets.push(socket)
      closed.push(new Promise((r) => socket.once("close", () => r())))
      // One at a time, so that the node accepts them in this order: past the cap, each new one
      // is seen when the node drops one.
      if (i >= 3) await server.waitFor(() => server.events.filter(isDrop).length >= i - 2, `drop ${i - 2}`, 10_000)
      else await new Promise((r) => setTimeout(r, 200))
    }
    await Promise.all(closed.slice(0, 2))
    await new Promise((r) => setTimeout(r, 200))
    assert.strictEqual(server.events.filter(isDrop).length, 2, JSON.stringify(server.events.slice(-5)))
    assert.deepStrictEqual(sockets.map((s) => s.readyState === "open" && !s.destroyed), [false, false, true, true, true])
    for (const s of sockets) s.destroy()
  }, 30_000)
})
