/**
 * The hook "answer only from your own log" (Disel's `query_hook`): a node sends an answer of the
 * client protocol only when the value it answers is one of the entries of its own local state in
 * the core protocol — a replica serves only what it has itself logged, committed or seen.
 *
 * @since 0.1.0
 */
import type { Protocol } from "../core/Protocol.ts"
import type { LocalOf, PayloadOf, ProtocolShape, RoleOf, TagOf } from "../typings/Protocol.ts"
import * as SendHook from "./SendHook.ts"

/** Structural equality of plain data (what states and payloads are): primitives, arrays, plain objects. */
const sameData = (a: unknown, b: unknown): boolean => {
  if (Object.is(a, b)) return true
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  const ka = Object.keys(a)
  const kb = Object.keys(b)
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && sameData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
}

/**
 * A hook on every send of `tag` in `client`: allowed only when `answer(msg)` — the value the
 * message answers with — equals one of `log(coreLocal)`, the entries of the sender's own local
 * state in role `coreRole` of the `core` protocol. Equality is structural on plain data unless
 * `equals` is given. (To answer with the whole log, let `log` return `[wholeLog]`.)
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * // The echo ponger pongs only numbers its own pingpong ponger has seen.
 * const hook = answerFromOwnLog({
 *   name: "pongWhatWasSeen",
 *   core: PingPong.protocol,
 *   coreRole: "ponger",
 *   client: PingPong.echo,
 *   tag: "pong",
 *   log: (ponger) => ponger.seen,
 *   answer: (pong) => pong.n,
 * })
 * hook.holds({ seen: [3, 5], stopped: false }, { seen: [], stopped: false }, { n: 5, note: "" }, "a") // => true
 * hook.holds({ seen: [3, 5], stopped: false }, { seen: [], stopped: false }, { n: 4, note: "" }, "a") // => false
 */
export const answerFromOwnLog = <
  Core extends ProtocolShape,
  const CoreRole extends RoleOf<Core>,
  Client extends ProtocolShape,
  const Tag extends TagOf<Client> & keyof Client["sends"],
  V
>(spec: {
  readonly name: string
  readonly core: Protocol<Core>
  readonly coreRole: CoreRole
  readonly client: Protocol<Client>
  readonly tag: Tag
  /** The entries the sender may answer with, read from its own core local state. */
  readonly log: (coreLocal: LocalOf<Core, CoreRole>) => ReadonlyArray<V>
  /** The value a message answers with. */
  readonly answer: (msg: PayloadOf<Client, Tag>) => V
  readonly equals?: (entry: V, answer: V) => boolean
}): SendHook.SendHook<Core["label"], Client["label"]> => {
  const { answer, log } = spec
  const equals = spec.equals ?? sameData
  return SendHook.make({
    name: spec.name,
    core: spec.core,
    coreRole: spec.coreRole,
    client: spec.client,
    tag: spec.tag,
    holds: (coreLocal, _clientLocal, msg) => {
      const value = answer(msg)
      return log(coreLocal).some((entry) => equals(entry, value))
    }
  })
}
