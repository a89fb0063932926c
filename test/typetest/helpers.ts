/**
 * Type-level assertion helpers for the type tests: `Equal` is exact type identity (it tells
 * `readonly`, `any` and unions apart), `Expect` only accepts `true`.
 */

/** `true` when `A` and `B` are the same type, `false` otherwise. */
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false

/** `true` when `A` is assignable to `B`. */
export type Extends<A, B> = [A] extends [B] ? true : false

/** Compiles only when `T` is `true`. */
export type Expect<T extends true> = T

/** Compiles only when `T` is `true`; for assertions about values local to a function. */
export const expectTrue = <_T extends true>(): void => {}

/** Sanity checks of the helpers themselves. */
export type HelperChecks = [
  Expect<Equal<"a", "a">>,
  Expect<Equal<Equal<"a", "a" | "b">, false>>,
  Expect<Equal<Equal<{ readonly a: 1 }, { a: 1 }>, false>>,
  Expect<Equal<Equal<any, string>, false>>,
  Expect<Extends<"a", "a" | "b">>,
  Expect<Equal<Extends<"a" | "b", "a">, false>>
]
