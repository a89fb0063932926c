/**
 * The `protoweave` executable end to end: the real bin is spawned, and its exit codes, stdout and
 * stderr are checked for listing, simulating, writing and replaying traces, and bad input.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "vitest"
import * as Trace from "../../simulator/Trace.ts"
import { assertUsageError, protoweave, scratch } from "./Harness.ts"

const dir = scratch("protoweave-cli-")

describe("protoweave list", () => {
  it("lists the calculator and its broken variants", () => {
    const { code, stdout } = protoweave("list")
    assert.strictEqual(code, 0)
    const row = (name: string) => stdout.split("\n").find((l) => l.split(/\s{2,}/)[0] === name)
    assert.match(row("calculator") ?? "", /^calculator\s+no\s+drop, crash, restart\s+clients=2 servers=2 requests=3/)
    assert.match(row("calculator/wrong-answer") ?? "", /\s+yes\s+/)
    assert.match(row("calculator/unchecked-response") ?? "", /\s+yes\s+/)
    assert.match(stdout, /^clients\s+1\.\.50\s+2\s+number of clients/m)
  })
})

describe("protoweave simulate", () => {
  it("runs a correct protocol and prints the summary", () => {
    const { code, stdout } = protoweave("simulate", "calculator", "--runs", "200")
    assert.strictEqual(code, 0, stdout)
    assert.include(stdout, "calculator  clients=2 servers=2 requests=3  seed 1  faults reorder")
    assert.match(stdout, /^runs {8}200$/m)
    assert.match(stdout, /^steps {7}[\d,]+ in [\d.]+s \([\d,]+ steps\/s\)$/m)
    assert.match(stdout, /^status {6}completed \d+ {2}stuck \d+ {2}limit \d+ {2}violation 0$/m)
    assert.match(stdout, /responseArrives {2}reached in 200\/200 runs/)
    assert.match(stdout, /^violations {2}0$/m)
  })

  it("takes parameters as --param and as convenience flags", () => {
    const { code, stdout } = protoweave("simulate", "calculator", "--runs", "5", "--param", "clients=1", "--servers", "3")
    assert.strictEqual(code, 0, stdout)
    assert.include(stdout, "calculator  clients=1 servers=3 requests=3")
  })

  it("finds, shrinks and prints the violation of a broken variant, and exits 1", () => {
    const { code, stdout } = protoweave("simulate", "calculator/unchecked-response", "--runs", "50")
    assert.strictEqual(code, 1, stdout)
    assert.match(stdout, /first violation: run \d+ \(seed \d+\): invariant "responseCorrect" is false after step \d+; shrunk from \d+ to \d+ steps/)
    assert.include(stdout, "shrunk failing trace:")
    assert.match(stdout, /s\d → c\d {2}resp \{value:\d+,args:\[\d,\d\]\} {2}\[serverSend\] {2}msg \d+/)
    assert.match(stdout, /^end: VIOLATION/m)
  })
})

describe("protoweave --trace and replay", () => {
  it("writes the shrunk and the original failing traces, and replay reproduces the violation (exit 1)", () => {
    const file = path.join(dir, "failing.ndjson")
    assert.strictEqual(protoweave("simulate", "calculator/unchecked-response", "--seed", "3", "--trace", file).code, 1)
    const shrunk = Trace.fromNdjson(fs.readFileSync(file, "utf8"), file)
    const original = Trace.fromNdjson(fs.readFileSync(path.join(dir, "failing.original.ndjson"), "utf8"))
    assert.strictEqual(shrunk.header.system, "calculator/unchecked-response")
    assert.deepStrictEqual(shrunk.header.parameters, { clients: 2, servers: 2, requests: 3 })
    assert.strictEqual(shrunk.end.status, "violation")
    assert.isAtMost(shrunk.events.length, original.events.length)

    const { code, stdout } = protoweave("replay", file)
    assert.strictEqual(code, 1, stdout)
    assert.include(stdout, `replayed ${shrunk.end.steps} steps: identical to the recording`)
    assert.include(stdout, 'reproduced violation: invariant "responseCorrect"')
    assert.include(stdout, "trace of calculator/unchecked-response")
  })

  it("writes the last run's trace when nothing fails, and replay exits 0", () => {
    const file = path.join(dir, "passing.ndjson")
    assert.strictEqual(protoweave("simulate", "calculator", "--runs", "3", "--faults", "all,duplicate=0", "--trace", file).code, 0)
    assert.isFalse(fs.existsSync(path.join(dir, "passing.original.ndjson")))
    const trace = Trace.fromNdjson(fs.readFileSync(file, "utf8"))
    const { code, stdout } = protoweave("replay", file)
    assert.strictEqual(code, 0, stdout)
    assert.include(stdout, `replayed ${trace.end.steps} steps: identical to the recording`)
  })

  it("exits 2 with the difference when a trace does not replay identically", () => {
    const file = path.join(dir, "tampered.ndjson")
    assert.strictEqual(protoweave("simulate", "calculator", "--runs", "1", "--trace", file).code, 0)
    const lines = fs.readFileSync(file, "utf8").trim().split("\n")
    const i = lines.map((l) => JSON.parse(l).type).lastIndexOf("deliver")
    lines[i] = JSON.stringify({ ...JSON.parse(lines[i]!), local: { tampered: true } })
    fs.writeFileSync(file, lines.join("\n"))
    const result = protoweave("replay", file)
    assert.include(result.stdout, "the replay differs from the recording")
    assertUsageError(result, "does not replay identically")
  })
})

describe("protoweave bad input", () => {
  it("an unknown protocol, with the closest names", () => {
    assertUsageError(protoweave("simulate", "calculater"), 'unknown protocol "calculater" (did you mean calculator')
  })

  it("a model without programs, pointing at check", () => {
    assertUsageError(protoweave("simulate", "tpc-bench"), 'tpc-bench has no programs to simulate (it is a model for the checker); try "protoweave check tpc-bench"')
  })

  it("an unknown flag", () => {
    assertUsageError(protoweave("simulate", "calculator", "--frobnicate", "1"), "--frobnicate")
  })

  it("a bad flag value", () => {
    assertUsageError(protoweave("simulate", "calculator", "--runs", "abc"), '--runs must be a whole number, got "abc"')
  })

  it("a bad fault spec", () => {
    assertUsageError(protoweave("simulate", "calculator", "--faults", "drop=2"), "--faults: drop must be a probability in [0, 1]")
  })

  it("a parameter the family does not declare, or out of its range", () => {
    assertUsageError(protoweave("simulate", "calculator", "--participants", "3"), 'calculator has no parameter "participants"')
    assertUsageError(protoweave("simulate", "calculator", "--param", "clients=51"), "clients must be in [1, 50]")
  })

  it("a missing trace file", () => {
    assertUsageError(protoweave("replay", path.join(dir, "missing.ndjson")), "no such file or directory")
  })

  it("a trace file with a malformed line, reported by line number", () => {
    const good = path.join(dir, "good.ndjson")
    assert.strictEqual(protoweave("simulate", "calculator", "--runs", "1", "--trace", good).code, 0)
    const lines = fs.readFileSync(good, "utf8").trim().split("\n")
    lines[2] = "{ this is not json"
    const bad = path.join(dir, "bad.ndjson")
    fs.writeFileSync(bad, lines.join("\n"))
    assertUsageError(protoweave("replay", bad), `${bad}:3: not JSON`)
  })
})
