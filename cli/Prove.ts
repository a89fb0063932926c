/**
 * `protoweave prove <protocol>...`: exports each protocol to Lean (`proofs/Generated/<Name>/`),
 * tries the tactic ladder on every obligation that no hand-written proof (`proofs/Proofs/`)
 * proves, keeps what Lean accepts (`Automatic.lean`) and names the rest (`Open.lean`), compares
 * Lean's evaluation of the translated definitions with TypeScript's on states sampled by the
 * simulator, and prints one row per obligation and hand-written theorem: proved (Lean accepted it
 * and it rests on no failed lemma, `sorry` or axiom), open, failed (or `depends on <lemma>`), or
 * stale. `--check` writes nothing and checks the files as they are (what CI runs). Everything goes
 * through one Lean run; afterwards each open obligation gets the counterexample to induction the
 * search of `checker/Induction.ts` finds for it, within a small budget, as a comment in `Open.lean`.
 *
 * Lean is a native `lake` when one is on the PATH, otherwise the WebAssembly build, installed on
 * first use (`exporter/LeanToolchain.ts`).
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import { Argument, Command, Flag } from "effect/cli"
import { fileURLToPath } from "node:url"
import * as Checker from "../checker/Checker.ts"
import * as Induction from "../checker/Induction.ts"
import type { Protocol } from "../core/Protocol.ts"
import * as Step from "../core/Step.ts"
import type * as System from "../core/System.ts"
import type * as World from "../combinators/World.ts"
import type { Sample, WorldSample } from "../exporter/Differential.ts"
import type { ExportSpec, Obligation } from "../exporter/Export.ts"
import type { WorldExportSpec } from "../exporter/ExportWorld.ts"
import type * as Prove from "../exporter/Prove.ts"
import * as Calculator from "../protocols/Calculator/index.ts"
import * as CalculatorProtocol from "../protocols/Calculator/Protocol.ts"
import * as TwoPhaseCommit from "../protocols/TwoPhaseCommit/index.ts"
import * as TwoPhaseCommitProtocol from "../protocols/TwoPhaseCommit/Protocol.ts"
import * as QueryTpc from "../protocols/QueryTpc/index.ts"
import * as QueryTpcProtocol from "../protocols/QueryTpc/Protocol.ts"
import * as Protocols from "../protocols/index.ts"
import * as FaultPlan from "../simulator/FaultPlan.ts"
import * as Simulator from "../simulator/Simulator.ts"
import { UsageError, ViolationFound } from "./Errors.ts"

/** The repository root: generated files go to its `proofs/`, sources are read from it. */
export const root = fileURLToPath(new URL("..", import.meta.url))

/**
 * The protocols `prove` exports: each instance, where its source is, and the values of the
 * constructor parameters its transitions read.
 *
 * @example
 * bundled.map((s) => s.family) // => ["calculator", "two-phase-commit"]
 */
export const bundled: ReadonlyArray<ExportSpec> = [
  {
    name: "Calculator",
    family: "calculator",
    protocol: Calculator.protocol as unknown as Protocol,
    schemas: CalculatorProtocol,
    protocolFile: "protocols/Calculator/Protocol.ts",
    propertiesFile: "protocols/Calculator/index.ts",
    properties: Calculator.properties(Calculator.protocol),
    parameters: {
      f: { file: "protocols/Calculator/index.ts" },
      prec: { file: "protocols/Calculator/index.ts" },
      checkResponses: { value: true }
    }
  },
  {
    name: "TwoPhaseCommit",
    family: "two-phase-commit",
    protocol: TwoPhaseCommit.protocol as unknown as Protocol,
    schemas: TwoPhaseCommitProtocol,
    protocolFile: "protocols/TwoPhaseCommit/Protocol.ts",
    propertiesFile: "protocols/TwoPhaseCommit/index.ts",
    properties: TwoPhaseCommit.properties(TwoPhaseCommit.protocol),
    parameters: { commitOnAnyYes: { value: false } },
    topology: "oneCoordinator"
  }
]

/**
 * The worlds `prove` exports: each over the export of its core protocol, which a run proves too.
 *
 * @example
 * bundledWorlds.map((s) => `${s.family} over ${s.coreFamily}`) // => ["query-tpc over two-phase-commit"]
 */
export const bundledWorlds: ReadonlyArray<WorldExportSpec> = [
  {
    name: "QueryTpc",
    family: "query-tpc",
    coreFamily: "two-phase-commit",
    world: QueryTpc.world as unknown as World.World,
    client: {
      protocol: QueryTpc.query as unknown as Protocol,
      schemas: QueryTpcProtocol,
      protocolFile: "protocols/QueryTpc/Protocol.ts",
      propertiesFile: "protocols/QueryTpc/Protocol.ts",
      properties: [],
      parameters: {}
    },
    hooksFile: "protocols/QueryTpc/Protocol.ts",
    propertiesFile: "protocols/QueryTpc/index.ts",
    properties: QueryTpc.properties(QueryTpc.world),
    topology: "answerersParticipate"
  }
]

/** The sizes the differential check and the counterexample search use: small, so Lean stays fast. */
const sizes: { readonly [family: string]: { readonly [name: string]: number } } = {
  calculator: { clients: 2, servers: 1, requests: 2 },
  "two-phase-commit": { participants: 2, rounds: 2 },
  "query-tpc": { participants: 1, rounds: 1 }
}

/**
 * States sampled from seeded simulation runs of the family's system, stopped after a few numbers
 * of steps, under Disel's reorder-only network (the Lean model's).
 */
export const samples = (family: string, seeds: ReadonlyArray<number> = [1, 2], depths: ReadonlyArray<number> = [4, 12, 30]): ReadonlyArray<Sample> => {
  const f = Protocols.find(family)!
  const system = f.make(sizes[family] ?? {})
  const nodes = system.topology.nodes as Sample["nodes"]
  const initial = Step.make(system.protocol, system.topology, Step.reorderOnly).initial
  return seeds.flatMap((seed) =>
    depths.map((maxSteps) => {
      const { result } = Simulator.runOnce(system, { name: family, parameters: {}, seed, runs: 1, faults: FaultPlan.reorder, maxSteps, maxTime: 600_000 })
      return { label: `seed ${seed}, ${result.events.length} steps`, statelet: result.statelet, nodes, all: system.topology.all, initial }
    })
  )
}

/** States sampled as `samples` does, of a world: each with its protocols' parts. */
export const worldSamples = (spec: WorldExportSpec, seeds?: ReadonlyArray<number>, depths?: ReadonlyArray<number>): ReadonlyArray<WorldSample> => {
  const system = Protocols.find(spec.family)!.make(sizes[spec.family] ?? {}) as System.System & { readonly instance: World.Instance }
  const { instance } = system
  const [core, client] = spec.world.protocols.map((p) => p.label) as [string, string]
  return samples(spec.family, seeds, depths).map((s) => {
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
export const counterexamples = (family: string): ReadonlyMap<string, string> => {
  const model = Protocols.find(family)?.model?.(sizes[family] ?? {})
  if (model === undefined) return new Map()
  const report = Checker.check({ ...model, maxStates: Math.min(model.maxStates ?? 50_000, 50_000) })
  const found = new Map<string, string>()
  for (const p of report.properties) {
    if (p.kind !== "always" || p.status !== "violated" || p.trace === undefined) continue
    const steps = p.trace.steps.map((s, i) =>
      s.message === undefined ? `${i + 1}. ${s.action.kind}` : `${i + 1}. ${s.action.kind} ${s.message.tag} ${s.message.from} -> ${s.message.to} ${JSON.stringify(s.message.payload)}`
    )
    found.set(p.name, [`${family} (${JSON.stringify(sizes[family])}), ${steps.length} steps:`, ...steps].join("\n"))
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
export const inductionCounterexamples = (family: string, open: ReadonlyArray<Obligation>, all: ReadonlyArray<Obligation> = open): ReadonlyMap<string, string> => {
  const found = new Map<string, string>()
  const model = Protocols.find(family)?.model?.(sizes[family] ?? {})
  const budget = `seed ${inductionBudget.seed}, a breadth-first search of ${inductionBudget.states} states, ${inductionBudget.walks} walks of ${inductionBudget.depth} steps, ${inductionBudget.candidates} candidates`
  const heading = `Counterexample to induction (protoweave induct ${family}, ${Object.entries(sizes[family] ?? {}).map(([k, v]) => `${k}=${v}`).join(" ")}; budget: ${budget}):`
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
    Argument.withDescription(`the protocols to prove: ${bundled.map((s) => s.family).join(", ")}`),
    Argument.atLeast(0)
  ),
  all: Flag.Boolean("all").pipe(Flag.withoutNegation, Flag.withDescription("prove every bundled protocol"), Flag.withDefault(false)),
  check: Flag.Boolean("check").pipe(
    Flag.withoutNegation,
    Flag.withDescription("write nothing: check the generated and hand-written files as they are, and that the generated ones are up to date (CI)"),
    Flag.withDefault(false)
  )
}

/** The parsed command line of `prove`. */
export interface ProveInput {
  readonly protocols: ReadonlyArray<string>
  readonly all: boolean
  readonly check: boolean
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
  return { ...Export, ...ExportWorld, ...Differential, ...Errors, LeanToolchain, Lean }
}

/** Runs `prove`. */
export const prove = (input: ProveInput): Effect.Effect<void, UsageError | ViolationFound> =>
  Effect.gen(function* () {
    if (input.all && input.protocols.length > 0) return yield* Effect.fail(new UsageError({ message: "give protocols or --all, not both" }))
    const families = [...bundled.map((s) => s.family), ...bundledWorlds.map((s) => s.family)]
    if (!input.all && input.protocols.length === 0) {
      return yield* Effect.fail(new UsageError({ message: `name a protocol to prove (${families.join(", ")}) or give --all` }))
    }
    const unknown = input.protocols.filter((name) => !families.includes(name))
    if (unknown.length > 0) {
      return yield* Effect.fail(new UsageError({ message: `no Lean export for "${unknown[0]}" (these have one: ${families.join(", ")})` }))
    }
    const chosen = input.all ? families : input.protocols
    const worlds = bundledWorlds.filter((w) => chosen.includes(w.family))
    // A world needs its core's export in the same run; a core nobody asked for is checked as it is on disk.
    const protocols = bundled.filter((s) => chosen.includes(s.family) || worlds.some((w) => w.coreFamily === s.family))
    const { exportProtocol, exportWorld, coreTypes, differential, worldDifferential, omissionWarning, ExportError, LeanToolchain, Lean } = yield* Effect.promise(loadExporter)
    const inputs = yield* Effect.try({
      try: () => {
        const exported = new Map(protocols.map((spec) => [spec.family, exportProtocol(root, spec)]))
        return [
          ...protocols.map((spec): Prove.ProtocolInput => {
            const e = exported.get(spec.family)!
            if (!chosen.includes(spec.family)) return { exported: e, differential: "", differentialChecks: 0, counterexamples: new Map(), dependency: true }
            const model = Protocols.find(spec.family)?.model?.(sizes[spec.family] ?? {})
            const check = differential(e, samples(spec.family), model?.payloads ?? {})
            return {
              exported: e,
              differential: check.lean,
              differentialChecks: check.checks,
              counterexamples: counterexamples(spec.family),
              inductionCounterexamples: (open) => inductionCounterexamples(spec.family, open, e.obligations)
            }
          }),
          ...worlds.map((spec): Prove.ProtocolInput => {
            const core = exported.get(spec.coreFamily)!
            const e = exportWorld(root, spec, core)
            const clientLabel = spec.client.protocol.label
            const model = Protocols.find(spec.family)?.model?.(sizes[spec.family] ?? {})
            const payloads = Object.fromEntries(
              Object.entries(model?.payloads ?? {}).filter(([tag]) => tag.startsWith(`${clientLabel}.`)).map(([tag, values]) => [tag.slice(clientLabel.length + 1), values])
            )
            const check = worldDifferential(e, coreTypes(core), spec.properties, worldSamples(spec), payloads)
            return {
              exported: e,
              differential: check.lean,
              differentialChecks: check.checks,
              counterexamples: counterexamples(spec.family),
              inductionCounterexamples: (open) => inductionCounterexamples(spec.family, open, e.obligations)
            }
          })
        ]
      },
      catch: (e) => new UsageError({ message: e instanceof ExportError ? e.message : `cannot export: ${messageOf(e)}` })
    })
    for (const input of inputs) for (const o of input.exported.omitted) yield* Console.error(omissionWarning(o))
    const toolchain = yield* Effect.try({
      try: () => LeanToolchain.find((line) => console.error(line)),
      catch: (e) => new UsageError({ message: `cannot get Lean: ${messageOf(e)}` })
    })
    const report = yield* Effect.tryPromise({
      try: () => Lean.prove(inputs, { root, mode: input.check ? "check" : "discharge", toolchain, say: (line) => console.error(line) }),
      catch: (e) => new UsageError({ message: `cannot run Lean: ${messageOf(e)}` })
    })
    yield* Console.log(Lean.table(report))
    for (const r of report.results.filter((x) => x.status === "failed" && x.message !== undefined)) {
      yield* Console.log(`\n${r.protocol}.${r.name} failed:\n${r.message}`)
    }
    for (const e of report.errors) yield* Console.log(`\nLean error at ${e.file}:${e.line}:\n${e.text}`)
    for (const m of report.differential.mismatches) yield* Console.log(`\ndifferential mismatch at line ${m.line}:\n${m.text}`)
    const count = (status: string) => report.results.filter((r) => r.status === status).length
    yield* Console.log(
      report.axioms === "print axioms"
        ? "\nproved: Lean accepted it and `#print axioms` names no axiom beyond propext, Classical.choice and Quot.sound"
        : "\nproved: Lean accepted it and no declaration it names, directly or through others, was rejected, uses sorry or is an axiom (this Lean refuses `#print axioms`)"
    )
    yield* Console.log(
      `${count("proved")} proved, ${count("open")} open, ${count("failed")} failed, ${count("stale")} stale; differential check: ${report.differential.checks} comparisons, ${report.differential.mismatches.length} mismatches; Lean (${report.toolchain}) took ${Math.round(report.seconds)} s`
    )
    if (report.written.length > 0) yield* Console.log(`wrote ${report.written.join(", ")}`)
    if (Lean.failed(report)) return yield* new ViolationFound()
  })

/** The `prove` command. */
export const command = Command.make("prove", config, prove).pipe(
  Command.withDescription("Export protocols to Lean 4, discharge their proof obligations automatically, check the hand-written proofs (one Lean run)")
)
