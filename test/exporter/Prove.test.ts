/**
 * Lean itself: `protoweave prove --all --check` checks the core library, every bundled protocol's
 * generated spec and kept proofs, the hand-written proofs, and the differential check, in one Lean
 * run (about two minutes of start-up plus the proofs; the toolchain is installed on first use). It
 * fails on any Lean error, any `sorry`, any mismatch and any stale generated file. A second run, on
 * a scratch copy under /tmp, has a deliberately broken lemma and a protocol whose TypeScript
 * changed: the statuses come from what Lean accepted and what each theorem rests on, the progress
 * lines carry no status, and the table agrees with the files written.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "vitest"
import { bundled, inductionCounterexamples } from "./Bundled.ts"
import { type Exported, exportProtocol } from "../../exporter/Export.ts"
import { declarationsOf } from "../../exporter/LeanDeclarations.ts"
import * as LeanToolchain from "../../exporter/LeanToolchain.ts"
import * as Obligations from "../../exporter/Obligations.ts"
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

  it("decides proved from a Lean run with no error: a failed @[simp] lemma that a later simp uses unnamed fails that theorem too", { timeout: 75 * 60_000 }, async () => {
    // A tiny scratch project (a one-definition library and spec), so that each Lean run is mostly start-up.
    const dir = fs.mkdtempSync("/tmp/protoweave-kernel-")
    try {
      const file = (relative: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true })
        fs.writeFileSync(path.join(dir, relative), text)
      }
      file("proofs/Protoweave/Base.lean", "namespace Protoweave\n\ndef base : Nat := 0\n\nend Protoweave\n")
      file("proofs/Protoweave.lean", "import Protoweave.Base\n")
      const spec = "import Protoweave\n\nnamespace Tiny\n\ndef double (n : Nat) : Nat := n + n\n\nend Tiny\n"
      file("proofs/Generated/Tiny/Spec.lean", spec)
      file("proofs/Generated/Tiny/Automatic.lean", "import Generated.Tiny.Spec\n")
      file("proofs/Generated/Tiny/Open.lean", "import Generated.Tiny.Spec\n")
      file(
        "proofs/Proofs/Tiny.lean",
        [
          "import Generated.Tiny.Automatic",
          "import Generated.Tiny.Open",
          "",
          "namespace Tiny",
          "",
          "/-- Deliberately wrong: Lean rejects it and adds it anyway, with `sorryAx`, as a simp lemma. -/",
          "@[simp]",
          "theorem double_eq_triple (n : Nat) : double n = 3 * n := by",
          "  unfold double",
          "  omega",
          "",
          "/-- Only the rejected simp lemma closes this (it is false), and `simp` uses it without naming it. -/",
          "theorem two_doubled : double 2 = 6 := by",
          "  simp",
          "",
          "/-- A `simp` that needs no lemma about `double`. -/",
          "theorem arithmetic : 2 + 2 = 4 := by",
          "  simp",
          "",
          "theorem two_doubled_right : double 2 = 4 := by",
          "  decide",
          "",
          "theorem on_right : double 2 = 4 := two_doubled_right",
          "",
          "end Tiny",
          ""
        ].join("\n")
      )
      const exported = { spec: { name: "Tiny", family: "tiny" }, lean: spec, obligations: [], omitted: [] } as unknown as Exported
      const said: Array<string> = []
      const toolchain = LeanToolchain.find(() => {}, { native: false })
      const report = await Prove.prove([{ exported, differential: "", differentialChecks: 0, counterexamples: new Map() }], { root: dir, mode: "check", say: (l) => said.push(l), toolchain })
      const context = `\n${Prove.table(report)}\nerrors: ${report.errors.map((e) => `${e.file}:${e.line}: ${e.text}`).join("\n")}\n${said.join("\n")}`
      const row = (name: string) => {
        const rows = report.results.filter((r) => r.name === name)
        assert.strictEqual(rows.length, 1, `${name}${context}`)
        return rows[0]!
      }
      assert.strictEqual(report.criterion, "clean run", context)
      // Run 1 rejects the lemma (and accepts two_doubled through it); run 2, without it, rejects two_doubled; run 3 is clean.
      assert.strictEqual(report.runs, 3, context)
      assert.strictEqual(row("double_eq_triple").status, "failed", context)
      assert.deepInclude(row("two_doubled"), { status: "failed", by: "depends on a declaration that failed: double_eq_triple (failed) (Lean run 2 rejected it without them)" }, context)
      for (const t of ["arithmetic", "two_doubled_right", "on_right"]) assert.deepInclude(row(t), { status: "proved", by: "hand-written" }, `${t}${context}`)
      assert.deepStrictEqual(report.errors, [], context)
      assert.strictEqual(said.filter((l) => l.startsWith("protoweave: running Lean again")).length, 2, context)
      assert.isTrue(Prove.failed(report))
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it("says proved only for what rests on no failed lemma, stale for rows on a changed protocol, once per row, as the files say", { timeout: 60 * 60_000 }, async () => {
    const dir = fs.mkdtempSync("/tmp/protoweave-status-")
    try {
      fs.cpSync(path.join(root, "proofs/Protoweave"), path.join(dir, "proofs/Protoweave"), { recursive: true })
      fs.copyFileSync(path.join(root, "proofs/Protoweave.lean"), path.join(dir, "proofs/Protoweave.lean"))
      const spec = bundled.find((s) => s.family === "calculator")!
      const calculator = exportProtocol(root, spec)
      // The hand-written proofs, with a broken lemma, a hand proof of an obligation resting on it,
      // and theorems resting on the ladder's attempts (proved or open, whichever Lean decides).
      const handText = fs.readFileSync(path.join(root, "proofs/Proofs/Calculator.lean"), "utf8")
      const handProved = new Set(Obligations.theoremsOf(handText))
      assert.isFalse(handProved.has("coherence_init"))
      const attempted = calculator.obligations.filter((o) => o.name !== "coherence_init" && !handProved.has(o.name)).map((o) => o.name)
      // Inserted before the hand-written proofs, so that `assumed_inductive` uses this `coherence_init`.
      const opening = handText.indexOf("open Protoweave\n", handText.indexOf("namespace Calculator\n")) + "open Protoweave\n".length
      assert.isAbove(opening, "open Protoweave\n".length)
      fs.mkdirSync(path.join(dir, "proofs/Proofs"), { recursive: true })
      fs.writeFileSync(
        path.join(dir, "proofs/Proofs/Calculator.lean"),
        [
          handText.slice(0, opening),
          "/-- Deliberately broken: Lean rejects it and adds it with `sorryAx`. -/",
          "theorem broken_lemma : 1 + 1 = 3 := by decide",
          "",
          "theorem sound_lemma : 2 + 2 = 4 := by decide",
          "",
          "theorem coherence_init : HoldsInitially protocol wf coherence :=",
          "  absurd broken_lemma (by decide)",
          "",
          "theorem on_sound : 2 + 2 = 4 := sound_lemma",
          "",
          "theorem through_init : HoldsInitially protocol wf coherence := coherence_init",
          "",
          ...attempted.map((n) => `theorem uses_${n} : True := by\n  have := @${n}\n  trivial\n`),
          handText.slice(opening)
        ].join("\n")
      )
      // A protocol whose TypeScript changed since its files were generated: they are checked as they
      // are on disk, against the old Spec.lean.
      const source = path.join(dir, "src")
      fs.cpSync(path.join(root, "protocols/Calculator"), path.join(source, "protocols/Calculator"), { recursive: true })
      const protocolFile = path.join(source, spec.protocolFile)
      const before = fs.readFileSync(protocolFile, "utf8")
      const changed = before.replace("pending: [...s.pending, { peer: to, args: m.args }]", "pending: [{ peer: to, args: m.args }, ...s.pending]")
      assert.notStrictEqual(changed, before)
      fs.writeFileSync(protocolFile, changed)
      const renamed = { ...spec, name: "CalcOld" }
      const old = exportProtocol(source, renamed)
      const now = exportProtocol(root, renamed)
      assert.notStrictEqual(old.lean, now.lean)
      fs.mkdirSync(path.join(dir, "proofs/Generated/CalcOld"), { recursive: true })
      const initRungs = new Map(old.obligations.filter((o) => o.transition === undefined).map((o) => [o.name, "simp_all"]))
      fs.writeFileSync(path.join(dir, "proofs/Generated/CalcOld/Spec.lean"), old.lean)
      fs.writeFileSync(path.join(dir, "proofs/Generated/CalcOld/Automatic.lean"), Obligations.automatic(old, initRungs))
      fs.writeFileSync(path.join(dir, "proofs/Generated/CalcOld/Open.lean"), Obligations.open(old, old.obligations.filter((o) => !initRungs.has(o.name)).map((o) => o.name), new Map()))

      const said: Array<string> = []
      const report = await Prove.prove(
        [
          {
            exported: calculator,
            differential: "",
            differentialChecks: 0,
            counterexamples: new Map(),
            inductionCounterexamples: (open) => inductionCounterexamples("calculator", open, calculator.obligations)
          },
          { exported: now, differential: "", differentialChecks: 0, counterexamples: new Map(), dependency: true }
        ],
        { root: dir, mode: "discharge", say: (l) => said.push(l), toolchain: LeanToolchain.find(() => {}) }
      )
      const context = `\n${Prove.table(report)}\nerrors: ${report.errors.map((e) => `${e.file}:${e.line}: ${e.text}`).join("\n")}`
      const status = (protocol: string, name: string) => {
        const rows = report.results.filter((r) => r.protocol === protocol && r.name === name)
        assert.strictEqual(rows.length, 1, `${protocol}.${name} has one row: ${JSON.stringify(rows)}${context}`)
        return rows[0]!
      }
      assert.deepStrictEqual(report.errors, [], context)
      // Progress says what Lean is doing, never a status.
      assert.isAbove(said.filter((l) => l.startsWith("protoweave: trying Calculator.")).length, 0)
      for (const l of said) assert.match(l, /^protoweave: (checking .* in one Lean run|trying \S+|done \S+|trying #print axioms of \d+ theorems|running Lean again \(run \d+\) without \d+ declarations, for a run with no error)/)
      assert.isFalse(said.some((l) => /proved|open|failed/.test(l)), said.join("\n"))

      assert.strictEqual(status("Calculator", "broken_lemma").status, "failed", context)
      assert.strictEqual(status("Calculator", "sound_lemma").status, "proved", context)
      assert.strictEqual(status("Calculator", "on_sound").status, "proved", context)
      assert.deepInclude(status("Calculator", "coherence_init"), { status: "failed", by: "depends on broken_lemma (failed)" })
      assert.deepInclude(status("Calculator", "through_init"), { status: "failed", by: "depends on broken_lemma (failed)" })
      // The hand-written theorems built on it, as in the issue: Lean accepts them, they are not proved.
      for (const t of ["assumed_inductive", "responseCorrect_always"]) {
        assert.strictEqual(status("Calculator", t).status, "failed", t)
        assert.match(status("Calculator", t).by, /^depends on (.*, )?broken_lemma \(failed\)/, t)
      }
      assert.deepInclude(status("Calculator", "mem_of_mem_removeFirst"), { status: "proved", by: "hand-written" })
      for (const n of attempted) {
        const attempt = status("Calculator", n)
        const user = status("Calculator", `uses_${n}`)
        if (attempt.status === "proved") assert.strictEqual(user.status, "proved", n)
        else assert.deepInclude(user, { status: "failed", by: `depends on ${n} (open)` })
      }
      // The files written agree with the table.
      const generated = (f: string) => fs.readFileSync(path.join(dir, "proofs/Generated/Calculator", f), "utf8")
      const automatic = new Set(Obligations.theoremsOf(generated("Automatic.lean")))
      const openText = generated("Open.lean")
      const open = new Set(Obligations.theoremsOf(openText.replace(/^def /gm, "theorem ")))
      for (const o of calculator.obligations) {
        const r = status("Calculator", o.name)
        if (o.name === "coherence_init" || handProved.has(o.name)) {
          assert.strictEqual(r.by.startsWith("depends on") ? "hand-written" : r.by, "hand-written", o.name)
          continue
        }
        if (r.status === "proved") assert.isTrue(automatic.has(o.name) && !open.has(o.name), `${o.name} proved: in Automatic.lean only`)
        else {
          assert.strictEqual(r.status, "open", o.name)
          assert.isTrue(open.has(o.name) && !automatic.has(o.name), `${o.name} open: in Open.lean only`)
          // Its counterexample to induction, or what was searched, as a comment above it.
          const at = openText.indexOf(`def ${o.name} :`)
          const comment = openText.slice(openText.lastIndexOf("/--", at), at)
          assert.match(comment, /-- (Counterexample to induction \(protoweave induct calculator.*budget: seed 1|No counterexample|The search for a counterexample to induction failed)/, `${o.name}: ${comment}`)
        }
      }
      assert.isTrue(open.has("coherence_init") && !automatic.has("coherence_init"))
      assert.isAbove(report.results.filter((r) => r.protocol === "Calculator" && r.status === "open").length + automatic.size, 0)

      // Every row on the stale spec says so; none says proved.
      const oldRows = report.results.filter((r) => r.protocol === "CalcOld")
      assert.isAbove(oldRows.length, now.obligations.length)
      for (const r of oldRows) assert.strictEqual(r.status, "stale", `${r.name}: ${r.by}`)
      assert.isTrue(oldRows.some((r) => r.name === "Spec.lean"))
      assert.isTrue(oldRows.some((r) => r.by.includes("Lean accepted it")), "some old proofs are accepted against the old spec, and still not proved")
      assert.isTrue(Prove.failed(report))
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
    // Two instances of one protocol: the world invariant over both, proved by the ladder for each instance's transitions.
    assert.match(row(result.stdout, "DelegatingCalculator", "responsesCorrect_preserved_by_front_serverSend") ?? "", /proved\s+automatic/)
    assert.match(row(result.stdout, "DelegatingCalculator", "responsesCorrect_preserved_by_back_serverSend") ?? "", /proved\s+automatic/)
    assert.match(result.stdout, /\d+ proved, \d+ open, 0 failed, 0 stale; differential check: \d+ comparisons, 0 mismatches/)
    // Progress never states a status; the table states each once, as the files on disk say.
    for (const l of result.stderr.split("\n").filter((l) => l.startsWith("protoweave: "))) assert.notMatch(l, /proved|failed|open\b/, l)
    const rows = result.stdout.split("\n").map((l) => l.split(/\s+/)).filter((c) => ["proved", "open", "failed", "stale"].includes(c[2] ?? ""))
    const keys = rows.map((c) => `${c[0]}.${c[1]}`)
    assert.strictEqual(new Set(keys).size, keys.length, "one row per theorem")
    const theorems = (f: string) => new Set(declarationsOf(f, fs.readFileSync(path.join(root, "proofs", f), "utf8")).map((d) => d.name))
    for (const [protocol, name, status, by] of rows) {
      if (name === "Spec.lean") continue
      if (status === "proved" && by === "automatic") assert.isTrue(theorems(`Generated/${protocol}/Automatic.lean`).has(name!), `${protocol}.${name}`)
      if (status === "proved" && by === "hand-written") assert.isTrue(theorems(`Proofs/${protocol}.lean`).has(name!), `${protocol}.${name}`)
      if (status === "open") assert.isTrue(theorems(`Generated/${protocol}/Open.lean`).has(name!), `${protocol}.${name}`)
    }
  })
})
