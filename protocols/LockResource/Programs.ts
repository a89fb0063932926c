/**
 * LockResource programs: the lock protocol's own client and server (which the world runs by
 * injection), and the world's programs — a client that takes the lock, writes in its epoch and
 * gives the lock back, a server that is lock server and store at once, and a greedy client that
 * writes before it has the lock (the hook refuses its write; without the hook, two greedy clients
 * write in one epoch).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Program from "../../core/Program.ts"
import * as World from "../../combinators/World.ts"
import { lock, resource, world as lockedStore } from "./Protocol.ts"

/** A lock client alone: takes the lock, then gives it back. Returns the epoch it held it in. */
export const lockClient = Program.make(lock, "client", (node) =>
  Effect.gen(function* () {
    const server = node.nodes.server[0]!
    yield* node.send("acquire", server, {})
    const grant = yield* node.receive({ tags: ["grant"] })
    yield* node.send("release", server, { epoch: grant.payload.epoch })
    return grant.payload.epoch
  })
)

/** A writer of the resource alone: writes once, in epoch 1. It may not be injected into the hooked world. */
export const resourceWriter = Program.make(resource, "writer", (node) => node.send("write", node.nodes.store[0]!, { epoch: 1, value: 7 }))

/** Grants the lock to the first in line while nobody holds it. */
const grantWhileFree = (node: Program.Node<NonNullable<typeof lock["~shape"]>, "server">) =>
  Effect.gen(function* () {
    const s = yield* node.local
    const next = node.nodes.client.find((c) => c === s.queue[0])
    if (s.holder === null && next !== undefined) yield* node.send("grant", next, { epoch: s.epoch + 1 })
  })

/** A lock server alone: queues requests and grants the lock in turn, forever. */
export const lockServer = Program.make(
  lock,
  "server",
  (node) =>
    Effect.forever(
      Effect.gen(function* () {
        yield* node.receive({ tags: ["acquire", "release"] })
        yield* grantWhileFree(node)
      })
    ),
  { daemon: true }
)

/** A client of the world: takes the lock, writes once in its epoch, gives the lock back. */
export const client = World.program(lockedStore, { lock: "client", resource: "writer" }, (node) =>
  Effect.gen(function* () {
    const server = node.lock.nodes.server[0]!
    const store = node.resource.nodes.store[0]!
    yield* node.lock.send("acquire", server, {})
    const grant = yield* node.lock.receive({ tags: ["grant"] })
    yield* node.resource.send("write", store, { epoch: grant.payload.epoch, value: 7 })
    yield* node.lock.send("release", server, { epoch: grant.payload.epoch })
    return grant.payload.epoch
  })
)

/** A greedy client: writes in epoch 1 before asking for the lock. */
export const greedyClient = World.program(
  lockedStore,
  { lock: "client", resource: "writer" },
  (node) =>
    Effect.gen(function* () {
      const server = node.lock.nodes.server[0]!
      yield* node.resource.send("write", node.resource.nodes.store[0]!, { epoch: 1, value: 7 })
      yield* node.lock.send("acquire", server, {})
      const grant = yield* node.lock.receive({ tags: ["grant"] })
      yield* node.lock.send("release", server, { epoch: grant.payload.epoch })
    }),
  { name: "greedyClient" }
)

/** The server of the world: lock server and store in one loop, forever. */
export const server = World.program(
  lockedStore,
  { lock: "server", resource: "store" },
  (node) =>
    Effect.forever(
      Effect.gen(function* () {
        yield* node.receiveAny({ lock: ["acquire", "release"], resource: ["write"] })
        yield* grantWhileFree(node.lock)
      })
    ),
  { daemon: true }
)
