/**
 * Injection (Disel's `inject`): a program written for one protocol, run inside a world that
 * contains it.
 *
 * @since 0.1.0
 */
import type * as Program from "../core/Program.ts"
import type { World } from "../core/World.ts"
import type { ProtocolShape } from "../typings/Protocol.ts"
import type { AnyProtocol, NotHooked } from "../typings/World.ts"
import type { WorldProgram } from "./WorldProgram.ts"
import { WorldSpecError } from "./WorldSpecError.ts"

/**
 * Runs a program written for one protocol inside a world that contains it (Disel's `inject`).
 * Allowed only when no hook of the world constrains that protocol's sends (Disel's
 * `world_not_hooked`): then the world's other protocols are a frame the program cannot observe,
 * and its steps are those it takes alone. A hooked protocol's program does not type-check here
 * (and is refused at run time with a `WorldSpecError`).
 *
 * @example
 * import * as Program from "../core/Program.ts"
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * import * as World from "./World.ts"
 * const world = World.make({ label: "pair", protocols: [PingPong.protocol, PingPong.echo] })
 * const pinger = Program.make(PingPong.protocol, "pinger", (node) => node.send("ping", node.nodes.ponger[0]!, { n: 0 }))
 * inject(pinger, world).roles // => { pingpong: "pinger" }
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
