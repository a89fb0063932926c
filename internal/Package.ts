/**
 * Where the protoweave package is: its root directory and version, found from this module's own
 * URL. The same code runs from the sources (`internal/Package.ts`, in this repository) and from
 * the build (`dist/internal/Package.js`, in a user's `node_modules`), one directory deeper, so
 * paths to files shipped beside the code (`package.json`, `bin/`, `proofs/`) are taken from the
 * root found here, never from a fixed number of `..`. Not part of the public API (`index.ts`).
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

/** The nearest directory at or above `start` whose package.json is named `name`. */
export const findRoot = (start: string, name: string): string => {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json")
    if (fs.existsSync(manifest) && (JSON.parse(fs.readFileSync(manifest, "utf8")) as { name?: unknown }).name === name) return dir
    if (path.dirname(dir) === dir) throw new Error(`no package.json named "${name}" at or above ${start}`)
  }
}

/**
 * The package's root directory (where its package.json is).
 *
 * @example
 * import * as fs from "node:fs"
 * fs.existsSync(`${root}/bin/protoweave.js`) // => true
 */
export const root: string = findRoot(path.dirname(fileURLToPath(import.meta.url)), "protoweave")

/**
 * The package's version, from its package.json.
 *
 * @example
 * /^\d+\.\d+\.\d+/.test(version) // => true
 */
export const version: string = (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version

/**
 * The absolute path of a file shipped in the package, from its root: `file("proofs/Protoweave.lean")`.
 *
 * @example
 * file("bin/protoweave.js").endsWith("/bin/protoweave.js") // => true
 */
export const file = (relative: string): string => path.join(root, relative)
