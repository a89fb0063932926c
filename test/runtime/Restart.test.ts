/**
 * Durability: a node of a five-node Two-Phase Commit cluster is killed with SIGKILL in the middle
 * of a round and started again on its journal. The cluster must still decide every round, every
 * node must log the same decisions (none lost, none contradictory), and the merged trace — with
 * the crash and restart in it — must replay in the simulator with every invariant holding.
 */
import * as path from "node:path"
import { assert, describe, it } from "vitest"
import * as TwoPhaseCommit from "../../protocols/TwoPhaseCommit/index.ts"
import * as Journal from "../../runtime/Journal.ts"
import * as Merge from "../../runtime/Merge.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import { scratch } from "../cli/Harness.ts"
import { freePorts, type NodeEvent, type NodeProcess, startNode, tpcCluster } from "./Processes.ts"

const dir = scratch("protoweave-restart-")
const secret = "restart-test-secret-0123456789"
const rounds = 4
const parameters = { participants: 4, rounds }
/** p1 votes no in odd eras, so the rounds alternate commit and abort. */
const expected = Array.from({ length: rounds }, (_, era) => ({ commit: era % 2 === 0, data: 100 + era }))

const killAndRestart = async (name: string, victim: string, when: (e: NodeEvent) => boolean, what: string) => {
  const ports = await freePorts(5)
  const cluster = tpcCluster(dir, `${name}.cluster`, rounds, ports.map((p) => `127.0.0.1:${p}`))
  const data = path.join(dir, name)
  const args = ["--cluster", cluster, "--data", data, "--linger", "-1"]
  const ids = ["c", "p1", "p2", "p3", "p4"]
  const nodes = new Map<string, NodeProcess>(ids.map((id) => [id, startNode(id, args, secret)]))
  const first = nodes.get(victim)!
  await first.waitFor(when, what)
  first.child.kill("SIGKILL")
  const killed = await first.exited
  assert.strictEqual(killed.signal, "SIGKILL")
  const finishedBefore = first.events.some((e) => e.event === "finished")
  assert.isFalse(finishedBefore, `${victim} had already finished when it was killed`)
  const second = startNode(victim, args, secret)
  nodes.set(victim, second)
  const started = await second.waitFor((e) => e.event === "started", "a start")
  assert.strictEqual(started.incarnation, 2)
  const finished = await Promise.all(ids.map((id) => nodes.get(id)!.waitFor((e) => e.event === "finished", "finishing")))
  for (const [i, f] of finished.entries()) {
    assert.strictEqual(f.outcome, "done", ids[i])
    assert.deepStrictEqual(f.detail, expected, `the decisions of ${ids[i]}`)
  }
  for (const node of nodes.values()) node.child.kill("SIGTERM")
  await Promise.all([...nodes.values()].map((n) => n.exited))

  const system = TwoPhaseCommit.system(parameters)
  const trace = Merge.merge(system, { name: "two-phase-commit", parameters }, new Map(ids.map((id) => [id, Journal.read(Journal.fileOf(data, id))])))
  assert.deepStrictEqual(
    trace.events.filter((e) => e.type === "crash" || e.type === "restart").map((e) => `${e.type} ${"node" in e ? e.node : ""}`),
    [`crash ${victim}`, `restart ${victim}`]
  )
  assert.strictEqual(trace.end.status, "completed")
  const replayed = Simulator.replay(system, trace)
  assert.isTrue(replayed.identical, replayed.difference)
  assert.isNull(replayed.trace.end.violation)
  return trace
}

describe("SIGKILL and restart mid-round", () => {
  it("of the coordinator, after it has prepared only some participants of the second round", async () => {
    const trace = await killAndRestart("coordinator", "c", (e) => e.event === "send" && e.tag === "prepare" && e.to === "p2" && e.seq === 3, "the second round's prepare to p2")
    const crash = trace.events.findIndex((e) => e.type === "crash")
    const prepared = trace.events.slice(0, crash).filter((e) => e.type === "send" && e.tag === "prepare").length
    assert.isTrue(prepared >= 6 && prepared < 4 * rounds, `the coordinator was killed after ${prepared} prepares`)
  })

  it("of a participant, right after it voted no", async () => {
    const trace = await killAndRestart("participant", "p1", (e) => e.event === "send" && e.tag === "no", "a no vote")
    const crash = trace.events.findIndex((e) => e.type === "crash")
    assert.isTrue(trace.events.slice(0, crash).some((e) => e.type === "send" && e.node === "p1" && e.tag === "no"))
  })
})
