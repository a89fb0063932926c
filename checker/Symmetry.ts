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

/** A set of interchangeable nodes: their role, their ids in topology order, and the ids as a set. */
export interface Group {
  readonly role: string
  readonly ids: ReadonlyArray<string>
  readonly members: ReadonlySet<string>
}

/**
 * The model's groups of interchangeable nodes, checked: each group's nodes play one role of the
 * protocol and start in states that are renamings of each other.
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * import * as System from "../core/System.ts"
 * const system = System.make({ protocol: PingPong.protocol, nodes: { pinger: ["p1"], ponger: ["q1", "q2"] }, programs: {}, properties: [] })
 * groups({ system, symmetric: ["ponger"] })[0]?.ids // => ["q1", "q2"]
 */
export const groups = (model: Model): ReadonlyArray<Group> => {
  const { topology } = model.system
  const nodesOf = topology.nodes as Record<string, ReadonlyArray<string>>
  const order = new Map(topology.all.map((n, i) => [n, i]))
  return (model.symmetric ?? []).map((group) => {
    if (typeof group !== "string") {
      const roles = new Set(group.map((n) => topology.roleOf.get(n)))
      if (roles.has(undefined)) throw new Error(`symmetric nodes ${JSON.stringify(group)}: ${group.filter((n) => !topology.roleOf.has(n)).join(", ")} is not a node of "${model.system.protocol.label}"`)
      if (roles.size !== 1) throw new Error(`symmetric nodes ${JSON.stringify(group)} play different roles of "${model.system.protocol.label}"`)
      const role = [...roles][0]!
      // Nodes of one role can still start differently (a world's nodes all play its one role):
      // interchangeable nodes must start in states that are renamings of each other.
      const initialOf = (n: string) => (topology.initial.has(n) ? topology.initial.get(n) : model.system.protocol.roles[role]!.initial)
      for (const other of group.slice(1)) {
        const swap = new Map([
          [group[0]!, other],
          [other, group[0]!]
        ])
        if (JSON.stringify(renameValue(initialOf(group[0]!), swap, new Set(group), order)) !== JSON.stringify(initialOf(other))) {
          throw new Error(`symmetric nodes ${group[0]} and ${other} start in different states, so they are not interchangeable`)
        }
      }
      return { role, ids: group, members: new Set(group) }
    }
    const ids = nodesOf[group]
    if (ids === undefined) throw new Error(`symmetric role "${group}" is not a role of "${model.system.protocol.label}"`)
    return { role: group, ids, members: new Set(ids) }
  })
}

/**
 * A value with the node ids of a group replaced by `*` and record keys sorted: what a node's
 * signature sees, so that renaming the group does not change it.
 *
 * @example
 * mask({ to: "p2", votes: { p2: "yes" } }, new Set(["p1", "p2"])) // => { to: "*", votes: { "*": "yes" } }
 */
export const mask = (value: unknown, members: ReadonlySet<string>): unknown => {
  if (typeof value === "string") return members.has(value) ? "*" : value
  if (Array.isArray(value)) return value.map((v) => mask(v, members))
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(value).sort()) out[members.has(k) ? "*" : k] = mask((value as Record<string, unknown>)[k], members)
    return out
  }
  return value
}

/**
 * The signature of one soup entry as seen from a node of a group: whether the node sends it and
 * receives it, its tag, whether it is active, and its payload and endpoints masked. A node's
 * signature is its masked local state with the sorted signatures of its entries.
 */
export const entrySignature = (
  m: { readonly from: string; readonly to: string; readonly tag: string; readonly active: boolean; readonly payload: unknown },
  node: string,
  members: ReadonlySet<string>
): string => JSON.stringify([m.from === node, m.to === node, m.tag, m.active, mask(m.payload, members), mask([m.from, m.to], members)])

/** A node's signature: its masked local state, as JSON, with the sorted signatures of its soup entries. */
export const nodeSignature = (maskedLocal: string, entries: Array<string>): string => `[${maskedLocal},${JSON.stringify(entries.sort())}]`

/**
 * The function from a state to its representative, for the model's symmetric roles (identity when
 * there are none).
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * import * as System from "../core/System.ts"
 * const system = System.make({ protocol: PingPong.protocol, nodes: { pinger: ["p1"], ponger: ["q1", "q2"] }, programs: {}, properties: [] })
 * const canonical = make({ system, symmetric: ["ponger"] })
 * const s = { locals: { pinger: { p1: { next: 0, acked: [] } }, ponger: { q1: { seen: [], stopped: true }, q2: { seen: [], stopped: false } } }, soup: [], crashed: [] }
 * canonical(s).renaming.get("q1") // => "q2"
 */
export const make = (model: Model): ((s: Statelet) => Canonical) => {
  const none = new Map<string, string>()
  const declared = groups(model)
  if (declared.length === 0) return (state) => ({ state, renaming: none })
  const order = new Map(model.system.topology.all.map((n, i) => [n, i]))
  return (s) => {
    let current = s
    const renaming = new Map<string, string>()
    for (const { role, ids, members } of declared) {
      const locals = current.locals as Record<string, Record<string, unknown>>
      const signature = (node: string) =>
        nodeSignature(
          JSON.stringify(mask(locals[role]![node], members)),
          current.soup.filter((m) => m.from === node || m.to === node).map((m) => entrySignature(m, node, members))
        )
      const signatures = new Map(ids.map((n) => [n, signature(n)]))
      const sorted = sortBySignature(ids, (n) => signatures.get(n)!)
      if (sorted === undefined) continue
      const map = new Map(sorted.map((old, i) => [old, ids[i]!]))
      // Renamings of different roles touch disjoint ids, so they compose by union.
      for (const [from, to] of map) if (from !== to) renaming.set(from, to)
      const rename = (v: unknown) => renameValue(v, map, members, order)
      const renamedLocals: Record<string, Record<string, unknown>> = {}
      const position = new Map(ids.map((n, i) => [n, i]))
      for (const [r, byNode] of Object.entries(locals)) {
        renamedLocals[r] = Object.fromEntries(
          Object.keys(byNode).map((n) => {
            const i = r === role ? position.get(n) : undefined
            return [n, rename(byNode[i === undefined ? n : sorted[i]!])]
          })
        )
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

/**
 * A group's nodes sorted by signature (ties keep their order), or undefined when they are in order
 * already. The node at position `i` of the result is renamed to the `i`-th id of the group.
 */
export const sortBySignature = (ids: ReadonlyArray<string>, signature: (node: string) => string): ReadonlyArray<string> | undefined => {
  const sorted = [...ids].sort((a, b) => (signature(a) < signature(b) ? -1 : signature(a) > signature(b) ? 1 : 0))
  return sorted.every((n, i) => n === ids[i]) ? undefined : sorted
}
