/**
 * A ticket dispenser: clients ask a dispenser for tickets, and the dispenser hands out numbers
 * 0, 1, 2, ... in order, one per request. No two clients may ever hold the same number.
 *
 * This one file is a whole protocol module as protoweave reads it: the protocol (roles, messages,
 * send and receive transitions), the programs each node runs, the properties, the families the
 * command line lists, and the `manifest` that says all of this about the module.
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { Manifest, Program, Property, Protocol, System, type Model } from "protoweave"

/** A client's local state: how many tickets it asked for, and the numbers it holds. */
export const ClientState = Schema.Struct({ asked: Schema.Int, tickets: Schema.Array(Schema.Int) })

/** The dispenser's local state: the next number, and the clients it owes a ticket. */
export const DispenserState = Schema.Struct({ next: Schema.Int, waiting: Schema.Array(Schema.String) })

/** A request for a ticket. */
export const Ask = Schema.Struct({})

/** A ticket. */
export const Ticket = Schema.Struct({ n: Schema.Int })

/** How many tickets a client asks for, at most (it bounds the model the checker explores). */
export const maxAsks = 2

/**
 * The protocol. `increment` is true in the correct protocol; the broken variant's dispenser
 * forgets to move on to the next number.
 */
export const make = (increment: boolean) => {
  const Tickets = Protocol.signature({
    label: "tickets",
    roles: { client: ClientState, dispenser: DispenserState },
    initial: { client: { asked: 0, tickets: [] }, dispenser: { next: 0, waiting: [] } },
    messages: { ask: Ask, ticket: Ticket }
  })

  /** A client asks when it holds every ticket it asked for (one request at a time). */
  const clientAsk = Tickets.send({
    tag: "ask",
    from: "client",
    to: "dispenser",
    guard: (s) => s.tickets.length === s.asked,
    step: (s) => ({ asked: s.asked + 1, tickets: s.tickets }),
    candidates: (s, ctx) => (s.asked < maxAsks ? ctx.nodes.dispenser.map((d) => ({ to: d, msg: {} })) : [])
  })

  /** The dispenser remembers who asked. */
  const dispenserAsk = Tickets.receive({
    tag: "ask",
    by: "dispenser",
    step: (s, from) => ({ next: s.next, waiting: s.waiting.includes(from) ? s.waiting : [...s.waiting, from] })
  })

  /** The dispenser may give a client that asked the next number, and then moves on. */
  const dispenserGive = Tickets.send({
    tag: "ticket",
    from: "dispenser",
    to: "client",
    guard: (s, to, m) => s.waiting.includes(to) && m.n === s.next,
    step: (s, to) => ({ next: increment ? s.next + 1 : s.next, waiting: s.waiting.filter((w) => w !== to) }),
    candidates: (s, ctx) => ctx.nodes.client.filter((c) => s.waiting.includes(c)).map((c) => ({ to: c, msg: { n: s.next } }))
  })

  /** A client keeps a ticket it does not hold yet (a duplicated ticket is not taken twice). */
  const clientTicket = Tickets.receive({
    tag: "ticket",
    by: "client",
    accepts: (s, _from, m) => !s.tickets.includes(m.n),
    step: (s, _from, m) => ({ asked: s.asked, tickets: [...s.tickets, m.n] })
  })

  return Tickets.protocol({ sends: { clientAsk, dispenserGive }, receives: { dispenserAsk, clientTicket } })
}

/** The protocol. */
export const protocol = make(true)

/** The broken protocol: its dispenser hands out the same number again and again. */
export const repeatingProtocol = make(false)

type TicketsProtocol = typeof protocol

/** A client that asks for `asks` tickets, one after the other. */
export const client = (p: TicketsProtocol, asks: number) =>
  Program.make(p, "client", (node) =>
    Effect.gen(function* () {
      const dispenser = node.nodes.dispenser[0]!
      for (let i = 0; i < asks; i++) {
        yield* node.send("ask", dispenser, {})
        yield* node.receive({ tags: ["ticket"], from: dispenser })
      }
    })
  )

/** The dispenser: answers every request with the next number, forever. */
export const dispenser = (p: TicketsProtocol) =>
  Program.make(
    p,
    "dispenser",
    (node) =>
      Effect.gen(function* () {
        for (;;) {
          const ask = yield* node.receive({ tags: ["ask"] })
          // A duplicated request finds its client answered already (the guard would refuse).
          const { next, waiting } = yield* node.local
          if (waiting.includes(ask.from)) yield* node.send("ticket", ask.from, { n: next })
        }
      }),
    { daemon: true }
  )

/** The properties every state must (`always`) or some state must (`sometimes`) satisfy. */
export const properties = (p: TicketsProtocol) => [
  /** No two clients hold the same number. */
  Property.always(p, "uniqueTickets", (s, nodes) =>
    nodes.client.every((a) =>
      nodes.client.every((b) => a === b || s.locals.client[a]!.tickets.every((n) => !s.locals.client[b]!.tickets.includes(n)))
    )
  ),
  /** Every number a client holds was handed out: it is below the dispenser's next number. */
  Property.always(p, "ticketsIssued", (s, nodes) =>
    nodes.dispenser.every((d) => nodes.client.every((c) => s.locals.client[c]!.tickets.every((n) => n < s.locals.dispenser[d]!.next)))
  ),
  /** Non-vacuity: some client gets two tickets. */
  Property.sometimes(p, "twoTickets", (s, nodes) => nodes.client.some((c) => s.locals.client[c]!.tickets.length >= 2))
]

const parameters = {
  clients: { description: "number of clients", default: 2, min: 1, max: 5 },
  asks: { description: "tickets each client asks for", default: maxAsks, min: 1, max: maxAsks }
}

const build = (p: TicketsProtocol, sizes: { readonly [name: string]: number }) => {
  const clients = Array.from({ length: sizes.clients ?? parameters.clients.default }, (_, i) => `c${i + 1}`)
  const asks = sizes.asks ?? parameters.asks.default
  const programs: Record<string, Program.Program<NonNullable<TicketsProtocol["~shape"]>>> = { d1: dispenser(p) }
  for (const c of clients) programs[c] = client(p, asks)
  return System.make({ protocol: p, nodes: { client: clients, dispenser: ["d1"] }, programs, properties: properties(p) })
}

/** The model the checker explores: every interleaving of the protocol's transitions, up to `maxAsks` requests per client. */
const model = (p: TicketsProtocol, sizes: { readonly [name: string]: number }): Model.Model => ({
  system: build(p, sizes),
  final: (s, nodes) => nodes.client.every((c) => s.locals.client[c]!.tickets.length === maxAsks),
  symmetric: ["client"]
})

/** The families `protoweave list` shows: the protocol and its broken variant. */
export const families: ReadonlyArray<System.Family> = [
  {
    name: "tickets",
    description: "a dispenser hands out distinct ticket numbers to the clients that ask",
    broken: false,
    tolerates: ["drop", "duplicate"],
    parameters,
    make: (sizes) => build(protocol, sizes),
    model: (sizes) => model(protocol, sizes)
  },
  {
    name: "tickets/repeating-dispenser",
    description: "the dispenser never moves on to the next number; uniqueTickets fails",
    broken: true,
    tolerates: [],
    parameters,
    make: (sizes) => build(repeatingProtocol, sizes),
    model: (sizes) => model(repeatingProtocol, sizes)
  }
]

/** What this module says about itself: its families, and what `protoweave prove` exports to Lean. */
export const manifest = Manifest.make({
  module: import.meta.url,
  families,
  lean: {
    protocols: [
      {
        name: "Tickets",
        family: "tickets",
        protocol,
        schemas: { ClientState, DispenserState, Ask, Ticket },
        protocolFile: Manifest.source(import.meta.url, "./tickets.ts"),
        propertiesFile: Manifest.source(import.meta.url, "./tickets.ts"),
        properties: properties(protocol),
        parameters: { increment: { value: true } },
        sizes: { clients: 2, asks: 1 }
      }
    ]
  }
})
