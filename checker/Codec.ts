/**
 * A compact, canonical binary encoding of statelets, compiled from the protocol's Schemas: the
 * model checker stores every discovered state as a fingerprint of this encoding, and every state
 * waiting to be expanded as these bytes. Node ids are their index in the topology and other
 * strings their UTF-8 bytes, integers are zigzag varints, literal unions are one index, structs are
 * their fields in order, records are their entries sorted by key. The encoding of a state is a
 * function of its value only — the same in every thread and every run — so equal states have equal
 * bytes and threads agree on fingerprints.
 *
 * In `active` soup mode consumed messages are left out and the active ones are written in sorted
 * order, so the soup is encoded as a multiset.
 *
 * @since 0.1.0
 */
import type * as Schema from "effect/Schema"
import type * as SchemaAST from "effect/SchemaAST"
import type { Protocol } from "../core/Protocol.ts"
import type { Statelet } from "../core/Statelet.ts"
import type { Topology } from "../core/Topology.ts"

/** A growable byte buffer that values are written to. */
export class Writer {
  bytes = new Uint8Array(256)
  length = 0
  private ensure(n: number) {
    if (this.length + n <= this.bytes.length) return
    let size = this.bytes.length * 2
    while (size < this.length + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.bytes.subarray(0, this.length))
    this.bytes = next
  }
  reset() {
    this.length = 0
  }
  u8(v: number) {
    this.ensure(1)
    this.bytes[this.length++] = v
  }
  varint(v: number) {
    this.ensure(8)
    while (v >= 0x80) {
      this.bytes[this.length++] = (v & 0x7f) | 0x80
      v = Math.floor(v / 128)
    }
    this.bytes[this.length++] = v
  }
  f64(v: number) {
    this.ensure(8)
    new DataView(this.bytes.buffer, this.bytes.byteOffset + this.length, 8).setFloat64(0, v)
    this.length += 8
  }
  raw(bytes: Uint8Array) {
    this.ensure(bytes.length)
    this.bytes.set(bytes, this.length)
    this.length += bytes.length
  }
  /** A copy of what has been written. */
  take(): Uint8Array {
    return this.bytes.slice(0, this.length)
  }
}

/** Reads values back from bytes. */
export class Reader {
  pos = 0
  constructor(readonly bytes: Uint8Array) {}
  u8(): number {
    return this.bytes[this.pos++]!
  }
  varint(): number {
    let result = 0
    let scale = 1
    for (;;) {
      const b = this.bytes[this.pos++]!
      result += (b & 0x7f) * scale
      if (b < 0x80) return result
      scale *= 128
    }
  }
  f64(): number {
    const v = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.pos, 8).getFloat64(0)
    this.pos += 8
    return v
  }
}

/** A schema construct the checker cannot encode, with where it is. */
export class CodecError extends Error {
  override readonly name = "CodecError"
}

/** How strings are written. */
interface Strings {
  encode(w: Writer, s: string): void
  decode(r: Reader): string
}

const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder()

/** Node ids as their index in the topology, other strings as their UTF-8 bytes. */
const inline = (nodes: ReadonlyArray<string>): Strings => {
  const index = new Map(nodes.map((n, i) => [n, i]))
  return {
    encode: (w, s) => {
      const i = index.get(s)
      if (i !== undefined) return w.varint(i * 2)
      const bytes = textEncoder.encode(s)
      w.varint(bytes.length * 2 + 1)
      w.raw(bytes)
    },
    decode: (r) => {
      const head = r.varint()
      if (head % 2 === 0) return nodes[head / 2]!
      const n = (head - 1) / 2
      const s = textDecoder.decode(r.bytes.subarray(r.pos, r.pos + n))
      r.pos += n
      return s
    }
  }
}

interface ValueCodec {
  readonly encode: (w: Writer, v: unknown) => void
  readonly decode: (r: Reader) => unknown
  /** A cheap structural test, to pick the member of a union a value belongs to. */
  readonly test: (v: unknown) => boolean
}

const maxSmallInt = 2 ** 50

const compile = (ast: SchemaAST.AST, path: string, strings: Strings): ValueCodec => {
  switch (ast._tag) {
    case "Literal": {
      const literal = ast.literal
      return { encode: () => {}, decode: () => literal, test: (v) => v === literal }
    }
    case "Null":
      return { encode: () => {}, decode: () => null, test: (v) => v === null }
    case "Undefined":
    case "Void":
      return { encode: () => {}, decode: () => undefined, test: (v) => v === undefined }
    case "Boolean":
      return { encode: (w, v) => w.u8(v ? 1 : 0), decode: (r) => r.u8() === 1, test: (v) => typeof v === "boolean" }
    case "String":
      return {
        encode: (w, v) => strings.encode(w, v as string),
        decode: (r) => strings.decode(r),
        test: (v) => typeof v === "string"
      }
    case "Number":
      return {
        encode: (w, v) => {
          const n = v as number
          if (Number.isInteger(n) && Math.abs(n) < maxSmallInt) {
            w.varint((n >= 0 ? n * 2 : -n * 2 - 1) * 2)
          } else {
            w.varint(1)
            w.f64(n)
          }
        },
        decode: (r) => {
          const head = r.varint()
          if (head === 1) return r.f64()
          const z = head / 2
          return z % 2 === 0 ? z / 2 : -(z + 1) / 2
        },
        test: (v) => typeof v === "number"
      }
    case "Union": {
      const members = ast.types.map((t, i) => compile(t, `${path}|${i}`, strings))
      return {
        encode: (w, v) => {
          const i = members.findIndex((m) => m.test(v))
          if (i < 0) throw new CodecError(`${path}: ${JSON.stringify(v)} matches no member of the union`)
          w.varint(i)
          members[i]!.encode(w, v)
        },
        decode: (r) => members[r.varint()]!.decode(r),
        test: (v) => members.some((m) => m.test(v))
      }
    }
    case "Arrays": {
      if (ast.rest.length > 1) throw new CodecError(`${path}: arrays with elements after a rest element are not supported`)
      const elements = ast.elements.map((e, i) => compile(e, `${path}[${i}]`, strings))
      const rest = ast.rest.length === 1 ? compile(ast.rest[0]!, `${path}[]`, strings) : undefined
      return {
        encode: (w, v) => {
          const a = v as ReadonlyArray<unknown>
          for (let i = 0; i < elements.length; i++) elements[i]!.encode(w, a[i])
          if (rest !== undefined) {
            w.varint(a.length - elements.length)
            for (let i = elements.length; i < a.length; i++) rest.encode(w, a[i])
          }
        },
        decode: (r) => {
          const out: Array<unknown> = elements.map((e) => e.decode(r))
          if (rest !== undefined) for (let n = r.varint(); n > 0; n--) out.push(rest.decode(r))
          return out
        },
        test: (v) => Array.isArray(v)
      }
    }
    case "Objects": {
      if (ast.indexSignatures.length > 1) throw new CodecError(`${path}: records with several index signatures are not supported`)
      const fields = ast.propertySignatures.map((ps) => {
        if (typeof ps.name !== "string") throw new CodecError(`${path}: symbol keys are not supported`)
        if (ps.type.context?.isOptional === true) throw new CodecError(`${path}.${ps.name}: optional fields are not supported; use a union with a literal`)
        return { name: ps.name, codec: compile(ps.type, `${path}.${ps.name}`, strings) }
      })
      const index = ast.indexSignatures[0]
      const values = index === undefined ? undefined : compile(index.type, `${path}[key]`, strings)
      const named = new Set(fields.map((f) => f.name))
      const discriminants = fields.filter((f) => {
        const t = ast.propertySignatures.find((ps) => ps.name === f.name)!.type
        return t._tag === "Literal"
      })
      return {
        encode: (w, v) => {
          const o = v as Record<string, unknown>
          for (const f of fields) f.codec.encode(w, o[f.name])
          if (values !== undefined) {
            const keys = fields.length === 0 ? Object.keys(o) : Object.keys(o).filter((k) => !named.has(k))
            if (keys.length > 1) keys.sort()
            w.varint(keys.length)
            for (const k of keys) {
              strings.encode(w, k)
              values.encode(w, o[k])
            }
          }
        },
        decode: (r) => {
          const o: Record<string, unknown> = {}
          for (const f of fields) o[f.name] = f.codec.decode(r)
          if (values !== undefined) {
            for (let n = r.varint(); n > 0; n--) {
              const k = strings.decode(r)
              o[k] = values.decode(r)
            }
          }
          return o
        },
        test: (v) =>
          typeof v === "object" &&
          v !== null &&
          !Array.isArray(v) &&
          (discriminants.length > 0
            ? discriminants.every((d) => d.codec.test((v as Record<string, unknown>)[d.name]))
            : fields.every((f) => f.name in (v as object)))
      }
    }
    case "Suspend":
      return compile(ast.thunk(), path, strings)
    default:
      throw new CodecError(`${path}: the checker cannot encode a ${ast._tag} schema`)
  }
}

/** How a model keeps the soup. */
export type SoupMode = "history" | "active"

/** Encodes and decodes one protocol instance's statelets. */
export interface StateCodec {
  /** Writes the canonical encoding of `statelet` (consumed messages left out in `active` mode). */
  encode(w: Writer, statelet: Statelet): void
  decode(bytes: Uint8Array): Statelet
  /** Writes the canonical encoding of one local state of `role`. */
  encodeLocal(w: Writer, role: string, local: unknown): void
  /** Writes the canonical encoding of one message: tag, endpoints and payload. */
  encodeMessage(w: Writer, message: { readonly tag: string; readonly from: string; readonly to: string; readonly payload: unknown }): void
  /** Reads one local state of `role` written by `encodeLocal`. */
  decodeLocal(r: Reader, role: string): unknown
  /** Reads one message written by `encodeMessage`. */
  decodeMessage(r: Reader): { readonly tag: string; readonly from: string; readonly to: string; readonly payload: unknown }
}

/**
 * Compiles the codec of a protocol instance: every part written out in full, strings inline except
 * node ids, so that the bytes of a state are a function of its value alone — the same in every
 * thread and every run, which lets threads agree on fingerprints. Throws `CodecError` naming the
 * role or tag and the path of any schema construct it cannot encode.
 *
 * @example
 * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
 * const system = TokenRing.model({ members: 2 }).system
 * const codec = make(system.protocol, system.topology, "history")
 * const w = new Writer()
 * codec.encode(w, { locals: { member: { m1: { holding: true, visited: false }, m2: { holding: false, visited: true } } }, soup: [], crashed: [] })
 * [...w.take()] // => [1, 0, 0, 1, 0, 0]
 */
export const make = (protocol: Protocol<any>, topology: Topology<any>, soup: SoupMode): StateCodec => {
  const texts = inline(topology.all)
  const roles = Object.keys(protocol.roles)
  const roleCodecs = roles.map((role) => compile((protocol.roles[role]!.state as Schema.Top).ast, `role ${role}`, texts))
  const tags = Object.keys(protocol.messages)
  const tagIndex = new Map(tags.map((t, i) => [t, i]))
  const payloadCodecs = tags.map((tag) => compile((protocol.messages[tag]!.payload as Schema.Top).ast, `message ${tag}`, texts))
  const nodeIndex = new Map(topology.all.map((n, i) => [n, i]))
  const roleIndex = new Map(roles.map((r, i) => [r, i]))
  const encodeMessage = (w: Writer, m: { readonly tag: string; readonly from: string; readonly to: string; readonly payload: unknown }) => {
    const t = tagIndex.get(m.tag)!
    w.varint(t)
    w.varint(nodeIndex.get(m.from)!)
    w.varint(nodeIndex.get(m.to)!)
    payloadCodecs[t]!.encode(w, m.payload)
  }
  const decodeMessage = (r: Reader) => {
    const t = r.varint()
    const from = topology.all[r.varint()]!
    const to = topology.all[r.varint()]!
    return { tag: tags[t]!, from, to, payload: payloadCodecs[t]!.decode(r) }
  }
  const scratch = new Writer()
  const messageBytes = (m: { tag: string; from: string; to: string; payload: unknown }): Uint8Array => {
    scratch.reset()
    encodeMessage(scratch, m)
    return scratch.take()
  }
  const compareBytes = (a: Uint8Array, b: Uint8Array) => {
    const n = Math.min(a.length, b.length)
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!
    return a.length - b.length
  }
  return {
    encode: (w, statelet) => {
      const locals = statelet.locals as Record<string, Record<string, unknown>>
      for (let r = 0; r < roles.length; r++) {
        const role = roles[r]!
        const codec = roleCodecs[r]!
        for (const node of (topology.nodes as Record<string, ReadonlyArray<string>>)[role]!) codec.encode(w, locals[role]![node])
      }
      w.varint(statelet.crashed.length)
      for (const node of [...statelet.crashed].sort()) w.varint(nodeIndex.get(node)!)
      if (soup === "history") {
        w.varint(statelet.soup.length)
        for (const m of statelet.soup) {
          encodeMessage(w, m)
          w.u8(m.active ? 1 : 0)
        }
      } else {
        const active = statelet.soup.filter((m) => m.active).map(messageBytes).sort(compareBytes)
        w.varint(active.length)
        for (const bytes of active) w.raw(bytes)
      }
    },
    encodeLocal: (w, role, local) => roleCodecs[roleIndex.get(role)!]!.encode(w, local),
    encodeMessage,
    decodeLocal: (r, role) => roleCodecs[roleIndex.get(role)!]!.decode(r),
    decodeMessage,
    decode: (bytes) => {
      const r = new Reader(bytes)
      const locals: Record<string, Record<string, unknown>> = {}
      for (let i = 0; i < roles.length; i++) {
        const role = roles[i]!
        const codec = roleCodecs[i]!
        const byNode: Record<string, unknown> = {}
        for (const node of (topology.nodes as Record<string, ReadonlyArray<string>>)[role]!) byNode[node] = codec.decode(r)
        locals[role] = byNode
      }
      const crashed: Array<string> = []
      for (let n = r.varint(); n > 0; n--) crashed.push(topology.all[r.varint()]!)
      const messages: Array<any> = []
      for (let n = r.varint(), id = 0; n > 0; n--, id++) {
        const m = decodeMessage(r)
        const active = soup === "history" ? r.u8() === 1 : true
        messages.push({ id, ...m, active })
      }
      return { locals: locals as any, soup: messages, crashed }
    }
  }
}
