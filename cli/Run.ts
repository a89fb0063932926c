/**
 * `protoweave run <protocol> --cluster FILE`: starts a local cluster, one `protoweave node`
 * process per node of the cluster file, shows its progress on stderr about once a second, stops
 * the nodes once every one has finished, then merges their journals into one trace and replays it
 * in the simulator, which checks every invariant after every step. `--trace FILE` keeps the
 * merged trace for `protoweave replay`.
 *
 * A cluster file with `tls` lines has its nodes authenticate by their certificates (`protoweave
 * keys`); otherwise the shared secret goes to the nodes through their environment, never their
 * command lines: from `--secret-file` (whose path they are given), from `PROTOWEAVE_SECRET`, or
 * else a fresh random one for this run. A node whose handshakes with a peer are refused
 * `--max-handshake-failures` times in a row exits, and the run fails with its reason.
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type * as FileSystem from "effect/FileSystem"
import * as Option from "effect/Option"
import { Argument, Command, Flag } from "effect/cli"
import { spawn, type ChildProcess } from "node:child_process"
import { randomBytes } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Package from "../internal/Package.ts"
import * as Journal from "../runtime/Journal.ts"
import * as Merge from "../runtime/Merge.ts"
import * as Secret from "../runtime/Secret.ts"
import * as Report from "../simulator/Report.ts"
import * as Simulator from "../simulator/Simulator.ts"
import * as Trace from "../simulator/Trace.ts"
import { oneLine, UsageError, ViolationFound } from "./Errors.ts"
import * as Files from "./Files.ts"
import { loadCluster, type LoadedCluster } from "./Node.ts"
import { wholeNumber } from "./Simulate.ts"

// From the sources or from dist/, the executable is at the package root.
const bin = Package.file("bin/protoweave.js")

const config = {
  protocol: Argument.String("protocol").pipe(
    Argument.withDescription('the protocol to run: a name "protoweave list" shows, or a protocol module\'s path (./src/election.ts, or ./src/election.ts#<family>)')
  ),
  cluster: Flag.String("cluster").pipe(Flag.withMetavar("FILE"), Flag.withDescription("the cluster file: params, and one line per node with its role and HOST:PORT")),
  data: Flag.String("data").pipe(Flag.withMetavar("DIR"), Flag.withDescription("the folder of the nodes' journals (default: a new temporary folder)"), Flag.optional),
  secretFile: Flag.String("secret-file").pipe(
    Flag.withMetavar("FILE"),
    Flag.withDescription(`a file holding the shared secret (else ${Secret.environmentVariable}, else a random one for this run)`),
    Flag.optional
  ),
  maxHandshakeFailures: Flag.String("max-handshake-failures").pipe(
    Flag.withMetavar("N"),
    Flag.withDefault("5"),
    Flag.withDescription("a node exits, and the run fails, once this many handshakes in a row with one peer were refused (default 5; 0: never)")
  ),
  reset: Flag.Boolean("reset").pipe(
    Flag.withDefault(false),
    Flag.withDescription("start every node afresh, setting aside the journals already in --data (each node says what it discards)")
  ),
  trace: Flag.String("trace").pipe(Flag.withMetavar("FILE"), Flag.withDescription("write the merged NDJSON trace of the run"), Flag.optional),
  timeout: Flag.String("timeout").pipe(Flag.withMetavar("S"), Flag.withDefault("300"), Flag.withDescription("give up after this many seconds (default 300)"))
}

/** What the nodes did, from the event lines they print. */
interface Progress {
  started: number
  sent: number
  delivered: number
  rejected: number
  readonly finished: Map<string, { outcome: string; detail: unknown }>
}

const formatProgress = (p: Progress, total: number, elapsedMs: number): string =>
  `progress: ${(elapsedMs / 1000).toFixed(1)}s  started ${p.started}/${total}  sent ${p.sent}  delivered ${p.delivered}  rejected ${p.rejected}  finished ${p.finished.size}/${total}` +
  (p.finished.size > 0 ? ` (${[...p.finished.keys()].join(", ")})` : "")

/** Starts every node as a process, and resolves once all have finished (or fails with why not). */
const runNodes = (
  loaded: LoadedCluster,
  dataDir: string,
  secretFile: string | undefined,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  maxHandshakeFailures: number,
  reset: boolean
): Effect.Effect<Progress, UsageError> =>
  Effect.callback<Progress, UsageError>((resume) => {
    const started = Date.now()
    const ids = loaded.system.topology.all
    const progress: Progress = { started: 0, sent: 0, delivered: 0, rejected: 0, finished: new Map() }
    // Servers that loop forever (daemons) and nodes without a program never finish: as in the
    // simulator, the cluster is done when every other node has finished and nothing is in flight.
    const serving = new Set(ids.filter((id) => loaded.system.programs.get(id)?.daemon ?? true))
    const done = () => ids.every((id) => serving.has(id) || progress.finished.has(id)) && progress.sent === progress.delivered
    const children = new Map<string, ChildProcess>()
    let over = false
    const stopAll = () => {
      for (const child of children.values()) if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
    }
    const onExit = () => stopAll()
    process.once("exit", onExit)
    const finish = (result: Effect.Effect<Progress, UsageError>) => {
      if (over) return
      over = true
      clearInterval(ticker)
      clearTimeout(deadline)
      stopAll()
      process.off("exit", onExit)
      const pending = [...children.values()].filter((c) => c.exitCode === null && c.signalCode === null)
      if (pending.length === 0) return resume(result)
      let left = pending.length
      for (const child of pending) child.once("exit", () => --left === 0 && resume(result))
    }
    const ticker = setInterval(() => process.stderr.write(`${formatProgress(progress, ids.length, Date.now() - started)}\n`), 1000)
    const deadline = setTimeout(
      () => finish(Effect.fail(new UsageError({ message: `the cluster did not finish within ${timeoutMs / 1000} s (finished: ${[...progress.finished.keys()].join(", ") || "none"}); journals in ${dataDir}` }))),
      timeoutMs
    )
    for (const id of ids) {
      const args = [bin, "node", "--id", id, "--cluster", loaded.file, "--protocol", loaded.chosen.argument, "--data", dataDir, "--linger", "-1"]
      if (secretFile !== undefined) args.push("--secret-file", secretFile)
      if (reset) args.push("--reset")
      args.push("--max-handshake-failures", String(maxHandshakeFailures))
      const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "pipe"] })
      children.set(id, child)
      let buffered = ""
      child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
        buffered += chunk
        for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
          const line = buffered.slice(0, nl)
          buffered = buffered.slice(nl + 1)
          let entry: { event?: string; outcome?: string; detail?: unknown; reason?: string; peer?: string }
          try {
            entry = JSON.parse(line)
          } catch {
            continue
          }
          if (entry.event === "started") progress.started++
          else if (entry.event === "send") progress.sent++
          else if (entry.event === "deliver") {
            progress.delivered++
            if (done()) finish(Effect.succeed(progress))
          }
          else if (entry.event === "rejected") {
            progress.rejected++
            process.stderr.write(`${id}: rejected a frame from ${entry.peer}: ${entry.reason}\n`)
          } else if (entry.event === "finished") {
            progress.finished.set(id, { outcome: entry.outcome ?? "?", detail: entry.detail })
            process.stdout.write(`${id} finished: ${entry.outcome} ${Report.compact(entry.detail, 160)}\n`)
            if (done()) finish(Effect.succeed(progress))
          }
        }
      })
      let lastError: string | undefined
      child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
        for (const line of chunk.split("\n")) {
          if (line.trim().length > 0) process.stderr.write(`${id}: ${line}\n`)
          if (line.startsWith("protoweave: error: ")) lastError = line.slice("protoweave: error: ".length)
        }
      })
      // "close" comes after the process's stderr has been read to its end, its error line included.
      child.once("close", (code, signal) => {
        if (!progress.finished.has(id)) {
          const why = lastError === undefined ? "" : `: ${lastError}`
          finish(Effect.fail(new UsageError({ message: `node ${id} exited (${signal ?? `code ${code}`}) before finishing${why}; journals in ${dataDir}` })))
        }
      })
    }
    return Effect.sync(() => finish(Effect.succeed(progress)))
  })

/** Runs `run`: the cluster, then the merged trace and its replay. */
export const run = (input: {
  readonly protocol: string
  readonly cluster: string
  readonly data: Option.Option<string>
  readonly secretFile: Option.Option<string>
  readonly maxHandshakeFailures: string
  readonly reset: boolean
  readonly trace: Option.Option<string>
  readonly timeout: string
}): Effect.Effect<void, UsageError | ViolationFound, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const loaded = yield* loadCluster(input.cluster, input.protocol)
    const timeout = yield* wholeNumber("timeout", input.timeout, 1)
    const maxHandshakeFailures = yield* wholeNumber("max-handshake-failures", input.maxHandshakeFailures, 0)
    const secretFile = Option.getOrUndefined(input.secretFile)
    const env = { ...process.env }
    if (loaded.cluster.tls !== undefined) {
      // The nodes authenticate by their certificates (the cluster's tls lines): no secret.
      if (secretFile !== undefined) return yield* new UsageError({ message: `${loaded.file} authenticates its nodes by TLS certificates (its tls lines): drop --secret-file` })
    } else if (secretFile !== undefined) {
      // Each node warns about a secret file others can read; the check here only refuses a bad one.
      yield* Effect.try({ try: () => Secret.load(secretFile, {}, () => undefined), catch: (e) => new UsageError({ message: oneLine((e as Error).message) }) })
    } else if ((env[Secret.environmentVariable] ?? "").length === 0) {
      env[Secret.environmentVariable] = randomBytes(32).toString("hex")
    }
    const dataDir = Option.getOrElse(input.data, () => fs.mkdtempSync(path.join(os.tmpdir(), "protoweave-run-")))
    const ids = loaded.system.topology.all
    yield* Console.log(`${loaded.family.name}  ${Object.entries(loaded.parameters).map(([k, v]) => `${k}=${v}`).join(" ")}  ${ids.length} nodes  journals in ${dataDir}`)
    const started = Date.now()
    const progress = yield* runNodes(loaded, dataDir, secretFile, env, timeout * 1000, maxHandshakeFailures, input.reset)
    process.stderr.write(`${formatProgress(progress, ids.length, Date.now() - started)}\n`)
    const failed = [...progress.finished.entries()].filter(([, f]) => f.outcome !== "done")
    const merged = yield* Effect.try({
      try: () => Merge.merge(loaded.system, { name: loaded.family.name, parameters: loaded.parameters }, new Map(ids.map((id) => [id, Journal.read(Journal.fileOf(dataDir, id))]))),
      catch: (e) => new UsageError({ message: `cannot merge the journals in ${dataDir}: ${oneLine((e as Error).message)}` })
    })
    const trace = Trace.withModule(merged, loaded.chosen.module)
    const traceFile = Option.getOrUndefined(input.trace)
    if (traceFile !== undefined) yield* Files.writeText(traceFile, `${Trace.toNdjson(trace)}\n`, "trace file")
    const replayed = yield* Effect.try({
      try: () => Simulator.replay(loaded.system, trace),
      catch: (e) => new UsageError({ message: `the merged trace does not replay: ${oneLine((e as Error).message)}` })
    })
    yield* Console.log(`merged trace: ${trace.end.steps} steps over ${Math.round(trace.end.time)} ms${traceFile === undefined ? "" : ` written to ${traceFile}`}`)
    for (const lost of merged.lostExits) {
      yield* Console.log(`program end put back: ${lost.node}'s program ended after step ${lost.step}; its journal lost the record of that end to the crash at step ${lost.crash}`)
    }
    if (!replayed.identical) {
      yield* Console.log(`the simulator's replay differs: ${replayed.difference ?? ""}`)
      return yield* new UsageError({ message: "the merged trace does not replay identically in the simulator" })
    }
    const violation = replayed.trace.end.violation
    if (violation !== null) {
      yield* Console.log(`replayed in the simulator: ${Report.formatViolation(violation)}`)
      return yield* new ViolationFound()
    }
    yield* Console.log(`replayed in the simulator: identical, ${loaded.system.properties.filter((p) => p.kind === "always").length} invariants hold at every step; status ${trace.end.status}`)
    if (failed.length > 0) return yield* new ViolationFound()
  })

/** The `run` command. */
export const command = Command.make("run", config, run).pipe(
  Command.withDescription("Run a protocol as a local cluster, one process per node over TCP, and check the merged trace in the simulator")
)
