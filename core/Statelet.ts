/**
 * The statelet of one protocol (Disel's `dstatelet`): every node's local state, grouped by role,
 * and the message soup. Messages are never removed: receiving (or dropping) a message marks it
 * consumed, so invariants can speak about history. Message ids are dense: the next id is the
 * soup's length (Disel's `fresh`).
 *
 * @since 0.1.0
 */
import type { Envelope, Locals, ProtocolShape } from "../typings/Protocol.ts"

/**
 * One protocol's state: locals by role and node, the soup, and the nodes that are down.
 *
 * @example
 * const s: Statelet = { locals: { peer: { a: { n: 0 } } }, soup: [], crashed: [] }
 * s.soup.length // => 0
 */
export interface Statelet<T extends ProtocolShape = ProtocolShape> {
  readonly locals: Locals<T>
  readonly soup: ReadonlyArray<Envelope<T>>
  /** Nodes that have crashed and not restarted, in the order they crashed. */
  readonly crashed: ReadonlyArray<string>
}

/** The messages of the soup that are still active (sent and not yet received or dropped). */
export const active = <T extends ProtocolShape>(statelet: Statelet<T>): ReadonlyArray<Envelope<T>> =>
  statelet.soup.filter((m) => m.active)

/** Posts a message to the soup with the next id; returns the new soup and the message. */
export const post = <T extends ProtocolShape>(
  soup: ReadonlyArray<Envelope<T>>,
  message: Omit<Envelope<T>, "id" | "active">
): readonly [ReadonlyArray<Envelope<T>>, Envelope<T>] => {
  // Written out rather than spread: this runs for every send the model checker explores.
  const posted = { id: soup.length, tag: message.tag, from: message.from, to: message.to, payload: message.payload, active: true } as Envelope<T>
  return [[...soup, posted], posted]
}

/** Marks message `id` consumed. */
export const consume = <T extends ProtocolShape>(
  soup: ReadonlyArray<Envelope<T>>,
  id: number
): ReadonlyArray<Envelope<T>> => {
  const next = soup.slice()
  const m = soup[id]!
  next[id] = { id: m.id, tag: m.tag, from: m.from, to: m.to, payload: m.payload, active: false } as Envelope<T>
  return next
}
