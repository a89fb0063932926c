/**
 * `protoweave induct <protocol> --invariant NAME`: is an invariant inductive? Runs the seeded
 * search for counterexamples to induction (`checker/Induction.ts`) on a family's model, for one of
 * its protocol's invariant layers or for one of its `always` properties (added as a layer on the
 * fly), and prints the obligations, whether the invariant holds initially, and for every broken
 * obligation a state satisfying the invariant and the step that breaks it. Exit 1 when an
 * obligation is broken, 0 when none was found — which is not a proof, and the output says so.
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Argument, Command, Flag } from "effect/cli"
import * as Induction from "../checker/Induction.ts"
import type { Model } from "../core/Model.ts"
import type { Statelet } from "../core/Statelet.ts"
import * as Step from "../core/Step.ts"
import * as System from "../core/System.ts"
import { layers, obligations, withInvariant } from "../core/WithInvariant.ts"
import * as Report from "../simulator/Report.ts"
import { oneLine, UsageError, ViolationFound } from "./Errors.ts"
import * as Families from "./Families.ts"
import * as Parameters from "./Parameters.ts"
import { wholeNumber } from "./Simulate.ts"

const ownFlags: ReadonlyArray<string> = ["invariant", "seed", "walks", "candidates", "param"]

const config = {
  protocol: Argument.String("protocol").pipe(Argument.withDescription('the protocol, as "protoweave list" names it (it needs a model)')),
  invariant: Flag.String("invariant").pipe(
    Flag.withMetavar("NAME"),
    Flag.withDescription("an invariant layer of the protocol, or one of its always properties, to test for induction")
  ),
  seed: Flag.String("seed").pipe(Flag.withMetavar("N"), Flag.withDescription("the search's seed (default 1)"), Flag.withDefault("1")),
  walks: Flag.String("walks").pipe(Flag.withMetavar("N"), Flag.withDescription("random walks collecting reachable states (default 200)"), Flag.withDefault("200")),
  candidates: Flag.String("candidates").pipe(
    Flag.withMetavar("N"),
    Flag.withDescription("recombined and sampled states tried beyond the reachable ones (default 3000)"),
    Flag.withDefault("3000")
  ),
  param: Flag.String("param").pipe(Flag.withMetavar("NAME=N"), Flag.withDescription("a size parameter of the protocol (repeatable)"), Flag.atLeast(0)),
  sizes: Parameters.sizeFlags(ownFlags)
}

/** The model with `name` as an invariant layer: the protocol's own, or an always property added on top. */
const withLayer = (model: Model, name: string): Model | undefined => {
  const protocol = model.system.protocol
  if (layers(protocol).some((l) => l.name === name)) return model
  const property = model.system.properties.find((p: { kind: string; name: string }) => p.kind === "always" && p.name === name)
  if (property === undefined) return undefined
  const strengthened = withInvariant(protocol, name, property.holds)
  const system = System.make({
    protocol: strengthened,
    nodes: model.system.topology.nodes,
    programs: {},
    properties: [],
    initial: Object.fromEntries(model.system.topology.initial)
  })
  return { ...model, system }
}

/** One step, as the trace reports show it. */
const stepLine = (s: Statelet, action: Step.Action): string => {
  if (action.kind === "send") return `${action.node} → ${action.to}  ${action.tag} ${Report.compact(action.payload, 120)}`
  if (action.kind === "crash" || action.kind === "restart") return `${action.kind} ${action.node}`
  const m = s.soup[action.msgId]!
  return `${action.kind === "receive" ? `${m.to} ← ${m.from}` : `${action.kind} ${m.from} → ${m.to}`}  ${m.tag} ${Report.compact(m.payload, 120)}`
}

const induct = (input: {
  readonly protocol: string
  readonly invariant: string
  readonly seed: string
  readonly walks: string
  readonly candidates: string
  readonly param: ReadonlyArray<string>
  readonly sizes: { readonly [name: string]: Option.Option<string> }
}): Effect.Effect<void, UsageError | ViolationFound> =>
  Effect.gen(function* () {
    const family = yield* Families.resolve(input.protocol)
    const seed = yield* wholeNumber("seed", input.seed, 0)
    const walks = yield* wholeNumber("walks", input.walks, 0)
    const candidates = yield* wholeNumber("candidates", input.candidates, 0)
    const parameters = yield* Parameters.resolve(family, yield* Parameters.given(input))
    if (family.model === undefined) return yield* Effect.fail(new UsageError({ message: `${family.name} has no model to search` }))
    const model = yield* Effect.try({
      try: () => family.model!(parameters),
      catch: (e) => new UsageError({ message: `cannot build the model of ${family.name}: ${oneLine(String((e as Error).message ?? e))}` })
    })
    const layered = withLayer(model, input.invariant)
    if (layered === undefined) {
      const names = [...layers(model.system.protocol).map((l) => l.name), ...model.system.properties.filter((p: { kind: string }) => p.kind === "always").map((p: { name: string }) => p.name)]
      return yield* Effect.fail(new UsageError({ message: `${family.name} has no invariant "${input.invariant}" (it has: ${[...new Set(names)].join(", ")})` }))
    }
    const report = Induction.searchCounterexample(layered, input.invariant, { seed, walks, candidates })
    const mine = obligations(layered.system.protocol).filter((o) => o.invariant === input.invariant)
    const lines = [
      `induct ${family.name}  ${Object.entries(parameters).map(([k, v]) => `${k}=${v}`).join(" ")}  invariant ${input.invariant}  seed ${seed}`,
      `initially    ${report.initially ? "holds" : `FALSE (${input.invariant}_init fails)`}`,
      `obligations  ${mine.length}: ${mine.map((o) => o.name).join(", ")}`,
      report.broken.length === 0
        ? `broken       none found`
        : `broken       ${report.broken.length}, each from a state that satisfies ${input.invariant}:`,
      ...report.broken.flatMap((c) => [
        `  ${c.obligation}`,
        `    state  ${Report.compact(c.state.locals, 400)}`,
        `    step   ${stepLine(c.state, c.action)}`,
        `    after  ${Report.compact(c.next.locals, 400)}`
      ]),
      `tried        ${report.tried.toLocaleString("en-US")} states satisfying the hypothesis; this search finds counterexamples to induction, it cannot rule them out`
    ]
    yield* Console.log(lines.join("\n"))
    if (!report.initially || report.broken.length > 0) return yield* Effect.fail(new ViolationFound())
  })

/** The `induct` subcommand. */
export const command = Command.make("induct", config, induct).pipe(
  Command.withDescription("Search for counterexamples to induction of an invariant: which transition breaks it, from which state")
)
