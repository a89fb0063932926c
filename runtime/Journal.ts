/**
 * The write-ahead log of one node: every change to its local state, every message it sends (until
 * the receiver acknowledges it) and every message it receives (until its program consumes it),
 * appended as JSON records. Records appended during one turn of the event loop reach the file in
 * one write, at the end of that turn (a microtask), as one checksummed, length-prefixed group (the
 * records' JSON texts, one per line); `sync` makes everything appended so far durable
 * (fdatasync), and concurrent callers share one sync (group commit), so a burst of messages costs
 * one write, one checksum and one disk flush.
 *
 * The file is kept ahead of its records with zeros, 64 KiB at a time: a record then overwrites
 * space the file already has, so that its flush writes data only, without the file-size update an
 * append makes the file system commit to its own journal (measured on ext4: a quarter less time
 * and CPU per flush). The flush after an extension also writes its zeros, which is why the step is
 * small: with a megabyte, those flushes took 3.5–8.5 ms and set the round trip's p99 (5.7–6.9 ms
 * in `npm run bench:runtime`'s ping-pong, W = 32, against 3.4–3.9 ms with 64 KiB, at the same
 * rate; 16 KiB made every flush slower). A zero length ends the records; a clean close cuts the
 * zeros off.
 *
 * Reopening a journal returns its records; a torn last group (the process died inside a write)
 * fails its length or checksum and is cut off whole, since nothing that depended on it can have
 * left the node: a message leaves only after the sync that covers it, and a sync covers only
 * groups written in full.
 *
 * A write or flush that fails stops the journal for good: every later append throws and every
 * sync fails, and `whenFailed` tells its owner, which must stop rather than wait for a sync that
 * will never come.
 *
 * Its `write` and `flush` (options, `fs.writeSync` and `fdatasync` by default) are where faults
 * are injected: tests hold a flush back, fail a write, or keep the file's durable image (what the
 * completed flushes covered) and put it back to simulate a power cut. `rewrite` and `close` use
 * the file system directly.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { crc32 } from "node:zlib"
import * as JournalRecovery from "./JournalRecovery.ts"

/** A message from another node, numbered by its sender's incarnation (`instance`) and `seq`. */
interface Arrival {
  readonly time: number
  readonly from: string
  readonly instance: string
  readonly seq: number
  readonly tag: string
  readonly payload: unknown
}

/** The local state a step left, and the transition that took it. */
interface Step {
  readonly local: unknown
  readonly transition: string
}

/** A journal record. Local states and payloads are in their Schemas' JSON form. */
export type JournalRecord =
  | { readonly r: "init"; readonly node: string; readonly role: string; readonly instance: string }
  | {
      readonly r: "snapshot"
      readonly incarnation: number
      readonly local: unknown
      readonly nextSeq: { readonly [to: string]: number }
      readonly delivered: { readonly [from: string]: { readonly instance: string; readonly upTo: number } }
      readonly arrivals: number
    }
  | { readonly r: "start"; readonly incarnation: number; readonly time: number; readonly local: unknown }
  | {
      readonly r: "send"
      readonly time: number
      readonly to: string
      readonly seq: number
      readonly tag: string
      readonly payload: unknown
      readonly local: unknown
      readonly transition: string
    }
  | ({ readonly r: "in" } & Arrival)
  | ({ readonly r: "recv" } & Omit<Arrival, "tag" | "payload"> & Step)
  /**
   * A message the program took as it arrived: an `in` and its `recv` in one record, one fewer to
   * encode and write for every message a waiting program receives.
   */
  | ({ readonly r: "inrecv" } & Arrival & Step)
  | { readonly r: "acked"; readonly to: string; readonly upTo: number }
  /** A receive with a time limit ended without a message, or a sleep ended; `ms` is the wait asked for. */
  | { readonly r: "timeout" | "wake"; readonly time: number; readonly ms: number }
  | { readonly r: "exit"; readonly time: number; readonly outcome: "done" | "failed"; readonly detail: unknown }
  | {
      readonly r: "violation"
      readonly time: number
      readonly tag: string
      readonly to: string
      readonly payload: unknown
      readonly local: unknown
      readonly transition: string | null
      readonly reason: string
    }

const header = 8

/** How far the file is extended with zeros when its records reach its end. */
const preallocation = 1 << 16
const zeros = Buffer.alloc(preallocation)

/**
 * The bytes of a group of records: length, CRC-32 of the body, and the body, the records' JSON
 * texts one per line (JSON text has no raw line breaks).
 *
 * @example
 * const bytes = encodeRecords([{ r: "acked", to: "c", upTo: 2 }, { r: "wake", time: 5, ms: 1 }])
 * decodeRecords(bytes).records // => [{ r: "acked", to: "c", upTo: 2 }, { r: "wake", time: 5, ms: 1 }]
 */
export const encodeRecords = (records: ReadonlyArray<JournalRecord>): Uint8Array => {
  const body = Buffer.from(records.map((r) => JSON.stringify(r)).join("\n"))
  const out = Buffer.allocUnsafe(header + body.length)
  out.writeUInt32BE(body.length, 0)
  out.writeUInt32BE(crc32(body), 4)
  body.copy(out, header)
  return out
}

/**
 * The JSON text of a `send` record (exactly what `JSON.stringify` makes of it), from its payload
 * and local state already in JSON text: a node sends a payload's JSON text on the wire too, and
 * builds both from one `JSON.stringify` of the payload.
 *
 * @example
 * const text = sendText(5, "b", 1, "ping", '{"n":0}', '{"sent":1}', "sendPing")
 * text === JSON.stringify({ r: "send", time: 5, to: "b", seq: 1, tag: "ping", payload: { n: 0 }, local: { sent: 1 }, transition: "sendPing" }) // => true
 */
export const sendText = (time: number, to: string, seq: number, tag: string, payloadText: string, localText: string, transition: string): string =>
  `{"r":"send","time":${time},"to":${JSON.stringify(to)},"seq":${seq},"tag":${JSON.stringify(tag)},"payload":${payloadText},"local":${localText},"transition":${JSON.stringify(transition)}}`

/**
 * The JSON text of an `inrecv` record (exactly what `JSON.stringify` makes of it), from its payload
 * and local state already in JSON text.
 *
 * @example
 * const text = inrecvText(5, "a", "f00d", 1, "ping", '{"n":0}', '{"received":1}', "receivePing")
 * text === JSON.stringify({ r: "inrecv", time: 5, from: "a", instance: "f00d", seq: 1, tag: "ping", payload: { n: 0 }, local: { received: 1 }, transition: "receivePing" }) // => true
 */
export const inrecvText = (
  time: number,
  from: string,
  instance: string,
  seq: number,
  tag: string,
  payloadText: string,
  localText: string,
  transition: string
): string =>
  `{"r":"inrecv","time":${time},"from":${JSON.stringify(from)},"instance":${JSON.stringify(instance)},"seq":${seq},"tag":${JSON.stringify(tag)},"payload":${payloadText},"local":${localText},"transition":${JSON.stringify(transition)}}`

/**
 * The records in a journal's bytes, and the length of the intact prefix (a torn last group is not
 * part of it, and none of its records is returned). Damage other than a torn tail
 * (`JournalRecovery.ts`) throws a `RefusedJournal` naming `file`, the offset and what is there.
 *
 * @example
 * const bytes = encodeRecords([{ r: "wake", time: 5, ms: 1 }])
 * decodeRecords(bytes.subarray(0, bytes.length - 1)) // => { records: [], intact: 0 }
 * const refusal = (f: () => void) => { try { f() } catch (e) { return (e as Error).message } }
 * refusal(() => decodeRecords(Buffer.from("not a journal"), "x.journal"))?.startsWith("x.journal, byte 0: ") // => true
 */
export const decodeRecords = (bytes: Uint8Array, file = "the journal"): { readonly records: Array<JournalRecord>; readonly intact: number } => {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const records: Array<JournalRecord> = []
  let offset = 0
  while (buffer.length - offset >= header) {
    const length = buffer.readUInt32BE(offset)
    // The zeros the file is kept ahead with: no group is empty.
    if (length === 0) break
    if (buffer.length - offset - header < length) break
    const body = buffer.subarray(offset + header, offset + header + length)
    if (crc32(body) !== buffer.readUInt32BE(offset + 4)) break
    let group: Array<JournalRecord>
    try {
      group = body.toString("utf8").split("\n").map((line) => JSON.parse(line) as JournalRecord)
    } catch (e) {
      throw JournalRecovery.unreadableGroup(file, offset, e)
    }
    for (const record of group) records.push(record)
    offset += header + length
  }
  JournalRecovery.checkTail(buffer, offset, file)
  return { records, intact: offset }
}

/**
 * The journal file of a node in a data folder.
 *
 * @example
 * fileOf("data", "p1") // => "data/p1.journal"
 */
export const fileOf = (dataDir: string, node: string): string => path.join(dataDir, `${node}.journal`)

/** Reads a journal file's records without opening it for writing (for traces); a damaged one throws a `RefusedJournal`. */
export const read = (file: string): ReadonlyArray<JournalRecord> => decodeRecords(fs.readFileSync(file), file).records

/** How a journal flushes its file to disk: calls `done` once it has, or with the error. */
export type Flush = (fd: number, done: (error: Error | null) => void) => void

/**
 * How a journal writes bytes into its file: `fs.writeSync`'s contract (`length` bytes of `buffer`
 * from `offset`, at `position` of the file; throws on failure). The buffer is reused after the
 * call returns, so whoever keeps its bytes must copy them.
 */
export type Write = (fd: number, buffer: Uint8Array, offset: number, length: number, position: number) => number

const writeSync: Write = (fd, buffer, offset, length, position) => fs.writeSync(fd, buffer, offset, length, position)

/** How a journal is opened. */
export interface JournalOptions {
  /** Whether `sync` flushes to disk (default true); off only for measurements that say so. */
  readonly durable?: boolean
  /**
   * Called with the records found before the file is changed in any way (its torn tail cut off,
   * a record appended): throwing refuses the journal and leaves the file as it is.
   */
  readonly accept?: (records: ReadonlyArray<JournalRecord>) => void
  /**
   * How the file is flushed (default: `fdatasync` on the calling thread). Tests put one here that
   * holds a flush back or fails it.
   */
  readonly flush?: Flush
  /**
   * How records (and the zeros the file is kept ahead with) are written into the file (default:
   * `fs.writeSync`). With `flush`, the seam for fault injection: tests put one here that fails a
   * write, or that keeps the file's durable image (what the last completed flush covered) to put
   * back on a simulated power cut.
   */
  readonly write?: Write
  /**
   * Told after every flush that made records durable: how long it took and how many records it
   * covered (for a node's statistics: what durability costs on this disk).
   */
  readonly onFlushed?: (ms: number, records: number) => void
}

/** An open journal, appending to its file. */
export class Journal {
  /** The JSON texts of records not yet written to the file. */
  private pending: Array<string> = []
  /** Where records are encoded before their write, kept from one write to the next. */
  private buffer = Buffer.allocUnsafe(1 << 16)
  private writeScheduled = false
  /** Called once the records appended before them are in the file. */
  private afterWrite: Array<() => void> = []
  private appended = 0
  private written = 0
  private durableCount = 0
  private syncing = false
  private waiters: Array<{ readonly target: number; readonly resume: (error: Error | undefined) => void }> = []
  private failure: Error | undefined
  private failureListeners: Array<(error: Error) => void> = []
  private closed = false
  /** The file's size, zeros past `end` included. */
  private allocated: number

  private constructor(
    readonly file: string,
    private fd: number,
    /** Where the records end in the file: the next group is written there. */
    private end: number,
    /** Whether `sync` flushes to disk; off only for measurements that say so. */
    readonly durable: boolean,
    private readonly flushFile: Flush | undefined,
    private readonly onFlushed: ((ms: number, records: number) => void) | undefined,
    private readonly writeFile: Write = writeSync
  ) {
    this.allocated = end
  }

  /**
   * Opens (creating) the journal at `file`, cutting off a torn tail (and the zeros after its
   * records), and returns it with the records it holds; other damage throws a `RefusedJournal`
   * (`JournalRecovery.ts`), leaving the file as it is.
   */
  static open(file: string, options: JournalOptions = {}): { readonly journal: Journal; readonly records: ReadonlyArray<JournalRecord> } {
    fs.mkdirSync(path.dirname(file), { recursive: true })
    const existing = fs.existsSync(file) ? fs.readFileSync(file) : Buffer.alloc(0)
    const { records, intact } = decodeRecords(existing, file)
    options.accept?.(records)
    if (intact < existing.length) fs.truncateSync(file, intact)
    const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT)
    return { journal: new Journal(file, fd, intact, options.durable ?? true, options.flush, options.onFlushed, options.write), records }
  }

  /**
   * Replaces the journal's contents with `records` atomically (write a new file, flush it, rename
   * it over the old one), so that a crash leaves either the old journal or the new one.
   */
  rewrite(records: ReadonlyArray<JournalRecord>): void {
    const temporary = `${this.file}.rewrite`
    const fd = fs.openSync(temporary, "w")
    const bytes = encodeRecords(records)
    try {
      fs.writeSync(fd, bytes)
      fs.fdatasyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
    fs.renameSync(temporary, this.file)
    const dir = fs.openSync(path.dirname(this.file), "r")
    try {
      fs.fsyncSync(dir)
    } finally {
      fs.closeSync(dir)
    }
    fs.closeSync(this.fd)
    this.fd = fs.openSync(this.file, fs.constants.O_RDWR)
    this.end = this.allocated = bytes.length
  }

  /**
   * Appends a record. It reaches the file (the page cache) at the end of the current turn of the
   * event loop, together with every other record appended in it, and is durable only after the
   * next `sync`.
   */
  append(record: JournalRecord): void {
    this.appendText(JSON.stringify(record))
  }

  /**
   * Appends a record given as its JSON text, which must be `JSON.stringify` of a `JournalRecord`
   * (`sendText` makes one), like `append` in every other way.
   */
  appendText(text: string): void {
    if (this.failure !== undefined) throw this.failure
    this.pending.push(text)
    this.appended++
    this.scheduleWrite()
  }

  /** The error that stopped the journal, if a write or flush failed: it refuses every append since. */
  get failed(): Error | undefined {
    return this.failure
  }

  /**
   * Calls `f` with the error once a write or flush fails (at once if one has): from then on the
   * journal refuses appends and fails every sync, so whoever depends on it must stop.
   */
  whenFailed(f: (error: Error) => void): void {
    if (this.failure !== undefined) return f(this.failure)
    this.failureListeners.push(f)
  }

  private fail(error: Error): void {
    if (this.failure !== undefined) return
    this.failure = error
    const listeners = this.failureListeners
    this.failureListeners = []
    for (const f of listeners) f(error)
  }

  /**
   * Calls `f` once every record appended so far is in the file: at once if it already is. A log
   * line about a step goes through here, so that whoever reads the log and then kills the process
   * finds the step in the journal.
   */
  whenWritten(f: () => void): void {
    if (this.pending.length === 0) return f()
    this.afterWrite.push(f)
  }

  /** How many records have been appended since the journal was opened: a position for `sync`. */
  get size(): number {
    return this.appended
  }

  /**
   * Calls `done` once the first `upTo` records appended since opening (by default all of them) are
   * durable, or the write or flush failed. A sync that asks only for records already durable
   * completes at once, without starting a flush.
   */
  sync(done: (error: Error | undefined) => void, upTo: number = this.appended): void {
    if (this.failure !== undefined) return done(this.failure)
    if (this.durableCount >= upTo || (!this.durable && this.written >= upTo)) return done(undefined)
    this.waiters.push({ target: upTo, resume: done })
    this.scheduleWrite()
  }

  private scheduleWrite(): void {
    if (this.writeScheduled) return
    this.writeScheduled = true
    queueMicrotask(() => {
      this.writeScheduled = false
      if (this.closed) return
      this.write()
      this.flush()
    })
  }

  /** Writes the pending records to the file in one write, then runs what waited for that. */
  private write(): void {
    if (this.pending.length > 0 && this.failure === undefined) {
      try {
        const bytes = this.encodePending()
        while (this.end + bytes.length > this.allocated) {
          this.writeFile(this.fd, zeros, 0, preallocation, this.allocated)
          this.allocated += preallocation
        }
        this.writeFile(this.fd, bytes, 0, bytes.length, this.end)
        this.end += bytes.length
        this.written = this.appended
      } catch (e) {
        this.fail(e as Error)
      }
    }
    this.pending = []
    const after = this.afterWrite
    this.afterWrite = []
    for (const f of after) f()
  }

  /** The pending records' bytes as one group (`encodeRecords`), in the reused buffer. */
  private encodePending(): Uint8Array {
    const text = this.pending.join("\n")
    const most = header + 3 * text.length
    if (most > this.buffer.length) this.buffer = Buffer.allocUnsafe(Math.max(2 * this.buffer.length, most))
    const length = this.buffer.write(text, header)
    this.buffer.writeUInt32BE(length, 0)
    this.buffer.writeUInt32BE(crc32(this.buffer.subarray(header, header + length)), 4)
    return this.buffer.subarray(0, header + length)
  }

  /** Resolves the waiters that the file now covers, syncing it first when durable. */
  private flush(): void {
    if (this.syncing || this.waiters.length === 0 || this.closed) return
    if (!this.durable || this.failure !== undefined) return this.resolve(this.written)
    this.resolve(this.durableCount)
    // A flush now serves only waiters whose records are all in the file; the others wait for the
    // write their `sync` scheduled, which flushes again.
    if (!this.waiters.some((w) => w.target <= this.written)) return
    this.syncing = true
    const target = this.written
    const began = performance.now()
    const done = (error: Error | null) => {
      this.syncing = false
      if (error !== null) this.fail(error)
      else {
        this.onFlushed?.(performance.now() - began, target - this.durableCount)
        this.durableCount = Math.max(this.durableCount, target)
      }
      if (this.closed) return
      this.resolve(this.durableCount)
      this.flush()
    }
    if (this.flushFile !== undefined) return this.flushFile(this.fd, done)
    // On the calling thread, not in the thread pool: one flush runs at a time either way, and
    // records that arrive meanwhile are covered by the next one, whether they are read during the
    // flush or after it; the hand-off to the pool and back cost more than the overlap gained
    // (measured with the ping-pong of `npm run bench:runtime`, 32 in flight, on ext4, six runs
    // each: 16,000–21,100 msgs/s against 13,300–16,300 when flushes averaging over 0.5 ms went to
    // the pool).
    let error: Error | null = null
    try {
      fs.fdatasyncSync(this.fd)
    } catch (e) {
      error = e as Error
    }
    done(error)
  }

  private resolve(upTo: number): void {
    const failed = this.failure !== undefined
    let ready: Array<(error: Error | undefined) => void> | undefined
    let kept = 0
    for (const w of this.waiters) {
      if (failed || w.target <= upTo) (ready ??= []).push(w.resume)
      else this.waiters[kept++] = w
    }
    if (ready === undefined) return
    this.waiters.length = kept
    for (const resume of ready) resume(this.failure)
  }

  /** Writes what is pending (without syncing it), cuts off the zeros after the records, and closes the file. */
  close(): void {
    this.write()
    this.closed = true
    if (this.failure === undefined && this.allocated > this.end) fs.ftruncateSync(this.fd, this.end)
    fs.closeSync(this.fd)
  }
}
