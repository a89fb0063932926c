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
import { type Bundle, bundle, importsOf, type LeanSource } from "./Bundle.ts"
import type { Exported, Obligation } from "./Export.ts"
import * as LeanDeclarations from "./LeanDeclarations.ts"
import { axiomsOf, type LeanMessage, provedBy, readMessages, standardAxioms } from "./LeanMessage.ts"
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
   * How a theorem's dependencies were checked: by `#print axioms`, or (where Lean refuses it) by
   * the declarations it names, directly or through others (`LeanDeclarations.ts`).
   */
  readonly axioms: "print axioms" | "references"
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
  readonly root: string
  readonly mode: "discharge" | "check"
  /** Progress: `protoweave: trying ...` and `protoweave: done ...` lines, never a status. */
  readonly say: (line: string) => void
  readonly toolchain: LeanToolchain.Toolchain
}

const coreSources = (proofs: string): ReadonlyArray<LeanSource> => {
  const dir = path.join(proofs, "Protoweave")
  return [
    ...fs.readdirSync(dir).filter((f) => f.endsWith(".lean")).sort().map((f) => ({
      file: `proofs/Protoweave/${f}`,
      module: `Protoweave.${f.slice(0, -".lean".length)}`,
      text: fs.readFileSync(path.join(dir, f), "utf8")
    })),
    { file: "proofs/Protoweave.lean", module: "Protoweave", text: fs.readFileSync(path.join(proofs, "Protoweave.lean"), "utf8") }
  ]
}

const read = (file: string): string | undefined => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined)

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
  const proofs = path.join(options.root, "proofs")
  const sources: Array<LeanSource> = [...coreSources(proofs)]
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
  const closure = importClosure(sources)
  const fileOrder = [...new Set(bundled.origin.map((o) => o.file))]
  const declarations = fileOrder.flatMap((f) => {
    const source = sources.find((s) => s.file === f)
    return source === undefined ? [] : LeanDeclarations.declarationsOf(f, source.text)
  })
  const sees = (from: LeanDeclarations.Declaration, to: LeanDeclarations.Declaration) =>
    from.file === to.file || closure.get(moduleOf.get(from.file)!)?.has(moduleOf.get(to.file)!) === true
  const declarationOf = (file: string, name: string) => declarations.find((d) => d.file === file && d.name === name && d.kind === "theorem")
  const rowTheorems = plans.flatMap((plan) => [
    ...declarations.filter((d) => d.file === plan.files.automatic && d.kind === "theorem"),
    ...declarations.filter((d) => d.file === plan.handFile && d.kind === "theorem")
  ])
  // The WebAssembly build refuses `#print axioms`, and each refusal is an error: Lean stops after
  // `maxErrors` (100) of them, before the end of the bundle. Only a native Lean is asked.
  const instrumented = instrument(bundled, options.toolchain.kind === "native" ? rowTheorems.map((d) => d.fullName) : [])

  const dir = fs.mkdtempSync("/tmp/protoweave-prove-")
  const file = path.join(dir, "Bundle.lean")
  fs.writeFileSync(file, instrumented.text)
  options.say(`protoweave: checking ${inputs.map((i) => i.exported.spec.name).join(", ")} in one Lean run (${instrumented.origin.length} lines; Lean takes about two minutes to start)`)
  const run = await LeanToolchain.check(options.toolchain, file, (line) => {
    if (/^protoweave: (trying|done) /.test(line)) options.say(line)
  })
  const { messages } = readMessages(run.output, "Bundle.lean", instrumented)
  const proved = provedBy(run.output)
  const axioms = axiomsOf(run.output)
  const claimed = new Set<LeanMessage>()
  const isError = (m: LeanMessage) => m.severity === "error" || /declaration uses `?'?sorry/.test(m.text)
  const axiomMessages = messages.filter((m) => m.file === axiomsFile)
  for (const m of axiomMessages) claimed.add(m)
  const printAxioms = options.toolchain.kind === "native" && !axiomMessages.some((m) => m.text.includes("cannot use `#print axioms`"))

  /** A declaration's own errors (and `sorry` warnings), claimed for its row. */
  const ownErrors = (d: LeanDeclarations.Declaration) => messages.filter((m) => m.file === d.file && m.line >= d.line && m.line <= d.end && isError(m))
  const roots = new Set(declarations.filter((d) => d.kind === "axiom" || ownErrors(d).length > 0))
  const rests = LeanDeclarations.restsOn(declarations, roots, sees)
  const named = LeanDeclarations.restsOn(declarations, roots, sees, false)

  // Which generated specs each plan's files rest on, to mark rows checked against a stale one.
  const staleSpecs = new Set(plans.filter((p) => p.stale).map((p) => `Generated.${p.name}.Spec`))
  const staleUnder = (f: string): ReadonlyArray<string> => {
    const m = moduleOf.get(f)
    if (m === undefined) return []
    return [...staleSpecs].filter((s) => s === m || closure.get(m)?.has(s) === true).map((s) => `proofs/${s.split(".").slice(0, 2).join("/")}/Spec.lean`)
  }

  // A run that stopped before the end of the bundle (a crash of the WebAssembly build, memory)
  // decided nothing after that point: what it did not reach must not be written down as open.
  const progressLines = run.output.split("\n").filter((l) => /^protoweave: (trying|done) /.test(l))
  const crashed = !progressLines.includes(finished)
  const results: Array<Result> = []
  const written: Array<string> = []

  /**
   * The verdict on a theorem Lean checked: its own error, then what it rests on (by `#print
   * axioms` where Lean gives it, else by the declarations it names). `attempt`: a ladder attempt,
   * open rather than failed when Lean rejects it.
   */
  const verdict = (plan: (typeof plans)[number], d: LeanDeclarations.Declaration, proofBy: string, attempt: boolean): Omit<Result, "protocol" | "name"> => {
    const own = ownErrors(d)
    for (const m of own) claimed.add(m)
    const stale = staleUnder(d.file)
    const staleBy = (was: string) =>
      `stale: checked against ${stale.join(", ")}, which is not what the exporter generates now (${was}); run npx protoweave prove ${plan.input.exported.spec.family}`
    if (own.length > 0) {
      const first = own[0]!.text
      if (attempt) return { status: "open", by: `no rung of the ladder proved it: ${first.split("\n")[0]}` }
      if (stale.length > 0) return { status: "stale", by: staleBy("Lean rejected it"), message: first }
      return { status: "failed", by: proofBy, message: first }
    }
    if (attempt && !proved.has(d.name)) return { status: "open", by: "no rung of the ladder proved it" }
    // What it names first; what a tactic may have used unnamed only when it names no failed declaration.
    const byName = [...(named.get(d) ?? [])].filter((r) => r !== d)
    const culprits = byName.length > 0 ? byName : [...(rests.get(d) ?? [])].filter((r) => r !== d)
    const name = (r: LeanDeclarations.Declaration) => {
      const short = r.fullName.startsWith(`${plan.name}.`) ? r.fullName.slice(plan.name.length + 1) : r.fullName
      if (r.kind === "axiom") return `${short} (an axiom)`
      const opened = r.file === plan.files.automatic && plan.mode === "discharge"
      return `${short} (${opened ? "open" : "failed"})`
    }
    let gap: string | undefined
    if (printAxioms) {
      const used = axioms.get(d.fullName)
      if (used === undefined) gap = "Lean did not report its axioms"
      else {
        const bad = used.filter((a) => !standardAxioms.has(a))
        if (bad.length > 0) gap = `depends on ${culprits.length > 0 ? culprits.map(name).join(", ") : bad.join(", ")}`
      }
    } else if (culprits.length > 0) gap = `depends on ${culprits.map(name).join(", ")}`
    if (stale.length > 0) return { status: "stale", by: staleBy(gap === undefined ? `Lean accepted it, ${proofBy}` : gap) }
    if (gap !== undefined) return { status: "failed", by: gap }
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
    if (plan.mode === "discharge" && !crashed) {
      const open = exported.obligations.filter((o) => openNames.includes(o.name))
      const ctis = open.length > 0 && plan.input.inductionCounterexamples !== undefined ? plan.input.inductionCounterexamples(open) : new Map<string, string>()
      const out = path.join(options.root, plan.generated)
      fs.mkdirSync(out, { recursive: true })
      const files: ReadonlyArray<[string, string]> = [
        ["Spec.lean", exported.lean],
        ["Automatic.lean", Obligations.automatic(exported, provedHere)],
        ["Open.lean", Obligations.open(exported, [...openNames, ...plan.handProved], plan.input.counterexamples, plan.handProved, ctis)]
      ]
      for (const [f, text] of files) {
        fs.writeFileSync(path.join(out, f), text)
        written.push(`${plan.generated}/${f}`)
      }
    }
  }
  const mismatches = messages.filter((m) => m.severity === "error" && m.file.startsWith("differential/"))
  for (const m of mismatches) claimed.add(m)
  const errors = messages.filter((m) => isError(m) && !claimed.has(m))
  if (crashed) {
    const wrote = plans.some((p) => p.mode === "discharge") ? "; no generated file was written" : ""
    const why = messages.every((m) => m.severity !== "error")
      ? `Lean exited with ${run.code} without an error message`
      : `Lean stopped before the end of the bundle (exit ${run.code}; its last progress line: ${progressLines.at(-1) ?? "none"})`
    errors.push({ severity: "error", file: "lean", line: 0, bundleLine: 0, text: `${why}${wrote}: ${run.output.trim().split("\n").slice(-3).join(" ")}` } as LeanMessage)
  }
  fs.rmSync(dir, { recursive: true, force: true })
  return {
    results,
    errors,
    differential: { checks: inputs.reduce((n, i) => n + i.differentialChecks, 0), mismatches },
    seconds: run.seconds,
    written,
    toolchain: options.toolchain.kind,
    axioms: printAxioms ? "print axioms" : "references"
  }
}

/**
 * The report as a table: obligation, status, and how (or Lean's message).
 *
 * @example
 * table({ results: [{ protocol: "Calc", name: "inv_init", status: "proved", by: "simp_all" }], errors: [], differential: { checks: 3, mismatches: [] }, seconds: 1, written: [], toolchain: "wasm", axioms: "references" }).split("\n")[2]
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
 * failed({ results: [{ protocol: "Calc", name: "x", status: "open", by: "" }], errors: [], differential: { checks: 1, mismatches: [] }, seconds: 1, written: [], toolchain: "wasm", axioms: "references" }) // => false
 */
export const failed = (report: Report): boolean =>
  report.results.some((r) => r.status === "failed" || r.status === "stale") || report.errors.length > 0 || report.differential.mismatches.length > 0
