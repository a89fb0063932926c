/**
 * The hook "answer only from your own log" (`hooks/AnswerFromOwnLog.ts`): an answer is allowed
 * only when its value is one of the entries of the sender's own core local state — a number among
 * the pings a ponger has seen (PingPong under an echo), and a whole Two-Phase Commit log, compared
 * structurally (Query over Two-Phase Commit). Each world is stepped by the real step function, so
 * the protocol's own guard holds in every refused case: only the hook refuses it.
 */
import { assert, describe, it } from "vitest"
import * as World from "../../combinators/World.ts"
import type { Statelet } from "../../core/Statelet.ts"
import * as Step from "../../core/Step.ts"
import { answerFromOwnLog } from "../../hooks/AnswerFromOwnLog.ts"
import * as QueryTpc from "../../protocols/QueryTpc/index.ts"
import * as TwoPhaseCommit from "../../protocols/TwoPhaseCommit/index.ts"
import * as PingPong from "../fixtures/PingPong.ts"

/** A world's composed semantics, a step that must be taken, and the verdict on a send. */
const stepper = (system: ReturnType<typeof World.system>) => {
  const semantics = Step.make(system.protocol, system.topology, Step.reorderOnly)
  const act = (s: Statelet, action: Step.Action): Statelet => {
    const out = Step.step(semantics, s, action)
    if (out._tag !== "Stepped") throw new Error(`${JSON.stringify(action)}: ${out._tag === "Refused" ? out.reason : out.violation.reason}`)
    return out.statelet
  }
  const verdict = (s: Statelet, action: Step.Action): string => {
    const out = Step.step(semantics, s, action)
    return out._tag === "Stepped" ? "allowed" : out._tag === "Refused" ? out.reason : out.violation.reason
  }
  return { semantics, act, verdict }
}

describe("answerFromOwnLog", () => {
  it("lets a ponger answer only numbers its own log holds (a log of several entries)", () => {
    const hook = answerFromOwnLog({
      name: "pongWhatWasSeen",
      core: PingPong.protocol,
      coreRole: "ponger",
      client: PingPong.echo,
      tag: "pong",
      log: (ponger) => ponger.seen,
      answer: (pong) => pong.n
    })
    const world = World.make({ label: "pair", protocols: [PingPong.protocol, PingPong.echo], hooks: [hook] })
    const system = World.system(world, { placement: { pingpong: { pinger: ["a"], ponger: ["b"] }, echo: { pinger: ["a"], ponger: ["b"] } }, properties: [] })
    const { semantics, act, verdict } = stepper(system)
    let s = semantics.initial
    let id = 0
    const deliver = (label: string, n: number) => {
      s = act(s, { kind: "send", node: "a", tag: `${label}.ping`, to: "b", payload: { n } })
      s = act(s, { kind: "receive", msgId: id++ })
    }
    // b's own log (pingpong) holds 0 and 1; the echo has seen 0, 1 and 2, so its guard allows a pong of each.
    deliver("pingpong", 0)
    deliver("pingpong", 1)
    for (const n of [0, 1, 2]) deliver("echo", n)
    const pong = (n: number): Step.Action => ({ kind: "send", node: "b", tag: "echo.pong", to: "a", payload: { n, note: "" } })
    assert.strictEqual(verdict(s, pong(0)), "allowed")
    assert.strictEqual(verdict(s, pong(1)), "allowed")
    assert.match(verdict(s, pong(2)), /hook "pongWhatWasSeen" is false \(pingpong state \{"seen":\[0,1\],"stopped":false\}\)/)
  })

  it("compares structured answers structurally: a participant answers with its own era and log, and nothing else", () => {
    const hook = answerFromOwnLog({
      name: "answerWithOwnState",
      core: TwoPhaseCommit.protocol,
      coreRole: "participant",
      client: QueryTpc.query,
      tag: "response",
      log: (participant) => [{ era: participant.era, log: participant.log }],
      answer: (response) => ({ era: response.era, log: response.log })
    })
    const world = World.make({ label: "queried", protocols: [TwoPhaseCommit.protocol, QueryTpc.query], hooks: [hook] })
    const system = World.system(world, {
      placement: { tpc: { coordinator: ["c"], participant: ["p"] }, query: { asker: ["c"], answerer: ["p"] } },
      properties: []
    })
    const { semantics, act, verdict } = stepper(system)
    let s = semantics.initial
    s = act(s, { kind: "send", node: "c", tag: "query.request", to: "p", payload: { rid: 0 } })
    s = act(s, { kind: "receive", msgId: 0 })
    const response = (era: number, log: ReadonlyArray<{ commit: boolean; data: number }>): Step.Action => ({
      kind: "send",
      node: "p",
      tag: "query.response",
      to: "c",
      payload: { rid: 0, era, log }
    })
    assert.strictEqual(verdict(s, response(0, [])), "allowed", "a fresh copy of its own (empty) log, era 0")
    assert.match(verdict(s, response(0, [{ commit: true, data: 1 }])), /hook "answerWithOwnState" is false/, "a log it does not have")
    assert.match(verdict(s, response(1, [])), /hook "answerWithOwnState" is false/, "another era")
  })

  it("uses the equality it is given", () => {
    const byEra = answerFromOwnLog({
      name: "sameEra",
      core: TwoPhaseCommit.protocol,
      coreRole: "participant",
      client: QueryTpc.query,
      tag: "response",
      log: (participant) => [{ era: participant.era, log: participant.log }],
      answer: (response) => ({ era: response.era, log: response.log }),
      equals: (entry, answer) => entry.era === answer.era
    })
    const participant = { phase: { tag: "init" }, era: 0, log: [] }
    assert.isTrue(byEra.holds(participant, { owed: [] }, { rid: 0, era: 0, log: [{ commit: true, data: 1 }] }, "c"))
    assert.isFalse(byEra.holds(participant, { owed: [] }, { rid: 0, era: 1, log: [] }, "c"))
  })
})
