/**
 * `protoweave check` end to end: the real bin is spawned, and its exit codes, stdout and stderr are
 * checked for a model that holds, seeded bugs found breadth- and depth-first, a counterexample
 * written with `--trace` and replayed, bad input, and a search interrupted with Ctrl-C; verdicts
 * established past a violation, and the wording of those a search that stopped early could not
 * establish; the payload domains the search used.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "vitest"
import * as Checker from "../../checker/Checker.ts"
import * as Check from "../../cli/Check.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"
import * as Trace from "../../simulator/Trace.ts"
import * as TwoBugs from "../checker/fixtures/TwoBugs.ts"
import { assertUsageError, bin, errorLines, protoweave, root, scratch } from "./Harness.ts"

const dir = scratch("protoweave-check-")

/** The verdict column of a property's row. */
const verdictOf = (stdout: string, property: string): string => {
  const row = stdout.split("\n").find((l) => new RegExp(`^(properties)?\\s+${property}\\s+(always|sometimes)\\s+`).test(l))
  return row?.replace(new RegExp(`^(properties)?\\s+${property}\\s+(always|sometimes)\\s+`), "") ?? "(no row)"
}

describe("protoweave check", () => {
  it("explores the whole benchmark model, finds every property to hold, and exits 0", () => {
    const { code, stdout, stderr } = protoweave("check", "tpc-bench", "--participants", "3")
    assert.strictEqual(code, 0, `${stdout}\n${stderr}`)
    assert.match(stdout, /^check tpc-bench {2}participants=3 {2}bfs {2}symmetry off/m)
    assert.strictEqual(verdictOf(stdout, "agreement"), "holds")
    assert.strictEqual(verdictOf(stdout, "validity"), "holds")
    assert.strictEqual(verdictOf(stdout, "committed"), "witnessed in 14 steps")
    assert.match(stdout, /^deadlocks {3}none$/m)
    assert.match(stdout, /^states {6}1,077 distinct, 2,568 transitions, depth 24$/m)
    assert.match(stdout, /^time {8}[\d.]+s \([\d,]+ states\/s\)$/m)
    assert.match(stdout, /^memory {6}[\d,]+ bytes\/state$/m)
    assert.match(stdout, /^collisions {2}probability \d\.\de-\d+ that two distinct states shared a fingerprint$/m)
    assert.match(stdout, /^search {6}complete/m)
    assert.lengthOf(errorLines(stderr), 0)
  })

  it("finds the seeded bug with a shortest trace, and exits 1", () => {
    const { code, stdout } = protoweave("check", "tpc-bench/commit-on-any-yes", "--participants", "3")
    assert.strictEqual(code, 1, stdout)
    assert.strictEqual(verdictOf(stdout, "validity"), "VIOLATED (shortest trace: 14 steps, below)")
    assert.strictEqual(verdictOf(stdout, "agreement"), "holds")
    assert.include(stdout, "validity VIOLATED:\ntrace of tpc-bench/commit-on-any-yes  participants=3")
    assert.match(stdout, /^14  0ms  p\d ← c  commit \{\}  \[receiveCommit\]  msg \d+$/m)
    assert.match(stdout, /^end: VIOLATION \(14 steps, 0ms\)\n {2}invariant "validity" is false after step 14$/m)
  })

  it("splits the search over threads with --workers, with the same answer, and says how it shared the work", () => {
    const whole = protoweave("check", "tpc-bench", "--participants", "3", "--workers", "2")
    assert.strictEqual(whole.code, 0, whole.stdout + whole.stderr)
    assert.match(whole.stdout, /^states {6}1,077 distinct, 2,568 transitions, depth 24$/m)
    // A model this small may be done before the worker is ready: either way the line says so.
    assert.match(whole.stdout, /^threads {5}2, (but this thread finished before the others were ready|sharing every level from depth \d+; [\d,]+ batches \([\d,]+ states\) went to threads that ran out)$/m)
    const bug = protoweave("check", "tpc-bench/commit-on-any-yes", "--participants", "3", "--workers", "2")
    assert.strictEqual(bug.code, 1, bug.stdout + bug.stderr)
    assert.strictEqual(verdictOf(bug.stdout, "validity"), "VIOLATED (shortest trace: 14 steps, below)")
    assertUsageError(protoweave("check", "tpc-bench", "--workers", "2", "--dfs"), "--workers applies to the breadth-first search")
  })

  it("checks worlds: every step names its protocol, and the world without its hook fails with exit 1", () => {
    const good = protoweave("check", "lock-resource", "--clients", "2")
    assert.strictEqual(good.code, 0, good.stdout + good.stderr)
    assert.strictEqual(verdictOf(good.stdout, "oneWriterPerEpoch"), "holds")
    const bad = protoweave("check", "lock-resource/no-hook", "--clients", "2")
    assert.strictEqual(bad.code, 1, bad.stdout + bad.stderr)
    assert.strictEqual(verdictOf(bad.stdout, "oneWriterPerEpoch"), "VIOLATED (shortest trace: 4 steps, below)")
    assert.match(bad.stdout, /^1  0ms  c\d → s  resource\.write \{epoch:1,value:7\}  \[resource_writeValue\]  msg 0$/m)
  })

  it("finds the seeded bug depth-first too", () => {
    const { code, stdout } = protoweave("check", "tpc-bench/commit-on-any-yes", "--participants", "3", "--dfs")
    assert.strictEqual(code, 1, stdout)
    assert.match(stdout, /^check tpc-bench\/commit-on-any-yes {2}participants=3 {2}dfs /m)
    assert.match(verdictOf(stdout, "validity"), /^VIOLATED \(trace: \d+ steps, below\)$/)
    assert.match(stdout, /invariant "validity" is false after step \d+$/m)
  })

  it("writes the counterexample with --trace, and replay reproduces it identically (exit 1)", () => {
    const file = path.join(dir, "validity.ndjson")
    const checked = protoweave("check", "tpc-bench/commit-on-any-yes", "--participants", "3", "--trace", file)
    assert.strictEqual(checked.code, 1, checked.stdout)
    assert.include(checked.stdout, `trace of the violation of validity written to ${file}; replay it with: protoweave replay ${file}`)
    const trace = Trace.fromNdjson(fs.readFileSync(file, "utf8"), file)
    assert.strictEqual(trace.header.system, "tpc-bench/commit-on-any-yes")
    assert.strictEqual(trace.header.level, "protocol")
    assert.deepStrictEqual(trace.header.parameters, { participants: 3 })
    assert.strictEqual(trace.end.status, "violation")
    assert.strictEqual(trace.end.steps, 14)

    const replayed = protoweave("replay", file)
    assert.strictEqual(replayed.code, 1, `${replayed.stdout}\n${replayed.stderr}`)
    assert.include(replayed.stdout, "replayed 14 steps: identical to the recording")
    assert.include(replayed.stdout, 'reproduced violation: invariant "validity" is false after step 14')
  })

  it("finds the calculator's unchecked response within a depth bound", () => {
    const { code, stdout } = protoweave("check", "calculator/unchecked-response", "--max-depth", "4")
    assert.strictEqual(code, 1, stdout)
    assert.match(stdout, /symmetry on \(client.*max-depth 4$/m)
    assert.strictEqual(verdictOf(stdout, "responseCorrect"), "VIOLATED (shortest trace: 3 steps, below)")
    assert.strictEqual(verdictOf(stdout, "coherence"), "holds within the bound (every state up to depth 4)")
    assert.match(stdout, /^deadlocks {3}none within the bound \(every state up to depth 4\)$/m)
    // The bounded search never claims a verdict over every reachable state.
    assert.notMatch(stdout, /\s(holds|never reached)$|^deadlocks {3}none$|search {6}complete/m)
    // The payload domains the model gives are samples of infinite schemas, and the output says so.
    assert.match(stdout, /^payloads {4}req {3}model, \d+ values?: a sample of an infinite schema \(an approximation\): \{args:\[/m)
    assert.match(stdout, /^ {12}resp {2}model, \d+ values?: a sample of an infinite schema \(an approximation\): /m)
    assert.match(stdout, /^ {2}invariant "responseCorrect" is false after step 3$/m)
    assert.match(stdout, /^search {6}INCOMPLETE: states 4 steps deep were not expanded/m)
  })
})

describe("protoweave check bad input", () => {
  it("an unknown protocol, with the closest names", () => {
    assertUsageError(protoweave("check", "tpc-bnech"), 'unknown protocol "tpc-bnech" (did you mean tpc-bench')
  })

  it("a family without a model", () => {
    assertUsageError(protoweave("check", "calculator/wrong-answer"), "calculator/wrong-answer has no model to check")
  })

  it("bad flags and parameters", () => {
    assertUsageError(protoweave("check", "tpc-bench", "--bfs", "--dfs"), "--bfs and --dfs exclude each other")
    assertUsageError(protoweave("check", "tpc-bench", "--max-states", "many"), '--max-states must be a whole number, got "many"')
    assertUsageError(protoweave("check", "tpc-bench", "--participants", "10"), "participants must be in [1, 9] for tpc-bench, got 10")
    assertUsageError(protoweave("check", "tpc-bench", "--frobnicate"), "--frobnicate")
  })
})

describe("protoweave check interrupted", () => {
  it("stops on Ctrl-C and prints the partial result, exiting 2 when nothing was violated so far", async () => {
    const child = spawn(process.execPath, [bin, "check", "two-phase-commit", "--participants", "3", "--rounds", "2"], { cwd: root })
    let stdout = ""
    let stderr = ""
    let interruptedAt = 0
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk))
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk
      // The first progress line shows the search under way (and the handler in place): interrupt it.
      if (interruptedAt === 0 && stderr.includes("progress: ")) {
        interruptedAt = Date.now()
        child.kill("SIGINT")
      }
    })
    const killer = setTimeout(() => child.kill("SIGKILL"), 60_000)
    const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)))
    clearTimeout(killer)
    assert.isAbove(interruptedAt, 0, `no progress line before the end:\n${stdout}\n${stderr}`)
    assert.isBelow(Date.now() - interruptedAt, 10_000, "the search did not stop promptly")
    assert.strictEqual(code, 2, `${stdout}\n${stderr}`)
    assert.match(stdout, /^PARTIAL RESULT: the search was interrupted before it finished$/m)
    assert.match(verdictOf(stdout, "logAgreement"), /^not established: the search was interrupted \(no violation in the [\d,]+ states explored\)$/)
    assert.match(stdout, /^deadlocks {3}not established: the search was interrupted \(none in the states expanded\)$/m)
    assert.notMatch(stdout, /search {6}complete/)
    assert.match(stdout, /^states {6}[\d,]+ distinct/m)
    assert.match(stdout, /^search {6}INTERRUPTED \(Ctrl-C\): the result is partial$/m)
    assert.include(stderr, "interrupted: stopping the search")
    assert.deepStrictEqual(errorLines(stderr), ["protoweave: error: the search was interrupted before it finished: the result above is partial"])
  })
})

describe("protoweave check verdicts", () => {
  it("establishes the other properties past a violation: holds is over every reachable state", () => {
    const { code, stdout } = protoweave("check", "two-phase-commit/commit-on-any-yes", "--participants", "2", "--rounds", "1")
    assert.strictEqual(code, 1, stdout)
    assert.strictEqual(verdictOf(stdout, "commitValidity"), "VIOLATED (shortest trace: 10 steps, below)")
    assert.strictEqual(verdictOf(stdout, "logAgreement"), "holds")
    assert.match(stdout, /^search {6}complete: every reachable state was explored$/m)
    // The deadlock lies past the violation (a participant that voted no never acknowledges the
    // commit): its trace runs to its end, and says which violation it passes through.
    assert.match(stdout, /^deadlocks {3}\d+ \(DEADLOCK: the first reached in 14 steps, below\)$/m)
    assert.include(stdout, "(this path also violates commitValidity after step 12: the search expands violating states)")
    assert.match(stdout, /^14  0ms  c ← p1  ackCommit \{era:0\}/m)
  })

  it("with --stop-at-first-violation, establishes nothing it did not reach and never says complete", () => {
    const { code, stdout } = protoweave("check", "two-phase-commit/commit-on-any-yes", "--participants", "2", "--rounds", "1", "--stop-at-first-violation")
    assert.strictEqual(code, 1, stdout)
    assert.match(stdout, /^check .* stop at first violation$/m)
    assert.strictEqual(verdictOf(stdout, "commitValidity"), "VIOLATED (shortest trace: 10 steps, below)")
    assert.strictEqual(verdictOf(stdout, "logAgreement"), "not established: the search stopped at a violation")
    assert.strictEqual(verdictOf(stdout, "coordinatorAgreement"), "not established: the search stopped at a violation")
    assert.match(stdout, /^deadlocks {3}not established: the search stopped at a violation$/m)
    assert.match(stdout, /^search {6}STOPPED at the first violation \(--stop-at-first-violation\): explored every state up to depth 10, not every reachable state$/m)
    assert.notMatch(stdout, /complete/)
    const parallel = protoweave("check", "two-phase-commit/commit-on-any-yes", "--participants", "2", "--rounds", "1", "--stop-at-first-violation", "--workers", "2")
    assert.strictEqual(parallel.code, 1, parallel.stdout)
    assert.strictEqual(verdictOf(parallel.stdout, "logAgreement"), "not established: the search stopped at a violation")
    assert.match(parallel.stdout, /^search {6}STOPPED at the first violation/m)
  })
})

describe("check's wording of verdicts a search did not establish", () => {
  /** A report as `explore` hands it over (traces recorded), without running the CLI. */
  const outcome = (options: TwoBugs.TwoBugsOptions, search: Checker.CheckOptions): Check.Outcome => {
    const r = Checker.check(TwoBugs.model(options), search)
    const recorded = (t: Checker.CheckTrace | undefined) => t && { steps: t.steps.length, ndjson: "", replayable: "", alsoViolates: [] }
    return { ...r, properties: r.properties.map((p) => ({ ...p, trace: recorded(p.trace) })), deadlocks: { ...r.deadlocks, trace: recorded(r.deadlocks.trace) } }
  }
  const text = (options: TwoBugs.TwoBugsOptions, search: Checker.CheckOptions) =>
    Check.formatOutcome(outcome(options, search), { maxDepth: search.maxDepth, maxStates: search.maxStates })

  it("says when the search stopped once every verdict was in and a deadlock was found, and counts deadlocks as a lower bound", () => {
    const stdout = text({ properties: ["untouched", "xAtMostOne", "yAtMostOne", "yReachesThree"], halt: true }, {})
    assert.match(stdout, /^deadlocks {3}1 in every state up to depth 2, more may exist \(DEADLOCK: the first reached in 2 steps, below\)$/m)
    assert.match(stdout, /^search {6}STOPPED once every property had its verdict and a deadlock was found: explored every state up to depth 3, not every reachable state$/m)
  })

  it("says which states a bounded search covered: depth-first, not every state up to the depth bound", () => {
    const dfs = text({ properties: ["xAtMostOne", "yAtMostOne", "yReachesThree"] }, { strategy: "dfs", maxDepth: 1 })
    assert.strictEqual(verdictOf(dfs, "xAtMostOne"), "holds within the bound (the 3 states explored depth-first, not every state up to depth 1)")
    assert.strictEqual(verdictOf(dfs, "yReachesThree"), "not reached within the bound (the 3 states explored depth-first, not every state up to depth 1; warning)")
    const few = text({ properties: ["xAtMostOne", "yAtMostOne", "yReachesThree"] }, { maxStates: 5 })
    assert.strictEqual(verdictOf(few, "yAtMostOne"), "holds within the bound (the 6 states explored)")
    assert.match(few, /^deadlocks {3}none within the bound \(the states expanded\)$/m)
    for (const stdout of [dfs, few]) assert.notMatch(stdout, /\s(holds|never reached)$|^deadlocks {3}none$|complete/m)
  })
})

describe("check's payload domains", () => {
  it("one line per tag: where the values come from, how many, and whether they are a sample", () => {
    // A payload schema with one value, enumerated: every value.
    assert.deepStrictEqual(Check.payloadLines(TwoBugs.model({ properties: [] })), [
      "payloads    incX  schema, 1 value: all of the schema's values: {}",
      "            incY  schema, 1 value: all of the schema's values: {}",
      "            halt  schema, 1 value: all of the schema's values: {}"
    ])
    // A model's domain that leaves out values of a finite schema.
    assert.strictEqual(
      Check.payloadLines({ ...TwoBugs.model({ properties: [] }), payloads: { incY: [] } })[1],
      "            incY  model, 0 values: a sample of the schema's 1 (an approximation): "
    )
    const model = Calculator.model({ clients: 1, servers: 1 })
    const lines = Check.payloadLines({ ...model, payloads: { req: [{ args: [1, 2] }, { args: [0, -1, 5] }], resp: [{ value: 3, args: [1, 2] }] } })
    assert.deepStrictEqual(lines, [
      "payloads    req   model, 2 values: a sample of an infinite schema (an approximation): {args:[1,2]}, {args:[0,-1,5]}",
      "            resp  model, 1 value: a sample of an infinite schema (an approximation): {value:3,args:[1,2]}"
    ])
    // A benchmark whose every send declares its candidates has no payload domain.
    const bench = protoweave("check", "tpc-bench", "--participants", "1")
    assert.notMatch(bench.stdout, /^payloads/m)
  })
})
