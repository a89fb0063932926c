/**
 * Runs the SMT queries of an exported protocol (`Smt.ts`) with Z3 (the `z3-solver` package, Z3
 * compiled to WebAssembly) and says for each obligation what Z3 established:
 *
 * - `valid`: Z3 found the negated obligation unsatisfiable — "proved by Z3", under the encoding's
 *   assumptions (docs/smt.md), never reported as checked by Lean;
 * - `invalid`: Z3 found a model; it is decoded into a concrete statelet, nodes and step, which the
 *   protocol's own TypeScript then evaluates: the invariants held before, the step is enabled and
 *   takes the obligation's transition, and the invariant is false after. Only a model TypeScript
 *   confirms is reported as a counterexample to induction; any other is `unknown`, with why;
 * - `unknown`: Z3 gave up (its reason, e.g. `timeout`), or the encoding cannot state the obligation
 *   (the construct, named), or the model did not confirm.
 *
 * Each query has a time limit; each outcome carries the time it took.
 *
 * @since 0.1.0
 */
import { init } from "z3-solver"
import type { Statelet } from "../core/Statelet.ts"
import * as Step from "../core/Step.ts"
import * as Topology from "../core/Topology.ts"
import { formatState } from "../checker/Induction.ts"
import { compact } from "../simulator/Report.ts"
import type { Exported } from "./Export.ts"
import type { LeanType } from "./LeanType.ts"
import { encode, type SmtQuery, sym, type Vocabulary } from "./Smt.ts"

/** A counterexample to induction from Z3's model, confirmed by the TypeScript protocol. */
export interface SmtCounterexample {
  readonly nodes: { readonly [role: string]: ReadonlyArray<string> }
  readonly state: Statelet
  /** `undefined` for an initial-state obligation. */
  readonly action: Step.Action | undefined
  readonly next: Statelet | undefined
  /** As a simulator trace shows it. */
  readonly text: string
}

/** What Z3 established for one obligation. */
export interface SmtOutcome {
  readonly obligation: string
  readonly invariant: string
  readonly transition: string | undefined
  readonly status: "valid" | "invalid" | "unknown"
  readonly milliseconds: number
  /** Why it is unknown; for a valid one, the invariants it could not assume (if any). */
  readonly reason?: string
  readonly counterexample?: SmtCounterexample
}

/** How to solve. */
export interface SmtOptions {
  /** Each query's time limit (default 5000 ms). */
  readonly timeoutMs?: number
  /** Which obligations to solve (default all). */
  readonly only?: (obligation: string) => boolean
  /** Called with each outcome as it comes. */
  readonly progress?: (outcome: SmtOutcome) => void
}

type Z3Api = Awaited<ReturnType<typeof init>>["Z3"]
type Z3Context = Parameters<Z3Api["eval_smtlib2_string"]>[0]
let api: Promise<Z3Api> | undefined

/** Z3, initialised once per process (the WebAssembly takes a fraction of a second). */
const z3 = () => {
  api ??= init().then(({ Z3 }) => Z3)
  return api
}

/** A fresh context per query: an SMT-LIB session's `(reset)` does not clear all of its parser's state. */
const context = (z: Z3Api): Z3Context => {
  const cfg = z.mk_config()
  const ctx = z.mk_context(cfg)
  z.del_config(cfg)
  return ctx
}

/** An S-expression of Z3's output. */
type Sexp = string | ReadonlyArray<Sexp>

const parseSexps = (text: string): Array<Sexp> => {
  const tokens = text.match(/\|[^|]*\||"(?:[^"]|"")*"|[()]|[^\s()|"]+/g) ?? []
  let i = 0
  const read = (): Sexp => {
    const t = tokens[i++]!
    if (t !== "(") return t.startsWith("|") ? t.slice(1, -1) : t
    const out: Array<Sexp> = []
    while (tokens[i] !== ")") {
      if (i >= tokens.length) throw new Error(`unbalanced output from Z3: ${text.slice(0, 200)}`)
      out.push(read())
    }
    i++
    return out
  }
  const all: Array<Sexp> = []
  while (i < tokens.length) all.push(read())
  return all
}

/** The values of `(get-value (t1 t2 ...))`, in order. */
const values = async (z: Z3Api, ctx: Z3Context, terms: ReadonlyArray<string>): Promise<Array<Sexp>> => {
  if (terms.length === 0) return []
  const out = await z.eval_smtlib2_string(ctx, `(get-value (${terms.join(" ")}))`)
  const [pairs] = parseSexps(out)
  if (!Array.isArray(pairs)) throw new Error(`Z3's get-value answered: ${out.slice(0, 200)}`)
  return pairs.map((p) => (p as ReadonlyArray<Sexp>)[1]!)
}

/** A decoded model value, given the names chosen for nodes. */
const decode = (v: Sexp, t: LeanType, nodeName: (atom: string) => string, vocabulary: Vocabulary): unknown => {
  if (Array.isArray(v) && v[0] === "as") return decode(v[1]!, t, nodeName, vocabulary)
  switch (t.kind) {
    case "int":
    case "nat":
      return Array.isArray(v) ? -Number(v[1]) : Number(v)
    case "bool":
      return v === "true"
    case "node":
      return nodeName(v as string)
    case "list": {
      if (v === "seq.empty") return []
      if (!Array.isArray(v)) throw new Error(`a list value ${String(v)}`)
      if (v[0] === "seq.unit") return [decode(v[1]!, t.of, nodeName, vocabulary)]
      if (v[0] === "seq.++") return v.slice(1).flatMap((x) => decode(x, t, nodeName, vocabulary) as Array<unknown>)
      throw new Error(`a list value ${JSON.stringify(v)}`)
    }
    case "struct": {
      const args = Array.isArray(v) ? v.slice(1) : []
      return Object.fromEntries(t.fields.map((f, i) => [f.name, decode(args[i]!, f.type, nodeName, vocabulary)]))
    }
    case "enum":
      return (v as string).slice(t.name.length + 1)
    case "union": {
      const [head, ...args] = Array.isArray(v) ? v : [v]
      const tag = (head as string).slice(t.name.length + 1)
      const variant = t.variants.find((x) => x.tag === tag)
      if (variant === undefined) throw new Error(`a ${t.name} value ${JSON.stringify(v)}`)
      if (variant.payload !== undefined) return { tag, payload: decode(args[0]!, variant.payload, nodeName, vocabulary) }
      return { tag, ...Object.fromEntries(variant.fields.map((f, i) => [f.name, decode(args[i]!, f.type, nodeName, vocabulary)])) }
    }
    default:
      throw new Error(`a value of ${t.kind}`)
  }
}

/** The statelet, nodes and step of a satisfiable query's model. */
const readModel = async (z: Z3Api, ctx: Z3Context, q: SmtQuery, vocabulary: Vocabulary) => {
  const roles = [...vocabulary.roles.keys()]
  const topo = (r: string) => `(${sym(`Topology.${r}`)} ${q.unknowns.topology})`
  const soup = `(Statelet.soup ${q.unknowns.before})`
  const lengths = (await values(z, ctx, [...roles.map((r) => `(seq.len ${topo(r)})`), `(seq.len ${soup})`])).map((x) => decode(x, { kind: "int" }, String, vocabulary) as number)
  const members = roles.flatMap((r, ri) => Array.from({ length: lengths[ri]! }, (_, i) => ({ role: r, term: `(seq.nth ${topo(r)} ${i})` })))
  const strings = [...vocabulary.strings.keys()]
  const atoms = (await values(z, ctx, [...members.map((m) => m.term), ...strings])) as Array<string>
  const names = new Map<string, string>()
  strings.forEach((s, i) => names.set(atoms[members.length + i]!, vocabulary.strings.get(s)!))
  const counters = new Map<string, number>()
  const nodes: Record<string, Array<string>> = Object.fromEntries(roles.map((r) => [r, []]))
  members.forEach((m, i) => {
    const atom = atoms[i]!
    if (!names.has(atom)) {
      const k = (counters.get(m.role) ?? 0) + 1
      counters.set(m.role, k)
      names.set(atom, `${m.role}${k}`)
    }
    nodes[m.role]!.push(names.get(atom)!)
  })
  let others = 0
  const nodeName = (atom: string) => {
    if (!names.has(atom)) names.set(atom, `node${++others}`)
    return names.get(atom)!
  }
  const localTerms = members.map((m) => `(select (${sym(`Locals.${m.role}`)} (Statelet.locals ${q.unknowns.before})) ${m.term})`)
  const soupLength = lengths.at(-1)!
  const envTerms = Array.from({ length: soupLength }, (_, i) => `(seq.nth ${soup} ${i})`)
  const step = q.unknowns.step
  const stepTerms = step.kind === "send" ? [step.node, step.to, step.payload] : step.kind === "receive" ? [step.position] : []
  const got = await values(z, ctx, [...localTerms, ...envTerms, ...stepTerms])
  const locals: Record<string, Record<string, unknown>> = Object.fromEntries(roles.map((r) => [r, {}]))
  members.forEach((m, i) => {
    locals[m.role]![nodeName(atoms[i]!)] = decode(got[i]!, vocabulary.roles.get(m.role)!, nodeName, vocabulary)
  })
  const envelope = { kind: "struct", name: "Env", fields: [] } as const
  void envelope
  const soupValues = envTerms.map((_, i) => {
    const e = got[localTerms.length + i] as ReadonlyArray<Sexp>
    const [, id, src, dst, msg, active] = e
    const m = decode(msg!, vocabulary.msg, nodeName, vocabulary) as { tag: string; payload: unknown }
    return { id: decode(id!, { kind: "int" }, nodeName, vocabulary) as number, tag: m.tag, from: nodeName(src as string), to: nodeName(dst as string), payload: m.payload, active: active === "true" }
  })
  const rest = got.slice(localTerms.length + envTerms.length)
  const action: Step.Action | undefined =
    step.kind === "send"
      ? { kind: "send", node: nodeName(rest[0] as string), to: nodeName(rest[1] as string), tag: step.tag, payload: decode(rest[2]!, step.payloadType, nodeName, vocabulary) }
      : step.kind === "receive"
        ? { kind: "receive", msgId: decode(rest[0]!, { kind: "int" }, nodeName, vocabulary) as number }
        : undefined
  const state = { locals, soup: soupValues, crashed: [] } as unknown as Statelet
  return { nodes, state, action }
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`

/** A confirmed counterexample as a simulator trace shows a state and a step. */
const describe = (q: SmtQuery, nodes: SmtCounterexample["nodes"], state: Statelet, action: Step.Action | undefined, hypothesis: ReadonlyArray<string>): string => {
  const count = Object.values(nodes).reduce((n, ids) => n + ids.length, 0)
  const head =
    q.transition === undefined
      ? `${q.obligation}: the initial state violates ${q.invariant} (Z3's model, confirmed in TypeScript; ${plural(count, "node")})`
      : `${q.obligation}: ${q.transition} breaks ${q.invariant} from this state (Z3's model, confirmed in TypeScript; ${plural(count, "node")}, ${plural(state.soup.length, "message")})`
  const stepLine = (() => {
    if (action === undefined) return []
    if (action.kind === "send") return [`step: ${action.node} → ${action.to}  ${action.tag} ${compact(action.payload)}  [${q.transition}]  msg ${state.soup.length}`]
    if (action.kind === "receive") {
      const m = state.soup[action.msgId]!
      return [`step: ${m.to} ← ${m.from}  ${m.tag} ${compact(m.payload)}  [${q.transition}]  msg ${m.id}`]
    }
    return []
  })()
  return [
    head,
    `nodes: ${Object.entries(nodes).map(([role, ids]) => `${role} ${ids.join(", ")}`).join("; ")}`,
    q.transition === undefined ? "initial state:" : `state (satisfies ${hypothesis.join(" ∧ ")}):`,
    ...formatState(state, nodes).map((l) => `  ${l}`),
    ...stepLine,
    q.transition === undefined ? `${q.invariant} is false in it` : `after the step ${q.invariant} is false`
  ].join("\n")
}

/**
 * Confirms a model in TypeScript: the hypothesis holds, the step is enabled and is the
 * obligation's transition, the invariant is false after. A string says why it is not confirmed.
 */
const confirm = (exported: Exported, q: SmtQuery, model: Awaited<ReturnType<typeof readModel>>): SmtCounterexample | string => {
  const predicate = exported.predicates.get(q.invariant)
  if (predicate === undefined) return `${q.invariant} has no TypeScript predicate to evaluate`
  const protocol = exported.spec.protocol
  try {
    const topology = Topology.make(protocol, model.nodes as never)
    const semantics = Step.make(protocol, topology, Step.reorderOnly)
    if (q.transition === undefined) {
      if ([...exported.initial.values()].some((i) => i.kind === "perNode")) return "per-node initial states are given by the model's topology, which the SMT stage does not read"
      if (predicate(semantics.initial, model.nodes)) return `TypeScript's initial state satisfies ${q.invariant}`
      const text = describe(q, model.nodes, semantics.initial, undefined, [])
      return { nodes: model.nodes, state: semantics.initial, action: undefined, next: undefined, text }
    }
    const hypothesis = exported.invariants
    const missing = hypothesis.filter((i) => !exported.predicates.has(i))
    if (missing.length > 0) return `the hypothesis cannot be evaluated in TypeScript: no predicate for ${missing.join(", ")}`
    for (const inv of hypothesis) if (!exported.predicates.get(inv)!(model.state, model.nodes)) return `the model's state does not satisfy ${inv} in TypeScript`
    const outcome = Step.step(semantics, model.state as never, model.action!)
    if (outcome._tag !== "Stepped") return `TypeScript refuses the model's step: ${outcome._tag === "Refused" ? outcome.reason : outcome.violation.message}`
    if (outcome.transition !== q.transition) return `TypeScript takes ${outcome.transition} for the model's step, not ${q.transition}`
    const next = outcome.statelet as Statelet
    if (predicate(next, model.nodes)) return `${q.invariant} holds after the model's step in TypeScript`
    return { nodes: model.nodes, state: model.state, action: model.action, next, text: describe(q, model.nodes, model.state, model.action, hypothesis) }
  } catch (e) {
    return `TypeScript could not evaluate the model: ${e instanceof Error ? e.message : String(e)}`
  }
}

/**
 * Solves the obligations of an exported protocol, one query each, in order.
 *
 * @example
 * import { exportProtocol } from "./Export.ts"
 * import { inductive } from "../test/exporter/fixtures/Voting.ts"
 * const [outcome] = await solve(exportProtocol(".", inductive), { timeoutMs: 20000, only: (o) => o === "noDoubleCount_preserved_by_sendVote" })
 * outcome!.status // => "valid"
 */
export const solve = async (exported: Exported, options: SmtOptions = {}): Promise<ReadonlyArray<SmtOutcome>> => {
  const timeout = options.timeoutMs ?? 5000
  const { queries, vocabulary } = encode(exported)
  const out: Array<SmtOutcome> = []
  for (const q of queries) {
    if (options.only !== undefined && !options.only(q.obligation)) continue
    const base = { obligation: q.obligation, invariant: q.invariant, transition: q.transition }
    const started = Date.now()
    let outcome: SmtOutcome
    if (typeof q.script !== "string") {
      outcome = { ...base, status: "unknown", milliseconds: 0, reason: `outside the SMT encoding: ${q.script.message}` }
    } else {
      const z = await z3()
      let ctx = context(z)
      // One command per call, and up to three more tries in fresh contexts when Z3 reports a syntax error:
      // the WebAssembly build has misread long inputs (an "unexpected character" in a query that
      // parses alone).
      const script = q.script
      const run = async (c: Z3Context): Promise<string> => {
        let out = await z.eval_smtlib2_string(c, `(set-option :timeout ${timeout})`)
        for (const command of script.split("\n")) {
          out = await z.eval_smtlib2_string(c, command)
          if (out.includes("(error")) return out.trim()
        }
        return (await z.eval_smtlib2_string(c, "(check-sat)")).trim()
      }
      let answer: string
      try {
        answer = await run(ctx)
        for (let retry = 0; retry < 3 && answer.includes("(error"); retry++) {
          z.del_context(ctx)
          ctx = context(z)
          answer = await run(ctx)
        }
      } catch (e) {
        answer = `error: ${e instanceof Error ? e.message : String(e)}`
      }
      const elapsed = () => Date.now() - started
      if (answer === "unsat") {
        outcome = { ...base, status: "valid", milliseconds: elapsed(), ...(q.unassumed.length > 0 ? { reason: `without assuming ${q.unassumed.join(", ")} (outside the encoding)` } : {}) }
      } else if (answer === "sat") {
        let confirmed: SmtCounterexample | string
        try {
          confirmed = confirm(exported, q, await readModel(z, ctx, q, vocabulary))
        } catch (e) {
          confirmed = `the model could not be decoded: ${e instanceof Error ? e.message : String(e)}`
        }
        outcome =
          typeof confirmed === "string"
            ? { ...base, status: "unknown", milliseconds: elapsed(), reason: `Z3 found a model that is not a confirmed counterexample: ${confirmed}` }
            : { ...base, status: "invalid", milliseconds: elapsed(), counterexample: confirmed }
      } else if (answer === "unknown") {
        const why = await z.eval_smtlib2_string(ctx, "(get-info :reason-unknown)")
        const reason = /"([^"]*)"/.exec(why)?.[1] ?? why.trim()
        outcome = { ...base, status: "unknown", milliseconds: elapsed(), reason: `Z3: ${reason === "timeout" || reason === "canceled" ? `timeout after ${timeout} ms` : reason}` }
      } else {
        outcome = { ...base, status: "unknown", milliseconds: elapsed(), reason: `Z3 rejected the query: ${answer.slice(0, 300)}` }
      }
      z.del_context(ctx)
    }
    options.progress?.(outcome)
    out.push(outcome)
  }
  return out
}

/**
 * One line per outcome, with its time: what `prove` prints for the SMT stage.
 *
 * @example
 * formatOutcome({ obligation: "inv_init", invariant: "inv", transition: undefined, status: "valid", milliseconds: 12 })
 * // => "  inv_init  proved by Z3  (12 ms)"
 */
export const formatOutcome = (o: SmtOutcome): string => {
  const what = o.status === "valid" ? "proved by Z3" : o.status === "invalid" ? "counterexample to induction (confirmed in TypeScript)" : `unknown: ${o.reason}`
  const note = o.status === "valid" && o.reason !== undefined ? ` ${o.reason}` : ""
  return `  ${o.obligation}  ${what}${note}  (${o.milliseconds} ms)`
}
