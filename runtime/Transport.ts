/**
 * Framed, authenticated connections over Effect's sockets (`effect/socket`, with the Node TCP
 * adapters of `@effect/platform-node-shared`): reading length-prefixed frames from a socket,
 * and the two sides of the handshake of `Handshake.ts`, after which every frame is sealed.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Socket from "effect/socket/Socket"
import * as Frame from "./Frame.ts"
import * as Handshake from "./Handshake.ts"
import * as Wire from "./Wire.ts"

/**
 * A connection that cannot go on: the peer misbehaved, failed to authenticate, or went away.
 *
 * @example
 * new LinkError({ reason: "no hello within 5000 ms", rejected: false }).message // => "no hello within 5000 ms"
 */
export class LinkError extends Data.TaggedError("LinkError")<{
  readonly reason: string
  /** True when the peer sent a frame that was refused; false when the connection closed or timed out. */
  readonly rejected: boolean
}> {
  override get message(): string {
    return this.reason
  }
}

/** A socket read as frames. */
export interface Framed {
  /** The next frame. */
  readonly next: Effect.Effect<Uint8Array, LinkError>
  /** Every frame already received, or else the frames of the next chunk (at least one). */
  readonly batch: Effect.Effect<ReadonlyArray<Uint8Array>, LinkError>
  readonly write: (body: Uint8Array) => Effect.Effect<void, LinkError>
  readonly writeAll: (bodies: ReadonlyArray<Uint8Array>) => Effect.Effect<void, LinkError>
}

const socketReason = (e: Socket.SocketError): string => {
  const reason = e.reason
  if (reason._tag === "SocketCloseError") return `the connection closed (code ${reason.code})`
  const cause = (reason as { cause?: unknown }).cause
  return `${reason._tag}${cause instanceof Error ? `: ${cause.message}` : ""}`
}

/** Opens a socket's reader and writer (in the current scope) and reads frames of at most `maxFrame` bytes. */
export const framed = (socket: Socket.Socket, maxFrame: number): Effect.Effect<Framed, LinkError, Scope.Scope> =>
  Effect.gen(function* () {
    const pull = yield* Effect.mapError(Socket.readerBytes(socket), (e) => new LinkError({ reason: socketReason(e), rejected: false }))
    const writer = yield* socket.writer
    const reader = new Frame.Reader(maxFrame)
    let queue: Array<Uint8Array> = []
    const fill: Effect.Effect<void, LinkError> = Effect.flatMap(
      Effect.mapError(pull, (e) => new LinkError({ reason: socketReason(e), rejected: false })),
      (chunks) => {
        try {
          for (const chunk of chunks) for (const frame of reader.push(chunk)) queue.push(frame)
        } catch (e) {
          return Effect.fail(new LinkError({ reason: (e as Error).message, rejected: true }))
        }
        return queue.length > 0 ? Effect.void : fill
      }
    )
    const batch: Effect.Effect<ReadonlyArray<Uint8Array>, LinkError> = Effect.suspend(() => {
      if (queue.length > 0) {
        const out = queue
        queue = []
        return Effect.succeed(out)
      }
      return Effect.flatMap(fill, () => batch)
    })
    const next: Effect.Effect<Uint8Array, LinkError> = Effect.suspend(() =>
      queue.length > 0 ? Effect.succeed(queue.shift()!) : Effect.flatMap(fill, () => next)
    )
    const mapWrite = Effect.mapError((e: Socket.SocketError) => new LinkError({ reason: socketReason(e), rejected: false }))
    return {
      next,
      batch,
      write: (body) => mapWrite(writer.write(Frame.encode(body))),
      writeAll: (bodies) =>
        bodies.length === 0 ? Effect.void : mapWrite(writer.writeAll(bodies.map(Frame.encode) as [Uint8Array, ...Array<Uint8Array>]))
    }
  })

/** An authenticated connection: frames are sealed and opened with the session's keys. */
export interface Session {
  readonly peer: string
  readonly sealer: Handshake.Sealer
  readonly opener: Handshake.Opener
}

const within = <A>(ms: number, what: string, effect: Effect.Effect<A, LinkError>): Effect.Effect<A, LinkError> =>
  Effect.timeoutOrElse(effect, { duration: ms, orElse: () => Effect.fail(new LinkError({ reason: `no ${what} within ${ms} ms`, rejected: false })) })

const decodeFrame = <S extends Schema.Codec<any, any>>(schema: S, what: string, frame: Uint8Array): Effect.Effect<S["Type"], LinkError> => {
  const json = Wire.fromBytes(frame)
  if (!json.ok) return Effect.fail(new LinkError({ reason: `bad ${what}: ${json.reason}`, rejected: true }))
  return Effect.mapError(
    Schema.decodeUnknownEffect(schema)(json.value),
    (e) => new LinkError({ reason: `bad ${what}: ${String(e.message).replace(/\s+/g, " ").slice(0, 160)}`, rejected: true })
  )
}

/** What the client side of a handshake needs. */
export interface ClientOptions {
  readonly self: string
  readonly peer: string
  readonly secret: Uint8Array
  readonly instance: string
  readonly timeoutMs: number
}

/**
 * The connecting side of the handshake. Returns the session and the last message number the
 * peer already holds from this node's instance.
 */
export const dial = (conn: Framed, options: ClientOptions): Effect.Effect<{ session: Session; upTo: number }, LinkError> =>
  Effect.gen(function* () {
    const clientNonce = Handshake.nonce()
    const hello: Wire.Hello = { k: "hello", v: 1, from: options.self, to: options.peer, nonce: clientNonce, instance: options.instance }
    yield* conn.write(Wire.toBytes(hello))
    const challenge = yield* decodeFrame(Wire.Challenge, "challenge", yield* within(options.timeoutMs, "challenge", conn.next))
    const parties: Handshake.Session = { client: options.self, server: options.peer, clientNonce, serverNonce: challenge.nonce }
    if (!Handshake.verify(options.secret, "server", parties, challenge.proof)) {
      return yield* new LinkError({ reason: `${options.peer} did not prove that it holds the cluster's secret`, rejected: true })
    }
    yield* conn.write(Wire.toBytes({ k: "auth", proof: Handshake.proof(options.secret, "client", parties) } satisfies Wire.Auth))
    const keys = Handshake.keys(options.secret, parties)
    const session: Session = { peer: options.peer, sealer: new Handshake.Sealer(keys.clientToServer), opener: new Handshake.Opener(keys.serverToClient) }
    const sealed = yield* within(options.timeoutMs, "ready", conn.next)
    const body = session.opener.open(sealed)
    if (body === undefined) return yield* new LinkError({ reason: `${options.peer} refused the handshake`, rejected: true })
    const ready = yield* decodeFrame(Wire.Ready, "ready", body)
    return { session, upTo: ready.upTo }
  })

/** What the listening side of a handshake needs. */
export interface ServerOptions {
  readonly self: string
  readonly secret: Uint8Array
  /** Whether `id` may connect: a configured peer. */
  readonly isPeer: (id: string) => boolean
  /** The last message number held from a peer's journal instance. */
  readonly heldUpTo: (peer: string, instance: string) => number
  readonly timeoutMs: number
}

/** The listening side of the handshake: the authenticated peer and its journal instance. */
export const accept = (conn: Framed, options: ServerOptions): Effect.Effect<{ session: Session; instance: string }, LinkError> =>
  Effect.gen(function* () {
    const hello = yield* decodeFrame(Wire.Hello, "hello", yield* within(options.timeoutMs, "hello", conn.next))
    if (hello.to !== options.self) return yield* new LinkError({ reason: `a hello for ${JSON.stringify(hello.to).slice(0, 60)}, but this node is ${options.self}`, rejected: true })
    if (hello.from === options.self || !options.isPeer(hello.from)) {
      return yield* new LinkError({ reason: `${JSON.stringify(hello.from).slice(0, 60)} is not a configured peer`, rejected: true })
    }
    const serverNonce = Handshake.nonce()
    const parties: Handshake.Session = { client: hello.from, server: options.self, clientNonce: hello.nonce, serverNonce }
    yield* conn.write(Wire.toBytes({ k: "challenge", nonce: serverNonce, proof: Handshake.proof(options.secret, "server", parties) } satisfies Wire.Challenge))
    const auth = yield* decodeFrame(Wire.Auth, "auth", yield* within(options.timeoutMs, "auth", conn.next))
    if (!Handshake.verify(options.secret, "client", parties, auth.proof)) {
      return yield* new LinkError({ reason: `${hello.from} did not prove that it holds the cluster's secret`, rejected: true })
    }
    const keys = Handshake.keys(options.secret, parties)
    const session: Session = { peer: hello.from, sealer: new Handshake.Sealer(keys.serverToClient), opener: new Handshake.Opener(keys.clientToServer) }
    yield* conn.write(session.sealer.seal(Wire.toBytes({ k: "ready", upTo: options.heldUpTo(hello.from, hello.instance) } satisfies Wire.Ready)))
    return { session, instance: hello.instance }
  })
