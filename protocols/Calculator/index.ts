/**
 * The Calculator: protocol, programs, properties, and the systems `protoweave` lists as
 * `calculator`, `calculator/wrong-answer` and `calculator/unchecked-response`.
 *
 * @since 0.1.0
 */
import type { Model } from "../../core/Model.ts"
import type * as Program from "../../core/Program.ts"
import * as Property from "../../core/Property.ts"
import * as System from "../../core/System.ts"
import * as Programs from "./Programs.ts"
import * as CalculatorProtocol from "./Protocol.ts"

/** Disel's `SimpleCalculatorApp` instance: `f` sums the first two arguments, `prec` wants two. */
export const f = (args: ReadonlyArray<number>): number => args[0]! + args[1]!
export const prec = (args: ReadonlyArray<number>): boolean => args.length >= 2

/** The bundled protocol instance. */
export const protocol = CalculatorProtocol.make({ label: "calc", f, prec })

/** The broken instance whose response guard does not check the value. */
export const uncheckedProtocol = CalculatorProtocol.make({ label: "calc", f, prec, checkResponses: false })

const sameArgs = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => a.length === b.length && a.every((x, i) => x === b[i])

/** The properties of a Calculator instance computing `f`. */
export const properties = (p: CalculatorProtocol.CalculatorProtocolOf<"calc">) => [
  /** Every response ever sent is correct (Disel's `CalcInv`, the paper's Inv2, over the whole history). */
  Property.always(p, "responseCorrect", (s) => s.soup.every((m) => m.tag !== "resp" || m.payload.value === f(m.payload.args))),
  /** Every request a client is waiting on was sent to a server and satisfies `prec`. */
  Property.always(p, "pendingWellFormed", (s, nodes) =>
    nodes.client.every((c) => s.locals.client[c]!.pending.every((r) => prec(r.args) && nodes.server.some((sv) => sv === r.peer)))
  ),
  /** Non-vacuity: some client receives a response. */
  Property.sometimes(p, "responseArrives", (s) => s.soup.some((m) => m.tag === "resp" && !m.active)),
  /** Non-vacuity: some server answers the same arguments twice (the memo table is used). */
  Property.sometimes(p, "repeatedRequest", (s) => {
    const answered = s.soup.filter((m) => m.tag === "resp")
    return answered.some((m, i) => answered.some((n, j) => j > i && sameArgs(m.payload.args, n.payload.args) && m.from === n.from))
  })
]

const parameters = {
  clients: { description: "number of clients", default: 2, min: 1, max: 50 },
  servers: { description: "number of servers (alternately one-shot and memoizing)", default: 2, min: 1, max: 50 },
  requests: { description: "requests per client", default: 3, min: 1, max: 100 }
}

const build = (
  p: CalculatorProtocol.CalculatorProtocolOf<"calc">,
  compute: (args: ReadonlyArray<number>) => number,
  sizes: { readonly [name: string]: number }
) => {
  const clients = Array.from({ length: sizes.clients ?? parameters.clients.default }, (_, i) => `c${i + 1}`)
  const servers = Array.from({ length: sizes.servers ?? parameters.servers.default }, (_, i) => `s${i + 1}`)
  const requests = sizes.requests ?? parameters.requests.default
  const programs: Record<string, Program.Program<NonNullable<typeof p["~shape"]>>> = {}
  clients.forEach((c, k) => {
    programs[c] = Programs.client(
      p,
      Array.from({ length: requests }, (_, j) => ({ server: servers[(k + j) % servers.length]!, args: [j % 2, k % 2] }))
    )
  })
  servers.forEach((s, i) => {
    programs[s] = i % 2 === 0 ? Programs.oneShotServer(p, compute) : Programs.memoizingServer(p, compute)
  })
  return System.make({ protocol: p, nodes: { client: clients, server: servers }, programs, properties: properties(p) })
}

/**
 * The bundled system: `clients` clients, each asking `requests` sums of a fixed list of arguments,
 * round-robin over `servers` servers that are alternately one-shot and memoizing.
 *
 * @example
 * system({ clients: 1, servers: 1 }).topology.all // => ["c1", "s1"]
 */
export const system = (sizes: { readonly [name: string]: number } = {}) => build(protocol, f, sizes)

/**
 * The model the checker explores: the protocol alone (no programs) with every client free to ask
 * any server to add 1 and 2, and servers able to answer 3 or the wrong 4 (which only the broken
 * protocol's guard lets through). Clients can always ask again, so the depth is bounded.
 *
 * @example
 * model({ clients: 1, servers: 1 }).maxDepth // => 8
 */
export const model = (sizes: { readonly [name: string]: number } = {}, p = protocol): Model => ({
  system: build(p, f, sizes),
  soup: "history",
  payloads: { req: [{ args: [1, 2] }], resp: [{ value: 3, args: [1, 2] }, { value: 4, args: [1, 2] }] },
  symmetric: ["client"],
  maxDepth: sizes.depth ?? 8
})

/** The families `protoweave` lists. */
export const families: ReadonlyArray<System.Family> = [
  {
    name: "calculator",
    description: "Disel's Calculator: clients ask servers for f(args); one-shot and memoizing servers",
    broken: false,
    tolerates: ["drop", "duplicate", "crash", "restart"],
    parameters,
    make: system,
    model: (sizes) => model(sizes)
  },
  {
    name: "calculator/wrong-answer",
    description: "servers answer f(args) + 1; the response guard refuses the send (a ProtocolViolation)",
    broken: true,
    tolerates: [],
    parameters,
    make: (sizes) => build(protocol, (args) => f(args) + 1, sizes)
  },
  {
    name: "calculator/unchecked-response",
    description: "the response guard no longer checks the value and servers answer f(args) + 1; responseCorrect fails",
    broken: true,
    tolerates: [],
    parameters,
    make: (sizes) => build(uncheckedProtocol, (args) => f(args) + 1, sizes),
    model: (sizes) => model(sizes, uncheckedProtocol)
  }
]

export { Programs, CalculatorProtocol as Protocol }
