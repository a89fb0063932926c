/**
 * A node's claim on its data directory, taken before its journal is opened and held until it
 * stops: one node process per node id and directory, and no silent fresh start over lost state.
 *
 * - **Lock** (`<node>.lock`): created exclusively, holding the holder's pid, host, start time and
 *   a random token. A second start finds it and refuses, naming the holder, before touching
 *   anything. A lock whose process is gone (no such pid on this host, or the pid now belongs to a
 *   process started later) is stale: it is taken over, and the take-over is said.
 * - **Marker** (`<node>.started`): written once the node's first start is durable in its journal,
 *   with the node's instance. A directory with the marker and a journal that is missing, empty or
 *   holds no intact record, or holds another instance's journal, has lost what the node did: the
 *   node refuses to start (a brand-new node would be a new instance that its peers' messages and
 *   decisions no longer reach), unless reset.
 * - **Reset**: sets the journal aside (renamed, never deleted) and forgets the marker, saying what
 *   it discards; the node then starts as a new instance.
 *
 * @since 0.2.0
 */
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { decodeRecords, fileOf, type JournalRecord } from "./Journal.ts"
import { checkOwner } from "./JournalRecovery.ts"

/**
 * The lock file of a node in a data folder.
 *
 * @example
 * lockOf("data", "p1") // => "data/p1.lock"
 */
export const lockOf = (dataDir: string, node: string): string => path.join(dataDir, `${node}.lock`)

/**
 * The marker file saying that a node has started in a data folder.
 *
 * @example
 * markerOf("data", "p1") // => "data/p1.started"
 */
export const markerOf = (dataDir: string, node: string): string => path.join(dataDir, `${node}.started`)

/** Who holds a lock. */
interface Holder {
  readonly pid: number
  readonly host: string
  /** The process's start time in clock ticks since boot (Linux), to tell a reused pid. */
  readonly started: string | null
  readonly since: string
  readonly token: string
}

/** What the marker records. */
interface Marker {
  readonly node: string
  readonly instance: string
  readonly since: string
}

/**
 * A node's data directory that cannot be used, and why.
 *
 * @example
 * new DataDirectoryError("d is in use").name // => "DataDirectoryError"
 */
export class DataDirectoryError extends Error {
  override readonly name = "DataDirectoryError"
}

/** The start time of process `pid` (field 22 of `/proc/<pid>/stat`), or null where that cannot be read. */
const startTimeOf = (pid: number): string | null => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    // The command name (field 2) may hold spaces and parentheses: count from the last ")".
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null
  } catch {
    return null
  }
}

/** Why the holder of a lock no longer runs, or undefined if it may. */
const staleBecause = (holder: Holder): string | undefined => {
  if (holder.pid === 0) return "the lock is empty, as a machine crash leaves it"
  if (holder.host !== os.hostname()) return undefined
  try {
    process.kill(holder.pid, 0)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ESRCH") return `process ${holder.pid} no longer runs`
    return undefined
  }
  const started = startTimeOf(holder.pid)
  if (holder.started !== null && started !== null && started !== holder.started) return `pid ${holder.pid} now belongs to another process`
  return undefined
}

const readJson = <A>(file: string): A | undefined => {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as A
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined
    throw new DataDirectoryError(`${file} cannot be read (${(e as Error).message}); remove it if no node runs on this directory`)
  }
}

const readHolder = (file: string): Holder | undefined => {
  // An empty lock can be left only by a machine crash on a file system that did not keep the
  // holder written before the lock's name: it names no process, and is stale.
  if (fs.existsSync(file) && fs.statSync(file).size === 0) return { pid: 0, host: os.hostname(), started: null, since: "an unknown time", token: "" }
  const holder = readJson<Holder>(file)
  if (holder !== undefined && (typeof holder.pid !== "number" || typeof holder.token !== "string")) {
    throw new DataDirectoryError(`${file} names no holder (${JSON.stringify(holder)}); remove it if no node runs on this directory`)
  }
  return holder
}

/** Locks this process holds, released if it exits without stopping its nodes. */
const held = new Set<Claim>()
let exitHook = false

/**
 * Releases every lock this process holds: for a process about to end without stopping its nodes
 * (on a signal). Also done on `process.exit`.
 *
 * @example
 * import * as fs from "node:fs"
 * import * as os from "node:os"
 * import * as path from "node:path"
 * const dir = fs.mkdtempSync(path.join(os.tmpdir(), "held-"))
 * claimDirectory(dir, "c", { notify: () => undefined })
 * releaseHeld()
 * fs.existsSync(lockOf(dir, "c")) // => false
 */
export const releaseHeld = (): void => {
  for (const claim of [...held]) claim.release()
}

/** How a claim is made. */
export interface ClaimOptions {
  /** Set the journal aside and forget the marker: the node starts afresh, as a new instance. */
  readonly reset?: boolean
  /** Told what an operator must know: a stale lock taken over, what a reset discards. */
  readonly notify: (line: string) => void
}

/**
 * A data directory claimed by a node: locked until `release`.
 *
 * @example
 * import * as fs from "node:fs"
 * import * as os from "node:os"
 * import * as path from "node:path"
 * const dir = fs.mkdtempSync(path.join(os.tmpdir(), "claim-"))
 * const claim = claimDirectory(dir, "c", { notify: () => undefined })
 * claim.accept([]) // => undefined
 * claim.started("ab12")
 * const refusal = (f: () => void) => { try { f() } catch (e) { return (e as Error).message } }
 * refusal(() => claim.accept([]))?.includes(`its journal ${claim.journal} is missing`) // => true
 * claim.release()
 */
export class Claim {
  /** The node's journal file in the directory. */
  readonly journal: string
  private released = false

  constructor(
    readonly dataDir: string,
    readonly node: string,
    private readonly token: string
  ) {
    this.journal = fileOf(dataDir, node)
  }

  /**
   * Checks the records of the node's journal before anything changes the file (`Journal.open`'s
   * `accept`): they must be this node's, and be there if the directory's marker says the node has
   * run, as the same instance.
   */
  readonly accept = (records: ReadonlyArray<JournalRecord>): void => {
    checkOwner(records, this.journal, this.node)
    const markerFile = markerOf(this.dataDir, this.node)
    const marker = readJson<Marker>(markerFile)
    if (marker === undefined) return
    const init = records[0]
    const ran = `${markerFile} says that ${this.node} has run here since ${marker.since} as instance ${marker.instance}`
    const reset = "start it with --reset to discard what remains and begin as a new node"
    if (init === undefined) {
      const size = fs.existsSync(this.journal) ? fs.statSync(this.journal).size : undefined
      const state = size === undefined ? "is missing" : size === 0 ? "is empty" : `holds no intact record (${size} bytes)`
      throw new DataDirectoryError(`${ran}, but its journal ${this.journal} ${state}: it would start as a brand-new node, with what it did lost; ${reset}`)
    }
    if (init.r === "init" && init.instance !== marker.instance) {
      throw new DataDirectoryError(`${ran}, but its journal ${this.journal} is of instance ${init.instance} (another journal of ${this.node}); ${reset}`)
    }
  }

  /** Records, once the node's start is durable in its journal, that it has run here as `instance`. */
  started(instance: string): void {
    const markerFile = markerOf(this.dataDir, this.node)
    if (readJson<Marker>(markerFile)?.instance === instance) return
    const marker: Marker = { node: this.node, instance, since: new Date().toISOString() }
    const temporary = `${markerFile}.${this.token}`
    const fd = fs.openSync(temporary, "wx")
    try {
      fs.writeSync(fd, `${JSON.stringify(marker)}\n`)
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    fs.renameSync(temporary, markerFile)
    syncDirectory(this.dataDir)
  }

  /** Removes the lock if it is still this claim's. */
  release(): void {
    if (this.released) return
    this.released = true
    held.delete(this)
    const lock = lockOf(this.dataDir, this.node)
    try {
      if (readHolder(lock)?.token === this.token) fs.unlinkSync(lock)
    } catch {
      // A lock someone else replaced or damaged is not ours to remove.
    }
  }
}

const syncDirectory = (dir: string): void => {
  const fd = fs.openSync(dir, "r")
  try {
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
}

/** Takes the lock of `node` in `dataDir`, taking over a stale one, or throws naming its holder. */
const lock = (dataDir: string, node: string, token: string, notify: (line: string) => void): void => {
  const file = lockOf(dataDir, node)
  const mine: Holder = { pid: process.pid, host: os.hostname(), started: startTimeOf(process.pid), since: new Date().toISOString(), token }
  // The lock is created whole: written under a name of its own (O_EXCL), then linked to the lock's
  // name, which fails if that exists just as O_EXCL does; so no one ever finds a lock without its holder.
  const temporary = `${file}.${token}`
  const fd = fs.openSync(temporary, "wx")
  try {
    fs.writeSync(fd, `${JSON.stringify(mine)}\n`)
    // On disk before its name is: a machine crash leaves no lock without its holder either.
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  try {
    for (let attempt = 0; attempt < 10; attempt++) {
      try {
        fs.linkSync(temporary, file)
        return
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e
      }
      const holder = readHolder(file)
      if (holder === undefined) continue
      const stale = staleBecause(holder)
      if (stale === undefined) {
        const where = holder.host === os.hostname() ? `process ${holder.pid}` : `process ${holder.pid} on host ${holder.host}`
        throw new DataDirectoryError(`${dataDir} is in use by ${node}'s ${where} (lock ${file}, taken ${holder.since}); a second node on it would corrupt its journal`)
      }
      // Moved aside first, so that of two starts taking over the same stale lock only one removes it.
      const aside = `${file}.stale.${token}`
      try {
        fs.renameSync(file, aside)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") continue
        throw e
      }
      if (readHolder(aside)?.token !== holder.token) {
        // Another start took the stale lock meanwhile: what was moved is its live lock; put it back.
        try {
          fs.linkSync(aside, file)
        } finally {
          fs.unlinkSync(aside)
        }
        continue
      }
      fs.unlinkSync(aside)
      notify(holder.pid === 0 ? `took over the stale lock ${file}: ${stale}` : `took over the stale lock ${file} of process ${holder.pid} (taken ${holder.since}): ${stale}`)
    }
    throw new DataDirectoryError(`cannot take the lock ${file}: other starts keep taking it`)
  } finally {
    fs.unlinkSync(temporary)
  }
}

/** What a reset discards: the journal (set aside) and the marker (removed), said through `notify`. */
const reset = (dataDir: string, node: string, notify: (line: string) => void): void => {
  const journal = fileOf(dataDir, node)
  const discarded: Array<string> = []
  if (fs.existsSync(journal)) {
    const bytes = fs.readFileSync(journal)
    let content: string
    try {
      const records = decodeRecords(bytes, journal).records
      const incarnations = records.filter((r) => r.r === "start").length
      content = `${records.length} records over ${incarnations} start${incarnations === 1 ? "" : "s"}, ${bytes.length} bytes`
    } catch (e) {
      content = `${bytes.length} bytes, damaged: ${(e as Error).message}`
    }
    const aside = `${journal}.reset-${new Date().toISOString().replace(/[:.]/g, "-")}`
    fs.renameSync(journal, aside)
    discarded.push(`its journal ${journal} (${content}), set aside as ${aside}`)
  }
  const markerFile = markerOf(dataDir, node)
  const marker = readJson<Marker>(markerFile)
  if (marker !== undefined) {
    fs.unlinkSync(markerFile)
    discarded.push(`the record that it ran here since ${marker.since} as instance ${marker.instance} (${markerFile})`)
  }
  notify(
    discarded.length === 0
      ? `reset: nothing to discard in ${dataDir}; ${node} starts as a new node`
      : `reset discards ${discarded.join(" and ")}; ${node} starts as a new node (a new instance): what it did before is lost`
  )
}

/**
 * Claims `dataDir` for `node` (creating it): takes its lock, then, if asked, resets the node. The
 * caller opens the journal (`claim.journal`, with `claim.accept`), calls `started` once its start
 * is durable, and `release` when it stops.
 *
 * @example
 * import * as fs from "node:fs"
 * import * as os from "node:os"
 * import * as path from "node:path"
 * const dir = fs.mkdtempSync(path.join(os.tmpdir(), "claim-"))
 * const claim = claimDirectory(dir, "c", { notify: () => undefined })
 * const refusal = (f: () => void) => { try { f() } catch (e) { return (e as Error).message } }
 * refusal(() => claimDirectory(dir, "c", { notify: () => undefined }))?.includes(`in use by c's process ${process.pid}`) // => true
 * claim.release()
 * claimDirectory(dir, "c", { notify: () => undefined }).release()
 */
export const claimDirectory = (dataDir: string, node: string, options: ClaimOptions): Claim => {
  fs.mkdirSync(dataDir, { recursive: true })
  const token = randomBytes(8).toString("hex")
  lock(dataDir, node, token, options.notify)
  const claim = new Claim(dataDir, node, token)
  held.add(claim)
  if (!exitHook) {
    exitHook = true
    process.on("exit", releaseHeld)
  }
  try {
    if (options.reset === true) reset(dataDir, node, options.notify)
  } catch (e) {
    claim.release()
    throw e
  }
  return claim
}
