/**
 * Send-hooks (Disel's `hooks`): a side condition on every send of one tag of a *client* protocol,
 * reading the sender's own local state in a *core* protocol. This is how one protocol's messages
 * are tied to another's state — a node may answer a query only with its own committed log; only
 * the holder of a lock may write. A hook reads nothing but the sending node's local states, so it
 * keeps sends node-local, and it constrains only the client protocol: the core protocol's own
 * steps are untouched (which is why a program of the core alone can be injected into the world).
 *
 * @since 0.1.0
 */
import type { Protocol } from "../core/Protocol.ts"
import type { ComposedLocal, SendHook } from "../core/World.ts"
import type { LocalOf, NodeId, PayloadOf, ProtocolShape, ReceiverOf, RoleOf, SenderOf, TagOf } from "../typings/Protocol.ts"

export type { SendHook }

/**
 * Declares a hook. Its predicate is typed from both protocols: the sender's local state in the
 * core role, its local state in the client tag's sending role, the tag's payload, and the receiver.
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * const hook = make({
 *   name: "echoOnlyWhileListening",
 *   core: PingPong.protocol,
 *   coreRole: "ponger",
 *   client: PingPong.echo,
 *   tag: "ping",
 *   holds: (ponger, _pinger, _msg, _to) => !ponger.stopped,
 * })
 * [hook.core, hook.client, hook.tag] // => ["pingpong", "echo", "ping"]
 */
export const make = <
  Core extends ProtocolShape,
  const CoreRole extends RoleOf<Core>,
  Client extends ProtocolShape,
  const Tag extends TagOf<Client> & keyof Client["sends"]
>(spec: {
  readonly name: string
  readonly core: Protocol<Core>
  readonly coreRole: CoreRole
  readonly client: Protocol<Client>
  readonly tag: Tag
  readonly holds: (
    coreLocal: LocalOf<Core, CoreRole>,
    clientLocal: LocalOf<Client, SenderOf<Client, Tag> & RoleOf<Client>>,
    msg: PayloadOf<Client, Tag>,
    to: NodeId<Client["label"], ReceiverOf<Client, Tag> & string>
  ) => boolean
}): SendHook<Core["label"], Client["label"]> => {
  if (!Object.hasOwn(spec.core.roles, spec.coreRole)) {
    throw new Error(`hook "${spec.name}": protocol "${spec.core.label}" has no role "${spec.coreRole}"`)
  }
  if (!spec.client.sendOf.has(spec.tag)) {
    throw new Error(`hook "${spec.name}": protocol "${spec.client.label}" sends no tag "${spec.tag}"`)
  }
  if (spec.core.label === spec.client.label) {
    throw new Error(`hook "${spec.name}": a hook ties two different protocols, but core and client are both "${spec.core.label}"`)
  }
  return {
    name: spec.name,
    core: spec.core.label,
    coreRole: spec.coreRole,
    client: spec.client.label,
    tag: spec.tag,
    holds: spec.holds as SendHook["holds"]
  }
}

/**
 * Why `hook` refuses a send by `sender`, or `undefined` when it allows it: the sender must play the
 * hook's core role in the core protocol (read from its composed local state, one state per label),
 * and the hook's condition must hold of that core state, the sender's client state, the payload
 * and the receiver. The reason names the hook, and the core state it read.
 *
 * @example
 * import * as PingPong from "../test/fixtures/PingPong.ts"
 * const hook = make({ name: "echoOnlyWhileListening", core: PingPong.protocol, coreRole: "ponger", client: PingPong.echo, tag: "ping", holds: (ponger) => !ponger.stopped })
 * const pinger = { role: "pinger", state: { next: 0, acked: [] } }
 * refusal(hook, "a", { pingpong: { role: "ponger", state: { seen: [], stopped: false } }, echo: pinger }, pinger.state, { n: 0 }, "b") // => undefined
 * refusal(hook, "a", { pingpong: { role: "ponger", state: { seen: [], stopped: true } }, echo: pinger }, pinger.state, { n: 0 }, "b")
 * // => 'hook "echoOnlyWhileListening" is false (pingpong state {"seen":[],"stopped":true})'
 * refusal(hook, "a", { pingpong: null, echo: pinger }, pinger.state, { n: 0 }, "b") // => 'hook "echoOnlyWhileListening": a does not play "ponger" in "pingpong"'
 */
export const refusal = (hook: SendHook, sender: string, local: ComposedLocal, clientLocal: unknown, msg: unknown, to: string): string | undefined => {
  const core = local[hook.core]
  if (core == null || core.role !== hook.coreRole) return `hook "${hook.name}": ${sender} does not play "${hook.coreRole}" in "${hook.core}"`
  if (!hook.holds(core.state, clientLocal, msg, to)) return `hook "${hook.name}" is false (${hook.core} state ${JSON.stringify(core.state)})`
  return undefined
}
