/**
 * protoweave as a user gets it: `npm pack` (which builds dist/ on prepack), then a fresh project
 * outside the repository (under the system's temp directory) that installs the tarball from the
 * npm registry's side of things (`npm install <tarball>`), writes a protocol of its own that is not
 * bundled (test/e2e/fixtures/mailbox.ts: a sequence-numbered at-most-once mailbox), type-checks it
 * against the package's declarations, and runs the installed `protoweave` command on it: `check`,
 * `simulate`, `induct`, and `prove --export-only` (the Lean files are written and not checked: one
 * Lean run takes minutes, which test/exporter covers inside the repository). A deliberate misuse, a
 * sender sending a tag only the mailbox may send, must not compile. Then `protoweave init` makes a
 * second project, whose own `npm test` passes and on which `check` works.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, assert, beforeAll, describe, it } from "vitest"

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
const own = JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8")) as {
  readonly version: string
  readonly dependencies: { readonly [name: string]: string }
  readonly devDependencies: { readonly [name: string]: string }
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "protoweave-e2e-"))
const app = path.join(scratch, "app")
const fresh = path.join(scratch, "fresh")
const tarball = path.join(scratch, `protoweave-${own.version}.tgz`)

/** The environment of the commands: npm's variables of the test run itself (`npm test`) are not passed on. */
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k) && k !== "INIT_CWD"))

interface Ran {
  readonly status: number | null
  readonly out: string
}

const run = (cwd: string, command: string, args: ReadonlyArray<string>, timeout = 240_000): Ran => {
  const r = spawnSync(command, args, { cwd, env, encoding: "utf8", timeout, maxBuffer: 64 * 1024 * 1024 })
  if (r.error !== undefined) throw r.error
  return { status: r.status, out: `${r.stdout}${r.stderr}` }
}

/** Runs a command that must succeed, failing the test with its output otherwise. */
const ok = (cwd: string, command: string, args: ReadonlyArray<string>, timeout?: number): string => {
  const r = run(cwd, command, args, timeout)
  assert.strictEqual(r.status, 0, `${command} ${args.join(" ")} in ${cwd} exited ${r.status}:\n${r.out}`)
  return r.out
}

const protoweave = (cwd: string, ...args: ReadonlyArray<string>): Ran => run(cwd, "npx", ["--no", "--", "protoweave", ...args])

const install = ["install", "--prefer-offline", "--no-audit", "--no-fund"]

const filesUnder = (dir: string): Array<string> =>
  fs.existsSync(dir)
    ? fs.readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)).sort()
    : []

beforeAll(() => {
  ok(repo, "npm", ["pack", "--pack-destination", scratch])
  assert.isTrue(fs.existsSync(tarball), `npm pack wrote no ${tarball}`)
  fs.mkdirSync(path.join(app, "src"), { recursive: true })
  fs.writeFileSync(path.join(app, "package.json"), `${JSON.stringify({ name: "e2e-app", version: "1.0.0", private: true, type: "module" }, null, 2)}\n`)
  fs.writeFileSync(
    path.join(app, "tsconfig.json"),
    `${JSON.stringify(
      {
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          // effect's declarations name Web Crypto and Storage types.
          lib: ["ES2022", "DOM"],
          types: ["node"],
          strict: true,
          exactOptionalPropertyTypes: true,
          verbatimModuleSyntax: true,
          allowImportingTsExtensions: true,
          noEmit: true,
          // Every declaration file the project reaches is checked, the package's own included
          // (so that stripping @internal declarations leaves none dangling).
          skipLibCheck: false
        },
        include: ["src"]
      },
      null,
      2
    )}\n`
  )
  fs.copyFileSync(path.join(repo, "test/e2e/fixtures/mailbox.ts"), path.join(app, "src/mailbox.ts"))
  ok(app, "npm", [
    ...install,
    tarball,
    `effect@${own.dependencies.effect}`,
    `typescript@${own.dependencies.typescript}`,
    `@types/node@${own.devDependencies["@types/node"]}`
  ])
}, 300_000)

afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }), 120_000)

describe("the packed package in a project outside the repository", () => {
  it("installs the built command and declarations, without the TypeScript sources", () => {
    const installed = path.join(app, "node_modules/protoweave")
    for (const file of ["dist/index.js", "dist/index.d.ts", "dist/cli/main.js", "bin/protoweave.js", "proofs/Protoweave.lean", "proofs/lean-toolchain", "proofs/lakefile.toml", "cli/templates/project/src/tickets.ts"]) {
      assert.isTrue(fs.existsSync(path.join(installed, file)), `the package lacks ${file}`)
    }
    // bin/protoweave.js runs the sources through tsx only where cli/main.ts is beside it.
    assert.isFalse(fs.existsSync(path.join(installed, "cli/main.ts")))
    assert.isFalse(fs.existsSync(path.join(installed, "test")))
  })

  it("is imported by plain Node, with no TypeScript loader", () => {
    const out = ok(app, "node", ["--input-type=module", "-e", 'const m = await import("protoweave"); console.log(Object.keys(m).sort().join(","))'])
    for (const name of ["Checker", "Manifest", "Program", "Property", "Protocol", "SendHook", "Simulator", "System", "World", "withInvariant"]) {
      assert.include(out.trim().split(","), name)
    }
  })

  it("type-checks a protocol written against the package", () => {
    ok(app, "npx", ["--no", "--", "tsc", "-p", "."])
  }, 300_000)

  it("refuses to compile a sender sending a tag only the mailbox may send, naming the tags it may send", () => {
    fs.mkdirSync(path.join(app, "misuse"), { recursive: true })
    fs.writeFileSync(
      path.join(app, "misuse/confused.ts"),
      [
        'import * as Effect from "effect/Effect"',
        'import { Program } from "protoweave"',
        'import { protocol } from "../src/mailbox.ts"',
        "",
        'export const confused = Program.make(protocol, "sender", (node) =>',
        "  Effect.gen(function* () {",
        '    yield* node.send("ack", node.nodes.mailbox[0]!, { seq: 0 })',
        "  })",
        ")",
        ""
      ].join("\n")
    )
    fs.writeFileSync(path.join(app, "tsconfig.misuse.json"), JSON.stringify({ extends: "./tsconfig.json", compilerOptions: { skipLibCheck: true }, include: ["src", "misuse"] }))
    const r = run(app, "npx", ["--no", "--", "tsc", "-p", "tsconfig.misuse.json"])
    assert.notStrictEqual(r.status, 0, r.out)
    const errors = r.out.split("\n").filter((l) => l.includes("error TS"))
    assert.lengthOf(errors, 1, r.out)
    assert.match(errors[0]!, /^misuse\/confused\.ts\(7,22\): error TS\d+: /)
    // The message names the tag refused and the one the sender may send.
    assert.include(errors[0]!, '"ack"')
    assert.include(errors[0]!, "deliver")
  })

  it("checks every reachable state of the user's protocol, and finds the broken variant's counterexample", () => {
    const checked = protoweave(app, "check", "./src/mailbox.ts")
    assert.strictEqual(checked.status, 0, checked.out)
    assert.match(checked.out, /atMostOnce\b.*\bholds\b/)
    assert.match(checked.out, /ackedDelivered\b.*\bholds\b/)
    assert.match(checked.out, /duplicateArrives\b.*\bwitnessed\b/)
    const broken = protoweave(app, "check", "./src/mailbox.ts#mailbox/no-dedup")
    assert.strictEqual(broken.status, 1, broken.out)
    assert.match(broken.out, /atMostOnce\b.*\bviolated\b/i)
  })

  it("simulates the user's programs with faults", () => {
    const simulated = protoweave(app, "simulate", "./src/mailbox.ts", "--runs", "300", "--faults", "duplicate")
    assert.strictEqual(simulated.status, 0, simulated.out)
    assert.match(simulated.out, /duplicateArrives/)
    const broken = protoweave(app, "simulate", "./src/mailbox.ts#mailbox/no-dedup", "--runs", "300")
    assert.strictEqual(broken.status, 1, broken.out)
    assert.match(broken.out, /atMostOnce/)
  })

  it("searches for counterexamples to induction of the user's invariants", () => {
    // atMostOnce is inductive on its own: a received copy is kept only when it is new.
    const inductive = protoweave(app, "induct", "./src/mailbox.ts", "--invariant", "atMostOnce")
    assert.strictEqual(inductive.status, 0, inductive.out)
    assert.include(inductive.out, "atMostOnce")
    // ackedDelivered is not: an acknowledgement in flight for a number never delivered breaks it when received.
    const broken = protoweave(app, "induct", "./src/mailbox.ts", "--invariant", "ackedDelivered")
    assert.strictEqual(broken.status, 1, broken.out)
    assert.include(broken.out, "senderAck")
  })

  it("exports the user's protocol to Lean into the user's project, never into node_modules", () => {
    const shipped = filesUnder(path.join(app, "node_modules/protoweave")).map((f) => [f, fs.statSync(f).mtimeMs] as const)
    const r = protoweave(app, "prove", "./src/mailbox.ts", "--export-only")
    assert.strictEqual(r.status, 0, r.out)
    const written = filesUnder(path.join(app, "proofs"))
    assert.isTrue(
      written.some((f) => f.endsWith(".lean") && fs.readFileSync(f, "utf8").includes("Mailbox")),
      `no Lean file of Mailbox under ${app}/proofs: ${written.join(", ")}\n${r.out}`
    )
    assert.deepStrictEqual(
      filesUnder(path.join(app, "node_modules/protoweave")).map((f) => [f, fs.statSync(f).mtimeMs] as const),
      shipped,
      "prove changed files in node_modules/protoweave"
    )
  })
})

describe("protoweave init, outside the repository", () => {
  it("scaffolds a project whose own tests pass, and on which check works", () => {
    const created = protoweave(app, "init", fresh, "--protoweave", tarball)
    assert.strictEqual(created.status, 0, created.out)
    assert.include(created.out, "npx protoweave check ./src/tickets.ts")
    const manifest = JSON.parse(fs.readFileSync(path.join(fresh, "package.json"), "utf8")) as { dependencies: { readonly [name: string]: string } }
    assert.strictEqual(manifest.dependencies.protoweave, `file:${tarball}`)
    const again = protoweave(app, "init", fresh)
    assert.strictEqual(again.status, 2, again.out)
    assert.include(again.out, "is not empty")
    ok(fresh, "npm", install)
    ok(fresh, "npm", ["test"])
    const checked = protoweave(fresh, "check", "./src/tickets.ts")
    assert.strictEqual(checked.status, 0, checked.out)
    assert.match(checked.out, /uniqueTickets\b.*\bholds\b/)
  }, 400_000)
})
