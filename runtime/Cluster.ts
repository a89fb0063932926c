/**
 * Cluster files: which nodes exist, the role each plays and the address it listens on, and which
 * protocol family (with its size parameters) they run. The format is line-based so that a mistake
 * is reported with its line:
 *
 *     # two-phase commit on three hosts
 *     protocol two-phase-commit
 *     param participants=2
 *     param rounds=3
 *     node c  coordinator 10.0.0.1:7100
 *     node p1 participant 10.0.0.2:7100
 *     node p2 participant 10.0.0.3:7100
 *
 * Nodes authenticate each other with per-node certificates (mutual TLS, `Tls.ts`) when the file
 * has `tls` lines — the cluster CA's certificate, and each node's certificate and key, paths
 * relative to the file's folder (`protoweave keys FILE` makes them and adds these lines):
 *
 *     tls ca keys/ca.crt
 *     tls node c  keys/c.crt  keys/c.key
 *     tls node p1 keys/p1.crt keys/p1.key
 *
 * Without them, by a shared secret, which is not part of a cluster file (the file is meant to be
 * copied between hosts and shown in logs); it comes from a secret file or the environment
 * (`Secret.ts`). Key files are read only by the node they belong to.
 *
 * @since 0.1.0
 */
import type { Topology } from "../core/Topology.ts"

/** One node of a cluster: its id, role, listening address, and the line that declared it. */
export interface ClusterNode {
  readonly id: string
  readonly role: string
  readonly host: string
  readonly port: number
  readonly line: number
}

/** The `tls` lines of a cluster file: the CA's certificate, and each node's certificate and key. */
export interface TlsConfig {
  readonly ca: { readonly file: string; readonly line: number }
  readonly nodes: ReadonlyMap<string, { readonly cert: string; readonly key: string; readonly line: number }>
}

/** A parsed cluster file. */
export interface Cluster {
  /** The file the cluster was read from, for messages. */
  readonly source: string
  /** The protocol family, as `protoweave list` names it, if the file names one. */
  readonly protocol: string | undefined
  readonly parameters: { readonly [name: string]: number }
  readonly nodes: ReadonlyArray<ClusterNode>
  /** Per-node certificates, when the file has `tls` lines (else the nodes share a secret). */
  readonly tls?: TlsConfig
}

/** A cluster file that cannot be used, with the file and line at fault. */
export class ClusterError extends Error {
  override readonly name = "ClusterError"
}

const idPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/

/** `HOST:PORT`, `[v6]:PORT`; the port in 1..65535. */
const parseAddress = (text: string): { host: string; port: number } | string => {
  const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d+)$/.exec(text)
  if (m === null) return `address "${text}" is not HOST:PORT`
  const port = Number(m[3])
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `port ${m[3]} of "${text}" is not in 1..65535`
  return { host: m[1] ?? m[2]!, port }
}

/**
 * Parses the text of a cluster file. Every problem is a `ClusterError` naming `source`, the line
 * and the field.
 *
 * @example
 * const cluster = parse("protocol two-phase-commit\nparam participants=1\nnode c coordinator 127.0.0.1:7100\nnode p1 participant 127.0.0.1:7101", "c.cluster")
 * cluster.nodes.map((n) => `${n.id}@${n.port}`) // => ["c@7100", "p1@7101"]
 * cluster.parameters // => { participants: 1 }
 * @example
 * try { parse("node c coordinator localhost", "bad.cluster") } catch (e) { (e as Error).message }
 * // => 'bad.cluster:1: node "c": address "localhost" is not HOST:PORT'
 * @example
 * const text = "tls ca k/ca.crt\nnode c coordinator 127.0.0.1:7100\ntls node c k/c.crt k/c.key\nnode p1 participant 127.0.0.1:7101"
 * let message = ""
 * try { parse(text, "t.cluster") } catch (e) { message = (e as Error).message }
 * message // => 't.cluster:4: node "p1" has no certificate: add a line "tls node p1 CERT KEY" (the file has tls lines, so every node needs one)'
 */
export const parse = (text: string, source: string): Cluster => {
  let protocol: string | undefined
  const parameters: Record<string, number> = {}
  const nodes: Array<ClusterNode> = []
  let ca: { file: string; line: number } | undefined
  const certificates = new Map<string, { cert: string; key: string; line: number }>()
  const lines = text.split("\n")
  const fail = (line: number, message: string): never => {
    throw new ClusterError(`${source}:${line}: ${message}`)
  }
  lines.forEach((raw, index) => {
    const line = index + 1
    const content = raw.replace(/#.*$/, "").trim()
    if (content.length === 0) return
    const [keyword, ...fields] = content.split(/\s+/)
    switch (keyword) {
      case "protocol": {
        if (fields.length !== 1) fail(line, `"protocol" takes one name, got ${fields.length}`)
        if (protocol !== undefined) fail(line, `"protocol" is given twice`)
        protocol = fields[0]!
        return
      }
      case "param": {
        if (fields.length !== 1) fail(line, `"param" takes one NAME=N, got ${fields.length} fields`)
        const m = /^([A-Za-z][\w-]*)=(\d+)$/.exec(fields[0]!)
        if (m === null) return fail(line, `param "${fields[0]}" is not NAME=N with a whole number N`)
        if (Object.hasOwn(parameters, m[1]!)) fail(line, `param "${m[1]}" is given twice`)
        parameters[m[1]!] = Number(m[2])
        return
      }
      case "node": {
        if (fields.length !== 3) fail(line, `"node" takes ID ROLE HOST:PORT, got ${fields.length} field(s)`)
        const [id, role, address] = fields as [string, string, string]
        if (!idPattern.test(id)) fail(line, `node id "${id}" must be letters, digits, _, . or - (not starting with a symbol)`)
        const previous = nodes.find((n) => n.id === id)
        if (previous !== undefined) fail(line, `node "${id}" is already declared on line ${previous.line}`)
        const parsed = parseAddress(address)
        if (typeof parsed === "string") return fail(line, `node "${id}": ${parsed}`)
        const clash = nodes.find((n) => n.host === parsed.host && n.port === parsed.port)
        if (clash !== undefined) fail(line, `node "${id}": address ${address} is already used by "${clash.id}" on line ${clash.line}`)
        nodes.push({ id, role, host: parsed.host, port: parsed.port, line })
        return
      }
      case "tls": {
        if (fields[0] === "ca") {
          if (fields.length !== 2) fail(line, `"tls ca" takes one FILE, got ${fields.length - 1} field(s)`)
          if (ca !== undefined) fail(line, `"tls ca" is already given on line ${ca.line}`)
          ca = { file: fields[1]!, line }
          return
        }
        if (fields[0] === "node") {
          if (fields.length !== 4) fail(line, `"tls node" takes ID CERT KEY, got ${fields.length - 1} field(s)`)
          const [, id, cert, key] = fields as [string, string, string, string]
          const previous = certificates.get(id)
          if (previous !== undefined) fail(line, `the certificate of "${id}" is already given on line ${previous.line}`)
          certificates.set(id, { cert, key, line })
          return
        }
        return fail(line, `"tls" takes "ca FILE" or "node ID CERT KEY", got "${fields[0] ?? ""}"`)
      }
      default:
        fail(line, `unknown keyword "${keyword}" (expected protocol, param, node or tls)`)
    }
  })
  if (nodes.length === 0) throw new ClusterError(`${source}: no nodes are declared (add lines "node ID ROLE HOST:PORT")`)
  if (ca === undefined && certificates.size === 0) return { source, protocol, parameters, nodes }
  for (const [id, c] of certificates) {
    if (!nodes.some((n) => n.id === id)) fail(c.line, `a certificate for "${id}", which is not a declared node`)
  }
  for (const node of nodes) {
    if (!certificates.has(node.id)) fail(node.line, `node "${node.id}" has no certificate: add a line "tls node ${node.id} CERT KEY" (the file has tls lines, so every node needs one)`)
  }
  if (ca === undefined) return fail(certificates.values().next().value!.line, `the file names node certificates but no CA: add a line "tls ca FILE"`)
  return { source, protocol, parameters, nodes, tls: { ca, nodes: certificates } }
}

/**
 * Checks that the cluster declares exactly the nodes of the system's topology, each in its role,
 * and returns the cluster node of each id. Problems name the line of the node at fault.
 *
 * @example
 * import * as PingPongSystem from "../test/fixtures/PingPongSystem.ts"
 * const cluster = parse("node p1 pinger 127.0.0.1:1\nnode q1 ponger 127.0.0.1:2", "x")
 * match(cluster, PingPongSystem.system().topology).get("q1")?.port // => 2
 */
export const match = (cluster: Cluster, topology: Topology<any>): ReadonlyMap<string, ClusterNode> => {
  const problems: Array<string> = []
  const byId = new Map<string, ClusterNode>()
  for (const node of cluster.nodes) {
    const role = topology.roleOf.get(node.id) as string | undefined
    if (role === undefined) {
      problems.push(`${cluster.source}:${node.line}: node "${node.id}" is not a node of the protocol (its nodes: ${topology.all.join(", ")})`)
    } else if (role !== node.role) {
      problems.push(`${cluster.source}:${node.line}: node "${node.id}" has role "${node.role}", but the protocol has it as "${role}"`)
    } else byId.set(node.id, node)
  }
  const missing = topology.all.filter((id) => !cluster.nodes.some((n) => n.id === id))
  if (missing.length > 0) problems.push(`${cluster.source}: the protocol's nodes ${missing.map((m) => `"${m}"`).join(", ")} are not declared (add "node ID ROLE HOST:PORT" lines, or change the params)`)
  if (problems.length > 0) throw new ClusterError(problems.join("\n"))
  return byId
}

/**
 * The text of a cluster file, e.g. for a generated local cluster.
 *
 * @example
 * format({ source: "x", protocol: "calculator", parameters: { clients: 1 }, nodes: [{ id: "c1", role: "client", host: "127.0.0.1", port: 7000, line: 0 }] })
 * // => "protocol calculator\nparam clients=1\nnode c1 client 127.0.0.1:7000\n"
 */
export const format = (cluster: Omit<Cluster, "source"> & { readonly source?: string }): string =>
  [
    ...(cluster.protocol === undefined ? [] : [`protocol ${cluster.protocol}`]),
    ...Object.entries(cluster.parameters).map(([k, v]) => `param ${k}=${v}`),
    ...cluster.nodes.map((n) => `node ${n.id} ${n.role} ${n.host.includes(":") ? `[${n.host}]` : n.host}:${n.port}`),
    ...(cluster.tls === undefined ? [] : [`tls ca ${cluster.tls.ca.file}`, ...[...cluster.tls.nodes].map(([id, c]) => `tls node ${id} ${c.cert} ${c.key}`)])
  ].join("\n") + "\n"
