/**
 * `protoweave simulate --level protocol` end to end: it runs families without programs, catches a
 * broken guard, writes a trace that `replay` reproduces, and refuses bad `--level` and `--payloads`
 * values as bad input.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "vitest"
import { assertUsageError, protoweave, scratch } from "./Harness.ts"

const dir = scratch("protoweave-simulate-level-")

describe("protoweave simulate --level protocol", () => {
  it("simulates a family that has no programs, at a size beyond the checker's reach", () => {
    const r = protoweave("simulate", "tpc-bench", "--level", "protocol", "--participants", "8", "--runs", "50")
    assert.strictEqual(r.code, 0, r.stderr)
    assert.include(r.stdout, "level       protocol")
    assert.include(r.stdout, "sendPrepare (prepare): candidates")
    assert.match(r.stdout, /status {6}completed 50 {2}stuck 0/)
  })

  it("catches a broken guard, writes the shrunk trace, and replay reproduces it", () => {
    const file = path.join(dir, "tpc.ndjson")
    const r = protoweave("simulate", "two-phase-commit/commit-on-any-yes", "--level", "protocol", "--participants", "2", "--rounds", "1", "--trace", file)
    assert.strictEqual(r.code, 1, r.stderr)
    assert.include(r.stdout, 'invariant "commitValidity" is false')
    assert.include(r.stdout, "shrunk failing trace:")
    const header = JSON.parse(fs.readFileSync(file, "utf8").split("\n")[0]!)
    assert.strictEqual(header.level, "protocol")
    const replayed = protoweave("replay", file)
    assert.strictEqual(replayed.code, 1, replayed.stderr)
    assert.include(replayed.stdout, "identical to the recording")
    assert.include(replayed.stdout, 'reproduced violation: invariant "commitValidity"')
  })

  it("refuses a bad --level or --payloads, and points a family without programs at --level protocol", () => {
    assertUsageError(protoweave("simulate", "calculator", "--level", "program"), '--level must be programs or protocol, got "program"')
    assertUsageError(protoweave("simulate", "calculator", "--level", "protocol", "--payloads", "all"), '--payloads must be model or schema, got "all"')
    assertUsageError(protoweave("simulate", "calculator", "--payloads", "schema"), "--payloads applies to --level protocol only")
    assertUsageError(protoweave("simulate", "tpc-bench"), "--level protocol")
  })
})
