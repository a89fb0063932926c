/**
 * Why a protocol cannot be exported: a construct outside the translated fragment (DESIGN §3), a
 * schema with no Lean type, a function the exporter cannot find in its source file. Every error
 * names the construct and where it is, as `file:line:column`.
 *
 * @since 0.1.0
 */

/**
 * An export refused, with the construct and its location.
 *
 * @example
 * const e = new ExportError("protocols/X/Protocol.ts:12:5", "a `for` loop", "loops are outside the fragment")
 * e.message // => "protocols/X/Protocol.ts:12:5: cannot export a `for` loop: loops are outside the fragment"
 */
export class ExportError extends Error {
  override readonly name = "ExportError"
  constructor(
    readonly location: string,
    readonly construct: string,
    readonly reason: string
  ) {
    super(`${location}: cannot export ${construct}: ${reason}`)
  }
}
