/**
 * `protoweave node --id X --cluster FILE`: runs one node of a cluster in this process, for real
 * multi-host use (and, one per process, under `protoweave run`). The node listens on its address
 * from the cluster file, runs its role's program from the protocol family the file names, keeps
 * its journal in `--data`, and writes one JSON line per event to stdout (rejected frames with
 * their reason included). It exits once its program has ended and every message it sent has been
 * acknowledged, after lingering `--linger` ms to answer peers that are still finishing; `--linger
 * -1` keeps it serving until it is stopped.
 *
 * It authenticates its peers by the certificates the cluster file names (`tls` lines, made by
 * `protoweave keys`) or else by the shared secret (`--secret-file`, `PROTOWEAVE_SECRET`). A
 * refused handshake is said on stderr with the peer and the reason, and after
 * `--max-handshake-failures N` in a row with one peer the node exits 2.
 *
 * The node locks its journal's folder for itself (a second node with the same `--id` and `--data`
 * exits 2 naming the first one's pid) and refuses a damaged journal, or a missing one where it has
 * run before; `--reset` starts it afresh, saying on stderr what it sets aside
 * (`runtime/DataDirectory.ts`).
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import type * as FileSystem from "effect/FileSystem"
import * as Option from "effect/Option"
import { Command, Flag } from "effect/cli"
import * as path from "node:path"
import type { Family, System } from "../core/System.ts"
import * as Admission from "../runtime/Admission.ts"
import * as Cluster from "../runtime/Cluster.ts"
import * as DataDirectory from "../runtime/DataDirectory.ts"
import * as Node from "../runtime/Node.ts"
import * as Secret from "../runtime/Secret.ts"
import * as Tls from "../runtime/Tls.ts"
import { oneLine, UsageError, ViolationFound } from "./Errors.ts"
import * as Files from "./Files.ts"
import * as Manifests from "./Manifests.ts"
import * as Parameters from "./Parameters.ts"
import { wholeNumber } from "./Simulate.ts"

const messageOf = (e: unknown) => oneLine(e instanceof Error ? e.message : String(e))

/** A cluster file with the family and system it runs. */
export interface LoadedCluster {
  readonly file: string
  readonly cluster: Cluster.Cluster
  /** The family, and the argument that names it again for the nodes' processes. */
  readonly chosen: Manifests.Chosen
  readonly family: Family
  readonly parameters: { readonly [name: string]: number }
  readonly system: System
}

/**
 * Reads a cluster file and builds the system it runs: the family named by `protocol` (or else by
 * the file; a module path in the file is relative to the file's folder, and `#` starts a comment
 * there, so the family of a module with several is chosen by `protocol`, `<path>#<family>`), its
 * parameters from the file's `param` lines, and a check that the file declares exactly the
 * system's nodes in their roles.
 */
export const loadCluster = (file: string, protocol: string | undefined): Effect.Effect<LoadedCluster, UsageError, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const text = yield* Files.readText(file, "cluster file")
    const cluster = yield* Effect.try({ try: () => Cluster.parse(text, file), catch: (e) => new UsageError({ message: messageOf(e) }) })
    const inFile =
      cluster.protocol !== undefined && Manifests.isModulePath(cluster.protocol) && !path.isAbsolute(cluster.protocol) && !cluster.protocol.startsWith("file:")
        ? path.join(path.dirname(file), cluster.protocol)
        : cluster.protocol
    const named = (arg: string) => Manifests.resolve(arg).pipe(Effect.mapError((e) => new UsageError({ message: `${file}: ${e.message}` })))
    const given = protocol === undefined ? undefined : yield* Manifests.resolve(protocol)
    // The module the file names, with the family chosen by `protocol`, is the same cluster.
    const sameModule = given?.module !== undefined && inFile !== undefined && Manifests.isModulePath(inFile) && path.resolve(inFile) === given.module
    if (given !== undefined && inFile !== undefined && !sameModule && (yield* named(inFile)).argument !== given.argument) {
      return yield* new UsageError({ message: `${file} is a cluster of ${cluster.protocol}, not ${protocol}` })
    }
    if (given === undefined && inFile === undefined) {
      return yield* new UsageError({ message: `${file} names no protocol: add a line "protocol NAME" (or a module path) or give --protocol` })
    }
    const chosen = given ?? (yield* named(inFile!))
    const family = chosen.family
    const parameters = yield* Parameters.resolve(
      family,
      Object.entries(cluster.parameters).map(([k, v]) => ({ name: k, text: String(v), source: `${file}: param ${k}=${v}` }))
    )
    const system = yield* Effect.try({
      try: () => family.make(parameters),
      catch: (e) => new UsageError({ message: `cannot build ${family.name}: ${messageOf(e)}` })
    })
    if (system.programs.size === 0) return yield* new UsageError({ message: `${family.name} has no programs to run (it is a model for the checker)` })
    yield* Effect.try({ try: () => Cluster.match(cluster, system.topology), catch: (e) => new UsageError({ message: messageOf(e) }) })
    return { file, cluster, chosen, family, parameters, system }
  })

const config = {
  id: Flag.String("id").pipe(Flag.withMetavar("NODE"), Flag.withDescription("the node to run, as the cluster file names it")),
  cluster: Flag.String("cluster").pipe(Flag.withMetavar("FILE"), Flag.withDescription("the cluster file: protocol, params, and one line per node with its role and HOST:PORT")),
  protocol: Flag.String("protocol").pipe(
    Flag.withMetavar("NAME|PATH"),
    Flag.withDescription("the protocol family (a name, or a protocol module's path with an optional #<family>), if the cluster file does not name it"),
    Flag.optional
  ),
  data: Flag.String("data").pipe(Flag.withMetavar("DIR"), Flag.withDefault("protoweave-data"), Flag.withDescription("the folder of the node's journal (default protoweave-data)")),
  secretFile: Flag.String("secret-file").pipe(
    Flag.withMetavar("FILE"),
    Flag.withDescription(`a file holding the cluster's shared secret (else ${Secret.environmentVariable} is read)`),
    Flag.optional
  ),
  linger: Flag.String("linger").pipe(Flag.withMetavar("MS"), Flag.withDefault("2000"), Flag.withDescription("keep serving this long after finishing; -1: until stopped (default 2000)")),
  reset: Flag.Boolean("reset").pipe(
    Flag.withDefault(false),
    Flag.withDescription("start afresh as a new node: set the journal aside (saying what it held) and forget that the node ran in --data")
  ),
  compact: Flag.Boolean("compact").pipe(Flag.withDefault(false), Flag.withDescription("rewrite the journal as a snapshot at start (it then no longer yields a trace)")),
  maxUnauthenticated: Flag.String("max-unauthenticated").pipe(
    Flag.withMetavar("N"),
    Flag.withDefault(String(Admission.defaultMaxUnauthenticated)),
    Flag.withDescription(`connections still in their handshake held at once; one more drops the oldest (default ${Admission.defaultMaxUnauthenticated})`)
  ),
  maxHandshakeFailures: Flag.String("max-handshake-failures").pipe(
    Flag.withMetavar("N"),
    Flag.withDefault("0"),
    Flag.withDescription("exit (code 2) once this many handshakes in a row with one peer were refused (wrong secret, certificate); 0: retry forever (default 0)")
  )
}

/** Runs one node until it has finished and lingered; exit 1 if its program failed. */
export const node = (input: {
  readonly id: string
  readonly cluster: string
  readonly protocol: Option.Option<string>
  readonly data: string
  readonly secretFile: Option.Option<string>
  readonly linger: string
  readonly reset: boolean
  readonly compact: boolean
  readonly maxUnauthenticated: string
  readonly maxHandshakeFailures: string
}): Effect.Effect<void, UsageError | ViolationFound, FileSystem.FileSystem> =>
  Effect.gen(function* () {
    const loaded = yield* loadCluster(input.cluster, Option.getOrUndefined(input.protocol))
    if (!loaded.system.topology.roleOf.has(input.id)) {
      return yield* new UsageError({ message: `--id ${input.id}: ${input.cluster} has no node "${input.id}" (its nodes: ${loaded.system.topology.all.join(", ")})` })
    }
    const linger = input.linger.trim() === "-1" ? -1 : yield* wholeNumber("linger", input.linger, 0)
    // Stopped by a signal (as `protoweave run` stops its nodes), the node releases its data
    // directory's lock, then dies of the signal as it would have.
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      process.once(signal, () => {
        DataDirectory.releaseHeld()
        process.kill(process.pid, signal)
      })
    }
    const maxUnauthenticated = yield* wholeNumber("max-unauthenticated", input.maxUnauthenticated, 1)
    const maxHandshakeFailures = yield* wholeNumber("max-handshake-failures", input.maxHandshakeFailures, 0)
    // A cluster file with tls lines authenticates by certificates; one without, by the shared secret.
    if (loaded.cluster.tls !== undefined && Option.isSome(input.secretFile)) {
      return yield* new UsageError({ message: `${input.cluster} authenticates its nodes by TLS certificates (its tls lines): drop --secret-file` })
    }
    const authentication = loaded.cluster.tls === undefined
      ? { secret: yield* Effect.try({ try: () => Secret.load(Option.getOrUndefined(input.secretFile)), catch: (e) => new UsageError({ message: messageOf(e) }) }) }
      : { tls: yield* Effect.try({ try: () => Tls.load(loaded.cluster, input.id), catch: (e) => new UsageError({ message: messageOf(e) }) }) }
    const outcome = yield* Effect.scoped(
      Effect.gen(function* () {
        const running = yield* Effect.mapError(
          Node.start({
            system: loaded.system,
            cluster: loaded.cluster,
            self: input.id,
            ...authentication,
            maxHandshakeFailures,
            dataDir: input.data,
            reset: input.reset,
            compact: input.compact,
            maxUnauthenticated,
            log: (entry) => {
              process.stdout.write(`${JSON.stringify({ time: Date.now(), ...entry })}\n`)
              // Failing handshakes are said on stderr too, at the 1st, 2nd, 4th, 8th… in a row.
              const failures = entry.event === "handshake-failed" ? Number(entry.failures) : 0
              if (failures > 0 && (failures & (failures - 1)) === 0) {
                process.stderr.write(`handshake with ${String(entry.peer)} failed (${failures} in a row): ${String(entry.reason)}\n`)
              }
            }
          }),
          (e) => new UsageError({ message: e.message })
        )
        // A node whose journal fails stops with the reason, as bad input does: exit 2, one line.
        const outcome = yield* Effect.mapError(running.finished, (e) => new UsageError({ message: e.message }))
        yield* Console.log(JSON.stringify({ time: Date.now(), event: "finished", node: input.id, ...outcome, stats: running.stats }))
        yield* linger < 0 ? Effect.never : Effect.sleep(linger)
        return outcome
      })
    )
    if (outcome.outcome === "failed") return yield* new ViolationFound()
  })

/** The `node` command. */
export const command = Command.make("node", config, node).pipe(
  Command.withDescription("Run one node of a cluster over TCP: its program, authenticated links to its peers, a durable journal")
)
