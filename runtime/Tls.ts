/**
 * Per-node identities: mutual TLS 1.3 (`node:tls`) between the nodes of a cluster, each holding
 * its own key and a certificate signed by the cluster's CA (`protoweave keys` makes them). A node
 * accepts a connection only from a certificate the CA signed, and takes the peer's id from that
 * certificate's subject common name (CN): a member can speak only as the node its certificate
 * names, never as another member, which a shared secret cannot ensure. A connecting node also
 * checks that the node it reached holds the certificate of the node it meant to reach.
 *
 * Inside TLS, frames are not sealed again with HMACs: TLS 1.3 already authenticates every record
 * under keys of this connection with a sequence number, so that an altered, injected, replayed or
 * reordered frame breaks the connection; a second MAC would cost CPU per frame and would need a
 * key shared by the whole cluster, which is what this mode removes.
 *
 * @since 0.1.0
 */
import { createPrivateKey, X509Certificate } from "node:crypto"
import * as fs from "node:fs"
import type * as net from "node:net"
import * as path from "node:path"
import * as tls from "node:tls"
import type { Cluster } from "./Cluster.ts"
import * as Frame from "./Frame.ts"
import * as Secret from "./Secret.ts"
import * as Wire from "./Wire.ts"

/** What one node needs for TLS: the CA's certificate(s), its own certificate and key (PEM). */
export interface Credentials {
  /** The node the certificate is for. */
  readonly id: string
  readonly ca: Buffer
  readonly cert: Buffer
  readonly key: Buffer
}

/** Credentials that cannot be used, naming the file and the reason. */
export class TlsError extends Error {
  override readonly name = "TlsError"
}

/**
 * The files of node `id` that a cluster's `tls` lines name, resolved against the cluster file's folder.
 *
 * @example
 * import * as Cluster from "./Cluster.ts"
 * const cluster = Cluster.parse("node c coordinator 127.0.0.1:1\ntls ca keys/ca.crt\ntls node c keys/c.crt keys/c.key", "/etc/pw/tpc.cluster")
 * filesOf(cluster, "c") // => { ca: "/etc/pw/keys/ca.crt", cert: "/etc/pw/keys/c.crt", key: "/etc/pw/keys/c.key" }
 */
export const filesOf = (cluster: Cluster, id: string): { readonly ca: string; readonly cert: string; readonly key: string } => {
  const config = cluster.tls
  if (config === undefined) throw new TlsError(`${cluster.source} has no "tls" lines`)
  const node = config.nodes.get(id)
  if (node === undefined) throw new TlsError(`${cluster.source}: no "tls node ${id} CERT KEY" line`)
  const base = path.dirname(cluster.source)
  return { ca: path.resolve(base, config.ca.file), cert: path.resolve(base, node.cert), key: path.resolve(base, node.key) }
}

/**
 * The common name of a certificate's subject, the node id it certifies; undefined if it has none
 * or more than one.
 *
 * @example
 * commonName({ CN: "p1", O: "x" }) // => "p1"
 * commonName({ CN: ["p1", "p2"] }) // => undefined
 */
export const commonName = (subject: { readonly CN?: string | ReadonlyArray<string> } | undefined): string | undefined =>
  typeof subject?.CN === "string" ? subject.CN : undefined

/**
 * Loads the credentials of node `id` from the files its cluster names; checks that its
 * certificate is for `id`, and warns (through `warn`) when its key file is readable by others.
 */
export const load = (cluster: Cluster, id: string, warn: (line: string) => void = Secret.warnOnStderr): Credentials => {
  const files = filesOf(cluster, id)
  const read = (file: string, what: string) => {
    try {
      return fs.readFileSync(file)
    } catch (e) {
      throw new TlsError(`cannot read ${what} ${file} (named in ${cluster.source}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`)
    }
  }
  const ca = read(files.ca, "the CA certificate")
  const cert = read(files.cert, `the certificate of ${id}`)
  const key = read(files.key, `the key of ${id}`)
  const warning = Secret.permissionWarning(files.key, `the key of ${id}`)
  if (warning !== undefined) warn(warning)
  let subject: string | undefined
  try {
    const x509 = new X509Certificate(cert)
    subject = /^CN=(.*)$/m.exec(x509.subject)?.[1]
    if (!x509.checkPrivateKey(createPrivateKey(key))) throw new TlsError(`${files.key} is not the key of the certificate ${files.cert}`)
  } catch (e) {
    if (e instanceof TlsError) throw e
    throw new TlsError(`cannot use the certificate ${files.cert} and key ${files.key} of ${id}: ${(e as Error).message}`)
  }
  if (subject !== id) throw new TlsError(`the certificate ${files.cert} is for ${JSON.stringify(subject ?? "(no CN)")}, not for ${id}`)
  return { id, ca, cert, key }
}

const common = (credentials: Credentials) => ({
  ca: credentials.ca,
  cert: credentials.cert,
  key: credentials.key,
  minVersion: "TLSv1.3" as const
})

/** A certificate that the CA signed but for another node than the one meant. */
export class IdentityError extends Error {
  override readonly name = "IdentityError"
  readonly code = "ERR_PROTOWEAVE_IDENTITY"
}

/**
 * Opens a TLS connection to node `peer` at `host:port` with `credentials`; the peer must present a
 * certificate that the CA signed for `peer`. The socket emits `secureConnect` once the handshake is
 * done.
 */
export const connect = (credentials: Credentials, peer: string, host: string, port: number): tls.TLSSocket =>
  tls.connect({
    ...common(credentials),
    host,
    port,
    // The certificate names a node, not a host: the identity checked is the node's id.
    checkServerIdentity: (_host, certificate) => {
      const id = commonName(certificate.subject)
      return id === peer ? undefined : new IdentityError(`the node at ${host}:${port} holds the certificate of ${JSON.stringify(id ?? "(no CN)")}, not of ${peer}`)
    }
  })

/**
 * A function that takes accepted TCP sockets through the server side of a TLS handshake that
 * requires a client certificate signed by the CA: `onSecure` gets each authenticated socket with
 * the id its certificate names, `onFailure` the reason of each failed handshake.
 */
export const acceptor = (
  credentials: Credentials,
  handshakeTimeoutMs: number,
  onSecure: (socket: tls.TLSSocket, peer: string) => void,
  onFailure: (reason: string) => void
): ((socket: net.Socket) => void) => {
  // Node's own verification against the CA decides (`authorized`); the refusal is made here rather
  // than by `rejectUnauthorized`, which would drop the socket without a word to either side.
  const server = tls.createServer({ ...common(credentials), requestCert: true, rejectUnauthorized: false, handshakeTimeout: handshakeTimeoutMs }, (socket) => {
    const from = `${socket.remoteAddress}:${socket.remotePort}`
    const refuse = (reason: string) => {
      onFailure(`TLS handshake from ${from} failed: ${reason}`)
      socket.on("error", () => undefined)
      socket.end(Frame.encode(Wire.toBytes({ k: "refused", reason: `${credentials.id} does not accept the certificate: ${reason}` } satisfies Wire.Refused)))
      setTimeout(() => socket.destroy(), 1000).unref()
    }
    if (!socket.authorized) {
      const code = String(socket.authorizationError ?? "NO_CERTIFICATE")
      return refuse(describe(Object.assign(new Error("the certificate is not accepted"), { code })))
    }
    const id = commonName(socket.getPeerCertificate().subject)
    if (id === undefined) return refuse("a certificate signed by the CA names no single node (CN)")
    onSecure(socket, id)
  })
  server.on("tlsClientError", (e, socket) => onFailure(`TLS handshake from ${socket.remoteAddress ?? "?"}:${socket.remotePort ?? "?"} failed: ${describe(e)}`))
  // The TCP sockets come from the node's own listener, which owns the port.
  return (socket) => void server.emit("connection", socket)
}

const refusalCode = /^(ERR_SSL_|ERR_TLS_|ERR_PROTOWEAVE_IDENTITY$)|CERT|ISSUER|SIGNATURE|SELF_SIGNED|^INVALID_/

/**
 * Whether a socket error is a TLS refusal (a certificate not signed by the CA, for another node,
 * expired, or a TLS alert from the peer) rather than a network failure.
 *
 * @example
 * isRefusal(Object.assign(new Error("x"), { code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" })) // => true
 * isRefusal(Object.assign(new Error("x"), { code: "ECONNREFUSED" })) // => false
 */
export const isRefusal = (e: Error): boolean => {
  const code = (e as NodeJS.ErrnoException).code
  return code !== undefined && refusalCode.test(code)
}

const hints: ReadonlyArray<readonly [RegExp, string]> = [
  [/ALERT_UNKNOWN_CA|ALERT_BAD_CERTIFICATE|ALERT_CERTIFICATE_REQUIRED/, "the peer does not accept this node's certificate (is it signed by the cluster's CA?)"],
  [/UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT|SELF_SIGNED|CERT_SIGNATURE_FAILURE/, "the peer's certificate is not signed by the cluster's CA"],
  [/NO_CERTIFICATE/, "the peer sent no certificate"],
  [/CERT_HAS_EXPIRED/, "the certificate has expired"],
  [/CERT_NOT_YET_VALID/, "the certificate is not valid yet"]
]

/**
 * A TLS error in words: its code, what it means for a cluster when that is known, and its message.
 *
 * @example
 * describe(Object.assign(new Error("unable to verify the first certificate"), { code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" }))
 * // => "the peer's certificate is not signed by the cluster's CA (UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate)"
 */
export const describe = (e: Error): string => {
  const code = (e as NodeJS.ErrnoException).code
  const detail = code === undefined ? e.message : `${code}: ${e.message.replace(/:[^:]*\.c:\d+:/g, ":").trim()}`
  const hint = code === undefined ? undefined : hints.find(([pattern]) => pattern.test(code))?.[1]
  return hint === undefined ? detail : `${hint} (${detail})`
}

/**
 * Frames inside TLS are passed as they are: TLS authenticates them (see above).
 *
 * @example
 * unsealed.open(unsealed.seal(Uint8Array.of(1, 2))) // => Uint8Array.of(1, 2)
 */
export const unsealed = {
  seal: (body: Uint8Array): Uint8Array => body,
  open: (frame: Uint8Array): Uint8Array | undefined => frame
}
