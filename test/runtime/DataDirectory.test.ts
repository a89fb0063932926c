/**
 * One node per data directory: `protoweave node` locks `<id>.lock` in `--data` before it opens its
 * journal; a second node with the same id and directory exits 2 naming the holder's pid and
 * changes nothing (the journal's bytes and modification time stay as they were); a lock whose
 * process is gone is taken over, saying so; a node stopped by a signal releases its lock.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "vitest"
import * as DataDirectory from "../../runtime/DataDirectory.ts"
import * as Journal from "../../runtime/Journal.ts"
import { bin, root, scratch } from "../cli/Harness.ts"
import { freePorts, startNode, tpcCluster } from "./Processes.ts"

const dir = scratch("protoweave-datadir-")
const secret = "data-directory-test-secret-0123456789"

/** A cluster of c and p1; p1 alone just waits for a prepare, writing nothing after its start. */
const setUp = async (name: string) => {
  const ports = await freePorts(2)
  const cluster = tpcCluster(dir, `${name}.cluster`, 1, ports.map((p) => `127.0.0.1:${p}`))
  const data = path.join(dir, name)
  return { data, args: ["--cluster", cluster, "--data", data, "--linger", "-1"] }
}

/** The pid of a process that has exited. */
const deadPid = (): number => {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" })
  return Number(child.stdout)
}

describe("the data directory's lock", () => {
  it("makes a second node with the same id exit 2 naming the holder, with the journal unchanged", async () => {
    const { data, args } = await setUp("held")
    const first = startNode("p1", args, secret)
    await first.waitFor((e) => e.event === "started", "its start")
    const journal = Journal.fileOf(data, "p1")
    // Let a moment pass, so that any write to the journal would move its modification time.
    await new Promise((resolve) => setTimeout(resolve, 50))
    const before = { bytes: fs.readFileSync(journal), mtime: fs.statSync(journal).mtimeMs }
    const second = startNode("p1", args, secret)
    const exit = await second.exited
    assert.strictEqual(exit.code, 2, second.stderr())
    assert.include(second.stderr(), `protoweave: error: ${data} is in use by p1's process ${first.child.pid} (lock ${DataDirectory.lockOf(data, "p1")}`)
    assert.deepStrictEqual(second.events, [])
    assert.deepStrictEqual(fs.readFileSync(journal), before.bytes)
    assert.strictEqual(fs.statSync(journal).mtimeMs, before.mtime)
    // The first node is unharmed and still holds the lock.
    assert.isNull(first.child.exitCode)
    assert.strictEqual(JSON.parse(fs.readFileSync(DataDirectory.lockOf(data, "p1"), "utf8")).pid, first.child.pid)
  })

  it("of a process that is gone is taken over, saying so, and a node stopped by SIGTERM releases it", async () => {
    const { data, args } = await setUp("stale")
    fs.mkdirSync(data, { recursive: true })
    const dead = deadPid()
    const lock = DataDirectory.lockOf(data, "p1")
    fs.writeFileSync(lock, JSON.stringify({ pid: dead, host: os.hostname(), started: null, since: "2020-01-01T00:00:00.000Z", token: "gone" }))
    const node = startNode("p1", args, secret)
    await node.waitFor((e) => e.event === "started", "its start")
    assert.include(node.stderr(), `took over the stale lock ${lock} of process ${dead} (taken 2020-01-01T00:00:00.000Z): process ${dead} no longer runs`)
    assert.strictEqual(JSON.parse(fs.readFileSync(lock, "utf8")).pid, node.child.pid)
    node.child.kill("SIGTERM")
    const exit = await node.exited
    assert.strictEqual(exit.signal, "SIGTERM")
    assert.isFalse(fs.existsSync(lock), "the lock outlived its node")
  })
})

describe("protoweave run --reset", () => {
  it("starts every node afresh over journals it would refuse, each saying what it sets aside", async () => {
    const ports = await freePorts(2)
    const cluster = tpcCluster(dir, "reset.cluster", 1, ports.map((p) => `127.0.0.1:${p}`))
    const data = path.join(dir, "reset")
    fs.mkdirSync(data)
    for (const id of ["c", "p1"]) fs.writeFileSync(Journal.fileOf(data, id), "not a journal\n")
    const result = spawnSync(process.execPath, [bin, "run", "two-phase-commit", "--cluster", cluster, "--data", data, "--reset"], {
      cwd: root,
      encoding: "utf8",
      timeout: 120_000
    })
    assert.strictEqual(result.status, 0, result.stderr)
    for (const id of ["c", "p1"]) {
      const file = Journal.fileOf(data, id)
      assert.match(result.stderr, new RegExp(`^${id}: reset discards its journal ${file} \\(14 bytes, damaged: ${file}, byte 0: .*\\), set aside as ${file}\\.reset-`, "m"))
      const aside = fs.readdirSync(data).filter((f) => f.startsWith(`${id}.journal.reset-`))
      assert.deepStrictEqual(aside.map((f) => fs.readFileSync(path.join(data, f), "utf8")), ["not a journal\n"])
    }
    assert.include(result.stdout, "replayed in the simulator: identical")
  })
})

describe("claims in one process", () => {
  it("refuse a second claim, take over a lock whose pid now belongs to another process, and release only their own lock", () => {
    const data = path.join(dir, "in-process")
    const quiet = { notify: () => undefined }
    const claim = DataDirectory.claimDirectory(data, "c", quiet)
    assert.throws(() => DataDirectory.claimDirectory(data, "c", quiet), new RegExp(`in use by c's process ${process.pid}`))
    // Another node's lock in the same directory is another lock.
    DataDirectory.claimDirectory(data, "p1", quiet).release()
    claim.release()
    assert.isFalse(fs.existsSync(DataDirectory.lockOf(data, "c")))
    // This process's pid, recorded with another start time: a process that had the pid before.
    const lock = DataDirectory.lockOf(data, "c")
    fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, host: os.hostname(), started: "1", since: "then", token: "old" }))
    const said: Array<string> = []
    const again = DataDirectory.claimDirectory(data, "c", { notify: (line) => said.push(line) })
    assert.deepStrictEqual(said, [`took over the stale lock ${lock} of process ${process.pid} (taken then): pid ${process.pid} now belongs to another process`])
    // A lock that was replaced meanwhile is not removed by the claim that lost it.
    fs.writeFileSync(lock, JSON.stringify({ pid: process.pid, host: os.hostname(), started: null, since: "now", token: "someone else" }))
    again.release()
    assert.isTrue(fs.existsSync(lock))
    // An empty lock (a machine crash) names no process: stale.
    fs.writeFileSync(lock, "")
    said.length = 0
    DataDirectory.claimDirectory(data, "c", { notify: (line) => said.push(line) }).release()
    assert.deepStrictEqual(said, [`took over the stale lock ${lock}: the lock is empty, as a machine crash leaves it`])
    // A lock on another host cannot be checked: it is held.
    fs.writeFileSync(lock, JSON.stringify({ pid: 1, host: "elsewhere.example", started: null, since: "now", token: "x" }))
    assert.throws(() => DataDirectory.claimDirectory(data, "c", quiet), /in use by c's process 1 on host elsewhere.example/)
  })
})
