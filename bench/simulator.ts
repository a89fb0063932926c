/**
 * `npm run bench:simulator [-- <protocol> <runs>]`: simulated steps per second for a bundled
 * protocol (TwoPhaseCommit by default), against a baseline measured in the same process: the same
 * steps applied straight to the step function, with no programs, fibers or scheduling. The ratio
 * is the cost of running real Effect programs deterministically on top of the semantics; absolute
 * figures vary with the machine, ratios much less.
 *
 * Then the cost per step by run length: runs cut at 100 and 1,000 steps (and 10,000 with `--long`)
 * of the same system with enough rounds (for a protocol with a `rounds` parameter). A simulator
 * whose cost per step does not grow with the history prints the same µs/step for each.
 */
import * as Step from "../core/Step.ts"
import * as Protocols from "../protocols/index.ts"
import * as FaultPlan from "../simulator/FaultPlan.ts"
import * as Simulator from "../simulator/Simulator.ts"
import type { Trace } from "../simulator/Trace.ts"

const positional = process.argv.slice(2).filter((a) => a !== "--long")
const long = process.argv.includes("--long")
const name = positional[0] ?? "two-phase-commit"
const runs = Number(positional[1] ?? 2000)
const family = Protocols.find(name)
if (family === undefined) {
  console.error(`bench:simulator: no protocol "${name}" (have: ${Protocols.families.map((f) => f.name).join(", ")})`)
  process.exit(2)
}
const parameters: Record<string, number> = {}
for (const [key, p] of Object.entries(family.parameters)) parameters[key] = p.default
const system = family.make(parameters)
const options = { name, parameters, seed: 1, runs, faults: FaultPlan.reorder, maxSteps: 100_000, maxTime: 1e9, stopOnViolation: false, shrink: false }

const semanticsOnly = (traces: ReadonlyArray<Trace>) => {
  const semantics = Step.make(system.protocol, system.topology, FaultPlan.faultModel(options.faults))
  let steps = 0
  const started = performance.now()
  for (const trace of traces) {
    let statelet = semantics.initial
    for (const e of trace.events) {
      const action: Step.Action | undefined =
        e.type === "send" ? { kind: "send", node: e.node, tag: e.tag, to: e.to, payload: e.payload } : e.type === "deliver" ? { kind: "receive", msgId: e.msg } : undefined
      if (action === undefined) continue
      const out = Step.step(semantics, statelet, action)
      if (out._tag !== "Stepped") throw new Error(`baseline: step refused: ${JSON.stringify(out)}`)
      statelet = out.statelet
      for (const p of system.properties) if (p.kind === "always") p.holds(statelet as never, system.topology.nodes)
      steps++
    }
  }
  return { steps, ms: performance.now() - started }
}

console.log(`protocol ${name} ${JSON.stringify(parameters)}, ${runs} runs, faults reorder`)
Simulator.simulate(system, { ...options, runs: Math.min(200, runs) })
const traces: Array<Trace> = []
const started = performance.now()
let steps = 0
for (let i = 0; i < runs; i++) {
  const { trace } = Simulator.runOnce(system, options, i)
  steps += trace.end.steps
  traces.push(trace)
}
const simulated = { steps, ms: performance.now() - started }
semanticsOnly(traces.slice(0, 100))
const bare = semanticsOnly(traces)
const rate = (r: { steps: number; ms: number }) => (r.steps / r.ms) * 1000
console.log(`simulator (programs + semantics + invariants): ${simulated.steps} steps in ${simulated.ms.toFixed(0)} ms = ${rate(simulated).toFixed(0)} steps/s`)
console.log(`baseline  (semantics + invariants only):       ${bare.steps} steps in ${bare.ms.toFixed(0)} ms = ${rate(bare).toFixed(0)} steps/s`)
console.log(`ratio: ${(rate(simulated) / rate(bare)).toFixed(3)}`)

costByLength()

/** µs per simulated step in runs cut at a given length, each from a system with enough rounds to keep going. */
function costByLength(): void {
  if (family!.parameters.rounds === undefined) {
    console.log(`cost per step by run length: skipped (${name} has no rounds parameter to make long runs)`)
    return
  }
  for (const length of [100, 1_000, ...(long ? [10_000] : [])]) {
    const longSystem = family!.make({ ...parameters, rounds: Math.ceil(length / 10) })
    const cut = { ...options, maxSteps: length }
    let steps = 0
    const started = performance.now()
    const count = Math.max(1, Math.round(20_000 / length))
    for (let i = 0; i < count; i++) steps += Simulator.runOnce(longSystem, cut, i).trace.end.steps
    const ms = performance.now() - started
    console.log(`runs of ${String(length).padStart(6)} steps: ${count} runs, ${steps} steps, ${((ms * 1000) / steps).toFixed(1)} µs/step (${((steps / ms) * 1000).toFixed(0)} steps/s)`)
  }
}
