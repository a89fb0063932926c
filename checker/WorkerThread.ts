/**
 * Worker threads that run a function of a TypeScript module. A worker does not inherit the main
 * thread's TypeScript loader, so its source registers tsx (with the project's tsconfig, as
 * `bin/protoweave.js` does) before importing the module and calling the function.
 *
 * @since 0.1.0
 */
import { fileURLToPath } from "node:url"
import { Worker } from "node:worker_threads"

/**
 * Starts a worker thread that runs `(await import(moduleUrl))[entry]()` with `workerData`.
 *
 * @example
 * const worker = start(new URL("./Parallel.ts", import.meta.url).href, "serve", {})
 * typeof worker.terminate // => "function"
 * await worker.terminate()
 */
export const start = (moduleUrl: string, entry: string, workerData: unknown): Worker => {
  const api = import.meta.resolve("tsx/esm/api")
  const tsconfig = fileURLToPath(new URL("../tsconfig.json", import.meta.url))
  const source = [
    `import(${JSON.stringify(api)})`,
    `.then(({ register }) => { register({ tsconfig: ${JSON.stringify(tsconfig)} }); return import(${JSON.stringify(moduleUrl)}) })`,
    `.then((m) => m[${JSON.stringify(entry)}]())`
  ].join("")
  return new Worker(source, { eval: true, workerData })
}
