/**
 * Single-point bugs in Two-Phase Commit and the Calculator, built here (not in protocols/) by
 * replacing one transition's guard, filter or step in the bundled protocol: the mutation test of
 * protocol-level simulation. Each mutant is a whole system (the family's programs and properties
 * on the mutated protocol), so both simulation levels run it as they run the bundled families.
 */
import type { NamedReceive, NamedSend, Protocol } from "../../core/Protocol.ts"
import type { Family, System } from "../../core/System.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"
import * as TwoPhaseCommit from "../../protocols/TwoPhaseCommit/index.ts"

/** What a mutation changes: a send's guard (what may be sent), or a step or receive filter (what a node does). */
export type MutationKind = "guard" | "step"

/** One single-point bug. */
export interface Mutation {
  readonly name: string
  readonly family: Family
  readonly kind: MutationKind
  readonly description: string
  readonly mutate: (protocol: Protocol) => Protocol
}

/** The protocol with one send transition changed. */
const withSend = (name: string, change: (t: NamedSend) => Partial<NamedSend>) => (protocol: Protocol): Protocol => {
  const original = protocol.sends.find((t) => t.name === name)
  if (original === undefined) throw new Error(`protocol "${protocol.label}" has no send transition ${name}`)
  const mutated = { ...original, ...change(original) } as NamedSend
  const sends = protocol.sends.map((t) => (t === original ? mutated : t))
  return { ...protocol, sends, sendOf: new Map(sends.map((t) => [t.tag, t])) }
}

/** The protocol with one receive transition changed. */
const withReceive = (name: string, change: (t: NamedReceive) => Partial<NamedReceive>) => (protocol: Protocol): Protocol => {
  const original = protocol.receives.find((t) => t.name === name)
  if (original === undefined) throw new Error(`protocol "${protocol.label}" has no receive transition ${name}`)
  const mutated = { ...original, ...change(original) } as NamedReceive
  const receives = protocol.receives.map((t) => (t === original ? mutated : t))
  return { ...protocol, receives, receiveOf: new Map(receives.map((t) => [t.tag, t])) }
}

/**
 * The family's system with the mutated protocol. Programs reach the protocol only through the
 * engine's step function, which uses the system's protocol, so the bundled programs run unchanged
 * on the mutant (as programs written for the correct protocol would).
 */
export const mutantSystem = (mutation: Mutation, parameters: { readonly [name: string]: number }): System => {
  const system = mutation.family.make(parameters)
  return { ...system, protocol: mutation.mutate(system.protocol) }
}

const family = (families: ReadonlyArray<Family>, name: string) => families.find((f) => f.name === name)!
const tpc = family(TwoPhaseCommit.families, "two-phase-commit")
const calculator = family(Calculator.families, "calculator")

type Coordinator = TwoPhaseCommit.Protocol.CoordinatorState
type Participant = TwoPhaseCommit.Protocol.ParticipantState
type Calc = { readonly pending: ReadonlyArray<{ readonly peer: string; readonly args: ReadonlyArray<number> }> }
type Args = { readonly args: ReadonlyArray<number>; readonly value: number }

const sameArgs = (a: ReadonlyArray<number>, b: ReadonlyArray<number>) => a.length === b.length && a.every((x, i) => x === b[i])

/** The mutations, Two-Phase Commit's first. */
export const mutations: ReadonlyArray<Mutation> = [
  {
    name: "tpc: commit after N−1 votes",
    family: tpc,
    kind: "guard",
    description: "sendCommit also allowed when one vote is still missing and the others are yes",
    mutate: withSend("sendCommit", (t) => ({
      guard: (s: Coordinator, to, m, ctx) =>
        t.guard(s, to, m, ctx) ||
        (s.phase.tag === "waitVotes" && m.era === s.era && s.phase.votes.length >= ctx.nodes.participant.length - 1 && s.phase.votes.every((v) => v.yes))
    }))
  },
  {
    name: "tpc: abort before all votes are in",
    family: tpc,
    kind: "guard",
    description: "sendAbort allowed as soon as one vote is no",
    mutate: withSend("sendAbort", (t) => ({
      guard: (s: Coordinator, to, m, ctx) => t.guard(s, to, m, ctx) || (s.phase.tag === "waitVotes" && m.era === s.era && s.phase.votes.some((v) => !v.yes))
    }))
  },
  {
    name: "tpc: vote yes without a prepare",
    family: tpc,
    kind: "guard",
    description: "sendYes allowed while the participant is idle",
    mutate: withSend("sendYes", (t) => ({ guard: (s: Participant, to, m, ctx) => t.guard(s, to, m, ctx) || (s.phase.tag === "init" && m.era === s.era) }))
  },
  {
    name: "tpc: vote yes after voting no",
    family: tpc,
    kind: "guard",
    description: "sendYes allowed after the participant voted no",
    mutate: withSend("sendYes", (t) => ({ guard: (s: Participant, to, m, ctx) => t.guard(s, to, m, ctx) || (s.phase.tag === "votedNo" && m.era === s.era) }))
  },
  {
    name: "tpc: acknowledge a commit before logging it",
    family: tpc,
    kind: "guard",
    description: "sendAckCommit allowed while the participant has only voted yes",
    mutate: withSend("sendAckCommit", (t) => ({ guard: (s: Participant, to, m, ctx) => t.guard(s, to, m, ctx) || (s.phase.tag === "votedYes" && m.era === s.era) }))
  },
  {
    name: "tpc: prepare for any era",
    family: tpc,
    kind: "guard",
    description: "sendPrepare does not check the era",
    mutate: withSend("sendPrepare", (t) => ({ guard: (s: Coordinator, to, m, ctx) => t.guard(s, to, { ...m, era: s.era }, ctx) }))
  },
  {
    name: "tpc: abort logged as a commit",
    family: tpc,
    kind: "step",
    description: "receiveAbort logs {commit: true}",
    mutate: withReceive("receiveAbort", (t) => ({
      step: (s: Participant, from, m, ctx) => {
        const next = t.step(s, from, m, ctx) as Participant
        return next.log.length > s.log.length ? { ...next, log: [...s.log, { ...next.log[next.log.length - 1]!, commit: true }] } : next
      }
    }))
  },
  {
    name: "tpc: coordinator logs an abort as a commit",
    family: tpc,
    kind: "step",
    description: "receiveAckAbort's last acknowledgement logs {commit: true}",
    mutate: withReceive("receiveAckAbort", (t) => ({
      step: (s: Coordinator, from, m, ctx) => {
        const next = t.step(s, from, m, ctx) as Coordinator
        return next.log.length > s.log.length ? { ...next, log: [...s.log, { ...next.log[next.log.length - 1]!, commit: true }] } : next
      }
    }))
  },
  {
    name: "calc: answer with a wrong value",
    family: calculator,
    kind: "guard",
    description: "serverSend does not check the value against f",
    mutate: withSend("serverSend", () => ({ guard: (s: Calc, to, m: Args) => s.pending.some((p) => p.peer === to && sameArgs(p.args, m.args)) }))
  },
  {
    name: "calc: answer a request never received",
    family: calculator,
    kind: "guard",
    description: "serverSend checks only the value",
    mutate: withSend("serverSend", () => ({ guard: (_s: Calc, _to, m: Args) => m.value === Calculator.f(m.args) }))
  },
  {
    name: "calc: answer another client's request",
    family: calculator,
    kind: "guard",
    description: "serverSend does not check that the request is the receiver's",
    mutate: withSend("serverSend", () => ({
      guard: (s: Calc, _to, m: Args) => s.pending.some((p) => sameArgs(p.args, m.args)) && m.value === Calculator.f(m.args)
    }))
  },
  {
    name: "calc: request without the precondition",
    family: calculator,
    kind: "guard",
    description: "clientSend does not check prec",
    mutate: withSend("clientSend", () => ({ guard: () => true }))
  },
  {
    name: "calc: accept a response from any server",
    family: calculator,
    kind: "step",
    description: "clientRecv accepts a response to a pending request whoever sends it",
    mutate: withReceive("clientRecv", () => ({ accepts: (s: Calc, _from, m: Args) => s.pending.some((p) => sameArgs(p.args, m.args)) }))
  },
  {
    name: "calc: remove the wrong pending request",
    family: calculator,
    kind: "step",
    description: "serverSend's step removes the server's first pending request, whichever was answered",
    mutate: withSend("serverSend", () => ({ step: (s: Calc) => ({ pending: s.pending.slice(1) }) }))
  },
  {
    name: "calc: answered request kept",
    family: calculator,
    kind: "step",
    description: "serverSend's step keeps the answered request, so it can be answered again",
    mutate: withSend("serverSend", () => ({ step: (s: Calc) => s }))
  }
]
