/**
 * Authentication of peers by a shared-secret HMAC challenge–response, and the sealing of every
 * frame after it. The connecting node (the client) says who it is and commits to a fresh nonce;
 * the listening node (the server) answers with its own nonce and nothing else; the client then
 * proves that it holds the secret with an HMAC over both ids, both nonces and its journal's
 * instance; only after checking that proof does the server send its own proof, which the client
 * checks. Neither side reveals a proof before the other has committed to a nonce, and the server
 * reveals nothing that depends on the secret to a client that has not proven it: whoever can
 * merely connect to a node gets no material to test guesses of the secret offline. (A client that
 * dials an impostor still gives it its proof, as in any challenge–response where the initiator
 * proves first: the secret must be too long to guess, `Secret.ts`, or the cluster should use
 * per-node certificates, `Tls.ts`.)
 *
 * Both sides then derive one key per direction from the secret and the transcript, and every later
 * frame carries a MAC over a per-direction counter and its body: a frame that was altered,
 * injected, replayed or reordered on the connection, or carried over from another connection,
 * fails its check. The instance is part of the transcript, so that no one on the path can change
 * the instance a hello names (which decides what the server counts as already delivered).
 *
 * @since 0.1.0
 */
import { createHmac, createSecretKey, type KeyObject, randomBytes, timingSafeEqual } from "node:crypto"

/** Bytes of MAC in front of every sealed frame (HMAC-SHA256 truncated to 128 bits). */
export const macBytes = 16

const label = "protoweave-v2"

/** A fresh random nonce, as hex. */
export const nonce = (): string => randomBytes(16).toString("hex")

const hmac = (key: Uint8Array, text: string): Buffer => createHmac("sha256", key).update(text).digest()

/** The parties, nonces and the client's journal instance of one handshake. */
export interface Session {
  readonly client: string
  readonly server: string
  readonly clientNonce: string
  readonly serverNonce: string
  readonly instance: string
}

// Ids, nonces and instances never contain "|" (ids are checked by Cluster.ts, nonces are hex,
// instances are checked by Wire.Hello), so the transcript is unambiguous.
const transcript = (side: string, s: Session) => `${label}|${side}|${s.client}|${s.server}|${s.clientNonce}|${s.serverNonce}|${s.instance}`

/**
 * The proof one side of a handshake sends: HMAC under the secret of the side, both ids and both
 * nonces. The two sides' proofs differ, so a server's proof cannot be reflected back as a client's.
 *
 * @example
 * const secret = new TextEncoder().encode("0123456789abcdef")
 * const session = { client: "p1", server: "c", clientNonce: "aa", serverNonce: "bb", instance: "i1" }
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
 * const session = { client: "p1", server: "c", clientNonce: "aa", serverNonce: "bb", instance: "i1" }
 * verify(secret, "server", session, proof(secret, "server", session)) // => true
 * verify(secret, "server", { ...session, clientNonce: "cc" }, proof(secret, "server", session)) // => false
 * verify(secret, "server", { ...session, instance: "i2" }, proof(secret, "server", session)) // => false
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
