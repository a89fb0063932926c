/**
 * A disk that can lose power, for the journal's fault-injection seam (`Journal.Write`,
 * `Journal.Flush`): writes go to the real file (which plays the page cache), and the disk keeps
 * the file's durable image — its bytes as of the last completed flush, which covers only the
 * writes made before that flush began. A power cut makes every later write and flush fail, and
 * `restore` then puts the durable image back in place of the file, optionally with a prefix of
 * the bytes written since (a write torn by the cut). It can also hold flushes back and fail the
 * next write.
 */
import * as fs from "node:fs"
import type { Flush, Write } from "../../runtime/Journal.ts"

const eio = (what: string) => Object.assign(new Error(`EIO: i/o error, ${what}`), { code: "EIO" })

/** How a disk schedules the completion of a flush: at once, or after what `later` is given. */
export type FlushTiming = (complete: () => void) => void

export class Disk {
  /** The file's durable bytes. */
  private image: Buffer
  /** Writes not yet covered by a completed flush, in order (copies: the journal reuses its buffer). */
  private unflushed: Array<{ readonly position: number; readonly bytes: Buffer }> = []
  private cutOff = false
  private failNext: Error | undefined
  /** Flushes asked for while held, completed by `release`. */
  private held: Array<() => void> = []
  /** Whether flushes are held back until `release`. */
  hold = false
  /** Flushes completed. */
  flushes = 0
  /** Writes and flushes left before a planned cut (`cutAt`), and who is told of it. */
  private countdown = 0
  private onPlannedCut: (() => void) | undefined

  constructor(
    readonly file: string,
    private readonly timing: FlushTiming = (complete) => complete()
  ) {
    this.image = fs.existsSync(file) ? fs.readFileSync(file) : Buffer.alloc(0)
  }

  /** Whether the power is cut. */
  get dead(): boolean {
    return this.cutOff
  }

  /** Makes the next write throw `error` (an EIO by default). */
  failNextWrite(error: Error = eio("write")): void {
    this.failNext = error
  }

  readonly write: Write = (fd, buffer, offset, length, position) => {
    this.tick()
    if (this.cutOff) throw eio("write")
    const failure = this.failNext
    if (failure !== undefined) {
      this.failNext = undefined
      throw failure
    }
    const written = fs.writeSync(fd, buffer, offset, length, position)
    this.unflushed.push({ position, bytes: Buffer.from(buffer.subarray(offset, offset + written)) })
    return written
  }

  readonly flush: Flush = (_fd, done) => {
    this.tick()
    if (this.cutOff) return done(eio("fdatasync"))
    const covered = this.unflushed.length
    const complete = () => {
      if (this.cutOff) return done(eio("fdatasync"))
      for (const w of this.unflushed.splice(0, covered)) this.apply(w.position, w.bytes)
      this.flushes++
      done(null)
    }
    if (this.hold) return void this.held.push(() => this.timing(complete))
    this.timing(complete)
  }

  /**
   * Cuts the power just before the `n`th write or flush from now (which then fails), and calls
   * `f` on the next turn of the event loop.
   */
  cutAt(n: number, f: () => void): void {
    this.countdown = n
    this.onPlannedCut = f
  }

  private tick(): void {
    if (this.onPlannedCut === undefined || --this.countdown > 0) return
    const f = this.onPlannedCut
    this.onPlannedCut = undefined
    this.cut()
    setImmediate(f)
  }

  /** Lets the held flushes go on. */
  release(): void {
    this.hold = false
    for (const f of this.held.splice(0)) f()
  }

  /** Cuts the power: from now on every write and flush fails, and no flush in progress completes. */
  cut(): void {
    this.cutOff = true
    this.onPlannedCut = undefined
    for (const f of this.held.splice(0)) f()
  }

  /**
   * After a cut, once the node is stopped: replaces the file with its durable image, plus the
   * first `torn` bytes written since the last completed flush (a cut in the middle of those
   * writes), and returns how many unflushed bytes were lost.
   */
  restore(torn = 0): number {
    if (!this.cutOff) throw new Error(`restore of ${this.file} without a power cut`)
    let lost = 0
    for (const w of this.unflushed) {
      const kept = Math.max(0, Math.min(torn, w.bytes.length))
      if (kept > 0) this.apply(w.position, w.bytes.subarray(0, kept))
      torn -= kept
      lost += w.bytes.length - kept
    }
    this.unflushed = []
    fs.writeFileSync(this.file, this.image)
    return lost
  }

  /** The bytes written since the last completed flush. */
  get unflushedBytes(): number {
    return this.unflushed.reduce((n, w) => n + w.bytes.length, 0)
  }

  private apply(position: number, bytes: Buffer): void {
    const end = position + bytes.length
    if (end > this.image.length) {
      const grown = Buffer.alloc(end)
      this.image.copy(grown)
      this.image = grown
    }
    bytes.copy(this.image, position)
  }
}
