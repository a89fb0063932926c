/**
 * Admission of connections that have not yet authenticated: at most `cap` of them are held at a
 * time, and one past the cap makes room by dropping the oldest. An outsider who opens connections
 * and never completes the handshake thus holds at most `cap` connections (each with at most
 * `Frame.preAuthMaxFrame` bytes buffered) however many it opens, and a peer that connects after
 * the flood started is the newest, so the last to be dropped while it completes its handshake.
 *
 * @since 0.1.0
 */

/** Unauthenticated connections a node holds at most, unless configured otherwise. */
export const defaultMaxUnauthenticated = 64

/**
 * The unauthenticated connections held, oldest first. `admit` adds one and evicts (by calling
 * `evict`) the oldest past the cap; `release` removes one that has authenticated or closed.
 *
 * @example
 * const evicted: Array<string> = []
 * const admission = new Admission<string>(2, (c) => evicted.push(c))
 * admission.admit("a")
 * admission.admit("b")
 * admission.release("a")
 * admission.admit("c")
 * admission.admit("d")
 * evicted // => ["b"]
 * admission.held // => 2
 */
export class Admission<C> {
  // A Set iterates in insertion order: its first element is the oldest connection held.
  private readonly waiting = new Set<C>()
  /** Connections dropped to make room, since the start. */
  evicted = 0

  constructor(
    readonly cap: number,
    private readonly evict: (connection: C) => void
  ) {
    if (!Number.isInteger(cap) || cap < 1) throw new RangeError(`the cap on unauthenticated connections must be a whole number of at least 1, not ${cap}`)
  }

  /** How many unauthenticated connections are held. */
  get held(): number {
    return this.waiting.size
  }

  /** Holds `connection` until it is released, dropping the oldest ones past the cap. */
  admit(connection: C): void {
    this.waiting.add(connection)
    while (this.waiting.size > this.cap) {
      const oldest = this.waiting.values().next().value as C
      this.waiting.delete(oldest)
      this.evicted++
      this.evict(oldest)
    }
  }

  /** Forgets `connection`: it has authenticated or closed (a no-op if it was not held). */
  release(connection: C): void {
    this.waiting.delete(connection)
  }
}
