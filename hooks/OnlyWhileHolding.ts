/**
 * The hook "only while holding the lock": a node sends a tag of the client protocol only while it
 * holds a lock in the lock protocol, and — with a fence — only with the token (epoch, term,
 * version) it holds the lock under, so that a write carrying a stale token is refused even by its
 * former holder.
 *
 * @since 0.1.0
 */
import type { Protocol } from "../core/Protocol.ts"
import type { LocalOf, PayloadOf, ProtocolShape, RoleOf, TagOf } from "../typings/Protocol.ts"
import * as SendHook from "./SendHook.ts"

/** A lock's token, compared with `===`. */
export type Token = string | number | bigint | boolean

/**
 * A hook on every send of `tag` in `client`: allowed only when the sender, in role `role` of the
 * `lock` protocol, is `holding` the lock (however its local state says so), and, with `fence`,
 * when the token the message carries (`fence.sent`) is the one it holds the lock under
 * (`fence.held`).
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * // The echo ponger answers only while its pingpong ponger is not stopped, with the count of pings it saw.
 * const hook = onlyWhileHolding({
 *   name: "pongWhileListening",
 *   lock: PingPong.protocol,
 *   role: "ponger",
 *   client: PingPong.echo,
 *   tag: "pong",
 *   holding: (ponger) => !ponger.stopped,
 *   fence: { held: (ponger) => ponger.seen.length, sent: (pong) => pong.n },
 * })
 * hook.holds({ seen: [0], stopped: false }, { seen: [], stopped: false }, { n: 1, note: "" }, "a") // => true
 * hook.holds({ seen: [0], stopped: false }, { seen: [], stopped: false }, { n: 2, note: "" }, "a") // => false
 * hook.holds({ seen: [0], stopped: true }, { seen: [], stopped: false }, { n: 1, note: "" }, "a") // => false
 */
export const onlyWhileHolding = <
  Lock extends ProtocolShape,
  const LockRole extends RoleOf<Lock>,
  Client extends ProtocolShape,
  const Tag extends TagOf<Client> & keyof Client["sends"]
>(spec: {
  readonly name: string
  readonly lock: Protocol<Lock>
  /** The role of the lock protocol whose local state says whether the node holds the lock. */
  readonly role: LockRole
  readonly client: Protocol<Client>
  readonly tag: Tag
  readonly holding: (lockLocal: LocalOf<Lock, LockRole>) => boolean
  readonly fence?: {
    readonly held: (lockLocal: LocalOf<Lock, LockRole>) => Token
    readonly sent: (msg: PayloadOf<Client, Tag>) => Token
  }
}): SendHook.SendHook<Lock["label"], Client["label"]> => {
  const { fence, holding } = spec
  return SendHook.make({
    name: spec.name,
    core: spec.lock,
    coreRole: spec.role,
    client: spec.client,
    tag: spec.tag,
    holds: (lockLocal, _clientLocal, msg) => holding(lockLocal) && (fence === undefined || fence.held(lockLocal) === fence.sent(msg))
  })
}
