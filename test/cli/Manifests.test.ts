/**
 * Finding families from the command line (`cli/Manifests.ts`): module paths and their family
 * selectors, bundled names through the bundled manifests, what is refused and how, and the checker's
 * worker threads loading a user's model from its manifest's URL.
 */
import * as Effect from "effect/Effect"
import * as path from "node:path"
import { assert, describe, it } from "vitest"
import * as Checker from "../../checker/Checker.ts"
import * as Parallel from "../../checker/Parallel.ts"
import * as Manifests from "../../cli/Manifests.ts"
import * as Protocols from "../../protocols/index.ts"
import * as TokenRing from "./fixtures/TokenRing.ts"
import { root } from "./Harness.ts"

const fixture = (name: string) => path.join(root, "test/cli/fixtures", name)
const refusal = async (arg: string) => (await Effect.runPromise(Effect.flip(Manifests.resolve(arg)))).message

describe("Manifests", () => {
  it("tells module paths from bundled names, and splits off a family selector", () => {
    for (const arg of ["./src/ring.ts", "../x/index.js", "/abs/ring.mts", "src/ring.ts", "file:///p/ring.ts", "ring.ts#ring/broken"]) assert.isTrue(Manifests.isModulePath(arg), arg)
    for (const arg of ["calculator", "two-phase-commit/commit-on-any-yes"]) assert.isFalse(Manifests.isModulePath(arg), arg)
    assert.deepStrictEqual(Manifests.split("./r.ts#token-ring/keep-token"), { path: "./r.ts", selector: "token-ring/keep-token" })
  })

  it("resolves a module path to its manifest's family, chosen by selector or else its first correct one", async () => {
    const file = fixture("TokenRing.ts")
    const first = await Effect.runPromise(Manifests.resolve(file))
    assert.strictEqual(first.manifest, TokenRing.manifest, "the module is loaded once, as the test imports it")
    assert.strictEqual(first.family.name, "token-ring")
    assert.strictEqual(first.module, file)
    assert.strictEqual(first.argument, `${file}#token-ring`)
    const chosen = await Effect.runPromise(Manifests.resolve(`${file}#token-ring/keep-token`))
    assert.strictEqual(chosen.family, TokenRing.families[1])
    assert.strictEqual(Manifests.urlOf(chosen), TokenRing.manifest.module)
  })

  it("resolves a bundled name through the bundled manifests, as a module's family", async () => {
    const chosen = await Effect.runPromise(Manifests.resolve("query-tpc/no-hook"))
    assert.isUndefined(chosen.module)
    assert.strictEqual(chosen.argument, "query-tpc/no-hook")
    assert.include(Protocols.manifests, chosen.manifest)
    assert.include(chosen.manifest.families, chosen.family)
    assert.deepStrictEqual((await Manifests.bundledFamilies()).map((f) => f.name), Protocols.families.map((f) => f.name))
  })

  it("refuses what is not a protocol module, saying why in one line", async () => {
    assert.strictEqual(await refusal("./nowhere/ring.ts"), `cannot load ./nowhere/ring.ts: no such file (${path.join(process.cwd(), "nowhere/ring.ts")})`)
    assert.match(await refusal(path.join(root, "test/cli/fixtures")), /: it is a directory; give the protocol module's file/)
    assert.strictEqual(await refusal(fixture("Throws.ts")), `cannot load ${fixture("Throws.ts")}: the ring's members are not configured`)
    assert.include(await refusal(fixture("NoManifest.ts")), "NoManifest.ts does not export a manifest (its exports: families, ring)")
    assert.include(await refusal(fixture("NotAManifest.ts")), 'NotAManifest.ts exports a "manifest" that Manifest.make did not build')
    assert.include(await refusal(`${fixture("TokenRing.ts")}#ring`), 'TokenRing.ts has no family "ring"')
    assert.include(await refusal("token-rin"), 'unknown protocol "token-rin"')
  })

  it("gives the checker's worker threads a model source that loads the user's module by URL", async () => {
    const sizes = { members: 5, depth: 16 }
    const model = TokenRing.families[1]!.model!(sizes)
    const source = Manifests.modelSource({ module: TokenRing.manifest.module, family: "token-ring/keep-token" }, sizes)
    // Shared from depth 0: the calling thread waits for both workers, which build the model themselves.
    const parallel = await Parallel.checkParallel(model, source, { workers: 3, searchAloneUntil: 0 })
    const sequential = Checker.check(model)
    assert.strictEqual(parallel.threads?.sharedFrom, 0)
    assert.strictEqual(parallel.states, sequential.states)
    assert.strictEqual(parallel.transitions, sequential.transitions)
    assert.deepStrictEqual(parallel.properties.map((p) => p.status), sequential.properties.map((p) => p.status))
    const wrong = Manifests.modelSource({ module: TokenRing.manifest.module, family: "token-ring/missing" }, sizes)
    const failed = await Parallel.checkParallel(model, wrong, { workers: 2, searchAloneUntil: 0 }).then(() => undefined, (e: unknown) => e)
    assert.match(String(failed), /no family token-ring\/missing/)
  })
})
