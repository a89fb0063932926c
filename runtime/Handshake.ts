/**
 * Authentication of peers by a shared-secret HMAC handshake, and the sealing of every frame after
 * it. A connecting node (the client) says who it is and sends a fresh nonce; the listening node
 * (the server) answers with its own nonce and a proof over both nonces and both ids; the client
 * checks that proof and answers with its own. Each proof is HMAC-SHA256 under the secret, so only
 * a holder of the secret can produce it, and the fresh nonces make a recorded handshake useless
 * on another connection.
 *
 * Both sides then derive one key per direction from the secret and the nonces, and every later
 * frame carries a MAC over a per-direction counter and its body: a frame that was altered,
 * injected, replayed or reordered on the connection, or carried over from another connection,
 * fails its check.
 *
 * @since 0.1.0
 */
import { createHmac, createSecretKey, type KeyObject, randomBytes, timingSafeEqual } from "node:crypto"

/** Bytes of MAC in front of every sealed frame (HMAC-SHA256 truncated to 128 bits). */
export const macBytes = 16

const label = "protoweave-v1"

/** A fresh random nonce, as hex. */
export const nonce = (): string => randomBytes(16).toString("hex")

const hmac = (key: Uint8Array, text: string): Buffer => createHmac("sha256", key).update(text).digest()

/** The parties and nonces of one handshake. */
export interface Session {
  readonly client: string
  readonly server: string
  readonly clientNonce: string
  readonly serverNonce: string
}

const transcript = (side: string, s: Session) => `${label}|${side}|${s.client}|${s.server}|${s.clientNonce}|${s.serverNonce}`

/**
 * The proof one side of a handshake sends: HMAC under the secret of the side, both ids and both
 * nonces. The two sides' proofs differ, so a server's proof cannot be reflected back as a client's.
 *
 * @example
 * const secret = new TextEncoder().encode("0123456789abcdef")
 * const session = { client: "p1", server: "c", clientNonce: "aa", serverNonce: "bb" }
 * proof(secret, "client", session) === proof(secret, "server", session) // => false
 * proof(secret, "client", session).length // => 64
 */
export const proof = (secret: Uint8Array, side: "client" | "server", session: Session): string =>
  hmac(secret, transcript(side, session)).toString("hex")

/**
 * Whether `claimed` is the proof `side` must send in `session`, compared in constant time.
 *
 * @example
 * const secret = new TextEncoder().encode("0123456789abcdef")
 * const session = { client: "p1", server: "c", clientNonce: "aa", serverNonce: "bb" }
 * verify(secret, "server", session, proof(secret, "server", session)) // => true
 * verify(secret, "server", { ...session, clientNonce: "cc" }, proof(secret, "server", session)) // => false
 */
export const verify = (secret: Uint8Array, side: "client" | "server", session: Session, claimed: unknown): boolean => {
  if (typeof claimed !== "string" || !/^[0-9a-f]{64}$/.test(claimed)) return false
  return timingSafeEqual(Buffer.from(claimed, "hex"), hmac(secret, transcript(side, session)))
}

/** The keys of an authenticated connection, one per direction. */
export interface Keys {
  readonly clientToServer: Uint8Array
  readonly serverToClient: Uint8Array
}

/** Derives the per-direction keys of a session. */
export const keys = (secret: Uint8Array, session: Session): Keys => ({
  clientToServer: hmac(secret, transcript("key:client->server", session)),
  serverToClient: hmac(secret, transcript("key:server->client", session))
})

/** The MAC of one frame: HMAC-SHA256 under the direction's key of the 64-bit counter and the body, truncated. */
class Mac {
  // The key is imported once: an HMAC over a key object skips re-importing the raw bytes per frame.
  private readonly key: KeyObject
  private readonly count = Buffer.alloc(8)
  constructor(key: Uint8Array) {
    this.key = createSecretKey(key)
  }
  of(counter: number, body: Uint8Array): Buffer {
    this.count.writeUInt32BE(Math.floor(counter / 0x1_0000_0000), 0)
    this.count.writeUInt32BE(counter >>> 0, 4)
    return createHmac("sha256", this.key).update(this.count).update(body).digest().subarray(0, macBytes)
  }
}

/**
 * Seals the frames one side sends on a connection: each gets the MAC of the next counter value.
 *
 * @example
 * const key = new Uint8Array(32)
 * const sealer = new Sealer(key)
 * const opener = new Opener(key)
 * const frame = sealer.seal(new TextEncoder().encode("hi"))
 * new TextDecoder().decode(opener.open(frame)) // => "hi"
 * opener.open(frame) // => undefined
 */
export class Sealer {
  private counter = 0
  private readonly mac: Mac
  constructor(key: Uint8Array) {
    this.mac = new Mac(key)
  }
  seal(body: Uint8Array): Uint8Array {
    const out = new Uint8Array(macBytes + body.length)
    out.set(this.mac.of(this.counter++, body), 0)
    out.set(body, macBytes)
    return out
  }
}

/**
 * Checks the frames one side receives: a frame whose MAC is not that of the next counter value
 * (altered, injected, replayed, reordered) yields `undefined`, and the counter does not advance.
 */
export class Opener {
  private counter = 0
  private readonly mac: Mac
  constructor(key: Uint8Array) {
    this.mac = new Mac(key)
  }
  open(frame: Uint8Array): Uint8Array | undefined {
    if (frame.length < macBytes) return undefined
    const body = frame.subarray(macBytes)
    const expected = this.mac.of(this.counter, body)
    if (!timingSafeEqual(expected, frame.subarray(0, macBytes))) return undefined
    this.counter++
    return body
  }
}
