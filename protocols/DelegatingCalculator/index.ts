/**
 * The delegating calculator (Disel's `DelegatingCalculatorServer.v`) as a world of two Calculator
 * instances: clients ask the delegator `d` in the `front` instance; `d` asks the server `s` in the
 * `back` instance and passes the answer on. Clients and the back server run the Calculator's own
 * programs, injected; the families are `delegating-calculator` and
 * `delegating-calculator/wrong-backend`, whose back server answers f(args) + 1 through an instance
 * that does not check answers: `responsesCorrect` fails in the back instance (and the front's
 * guard would refuse the delegator's passing the answer on).
 *
 * @since 0.1.0
 */
import type { Model } from "../../core/Model.ts"
import * as Manifest from "../../core/Manifest.ts"
import * as System from "../../core/System.ts"
import * as World from "../../combinators/World.ts"
import * as Calculator from "../Calculator/index.ts"
import { f } from "../Calculator/index.ts"
import * as CalculatorProtocol from "../Calculator/Protocol.ts"
import * as Programs from "./Programs.ts"

export { Programs }

/** The instance clients ask. */
export const front = CalculatorProtocol.make({ label: "front", f: Calculator.f, prec: Calculator.prec })

/** The instance the delegator asks. */
export const back = CalculatorProtocol.make({ label: "back", f: Calculator.f, prec: Calculator.prec })

/** A back instance that does not check its answers (the broken variant's). */
export const uncheckedBack = CalculatorProtocol.make({ label: "back", f: Calculator.f, prec: Calculator.prec, checkResponses: false })

/** The world: two Calculator instances, no hooks (each protocol's guards are all it needs). */
export const world = World.make({ label: "delegation", protocols: [front, back] })

/** The broken world: the back instance does not check answers. */
export const uncheckedWorld = World.make({ label: "delegation", protocols: [front, uncheckedBack] })

type Instances = typeof world.protocols

const sameArgs = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => a.length === b.length && a.every((x, i) => x === b[i])

/** The world's properties. */
export const properties = (w: World.World<"delegation", Instances, never>) => [
  /** Every answer sent in either instance is f of its arguments. */
  World.always(w, "responsesCorrect", (s) =>
    // One `every` per instance: their soups carry messages of distinct (per-instance) types in the Lean export.
    s.front.soup.every((m) => m.tag !== "resp" || m.payload.value === f(m.payload.args)) &&
      s.back.soup.every((m) => m.tag !== "resp" || m.payload.value === f(m.payload.args))
  ),
  /** Non-vacuity: a client of the front receives an answer that came through the back. */
  World.sometimes(w, "delegatedAnswerArrives", (s) =>
    s.front.soup.some((m) => m.tag === "resp" && !m.active && s.back.soup.some((n) => n.tag === "resp" && sameArgs(n.payload.args, m.payload.args)))
  )
]

const parameters = {
  clients: { description: "number of clients of the front", default: 2, min: 1, max: 20 },
  requests: { description: "requests per client", default: 2, min: 1, max: 20 }
}

const build = (w: World.World<"delegation", Instances, never>, sizes: { readonly [name: string]: number }, wrongBackend = false) => {
  const clients = Array.from({ length: sizes.clients ?? parameters.clients.default }, (_, i) => `c${i + 1}`)
  const requests = Array.from({ length: sizes.requests ?? parameters.requests.default }, (_, k) => ({ server: "d", args: [k + 1, 2] }))
  const backProtocol = w.protocols[1]
  const backend = Calculator.Programs.oneShotServer(backProtocol, wrongBackend ? (args) => Calculator.f(args) + 1 : Calculator.f)
  return World.system(w, {
    placement: { front: { client: clients, server: ["d"] }, back: { client: ["d"], server: ["s"] } },
    properties: properties(w),
    programs: {
      d: Programs.delegator(w),
      s: World.inject(backend, w),
      ...Object.fromEntries(clients.map((c) => [c, World.inject(Calculator.Programs.client(front, requests), w)]))
    }
  })
}

/**
 * The world with clients `c1..cN`, the delegator `d` and the back server `s`.
 *
 * @example
 * system({ clients: 1 }).topology.all // => ["c1", "d", "s"]
 */
export const system = (sizes: { readonly [name: string]: number } = {}) => build(world, sizes)

/**
 * The model the checker explores (no programs): both instances with the Calculator's payload
 * domain (`Calculator.modelRequests`, and every value of `Calculator.modelValues` as an answer to
 * each), the history soup, to a depth bound.
 *
 * @example
 * model({ clients: 1 }).maxDepth // => 7
 */
export const model = (sizes: { readonly [name: string]: number } = {}, w: World.World<"delegation", Instances, never> = world): Model => {
  const clients = Array.from({ length: sizes.clients ?? 1 }, (_, i) => `c${i + 1}`)
  const req = Calculator.modelRequests.map((args) => ({ args }))
  const resp = Calculator.modelRequests.flatMap((args) => Calculator.modelValues.map((value) => ({ value, args })))
  return {
    system: World.system(w, {
      placement: { front: { client: clients, server: ["d"] }, back: { client: ["d"], server: ["s"] } },
      properties: properties(w)
    }),
    soup: "history",
    payloads: { "front.req": req, "front.resp": resp, "back.req": req, "back.resp": resp },
    maxDepth: sizes.depth ?? 7
  }
}

/**
 * The front instance on its own (clients ask `d`, which answers itself): the system the Lean
 * export of the front instance, which the world's export imports, is sampled in.
 *
 * @example
 * frontAlone({ clients: 1 }).topology.all // => ["c1", "d"]
 */
export const frontAlone = (sizes: { readonly [name: string]: number } = {}) => {
  const clients = Array.from({ length: sizes.clients ?? parameters.clients.default }, (_, i) => `c${i + 1}`)
  const requests = Array.from({ length: sizes.requests ?? parameters.requests.default }, (_, k) => ({ server: "d", args: [k + 1, 2] }))
  return System.make({
    protocol: front,
    nodes: { client: clients, server: ["d"] },
    programs: { d: Calculator.Programs.oneShotServer(front, Calculator.f), ...Object.fromEntries(clients.map((c) => [c, Calculator.Programs.client(front, requests)])) },
    properties: []
  })
}

/** The families `protoweave` lists. */
export const families: ReadonlyArray<System.Family> = [
  {
    name: "delegating-calculator",
    description: "Disel's delegating calculator: a server of one Calculator instance answers by asking another",
    broken: false,
    tolerates: [],
    parameters,
    make: system,
    model: (sizes) => model(sizes)
  },
  {
    name: "delegating-calculator/wrong-backend",
    description: "the back instance does not check answers and its server answers f(args) + 1; responsesCorrect fails in the back",
    broken: true,
    tolerates: [],
    parameters,
    make: (sizes) => build(uncheckedWorld, sizes, true),
    model: (sizes) => model(sizes, uncheckedWorld)
  },
  {
    name: "delegating-calculator/front",
    description: "the front instance alone: clients ask d, which answers them itself (what the Lean export of the front instance is sampled in)",
    broken: false,
    tolerates: [],
    parameters,
    make: frontAlone
  }
]

/** The Calculator's parameters, as both instances' Lean exports read them. */
const calculatorParameters = {
  f: { file: Manifest.source(import.meta.url, "../Calculator/index.ts") },
  prec: { file: Manifest.source(import.meta.url, "../Calculator/index.ts") },
  checkResponses: { value: true }
}

/**
 * The front instance's Lean export, in its own namespace `DelegatingCalculatorFront`: the world's
 * core. Its guards are all the world needs of it, so it carries no invariant of its own.
 */
const frontExport: Manifest.ProtocolExport = {
  name: "DelegatingCalculatorFront",
  family: "delegating-calculator/front",
  protocol: front as unknown as Manifest.ProtocolExport["protocol"],
  schemas: CalculatorProtocol,
  protocolFile: Manifest.source(import.meta.url, "../Calculator/Protocol.ts"),
  propertiesFile: Manifest.source(import.meta.url, "./index.ts"),
  properties: [],
  parameters: calculatorParameters,
  sizes: { clients: 2, requests: 2 }
}

/**
 * What `protoweave` reads of this protocol module: its families, and the Lean exports of the front
 * instance and of the world, whose namespace `DelegatingCalculator` holds the back instance.
 */
export const manifest = Manifest.make({
  module: import.meta.url,
  families,
  lean: {
    protocols: [frontExport],
    worlds: [
      {
        name: "DelegatingCalculator",
        family: "delegating-calculator",
        core: frontExport,
        world: world as unknown as Manifest.WorldExport["world"],
        client: {
          protocol: back as unknown as Manifest.ProtocolExport["protocol"],
          schemas: CalculatorProtocol,
          protocolFile: Manifest.source(import.meta.url, "../Calculator/Protocol.ts"),
          propertiesFile: Manifest.source(import.meta.url, "./index.ts"),
          properties: [],
          parameters: calculatorParameters
        },
        hooksFile: Manifest.source(import.meta.url, "./index.ts"),
        propertiesFile: Manifest.source(import.meta.url, "./index.ts"),
        properties: properties(world),
        sizes: { clients: 1, requests: 1 }
      }
    ]
  }
})
