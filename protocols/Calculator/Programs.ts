/**
 * Calculator programs (Disel's `CalculatorServerLib.v`, `SimpleCalculatorServers.v`,
 * `CalculatorClientLib.v`): a client that asks for a list of computations, a server that answers
 * each request as it comes (Disel's `one_shot_server` in a loop), and a memoizing server that keeps
 * the answers it has computed and answers repeated requests from its table.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Program from "../../core/Program.ts"
import type { CalculatorProtocolOf } from "./Protocol.ts"

/**
 * A client that sends each request to its server and waits for the matching answer. It returns the
 * answers in order; Disel's `compute_list_f` proves each is `f` of its arguments.
 */
export const client = <L extends string>(
  protocol: CalculatorProtocolOf<L>,
  requests: ReadonlyArray<{ readonly server: string; readonly args: ReadonlyArray<number> }>
) =>
  Program.make(protocol, "client", (node) =>
    Effect.gen(function* () {
      const answers: Array<number> = []
      for (const request of requests) {
        const server = node.nodes.server.find((s) => s === request.server)
        if (server === undefined) return yield* Effect.die(new Error(`client ${node.self}: no server ${request.server}`))
        yield* node.send("req", server, { args: request.args })
        const answer = yield* node.receive({
          tags: ["resp"],
          from: server,
          where: (m) => m.payload.args.length === request.args.length && m.payload.args.every((x, i) => x === request.args[i])
        })
        answers.push(answer.payload.value)
      }
      return answers
    })
  )

/**
 * Answers, first, the requests a server already holds in its durable local state: after a crash
 * and restart these were received but never answered, and their clients are still waiting.
 */
const answerHeld = <L extends string>(
  node: Program.Node<NonNullable<CalculatorProtocolOf<L>["~shape"]>, "server">,
  answer: (args: ReadonlyArray<number>) => number
) =>
  Effect.gen(function* () {
    const { pending } = yield* node.local
    for (const request of pending) {
      const client = node.nodes.client.find((c) => c === request.peer)
      if (client !== undefined) yield* node.send("resp", client, { value: answer(request.args), args: request.args })
    }
  })

/**
 * A server that answers every request with `compute(args)`; the correct server passes `f`. It
 * serves forever.
 */
export const oneShotServer = <L extends string>(protocol: CalculatorProtocolOf<L>, compute: (args: ReadonlyArray<number>) => number) =>
  Program.make(
    protocol,
    "server",
    (node) =>
      Effect.gen(function* () {
        yield* answerHeld(node, compute)
        for (;;) {
          const request = yield* node.receive({ tags: ["req"] })
          yield* node.send("resp", request.from, { value: compute(request.payload.args), args: request.payload.args })
        }
      }),
    { name: "one-shot-server", daemon: true }
  )

/**
 * A server that remembers what it computed (Disel's `memoizing_server`): a repeated request is
 * answered from the table. The table is program memory, lost on a crash, which is sound because
 * every entry is `f` of its key.
 */
export const memoizingServer = <L extends string>(protocol: CalculatorProtocolOf<L>, compute: (args: ReadonlyArray<number>) => number) =>
  Program.make(
    protocol,
    "server",
    (node) =>
      Effect.gen(function* () {
        const memo = new Map<string, number>()
        const lookup = (args: ReadonlyArray<number>) => {
          const key = args.join(",")
          let value = memo.get(key)
          if (value === undefined) {
            value = compute(args)
            memo.set(key, value)
          }
          return value
        }
        yield* answerHeld(node, lookup)
        for (;;) {
          const request = yield* node.receive({ tags: ["req"] })
          yield* node.send("resp", request.from, { value: lookup(request.payload.args), args: request.payload.args })
        }
      }),
    { name: "memoizing-server", daemon: true }
  )
