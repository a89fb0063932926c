/**
 * Every command on a protocol module the user wrote, named by its path: a token ring
 * (`fixtures/TokenRing.ts`, not bundled, with a broken variant) is checked (on one thread and on
 * two), simulated, replayed from its traces (which name the module), searched for counterexamples
 * to induction, listed and run as a cluster; a module with several families says which it uses;
 * a path that does not exist, a module without a manifest and an unknown family are bad input
 * with one clear line. The same module, copied outside the repository, checks there too.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "vitest"
import * as Trace from "../../simulator/Trace.ts"
import { freePorts } from "../runtime/Processes.ts"
import { assertUsageError, bin, protoweave, root, scratch } from "./Harness.ts"

const ring = "test/cli/fixtures/TokenRing.ts"
const broken = `${ring}#token-ring/keep-token`
const dir = scratch("protoweave-modules-")

const readTrace = (file: string) => Trace.fromNdjson(fs.readFileSync(file, "utf8"), file)

describe("protoweave on a protocol module's path", () => {
  it("check: every property's verdict, with the family used and the module's other families named", () => {
    const result = protoweave("check", ring)
    assert.strictEqual(result.code, 0, `stdout: ${result.stdout}\nstderr: ${result.stderr}`)
    assert.include(result.stdout, `check token-ring (${path.join(root, ring)})  members=3 rounds=2  bfs`)
    assert.match(result.stdout, /oneHolder +always +holds\n/)
    assert.match(result.stdout, /everyoneVisited +sometimes +witnessed in 6 steps/)
    assert.include(result.stdout, "states      12 distinct")
    assert.include(result.stdout, "search      complete: every reachable state was explored")
    assert.include(result.stderr, `note: ${ring} has 2 families; using token-ring (others: token-ring/keep-token; choose one with ${ring}#<family>)`)
  })

  it("check <path>#<family>: the broken variant is VIOLATED, and its trace names the module and replays", () => {
    const file = path.join(dir, "check.ndjson")
    const result = protoweave("check", broken, "--trace", file)
    assert.strictEqual(result.code, 1, `stdout: ${result.stdout}\nstderr: ${result.stderr}`)
    assert.match(result.stdout, /oneHolder +always +VIOLATED \(shortest trace: 2 steps, below\)/)
    assert.notInclude(result.stderr, "note:", "a family chosen with # needs no note")
    const trace = readTrace(file)
    assert.strictEqual(trace.header.system, "token-ring/keep-token")
    assert.strictEqual(trace.header.module, path.join(root, ring))
    const replay = protoweave("replay", file)
    assert.strictEqual(replay.code, 1, replay.stderr)
    assert.include(replay.stdout, "replayed 2 steps: identical to the recording")
    assert.include(replay.stdout, 'reproduced violation: invariant "oneHolder" is false after step 2')
  })

  it("check --workers 2: the worker threads load the module's model by its URL, with the same result", () => {
    const result = protoweave("check", "--workers", "2", ring, "--members", "4")
    assert.strictEqual(result.code, 0, `stdout: ${result.stdout}\nstderr: ${result.stderr}`)
    assert.include(result.stdout, "members=4 rounds=2")
    assert.include(result.stdout, "states      16 distinct, 16 transitions")
    assert.match(result.stdout, /threads {5}2/)
    const sequential = protoweave("check", ring, "--members", "4")
    assert.include(sequential.stdout, "states      16 distinct, 16 transitions")
  })

  it("simulate --trace and replay: the trace names the module, and replays identically", () => {
    const file = path.join(dir, "ring.ndjson")
    const result = protoweave("simulate", `${ring}#token-ring`, "--runs", "40", "--members", "4", "--rounds", "3", "--trace", file)
    assert.strictEqual(result.code, 0, `stdout: ${result.stdout}\nstderr: ${result.stderr}`)
    assert.include(result.stdout, "token-ring  members=4 rounds=3  seed 1")
    assert.include(result.stdout, "status      completed 40  stuck 0  limit 0  violation 0")
    assert.include(result.stdout, "everyoneVisited  reached in 40/40 runs")
    assert.strictEqual(readTrace(file).header.module, path.join(root, ring))
    const replay = protoweave("replay", file)
    assert.strictEqual(replay.code, 0, replay.stderr)
    // Each of 4 members passes the token 3 times: 12 sends and 12 receives.
    assert.include(replay.stdout, "replayed 24 steps: identical to the recording")
  })

  it("simulate the broken variant: the shrunk failing trace replays to the violation; a trace whose module is gone is refused", () => {
    const file = path.join(dir, "broken.ndjson")
    const result = protoweave("simulate", broken, "--runs", "20", "--trace", file)
    assert.strictEqual(result.code, 1, `stdout: ${result.stdout}\nstderr: ${result.stderr}`)
    assert.include(result.stdout, 'invariant "oneHolder" is false after step 2')
    const replay = protoweave("replay", file)
    assert.strictEqual(replay.code, 1, replay.stderr)
    assert.include(replay.stdout, 'reproduced violation: invariant "oneHolder" is false after step 2')

    const moved = path.join(dir, "moved.ndjson")
    const gone = path.join(dir, "gone", "TokenRing.ts")
    fs.writeFileSync(moved, fs.readFileSync(file, "utf8").replace(JSON.stringify(path.join(root, ring)), JSON.stringify(gone)))
    assertUsageError(protoweave("replay", moved), `${moved}: the header's protocol module: cannot load ${gone}: no such file`)
  })

  it("replays a trace that names a bundled family alone, as traces did before modules", () => {
    const file = path.join(dir, "calculator.ndjson")
    assert.strictEqual(protoweave("simulate", "calculator", "--runs", "3", "--trace", file).code, 0)
    assert.notProperty(readTrace(file).header, "module")
    const replay = protoweave("replay", file)
    assert.strictEqual(replay.code, 0, replay.stderr)
    assert.include(replay.stdout, "identical to the recording")
  })

  it("induct: the module's invariant, with the transition that breaks it", () => {
    const result = protoweave("induct", `${ring}#token-ring`, "--invariant", "oneHolder", "--states", "12", "--walks", "0", "--candidates", "200")
    assert.strictEqual(result.code, 1, `stdout: ${result.stdout}\nstderr: ${result.stderr}`)
    assert.include(result.stdout, "induct token-ring  members=3 rounds=2  invariant oneHolder  seed 1")
    assert.include(result.stdout, "obligations  3: oneHolder_init, oneHolder_preserved_by_pass, oneHolder_preserved_by_take")
    assert.include(result.stdout, "broken       1: take")
    assertUsageError(protoweave("induct", `${ring}#token-ring`, "--invariant", "twoHolders"), 'token-ring has no invariant "twoHolders" (it has: oneHolder)')
  })

  it("list <path>: the module's families and parameters, not the bundled ones", () => {
    const result = protoweave("list", ring)
    assert.strictEqual(result.code, 0, result.stderr)
    const lines = result.stdout.split("\n")
    assert.match(lines[1]!, /^token-ring +no +- +members=3 rounds=2 +a token passed round a ring/)
    assert.match(lines[2]!, /^token-ring\/keep-token +yes/)
    assert.notInclude(result.stdout, "calculator")
    assert.include(result.stdout, `e.g. "protoweave simulate ${ring} --members 4"`)
  })

  it("refuses a path that does not exist, a module without a manifest, and an unknown family, each in one line", () => {
    assertUsageError(protoweave("check", "./src/missing.ts"), `cannot load ./src/missing.ts: no such file (${path.join(root, "src/missing.ts")})`)
    assertUsageError(
      protoweave("simulate", "test/cli/fixtures/NoManifest.ts"),
      "test/cli/fixtures/NoManifest.ts does not export a manifest (its exports: families, ring); a protocol module exports one: export const manifest = Manifest.make({ module: import.meta.url, families })"
    )
    assertUsageError(protoweave("check", `${ring}#token-ring/keep-tokn`), `${ring} has no family "token-ring/keep-tokn" (did you mean token-ring/keep-token, token-ring?); its families: token-ring, token-ring/keep-token`)
    assertUsageError(protoweave("list", "token-ring"), 'list takes a protocol module\'s path (./src/election.ts), got "token-ring"')
  })

  it("run: a cluster of the module's members over TCP, its file naming the module relative to itself", async () => {
    const ports = await freePorts(3)
    const cluster = path.join(dir, "ring.cluster")
    const nodes = ["m1", "m2", "m3"].map((id, i) => `node ${id} member 127.0.0.1:${ports[i]}`)
    fs.writeFileSync(cluster, [`protocol ${path.relative(dir, path.join(root, ring))}`, "param members=3", ...nodes].join("\n") + "\n")
    const traceFile = path.join(dir, "run.ndjson")
    const result = protoweave("run", `${ring}#token-ring`, "--cluster", cluster, "--data", path.join(dir, "run-data"), "--trace", traceFile, "--timeout", "100")
    assert.strictEqual(result.code, 0, `stdout: ${result.stdout}\nstderr: ${result.stderr}`)
    for (const id of ["m1", "m2", "m3"]) assert.include(result.stdout, `${id} finished: done 2`)
    assert.match(result.stdout, /replayed in the simulator: identical, 1 invariants hold at every step; status completed/)
    assert.strictEqual(readTrace(traceFile).header.module, path.join(root, ring))
    assert.strictEqual(protoweave("replay", traceFile).code, 0)
    assert.notInclude(result.stderr, "note:", "the family given on the command line chooses the module's family")
    const other = path.join(dir, "other.cluster")
    fs.writeFileSync(other, ["protocol two-phase-commit", "param members=3", ...nodes].join("\n") + "\n")
    assertUsageError(protoweave("run", `${ring}#token-ring`, "--cluster", other), `${other} is a cluster of two-phase-commit, not ${ring}#token-ring`)
  })
})

describe("protoweave on a protocol module outside the repository", () => {
  it("checks a copy of the token ring in a temporary folder, whose imports name protoweave's files by URL", () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), "protoweave-outside-"))
    try {
      assert.isFalse(outside.startsWith(root), "the folder is outside the repository")
      // No package is installed there: each import names the file it resolves to here.
      const source = fs
        .readFileSync(path.join(root, ring), "utf8")
        .replace(/from "(\.\.\/[^"]+)"/g, (_, relative: string) => `from ${JSON.stringify(new URL(relative, new URL(`../../${ring}`, import.meta.url)).href)}`)
        .replace(/from "(effect\/[^"]+)"/g, (_, bare: string) => `from ${JSON.stringify(import.meta.resolve(bare))}`)
      fs.writeFileSync(path.join(outside, "ring.ts"), source)
      fs.writeFileSync(path.join(outside, "package.json"), JSON.stringify({ name: "ring", private: true, type: "module" }))
      const result = spawnSync(process.execPath, [bin, "check", "./ring.ts#token-ring/keep-token"], { cwd: outside, encoding: "utf8", timeout: 120_000 })
      assert.strictEqual(result.status, 1, `stdout: ${result.stdout}\nstderr: ${result.stderr}`)
      assert.include(result.stdout, `check token-ring/keep-token (${fs.realpathSync(outside)}/ring.ts)`)
      assert.match(result.stdout, /oneHolder +always +VIOLATED/)
      assert.isFalse(fileURLToPath(import.meta.url).startsWith(outside))
    } finally {
      fs.rmSync(outside, { recursive: true, force: true })
    }
  })
})
