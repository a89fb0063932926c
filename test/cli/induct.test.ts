/**
 * `protoweave induct` end to end: a non-inductive invariant is reported with the transitions that
 * break it, each with a shrunk state shown whole — local states and the soup — and its step in
 * the simulator's trace format (exit 1); an inductive one with "none found" and what was searched,
 * never a claim that it is inductive (exit 0); an unknown invariant or a bad budget is bad input
 * (exit 2).
 */
import { assert, describe, it } from "vitest"
import { assertUsageError, protoweave } from "./Harness.ts"

describe("protoweave induct", () => {
  it("shows which transitions break Two-Phase Commit's log agreement, from which whole states, and exits 1", () => {
    const { code, stdout } = protoweave("induct", "two-phase-commit", "--invariant", "logAgreement", "--participants", "2", "--candidates", "1000")
    assert.strictEqual(code, 1, stdout)
    assert.match(stdout, /^searched {5}randomized search, seed 1: parts from [\d,]+ reachable states \(a breadth-first search of 5,000 states, then 200 random walks of up to 40 steps\): [\d,]+ local states of nodes, \d+ messages; 1,000 candidates recombined and mutated from them; [\d,]+ distinct states satisfied logAgreement$/m)
    assert.match(stdout, /^initially {4}holds$/m)
    assert.match(stdout, /^obligations {2}15: logAgreement_init, logAgreement_preserved_by_sendPrepare, /m)
    assert.match(stdout, /^broken {7}4: receiveCommit, receiveAbort, receiveAckCommit, receiveAckAbort$/m)
    assert.match(stdout, /^ {2}logAgreement_preserved_by_receiveCommit: receiveCommit breaks logAgreement from this state \(\d nodes, 1 message; shrunk from \d nodes and \d+ messages in \d+ steps\)$/m)
    assert.match(stdout, /^ {4}c: \{era:\d,phase:\{tag:"\w+"/m)
    assert.match(stdout, /^ {4}msg 0 {2}c → p\d {2}commit \{era:\d\} {2}active$/m)
    assert.match(stdout, /^ {2}step: p\d ← c {2}commit \{era:\d\} {2}\[receiveCommit\] {2}msg 0$/m)
    assert.match(stdout, /^ {6}p\d: phase votedYes → committed\{data:10\d\}; log \+= \{commit:true,data:10\d\}$/m)
    assert.match(stdout, /^not found {4}10: logAgreement_preserved_by_sendPrepare, /m)
    assert.notMatch(stdout, /inductive(?! \w)|\bproved\b/)
  })

  it("finds nothing for Two-Phase Commit's tpcInv, says what it searched and that this is no proof, and exits 0", () => {
    const { code, stdout } = protoweave("induct", "two-phase-commit", "--invariant", "tpcInv", "--participants", "2", "--states", "1000", "--walks", "20", "--candidates", "300", "--seed", "7")
    assert.strictEqual(code, 0, stdout)
    assert.match(stdout, /^searched {5}randomized search, seed 7: parts from [\d,]+ reachable states \(a breadth-first search of 1,000 states, then 20 random walks/m)
    assert.match(stdout, /^broken {7}none found$/m)
    assert.match(stdout, /^not found {4}14: tpcInv_preserved_by_sendPrepare, /m)
    assert.match(stdout, /^ {13}no counterexample found within [\d,]+ candidate states; the search is randomized: it finds counterexamples to induction, it cannot rule them out$/m)
  })

  it("refuses an invariant the protocol does not have, naming those it has, and a budget that is not a number", () => {
    assertUsageError(protoweave("induct", "two-phase-commit", "--invariant", "nope"), 'two-phase-commit has no invariant "nope" (it has: logAgreement, commitValidity, coordinatorAgreement, tpcInv)')
    assertUsageError(protoweave("induct", "two-phase-commit", "--invariant", "tpcInv", "--states", "0"), "--states must be at least 1, got 0")
  })
})
