/**
 * protoweave's public API, one namespace per concept, as Effect does:
 *
 * ```ts
 * import { Protocol, Program, Property, System, Checker, Simulator } from "protoweave"
 * ```
 *
 * The kernel (`Protocol`, `Program`, `Property`, `System`, ...) and the combinators and hooks are
 * what a protocol module is written with; `Manifest` is how it describes itself to the command
 * line; `Checker`, `Induction` and `Simulator` are what a test calls on it. The network runtime and
 * the Lean exporter are reached through the `protoweave` command. Declarations marked `@internal`
 * are left out of the package's type declarations.
 *
 * @since 0.1.0
 */

/** Type-level derivations from a protocol's shape: node ids, roles, tags, payloads, what a role may send and receive. */
export * as Typings from "./typings/Protocol.ts"

/** Protocols: a signature (roles, initial states, messages), then send and receive transitions typed by it. */
export * as Protocol from "./core/Protocol.ts"
/** Typed Effect programs for one node in one role. */
export * as Program from "./core/Program.ts"
/** `always` invariants and `sometimes` witnesses over a protocol's statelet. */
export * as Property from "./core/Property.ts"
/** Properties built from node-local predicates quantified over a role. */
export * as LocalPredicate from "./core/LocalPredicate.ts"
/** A protocol on a topology with per-node programs and properties; families of systems over sizes. */
export * as System from "./core/System.ts"
/** The nodes of a system, by role, and their initial states. */
export * as Topology from "./core/Topology.ts"
/** Every node's local state and the message soup. */
export * as Statelet from "./core/Statelet.ts"
/** The network semantics shared by every interpreter: send, receive, and the faults. */
export * as Step from "./core/Step.ts"
/** The bounds of an exhaustive exploration of a system. */
export * as Model from "./core/Model.ts"
/** The typed error of a send whose guard is false. */
export * as ProtocolViolation from "./core/ProtocolViolation.ts"
/** The seeded generator every random choice is drawn from. */
export * as Prng from "./core/Prng.ts"
/** What a protocol module says about itself: its families and its Lean exports. */
export * as Manifest from "./core/Manifest.ts"

/** Invariant layers: `withInvariant(protocol, name, I)` and their proof obligations. */
export * as WithInvariant from "./combinators/WithInvariant.ts"
export { withInvariant } from "./combinators/WithInvariant.ts"
/** Worlds: several protocols under distinct labels with send-hooks, compiled into one protocol. */
export * as World from "./combinators/World.ts"
/** Send-hooks: side conditions on one protocol's sends over another's local state. */
export * as SendHook from "./hooks/SendHook.ts"
/** The hook "answer only from your own log" (Disel's `query_hook`). */
export * as AnswerFromOwnLog from "./hooks/AnswerFromOwnLog.ts"
/** The hook "only while holding the lock", optionally fenced by the lock's token. */
export * as OnlyWhileHolding from "./hooks/OnlyWhileHolding.ts"

/** The explicit-state model checker. */
export * as Checker from "./checker/Checker.ts"
/** The search for counterexamples to induction. */
export * as Induction from "./checker/Induction.ts"
/** Seeded simulation of a system's programs, replay and shrinking. */
export * as Simulator from "./simulator/Simulator.ts"
/** Fault plans for simulation. */
export * as FaultPlan from "./simulator/FaultPlan.ts"
/** Simulation traces and their NDJSON form. */
export * as Trace from "./simulator/Trace.ts"
/** Human-readable reports of simulations and traces. */
export * as Report from "./simulator/Report.ts"
