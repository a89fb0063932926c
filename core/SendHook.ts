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
import type { LocalOf, NodeId, PayloadOf, ProtocolShape, ReceiverOf, RoleOf, SenderOf, TagOf } from "../typings/Protocol.ts"
import type { Protocol } from "./Protocol.ts"

/** A send-hook with its types erased, as worlds and interpreters hold it. */
export interface SendHook<CoreLabel extends string = string, ClientLabel extends string = string> {
  readonly name: string
  /** The protocol whose local state the hook reads. */
  readonly core: CoreLabel
  /** The role the sender must play in the core protocol. */
  readonly coreRole: string
  /** The protocol whose sends the hook constrains. */
  readonly client: ClientLabel
  /** The client tag whose every send the hook constrains. */
  readonly tag: string
  readonly holds: (coreLocal: any, clientLocal: any, msg: any, to: string) => boolean
}

/**
 * Declares a hook. Its predicate is typed from both protocols: the sender's local state in the
 * core role, its local state in the client tag's sending role, the tag's payload, and the receiver.
 *
 * @example
 * import * as Calculator from "../protocols/Calculator/index.ts"
 * import * as TwoPhaseCommit from "../protocols/TwoPhaseCommit/index.ts"
 * const hook = make({
 *   name: "onlyIdleParticipantsAsk",
 *   core: TwoPhaseCommit.protocol,
 *   coreRole: "participant",
 *   client: Calculator.protocol,
 *   tag: "req",
 *   holds: (participant, _client, _msg, _to) => participant.phase.tag === "init",
 * })
 * [hook.core, hook.client, hook.tag] // => ["tpc", "calc", "req"]
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
