/**
 * The Calculator protocol (Disel, `Examples/Calculator/CalculatorProtocol.v`; POPL'18 §2).
 *
 * Clients ask servers to compute a function `f` on arguments that satisfy its precondition `prec`;
 * a server may answer only a request it has recorded and only with the correct value. Both roles
 * keep the list of requests in flight (Disel's `perm` list): a client its outstanding requests, a
 * server the requests it has received and not yet answered.
 *
 * The protocol is parameterised by `f` and `prec`, as in Disel; `make` builds an instance. The
 * bundled instance is Disel's `SimpleCalculatorApp`: `f` sums the first two arguments and `prec`
 * asks for at least two.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as Protocol from "../../core/Protocol.ts"

/** A request in flight: the other party and the arguments. */
export const Pending = Schema.Struct({ peer: Schema.String, args: Schema.Array(Schema.Int) })

/** A client's or a server's local state: the requests in flight. */
export const CalculatorState = Schema.Struct({ pending: Schema.Array(Pending) })

/** A request: the arguments. */
export const Request = Schema.Struct({ args: Schema.Array(Schema.Int) })

/** A response: the value and the arguments it answers. */
export const Response = Schema.Struct({ value: Schema.Int, args: Schema.Array(Schema.Int) })

/** The parameters of a Calculator instance. */
export interface CalculatorParameters<L extends string> {
  readonly label: L
  /** The function servers compute; defined wherever `prec` holds. */
  readonly f: (args: ReadonlyArray<number>) => number
  /** The precondition of `f`. */
  readonly prec: (args: ReadonlyArray<number>) => boolean
  /**
   * Whether a server's response guard checks the value against `f`. Only the broken variant
   * `calculator/unchecked-response` turns this off.
   */
  readonly checkResponses?: boolean
}

const sameArgs = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i])

/**
 * Builds a Calculator protocol instance.
 *
 * @example
 * const calc = make({ label: "calc", f: (a) => a[0]! * 2, prec: (a) => a.length === 1 })
 * calc.sendOf.get("resp")?.name // => "serverSend"
 */
export const make = <const L extends string>(parameters: CalculatorParameters<L>) => {
  const { f, prec } = parameters
  const checkResponses = parameters.checkResponses ?? true
  const Calc = Protocol.signature({
    label: parameters.label,
    roles: { client: CalculatorState, server: CalculatorState },
    initial: { client: { pending: [] }, server: { pending: [] } },
    messages: { req: Request, resp: Response }
  })

  /** A client may ask any server, with arguments satisfying `prec`; it records the request. */
  const clientSend = Calc.send({
    tag: "req",
    from: "client",
    to: "server",
    guard: (_s, _to, m) => prec(m.args),
    step: (s, to, m) => ({ pending: [...s.pending, { peer: to, args: m.args }] })
  })

  /** A server records every well-formed request it receives. */
  const serverRecv = Calc.receive({
    tag: "req",
    by: "server",
    accepts: (_s, _from, m) => prec(m.args),
    step: (s, from, m) => ({ pending: [...s.pending, { peer: from, args: m.args }] })
  })

  /** A server may answer only a recorded request, and only with `f` of its arguments. */
  const serverSend = Calc.send({
    tag: "resp",
    from: "server",
    to: "client",
    guard: (s, to, m) =>
      s.pending.some((p) => p.peer === to && sameArgs(p.args, m.args)) && (!checkResponses || m.value === f(m.args)),
    step: (s, to, m) => ({ pending: removeFirst(s.pending, to, m.args) })
  })

  /** A client accepts only an answer to one of its outstanding requests, and forgets the request. */
  const clientRecv = Calc.receive({
    tag: "resp",
    by: "client",
    accepts: (s, from, m) => s.pending.some((p) => p.peer === from && sameArgs(p.args, m.args)),
    step: (s, from, m) => ({ pending: removeFirst(s.pending, from, m.args) })
  })

  return Calc.protocol({
    sends: { clientSend, serverSend },
    receives: { serverRecv, clientRecv },
    /** Every request a server holds satisfies `prec` (Disel's `localCoh`, the paper's Inv1). */
    coherence: (s, nodes) => nodes.server.every((n) => s.locals.server[n]!.pending.every((p) => prec(p.args)))
  })
}

/** The type of a Calculator protocol instance, whatever its label. */
export type CalculatorProtocolOf<L extends string> = ReturnType<typeof make<L>>

const removeFirst = (
  pending: ReadonlyArray<{ readonly peer: string; readonly args: ReadonlyArray<number> }>,
  peer: string,
  args: ReadonlyArray<number>
) => {
  const i = pending.findIndex((p) => p.peer === peer && sameArgs(p.args, args))
  return i < 0 ? pending : [...pending.slice(0, i), ...pending.slice(i + 1)]
}
