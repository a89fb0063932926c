/**
 * Proving exported protocols with one Lean run. Every Lean run costs about two minutes of
 * start-up here (DESIGN §4), so `prove` bundles everything into one file: the core library, each
 * protocol's generated spec, its obligations, its hand-written proofs and its differential check.
 *
 * - `discharge` states each obligation that no hand-written proof proves with the tactic ladder
 *   as its proof; after the run it writes `Generated/<Name>/Spec.lean`, `Automatic.lean` (what Lean
 *   accepted, each with the rung that worked) and `Open.lean` (the rest, as named propositions).
 * - `check` checks the files as they are on disk (what CI runs), after checking that the spec on
 *   disk is the one the exporter generates now.
 *
 * Either way every obligation and hand-written theorem gets one status, decided after the run:
 * `proved` only when Lean accepted it and nothing it rests on is a gap — `#print axioms` names no
 * axiom beyond `propext`, `Classical.choice` and `Quot.sound` (where Lean refuses `#print axioms`,
 * as the WebAssembly build does, no declaration it names, directly or through others, was
 * rejected, uses `sorry` or is an `axiom`: `LeanDeclarations.ts`); `failed` when Lean rejected it
 * or it rests on a declaration that failed (`depends on <lemma>`); `open` when the ladder did not
 * prove it and no hand-written proof does; `stale` when it was checked against a generated
 * `Spec.lean` that is not what the exporter generates now. While Lean runs, progress lines only
 * say what it is `trying` and when it is `done`; the status is in the report, once. The run fails
 * on any failed or stale row, any Lean error outside them, and a differential mismatch.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { type Bundle, bundle, edit, importsOf, type LeanSource } from "./Bundle.ts"
import type { Exported, Obligation } from "./Export.ts"
import * as LeanDeclarations from "./LeanDeclarations.ts"
import { axiomsOf, type LeanMessage, provedBy, readMessages, standardAxioms } from "./LeanMessage.ts"
import * as LeanProject from "./LeanProject.ts"
import * as LeanToolchain from "./LeanToolchain.ts"
import * as Obligations from "./Obligations.ts"

/** How one obligation or hand-written theorem came out. */
export interface Result {
  readonly protocol: string
  readonly name: string
  readonly status: "proved" | "open" | "failed" | "stale"
  /** The rung that proved it, `hand-written`, or why it is open, failed or stale. */
  readonly by: string
  /** Lean's message, for failures. */
  readonly message?: string
}

/** The outcome of one `prove`. */
export interface Report {
  readonly results: ReadonlyArray<Result>
  /** Lean errors that belong to no obligation (a spec that does not elaborate, a mismatch). */
  readonly errors: ReadonlyArray<LeanMessage>
  readonly differential: { readonly checks: number; readonly mismatches: ReadonlyArray<LeanMessage> }
  readonly seconds: number
  readonly written: ReadonlyArray<string>
  readonly toolchain: LeanToolchain.Toolchain["kind"]
  /**
   * How "proved" was decided beyond Lean accepting the theorem: by `#print axioms` (a native Lean),
   * or, where Lean refuses it, by a clean run — one in which Lean reported no error and no `sorry`
   * at all, reached by removing what failed and running Lean again.
   */
  readonly criterion: "print axioms" | "clean run"
  /** How many Lean runs that took. */
  readonly runs: number
}

/** What a protocol brings to the run besides its export. */
export interface ProtocolInput {
  readonly exported: Exported
  /** Lean `example`s comparing Lean's evaluation with TypeScript's on sampled states. */
  readonly differential: string
  readonly differentialChecks: number
  /** Counterexamples from the model checker, by invariant. */
  readonly counterexamples: ReadonlyMap<string, string>
  /**
   * Counterexamples to induction for the obligations that stayed open, by obligation, as plain
   * text for `Open.lean` (saying what was searched when none was found). Called after the run,
   * with the open obligations only.
   */
  readonly inductionCounterexamples?: (open: ReadonlyArray<Obligation>) => ReadonlyMap<string, string>
  /** Only here because a world imports it: checked as it is on disk, never rewritten. */
  readonly dependency?: boolean
}

/** The options of a run. */
export interface ProveOptions {
  /** The project: generated files go to its `proofs/Generated/`, hand-written proofs are read from its `proofs/Proofs/`. */
  readonly root: string
  /** The folder of the Protoweave Lean library (`Protoweave.lean`, `Protoweave/`): the package's `proofs/`; `<root>/proofs` by default. */
  readonly library?: string
  readonly mode: "discharge" | "check"
  /** Progress: `protoweave: trying ...` and `protoweave: done ...` lines, never a status. */
  readonly say: (line: string) => void
  readonly toolchain: LeanToolchain.Toolchain
}

/** The Protoweave library's files, named relative to the project's root in messages. */
const coreSources = (root: string, library: string): ReadonlyArray<LeanSource> => {
  const dir = path.join(library, "Protoweave")
  const shown = (file: string) => path.relative(root, file).split(path.sep).join("/")
  return [
    ...fs.readdirSync(dir).filter((f) => f.endsWith(".lean")).sort().map((f) => ({
      file: shown(path.join(dir, f)),
      module: `Protoweave.${f.slice(0, -".lean".length)}`,
      text: fs.readFileSync(path.join(dir, f), "utf8")
    })),
    { file: shown(path.join(library, "Protoweave.lean")), module: "Protoweave", text: fs.readFileSync(path.join(library, "Protoweave.lean"), "utf8") }
  ]
}

const read = (file: string): string | undefined => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined)

/** Why a declaration was left out of a later Lean run. */
type Removal =
  | { readonly run: number; readonly cause: "gap"; readonly word: LeanDeclarations.Gap["word"]; readonly on: ReadonlyArray<LeanDeclarations.Declaration> }
  /** Lean rejected it in run `run` (after `on` had been removed, when `run` > 1). */
  | { readonly run: number; readonly cause: "error"; readonly message: string; readonly on: ReadonlyArray<LeanDeclarations.Declaration> }
  /** It names `on`, which were removed: it cannot elaborate without them. */
  | { readonly run: number; readonly cause: "names"; readonly on: ReadonlyArray<LeanDeclarations.Declaration> }

/** The runs that led to a run with no error (`clean`), or why none did. */
interface CleanRuns {
  readonly removed: ReadonlyMap<LeanDeclarations.Declaration, Removal>
  readonly runs: number
  readonly clean: boolean
  readonly crashed: boolean
  readonly why?: string
  /** The time of the runs after the first. */
  readonly seconds: number
}

/** One Lean run on a bundle: its output, messages, progress lines, and whether it reached the end. */
interface LeanPass {
  readonly run: LeanToolchain.LeanRun
  readonly messages: ReadonlyArray<LeanMessage>
  readonly progress: ReadonlyArray<string>
  readonly crashed: boolean
}

/** Each Lean run without `#print axioms` removes at least one declaration; this many is enough for a chain of hidden uses. */
const maxRuns = 6

const isError = (m: LeanMessage) => m.severity === "error" || /declaration uses `?'?sorry/.test(m.text)

/** The bundle's last line of output: a run without it stopped before the end. */
const finished = "protoweave: done #print axioms"

/** Where the `#print axioms` commands appended to the bundle come from, in messages. */
const axiomsFile = "protoweave: #print axioms"

/**
 * The bundle with progress lines around each source (`#print "protoweave: trying <file>"`, and
 * `done`) and a `#print axioms` for each of `theorems` at the end.
 */
const instrument = (bundled: Bundle, theorems: ReadonlyArray<string>): Bundle => {
  const text: Array<string> = []
  const origin: Array<{ readonly file: string; readonly line: number }> = []
  const push = (line: string, from: { readonly file: string; readonly line: number }) => {
    text.push(line)
    origin.push(from)
  }
  const progress = { file: "protoweave: progress", line: 0 }
  bundled.text.split("\n").forEach((line, i) => {
    const from = bundled.origin[i]!
    const previous = bundled.origin[i - 1]
    if (previous?.file !== from.file) {
      if (previous !== undefined) push(`#print "protoweave: done ${previous.file}"`, progress)
      push(`#print "protoweave: trying ${from.file}"`, progress)
    }
    push(line, from)
  })
  const last = bundled.origin.at(-1)
  if (last !== undefined) push(`#print "protoweave: done ${last.file}"`, progress)
  push("", { file: axiomsFile, line: 0 })
  push(`#print "protoweave: trying #print axioms of ${theorems.length} theorems"`, progress)
  theorems.forEach((t, i) => push(`#print axioms ${t}`, { file: axiomsFile, line: i + 1 }))
  push(`#print "${finished}"`, progress)
  return { text: text.join("\n"), origin }
}

/** The modules each module imports, directly or not. */
const importClosure = (sources: ReadonlyArray<LeanSource>): ReadonlyMap<string, ReadonlySet<string>> => {
  const direct = new Map(sources.map((s) => [s.module, importsOf(s.text)]))
  const closure = new Map<string, Set<string>>()
  const visit = (m: string): Set<string> => {
    const known = closure.get(m)
    if (known !== undefined) return known
    const all = new Set<string>()
    closure.set(m, all)
    for (const d of direct.get(m) ?? []) {
      all.add(d)
      for (const x of visit(d)) all.add(x)
    }
    return all
  }
  for (const s of sources) visit(s.module)
  return closure
}

/** Runs Lean once on every protocol and reports each obligation's status. */
export const prove = async (inputs: ReadonlyArray<ProtocolInput>, options: ProveOptions): Promise<Report> => {
  const sources: Array<LeanSource> = [...coreSources(options.root, options.library ?? path.join(options.root, "proofs"))]
  const plans = inputs.map((input) => {
    const { exported } = input
    const name = exported.spec.name
    const generated = `proofs/Generated/${name}`
    const handFile = `proofs/Proofs/${name}.lean`
    const hand = read(path.join(options.root, handFile))
    const handTheorems = hand === undefined ? [] : LeanDeclarations.declarationsOf(handFile, hand).filter((d) => d.kind === "theorem").map((d) => d.name)
    const obligationNames = exported.obligations.map((o) => o.name)
    const handProved = new Set(handTheorems.filter((t) => obligationNames.includes(t)))
    const specOnDisk = read(path.join(options.root, generated, "Spec.lean"))
    const mode = input.dependency === true ? "check" : options.mode
    const stale = mode === "check" && specOnDisk !== exported.lean
    let automaticText: string
    let openText: string
    if (mode === "discharge") {
      automaticText = Obligations.attempts(exported, handProved)
      openText = Obligations.open(exported, obligationNames, input.counterexamples, handProved)
    } else {
      automaticText = read(path.join(options.root, generated, "Automatic.lean")) ?? Obligations.automatic(exported, new Map())
      openText = read(path.join(options.root, generated, "Open.lean")) ?? Obligations.open(exported, [], new Map())
    }
    const files = {
      spec: `${generated}/Spec.lean`,
      automatic: `${generated}/Automatic.lean`,
      open: `${generated}/Open.lean`
    }
    sources.push(
      { file: files.spec, module: `Generated.${name}.Spec`, text: mode === "check" && specOnDisk !== undefined ? specOnDisk : exported.lean },
      { file: files.automatic, module: `Generated.${name}.Automatic`, text: automaticText },
      { file: files.open, module: `Generated.${name}.Open`, text: openText },
      { file: `differential/${name}.lean`, module: `Differential.${name}`, text: input.differential }
    )
    if (hand !== undefined) sources.push({ file: handFile, module: `Proofs.${name}`, text: hand })
    return { input, mode, name, generated, files, handFile, hand, handTheorems, handProved, automaticText, openText, stale }
  })

  // Every declaration of the files with rows, in the order Lean checks them, and which files see which.
  const bundled: Bundle = bundle(sources)
  const moduleOf = new Map(sources.map((s) => [s.file, s.module]))
  const textOf = new Map(sources.map((s) => [s.file, s.text]))
  const closure = importClosure(sources)
  const fileOrder = [...new Set(bundled.origin.map((o) => o.file))]
  const declarations = fileOrder.flatMap((f) => {
    const text = textOf.get(f)
    return text === undefined ? [] : LeanDeclarations.declarationsOf(f, text)
  })
  const sees = (from: LeanDeclarations.Declaration, to: LeanDeclarations.Declaration) =>
    from.file === to.file || closure.get(moduleOf.get(from.file)!)?.has(moduleOf.get(to.file)!) === true
  const declarationOf = (file: string, name: string) => declarations.find((d) => d.file === file && d.name === name && d.kind === "theorem")
  const declarationAt = (file: string, line: number) => declarations.find((d) => d.file === file && d.line <= line && line <= d.end)
  const rowTheorems = plans.flatMap((plan) => [
    ...declarations.filter((d) => d.file === plan.files.automatic && d.kind === "theorem"),
    ...declarations.filter((d) => d.file === plan.handFile && d.kind === "theorem")
  ])

  // What the kernel is not asked to check: an axiom, `sorry`, `native_decide`, compiled code. A
  // declaration using one is a gap whatever Lean says; one outside every declaration stops "proved".
  const gapOf = new Map<LeanDeclarations.Declaration, LeanDeclarations.Gap>()
  const strayGaps: Array<LeanMessage> = []
  for (const f of fileOrder) {
    if (f.startsWith("differential/")) continue
    for (const g of LeanDeclarations.gapsOf(textOf.get(f) ?? "")) {
      const d = declarationAt(f, g.line)
      if (d !== undefined) {
        if (!gapOf.has(d)) gapOf.set(d, g)
      } else {
        strayGaps.push({ severity: "error", file: f, line: g.line, bundleLine: 0, text: `\`${g.word}\` outside a declaration: prove cannot tell what rests on it, so no theorem is proved` })
      }
    }
  }

  // The WebAssembly build refuses `#print axioms`, and each refusal is an error: Lean stops after
  // `maxErrors` (100) of them, before the end of the bundle. Only a native Lean is asked.
  const instrumented = instrument(bundled, options.toolchain.kind === "native" ? rowTheorems.map((d) => d.fullName) : [])
  const dir = fs.mkdtempSync("/tmp/protoweave-prove-")
  const names = inputs.map((i) => i.exported.spec.name).join(", ")
  const lean = async (text: string, run: number): Promise<LeanPass> => {
    const file = path.join(dir, `Bundle${run}.lean`)
    fs.writeFileSync(file, text)
    const out = await LeanToolchain.check(options.toolchain, file, (line) => {
      if (/^protoweave: (trying|done) /.test(line)) options.say(line)
    })
    const progress = out.output.split("\n").filter((l) => /^protoweave: (trying|done) /.test(l))
    return { run: out, messages: readMessages(out.output, path.basename(file), instrumented).messages, progress, crashed: !progress.includes(finished) }
  }
  options.say(`protoweave: checking ${names} in one Lean run (${instrumented.origin.length} lines; Lean takes about two minutes to start)`)
  const first = await lean(instrumented.text, 1)
  const { run, messages } = first
  const proved = provedBy(run.output)
  const axioms = axiomsOf(run.output)
  const claimed = new Set<LeanMessage>()
  const axiomMessages = messages.filter((m) => m.file === axiomsFile)
  for (const m of axiomMessages) claimed.add(m)
  const printAxioms = options.toolchain.kind === "native" && !first.crashed && !axiomMessages.some((m) => m.text.includes("cannot use `#print axioms`"))

  /** A declaration's own errors (and `sorry` warnings) in a run's messages. */
  const errorsIn = (ms: ReadonlyArray<LeanMessage>, d: LeanDeclarations.Declaration) => ms.filter((m) => m.file === d.file && m.line >= d.line && m.line <= d.end && isError(m))
  const ownErrors = (d: LeanDeclarations.Declaration) => errorsIn(messages, d)
  const roots = new Set(declarations.filter((d) => d.kind === "axiom" || gapOf.has(d) || ownErrors(d).length > 0))
  const rests = LeanDeclarations.restsOn(declarations, roots, sees)
  const named = LeanDeclarations.restsOn(declarations, roots, sees, false)

  // Without `#print axioms`, the kernel's word comes from a run with no error at all: what failed
  // (and what names it) is removed and Lean runs again, until a run is clean.
  const strayErrors: Array<LeanMessage> = []
  const kernel = printAxioms ? undefined : await cleanRuns()
  async function cleanRuns(): Promise<CleanRuns> {
    const removed = new Map<LeanDeclarations.Declaration, Removal>()
    const remove = (failed: ReadonlyArray<[LeanDeclarations.Declaration, Removal]>, run: number) => {
      for (const [d, r] of failed) removed.set(d, r)
      const present = declarations.filter((d) => !removed.has(d) || failed.some(([f]) => f === d))
      const because = LeanDeclarations.restsOn(present, new Set(failed.map(([d]) => d)), sees, false)
      for (const d of present) {
        const on = [...(because.get(d) ?? [])].filter((r) => r !== d)
        if (!removed.has(d) && on.length > 0) removed.set(d, { run, cause: "names", on })
      }
    }
    // A gap is removed whatever Lean says of it: a theorem using it unnamed is accepted without complaint.
    remove([...gapOf].map(([d, g]): [LeanDeclarations.Declaration, Removal] => [d, { run: 1, cause: "gap", word: g.word, on: [] }]), 1)
    let pass = first
    let runs = 1
    let seconds = 0
    const end = (clean: boolean, why?: string): CleanRuns => ({ removed, runs, clean, crashed: pass.crashed, seconds, ...(why === undefined ? {} : { why }) })
    for (;;) {
      if (pass.crashed) return end(false, `Lean run ${runs} stopped before the end of the bundle`)
      // A differential check is an `example`: it adds nothing that anything could rest on.
      const ms = pass.messages.filter((m) => m.file !== axiomsFile && !m.file.startsWith("differential/") && isError(m))
      const failed = declarations.filter((d) => !removed.has(d) && errorsIn(ms, d).length > 0)
      const stray = ms.filter((m) => declarationAt(m.file, m.line) === undefined)
      if (stray.length > 0) {
        if (runs > 1) strayErrors.push(...stray)
        return end(false, `Lean run ${runs} reported an error outside every declaration, at ${stray[0]!.file}:${stray[0]!.line}`)
      }
      if (failed.length === 0 && !(runs === 1 && gapOf.size > 0)) return end(true)
      if (runs >= maxRuns) return end(false, `Lean run ${runs} still reported errors, and prove stops after ${maxRuns} runs`)
      remove(
        failed.map((d): [LeanDeclarations.Declaration, Removal] => [
          d,
          { run: runs, cause: "error", message: errorsIn(ms, d)[0]!.text, on: [...removed.keys()].filter((r) => r !== d && sees(d, r) && (r.file !== d.file || r.line < d.line)) }
        ]),
        runs
      )
      runs++
      options.say(`protoweave: running Lean again (run ${runs}) without ${removed.size} declarations, for a run with no error`)
      pass = await lean(withoutRemoved(removed), runs)
      seconds += pass.run.seconds
    }
  }
  /** The bundle without the removed declarations (their lines blanked), the differential checks and `#print axioms`. */
  function withoutRemoved(removed: ReadonlyMap<LeanDeclarations.Declaration, Removal>): string {
    const blank = new Map<string, Set<number>>()
    const removedNames = new Set<string>()
    for (const d of removed.keys()) {
      const { from, to } = LeanDeclarations.removalRange(textOf.get(d.file)!, d)
      const lines = blank.get(d.file) ?? new Set<number>()
      for (let l = from; l <= to; l++) lines.add(l)
      blank.set(d.file, lines)
      removedNames.add(d.name)
    }
    return edit(instrumented, (line, from) => {
      if (from.file === axiomsFile || from.file.startsWith("differential/") || blank.get(from.file)?.has(from.line) === true) return ""
      const attribute = /^(attribute\s+\[[^\]]*\]\s+)(.*)$/.exec(line)
      if (attribute === null) return line
      const kept = attribute[2]!.split(/\s+/).filter((n) => n !== "" && !removedNames.has(n.split(".").pop()!))
      return kept.length === 0 ? "" : `${attribute[1]}${kept.join(" ")}`
    }).text
  }

  // Which generated specs each plan's files rest on, to mark rows checked against a stale one.
  const staleSpecs = new Set(plans.filter((p) => p.stale).map((p) => `Generated.${p.name}.Spec`))
  const staleUnder = (f: string): ReadonlyArray<string> => {
    const m = moduleOf.get(f)
    if (m === undefined) return []
    return [...staleSpecs].filter((s) => s === m || closure.get(m)?.has(s) === true).map((s) => `proofs/${s.split(".").slice(0, 2).join("/")}/Spec.lean`)
  }

  // A run that stopped before the end of the bundle (a crash of the WebAssembly build, memory)
  // decided nothing after that point: what it did not reach must not be written down as open.
  const crashed = first.crashed
  const results: Array<Result> = []
  const written: Array<string> = []

  /**
   * The verdict on a theorem Lean checked: its own error, then what it rests on — by `#print
   * axioms` where Lean gives it, else by whether a run with no error at all accepted it.
   * `attempt`: a ladder attempt, open rather than failed when Lean rejects it.
   */
  const verdict = (plan: (typeof plans)[number], d: LeanDeclarations.Declaration, proofBy: string, attempt: boolean): Omit<Result, "protocol" | "name"> => {
    const own = ownErrors(d)
    for (const m of own) claimed.add(m)
    const stale = staleUnder(d.file)
    const staleBy = (was: string) =>
      `stale: checked against ${stale.join(", ")}, which is not what the exporter generates now (${was}); run npx protoweave prove ${plan.input.exported.spec.family}`
    const name = (r: LeanDeclarations.Declaration) => {
      const short = r.fullName.startsWith(`${plan.name}.`) ? r.fullName.slice(plan.name.length + 1) : r.fullName
      if (r.kind === "axiom") return `${short} (an axiom)`
      const gap = gapOf.get(r)
      if (gap !== undefined) return `${short} (uses ${gap.word})`
      const opened = r.file === plan.files.automatic && plan.mode === "discharge"
      return `${short} (${opened ? "open" : "failed"})`
    }
    if (own.length > 0) {
      const first = own[0]!.text
      if (attempt) return { status: "open", by: `no rung of the ladder proved it: ${first.split("\n")[0]}` }
      if (stale.length > 0) return { status: "stale", by: staleBy("Lean rejected it"), message: first }
      return { status: "failed", by: proofBy, message: first }
    }
    if (attempt && !proved.has(d.name)) return { status: "open", by: "no rung of the ladder proved it" }
    let gap: string | undefined
    if (kernel === undefined) {
      // What it names first; what a tactic may have used unnamed only when it names no failed declaration.
      const byName = [...(named.get(d) ?? [])].filter((r) => r !== d)
      const culprits = byName.length > 0 ? byName : [...(rests.get(d) ?? [])].filter((r) => r !== d)
      const used = axioms.get(d.fullName)
      if (gapOf.has(d)) gap = d.kind === "axiom" ? "an axiom" : `uses ${gapOf.get(d)!.word}`
      else if (used === undefined) gap = "Lean did not report its axioms"
      else {
        const bad = used.filter((a) => !standardAxioms.has(a))
        if (bad.length > 0) gap = `depends on ${culprits.length > 0 ? culprits.map(name).join(", ") : bad.join(", ")}`
      }
    } else {
      const r = kernel.removed.get(d)
      if (r === undefined) {
        if (!kernel.clean) gap = `not established: no Lean run was free of errors (${kernel.why})`
      } else if (r.cause === "gap") {
        gap = d.kind === "axiom" ? "an axiom" : `uses ${r.word}: the kernel does not check it`
      } else if (r.cause === "names") {
        const roots = r.on.filter((x) => kernel.removed.get(x)?.cause !== "names")
        gap = `depends on ${(roots.length > 0 ? roots : r.on).map(name).join(", ")}`
      } else {
        // It failed only once declarations that failed were gone: it used one of them unnamed.
        const likely = r.on.filter((x) => x.attributed || d.mentions.has(x.name))
        const shown = (likely.length > 0 ? likely : r.on).map(name)
        const list = shown.length > 6 ? `${shown.slice(0, 6).join(", ")} and ${shown.length - 6} more` : shown.join(", ")
        if (attempt) return { status: "open", by: `the ladder's proof failed once the declarations that failed were removed (Lean run ${r.run}): ${list}`, message: r.message }
        gap = `depends on a declaration that failed: ${list} (Lean run ${r.run} rejected it without them)`
        if (stale.length === 0) return { status: "failed", by: gap, message: r.message }
      }
    }
    if (stale.length > 0) return { status: "stale", by: staleBy(gap === undefined ? `Lean accepted it, ${proofBy}` : gap) }
    if (strayGaps.length > 0 && gap === undefined) gap = `not established: ${strayGaps[0]!.file}:${strayGaps[0]!.line} uses ${strayGaps[0]!.text.split("`")[1]} outside a declaration`
    if (gap !== undefined) return attempt ? { status: "open", by: `the ladder's proof is not established: ${gap}` } : { status: "failed", by: gap }
    return { status: "proved", by: proofBy }
  }

  for (const plan of plans) {
    const { exported } = plan.input
    const protocol = exported.spec.name
    const openNames: Array<string> = []
    const provedHere = new Map<string, string>()
    const openInDisk = new Set(Obligations.theoremsOf(plan.openText.replace(/^def /gm, "theorem ")))
    const row = (name: string, r: Omit<Result, "protocol" | "name">) => results.push({ protocol, name, ...r })
    for (const o of exported.obligations) {
      if (plan.handProved.has(o.name)) {
        const d = declarationOf(plan.handFile, o.name)
        row(o.name, d === undefined ? { status: "failed", by: `no \`theorem ${o.name}\` at the start of a line of ${plan.handFile}` } : verdict(plan, d, "hand-written", false))
        continue
      }
      const attempt = declarationOf(plan.files.automatic, o.name)
      if (plan.mode === "discharge") {
        const r = verdict(plan, attempt!, proved.get(o.name) ?? "", true)
        if (r.status === "proved") provedHere.set(o.name, proved.get(o.name)!)
        else openNames.push(o.name)
        row(o.name, r)
      } else if (attempt !== undefined) {
        row(o.name, verdict(plan, attempt, "automatic", false))
      } else if (openInDisk.has(o.name)) {
        const stale = staleUnder(plan.files.open)
        row(o.name, stale.length > 0 ? { status: "stale", by: `stale: ${stale.join(", ")} is not what the exporter generates now; open in Open.lean` } : { status: "open", by: "not proved (Open.lean)" })
      } else {
        row(o.name, { status: "failed", by: `stale: neither ${plan.files.automatic}, Open.lean nor ${plan.handFile} has it; run npx protoweave prove ${exported.spec.family}` })
      }
    }
    for (const t of plan.handTheorems.filter((t) => !plan.handProved.has(t))) {
      const d = declarationOf(plan.handFile, t)
      if (d !== undefined) row(t, verdict(plan, d, "hand-written", false))
    }
    if (plan.stale) {
      row("Spec.lean", { status: "stale", by: `${plan.files.spec} differs from what the exporter generates now; run npx protoweave prove ${exported.spec.family}` })
    }
    if (plan.mode === "discharge" && !crashed && kernel?.crashed !== true) {
      const open = exported.obligations.filter((o) => openNames.includes(o.name))
      const ctis = open.length > 0 && plan.input.inductionCounterexamples !== undefined ? plan.input.inductionCounterexamples(open) : new Map<string, string>()
      const files: ReadonlyArray<[string, string]> = [
        ["Spec.lean", exported.lean],
        ["Automatic.lean", Obligations.automatic(exported, provedHere)],
        ["Open.lean", Obligations.open(exported, [...openNames, ...plan.handProved], plan.input.counterexamples, plan.handProved, ctis)]
      ]
      for (const [f, text] of files) written.push(LeanProject.write(options.root, `${plan.generated}/${f}`, text))
    }
  }
  const mismatches = messages.filter((m) => m.severity === "error" && m.file.startsWith("differential/"))
  for (const m of mismatches) claimed.add(m)
  const errors = [...messages.filter((m) => isError(m) && !claimed.has(m)), ...strayGaps, ...strayErrors]
  if (crashed) {
    const wrote = plans.some((p) => p.mode === "discharge") ? "; no generated file was written" : ""
    const why = messages.every((m) => m.severity !== "error")
      ? `Lean exited with ${run.code} without an error message`
      : `Lean stopped before the end of the bundle (exit ${run.code}; its last progress line: ${first.progress.at(-1) ?? "none"})`
    errors.push({ severity: "error", file: "lean", line: 0, bundleLine: 0, text: `${why}${wrote}: ${run.output.trim().split("\n").slice(-3).join(" ")}` })
  } else if (kernel?.crashed === true) {
    const wrote = plans.some((p) => p.mode === "discharge") ? "; no generated file was written" : ""
    errors.push({ severity: "error", file: "lean", line: 0, bundleLine: 0, text: `${kernel.why}${wrote}` })
  }
  fs.rmSync(dir, { recursive: true, force: true })
  return {
    results,
    errors,
    differential: { checks: inputs.reduce((n, i) => n + i.differentialChecks, 0), mismatches },
    seconds: first.run.seconds + (kernel?.seconds ?? 0),
    written,
    toolchain: options.toolchain.kind,
    criterion: kernel === undefined ? "print axioms" : "clean run",
    runs: kernel?.runs ?? 1
  }
}

/** What `exportOnly` wrote. */
export interface ExportOnly {
  readonly written: ReadonlyArray<string>
  /** Obligations per protocol, and how many a hand-written proof claims (unchecked). */
  readonly obligations: ReadonlyArray<{ readonly protocol: string; readonly obligations: number; readonly handWritten: number }>
  readonly differentialChecks: number
}

/**
 * Writes each protocol's generated files without running Lean (`prove --export-only`): the spec,
 * an `Automatic.lean` with no proof (nothing was checked), an `Open.lean` naming every obligation
 * no hand-written theorem claims, and the differential check as `Differential.lean`, for a Lean
 * build elsewhere. A dependency (a world's core asked for by no one) is left as it is.
 */
export const exportOnly = (inputs: ReadonlyArray<ProtocolInput>, options: Pick<ProveOptions, "root">): ExportOnly => {
  const written: Array<string> = []
  const obligations: Array<ExportOnly["obligations"][number]> = []
  for (const input of inputs.filter((i) => i.dependency !== true)) {
    const { exported } = input
    const name = exported.spec.name
    const generated = `proofs/Generated/${name}`
    const handFile = `proofs/Proofs/${name}.lean`
    const hand = read(path.join(options.root, handFile))
    const names = exported.obligations.map((o) => o.name)
    const handProved = new Set(hand === undefined ? [] : LeanDeclarations.declarationsOf(handFile, hand).filter((d) => d.kind === "theorem" && names.includes(d.name)).map((d) => d.name))
    const files: ReadonlyArray<[string, string]> = [
      ["Spec.lean", exported.lean],
      ["Automatic.lean", Obligations.automatic(exported, new Map())],
      ["Open.lean", Obligations.open(exported, names, input.counterexamples, handProved)],
      ["Differential.lean", input.differential]
    ]
    for (const [f, text] of files) written.push(LeanProject.write(options.root, `${generated}/${f}`, text))
    obligations.push({ protocol: name, obligations: names.length, handWritten: handProved.size })
  }
  return { written, obligations, differentialChecks: inputs.filter((i) => i.dependency !== true).reduce((n, i) => n + i.differentialChecks, 0) }
}

/**
 * The report as a table: obligation, status, and how (or Lean's message).
 *
 * @example
 * table({ results: [{ protocol: "Calc", name: "inv_init", status: "proved", by: "simp_all" }], errors: [], differential: { checks: 3, mismatches: [] }, seconds: 1, written: [], toolchain: "wasm", criterion: "clean run", runs: 1 }).split("\n")[2]
 * // => "Calc      inv_init    proved  simp_all"
 */
export const table = (report: Report): string => {
  const rows = report.results.map((r) => [r.protocol, r.name, r.status, r.message === undefined ? r.by : `${r.by}: ${firstLines(r.message)}`])
  const header = ["protocol", "obligation", "status", "by / Lean's message"]
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: ReadonlyArray<string>) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd()
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n")
}

const firstLines = (text: string): string => text.split("\n").filter((l) => l.trim() !== "").slice(0, 3).join(" / ")

/**
 * Whether the run failed: a failed or stale row, an error outside the rows, a mismatch.
 *
 * @example
 * failed({ results: [{ protocol: "Calc", name: "x", status: "open", by: "" }], errors: [], differential: { checks: 1, mismatches: [] }, seconds: 1, written: [], toolchain: "wasm", criterion: "clean run", runs: 1 }) // => false
 */
export const failed = (report: Report): boolean =>
  report.results.some((r) => r.status === "failed" || r.status === "stale") || report.errors.length > 0 || report.differential.mismatches.length > 0
