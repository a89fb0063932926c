/**
 * CallSite: the position of the call that built a value, as the stack trace gives it — under vitest
 * (source-mapped TypeScript), and under plain `node` running compiled JavaScript, with and without
 * source maps.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "vitest"
import * as CallSite from "../../core/CallSite.ts"

const declare = () => CallSite.capture(declare)

describe("CallSite", () => {
  it("is the caller's file, line and column in the TypeScript source", () => {
    const site = declare()
    assert.deepStrictEqual(site, { file: import.meta.filename, line: 17, column: 18 })
    assert.strictEqual(CallSite.format(site!), `${import.meta.filename}:17:18`)
  })

  it("reads V8's frame formats, file URLs decoded, and no position from a frame without one", () => {
    assert.deepStrictEqual(CallSite.parseFrame("    at async Object.run (file:///a%20b/c.ts:3:9)"), { file: "/a b/c.ts", line: 3, column: 9 })
    assert.deepStrictEqual(CallSite.parseFrame("    at /a/c.js:30:1"), { file: "/a/c.js", line: 30, column: 1 })
    assert.deepStrictEqual(CallSite.parseFrame("    at new Foo (C:\\\\p\\\\c.js:1:2)"), { file: "C:\\\\p\\\\c.js", line: 1, column: 2 })
    assert.isUndefined(CallSite.parseFrame("    at Array.map (<anonymous>)"))
    assert.isUndefined(CallSite.parseFrame("    at eval (eval at run (node:vm:1:1), <anonymous>:1:1)"))
  })

  it("under plain node is the running .js file's position, and the .ts one with --enable-source-maps", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "callsite-"))
    try {
      const esbuild = path.resolve("node_modules/.bin/esbuild")
      fs.writeFileSync(path.join(dir, "use.ts"), ['import { capture } from "./CallSite.ts"', "type X = number", "const f = (x: X) => capture(f)", "console.log(JSON.stringify(f(1)))", ""].join("\n"))
      fs.copyFileSync(path.resolve("core/CallSite.ts"), path.join(dir, "CallSite.ts"))
      execFileSync(esbuild, ["use.ts", "CallSite.ts", "--outdir=js", "--format=esm", "--sourcemap", "--log-level=warning"], { cwd: dir })
      const js = path.join(dir, "js", "use.js")
      fs.writeFileSync(js, fs.readFileSync(js, "utf8").replace("./CallSite.ts", "./CallSite.js"))
      fs.writeFileSync(path.join(dir, "js", "package.json"), '{ "type": "module" }')
      const plain = JSON.parse(execFileSync("node", [js], { encoding: "utf8" }))
      const line = fs.readFileSync(js, "utf8").split("\n").findIndex((l) => l.includes("console.log(JSON.stringify(f(1)))"))
      assert.deepStrictEqual(plain, { file: js, line: line + 1, column: 28 })
      const mapped = JSON.parse(execFileSync("node", ["--enable-source-maps", js], { encoding: "utf8" }))
      assert.deepStrictEqual(mapped, { file: path.join(dir, "use.ts"), line: 4, column: 28 })
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
