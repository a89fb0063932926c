/**
 * The Calculator: protocol, programs, properties, and the systems `protoweave` lists as
 * `calculator`, `calculator/wrong-answer` and `calculator/unchecked-response`.
 *
 * @since 0.1.0
 */
import type { Model } from "../../core/Model.ts"
import * as Manifest from "../../core/Manifest.ts"
import type * as Program from "../../core/Program.ts"
import { withInvariant } from "../../combinators/WithInvariant.ts"
import * as Property from "../../core/Property.ts"
import type { Statelet } from "../../core/Statelet.ts"
import * as System from "../../core/System.ts"
import * as Programs from "./Programs.ts"
import * as CalculatorProtocol from "./Protocol.ts"

/** Disel's `SimpleCalculatorApp` instance: `f` sums the first two arguments, `prec` wants two. */
export const f = (args: ReadonlyArray<number>) => args[0]! + args[1]!
export const prec = (args: ReadonlyArray<number>): boolean => args.length >= 2

type Shape = NonNullable<CalculatorProtocol.CalculatorProtocolOf<"calc">["~shape"]>

const sameArgs = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i])

/** How many of `client`'s requests to `server` with `args` are in the soup and no longer active (received, or lost). */
const received = (s: Statelet<Shape>, client: string, server: string, args: ReadonlyArray<number>) =>
  s.soup.filter((m) => m.tag === "req" && !m.active && m.from === client && m.to === server && sameArgs(m.payload.args, args)).length

/** How many responses `server` has sent `client` for `args`. */
const answered = (s: Statelet<Shape>, server: string, client: string, args: ReadonlyArray<number>) =>
  s.soup.filter((m) => m.tag === "resp" && m.from === server && m.to === client && sameArgs(m.payload.args, args)).length

/** How many of `client`'s requests with `args` `server` holds. */
const held = (s: Statelet<Shape>, server: string, client: string, args: ReadonlyArray<number>) =>
  s.locals.server[server]!.pending.filter((r) => r.peer === client && sameArgs(r.args, args)).length

/** How many requests to `server` with `args` `client` waits on. */
const awaited = (s: Statelet<Shape>, client: string, server: string, args: ReadonlyArray<number>) =>
  s.locals.client[client]!.pending.filter((r) => r.peer === server && sameArgs(r.args, args)).length

/** How many messages with `args` are in flight between `client` and `server`, either way. */
const inFlight = (s: Statelet<Shape>, client: string, server: string, args: ReadonlyArray<number>) =>
  s.soup.filter(
    (m) =>
      m.active &&
      ((m.tag === "req" && m.from === client && m.to === server) || (m.tag === "resp" && m.from === server && m.to === client)) &&
      sameArgs(m.payload.args, args)
  ).length

/**
 * `server` answers `client`'s requests with `args` only as often as it received them, and holds
 * only those it has not answered.
 */
const accountable = (s: Statelet<Shape>, server: string, client: string, args: ReadonlyArray<number>): boolean =>
  held(s, server, client, args) + answered(s, server, client, args) <= received(s, client, server, args)

/** Every request or answer in flight between `client` and `server`, or held by `server`, is one `client` waits on. */
const awaits = (s: Statelet<Shape>, client: string, server: string, args: ReadonlyArray<number>): boolean =>
  inFlight(s, client, server, args) + held(s, server, client, args) <= awaited(s, client, server, args)

/**
 * A Calculator instance computing `f` with Disel's specification in full as invariant layers of
 * its coherence (Disel's `WithInv`; the instance's own coherence stays the first layer). A
 * response carries `f` of its arguments (`responseCorrect`), goes to the client that asked and
 * answers a request that server received from that client, at most once
 * (`responsesAnswerRequests`), and answers a request that client is still waiting on, from that
 * server (`clientsAwaitAnswers`). Every system of the protocol checks each layer by name, and the
 * Lean export proves their conjunction inductive (`assumed_inductive`).
 */
const specified = (p: CalculatorProtocol.CalculatorProtocolOf<"calc">) => {
  /** Every response ever sent is correct (Disel's `CalcInv`, the paper's Inv2, over the whole history). */
  const correct = withInvariant(p, "responseCorrect", (s) => s.soup.every((m) => m.tag !== "resp" || m.payload.value === f(m.payload.args)))
  /** Every request a client is waiting on was sent to a server and satisfies `prec`. */
  const wellFormed = withInvariant(correct, "pendingWellFormed", (s, nodes) =>
    nodes.client.every((c) => s.locals.client[c]!.pending.every((r) => prec(r.args) && nodes.server.some((sv) => sv === r.peer)))
  )
  /**
   * A server answers a client only for a request it received from that client, once per request:
   * for every (server, client, args) it holds or has answered, what it holds plus what it has
   * answered is at most what it received.
   */
  const answering = withInvariant(wellFormed, "responsesAnswerRequests", (s, nodes) =>
    nodes.server.every((sv) => s.locals.server[sv]!.pending.every((r) => accountable(s, sv, r.peer, r.args))) &&
    s.soup.every((m) => m.tag !== "resp" || accountable(s, m.from, m.to, m.payload.args))
  )
  /**
   * A client waits on everything owed to it: the requests and answers in flight between it and a
   * server, and the requests that server holds from it, are at most the requests it waits on from
   * that server with those arguments. So every response in flight answers a pending request of
   * its receiver, sent to its sender.
   */
  return withInvariant(answering, "clientsAwaitAnswers", (s, nodes) =>
    nodes.server.every((sv) => s.locals.server[sv]!.pending.every((r) => awaits(s, r.peer, sv, r.args))) &&
    s.soup.every((m) => (m.tag === "req" ? awaits(s, m.from, m.to, m.payload.args) : awaits(s, m.to, m.from, m.payload.args)))
  )
}

/** The bundled protocol instance, with its specification as invariant layers. */
export const protocol = specified(CalculatorProtocol.make({ label: "calc", f, prec }))

/** The broken instance whose response guard does not check the value (its layers are the same). */
export const uncheckedProtocol = specified(CalculatorProtocol.make({ label: "calc", f, prec, checkResponses: false }))

/**
 * The properties of a Calculator system besides its protocol's invariant layers (which every
 * system of the protocol checks): witnesses that responses arrive and the memo table is used.
 */
export const properties = (p: CalculatorProtocol.CalculatorProtocolOf<"calc">) => [
  /** Non-vacuity: some client receives a response. */
  Property.sometimes(p, "responseArrives", (s) => s.soup.some((m) => m.tag === "resp" && !m.active)),
  /**
   * Liveness: whenever a client waits on a request, a state comes where no client waits on any. Its
   * model lets clients ask again for ever and is cut at a depth, so the checker can only say "not
   * established within the bound"; the simulator checks it as bounded liveness on the programs,
   * which ask a fixed number of times.
   */
  Property.leadsTo(
    p,
    "everyRequestAnswered",
    (s, nodes) => nodes.client.some((c) => s.locals.client[c]!.pending.length > 0),
    (s, nodes) => nodes.client.every((c) => s.locals.client[c]!.pending.length === 0)
  ),
  /** Non-vacuity: some server answers the same arguments twice (the memo table is used). */
  Property.sometimes(p, "repeatedRequest", (s) => {
    const answers = s.soup.filter((m) => m.tag === "resp")
    return answers.some((m, i) => answers.some((n, j) => j > i && sameArgs(m.payload.args, n.payload.args) && m.from === n.from))
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
 * The arguments clients may ask for in the model. They separate `f` from the plausible wrong
 * answers: `[2, 3]` from a product, a difference, a doubled argument or a constant; `[-3, 0, 4]`
 * (a zero, a negative, a third argument) from a sum of every argument, a sum of absolute values,
 * a sum cut off at zero and a product.
 */
export const modelRequests: ReadonlyArray<ReadonlyArray<number>> = [
  [2, 3],
  [-3, 0, 4]
]

/**
 * The values servers may try to answer with in the model, for every request: every integer from
 * -6 to 7, which holds `f` of each request and each wrong answer above. Only those the response
 * guard allows are sent.
 */
export const modelValues: ReadonlyArray<number> = Array.from({ length: 14 }, (_, i) => i - 6)

/**
 * The model the checker explores: the protocol alone (no programs), every client free to ask any
 * server any of `modelRequests`, and servers free to answer any of `modelValues` for any of them
 * (the guard decides which are sent). Clients can always ask again, so the depth is bounded.
 * Clients are interchangeable, and so are servers.
 *
 * @example
 * model({ clients: 1, servers: 1 }).maxDepth // => 6
 */
export const model = (sizes: { readonly [name: string]: number } = {}, p = protocol): Model => ({
  system: build(p, f, sizes),
  soup: "history",
  payloads: {
    req: modelRequests.map((args) => ({ args })),
    resp: modelRequests.flatMap((args) => modelValues.map((value) => ({ value, args })))
  },
  symmetric: ["client", "server"],
  maxDepth: sizes.depth ?? 6
})

/** The families `protoweave` lists. */
export const families: ReadonlyArray<System.Family> = [
  {
    name: "calculator",
    description: "Disel's Calculator: clients ask servers for f(args); one-shot and memoizing servers",
    broken: false,
    // Not duplicate: a duplicated request is answered twice, which the exactly-once properties forbid.
    tolerates: ["drop", "crash", "restart"],
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

/** What `protoweave` reads of the Calculator: its families, and what its Lean export needs. */
export const manifest = Manifest.make({
  module: import.meta.url,
  families,
  lean: {
    protocols: [
      {
        name: "Calculator",
        family: "calculator",
        protocol: protocol as unknown as Manifest.ProtocolExport["protocol"],
        schemas: CalculatorProtocol,
        protocolFile: Manifest.source(import.meta.url, "./Protocol.ts"),
        propertiesFile: Manifest.source(import.meta.url, "./index.ts"),
        properties: properties(protocol),
        parameters: {
          f: { file: Manifest.source(import.meta.url, "./index.ts") },
          prec: { file: Manifest.source(import.meta.url, "./index.ts") },
          checkResponses: { value: true }
        },
        sizes: { clients: 2, servers: 1, requests: 2 }
      }
    ]
  }
})
