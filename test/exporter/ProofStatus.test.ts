/**
 * How `prove` decides a theorem's status from what Lean printed, without starting Lean: a stand-in
 * for a native `lean` replays what Lean prints for the bundle (each `#print` string, an error for
 * each theorem named `broken…`, and, as a native Lean does, or as the WebAssembly build does, the
 * answer to each `#print axioms`). `Prove.test.ts` runs the same judgement on the real Lean.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "vitest"
import { bundled, inductionCounterexamples, root } from "./Bundled.ts"
import { exportProtocol } from "../../exporter/Export.ts"
import { declarationsOf, restsOn } from "../../exporter/LeanDeclarations.ts"
import { axiomsOf, readMessages } from "../../exporter/LeanMessage.ts"
import * as Obligations from "../../exporter/Obligations.ts"
import * as Prove from "../../exporter/Prove.ts"

/**
 * A `lean` that answers `#print axioms X` from `axioms` (or refuses it, as the WebAssembly build
 * does, when `axioms` is undefined), rejects every theorem named `broken…`, and rejects a theorem
 * named in `implicit` when the theorem it uses unnamed (as `simp` uses a `@[simp]` lemma) is not
 * in the file. Each run appends its file's name to `runs.txt`.
 */
const fakeLean = (dir: string, axioms: Axioms | undefined, implicit: { readonly [theorem: string]: string } = {}) => {
  fs.writeFileSync(
    path.join(dir, "lean"),
    `#!/usr/bin/env node
const fs = require("fs")
const axioms = ${JSON.stringify(axioms ?? null)}
const implicit = ${JSON.stringify(implicit)}
const file = process.argv[2]
fs.appendFileSync(${JSON.stringify(path.join(dir, "runs.txt"))}, file + "\\n")
const lines = fs.readFileSync(file, "utf8").split("\\n")
const declared = new Set(lines.map((l) => /^(?:@\\[simp\\] )?theorem (\\S+)/.exec(l)?.[1]).filter((n) => n !== undefined))
lines.forEach((l, i) => {
  let m
  if ((m = /^#print "(.*)"$/.exec(l))) console.log(m[1])
  if ((m = /^(?:@\\[simp\\] )?theorem (broken\\S*)/.exec(l))) console.log(file + ":" + (i + 1) + ":8: error: decide failed")
  if ((m = /^theorem (\\S+)/.exec(l)) && m[1] in implicit && !declared.has(implicit[m[1]])) console.log(file + ":" + (i + 1) + ":8: error: simp made no progress")
  if ((m = /^#print axioms (\\S+)/.exec(l))) {
    if (axioms === null) console.log(file + ":" + (i + 1) + ":0: error: cannot use \`#print axioms\` in a \`module\`; consider temporarily removing the \`module\` header or placing the command in a separate file")
    else if (m[1] in axioms) console.log(axioms[m[1]].length === 0 ? "'" + m[1] + "' does not depend on any axioms" : "'" + m[1] + "' depends on axioms: [" + axioms[m[1]].join(", ") + "]")
  }
})
`,
    { mode: 0o755 }
  )
  return { kind: "native" as const, lake: path.join(dir, "lake") }
}

const hand = [
  "import Generated.Calculator.Automatic",
  "import Generated.Calculator.Open",
  "",
  "namespace Calculator",
  "",
  "axiom cheat : False",
  "",
  "theorem broken : 1 + 1 = 3 := by decide",
  "",
  "theorem good : 2 + 2 = 4 := by decide",
  "",
  "/-- Names `broken`. -/",
  "theorem rests : 1 + 1 = 3 := by",
  "  exact broken",
  "",
  "theorem rests_further : True := by",
  "  have := rests",
  "  trivial",
  "",
  "theorem cheats : 1 = 2 := cheat.elim",
  "",
  "theorem unreported : True := trivial",
  "",
  "@[simp] theorem broken_simp : 1 + 1 = 3 := by decide",
  "",
  "theorem by_simp : 1 + 1 = 3 := by simp",
  "",
  "theorem coherence_init : HoldsInitially protocol wf coherence := by",
  "  exact absurd rests (by decide)",
  "",
  "end Calculator",
  ""
].join("\n")

/** A scratch root with Calculator's files as generated now (or `spec` on disk), and the hand file above. */
const scratchRoot = (spec?: string) => {
  const dir = fs.mkdtempSync("/tmp/protoweave-status-unit-")
  fs.cpSync(path.join(root, "proofs/Protoweave"), path.join(dir, "proofs/Protoweave"), { recursive: true })
  fs.copyFileSync(path.join(root, "proofs/Protoweave.lean"), path.join(dir, "proofs/Protoweave.lean"))
  const exported = exportProtocol(root, bundled.find((s) => s.family === "calculator")!)
  const generated = path.join(dir, "proofs/Generated/Calculator")
  fs.mkdirSync(generated, { recursive: true })
  const proved = new Map(exported.obligations.filter((o) => o.transition === undefined && o.name !== "coherence_init").map((o) => [o.name, "simp_all"]))
  fs.writeFileSync(path.join(generated, "Spec.lean"), spec ?? exported.lean)
  fs.writeFileSync(path.join(generated, "Automatic.lean"), Obligations.automatic(exported, proved))
  fs.writeFileSync(path.join(generated, "Open.lean"), Obligations.open(exported, exported.obligations.filter((o) => !proved.has(o.name)).map((o) => o.name), new Map()))
  fs.mkdirSync(path.join(dir, "proofs/Proofs"), { recursive: true })
  fs.writeFileSync(path.join(dir, "proofs/Proofs/Calculator.lean"), hand)
  return { dir, exported, proved }
}

type Axioms = { readonly [theorem: string]: ReadonlyArray<string> }

/** Runs `prove --check` on the scratch root; `axioms` gets the names of the automatic proofs too. */
type Implicit = { readonly [theorem: string]: string }

const judge = async (axioms: ((automatic: ReadonlyArray<string>) => Axioms) | undefined, spec?: string, implicit: (automatic: ReadonlyArray<string>) => Implicit = () => ({})) => {
  const { dir, exported, proved } = scratchRoot(spec)
  try {
    const said: Array<string> = []
    const report = await Prove.prove([{ exported, differential: "", differentialChecks: 0, counterexamples: new Map() }], {
      root: dir,
      mode: "check",
      say: (l) => said.push(l),
      toolchain: fakeLean(dir, axioms?.([...proved.keys()]), implicit([...proved.keys()]))
    })
    const runs = fs.readFileSync(path.join(dir, "runs.txt"), "utf8").trim().split("\n").length
    const row = (name: string) => {
      const rows = report.results.filter((r) => r.name === name)
      assert.strictEqual(rows.length, 1, `one row for ${name}`)
      return rows[0]!
    }
    return { report, row, said, runs, proved: [...proved.keys()] }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

const clean = ["Classical.choice", "Quot.sound", "propext"]

describe("a theorem's status", () => {
  it("follows #print axioms where Lean gives it: sorryAx or another axiom is a failure, named by the lemma it comes from", async () => {
    const { report, row, proved } = await judge((automatic) => ({
      "Calculator.broken": ["sorryAx"],
      "Calculator.broken_simp": ["sorryAx"],
      "Calculator.good": [],
      "Calculator.rests": ["propext", "sorryAx"],
      "Calculator.rests_further": ["sorryAx"],
      "Calculator.by_simp": ["sorryAx"],
      "Calculator.cheats": ["Calculator.cheat"],
      "Calculator.coherence_init": ["sorryAx"],
      ...Object.fromEntries(automatic.map((n, i) => [`Calculator.${n}`, i === 0 ? clean : ["propext", "sorryAx"]]))
    }))
    assert.isAtLeast(proved.length, 2)
    assert.strictEqual(report.criterion, "print axioms")
    assert.deepInclude(row("broken"), { status: "failed", by: "hand-written", message: "decide failed" })
    assert.deepInclude(row("good"), { status: "proved", by: "hand-written" })
    assert.deepInclude(row("rests"), { status: "failed", by: "depends on broken (failed)" })
    assert.deepInclude(row("rests_further"), { status: "failed", by: "depends on broken (failed)" })
    assert.deepInclude(row("by_simp"), { status: "failed", by: "depends on broken_simp (failed)" })
    assert.deepInclude(row("cheats"), { status: "failed", by: "depends on cheat (an axiom)" })
    assert.deepInclude(row("coherence_init"), { status: "failed", by: "depends on broken (failed)" })
    assert.deepInclude(row(proved[0]!), { status: "proved", by: "automatic" })
    // The kernel's word wins: an automatic proof that names nothing failed but rests on sorryAx.
    assert.deepInclude(row(proved[1]!), { status: "failed", by: "depends on sorryAx" })
    // A theorem Lean gave no axioms for is not proved.
    assert.deepInclude(row("unreported"), { status: "failed", by: "Lean did not report its axioms" })
    assert.deepStrictEqual(report.errors, [])
    assert.isTrue(Prove.failed(report))
  })

  it("where Lean refuses #print axioms, removes what failed and runs Lean again until a run has no error, and claims the refusals", async () => {
    // by_simp's `simp` needs broken_simp without naming it: only a run without broken_simp shows it.
    const { report, row, said, runs, proved } = await judge(undefined, undefined, () => ({ by_simp: "broken_simp" }))
    assert.strictEqual(report.criterion, "clean run")
    assert.strictEqual(report.runs, 3)
    assert.strictEqual(runs, 3)
    assert.deepInclude(row("good"), { status: "proved" })
    assert.deepInclude(row("unreported"), { status: "proved" })
    assert.deepInclude(row("broken"), { status: "failed", by: "hand-written", message: "decide failed" })
    assert.deepInclude(row("rests"), { status: "failed", by: "depends on broken (failed)" })
    assert.deepInclude(row("rests_further"), { status: "failed", by: "depends on broken (failed)" })
    assert.deepInclude(row("coherence_init"), { status: "failed", by: "depends on broken (failed)" })
    // The use textual references cannot see: the kernel's run without broken_simp rejects by_simp.
    assert.deepInclude(row("by_simp"), { status: "failed", by: "depends on a declaration that failed: broken_simp (failed) (Lean run 2 rejected it without them)", message: "simp made no progress" })
    assert.deepInclude(row("cheats"), { status: "failed", by: "depends on cheat (an axiom)" })
    assert.deepInclude(row(proved[0]!), { status: "proved", by: "automatic" })
    assert.deepStrictEqual(report.errors, [], "the refused #print axioms are not errors of the run")
    // Progress: what Lean is trying and has done, and each new run; no status.
    assert.include(said, "protoweave: trying proofs/Proofs/Calculator.lean")
    assert.include(said, "protoweave: done proofs/Proofs/Calculator.lean")
    assert.strictEqual(said.filter((l) => l.startsWith("protoweave: running Lean again")).length, 2)
    assert.isFalse(said.some((l) => /proved|failed|open/.test(l)))
  })

  it("proves nothing when no run is free of errors within the limit of runs", async () => {
    // A chain of hidden uses longer than the runs prove makes: every run rejects one more theorem.
    const { report, row, runs, proved } = await judge(undefined, undefined, ([p0, p1]) => ({ by_simp: "broken_simp", good: "by_simp", unreported: "good", [p0!]: "unreported", [p1!]: p0! }))
    assert.strictEqual(report.runs, 6)
    assert.strictEqual(runs, 6)
    // Nothing attributed explains it: every declaration removed before run 4 that it can see is named.
    assert.strictEqual(row("unreported").status, "failed")
    assert.match(row("unreported").by, /^depends on a declaration that failed: cheat \(an axiom\), .*broken \(failed\), .*good \(failed\) \(Lean run 4 rejected it without them\)$/)
    assert.deepStrictEqual(report.results.filter((r) => r.status === "proved"), [])
    assert.isAtLeast(proved.length, 3)
    assert.match(row(proved[2]!).by, /^not established: no Lean run was free of errors \(Lean run 6 still reported errors, and prove stops after 6 runs\)/)
  })

  it("says stale, not proved, for every row checked against a Spec.lean the exporter no longer generates", async () => {
    const exported = exportProtocol(root, bundled.find((s) => s.family === "calculator")!)
    const { report, proved } = await judge((automatic) => Object.fromEntries(["good", ...automatic].map((n) => [`Calculator.${n}`, clean])), `${exported.lean}\n-- changed\n`)
    assert.isAbove(proved.length, 0)
    for (const r of report.results) assert.strictEqual(r.status, "stale", `${r.name}: ${r.by}`)
    assert.include(report.results.find((r) => r.name === "good")!.by, "Lean accepted it")
    assert.include(report.results.find((r) => r.name === "Spec.lean")!.by, "differs from what the exporter generates now")
    assert.isTrue(Prove.failed(report))
  })
})

describe("the files a discharge writes", () => {
  it("keep what the table calls proved in Automatic.lean and what it calls open in Open.lean, each open one with its counterexample to induction", async () => {
    const dir = fs.mkdtempSync("/tmp/protoweave-status-unit-")
    try {
      fs.cpSync(path.join(root, "proofs/Protoweave"), path.join(dir, "proofs/Protoweave"), { recursive: true })
      fs.copyFileSync(path.join(root, "proofs/Protoweave.lean"), path.join(dir, "proofs/Protoweave.lean"))
      const exported = exportProtocol(root, bundled.find((s) => s.family === "calculator")!)
      // The ladder "succeeds" on every initial-state obligation and fails on the rest, and every
      // rung's success is printed before Lean decides: a progress line that must not be echoed.
      fs.writeFileSync(
        path.join(dir, "lean"),
        `#!/usr/bin/env node
const fs = require("fs")
const file = process.argv[2]
fs.readFileSync(file, "utf8").split("\\n").forEach((l, i) => {
  let m
  if ((m = /^#print "(.*)"$/.exec(l))) console.log(m[1])
  if ((m = /protoweave_ladder "(\\S+)"/.exec(l))) {
    console.log("protoweave: " + m[1] + " proved by simp_all")
    if (!m[1].endsWith("_init")) console.log(file + ":" + (i + 1) + ":70: error: (deterministic) timeout at whnf")
  }
  if (/^#print axioms/.test(l)) console.log(file + ":" + (i + 1) + ":0: error: cannot use \`#print axioms\` in a \`module\`")
})
`,
        { mode: 0o755 }
      )
      const asked: Array<string> = []
      const said: Array<string> = []
      const report = await Prove.prove(
        [
          {
            exported,
            differential: "",
            differentialChecks: 0,
            counterexamples: new Map(),
            inductionCounterexamples: (open) => {
              asked.push(...open.map((o) => o.name))
              return new Map(open.map((o) => [o.name, `CTI for ${o.name}\nsecond line`]))
            }
          }
        ],
        { root: dir, mode: "discharge", say: (l) => said.push(l), toolchain: { kind: "native", lake: path.join(dir, "lake") } }
      )
      const read = (f: string) => fs.readFileSync(path.join(dir, "proofs/Generated/Calculator", f), "utf8")
      const automatic = new Set(Obligations.theoremsOf(read("Automatic.lean")))
      const openText = read("Open.lean")
      const open = new Set(Obligations.theoremsOf(openText.replace(/^def /gm, "theorem ")))
      assert.isAbove(automatic.size, 0)
      assert.isAbove(open.size, 0)
      for (const o of exported.obligations) {
        const rows = report.results.filter((r) => r.name === o.name)
        assert.strictEqual(rows.length, 1, o.name)
        if (rows[0]!.status === "proved") assert.isTrue(automatic.has(o.name) && !open.has(o.name), o.name)
        else {
          assert.strictEqual(rows[0]!.status, "open", o.name)
          assert.isTrue(open.has(o.name) && !automatic.has(o.name), o.name)
          assert.include(openText, `-- CTI for ${o.name}\n-- second line\ndef ${o.name} :`)
        }
      }
      assert.deepStrictEqual(asked, exported.obligations.filter((o) => !o.name.endsWith("_init")).map((o) => o.name), "asked for the open obligations only")
      assert.isFalse(said.some((l) => /proved/.test(l)), "the ladder's own lines are not progress")
      assert.include(said, "protoweave: trying Calculator.coherence_init")
      assert.include(said, "protoweave: done Calculator.coherence_init")
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it("get, from induct's search, a counterexample or what was searched, with the budget", () => {
    const exported = exportProtocol(root, bundled.find((s) => s.family === "calculator")!)
    const o = exported.obligations.find((x) => x.name === "responseCorrect_preserved_by_serverSend")!
    const text = inductionCounterexamples("calculator", [o], exported.obligations).get(o.name)!
    assert.match(text, /^Counterexample to induction \(protoweave induct calculator, clients=2 servers=1 requests=2; budget: seed 1, a breadth-first search of 1000 states, 20 walks of 20 steps, 300 candidates\):\nresponseCorrect_preserved_by_serverSend: /)
  })
})

describe("reading Lean files and output", () => {
  it("finds declarations with their namespaces, spans and attributes", () => {
    const ds = declarationsOf(
      "A.lean",
      "namespace A\nnamespace B\ntheorem x : True := by\n  trivial\nend B\n/-- doc -/\nprivate theorem y : True := B.x\nattribute [simp] y\ninstance : Inhabited Nat := ⟨0⟩\nend A\naxiom z : False"
    )
    assert.deepStrictEqual(
      ds.map((d) => [d.kind, d.fullName, d.line, d.end, d.attributed]),
      [
        ["theorem", "A.B.x", 3, 4, false],
        ["theorem", "A.y", 7, 7, true],
        ["instance", "A.instance@9", 9, 9, true],
        ["axiom", "z", 11, 11, false]
      ]
    )
  })

  it("rests a declaration on the roots it names, directly or not, and only on those it can see", () => {
    const a = declarationsOf("A.lean", "theorem bad : False := sorry\ntheorem fine : True := trivial")
    const b = declarationsOf("B.lean", "theorem uses : True := by\n  have := bad\n  trivial\ntheorem other : True := fine\ntheorem further : True := uses")
    const c = declarationsOf("C.lean", "theorem bad2 : True := bad")
    const all = [...a, ...b, ...c]
    const rests = restsOn(all, new Set([a[0]!]), (from, to) => from.file === to.file || (from.file === "B.lean" && to.file === "A.lean"))
    const names = (i: number) => [...rests.get(all[i]!)!].map((d) => d.name)
    assert.deepStrictEqual([0, 1, 2, 3, 4, 5].map(names), [["bad"], [], ["bad"], [], ["bad"], []])
  })

  it("reads #print axioms, over lines too, and keeps prove's own lines out of Lean's messages", () => {
    const out = "B.lean:1:0: error: oops\n  detail\n'A.x' depends on axioms: [propext,\n  sorryAx]\nprotoweave: done A.lean\n'A.«y z»' does not depend on any axioms\n"
    assert.deepStrictEqual([...axiomsOf(out)], [["A.x", ["propext", "sorryAx"]], ["A.y z", []]])
    const { messages, plain } = readMessages(out, "B.lean", { origin: [{ file: "A.lean", line: 3 }] })
    assert.deepStrictEqual(messages.map((m) => m.text), ["oops\n  detail"])
    assert.include(plain, "protoweave: done A.lean")
  })
})
