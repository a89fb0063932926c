/** Where `prove` reads and writes a project's Lean files, and that it never writes into node_modules. */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, assert, describe, it } from "vitest"
import * as LeanProject from "../../exporter/LeanProject.ts"
import { root } from "./Bundled.ts"

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "protoweave-lean-project-"))
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))
const library = path.join(root, "proofs")

const touch = (file: string, text = "") => {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, text)
}

describe("a module's Lean project", () => {
  it("is the nearest folder above the module with a package.json, else the working directory", () => {
    touch(path.join(dir, "app/package.json"), "{}")
    touch(path.join(dir, "app/src/deep/election.ts"))
    touch(path.join(dir, "loose/election.ts"))
    assert.deepStrictEqual(LeanProject.locate(path.join(dir, "app/src/deep/election.ts"), "/elsewhere", library), { root: path.join(dir, "app"), library, own: false })
    // No package.json above /tmp/.../loose (nor above the scratch folder): the working directory.
    assert.strictEqual(LeanProject.locate(path.join(dir, "loose/election.ts"), path.join(dir, "cwd"), library).root, path.join(dir, "cwd"))
  })

  it("of a bundled protocol is the package's own, whose proofs/ is the library", () => {
    const p = LeanProject.locate(path.join(root, "protocols/Calculator/index.ts"), "/elsewhere")
    assert.deepStrictEqual(p, { root: root.replace(/\/$/, ""), library, own: true })
    assert.deepStrictEqual(LeanProject.scaffold(p), [])
  })

  it("inside node_modules is read-only, and no file is ever written there", () => {
    touch(path.join(dir, "app/node_modules/ring/package.json"), "{}")
    const p = LeanProject.locate(path.join(dir, "app/node_modules/ring/src/ring.ts"), dir, library)
    assert.strictEqual(p.root, path.join(dir, "app/node_modules/ring"))
    assert.match(p.readOnly ?? "", /is an installed package \(inside node_modules\), and prove never writes there/)
    assert.throws(() => LeanProject.write(p.root, "proofs/Generated/X/Spec.lean", ""), /prove never writes inside node_modules/)
    assert.throws(() => LeanProject.scaffold(p), /prove never writes inside node_modules/)
    assert.throws(() => LeanProject.write(path.join(dir, "app"), "node_modules/x.lean", ""), /never writes inside node_modules/)
    assert.throws(() => LeanProject.write(path.join(dir, "app"), "../escape.lean", ""), /outside the project/)
    assert.isFalse(fs.existsSync(path.join(dir, "app/node_modules/ring/proofs")))
  })

  it("gets a lakefile requiring the package's library and a lean-toolchain, never over the user's own", () => {
    const p = LeanProject.locate(path.join(dir, "app/src/deep/election.ts"), dir, library)
    touch(path.join(dir, "app/proofs/lean-toolchain"), "mine\n")
    assert.deepStrictEqual(LeanProject.scaffold(p), ["proofs/lakefile.toml"])
    assert.strictEqual(fs.readFileSync(path.join(dir, "app/proofs/lean-toolchain"), "utf8"), "mine\n")
    const lakefile = fs.readFileSync(path.join(dir, "app/proofs/lakefile.toml"), "utf8")
    const required = /path = "([^"]+)"/.exec(lakefile)![1]!
    assert.strictEqual(path.resolve(dir, "app/proofs", required), library)
    assert.deepStrictEqual(LeanProject.scaffold(p), [])
  })
})
