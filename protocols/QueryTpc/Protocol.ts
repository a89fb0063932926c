/**
 * Query over Two-Phase Commit (Disel's `QueryProtocol.v`, `QueryHooked.v`, `QueryPlusTPC.v`): a
 * request/response protocol in which an asker asks a node for its data, and a hook that ties the
 * answer to the answering node's own state in Two-Phase Commit.
 *
 * - `query` (label `"query"`): the asker sends `request { rid }` with its next request id and
 *   remembers it; an answerer owes an answer for every request it received; `response { rid, era,
 *   log }` pays one debt, and the asker records it when it waited for that id from that node.
 * - The hook `answerWithOwnLog` (core `tpc`, client `query`, tag `response`): a participant answers
 *   only when it is between rounds, and only with its own era and log (Disel's `query_hook` with
 *   `core_state_to_data`).
 * - `world` is Disel's `W`: Two-Phase Commit and the query protocol, hooked. Programs of Two-Phase
 *   Commit run in it by injection (the hook constrains only `query`).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import * as Protocol from "../../core/Protocol.ts"
import * as SendHook from "../../hooks/SendHook.ts"
import * as World from "../../combinators/World.ts"
import * as TwoPhaseCommit from "../TwoPhaseCommit/index.ts"

const LogEntry = TwoPhaseCommit.Protocol.LogEntry

/** A request the asker waits on: to whom, with which id. */
export const Pending = Schema.Struct({ to: Schema.String, rid: Schema.Int })

/** An answer the asker received: from whom, for which id, and the answerer's era and log. */
export const Answer = Schema.Struct({ from: Schema.String, rid: Schema.Int, era: Schema.Int, log: Schema.Array(LogEntry) })

/** The asker's local state: its next request id, the requests it waits on, the answers it has. */
export const AskerState = Schema.Struct({ next: Schema.Int, waiting: Schema.Array(Pending), answers: Schema.Array(Answer) })

/** An answerer's local state: the requests it owes an answer (by asker and id). */
export const AnswererState = Schema.Struct({ owed: Schema.Array(Pending) })

const Query = Protocol.signature({
  label: "query",
  roles: { asker: AskerState, answerer: AnswererState },
  initial: { asker: { next: 0, waiting: [], answers: [] }, answerer: { owed: [] } },
  messages: {
    request: Schema.Struct({ rid: Schema.Int }),
    response: Schema.Struct({ rid: Schema.Int, era: Schema.Int, log: Schema.Array(LogEntry) })
  }
})

/** The query protocol. The asker asks once per node it may ask (so that models stay finite). */
export const query = Query.protocol({
  sends: {
    ask: Query.send({
      tag: "request",
      from: "asker",
      to: "answerer",
      guard: (s, to, m) => m.rid === s.next && !s.waiting.some((w) => w.to === to) && !s.answers.some((a) => a.from === to),
      step: (s, to, m) => ({ ...s, next: s.next + 1, waiting: [...s.waiting, { to, rid: m.rid }] }),
      candidates: (s, ctx) =>
        ctx.nodes.answerer.filter((to) => !s.waiting.some((w) => w.to === to) && !s.answers.some((a) => a.from === to)).map((to) => ({ to, msg: { rid: s.next } }))
    }),
    answer: Query.send({
      tag: "response",
      from: "answerer",
      to: "asker",
      guard: (s, to, m) => s.owed.some((o) => o.to === to && o.rid === m.rid),
      step: (s, to, m) => ({ owed: s.owed.filter((o) => !(o.to === to && o.rid === m.rid)) })
    })
  },
  receives: {
    takeRequest: Query.receive({ tag: "request", by: "answerer", step: (s, from, m) => ({ owed: [...s.owed, { to: from, rid: m.rid }] }) }),
    takeResponse: Query.receive({
      tag: "response",
      by: "asker",
      accepts: (s, from, m) => s.waiting.some((w) => w.to === from && w.rid === m.rid),
      step: (s, from, m) => ({
        ...s,
        waiting: s.waiting.filter((w) => !(w.to === from && w.rid === m.rid)),
        answers: [...s.answers, { from, rid: m.rid, era: m.era, log: m.log }]
      })
    })
  }
})

/** Two logs are the same decisions. */
export const sameLog = (a: ReadonlyArray<{ readonly commit: boolean; readonly data: number }>, b: ReadonlyArray<{ readonly commit: boolean; readonly data: number }>) =>
  a.length === b.length && a.every((e, i) => e.commit === b[i]!.commit && e.data === b[i]!.data)

/** A participant answers only between rounds, and only with its own era and log. */
export const answerWithOwnLog = SendHook.make({
  name: "answerWithOwnLog",
  core: TwoPhaseCommit.protocol,
  coreRole: "participant",
  client: query,
  tag: "response",
  holds: (participant, _answerer, msg) => participant.phase.tag === "init" && msg.era === participant.era && sameLog(msg.log, participant.log)
})

/** Disel's `W`: Two-Phase Commit and the query protocol, tied by the hook. */
export const world = World.make({ label: "queryTpc", protocols: [TwoPhaseCommit.protocol, query], hooks: [answerWithOwnLog] })

/** The broken world: no hook, so an answer need not be the answerer's log. */
export const unhookedWorld = World.make({ label: "queryTpc", protocols: [TwoPhaseCommit.protocol, query] })
