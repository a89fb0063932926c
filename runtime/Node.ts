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
 * The messages one sync releases to a peer leave in one sealed frame (a batch) and one socket
 * write. A program that sends many messages in one turn yields to the event loop after every
 * `releaseEvery` of them, so that those go to disk and leave while it goes on, and what arrived
 * meanwhile is read: a burst travels as several batches in flight, and the two ends of a busy link
 * work at the same time instead of taking turns with one batch. While messages wait in its inbox,
 * though, it goes on (up to 16 × `releaseEvery` sends): they arrived with the ones it is answering,
 * and one sync then covers the answers to all of them, so that the more requests a node has in
 * flight, the more each flush covers. Acknowledgements are cumulative
 * and sent a few milliseconds after the messages they cover (`ackDelayMs`), so that one
 * acknowledgement frame covers every message of a busy link.
 *
 * A journal that cannot be written or synced stops the node: its links close, its program is
 * interrupted, and `finished` fails with a `NodeError` saying why, since nothing the node does
 * from then on could be made durable.
 *
 * Every frame a node receives is checked — sealed with the session key, a known tag its role
 * receives, sent by a node of the role that sends it, a payload that decodes with the tag's
 * Schema, the next number from that sender — and anything else is rejected and logged with the
 * reason; the connection of a frame that breaks the stream (oversized, unsealed) is closed, and
 * the node goes on serving.
 *
 * The network side runs in socket and timer callbacks; Effect is the program's side: the program
 * is a fiber, and the driver's `send` and `receive` are effects that resume it.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import { randomBytes } from "node:crypto"
import * as net from "node:net"
import type * as tls from "node:tls"
import * as Program from "../core/Program.ts"
import type { ProtocolViolation } from "../core/ProtocolViolation.ts"
import * as Step from "../core/Step.ts"
import type { System } from "../core/System.ts"
import type { Cluster, ClusterNode } from "./Cluster.ts"
import * as Admission from "./Admission.ts"
import * as ClusterFile from "./Cluster.ts"
import * as DataDirectory from "./DataDirectory.ts"
import * as Frame from "./Frame.ts"
import * as Handshake from "./Handshake.ts"
import { type Flush, Journal, fileOf, type JournalRecord, inrecvText, sendText, type Write } from "./Journal.ts"
import * as Tls from "./Tls.ts"
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
  /** The cluster's shared secret, when its nodes authenticate by one (exactly one of `secret` and `tls`). */
  readonly secret?: Uint8Array
  /** This node's certificate, key and the cluster's CA, when its nodes authenticate by mutual TLS. */
  readonly tls?: Tls.Credentials
  /**
   * Stop the node (its `finished` fails) after this many handshakes in a row with one peer failed
   * because one side refused the other (wrong secret, certificate not signed by the CA, or for
   * another node); 0, the default, retries forever. Unreachable peers do not count.
   */
  readonly maxHandshakeFailures?: number
  /** The folder of the node's journal (`<self>.journal`). */
  readonly dataDir: string
  /** Sync the journal before a message leaves (default true). Off only for measurements that say so. */
  readonly durable?: boolean
  /**
   * How the journal flushes its file to disk (default: `fdatasync`). Tests put one here that holds
   * a flush back, to see what waits for it, or fails it.
   */
  readonly flush?: Flush
  /**
   * How the journal writes its file (default: `fs.writeSync`): with `flush`, where tests inject a
   * failed write or a power cut (`Journal.ts`).
   */
  readonly write?: Write
  /** Rewrite the journal as a snapshot at start (it then no longer holds the history a trace needs). */
  readonly compact?: boolean
  readonly maxFrame?: number
  /**
   * How many connections that have not completed the handshake are held at once (default 64); one
   * more drops the oldest (`Admission.ts`). Their frames are limited to `Frame.preAuthMaxFrame`.
   */
  readonly maxUnauthenticated?: number
  readonly handshakeTimeoutMs?: number
  /**
   * How long a receiver waits before acknowledging what it holds (default 5 ms): one cumulative
   * acknowledgement then covers every message that arrived meanwhile. The sender resends only after
   * a reconnection, so the delay costs no resends; it only keeps messages in the sender's outbox
   * (and its program from being finished) that much longer.
   */
  readonly ackDelayMs?: number
  /**
   * How many sends a program makes in one turn before it yields to the event loop (default 16): the
   * sends appended so far are synced and leave while it goes on. Measured with `npm run
   * bench:runtime` (32 messages in flight): about a fifth more messages per second than releasing
   * a whole burst with one sync, and more than groups of 8, which pay for more flushes. While
   * messages wait in the inbox the program goes on, up to 16 times as many sends, so that one sync
   * covers the answers to a whole read: with 128 pings in flight, 33,500 and 51,100 msgs/s
   * against 22,300 and 24,700 when it yielded every 16 sends (a quarter of the flushes).
   */
  readonly releaseEvery?: number
  /** Reconnection delays: doubling from `initialMs` up to `maxMs`, with jitter. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number }
  readonly log?: (entry: LogEntry) => void
  /**
   * Start afresh: set the journal aside and forget that the node ran here (`DataDirectory.ts`),
   * saying what is discarded; without it, a node that has run here and lost its journal refuses to start.
   */
  readonly reset?: boolean
  /** Told what an operator must know at start: a stale lock taken over, what a reset discards (default: stderr). */
  readonly notify?: (line: string) => void
}

/** Counters of what a node did, for progress output and tests. */
export interface Stats {
  sent: number
  received: number
  consumed: number
  duplicates: number
  acknowledged: number
  /** Acknowledgement frames this node sent (each covers every message held before it). */
  acknowledgements: number
  /** Frames refused (each is also logged with its reason). */
  rejected: number
  connections: number
  /** Journal flushes (fdatasync) that made records durable, their total milliseconds, and the records they covered. */
  flushes: number
  flushMs: number
  flushedRecords: number
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
  /**
   * Completes when the program has ended and every message it sent has been acknowledged; fails
   * when the journal cannot be written or synced, which stops the node.
   */
  readonly finished: Effect.Effect<Outcome, NodeError>
  /** The node's current local state. */
  readonly local: () => unknown
}

/**
 * A node that cannot start or go on: a journal of another node, an address in use, a missing
 * program, a journal that cannot be synced.
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
  /** The message's wire text, made once: resends after a reconnection reuse it. */
  readonly text: string
}

/** An outgoing message; `payloadText` is `JSON.stringify(payload)`, when the caller already has it. */
const outgoing = (seq: number, tag: string, payload: unknown, payloadText: string = JSON.stringify(payload)): Outgoing => ({
  seq,
  tag,
  payload,
  text: Wire.msgText(seq, tag, payloadText)
})

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
    const encodeLocal = Wire.jsonEncoder(protocol.roles[role]!.state)
    const decodeLocal = Schema.decodeUnknownSync(Schema.toCodecJson(protocol.roles[role]!.state as Schema.Codec<unknown, unknown>))
    const maxFrame = options.maxFrame ?? Frame.defaultMaxFrame
    const maxUnauthenticated = options.maxUnauthenticated ?? Admission.defaultMaxUnauthenticated
    if (!Number.isInteger(maxUnauthenticated) || maxUnauthenticated < 1) {
      return yield* new NodeError({ message: `the cap on unauthenticated connections must be a whole number of at least 1, not ${maxUnauthenticated}` })
    }
    const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 5000
    if ((options.secret === undefined) === (options.tls === undefined)) {
      return yield* new NodeError({ message: `${self} needs exactly one way to authenticate its peers: a shared secret or TLS credentials` })
    }
    if (options.tls !== undefined && options.tls.id !== self) return yield* new NodeError({ message: `the TLS certificate given to ${self} is for ${options.tls.id}` })
    const maxHandshakeFailures = options.maxHandshakeFailures ?? 0
    const ackDelayMs = options.ackDelayMs ?? 5
    const releaseEvery = options.releaseEvery ?? 16
    /** The most sends a program makes in one turn while messages wait in its inbox. */
    const releaseAtMost = 16 * releaseEvery
    const backoff = options.backoff ?? { initialMs: 50, maxMs: 2000 }
    const stats: Stats = { sent: 0, received: 0, consumed: 0, duplicates: 0, acknowledged: 0, acknowledgements: 0, rejected: 0, connections: 0, flushes: 0, flushMs: 0, flushedRecords: 0 }
    const onFlushed = (ms: number, records: number) => {
      stats.flushes++
      stats.flushMs += ms
      stats.flushedRecords += records
    }

    // The data directory is locked before the journal is opened: a second node on it changes nothing.
    const claim = yield* Effect.try({
      try: () => DataDirectory.claimDirectory(options.dataDir, self, { reset: options.reset ?? false, notify: options.notify ?? ((line) => void process.stderr.write(`${line}\n`)) }),
      catch: (e) => new NodeError({ message: (e as Error).message })
    })
    yield* Effect.addFinalizer(() => Effect.sync(() => claim.release()))
    // Recovery: replay the journal into the node's state.
    const opened = yield* Effect.try({
      try: () => Journal.open(fileOf(options.dataDir, self), { accept: claim.accept, durable: options.durable ?? true, onFlushed, ...(options.flush === undefined ? {} : { flush: options.flush }), ...(options.write === undefined ? {} : { write: options.write }) }),
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
    /** The last message held from each peer (journaled, perhaps not yet durable): a lower number is a duplicate. */
    const delivered = new Map<string, { instance: string; upTo: number }>()
    /**
     * Where the record of the last message held from each peer ends in the journal (a position for
     * `sync`): once a sync up to there completes, every message held from that peer is durable.
     */
    const heldAt = new Map<string, number>()
    /**
     * The last message from each peer whose record a completed sync covers: all this node ever
     * acknowledges, by ack or by the handshake's `ready`, so that a power cut cannot take back a
     * message its sender has dropped.
     */
    const durablyHeld = new Map<string, { instance: string; upTo: number }>()
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
          outbox.get(record.to)?.push(outgoing(record.seq, record.tag, record.payload))
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
        case "inrecv":
          arrivals++
          delivered.set(record.from, { instance: record.instance, upTo: record.seq })
          local = decodeLocal(record.local)
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
            const pending = (record as unknown as { outbox?: Record<string, Array<Omit<Outgoing, "text">>>; inbox?: Array<Incoming> })
            for (const [to, list] of Object.entries(pending.outbox ?? {})) outbox.set(to, list.map((m) => outgoing(m.seq, m.tag, m.payload)))
            inbox = (pending.inbox ?? []).map((m) => ({ ...m, payload: codec.decode(m.tag, m.payload) }))
          } else replay(record)
        }
      },
      catch: (e) => new NodeError({ message: `cannot recover ${self} from ${journal.file}: ${(e as Error).message}` })
    })
    // What the journal held at opening is durable once the sync before listening completes (it
    // flushes the whole file), and no peer is answered before that.
    for (const [from, d] of delivered) durablyHeld.set(from, { ...d })
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
        outbox: Object.fromEntries([...outbox].map(([to, list]) => [to, list.map((m) => ({ seq: m.seq, tag: m.tag, payload: m.payload }))])),
        inbox: inbox.map((m) => ({ ...m, payload: codec.encode(m.tag, m.payload) }))
      } as unknown as JournalRecord
      journal.rewrite([{ r: "init", node: self, role, instance }, snapshot, startRecord])
    } else {
      if (fresh) journal.append({ r: "init", node: self, role, instance })
      journal.append(startRecord)
    }
    const stopFor = (error: Error) => `the journal of ${self} (${journal.file}) failed: ${error.message}; the node stopped, since nothing it does can be made durable any more`
    // Waits until the journal is durable; a failed sync never resumes the caller: the journal's
    // failure stops the whole node (below), and with it whoever waits here.
    const synced: Effect.Effect<void> = Effect.callback<void>((resume) => journal.sync((error) => void (error === undefined && resume(Effect.void))))
    yield* Effect.callback<void, NodeError>((resume) =>
      journal.sync((error) => resume(error === undefined ? Effect.void : Effect.fail(new NodeError({ message: stopFor(error) }))))
    )
    const startedAs = instance
    yield* Effect.try({ try: () => claim.started(startedAs), catch: (e) => new NodeError({ message: `cannot mark ${options.dataDir} as used by ${self}: ${(e as Error).message}` }) })

    // What the node holds open, and what stops it: its scope closing, or its journal failing.
    let stopped = false
    const connections = new Set<Transport.Connection>()
    const timers = new Set<ReturnType<typeof setTimeout>>()
    const later = (ms: number, f: () => void): ReturnType<typeof setTimeout> => {
      const timer = setTimeout(() => {
        timers.delete(timer)
        f()
      }, ms)
      timers.add(timer)
      return timer
    }
    const server = net.createServer({ noDelay: true }, (socket) => (tlsAccept === undefined ? serve(socket) : tlsAccept(socket)))
    const halt = () => {
      if (stopped) return
      stopped = true
      server.close()
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
      for (const c of [...connections]) c.close(new Transport.LinkError({ reason: "the node stopped", rejected: false }))
    }
    yield* Effect.addFinalizer(() => Effect.sync(halt))
    const finished = yield* Deferred.make<Outcome, NodeError>()
    let programFiber: Fiber.Fiber<void> | undefined
    journal.whenFailed((error) => {
      emit?.({ event: "journal-failed", node: self, reason: error.message })
      halt()
      programFiber?.interruptUnsafe()
      Deferred.doneUnsafe(finished, Exit.fail(new NodeError({ message: stopFor(error) })))
    })

    // The last message number to each peer that is durable and may leave: every message recovered
    // from the journal is (the sync just above covers the whole file).
    const released = new Map<string, number>(peers.map((p) => [p.id, (nextSeq.get(p.id) ?? 1) - 1]))
    log({ event: "started", node: self, role, incarnation, pendingOut: [...outbox.values()].reduce((n, q) => n + q.length, 0), pendingIn: inbox.length })

    // The program and its driver.
    let programOutcome: Outcome | undefined = program === undefined ? { outcome: "done", detail: null } : undefined
    const outboxEmpty = () => [...outbox.values()].every((q) => q.length === 0)
    const checkFinished = () => {
      if (programOutcome !== undefined && outboxEmpty()) Deferred.doneUnsafe(finished, Exit.succeed(programOutcome))
    }
    const links = new Map<string, OutLink>()
    let waiter: Waiter | undefined

    // Messages appended in one turn are released together: at the end of the turn, one sync is
    // asked for everything appended so far, and when it completes every message it covers may
    // leave, in one batch per peer.
    let releaseAsked = false
    /** Sends appended since the last release was asked for. */
    let unreleased = 0
    const releaseOnSync = () => {
      if (releaseAsked) return
      releaseAsked = true
      queueMicrotask(() => {
        releaseAsked = false
        unreleased = 0
        const appended = new Map(nextSeq)
        journal.sync((error) => {
          if (error !== undefined) return
          for (const [to, next] of appended) if (next - 1 > released.get(to)!) released.set(to, next - 1)
          for (const link of links.values()) link.pump()
        })
      })
    }

    /**
     * The `in` record of the message being offered to the program as it arrives: if the program
     * takes it, the record becomes half of an `inrecv`; else it is appended when the offer is over.
     * Either way it is appended before anything the program does next.
     */
    let arriving: (JournalRecord & { readonly r: "in" }) | undefined
    const consume = (m: Incoming): Program.ReceivedMessage => {
      const outcome = Step.receiveLocal(semantics, self, local, m.from, m.tag, m.payload)
      if (outcome._tag !== "Received") throw new Error(`internal: ${self} consumed a message it cannot receive: ${outcome.reason}`)
      local = outcome.local
      const at = inbox.indexOf(m)
      if (at === 0) inbox.shift()
      else inbox.splice(at, 1)
      const arrived = arriving
      arriving = undefined
      if (arrived !== undefined && arrived.from === m.from && arrived.instance === m.instance && arrived.seq === m.seq) {
        const { time, from, instance, seq, tag, payload } = arrived
        journal.appendText(inrecvText(time, from, instance, seq, tag, JSON.stringify(payload), JSON.stringify(encodeLocal(local)), outcome.transition.name))
      } else {
        if (arrived !== undefined) journal.append(arrived)
        journal.append({ r: "recv", time: Date.now(), from: m.from, instance: m.instance, seq: m.seq, local: encodeLocal(local), transition: outcome.transition.name })
      }
      stats.consumed++
      if (emit !== undefined) log({ event: "deliver", node: self, from: m.from, tag: m.tag, transition: outcome.transition.name })
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
    const wait = (filter: Program.RuntimeFilter, ms: number): Effect.Effect<Option.Option<Program.ReceivedMessage>> =>
      Effect.suspend(() => {
        if (journal.failed !== undefined) return Effect.never
        // A message that can be received now is taken without suspending the program.
        const ready = receivable(filter)
        if (ready !== undefined) return Effect.succeed(Option.some(consume(ready)))
        if (ms <= 0) {
          journal.append({ r: "timeout", time: Date.now(), ms: 0 })
          return Effect.succeed(Option.none())
        }
        return Effect.callback<Option.Option<Program.ReceivedMessage>>((resume) => {
          const mine: Waiter = {
            filter,
            resume: (m) => {
              clearTimeout(timer)
              resume(Effect.succeed(Option.some(m)))
            }
          }
          waiter = mine
          const timer = setTimeout(() => {
            if (waiter !== mine || journal.failed !== undefined) return
            waiter = undefined
            journal.append({ r: "timeout", time: Date.now(), ms })
            resume(Effect.succeed(Option.none()))
          }, ms)
          return Effect.sync(() => {
            clearTimeout(timer)
            if (waiter === mine) waiter = undefined
          })
        })
      })

    // The common case, a receive without a time limit, without the `Option` of `wait`: one effect
    // per message on the program's side.
    const receive = (filter: Program.RuntimeFilter): Effect.Effect<Program.ReceivedMessage> =>
      Effect.suspend(() => {
        if (journal.failed !== undefined) return Effect.never
        const ready = receivable(filter)
        if (ready !== undefined) return Effect.succeed(consume(ready))
        return Effect.callback<Program.ReceivedMessage>((resume) => {
          const mine: Waiter = { filter, resume: (m) => resume(Effect.succeed(m)) }
          waiter = mine
          return Effect.sync(() => {
            if (waiter === mine) waiter = undefined
          })
        })
      })

    const driver: Program.Driver = {
      local: Effect.sync(() => local),
      now: Effect.sync(() => Date.now()),
      send: (tag, to, payload) =>
        Effect.suspend((): Effect.Effect<void, ProtocolViolation> => {
          if (journal.failed !== undefined) return Effect.never
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
          const payloadText = JSON.stringify(json)
          journal.appendText(sendText(Date.now(), to, seq, tag, payloadText, JSON.stringify(encodeLocal(local)), outcome.transition.name))
          outbox.get(to)!.push(outgoing(seq, tag, json, payloadText))
          stats.sent++
          if (emit !== undefined) log({ event: "send", node: self, to, tag, seq, transition: outcome.transition.name })
          // The message leaves only once a sync covers its record and the state change that sent
          // it; the program does not wait for that sync, so that one sync covers many steps.
          links.get(to)!.wake()
          releaseOnSync()
          // Messages waiting in the inbox came with the ones this program is answering: answering
          // them before the sync lets it cover them all.
          if (++unreleased < releaseEvery || (inbox.length > 0 && unreleased < releaseAtMost)) return Effect.void
          unreleased = 0
          return Effect.yieldNow
        }),
      receive,
      poll: (filter, ms) => wait(filter, ms),
      sleep: (ms) =>
        Effect.flatMap(Effect.sleep(Math.max(0, ms)), () =>
          journal.failed !== undefined ? Effect.never : Effect.sync(() => journal.append({ r: "wake", time: Date.now(), ms }))
        )
    }

    // Incoming messages, from an authenticated peer.
    const heldUpTo = (peer: string, peerInstance: string) => {
      const d = delivered.get(peer)
      return d !== undefined && d.instance === peerInstance ? d.upTo : 0
    }
    const syncedUpTo = (peer: string, peerInstance: string) => {
      const d = durablyHeld.get(peer)
      return d !== undefined && d.instance === peerInstance ? d.upTo : 0
    }
    /** Records that a completed sync covers the messages from `peer` up to `upTo`. */
    const markSynced = (peer: string, peerInstance: string, upTo: number) => {
      const d = durablyHeld.get(peer)
      if (d !== undefined && d.instance === peerInstance) d.upTo = Math.max(d.upTo, upTo)
      else if (upTo > 0 && delivered.get(peer)?.instance === peerInstance) durablyHeld.set(peer, { instance: peerInstance, upTo })
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
      const d = delivered.get(peer)
      if (d !== undefined && d.instance === peerInstance) d.upTo = msg.seq
      else delivered.set(peer, { instance: peerInstance, upTo: msg.seq })
      arrivals++
      const m: Incoming = { from: peer, instance: peerInstance, seq: msg.seq, tag: msg.tag, payload: checked.payload, arrival: arrivals }
      arriving = { r: "in", time: Date.now(), from: peer, instance: peerInstance, seq: msg.seq, tag: msg.tag, payload: msg.payload }
      inbox.push(m)
      stats.received++
      try {
        offer()
      } finally {
        if (arriving !== undefined) journal.append(arriving)
        arriving = undefined
      }
      // The message's record (an `in`, or the `inrecv` of a program that took it) is appended.
      heldAt.set(peer, journal.size)
      return true
    }
    const asLinkError = (e: unknown) => (e instanceof Transport.LinkError ? e : new Transport.LinkError({ reason: String(e), rejected: false }))

    // Connections still in their handshake: at most `maxUnauthenticated`, the oldest dropped first.
    const admission = new Admission.Admission<Transport.Connection>(maxUnauthenticated, (c) =>
      c.close(new Transport.LinkError({ reason: `dropped before its handshake completed: more than ${maxUnauthenticated} unauthenticated connections (the oldest is dropped first)`, rejected: false }))
    )
    /** A connection from a peer: it carries the peer's messages in, and this node's acknowledgements out. */
    const serve = (socket: net.Socket, certified?: string) => {
      if (stopped) return void socket.destroy()
      const conn = new Transport.Connection(socket, maxFrame)
      connections.add(conn)
      admission.admit(conn)
      let ackTimer: ReturnType<typeof setTimeout> | undefined
      conn.onClose((e) => {
        connections.delete(conn)
        admission.release(conn)
        if (ackTimer !== undefined) clearTimeout(ackTimer)
        if (stopped) return
        if (e.rejected) reject("(connection)", e.reason)
        else log({ event: "disconnected", node: self, reason: e.reason })
      })
      Transport.accept(conn, {
        self,
        authentication: certified === undefined ? { kind: "secret", secret: options.secret! } : { kind: "tls", peer: certified },
        isPeer: (id) => addresses.has(id) && id !== self,
        // A reconnecting peer takes the answer as an acknowledgement: only what is durable.
        heldUpTo: syncedUpTo,
        timeoutMs: handshakeTimeoutMs
      }).then(({ session, instance: peerInstance }) => {
        if (conn.closed) return
        admission.release(conn)
        conn.authenticated()
        stats.connections++
        log({ event: "accepted", node: self, peer: session.peer })
        // The acknowledger waits `ackDelayMs` after the first message held since the last
        // acknowledgement, then acknowledges everything held so far once a sync covers it, in one
        // frame. It waits only for the journal records of those messages (up to `heldAt`), which
        // the sync before the program's next send usually already covers, so that an
        // acknowledgement seldom starts a sync of its own. A duplicate is acknowledged the same
        // way: its first copy may be held but not yet durable.
        const acknowledge = () => {
          ackTimer = undefined
          const upTo = heldUpTo(session.peer, peerInstance)
          journal.sync((error) => {
            if (error !== undefined) return
            markSynced(session.peer, peerInstance, upTo)
            if (conn.closed) return
            conn.write(session.sealer.seal(Wire.toBytes({ k: "ack", upTo } satisfies Wire.Ack)))
            stats.acknowledgements++
          }, heldAt.get(session.peer) ?? 0)
        }
        conn.onFrames((frames) => {
          let held = false
          for (const frame of frames) {
            if (conn.closed) return
            const body = session.opener.open(frame)
            if (body === undefined) {
              return conn.close(new Transport.LinkError({ reason: `a frame from ${session.peer} failed its MAC check (altered, injected or replayed)`, rejected: true }))
            }
            const json = Wire.fromBytes(body)
            if (!json.ok) {
              reject(session.peer, json.reason)
              continue
            }
            for (const data of Wire.dataFrames(json.value)) {
              if (typeof data === "string") reject(session.peer, data)
              else if (data.k === "ack") reject(session.peer, "an ack on a connection that carries no messages of this node")
              else if (arrive(session.peer, peerInstance, data)) held = true
            }
          }
          if (held) ackTimer ??= setTimeout(acknowledge, ackDelayMs)
        })
      }, (e) => conn.close(asLinkError(e)))
    }
    /**
     * Under TLS, an accepted socket first goes through the TLS handshake, which must show a
     * certificate the cluster's CA signed; sockets still in it are capped as those in the hello
     * are, the oldest dropped first.
     */
    const tlsAccept = (() => {
      if (options.tls === undefined) return undefined
      const handshaking = new Admission.Admission<net.Socket>(maxUnauthenticated, (socket) => socket.destroy())
      // The TLS socket is made inside node:tls from the TCP one: the two share the TCP 4-tuple.
      const byAddress = new Map<string, net.Socket>()
      const addressOf = (socket: net.Socket) => `${socket.remoteAddress}|${socket.remotePort}`
      const accept = Tls.acceptor(
        options.tls,
        handshakeTimeoutMs,
        (socket, peer) => {
          const raw = byAddress.get(addressOf(socket))
          if (raw !== undefined) handshaking.release(raw)
          serve(socket, peer)
        },
        (reason) => void (stopped || reject("(connection)", reason))
      )
      return (socket: net.Socket) => {
        if (stopped) return void socket.destroy()
        const key = addressOf(socket)
        byAddress.set(key, socket)
        handshaking.admit(socket)
        socket.once("close", () => {
          handshaking.release(socket)
          if (byAddress.get(key) === socket) byAddress.delete(key)
        })
        accept(socket)
      }
    })()

    yield* Effect.callback<void, NodeError>((resume) => {
      server.once("error", (e) => resume(Effect.fail(new NodeError({ message: `${self} cannot listen on ${me.host}:${me.port}: ${String(e)}` }))))
      server.listen(me.port, me.host, () => resume(Effect.void))
    })
    // Past listening, a server error (none is expected) is logged rather than left to crash the process.
    server.on("error", (e) => log({ event: "server-error", node: self, reason: String(e) }))
    const address = server.address()
    const port = address !== null && typeof address === "object" ? address.port : me.port

    // Outgoing messages: one link per peer, reconnecting with backoff.
    const applyAck = (peer: string, upTo: number) => {
      const queue = outbox.get(peer)!
      let n = 0
      while (n < queue.length && queue[n]!.seq <= upTo) n++
      if (n === 0) return
      queue.splice(0, n)
      stats.acknowledged += n
      journal.append({ r: "acked", to: peer, upTo })
      checkFinished()
    }
    const maxBatch = maxFrame - Handshake.macBytes
    /**
     * The connection to `peer`, made while it has messages to take and made again after a failure,
     * with a delay doubling from `backoff.initialMs` while connections keep failing.
     */
    const outLink = (peer: ClusterNode): OutLink => {
      let conn: Transport.Connection | undefined
      let session: Transport.Session | undefined
      let sentUpTo = 0
      let retrying = false
      let draining = false
      let delay = backoff.initialMs
      /** Handshakes in a row that one side refused. */
      let failures = 0
      const wake = () => {
        if (stopped || conn !== undefined || retrying || outbox.get(peer.id)!.length === 0) return
        const began = Date.now()
        const socket = options.tls === undefined ? net.connect({ host: peer.host, port: peer.port, noDelay: true }) : Tls.connect(options.tls, peer.id, peer.host, peer.port)
        let handshaken = false
        const c = new Transport.Connection(socket, maxFrame)
        conn = c
        connections.add(c)
        const opening = setTimeout(() => c.close(new Transport.LinkError({ reason: `no connection within ${handshakeTimeoutMs} ms`, rejected: false })), handshakeTimeoutMs)
        c.onClose((e) => {
          clearTimeout(opening)
          connections.delete(c)
          conn = undefined
          session = undefined
          draining = false
          if (stopped) return
          log({ event: "link-down", node: self, peer: peer.id, reason: e.message })
          if (!handshaken && e.rejected) {
            failures++
            log({ event: "handshake-failed", node: self, peer: peer.id, reason: e.reason, failures })
            if (maxHandshakeFailures > 0 && failures >= maxHandshakeFailures) {
              halt()
              programFiber?.interruptUnsafe()
              const message = `${failures} handshakes in a row with ${peer.id} failed; the last: ${e.reason}`
              return void Deferred.doneUnsafe(finished, Exit.fail(new NodeError({ message })))
            }
          }
          // A connection that lasted resets the backoff; repeated failures double it.
          delay = Date.now() - began > 1000 ? backoff.initialMs : Math.min(backoff.maxMs, delay * 2)
          retrying = true
          later(Math.round(delay * (0.5 + Math.random() / 2)), () => {
            retrying = false
            wake()
          })
        })
        socket.once(options.tls === undefined ? "connect" : "secureConnect", () => {
          clearTimeout(opening)
          const authentication: Transport.Authentication =
            options.tls === undefined ? { kind: "secret", secret: options.secret! } : { kind: "tls", peer: Tls.commonName((socket as tls.TLSSocket).getPeerCertificate().subject) ?? "(no CN)" }
          Transport.dial(c, { self, peer: peer.id, authentication, instance: instance!, timeoutMs: handshakeTimeoutMs }).then(({ session: s, upTo }) => {
            if (c.closed) return
            handshaken = true
            failures = 0
            c.authenticated()
            applyAck(peer.id, upTo)
            log({ event: "connected", node: self, peer: peer.id })
            session = s
            sentUpTo = upTo
            c.onFrames((frames) => {
              for (const frame of frames) {
                if (c.closed) return
                const body = s.opener.open(frame)
                const data = body === undefined ? undefined : Wire.fromBytes(body)
                const ack = data?.ok === true ? Wire.dataFrame(data.value) : undefined
                if (ack === undefined || typeof ack === "string" || ack.k !== "ack") {
                  return c.close(new Transport.LinkError({ reason: `${peer.id} sent a frame that is not a sealed ack`, rejected: true }))
                }
                applyAck(peer.id, ack.upTo)
              }
            })
            pump()
          }, (e) => c.close(asLinkError(e)))
        })
      }
      /** Sends every released message not yet sent on this connection, in batches of at most one frame each. */
      const pump = () => {
        if (conn === undefined || session === undefined || conn.closed || draining) return
        const releasedUpTo = released.get(peer.id)!
        if (sentUpTo >= releasedUpTo) return
        if (conn.congested) {
          draining = true
          const c = conn
          return c.whenDrained(() => {
            if (conn !== c) return
            draining = false
            pump()
          })
        }
        const queue = outbox.get(peer.id)!
        let i = queue.length
        while (i > 0 && queue[i - 1]!.seq > sentUpTo) i--
        const frames: Array<Uint8Array> = []
        let texts: Array<string> = []
        let bytes = 2
        for (; i < queue.length && queue[i]!.seq <= releasedUpTo; i++) {
          const text = queue[i]!.text
          const size = Buffer.byteLength(text) + 1
          if (texts.length > 0 && bytes + size > maxBatch) {
            frames.push(session.sealer.seal(Wire.batchBytes(texts)))
            texts = []
            bytes = 2
          }
          texts.push(text)
          bytes += size
          sentUpTo = queue[i]!.seq
        }
        if (texts.length > 0) frames.push(session.sealer.seal(Wire.batchBytes(texts)))
        conn.write(...frames)
      }
      return { wake, pump }
    }
    for (const peer of peers) {
      const link = outLink(peer)
      links.set(peer.id, link)
      link.wake()
    }

    if (program !== undefined) {
      const handle = Program.handle(self, program.role, topology.nodes, driver)
      programFiber = yield* Effect.forkScoped(
        Effect.gen(function* () {
          const exit = yield* Effect.exit(Effect.suspend(() => program.run(handle)))
          if ((Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)) || journal.failed !== undefined) return
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

/** The sending side of a node's links to one peer. */
interface OutLink {
  /** Connects if there is something to send and no connection (or pending retry). */
  readonly wake: () => void
  /** Sends what has been released since the last call. */
  readonly pump: () => void
}

/** A node started outside of Effect code (tests, benchmarks): stop it to close its scope. */
export interface Launched {
  readonly node: RunningNode
  /** Resolves with the program's outcome; rejects with a `NodeError` if the node stopped on a failed journal. */
  readonly finished: Promise<Outcome>
  readonly stop: () => Promise<void>
}

/**
 * Starts a node on its own scope and returns it with a way to stop it.
 *
 * @example
 * import * as PingPongSystem from "../test/fixtures/PingPongSystem.ts"
 * import * as Cluster from "./Cluster.ts"
 * const cluster = Cluster.parse("node p1 pinger 127.0.0.1:7100\nnode q1 ponger 127.0.0.1:7101", "x")
 * const started = launch({ system: PingPongSystem.system(), cluster, self: "p9", secret: new Uint8Array(16), dataDir: "unused" })
 * await started.catch((e) => e.message) // => '"p9" is not a node of pingpong (its nodes: p1, q1)'
 */
export const launch = async (options: NodeOptions): Promise<Launched> => {
  const scope = Effect.runSync(Scope.make())
  try {
    const node = await Effect.runPromise(Scope.provide(start(options), scope))
    const finished = Effect.runPromise(node.finished)
    // Whoever awaits `finished` sees its failure; one who never does must not crash the process,
    // since the failure is also logged.
    finished.catch(() => undefined)
    return { node, finished, stop: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
  } catch (e) {
    await Effect.runPromise(Scope.close(scope, Exit.void))
    throw e
  }
}
