/**
 * `npm run bench:checker [-- [--n8] [--n9] [--rounds K]]`: distinct states per second of protoweave's
 * model checker on the one-round Two-Phase Commit benchmark (`tpc-bench`) with N = 5, 6, 7
 * participants (and 8 with `--n8`, which takes a long time and a few GB; and 9 with `--n9`:
 * 270,125,925 states, several minutes and about 10 GB per side), against the
 * plain-JavaScript BFS over packed states (`bench/checker/PlainBfs.ts`) measured in the same
 * process. Both must find exactly the closed-form number of states, or the benchmark fails.
 *
 * protoweave runs on one thread, and on two threads, the calling thread and a worker thread
 * (`checker/Parallel.ts`); the ratio uses the faster of the two and says which. The machine is
 * shared and its speed swings by a third within a minute, so each N is measured in rounds
 * (`--rounds K`, default 3; N = 8 once), the three runs of a round one after the other, and each
 * row shows a side's fastest run with the times of all its runs: a slow or fast spell then falls on
 * both sides. Each row also gives the CPU time the run used (all threads), and each N a CPU ratio
 * (plain-JS CPU time ÷ protoweave's on one thread, the least of each). The last line is
 * `ratio N=7: <protoweave states/s ÷ plain-JS states/s>`.
 *
 * Each N also gets a `pw --por` row: the search with partial-order reduction (`check --por`), its
 * states against the closed form, and the same verdicts (no violation, no deadlock, every witness).
 *
 * First, one row per bundled protocol (its correct family) at a fixed size, on one thread: their
 * properties are whole-statelet functions, unlike tpc-bench's local predicates, so tpc-bench alone
 * does not speak for them. Each must find its pinned number of states with no violation.
 */
import * as Checker from "../checker/Checker.ts"
import * as Parallel from "../checker/Parallel.ts"
import * as Protocols from "../protocols/index.ts"
import * as TpcBench from "../protocols/TpcBench/index.ts"
import { plainBfs } from "./checker/PlainBfs.ts"

const args = process.argv.slice(2)
const roundsAt = args.indexOf("--rounds")
const rounds = roundsAt < 0 ? 3 : Number(args[roundsAt + 1])
const unknown = args.filter((a, i) => a !== "--n8" && a !== "--n9" && a !== "--rounds" && !(roundsAt >= 0 && i === roundsAt + 1))
if (unknown.length > 0 || !Number.isInteger(rounds) || rounds < 1) {
  console.error(`bench:checker: ${unknown.length > 0 ? `unknown argument ${unknown.join(" ")}` : "--rounds takes a positive integer"} (flags: --n8, --n9, --rounds K)`)
  process.exit(2)
}
const sizes = [5, 6, 7, ...(args.includes("--n8") ? [8] : []), ...(args.includes("--n9") ? [9] : [])]

/** One side's run on one N: wall-clock and CPU milliseconds (of every thread of the process). */
interface Measured {
  readonly states: number
  readonly ms: number
  readonly cpuMs: number
  readonly bytesPerState: number
}

/** CPU milliseconds used by the process while `run` runs, with its result. */
const timed = <A>(run: () => A): { readonly value: A; readonly cpuMs: number } => {
  const before = process.cpuUsage()
  const value = run()
  const used = process.cpuUsage(before)
  return { value, cpuMs: (used.user + used.system) / 1000 }
}

const protoweave = (n: number): Measured => {
  const { value, cpuMs } = timed(() => Checker.check(TpcBench.model(n)))
  return measured(n, value, cpuMs)
}

const reduced = (n: number): Measured => {
  const { value, cpuMs } = timed(() => Checker.check(TpcBench.model(n), { partialOrder: true }))
  if (value.partialOrder?.applied !== true) throw new Error(`bench:checker: --por on N=${n} was not applied: ${value.partialOrder?.reason}`)
  if (value.properties.some((p) => p.status !== (p.kind === "always" ? "holds" : "witnessed"))) throw new Error(`bench:checker: --por on N=${n} changed a verdict`)
  return measured(n, value, cpuMs)
}

const source = (n: number): Parallel.ModelSource => ({
  specifier: new URL("../protocols/TpcBench/index.ts", import.meta.url).href,
  exportName: "model",
  args: [n]
})

const protoweaveParallel = async (n: number, options: { readonly searchAloneUntil?: number } = {}): Promise<Measured> => {
  const before = process.cpuUsage()
  const report = await Parallel.checkParallel(TpcBench.model(n), source(n), { workers: 2, ...options })
  const used = process.cpuUsage(before)
  return measured(n, report, (used.user + used.system) / 1000)
}

const measured = (n: number, report: Checker.CheckReport, cpuMs: number): Measured => {
  // A benchmark that explored something else than the whole, correct model measures nothing.
  const wrong = [
    ...(report.incomplete === undefined ? [] : [`the search stopped early (${report.incomplete})`]),
    ...report.properties.filter((p) => p.status === "violated").map((p) => `${p.name} violated`),
    ...(report.deadlocks.count === 0 ? [] : [`${report.deadlocks.count} deadlocks`])
  ]
  if (wrong.length > 0) throw new Error(`bench:checker: protoweave on N=${n}: ${wrong.join(", ")}`)
  return { states: report.states, ms: report.elapsedMs, cpuMs, bytesPerState: report.bytesPerState }
}

const plain = (n: number): Measured => {
  const { value: r, cpuMs } = timed(() => plainBfs(n))
  return { states: r.states, ms: r.ms, cpuMs, bytesPerState: r.bytesPerState }
}

const rate = (m: Measured) => (m.states * 1000) / m.ms

const count = (n: number) => Math.round(n).toLocaleString("en-US")

const row = (label: string, m: Measured) =>
  `  ${label.padEnd(10)}  ${count(m.states).padStart(11)} states  ${(m.ms / 1000).toFixed(2).padStart(8)} s  ${count(rate(m)).padStart(10)} states/s  ${m.bytesPerState.toFixed(1).padStart(7)} B/state  ${(m.cpuMs / 1000).toFixed(2).padStart(7)} s CPU`

const assertExpected = (label: string, n: number, m: Measured) => {
  const expected = TpcBench.expectedStates(n)
  if (m.states !== expected) {
    throw new Error(`bench:checker: ${label} found ${count(m.states)} states for N=${n}, but the benchmark has exactly ${count(expected)}`)
  }
}

// The machine is shared and noisy: each side first runs once on a small N, so that neither is
// measured while its code is still being compiled. The two-thread warm-up waits for its worker
// (which then stays for the next searches), so that no measured search shares the machine with a
// worker still loading its code.
for (const [label, run] of [["protoweave", protoweave], ["plain JS", plain]] as const) assertExpected(label, 4, run(4))
assertExpected("protoweave ×2", 4, await protoweaveParallel(4, { searchAloneUntil: 0 }))

bundledProtocols()

console.log(
  `tpc-bench (one round of Two-Phase Commit, reorder-only network), N = ${sizes.join(", ")}; each side's best of ${rounds} interleaved run${rounds === 1 ? "" : "s"} per N (one at N = 8 and 9)`
)
const fastest = (runs: ReadonlyArray<Measured>): Measured => runs.reduce((a, b) => (rate(b) > rate(a) ? b : a))
const spread = (runs: ReadonlyArray<Measured>): string =>
  runs.length === 1 ? "" : `   (runs: ${runs.map((m) => (m.ms / 1000).toFixed(2)).join(", ")} s)`
const ratios = new Map<number, number>()
for (const n of sizes) {
  const singles: Array<Measured> = []
  const parallels: Array<Measured> = []
  const theirs: Array<Measured> = []
  // The sides take turns, so that a slow or fast spell of the machine falls on both.
  for (let round = 0; round < (n >= 8 ? 1 : rounds); round++) {
    singles.push(protoweave(n))
    assertExpected("protoweave", n, singles[round]!)
    parallels.push(await protoweaveParallel(n))
    assertExpected("protoweave ×2", n, parallels[round]!)
    theirs.push(plain(n))
    assertExpected("plain JS", n, theirs[round]!)
  }
  const [single, parallel, baseline] = [fastest(singles), fastest(parallels), fastest(theirs)]
  const best = rate(parallel) > rate(single) ? parallel : single
  ratios.set(n, rate(best) / rate(baseline))
  console.log(`N=${n}  ${count(TpcBench.expectedStates(n))} states (the closed form)`)
  console.log(row("protoweave", single) + spread(singles))
  console.log(row("pw ×2 thr", parallel) + spread(parallels))
  console.log(row("plain JS", baseline) + spread(theirs))
  const por = reduced(n)
  console.log(row("pw --por", por) + `   ${(TpcBench.expectedStates(n) / por.states).toFixed(2)}× fewer states, same verdicts`)
  console.log(
    `  ratio       ${ratios.get(n)!.toFixed(3)} (protoweave states/s, ${best === parallel ? "2 threads" : "one thread"}, ÷ plain-JS states/s)`
  )
  // On a shared machine wall-clock rates swing with the load; CPU time per state is steadier.
  const leastCpu = (runs: ReadonlyArray<Measured>) => Math.min(...runs.map((m) => m.cpuMs))
  console.log(`  CPU ratio   ${(leastCpu(theirs) / leastCpu(singles)).toFixed(3)} (plain-JS CPU time ÷ protoweave's, one thread, least of each)`)
}
console.log(`ratio N=7: ${ratios.get(7)!.toFixed(3)}`)

/**
 * One row per bundled protocol at a fixed size: states/s and bytes per state of one thread, with
 * the states pinned (the sizes are small enough for a few seconds each; `calculator` and
 * `delegating-calculator` are bounded in depth by their models).
 */
function bundledProtocols(): void {
  const rows: ReadonlyArray<readonly [string, { readonly [name: string]: number }, number]> = [
    ["two-phase-commit", { participants: 2, rounds: 2 }, 124_798],
    ["calculator", {}, 150_234],
    ["query-tpc", { participants: 1, rounds: 2 }, 1_635],
    ["delegating-calculator", { clients: 1 }, 100_981],
    ["lock-resource", { clients: 4 }, 27_584],
    ["tpc-bench", { participants: 5 }, TpcBench.expectedStates(5)]
  ]
  console.log("bundled protocols (correct families), one thread, one run each")
  for (const [name, sizes, pinned] of rows) {
    const family = Protocols.find(name)
    if (family?.model === undefined) throw new Error(`bench:checker: no bundled family ${name} with a model`)
    const { value: report, cpuMs } = timed(() => Checker.check(family.model!(sizes)))
    const violated = report.properties.filter((p) => p.status === "violated").map((p) => p.name)
    if (report.states !== pinned || violated.length > 0 || report.deadlocks.count > 0) {
      throw new Error(`bench:checker: ${name} found ${count(report.states)} states (pinned: ${count(pinned)}), violated: ${violated.join(", ") || "none"}, ${report.deadlocks.count} deadlocks`)
    }
    const size = Object.entries(sizes).map(([k, v]) => `${k}=${v}`).join(" ") || "defaults"
    const m: Measured = { states: report.states, ms: report.elapsedMs, cpuMs, bytesPerState: report.bytesPerState }
    console.log(row("protoweave", m) + `   ${name} ${size}${report.incomplete === undefined ? "" : ` (bounded: ${report.incomplete})`}`)
  }
}
