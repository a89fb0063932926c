/**
 * `protoweave init`: what it writes, what it refuses, and what it says about the protoweave the new
 * project depends on. (That the new project installs and passes its own tests is
 * test/e2e/Package.test.ts.)
 */
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "vitest"
import * as App from "../../cli/App.ts"
import * as Init from "../../cli/Init.ts"
import { UsageError } from "../../cli/Errors.ts"

const scratch = () => fs.mkdtempSync(path.join(os.tmpdir(), "protoweave-init-"))
const own = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, "../../package.json"), "utf8"))

const neverAsked = (spec: string): Init.RegistryAnswer => assert.fail(`the registry was asked about ${spec}`)

describe("protoweave init", () => {
  it("writes the project's files, with the dependency spec and protoweave's own versions of effect, TypeScript and vitest", () => {
    const dir = path.join(scratch(), "My Protocols")
    const created = Init.init(dir, { protoweave: "file:/somewhere/protoweave.tgz", registry: neverAsked })
    assert.deepStrictEqual(created.files, [".gitignore", "README.md", "package.json", "src/tickets.ts", "test/tickets.test.ts", "tsconfig.json"])
    assert.strictEqual(created.name, "my-protocols")
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"))
    assert.strictEqual(manifest.name, "my-protocols")
    assert.strictEqual(manifest.dependencies.protoweave, "file:/somewhere/protoweave.tgz")
    assert.strictEqual(manifest.dependencies.effect, own.dependencies.effect)
    assert.strictEqual(manifest.devDependencies.typescript, own.dependencies.typescript)
    assert.strictEqual(manifest.devDependencies.vitest, own.devDependencies.vitest)
    assert.strictEqual(manifest.scripts.test, "tsc -p . && vitest run")
    // Every placeholder was filled.
    for (const file of created.files) assert.notMatch(fs.readFileSync(path.join(dir, file), "utf8"), /\{\{/, file)
    assert.include(fs.readFileSync(path.join(dir, "README.md"), "utf8"), "# my-protocols")
    assert.include(fs.readFileSync(path.join(dir, "src/tickets.ts"), "utf8"), "export const manifest = Manifest.make(")
    assert.include(created.text, "npx protoweave check ./src/tickets.ts")
    assert.notInclude(created.text, "registry")
  })

  it("refuses a directory that is not empty, and a file, writing nothing", () => {
    const dir = scratch()
    fs.writeFileSync(path.join(dir, "notes.txt"), "mine")
    assert.throws(() => Init.init(dir, { protoweave: "^1.0.0", registry: neverAsked }), UsageError, "is not empty (notes.txt)")
    assert.deepStrictEqual(fs.readdirSync(dir), ["notes.txt"])
    assert.throws(() => Init.init(path.join(dir, "notes.txt"), { protoweave: "^1.0.0", registry: neverAsked }), UsageError, "is a file")
  })

  it("writes an existing tarball's path as an absolute file: spec, which npm reads from the new project", () => {
    const dir = scratch()
    const tarball = path.join(dir, "protoweave-9.9.9.tgz")
    fs.writeFileSync(tarball, "")
    const cwd = process.cwd()
    process.chdir(dir)
    try {
      const created = Init.init("project", { protoweave: "./protoweave-9.9.9.tgz", registry: neverAsked })
      assert.strictEqual(JSON.parse(fs.readFileSync(path.join(created.dir, "package.json"), "utf8")).dependencies.protoweave, `file:${tarball}`)
      assert.include(created.text, "cd project")
    } finally {
      process.chdir(cwd)
    }
  })

  it("says when the version range is not on the npm registry, or could not be looked up", () => {
    const asked: Array<string> = []
    const missing = Init.init(path.join(scratch(), "a"), { protoweave: "^0.1.0", registry: (spec) => (asked.push(spec), { _tag: "missing" }) })
    assert.deepStrictEqual(asked, ["^0.1.0"])
    assert.include(missing.text, 'protoweave@^0.1.0 is not on the npm registry, so "npm install" will fail')
    assert.include(missing.text, "--protoweave <tarball, directory or git URL>")
    const unknown = Init.init(path.join(scratch(), "b"), { protoweave: "^0.1.0", registry: () => ({ _tag: "unknown", reason: "ETIMEDOUT" }) })
    assert.include(unknown.text, "could not ask the npm registry whether protoweave@^0.1.0 is published (ETIMEDOUT)")
    const found = Init.init(path.join(scratch(), "c"), { protoweave: "^0.1.0", registry: () => ({ _tag: "found" }) })
    assert.notInclude(found.text, "registry")
  })

  it("exits 2 with one error line on a directory that is not empty", async () => {
    const dir = scratch()
    fs.writeFileSync(path.join(dir, "x"), "")
    const lines: Array<string> = []
    const error = console.error
    console.error = (line: string) => void lines.push(line)
    try {
      assert.strictEqual(await Effect.runPromise(App.run(["init", dir, "--protoweave", "file:/p.tgz"])), 2)
    } finally {
      console.error = error
    }
    assert.lengthOf(lines, 1)
    assert.match(lines[0]!, /^protoweave: error: .* is not empty \(x\)/)
  })
})
