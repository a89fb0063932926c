/** Traces as NDJSON: they round-trip, and a bad file is reported by line. */
import { assert, describe, it } from "vitest"
import * as Calculator from "../../protocols/Calculator/index.ts"
import * as FaultPlan from "../../simulator/FaultPlan.ts"
import * as Simulator from "../../simulator/Simulator.ts"
import * as Trace from "../../simulator/Trace.ts"

const options = { name: "calculator", parameters: {}, seed: 5, runs: 1, faults: FaultPlan.presets.all!, maxSteps: 2000, maxTime: 600000 }

describe("Trace", () => {
  it("round-trips a run through NDJSON, one JSON object per line", () => {
    const { trace } = Simulator.runOnce(Calculator.system({}), options)
    const text = Trace.toNdjson(trace)
    const lines = text.split("\n")
    assert.strictEqual(lines.length, trace.events.length + 2)
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line))
    assert.deepStrictEqual(Trace.fromNdjson(text), JSON.parse(JSON.stringify(trace)))
  })

  it("reports the first bad line with its number", () => {
    const { trace } = Simulator.runOnce(Calculator.system({}), options)
    const lines = Trace.toNdjson(trace).split("\n")
    const notJson = [...lines.slice(0, 2), "{oops", ...lines.slice(2)].join("\n")
    assert.throws(() => Trace.fromNdjson(notJson, "t.ndjson"), Trace.TraceFormatError, /^t\.ndjson:3: not JSON/)
    const badEvent = [...lines.slice(0, 1), JSON.stringify({ type: "send", step: "one" }), ...lines.slice(1)].join("\n")
    assert.throws(() => Trace.fromNdjson(badEvent, "t.ndjson"), Trace.TraceFormatError, /^t\.ndjson:2: not a valid event/)
    assert.throws(() => Trace.fromNdjson(lines.slice(0, -1).join("\n"), "t.ndjson"), Trace.TraceFormatError, /not a valid end line/)
    assert.throws(() => Trace.fromNdjson("", "t.ndjson"), Trace.TraceFormatError, /header line and an end line/)
    const badHeader = [JSON.stringify({ type: "run", format: 2 }), ...lines.slice(1)].join("\n")
    assert.throws(() => Trace.fromNdjson(badHeader, "t.ndjson"), Trace.TraceFormatError, /^t\.ndjson:1: not a valid header/)
  })
})
