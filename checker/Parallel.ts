/**
 * The model checker on several threads: a breadth-first search, level by level, in which the
 * calling thread and its worker threads each expand a share of every level against one visited
 * table in shared memory (`checker/SharedTable.ts`).
 *
 * How the work is split: each thread has its own collapsed state space (`checker/Collapse.ts`: its
 * own interned local states and memoized transitions) and its own frontier. It expands the states of
 * its frontier and adds each successor's fingerprint to the shared table; the thread whose add is
 * the first for a state owns that state: it judges it against the properties and expands it in the
 * next level. Fingerprints come from content, so every thread computes the same fingerprint for the
 * same state, and states stay in the thread that found them, as vectors of that thread's ids. A
 * thread that runs out of states within a level says so in shared memory; another thread, at its
 * next check (every 64 states), gives it half of its frontier through a message channel between the
 * two, as vectors with the canonical bytes of the parts the receiver has not had yet
 * (`CollapsedSpace.writeVectors`). The level ends when every thread is out. Between levels the
 * calling thread collects the verdicts and has the table doubled when it fills, each thread moving
 * a part of its slots into the new one. Levels are kept in step, so counterexamples are as short
 * as the sequential search's.
 *
 * The workers take a second or so to start (each loads the model's modules). Meanwhile the calling
 * thread searches alone, on the same shared table, and gives each worker its share of the frontier
 * once every worker is ready; a small model is done before that. The calling thread keeps its
 * share, and with it its memoized transitions. Workers are kept, idle, for the next search in the
 * process, which then shares from its first levels with workers whose code is already compiled.
 *
 * The search has the sequential one's semantics (`checker/Checker.ts`): violating states are
 * expanded, the level at the depth bound is expanded without keeping successors (counting its
 * steps and deadlocks), and a search that has what it is after (`searchStop`) stops at the end of
 * the level, as the sequential breadth-first search does; so states, transitions, deadlocks and
 * verdicts are the same.
 *
 * A worker cannot receive the model (it holds functions), so it imports it: `source` names a
 * module and an export that builds the model from arguments.
 *
 * @since 0.1.0
 */
import { MessageChannel, type MessagePort, parentPort, receiveMessageOnPort, type Worker } from "node:worker_threads"
import type { Model } from "../core/Model.ts"
import type { CheckOptions, CheckReport, Incomplete } from "./Checker.ts"
import { assertForgettable, buildReport, searchStop } from "./Checker.ts"
import { CollapsedSpace, VectorLink } from "./Collapse.ts"
import { ExpansionBatch } from "./ExpansionBatch.ts"
import { Frontier } from "./Frontier.ts"
import { Judge } from "./Judge.ts"
import { FULL, KNOWN, SharedTable, type SharedTableMemory } from "./SharedTable.ts"
import * as Successors from "./Successors.ts"
import * as WorkerThread from "./WorkerThread.ts"

/**
 * Where workers find the model: `await (await import(specifier))[exportName](...args)` (the export
 * may build the model asynchronously, loading a protocol module first).
 */
export interface ModelSource {
  readonly specifier: string
  readonly exportName: string
  readonly args: ReadonlyArray<unknown>
}

/**
 * Words of the shared control array: stop (set by the calling thread), states expanded so far; the
 * number of searching threads out of work in this level, and a bit per thread waiting for states;
 * then one word per thread, bumped to wake it.
 */
const STOP = 0
const EXPANDED = 1
const IDLE = 2
const HUNGRY = 3
const WAKE = 4
/** A thread gives states away only when it holds at least twice this many. */
const LEAST_GIVEN = 64

interface WorkerInput {
  readonly source: ModelSource
  readonly symmetry: boolean
  readonly memory: SharedTableMemory
  readonly control: SharedArrayBuffer
  readonly maxStates: number
  readonly index: number
  /** Per other searching thread, the port of the channel to it (this thread's own entry is undefined). */
  readonly peers: ReadonlyArray<MessagePort | undefined>
}

/** The searching threads as one of them sees them: states given to one out of work go through `peers`. */
interface Team {
  readonly index: number
  readonly peers: ReadonlyArray<MessagePort | undefined>
  readonly links: ReadonlyArray<VectorLink>
}

/** What the calling thread asks of a worker. */
type Command =
  | { readonly kind: "search"; readonly input: WorkerInput }
  | { readonly kind: "end" }
  | { readonly kind: "level"; readonly depth: number; readonly record: boolean }
  | { readonly kind: "table"; readonly memory: SharedTableMemory; readonly depth: number }
  | { readonly kind: "take"; readonly batch: Uint8Array; readonly from: number }
  | { readonly kind: "move"; readonly from: SharedTableMemory; readonly to: SharedTableMemory; readonly part: number; readonly parts: number }

/** A thread's account of a level (or of the states it retried after the table grew). */
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
  /** Whether the thread stopped early, asked to or at the state bound. */
  readonly stopped: boolean
  /** Batches of states this thread took from another in the level, and how many states they held. */
  readonly stolen: number
  readonly stolenStates: number
}

type Reply = { readonly kind: "ready" } | LevelReply | { readonly kind: "taken" } | { readonly kind: "moved"; readonly left: Int32Array }

const loadModel = async (source: ModelSource): Promise<Model> => {
  // A worker of the compiled checker has no TypeScript loader of its own.
  if (/\.[cm]?ts$/.test(source.specifier) && !import.meta.url.endsWith(".ts")) (await import("tsx/esm/api")).register()
  const module = (await import(source.specifier)) as Record<string, (...args: ReadonlyArray<unknown>) => Model | Promise<Model>>
  const build = module[source.exportName]
  if (typeof build !== "function") throw new Error(`${source.specifier} has no export ${source.exportName}`)
  return await build(...source.args)
}

/**
 * One thread's share of the level-by-level search: its frontier, the states it finds for the next
 * level, and the figures of the level. Every searching thread runs one: the workers and the
 * calling thread (see `checkParallel`).
 */
class LevelSearch {
  frontier = new Frontier("fifo")
  private next = new Frontier("fifo")
  /** Successors that found the table full: [hi, lo, vector] under their parent's id. */
  private pending = new Frontier("fifo")
  private retrying = new Int32Array(64)
  private depth = 0
  private transitions = 0
  private found = 0
  private deadlocks = 0
  private firstDeadlock = -1
  private stopped = false
  private stolen = 0
  private stolenStates = 0
  private readonly nodes: Model["system"]["topology"]["nodes"]
  /** States are expanded in batches (see `checker/ExpansionBatch.ts`), of as many states as a thread expands between checks for a thread waiting for work. */
  private readonly batch: ExpansionBatch

  constructor(
    private readonly model: Model,
    readonly space: CollapsedSpace,
    private readonly judge: Judge,
    private table: SharedTable,
    private readonly control: Int32Array,
    private readonly maxStates: number,
    /** The searching threads, once there are several: states move between them within a level. */
    public team: Team | undefined = undefined,
    /** Called every 256 states expanded: the calling thread reports progress and polls for interruption. */
    private readonly tick: (() => void) | undefined = undefined
  ) {
    this.nodes = model.system.topology.nodes
    this.batch = new ExpansionBatch(space, 64)
  }

  /** A new state: judged, and expanded in the next level whatever its verdict (see `checker/Checker.ts`). */
  private discovered(id: number, v: Int32Array): void {
    this.found++
    this.judge.judge(id, this.space.view(v))
    this.next.pushWords(id, v, this.space.size(v))
  }

  /**
   * Expands the frontier (states of depth `depth`) and reports the level. At the depth bound
   * (`record` false) its states' steps are counted and deadlocks found, but no successor is kept.
   */
  expandLevel(depth: number, record = true): LevelReply {
    this.depth = depth
    const { control, space, model, nodes, batch } = this
    let expanded = 0
    for (;;) {
      if (Atomics.load(control, STOP) !== 0 || this.table.size >= this.maxStates) {
        this.stopped = true
        break
      }
      if (this.team !== undefined && Atomics.load(control, HUNGRY) !== 0) this.share(this.team)
      batch.clear()
      while (!batch.full) {
        const id = batch.take(this.frontier)
        if (id < 0) break
        batch.expand(this.table.high(id), this.table.low(id), depth, record)
      }
      if (batch.length === 0) {
        if (this.team !== undefined && this.steal(this.team)) continue
        break
      }
      batch.prefetch(this.table)
      for (let b = 0; b < batch.length; b++) {
        const parent = batch.ids[b]!
        this.transitions += batch.transitions[b]!
        for (let j = batch.firsts[b]!; j < batch.firsts[b + 1]!; j++) this.settle(batch.his[j]!, batch.los[j]!, parent, b, j)
        if (batch.progressed[b] === 0 && !(model.final?.(space.view(batch.vectors[b]!) as never, nodes) ?? false)) {
          this.deadlocks++
          if (this.firstDeadlock < 0) this.firstDeadlock = parent
        }
      }
      Atomics.add(control, EXPANDED, batch.length)
      const before = expanded
      expanded += batch.length
      if (expanded >>> 8 !== before >>> 8) this.tick?.()
    }
    return this.endRound()
  }

  /** Adds successor `j` of the batch's state `b`: a new state is judged, one that found the table full kept for `retry`. */
  private settle(hi: number, lo: number, parent: number, b: number, j: number): void {
    const id = this.table.add(hi, lo, parent, this.depth + 1)
    if (id === KNOWN) return
    const v = this.batch.successor(b, j)
    if (id !== FULL) return this.discovered(id, v)
    const size = this.space.size(v)
    if (this.retrying.length < size + 2) this.retrying = new Int32Array(2 * (size + 2))
    this.retrying[0] = hi
    this.retrying[1] = lo
    for (let i = 0; i < size; i++) this.retrying[i + 2] = v[i]!
    this.pending.pushWords(parent, this.retrying, size + 2)
  }

  /**
   * Gives half of the frontier to a thread waiting for states, if one is and there are enough to
   * share. Claiming the thread's bit makes this the only giver; it is counted busy again before the
   * states leave, so that the level cannot end while they travel.
   */
  private share(team: Team): void {
    if (this.frontier.length < 2 * LEAST_GIVEN) return
    const hungry = Atomics.load(this.control, HUNGRY)
    for (let j = 0; j < team.peers.length; j++) {
      const bit = 1 << j
      if ((hungry & bit) === 0 || (Atomics.and(this.control, HUNGRY, ~bit) & bit) === 0) continue
      Atomics.sub(this.control, IDLE, 1)
      const batch = this.give(this.frontier.length >> 1, team.links[j])
      team.peers[j]!.postMessage(batch, [batch.buffer as ArrayBuffer])
      Atomics.add(this.control, WAKE + j, 1)
      Atomics.notify(this.control, WAKE + j)
      return
    }
  }

  /**
   * Waits, out of states, until another thread gives some (true) or every thread is out of states
   * or the search stops (false: the level is over).
   */
  private steal(team: Team): boolean {
    const { control } = this
    const threads = team.peers.length
    if (Atomics.add(control, IDLE, 1) + 1 === threads) {
      // The last one out ends the level for all.
      for (let j = 0; j < threads; j++) {
        Atomics.add(control, WAKE + j, 1)
        Atomics.notify(control, WAKE + j)
      }
      return false
    }
    const bit = 1 << team.index
    Atomics.or(control, HUNGRY, bit)
    for (;;) {
      const wake = Atomics.load(control, WAKE + team.index)
      for (let j = 0; j < threads; j++) {
        const port = team.peers[j]
        const got = port === undefined ? undefined : receiveMessageOnPort(port)
        if (got === undefined) continue
        const before = this.frontier.length
        this.take(got.message as Uint8Array, team.links[j])
        this.stolen++
        this.stolenStates += this.frontier.length - before
        return true
      }
      if (Atomics.load(control, IDLE) === threads) break
      if (Atomics.load(control, STOP) !== 0 || this.table.size >= this.maxStates) {
        this.stopped = true
        break
      }
      Atomics.wait(control, WAKE + team.index, wake, 20)
    }
    Atomics.and(control, HUNGRY, ~bit)
    return false
  }

  /** Adds the successors that found the table full to `table`, its grown successor, and reports them. */
  retry(table: SharedTable, depth: number): LevelReply {
    this.table = table
    this.depth = depth
    // The new level is in `frontier` already: retried states join it.
    this.next = this.frontier
    const again = this.pending
    this.pending = new Frontier("fifo")
    for (;;) {
      const parent = again.popWords()
      if (parent < 0) break
      const words = again.words
      const id = table.add(words[0]!, words[1]!, parent, depth + 1)
      if (id === KNOWN) continue
      const v = words.subarray(2)
      if (id !== FULL) this.discovered(id, v)
      else this.pending.pushWords(parent, words, this.space.size(v) + 2)
    }
    return this.endRound()
  }

  /** Ends a round: the states found become the frontier, and the round's figures are reported. */
  private endRound(): LevelReply {
    this.table.publish()
    this.frontier = this.next
    this.next = new Frontier("fifo")
    const out: LevelReply = {
      kind: "level",
      transitions: this.transitions,
      found: this.found,
      deadlocks: this.deadlocks,
      firstDeadlock: this.firstDeadlock,
      violated: [...this.judge.violatedAt],
      witnessed: [...this.judge.witnessedAt],
      pending: this.pending.length,
      frontier: this.frontier.length,
      frontierBytes: this.frontier.bytes() + this.pending.bytes(),
      stopped: this.stopped,
      stolen: this.stolen,
      stolenStates: this.stolenStates
    }
    this.stolen = 0
    this.stolenStates = 0
    this.transitions = 0
    this.found = 0
    this.deadlocks = 0
    this.firstDeadlock = -1
    return out
  }

  /** Takes up to `count` states off the frontier, encoded for another thread (through `link`, if given). */
  give(count: number, link?: VectorLink): Uint8Array {
    const states: Array<readonly [number, Int32Array]> = []
    for (let k = 0; k < count; k++) {
      const id = this.frontier.popWords()
      if (id < 0) break
      states.push([id, this.frontier.words.slice(0, this.space.size(this.frontier.words))])
    }
    // Taken from the front, put back at the back: the level's order does not matter.
    return this.space.writeVectors(states, link)
  }

  /** Adds states encoded by another thread's `give` (through the other end of `link`, if given) to the frontier. */
  take(batch: Uint8Array, link?: VectorLink): void {
    this.space.readVectors(batch, (id, v, length) => this.frontier.pushWords(id, v, length), link)
  }
}

/**
 * A worker thread's side of the searches: it takes part in one search at a time, from the
 * calling thread's `search` command (it loads the model and answers `ready`) to its `end`, and
 * waits for the next one in between.
 */
export const serve = (): void => {
  const port = parentPort
  if (port === null) throw new Error("serve runs in a checker worker thread only")
  let current: { readonly search: LevelSearch; readonly team: Team } | undefined
  port.on("message", (command: Command) => {
    const answer = (r: Reply, transfer: Array<ArrayBuffer> = []) => port.postMessage(r, transfer)
    switch (command.kind) {
      case "search": {
        const input = command.input
        // A model that cannot be loaded fails the worker, and with it the search.
        return void loadModel(input.source).then((model) => {
          const team: Team = { index: input.index, peers: input.peers, links: input.peers.map(() => new VectorLink()) }
          const space = new CollapsedSpace(model, input.symmetry)
          const search = new LevelSearch(model, space, new Judge(model), SharedTable.open(input.memory), new Int32Array(input.control), input.maxStates, team)
          current = { search, team }
          answer({ kind: "ready" })
        })
      }
      case "end":
        for (const peer of current?.team.peers ?? []) peer?.close()
        current = undefined
        return
      case "level":
        return answer(current!.search.expandLevel(command.depth, command.record))
      case "table":
        return answer(current!.search.retry(SharedTable.open(command.memory), command.depth))
      case "take":
        current!.search.take(command.batch, current!.team.links[command.from])
        return answer({ kind: "taken" })
      case "move":
        return answer({ kind: "moved", left: SharedTable.open(command.from).moveSlots(SharedTable.open(command.to), command.part, command.parts) })
    }
  })
}

/**
 * Worker threads that have loaded the checker and wait for a search: a process that checks
 * several models (tests, benchmarks, a tool) starts its workers once, and they keep their compiled
 * code. They are unreferenced, so they do not keep the process alive.
 */
const idleWorkers: Array<Worker> = []

/**
 * How many worker threads wait for a search: they are kept from one search to the next.
 *
 * @example
 * waitingWorkers() >= 0 // => true
 */
export const waitingWorkers = (): number => idleWorkers.length

const takeWorker = (): Worker => {
  const pooled = idleWorkers.pop()
  if (pooled !== undefined) return pooled
  const worker = WorkerThread.start(import.meta.url, "serve", undefined)
  worker.unref()
  // A worker that fails while idle leaves the pool (a failure during a search fails the search,
  // through its `Helper`).
  worker.on("error", () => undefined)
  worker.on("exit", () => {
    const at = idleWorkers.indexOf(worker)
    if (at >= 0) idleWorkers.splice(at, 1)
  })
  return worker
}

/** A worker thread in one search, and its one outstanding request. */
class Helper {
  private waiting: { resolve: (r: Reply) => void; reject: (e: unknown) => void } | undefined
  /** Whether the worker has answered the search's `ready`. */
  ready = false
  private readonly onMessage = (r: Reply) => {
    if (r.kind === "ready") this.ready = true
    const w = this.waiting
    this.waiting = undefined
    w?.resolve(r)
  }
  private readonly onError = (e: unknown) => {
    const w = this.waiting
    this.waiting = undefined
    w?.reject(e)
  }

  constructor(readonly worker: Worker) {
    worker.on("message", this.onMessage)
    worker.on("error", this.onError)
  }

  /** Ends the worker's part in the search, after its last reply, and gives it back to the pool. */
  release(): void {
    this.worker.off("message", this.onMessage)
    this.worker.off("error", this.onError)
    this.worker.postMessage({ kind: "end" } satisfies Command)
    idleWorkers.push(this.worker)
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
 * Checks a model breadth-first on `workers` threads: this one and `workers − 1` worker threads. The
 * verdicts and counts are those of `Checker.check` with strategy `bfs` (counterexamples are
 * shortest); traces are rebuilt on the calling thread.
 *
 * @example
 * import * as Checker from "./Checker.ts"
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * const sizes = { members: 4 }
 * const source = { specifier: TokenRing.manifest.module, exportName: "model", args: [sizes] }
 * const report = await checkParallel(TokenRing.model(sizes), source, { workers: 2 })
 * report.states === Checker.check(TokenRing.model(sizes)).states // => true
 */
export const checkParallel = async (
  model: Model,
  source: ModelSource,
  options: Omit<CheckOptions, "strategy"> & {
    /** The threads that search, this one included. */
    readonly workers: number
    /** The shared table's first number of slots (a power of two, default 2¹⁶); it doubles as it fills. */
    readonly initialSlots?: number
    /**
     * This thread searches the levels before this depth alone, then waits for the worker threads
     * and gives them their shares of its frontier (0: they share every level). By default it shares
     * from the first level at which every worker thread is ready.
     */
    readonly searchAloneUntil?: number
  }
): Promise<CheckReport> => {
  const started = performance.now()
  const maxStates = options.maxStates ?? model.maxStates ?? Number.POSITIVE_INFINITY
  const maxDepth = options.maxDepth ?? model.maxDepth ?? Number.POSITIVE_INFINITY
  const symmetry = (options.symmetry ?? true) && (model.symmetric ?? []).length > 0
  const threads = Math.max(1, options.workers)
  // One bit per thread in the HUNGRY word.
  if (threads > 31) throw new RangeError(`checkParallel: at most 31 threads (asked for ${threads})`)
  const space = new CollapsedSpace(model, symmetry)
  const judge = new Judge(model)
  const control = new Int32Array(new SharedArrayBuffer(4 * (WAKE + threads)))
  let table = SharedTable.create(options.initialSlots ?? 1 << 16)
  let transitions = 0
  let deepest = 0
  let deadlocks = 0
  let firstDeadlock = -1
  let incomplete: Incomplete | undefined
  let peakBytes = 0
  let sharedFrom = -1
  let stolen = 0
  let stolenStates = 0
  let level = 0
  /** The frontier's size per searching thread: this one alone, until the workers join. */
  let sizes = [0]

  const every = options.progressEvery ?? 1000
  let lastProgress = started
  /** Reports progress when it is due, and stops every thread when the search is interrupted. */
  const tick = (): void => {
    if (options.interrupted?.() === true) Atomics.store(control, STOP, 1)
    const now = performance.now()
    if (options.onProgress === undefined || now - lastProgress < every) return
    lastProgress = now
    const total = sizes.reduce((a, b) => a + b, 0)
    options.onProgress({
      states: table.size,
      transitions,
      depth: level,
      queue: Math.max(0, total - Atomics.load(control, EXPANDED)),
      elapsedMs: now - started,
      memoryBytes: process.memoryUsage().rss
    })
  }

  const start = space.start()
  table.add(start.hi, start.lo, -1, 0)
  table.publish()
  judge.judge(0, space.view(start.vector))
  const local = new LevelSearch(model, space, judge, table, control, maxStates, undefined, tick)
  local.frontier.pushWords(0, start.vector, start.vector.length)
  sizes = [local.frontier.length]

  // A channel between every two searching threads, for the states one gives another that ran out.
  const peers = Array.from({ length: threads }, () => new Array<MessagePort | undefined>(threads).fill(undefined))
  for (let i = 0; i < threads; i++) {
    for (let j = i + 1; j < threads; j++) {
      const { port1, port2 } = new MessageChannel()
      peers[i]![j] = port1
      peers[j]![i] = port2
    }
  }
  const team: Team = { index: 0, peers: peers[0]!, links: peers[0]!.map(() => new VectorLink()) }
  // The workers take a second or so to start (each loads the model's modules). Meanwhile this
  // thread searches alone, on the same table; a small model is done before they are ready.
  const helpers = peers.slice(1).map((ports, w) => {
    const input: WorkerInput = { source, symmetry, memory: table.memory, control: control.buffer as SharedArrayBuffer, maxStates, index: w + 1, peers: ports }
    const helper = new Helper(takeWorker())
    helper.worker.postMessage({ kind: "search", input } satisfies Command, ports.filter((p) => p !== undefined))
    return helper
  })
  let shared = helpers.length === 0
  let ready = 0
  /** A worker that failed to start: its error ends the search (it is not done on fewer threads instead). */
  let failed: { readonly error: unknown } | undefined
  const allReady = Promise.all(helpers.map((h) => h.next().then(() => void ready++)))
  allReady.catch((error: unknown) => void (failed ??= { error }))
  const timer = setInterval(tick, every)
  /** Whether the search ended with every worker waiting for a command (not in a level, not failed). */
  let quiet = false
  try {
    // Checked while the workers start.
    assertForgettable(model, Successors.make(model))
    /** Takes in the threads' replies to a level (or a retry) and returns whether any stopped early. */
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
        stolen += reply.stolen
        stolenStates += reply.stolenStates
        bytes += reply.frontierBytes
        return reply.frontier
      })
      peakBytes = Math.max(peakBytes, bytes)
      return stopped
    }
    /**
     * A level, or a retry of the successors that found the table full once it has grown: the
     * workers are asked first, then this thread does its share while they do theirs.
     */
    const ask = async (kind: "level" | "table", depth: number): Promise<ReadonlyArray<Reply>> => {
      const record = depth < maxDepth
      const theirs = !shared ? [] : helpers.map((h) => h.ask(kind === "level" ? { kind, depth, record } : { kind, memory: table.memory, depth }))
      const mine = kind === "level" ? local.expandLevel(depth, record) : local.retry(table, depth)
      return [mine, ...(await Promise.all(theirs))]
    }
    /** Doubles the table: on this thread alone until the workers share the search, then every thread moves a part of it. */
    const grow = async (): Promise<void> => {
      if (!shared) {
        table = table.grown()
        return
      }
      const next = table.emptyGrown()
      const parts = helpers.length + 1
      const theirs = helpers.map((h, w) => h.ask({ kind: "move", from: table.memory, to: next.memory, part: w + 1, parts }))
      const mine = table.moveSlots(next, 0, parts)
      for (const reply of [...(await Promise.all(theirs)), { kind: "moved", left: mine } as const]) {
        if (reply.kind === "moved") next.place(reply.left)
      }
      table = next
    }
    const stopAtFirstViolation = options.stopAtFirstViolation ?? false
    for (let depth = 0; sizes.some((n) => n > 0); depth++) {
      level = depth
      if (!shared) {
        // Lets the workers' "ready" messages in between levels.
        await new Promise((resolve) => setImmediate(resolve))
        if (failed !== undefined) throw failed.error
        const until = options.searchAloneUntil
        if (until === undefined ? ready === helpers.length : depth >= until) {
          await allReady
          shared = true
          sharedFrom = depth
          local.team = team
          sizes = await handOver(local, team, helpers, table, depth)
        }
      }
      // The search has what it is after: it stops at the end of the level, as the sequential one does.
      const stop = searchStop(judge, deadlocks, stopAtFirstViolation)
      if (stop !== undefined) {
        incomplete = stop
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
      Atomics.store(control, IDLE, 0)
      Atomics.store(control, HUNGRY, 0)
      let replies = await ask("level", depth)
      let stopped = absorb(replies, depth)
      // Successors that found the table full are added once it has grown.
      while (!stopped && replies.some((r) => (r as LevelReply).pending > 0)) {
        await grow()
        replies = await ask("table", depth)
        stopped = absorb(replies, depth)
      }
      if (stopped) {
        incomplete = Atomics.load(control, STOP) !== 0 ? "interrupted" : "max-states"
        break
      }
      // At the depth bound, states with steps left are where the search is cut.
      if (depth >= maxDepth && replies.some((r) => (r as LevelReply).transitions > 0)) incomplete ??= "max-depth"
      // Levels grow slowly in the middle of a search: a table that would not hold another level as
      // large as this one grows now, so that few successors have to wait for it.
      const found = replies.reduce((sum, r) => sum + (r as LevelReply).found, 0)
      if (!table.fits(found)) {
        while (!table.fits(found)) await grow()
        absorb(await ask("table", depth), depth)
      }
    }
    if (failed !== undefined) throw failed.error
    // Every worker has answered every request it was sent: those that are ready are between
    // searches, and can serve the next.
    quiet = true
  } finally {
    clearInterval(timer)
    for (const port of team.peers) port?.close()
    // A worker still loading the model (the search ended first) would answer `ready` to the next
    // search too late: it is stopped, like every worker of a search that failed.
    const kept = quiet ? helpers.filter((h) => h.ready) : []
    for (const h of kept) h.release()
    await Promise.all(helpers.filter((h) => !kept.includes(h)).map((h) => h.worker.terminate()))
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
    symmetry,
    threads: { threads, sharedFrom, stolen, stolenStates }
  })
}

/**
 * Gives each worker its share of this thread's frontier (an equal share for every searching thread),
 * after giving them the table as it is now (it may have grown since they opened it); returns the
 * shares, this thread's first.
 */
const handOver = async (local: LevelSearch, team: Team, helpers: ReadonlyArray<Helper>, table: SharedTable, depth: number): Promise<Array<number>> => {
  await Promise.all(helpers.map((h) => h.ask({ kind: "table", memory: table.memory, depth })))
  const threads = helpers.length + 1
  const total = local.frontier.length
  const counts = Array.from({ length: threads }, (_, i) => Math.floor(total / threads) + (i < total % threads ? 1 : 0))
  const batches = helpers.map((_, w) => local.give(counts[w + 1]!, team.links[w + 1]))
  await Promise.all(helpers.map((h, w) => h.ask({ kind: "take", batch: batches[w]!, from: 0 }, [batches[w]!.buffer as ArrayBuffer])))
  return counts
}
