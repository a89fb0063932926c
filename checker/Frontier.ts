/**
 * The states waiting to be expanded, as encoded bytes in pages of one megabyte: a FIFO for
 * breadth-first search, a LIFO for depth-first search. Each entry is the state's id and its bytes.
 * Pages are released as they empty, so memory follows the frontier, not the whole state space.
 *
 * @since 0.1.0
 */

const pageSize = 1 << 20

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
    this.starts[this.starts.length - 1]!.push(this.writePos)
    const view = new DataView(page.buffer, page.byteOffset + this.writePos, 8)
    view.setInt32(0, id)
    view.setInt32(4, length)
    page.set(bytes.subarray(0, length), this.writePos + 8)
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
    const view = new DataView(page.buffer, page.byteOffset + at, 8)
    const id = view.getInt32(0)
    const length = view.getInt32(4)
    return { id, bytes: page.subarray(at + 8, at + 8 + length) }
  }

  private popBack() {
    for (;;) {
      const starts = this.starts[this.starts.length - 1]!
      if (starts.length > 0) {
        const page = this.pages[this.pages.length - 1]!
        const at = starts.pop()!
        const view = new DataView(page.buffer, page.byteOffset + at, 8)
        const id = view.getInt32(0)
        const length = view.getInt32(4)
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
