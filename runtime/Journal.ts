/**
 * The write-ahead log of one node: every change to its local state, every message it sends (until
 * the receiver acknowledges it) and every message it receives (until its program consumes it),
 * appended as checksummed, length-prefixed JSON records. `sync` makes everything appended so far
 * durable (fdatasync); concurrent callers share one sync (group commit), so a burst of messages
 * costs one disk flush.
 *
 * Reopening a journal returns its records; a torn last record (the process died inside a write)
 * fails its length or checksum and is cut off, since nothing that depended on it can have left the
 * node: a message leaves only after the sync that covers it.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { crc32 } from "node:zlib"

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
  | {
      readonly r: "in"
      readonly time: number
      readonly from: string
      readonly instance: string
      readonly seq: number
      readonly tag: string
      readonly payload: unknown
    }
  | {
      readonly r: "recv"
      readonly time: number
      readonly from: string
      readonly instance: string
      readonly seq: number
      readonly local: unknown
      readonly transition: string
    }
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

/**
 * The bytes of one record: length, CRC-32 of the body, JSON body.
 *
 * @example
 * const bytes = encodeRecord({ r: "acked", to: "c", upTo: 2 })
 * decodeRecords(bytes).records // => [{ r: "acked", to: "c", upTo: 2 }]
 */
export const encodeRecord = (record: JournalRecord): Uint8Array => {
  const body = Buffer.from(JSON.stringify(record))
  const out = Buffer.allocUnsafe(header + body.length)
  out.writeUInt32BE(body.length, 0)
  out.writeUInt32BE(crc32(body), 4)
  body.copy(out, header)
  return out
}

/**
 * The records in a journal's bytes, and the length of the intact prefix (a torn or corrupt tail
 * is not part of it).
 *
 * @example
 * const bytes = encodeRecord({ r: "wake", time: 5, ms: 1 })
 * decodeRecords(bytes.subarray(0, bytes.length - 1)) // => { records: [], intact: 0 }
 */
export const decodeRecords = (bytes: Uint8Array): { readonly records: Array<JournalRecord>; readonly intact: number } => {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const records: Array<JournalRecord> = []
  let offset = 0
  while (buffer.length - offset >= header) {
    const length = buffer.readUInt32BE(offset)
    if (buffer.length - offset - header < length) break
    const body = buffer.subarray(offset + header, offset + header + length)
    if (crc32(body) !== buffer.readUInt32BE(offset + 4)) break
    try {
      records.push(JSON.parse(body.toString("utf8")) as JournalRecord)
    } catch {
      break
    }
    offset += header + length
  }
  return { records, intact: offset }
}

/**
 * The journal file of a node in a data folder.
 *
 * @example
 * fileOf("data", "p1") // => "data/p1.journal"
 */
export const fileOf = (dataDir: string, node: string): string => path.join(dataDir, `${node}.journal`)

/** Reads a journal file's records without opening it for writing (for traces). */
export const read = (file: string): ReadonlyArray<JournalRecord> => decodeRecords(fs.readFileSync(file)).records

/** An open journal, appending to its file. */
export class Journal {
  private appended = 0
  private durableCount = 0
  private syncing = false
  private waiters: Array<{ readonly target: number; readonly resume: (error: Error | undefined) => void }> = []
  private failure: Error | undefined

  private constructor(
    readonly file: string,
    private fd: number,
    /** Whether `sync` flushes to disk; off only for measurements that say so. */
    readonly durable: boolean
  ) {}

  /**
   * Opens (creating) the journal at `file`, cutting off a torn tail, and returns it with the
   * records it holds.
   */
  static open(file: string, options: { readonly durable?: boolean } = {}): { readonly journal: Journal; readonly records: ReadonlyArray<JournalRecord> } {
    fs.mkdirSync(path.dirname(file), { recursive: true })
    const existing = fs.existsSync(file) ? fs.readFileSync(file) : Buffer.alloc(0)
    const { records, intact } = decodeRecords(existing)
    if (intact < existing.length) fs.truncateSync(file, intact)
    const fd = fs.openSync(file, "a")
    return { journal: new Journal(file, fd, options.durable ?? true), records }
  }

  /**
   * Replaces the journal's contents with `records` atomically (write a new file, flush it, rename
   * it over the old one), so that a crash leaves either the old journal or the new one.
   */
  rewrite(records: ReadonlyArray<JournalRecord>): void {
    const temporary = `${this.file}.rewrite`
    const fd = fs.openSync(temporary, "w")
    try {
      for (const record of records) fs.writeSync(fd, encodeRecord(record))
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
    this.fd = fs.openSync(this.file, "a")
  }

  /** Appends a record (to the page cache: durable only after the next `sync`). */
  append(record: JournalRecord): void {
    if (this.failure !== undefined) throw this.failure
    fs.writeSync(this.fd, encodeRecord(record))
    this.appended++
  }

  /** Calls `done` once every record appended so far is durable (or the flush failed). */
  sync(done: (error: Error | undefined) => void): void {
    if (!this.durable || this.durableCount >= this.appended) return done(this.failure)
    this.waiters.push({ target: this.appended, resume: done })
    this.flush()
  }

  private flush(): void {
    if (this.syncing || this.waiters.length === 0) return
    this.syncing = true
    const target = this.appended
    fs.fdatasync(this.fd, (error) => {
      this.syncing = false
      if (error !== null) this.failure ??= error
      else this.durableCount = Math.max(this.durableCount, target)
      const ready = this.waiters.filter((w) => w.target <= this.durableCount || this.failure !== undefined)
      this.waiters = this.waiters.filter((w) => !ready.includes(w))
      for (const w of ready) w.resume(this.failure)
      this.flush()
    })
  }

  close(): void {
    fs.closeSync(this.fd)
  }
}
