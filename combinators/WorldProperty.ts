/**
 * Properties of a world: predicates over one statelet per label (projections of the composed
 * state), and a protocol's own properties lifted to the world.
 *
 * @since 0.1.0
 */
import * as CallSite from "../core/CallSite.ts"
import type * as Property from "../core/Property.ts"
import type { World, WorldProperty } from "../core/World.ts"
import type { AnyProtocol, LabelsOf, ProtocolAt, ShapeOf, Statelets, WorldNodes } from "../typings/World.ts"

/**
 * A property that must hold in every reachable state of the world.
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * import * as World from "./World.ts"
 * const world = World.make({ label: "pair", protocols: [PingPong.protocol, PingPong.echo] })
 * always(world, "fewPings", (s) => Object.values(s.echo.locals.ponger).every((p) => p.seen.length <= 3)).kind // => "always"
 */
export const always = <L extends string, Ps extends ReadonlyArray<AnyProtocol>>(
  _world: World<L, Ps, any>,
  name: string,
  holds: (statelets: Statelets<Ps>, nodes: WorldNodes<Ps>) => boolean
): WorldProperty<Ps> => ({ kind: "always", name, holds, at: CallSite.capture(always) })

/**
 * A property that some reachable state must satisfy (a witness that the world does something).
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * import * as World from "./World.ts"
 * const world = World.make({ label: "pair", protocols: [PingPong.protocol, PingPong.echo] })
 * sometimes(world, "echoed", (s) => s.echo.soup.some((m) => m.tag === "pong")).kind // => "sometimes"
 */
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
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * import * as Property from "../core/Property.ts"
 * import * as World from "./World.ts"
 * const world = World.make({ label: "pair", protocols: [PingPong.protocol, PingPong.echo] })
 * const stopped = Property.always(PingPong.echo, "neverStopped", (s) => Object.values(s.locals.ponger).every((p) => !p.stopped))
 * const lifted = lift(world, "echo", stopped)
 * lifted.name // => "neverStopped"
 */
export const lift = <L extends string, Ps extends ReadonlyArray<AnyProtocol>, const K extends LabelsOf<Ps>>(
  _world: World<L, Ps, any>,
  label: K,
  property: Property.Property<ShapeOf<ProtocolAt<Ps, K>>>
): WorldProperty<Ps> => ({
  kind: property.kind,
  name: property.name,
  holds: (statelets, nodes) => property.holds((statelets as any)[label], (nodes as any)[label]),
  ...(property.trigger === undefined ? {} : { trigger: (statelets, nodes) => property.trigger!((statelets as any)[label], (nodes as any)[label]) })
})

/**
 * A liveness property of the world: on every fair run, some state satisfies it (`docs/liveness.md`).
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * import * as World from "./World.ts"
 * const world = World.make({ label: "pair", protocols: [PingPong.protocol, PingPong.echo] })
 * eventually(world, "echoed", (s) => s.echo.soup.some((m) => m.tag === "pong")).kind // => "eventually"
 */
export const eventually = <L extends string, Ps extends ReadonlyArray<AnyProtocol>>(
  _world: World<L, Ps, any>,
  name: string,
  holds: (statelets: Statelets<Ps>, nodes: WorldNodes<Ps>) => boolean
): WorldProperty<Ps> => ({ kind: "eventually", name, holds, at: CallSite.capture(eventually) })

/**
 * A liveness property of the world: on every fair run, every state satisfying `p` is followed by
 * (or is) one satisfying `q`.
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * import * as World from "./World.ts"
 * const world = World.make({ label: "pair", protocols: [PingPong.protocol, PingPong.echo] })
 * leadsTo(world, "pingAnswered", (s) => s.echo.soup.some((m) => m.tag === "ping"), (s) => s.echo.soup.some((m) => m.tag === "pong")).kind // => "leadsTo"
 */
export const leadsTo = <L extends string, Ps extends ReadonlyArray<AnyProtocol>>(
  _world: World<L, Ps, any>,
  name: string,
  p: (statelets: Statelets<Ps>, nodes: WorldNodes<Ps>) => boolean,
  q: (statelets: Statelets<Ps>, nodes: WorldNodes<Ps>) => boolean
): WorldProperty<Ps> => ({ kind: "leadsTo", name, holds: q, trigger: p, at: CallSite.capture(leadsTo) })
