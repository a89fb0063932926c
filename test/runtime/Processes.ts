/**
 * What the runtime's process tests share: free loopback ports, cluster files, and `protoweave
 * node` processes whose JSON event lines can be awaited, all killed after each test.
 */
import { spawn, type ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { afterEach } from "vitest"
import { bin, root } from "../cli/Harness.ts"

/** `n` distinct ports that the OS reports free on `host` (held together, then released). */
export const freePorts = async (n: number, host = "127.0.0.1"): Promise<Array<number>> => {
  const servers = await Promise.all(
    Array.from({ length: n }, () => new Promise<net.Server>((resolve, reject) => {
      const server = net.createServer()
      server.once("error", reject)
      server.listen(0, host, () => resolve(server))
    }))
  )
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port)
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))))
  return ports
}

/** Writes a cluster file for a two-phase-commit cluster: `c` and `p1..pN` at the given addresses. */
export const tpcCluster = (dir: string, name: string, rounds: number, addresses: ReadonlyArray<string>): string => {
  const file = path.join(dir, name)
  const lines = ["protocol two-phase-commit", `param participants=${addresses.length - 1}`, `param rounds=${rounds}`]
  addresses.forEach((address, i) => lines.push(i === 0 ? `node c coordinator ${address}` : `node p${i} participant ${address}`))
  fs.writeFileSync(file, `${lines.join("\n")}\n`)
  return file
}

/** One event line of a node. */
export interface NodeEvent {
  readonly event: string
  readonly [field: string]: any
}

/** A running `protoweave node` process. */
export interface NodeProcess {
  readonly id: string
  readonly child: ChildProcess
  readonly events: Array<NodeEvent>
  readonly stderr: () => string
  /** Resolves with the first event (past or future) satisfying `predicate`. */
  readonly waitFor: (predicate: (e: NodeEvent) => boolean, what: string, timeoutMs?: number) => Promise<NodeEvent>
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

const running = new Set<ChildProcess>()

afterEach(() => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL")
  running.clear()
})

/**
 * Starts `protoweave node` with `args` (prefixed by `prefix`, e.g. `ip netns exec NS`), with the
 * secret in its environment.
 */
export const startNode = (id: string, args: ReadonlyArray<string>, secret: string, prefix: ReadonlyArray<string> = []): NodeProcess => {
  const command = [...prefix, process.execPath, bin, "node", "--id", id, ...args]
  const child = spawn(command[0]!, command.slice(1), { cwd: root, env: { ...process.env, PROTOWEAVE_SECRET: secret }, stdio: ["ignore", "pipe", "pipe"] })
  running.add(child)
  const events: Array<NodeEvent> = []
  const listeners = new Set<() => void>()
  let err = ""
  let buffered = ""
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    buffered += chunk
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      const line = buffered.slice(0, nl)
      buffered = buffered.slice(nl + 1)
      try {
        events.push(JSON.parse(line))
      } catch {
        err += `(stdout) ${line}\n`
      }
    }
    for (const l of [...listeners]) l()
  })
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => void (err += chunk))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => {
    for (const l of [...listeners]) l()
    resolve({ code, signal })
  }))
  const waitFor = (predicate: (e: NodeEvent) => boolean, what: string, timeoutMs = 90_000) =>
    new Promise<NodeEvent>((resolve, reject) => {
      const check = () => {
        const found = events.find(predicate)
        if (found !== undefined) {
          done()
          resolve(found)
        } else if (child.exitCode !== null || child.signalCode !== null) {
          done()
          reject(new Error(`node ${id} exited (${child.signalCode ?? child.exitCode}) before ${what}; stderr: ${err}`))
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`node ${id}: no ${what} within ${timeoutMs} ms; last events: ${JSON.stringify(events.slice(-5))}; stderr: ${err}`))
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        listeners.delete(check)
      }
      listeners.add(check)
      check()
    })
  return { id, child, events, stderr: () => err, waitFor, exited }
}
