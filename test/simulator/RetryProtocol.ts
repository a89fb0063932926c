/**
 * A small retransmission protocol used to test the simulator's time, timeouts and faults: a sender
 * sends numbered data until each is acknowledged, retrying after a timeout; a receiver delivers
 * data in order and acknowledges it, pausing before each acknowledgement.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Program from "../../core/Program.ts"
import * as Property from "../../core/Property.ts"
import * as Protocol from "../../core/Protocol.ts"
import * as System from "../../core/System.ts"

const Retry = Protocol.signature({
  label: "retry",
  roles: {
    sender: Schema.Struct({ acked: Schema.Int }),
    receiver: Schema.Struct({ delivered: Schema.Array(Schema.Int) })
  },
  initial: { sender: { acked: 0 }, receiver: { delivered: [] } },
  messages: { data: Schema.Struct({ seq: Schema.Int }), ack: Schema.Struct({ seq: Schema.Int }) }
})

/** Sends (or resends) the first unacknowledged item. */
const sendData = Retry.send({ tag: "data", from: "sender", to: "receiver", guard: (s, _to, m) => m.seq === s.acked, step: (s) => s })

/** Acknowledges only what was delivered. */
const sendAck = Retry.send({ tag: "ack", from: "receiver", to: "sender", guard: (s, _to, m) => s.delivered.includes(m.seq), step: (s) => s })

/** Delivers the next item in order; duplicates and gaps change nothing. */
const receiveData = Retry.receive({
  tag: "data",
  by: "receiver",
  step: (s, _from, m) => (m.seq === s.delivered.length ? { delivered: [...s.delivered, m.seq] } : s)
})

/** Moves past the acknowledged item. */
const receiveAck = Retry.receive({ tag: "ack", by: "sender", step: (s, _from, m) => (m.seq === s.acked ? { acked: s.acked + 1 } : s) })

export const protocol = Retry.protocol({ sends: { sendData, sendAck }, receives: { receiveData, receiveAck } })

/** The sender: each item until acknowledged, waiting `timeout` ms for each acknowledgement. */
export const sender = (count: number, timeout: number) =>
  Program.make(protocol, "sender", (node) =>
    Effect.gen(function* () {
      const receiver = node.nodes.receiver[0]!
      for (;;) {
        const { acked } = yield* node.local
        if (acked >= count) return acked
        yield* node.send("data", receiver, { seq: acked })
        yield* node.receiveWithin({ tags: ["ack"], where: (m) => m.payload.seq === acked }, timeout)
      }
    })
  )

/** The receiver: acknowledges every data message after a pause. */
export const receiver = (pause: number) =>
  Program.make(
    protocol,
    "receiver",
    (node) =>
      Effect.gen(function* () {
        for (;;) {
          const data = yield* node.receive({ tags: ["data"] })
          yield* node.sleep(pause)
          const { delivered } = yield* node.local
          if (delivered.includes(data.payload.seq)) yield* node.send("ack", data.from, { seq: data.payload.seq })
          const stale = yield* node.tryReceive({ tags: ["data"], where: (m) => m.payload.seq < delivered.length })
          if (Option.isSome(stale)) yield* node.send("ack", stale.value.from, { seq: stale.value.payload.seq })
        }
      }),
    { daemon: true }
  )

/** Delivered items are exactly 0, 1, 2, ... in order. */
export const inOrder = Property.always(protocol, "inOrder", (s, nodes) =>
  nodes.receiver.every((r) => s.locals.receiver[r]!.delivered.every((x, i) => x === i))
)

/** Non-vacuity: some item was sent more than once. */
export const retransmitted = Property.sometimes(protocol, "retransmitted", (s) =>
  s.soup.some((m, i) => m.tag === "data" && s.soup.some((n, j) => j > i && n.tag === "data" && n.payload.seq === m.payload.seq))
)

/** The system: one sender of `count` items, one receiver. */
export const system = (count = 3, timeout = 30, pause = 5) =>
  System.make({
    protocol,
    nodes: { sender: ["a"], receiver: ["b"] },
    programs: { a: sender(count, timeout), b: receiver(pause) },
    properties: [inOrder, retransmitted]
  })
