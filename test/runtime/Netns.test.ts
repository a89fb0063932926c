/**
 * The same five-node Two-Phase Commit cluster on five separate network hosts: each node runs in
 * its own network namespace, with its own address on a bridge that links them by veth pairs, and
 * every node listens on the same port. Needs root and iproute2 (`ip`), as CI has; without them the
 * test fails and says why. The namespaces are removed afterwards, whatever happened.
 */
import { spawnSync } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as path from "node:path"
import { afterAll, assert, describe, it } from "vitest"
import * as TwoPhaseCommit from "../../protocols/TwoPhaseCommit/index.ts"
import * as Journal from "../../runtime/Journal.ts"
import * as Merge from "../../runtime/Merge.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import { scratch } from "../cli/Harness.ts"
import { type NodeProcess, startNode, tpcCluster } from "./Processes.ts"

const dir = scratch("protoweave-netns-")
const prefix = `pw${randomBytes(3).toString("hex")}`
const hub = `${prefix}-hub`
const ids = ["c", "p1", "p2", "p3", "p4"]
const namespaceOf = (id: string) => `${prefix}-${id}`
const addressOf = (i: number) => `10.231.77.${i + 1}`
const created: Array<string> = []

const ip = (...args: ReadonlyArray<string>) => {
  const result = spawnSync("ip", args, { encoding: "utf8" })
  if (result.error !== undefined) {
    throw new Error(`cannot run "ip ${args.join(" ")}": ${result.error.message} (this test needs iproute2, e.g. apt-get install iproute2)`)
  }
  if (result.status !== 0) {
    throw new Error(`"ip ${args.join(" ")}" failed (exit ${result.status}): ${result.stderr.trim()} (this test needs root to create network namespaces)`)
  }
}

const addNamespace = (name: string) => {
  ip("netns", "add", name)
  created.push(name)
  ip("-n", name, "link", "set", "lo", "up")
}

afterAll(() => {
  for (const name of created.reverse()) spawnSync("ip", ["netns", "del", name])
})

describe("a cluster across network namespaces", () => {
  it("runs 5 nodes as separate hosts on a bridge, completes its rounds, and its merged trace replays", async () => {
    addNamespace(hub)
    ip("-n", hub, "link", "add", "br0", "type", "bridge")
    ip("-n", hub, "link", "set", "br0", "up")
    ids.forEach((id, i) => {
      const ns = namespaceOf(id)
      addNamespace(ns)
      ip("-n", hub, "link", "add", `v${i}`, "type", "veth", "peer", "name", "eth0", "netns", ns)
      ip("-n", hub, "link", "set", `v${i}`, "master", "br0")
      ip("-n", hub, "link", "set", `v${i}`, "up")
      ip("-n", ns, "addr", "add", `${addressOf(i)}/24`, "dev", "eth0")
      ip("-n", ns, "link", "set", "eth0", "up")
    })
    const rounds = 3
    const cluster = tpcCluster(dir, "netns.cluster", rounds, ids.map((_, i) => `${addressOf(i)}:7100`))
    const data = path.join(dir, "data")
    const secret = randomBytes(24).toString("hex")
    const nodes: Array<NodeProcess> = ids.map((id) =>
      startNode(id, ["--cluster", cluster, "--data", data, "--linger", "-1"], secret, ["ip", "netns", "exec", namespaceOf(id)])
    )
    const finished = await Promise.all(nodes.map((n) => n.waitFor((e) => e.event === "finished", "finishing", 150_000)))
    const expected = Array.from({ length: rounds }, (_, era) => ({ commit: era % 2 === 0, data: 100 + era }))
    for (const f of finished) assert.deepStrictEqual(f.detail, expected)
    // Each participant reached the coordinator at its own address on the bridge.
    assert.isTrue(nodes[0]!.events.some((e) => e.event === "accepted" && e.peer === "p4"))
    for (const n of nodes) n.child.kill("SIGTERM")
    await Promise.all(nodes.map((n) => n.exited))

    const parameters = { participants: 4, rounds }
    const system = TwoPhaseCommit.system(parameters)
    const trace = Merge.merge(system, { name: "two-phase-commit", parameters }, new Map(ids.map((id) => [id, Journal.read(Journal.fileOf(data, id))])))
    assert.strictEqual(trace.end.status, "completed")
    const replayed = Simulator.replay(system, trace)
    assert.isTrue(replayed.identical, replayed.difference)
    assert.isNull(replayed.trace.end.violation)
  })
})
