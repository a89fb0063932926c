/**
 * Where a declaration was made: the file, line and column of the call that built a value
 * (`Property.always(...)`, `withInvariant(...)`), read from the JavaScript engine's stack trace
 * when the value is built. The Lean exporter reads a predicate's source at that position instead
 * of searching files for it by name. Under `tsx` and vitest, and under `node --enable-source-maps`
 * with source maps, the position is the TypeScript source's; under plain `node` it is the running
 * `.js` file's.
 *
 * @since 0.1.0
 */

/** A position in a source file: its absolute path, and the 1-based line and column of the call. */
export interface CallSite {
  readonly file: string
  readonly line: number
  readonly column: number
}

/**
 * Reads one stack frame line (`    at fn (file:///a/b.ts:3:14)`, `    at /a/b.ts:3:14`): the
 * file as an absolute path (a `file://` URL decoded), line and column; `undefined` for a frame
 * with no file position (`native`, `<anonymous>` without a location).
 *
 * @example
 * parseFrame("    at <anonymous> (file:///work/p%20q/index.ts:12:5)") // => { file: "/work/p q/index.ts", line: 12, column: 5 }
 * parseFrame("    at /work/index.js:3:14") // => { file: "/work/index.js", line: 3, column: 14 }
 * parseFrame("    at Array.map (<anonymous>)") // => undefined
 */
export const parseFrame = (frame: string): CallSite | undefined => {
  const m = /^\s*at (?:.*? \()?(.+?):(\d+):(\d+)\)?$/.exec(frame)
  if (m === null) return undefined
  const location = m[1]!
  const file = location.startsWith("file://") ? decodeURIComponent(new URL(location).pathname) : location
  if (!file.startsWith("/") && !/^[A-Za-z]:[\\/]/.test(file)) return undefined
  return { file, line: Number(m[2]), column: Number(m[3]) }
}

/**
 * The call site of `fn`: where the function that called `capture(fn)` was called from.
 * `undefined` when the engine gives no stack trace with a file position (not V8, or a call from
 * `eval`): what reads the call site then says that it has none.
 *
 * @example
 * const declare = () => capture(declare)
 * const site = declare()
 * site !== undefined && site.line > 0 // => true
 */
export const capture = (fn: (...args: Array<any>) => unknown): CallSite | undefined => {
  if (typeof Error.captureStackTrace !== "function") return undefined
  const holder: { stack?: string } = {}
  Error.captureStackTrace(holder, fn)
  const frame = holder.stack?.split("\n")[1]
  return frame === undefined ? undefined : parseFrame(frame)
}

/**
 * `file:line:column`.
 *
 * @example
 * format({ file: "/work/p/index.ts", line: 3, column: 14 }) // => "/work/p/index.ts:3:14"
 */
export const format = (site: CallSite): string => `${site.file}:${site.line}:${site.column}`
