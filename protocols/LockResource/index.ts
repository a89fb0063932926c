/**
 * LockResource as a world — the lock and resource protocols with the hook `onlyHolderWrites` —
 * its properties, its model, and the families `protoweave` lists as `lock-resource` and
 * `lock-resource/no-hook` (the same world without the hook, where two writers share an epoch).
 *
 * The server `s` runs `Programs.server` (lock server and store); each client runs `Programs.client`
 * (take the lock, write in its epoch, give it back) or, in the broken families, `greedyClient`,
 * which writes before it has the lock.
 *
 * @since 0.1.0
 */
import type { Model } from "../../core/Model.ts"
import * as Manifest from "../../core/Manifest.ts"
import type { Statelet } from "../../core/Statelet.ts"
import type * as System from "../../core/System.ts"
import * as World from "../../combinators/World.ts"
import * as Programs from "./Programs.ts"
import * as LockResourceProtocol from "./Protocol.ts"
import { lock, onlyHolderWrites, resource, unhookedWorld, world } from "./Protocol.ts"

export { lock, onlyHolderWrites, resource, unhookedWorld, world, LockResourceProtocol as Protocol, Programs }

type Protocols = typeof world.protocols

/** The world's properties; they read local states only. */
export const properties = (w: World.World<"lockedStore", Protocols, any>) => [
  /** The lock is held by at most one client at a time. */
  World.always(w, "atMostOneHolder", (s) => Object.values(s.lock.locals.client).filter((c) => c.phase === "holding").length <= 1),
  /** Every write the store logged under one epoch came from one writer. */
  World.always(w, "oneWriterPerEpoch", (s) =>
    Object.values(s.resource.locals.store).every((store) =>
      store.log.every((a) => store.log.every((b) => a.epoch !== b.epoch || a.writer === b.writer))
    )
  ),
  /**
   * Liveness: every client eventually gets the lock (holds it, or has held and released it), under
   * weak fairness; a dropped request (nothing retransmits) breaks it. That every client writes is
   * a property of the programs, not of the protocol (which lets a holder release without writing),
   * so it is not declared: the protocol-level check would report it violated.
   */
  World.eventually(w, "everyClientGetsTheLock", (s) => Object.values(s.lock.locals.client).every((c) => c.phase !== "idle" && c.phase !== "waiting")),
  /** Non-vacuity: two writes in two different epochs reached the store (the lock changed hands). */
  World.sometimes(w, "twoEpochsWritten", (s) =>
    Object.values(s.resource.locals.store).some((store) => new Set(store.log.map((e) => e.epoch)).size >= 2)
  )
]

const parameters = {
  clients: { description: "number of clients (each takes the lock once and writes once)", default: 2, min: 1, max: 6 }
}

const build = (w: World.World<"lockedStore", Protocols, any>, sizes: { readonly [name: string]: number }, clientProgram = Programs.client) => {
  const clients = Array.from({ length: sizes.clients ?? parameters.clients.default }, (_, i) => `c${i + 1}`)
  return World.system(w, {
    placement: { lock: { server: ["s"], client: clients }, resource: { store: ["s"], writer: clients } },
    properties: properties(w),
    programs: Object.fromEntries([["s", Programs.server], ...clients.map((c) => [c, clientProgram] as const)])
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
export const model = (sizes: { readonly [name: string]: number } = {}, w: World.World<"lockedStore", Protocols, any> = world): Model => ({
  system: build(w, sizes),
  soup: "active",
  final
})

/** The families `protoweave` lists. */
export const families: ReadonlyArray<System.Family> = [
  {
    name: "lock-resource",
    description: "a lock and a resource tied by a send-hook: only the lock's holder writes, in its epoch",
    broken: false,
    tolerates: [],
    parameters,
    make: system,
    model: (sizes) => model(sizes)
  },
  {
    name: "lock-resource/greedy-writer",
    description: "clients write before they hold the lock; the hook refuses the write (a ProtocolViolation naming it)",
    broken: true,
    tolerates: [],
    parameters,
    make: (sizes) => build(world, sizes, Programs.greedyClient)
  },
  {
    name: "lock-resource/no-hook",
    description: "the world without the hook, and greedy clients: two writers write in one epoch; oneWriterPerEpoch fails",
    broken: true,
    tolerates: [],
    parameters,
    make: (sizes) => build(unhookedWorld, sizes, Programs.greedyClient),
    model: (sizes) => model(sizes, unhookedWorld)
  }
]

/** What `protoweave` reads of this protocol module: its families. */
export const manifest = Manifest.make({ module: import.meta.url, families })
