/**
 * A system: a protocol on a topology, the program each node runs, and the properties to check.
 * It is what the interpreters run; protocols export systems (and families of systems over a size
 * parameter) without importing any interpreter.
 *
 * @since 0.1.0
 */
import type { ProtocolShape, RoleOf } from "../typings/Protocol.ts"
import type { Model } from "./Model.ts"
import type { Program } from "./Program.ts"
import * as Property from "./Property.ts"
import type { Protocol } from "./Protocol.ts"
import * as Topology from "./Topology.ts"

/** A runnable system. `properties` includes the protocol's coherence. */
export interface System<T extends ProtocolShape = any> {
  readonly protocol: Protocol<T>
  readonly topology: Topology.Topology<T>
  /** The program of each node that runs one; other nodes are passive. */
  readonly programs: ReadonlyMap<string, Program<T>>
  readonly properties: ReadonlyArray<Property.Property<T>>
}

/**
 * Builds a system. Programs are given per node; each must be for that node's role and protocol.
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * const system = make({ protocol: PingPong.protocol, nodes: { pinger: ["p1"], ponger: ["q1"] }, programs: {}, properties: [] })
 * system.topology.all // => ["p1", "q1"]
 */
export const make = <T extends ProtocolShape>(spec: {
  readonly protocol: Protocol<T>
  readonly nodes: { readonly [R in RoleOf<T>]: ReadonlyArray<string> }
  readonly programs: { readonly [node: string]: Program<T> }
  readonly properties: ReadonlyArray<Property.Property<T>>
  /** Initial states of particular nodes, where they differ from their role's (see `Topology`). */
  readonly initial?: { readonly [node: string]: unknown }
}): System<T> => {
  const topology = Topology.make(spec.protocol, spec.nodes, spec.initial)
  const programs = new Map<string, Program<T>>()
  for (const [node, program] of Object.entries(spec.programs)) {
    const role = topology.roleOf.get(node)
    if (role === undefined) throw new Topology.TopologyError(`a program is given for "${node}", which is not a node`)
    if (program.protocol !== spec.protocol) {
      throw new Topology.TopologyError(`the program "${program.name}" of ${node} is for protocol "${program.protocol.label}", not "${spec.protocol.label}"`)
    }
    if (program.role !== role) {
      throw new Topology.TopologyError(`the program "${program.name}" of ${node} is for role "${program.role}", but ${node} plays "${role}"`)
    }
    programs.set(node, program)
  }
  const names = new Set<string>()
  const properties = [...Property.coherence(spec.protocol), ...spec.properties]
  for (const p of properties) {
    if (names.has(p.name)) throw new Error(`protocol "${spec.protocol.label}": two properties are named "${p.name}"`)
    names.add(p.name)
  }
  return { protocol: spec.protocol, topology, programs, properties }
}

/** A size parameter of a family of systems (`--participants 5`). */
export interface Parameter {
  readonly description: string
  readonly default: number
  readonly min: number
  readonly max: number
}

/**
 * A named family of systems, as listed by `protoweave list`: a protocol with its programs,
 * parameterised by sizes, and its broken variants.
 */
export interface Family {
  /** The kebab-case command-line name: `two-phase-commit`, or `two-phase-commit/commit-on-any-yes`. */
  readonly name: string
  readonly description: string
  /** True for a deliberately broken variant, which the tools must catch. */
  readonly broken: boolean
  /** The faults the protocol is meant to tolerate (its safety properties still hold). */
  readonly tolerates: ReadonlyArray<"drop" | "duplicate" | "crash" | "restart">
  readonly parameters: { readonly [name: string]: Parameter }
  readonly make: (parameters: { readonly [name: string]: number }) => System
  /** The family's model for exhaustive checking, when it has one. */
  readonly model?: (parameters: { readonly [name: string]: number }) => Model
}
