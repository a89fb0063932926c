/**
 * The text of the type errors a program gets for a misused tag or payload (`typings/TagError.ts`),
 * pinned by compiling small snippet files with the TypeScript compiler API and the project's own
 * compiler options: a refused tag is reported against a parameter type that names the role and
 * the tags it may use, and a wrong payload against the payload's type, never the protocol's.
 *
 * The `@ts-expect-error` declarations below are checked by `tsc -p .` as in the other type tests;
 * the snippets are what a user would write, and their diagnostics are read here.
 */
import * as path from "node:path"
import ts from "typescript"
import { assert, beforeAll, describe, it } from "vitest"
import * as Program from "../../core/Program.ts"
import * as PingPong from "../fixtures/PingPong.ts"

const root = path.resolve(import.meta.dirname, "../..")

/** Snippets by name; each becomes a virtual file next to this test, so relative imports resolve. */
const snippets: Record<string, string> = {
  sendOtherRolesTag: `
import * as Program from "../../core/Program.ts"
import * as PingPong from "../fixtures/PingPong.ts"
export const p = Program.make(PingPong.protocol, "pinger", (node) => node.send("pong", node.nodes.ponger[0]!, { n: 0, note: "" }))
`,
  sendUnknownTag: `
import * as Program from "../../core/Program.ts"
import * as PingPong from "../fixtures/PingPong.ts"
export const p = Program.make(PingPong.protocol, "ponger", (node) => node.send("pang", node.nodes.pinger[0]!, { n: 0 }))
`,
  sendFromRoleWithoutSends: `
import * as Schema from "effect/Schema"
import * as Program from "../../core/Program.ts"
import * as Protocol from "../../core/Protocol.ts"
const Sig = Protocol.signature({
  label: "watch",
  roles: { source: Schema.Struct({}), observer: Schema.Struct({}) },
  initial: { source: {}, observer: {} },
  messages: { tick: Schema.Struct({}) }
})
const watch = Sig.protocol({
  sends: { sendTick: Sig.send({ tag: "tick", from: "source", to: "observer", guard: () => true, step: (s) => s }) },
  receives: { receiveTick: Sig.receive({ tag: "tick", by: "observer", step: (s) => s }) }
})
export const p = Program.make(watch, "observer", (node) => node.send("tick", node.nodes.source[0]!, {}))
`,
  receiveUnknownTag: `
import * as Program from "../../core/Program.ts"
import * as PingPong from "../fixtures/PingPong.ts"
export const p = Program.make(PingPong.protocol, "ponger", (node) => node.receive({ tags: ["nothing"] }))
`,
  receiveOtherRolesTag: `
import * as Program from "../../core/Program.ts"
import * as PingPong from "../fixtures/PingPong.ts"
export const p = Program.make(PingPong.protocol, "pinger", (node) => node.tryReceive({ tags: ["ping"] }))
`,
  receiveWithinOneBadTag: `
import * as Program from "../../core/Program.ts"
import * as PingPong from "../fixtures/PingPong.ts"
export const p = Program.make(PingPong.protocol, "ponger", (node) => node.receiveWithin({ tags: ["stop", "pong"] }, 10))
`,
  wrongPayloadField: `
import * as Program from "../../core/Program.ts"
import * as PingPong from "../fixtures/PingPong.ts"
export const p = Program.make(PingPong.protocol, "pinger", (node) => node.send("ping", node.nodes.ponger[0]!, { m: 0 }))
`,
  missingPayloadField: `
import * as Program from "../../core/Program.ts"
import * as PingPong from "../fixtures/PingPong.ts"
export const p = Program.make(PingPong.protocol, "ponger", (node) => node.send("pong", node.nodes.pinger[0]!, { n: 0 }))
`,
  worldHandleSend: `
import * as World from "../../combinators/World.ts"
import * as PingPong from "../fixtures/PingPong.ts"
const world = World.make({ label: "pair", protocols: [PingPong.protocol, PingPong.echo] })
export const p = World.program(world, { pingpong: "pinger", echo: "ponger" }, (node) => node.echo.send("ping", node.echo.nodes.ponger[0]!, { n: 0 }))
`,
  worldReceiveAny: `
import * as World from "../../combinators/World.ts"
import * as PingPong from "../fixtures/PingPong.ts"
const world = World.make({ label: "pair", protocols: [PingPong.protocol, PingPong.echo] })
export const p = World.program(world, { pingpong: "pinger", echo: "ponger" }, (node) => node.receiveAny({ pingpong: ["pong"], echo: ["pong"] }))
`
}

const fileOf = (name: string) => path.join(root, "test/typetest", `__snippet_${name}.ts`)

/** Every diagnostic of each snippet, flattened to text, by snippet name. */
const diagnostics = new Map<string, ReadonlyArray<string>>()

beforeAll(() => {
  const config = ts.readConfigFile(path.join(root, "tsconfig.json"), ts.sys.readFile)
  const options = ts.parseJsonConfigFileContent(config.config, ts.sys, root).options
  const virtual = new Map(Object.entries(snippets).map(([name, text]) => [fileOf(name), text]))
  const host = ts.createCompilerHost(options)
  const getSourceFile = host.getSourceFile
  host.getSourceFile = (file, language, ...rest) =>
    virtual.has(file) ? ts.createSourceFile(file, virtual.get(file)!, language) : getSourceFile(file, language, ...rest)
  const fileExists = host.fileExists
  host.fileExists = (file) => virtual.has(file) || fileExists(file)
  host.getCurrentDirectory = () => root
  const program = ts.createProgram([...virtual.keys()], options, host)
  for (const name of Object.keys(snippets)) {
    const source = program.getSourceFile(fileOf(name))
    diagnostics.set(
      name,
      ts.getPreEmitDiagnostics(program, source).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"))
    )
  }
  // Diagnostics of other files (a broken fixture) would make every snippet's text meaningless.
  const global = ts.getPreEmitDiagnostics(program).filter((d) => d.file === undefined || !virtual.has(d.file.fileName))
  assert.deepStrictEqual(global.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")), [])
}, 120_000)

/** The one diagnostic of a snippet. */
const only = (name: string): string => {
  const found = diagnostics.get(name) ?? []
  assert.lengthOf(found, 1, `${name}: ${JSON.stringify(found)}`)
  return found[0]!
}

/** Fragments of the protocol's type that a message must not dump. */
const assertNoProtocolDump = (message: string) => {
  for (const fragment of ["SendableBy<", "ReceivableBy<", "StatesOf<", "SendsShape<", "label:", "'never'"]) {
    assert.notInclude(message, fragment)
  }
}

describe("a refused tag is reported with the tags the role may use", () => {
  it("sending a tag of another role", () => {
    const message = only("sendOtherRolesTag")
    assert.strictEqual(message, `Argument of type '"pong"' is not assignable to parameter of type '"role pinger may send: ping | stop"'.`)
  })

  it("sending an unknown tag", () => {
    const message = only("sendUnknownTag")
    assert.strictEqual(message, `Argument of type '"pang"' is not assignable to parameter of type '"role ponger may send: pong"'.`)
  })

  it("sending from a role that sends nothing", () => {
    const message = only("sendFromRoleWithoutSends")
    assert.strictEqual(message, `Argument of type '"tick"' is not assignable to parameter of type '"role observer may send no tag"'.`)
  })

  it("receiving an unknown tag", () => {
    const message = only("receiveUnknownTag")
    assert.strictEqual(message, `Type '"nothing"' is not assignable to type '"role ponger may receive: ping | stop"'.`)
  })

  it("receiving a tag that another role receives", () => {
    const message = only("receiveOtherRolesTag")
    assert.strictEqual(message, `Type '"ping"' is not assignable to type '"role pinger may receive: pong"'.`)
  })

  it("one refused tag among allowed ones: only it is reported", () => {
    const message = only("receiveWithinOneBadTag")
    assert.include(message, `Type '"pong"' is not assignable to type`)
    assert.include(message, `"role ponger may receive: ping | stop"`)
    assertNoProtocolDump(message)
  })

  it("a world program's handle and receiveAny name the choices per protocol", () => {
    const send = only("worldHandleSend")
    assert.strictEqual(send, `Argument of type '"ping"' is not assignable to parameter of type '"role ponger may send: pong"'.`)
    const receiveAny = only("worldReceiveAny")
    assert.include(receiveAny, `Type '"pong"' is not assignable to type '"role ponger may receive: ping | stop"'.`)
    assertNoProtocolDump(receiveAny)
  })
})

describe("a wrong payload is reported against the payload's type", () => {
  it("an unknown field", () => {
    const message = only("wrongPayloadField")
    assert.strictEqual(message, `Object literal may only specify known properties, and 'm' does not exist in type '{ readonly n: number; }'.`)
  })

  it("a missing field", () => {
    const message = only("missingPayloadField")
    assert.include(message, `Argument of type '{ n: number; }' is not assignable to parameter of type '{ readonly n: number; readonly note: string; }'.`)
    assert.include(message, `Property 'note' is missing`)
    assertNoProtocolDump(message)
  })
})

// ---------------------------------------------------------------------------------------------
// The same mistakes as `@ts-expect-error` declarations, checked by `tsc -p .`.
// ---------------------------------------------------------------------------------------------

/** Never run: the declarations only have to fail to compile, each for the reason it states. */
export const refusedTags = [
  Program.make(PingPong.protocol, "pinger", (node) =>
    // @ts-expect-error role pinger may send ping | stop, not pong (the ponger's tag)
    node.send("pong", node.nodes.ponger[0]!, { n: 0, note: "" })
  ),
  Program.make(PingPong.protocol, "ponger", (node) =>
    // @ts-expect-error role ponger may receive ping | stop; "nothing" is no tag of pingpong
    node.receive({ tags: ["nothing"] })
  ),
  Program.make(PingPong.protocol, "pinger", (node) =>
    // @ts-expect-error role pinger may receive pong only; ping is received by the ponger
    node.tryReceive({ tags: ["ping"] })
  ),
  Program.make(PingPong.protocol, "pinger", (node) =>
    // @ts-expect-error a ping's payload is { n: number }: there is no field m
    node.send("ping", node.nodes.ponger[0]!, { m: 0 })
  )
]
