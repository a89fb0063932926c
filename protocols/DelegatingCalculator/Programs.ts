/**
 * The delegating calculator's own program (Disel's `DelegatingCalculatorServer.v`): a node that is
 * a server of the front Calculator instance and a client of the back one answers each request it
 * gets at the front by asking the back, and passes the answer on. The clients of the front and the
 * server of the back are the Calculator's own programs, injected into the world unchanged.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as World from "../../combinators/World.ts"
import type { CalculatorProtocolOf } from "../Calculator/Protocol.ts"

/** The world shape the delegator is written for: a front and a back Calculator. */
type Instances = readonly [CalculatorProtocolOf<"front">, CalculatorProtocolOf<"back">]

/** Serves the front by asking the back, forever. */
export const delegator = (world: World.World<"delegation", Instances, any>) =>
  World.program(
    world,
    { front: "server", back: "client" },
    (node) =>
      Effect.forever(
        Effect.gen(function* () {
          const request = yield* node.front.receive({ tags: ["req"] })
          const backend = node.back.nodes.server[0]!
          const args = request.payload.args
          yield* node.back.send("req", backend, { args })
          const answer = yield* node.back.receive({
            tags: ["resp"],
            from: backend,
            where: (m) => m.payload.args.length === args.length && m.payload.args.every((x, i) => x === args[i])
          })
          yield* node.front.send("resp", request.from, { value: answer.payload.value, args })
        })
      ),
    { name: "delegator", daemon: true }
  )
