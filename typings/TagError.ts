/**
 * Type errors that name the choices. A program that sends a tag its role may not send, or waits
 * for a tag its role cannot receive, fails to compile with a message listing what the role may
 * do instead — `Argument of type '"pong"' is not assignable to parameter of type '"role pinger
 * may send: ping | stop"'` — rather than `... to parameter of type 'never'` or the whole protocol
 * type. The parameter types of `send` and the receive filters (`core/Program.ts`) are these
 * conditional types: an allowed tag stays itself, any other becomes the message.
 *
 * @since 0.1.0
 */
import type { ProtocolShape, ReceivableBy, SendableBy } from "./Protocol.ts"

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never

/** One member of a union (the last in the compiler's order), to take a union apart one by one. */
type LastOf<U> = UnionToIntersection<U extends unknown ? () => U : never> extends () => infer L ? L : never

/**
 * The members of a union of strings joined by `Separator`, in the compiler's order of the union
 * (for tags, the order the protocol first mentions them); `""` for `never`.
 *
 * @example
 * const tags: Join<"elect" | "leader"> = "elect | leader"
 * tags // => "elect | leader"
 */
export type Join<U extends string, Separator extends string = " | "> = [U] extends [never]
  ? ""
  : LastOf<U> extends infer L extends string
    ? [Exclude<U, L>] extends [never]
      ? L
      : `${Join<Exclude<U, L>, Separator>}${Separator}${L}`
    : never

/**
 * The message a refused tag is compared against: what role `R` may `Verb` (`send`, `receive`).
 *
 * @example
 * const message: Choices<"send", "member", "elect" | "leader"> = "role member may send: elect | leader"
 * const none: Choices<"receive", "observer", never> = "role observer may receive no tag"
 * [message, none] // => ["role member may send: elect | leader", "role observer may receive no tag"]
 */
export type Choices<Verb extends string, R extends string, Allowed extends string> = [Allowed] extends [never]
  ? `role ${R} may ${Verb} no tag`
  : `role ${R} may ${Verb}: ${Join<Allowed>}`

/** The type of `send`'s tag argument: `K` when role `R` may send it, else the choices. */
export type SendTag<T extends ProtocolShape, R extends string, K extends string> = Allowed<K, SendableBy<T, R>, "send", R>

/** The type of a receive filter's tags: each `K` that role `R` may receive, else the choices. */
export type ReceiveTag<T extends ProtocolShape, R extends string, K extends string> = Allowed<K, ReceivableBy<T, R>, "receive", R>

/**
 * Each member of `K` that is among `Tags` stays itself, any other becomes the choices. The role's
 * tags arrive as an argument, computed once per role, rather than being re-derived from the
 * protocol inside each comparison: this keeps type-checking cheap (about 8k fewer instantiations).
 */
type Allowed<K extends string, Tags extends string, Verb extends string, R extends string> = K extends Tags ? K : Choices<Verb, R, Tags>
