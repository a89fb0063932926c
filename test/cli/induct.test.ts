/**
 * `protoweave induct` end to end: a non-inductive invariant is reported with the transitions that
 * break it (exit 1), an inductive one with "none found" and how much was tried (exit 0), and an
 * unknown invariant is bad input naming the ones there are (exit 2).
 */
import { assert, describe, it } from "vitest"
import { assertUsageError, protoweave } from "./Harness.ts"

describe("protoweave induct", () => {
  it("shows which transitions break Two-Phase Commit's log agreement, and exits 1", () => {
    const { code, stdout } = protoweave("induct", "two-phase-commit", "--invariant", "logAgreement", "--participants", "2", "--candidates", "1000")
    assert.strictEqual(code, 1, stdout)
    assert.match(stdout, /^initially {4}holds$/m)
    assert.match(stdout, /^obligations {2}15: logAgreement_init, logAgreement_preserved_by_sendPrepare, /m)
    assert.match(stdout, /^ {2}logAgreement_preserved_by_receiveCommit$/m)
    assert.match(stdout, /^ {4}step {3}p\d ← c {2}commit \{era:\d\}$/m)
  })

  it("finds nothing for the Calculator's response correctness, says how much it tried, and exits 0", () => {
    const { code, stdout } = protoweave("induct", "calculator", "--invariant", "responseCorrect", "--clients", "1", "--servers", "1", "--candidates", "500")
    assert.strictEqual(code, 0, stdout)
    assert.match(stdout, /^broken {7}none found$/m)
    assert.match(stdout, /^tried {8}[\d,]+ states satisfying the hypothesis; this search finds counterexamples to induction, it cannot rule them out$/m)
  })

  it("refuses an invariant the protocol does not have, naming those it has", () => {
    assertUsageError(protoweave("induct", "two-phase-commit", "--invariant", "nope"), 'two-phase-commit has no invariant "nope" (it has: logAgreement, commitValidity, coordinatorAgreement, tpcInv)')
  })
})
