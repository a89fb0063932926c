/**
 * Every `@example` in the sources runs, and its `// => value` claims hold. Each example becomes a
 * module in a temporary folder that sees the documented module's exports (by name, and as a
 * namespace named after the file), with its relative imports pointed back at the sources.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { assert, describe, it } from "vitest"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")
const folders = ["typings", "core", "combinators", "hooks", "checker", "simulator", "protocols", "cli", "runtime", "exporter", "internal"]

const sources = (folder: string): Array<string> =>
  readdirSync(join(root, folder), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(folder, e.name)) : e.name.endsWith(".ts") ? [join(folder, e.name)] : []
  )

interface Example {
  readonly file: string
  readonly line: number
  readonly code: string
}

/** The `@example` blocks of a file: the comment lines after the tag, up to the next tag or the end. */
const examplesOf = (file: string): Array<Example> => {
  const lines = readFileSync(join(root, file), "utf8").split("\n")
  const out: Array<Example> = []
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*\* @example/.test(lines[i]!)) continue
    const code: Array<string> = []
    let j = i + 1
    for (; j < lines.length && !/^\s*\*\//.test(lines[j]!) && !/^\s*\* @/.test(lines[j]!); j++) code.push(lines[j]!.replace(/^\s*\* ?/, ""))
    out.push({ file, line: i + 1, code: code.join("\n") })
    i = j
  }
  return out
}

/** Turns `expr // => expected` (or an `// => expected` line after `expr`) into an assertion. */
const withAssertions = (code: string): string => {
  const lines = code.split("\n")
  const out: Array<string> = []
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const inline = /^(.*\S)\s*\/\/ => (.*)$/.exec(line)
    if (inline !== null && !inline[1]!.trimStart().startsWith("//")) {
      out.push(`__expect(${inline[1]}, ${inline[2]}, ${JSON.stringify(line.trim())})`)
      continue
    }
    const next = /^\s*\/\/ => (.*)$/.exec(lines[i + 1] ?? "")
    if (next !== null && line.trim() !== "" && !/^(const|let|import|type|declare)\b/.test(line.trim())) {
      out.push(`__expect(${line.trim()}, ${next[1]}, ${JSON.stringify(line.trim())})`)
      i++
      continue
    }
    out.push(line)
  }
  return out.join("\n")
}

const examples = folders.flatMap(sources).flatMap(examplesOf)
const scratch = mkdtempSync(join(tmpdir(), "protoweave-doctest-"))

describe("documentation examples", () => {
  it("finds examples to run", () => {
    assert.isAbove(examples.length, 40)
  })

  for (const example of examples) {
    it(`${example.file}:${example.line}`, async () => {
      const dir = dirname(join(root, example.file))
      const module = await import(pathToFileURL(join(root, example.file)).href)
      const code = withAssertions(example.code).replace(/from "(\.\.?\/[^"]+)"/g, (_, path: string) => `from ${JSON.stringify(pathToFileURL(resolve(dir, path)).href)}`)
      const declared = new Set([...code.matchAll(/\b(?:const|let|import|as|type)\s+\{?\s*([A-Za-z_$][\w$]*)/g)].map((m) => m[1]))
      for (const m of code.matchAll(/import\s*\{([^}]*)\}/g)) for (const name of m[1]!.split(",")) declared.add(name.trim().split(/\s+as\s+/).pop()!)
      const namespace = example.file.split("/").pop()!.replace(/\.ts$/, "")
      const bindings = Object.keys(module).filter((name) => !declared.has(name) && /^[A-Za-z_$][\w$]*$/.test(name))
      const source = [
        `import * as __module from ${JSON.stringify(pathToFileURL(join(root, example.file)).href)}`,
        `import { assert as __assert } from "vitest"`,
        bindings.length > 0 ? `const { ${bindings.join(", ")} } = __module` : "",
        declared.has(namespace) || bindings.includes(namespace) ? "" : `const ${namespace} = __module`,
        `const __expect = (actual: unknown, expected: unknown, claim: string) => __assert.deepStrictEqual(actual, expected, claim)`,
        code,
        "export {}"
      ].join("\n")
      const file = join(scratch, `${relative(root, example.file).replace(/[/.]/g, "_")}_${example.line}.ts`)
      writeFileSync(file, source)
      await import(pathToFileURL(file).href)
    })
  }
})
