/**
 * The model checker on several threads: a breadth-first search, level by level, in which every
 * worker thread expands its own share of each level against one visited table in shared memory
 * (`checker/SharedTable.ts`).
 *
 * How the work is split: each worker has its own collapsed state space (`checker/Collapse.ts`: its
 * own interned local states and memoized transitions) and its own frontier. It expands the states of
 * its frontier and adds each successor's fingerprint to the shared table; the thread whose add is
 * the first for a state owns that state: it judges it against the properties and expands it in the
 * next level. Fingerprints come from content, so every thread computes the same fingerprint for the
 * same state, and states stay in the thread that found them, as vectors of that thread's ids, with
 * no encoding. Between levels the coordinating thread collects the verdicts, grows the table when
 * it fills, and evens out the frontiers when one worker holds far more states than another: only
 * then do states cross threads, in the canonical encoding (`checker/Codec.ts`). Levels are kept in
 * step, so counterexamples are as short as the sequential search's.
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
import { Judge } from "./Judge.ts"
import { FULL, KNOWN, SharedTable, type SharedTableMemory } from "./SharedTable.ts"
import * as Successors from "./Successors.ts"
import * as WorkerThread from "./WorkerThread.ts"

/** Where workers find the model: `(await import(specifier))[exportName](...args)`. */
export interface ModelSource {
  readonly specifier: string
  readonly exportName: string
  readonly args: ReadonlyArray<unknown>
}

/** Words of the shared control array: stop (set by the coordinator), states expanded so far. */
const STOP = 0
const EXPANDED = 1

interface WorkerInput {
  readonly source: ModelSource
  readonly symmetry: boolean
  readonly memory: SharedTableMemory
  readonly control: SharedArrayBuffer
  readonly maxStates: number
}

/** What the coordinator asks of a worker. */
type Command =
  | { readonly kind: "level"; readonly depth: number }
  | { readonly kind: "table"; readonly memory: SharedTableMemory; readonly depth: number }
  | { readonly kind: "give"; readonly count: number }
  | { readonly kind: "take"; readonly batch: Uint8Array }

/** A worker's account of a level (or of the states it retried after the table grew). */
interface LevelReply {
  readonly kind: "level"
  readonly transitions: number
  readonly found: number
  readonly deadlocks: number
  readonly firstDeadlock: number
  readonly violated: ReadonlyArray<readonly [string, number]>
  readonly witnessed: ReadonlyArray<readonly [string, number]>
  /** Successors that did not fit in the table: they are added once it has grown. */
  readonly pending: number
  /** States for the next level. */
  readonly frontier: number
  readonly frontierBytes: number
  /** Whether the worker stopped early, asked to or at the state bound. */
  readonly stopped: boolean
}

type Reply = { readonly kind: "ready" } | LevelReply | { readonly kind: "given"; readonly batch: Uint8Array } | { readonly kind: "taken" }

const loadModel = async (source: ModelSource): Promise<Model> => {
  const module = (await import(source.specifier)) as Record<string, (...args: ReadonlyArray<unknown>) => Model>
  const build = module[source.exportName]
  if (typeof build !== "function") throw new Error(`${source.specifier} has no export ${source.exportName}`)
  return build(...source.args)
}

/** Writes states (id, canonical bytes of the statelet) for another thread. */
const encodeStates = (space: CollapsedSpace, states: Iterable<readonly [number, Int32Array]>): Uint8Array => {
  const w = new Codec.Writer()
  const content = new Codec.Writer()
  for (const [id, v] of states) {
    content.reset()
    space.codec.encode(content, space.view(v))
    w.varint(id)
    w.varint(content.length)
    w.raw(content.bytes.subarray(0, content.length))
  }
  return w.take()
}

/** Reads states written by `encodeStates` into a frontier, as vectors of this thread's space. */
const decodeStates = (space: CollapsedSpace, batch: Uint8Array, into: Frontier): void => {
  const r = new Codec.Reader(batch)
  while (r.pos < batch.length) {
    const id = r.varint()
    const length = r.varint()
    const v = space.vectorOf(space.codec.decode(batch.subarray(r.pos, r.pos + length)))
    r.pos += length
    into.pushWords(id, v, v.length)
  }
}

/** A worker thread's side of the search: started by `checkParallel`, it answers commands until terminated. */
export const serve = async (): Promise<void> => {
  const port = parentPort
  if (port === null) throw new Error("serve runs in a checker worker thread only")
  const input = workerData as WorkerInput
  const model = await loadModel(input.source)
  const space = new CollapsedSpace(model, input.symmetry)
  const judge = new Judge(model)
  const nodes = model.system.topology.nodes
  const control = new Int32Array(input.control)
  let table = SharedTable.open(input.memory)
  let frontier = new Frontier("fifo")
  let next = new Frontier("fifo")
  /** Successors that found the table full: [hi, lo, vector] under their parent's id. */
  let pending = new Frontier("fifo")
  let retrying = new Int32Array(64)
  let depth = 0
  let current: Int32Array = new Int32Array(0)
  let currentId = 0
  let progress = false
  let transitions = 0
  let found = 0
  let deadlocks = 0
  let firstDeadlock = -1
  let stopped = false

  const discovered = (id: number, v: Int32Array): void => {
    found++
    if (judge.judge(id, space.view(v))) next.pushWords(id, v, space.size(v))
  }
  const visit: Visit = (hi, lo, isProgress) => {
    transitions++
    if (isProgress) progress = true
    const id = table.add(hi, lo, currentId, depth + 1)
    if (id === KNOWN) return
    const v = space.successor(current)
    if (id !== FULL) return discovered(id, v)
    const size = space.size(v)
    if (retrying.length < size + 2) retrying = new Int32Array(2 * (size + 2))
    retrying[0] = hi
    retrying[1] = lo
    retrying.set(v.subarray(0, size), 2)
    pending.pushWords(currentId, retrying, size + 2)
  }
  /** Ends a round: the states found become the frontier, and the round's figures are reported. */
  const endRound = (): LevelReply => {
    frontier = next
    next = new Frontier("fifo")
    const out: LevelReply = {
      kind: "level",
      transitions,
      found,
      deadlocks,
      firstDeadlock,
      violated: [...judge.violatedAt],
      witnessed: [...judge.witnessedAt],
      pending: pending.length,
      frontier: frontier.length,
      frontierBytes: frontier.bytes() + pending.bytes(),
      stopped
    }
    transitions = 0
    found = 0
    deadlocks = 0
    firstDeadlock = -1
    return out
  }
  const expandLevel = (): void => {
    let expanded = 0
    for (;;) {
      if ((expanded & 0xff) === 0xff) {
        Atomics.add(control, EXPANDED, 0x100)
        if (Atomics.load(control, STOP) !== 0 || table.size >= input.maxStates) {
          stopped = true
          return
        }
      }
      const id = frontier.popWords()
      if (id < 0) break
      expanded++
      current = frontier.words
      currentId = id
      progress = false
      space.expand(current, table.high(id), table.low(id), visit)
      if (!progress && !(model.final?.(space.view(current) as never, nodes) ?? false)) {
        deadlocks++
        if (firstDeadlock < 0) firstDeadlock = id
      }
    }
    Atomics.add(control, EXPANDED, expanded & 0xff)
  }
  const retryPending = (): void => {
    const again = pending
    pending = new Frontier("fifo")
    for (;;) {
      const parent = again.popWords()
      if (parent < 0) break
      const words = again.words
      currentId = parent
      const id = table.add(words[0]!, words[1]!, parent, depth + 1)
      if (id === KNOWN) continue
      const v = words.subarray(2)
      if (id !== FULL) discovered(id, v)
      else pending.pushWords(parent, words, space.size(v) + 2)
    }
  }
  port.on("message", (command: Command) => {
    const answer = (r: Reply, transfer: Array<ArrayBuffer> = []) => port.postMessage(r, transfer)
    switch (command.kind) {
      case "level": {
        depth = command.depth
        expandLevel()
        return answer(endRound())
      }
      case "table": {
        // The new level is in `frontier` already: retried states join it.
        table = SharedTable.open(command.memory)
        depth = command.depth
        next = frontier
        retryPending()
        return answer(endRound())
      }
      case "give": {
        const states: Array<readonly [number, Int32Array]> = []
        for (let k = 0; k < command.count; k++) {
          const id = frontier.popWords()
          if (id < 0) break
          states.push([id, frontier.words.slice(0, space.size(frontier.words))])
        }
        // Taken from the front, put back at the back: the level's order does not matter.
        const batch = encodeStates(space, states)
        return answer({ kind: "given", batch }, [batch.buffer as ArrayBuffer])
      }
      case "take": {
        decodeStates(space, command.batch, frontier)
        return answer({ kind: "taken" })
      }
    }
  })
  port.postMessage({ kind: "ready" } satisfies Reply)
}

/** A worker thread and its one outstanding request. */
class Helper {
  private waiting: { resolve: (r: Reply) => void; reject: (e: unknown) => void } | undefined

  constructor(readonly worker: Worker) {
    worker.on("message", (r: Reply) => {
      const w = this.waiting
      this.waiting = undefined
      w?.resolve(r)
    })
    worker.on("error", (e) => {
      const w = this.waiting
      this.waiting = undefined
      w?.reject(e)
    })
  }

  /** Waits for the worker's next message (its "ready" first). */
  next(): Promise<Reply> {
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }))
  }

  ask(command: Command, transfer: Array<ArrayBuffer> = []): Promise<Reply> {
    const answer = this.next()
    this.worker.postMessage(command, transfer)
    return answer
  }
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
  options: Omit<CheckOptions, "strategy"> & {
    readonly workers: number
    /** The shared table's first number of slots (a power of two, default 2¹⁶); it doubles as it fills. */
    readonly initialSlots?: number
  }
): Promise<CheckReport> => {
  const started = performance.now()
  const maxStates = options.maxStates ?? model.maxStates ?? Number.POSITIVE_INFINITY
  const maxDepth = options.maxDepth ?? model.maxDepth ?? Number.POSITIVE_INFINITY
  const symmetry = (options.symmetry ?? true) && (model.symmetric ?? []).length > 0
  assertForgettable(model, Successors.make(model))
  const space = new CollapsedSpace(model, symmetry)
  const judge = new Judge(model)
  const control = new Int32Array(new SharedArrayBuffer(8))
  let table = SharedTable.create(options.initialSlots ?? 1 << 16)
  let transitions = 0
  let deepest = 0
  let deadlocks = 0
  let firstDeadlock = -1
  let incomplete: Incomplete | undefined
  let peakBytes = 0

  const start = space.start()
  table.add(start.hi, start.lo, -1, 0)
  const initialOk = judge.judge(0, space.view(start.vector))

  const helpers = Array.from({ length: Math.max(1, options.workers) }, () => {
    const input: WorkerInput = { source, symmetry, memory: table.memory, control: control.buffer as SharedArrayBuffer, maxStates }
    const worker = WorkerThread.start(import.meta.url, "serve", input)
    worker.unref()
    return new Helper(worker)
  })
  let sizes = helpers.map(() => 0)
  let level = 0
  const timer = setInterval(() => {
    if (options.interrupted?.() === true) Atomics.store(control, STOP, 1)
    const now = performance.now()
    const total = sizes.reduce((a, b) => a + b, 0)
    options.onProgress?.({
      states: table.size,
      transitions,
      depth: level,
      queue: Math.max(0, total - Atomics.load(control, EXPANDED)),
      elapsedMs: now - started,
      memoryBytes: process.memoryUsage().rss
    })
  }, options.progressEvery ?? 1000)
  try {
    await Promise.all(helpers.map((h) => h.next()))
    if (initialOk) {
      const batch = encodeStates(space, [[0, start.vector]])
      await helpers[0]!.ask({ kind: "take", batch }, [batch.buffer as ArrayBuffer])
      sizes[0] = 1
    }
    /** Takes in the workers' replies to a level (or a retry) and returns whether any stopped early. */
    const absorb = (replies: ReadonlyArray<Reply>, depth: number): boolean => {
      let stopped = false
      let bytes = table.bytes()
      sizes = replies.map((r) => {
        const reply = r as LevelReply
        transitions += reply.transitions
        if (reply.found > 0) deepest = Math.max(deepest, depth + 1)
        deadlocks += reply.deadlocks
        if (firstDeadlock < 0 && reply.firstDeadlock >= 0) firstDeadlock = reply.firstDeadlock
        for (const [name, id] of reply.violated) judge.record("violated", name, id)
        for (const [name, id] of reply.witnessed) judge.record("witnessed", name, id)
        stopped ||= reply.stopped
        bytes += reply.frontierBytes
        return reply.frontier
      })
      peakBytes = Math.max(peakBytes, bytes)
      return stopped
    }
    for (let depth = 0; sizes.some((n) => n > 0) && !judge.decided(); depth++) {
      level = depth
      if (depth >= maxDepth) {
        incomplete = "max-depth"
        break
      }
      if (table.size >= maxStates) {
        incomplete = "max-states"
        break
      }
      if (options.interrupted?.() === true || Atomics.load(control, STOP) !== 0) {
        incomplete = "interrupted"
        break
      }
      Atomics.store(control, EXPANDED, 0)
      let replies = await Promise.all(helpers.map((h) => h.ask({ kind: "level", depth })))
      let stopped = absorb(replies, depth)
      // Successors that found the table full are added once it has grown.
      while (!stopped && replies.some((r) => (r as LevelReply).pending > 0)) {
        table = table.grown()
        replies = await Promise.all(helpers.map((h) => h.ask({ kind: "table", memory: table.memory, depth })))
        stopped = absorb(replies, depth)
      }
      if (stopped) {
        incomplete = Atomics.load(control, STOP) !== 0 ? "interrupted" : "max-states"
        break
      }
      // Levels grow slowly in the middle of a search: a table that would not hold another level as
      // large as this one grows now, so that few successors have to wait for it.
      const found = replies.reduce((sum, r) => sum + (r as LevelReply).found, 0)
      if (!table.fits(found)) {
        while (!table.fits(found)) table = table.grown()
        absorb(await Promise.all(helpers.map((h) => h.ask({ kind: "table", memory: table.memory, depth }))), depth)
      }
      await balance(helpers, sizes)
    }
  } finally {
    clearInterval(timer)
    await Promise.all(helpers.map((h) => h.worker.terminate()))
  }
  const { violatedAt, witnessedAt } = judge
  return buildReport({
    model,
    space,
    table,
    fingerprintBits: 63,
    violatedAt,
    witnessedAt,
    deadlocks,
    firstDeadlock,
    transitions,
    maxDepth: deepest,
    incomplete,
    started,
    peakBytes,
    strategy: "bfs",
    symmetry
  })
}

/**
 * Evens out the workers' frontiers when one holds more than twice another's share (plus a margin
 * that makes small levels not worth moving): states move from the fullest to the emptiest.
 */
const balance = async (helpers: ReadonlyArray<Helper>, sizes: Array<number>): Promise<void> => {
  for (;;) {
    let most = 0
    let least = 0
    sizes.forEach((n, i) => {
      if (n > sizes[most]!) most = i
      if (n < sizes[least]!) least = i
    })
    const gap = sizes[most]! - sizes[least]!
    if (most === least || gap < 64 || sizes[most]! < 2 * sizes[least]! + 64) return
    const count = Math.floor(gap / 2)
    const given = (await helpers[most]!.ask({ kind: "give", count })) as { readonly batch: Uint8Array }
    await helpers[least]!.ask({ kind: "take", batch: given.batch }, [given.batch.buffer as ArrayBuffer])
    sizes[most] = sizes[most]! - count
    sizes[least] = sizes[least]! + count
  }
}
