/**
 * Lean itself, once: `protoweave prove --all --check` checks the core library, every bundled
 * protocol's generated spec and kept proofs, the hand-written proofs, and the differential check,
 * in one Lean run (about two minutes of start-up plus the proofs; the toolchain is installed on
 * first use). It fails on any Lean error, any `sorry`, any mismatch and any stale generated file.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "vitest"
import { bundled } from "../../cli/Prove.ts"
import { exportProtocol } from "../../exporter/Export.ts"
import * as Prove from "../../exporter/Prove.ts"
import { bin, root } from "../cli/Harness.ts"

const run = (args: ReadonlyArray<string>): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

const row = (stdout: string, protocol: string, name: string) =>
  stdout.split("\n").find((l) => l.startsWith(`${protocol} `) && l.split(/\s+/)[1] === name)

describe("protoweave prove", () => {
  it("refuses a protocol it has no export for, before starting Lean", async () => {
    const result = await run(["prove", "tpc-bench"])
    assert.strictEqual(result.code, 2)
    assert.include(result.stderr, 'no Lean export for "tpc-bench"')
  })

  it("writes nothing when Lean fails without saying why (a crash), and fails the run", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "protoweave-crash-"))
    try {
      // A stand-in for a native toolchain whose Lean dies silently, as the WebAssembly build sometimes does.
      fs.writeFileSync(path.join(dir, "lean"), "#!/bin/sh\nexit 1\n", { mode: 0o755 })
      fs.cpSync(path.join(root, "proofs/Protoweave"), path.join(dir, "proofs/Protoweave"), { recursive: true })
      fs.copyFileSync(path.join(root, "proofs/Protoweave.lean"), path.join(dir, "proofs/Protoweave.lean"))
      const exported = exportProtocol(root, bundled.find((s) => s.family === "calculator")!)
      const report = await Prove.prove([{ exported, differential: "", differentialChecks: 0, counterexamples: new Map() }], {
        root: dir,
        mode: "discharge",
        say: () => {},
        toolchain: { kind: "native", lake: path.join(dir, "lake") }
      })
      assert.deepStrictEqual(report.written, [])
      assert.isFalse(fs.existsSync(path.join(dir, "proofs/Generated")))
      assert.isTrue(Prove.failed(report))
      assert.include(report.errors[0]!.text, "Lean exited with 1 without an error message; no generated file was written")
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it("checks every bundled proof in one Lean run, with no error, no sorry and no mismatch", { timeout: 60 * 60_000 }, async () => {
    const result = await run(["prove", "--all", "--check"])
    assert.strictEqual(result.code, 0, `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`)
    assert.strictEqual(result.stderr.match(/checking .* in one Lean run/g)?.length, 1)
    assert.match(row(result.stdout, "Calculator", "responseCorrect_always") ?? "", /proved\s+hand-written/)
    assert.match(row(result.stdout, "Calculator", "responseCorrect_preserved_by_serverSend") ?? "", /proved/)
    assert.match(row(result.stdout, "TwoPhaseCommit", "logAgreement_always") ?? "", /proved\s+hand-written/)
    assert.match(row(result.stdout, "TwoPhaseCommit", "tpcInv_preserved_by_sendCommit") ?? "", /proved\s+hand-written/)
    assert.match(row(result.stdout, "QueryTpc", "answersFromLog_preserved_by_query_answer") ?? "", /proved\s+hand-written/)
    assert.match(row(result.stdout, "QueryTpc", "answersAgree_always") ?? "", /proved\s+hand-written/)
    assert.match(result.stdout, /\d+ proved, \d+ open, 0 failed; differential check: \d+ comparisons, 0 mismatches/)
  })
})
