/**
 * `protoweave keys <cluster-file>`: makes the per-node identities of a cluster (`runtime/Tls.ts`):
 * a cluster CA, and for each node a key and a certificate that the CA signs for the node's id
 * (its subject CN), then adds the `tls` lines naming them to the cluster file. `--renew ID,…`
 * replaces the keys and certificates of those nodes under the same CA (key rotation,
 * docs/runtime.md).
 *
 * Keys are EC P-256, made with `node:crypto`; certificates are made and signed by the system's
 * `openssl` (no cryptography of our own). Keys are written readable by their owner only; the CA's
 * key signs certificates and belongs on the administrator's host, not on the nodes.
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type * as FileSystem from "effect/FileSystem"
import * as Option from "effect/Option"
import { Argument, Command, Flag } from "effect/cli"
import { execFileSync } from "node:child_process"
import { generateKeyPairSync, randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Cluster from "../runtime/Cluster.ts"
import { oneLine, UsageError } from "./Errors.ts"
import * as Files from "./Files.ts"
import { wholeNumber } from "./Simulate.ts"

// The extensions of the CA's and the nodes' certificates: a node's certificate cannot sign others
// (CA:FALSE) and serves both ends of a connection (serverAuth, clientAuth).
const opensslConfig = `[req]
distinguished_name = dn
prompt = no
[dn]
CN = protoweave
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[node_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth,clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`

const openssl = (args: ReadonlyArray<string>): void => {
  try {
    execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] })
  } catch (e) {
    const error = e as NodeJS.ErrnoException & { stderr?: Buffer }
    if (error.code === "ENOENT") throw new Error("openssl is not installed (it makes and signs the certificates); install it, e.g. apt-get install openssl")
    throw new Error(`openssl ${args[0]} failed: ${oneLine(error.stderr?.toString() ?? error.message)}`)
  }
}

/** Writes a new EC P-256 private key, readable by its owner only; refuses to replace a file unless `replace`. */
const writeKey = (file: string, replace: boolean): void => {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" })
  const pem = privateKey.export({ type: "pkcs8", format: "pem" })
  if (replace) fs.rmSync(file, { force: true })
  fs.writeFileSync(file, pem, { mode: 0o600, flag: "wx" })
}

/** The certificates and keys made, by the files written. */
interface Made {
  readonly written: Array<string>
}

const withConfig = <A>(f: (config: string) => A): A => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "protoweave-keys-"))
  try {
    const config = path.join(dir, "openssl.cnf")
    fs.writeFileSync(config, opensslConfig)
    return f(config)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** Makes a CA key and self-signed certificate. */
const makeCa = (keyFile: string, certFile: string, name: string, days: number, made: Made): void =>
  withConfig((config) => {
    writeKey(keyFile, false)
    openssl(["req", "-x509", "-new", "-key", keyFile, "-config", config, "-extensions", "ca_ext", "-days", String(days), "-subj", `/CN=protoweave cluster CA ${name}`, "-out", certFile])
    made.written.push(keyFile, certFile)
  })

/** Makes node `id`'s key and a certificate for it (CN = id) signed by the CA. */
const makeNode = (id: string, keyFile: string, certFile: string, ca: { key: string; cert: string }, days: number, replace: boolean, made: Made): void =>
  withConfig((config) => {
    writeKey(keyFile, replace)
    const request = path.join(path.dirname(config), `${id}.csr`)
    openssl(["req", "-new", "-key", keyFile, "-config", config, "-subj", `/CN=${id}`, "-out", request])
    const serial = `0x${randomBytes(16).toString("hex")}`
    openssl(["x509", "-req", "-in", request, "-CA", ca.cert, "-CAkey", ca.key, "-set_serial", serial, "-days", String(days), "-extfile", config, "-extensions", "node_ext", "-out", certFile])
    made.written.push(keyFile, certFile)
  })

/**
 * The CA's key of a CA certificate file: the same name with `.key` for `.crt`.
 *
 * @example
 * caKeyOf("keys/ca.crt") // => "keys/ca.key"
 */
export const caKeyOf = (caCert: string): string => caCert.replace(/\.(crt|pem)$/, "") + ".key"

/**
 * Makes the CA and every node's key and certificate into `dir` (relative to the cluster file's
 * folder) and returns the `tls` lines that name them, paths relative to that folder.
 */
const generate = (cluster: Cluster.Cluster, dirName: string, days: number, made: Made): Array<string> => {
  const base = path.dirname(cluster.source)
  const dir = path.resolve(base, dirName)
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 })
  const relative = (file: string) => path.relative(base, file) || file
  const targets = [path.join(dir, "ca.key"), path.join(dir, "ca.crt"), ...cluster.nodes.flatMap((n) => [path.join(dir, `${n.id}.key`), path.join(dir, `${n.id}.crt`)])]
  const existing = targets.filter((f) => fs.existsSync(f))
  if (existing.length > 0) throw new Error(`${existing.map(relative).join(", ")} already exist: remove them, or name another folder with --dir`)
  const ca = { key: path.join(dir, "ca.key"), cert: path.join(dir, "ca.crt") }
  makeCa(ca.key, ca.cert, path.basename(cluster.source), days, made)
  const lines = [`tls ca ${relative(ca.cert)}`]
  for (const node of cluster.nodes) {
    const key = path.join(dir, `${node.id}.key`)
    const cert = path.join(dir, `${node.id}.crt`)
    makeNode(node.id, key, cert, ca, days, false, made)
    lines.push(`tls node ${node.id} ${relative(cert)} ${relative(key)}`)
  }
  return lines
}

/** Replaces the keys and certificates of `ids` at the paths the cluster file names, signed by its CA. */
const renew = (cluster: Cluster.Cluster, ids: ReadonlyArray<string>, days: number, made: Made): void => {
  const tls = cluster.tls!
  const base = path.dirname(cluster.source)
  const caCert = path.resolve(base, tls.ca.file)
  const ca = { cert: caCert, key: caKeyOf(caCert) }
  if (!fs.existsSync(ca.key)) throw new Error(`the CA's key is not at ${ca.key} (next to ${tls.ca.file}, line ${tls.ca.line}): renewing signs with it`)
  for (const id of ids) {
    const entry = tls.nodes.get(id)
    if (entry === undefined) throw new Error(`--renew ${id}: ${cluster.source} has no node "${id}" (its nodes: ${[...tls.nodes.keys()].join(", ")})`)
    makeNode(id, path.resolve(base, entry.key), path.resolve(base, entry.cert), ca, days, true, made)
  }
}

const config = {
  cluster: Argument.String("cluster-file").pipe(Argument.withDescription("the cluster file: its nodes get keys, and it gets the tls lines naming them")),
  dir: Flag.String("dir").pipe(Flag.withMetavar("DIR"), Flag.withDefault("keys"), Flag.withDescription("the folder of the keys and certificates, relative to the cluster file's (default keys)")),
  days: Flag.String("days").pipe(Flag.withMetavar("N"), Flag.withDefault("365"), Flag.withDescription("how many days the certificates are valid (default 365)")),
  renew: Flag.String("renew").pipe(
    Flag.withMetavar("ID,…"),
    Flag.withDescription("replace these nodes' keys and certificates, at the paths the file names, signed by its CA (whose key is ca.key beside ca.crt)"),
    Flag.optional
  )
}

/** Runs `keys`. */
export const keys = (input: { readonly cluster: string; readonly dir: string; readonly days: string; readonly renew: Option.Option<string> }): Effect.Effect<void, UsageError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const days = yield* wholeNumber("days", input.days, 1)
    const text = yield* Files.readText(input.cluster, "cluster file")
    const cluster = yield* Effect.try({ try: () => Cluster.parse(text, input.cluster), catch: (e) => new UsageError({ message: oneLine((e as Error).message) }) })
    const made: Made = { written: [] }
    const fail = (e: unknown) => new UsageError({ message: oneLine((e as Error).message) })
    const renewing = Option.getOrUndefined(input.renew)
    if (renewing !== undefined) {
      if (cluster.tls === undefined) return yield* new UsageError({ message: `--renew: ${input.cluster} has no tls lines yet; run "protoweave keys ${input.cluster}" first` })
      yield* Effect.try({ try: () => renew(cluster, renewing.split(",").map((s) => s.trim()).filter((s) => s.length > 0), days, made), catch: fail })
      for (const file of made.written) yield* Console.log(`wrote ${file}`)
      yield* Console.log("restart each renewed node with its new key; its peers need no change (they check the CA's signature and the id)")
      return
    }
    if (cluster.tls !== undefined) {
      return yield* new UsageError({ message: `${input.cluster}:${cluster.tls.ca.line}: the cluster already has tls lines; use --renew ID,… to replace nodes' keys` })
    }
    const lines = yield* Effect.try({ try: () => generate(cluster, input.dir, days, made), catch: fail })
    for (const file of made.written) yield* Console.log(`wrote ${file}`)
    const appended = `${text.endsWith("\n") || text.length === 0 ? "" : "\n"}# per-node identities (mutual TLS), made by protoweave keys\n${lines.join("\n")}\n`
    yield* Effect.try({ try: () => fs.appendFileSync(input.cluster, appended), catch: fail })
    yield* Console.log(`added ${lines.length} tls lines to ${input.cluster}`)
    yield* Console.log(`copy to each node's host the cluster file, ca.crt and its own .crt and .key; keep ca.key off the nodes (it signs certificates)`)
  })

/** The `keys` command. */
export const command = Command.make("keys", config, keys).pipe(
  Command.withDescription("Make a cluster CA and one key and certificate per node (mutual TLS), and name them in the cluster file")
)
