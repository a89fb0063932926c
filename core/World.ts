/**
 * Worlds (Disel's `world`): several protocols under distinct labels, tied together by send-hooks.
 * A node may play a role in several of them; the global state is one statelet per label.
 *
 * A world on a set of nodes is compiled to one protocol that every interpreter already runs — the
 * way Disel itself sees a world: nodes without roles, whose local state is one local state per
 * label. The composed protocol has a single role, `node`; a node's local state records, for each
 * label, the role it plays there and its local state in that role (or `null` where it plays none).
 * Every tag is qualified by its label (`lock.grant`), so every step, trace line and counterexample
 * names its protocol. A composed send checks, in order: the sender plays the transition's role in
 * that protocol, the receiver plays the receiving role, the protocol's own guard, and every hook on
 * the tag; a refused send's violation names the part that failed — the guard or the hook by name.
 * A step changes only the sender's (or receiver's) local state in the step's own protocol (Disel's
 * `step_is_local`).
 *
 * Properties of a world read one statelet per label (`always`, `sometimes`); the statelets are
 * projections of the composed state.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { NodeId, ProtocolShape, ReceivableBy, Received, RoleOf } from "../typings/Protocol.ts"
import * as Program from "./Program.ts"
import * as Property from "./Property.ts"
import * as Protocol from "./Protocol.ts"
import type { SendHook } from "./SendHook.ts"
import type { Statelet } from "./Statelet.ts"
import * as System from "./System.ts"
import * as Topology from "./Topology.ts"

type AnyProtocol = Protocol.Protocol<any>

/** The shape of a protocol value. */
export type ShapeOf<P> = P extends Protocol.Protocol<infer T> ? T : never

/** The first label that two protocols of the list share, or `never`. */
export type RepeatedLabel<Ps extends ReadonlyArray<AnyProtocol>, Seen extends string = never> = Ps extends readonly [
  infer H extends AnyProtocol,
  ...infer Rest extends ReadonlyArray<AnyProtocol>
]
  ? ShapeOf<H>["label"] extends Seen
    ? ShapeOf<H>["label"]
    : RepeatedLabel<Rest, Seen | ShapeOf<H>["label"]>
  : never

/** The labels of a world's protocols. */
export type LabelsOf<Ps extends ReadonlyArray<AnyProtocol>> = ShapeOf<Ps[number]>["label"]

/** Fails to type-check, naming the label, when two protocols of a world share it. */
type DistinctLabels<Ps extends ReadonlyArray<AnyProtocol>> = [RepeatedLabel<Ps>] extends [never]
  ? unknown
  : { readonly "two protocols of a world share a label": RepeatedLabel<Ps> }

/** The statelet of each protocol of a world, by label. */
export type Statelets<Ps extends ReadonlyArray<AnyProtocol>> = {
  readonly [P in Ps[number] as ShapeOf<P>["label"]]: Statelet<ShapeOf<P>>
}

/** The nodes of each role of each protocol of a world, by label. */
export type WorldNodes<Ps extends ReadonlyArray<AnyProtocol>> = {
  readonly [P in Ps[number] as ShapeOf<P>["label"]]: Protocol.NodesOf<ShapeOf<P>>
}

/** Which nodes play each role of each protocol, by label. */
export type Placement<Ps extends ReadonlyArray<AnyProtocol>> = {
  readonly [P in Ps[number] as ShapeOf<P>["label"]]: { readonly [R in RoleOf<ShapeOf<P>>]: ReadonlyArray<string> }
}

/**
 * A world: protocols with distinct labels, and hooks between them. `Hooked` is, in the type, the
 * labels whose sends some hook constrains: a program of those cannot be injected (`inject`).
 */
export interface World<
  L extends string = string,
  Ps extends ReadonlyArray<AnyProtocol> = ReadonlyArray<AnyProtocol>,
  Hooked extends string = string
> {
  /** The label of the composed protocol (and of the world in output). */
  readonly label: L
  readonly protocols: Ps
  readonly hooks: ReadonlyArray<SendHook<string, Hooked>>
}

/** A world property: a predicate over the statelets of every protocol of the world. */
export interface WorldProperty<Ps extends ReadonlyArray<AnyProtocol> = any> {
  readonly kind: "always" | "sometimes"
  readonly name: string
  readonly holds: (statelets: Statelets<Ps>, nodes: WorldNodes<Ps>) => boolean
}

/** A world that is ill-formed: a repeated label, or a hook naming a protocol outside it. */
export class WorldSpecError extends Error {
  override readonly name = "WorldSpecError"
}

/**
 * Declares a world. Two protocols with one label, or a hook naming a label outside the world, do
 * not type-check (and are refused at run time too).
 *
 * @example
 * import * as LockResource from "../protocols/LockResource/index.ts"
 * const world = make({ label: "lockedStore", protocols: [LockResource.lock, LockResource.resource], hooks: [LockResource.onlyHolderWrites] })
 * world.protocols.map((p) => p.label) // => ["lock", "resource"]
 */
export const make = <
  const L extends string,
  const Ps extends ReadonlyArray<AnyProtocol>,
  const Hooks extends ReadonlyArray<SendHook<LabelsOf<Ps>, LabelsOf<Ps>>> = readonly []
>(spec: {
  readonly label: L
  readonly protocols: Ps & DistinctLabels<Ps>
  readonly hooks?: Hooks
}): World<L, Ps, Hooks[number]["client"]> => {
  const labels = spec.protocols.map((p) => p.label as string)
  const problems: Array<string> = []
  labels.forEach((l, i) => {
    if (labels.indexOf(l) !== i) problems.push(`two protocols have the label "${l}"`)
  })
  for (const h of spec.hooks ?? []) {
    for (const l of [h.core, h.client]) if (!labels.includes(l)) problems.push(`hook "${h.name}" names "${l}", which is not a protocol of the world`)
  }
  if (labels.includes(spec.label)) problems.push(`the world's label "${spec.label}" is also the label of one of its protocols`)
  if (problems.length > 0) throw new WorldSpecError(`world "${spec.label}": ${problems.join("; ")}`)
  return { label: spec.label, protocols: spec.protocols, hooks: (spec.hooks ?? []) as Hooks }
}

/**
 * A property that must hold in every reachable state of the world.
 *
 * @example
 * import * as LockResource from "../protocols/LockResource/index.ts"
 * always(LockResource.world, "noTwoHolders", (s) => Object.values(s.lock.locals.client).filter((c) => c.holding).length <= 1).kind // => "always"
 */
export const always = <L extends string, Ps extends ReadonlyArray<AnyProtocol>>(
  _world: World<L, Ps, any>,
  name: string,
  holds: (statelets: Statelets<Ps>, nodes: WorldNodes<Ps>) => boolean
): WorldProperty<Ps> => ({ kind: "always", name, holds })

/** A property that some reachable state must satisfy (a witness that the world does something). */
export const sometimes = <L extends string, Ps extends ReadonlyArray<AnyProtocol>>(
  _world: World<L, Ps, any>,
  name: string,
  holds: (statelets: Statelets<Ps>, nodes: WorldNodes<Ps>) => boolean
): WorldProperty<Ps> => ({ kind: "sometimes", name, holds })

/**
 * A property of one protocol of the world, as a property of the world: it reads that protocol's
 * statelet (the protocol's own invariants hold in any world whose hooks only add conditions).
 *
 * @example
 * import * as LockResource from "../protocols/LockResource/index.ts"
 * import * as Property from "./Property.ts"
 * const holders = Property.always(LockResource.lock, "oneHolder", (s) => Object.values(s.locals.client).filter((c) => c.phase === "holding").length <= 1)
 * lift(LockResource.world, "lock", holders).name // => "oneHolder"
 */
export const lift = <L extends string, Ps extends ReadonlyArray<AnyProtocol>, const K extends LabelsOf<Ps>>(
  _world: World<L, Ps, any>,
  label: K,
  property: Property.Property<ShapeOf<ProtocolAt<Ps, K>>>
): WorldProperty<Ps> => ({
  kind: property.kind,
  name: property.name,
  holds: (statelets, nodes) => property.holds((statelets as any)[label], (nodes as any)[label])
})

/** The local state of a node in the composed protocol: per label, its role and state there. */
export type ComposedLocal = { readonly [label: string]: { readonly role: string; readonly state: unknown } | null }

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
 * import * as LockResource from "../protocols/LockResource/index.ts"
 * const instance = instantiate(LockResource.world, {
 *   lock: { server: ["s"], client: ["c1", "c2"] },
 *   resource: { store: ["s"], writer: ["c1", "c2"] },
 * })
 * [instance.nodes, instance.protocol.sendOf.has("lock.grant")] // => [["s", "c1", "c2"], true]
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
          const core = local[h.core]
          if (core == null || core.role !== h.coreRole) return `hook "${h.name}": ${self} does not play "${h.coreRole}" in "${h.core}"`
          if (!h.holds(core.state, mine.state, msg, to)) return `hook "${h.name}" is false (${h.core} state ${JSON.stringify(core.state)})`
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

/** The protocol of a world with label `K`. */
type ProtocolAt<Ps extends ReadonlyArray<AnyProtocol>, K> = Extract<Ps[number], { readonly label: K }>

/** Which role a program plays in which protocols of a world: label → role. */
export type Roles<Ps extends ReadonlyArray<AnyProtocol>> = {
  readonly [P in Ps[number] as ShapeOf<P>["label"]]?: RoleOf<ShapeOf<P>>
}

/**
 * What a program of a world sees of its node: one typed handle per protocol it plays in, and a
 * receive that waits on several protocols at once.
 */
export type WorldNode<Ps extends ReadonlyArray<AnyProtocol>, R extends Roles<Ps>> = {
  readonly [K in keyof R & string]: Program.Node<ShapeOf<ProtocolAt<Ps, K>>, R[K] & RoleOf<ShapeOf<ProtocolAt<Ps, K>>>>
} & {
  readonly self: string
  /** Waits for the first message matching one of the tags, per label; returns its label and the message. */
  receiveAny<const Tags extends { readonly [K in keyof R & string]?: ReadonlyArray<ReceivableBy<ShapeOf<ProtocolAt<Ps, K>>, R[K] & string>> }>(
    tags: Tags
  ): Effect.Effect<
    { [K in keyof Tags & string]: { readonly label: K; readonly message: Received<ShapeOf<ProtocolAt<Ps, K>>, NonNullable<Tags[K]>[number] & string> } }[keyof Tags & string]
  >
}

/** A program for the nodes of a world that play given roles, before the world is placed on nodes. */
export interface WorldProgram<Ps extends ReadonlyArray<AnyProtocol> = any, R extends Roles<Ps> = any> {
  readonly name: string
  readonly roles: R
  readonly daemon: boolean
  readonly run: (node: WorldNode<Ps, R>) => Effect.Effect<unknown, unknown>
}

/**
 * A program for nodes playing `roles` (label → role) in a world: it acts through one typed handle
 * per protocol (`node.lock.send(...)`), and can wait on several protocols at once (`receiveAny`).
 *
 * @example
 * import * as Effect from "effect/Effect"
 * import * as LockResource from "../protocols/LockResource/index.ts"
 * const waiter = program(LockResource.world, { lock: "client" }, (node) => node.lock.send("acquire", node.lock.nodes.server[0]!, {}), { name: "waiter" })
 * waiter.roles // => { lock: "client" }
 */
export const program = <L extends string, Ps extends ReadonlyArray<AnyProtocol>, const R extends Roles<Ps>>(
  _world: World<L, Ps, any>,
  roles: R,
  run: (node: WorldNode<Ps, R>) => Effect.Effect<unknown, unknown>,
  options: { readonly name?: string; readonly daemon?: boolean } = {}
): WorldProgram<Ps, R> => ({
  name: options.name ?? Object.entries(roles).map(([l, r]) => `${l}.${String(r)}`).join("+"),
  roles,
  daemon: options.daemon ?? false,
  run
})

/** Fails to type-check, naming the label, when a hook of the world constrains the program's protocol. */
type NotHooked<Hooked extends string, Label extends string> = [Extract<Hooked, Label>] extends [never]
  ? unknown
  : { readonly "a hook of the world constrains the sends of": Label }

/**
 * Runs a program written for one protocol inside a world that contains it (Disel's `inject`).
 * Allowed only when no hook of the world constrains that protocol's sends (Disel's
 * `world_not_hooked`): then the world's other protocols are a frame the program cannot observe,
 * and its steps are those it takes alone. A hooked protocol's program does not type-check here.
 *
 * @example
 * import * as LockResource from "../protocols/LockResource/index.ts"
 * inject(LockResource.Programs.lockClient, LockResource.world).roles // => { lock: "client" }
 */
export const inject = <T extends ProtocolShape, Role extends string, L extends string, Ps extends ReadonlyArray<AnyProtocol>, Hooked extends string>(
  program: Program.Program<T, Role, unknown, unknown> & NotHooked<Hooked, T["label"]>,
  world: World<L, Ps, Hooked>
): WorldProgram<Ps, any> => {
  const label = program.protocol.label as string
  if (!world.protocols.some((p) => p.label === label)) throw new WorldSpecError(`world "${world.label}" has no protocol "${label}"`)
  const hook = world.hooks.find((h) => h.client === label)
  if (hook !== undefined) {
    throw new WorldSpecError(`cannot inject ${program.name} into "${world.label}": hook "${hook.name}" constrains the sends of "${label}"`)
  }
  return {
    name: program.name,
    roles: { [label]: program.role },
    daemon: program.daemon,
    run: (node) => program.run((node as any)[label])
  }
}

/** The handles a world program gets, over the composed protocol's node handle. */
const worldNode = (instance: Instance, roles: { readonly [label: string]: string }, composed: Program.Node<any, "node">): WorldNode<any, any> => {
  const strip = (label: string, m: Program.ReceivedMessage): Program.ReceivedMessage => ({ ...m, tag: m.tag.slice(label.length + 1) })
  const qualify = (label: string, filter: Program.RuntimeFilter) => ({
    tags: filter.tags.map((t) => `${label}.${t}`),
    ...(filter.from === undefined ? {} : { from: filter.from }),
    ...(filter.where === undefined ? {} : { where: (m: Program.ReceivedMessage) => filter.where!(strip(label, m)) })
  })
  const handles: Record<string, unknown> = { self: composed.self }
  for (const [label, role] of Object.entries(roles)) {
    const driver: Program.Driver = {
      local: Effect.map(composed.local, (local) => (local as ComposedLocal)[label]!.state),
      send: (tag, to, payload) => composed.send(`${label}.${tag}` as never, to as never, payload as never),
      receive: (filter) => Effect.map(composed.receive(qualify(label, filter) as any), (m) => strip(label, m as Program.ReceivedMessage)),
      poll: (filter, ms) =>
        Effect.map(composed.receiveWithin(qualify(label, filter) as any, ms), (m) => Option.map(m as Option.Option<Program.ReceivedMessage>, (x) => strip(label, x))),
      sleep: (ms) => composed.sleep(ms),
      now: composed.now
    }
    handles[label] = Program.handle(composed.self, role, instance.placement[label] as any, driver)
  }
  handles.receiveAny = (tags: { readonly [label: string]: ReadonlyArray<string> }) =>
    Effect.map(
      composed.receive({ tags: Object.entries(tags).flatMap(([label, ts]) => ts.map((t) => `${label}.${t}`)) } as any),
      (m) => {
        const message = m as Program.ReceivedMessage
        const label = message.tag.slice(0, message.tag.indexOf("."))
        return { label, message: strip(label, message) }
      }
    )
  return handles as WorldNode<any, any>
}

/**
 * A world placed on nodes, as a system every interpreter runs: the composed protocol, each node's
 * initial state, the programs bound to the nodes that run them, and the world's properties over its
 * per-label statelets.
 *
 * @example
 * import * as LockResource from "../protocols/LockResource/index.ts"
 * const system = LockResource.system({ clients: 2 })
 * system.protocol.label // => "lockedStore"
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
  const properties = spec.properties.map((p) =>
    (p.kind === "always" ? Property.always : Property.sometimes)(instance.protocol, p.name, (s) => p.holds(statelets(s as Statelet), nodes))
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
    programs[node] = Program.make(instance.protocol, "node", (composed) => wp.run(worldNode(instance, roles, composed as any) as any) as any, {
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
