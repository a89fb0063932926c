/**
 * The commands README.md, the documents in docs/ and every protocol's README show, run, and the
 * claims they make about their output checked against what they print. The commands are read
 * from their `sh` blocks (and `npx protoweave …` quoted in a protocol README's prose), so that a
 * new or changed command without a check here fails the test. A claim is looked up in whichever
 * document holds it now (`said`), so that moving a paragraph between documents keeps its check.
 * docs/tutorial.md's commands run in a fresh project outside the repository, in
 * test/docs/Tutorial.test.ts. They run in this process
 * through `cli/App.ts`'s `run`, the function the `protoweave` executable calls, with stdout
 * captured (spawning a process per command would cost a second and a half of start-up each).
 *
 * A few commands are too slow for the suite and run with smaller parameters, each saying which
 * and why in its test's name; `npm test` and `prove` (a Lean run of minutes) and the benchmark
 * baseline are not run, and the test that lists the commands says so.
 */
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, assert, describe, it, vi } from "vitest"
import * as App from "../cli/App.ts"
import * as Simulate from "../cli/Simulate.ts"
import { families } from "../protocols/index.ts"
import * as FaultPlan from "../simulator/FaultPlan.ts"
import * as Report from "../simulator/Report.ts"
import * as Simulator from "../simulator/Simulator.ts"
import { root } from "./cli/Harness.ts"

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "protoweave-readme-"))
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }))

/** Runs `protoweave <args>` in this process; stdout as the command prints it, stderr (progress) dropped. */
const protoweave = async (line: string): Promise<{ readonly code: number; readonly stdout: string }> => {
  const out: Array<string> = []
  const spies = [
    vi.spyOn(console, "log").mockImplementation((...args: Array<unknown>) => void out.push(args.map(String).join(" "))),
    vi.spyOn(console, "error").mockImplementation(() => undefined),
    vi.spyOn(process.stderr, "write").mockImplementation(() => true)
  ]
  try {
    const code = await Effect.runPromise(App.run(line.trim().split(/\s+/)))
    return { code, stdout: out.join("\n") }
  } finally {
    for (const spy of spies) spy.mockRestore()
  }
}

const read = (file: string) => fs.readFileSync(path.join(root, file), "utf8")

/** The lines of the `sh` blocks of a text, each as [command, trailing comment]. */
const shLines = (text: string): Array<readonly [string, string]> =>
  [...text.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
    m[1]!
      .split("\n")
      .filter((l) => l.trim().length > 0)
      .map((l) => {
        const at = l.indexOf(" #")
        return [(at < 0 ? l : l.slice(0, at)).trim(), at < 0 ? "" : l.slice(at + 2).trim()] as const
      })
  )

/** The `protoweave` arguments of `npx protoweave …` (after an `npm ci &&`), or undefined for other commands. */
const protoweaveArgs = (command: string): string | undefined => /^(?:npm ci && )?npx protoweave (.+)$/.exec(command)?.[1]

const readme = read("README.md")
/** The documents in docs/ whose commands are checked here (the tutorial's run in their own test). */
const docs = fs
  .readdirSync(path.join(root, "docs"))
  .filter((f) => f.endsWith(".md") && f !== "tutorial.md")
  .map((f) => `docs/${f}`)
const flatten = (text: string) => text.replace(/\s+/g, " ")
const documents = new Map(["README.md", ...docs].map((file) => [file, read(file)] as const))

/** The document that says `claim` (whitespace-insensitive); fails when none does. */
const said = (claim: string): string => {
  const holder = [...documents].find(([, text]) => flatten(text).includes(flatten(claim)))
  assert.isDefined(holder, `no document says: ${claim}`)
  return holder![0]
}
const protocolReadmes = fs
  .readdirSync(path.join(root, "protocols"), { withFileTypes: true })
  .filter((e) => e.isDirectory() && fs.existsSync(path.join(root, "protocols", e.name, "README.md")))
  .map((e) => `protocols/${e.name}/README.md`)

/** Every command shown: [file, command, comment]. Protocol READMEs' prose counts too. */
const shown: Array<readonly [string, string, string]> = [
  ...[...documents].flatMap(([file, text]) => shLines(text).map(([c, comment]) => [file, c, comment] as const)),
  ...protocolReadmes.flatMap((file) => {
    const text = read(file)
    const blocks = shLines(text).map(([c, comment]) => [file, c, comment] as const)
    const prose = text.replace(/```[\s\S]*?```/g, "")
    const quoted = [...prose.matchAll(/`(npx protoweave [^`]+)`/g)].map((m) => [file, m[1]!, "(in the prose)"] as const)
    return [...blocks, ...quoted]
  })
]

/** Commands not run here, and why. */
const notRun: ReadonlyMap<string, string> = new Map([
  ["npm ci && npm test", "the suite itself"],
  ["npx protoweave prove two-phase-commit", "a Lean run of about fifteen minutes; test/exporter covers prove's output"],
  ["npx protoweave prove calculator", "a Lean run of minutes; test/exporter covers prove's output"],
  ["npx protoweave prove ./src/election.ts", "an example of a user's module path, with a Lean run of minutes; test/docs/Tutorial.test.ts runs prove on a user's module"],
  ["npx protoweave prove ./src/election.ts --export-only", "an example of a user's module path; test/docs/Tutorial.test.ts runs prove --export-only on a user's module outside the repository"],
  ["npx protoweave init my-protocol", "docs/tutorial.md's commands make a project with init (from a tarball) and run its tests, in test/docs/Tutorial.test.ts"],
  ["npx protoweave prove --all --check", "a Lean run of about fifteen minutes: test/exporter/Prove.test.ts runs it in npm test"],
  [
    "npx protoweave run two-phase-commit --cluster tpc.cluster --trace run.ndjson && npx protoweave replay run.ndjson",
    "needs a cluster file and starts a process per node; test/runtime/Run.test.ts runs protoweave run on a cluster file and replays its trace"
  ],
  [
    "PROTOWEAVE_SECRET=... npx protoweave node --id p1 --cluster tpc.cluster --data /var/lib/pw",
    "one host of a cluster spread over several machines; test/runtime/Netns.test.ts runs nodes on separate network hosts"
  ],
  ["npx tsx bench/checker/PlainBfs.ts 3 4 5 6 7", "the benchmark's baseline, not protoweave; test/protocols/TpcBench covers its counts"],
  ["npx tsx bench/checker/PlainBfs.ts 3 --commit-on-any-yes", "the benchmark's baseline, not protoweave; test/protocols/TpcBench covers its counts"]
])

/** The commands that run here (README text → what runs, when smaller). Each has a test below. */
const checked = new Set<string>()
const covers = (command: string) => {
  checked.add(command)
  return command
}

/** A line of `text` matching `pattern`, or a failure showing the text. */
const line = (text: string, pattern: RegExp): string => {
  const found = text.split("\n").find((l) => pattern.test(l))
  assert.isDefined(found, `no line matches ${pattern} in:\n${text}`)
  return found!
}

/** The comments after a command wherever a `sh` block shows it (prose quotations have none). */
const commentsOf = (command: string) => shown.filter(([, c, comment]) => c === command && comment !== "" && comment !== "(in the prose)").map(([, , comment]) => comment)

/** The one comment after a command, the same wherever it is shown. */
const commentOf = (command: string) => {
  const comments = [...new Set(commentsOf(command))]
  assert.isAtMost(comments.length, 1, `${command} is shown with different comments: ${comments.join(" | ")}`)
  return comments[0] ?? ""
}

describe("README.md: Try it", () => {
  it(`${covers("npx protoweave list")}: lists every family the README's commands name`, async () => {
    const { code, stdout } = await protoweave("list")
    assert.strictEqual(code, 0)
    const families = new Set(shown.flatMap(([, c]) => /^npx protoweave (?:simulate|check|induct) ([\w/-]+)/.exec(c)?.[1] ?? []))
    for (const family of families) assert.match(stdout, new RegExp(`^${family}\\s`, "m"), family)
  })

  it(`${covers("npm ci && npx protoweave simulate two-phase-commit --runs 1000")}: "runs 1,000 seeded simulations ... checking its invariants after every step", none violated`, async () => {
    assert.include(flatten(readme), "runs 1,000 seeded simulations of Disel's Two-Phase Commit, checking its invariants after every step")
    const { code, stdout } = await protoweave("simulate two-phase-commit --runs 1000")
    assert.strictEqual(code, 0, stdout)
    line(stdout, /^runs {8}1000$/)
    line(stdout, /^violations {2}0$/)
  })

  it(`${covers("npx protoweave simulate two-phase-commit/commit-on-any-yes")}: a broken variant "the simulator catches and explains with a shrunk trace" (commitValidity fails)`, async () => {
    const { code, stdout } = await protoweave("simulate two-phase-commit/commit-on-any-yes")
    assert.strictEqual(code, 1, stdout)
    const [, from, to] = /shrunk from (\d+) to (\d+) steps/.exec(line(stdout, /^first violation: .*invariant "commitValidity" is false/))!
    assert.isBelow(Number(to), Number(from))
    line(stdout, /^shrunk failing trace:$/)
  })

  it(`${covers("npx protoweave simulate calculator --faults all --runs 2000 --trace calc.ndjson")} and ${covers("npx protoweave replay calc.ndjson")}: "a duplicated request breaks exactly-once"; the trace is written and replays identically (calc.ndjson in a scratch folder)`, async () => {
    assert.strictEqual(commentOf("npx protoweave simulate calculator --faults all --runs 2000 --trace calc.ndjson"), "a duplicated request breaks exactly-once")
    const file = path.join(scratch, "calc.ndjson")
    const simulated = await protoweave(`simulate calculator --faults all --runs 2000 --trace ${file}`)
    assert.strictEqual(simulated.code, 1, simulated.stdout)
    line(simulated.stdout, /^calculator {2}clients=2 servers=2 requests=3 {2}seed 1 {2}faults all$/)
    line(simulated.stdout, /^first violation: .*invariant "(clientsAwaitAnswers|responsesAnswerRequests)" is false/)
    line(simulated.stdout, /network duplicates msg \d+ as msg \d+ \(c\d+ → s\d+ {2}req /)
    line(simulated.stdout, new RegExp(`trace .*written to ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`))
    const replayed = await protoweave(`replay ${file}`)
    assert.strictEqual(replayed.code, simulated.code, replayed.stdout)
    line(replayed.stdout, /^replayed \d+ steps: identical to the recording$/)
  })

  it(`${covers("npx protoweave check tpc-bench --participants 5")}: "every reachable state"`, async () => {
    assert.strictEqual(commentOf("npx protoweave check tpc-bench --participants 5"), "every reachable state")
    const { code, stdout } = await protoweave("check tpc-bench --participants 5")
    assert.strictEqual(code, 0, stdout)
    line(stdout, /^search {6}complete: every reachable state was explored$/)
    line(stdout, /^properties {2}agreement +always +holds$/)
  })

  it(`${covers("npx protoweave simulate query-tpc/lying-answerer")}: "a hook refuses the lie, by name"`, async () => {
    for (const comment of commentsOf("npx protoweave simulate query-tpc/lying-answerer")) assert.match(comment, /^(a|the) hook refuses the lie, by name$/)
    const { code, stdout } = await protoweave("simulate query-tpc/lying-answerer")
    assert.strictEqual(code, 1, stdout)
    line(stdout, /^first violation: .*ProtocolViolation .*may not send query\.response .*hook "answerWithOwnLog" is false/)
  })

  it(`${covers("npx protoweave induct two-phase-commit --invariant logAgreement")}: "which transitions break it", the four the README names, and its example as printed`, async () => {
    const { code, stdout } = await protoweave("induct two-phase-commit --invariant logAgreement")
    assert.strictEqual(code, 1, stdout)
    const broken = line(stdout, /^broken {7}/)
    const where = said(`prints, with the default seed, \`${broken.replace(/\s+/g, " ")}\``)
    assert.strictEqual(broken, "broken       4: receiveCommit, receiveAbort, receiveAckCommit, receiveAckAbort")
    said("(Two-Phase Commit's log agreement alone: `receiveCommit`, `receiveAbort`, `receiveAckCommit`, `receiveAckAbort`)")
    // The documented example is a piece of this very output.
    const text = documents.get(where)!
    const at = text.indexOf("simulator's trace format, for example:")
    assert.isAtLeast(at, 0, `${where} shows no example`)
    const example = /```\n([\s\S]*?)```/.exec(text.slice(at))![1]!.split("\n").filter((l) => l.trim().length > 0).map((l) => l.slice(2))
    const printed = stdout.split("\n")
    const start = printed.indexOf(example[0]!)
    assert.isAtLeast(start, 0, `the README's example is not in the output:\n${stdout}`)
    assert.deepStrictEqual(printed.slice(start, start + example.length), example)
  })
})

describe("protocols/TwoPhaseCommit/README.md", () => {
  it(`${covers("npx protoweave simulate two-phase-commit --runs 1000")}: no violation (the same command as Try it's)`, async () => {
    const { code, stdout } = await protoweave("simulate two-phase-commit --runs 200")
    assert.strictEqual(code, 0, stdout)
    line(stdout, /^violations {2}0$/)
  })

  it(`${covers("npx protoweave simulate two-phase-commit --faults crash --participants 5 --rounds 4")}: no violation under crashes ("The same holds ... with 5 participants and 4 rounds"), run with --runs 100 (1,000 runs take 15 s)`, async () => {
    assert.include(read("protocols/TwoPhaseCommit/README.md").replace(/\s+/g, " "), "with 5 participants and 4 rounds")
    const { code, stdout } = await protoweave("simulate two-phase-commit --faults crash --participants 5 --rounds 4 --runs 100")
    assert.strictEqual(code, 0, stdout)
    line(stdout, /^violations {2}0$/)
  })

  it(`${covers("npx protoweave induct two-phase-commit --invariant tpcInv")}: "finds no counterexample to its induction", with a budget of 1,000 states and 300 candidates (the default takes 10 s)`, async () => {
    const text = read("protocols/TwoPhaseCommit/README.md").replace(/\s+/g, " ")
    assert.include(text, "`npx protoweave induct two-phase-commit --invariant tpcInv` finds no counterexample to its induction (`broken none found`")
    assert.include(text, "where `--invariant logAgreement` shows `receiveCommit`, `receiveAbort`, `receiveAckCommit` and `receiveAckAbort` breaking log agreement alone")
    const { code, stdout } = await protoweave("induct two-phase-commit --invariant tpcInv --states 1000 --walks 20 --candidates 300")
    assert.strictEqual(code, 0, stdout)
    line(stdout, /^broken {7}none found$/)
    line(stdout, /no counterexample found within [\d,]+ candidate states; the search is randomized/)
  })
})

describe("protocols/QueryTpc/README.md", () => {
  it(`${covers("npx protoweave simulate query-tpc --participants 3 --rounds 3")}: no violation, run with --runs 100 (1,000 runs take 10 s)`, async () => {
    const { code, stdout } = await protoweave("simulate query-tpc --participants 3 --rounds 3 --runs 100")
    assert.strictEqual(code, 0, stdout)
    line(stdout, /^violations {2}0$/)
  })

  it(`${covers("npx protoweave check query-tpc --participants 1 --rounds 1")}: every property holds over every reachable state`, async () => {
    const { code, stdout } = await protoweave("check query-tpc --participants 1 --rounds 1")
    assert.strictEqual(code, 0, stdout)
    line(stdout, /^search {6}complete: every reachable state was explored$/)
    assert.notMatch(stdout, /VIOLATED/)
  })

  it(`${covers("npx protoweave check query-tpc/no-hook --participants 1 --rounds 1")}: "without the hook it finds a wrong answer in three steps"`, async () => {
    assert.include(read("protocols/QueryTpc/README.md").replace(/\s+/g, " "), "without the hook it finds a wrong answer in three steps")
    const { code, stdout } = await protoweave("check query-tpc/no-hook --participants 1 --rounds 1")
    assert.strictEqual(code, 1, stdout)
    line(stdout, /^ +answersAgree +always +VIOLATED \(shortest trace: 3 steps, below\)$/)
  })
})

describe("protocols/LockResource/README.md", () => {
  it(`${covers("npx protoweave simulate lock-resource --clients 3 --runs 1000")}: no violation`, async () => {
    const { code, stdout } = await protoweave("simulate lock-resource --clients 3 --runs 1000")
    assert.strictEqual(code, 0, stdout)
    line(stdout, /^violations {2}0$/)
  })

  it(`${covers("npx protoweave check lock-resource --clients 3")}: every property holds over every reachable state`, async () => {
    const { code, stdout } = await protoweave("check lock-resource --clients 3")
    assert.strictEqual(code, 0, stdout)
    line(stdout, /^search {6}complete: every reachable state was explored$/)
  })

  it(`${covers("npx protoweave simulate lock-resource/greedy-writer")}: "the hook refuses the write, by name"`, async () => {
    assert.strictEqual(commentOf("npx protoweave simulate lock-resource/greedy-writer"), "the hook refuses the write, by name")
    const { code, stdout } = await protoweave("simulate lock-resource/greedy-writer")
    assert.strictEqual(code, 1, stdout)
    line(stdout, /^first violation: .*ProtocolViolation .*hook "onlyHolderWrites" is false/)
  })

  it(`${covers("npx protoweave check lock-resource/no-hook")}: "two writers in one epoch, 4 steps"`, async () => {
    assert.strictEqual(commentOf("npx protoweave check lock-resource/no-hook"), "two writers in one epoch, 4 steps")
    const { code, stdout } = await protoweave("check lock-resource/no-hook")
    assert.strictEqual(code, 1, stdout)
    line(stdout, /^ +oneWriterPerEpoch +always +VIOLATED \(shortest trace: 4 steps, below\)$/)
    const writes = stdout.split("oneWriterPerEpoch VIOLATED:")[1]!.split("\n").filter((l) => /s ← c\d {2}resource\.write \{epoch:1,/.test(l))
    assert.strictEqual(writes.length, 2, stdout)
  })
})

describe("protocols/DelegatingCalculator/README.md", () => {
  it(`${covers("npx protoweave simulate delegating-calculator --clients 3 --requests 3")}: no violation, run with --runs 200 (1,000 runs take 5 s)`, async () => {
    const { code, stdout } = await protoweave("simulate delegating-calculator --clients 3 --requests 3 --runs 200")
    assert.strictEqual(code, 0, stdout)
    line(stdout, /^violations {2}0$/)
  })

  it(`${covers("npx protoweave check delegating-calculator")}: its depth bound as the comment says, run with --max-states 2000 (the whole search takes minutes); and "With one client it reaches 100,981 states" to that depth`, async () => {
    const depth = /^to depth (\d+)$/.exec(commentOf("npx protoweave check delegating-calculator"))?.[1]
    assert.isDefined(depth, "the README's comment names the depth")
    const bounded = await protoweave("check delegating-calculator --max-states 2000")
    line(bounded.stdout, new RegExp(`^check delegating-calculator .* max-depth ${depth}(  |$)`))
    const text = read("protocols/DelegatingCalculator/README.md").replace(/\s+/g, " ")
    const states = /With one client it reaches ([\d,]+) states/.exec(text)?.[1]
    assert.isDefined(states)
    const one = await protoweave("check delegating-calculator --clients 1")
    assert.strictEqual(one.code, 0, one.stdout)
    line(one.stdout, new RegExp(`^states {6}${states} distinct, [\\d,]+ transitions, depth ${depth}$`))
  })

  it(`${covers("npx protoweave simulate delegating-calculator/wrong-backend")}: "responsesCorrect fails"`, async () => {
    const { code, stdout } = await protoweave("simulate delegating-calculator/wrong-backend")
    assert.strictEqual(code, 1, stdout)
    line(stdout, /^first violation: .*invariant "responsesCorrect" is false/)
  })
})

describe("protocols/Calculator/README.md", () => {
  it(`${covers("npx protoweave simulate calculator --runs 1000")}: no violation`, async () => {
    const { code, stdout } = await protoweave("simulate calculator --runs 1000")
    assert.strictEqual(code, 0, stdout)
    line(stdout, /^violations {2}0$/)
  })

  it(`${covers("npx protoweave simulate calculator --faults all --clients 3 --servers 2 --requests 5")}: runs on those sizes, and its exit code says whether it found a violation`, async () => {
    const { code, stdout } = await protoweave("simulate calculator --faults all --clients 3 --servers 2 --requests 5")
    line(stdout, /^calculator {2}clients=3 servers=2 requests=5 {2}seed 1 {2}faults all$/)
    const violations = Number(/^violations {2}(\d+)$/m.exec(stdout)?.[1])
    assert.strictEqual(code, violations > 0 ? 1 : 0, stdout)
  })

  it(`${covers("npx protoweave simulate calculator/unchecked-response")}: "responseCorrect fails", caught on the first run`, async () => {
    const { code, stdout } = await protoweave("simulate calculator/unchecked-response")
    assert.strictEqual(code, 1, stdout)
    line(stdout, /^first violation: run 0 .*invariant "responseCorrect" is false/)
  })

  it(`${covers("npx protoweave check calculator")}: the figures the README quotes (states, transitions, depth, every always property holding within the bound)`, async () => {
    const text = read("protocols/Calculator/README.md").replace(/\s+/g, " ")
    const claim = /prints \((\d+) clients, (\d+) servers, depth (\d+)\) ([\d,]+) distinct states and ([\d,]+) transitions, with every `always` property holding within the bound/.exec(text)
    assert.isNotNull(claim, "the README quotes check calculator's figures")
    const [, clients, servers, depth, states, transitions] = claim!
    const { code, stdout } = await protoweave("check calculator")
    assert.strictEqual(code, 0, stdout)
    line(stdout, new RegExp(`^check calculator {2}clients=${clients} servers=${servers}.*max-depth ${depth}`))
    line(stdout, new RegExp(`^states {6}${states} distinct, ${transitions} transitions, depth ${depth}$`))
    for (const l of stdout.split("\n").filter((x) => / always /.test(x))) assert.match(l, /holds within the bound/)
  }, 120_000)
})

describe("protocols/TpcBench/README.md", () => {
  it(`${covers("npx protoweave check tpc-bench/commit-on-any-yes")}: "For N = 3 the buggy model has 1,239 states ... and 6 deadlocks", validity violated`, async () => {
    const text = read("protocols/TpcBench/README.md").replace(/\s+/g, " ")
    const [, n, states, deadlocks] = /For N = (\d+) the buggy model has ([\d,]+) states, of which [\d,]+ violate `validity`, and (\d+) deadlocks/.exec(text)!
    const { code, stdout } = await protoweave(`check tpc-bench/commit-on-any-yes --participants ${n}`)
    assert.strictEqual(code, 1, stdout)
    line(stdout, /^ +validity +always +VIOLATED/)
    line(stdout, new RegExp(`^states {6}${states} distinct,`))
    line(stdout, new RegExp(`^deadlocks {3}${deadlocks} `))
  })
})

describe("docs/simulation.md: the simulator", () => {
  /** `simulate`'s summary of a bundled family at its default parameters and flags, with the given faults. */
  const summaryOf = (name: string, faults: string) => {
    const family = families.find((f) => f.name === name)!
    const parameters = Object.fromEntries(Object.entries(family.parameters).map(([k, p]) => [k, p.default]))
    const options = { ...Simulate.defaults, name, parameters, faults: FaultPlan.parse(faults) }
    const summary = Simulator.simulate(family.make(parameters), options)
    return { summary, text: Report.formatSummary(summary, options) }
  }

  it("quotes the shrink of two-phase-commit/commit-on-any-yes as simulate prints it", () => {
    const { text } = summaryOf("two-phase-commit/commit-on-any-yes", Simulate.defaults.faults)
    const printed = /shrunk from \d+ to \d+ steps in \d+ replays; the protocol's transitions alone, without the programs, reach it in \d+ steps/.exec(text)
    assert.isNotNull(printed, text)
    said(printed![0])
  })

  it("quotes the stuck runs of two-phase-commit under drops", () => {
    const { summary } = summaryOf("two-phase-commit", "drop")
    assert.strictEqual(summary.stuck?.unexcused, 0)
    said(`${summary.statuses.stuck} of 1,000 runs stuck, all after a drop`)
  })
})

describe("docs/checking.md", () => {
  it(`${covers("npx protoweave check tpc-bench/commit-on-any-yes --trace bug.ndjson && npx protoweave replay bug.ndjson")}: the shortest counterexample written, and replayed to its end (bug.ndjson in a scratch folder)`, async () => {
    const file = path.join(scratch, "bug.ndjson")
    const checked = await protoweave(`check tpc-bench/commit-on-any-yes --trace ${file}`)
    assert.strictEqual(checked.code, 1, checked.stdout)
    line(checked.stdout, /^ +validity +always +VIOLATED \(shortest trace: \d+ steps/)
    const replayed = await protoweave(`replay ${file}`)
    assert.strictEqual(replayed.code, 1, replayed.stdout)
    line(replayed.stdout, /^replayed \d+ steps: identical to the recording$/)
  })

  it(`${covers("npx protoweave check two-phase-commit --participants 2 --rounds 2")}: every invariant, tpcInv among them, holds over every reachable state ("the model checker finds it holding in every reachable state (2 participants, 2 rounds)")`, async () => {
    said("the model checker finds it holding in every reachable state (2 participants, 2 rounds)")
    const { code, stdout } = await protoweave("check two-phase-commit --participants 2 --rounds 2")
    assert.strictEqual(code, 0, stdout)
    line(stdout, /^search {6}complete: every reachable state was explored$/)
    for (const name of ["logAgreement", "commitValidity", "coordinatorAgreement", "tpcInv"]) line(stdout, new RegExp(`^(?:properties)? +${name} +always +holds$`))
  })

  it(`${covers("npx protoweave check two-phase-commit/commit-on-any-yes --participants 2 --rounds 1 --stop-at-first-violation")} and the verdicts the page quotes for the whole search`, async () => {
    const flat = flatten(documents.get(said("reports `commitValidity` VIOLATED in 10 steps"))!)
    const [, steps, states, deadlocks] = /reports `commitValidity` VIOLATED in (\d+) steps, `logAgreement holds` over all ([\d,]+) states, and (\d+) deadlocks/.exec(flat)!
    const whole = await protoweave("check two-phase-commit/commit-on-any-yes --participants 2 --rounds 1")
    assert.strictEqual(whole.code, 1, whole.stdout)
    line(whole.stdout, new RegExp(`^(?:properties)? +commitValidity +always +VIOLATED \\(shortest trace: ${steps} steps`))
    line(whole.stdout, /^(?:properties)? +logAgreement +always +holds$/)
    line(whole.stdout, new RegExp(`^states {6}${states} distinct,`))
    line(whole.stdout, new RegExp(`^deadlocks {3}${deadlocks} `))
    const stopped = await protoweave("check two-phase-commit/commit-on-any-yes --participants 2 --rounds 1 --stop-at-first-violation")
    assert.strictEqual(stopped.code, 1, stopped.stdout)
    line(stopped.stdout, /^(?:properties)? +commitValidity +always +VIOLATED/)
    assert.notMatch(stopped.stdout, /^(?:properties)? +\w+ +always +holds$/m, "a search stopped at a violation says holds of nothing")
  })
})

describe("docs/simulation.md: two levels", () => {
  it(`${covers("npx protoweave simulate two-phase-commit --level protocol")}: no violation`, async () => {
    const { code, stdout } = await protoweave("simulate two-phase-commit --level protocol")
    assert.strictEqual(code, 0, stdout)
    line(stdout, /^violations {2}0$/)
  })

  it(`${covers("npx protoweave simulate two-phase-commit --level protocol --participants 20 --rounds 5")}: no violation, run with --runs 5 (its 100 runs take minutes)`, async () => {
    const { code, stdout } = await protoweave("simulate two-phase-commit --level protocol --participants 20 --rounds 5 --runs 5")
    assert.strictEqual(code, 0, stdout)
    line(stdout, /^violations {2}0$/)
  })

  it(`${covers("npx protoweave simulate tpc-bench --level protocol --participants 8")}: "a family with no programs", walked at the protocol level, run with --runs 100`, async () => {
    assert.strictEqual(commentOf("npx protoweave simulate tpc-bench --level protocol --participants 8"), "a family with no programs")
    assert.isEmpty([...families.find((f) => f.name === "tpc-bench")!.make({ participants: 2 }).programs.keys()])
    const { code, stdout } = await protoweave("simulate tpc-bench --level protocol --participants 8 --runs 100")
    assert.strictEqual(code, 0, stdout)
    line(stdout, /^violations {2}0$/)
  })

  it(`${covers("npx protoweave simulate calculator --level protocol --payloads schema --max-steps 200 --runs 200")}: "short walks", sampling payloads from the Schema, with no violation`, async () => {
    assert.strictEqual(commentOf("npx protoweave simulate calculator --level protocol --payloads schema --max-steps 200 --runs 200"), "short walks")
    const { code, stdout } = await protoweave("simulate calculator --level protocol --payloads schema --max-steps 200 --runs 200")
    assert.strictEqual(code, 0, stdout)
    line(stdout, /^payloads {4}clientSend \(req\): model \+ sampled$/)
    line(stdout, /^violations {2}0$/)
  })
})

describe("docs/worlds.md", () => {
  it(`${covers("npx protoweave simulate delegating-calculator")}: no violation, run with --runs 200`, async () => {
    const { code, stdout } = await protoweave("simulate delegating-calculator --runs 200")
    assert.strictEqual(code, 0, stdout)
    line(stdout, /^violations {2}0$/)
  })
})

describe("README.md: API", () => {
  it("lists every export of the package root (index.ts), and nothing else", () => {
    const api = readme.slice(readme.indexOf("## API"), readme.indexOf("\n## ", readme.indexOf("## API") + 1))
    const listed = [...api.matchAll(/^\| ([^|]+) \|/gm)].flatMap((m) => [...m[1]!.matchAll(/`(\w+)`/g)].map((n) => n[1]!))
    const exported = [...read("index.ts").matchAll(/^export (?:\* as (\w+)|\{ ([^}]+) \}) from/gm)].flatMap((m) => (m[1] !== undefined ? [m[1]] : m[2]!.split(",").map((s) => s.trim())))
    assert.sameMembers(listed, exported)
  })
})

describe("the commands the documents show", () => {
  it("each is run by a test above, or listed here as not run, with the reason", () => {
    const unchecked = shown.filter(([, c]) => !checked.has(c) && !notRun.has(c) && protoweaveArgs(c) !== undefined)
    assert.deepStrictEqual(unchecked, [], "a documented command with no test here")
    const others = shown.filter(([, c]) => protoweaveArgs(c) === undefined && !notRun.has(c))
    assert.deepStrictEqual(others, [], "a documented command that is not protoweave's, neither run nor explained")
  })
})
