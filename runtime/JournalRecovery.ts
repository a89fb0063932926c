/**
 * What may be cut off a journal when it is reopened, and what must make the node refuse it.
 *
 * A node writes its journal as checksummed groups, in order, into space kept zeroed ahead of them
 * (`Journal.ts`), and lets nothing depend on a group before a sync covers it. So the only damage
 * a crash can leave is a torn tail: the last group incomplete or failing its checksum (its bytes
 * are record text, or zeros where a write did not reach the disk), followed only by zeros or by
 * nothing. That tail is cut off. Anything else — a bad group with an intact group after it, bytes
 * that no journal holds, non-zero bytes after the end of the records, a journal of another node —
 * was not made by a crash, and cutting it off would silently throw away steps that peers may rely
 * on; the journal is refused, with its file, the byte offset and what is there, and left as it is.
 *
 * @since 0.2.0
 */
import { crc32 } from "node:zlib"
import type { JournalRecord } from "./Journal.ts"

/** The bytes before a group's body: its length and its CRC-32. */
const header = 8

/** Every record's JSON text begins with its kind (`JournalRecord`'s `r` is always its first key). */
const recordStart = Buffer.from('{"r":"')

/**
 * A journal that must not be used or changed: `found` is what is at byte `offset` of `file`.
 *
 * @example
 * new RefusedJournal("d/c.journal", 40, "garbage").message // => "d/c.journal, byte 40: garbage; the file is left as it is"
 */
export class RefusedJournal extends Error {
  override readonly name = "RefusedJournal"
  constructor(
    readonly file: string,
    readonly offset: number,
    readonly found: string
  ) {
    super(`${file}, byte ${offset}: ${found}; the file is left as it is`)
  }
}

/** The first non-zero byte at or after `from`, or -1. */
const firstNonZero = (bytes: Buffer, from: number): number => {
  for (let i = from; i < bytes.length; i++) if (bytes[i] !== 0) return i
  return -1
}

/** The first intact group (length within the file, checksum matching) starting after `from`. */
const intactGroupAfter = (bytes: Buffer, from: number): { readonly offset: number; readonly records: number } | undefined => {
  for (let body = bytes.indexOf(recordStart, from + 1 + header); body >= 0; body = bytes.indexOf(recordStart, body + 1)) {
    const at = body - header
    const length = bytes.readUInt32BE(at)
    if (length === 0 || body + length > bytes.length) continue
    const text = bytes.subarray(body, body + length)
    if (crc32(text) === bytes.readUInt32BE(at + 4)) return { offset: at, records: text.toString("utf8").split("\n").length }
  }
  return undefined
}

/** The first byte of a torn group's body that no record text holds (zeros stand for writes that did not land), or -1. */
const notRecordText = (body: Buffer): number => {
  if (body.length > 0 && body[0] !== 0 && body[0] !== recordStart[0]) return 0
  for (let i = 0; i < body.length; i++) {
    const b = body[i]!
    // JSON text has no raw control characters; the records are separated by line feeds.
    if (b !== 0 && b !== 0x0a && b < 0x20) return i
  }
  return -1
}

const show = (bytes: Buffer, from: number): string => {
  const shown = bytes.subarray(from, from + 16)
  return `${shown.toString("hex").replace(/(..)/g, "$1 ").trim()}${bytes.length > from + 16 ? " …" : ""}`
}

/**
 * Checks what follows a journal's intact records, which end at `offset`: returns if it is nothing,
 * zeros or a torn tail (which may be cut off), and throws a `RefusedJournal` otherwise.
 *
 * @example
 * import { encodeRecords } from "./Journal.ts"
 * const one = Buffer.from(encodeRecords([{ r: "wake", time: 1, ms: 1 }]))
 * one.length // => 36
 * checkTail(Buffer.concat([one, one.subarray(0, 10), Buffer.alloc(64)]), one.length, "j") // => undefined
 * const damaged = Buffer.concat([one, one, one])
 * damaged[one.length + 9] ^= 1
 * const refusal = (f: () => void) => { try { f() } catch (e) { return (e as Error).message } }
 * refusal(() => checkTail(damaged, one.length, "j")) // => "j, byte 36: a group of records that fails its checksum (28 bytes long), followed by an intact group of 1 record at byte 72; the file is left as it is"
 */
export const checkTail = (bytes: Buffer, offset: number, file: string): void => {
  if (offset >= bytes.length) return
  const rest = bytes.length - offset
  const length = rest >= 4 ? bytes.readUInt32BE(offset) : undefined
  const what =
    length === undefined || rest < header
      ? `an incomplete group header (${rest} bytes)`
      : length === 0
        ? "the zeros that end the records"
        : offset + header + length > bytes.length
          ? `a group of records ${length} bytes long, of which the file holds ${rest - header}`
          : `a group of records that fails its checksum (${length} bytes long)`
  const later = intactGroupAfter(bytes, offset)
  if (later !== undefined) {
    throw new RefusedJournal(file, offset, `${what}, followed by an intact group of ${later.records} record${later.records === 1 ? "" : "s"} at byte ${later.offset}`)
  }
  if (rest < header) return
  const end = length === 0 ? offset : Math.min(bytes.length, offset + header + length!)
  const odd = notRecordText(bytes.subarray(offset + header, end))
  if (odd >= 0) {
    throw new RefusedJournal(file, offset, `${what} that holds bytes no journal record has (${show(bytes, offset + header + odd)} at byte ${offset + header + odd}): not a journal, or damaged`)
  }
  const after = firstNonZero(bytes, end)
  if (after >= 0) throw new RefusedJournal(file, after, `non-zero bytes (${show(bytes, after)}) after ${what} at byte ${offset}, where only zeros may follow`)
}

/**
 * The error for a group whose checksum holds but whose text is not JSON records: no crash makes
 * one, so it is refused like any other damage.
 *
 * @example
 * unreadableGroup("j", 0, new Error("Unexpected token")).message // => "j, byte 0: a group of records whose checksum holds but whose text is not JSON (Unexpected token); the file is left as it is"
 */
export const unreadableGroup = (file: string, offset: number, error: unknown): RefusedJournal =>
  new RefusedJournal(file, offset, `a group of records whose checksum holds but whose text is not JSON (${error instanceof Error ? error.message : String(error)})`)

/**
 * Checks that `records`, read from `file`, are the journal of `node`: it begins with that node's
 * `init` record (every journal does, a compacted one too). An empty journal belongs to anyone.
 *
 * @example
 * checkOwner([{ r: "init", node: "c", role: "coordinator", instance: "ab" }], "d/c.journal", "c") // => undefined
 * const refusal = (f: () => void) => { try { f() } catch (e) { return (e as Error).message } }
 * refusal(() => checkOwner([{ r: "init", node: "p1", role: "participant", instance: "ab" }], "d/c.journal", "c")) // => 'd/c.journal, byte 0: the journal of node "p1" (participant), not of "c"; the file is left as it is'
 */
export const checkOwner = (records: ReadonlyArray<JournalRecord>, file: string, node: string): void => {
  const first = records[0]
  if (first === undefined) return
  if (first.r !== "init") throw new RefusedJournal(file, 0, `a first record "${first.r}" where a journal begins with its node's "init" record`)
  if (first.node !== node) throw new RefusedJournal(file, 0, `the journal of node "${first.node}" (${first.role}), not of "${node}"`)
}
