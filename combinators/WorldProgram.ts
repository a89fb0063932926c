/**
 * Programs of a world: a program for the nodes that play given roles in given protocols of a
 * world, acting through one typed handle per protocol and waiting on several protocols at once.
 * `World.system` runs it on the world's composed protocol through the handles built here.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Program from "../core/Program.ts"
import type { ComposedLocal, World } from "../core/World.ts"
import type { AnyProtocol, Roles, WorldNode } from "../typings/World.ts"

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
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * import * as World from "./World.ts"
 * const world = World.make({ label: "pair", protocols: [PingPong.protocol, PingPong.echo] })
 * const pinger = program(world, { pingpong: "pinger", echo: "ponger" }, (node) => node.pingpong.send("ping", node.pingpong.nodes.ponger[0]!, { n: 0 }))
 * [pinger.name, pinger.roles] // => ["pingpong.pinger+echo.ponger", { pingpong: "pinger", echo: "ponger" }]
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

/**
 * The handles a world program gets on one node, over the composed protocol's handle of that node:
 * per label it plays in (`roles`), a handle of that protocol whose tags are unqualified, and
 * `receiveAny`.
 *
 * @internal
 */
export const handles = (
  placement: { readonly [label: string]: { readonly [role: string]: ReadonlyArray<string> } },
  roles: { readonly [label: string]: string },
  composed: Program.Node<any, "node">
): WorldNode<any, any> => {
  const strip = (label: string, m: Program.ReceivedMessage): Program.ReceivedMessage => ({ ...m, tag: m.tag.slice(label.length + 1) })
  const qualify = (label: string, filter: Program.RuntimeFilter) => ({
    tags: filter.tags.map((t) => `${label}.${t}`),
    ...(filter.from === undefined ? {} : { from: filter.from }),
    ...(filter.where === undefined ? {} : { where: (m: Program.ReceivedMessage) => filter.where!(strip(label, m)) })
  })
  const out: Record<string, unknown> = { self: composed.self }
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
    out[label] = Program.handle(composed.self, role, placement[label] as any, driver)
  }
  out.receiveAny = (tags: { readonly [label: string]: ReadonlyArray<string> }) =>
    Effect.map(
      composed.receive({ tags: Object.entries(tags).flatMap(([label, ts]) => ts.map((t) => `${label}.${t}`)) } as any),
      (m) => {
        const message = m as Program.ReceivedMessage
        const label = message.tag.slice(0, message.tag.indexOf("."))
        return { label, message: strip(label, message) }
      }
    )
  return out as WorldNode<any, any>
}
