/**
 * Symmetry reduction over interchangeable nodes of a role: every state is replaced by a
 * representative of its class under renaming those nodes, so the checker explores one state per
 * class. The representative renames the nodes in the order of a signature of each node (its local
 * state and the messages it sends and receives, with the role's node ids masked), the way
 * Stateright's `representative` sorts; ties keep their order, so some equivalent states may stay
 * distinct (less reduction), but two states are merged only if one is a renaming of the other.
 *
 * Renaming replaces every string equal to a node id of the role — in local states, record keys,
 * message endpoints and payloads — and re-sorts arrays made only of such ids into topology order:
 * declaring a role symmetric asserts that the protocol treats its nodes alike and keeps sets of
 * them as arrays whose order does not matter. The properties checked must be symmetric too.
 *
 * @since 0.1.0
 */
import type { Model } from "../core/Model.ts"
import type { Statelet } from "../core/Statelet.ts"

/** A state's representative, and the renaming (old node id → new) that produced it. */
export interface Canonical {
  readonly state: Statelet
  readonly renaming: ReadonlyMap<string, string>
}

/**
 * Renames node ids in a value: strings and record keys found in `map`; arrays made only of ids in
 * `members` are re-sorted into `order` (they are sets).
 *
 * @example
 * const order = new Map([["p1", 0], ["p2", 1]])
 * renameValue({ sent: ["p1"], to: "p1" }, new Map([["p1", "p2"], ["p2", "p1"]]), new Set(["p1", "p2"]), order)
 * // => { sent: ["p2"], to: "p2" }
 */
export const renameValue = (
  value: unknown,
  map: ReadonlyMap<string, string>,
  members: ReadonlySet<string>,
  order: ReadonlyMap<string, number>
): unknown => {
  if (typeof value === "string") return map.get(value) ?? value
  if (Array.isArray(value)) {
    const renamed = value.map((v) => renameValue(v, map, members, order))
    const isSet = renamed.length > 0 && renamed.every((v) => typeof v === "string" && members.has(v))
    return isSet ? (renamed as Array<string>).sort((a, b) => order.get(a)! - order.get(b)!) : renamed
  }
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).map(([k, v]) => [map.get(k) ?? k, renameValue(v, map, members, order)] as const)
    if (entries.some(([k]) => members.has(k))) entries.sort(([a], [b]) => (order.get(a) ?? -1) - (order.get(b) ?? -1))
    return Object.fromEntries(entries)
  }
  return value
}

/**
 * The function from a state to its representative, for the model's symmetric roles (identity when
 * there are none).
 *
 * @example
 * import * as Calculator from "../protocols/Calculator/index.ts"
 * const canonical = make({ system: Calculator.system({ clients: 2, servers: 1 }), symmetric: ["client"] })
 * const s = { locals: { client: { c1: { pending: [{ peer: "s1", args: [1, 2] }] }, c2: { pending: [] } }, server: { s1: { pending: [] } } }, soup: [], crashed: [] }
 * canonical(s).renaming.get("c1") // => "c2"
 */
export const make = (model: Model): ((s: Statelet) => Canonical) => {
  const roles = model.symmetric ?? []
  const none = new Map<string, string>()
  if (roles.length === 0) return (state) => ({ state, renaming: none })
  const { topology } = model.system
  const nodesOf = topology.nodes as Record<string, ReadonlyArray<string>>
  const groups = roles.map((role) => {
    const ids = nodesOf[role]
    if (ids === undefined) throw new Error(`symmetric role "${role}" is not a role of "${model.system.protocol.label}"`)
    return { role, ids, members: new Set(ids) }
  })
  const order = new Map(topology.all.map((n, i) => [n, i]))

  const mask = (value: unknown, members: ReadonlySet<string>): unknown => {
    if (typeof value === "string") return members.has(value) ? "*" : value
    if (Array.isArray(value)) return value.map((v) => mask(v, members))
    if (typeof value === "object" && value !== null) {
      const out: Record<string, unknown> = {}
      for (const k of Object.keys(value).sort()) out[members.has(k) ? "*" : k] = mask((value as Record<string, unknown>)[k], members)
      return out
    }
    return value
  }

  return (s) => {
    let current = s
    const renaming = new Map<string, string>()
    for (const { role, ids, members } of groups) {
      const locals = current.locals as Record<string, Record<string, unknown>>
      const signature = (node: string) =>
        JSON.stringify([
          mask(locals[role]![node], members),
          current.soup
            .filter((m) => m.from === node || m.to === node)
            .map((m) => JSON.stringify([m.from === node, m.to === node, m.tag, m.active, mask(m.payload, members), mask([m.from, m.to], members)]))
            .sort()
        ])
      const signatures = new Map(ids.map((n) => [n, signature(n)]))
      const sorted = [...ids].sort((a, b) => (signatures.get(a)! < signatures.get(b)! ? -1 : signatures.get(a)! > signatures.get(b)! ? 1 : 0))
      if (sorted.every((n, i) => n === ids[i])) continue
      const map = new Map(sorted.map((old, i) => [old, ids[i]!]))
      // Renamings of different roles touch disjoint ids, so they compose by union.
      for (const [from, to] of map) if (from !== to) renaming.set(from, to)
      const rename = (v: unknown) => renameValue(v, map, members, order)
      const renamedLocals: Record<string, Record<string, unknown>> = {}
      for (const [r, byNode] of Object.entries(locals)) {
        renamedLocals[r] =
          r === role
            ? Object.fromEntries(ids.map((n, i) => [n, rename(byNode[sorted[i]!])]))
            : Object.fromEntries(Object.entries(byNode).map(([n, local]) => [n, rename(local)]))
      }
      current = {
        locals: renamedLocals as any,
        soup: current.soup.map((m) => ({ ...m, from: map.get(m.from) ?? m.from, to: map.get(m.to) ?? m.to, payload: rename(m.payload) })) as any,
        crashed: current.crashed.map((n) => map.get(n) ?? n)
      }
    }
    return { state: current, renaming }
  }
}
