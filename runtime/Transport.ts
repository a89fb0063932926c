/**
 * Framed, authenticated connections over `node:net` sockets (or TLS sockets, `Tls.ts`): frames
 * read out of the socket's chunks as they arrive and handed to a callback, frames written in one
 * `write` per batch, and the two sides of the handshake: the shared secret's of `Handshake.ts`,
 * after which every frame is sealed, or, inside TLS, a hello checked against the certificate.
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
import * as Tls from "./Tls.ts"
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
 * once. Until `authenticated` is called, frames above `Frame.preAuthMaxFrame` bytes (or
 * `preAuthMaxFrame`, if given) are refused; afterwards those above `maxFrame`. The first failure —
 * a socket error, the peer closing, an oversized frame, or `close` — ends the connection, destroys
 * the socket and is reported once to `onClose`.
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
    private readonly maxFrame: number,
    preAuthMaxFrame: number = Frame.preAuthMaxFrame
  ) {
    this.reader = new Frame.Reader(Math.min(maxFrame, preAuthMaxFrame))
    socket.on("data", (chunk: Buffer) => this.receive(chunk))
    socket.on("error", (e) => this.close(Tls.isRefusal(e) ? new LinkError({ reason: Tls.describe(e), rejected: true }) : new LinkError({ reason: socketReason(e), rejected: false })))
    socket.on("close", () => this.close(new LinkError({ reason: "the connection closed", rejected: false })))
  }

  /** Whether the connection has ended. */
  get closed(): boolean {
    return this.ending !== undefined
  }

  /** The peer is authenticated: from now on, frames up to `maxFrame` bytes are accepted. */
  authenticated(): void {
    this.reader.allow(this.maxFrame)
  }

  /** The largest frame accepted now (`Frame.preAuthMaxFrame` until `authenticated`). */
  get frameLimit(): number {
    return this.reader.maxFrame
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

/** An authenticated connection: frames are sealed and opened with the session's keys (or, inside TLS, passed as they are). */
export interface Session {
  readonly peer: string
  readonly sealer: { readonly seal: (body: Uint8Array) => Uint8Array }
  readonly opener: { readonly open: (frame: Uint8Array) => Uint8Array | undefined }
}

const decodeFrame = <S extends Schema.Codec<any, any>>(schema: S, what: string, frame: Uint8Array, peer?: string): S["Type"] => {
  const json = Wire.fromBytes(frame)
  if (!json.ok) throw new LinkError({ reason: `bad ${what}: ${json.reason}`, rejected: true })
  // A refusal instead of the expected answer: the peer says why, and the link says so.
  if (peer !== undefined && typeof json.value === "object" && json.value !== null && (json.value as { k?: unknown }).k === "refused") {
    const reason = String((json.value as { reason?: unknown }).reason).replace(/[^\x20-\x7e]/g, "?").slice(0, 300)
    throw new LinkError({ reason: `${peer} refused the handshake: ${reason}`, rejected: true })
  }
  try {
    return Schema.decodeUnknownSync(schema)(json.value)
  } catch (e) {
    throw new LinkError({ reason: `bad ${what}: ${String((e as Error).message).replace(/\s+/g, " ").slice(0, 160)}`, rejected: true })
  }
}

/**
 * How a connection is authenticated: by the shared secret (the handshake of `Handshake.ts`), or
 * by TLS certificates (`Tls.ts`), which have authenticated the socket before the first frame:
 * `peer` is the id the peer's certificate names.
 */
export type Authentication = { readonly kind: "secret"; readonly secret: Uint8Array } | { readonly kind: "tls"; readonly peer: string }

/** What the client side of a handshake needs. */
export interface ClientOptions {
  readonly self: string
  readonly peer: string
  readonly authentication: Authentication
  readonly instance: string
  readonly timeoutMs: number
}

/**
 * The connecting side of the handshake. Under a shared secret: hello with a fresh nonce, the
 * server's nonce back, this node's proof, then the server's proof (checked) and its sealed
 * `ready`. Under TLS: hello, then `ready`. Resolves with the session and the last message number
 * the peer already holds from this node's instance; rejects with a `LinkError` (`rejected` when
 * the peer refused or failed to authenticate).
 */
export const dial = async (conn: Connection, options: ClientOptions): Promise<{ session: Session; upTo: number }> => {
  const clientNonce = Handshake.nonce()
  const hello: Wire.Hello = { k: "hello", v: Wire.handshakeVersion, from: options.self, to: options.peer, nonce: clientNonce, instance: options.instance }
  conn.write(Wire.toBytes(hello))
  const auth = options.authentication
  if (auth.kind === "tls") {
    if (auth.peer !== options.peer) throw new LinkError({ reason: `the node at ${options.peer}'s address holds the certificate of ${auth.peer}`, rejected: true })
    const ready = decodeFrame(Wire.Ready, "ready", await conn.next(options.timeoutMs, "ready"), options.peer)
    return { session: { peer: options.peer, sealer: Tls.unsealed, opener: Tls.unsealed }, upTo: ready.upTo }
  }
  const challenge = decodeFrame(Wire.Challenge, "challenge", await conn.next(options.timeoutMs, "challenge"), options.peer)
  const parties: Handshake.Session = { client: options.self, server: options.peer, clientNonce, serverNonce: challenge.nonce, instance: options.instance }
  conn.write(Wire.toBytes({ k: "auth", proof: Handshake.proof(auth.secret, "client", parties) } satisfies Wire.Auth))
  const confirm = decodeFrame(Wire.Confirm, "confirm", await conn.next(options.timeoutMs, "confirm"), options.peer)
  if (!Handshake.verify(auth.secret, "server", parties, confirm.proof)) {
    throw new LinkError({ reason: `${options.peer} did not prove that it holds the cluster's secret`, rejected: true })
  }
  const keys = Handshake.keys(auth.secret, parties)
  const session: Session = { peer: options.peer, sealer: new Handshake.Sealer(keys.clientToServer), opener: new Handshake.Opener(keys.serverToClient) }
  const body = session.opener.open(await conn.next(options.timeoutMs, "ready"))
  if (body === undefined) throw new LinkError({ reason: `${options.peer} sent a ready that fails its MAC check`, rejected: true })
  const ready = decodeFrame(Wire.Ready, "ready", body)
  return { session, upTo: ready.upTo }
}

/** What the listening side of a handshake needs. */
export interface ServerOptions {
  readonly self: string
  readonly authentication: Authentication
  /** Whether `id` may connect: a configured peer. */
  readonly isPeer: (id: string) => boolean
  /**
   * The last message number from a peer's journal instance that this node holds durably (a
   * completed sync covers its record): the peer takes the `ready` answer as an acknowledgement.
   */
  readonly heldUpTo: (peer: string, instance: string) => number
  readonly timeoutMs: number
}

/**
 * The listening side of the handshake: resolves with the authenticated peer and its journal
 * instance; rejects with a `LinkError`, after telling the client why (`refused`). Nothing the
 * hello says is used — `heldUpTo` is not even asked — before the client has authenticated: under a
 * shared secret this node sends its nonce and nothing verifiable until the client's proof over
 * both nonces has been checked, and under TLS the hello must come from the node the certificate
 * names.
 */
export const accept = async (conn: Connection, options: ServerOptions): Promise<{ session: Session; instance: string }> => {
  const refuse = (reason: string): never => {
    conn.write(Wire.toBytes({ k: "refused", reason } satisfies Wire.Refused))
    throw new LinkError({ reason, rejected: true })
  }
  const hello = decodeFrame(Wire.Hello, "hello", await conn.next(options.timeoutMs, "hello"))
  if (hello.to !== options.self) refuse(`a hello for ${JSON.stringify(hello.to).slice(0, 60)}, but this node is ${options.self}`)
  if (hello.from === options.self || !options.isPeer(hello.from)) refuse(`${JSON.stringify(hello.from).slice(0, 60)} is not a configured peer`)
  const auth = options.authentication
  if (auth.kind === "tls") {
    if (auth.peer !== hello.from) refuse(`the certificate of ${auth.peer} cannot speak as ${hello.from}`)
    conn.write(Wire.toBytes({ k: "ready", upTo: options.heldUpTo(hello.from, hello.instance) } satisfies Wire.Ready))
    return { session: { peer: hello.from, sealer: Tls.unsealed, opener: Tls.unsealed }, instance: hello.instance }
  }
  const serverNonce = Handshake.nonce()
  const parties: Handshake.Session = { client: hello.from, server: options.self, clientNonce: hello.nonce, serverNonce, instance: hello.instance }
  conn.write(Wire.toBytes({ k: "challenge", nonce: serverNonce } satisfies Wire.Challenge))
  const proof = decodeFrame(Wire.Auth, "auth", await conn.next(options.timeoutMs, "auth"))
  if (!Handshake.verify(auth.secret, "client", parties, proof.proof)) refuse(`${hello.from} did not prove that it holds the cluster's secret (do the nodes have the same secret?)`)
  const keys = Handshake.keys(auth.secret, parties)
  const session: Session = { peer: hello.from, sealer: new Handshake.Sealer(keys.serverToClient), opener: new Handshake.Opener(keys.clientToServer) }
  conn.write(
    Wire.toBytes({ k: "confirm", proof: Handshake.proof(auth.secret, "server", parties) } satisfies Wire.Confirm),
    session.sealer.seal(Wire.toBytes({ k: "ready", upTo: options.heldUpTo(hello.from, hello.instance) } satisfies Wire.Ready))
  )
  return { session, instance: hello.instance }
}
