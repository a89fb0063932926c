/**
 * The model checker's benchmark: the one-round Two-Phase Commit protocol, its properties, its
 * model, and the families `protoweave` lists as `tpc-bench` and `tpc-bench/commit-on-any-yes`.
 * The families have no programs: the protocol is explored exhaustively by the checker, not
 * simulated.
 *
 * @since 0.1.0
 */
import * as LocalPredicate from "../../core/LocalPredicate.ts"
import * as Manifest from "../../core/Manifest.ts"
import type { Model } from "../../core/Model.ts"
import * as Property from "../../core/Property.ts"
import type { NodesOf } from "../../core/Protocol.ts"
import type { Statelet } from "../../core/Statelet.ts"
import * as System from "../../core/System.ts"
import * as TpcBenchProtocol from "./Protocol.ts"

/** The benchmark protocol. */
export const protocol = TpcBenchProtocol.make()

/** The seeded bug: the coordinator may commit as soon as one vote is yes. */
export const commitOnAnyYesProtocol = TpcBenchProtocol.make({ commitOnAnyYes: true })

type Shape = NonNullable<TpcBenchProtocol.TpcBenchProtocol["~shape"]>

/** A participant that applied `decision` (its ghost field). */
const applied = (p: TpcBenchProtocol.TpcBenchProtocol, decision: "commit" | "abort") =>
  LocalPredicate.make(p, "participant", `applied ${decision === "commit" ? "a commit" : "an abort"}`, (s) => s.decision === decision)

/**
 * The properties of a benchmark system. They read only local states (the participants' ghost
 * decisions and the coordinator's votes, which it keeps to the end), never consumed messages, so
 * they are sound under the `active` soup, which forgets those. They are built from local
 * predicates, which the model checker evaluates once per distinct local state.
 */
export const properties = (p: TpcBenchProtocol.TpcBenchProtocol) => {
  const committed = applied(p, "commit")
  const aborted = applied(p, "abort")
  const allVotedYes = LocalPredicate.make(p, "coordinator", "has every vote, all yes", (c, _node, nodes) => TpcBenchProtocol.allYes(nodes.participant, c.votes))
  return [
    /** No participant applied a commit while another applied an abort. */
    Property.always(p, "agreement", (s, nodes) => !(committed.some(s, nodes) && aborted.some(s, nodes))),
    /** A participant applied a commit only if every participant voted yes. */
    Property.always(p, "validity", (s, nodes) => !committed.some(s, nodes) || allVotedYes.every(s, nodes)),
    /** Non-vacuity: some participant commits. */
    Property.sometimes(p, "committed", (s, nodes) => committed.some(s, nodes)),
    /** Non-vacuity: some participant aborts. */
    Property.sometimes(p, "aborted", (s, nodes) => aborted.some(s, nodes))
  ]
}

const coordinatorDone = LocalPredicate.make(protocol, "coordinator", "is done", (c) => c.phase === "Done")
const participantDone = LocalPredicate.make(protocol, "participant", "is done", (s) => s.phase === "Done")

/** The round is over: the coordinator and every participant are `Done`. */
const final = (s: Statelet<Shape>, nodes: NodesOf<Shape>): boolean => coordinatorDone.every(s, nodes) && participantDone.every(s, nodes)

const parameters = {
  participants: { description: "number of participants", default: 3, min: 1, max: 9 }
}

/** The participants `p1..pN` of an `N`-participant benchmark. */
const participantsOf = (n: number): ReadonlyArray<string> => Array.from({ length: n }, (_, i) => `p${i + 1}`)

const build = (p: TpcBenchProtocol.TpcBenchProtocol, participants: number) =>
  System.make({
    protocol: p,
    nodes: { coordinator: ["c"], participant: participantsOf(participants) },
    programs: {},
    properties: properties(p)
  })

/**
 * The benchmark system: coordinator `c` and participants `p1..pN`, with no programs.
 *
 * @example
 * system({ participants: 2 }).topology.all // => ["c", "p1", "p2"]
 */
export const system = (sizes: { readonly [name: string]: number } = {}) =>
  build(protocol, sizes.participants ?? parameters.participants.default)

/**
 * The benchmark model with `participants` participants: Disel's reorder-only network, the
 * `active` soup, and every node `Done` as the only expected end. It has
 * `2·8^N + 5^N − 4^N − 2^N` distinct states and no deadlock; with `commitOnAnyYes` it violates
 * `validity`.
 *
 * @example
 * model(3).soup // => "active"
 */
export const model = (participants: number, options: TpcBenchProtocol.TpcBenchOptions = {}): Model<Shape> => ({
  system: build(options.commitOnAnyYes === true ? commitOnAnyYesProtocol : protocol, participants),
  soup: "active",
  final
})

/**
 * The number of distinct states of the `n`-participant benchmark: `2·8^n + 5^n − 4^n − 2^n`.
 *
 * @example
 * expectedStates(3) // => 1077
 * expectedStates(9) // => 270125925
 */
export const expectedStates = (n: number): number => 2 * 8 ** n + 5 ** n - 4 ** n - 2 ** n

const sizeOf = (sizes: { readonly [name: string]: number }) => sizes.participants ?? parameters.participants.default

/** The families `protoweave` lists. */
export const families: ReadonlyArray<System.Family> = [
  {
    name: "tpc-bench",
    description: "the checker benchmark: one round of Two-Phase Commit, every send and receive a step (no programs)",
    broken: false,
    tolerates: [],
    parameters,
    make: system,
    model: (sizes) => model(sizeOf(sizes))
  },
  {
    name: "tpc-bench/commit-on-any-yes",
    description: "the benchmark's seeded bug: the coordinator commits on any yes vote; validity fails",
    broken: true,
    tolerates: [],
    parameters,
    make: (sizes) => build(commitOnAnyYesProtocol, sizeOf(sizes)),
    model: (sizes) => model(sizeOf(sizes), { commitOnAnyYes: true })
  }
]

export { TpcBenchProtocol as Protocol }

/** What `protoweave` reads of this protocol module: its families. */
export const manifest = Manifest.make({ module: import.meta.url, families })
