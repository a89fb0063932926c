/**
 * `protoweave prove <protocol>...`: exports each protocol to Lean (`proofs/Generated/<Name>/` of
 * its project), tries the tactic ladder on every obligation that no hand-written proof
 * (`proofs/Proofs/<Name>.lean`) proves, keeps what Lean accepts (`Automatic.lean`) and names the
 * rest (`Open.lean`), compares Lean's evaluation of the translated definitions with TypeScript's on
 * states sampled by the simulator, and prints one row per obligation and hand-written theorem:
 * proved (checked by Lean's kernel, resting on no failed lemma, `sorry` or axiom), open, failed
 * (or `depends on <lemma>`), or stale. A protocol is a bundled family's name or a module path
 * (`./src/election.ts`); what is exported, and at which sizes it is sampled, comes from the
 * module's `manifest` (`core/Manifest.ts`), never from this file. `--check` writes nothing and
 * checks the files as they are (what CI runs); `--export-only` writes the files and runs no Lean.
 * Afterwards each open obligation gets the counterexample to induction the search of
 * `checker/Induction.ts` finds for it, within a small budget, as a comment in `Open.lean`.
 *
 * A module's project is the nearest folder above it with a `package.json` (`exporter/LeanProject.ts`);
 * in a user's project `prove` also writes `proofs/lakefile.toml` (requiring the Protoweave Lean
 * library shipped in the package) and `proofs/lean-toolchain`, and it never writes inside
 * `node_modules`. Lean is a native `lake` when one is on the PATH, otherwise the WebAssembly build,
 * installed on first use (`exporter/LeanToolchain.ts`).
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Argument, Command, Flag } from "effect/cli"
import { fileURLToPath } from "node:url"
import * as Checker from "../checker/Checker.ts"
import * as Induction from "../checker/Induction.ts"
import type * as World from "../combinators/World.ts"
import type { Manifest, ProtocolExport, WorldExport } from "../core/Manifest.ts"
import * as Step from "../core/Step.ts"
import type * as System from "../core/System.ts"
import type { Sample, WorldSample } from "../exporter/Differential.ts"
import type { ExportSpec, Obligation } from "../exporter/Export.ts"
import type { WorldExportSpec } from "../exporter/ExportWorld.ts"
import * as LeanProject from "../exporter/LeanProject.ts"
import type * as Prove from "../exporter/Prove.ts"
import * as FaultPlan from "../simulator/FaultPlan.ts"
import * as Simulator from "../simulator/Simulator.ts"
import { UsageError, ViolationFound } from "./Errors.ts"
import * as Manifests from "./Manifests.ts"

/** Sizes of a family, by parameter name (`{ participants: 2, rounds: 2 }`). */
export type Sizes = { readonly [name: string]: number }

/**
 * A manifest's protocol export as the exporter takes it: source paths relative to the project's
 * root (so that messages and banners name `src/election.ts`, not an absolute path). `argument` is
 * what `prove` is given to regenerate it (its family, or the module's path), which the generated
 * files' banners name.
 *
 * @example
 * import * as Manifest from "../core/Manifest.ts"
 * const e = { name: "X", family: "x", protocol: {} as never, schemas: {}, protocolFile: "/p/src/x.ts", propertiesFile: "/p/src/x.ts", properties: [], parameters: { f: { file: "/p/src/f.ts" } }, sizes: {} } satisfies Manifest.ProtocolExport
 * const spec = exportSpec("/p", e)
 * [spec.protocolFile, spec.parameters.f] // => ["src/x.ts", { file: "src/f.ts" }]
 */
export const exportSpec = (root: string, e: Omit<ProtocolExport, "name" | "family" | "sizes"> & { readonly name: string; readonly family: string }, argument: string = e.family): ExportSpec => ({
  name: e.name,
  family: argument,
  protocol: e.protocol,
  schemas: e.schemas,
  protocolFile: LeanProject.relative(root, e.protocolFile),
  propertiesFile: LeanProject.relative(root, e.propertiesFile),
  properties: e.properties,
  parameters: Object.fromEntries(Object.entries(e.parameters).map(([k, v]) => [k, "file" in v ? { file: LeanProject.relative(root, v.file) } : v])),
  ...(e.topology === undefined ? {} : { topology: e.topology }),
  ...(e.initial === undefined ? {} : { initial: e.initial })
})

/**
 * A manifest's world export as the exporter takes it (paths relative to the project's root).
 * `argument` is what `prove` is given to regenerate it (its family, or the module's path), which
 * the generated files' banners name.
 */
export const worldExportSpec = (root: string, w: WorldExport, argument: string = w.family): WorldExportSpec => ({
  name: w.name,
  family: argument,
  coreFamily: w.core.family,
  world: w.world as unknown as World.World,
  client: (({ name: _n, family: _f, ...rest }) => rest)(exportSpec(root, { ...w.client, name: w.name, family: w.family })),
  hooksFile: LeanProject.relative(root, w.hooksFile),
  propertiesFile: LeanProject.relative(root, w.propertiesFile),
  properties: w.properties,
  ...(w.topology === undefined ? {} : { topology: w.topology })
})

/** A family with the sizes `prove` samples and searches it at (the export's `sizes`, from its manifest). */
export interface Sized {
  readonly family: System.Family
  readonly sizes: Sizes
}

const sizesText = (sizes: Sizes) => Object.entries(sizes).map(([k, v]) => `${k}=${v}`).join(" ")

/**
 * States sampled from seeded simulation runs of the family's system, stopped after a few numbers
 * of steps, under Disel's reorder-only network (the Lean model's).
 */
export const samples = ({ family, sizes }: Sized, seeds: ReadonlyArray<number> = [1, 2], depths: ReadonlyArray<number> = [4, 12, 30]): ReadonlyArray<Sample> => {
  const system = family.make(sizes)
  const nodes = system.topology.nodes as Sample["nodes"]
  const initial = Step.make(system.protocol, system.topology, Step.reorderOnly).initial
  return seeds.flatMap((seed) =>
    depths.map((maxSteps) => {
      const { result } = Simulator.runOnce(system, { name: family.name, parameters: {}, seed, runs: 1, faults: FaultPlan.reorder, maxSteps, maxTime: 600_000 })
      return { label: `seed ${seed}, ${result.events.length} steps`, statelet: result.statelet, nodes, all: system.topology.all, initial }
    })
  )
}

/** States sampled as `samples` does, of a world: each with its protocols' parts. */
export const worldSamples = (spec: WorldExportSpec, sized: Sized, seeds?: ReadonlyArray<number>, depths?: ReadonlyArray<number>): ReadonlyArray<WorldSample> => {
  const system = sized.family.make(sized.sizes) as System.System & { readonly instance: World.Instance }
  const { instance } = system
  const [core, client] = spec.world.protocols.map((p) => p.label) as [string, string]
  return samples(sized, seeds, depths).map((s) => {
    const statelets = { [core]: instance.project(s.statelet, core), [client]: instance.project(s.statelet, client) }
    const part = (label: string): Sample => ({
      label: s.label,
      statelet: statelets[label]!,
      nodes: instance.placement[label] as Sample["nodes"],
      all: s.all,
      initial: instance.project(s.initial, label)
    })
    return { core: part(core), client: part(client), statelets, nodes: instance.placement }
  })
}

/**
 * For each invariant the model checker finds violated in the family's small model, the trace as
 * a few readable lines: the counterexample attached to the invariant's open obligations.
 */
export const counterexamples = ({ family, sizes }: Sized): ReadonlyMap<string, string> => {
  const model = family.model?.(sizes)
  if (model === undefined) return new Map()
  const report = Checker.check({ ...model, maxStates: Math.min(model.maxStates ?? 50_000, 50_000) })
  const found = new Map<string, string>()
  for (const p of report.properties) {
    if (p.kind !== "always" || p.status !== "violated" || p.trace === undefined) continue
    const steps = p.trace.steps.map((s, i) =>
      s.message === undefined ? `${i + 1}. ${s.action.kind}` : `${i + 1}. ${s.action.kind} ${s.message.tag} ${s.message.from} -> ${s.message.to} ${JSON.stringify(s.message.payload)}`
    )
    found.set(p.name, [`${family.name} (${JSON.stringify(sizes)}), ${steps.length} steps:`, ...steps].join("\n"))
  }
  return found
}

/**
 * The budget of the search for counterexamples to induction that `prove` runs for the invariant of
 * each obligation left open: small, so that `prove` stays about as fast (`induct` searches more).
 */
export const inductionBudget = { seed: 1, states: 1000, walks: 20, depth: 20, candidates: 300 } as const

/**
 * For each open obligation, a counterexample to induction from `checker/Induction.ts` on the
 * family's small model, or what was searched without finding one, as plain text for `Open.lean`.
 * Each candidate state satisfies every invariant the obligation assumes (all of the export's).
 */
export const inductionCounterexamples = (sized: Sized, open: ReadonlyArray<Obligation>, all: ReadonlyArray<Obligation> = open, argument: string = sized.family.name): ReadonlyMap<string, string> => {
  const found = new Map<string, string>()
  const family = sized.family.name
  const model = sized.family.model?.(sized.sizes)
  const budget = `seed ${inductionBudget.seed}, a breadth-first search of ${inductionBudget.states} states, ${inductionBudget.walks} walks of ${inductionBudget.depth} steps, ${inductionBudget.candidates} candidates`
  const heading = `Counterexample to induction (protoweave induct ${argument}, ${sizesText(sized.sizes)}; budget: ${budget}):`
  if (model === undefined) {
    for (const o of open) found.set(o.name, `No counterexample to induction was searched: ${family} has no model.`)
    return found
  }
  const known = new Set(Induction.invariantNames(model))
  const assume = [...new Set(all.map((o) => o.invariant))].filter((i) => known.has(i))
  for (const invariant of new Set(open.map((o) => o.invariant))) {
    const mine = open.filter((o) => o.invariant === invariant)
    if (!known.has(invariant)) {
      for (const o of mine) found.set(o.name, `No counterexample to induction was searched: the model of ${family} has no invariant ${invariant}.`)
      continue
    }
    try {
      const report = Induction.searchCounterexample(model, invariant, { ...inductionBudget, assume })
      const names = new Set(Induction.obligationsOf(model, invariant))
      for (const o of mine) {
        found.set(
          o.name,
          names.has(o.name)
            ? [heading, Induction.obligationText(report, o.name)].join("\n")
            : `No counterexample to induction is attributed to ${o.name}: the model of ${family} names this invariant's obligations ${[...names].join(", ")}.`
        )
      }
    } catch (e) {
      for (const o of mine) found.set(o.name, `The search for a counterexample to induction failed: ${messageOf(e)}`)
    }
  }
  return found
}

const config = {
  protocols: Argument.String("protocol").pipe(
    Argument.withDescription("the protocols to prove: a bundled family's name (protoweave list), or a protocol module's path (./src/election.ts) whose manifest lists Lean exports"),
    Argument.atLeast(0)
  ),
  all: Flag.Boolean("all").pipe(Flag.withoutNegation, Flag.withDescription("prove every bundled protocol"), Flag.withDefault(false)),
  check: Flag.Boolean("check").pipe(
    Flag.withoutNegation,
    Flag.withDescription("write nothing: check the generated and hand-written files as they are, and that the generated ones are up to date (CI)"),
    Flag.withDefault(false)
  ),
  exportOnly: Flag.Boolean("export-only").pipe(
    Flag.withoutNegation,
    Flag.withDescription("write the generated Lean files and the differential check, and run no Lean: nothing is checked"),
    Flag.withDefault(false)
  ),
  smt: Flag.Boolean("smt").pipe(
    Flag.withDescription("before Lean, give each obligation to Z3 (proved by Z3, a confirmed counterexample to induction, or unknown with the reason): on by default when Lean discharges obligations, off with --export-only unless given, never with --check; --no-smt skips it"),
    Flag.optional
  ),
  smtTimeout: Flag.String("smt-timeout").pipe(Flag.withMetavar("MS"), Flag.withDefault("5000"), Flag.withDescription("each Z3 query's time limit in milliseconds (default 5000)"))
}

/** The parsed command line of `prove`. */
export interface ProveInput {
  readonly protocols: ReadonlyArray<string>
  readonly all: boolean
  readonly check: boolean
  readonly exportOnly?: boolean
  /** Run the SMT stage (default: when Lean discharges obligations; never with `check`). */
  readonly smt?: Option.Option<boolean>
  readonly smtTimeout?: string
}

const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e))

/**
 * The exporter and its Lean driver, loaded when `prove` runs: the exporter reads sources with the
 * TypeScript compiler, whose loading took about half of every other command's start-up.
 */
const loadExporter = async () => {
  const [Export, ExportWorld, Differential, Errors, LeanToolchain, Lean] = await Promise.all([
    import("../exporter/Export.ts"),
    import("../exporter/ExportWorld.ts"),
    import("../exporter/Differential.ts"),
    import("../exporter/ExportError.ts"),
    import("../exporter/LeanToolchain.ts"),
    import("../exporter/Prove.ts")
  ])
  const [SmtSolve, Coverage] = await Promise.all([import("../exporter/SmtSolve.ts"), import("../exporter/Coverage.ts")])
  return { ...Export, ...ExportWorld, ...Differential, ...Errors, LeanToolchain, Lean, SmtSolve, Coverage }
}

/** One export chosen on the command line, with the manifest it comes from. */
interface Target {
  readonly manifest: Manifest
  readonly lean: { readonly kind: "protocol"; readonly spec: ProtocolExport } | { readonly kind: "world"; readonly spec: WorldExport }
  /** Whether it was named by a module path (a user's protocol) rather than a bundled family's name. */
  readonly byPath: boolean
}

const exportsOf = (manifest: Manifest, byPath: boolean, only?: string): ReadonlyArray<Target> => [
  ...manifest.lean.protocols.filter((p) => only === undefined || p.family === only).map((spec): Target => ({ manifest, lean: { kind: "protocol", spec }, byPath })),
  ...manifest.lean.worlds.filter((w) => only === undefined || w.family === only).map((spec): Target => ({ manifest, lean: { kind: "world", spec }, byPath }))
]

/** The exports the command line names: every bundled one (`--all`), a bundled family's, or all of a module's (or its `#family`'s). */
const chooseTargets = (input: ProveInput): Effect.Effect<ReadonlyArray<Target>, UsageError> =>
  Effect.gen(function* () {
    if (input.all) {
      const manifests = yield* Effect.tryPromise({ try: Manifests.bundled, catch: (e) => (e instanceof UsageError ? e : new UsageError({ message: messageOf(e) })) })
      return manifests.flatMap((m) => exportsOf(m, false))
    }
    const chosen: Array<Target> = []
    for (const arg of input.protocols) {
      // A module path exports all of its module's exports (or its `#family`'s); a name, its family's.
      const { manifest, module, selector } = Manifests.isModulePath(arg)
        ? yield* Effect.tryPromise({ try: () => Manifests.load(Manifests.split(arg).path), catch: (e) => (e instanceof UsageError ? e : new UsageError({ message: messageOf(e) })) }).pipe(
            Effect.map((manifest) => ({ manifest, module: Manifests.split(arg).path, selector: Manifests.split(arg).selector }))
          )
        : yield* Manifests.resolve(arg).pipe(Effect.map(({ manifest, family }) => ({ manifest, module: undefined, selector: family.name })))
      const targets = exportsOf(manifest, module !== undefined, selector)
      if (targets.length === 0) {
        const withExport = exportsOf(manifest, true).map((t) => t.lean.spec.family)
        const bundled = module === undefined ? (yield* Effect.promise(Manifests.bundled)).flatMap((m) => exportsOf(m, false)).map((t) => t.lean.spec.family) : withExport
        return yield* Effect.fail(
          new UsageError({
            message: `no Lean export for "${arg}" (${bundled.length === 0 ? `its manifest's lean lists none: add lean: { protocols: [...] } to Manifest.make` : `these have one: ${bundled.join(", ")}`})`
          })
        )
      }
      for (const t of targets) if (!chosen.some((c) => c.lean.spec.name === t.lean.spec.name)) chosen.push(t)
    }
    return chosen
  })

/** Runs `prove`. */
export const prove = (input: ProveInput): Effect.Effect<void, UsageError | ViolationFound> =>
  Effect.gen(function* () {
    if (input.all && input.protocols.length > 0) return yield* Effect.fail(new UsageError({ message: "give protocols or --all, not both" }))
    if (input.check && input.exportOnly === true) return yield* Effect.fail(new UsageError({ message: "give --check or --export-only, not both" }))
    if (!input.all && input.protocols.length === 0) {
      return yield* Effect.fail(new UsageError({ message: "name a protocol to prove (a bundled family, or a module path such as ./src/election.ts) or give --all" }))
    }
    const targets = yield* chooseTargets(input)
    // One project per run: its proofs/ holds every export's files.
    const located = yield* Effect.try({
      try: () => targets.map((t) => LeanProject.locate(fileURLToPath(t.manifest.module))),
      catch: (e) => new UsageError({ message: messageOf(e) })
    })
    const projects = [...new Map(located.map((p) => [p.root, p] as const)).values()]
    if (projects.length > 1) {
      return yield* Effect.fail(new UsageError({ message: `these protocols belong to different projects (${projects.map((p) => p.root).join(", ")}); prove one project at a time` }))
    }
    const project = projects[0]!
    const mode = input.check ? "check" : input.exportOnly === true ? "export" : "discharge"
    if (project.readOnly !== undefined && mode !== "check") return yield* Effect.fail(new UsageError({ message: project.readOnly }))
    const { root } = project
    // How the generated files' banners say to regenerate an export, and how `induct` names its family.
    const moduleArgument = (t: Target) => `./${LeanProject.relative(root, fileURLToPath(t.manifest.module))}`
    const proveArgument = (t: Target) => (t.byPath ? moduleArgument(t) : t.lean.spec.family)
    const inductArgument = (t: Target) => (t.byPath ? `${moduleArgument(t)}#${t.lean.spec.family}` : t.lean.spec.family)
    const worlds = targets.flatMap((t) => (t.lean.kind === "world" ? [{ ...t, lean: t.lean }] : []))
    // A world needs its core's export in the same run; a core nobody asked for is checked as it is on disk.
    const protocols: Array<{ readonly spec: ProtocolExport; readonly target?: Target }> = targets.flatMap((t) => (t.lean.kind === "protocol" ? [{ spec: t.lean.spec, target: t }] : []))
    for (const w of worlds) if (!protocols.some((p) => p.spec.name === w.lean.spec.core.name)) protocols.push({ spec: w.lean.spec.core })
    const sizedOf = (t: Target): Sized => ({ family: t.manifest.families.find((f) => f.name === t.lean.spec.family)!, sizes: t.lean.spec.sizes })
    const { exportProtocol, exportWorld, coreTypes, differential, worldDifferential, omissionWarning, ExportError, LeanToolchain, Lean, SmtSolve, Coverage } = yield* Effect.promise(loadExporter)
    const inputs = yield* Effect.try({
      try: () => {
        const exported = new Map(protocols.map(({ spec, target }) => [spec.name, exportProtocol(root, exportSpec(root, spec, target === undefined ? spec.family : proveArgument(target)))]))
        return [
          ...protocols.map(({ spec, target }): Prove.ProtocolInput => {
            const e = exported.get(spec.name)!
            if (target === undefined) return { exported: e, differential: "", differentialChecks: 0, counterexamples: new Map(), dependency: true }
            const sized = sizedOf(target)
            const check = differential(e, samples(sized), sized.family.model?.(sized.sizes).payloads ?? {})
            return {
              exported: e,
              differential: check.lean,
              differentialChecks: check.checks,
              counterexamples: counterexamples(sized),
              inductionCounterexamples: (open) => inductionCounterexamples(sized, open, e.obligations, inductArgument(target))
            }
          }),
          ...worlds.map((target): Prove.ProtocolInput => {
            const spec = worldExportSpec(root, target.lean.spec, proveArgument(target))
            const core = exported.get(target.lean.spec.core.name)!
            const e = exportWorld(root, spec, core)
            const clientLabel = spec.client.protocol.label
            const sized = sizedOf(target)
            const model = sized.family.model?.(sized.sizes)
            const payloads = Object.fromEntries(
              Object.entries(model?.payloads ?? {}).filter(([tag]) => tag.startsWith(`${clientLabel}.`)).map(([tag, values]) => [tag.slice(clientLabel.length + 1), values])
            )
            const check = worldDifferential(e, coreTypes(core), spec.properties, worldSamples(spec, sized), payloads)
            return {
              exported: e,
              differential: check.lean,
              differentialChecks: check.checks,
              counterexamples: counterexamples(sized),
              inductionCounterexamples: (open) => inductionCounterexamples(sized, open, e.obligations, inductArgument(target))
            }
          })
        ]
      },
      catch: (e) => new UsageError({ message: e instanceof ExportError ? e.message : `cannot export: ${messageOf(e)}` })
    })
    for (const input of inputs) for (const o of input.exported.omitted) yield* Console.error(omissionWarning(o))
    // The SMT stage: every obligation of every export asked for, before Lean; Z3's confirmed
    // counterexamples to induction go to Open.lean in place of the randomized search's text.
    const timeoutMs = Number(input.smtTimeout ?? "5000")
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) return yield* Effect.fail(new UsageError({ message: `--smt-timeout must be a positive number of milliseconds, not ${input.smtTimeout}` }))
    const smt = new Map<string, ReadonlyMap<string, Awaited<ReturnType<typeof SmtSolve.solve>>[number]>>()
    const smtOn = input.smt !== undefined && Option.isSome(input.smt) ? input.smt.value : mode === "discharge"
    if (smtOn && mode !== "check") {
      for (const i of inputs.filter((x) => x.dependency !== true)) {
        const name = i.exported.spec.name
        yield* Console.error(`SMT (Z3, ${timeoutMs} ms per query): ${name}`)
        const outcomes = yield* Effect.promise(() => SmtSolve.solve(i.exported, { timeoutMs, progress: (o) => console.error(`${name}.${SmtSolve.formatOutcome(o).trim()}`) }))
        smt.set(name, new Map(outcomes.map((o) => [o.obligation, o])))
        for (const o of outcomes) if (o.counterexample !== undefined) yield* Console.log(o.counterexample.text)
      }
    }
    const withSmt = inputs.map((i): Prove.ProtocolInput => {
      const outcomes = smt.get(i.exported.spec.name)
      const search = i.inductionCounterexamples
      if (outcomes === undefined || search === undefined) return i
      return {
        ...i,
        inductionCounterexamples: (open) => {
          const found = new Map(search(open.filter((o) => outcomes.get(o.name)?.counterexample === undefined)))
          for (const o of open) {
            const cti = outcomes.get(o.name)?.counterexample
            if (cti !== undefined) found.set(o.name, `Counterexample to induction from Z3's model (SMT stage), confirmed by evaluating the protocol's TypeScript:\n${cti.text}`)
          }
          return found
        }
      }
    })
    const coverageOf = (results?: ReadonlyArray<{ readonly protocol: string; readonly name: string; readonly status: string; readonly by: string }>) =>
      Coverage.coverage(
        withSmt
          .filter((i) => i.dependency !== true)
          .map((i) => ({
            protocol: i.exported.spec.name,
            obligations: i.exported.obligations.map((o) => o.name),
            ...(results === undefined ? {} : { lean: new Map(results.filter((r) => r.protocol === i.exported.spec.name).map((r) => [r.name, r])) }),
            ...(smt.has(i.exported.spec.name) ? { smt: smt.get(i.exported.spec.name)! } : {})
          }))
      )
    const scaffolded = mode === "check" ? [] : yield* Effect.try({ try: () => LeanProject.scaffold(project), catch: (e) => new UsageError({ message: messageOf(e) }) })
    if (mode === "export") {
      const wrote = yield* Effect.try({ try: () => Lean.exportOnly(withSmt, { root }), catch: (e) => new UsageError({ message: messageOf(e) }) })
      for (const o of wrote.obligations) yield* Console.log(`${o.protocol}: ${o.obligations} obligations, ${o.handWritten} claimed by proofs/Proofs/${o.protocol}.lean`)
      yield* Console.log(`wrote ${[...scaffolded, ...wrote.written].join(", ")} (in ${root})`)
      yield* Console.log(
        `nothing was checked by Lean (--export-only): no obligation is proved, and the ${wrote.differentialChecks} differential comparisons in Differential.lean are unchecked; run prove without --export-only, or lake build in proofs/, to check them`
      )
      if (smt.size > 0) yield* Console.log(`\ncoverage (Lean not run; "proved by Z3" is not checked by Lean):\n${coverageOf()}`)
      return
    }
    const toolchain = yield* Effect.try({
      try: () => LeanToolchain.find((line) => console.error(line)),
      catch: (e) => new UsageError({ message: `cannot get Lean: ${messageOf(e)}` })
    })
    const report = yield* Effect.tryPromise({
      try: () => Lean.prove(withSmt, { root, library: project.library, mode, toolchain, say: (line) => console.error(line) }),
      catch: (e) => new UsageError({ message: `cannot run Lean: ${messageOf(e)}` })
    })
    yield* Console.log(Lean.table(report))
    for (const r of report.results.filter((x) => x.status === "failed" && x.message !== undefined)) {
      yield* Console.log(`\n${r.protocol}.${r.name} failed:\n${r.message}`)
    }
    for (const e of report.errors) yield* Console.log(`\nLean error at ${e.file}:${e.line}:\n${e.text}`)
    for (const m of report.differential.mismatches) yield* Console.log(`\ndifferential mismatch at line ${m.line}:\n${m.text}`)
    const count = (status: string) => report.results.filter((r) => r.status === status).length
    const runs = `${report.runs} Lean run${report.runs === 1 ? "" : "s"}`
    yield* Console.log(
      report.criterion === "print axioms"
        ? `\nproved: Lean's kernel accepted it and \`#print axioms\` names no axiom beyond propext, Classical.choice and Quot.sound (${runs})`
        : `\nproved: Lean's kernel accepted it in a run with no error and no sorry at all (${report.runs === 1 ? runs : `${runs}: what failed, and what names it, was removed before each new run`}; this Lean refuses \`#print axioms\`), and it uses no axiom, sorry, native_decide, implemented_by or extern`
    )
    yield* Console.log(
      `${count("proved")} proved, ${count("open")} open, ${count("failed")} failed, ${count("stale")} stale; differential check: ${report.differential.checks} comparisons, ${report.differential.mismatches.length} mismatches; Lean (${report.toolchain}) took ${Math.round(report.seconds)} s`
    )
    const written = [...scaffolded, ...report.written]
    if (written.length > 0) yield* Console.log(`wrote ${written.join(", ")}${project.own ? "" : ` (in ${root})`}`)
    yield* Console.log(
      `\ncoverage (each obligation counted once, in the first column that holds; "Z3" is proved by Z3 and not checked by Lean${smt.size === 0 ? "; the SMT stage did not run" : ""}):\n${coverageOf(report.results)}`
    )
    if (Lean.failed(report)) return yield* new ViolationFound()
  })

/** The `prove` command. */
export const command = Command.make("prove", config, prove).pipe(
  Command.withDescription("Export protocols to Lean 4, discharge their proof obligations automatically, check the hand-written proofs")
)
