/**
 * A seeded pseudo-random generator whose output is fixed by this file, not by the JavaScript
 * engine or a library version: xoshiro128** (Blackman and Vigna) seeded through splitmix32. A
 * simulation run is a function of its seed, so the same seed gives the same run on every machine
 * and every release; `test/core/Prng.test.ts` pins the first outputs.
 *
 * @since 0.1.0
 */

/** A stateful generator. Not shared between runs: derive one per run with `derive`. */
export interface Prng {
  /** The next 32-bit unsigned integer. */
  nextU32(): number
  /** A float in [0, 1) with 32 bits of randomness. */
  float(): number
  /** An integer in [0, n), without modulo bias. */
  int(n: number): number
  /** True with probability `p`. */
  chance(p: number): boolean
  /** A uniformly chosen element of a non-empty array. */
  pick<A>(items: ReadonlyArray<A>): A
}

const splitmix32 = (seed: number) => {
  let state = seed >>> 0
  return () => {
    state = (state + 0x9e3779b9) >>> 0
    let z = state
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
}

const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0

/**
 * A generator seeded with a 32-bit integer: splitmix32 expands the seed into xoshiro's 128-bit state.
 *
 * @example
 * const a = make(42), b = make(42)
 * a.nextU32() === b.nextU32() // => true
 */
export const make = (seed: number): Prng => {
  const init = splitmix32(seed)
  return fromState(init(), init(), init(), init())
}

/**
 * A generator started from an explicit xoshiro128** state (not all zero), for checking the
 * algorithm against its published reference outputs.
 *
 * @example
 * fromState(1, 2, 3, 4).nextU32() // => 11520
 */
export const fromState = (a: number, b: number, c: number, d: number): Prng => {
  let s0 = a >>> 0, s1 = b >>> 0, s2 = c >>> 0, s3 = d >>> 0
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1
  const nextU32 = () => {
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0
    const t = (s1 << 9) >>> 0
    s2 = (s2 ^ s0) >>> 0
    s3 = (s3 ^ s1) >>> 0
    s1 = (s1 ^ s2) >>> 0
    s0 = (s0 ^ s3) >>> 0
    s2 = (s2 ^ t) >>> 0
    s3 = rotl(s3, 11)
    return result
  }
  const int = (n: number) => {
    if (!Number.isInteger(n) || n <= 0 || n > 0x100000000) throw new RangeError(`Prng.int: bound must be an integer in [1, 2^32], got ${n}`)
    const limit = 0x100000000 - (0x100000000 % n)
    for (;;) {
      const x = nextU32()
      if (x < limit) return x % n
    }
  }
  return {
    nextU32,
    float: () => nextU32() / 0x100000000,
    int,
    chance: (p) => p > 0 && nextU32() / 0x100000000 < p,
    pick: (items) => {
      if (items.length === 0) throw new RangeError("Prng.pick: empty array")
      return items[int(items.length)]!
    }
  }
}

/**
 * The seed of run `index` of a batch started with `seed`: runs are independent and each can be
 * replayed alone from its own seed.
 *
 * @example
 * derive(1, 0) === derive(1, 0) // => true
 */
export const derive = (seed: number, index: number): number => {
  const mix = splitmix32((seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0)
  mix()
  return mix()
}
