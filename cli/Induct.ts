/**
 * `protoweave induct <protocol> --invariant NAME`: is an invariant inductive? Runs the seeded
 * search for counterexamples to induction (`checker/Induction.ts`) on a family's model, for one of
 * its protocol's invariant layers or one of its `always` properties, and prints what it searched
 * (budget and seed), whether the invariant holds initially, the obligations, and for every broken
 * obligation its shrunk counterexample: the whole state (every node's local state and the soup),
 * the step and what it changed, in the simulator's trace format. Exit 1 when an obligation is
 * broken, 0 when none was found — which is not a proof, and the output says so.
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Argument, Command, Flag } from "effect/cli"
import type { Family } from "../core/System.ts"
import * as Induction from "../checker/Induction.ts"
import { oneLine, UsageError, ViolationFound } from "./Errors.ts"
import * as Manifests from "./Manifests.ts"
import * as Parameters from "./Parameters.ts"
import { wholeNumber } from "./Simulate.ts"

const ownFlags: ReadonlyArray<string> = ["invariant", "seed", "states", "walks", "candidates", "param"]

const config = (families: ReadonlyArray<Family>) => ({
  protocol: Argument.String("protocol").pipe(
    Argument.withDescription('the protocol (it needs a model): a name "protoweave list" shows, or a protocol module\'s path (./src/election.ts, or ./src/election.ts#<family>)')
  ),
  invariant: Flag.String("invariant").pipe(
    Flag.withMetavar("NAME"),
    Flag.withDescription("an invariant layer of the protocol, or one of its always properties, to test for induction")
  ),
  seed: Flag.String("seed").pipe(Flag.withMetavar("N"), Flag.withDescription("the search's seed (default 1)"), Flag.withDefault("1")),
  states: Flag.String("states").pipe(
    Flag.withMetavar("N"),
    Flag.withDescription("distinct states a breadth-first search of the model collects, whose local states and messages candidates are built from (default 5000)"),
    Flag.withDefault("5000")
  ),
  walks: Flag.String("walks").pipe(Flag.withMetavar("N"), Flag.withDescription("random walks past the breadth-first frontier collecting more reachable states (default 200)"), Flag.withDefault("200")),
  candidates: Flag.String("candidates").pipe(
    Flag.withMetavar("N"),
    Flag.withDescription("candidate states recombined and mutated from reachable parts, tried beyond the reachable states (default 3000)"),
    Flag.withDefault("3000")
  ),
  param: Flag.String("param").pipe(Flag.withMetavar("NAME=N"), Flag.withDescription("a size parameter of the protocol (repeatable)"), Flag.atLeast(0)),
  sizes: Parameters.sizeFlags(families, ownFlags)
})

const induct = (input: {
  readonly protocol: string
  readonly invariant: string
  readonly seed: string
  readonly states: string
  readonly walks: string
  readonly candidates: string
  readonly param: ReadonlyArray<string>
  readonly sizes: { readonly [name: string]: Option.Option<string> }
}): Effect.Effect<void, UsageError | ViolationFound> =>
  Effect.gen(function* () {
    const { family } = yield* Manifests.resolve(input.protocol)
    const seed = yield* wholeNumber("seed", input.seed, 0, 0xffffffff)
    const states = yield* wholeNumber("states", input.states, 1)
    const walks = yield* wholeNumber("walks", input.walks, 0)
    const candidates = yield* wholeNumber("candidates", input.candidates, 0)
    const parameters = yield* Parameters.resolve(family, yield* Parameters.given(input))
    if (family.model === undefined) return yield* Effect.fail(new UsageError({ message: `${family.name} has no model to search` }))
    const model = yield* Effect.try({
      try: () => family.model!(parameters),
      catch: (e) => new UsageError({ message: `cannot build the model of ${family.name}: ${oneLine(String((e as Error).message ?? e))}` })
    })
    const names = Induction.invariantNames(model)
    if (!names.includes(input.invariant)) {
      return yield* Effect.fail(new UsageError({ message: `${family.name} has no invariant "${input.invariant}" (it has: ${names.join(", ")})` }))
    }
    const report = yield* Effect.try({
      try: () => Induction.searchCounterexample(model, input.invariant, { seed, states, walks, candidates }),
      catch: (e) => new UsageError({ message: `cannot search ${family.name}: ${oneLine(String((e as Error).message ?? e))}` })
    })
    const mine = Induction.obligationsOf(model, input.invariant)
    const open = mine.filter((o) => o !== `${input.invariant}_init` && !report.broken.some((c) => c.obligation === o))
    const lines = [
      `induct ${family.name}  ${Object.entries(parameters).map(([k, v]) => `${k}=${v}`).join(" ")}  invariant ${input.invariant}  seed ${seed}`,
      `searched     ${Induction.formatSearch(report)}`,
      report.initially
        ? `initially    holds`
        : `initially    FALSE: ${Induction.obligationText(report, `${input.invariant}_init`).split("\n").map((l, i) => (i === 0 ? l : `  ${l}`)).join("\n")}`,
      `obligations  ${mine.length}: ${mine.join(", ")}`,
      report.broken.length === 0
        ? `broken       none found`
        : `broken       ${report.broken.length}: ${report.broken.map((c) => c.transition).join(", ")}`,
      ...report.broken.flatMap((c) => Induction.formatCounterexample(c).split("\n").map((l) => `  ${l}`)),
      ...(open.length === 0
        ? []
        : [
            `not found    ${open.length}: ${open.join(", ")}`,
            `             no counterexample found within ${report.tried.toLocaleString("en-US")} candidate states; the search is randomized: it finds counterexamples to induction, it cannot rule them out`
          ])
    ]
    yield* Console.log(lines.join("\n"))
    if (!report.initially || report.broken.length > 0) return yield* Effect.fail(new ViolationFound())
  })

/** The `induct` subcommand, with a convenience flag for each parameter of `families`. */
export const command = (families: ReadonlyArray<Family>) =>
  Command.make("induct", config(families), induct).pipe(
  Command.withDescription("Search for counterexamples to induction of an invariant: which transition breaks it, from which state")
)
