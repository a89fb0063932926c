/**
 * LockResource: a lock protocol and a resource protocol, tied by a send-hook so that only the
 * current holder of the lock may write to the resource.
 *
 * - `lock` (label `"lock"`): clients ask a server for the lock (`acquire`); the server queues the
 *   requests and grants the lock to the first in line with the next epoch (`grant`) when nobody
 *   holds it; the holder gives it back (`release`). Each client takes the lock once, so the model
 *   is finite: a client goes `idle → waiting → holding → released`.
 * - `resource` (label `"resource"`): writers send `write { epoch, value }` to a store, which logs
 *   every write with its writer. On its own, the resource protocol lets any writer write with any
 *   epoch, once.
 * - The hook `onlyHolderWrites` (core `lock`, client `resource`, tag `write`), from the hook library
 *   (`hooks/OnlyWhileHolding.ts`): a node may send `write` only while it holds the lock, and only
 *   with the epoch it holds it in.
 * - `world` ties them with the hook; `unhookedWorld` is the broken composition without it.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as World from "../../combinators/World.ts"
import * as Protocol from "../../core/Protocol.ts"
import { onlyWhileHolding } from "../../hooks/OnlyWhileHolding.ts"

/** A lock client's progress: it takes the lock once. */
export const ClientPhase = Schema.Literals(["idle", "waiting", "holding", "released"])

/** A lock client's local state: its phase and the epoch it holds (or held) the lock in (0: never). */
export const ClientState = Schema.Struct({ phase: ClientPhase, epoch: Schema.Int })

/** A lock client's local state, as a type. */
export type ClientState = typeof ClientState.Type

/** The lock server's local state: the holder (or null), the clients waiting in order, the last epoch granted. */
export const ServerState = Schema.Struct({ holder: Schema.NullOr(Schema.String), queue: Schema.Array(Schema.String), epoch: Schema.Int })

const Lock = Protocol.signature({
  label: "lock",
  roles: { server: ServerState, client: ClientState },
  initial: { server: { holder: null, queue: [], epoch: 0 }, client: { phase: "idle", epoch: 0 } },
  messages: {
    acquire: Schema.Struct({}),
    grant: Schema.Struct({ epoch: Schema.Int }),
    release: Schema.Struct({ epoch: Schema.Int })
  }
})

/** The lock protocol. */
export const lock = Lock.protocol({
  sends: {
    requestLock: Lock.send({
      tag: "acquire",
      from: "client",
      to: "server",
      guard: (s) => s.phase === "idle",
      step: (s) => ({ ...s, phase: "waiting" as const }),
      candidates: (s, ctx) => (s.phase === "idle" ? ctx.nodes.server.map((to) => ({ to, msg: {} })) : [])
    }),
    grantLock: Lock.send({
      tag: "grant",
      from: "server",
      to: "client",
      guard: (s, to, m) => s.holder === null && s.queue[0] === to && m.epoch === s.epoch + 1,
      step: (s, to) => ({ holder: to, queue: s.queue.slice(1), epoch: s.epoch + 1 }),
      candidates: (s, ctx) =>
        s.holder === null && s.queue.length > 0
          ? ctx.nodes.client.filter((c) => c === s.queue[0]).map((to) => ({ to, msg: { epoch: s.epoch + 1 } }))
          : []
    }),
    releaseLock: Lock.send({
      tag: "release",
      from: "client",
      to: "server",
      guard: (s, _to, m) => s.phase === "holding" && m.epoch === s.epoch,
      step: (s) => ({ ...s, phase: "released" as const }),
      candidates: (s, ctx) => (s.phase === "holding" ? ctx.nodes.server.map((to) => ({ to, msg: { epoch: s.epoch } })) : [])
    })
  },
  receives: {
    queueRequest: Lock.receive({ tag: "acquire", by: "server", step: (s, from) => ({ ...s, queue: [...s.queue, from] }) }),
    takeLock: Lock.receive({
      tag: "grant",
      by: "client",
      accepts: (s) => s.phase === "waiting",
      step: (_s, _from, m) => ({ phase: "holding" as const, epoch: m.epoch })
    }),
    freeLock: Lock.receive({
      tag: "release",
      by: "server",
      accepts: (s, from, m) => s.holder === from && m.epoch === s.epoch,
      step: (s) => ({ ...s, holder: null })
    })
  }
})

/** A writer's local state: how many writes it has sent. */
export const WriterState = Schema.Struct({ written: Schema.Int })

/** One logged write. */
export const Write = Schema.Struct({ writer: Schema.String, epoch: Schema.Int, value: Schema.Int })

/** The store's local state: every write it received, in order. */
export const StoreState = Schema.Struct({ log: Schema.Array(Write) })

const Resource = Protocol.signature({
  label: "resource",
  roles: { writer: WriterState, store: StoreState },
  initial: { writer: { written: 0 }, store: { log: [] } },
  messages: { write: Schema.Struct({ epoch: Schema.Int, value: Schema.Int }) }
})

/** The resource protocol: each writer writes once, with an epoch of its choosing (the hook restricts it). */
export const resource = Resource.protocol({
  sends: {
    writeValue: Resource.send({
      tag: "write",
      from: "writer",
      to: "store",
      guard: (s) => s.written === 0,
      step: (s) => ({ written: s.written + 1 }),
      // Epochs 1..writers: every epoch a lock with this many clients can grant.
      candidates: (s, ctx) =>
        s.written === 0
          ? ctx.nodes.store.flatMap((to) => ctx.nodes.writer.map((_w, i) => ({ to, msg: { epoch: i + 1, value: 7 } })))
          : []
    })
  },
  receives: {
    logWrite: Resource.receive({
      tag: "write",
      by: "store",
      step: (s, from, m) => ({ log: [...s.log, { writer: from, epoch: m.epoch, value: m.value }] })
    })
  }
})

/** Only the holder of the lock writes, and only with the epoch it holds the lock in (the epoch is the fence). */
export const onlyHolderWrites = onlyWhileHolding({
  name: "onlyHolderWrites",
  lock,
  role: "client",
  client: resource,
  tag: "write",
  holding: (client) => client.phase === "holding",
  fence: { held: (client) => client.epoch, sent: (write) => write.epoch }
})

/** The world: lock and resource, tied by the hook. */
export const world = World.make({ label: "lockedStore", protocols: [lock, resource], hooks: [onlyHolderWrites] })

/** The broken world: the same protocols with no hook, so a writer need not hold the lock. */
export const unhookedWorld = World.make({ label: "lockedStore", protocols: [lock, resource] })
