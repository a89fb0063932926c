/**
 * Who may speak as which node. Under a shared secret, the client proves first: the server's first
 * answer carries nothing that depends on the secret, a wrong proof is refused with a reason and
 * no proof, and a refused hello leaves what the node holds from the peer as it was. Under mutual
 * TLS (`protoweave keys`), a member's certificate cannot speak as another member, a certificate
 * from another CA is refused on both ends, and a real cluster run over TLS completes. A node whose
 * handshakes keep failing says so on stderr and exits after `--max-handshake-failures`; secret
 * and key files every user can read are warned about.
 */
import { X509Certificate } from "node:crypto"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import * as tls from "node:tls"
import * as Effect from "effect/Effect"
import { afterAll, assert, describe, it } from "vitest"
import * as App from "../../cli/App.ts"
import * as TwoPhaseCommit from "../../protocols/TwoPhaseCommit/index.ts"
import * as Cluster from "../../runtime/Cluster.ts"
import * as Frame from "../../runtime/Frame.ts"
import * as Handshake from "../../runtime/Handshake.ts"
import * as Node from "../../runtime/Node.ts"
import * as Secret from "../../runtime/Secret.ts"
import * as Tls from "../../runtime/Tls.ts"
import * as Wire from "../../runtime/Wire.ts"
import { protoweave, scratch } from "../cli/Harness.ts"
import { freePorts, startNode, tpcCluster } from "./Processes.ts"

const dir = scratch("protoweave-identity-")
const secret = new TextEncoder().encode("identity-test-secret-0123456789")
const launched: Array<Node.Launched> = []
afterAll(async () => {
  for (const node of launched) await node.stop()
})

/** A framed connection on a socket: frames written, frames read in order, and its end. */
const framed = (socket: net.Socket) => {
  const reader = new Frame.Reader()
  const frames: Array<Uint8Array> = []
  const waiting: Array<(f: Uint8Array | undefined) => void> = []
  let ended = false
  socket.on("data", (chunk) => {
    for (const f of reader.push(chunk)) {
      const w = waiting.shift()
      if (w !== undefined) w(f)
      else frames.push(f)
    }
  })
  socket.on("error", () => undefined)
  const closed = new Promise<void>((r) =>
    socket.once("close", () => {
      ended = true
      for (const w of waiting.splice(0)) w(undefined)
      r()
    })
  )
  return {
    socket,
    closed,
    send: (body: unknown) => void socket.write(Frame.encode(body instanceof Uint8Array ? body : Wire.toBytes(body))),
    /** The next frame, or undefined once the connection has closed. */
    next: () => new Promise<Uint8Array | undefined>((r) => (frames.length > 0 ? r(frames.shift()) : ended ? r(undefined) : waiting.push(r))),
    nextJson: async () => {
      const frame = await new Promise<Uint8Array | undefined>((r) => (frames.length > 0 ? r(frames.shift()) : ended ? r(undefined) : waiting.push(r)))
      return frame === undefined ? undefined : (JSON.parse(new TextDecoder().decode(frame)) as Record<string, unknown>)
    }
  }
}

const connectPlain = (port: number) =>
  new Promise<ReturnType<typeof framed>>((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port })
    socket.once("connect", () => resolve(framed(socket)))
    socket.once("error", reject)
  })

const waitUntil = async (condition: () => boolean, what: string, timeoutMs = 30_000) => {
  const until = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** A two-phase-commit cluster of c, p1, p2 on free ports, with keys made by `protoweave keys` in `folder`. */
const tlsCluster = async (folder: string, rounds = 1) => {
  fs.mkdirSync(path.join(dir, folder), { recursive: true })
  const ports = await freePorts(3)
  const file = tpcCluster(path.join(dir, folder), "tpc.cluster", rounds, ports.map((p) => `127.0.0.1:${p}`))
  // In this process (a CLI process per cluster would cost seconds); the renewal below runs the bin.
  assert.strictEqual(await Effect.runPromise(App.run(["keys", file])), 0)
  const cluster = Cluster.parse(fs.readFileSync(file, "utf8"), file)
  assert.deepStrictEqual([...(cluster.tls?.nodes.keys() ?? [])], ["c", "p1", "p2"])
  return { file, ports, cluster }
}
// Each `protoweave keys` costs a few seconds: the clusters are made once and shared by the tests.
let mainCluster: ReturnType<typeof tlsCluster> | undefined
let otherCluster: ReturnType<typeof tlsCluster> | undefined
const main = () => (mainCluster ??= tlsCluster("main"))
const otherCa = () => (otherCluster ??= tlsCluster("other-ca"))

describe("the shared-secret handshake", () => {
  it("has the client prove first: the server's answer carries no proof, a wrong proof gets a refusal without one", async () => {
    const system = TwoPhaseCommit.system({ participants: 1, rounds: 1 })
    const ports = await freePorts(2)
    const cluster = Cluster.parse(`protocol two-phase-commit\nparam participants=1\nparam rounds=1\nnode c coordinator 127.0.0.1:${ports[0]}\nnode p1 participant 127.0.0.1:${ports[1]}\n`, "secret.cluster")
    const reasons: Array<string> = []
    const p1 = await Node.launch({ system, cluster, self: "p1", secret, dataDir: path.join(dir, "secret-data"), log: (e) => void (e.event === "rejected" && reasons.push(String(e.reason))) })
    launched.push(p1)

    // A wrong proof: the challenge is a nonce only, the answer a refusal only, then the end.
    const wrong = await connectPlain(ports[1]!)
    const nonce = Handshake.nonce()
    wrong.send({ k: "hello", v: 2, from: "c", to: "p1", nonce, instance: "i1" })
    const challenge = await wrong.nextJson()
    assert.deepStrictEqual(Object.keys(challenge!).sort(), ["k", "nonce"])
    assert.strictEqual(challenge!.k, "challenge")
    const guessed = new TextEncoder().encode("a-guess-of-the-secret-0123")
    const parties = { client: "c", server: "p1", clientNonce: nonce, serverNonce: String(challenge!.nonce), instance: "i1" }
    wrong.send({ k: "auth", proof: Handshake.proof(guessed, "client", parties) })
    assert.deepStrictEqual(await wrong.nextJson(), { k: "refused", reason: "c did not prove that it holds the cluster's secret (do the nodes have the same secret?)" })
    assert.isUndefined(await wrong.next())
    await waitUntil(() => reasons.length === 1, "the rejection")
    assert.include(reasons[0], "c did not prove that it holds the cluster's secret")

    // A proof over another instance than the hello's (a hello altered on the path) is refused too.
    const altered = await connectPlain(ports[1]!)
    altered.send({ k: "hello", v: 2, from: "c", to: "p1", nonce, instance: "i2" })
    const second = await altered.nextJson()
    altered.send({ k: "auth", proof: Handshake.proof(secret, "client", { ...parties, serverNonce: String(second!.nonce), instance: "i1" }) })
    assert.strictEqual((await altered.nextJson())!.k, "refused")

    // The right proof: the server's proof follows, and verifies, then the sealed ready.
    const right = await connectPlain(ports[1]!)
    right.send({ k: "hello", v: 2, from: "c", to: "p1", nonce, instance: "i1" })
    const third = await right.nextJson()
    assert.deepStrictEqual(Object.keys(third!).sort(), ["k", "nonce"])
    const session = { ...parties, serverNonce: String(third!.nonce) }
    right.send({ k: "auth", proof: Handshake.proof(secret, "client", session) })
    const confirm = await right.nextJson()
    assert.strictEqual(confirm!.k, "confirm")
    assert.isTrue(Handshake.verify(secret, "server", session, confirm!.proof))
    const opener = new Handshake.Opener(Handshake.keys(secret, session).serverToClient)
    assert.deepStrictEqual(JSON.parse(new TextDecoder().decode(opener.open((await right.next())!)!)), { k: "ready", upTo: 0 })
    right.socket.destroy()
  })

  it("leaves what a node holds from a peer as it was when a hello with a new instance fails to authenticate", async () => {
    const system = TwoPhaseCommit.system({ participants: 1, rounds: 1 })
    const ports = await freePorts(2)
    const cluster = Cluster.parse(`protocol two-phase-commit\nparam participants=1\nparam rounds=1\nnode c coordinator 127.0.0.1:${ports[0]}\nnode p1 participant 127.0.0.1:${ports[1]}\n`, "forged.cluster")
    const p1 = await Node.launch({ system, cluster, self: "p1", secret, dataDir: path.join(dir, "forged-data") })
    launched.push(p1)
    const handshake = async (instance: string, key: Uint8Array) => {
      const conn = await connectPlain(ports[1]!)
      const nonce = Handshake.nonce()
      conn.send({ k: "hello", v: 2, from: "c", to: "p1", nonce, instance })
      const challenge = await conn.nextJson()
      const session = { client: "c", server: "p1", clientNonce: nonce, serverNonce: String(challenge!.nonce), instance }
      conn.send({ k: "auth", proof: Handshake.proof(key, "client", session) })
      const answer = await conn.nextJson()
      if (answer!.k !== "confirm") return { conn, answer, upTo: undefined }
      const keys = Handshake.keys(key, session)
      const opener = new Handshake.Opener(keys.serverToClient)
      const ready = JSON.parse(new TextDecoder().decode(opener.open((await conn.next())!)!)) as Wire.Ready
      return { conn, answer, upTo: ready.upTo, sealer: new Handshake.Sealer(keys.clientToServer), opener }
    }
    // The coordinator's instance "real" delivers its first message, and p1 acknowledges it.
    const real = await handshake("real", secret)
    assert.strictEqual(real.upTo, 0)
    real.conn.send(real.sealer!.seal(Wire.toBytes([{ k: "msg", seq: 1, tag: "prepare", payload: { era: 0, data: 7 } }])))
    const ack = JSON.parse(new TextDecoder().decode(real.opener!.open((await real.conn.next())!)!))
    assert.deepStrictEqual(ack, { k: "ack", upTo: 1 })
    real.conn.socket.destroy()
    // A forged hello as c with a new instance, without the secret: refused, and nothing changes.
    const forged = await handshake("forged", new TextEncoder().encode("not-the-secret-0123456789"))
    assert.strictEqual(forged.answer!.k, "refused")
    const again = await handshake("real", secret)
    assert.strictEqual(again.upTo, 1)
    again.conn.socket.destroy()
    assert.strictEqual(p1.node.stats.received, 1)
  })

  it("reports a wrong secret on stderr and exits after --max-handshake-failures; warns about a secret file others can read", async () => {
    const ports = await freePorts(2)
    const folder = path.join(dir, "wrong-secret")
    fs.mkdirSync(folder, { recursive: true })
    const file = tpcCluster(folder, "tpc.cluster", 1, ports.map((p) => `127.0.0.1:${p}`))
    const secretFile = path.join(folder, "secret")
    fs.writeFileSync(secretFile, "the-coordinator-secret-0123456789\n", { mode: 0o644 })
    fs.chmodSync(secretFile, 0o644)
    const p1 = startNode("p1", ["--cluster", file, "--data", path.join(folder, "data"), "--linger", "-1"], "the-participant-secret-0123456789")
    await p1.waitFor((e) => e.event === "started", "start")
    const c = startNode("c", ["--cluster", file, "--data", path.join(folder, "data"), "--secret-file", secretFile, "--max-handshake-failures", "3"], "unused-unused-unused-unused")
    const exit = await c.exited
    assert.strictEqual(exit.code, 2, c.stderr())
    const stderr = c.stderr()
    assert.include(stderr, `warning: the secret file ${secretFile} is readable by every user of this host (mode 0644)`)
    assert.include(stderr, "handshake with p1 failed (1 in a row): p1 refused the handshake: c did not prove that it holds the cluster's secret (do the nodes have the same secret?)")
    assert.include(stderr, "handshake with p1 failed (2 in a row)")
    assert.include(stderr, "protoweave: error: 3 handshakes in a row with p1 failed; the last: p1 refused the handshake")
    assert.strictEqual(c.events.filter((e) => e.event === "handshake-failed").length, 3)
  })
})

describe("per-node identities (mutual TLS)", () => {
  it("refuses a member's certificate speaking as another member, a node holding another's certificate, and a certificate of another CA", async () => {
    const { ports, cluster } = await main()
    const other = await otherCa()
    const system = TwoPhaseCommit.system({ participants: 2, rounds: 1 })
    const events: Array<Node.LogEntry> = []
    const c = await Node.launch({ system, cluster, self: "c", tls: Tls.load(cluster, "c"), dataDir: path.join(dir, "tls-data"), backoff: { initialMs: 20, maxMs: 100 }, log: (e) => void events.push(e) })
    launched.push(c)
    const p1 = Tls.load(cluster, "p1")
    const secure = (credentials: Tls.Credentials) =>
      new Promise<ReturnType<typeof framed>>((resolve, reject) => {
        const socket = Tls.connect(credentials, "c", "127.0.0.1", ports[0]!)
        socket.once("secureConnect", () => resolve(framed(socket)))
        socket.once("error", reject)
      })

    // p1's certificate, claiming to be p2: refused, and said why.
    const impostor = await secure(p1)
    impostor.send({ k: "hello", v: 2, from: "p2", to: "c", nonce: "00", instance: "forged" })
    assert.deepStrictEqual(await impostor.nextJson(), { k: "refused", reason: "the certificate of p1 cannot speak as p2" })
    await waitUntil(() => events.some((e) => e.event === "rejected" && e.reason === "the certificate of p1 cannot speak as p2"), "the rejection")
    // As itself, p1 is accepted.
    const honest = await secure(p1)
    honest.send({ k: "hello", v: 2, from: "p1", to: "c", nonce: "00", instance: "mine" })
    assert.deepStrictEqual(await honest.nextJson(), { k: "ready", upTo: 0 })
    honest.socket.destroy()
    // A node cannot be started as p2 with p1's certificate.
    const wrongSelf = await Node.launch({ system, cluster, self: "p2", tls: p1, dataDir: path.join(dir, "tls-data-p2") }).then(() => "started", (e: Error) => e.message)
    assert.strictEqual(wrongSelf, "the TLS certificate given to p2 is for p1")

    // A certificate of another CA: c's TLS server refuses it, and says so.
    // (It trusts the cluster's CA, so that its side of the handshake completes.)
    const foreign = await secure({ ...Tls.load(other.cluster, "p1"), ca: p1.ca })
    foreign.send({ k: "hello", v: 2, from: "p1", to: "c", nonce: "00", instance: "x" })
    assert.deepStrictEqual(await foreign.nextJson(), {
      k: "refused",
      reason: "c does not accept the certificate: the peer's certificate is not signed by the cluster's CA (UNABLE_TO_VERIFY_LEAF_SIGNATURE: the certificate is not accepted)"
    })
    assert.isTrue(events.some((e) => e.event === "rejected" && /^TLS handshake from 127\.0\.0\.1:\d+ failed: the peer's certificate is not signed/.test(String(e.reason))))

    // Listening at p1's address: a node with p2's certificate (same CA), then one with p1's from
    // another CA. c, which has a prepare for p1, refuses both.
    const impostorServer = (credentials: Tls.Credentials) => {
      const server = tls.createServer({ ca: credentials.ca, cert: credentials.cert, key: credentials.key, requestCert: true, minVersion: "TLSv1.3" }, (s) => s.on("error", () => undefined))
      server.on("tlsClientError", () => undefined)
      return new Promise<tls.Server>((resolve) => server.listen(ports[1]!, "127.0.0.1", () => resolve(server)))
    }
    const failedWith = (fragment: string) => events.some((e) => e.event === "handshake-failed" && e.peer === "p1" && String(e.reason).includes(fragment))
    const asP2 = await impostorServer(Tls.load(cluster, "p2"))
    await waitUntil(() => failedWith(`holds the certificate of "p2", not of p1`), "c to refuse p2's certificate at p1's address")
    await new Promise((r) => asP2.close(r))
    const fromOtherCa = await impostorServer(Tls.load(other.cluster, "p1"))
    await waitUntil(() => failedWith("the peer's certificate is not signed by the cluster's CA"), "c to refuse a certificate of another CA")
    await new Promise((r) => fromOtherCa.close(r))
    assert.strictEqual(c.node.stats.received, 0)
  })

  it("runs a cluster whose keys protoweave keys made; a node holding another CA's certificate makes the run fail with the reason", async () => {
    const { file } = await tlsCluster("run", 1)
    const result = protoweave("run", "two-phase-commit", "--cluster", file, "--data", path.join(dir, "run", "data"), "--timeout", "100")
    assert.strictEqual(result.code, 0, `stdout: ${result.stdout}\nstderr: ${result.stderr}`)
    assert.match(result.stderr, /started 3\/3 {2}sent 8 {2}delivered 8 {2}rejected 0 {2}finished 3\/3/)
    assert.match(result.stdout, /replayed in the simulator: identical, 4 invariants hold at every step; status completed/)

    // p1's files replaced by those of another cluster's CA (same id): every handshake with it fails.
    await otherCa()
    for (const ext of ["crt", "key"]) fs.copyFileSync(path.join(dir, "other-ca", "keys", `p1.${ext}`), path.join(dir, "run", "keys", `p1.${ext}`))
    const failed = protoweave("run", "two-phase-commit", "--cluster", file, "--data", path.join(dir, "run", "data-2"), "--timeout", "100", "--max-handshake-failures", "2")
    assert.strictEqual(failed.code, 2, `stdout: ${failed.stdout}\nstderr: ${failed.stderr}`)
    assert.match(failed.stderr, /^c: handshake with p1 failed \(1 in a row\): the peer's certificate is not signed by the cluster's CA/m)
    assert.match(failed.stderr, /protoweave: error: node c exited \(code 2\) before finishing: 2 handshakes in a row with p1 failed; the last: the peer's certificate is not signed by the cluster's CA/)
  })

  it("warns about a key file every user can read", async () => {
    const { cluster } = await main()
    const warnings: Array<string> = []
    Tls.load(cluster, "p2", (w) => void warnings.push(w))
    assert.deepStrictEqual(warnings, [])
    const key = Tls.filesOf(cluster, "p2").key
    fs.chmodSync(key, 0o644)
    Tls.load(cluster, "p2", (w) => void warnings.push(w))
    assert.deepStrictEqual(warnings, [`warning: the key of p2 ${key} is readable by every user of this host (mode 0644); restrict it with: chmod 600 ${key}`])
    const secretFile = path.join(dir, "main", "secret")
    fs.writeFileSync(secretFile, "a-secret-of-the-cluster-0123\n", { mode: 0o600 })
    Secret.load(secretFile, {}, (w) => void warnings.push(w))
    assert.strictEqual(warnings.length, 1)
  })

  it("renews a node's key and certificate under the same CA (key rotation)", async () => {
    const { file, cluster } = await main()
    const before = Tls.load(cluster, "p1")
    const renewed = protoweave("keys", file, "--renew", "p1")
    assert.strictEqual(renewed.code, 0, renewed.stderr)
    assert.include(renewed.stdout, `wrote ${path.resolve(Tls.filesOf(cluster, "p1").cert)}`)
    const after = Tls.load(cluster, "p1")
    assert.notStrictEqual(after.key.toString(), before.key.toString())
    assert.strictEqual(fs.statSync(Tls.filesOf(cluster, "p1").key).mode & 0o777, 0o600)
    const ca = new X509Certificate(after.ca)
    assert.isTrue(new X509Certificate(after.cert).verify(ca.publicKey))
    assert.isFalse(new X509Certificate(Tls.load((await otherCa()).cluster, "p1").cert).verify(ca.publicKey))
    assert.strictEqual(protoweave("keys", file).code, 2)
  })
})
