/**
 * The error a program gets when it tries a step its protocol forbids. Every interpreter raises it
 * from the same check (`core/Step.ts`), so a violation reads the same in simulation, model checking
 * and on a real network.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"

/**
 * A send (or other program step) that the protocol forbids, with everything needed to see why:
 * the protocol, the transition, the node and its local state, the message, and the reason.
 *
 * @example
 * const v = new ProtocolViolation({
 *   protocol: "tpc", transition: "sendCommit", node: "c", local: { phase: "init" },
 *   attempted: { tag: "commit", to: "p1", payload: { era: 0 } }, reason: "the guard of sendCommit is false",
 * })
 * v._tag // => "ProtocolViolation"
 */
export class ProtocolViolation extends Data.TaggedError("ProtocolViolation")<{
  readonly protocol: string
  readonly transition: string | undefined
  readonly node: string
  readonly local: unknown
  /** The message the node tried to send. */
  readonly attempted: { readonly tag: string; readonly to: string; readonly payload: unknown }
  readonly reason: string
}> {
  override get message(): string {
    const where = this.transition === undefined ? "" : ` (transition ${this.transition})`
    return (
      `protocol "${this.protocol}"${where}: node ${this.node} may not send ${this.attempted.tag} to ${this.attempted.to}: ${this.reason}\n` +
      `  payload: ${JSON.stringify(this.attempted.payload)}\n  local state of ${this.node}: ${JSON.stringify(this.local)}`
    )
  }
}
