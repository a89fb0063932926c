/**
 * LockResource as a world — the lock and resource protocols with the hook `onlyHolderWrites` —
 * its properties, its model, and the families `protoweave` lists as `lock-resource` and
 * `lock-resource/no-hook` (the same world without the hook, where two writers share an epoch).
 *
 * The families have no programs yet: the world is explored exhaustively by the checker.
 *
 * @since 0.1.0
 */
import type { Model } from "../../core/Model.ts"
import type { Statelet } from "../../core/Statelet.ts"
import type * as System from "../../core/System.ts"
import * as World from "../../core/World.ts"
import * as LockResourceProtocol from "./Protocol.ts"
import { lock, onlyHolderWrites, resource } from "./Protocol.ts"

export { lock, onlyHolderWrites, resource, LockResourceProtocol as Protocol }

/** The world: lock and resource, tied by the hook. */
export const world = World.make({ label: "lockedStore", protocols: [lock, resource], hooks: [onlyHolderWrites] })

/** The broken world: the same protocols with no hook, so a writer need not hold the lock. */
export const unhookedWorld = World.make({ label: "lockedStore", protocols: [lock, resource] })

type Protocols = typeof world.protocols

/** The world's properties; they read local states only. */
export const properties = (w: World.World<"lockedStore", Protocols>) => [
  /** The lock is held by at most one client at a time. */
  World.always(w, "atMostOneHolder", (s) => Object.values(s.lock.locals.client).filter((c) => c.phase === "holding").length <= 1),
  /** Every write the store logged under one epoch came from one writer. */
  World.always(w, "oneWriterPerEpoch", (s) =>
    Object.values(s.resource.locals.store).every((store) =>
      store.log.every((a) => store.log.every((b) => a.epoch !== b.epoch || a.writer === b.writer))
    )
  ),
  /** Non-vacuity: two writes in two different epochs reached the store (the lock changed hands). */
  World.sometimes(w, "twoEpochsWritten", (s) =>
    Object.values(s.resource.locals.store).some((store) => new Set(store.log.map((e) => e.epoch)).size >= 2)
  )
]

const parameters = {
  clients: { description: "number of clients (each takes the lock once and writes once)", default: 2, min: 1, max: 6 }
}

const build = (w: World.World<"lockedStore", Protocols>, sizes: { readonly [name: string]: number }) => {
  const clients = Array.from({ length: sizes.clients ?? parameters.clients.default }, (_, i) => `c${i + 1}`)
  return World.system(w, {
    placement: { lock: { server: ["s"], client: clients }, resource: { store: ["s"], writer: clients } },
    properties: properties(w)
  })
}

/**
 * The world with a server `s` (lock server and store) and clients `c1..cN` (lock clients and writers).
 *
 * @example
 * system({ clients: 2 }).topology.all // => ["s", "c1", "c2"]
 */
export const system = (sizes: { readonly [name: string]: number } = {}) => build(world, sizes)

/** Every client has taken and released the lock, and nobody waits or holds it. */
const final = (s: Statelet): boolean => {
  const nodes = (s.locals as Record<string, Record<string, World.ComposedLocal>>).node!
  return Object.values(nodes).every((local) => {
    const mine = local.lock
    if (mine == null) return true
    const state = mine.state as { phase?: string; holder?: string | null; queue?: ReadonlyArray<string> }
    return mine.role === "client" ? state.phase === "released" : state.holder === null && state.queue!.length === 0
  })
}

/**
 * The model the checker explores: Disel's reorder-only network, consumed messages forgotten (the
 * properties read local states only).
 *
 * @example
 * model({ clients: 2 }).soup // => "active"
 */
export const model = (sizes: { readonly [name: string]: number } = {}, w = world): Model => ({
  system: build(w, sizes),
  soup: "active",
  final
})

/** The families `protoweave` lists. */
export const families: ReadonlyArray<System.Family> = [
  {
    name: "lock-resource",
    description: "a lock and a resource tied by a send-hook: only the lock's holder writes, in its epoch (checker only, no programs yet)",
    broken: false,
    tolerates: [],
    parameters,
    make: system,
    model: (sizes) => model(sizes)
  },
  {
    name: "lock-resource/no-hook",
    description: "the same world without the hook: a writer need not hold the lock, and oneWriterPerEpoch fails",
    broken: true,
    tolerates: [],
    parameters,
    make: (sizes) => build(unhookedWorld, sizes),
    model: (sizes) => model(sizes, unhookedWorld)
  }
]
