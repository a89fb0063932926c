/**
 * Compiling a world on nodes into one protocol that every interpreter already runs — the way
 * Disel itself sees a world: nodes without roles, whose local state is one local state per label.
 * The composed protocol has a single role, `node`; a node's local state records, for each label,
 * the role it plays there and its local state in that role (or `null` where it plays none). Every
 * tag is qualified by its label (`lock.grant`), so every step, trace line and counterexample names
 * its protocol. A composed send checks, in order: the sender plays the transition's role in that
 * protocol, the receiver plays the receiving role, the protocol's own guard, and every hook on the
 * tag; a refused send's violation names the part that failed — the guard or the hook by name. A
 * step changes only the sender's (or receiver's) local state in the step's own protocol (Disel's
 * `step_is_local`).
 *
 * Properties of a world read one statelet per label; the statelets are projections of the
 * composed state.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as Program from "../core/Program.ts"
import * as Property from "../core/Property.ts"
import * as Protocol from "../core/Protocol.ts"
import type { Statelet } from "../core/Statelet.ts"
import * as System from "../core/System.ts"
import * as Topology from "../core/Topology.ts"
import type { ComposedLocal, World, WorldProperty } from "../core/World.ts"
import * as SendHook from "../hooks/SendHook.ts"
import type { NodeId } from "../typings/Protocol.ts"
import type { AnyProtocol, Placement, Statelets, WorldNodes } from "../typings/World.ts"
import { handles, type WorldProgram } from "./WorldProgram.ts"

/** A world placed on nodes: its composed protocol, and the way back to one statelet per label. */
export interface Instance {
  readonly world: World
  /** The composed protocol: one role, `node`; tags qualified by label (`lock.grant`). */
  readonly protocol: Protocol.Protocol
  /** Every node of the world, in order of first appearance. */
  readonly nodes: ReadonlyArray<string>
  /** Each node's initial composed local state. */
  readonly initial: { readonly [node: string]: ComposedLocal }
  /** The nodes of each role of each protocol, by label. */
  readonly placement: { readonly [label: string]: { readonly [role: string]: ReadonlyArray<string> } }
  /** The statelet of protocol `label` within a composed statelet. */
  project(statelet: Statelet, label: string): Statelet
}

/**
 * Places a world on nodes and composes its protocols into one (see the module comment).
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * import * as World from "./World.ts"
 * const world = World.make({ label: "pair", protocols: [PingPong.protocol, PingPong.echo] })
 * const instance = instantiate(world, { pingpong: { pinger: ["a"], ponger: ["b"] }, echo: { pinger: ["b"], ponger: ["a"] } })
 * [instance.nodes, instance.protocol.sendOf.has("echo.ping")] // => [["a", "b"], true]
 * instance.initial.a // => { pingpong: { role: "pinger", state: { next: 0, acked: [] } }, echo: { role: "ponger", state: { seen: [], stopped: false } } }
 */
export const instantiate = <L extends string, Ps extends ReadonlyArray<AnyProtocol>>(
  world: World<L, Ps, any>,
  placement: Placement<Ps>
): Instance => {
  const byLabel = new Map(world.protocols.map((p) => [p.label as string, p]))
  const where = placement as unknown as { readonly [label: string]: { readonly [role: string]: ReadonlyArray<string> } }
  const topologies = new Map<string, Topology.Topology>()
  const nodes: Array<string> = []
  for (const p of world.protocols) {
    const ids = where[p.label]
    if (ids === undefined) throw new Topology.TopologyError(`world "${world.label}": no nodes given for protocol "${p.label}"`)
    const topology = Topology.make(p, ids as any)
    topologies.set(p.label, topology)
    for (const n of topology.all) if (!nodes.includes(n)) nodes.push(n)
  }
  for (const label of Object.keys(where)) {
    if (!byLabel.has(label)) throw new Topology.TopologyError(`world "${world.label}" has no protocol "${label}"`)
  }
  const roleIn = (label: string, node: string): string | undefined => topologies.get(label)!.roleOf.get(node)
  const contexts = new Map<string, Protocol.TransitionContext<string, any, any>>()
  const contextOf = (label: string, self: string) => {
    const key = `${label}\u0000${self}`
    let ctx = contexts.get(key)
    if (ctx === undefined) contexts.set(key, (ctx = Object.freeze({ self: self as NodeId<string, string>, nodes: topologies.get(label)!.nodes })))
    return ctx
  }

  const localSchema = Schema.Struct(
    Object.fromEntries(
      world.protocols.map((p) => [
        p.label,
        Schema.Union([
          ...Object.entries(p.roles).map(([role, d]) => Schema.Struct({ role: Schema.Literal(role), state: d.state as Schema.Codec<unknown> })),
          Schema.Null
        ])
      ])
    )
  )
  const messages = Object.fromEntries(
    world.protocols.flatMap((p) => Object.entries(p.messages).map(([tag, d]) => [`${p.label}.${tag}`, d.payload as Schema.Top]))
  )
  const nobody: ComposedLocal = Object.fromEntries(world.protocols.map((p) => [p.label, null]))
  const initial: Record<string, ComposedLocal> = {}
  for (const n of nodes) {
    initial[n] = Object.fromEntries(
      world.protocols.map((p) => {
        const role = roleIn(p.label, n)
        return [p.label, role === undefined ? null : { role, state: p.roles[role]!.initial }]
      })
    )
  }
  const Composed = Protocol.signature({
    label: world.label,
    roles: { node: localSchema },
    initial: { node: nobody as any },
    messages,
    recover: {
      node: (local: any) =>
        Object.fromEntries(
          Object.entries(local as ComposedLocal).map(([label, v]) => [
            label,
            v === null ? null : { role: v.role, state: byLabel.get(label)!.roles[v.role]!.recover(v.state) }
          ])
        ) as any
    }
  })

  type Local = ComposedLocal
  const sends: Record<string, any> = {}
  const receives: Record<string, any> = {}
  for (const p of world.protocols) {
    const label = p.label as string
    for (const t of p.sends) {
      const hooks = world.hooks.filter((h) => h.client === label && h.tag === t.tag)
      /** Why the send is refused, or undefined when it is allowed. */
      const refusal = (local: Local, to: string, msg: unknown, self: string): string | undefined => {
        const mine = local[label]
        if (mine == null || mine.role !== t.from) return `${self} does not play "${t.from}" in "${label}"`
        const toRole = roleIn(label, to)
        if (toRole !== t.to) return `${to} does not play "${t.to}" in "${label}"`
        if (!t.guard(mine.state, to as never, msg, contextOf(label, self))) return `the guard of ${label}.${t.name} is false`
        for (const h of hooks) {
          const refused = SendHook.refusal(h, self, local, mine.state, msg, to)
          if (refused !== undefined) return refused
        }
        return undefined
      }
      sends[`${label}_${t.name}`] = Composed.send({
        tag: `${label}.${t.tag}`,
        from: "node",
        to: "node",
        guard: (local, to, msg, ctx) => refusal(local as Local, to, msg, ctx.self) === undefined,
        refusal: (local, to, msg, ctx) => refusal(local as Local, to, msg, ctx.self) ?? "",
        step: (local, to, msg, ctx) => {
          const mine = (local as Local)[label]!
          return { ...local, [label]: { role: mine.role, state: t.step(mine.state, to as never, msg, contextOf(label, ctx.self)) } }
        },
        ...(t.candidates === undefined
          ? {}
          : {
              candidates: (local, ctx) => {
                const mine = (local as Local)[label]
                return mine == null || mine.role !== t.from ? [] : (t.candidates!(mine.state, contextOf(label, ctx.self)) as any)
              }
            })
      })
    }
    for (const r of p.receives) {
      receives[`${label}_${r.name}`] = Composed.receive({
        tag: `${label}.${r.tag}`,
        by: "node",
        accepts: (local, from, msg, ctx) => {
          const mine = (local as Local)[label]
          return mine != null && mine.role === r.by && (r.accepts?.(mine.state, from as never, msg, contextOf(label, ctx.self)) ?? true)
        },
        step: (local, from, msg, ctx) => {
          const mine = (local as Local)[label]!
          return { ...local, [label]: { role: mine.role, state: r.step(mine.state, from as never, msg, contextOf(label, ctx.self)) } }
        }
      })
    }
  }

  const project = (statelet: Statelet, label: string): Statelet => {
    const p = byLabel.get(label)
    if (p === undefined) throw new Error(`world "${world.label}" has no protocol "${label}"`)
    const locals: Record<string, Record<string, unknown>> = {}
    for (const role of Object.keys(p.roles)) locals[role] = {}
    const composed = (statelet.locals as Record<string, Record<string, Local>>).node!
    for (const n of topologies.get(label)!.all) {
      const mine = composed[n]![label]!
      locals[mine.role]![n] = mine.state
    }
    const prefix = `${label}.`
    const members = topologies.get(label)!.roleOf
    // The soup is projected when a property first reads it: one that reads only local states never
    // touches the messages (and so stays valid when the checker forgets consumed ones).
    let soup: ReadonlyArray<unknown> | undefined
    return {
      locals: locals as any,
      get soup() {
        return (soup ??= statelet.soup
          .filter((m) => m.tag.startsWith(prefix))
          .map((m, id) => ({ id, tag: m.tag.slice(prefix.length), from: m.from, to: m.to, payload: m.payload, active: m.active }))) as any
      },
      crashed: statelet.crashed.filter((n) => members.has(n))
    }
  }
  const coherent = world.protocols.filter((p) => p.coherence !== undefined)
  const protocol = Composed.protocol({
    sends,
    receives,
    ...(coherent.length === 0
      ? {}
      : { coherence: (s: any) => coherent.every((p) => p.coherence!(project(s, p.label) as any, topologies.get(p.label)!.nodes as any)) })
  })
  return {
    world,
    protocol: protocol as unknown as Protocol.Protocol,
    nodes,
    initial,
    placement: Object.fromEntries([...topologies].map(([label, t]) => [label, t.nodes as any])),
    project
  }
}

/**
 * A world placed on nodes, as a system every interpreter runs: the composed protocol, each node's
 * initial state, the programs bound to the nodes that run them, and the world's properties over its
 * per-label statelets.
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * import * as World from "./World.ts"
 * const world = World.make({ label: "pair", protocols: [PingPong.protocol, PingPong.echo] })
 * const pinger = World.program(world, { pingpong: "pinger" }, (node) => node.pingpong.send("ping", node.pingpong.nodes.ponger[0]!, { n: 0 }))
 * const pair = system(world, {
 *   placement: { pingpong: { pinger: ["a"], ponger: ["b"] }, echo: { pinger: ["b"], ponger: ["a"] } },
 *   properties: [World.always(world, "fewPings", (s) => Object.values(s.pingpong.locals.ponger).every((p) => p.seen.length <= 1))],
 *   programs: { a: pinger },
 * })
 * [pair.protocol.label, pair.properties.map((p) => p.name), [...pair.programs.keys()]] // => ["pair", ["coherence", "fewPings"], ["a"]]
 */
export const system = <L extends string, Ps extends ReadonlyArray<AnyProtocol>>(
  world: World<L, Ps, any>,
  spec: {
    readonly placement: Placement<Ps>
    readonly properties: ReadonlyArray<WorldProperty<Ps>>
    readonly programs?: { readonly [node: string]: WorldProgram<Ps, any> }
  }
): System.System & { readonly instance: Instance } => {
  const instance = instantiate(world, spec.placement)
  const statelets = (s: Statelet) => Object.fromEntries(world.protocols.map((p) => [p.label, instance.project(s, p.label)])) as Statelets<Ps>
  const nodes = instance.placement as unknown as WorldNodes<Ps>
  const lifted = (holds: WorldProperty<Ps>["holds"]) => (s: Statelet) => holds(statelets(s), nodes)
  const properties = spec.properties.map((p) =>
    p.kind === "eventually"
      ? Property.eventually(instance.protocol, p.name, lifted(p.holds))
      : p.kind === "leadsTo"
        ? Property.leadsTo(instance.protocol, p.name, lifted(p.trigger!), lifted(p.holds))
        : (p.kind === "always" ? Property.always : Property.sometimes)(instance.protocol, p.name, lifted(p.holds))
  )
  const programs: Record<string, Program.Program> = {}
  for (const [node, wp] of Object.entries(spec.programs ?? {})) {
    const roles = wp.roles as { readonly [label: string]: string }
    for (const [label, role] of Object.entries(roles)) {
      const plays = Object.entries(instance.placement[label] ?? {}).find(([, ids]) => ids.includes(node))?.[0]
      if (plays !== role) {
        throw new Topology.TopologyError(
          `world "${world.label}": the program "${wp.name}" of ${node} is for role "${role}" in "${label}", but ${node} plays ${plays === undefined ? "no role" : `"${plays}"`} there`
        )
      }
    }
    programs[node] = Program.make(instance.protocol, "node", (composed) => wp.run(handles(instance.placement, roles, composed as any) as any) as any, {
      name: wp.name,
      daemon: wp.daemon
    })
  }
  const built = System.make({
    protocol: instance.protocol,
    nodes: { node: instance.nodes },
    programs,
    properties,
    initial: instance.initial
  })
  return { ...built, instance }
}
