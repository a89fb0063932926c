/**
 * Worker threads that run a function of a module. A worker does not inherit the main thread's
 * TypeScript loader, so for a TypeScript module (protoweave run from its sources) its source
 * registers tsx (with the project's tsconfig, as `bin/protoweave.js` does) before importing the
 * module and calling the function; compiled JavaScript is imported as it is.
 *
 * Before it registers tsx, a worker imports Effect's `Schema` and `Effect` modules (and with them
 * most of the library) with Node's own loader: tsx's hooks see every import of a thread, and
 * through them Effect's few hundred files took 0.7 s to load instead of 0.2 s (measured here, two
 * workers starting together: 1.7 s before both were ready, 0.9 s with this). Imports of the same
 * files through tsx later find them loaded.
 *
 * @since 0.1.0
 */
import { fileURLToPath } from "node:url"
import { type Transferable, Worker } from "node:worker_threads"

/**
 * Starts a worker thread that runs `(await import(moduleUrl))[entry]()` with `workerData`, which
 * may hold the objects of `transfer` (message ports); tsx is registered first when `moduleUrl` is a
 * `.ts` module.
 *
 * @example
 * const worker = start(new URL("./Parallel.ts", import.meta.url).href, "serve", {})
 * typeof worker.terminate // => "function"
 * await worker.terminate()
 */
export const start = (moduleUrl: string, entry: string, workerData: unknown, transfer: ReadonlyArray<Transferable> = []): Worker => {
  const run = `.then((m) => m[${JSON.stringify(entry)}]())`
  if (!moduleUrl.endsWith(".ts")) {
    return new Worker(`import(${JSON.stringify(moduleUrl)})${run}`, { eval: true, workerData, transferList: [...transfer] })
  }
  const api = import.meta.resolve("tsx/esm/api")
  const tsconfig = fileURLToPath(new URL("../tsconfig.json", import.meta.url))
  const preloaded = ["effect/Schema", "effect/Effect"].map((m) => `import(${JSON.stringify(import.meta.resolve(m))})`)
  const source = [
    `Promise.all([${preloaded.join(", ")}]).then(() => import(${JSON.stringify(api)}))`,
    `.then(({ register }) => { register({ tsconfig: ${JSON.stringify(tsconfig)} }); return import(${JSON.stringify(moduleUrl)}) })`,
    run
  ].join("")
  return new Worker(source, { eval: true, workerData, transferList: [...transfer] })
}
