/**
 * What nodes say to each other inside frames: the handshake (`hello`, `challenge`, `auth`,
 * `confirm` or `refused`, `ready`), then protocol messages (`msg`, numbered per sender and receiver) and cumulative
 * acknowledgements (`ack`). Bodies are JSON; payloads are encoded with their tag's Schema, and a
 * received message is accepted only if its tag is one the receiving role receives, its sender
 * plays the role that sends that tag, and its payload decodes.
 *
 * The messages a node releases at once travel as one frame whose body is a JSON array of them (a
 * batch): one frame, one MAC and one socket write for the lot, and each message in it is still
 * checked, accepted or rejected on its own.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import type { Protocol } from "../core/Protocol.ts"
import type { Topology } from "../core/Topology.ts"

/**
 * The function that turns a value of `schema` into its JSON form, for values the step function has
 * already checked against `schema` (payloads sent, local states). When the JSON form of the schema
 * transforms nothing (structs of integers, strings, booleans, literals, arrays and tuples of them:
 * its AST flips to itself), that function is the identity, and a node does not pay for a Schema
 * encode on every record it writes; otherwise it is the Schema's encoder. Either way the JSON form
 * decodes to the same value.
 *
 * @example
 * import * as Schema from "effect/Schema"
 * const counts = Schema.Struct({ sent: Schema.Int })
 * const value = { sent: 1 }
 * jsonEncoder(counts)(value) === value // => true
 * jsonEncoder(Schema.Struct({ at: Schema.Date }))({ at: new Date(0) }) // => { at: "1970-01-01T00:00:00.000Z" }
 */
export const jsonEncoder = (schema: Schema.Top): ((value: unknown) => unknown) => {
  const codec = Schema.toCodecJson(schema as Schema.Codec<unknown, unknown>)
  if (SchemaAST.flip(codec.ast) === codec.ast) return (value) => value
  return Schema.encodeUnknownSync(codec)
}

/** The version of the handshake in `Hello.v`: 2 since the client proves first (`Handshake.ts`). */
export const handshakeVersion = 2

/**
 * The first frame of a connection: who connects, to whom, its nonce (the client's commitment in a
 * shared-secret handshake; unused under TLS, where the certificates authenticate) and its
 * journal's instance.
 */
export const Hello = Schema.Struct({
  k: Schema.Literal("hello"),
  v: Schema.Literal(handshakeVersion),
  from: Schema.String,
  to: Schema.String,
  nonce: Schema.String.check(Schema.isPattern(/^[0-9a-f]{1,64}$/)),
  instance: Schema.String.check(Schema.isPattern(/^[0-9A-Za-z_-]{1,64}$/))
})
export type Hello = typeof Hello.Type

/** The server's answer to a hello under a shared secret: its nonce, and no proof (the client proves first). */
export const Challenge = Schema.Struct({ k: Schema.Literal("challenge"), nonce: Schema.String.check(Schema.isPattern(/^[0-9a-f]{1,64}$/)) })
export type Challenge = typeof Challenge.Type

/** The client's proof of the secret, over both nonces. */
export const Auth = Schema.Struct({ k: Schema.Literal("auth"), proof: Schema.String })
export type Auth = typeof Auth.Type

/** The server's proof of the secret, sent only once the client's proof has been checked. */
export const Confirm = Schema.Struct({ k: Schema.Literal("confirm"), proof: Schema.String })
export type Confirm = typeof Confirm.Type

/**
 * A handshake the server refuses, and why (not a configured peer, a wrong proof, a certificate
 * for another node), so that the client can say so rather than retry in silence. The reason names
 * ids and what failed, never anything derived from a secret.
 */
export const Refused = Schema.Struct({ k: Schema.Literal("refused"), reason: Schema.String })
export type Refused = typeof Refused.Type

/** The server accepts: `upTo` is the last message number it holds from this client's instance. */
export const Ready = Schema.Struct({ k: Schema.Literal("ready"), upTo: Schema.Int })
export type Ready = typeof Ready.Type

/** A protocol message, numbered from 1 per sender instance and receiver. */
export interface Msg {
  readonly k: "msg"
  readonly seq: number
  readonly tag: string
  readonly payload: unknown
}

/**
 * The JSON text of a `msg` (what `JSON.stringify` makes of it), from its payload's JSON text.
 *
 * @example
 * msgText(3, "ping", '{"n":2}') === JSON.stringify({ k: "msg", seq: 3, tag: "ping", payload: { n: 2 } }) // => true
 */
export const msgText = (seq: number, tag: string, payloadText: string): string => `{"k":"msg","seq":${seq},"tag":${JSON.stringify(tag)},"payload":${payloadText}}`

/** Every message up to `upTo` is durably held by the receiver. */
export interface Ack {
  readonly k: "ack"
  readonly upTo: number
}

const decoder = new TextDecoder("utf-8", { fatal: true })

/**
 * The bytes of a frame body.
 *
 * @example
 * new TextDecoder().decode(toBytes({ k: "ack", upTo: 3 })) // => '{"k":"ack","upTo":3}'
 */
export const toBytes = (body: unknown): Uint8Array => Buffer.from(JSON.stringify(body))

/**
 * The bytes of a batch: the JSON texts of messages, as one JSON array.
 *
 * @example
 * new TextDecoder().decode(batchBytes(['{"k":"ack","upTo":1}', "2"])) // => '[{"k":"ack","upTo":1},2]'
 */
export const batchBytes = (texts: ReadonlyArray<string>): Uint8Array => Buffer.from(`[${texts.join(",")}]`)

/**
 * The JSON value of a frame body, or a reason why it is not one.
 *
 * @example
 * fromBytes(new TextEncoder().encode("[1]")) // => { ok: true, value: [1] }
 * fromBytes(new Uint8Array([0xff])).ok // => false
 */
export const fromBytes = (bytes: Uint8Array): { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string } => {
  try {
    return { ok: true, value: JSON.parse(decoder.decode(bytes)) }
  } catch (e) {
    return { ok: false, reason: `the frame is not UTF-8 JSON (${(e as Error).message})` }
  }
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * A data frame's body as a `msg` or an `ack`, or the reason it is neither.
 *
 * @example
 * dataFrame({ k: "ack", upTo: 2 }) // => { k: "ack", upTo: 2 }
 * dataFrame({ k: "msg", seq: 0, tag: "x", payload: 1 }) // => "a msg's seq must be a positive integer"
 */
export const dataFrame = (value: unknown): Msg | Ack | string => {
  if (!isRecord(value)) return "the frame is not a JSON object"
  if (value.k === "ack") {
    return Number.isSafeInteger(value.upTo) && (value.upTo as number) >= 0 ? { k: "ack", upTo: value.upTo as number } : "an ack's upTo must be a non-negative integer"
  }
  if (value.k !== "msg") return `unknown frame kind ${JSON.stringify(value.k ?? null)}`
  if (!Number.isSafeInteger(value.seq) || (value.seq as number) < 1) return "a msg's seq must be a positive integer"
  if (typeof value.tag !== "string") return "a msg's tag must be a string"
  if (!Object.hasOwn(value, "payload")) return "a msg has no payload"
  return { k: "msg", seq: value.seq as number, tag: value.tag, payload: value.payload }
}

/**
 * The data frames of a body: each element of a batch, or the body itself; an element that is not
 * a `msg` or an `ack` is the reason why, and an empty batch is one reason.
 *
 * @example
 * dataFrames([{ k: "ack", upTo: 2 }, 7]) // => [{ k: "ack", upTo: 2 }, "the frame is not a JSON object"]
 * dataFrames({ k: "ack", upTo: 2 }) // => [{ k: "ack", upTo: 2 }]
 */
export const dataFrames = (value: unknown): Array<Msg | Ack | string> => {
  if (!Array.isArray(value)) return [dataFrame(value)]
  if (value.length === 0) return ["an empty batch"]
  return value.map(dataFrame)
}

/** A received message that was accepted (its payload decoded) or the reason it was rejected. */
export type Checked = { readonly ok: true; readonly payload: unknown } | { readonly ok: false; readonly reason: string }

/**
 * Encodes payloads for the wire and decodes and checks received ones, with each tag's Schema
 * (as JSON), for the protocol instance on `topology`.
 */
export class Codec {
  private readonly codecs = new Map<string, { encode: (u: unknown) => unknown; decode: (u: unknown) => unknown }>()
  constructor(
    readonly protocol: Protocol<any>,
    readonly topology: Topology<any>
  ) {
    for (const [tag, declaration] of Object.entries(protocol.messages)) {
      const codec = Schema.toCodecJson(declaration.payload as Schema.Codec<unknown, unknown>)
      this.codecs.set(tag, { encode: jsonEncoder(declaration.payload), decode: Schema.decodeUnknownSync(codec) })
    }
  }

  /** The JSON form of a payload the step function has accepted. */
  encode(tag: string, payload: unknown): unknown {
    return this.codecs.get(tag)!.encode(payload)
  }

  /** The payload of a JSON form read back from this node's own journal. */
  decode(tag: string, json: unknown): unknown {
    return this.codecs.get(tag)!.decode(json)
  }

  /**
   * Checks a message `from` sent to `to`: the tag is one `to`'s role receives, `from` plays the role
   * that sends it, and the payload decodes with the tag's Schema.
   *
   * @example
   * import * as PingPongSystem from "../test/fixtures/PingPongSystem.ts"
   * const system = PingPongSystem.system()
   * const codec = new Codec(system.protocol, system.topology)
   * codec.check("p1", "q1", "ping", { n: 0 }) // => { ok: true, payload: { n: 0 } }
   * codec.check("q1", "q1", "ping", { n: 0 }).ok // => false
   * codec.check("p1", "q1", "pong", { n: 0, note: "" }) // => { ok: false, reason: 'tag "pong" is not received by role "ponger" (it is received by "pinger")' }
   */
  check(from: string, to: string, tag: string, json: unknown): Checked {
    const receiver = this.topology.roleOf.get(to)
    const sender = this.topology.roleOf.get(from)
    const receive = this.protocol.receiveOf.get(tag)
    const send = this.protocol.sendOf.get(tag)
    if (receive === undefined || send === undefined || !Object.hasOwn(this.protocol.messages, tag)) {
      return { ok: false, reason: `unknown tag ${JSON.stringify(tag).slice(0, 80)} (tags of "${this.protocol.label}": ${Object.keys(this.protocol.messages).join(", ")})` }
    }
    if (receive.by !== receiver) return { ok: false, reason: `tag "${tag}" is not received by role "${String(receiver)}" (it is received by "${receive.by}")` }
    if (sender === undefined) return { ok: false, reason: `the sender "${from}" is not a node of the cluster` }
    if (send.from !== sender) return { ok: false, reason: `tag "${tag}" is sent by role "${send.from}", but ${from} plays "${String(sender)}"` }
    try {
      return { ok: true, payload: this.codecs.get(tag)!.decode(json) }
    } catch (e) {
      return { ok: false, reason: `the payload of "${tag}" does not decode: ${String((e as Error).message).replace(/\s+/g, " ").slice(0, 200)}` }
    }
  }
}
