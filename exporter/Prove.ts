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
 * Either way every obligation gets a status: `proved` (automatically or by hand), `open`, or
 * `failed` (Lean rejected a proof that should hold, or the files are stale), and the run fails on
 * any Lean error outside the ladder's attempts, on a `sorry`, and on a differential mismatch.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { type Bundle, bundle, type LeanSource } from "./Bundle.ts"
import type { Exported } from "./Export.ts"
import { type LeanMessage, provedBy, readMessages } from "./LeanMessage.ts"
import * as LeanToolchain from "./LeanToolchain.ts"
import * as Obligations from "./Obligations.ts"

/** How one obligation or hand-written theorem came out. */
export interface Result {
  readonly protocol: string
  readonly name: string
  readonly status: "proved" | "open" | "failed"
  /** The rung that proved it, `hand-written`, or why it is open or failed. */
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
}

/** What a protocol brings to the run besides its export. */
export interface ProtocolInput {
  readonly exported: Exported
  /** Lean `example`s comparing Lean's evaluation with TypeScript's on sampled states. */
  readonly differential: string
  readonly differentialChecks: number
  /** Counterexamples from the model checker, by invariant. */
  readonly counterexamples: ReadonlyMap<string, string>
  /** Only here because a world imports it: checked as it is on disk, never rewritten. */
  readonly dependency?: boolean
}

/** The options of a run. */
export interface ProveOptions {
  readonly root: string
  readonly mode: "discharge" | "check"
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

/** The 1-based lines at which `theorem <name>` starts in `text`, by name. */
const theoremLines = (text: string): ReadonlyMap<string, number> => {
  const lines = new Map<string, number>()
  text.split("\n").forEach((l, i) => {
    const m = /^\s*theorem\s+(\S+)/.exec(l)
    if (m !== null) lines.set(m[1]!.split(".").pop()!, i + 1)
  })
  return lines
}

/** The theorem of `text` whose declaration spans `line`. */
const theoremAt = (lines: ReadonlyMap<string, number>, line: number): string | undefined => {
  let best: string | undefined
  let bestLine = 0
  for (const [name, start] of lines) if (start <= line && start > bestLine) [best, bestLine] = [name, start]
  return best
}

/** Runs Lean once on every protocol and reports each obligation's status. */
export const prove = async (inputs: ReadonlyArray<ProtocolInput>, options: ProveOptions): Promise<Report> => {
  const proofs = path.join(options.root, "proofs")
  const sources: Array<LeanSource> = [...coreSources(proofs)]
  const results: Array<Result> = []
  const plans = inputs.map((input) => {
    const { exported } = input
    const name = exported.spec.name
    const generated = `proofs/Generated/${name}`
    const handFile = `proofs/Proofs/${name}.lean`
    const hand = read(path.join(options.root, handFile))
    const handTheorems = hand === undefined ? [] : Obligations.theoremsOf(hand)
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
    sources.push(
      { file: `${generated}/Spec.lean`, module: `Generated.${name}.Spec`, text: mode === "check" && specOnDisk !== undefined ? specOnDisk : exported.lean },
      { file: `${generated}/Automatic.lean`, module: `Generated.${name}.Automatic`, text: automaticText },
      { file: `${generated}/Open.lean`, module: `Generated.${name}.Open`, text: openText },
      { file: `differential/${name}.lean`, module: `Differential.${name}`, text: input.differential }
    )
    if (hand !== undefined) sources.push({ file: handFile, module: `Proofs.${name}`, text: hand })
    return { input, mode, name, generated, handFile, hand, handTheorems, handProved, automaticText, openText, stale }
  })

  const bundled: Bundle = bundle(sources)
  const dir = fs.mkdtempSync("/tmp/protoweave-prove-")
  const file = path.join(dir, "Bundle.lean")
  fs.writeFileSync(file, bundled.text)
  options.say(`protoweave: checking ${inputs.map((i) => i.exported.spec.name).join(", ")} in one Lean run (${bundled.origin.length} lines; Lean takes about two minutes to start)`)
  // The ladder's verdicts as they come: a run takes minutes.
  const run = await LeanToolchain.check(options.toolchain, file, (line) => {
    if (line.startsWith("protoweave: ")) options.say(line)
  })
  const { messages } = readMessages(run.output, "Bundle.lean", bundled)
  const proved = provedBy(run.output)
  const claimed = new Set<LeanMessage>()
  const errorsIn = (f: string) => messages.filter((m) => m.file === f && (m.severity === "error" || /declaration uses `?'?sorry/.test(m.text)))

  // A run that failed without saying why (a crash of the WebAssembly build) proves nothing: its
  // silence must not be written down as every obligation being open.
  const crashed = run.code !== 0 && messages.every((m) => m.severity !== "error")
  const written: Array<string> = []
  for (const plan of plans) {
    const { exported } = plan.input
    const autoLines = theoremLines(plan.automaticText)
    const autoErrors = errorsIn(`${plan.generated}/Automatic.lean`)
    const handLines = theoremLines(plan.hand ?? "")
    const handErrors = errorsIn(plan.handFile)
    const errorOf = (errors: ReadonlyArray<LeanMessage>, lines: ReadonlyMap<string, number>, name: string) => {
      const found = errors.filter((m) => theoremAt(lines, m.line) === name)
      for (const m of found) claimed.add(m)
      return found[0]
    }
    const openNames: Array<string> = []
    const provedHere = new Map<string, string>()
    const openInDisk = new Set(Obligations.theoremsOf(plan.openText.replace(/^def /gm, "theorem ")))
    for (const o of exported.obligations) {
      const row = (status: Result["status"], by: string, message?: LeanMessage) =>
        results.push({ protocol: exported.spec.name, name: o.name, status, by, ...(message === undefined ? {} : { message: message.text }) })
      if (plan.handProved.has(o.name)) {
        const error = errorOf(handErrors, handLines, o.name)
        row(error === undefined ? "proved" : "failed", "hand-written", error)
        continue
      }
      const error = errorOf(autoErrors, autoLines, o.name)
      if (plan.mode === "discharge") {
        const rung = proved.get(o.name)
        if (error === undefined && rung !== undefined) {
          provedHere.set(o.name, rung)
          row("proved", rung)
        } else {
          openNames.push(o.name)
          const why = error === undefined ? "" : `: ${error.text.split("\n")[0]}`
          row("open", `no rung of the ladder proved it${why}`)
        }
      } else if (autoLines.has(o.name)) {
        row(error === undefined ? "proved" : "failed", "automatic", error)
      } else if (openInDisk.has(o.name)) {
        row("open", "not proved (Open.lean)")
      } else {
        row("failed", `stale: neither ${plan.generated}/Automatic.lean, Open.lean nor ${plan.handFile} has it; run ${"npx protoweave prove " + exported.spec.family}`)
      }
    }
    for (const t of plan.handTheorems.filter((t) => !plan.handProved.has(t))) {
      const error = errorOf(handErrors, handLines, t)
      results.push({ protocol: exported.spec.name, name: t, status: error === undefined ? "proved" : "failed", by: "hand-written", ...(error === undefined ? {} : { message: error.text }) })
    }
    if (plan.stale) {
      results.push({ protocol: exported.spec.name, name: "Spec.lean", status: "failed", by: `stale: ${plan.generated}/Spec.lean differs from what the exporter generates; run npx protoweave prove ${exported.spec.family}` })
    }
    if (plan.mode === "discharge" && !crashed) {
      const out = path.join(options.root, plan.generated)
      fs.mkdirSync(out, { recursive: true })
      const files: ReadonlyArray<[string, string]> = [
        ["Spec.lean", exported.lean],
        ["Automatic.lean", Obligations.automatic(exported, provedHere)],
        ["Open.lean", Obligations.open(exported, [...openNames, ...plan.handProved], plan.input.counterexamples, plan.handProved)]
      ]
      for (const [f, text] of files) {
        fs.writeFileSync(path.join(out, f), text)
        written.push(`${plan.generated}/${f}`)
      }
    }
  }
  const mismatches = messages.filter((m) => m.severity === "error" && m.file.startsWith("differential/"))
  for (const m of mismatches) claimed.add(m)
  const errors = messages.filter((m) => (m.severity === "error" || /declaration uses `?'?sorry/.test(m.text)) && !claimed.has(m))
  if (crashed) {
    const wrote = plans.some((p) => p.mode === "discharge") ? "; no generated file was written" : ""
    errors.push({ severity: "error", file: "lean", line: 0, bundleLine: 0, text: `Lean exited with ${run.code} without an error message${wrote}: ${run.output.trim().split("\n").slice(-3).join(" ")}` } as LeanMessage)
  }
  fs.rmSync(dir, { recursive: true, force: true })
  return {
    results,
    errors,
    differential: { checks: inputs.reduce((n, i) => n + i.differentialChecks, 0), mismatches },
    seconds: run.seconds,
    written,
    toolchain: options.toolchain.kind
  }
}

/**
 * The report as a table: obligation, status, and how (or Lean's message).
 *
 * @example
 * table({ results: [{ protocol: "Calc", name: "inv_init", status: "proved", by: "simp_all" }], errors: [], differential: { checks: 3, mismatches: [] }, seconds: 1, written: [], toolchain: "wasm" }).split("\n")[2]
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
 * Whether the run failed: a failed obligation, an error outside the obligations, a mismatch.
 *
 * @example
 * failed({ results: [{ protocol: "Calc", name: "x", status: "open", by: "" }], errors: [], differential: { checks: 1, mismatches: [] }, seconds: 1, written: [], toolchain: "wasm" }) // => false
 */
export const failed = (report: Report): boolean =>
  report.results.some((r) => r.status === "failed") || report.errors.length > 0 || report.differential.mismatches.length > 0
