/**
 * The bounds of an exhaustive exploration of a system (its model, in model-checking terms): which
 * faults the network may inject and how often, whether the soup keeps consumed messages, the finite
 * domains of payloads that no transition enumerates itself, which states are final, which roles'
 * nodes are interchangeable, and where to stop. Protocols export models; the checker explores them.
 *
 * @since 0.1.0
 */
import type { ProtocolShape, RoleOf } from "../typings/Protocol.ts"
import type { NodesOf } from "./Protocol.ts"
import type { Statelet } from "./Statelet.ts"
import type { FaultModel } from "./Step.ts"
import type { System } from "./System.ts"

/**
 * A model of a system for exhaustive checking.
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * import * as System from "./System.ts"
 * const system = System.make({ protocol: PingPong.protocol, nodes: { pinger: ["p1"], ponger: ["q1"] }, programs: {}, properties: [] })
 * const model: Model = { system, soup: "history" }
 * model.soup // => "history"
 */
export interface Model<T extends ProtocolShape = any> {
  readonly system: System<T>
  /** The fault steps explored, and their bounds. Default: none (Disel's reorder-only network). */
  readonly faults?: FaultModel & {
    /** At most this many nodes are down at once (default 1). */
    readonly maxCrashed?: number
    /** At most this many duplications in a run (default 1): duplication alone has no bound. */
    readonly maxDuplicates?: number
  }
  /**
   * `history` keeps consumed messages (Disel's soup, needed by invariants about the past);
   * `active` forgets them and treats the soup as a multiset, which merges states that differ only in
   * history. The checker refuses `active` when a property reads consumed messages.
   */
  readonly soup?: "history" | "active"
  /** Candidate payloads of tags whose send transitions declare no `candidates`. */
  readonly payloads?: { readonly [tag: string]: ReadonlyArray<unknown> }
  /** States where nothing left to do is expected; any other state without a step is a deadlock. */
  readonly final?: (statelet: Statelet<T>, nodes: NodesOf<T>) => boolean
  /**
   * Interchangeable nodes, for symmetry reduction: a role (all its nodes), or a list of node ids —
   * for a world, whose composed protocol has one role, the nodes that play the same roles alike.
   */
  readonly symmetric?: ReadonlyArray<RoleOf<T> | ReadonlyArray<string>>
  readonly maxDepth?: number
  readonly maxStates?: number
  /** The fairness liveness properties are checked under (`docs/liveness.md`); default: weak fairness of every step. */
  readonly fairness?: Fairness
}

/**
 * The fair runs of a model, for liveness. `weak: "every step"` (the default): a send, a receive of a
 * message, or a restart of a crashed node (when the model restarts nodes) that stays enabled is
 * eventually taken; `"none"`: any infinite run counts (and a run may stop only where nothing is
 * enabled). `strong` lists message tags whose sends and receives are strongly fair: enabled
 * infinitely often, taken eventually. Fault steps (drop, duplicate, crash) are never required, and
 * happen finitely often on a fair run (faults eventually stop).
 */
export interface Fairness {
  readonly weak?: "every step" | "none"
  readonly strong?: ReadonlyArray<string>
}
