/**
 * `protoweave simulate` on a protocol whose programs deadlock under reorder (the ballot collector
 * that overwrites its votes, added to the bundled manifests for this file only): every run is stuck
 * with no message lost, so the command prints the first stuck run's trace and explanation and
 * exits 1; the correct collector exits 0. The command runs in this process (`App.run`), since
 * the fixture is not a bundled protocol the `protoweave` binary could name.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import * as Effect from "effect/Effect"
import { afterEach, assert, describe, it, vi } from "vitest"
import type { Family } from "../../core/System.ts"
import { scratch } from "../cli/Harness.ts"
import * as Ballot from "./BallotProtocol.ts"

vi.mock("../../protocols/index.ts", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../protocols/index.ts")>()
  const ballot = (name: string, overwrite: boolean): Family => ({
    name,
    description: "a collector asks every voter and waits for a vote from each",
    broken: overwrite,
    tolerates: [],
    parameters: { voters: { description: "number of voters", default: 2, min: 1, max: 5 } },
    make: (p) => Ballot.system(p.voters ?? 2, overwrite)
  })
  const { make } = await import("../../core/Manifest.ts")
  const fixture = make({ module: import.meta.url, families: [ballot("ballot", false), ballot("ballot/overwrite-votes", true)] })
  const families = [...original.families, ...fixture.families]
  return { ...original, manifests: [...original.manifests, fixture], families, find: (name: string) => families.find((f) => f.name === name) }
})

const { run } = await import("../../cli/App.ts")

const simulate = async (...args: Array<string>) => {
  const lines: Array<string> = []
  const log = vi.spyOn(console, "log").mockImplementation((...parts: Array<unknown>) => void lines.push(parts.join(" ")))
  const code = await Effect.runPromise(run(["simulate", ...args]))
  log.mockRestore()
  return { code, stdout: lines.join("\n") }
}

describe("protoweave simulate: a deadlock fails the command", () => {
  const dir = scratch("protoweave-deadlock-")
  afterEach(() => vi.restoreAllMocks())

  it("exits 1 when runs end stuck under reorder, with the first stuck run's trace and what its nodes wait for", async () => {
    const file = path.join(dir, "deadlock.ndjson")
    const { code, stdout } = await simulate("ballot/overwrite-votes", "--runs", "300", "--trace-stuck", file)
    assert.strictEqual(code, 1, stdout)
    assert.include(stdout, "status      completed 0  stuck 300  limit 0  violation 0")
    assert.include(stdout, "300 of 300 stuck runs lost no message and no node: the programs deadlock (a failure)")
    assert.include(stdout, "first stuck trace (no message or node was lost):")
    assert.match(stdout, /c waits for vote; msgs \d+, \d+ were received earlier \(steps \d+, \d+\), and no other was sent/)
    assert.include(stdout, `trace of the first stuck run (run 0) written to ${file}`)
    assert.isTrue(fs.existsSync(file))
  })

  it("exits 1 under duplication too, which loses nothing", async () => {
    const { code } = await simulate("ballot/overwrite-votes", "--runs", "20", "--faults", "duplicate")
    assert.strictEqual(code, 1)
  })

  it("exits 0 for the correct collector, and for stuck runs that all lost a message", async () => {
    assert.strictEqual((await simulate("ballot", "--runs", "100")).code, 0)
    const lossy = await simulate("ballot", "--runs", "100", "--faults", "drop=0.3")
    assert.strictEqual(lossy.code, 0, lossy.stdout)
    assert.match(lossy.stdout, /stuck runs lost a message or a node first, which the plan allows: not counted as failures/)
  })
})
