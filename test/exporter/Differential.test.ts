/** The differential check's Lean examples carry TypeScript's values on sampled states. */
import { assert, describe, it } from "vitest"
import { bundled, root, samples } from "../../cli/Prove.ts"
import { differential } from "../../exporter/Differential.ts"
import { exportProtocol } from "../../exporter/Export.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"

describe("the differential check", () => {
  const spec = bundled.find((s) => s.family === "calculator")!
  const exported = exportProtocol(root, spec)
  const sampled = samples("calculator")
  const check = differential(exported, sampled, Calculator.model().payloads ?? {})

  it("samples distinct states from the simulator", () => {
    const soups = new Set(sampled.map((s) => s.statelet.soup.length))
    assert.isAbove(soups.size, 1)
  })

  it("compares every invariant on every sample, with TypeScript's value", () => {
    for (const [i, sample] of sampled.entries()) {
      for (const p of spec.properties.filter((x) => x.kind === "always")) {
        const expected = p.holds(sample.statelet as never, sample.nodes as never)
        assert.include(check.lean, `example : ${p.name} topology${i + 1} sample${i + 1} = ${expected} := by decide`)
      }
    }
  })

  it("compares guards and steps of every transition somewhere", () => {
    for (const name of ["clientSend_guard", "clientSend_step", "serverSend_guard", "serverSend_step", "serverRecv_step", "clientRecv_step"]) {
      assert.include(check.lean, `example : ${name} `, name)
    }
    assert.isAbove(check.checks, 30)
  })

  it("records a wrong answer as false, so that a translation that accepts it mismatches", () => {
    assert.match(check.lean, /example : serverSend_guard [^\n]* \(\{ value := 4, args := \[1, 2\] \} : Response\) [^\n]* = false := by decide/)
  })
})
