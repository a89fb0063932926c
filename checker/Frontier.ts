/**
 * The states waiting to be expanded, as encoded bytes in pages of one megabyte: a FIFO for
 * breadth-first search, a LIFO for depth-first search. Each entry is the state's id and its bytes.
 * Pages are released as they empty, so memory follows the frontier, not the whole state space.
 *
 * @since 0.1.0
 */

const pageSize = 1 << 20

// Written out byte by byte: a DataView per entry costs more than the entry.
const writeInt32 = (page: Uint8Array, at: number, v: number) => {
  page[at] = v & 0xff
  page[at + 1] = (v >>> 8) & 0xff
  page[at + 2] = (v >>> 16) & 0xff
  page[at + 3] = v >>> 24
}

const readInt32 = (page: Uint8Array, at: number): number =>
  page[at]! | (page[at + 1]! << 8) | (page[at + 2]! << 16) | (page[at + 3]! << 24)

/** A queue or stack of (id, encoded state). */
export class Frontier {
  private pages: Array<Uint8Array> = []
  /** Per page, the offsets where its entries start, for popping from the back. */
  private starts: Array<Array<number>> = []
  private readPage = 0
  private readPos = 0
  private writePos = 0
  /** Entries currently held. */
  length = 0

  constructor(readonly order: "fifo" | "lifo") {}

  /**
   * Adds an entry.
   *
   * @example
   * const q = new Frontier("fifo")
   * q.push(7, new Uint8Array([1, 2]))
   * q.pop()?.id // => 7
   */
  push(id: number, bytes: Uint8Array, length = bytes.length): void {
    const need = 8 + length
    let page = this.pages[this.pages.length - 1]
    if (page === undefined || this.writePos + need > page.length) {
      page = new Uint8Array(Math.max(pageSize, need))
      this.pages.push(page)
      this.starts.push([])
      this.writePos = 0
    }
    const at = this.writePos
    this.starts[this.starts.length - 1]!.push(at)
    writeInt32(page, at, id)
    writeInt32(page, at + 4, length)
    if (length <= 32) for (let i = 0; i < length; i++) page[at + 8 + i] = bytes[i]!
    else page.set(bytes.subarray(0, length), at + 8)
    this.writePos += need
    this.length++
  }

  /** Takes the next entry (oldest for FIFO, newest for LIFO), or undefined when empty. */
  pop(): { id: number; bytes: Uint8Array } | undefined {
    if (this.length === 0) return undefined
    this.length--
    return this.order === "fifo" ? this.popFront() : this.popBack()
  }

  private popFront() {
    let starts = this.starts[this.readPage]!
    while (this.readPos >= starts.length) {
      // A fully read page is released; the write page is kept.
      this.pages[this.readPage] = new Uint8Array(0)
      this.starts[this.readPage] = []
      this.readPage++
      this.readPos = 0
      starts = this.starts[this.readPage]!
    }
    const page = this.pages[this.readPage]!
    const at = starts[this.readPos++]!
    const id = readInt32(page, at)
    const length = readInt32(page, at + 4)
    return { id, bytes: page.subarray(at + 8, at + 8 + length) }
  }

  private popBack() {
    for (;;) {
      const starts = this.starts[this.starts.length - 1]!
      if (starts.length > 0) {
        const page = this.pages[this.pages.length - 1]!
        const at = starts.pop()!
        const id = readInt32(page, at)
        const length = readInt32(page, at + 4)
        this.writePos = at
        return { id, bytes: page.slice(at + 8, at + 8 + length) }
      }
      this.pages.pop()
      this.starts.pop()
      this.writePos = this.pages.length === 0 ? 0 : this.pages[this.pages.length - 1]!.length
    }
  }

  /** Bytes held by the pages. */
  bytes(): number {
    return this.pages.reduce((sum, p) => sum + p.byteLength, 0)
  }
}
