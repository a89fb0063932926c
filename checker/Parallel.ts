/**
 * The model checker on several threads: a breadth-first search, level by level, whose expansion
 * runs in worker threads while the coordinating thread keeps the one table of visited states.
 *
 * How the work is split: the coordinator holds the visited table, the current BFS level and the
 * verdicts. It cuts the level into batches of encoded states and hands them to the workers; a
 * worker decodes each state, computes its successors through the step function, takes their
 * representatives, encodes and fingerprints them, evaluates every property on them, and sends back
 * per successor its fingerprint, its bytes and which properties it violates or witnesses. The
 * coordinator then only looks fingerprints up in the table (cheap), records verdicts and builds the
 * next level. Threads must agree on fingerprints, so states cross threads in the canonical encoding
 * (`checker/Codec.ts`), which writes the same bytes for the same state in every thread.
 *
 * A worker cannot receive the model (it holds functions), so it imports it: `source` names a
 * module and an export that builds the model from arguments.
 *
 * @since 0.1.0
 */
import { parentPort, type Worker, workerData } from "node:worker_threads"
import type { Model } from "../core/Model.ts"
import type { CheckOptions, CheckReport, Incomplete } from "./Checker.ts"
import { assertForgettable, buildReport } from "./Checker.ts"
import * as Codec from "./Codec.ts"
import { CollapsedSpace, type Visit } from "./Collapse.ts"
import { Frontier } from "./Frontier.ts"
import * as Successors from "./Successors.ts"
import { VisitedTable } from "./VisitedTable.ts"
import * as WorkerThread from "./WorkerThread.ts"

/** Where workers find the model: `(await import(specifier))[exportName](...args)`. */
export interface ModelSource {
  readonly specifier: string
  readonly exportName: string
  readonly args: ReadonlyArray<unknown>
}

interface WorkerInput {
  readonly source: ModelSource
  readonly symmetry: boolean
}

const batchSize = 512

/** The model's state space and properties, as both sides build them. */
const prepare = (model: Model, symmetry: boolean) => ({
  space: new CollapsedSpace(model, symmetry),
  always: model.system.properties.filter((p) => p.kind === "always"),
  sometimes: model.system.properties.filter((p) => p.kind === "sometimes")
})

const loadModel = async (source: ModelSource): Promise<Model> => {
  const module = (await import(source.specifier)) as Record<string, (...args: ReadonlyArray<unknown>) => Model>
  const build = module[source.exportName]
  if (typeof build !== "function") throw new Error(`${source.specifier} has no export ${source.exportName}`)
  return build(...source.args)
}

/**
 * The body of a worker thread: loads the model, then expands every batch it is sent. A batch is a
 * sequence of (state id, fingerprint, content bytes); the answer is, per state, its id, whether it
 * is a deadlock, its number of successors, and those this worker has not sent before as
 * (fingerprint, violated properties, witnessed properties, bytes).
 */
export const serve = async (): Promise<void> => {
  const port = parentPort
  if (port === null) throw new Error("serve runs in a checker worker thread only")
  const input = workerData as WorkerInput
  const model = await loadModel(input.source)
  const { space, always, sometimes } = prepare(model, input.symmetry)
  const nodes = model.system.topology.nodes
  const child = new Codec.Writer()
  /** The successors of the state being expanded, written before its header is (their count comes last). */
  const successors = new Codec.Writer()
  let current: Int32Array = new Int32Array(0)
  let count = 0
  let sent = 0
  let progress = false
  // What this worker has sent already, the coordinator knows: sending it again would only cost.
  const seen = new VisitedTable()
  // A successor goes back with its verdicts and its content bytes: interned ids are private to a
  // thread, content is the same everywhere.
  const visit: Visit = (hi, lo, isProgress) => {
    count++
    if (isProgress) progress = true
    if (seen.add(hi, lo, -1, 0) < 0) return
    sent++
    const next = space.view(space.successor(current))
    let violated = 0
    let witnessed = 0
    always.forEach((p, i) => {
      if (!p.holds(next as any, nodes)) violated |= 1 << i
    })
    sometimes.forEach((p, i) => {
      if (p.holds(next as any, nodes)) witnessed |= 1 << i
    })
    child.reset()
    space.codec.encode(child, next)
    successors.varint(hi)
    successors.varint(lo)
    successors.varint(violated >>> 0)
    successors.varint(witnessed >>> 0)
    successors.varint(child.length)
    successors.raw(child.bytes.subarray(0, child.length))
  }
  port.on("message", (batch: Uint8Array) => {
    const r = new Codec.Reader(batch)
    const out = new Codec.Writer()
    while (r.pos < batch.length) {
      const id = r.varint()
      const hi = r.varint()
      const lo = r.varint()
      const length = r.varint()
      const s = space.codec.decode(batch.subarray(r.pos, r.pos + length))
      r.pos += length
      current = space.vectorOf(s)
      count = 0
      sent = 0
      progress = false
      successors.reset()
      space.expand(current, hi, lo, visit)
      const deadlock = !progress && !(model.final?.(s as any, nodes) ?? false)
      out.varint(id)
      out.u8(deadlock ? 1 : 0)
      out.varint(count)
      out.varint(sent)
      out.raw(successors.bytes.subarray(0, successors.length))
    }
    const result = out.take()
    port.postMessage(result, [result.buffer as ArrayBuffer])
  })
  port.postMessage("ready")
}

/**
 * Checks a model breadth-first with `workers` worker threads expanding states. The verdicts and
 * counts are those of `Checker.check` with strategy `bfs` (counterexamples are shortest); traces are
 * rebuilt on the calling thread.
 *
 * @example
 * import * as Protocols from "../protocols/index.ts"
 * const parameters = { participants: 3 }
 * const report = await checkParallel(Protocols.modelOf("tpc-bench", parameters), Protocols.modelSource("tpc-bench", parameters), { workers: 2 })
 * report.states // => 1077
 */
export const checkParallel = async (
  model: Model,
  source: ModelSource,
  options: Omit<CheckOptions, "strategy"> & { readonly workers: number }
): Promise<CheckReport> => {
  const started = performance.now()
  const maxStates = options.maxStates ?? model.maxStates ?? Number.POSITIVE_INFINITY
  const maxDepth = options.maxDepth ?? model.maxDepth ?? Number.POSITIVE_INFINITY
  const symmetry = (options.symmetry ?? true) && (model.symmetric ?? []).length > 0
  const { space, always, sometimes } = prepare(model, symmetry)
  assertForgettable(model, Successors.make(model))
  const nodes = model.system.topology.nodes
  const table = new VisitedTable()
  const violatedAt = new Map<string, number>()
  const witnessedAt = new Map<string, number>()
  let transitions = 0
  let deepest = 0
  let deadlocks = 0
  let firstDeadlock = -1
  let incomplete: Incomplete | undefined
  let lastProgress = started
  let peakBytes = 0

  const start = space.start()
  const w = new Codec.Writer()
  const initial = space.statelet(start.vector)
  space.codec.encode(w, initial)
  table.add(start.hi, start.lo, -1, 0)
  let level = new Frontier("fifo")
  let initialOk = true
  for (const p of always) if (!p.holds(initial, nodes)) (violatedAt.set(p.name, 0), (initialOk = false))
  for (const p of sometimes) if (p.holds(initial, nodes)) witnessedAt.set(p.name, 0)
  if (initialOk) level.push(0, w.bytes, w.length)

  const workers = Array.from({ length: Math.max(1, options.workers) }, () => {
    const worker = WorkerThread.start(import.meta.url, "serve", { source, symmetry } satisfies WorkerInput)
    worker.unref()
    return worker
  })
  const ready = (worker: Worker) =>
    new Promise<void>((resolve, reject) => {
      worker.once("message", () => resolve())
      worker.once("error", reject)
    })
  try {
    await Promise.all(workers.map(ready))
    const decided = () => violatedAt.size === always.length && witnessedAt.size === sometimes.length
    for (let depth = 0; level.length > 0 && !decided(); depth++) {
      if (depth >= maxDepth) {
        incomplete = "max-depth"
        break
      }
      const next = new Frontier("fifo")
      // Batches are cut as workers ask for them, so the level is held once, in its pages.
      const takeBatch = (): Uint8Array | undefined => {
        if (level.length === 0) return undefined
        const b = new Codec.Writer()
        for (let k = 0; k < batchSize && level.length > 0; k++) {
          const e = level.pop()!
          const [hi, lo] = table.fingerprint(e.id)
          b.varint(e.id)
          b.varint(hi)
          b.varint(lo)
          b.varint(e.bytes.length)
          b.raw(e.bytes)
        }
        return b.take()
      }
      let stop = false
      const absorb = (result: Uint8Array) => {
        const r = new Codec.Reader(result)
        while (r.pos < result.length) {
          const parent = r.varint()
          const deadlock = r.u8() === 1
          if (deadlock) {
            deadlocks++
            if (firstDeadlock < 0) firstDeadlock = parent
          }
          transitions += r.varint()
          for (let n = r.varint(); n > 0; n--) {
            const hi = r.varint()
            const lo = r.varint()
            const violated = r.varint()
            const witnessed = r.varint()
            const length = r.varint()
            const at = r.pos
            r.pos += length
            const id = table.add(hi, lo, parent, depth + 1)
            if (id < 0) continue
            deepest = Math.max(deepest, depth + 1)
            always.forEach((p, i) => {
              if (violated & (1 << i) && !violatedAt.has(p.name)) violatedAt.set(p.name, id)
            })
            sometimes.forEach((p, i) => {
              if (witnessed & (1 << i) && !witnessedAt.has(p.name)) witnessedAt.set(p.name, id)
            })
            if (violated === 0) next.push(id, result.subarray(at, at + length))
          }
        }
        if (table.size >= maxStates) {
          incomplete = "max-states"
          stop = true
        }
        if (options.interrupted?.() === true) {
          incomplete = "interrupted"
          stop = true
        }
        const now = performance.now()
        const bytesNow = table.bytes() + next.bytes() + level.bytes()
        if (bytesNow > peakBytes) peakBytes = bytesNow
        if (options.onProgress !== undefined && now - lastProgress >= (options.progressEvery ?? 1000)) {
          lastProgress = now
          options.onProgress({ states: table.size, transitions, depth: deepest, queue: next.length + level.length, elapsedMs: now - started, memoryBytes: process.memoryUsage().rss })
        }
      }
      // Each worker takes the next batch as soon as it returns one; results are absorbed in arrival order.
      await Promise.all(
        workers.map(
          (worker) =>
            new Promise<void>((resolve, reject) => {
              const send = () => {
                const batch = stop ? undefined : takeBatch()
                if (batch === undefined) {
                  worker.off("message", onResult)
                  worker.off("error", reject)
                  return resolve()
                }
                worker.postMessage(batch, [batch.buffer as ArrayBuffer])
              }
              const onResult = (result: Uint8Array) => {
                absorb(result)
                send()
              }
              worker.on("message", onResult)
              worker.on("error", reject)
              send()
            })
        )
      )
      if (stop) break
      level = next
    }
  } finally {
    await Promise.all(workers.map((worker) => worker.terminate()))
  }
  const strategy = "bfs"
  return buildReport({ model, space, table, violatedAt, witnessedAt, deadlocks, firstDeadlock, transitions, maxDepth: deepest, incomplete, started, peakBytes, strategy, symmetry })
}
