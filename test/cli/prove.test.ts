/**
 * `protoweave prove` on a protocol module of a user's own project, outside the repository: the
 * manifest says what to export, the Lean files go to that project's `proofs/` (with a lakefile
 * requiring the package's Protoweave library, and a lean-toolchain), and nothing is written into
 * the package or any `node_modules`. `--export-only` runs no Lean, so these tests take seconds.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "vitest"
import { leanVersion } from "../../exporter/LeanToolchain.ts"
import { assertUsageError, bin, root, scratch } from "./Harness.ts"

/** Every file under `dir` (but not under its node_modules), with its modification time. */
const files = (dir: string): ReadonlyMap<string, number> => {
  const found = new Map<string, number>()
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) {
        if (e.name !== "node_modules" && e.name !== ".git") walk(p)
      } else if (e.isFile()) found.set(p, fs.statSync(p).mtimeMs)
    }
  }
  walk(dir)
  return found
}

/**
 * A user's project in `dir`: a package.json, and `src/ring.ts`, the token ring of the command-line
 * fixtures made exportable (any holder may pass the token) with a manifest that lists its Lean export.
 */
const project = (dir: string, folder = "src") => {
  fs.mkdirSync(path.join(dir, folder), { recursive: true })
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "ring-project", private: true, type: "module" }))
  // The protocol's own imports of effect resolve from the project, as they would after npm install.
  fs.mkdirSync(path.join(dir, "node_modules"), { recursive: true })
  if (!fs.existsSync(path.join(dir, "node_modules", "effect"))) fs.symlinkSync(path.join(root, "node_modules", "effect"), path.join(dir, "node_modules", "effect"))
  const fixture = fs.readFileSync(path.join(root, "test/cli/fixtures/TokenRing.ts"), "utf8")
  const ring = fixture
    .replaceAll('"../../../core/', `"${root}core/`)
    .replace("guard: (s, to, _m, ctx) => s.holding && to === successor(ctx.self, ctx.nodes.member),", "guard: (s) => s.holding,")
    .replace(
      "export const manifest = Manifest.make({ module: import.meta.url, families })",
      `/** Member m1 starts with the token. */
export const initialMember = (self: string, nodes: { readonly member: ReadonlyArray<string> }) => ({ holding: self === nodes.member[0], visited: false })

export const manifest = Manifest.make({
  module: import.meta.url,
  families,
  lean: {
    protocols: [
      {
        name: "TokenRing",
        family: "token-ring",
        protocol,
        schemas: { Member },
        protocolFile: Manifest.source(import.meta.url, "./ring.ts"),
        propertiesFile: Manifest.source(import.meta.url, "./ring.ts"),
        properties: properties(protocol),
        parameters: { keep: { value: false } },
        initial: { member: "initialMember" },
        sizes: { members: 3 }
      }
    ]
  }
})`
    )
  assert.notStrictEqual(ring, fixture)
  assert.include(ring, "guard: (s) => s.holding,")
  fs.writeFileSync(path.join(dir, folder, "ring.ts"), ring)
  return path.join(dir, folder, "ring.ts")
}

const run = (cwd: string, ...args: ReadonlyArray<string>) => {
  const result = spawnSync(process.execPath, [bin, "prove", ...args], { cwd, encoding: "utf8", timeout: 300_000 })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

describe("protoweave prove on a user's module", () => {
  const base = scratch("protoweave-prove-user-")

  it("--export-only writes the Lean files into the project's proofs/, with a lakefile on the package's library, and says nothing was checked", { timeout: 300_000 }, () => {
    const dir = path.join(base, "ring-project")
    project(dir)
    const packageBefore = files(path.join(root, "proofs"))
    const result = run(dir, "./src/ring.ts", "--export-only")
    assert.strictEqual(result.code, 0, `${result.stdout}\n${result.stderr}`)
    assert.include(result.stdout, "nothing was checked by Lean (--export-only): no obligation is proved")
    assert.notMatch(result.stdout, /\bproved\b(?! by)(?!,)/)
    const written = ["lakefile.toml", "lean-toolchain", "Generated/TokenRing/Spec.lean", "Generated/TokenRing/Automatic.lean", "Generated/TokenRing/Open.lean", "Generated/TokenRing/Differential.lean"]
    assert.include(result.stdout, `wrote ${written.map((f) => `proofs/${f}`).join(", ")} (in ${dir})`)
    for (const f of written) assert.isTrue(fs.existsSync(path.join(dir, "proofs", f)), f)
    // What the project's Lean files say: the spec names the user's source and how to regenerate it.
    const spec = fs.readFileSync(path.join(dir, "proofs/Generated/TokenRing/Spec.lean"), "utf8")
    assert.include(spec, "npx protoweave prove ./src/ring.ts")
    assert.include(spec, "Source: src/ring.ts (protocol \"tokenRing\")")
    assert.include(spec, "{ member := fun n => initialMember n topo }")
    const open = fs.readFileSync(path.join(dir, "proofs/Generated/TokenRing/Open.lean"), "utf8")
    assert.include(open, "def oneHolder_init : Prop")
    assert.strictEqual(fs.readFileSync(path.join(dir, "proofs/lean-toolchain"), "utf8"), `leanprover/lean4:v${leanVersion}\n`)
    const lakefile = fs.readFileSync(path.join(dir, "proofs/lakefile.toml"), "utf8")
    const required = /\[\[require\]\]\nname = "protoweave"\npath = "([^"]+)"/.exec(lakefile)
    assert.isNotNull(required, lakefile)
    assert.strictEqual(path.resolve(dir, "proofs", required![1]!), path.join(root, "proofs"))
    assert.isTrue(fs.existsSync(path.join(dir, "proofs", required![1]!, "Protoweave.lean")))
    // Nothing in the package changed.
    assert.deepStrictEqual(files(path.join(root, "proofs")), packageBefore)
  })

  it("never writes into node_modules: a module of an installed package is refused before anything is written, unless checked as it is", { timeout: 300_000 }, () => {
    const dir = path.join(base, "installed")
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }))
    const installed = path.join(dir, "node_modules", "ring-package")
    const module = project(installed)
    fs.symlinkSync(path.join(root, "node_modules", "effect"), path.join(dir, "node_modules", "effect"))
    const before = [...files(installed).keys()].sort()
    for (const args of [["--export-only"], []]) {
      const result = run(dir, path.relative(dir, module), ...args)
      assertUsageError(result, "is an installed package (inside node_modules), and prove never writes there")
    }
    assert.deepStrictEqual([...files(installed).keys()].sort(), before)
    assert.isFalse(fs.existsSync(path.join(dir, "proofs")))
  })

  it("refuses a module whose manifest lists no Lean export, and --check with --export-only", { timeout: 300_000 }, () => {
    const dir = path.join(base, "plain")
    project(dir)
    fs.writeFileSync(path.join(dir, "src/plain.ts"), `import * as Manifest from "${root}core/Manifest.ts"\nimport { families } from "./ring.ts"\nexport const manifest = Manifest.make({ module: import.meta.url, families })\n`)
    assertUsageError(run(dir, "./src/plain.ts", "--export-only"), `no Lean export for "./src/plain.ts" (its manifest's lean lists none`)
    assertUsageError(run(dir, "./src/ring.ts", "--check", "--export-only"), "give --check or --export-only, not both")
  })
})
