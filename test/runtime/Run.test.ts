/**
 * `protoweave run`: a five-node Two-Phase Commit cluster, one process per node over loopback,
 * completes its rounds, and its merged trace replays in the simulator with every invariant
 * holding; a world (LockResource: two protocols and a hook) runs the same way, its server a daemon;
 * bad cluster files are reported with their line.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "vitest"
import * as TwoPhaseCommit from "../../protocols/TwoPhaseCommit/index.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import * as Trace from "../../simulator/Trace.ts"
import { assertUsageError, protoweave, scratch } from "../cli/Harness.ts"
import { freePorts, tpcCluster } from "./Processes.ts"

const dir = scratch("protoweave-run-")

describe("protoweave run", () => {
  it("runs a 5-node Two-Phase Commit cluster over loopback; its merged trace replays with the invariants holding", async () => {
    const ports = await freePorts(5)
    const cluster = tpcCluster(dir, "tpc5.cluster", 3, ports.map((p) => `127.0.0.1:${p}`))
    const traceFile = path.join(dir, "tpc5.ndjson")
    const data = path.join(dir, "data")
    const result = protoweave("run", "two-phase-commit", "--cluster", cluster, "--data", data, "--trace", traceFile, "--timeout", "150")
    assert.strictEqual(result.code, 0, `stdout: ${result.stdout}\nstderr: ${result.stderr}`)
    assert.match(result.stderr, /^progress: [\d.]+s {2}started 5\/5 {2}sent 48 {2}delivered 48 {2}rejected 0 {2}finished 5\/5/m)
    const decided = "[{commit:true,data:100},{commit:false,data:101},{commit:true,data:102}]"
    for (const id of ["c", "p1", "p2", "p3", "p4"]) assert.include(result.stdout, `${id} finished: done ${decided}`)
    assert.match(result.stdout, /replayed in the simulator: identical, 4 invariants hold at every step; status completed/)

    const trace = Trace.fromNdjson(fs.readFileSync(traceFile, "utf8"), traceFile)
    assert.strictEqual(trace.end.status, "completed")
    assert.strictEqual(trace.events.filter((e) => e.type === "send").length, 48)
    assert.strictEqual(trace.events.filter((e) => e.type === "deliver").length, 48)
    const replayed = Simulator.replay(TwoPhaseCommit.system({ participants: 4, rounds: 3 }), trace)
    assert.isTrue(replayed.identical, replayed.difference)
    assert.isNull(replayed.trace.end.violation)
    const replay = protoweave("replay", traceFile)
    assert.strictEqual(replay.code, 0, replay.stderr)
    assert.include(replay.stdout, "replayed 96 steps: identical to the recording")
  })

  it("runs a world: LockResource's clients take the lock, write and release over TCP; the trace replays", async () => {
    const ports = await freePorts(3)
    const cluster = path.join(dir, "lock.cluster")
    fs.writeFileSync(
      cluster,
      ["protocol lock-resource", "param clients=2", ...["s", "c1", "c2"].map((id, i) => `node ${id} node 127.0.0.1:${ports[i]}`)].join("\n") + "\n"
    )
    const traceFile = path.join(dir, "lock.ndjson")
    const result = protoweave("run", "lock-resource", "--cluster", cluster, "--data", path.join(dir, "lock-data"), "--trace", traceFile, "--timeout", "150")
    assert.strictEqual(result.code, 0, `stdout: ${result.stdout}\nstderr: ${result.stderr}`)
    assert.match(result.stderr, /^progress: [\d.]+s {2}started 3\/3 {2}sent 8 {2}delivered 8 {2}rejected 0 {2}finished 2\/3 \(c\d, c\d\)$/m)
    assert.match(result.stdout, /replayed in the simulator: identical, 2 invariants hold at every step; status completed/)
    const trace = Trace.fromNdjson(fs.readFileSync(traceFile, "utf8"), traceFile)
    assert.deepStrictEqual([...new Set(trace.events.flatMap((e) => ("tag" in e ? [e.tag] : [])))].sort(), [
      "lock.acquire",
      "lock.grant",
      "lock.release",
      "resource.write"
    ])
  })

  it("reports a bad cluster file with its line and field, exit 2", () => {
    const file = path.join(dir, "bad.cluster")
    fs.writeFileSync(file, "protocol two-phase-commit\nparam participants=1\nnode c coordinator 127.0.0.1:7000\nnode p1 participant 127.0.0.1\n")
    assertUsageError(protoweave("run", "two-phase-commit", "--cluster", file), `${file}:4: node "p1": address "127.0.0.1" is not HOST:PORT`)
    fs.writeFileSync(file, "param participants=2\nnode c coordinator 127.0.0.1:7000\nnode p1 coordinator 127.0.0.1:7001\nnode p2 participant 127.0.0.1:7002\n")
    assertUsageError(protoweave("run", "two-phase-commit", "--cluster", file), `${file}:3: node "p1" has role "coordinator", but the protocol has it as "participant"`)
    fs.writeFileSync(file, "protocol calculator\nnode c1 client 127.0.0.1:7000\n")
    assertUsageError(protoweave("run", "two-phase-commit", "--cluster", file), `${file} is a cluster of calculator, not two-phase-commit`)
  })

  it("refuses a node without a secret, and an unknown node id", () => {
    const file = path.join(dir, "one.cluster")
    fs.writeFileSync(file, "protocol two-phase-commit\nparam participants=1\nnode c coordinator 127.0.0.1:7000\nnode p1 participant 127.0.0.1:7001\n")
    assertUsageError(protoweave("node", "--id", "c", "--cluster", file), "no secret: give --secret-file FILE or set PROTOWEAVE_SECRET")
    assertUsageError(protoweave("node", "--id", "p9", "--cluster", file), `--id p9: ${file} has no node "p9" (its nodes: c, p1)`)
  })
})
