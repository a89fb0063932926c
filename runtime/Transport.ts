/**
 * Framed, authenticated connections over plain `node:net` sockets: frames read out of the
 * socket's chunks as they arrive and handed to a callback, frames written in one `write` per
 * batch, and the two sides of the handshake of `Handshake.ts`, after which every frame is sealed.
 *
 * The runtime's hot path — a frame in, its messages checked and journaled, a batch of frames
 * out — runs in socket callbacks, without a fiber or a queue per frame: Effect stays at the
 * program boundary (`Node.ts`). With Effect's sockets (`effect/socket`) every chunk went through
 * a pull, a queue and a fiber resumption per link, which cost more CPU per message than the
 * protocol's own work (README, Running on a network).
 *
 * @since 0.1.0
 */
import type * as net from "node:net"
import * as Schema from "effect/Schema"
import * as Frame from "./Frame.ts"
import * as Handshake from "./Handshake.ts"
import * as Wire from "./Wire.ts"

/**
 * A connection that cannot go on: the peer misbehaved, failed to authenticate, or went away.
 *
 * @example
 * new LinkError({ reason: "no hello within 5000 ms", rejected: false }).message // => "no hello within 5000 ms"
 */
export class LinkError extends Error {
  override readonly name = "LinkError"
  readonly reason: string
  /** True when the peer sent a frame that was refused; false when the connection closed or timed out. */
  readonly rejected: boolean
  constructor(fields: { readonly reason: string; readonly rejected: boolean }) {
    super(fields.reason)
    this.reason = fields.reason
    this.rejected = fields.rejected
  }
}

const socketReason = (e: Error): string => {
  const code = (e as NodeJS.ErrnoException).code
  return code === undefined ? e.message : `${code}: ${e.message}`
}

/**
 * A socket read and written as frames. Until `onFrames` is called, frames are queued for `next`
 * (the handshake reads them one at a time); afterwards every chunk's frames go to the callback at
 * once. The first failure — a socket error, the peer closing, an oversized frame, or `close` —
 * ends the connection, destroys the socket and is reported once to `onClose`.
 *
 * @example
 * import * as net from "node:net"
 * const connection = new Connection(new net.Socket(), 1024)
 * connection.close(new LinkError({ reason: "done", rejected: false }))
 * connection.closed // => true
 */
export class Connection {
  private readonly reader: Frame.Reader
  private queued: Array<Uint8Array> = []
  private waiter: { readonly resolve: (frame: Uint8Array) => void; readonly reject: (e: LinkError) => void } | undefined
  private handler: ((frames: ReadonlyArray<Uint8Array>) => void) | undefined
  private ending: LinkError | undefined
  private closeListener: ((e: LinkError) => void) | undefined

  constructor(
    readonly socket: net.Socket,
    maxFrame: number
  ) {
    this.reader = new Frame.Reader(maxFrame)
    socket.on("data", (chunk: Buffer) => this.receive(chunk))
    socket.on("error", (e) => this.close(new LinkError({ reason: socketReason(e), rejected: false })))
    socket.on("close", () => this.close(new LinkError({ reason: "the connection closed", rejected: false })))
  }

  /** Whether the connection has ended. */
  get closed(): boolean {
    return this.ending !== undefined
  }

  private receive(chunk: Buffer): void {
    if (this.ending !== undefined) return
    let frames: Array<Uint8Array>
    try {
      frames = this.reader.push(chunk)
    } catch (e) {
      return this.close(new LinkError({ reason: (e as Error).message, rejected: true }))
    }
    if (frames.length === 0) return
    if (this.handler !== undefined) return this.handler(frames)
    for (const frame of frames) this.queued.push(frame)
    this.wake()
  }

  private wake(): void {
    const w = this.waiter
    if (w === undefined) return
    if (this.ending !== undefined) {
      this.waiter = undefined
      return w.reject(this.ending)
    }
    const frame = this.queued.shift()
    if (frame === undefined) return
    this.waiter = undefined
    w.resolve(frame)
  }

  /** The next frame, within `timeoutMs` (else a `LinkError` saying no `what` came). */
  next(timeoutMs: number, what: string): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined
        reject(new LinkError({ reason: `no ${what} within ${timeoutMs} ms`, rejected: false }))
      }, timeoutMs)
      this.waiter = {
        resolve: (frame) => {
          clearTimeout(timer)
          resolve(frame)
        },
        reject: (e) => {
          clearTimeout(timer)
          reject(e)
        }
      }
      this.wake()
    })
  }

  /** From now on, hands every received frame to `handler`, starting with those already queued. */
  onFrames(handler: (frames: ReadonlyArray<Uint8Array>) => void): void {
    this.handler = handler
    const queued = this.queued
    this.queued = []
    if (queued.length > 0 && this.ending === undefined) handler(queued)
  }

  /** Calls `listener` once the connection has ended (at once if it has). */
  onClose(listener: (e: LinkError) => void): void {
    if (this.ending !== undefined) return listener(this.ending)
    this.closeListener = listener
  }

  /** Writes frames (bodies, each given its length prefix) in one socket write. */
  write(...bodies: ReadonlyArray<Uint8Array>): void {
    if (this.ending !== undefined || bodies.length === 0) return
    this.socket.write(bodies.length === 1 ? Frame.encode(bodies[0]!) : Frame.encodeAll(bodies))
  }

  /** Whether the socket's buffer is full: write again after `whenDrained`. */
  get congested(): boolean {
    return this.socket.writableNeedDrain
  }

  /** Calls `f` once the socket's buffer has drained. */
  whenDrained(f: () => void): void {
    this.socket.once("drain", f)
  }

  /** Ends the connection with `error` (the first end wins) and destroys the socket. */
  close(error: LinkError): void {
    if (this.ending !== undefined) return
    this.ending = error
    this.socket.destroy()
    this.wake()
    const listener = this.closeListener
    this.closeListener = undefined
    listener?.(error)
  }
}

/** An authenticated connection: frames are sealed and opened with the session's keys. */
export interface Session {
  readonly peer: string
  readonly sealer: Handshake.Sealer
  readonly opener: Handshake.Opener
}

const decodeFrame = <S extends Schema.Codec<any, any>>(schema: S, what: string, frame: Uint8Array): S["Type"] => {
  const json = Wire.fromBytes(frame)
  if (!json.ok) throw new LinkError({ reason: `bad ${what}: ${json.reason}`, rejected: true })
  try {
    return Schema.decodeUnknownSync(schema)(json.value)
  } catch (e) {
    throw new LinkError({ reason: `bad ${what}: ${String((e as Error).message).replace(/\s+/g, " ").slice(0, 160)}`, rejected: true })
  }
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
 * The connecting side of the handshake. Resolves with the session and the last message number
 * the peer already holds from this node's instance; rejects with a `LinkError`.
 */
export const dial = async (conn: Connection, options: ClientOptions): Promise<{ session: Session; upTo: number }> => {
  const clientNonce = Handshake.nonce()
  const hello: Wire.Hello = { k: "hello", v: 1, from: options.self, to: options.peer, nonce: clientNonce, instance: options.instance }
  conn.write(Wire.toBytes(hello))
  const challenge = decodeFrame(Wire.Challenge, "challenge", await conn.next(options.timeoutMs, "challenge"))
  const parties: Handshake.Session = { client: options.self, server: options.peer, clientNonce, serverNonce: challenge.nonce }
  if (!Handshake.verify(options.secret, "server", parties, challenge.proof)) {
    throw new LinkError({ reason: `${options.peer} did not prove that it holds the cluster's secret`, rejected: true })
  }
  conn.write(Wire.toBytes({ k: "auth", proof: Handshake.proof(options.secret, "client", parties) } satisfies Wire.Auth))
  const keys = Handshake.keys(options.secret, parties)
  const session: Session = { peer: options.peer, sealer: new Handshake.Sealer(keys.clientToServer), opener: new Handshake.Opener(keys.serverToClient) }
  const body = session.opener.open(await conn.next(options.timeoutMs, "ready"))
  if (body === undefined) throw new LinkError({ reason: `${options.peer} refused the handshake`, rejected: true })
  const ready = decodeFrame(Wire.Ready, "ready", body)
  return { session, upTo: ready.upTo }
}

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

/**
 * The listening side of the handshake: resolves with the authenticated peer and its journal
 * instance; rejects with a `LinkError`.
 */
export const accept = async (conn: Connection, options: ServerOptions): Promise<{ session: Session; instance: string }> => {
  const hello = decodeFrame(Wire.Hello, "hello", await conn.next(options.timeoutMs, "hello"))
  if (hello.to !== options.self) throw new LinkError({ reason: `a hello for ${JSON.stringify(hello.to).slice(0, 60)}, but this node is ${options.self}`, rejected: true })
  if (hello.from === options.self || !options.isPeer(hello.from)) {
    throw new LinkError({ reason: `${JSON.stringify(hello.from).slice(0, 60)} is not a configured peer`, rejected: true })
  }
  const serverNonce = Handshake.nonce()
  const parties: Handshake.Session = { client: hello.from, server: options.self, clientNonce: hello.nonce, serverNonce }
  conn.write(Wire.toBytes({ k: "challenge", nonce: serverNonce, proof: Handshake.proof(options.secret, "server", parties) } satisfies Wire.Challenge))
  const auth = decodeFrame(Wire.Auth, "auth", await conn.next(options.timeoutMs, "auth"))
  if (!Handshake.verify(options.secret, "client", parties, auth.proof)) {
    throw new LinkError({ reason: `${hello.from} did not prove that it holds the cluster's secret`, rejected: true })
  }
  const keys = Handshake.keys(options.secret, parties)
  const session: Session = { peer: hello.from, sealer: new Handshake.Sealer(keys.serverToClient), opener: new Handshake.Opener(keys.clientToServer) }
  conn.write(session.sealer.seal(Wire.toBytes({ k: "ready", upTo: options.heldUpTo(hello.from, hello.instance) } satisfies Wire.Ready)))
  return { session, instance: hello.instance }
}
