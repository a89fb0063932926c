/**
 * 64-bit fingerprints of encoded states: two independent 32-bit MurmurHash3 lanes (different
 * seeds) over the same bytes. The checker identifies a state by its fingerprint alone, as TLC does,
 * so two distinct states with equal fingerprints would be merged; `collisionProbability` bounds
 * the chance of that happening in a run.
 *
 * @since 0.1.0
 */

const c1 = 0xcc9e2d51
const c2 = 0x1b873593

const murmur = (bytes: Uint8Array, length: number, seed: number): number => {
  let h = seed >>> 0
  const blocks = length & ~3
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)
    k = Math.imul(k, c1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, c2)
    h ^= k
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  const tail = length & 3
  if (tail > 0) {
    let k = bytes[blocks]!
    if (tail > 1) k ^= bytes[blocks + 1]! << 8
    if (tail > 2) k ^= bytes[blocks + 2]! << 16
    k = Math.imul(k, c1)
    k = (k << 15) | (k >>> 17)
    k = Math.imul(k, c2)
    h ^= k
  }
  h ^= length
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** The high 32 bits of the fingerprint of `bytes[0, length)`. */
export const high = (bytes: Uint8Array, length: number): number => murmur(bytes, length, 0x9747b28c)

/** The low 32 bits of the fingerprint of `bytes[0, length)`. */
export const low = (bytes: Uint8Array, length: number): number => murmur(bytes, length, 0x2545f491)

/**
 * An upper bound on the probability that some two of `n` distinct states share a fingerprint of
 * `bits` bits (the birthday bound n²/2^(bits+1); 64 bits unless said otherwise).
 *
 * @example
 * collisionProbability(1e6) < 1e-7 // => true
 */
export const collisionProbability = (n: number, bits = 64): number => Math.min(1, (n * n) / 2 ** (bits + 1))
