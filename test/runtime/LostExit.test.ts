/**
 * A power cut exactly between a program's last step and its end. A Two-Phase Commit participant
 * that yields to the event loop after every send (`releaseEvery: 1`) sends its last
 * acknowledgement, yields — the send is synced and leaves meanwhile — and then returns; the power
 * goes at the write of its `exit` record, which that later turn appends. Started again, the
 * participant runs its program from the journaled local state and ends again. The merged trace
 * must put the lost end back right after the last step (where the program ended before the cut,
 * as in the simulator), list it, and replay identically in the simulator with the invariants
 * holding.
 */
import * as path from "node:path"
import { afterEach, assert, describe, it } from "vitest"
import * as TwoPhaseCommit from "../../protocols/TwoPhaseCommit/index.ts"
import * as Cluster from "../../runtime/Cluster.ts"
import { fileOf, read, type Write } from "../../runtime/Journal.ts"
import * as Merge from "../../runtime/Merge.ts"
import * as Node from "../../runtime/Node.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import { scratch } from "../cli/Harness.ts"
import { Disk } from "./Disk.ts"
import { freePorts } from "./Processes.ts"

const dir = scratch("protoweave-lostexit-")
const secret = new TextEncoder().encode("lost-exit-test-secret-0123456789")
const launched: Array<Node.Launched> = []
afterEach(async () => {
  for (const node of launched.splice(0)) await node.stop()
})

describe("a power cut between a program's last step and its exit", () => {
  it("is merged with the program's end put back after its last step and listed, and the trace replays", async () => {
    const data = path.join(dir, "tpc")
    const parameters = { participants: 2, rounds: 1 }
    const system = TwoPhaseCommit.system(parameters)
    const ids = system.topology.all
    const ports = await freePorts(ids.length)
    const cluster = Cluster.parse(ids.map((id, i) => `node ${id} ${system.topology.roleOf.get(id)} 127.0.0.1:${ports[i]}`).join("\n"), "tpc.cluster")
    const options = { system, cluster, secret, dataDir: data, backoff: { initialMs: 5, maxMs: 20 } }
    const others = ids.filter((id) => id !== "p1")
    for (const id of others) launched.push(await Node.launch({ ...options, self: id }))

    // The power goes just before the write that holds p1's exit record.
    const disk = new Disk(fileOf(data, "p1"))
    const write: Write = (fd, buffer, offset, length, position) => {
      if (Buffer.from(buffer.subarray(offset, offset + length)).includes('"r":"exit"')) disk.cut()
      return disk.write(fd, buffer, offset, length, position)
    }
    const first = await Node.launch({ ...options, self: "p1", flush: disk.flush, write, releaseEvery: 1 })
    const failure = await first.finished.then(
      () => undefined,
      (e: Error) => e
    )
    assert.match(String(failure?.message), /EIO/)
    await first.stop()
    disk.restore()
    // What the cut left: the last step, flushed, and no exit.
    const records = read(fileOf(data, "p1"))
    assert.deepInclude(records.filter((r) => r.r !== "acked").at(-1), { r: "send", tag: "ackCommit" })
    assert.isFalse(records.some((r) => r.r === "exit"))

    const second = await Node.launch({ ...options, self: "p1" })
    launched.push(second)
    const decided = [{ commit: true, data: 100 }]
    assert.deepStrictEqual(await second.finished, { outcome: "done", detail: decided })
    for (const node of launched) assert.deepStrictEqual(await node.finished, { outcome: "done", detail: decided })
    for (const node of launched.splice(0)) await node.stop()

    const journals = new Map(ids.map((id) => [id, read(fileOf(data, id))]))
    const trace = Merge.merge(system, { name: "two-phase-commit", parameters }, journals)
    const events = trace.events
    const crash = events.findIndex((e) => e.type === "crash")
    const exits = events.flatMap((e, i) => (e.type === "exit" && e.node === "p1" ? [i] : []))
    // The program ended after its last step, before the crash, and again after the restart.
    assert.strictEqual(exits.length, 2)
    assert.isBelow(exits[0]!, crash)
    assert.isAbove(exits[1]!, crash)
    const last = events[exits[0]! - 1]!
    assert.deepInclude(last, { type: "send", node: "p1", tag: "ackCommit" })
    assert.deepInclude(events[exits[0]!], { step: last.step, outcome: "done" })
    assert.deepStrictEqual(trace.lostExits, [{ node: "p1", step: last.step, crash: events[crash]!.step }])
    assert.strictEqual(trace.end.status, "completed")
    const replayed = Simulator.replay(system, trace)
    assert.isTrue(replayed.identical, replayed.difference)
    assert.isNull(replayed.trace.end.violation)

    // An end missing with no crash after it (here the restarted p1's exit, taken out of its
    // journal) is not put back: the replay says where the trace and the programs differ.
    const records1 = journals.get("p1")!
    const cut = records1.map((r) => r.r).lastIndexOf("exit")
    const truncated = new Map(journals).set("p1", [...records1.slice(0, cut), ...records1.slice(cut + 1)])
    const without = Merge.merge(system, { name: "two-phase-commit", parameters }, truncated)
    assert.deepStrictEqual(without.lostExits, trace.lostExits)
    const differs = Simulator.replay(system, without)
    assert.isFalse(differs.identical)
    assert.match(differs.difference ?? "", /"type":"exit"[^\n]*"node":"p1"/)
  })
})
