/**
 * The states waiting to be expanded, in pages of one megabyte: a FIFO for breadth-first search, a
 * LIFO for depth-first search. An entry is a state's id and its content: the words of a state
 * vector (`pushWords`, `popWords`), or bytes (`push`, `pop`). Pages are released as they empty, so
 * memory follows the frontier, not the whole state space.
 *
 * @since 0.1.0
 */

const pageWords = 1 << 18

/**
 * Pages read to the end, kept for the next pages of any frontier of this thread (at most
 * `sparePages`): a search writes and reads hundreds of megabytes of frontier, and allocating each
 * page anew makes the engine collect garbage for the memory it holds outside its heap.
 */
const spare: Array<Int32Array> = []
const sparePages = 16

const empty = new Int32Array(0)

const release = (page: Int32Array): void => {
  if (page.length === pageWords && spare.length < sparePages) spare.push(page)
}

/** A queue or stack of (id, content). */
export class Frontier {
  /**
   * Each page as words. An entry is [id, byte length, content padded to whole words, the entry's
   * size in words]: the size at its end lets a stack find where its last entry starts.
   */
  private pages: Array<Int32Array> = []
  /** Per page, where its entries end (the last page's end is `writePos`). */
  private ends: Array<number> = []
  private readPage = 0
  private readPos = 0
  private writePos = 0
  /** Where the entry `take` removed last starts in its page. */
  private taken = 0
  /** Entries currently held. */
  length = 0
  /**
   * The content of the entry `popWords` took last, as words. It is overwritten by the next pop, and
   * may be longer than the entry (callers know their vectors' lengths).
   */
  words = new Int32Array(64)

  constructor(readonly order: "fifo" | "lifo") {}

  /**
   * Adds an entry whose content is the first `length` words of `words`.
   *
   * @example
   * const q = new Frontier("fifo")
   * q.pushWords(7, Int32Array.of(3, 1, 4), 3)
   * q.popWords() // => 7
   * [...q.words.subarray(0, 3)] // => [3, 1, 4]
   */
  pushWords(id: number, words: Int32Array, length: number): void {
    const page = this.reserve(id, 4 * length, length)
    const at = this.writePos + 2
    for (let i = 0; i < length; i++) page[at + i] = words[i]!
    this.finish(page, length)
  }

  /**
   * Adds an entry whose content is the first `length` bytes of `bytes`.
   *
   * @example
   * const q = new Frontier("fifo")
   * q.push(7, new Uint8Array([1, 2]))
   * q.pop()?.id // => 7
   */
  push(id: number, bytes: Uint8Array, length = bytes.length): void {
    const words = (length + 3) >>> 2
    const page = this.reserve(id, length, words)
    new Uint8Array(page.buffer, page.byteOffset + 4 * (this.writePos + 2), length).set(bytes.subarray(0, length))
    this.finish(page, words)
  }

  /** Takes the next entry (oldest for FIFO, newest for LIFO) into `words`; returns its id, or -1 when empty. */
  popWords(): number {
    const page = this.take()
    if (page === undefined) return -1
    const at = this.taken
    const length = (page[at + 1]! + 3) >>> 2
    if (this.words.length < length) this.words = new Int32Array(2 * length)
    const words = this.words
    for (let i = 0; i < length; i++) words[i] = page[at + 2 + i]!
    return page[at]!
  }

  /**
   * Takes the next entry (oldest for FIFO, newest for LIFO) into `into[at]`, which is replaced by a
   * longer array when it is too short; returns the entry's id, or -1 when empty. Like `popWords`,
   * without copying the words twice when they are to be kept.
   *
   * @example
   * const q = new Frontier("fifo")
   * q.pushWords(7, Int32Array.of(3, 1, 4), 3)
   * const kept = [new Int32Array(1)]
   * [q.popInto(kept, 0), ...kept[0]!.subarray(0, 3)] // => [7, 3, 1, 4]
   */
  popInto(into: Array<Int32Array>, at: number): number {
    const page = this.take()
    if (page === undefined) return -1
    const start = this.taken
    const length = (page[start + 1]! + 3) >>> 2
    if (into[at]!.length < length) into[at] = new Int32Array(2 * length)
    const words = into[at]!
    for (let i = 0; i < length; i++) words[i] = page[start + 2 + i]!
    return page[start]!
  }

  /** Takes the next entry (oldest for FIFO, newest for LIFO) with its bytes, or undefined when empty. */
  pop(): { id: number; bytes: Uint8Array } | undefined {
    const page = this.take()
    if (page === undefined) return undefined
    const at = this.taken
    // Copied out: a stack's entry is overwritten by the next push, and a queue's page is reused
    // once it is read to the end.
    return { id: page[at]!, bytes: new Uint8Array(page.buffer, page.byteOffset + 4 * (at + 2), page[at + 1]!).slice() }
  }

  /** Bytes held by the pages. */
  bytes(): number {
    return this.pages.reduce((sum, p) => sum + p.byteLength, 0)
  }

  /** Starts an entry of `words` content words with its id and byte length; returns its page. */
  private reserve(id: number, byteLength: number, words: number): Int32Array {
    let page = this.pages[this.pages.length - 1]
    if (page === undefined || this.writePos + words + 3 > page.length) {
      if (page !== undefined) this.ends[this.pages.length - 1] = this.writePos
      page = words + 3 <= pageWords ? (spare.pop() ?? new Int32Array(pageWords)) : new Int32Array(words + 3)
      this.pages.push(page)
      this.ends.push(0)
      this.writePos = 0
    }
    page[this.writePos] = id
    page[this.writePos + 1] = byteLength
    return page
  }

  private finish(page: Int32Array, words: number): void {
    page[this.writePos + 2 + words] = words + 3
    this.writePos += words + 3
    this.length++
  }

  /** Removes the next entry and returns its page, with `taken` where it starts; undefined when empty. */
  private take(): Int32Array | undefined {
    if (this.length === 0) return undefined
    this.length--
    if (this.order === "fifo") {
      const last = this.pages.length - 1
      while (this.readPos >= (this.readPage === last ? this.writePos : this.ends[this.readPage]!)) {
        // A fully read page is released; the write page is kept.
        release(this.pages[this.readPage]!)
        this.pages[this.readPage] = empty
        this.readPage++
        this.readPos = 0
      }
      const page = this.pages[this.readPage]!
      this.taken = this.readPos
      this.readPos += ((page[this.readPos + 1]! + 3) >>> 2) + 3
      return page
    }
    while (this.writePos === 0) {
      release(this.pages.pop()!)
      this.ends.pop()
      this.writePos = this.ends[this.pages.length - 1]!
    }
    const page = this.pages[this.pages.length - 1]!
    this.writePos -= page[this.writePos - 1]!
    this.taken = this.writePos
    return page
  }
}
