/**
 * Length-prefixed frames, the unit of everything the runtime writes to a TCP stream: a 4-byte
 * big-endian length followed by that many bytes. TCP delivers a byte stream in arbitrary pieces,
 * so the reader reassembles frames across chunks; a length above the limit is refused before any
 * of its bytes are buffered, so a peer cannot make a node allocate what it announces.
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
 * Reassembles frames from the chunks of a stream. `push` returns every frame completed by the
 * chunk, in order, and throws `FrameError` when a length prefix exceeds the limit.
 *
 * @example
 * const reader = new Reader()
 * const bytes = encode(new Uint8Array([1, 2, 3]))
 * reader.push(bytes.subarray(0, 5)).length // => 0
 * Array.from(reader.push(bytes.subarray(5))[0]!) // => [1, 2, 3]
 */
export class Reader {
  private buffer: Uint8Array = new Uint8Array(0)
  constructor(readonly maxFrame: number = defaultMaxFrame) {}

  /** Bytes received but not yet part of a complete frame. */
  get buffered(): number {
    return this.buffer.length
  }

  // Frames are views into the received chunks, not copies: a chunk is never written to once the
  // socket has handed it over, and a frame is decoded before the next chunk arrives.
  push(chunk: Uint8Array): Array<Uint8Array> {
    let data: Uint8Array
    if (this.buffer.length === 0) data = chunk
    else {
      data = new Uint8Array(this.buffer.length + chunk.length)
      data.set(this.buffer, 0)
      data.set(chunk, this.buffer.length)
    }
    const frames: Array<Uint8Array> = []
    let offset = 0
    while (data.length - offset >= 4) {
      const length = ((data[offset]! << 24) >>> 0) + (data[offset + 1]! << 16) + (data[offset + 2]! << 8) + data[offset + 3]!
      if (length > this.maxFrame) {
        throw new FrameError(`a frame of ${length} bytes announced, above the limit of ${this.maxFrame}`)
      }
      if (data.length - offset - 4 < length) break
      frames.push(data.subarray(offset + 4, offset + 4 + length))
      offset += 4 + length
    }
    this.buffer = offset === data.length ? new Uint8Array(0) : data.subarray(offset)
    return frames
  }
}
