/**
 * One node of a protocol on a real network: its program runs against a driver that checks every
 * send with the step function's node-local half (`Step.sendLocal`, exactly the simulator's check)
 * and every receive with `Step.receiveLocal`; its messages travel over authenticated TCP
 * connections (`Transport.ts`); its local state, its unacknowledged outgoing messages and its
 * unconsumed incoming ones live in a write-ahead log (`Journal.ts`).
 *
 * Delivery is exactly-once per journal: messages are numbered per sender and receiver, written to
 * the journal and synced before they are sent, and resent after every reconnection until the
 * receiver acknowledges them; the receiver syncs a message to its own journal before it
 * acknowledges it, and drops any number it already holds. A node killed at any point and started
 * again on the same journal resumes in the local state of its last logged step (passed through the
 * role's `recover`, as in the simulator), with its program started again from the beginning.
 *
 * A program's `send` returns once the step is appended to the journal; the message itself waits
 * for the sync that covers it, so the program goes on while the disk works and one sync covers
 * every step appended in the meantime (group commit). Nothing leaves the node before it is
 * durable — messages, acknowledgements, the program's end — so a crash before a sync loses only
 * steps that nobody outside the node has seen, as if the node had crashed before taking them.
 * Acknowledgements are cumulative and sent a few milliseconds after the messages they cover
 * (`ackDelayMs`), so that one acknowledgement frame covers every message of a busy link.
 *
 * Every frame a node receives is checked — sealed with the session key, a known tag its role
 * receives, sent by a node of the role that sends it, a payload that decodes with the tag's
 * Schema, the next number from that sender — and anything else is rejected and logged with the
 * reason; the connection of a frame that breaks the stream (oversized, unsealed) is closed, and
 * the node goes on serving.
 *
 * @since 0.1.0
 */
import * as NodeSocket from "@effect/platform-node-shared/NodeSocket"
import * as NodeSocketServer from "@effect/platform-node-shared/NodeSocketServer"
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import { randomBytes } from "node:crypto"
import * as Program from "../core/Program.ts"
import type { ProtocolViolation } from "../core/ProtocolViolation.ts"
import * as Step from "../core/Step.ts"
import type { System } from "../core/System.ts"
import type { Cluster, ClusterNode } from "./Cluster.ts"
import * as ClusterFile from "./Cluster.ts"
import * as Frame from "./Frame.ts"
import { Journal, fileOf, type JournalRecord } from "./Journal.ts"
import * as Transport from "./Transport.ts"
import * as Wire from "./Wire.ts"

/** A line of a node's log: what happened, with its details. */
export interface LogEntry {
  readonly event: string
  readonly [field: string]: unknown
}

/** How a node runs. */
export interface NodeOptions {
  readonly system: System
  readonly cluster: Cluster
  readonly self: string
  readonly secret: Uint8Array
  /** The folder of the node's journal (`<self>.journal`). */
  readonly dataDir: string
  /** Sync the journal before a message leaves (default true). Off only for measurements that say so. */
  readonly durable?: boolean
  /** Rewrite the journal as a snapshot at start (it then no longer holds the history a trace needs). */
  readonly compact?: boolean
  readonly maxFrame?: number
  readonly handshakeTimeoutMs?: number
  /**
   * How long a receiver waits before acknowledging what it holds (default 5 ms): one cumulative
   * acknowledgement then covers every message that arrived meanwhile. The sender resends only after
   * a reconnection, so the delay costs no resends; it only keeps messages in the sender's outbox
   * (and its program from being finished) that much longer.
   */
  readonly ackDelayMs?: number
  /** Reconnection delays: doubling from `initialMs` up to `maxMs`, with jitter. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number }
  readonly log?: (entry: LogEntry) => void
}

/** Counters of what a node did, for progress output and tests. */
export interface Stats {
  sent: number
  received: number
  consumed: number
  duplicates: number
  acknowledged: number
  /** Frames refused (each is also logged with its reason). */
  rejected: number
  connections: number
}

/** How a node's program ended. */
export interface Outcome {
  readonly outcome: "done" | "failed"
  readonly detail: unknown
}

/** A running node. */
export interface RunningNode {
  readonly id: string
  readonly role: string
  readonly incarnation: number
  readonly port: number
  readonly stats: Readonly<Stats>
  /** Completes when the program has ended and every message it sent has been acknowledged. */
  readonly finished: Effect.Effect<Outcome>
  /** The node's current local state. */
  readonly local: () => unknown
}

/**
 * A node that cannot start: a journal of another node, an address in use, a missing program.
 *
 * @example
 * new NodeError({ message: "c cannot listen on 127.0.0.1:7100" })._tag // => "NodeError"
 */
export class NodeError extends Data.TaggedError("NodeError")<{ readonly message: string }> {}

interface Outgoing {
  readonly seq: number
  readonly tag: string
  /** The payload's JSON form. */
  readonly payload: unknown
}

interface Incoming {
  readonly from: string
  readonly instance: string
  readonly seq: number
  readonly tag: string
  readonly payload: unknown
  readonly arrival: number
}

interface Waiter {
  readonly filter: Program.RuntimeFilter
  readonly resume: (message: Program.ReceivedMessage) => void
}

/** Wakes every fiber waiting on it. */
class Signal {
  private waiters = new Set<() => void>()
  private soon = false
  readonly wait: Effect.Effect<void> = Effect.callback<void>((resume) => {
    const wake = () => resume(Effect.void)
    this.waiters.add(wake)
    return Effect.sync(() => void this.waiters.delete(wake))
  })
  wake(): void {
    const waiters = [...this.waiters]
    this.waiters.clear()
    for (const w of waiters) w()
  }
  /**
   * Wakes the waiters once the code running now has finished (a microtask), so that everything it
   * makes ready — every message released by one sync — is handled in one go.
   */
  wakeSoon(): void {
    if (this.soon) return
    this.soon = true
    queueMicrotask(() => {
      this.soon = false
      this.wake()
    })
  }
}


/**
 * Starts a node in the current scope, recovering it from its journal if it has one; closing the
 * scope stops it (its journal stays, and a later start resumes from it).
 */
export const start = (options: NodeOptions): Effect.Effect<RunningNode, NodeError, Scope.Scope> =>
  Effect.gen(function* () {
    const { system, self } = options
    const protocol = system.protocol
    const topology = system.topology
    const role = topology.roleOf.get(self) as string | undefined
    if (role === undefined) return yield* new NodeError({ message: `"${self}" is not a node of ${protocol.label} (its nodes: ${topology.all.join(", ")})` })
    const addresses = yield* Effect.try({
      try: () => ClusterFile.match(options.cluster, topology),
      catch: (e) => new NodeError({ message: (e as Error).message })
    })
    const me = addresses.get(self)!
    const peers = [...addresses.values()].filter((n) => n.id !== self)
    const program = system.programs.get(self)
    const semantics = Step.make(protocol, topology, Step.reorderOnly)
    const codec = new Wire.Codec(protocol, topology)
    const localCodec = Schema.toCodecJson(protocol.roles[role]!.state as Schema.Codec<unknown, unknown>)
    const encodeLocal = Schema.encodeUnknownSync(localCodec)
    const decodeLocal = Schema.decodeUnknownSync(localCodec)
    const maxFrame = options.maxFrame ?? Frame.defaultMaxFrame
    const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 5000
    const ackDelayMs = options.ackDelayMs ?? 5
    const backoff = options.backoff ?? { initialMs: 50, maxMs: 2000 }
    const stats: Stats = { sent: 0, received: 0, consumed: 0, duplicates: 0, acknowledged: 0, rejected: 0, connections: 0 }

    // Recovery: replay the journal into the node's state.
    const opened = yield* Effect.try({
      try: () => Journal.open(fileOf(options.dataDir, self), { durable: options.durable ?? true }),
      catch: (e) => new NodeError({ message: `cannot open the journal of ${self} in ${options.dataDir}: ${(e as Error).message}` })
    })
    const journal = opened.journal
    yield* Effect.addFinalizer(() => Effect.sync(() => journal.close()))
    // A log line is written once the journal file holds every step taken before it: whoever acts
    // on a line (stops the node once everything is delivered, kills it after a send) finds those
    // steps in the journal.
    const emit = options.log
    const log = (entry: LogEntry): void => {
      if (emit !== undefined) journal.whenWritten(() => emit(entry))
    }
    let instance: string | undefined
    let incarnation = 0
    let local: unknown = topology.initial.has(self) ? topology.initial.get(self) : protocol.roles[role]!.initial
    let arrivals = 0
    const nextSeq = new Map<string, number>()
    const outbox = new Map<string, Array<Outgoing>>(peers.map((p) => [p.id, []]))
    let inbox: Array<Incoming> = []
    const delivered = new Map<string, { instance: string; upTo: number }>()
    const replay = (record: JournalRecord) => {
      switch (record.r) {
        case "init":
          if (record.node !== self || record.role !== role) {
            throw new Error(`the journal ${journal.file} belongs to node "${record.node}" (${record.role}), not "${self}" (${role})`)
          }
          instance = record.instance
          return
        case "snapshot":
          incarnation = record.incarnation
          local = decodeLocal(record.local)
          arrivals = record.arrivals
          for (const [to, n] of Object.entries(record.nextSeq)) nextSeq.set(to, n)
          for (const [from, d] of Object.entries(record.delivered)) delivered.set(from, { ...d })
          return
        case "start":
          incarnation = record.incarnation
          local = decodeLocal(record.local)
          return
        case "send":
          local = decodeLocal(record.local)
          nextSeq.set(record.to, record.seq + 1)
          outbox.get(record.to)?.push({ seq: record.seq, tag: record.tag, payload: record.payload })
          return
        case "in":
          arrivals++
          inbox.push({ from: record.from, instance: record.instance, seq: record.seq, tag: record.tag, payload: codec.decode(record.tag, record.payload), arrival: arrivals })
          delivered.set(record.from, { instance: record.instance, upTo: record.seq })
          return
        case "recv":
          local = decodeLocal(record.local)
          inbox = inbox.filter((m) => !(m.from === record.from && m.instance === record.instance && m.seq === record.seq))
          return
        case "acked": {
          const queue = outbox.get(record.to)
          if (queue !== undefined) outbox.set(record.to, queue.filter((m) => m.seq > record.upTo))
          return
        }
        default:
          return
      }
    }
    yield* Effect.try({
      try: () => {
        for (const record of opened.records) {
          if (record.r === "snapshot") {
            replay(record)
            const pending = (record as unknown as { outbox?: Record<string, Array<Outgoing>>; inbox?: Array<Incoming> })
            for (const [to, list] of Object.entries(pending.outbox ?? {})) outbox.set(to, [...list])
            inbox = (pending.inbox ?? []).map((m) => ({ ...m, payload: codec.decode(m.tag, m.payload) }))
          } else replay(record)
        }
      },
      catch: (e) => new NodeError({ message: `cannot recover ${self} from ${journal.file}: ${(e as Error).message}` })
    })
    const fresh = instance === undefined
    instance ??= randomBytes(8).toString("hex")
    incarnation++
    if (incarnation > 1) local = protocol.roles[role]!.recover(local)
    const startRecord: JournalRecord = { r: "start", incarnation, time: Date.now(), local: encodeLocal(local) }
    if (options.compact === true && !fresh) {
      const snapshot = {
        r: "snapshot",
        incarnation: incarnation - 1,
        local: encodeLocal(local),
        nextSeq: Object.fromEntries(nextSeq),
        delivered: Object.fromEntries(delivered),
        arrivals,
        outbox: Object.fromEntries(outbox),
        inbox: inbox.map((m) => ({ ...m, payload: codec.encode(m.tag, m.payload) }))
      } as unknown as JournalRecord
      journal.rewrite([{ r: "init", node: self, role, instance }, snapshot, startRecord])
    } else {
      if (fresh) journal.append({ r: "init", node: self, role, instance })
      journal.append(startRecord)
    }
    /** Waits until the first `upTo` records of the journal (by default all) are durable. */
    const syncedUpTo = (upTo?: number): Effect.Effect<void> =>
      Effect.callback<void>((resume) => journal.sync((error) => resume(error === undefined ? Effect.void : Effect.die(error)), upTo))
    const synced = syncedUpTo()
    yield* synced
    // The last message number to each peer that is durable and may leave: every message recovered
    // from the journal is (the sync just above covers the whole file).
    const released = new Map<string, number>(peers.map((p) => [p.id, (nextSeq.get(p.id) ?? 1) - 1]))
    log({ event: "started", node: self, role, incarnation, pendingOut: [...outbox.values()].reduce((n, q) => n + q.length, 0), pendingIn: inbox.length })

    // The program and its driver.
    const finished = yield* Deferred.make<Outcome>()
    let programOutcome: Outcome | undefined = program === undefined ? { outcome: "done", detail: null } : undefined
    const outboxEmpty = () => [...outbox.values()].every((q) => q.length === 0)
    const checkFinished = () => {
      if (programOutcome !== undefined && outboxEmpty()) Deferred.doneUnsafe(finished, Exit.succeed(programOutcome))
    }
    const linkSignals = new Map<string, Signal>(peers.map((p) => [p.id, new Signal()]))
    let waiter: Waiter | undefined

    const consume = (m: Incoming): Program.ReceivedMessage => {
      const outcome = Step.receiveLocal(semantics, self, local, m.from, m.tag, m.payload)
      if (outcome._tag !== "Received") throw new Error(`internal: ${self} consumed a message it cannot receive: ${outcome.reason}`)
      local = outcome.local
      inbox = inbox.filter((x) => x !== m)
      journal.append({ r: "recv", time: Date.now(), from: m.from, instance: m.instance, seq: m.seq, local: encodeLocal(local), transition: outcome.transition.name })
      stats.consumed++
      log({ event: "deliver", node: self, from: m.from, tag: m.tag, transition: outcome.transition.name })
      return { id: m.arrival, tag: m.tag, from: m.from, payload: m.payload }
    }
    const receivable = (filter: Program.RuntimeFilter): Incoming | undefined =>
      inbox.find(
        (m) =>
          Program.matches(filter, { id: m.arrival, tag: m.tag, from: m.from, payload: m.payload }) &&
          Step.canReceive(semantics, self, local, m.from, m.tag, m.payload)
      )
    const offer = () => {
      if (waiter === undefined) return
      const m = receivable(waiter.filter)
      if (m === undefined) return
      const w = waiter
      waiter = undefined
      w.resume(consume(m))
    }
    const wait = (filter: Program.RuntimeFilter, ms: number | undefined): Effect.Effect<Option.Option<Program.ReceivedMessage>> =>
      Effect.callback<Option.Option<Program.ReceivedMessage>>((resume) => {
        const ready = receivable(filter)
        if (ready !== undefined) return resume(Effect.succeed(Option.some(consume(ready))))
        if (ms !== undefined && ms <= 0) {
          journal.append({ r: "timeout", time: Date.now(), ms: 0 })
          return resume(Effect.succeed(Option.none()))
        }
        let timer: ReturnType<typeof setTimeout> | undefined
        const mine: Waiter = {
          filter,
          resume: (m) => {
            if (timer !== undefined) clearTimeout(timer)
            resume(Effect.succeed(Option.some(m)))
          }
        }
        waiter = mine
        if (ms !== undefined) {
          timer = setTimeout(() => {
            if (waiter !== mine) return
            waiter = undefined
            journal.append({ r: "timeout", time: Date.now(), ms })
            resume(Effect.succeed(Option.none()))
          }, ms)
        }
        return Effect.sync(() => {
          if (timer !== undefined) clearTimeout(timer)
          if (waiter === mine) waiter = undefined
        })
      })

    const driver: Program.Driver = {
      local: Effect.sync(() => local),
      now: Effect.sync(() => Date.now()),
      send: (tag, to, payload) =>
        Effect.suspend((): Effect.Effect<void, ProtocolViolation> => {
          const outcome = Step.sendLocal(semantics, self, local, tag, to, payload)
          if (outcome._tag === "Violated") {
            const v = outcome.violation
            journal.append({
              r: "violation",
              time: Date.now(),
              tag,
              to,
              payload: Object.hasOwn(protocol.messages, tag) && protocol.messages[tag]!.isPayload(payload) ? codec.encode(tag, payload) : null,
              local: encodeLocal(local),
              transition: v.transition ?? null,
              reason: v.reason
            })
            log({ event: "violation", node: self, reason: v.reason, tag, to })
            return Effect.flatMap(synced, () => Effect.fail(v))
          }
          const seq = nextSeq.get(to) ?? 1
          nextSeq.set(to, seq + 1)
          local = outcome.local
          const json = codec.encode(tag, payload)
          journal.append({ r: "send", time: Date.now(), to, seq, tag, payload: json, local: encodeLocal(local), transition: outcome.transition.name })
          outbox.get(to)!.push({ seq, tag, payload: json })
          stats.sent++
          log({ event: "send", node: self, to, tag, seq, transition: outcome.transition.name })
          // The message leaves only once a sync covers its record and the state change that sent
          // it; the program does not wait for that sync, so that one sync covers many steps. A
          // failed sync leaves the message unreleased, and the journal refuses every later append,
          // which ends the program with the error at its next step.
          journal.sync((error) => {
            if (error !== undefined) return log({ event: "journal-failed", node: self, reason: error.message })
            if (seq > released.get(to)!) released.set(to, seq)
            linkSignals.get(to)!.wakeSoon()
          })
          return Effect.void
        }),
      receive: (filter) => Effect.map(wait(filter, undefined), Option.getOrThrow),
      poll: (filter, ms) => wait(filter, ms),
      sleep: (ms) => Effect.map(Effect.sleep(Math.max(0, ms)), () => journal.append({ r: "wake", time: Date.now(), ms }))
    }

    // Incoming messages, from an authenticated peer.
    const heldUpTo = (peer: string, peerInstance: string) => {
      const d = delivered.get(peer)
      return d !== undefined && d.instance === peerInstance ? d.upTo : 0
    }
    const reject = (peer: string, reason: string) => {
      stats.rejected++
      log({ event: "rejected", node: self, peer, reason })
    }
    /** Takes a message from `peer`: true if it is held now (new or a duplicate), else the rejection is logged. */
    const arrive = (peer: string, peerInstance: string, msg: Wire.Msg): boolean => {
      const checked = codec.check(peer, self, msg.tag, msg.payload)
      if (!checked.ok) {
        reject(peer, checked.reason)
        return false
      }
      const held = heldUpTo(peer, peerInstance)
      if (msg.seq <= held) {
        stats.duplicates++
        log({ event: "duplicate", node: self, peer, seq: msg.seq })
        return true
      }
      if (msg.seq !== held + 1) {
        reject(peer, `message ${msg.seq} from ${peer} skips ahead of ${held + 1}`)
        return false
      }
      delivered.set(peer, { instance: peerInstance, upTo: msg.seq })
      arrivals++
      const m: Incoming = { from: peer, instance: peerInstance, seq: msg.seq, tag: msg.tag, payload: checked.payload, arrival: arrivals }
      journal.append({ r: "in", time: Date.now(), from: peer, instance: peerInstance, seq: msg.seq, tag: msg.tag, payload: msg.payload })
      inbox.push(m)
      stats.received++
      offer()
      return true
    }

    const serve = (socket: Parameters<Parameters<typeof server.run>[0]>[0]) =>
      Effect.scoped(
        Effect.gen(function* () {
          const conn = yield* Transport.framed(socket, maxFrame)
          const { session, instance: peerInstance } = yield* Transport.accept(conn, {
            self,
            secret: options.secret,
            isPeer: (id) => addresses.has(id) && id !== self,
            heldUpTo,
            timeoutMs: handshakeTimeoutMs
          })
          stats.connections++
          log({ event: "accepted", node: self, peer: session.peer })
          // Messages held since the last acknowledgement on this connection: the acknowledger waits
          // `ackDelayMs` after the first of them, then acknowledges everything held so far once a
          // sync covers it, in one frame. It waits only for the journal records of those messages
          // (up to `heldAt`), which the sync before the program's next send usually already covers,
          // so that an acknowledgement seldom starts a sync of its own.
          let owed = false
          let heldAt = 0
          const owing = new Signal()
          const acknowledger = Effect.gen(function* () {
            for (;;) {
              if (!owed) {
                yield* owing.wait
                continue
              }
              if (ackDelayMs > 0) yield* Effect.sleep(ackDelayMs)
              owed = false
              const upTo = heldUpTo(session.peer, peerInstance)
              yield* syncedUpTo(heldAt)
              yield* conn.write(session.sealer.seal(Wire.toBytes({ k: "ack", upTo } satisfies Wire.Ack)))
            }
          })
          const reader = Effect.gen(function* () {
            for (;;) {
              const frames = yield* conn.batch
              let held = false
              for (const frame of frames) {
                const body = session.opener.open(frame)
                if (body === undefined) {
                  return yield* new Transport.LinkError({ reason: `a frame from ${session.peer} failed its MAC check (altered, injected or replayed)`, rejected: true })
                }
                const json = Wire.fromBytes(body)
                if (!json.ok) {
                  reject(session.peer, json.reason)
                  continue
                }
                const data = Wire.dataFrame(json.value)
                if (typeof data === "string") reject(session.peer, data)
                else if (data.k === "ack") reject(session.peer, "an ack on a connection that carries no messages of this node")
                else if (arrive(session.peer, peerInstance, data)) held = true
              }
              if (held) {
                heldAt = journal.size
                if (!owed) {
                  owed = true
                  owing.wake()
                }
              }
            }
          })
          return yield* Effect.raceFirst(reader, acknowledger)
        })
      ).pipe(
        Effect.catchTag("LinkError", (e) =>
          Effect.sync(() => {
            if (e.rejected) reject("(connection)", e.reason)
            else log({ event: "disconnected", node: self, reason: e.reason })
          })
        )
      )

    const server = yield* Effect.mapError(
      NodeSocketServer.make({ host: me.host, port: me.port, noDelay: true }),
      (e) => new NodeError({ message: `${self} cannot listen on ${me.host}:${me.port}: ${String((e.reason as { cause?: unknown }).cause ?? e.message)}` })
    )
    yield* Effect.forkScoped(server.run(serve))
    const port = server.address._tag === "UnixPathAddress" ? me.port : server.address.port

    // Outgoing messages: one link per peer, reconnecting with backoff.
    const applyAck = (peer: string, upTo: number) => {
      const queue = outbox.get(peer)!
      const rest = queue.filter((m) => m.seq > upTo)
      if (rest.length === queue.length) return
      outbox.set(peer, rest)
      stats.acknowledged += queue.length - rest.length
      journal.append({ r: "acked", to: peer, upTo })
      checkFinished()
    }
    const connection = (peer: ClusterNode, signal: Signal) =>
      Effect.scoped(
        Effect.gen(function* () {
          const socket = yield* NodeSocket.makeNet({ host: peer.host, port: peer.port, noDelay: true, openTimeout: handshakeTimeoutMs })
          const conn = yield* Transport.framed(socket, maxFrame)
          const { session, upTo } = yield* Transport.dial(conn, { self, peer: peer.id, secret: options.secret, instance: instance!, timeoutMs: handshakeTimeoutMs })
          applyAck(peer.id, upTo)
          log({ event: "connected", node: self, peer: peer.id })
          const reader = Effect.gen(function* () {
            for (;;) {
              for (const frame of yield* conn.batch) {
                const body = session.opener.open(frame)
                const data = body === undefined ? undefined : Wire.fromBytes(body)
                const ack = data?.ok === true ? Wire.dataFrame(data.value) : undefined
                if (ack === undefined || typeof ack === "string" || ack.k !== "ack") {
                  return yield* new Transport.LinkError({ reason: `${peer.id} sent a frame that is not a sealed ack`, rejected: true })
                }
                applyAck(peer.id, ack.upTo)
              }
            }
          })
          let sentUpTo = upTo
          const writer = Effect.gen(function* () {
            for (;;) {
              const releasedUpTo = released.get(peer.id)!
              const pending = outbox.get(peer.id)!.filter((m) => m.seq > sentUpTo && m.seq <= releasedUpTo)
              if (pending.length === 0) {
                yield* signal.wait
                continue
              }
              sentUpTo = pending[pending.length - 1]!.seq
              yield* conn.writeAll(pending.map((m) => session.sealer.seal(Wire.toBytes({ k: "msg", seq: m.seq, tag: m.tag, payload: m.payload } satisfies Wire.Msg))))
            }
          })
          return yield* Effect.raceFirst(reader, writer)
        })
      )
    const link = (peer: ClusterNode) =>
      Effect.gen(function* () {
        const signal = linkSignals.get(peer.id)!
        let delay = backoff.initialMs
        for (;;) {
          while (outbox.get(peer.id)!.length === 0) yield* signal.wait
          const began = Date.now()
          const exit = yield* Effect.exit(connection(peer, signal))
          const reason = Exit.isFailure(exit) ? Program.describeFailure(exit.cause) : "closed"
          log({ event: "link-down", node: self, peer: peer.id, reason })
          // A connection that lasted resets the backoff; repeated failures double it.
          delay = Date.now() - began > 1000 ? backoff.initialMs : Math.min(backoff.maxMs, delay * 2)
          yield* Effect.sleep(Math.round(delay * (0.5 + Math.random() / 2)))
        }
      })
    for (const peer of peers) yield* Effect.forkScoped(link(peer))

    if (program !== undefined) {
      const handle = Program.handle(self, program.role, topology.nodes, driver)
      yield* Effect.forkScoped(
        Effect.gen(function* () {
          const exit = yield* Effect.exit(Effect.suspend(() => program.run(handle)))
          if (Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)) return
          const outcome: Outcome = Exit.isSuccess(exit)
            ? { outcome: "done", detail: exit.value ?? null }
            : { outcome: "failed", detail: Program.describeFailure(exit.cause) }
          journal.append({ r: "exit", time: Date.now(), outcome: outcome.outcome, detail: outcome.detail })
          yield* synced
          log({ event: "exit", node: self, ...outcome })
          programOutcome = outcome
          checkFinished()
        })
      )
    } else checkFinished()

    return {
      id: self,
      role,
      incarnation,
      port,
      stats,
      finished: Deferred.await(finished),
      local: () => local
    } satisfies RunningNode
  })

/** A node started outside of Effect code (tests, benchmarks): stop it to close its scope. */
export interface Launched {
  readonly node: RunningNode
  readonly finished: Promise<Outcome>
  readonly stop: () => Promise<void>
}

/** Starts a node on its own scope and returns it with a way to stop it. */
export const launch = async (options: NodeOptions): Promise<Launched> => {
  const scope = Effect.runSync(Scope.make())
  try {
    const node = await Effect.runPromise(Scope.provide(start(options), scope))
    return { node, finished: Effect.runPromise(node.finished), stop: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
  } catch (e) {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    throw e
  }
}
