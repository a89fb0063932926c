/**
 * docs/tutorial.md, followed as a reader follows it: every line of its `sh` blocks runs, in order,
 * in one shell session of this test (`cd` and `export` carry over), and what the text says about
 * each command's output is checked against what it printed.
 *
 * Where the reader's machine and this test differ, the test says so here:
 * - "a checkout of protoweave where `npm ci` has run" is a copy of this working tree (without
 *   node_modules, which is linked, and without dist/), so that `npm pack` builds its own dist/
 *   beside any other test packing the repository;
 * - `/tmp` in a command is this test's scratch folder (under the system's temp directory, outside
 *   the repository), and "the folder where you keep your projects" is a folder in it;
 * - npm runs with `prefer-offline` (packages already in npm's cache are not fetched again), and
 *   without the npm_* variables of the test run itself.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "vitest"
import { root } from "../cli/Harness.ts"

const tutorial = fs.readFileSync(path.join(root, "docs/tutorial.md"), "utf8")
const flat = tutorial.replace(/\s+/g, " ")

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "protoweave-tutorial-"))
const checkout = path.join(scratch, "checkout")
const projects = path.join(scratch, "projects")
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }), 300_000)

/** The commands of the tutorial, in order, without their comments. */
const commands = [...tutorial.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
  m[1]!
    .split("\n")
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter((l) => l.length > 0)
)

interface Ran {
  readonly command: string
  readonly status: number | null
  readonly out: string
}

/** What each command printed, by its text in the tutorial. */
const ran = new Map<string, Ran>()

const env: Record<string, string> = {
  ...Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !/^npm_/i.test(e[0]) && e[0] !== "INIT_CWD")),
  npm_config_prefer_offline: "true",
  npm_config_audit: "false",
  npm_config_fund: "false"
}

/** Expands `$NAME` and `"$NAME"` from the session's exported variables. */
const expand = (line: string) => line.replace(/"?\$(\w+)"?/g, (_, name: string) => env[name] ?? "")

/** Runs the tutorial's commands as one session: `cd` and `export` change it, the rest run in bash. */
const session = () => {
  let cwd = projects
  for (const command of commands) {
    const line = command.replaceAll("/tmp", scratch)
    const cd = /^cd (\S+)$/.exec(line)
    const exported = /^export (\w+)=(\S+)$/.exec(line)
    if (cd !== null) {
      cwd = path.resolve(cwd, expand(cd[1]!))
      assert.isTrue(fs.existsSync(cwd), `${command}: no such folder ${cwd}`)
      ran.set(command, { command, status: 0, out: "" })
    } else if (exported !== null) {
      env[exported[1]!] = expand(exported[2]!)
      ran.set(command, { command, status: 0, out: "" })
    } else {
      const where = line.startsWith("npm pack") ? checkout : cwd
      const r = spawnSync("bash", ["-c", line], { cwd: where, env, encoding: "utf8", timeout: 600_000, maxBuffer: 64 * 1024 * 1024 })
      if (r.error !== undefined) throw r.error
      ran.set(command, { command, status: r.status, out: `${r.stdout}${r.stderr}`.replace(/\u001b\[[0-9;]*m/g, "") })
    }
  }
}

beforeAll(() => {
  fs.mkdirSync(projects, { recursive: true })
  fs.cpSync(root, checkout, {
    recursive: true,
    filter: (source) => !/[/\\](?:node_modules|dist|\.git|\.lake)(?:[/\\]|$)/.test(path.relative(path.dirname(root), source))
  })
  fs.symlinkSync(path.join(root, "node_modules"), path.join(checkout, "node_modules"))
  session()
}, 1_800_000)

/** The result of a tutorial command, which must be one of its commands. */
const result = (command: string): Ran => {
  const r = ran.get(command)
  assert.isDefined(r, `the tutorial has no command ${command}; its commands: ${commands.join(" | ")}`)
  return r!
}

/** A command that must exit with `code`; its output. */
const exits = (command: string, code: number): string => {
  const r = result(command)
  assert.strictEqual(r.status, code, `${command} exited ${r.status}:\n${r.out}`)
  return r.out
}

/** A line of `text` matching `pattern`. */
const line = (text: string, pattern: RegExp): string => {
  const found = text.split("\n").find((l) => pattern.test(l))
  assert.isDefined(found, `no line matches ${pattern} in:\n${text}`)
  return found!
}

const project = path.join(projects, "my-protocol")

describe("docs/tutorial.md, run as written", () => {
  it("runs the commands it is checked on, and every one of them", () => {
    assert.deepStrictEqual(commands, [
      "npm pack --pack-destination /tmp",
      "export PROTOWEAVE=/tmp/protoweave-0.1.0.tgz",
      'npx --yes --package "$PROTOWEAVE" protoweave init my-protocol --protoweave "$PROTOWEAVE"',
      "cd my-protocol",
      "npm install",
      "npm test",
      "npx protoweave check ./src/tickets.ts",
      "npx protoweave check ./src/tickets.ts#tickets/repeating-dispenser",
      "npx protoweave simulate ./src/tickets.ts --runs 1000",
      "npx protoweave simulate ./src/tickets.ts#tickets/repeating-dispenser --trace bug.ndjson",
      "npx protoweave replay bug.ndjson",
      "npx protoweave induct ./src/tickets.ts --invariant uniqueTickets",
      "npx protoweave prove ./src/tickets.ts --export-only"
    ])
    assert.sameMembers([...ran.keys()], commands)
  })

  it("1. npm pack makes the tarball PROTOWEAVE names, with the built package in it", () => {
    exits("npm pack --pack-destination /tmp", 0)
    const version = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).version as string
    assert.strictEqual(env.PROTOWEAVE, path.join(scratch, `protoweave-${version}.tgz`))
    assert.isTrue(fs.existsSync(env.PROTOWEAVE!))
  })

  it("2. init scaffolds the project the text describes, depending on the tarball; npm install installs it", () => {
    exits('npx --yes --package "$PROTOWEAVE" protoweave init my-protocol --protoweave "$PROTOWEAVE"', 0)
    for (const file of ["package.json", "tsconfig.json", "README.md", "src/tickets.ts", "test/tickets.test.ts"]) {
      assert.isTrue(fs.existsSync(path.join(project, file)), `init wrote no ${file}`)
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(project, "package.json"), "utf8"))
    assert.strictEqual(pkg.dependencies.protoweave, `file:${env.PROTOWEAVE}`)
    const source = fs.readFileSync(path.join(project, "src/tickets.ts"), "utf8")
    for (const name of ['"uniqueTickets"', '"ticketsIssued"', '"twoTickets"', '"tickets/repeating-dispenser"', "export const manifest"]) assert.include(source, name)
    exits("npm install", 0)
    assert.isTrue(fs.existsSync(path.join(project, "node_modules/protoweave/package.json")))
  })

  it("3. npm test type-checks the project and passes test/tickets.test.ts's three tests", () => {
    const out = exits("npm test", 0)
    assert.include(flat, "whose three tests call protoweave's API")
    line(out, /Tests +3 passed \(3\)/)
    assert.include(out, "tickets.test.ts")
  })

  it("4. check: the state count the text gives, both invariants holding, the witness, a complete search", () => {
    const out = exits("npx protoweave check ./src/tickets.ts", 0)
    const states = /explores every reachable state of the model, ([\d,]+) of them/.exec(flat)?.[1]
    assert.isDefined(states)
    line(out, new RegExp(`^states +${states} distinct,`))
    line(out, /^(properties)? +uniqueTickets +always +holds$/)
    line(out, /^(properties)? +ticketsIssued +always +holds$/)
    line(out, /^ +twoTickets +sometimes +witnessed/)
    line(out, /^deadlocks +none$/)
    line(out, /^search +complete: every reachable state was explored$/)
    line(out, /has 2 families; using tickets /)
  })

  it("5. the broken variant: both invariants violated, with the shortest traces the text gives", () => {
    const out = exits("npx protoweave check ./src/tickets.ts#tickets/repeating-dispenser", 1)
    const [, unique, issued] = /`uniqueTickets` is VIOLATED with a shortest trace of (\d+) steps .*`ticketsIssued` with one of (\d+) steps/.exec(flat)!
    line(out, new RegExp(`^(properties)? +uniqueTickets +always +VIOLATED \\(shortest trace: ${unique} steps`))
    line(out, new RegExp(`^ +ticketsIssued +always +VIOLATED \\(shortest trace: ${issued} steps`))
    const trace = out.slice(out.indexOf("uniqueTickets VIOLATED:"), out.indexOf("ticketsIssued VIOLATED:"))
    assert.strictEqual(trace.split("\n").filter((l) => /d1 → c\d {2}ticket \{n:0\}/.test(l)).length, 2, "the dispenser answers both clients with ticket 0")
  })

  it("6. simulate and replay: no violation in 1,000 runs, twoTickets in every run; the broken variant's trace written and replayed identically", () => {
    const good = exits("npx protoweave simulate ./src/tickets.ts --runs 1000", 0)
    line(good, /^violations {2}0$/)
    line(good, /^sometimes +twoTickets +reached in 1000\/1000 runs$/)
    const bad = exits("npx protoweave simulate ./src/tickets.ts#tickets/repeating-dispenser --trace bug.ndjson", 1)
    line(bad, /^first violation: run \d+ .*invariant "(uniqueTickets|ticketsIssued)" is false/)
    line(bad, /written to bug\.ndjson \(unshrunk: bug\.original\.ndjson\)/)
    assert.isTrue(fs.existsSync(path.join(project, "bug.ndjson")) && fs.existsSync(path.join(project, "bug.original.ndjson")))
    const replayed = exits("npx protoweave replay bug.ndjson", 1)
    line(replayed, /^replayed \d+ steps: identical to the recording$/)
    line(replayed, /^reproduced violation: /)
  })

  it("7. induct: clientTicket breaks uniqueTickets alone, from a state shown whole", () => {
    const out = exits("npx protoweave induct ./src/tickets.ts --invariant uniqueTickets", 1)
    assert.include(flat, "It finds one for `clientTicket`")
    line(out, /^broken +1: clientTicket$/)
    line(out, /^ +uniqueTickets_preserved_by_clientTicket: clientTicket breaks uniqueTickets from this state/)
    line(out, /the search is randomized/)
  })

  it("8. prove --export-only: the Lean project in the user's proofs/, none of it in node_modules, the obligations counted, nothing claimed as checked", () => {
    const out = exits("npx protoweave prove ./src/tickets.ts --export-only", 0)
    const count = /`Tickets: (\d+) obligations`/.exec(flat)?.[1]
    assert.isDefined(count)
    line(out, new RegExp(`^Tickets: ${count} obligations`))
    line(out, /nothing was checked by Lean \(--export-only\)/)
    for (const file of ["lakefile.toml", "lean-toolchain", "Generated/Tickets/Spec.lean", "Generated/Tickets/Open.lean", "Generated/Tickets/Differential.lean"]) {
      assert.isTrue(fs.existsSync(path.join(project, "proofs", file)), `prove wrote no proofs/${file}`)
    }
    assert.include(fs.readFileSync(path.join(project, "proofs/lakefile.toml"), "utf8"), "node_modules/protoweave/proofs")
    assert.include(fs.readFileSync(path.join(project, "proofs/Generated/Tickets/Open.lean"), "utf8"), "uniqueTickets_preserved_by_clientTicket")
    assert.isFalse(fs.existsSync(path.join(project, "node_modules/protoweave/proofs/Generated/Tickets")), "prove wrote into node_modules")
  })
})
