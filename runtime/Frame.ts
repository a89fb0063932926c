/**
 * Length-prefixed frames, the unit of everything the runtime writes to a TCP stream: a 4-byte
 * big-endian length followed by that many bytes. TCP delivers a byte stream in arbitrary pieces,
 * so the reader reassembles frames across chunks; a length above the limit is refused before any
 * of its bytes are buffered, and a frame's buffer grows with the bytes that arrive, so a peer cannot
 * make a node allocate (beyond 64 KiB) what it merely announces. Until the handshake has
 * authenticated the peer, the limit is `preAuthMaxFrame`.
 *
 * @since 0.1.0
 */

/** Frames larger than this (in bytes, after the prefix) are refused unless a limit is given. */
export const defaultMaxFrame = 1 << 20

/** A stream that cannot be read as frames: the connection must be closed. */
export class FrameError extends Error {
  override readonly name = "FrameError"
}

/**
 * One frame: the length prefix and the body.
 *
 * @example
 * Array.from(encode(new Uint8Array([7, 8]))) // => [0, 0, 0, 2, 7, 8]
 */
export const encode = (body: Uint8Array): Uint8Array => {
  const out = Buffer.allocUnsafe(4 + body.length)
  out.writeUInt32BE(body.length, 0)
  out.set(body, 4)
  return out
}

/**
 * Several frames, one after the other, in one buffer: a batch costs one socket write.
 *
 * @example
 * Array.from(encodeAll([Uint8Array.of(1), Uint8Array.of(2, 3)])) // => [0, 0, 0, 1, 1, 0, 0, 0, 2, 2, 3]
 */
export const encodeAll = (bodies: ReadonlyArray<Uint8Array>): Uint8Array => {
  let size = 0
  for (const body of bodies) size += 4 + body.length
  const out = Buffer.allocUnsafe(size)
  let offset = 0
  for (const body of bodies) {
    out.writeUInt32BE(body.length, offset)
    out.set(body, offset + 4)
    offset += 4 + body.length
  }
  return out
}

/**
 * Frames larger than this (in bytes) are refused before the handshake has authenticated the peer.
 * The handshake's frames are a few hundred bytes of JSON (a hello with its ids, nonce and instance;
 * nonces and proofs as hex), so the limit leaves ample headroom for a handshake that grows, while an
 * outsider can make a node hold at most this much per connection.
 */
export const preAuthMaxFrame = 4096

/**
 * Reassembles frames from the chunks of a stream. `push` returns every frame completed by the
 * chunk, in order, and throws `FrameError` when a length prefix exceeds the limit.
 *
 * Its cost is linear in the bytes received: a frame that arrives whole within one chunk is handed
 * out as a view of that chunk, without a copy; a frame split across chunks is copied into a buffer
 * of its own, which starts at the bytes at hand (at least 64 KiB, at most the announced length) and
 * doubles as needed, so that the bytes already received are never copied again per chunk, and a
 * peer cannot make the node allocate much more than it has actually sent.
 *
 * @example
 * const reader = new Reader()
 * const bytes = encode(new Uint8Array([1, 2, 3]))
 * reader.push(bytes.subarray(0, 5)).length // => 0
 * Array.from(reader.push(bytes.subarray(5))[0]!) // => [1, 2, 3]
 */
export class Reader {
  /** The length prefix read so far (fewer than 4 bytes), while `header` is below 4. */
  private readonly prefix = new Uint8Array(4)
  private header = 0
  /** The frame being reassembled: its announced length, its buffer and the bytes it holds. */
  private length = -1
  private frame: Uint8Array = new Uint8Array(0)
  private filled = 0
  private limit: number
  /** Bytes copied into the reader's own buffers so far: fewer than three times the bytes received. */
  copied = 0

  constructor(maxFrame: number = defaultMaxFrame) {
    this.limit = maxFrame
  }

  /** The largest frame accepted, in bytes after the prefix. */
  get maxFrame(): number {
    return this.limit
  }

  /**
   * From now on, accepts frames up to `maxFrame` bytes: how a connection lifts the pre-handshake
   * limit once its peer is authenticated. A frame already announced keeps its length.
   *
   * @example
   * const reader = new Reader(preAuthMaxFrame)
   * reader.allow(1 << 20)
   * reader.push(encode(new Uint8Array(5000))).length // => 1
   */
  allow(maxFrame: number): void {
    this.limit = maxFrame
  }

  /** Bytes received but not yet part of a complete frame. */
  get buffered(): number {
    return this.length >= 0 ? 4 + this.filled : this.header
  }

  // Frames are views into the received chunks or buffers of their own, never written to once
  // handed out: a chunk is never written to once the socket has handed it over.
  push(chunk: Uint8Array): Array<Uint8Array> {
    const frames: Array<Uint8Array> = []
    let offset = 0
    while (offset < chunk.length) {
      if (this.length >= 0) {
        // A frame in progress: copy what this chunk holds of it, growing its buffer by doubling.
        const take = Math.min(chunk.length - offset, this.length - this.filled)
        if (this.filled + take > this.frame.length) {
          const grown = new Uint8Array(Math.min(this.length, Math.max(2 * this.frame.length, this.filled + take)))
          grown.set(this.frame.subarray(0, this.filled), 0)
          this.copied += this.filled
          this.frame = grown
        }
        this.frame.set(chunk.subarray(offset, offset + take), this.filled)
        this.copied += take
        this.filled += take
        offset += take
        if (this.filled < this.length) break
        frames.push(this.frame.length === this.length ? this.frame : this.frame.subarray(0, this.length))
        this.length = -1
        this.frame = new Uint8Array(0)
        this.filled = 0
        continue
      }
      let length: number
      if (this.header === 0 && chunk.length - offset >= 4) {
        length = ((chunk[offset]! << 24) >>> 0) + (chunk[offset + 1]! << 16) + (chunk[offset + 2]! << 8) + chunk[offset + 3]!
        offset += 4
      } else {
        while (this.header < 4 && offset < chunk.length) this.prefix[this.header++] = chunk[offset++]!
        if (this.header < 4) break
        this.header = 0
        const p = this.prefix
        length = ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!
      }
      if (length > this.limit) {
        throw new FrameError(`a frame of ${length} bytes announced, above the limit of ${this.limit}`)
      }
      if (chunk.length - offset >= length) {
        frames.push(chunk.subarray(offset, offset + length))
        offset += length
        continue
      }
      this.length = length
      this.frame = new Uint8Array(Math.min(length, Math.max(chunk.length - offset, 1 << 16)))
    }
    return frames
  }
}
