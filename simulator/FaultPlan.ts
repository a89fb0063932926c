/**
 * What goes wrong in a simulation run: per-message probabilities of loss and duplication, delivery
 * delays (which, with the scheduler's random choice, reorder messages), per-step probabilities of
 * crashing and restarting nodes, and an explicit schedule of faults at given steps. A plan decides
 * the fault model (`core/Step.ts`) the run's step function enforces: a fault the plan never uses is
 * refused by the semantics.
 *
 * @since 0.1.0
 */
import type { Prng } from "../core/Prng.ts"
import type { FaultModel } from "../core/Step.ts"

/** A fault at a given step of a run. */
export type ScheduledFault =
  | { readonly step: number; readonly fault: "crash" | "restart"; readonly node: string }
  | { readonly step: number; readonly fault: "drop" | "duplicate"; readonly message: number }

/** A fault plan. Probabilities are in [0, 1]; delays are milliseconds of simulated time. */
export interface FaultPlan {
  /** Probability that a sent message is lost. */
  readonly drop: number
  /** Probability that a sent message is delivered twice. */
  readonly duplicate: number
  /** Probability, at each step, that a live node crashes. */
  readonly crash: number
  /** Probability, at each step, that a crashed node restarts (with its durable state). */
  readonly restart: number
  /** At most this many nodes are down at once. */
  readonly maxCrashed: number
  /** A message becomes deliverable after a delay drawn uniformly from [min, max]. */
  readonly delay: { readonly min: number; readonly max: number }
  readonly schedule: ReadonlyArray<ScheduledFault>
}

/**
 * Disel's network: no faults, any delivery order.
 *
 * @example
 * reorder.drop // => 0
 */
export const reorder: FaultPlan = {
  drop: 0,
  duplicate: 0,
  crash: 0,
  restart: 0,
  maxCrashed: 1,
  delay: { min: 0, max: 10 },
  schedule: []
}

/** Named plans, usable on the command line as `--faults <name>`. */
export const presets: { readonly [name: string]: FaultPlan } = {
  reorder,
  drop: { ...reorder, drop: 0.05 },
  duplicate: { ...reorder, duplicate: 0.1 },
  crash: { ...reorder, crash: 0.01, restart: 0.1 },
  "crash-stop": { ...reorder, crash: 0.01 },
  all: { ...reorder, drop: 0.05, duplicate: 0.1, crash: 0.01, restart: 0.1 }
}

/** The fault model a plan needs: every fault it may inject is switched on. */
export const faultModel = (plan: FaultPlan): FaultModel => ({
  drop: plan.drop > 0 || plan.schedule.some((f) => f.fault === "drop"),
  duplicate: plan.duplicate > 0 || plan.schedule.some((f) => f.fault === "duplicate"),
  crash: plan.crash > 0 || plan.schedule.some((f) => f.fault === "crash"),
  restart: plan.restart > 0 || plan.schedule.some((f) => f.fault === "restart")
})

/** A fault plan that could not be read. */
export class FaultPlanError extends Error {
  override readonly name = "FaultPlanError"
}

const probability = (key: string, value: string): number => {
  const p = Number(value)
  if (value.trim() === "" || !Number.isFinite(p) || p < 0 || p > 1) {
    throw new FaultPlanError(`--faults: ${key} must be a probability in [0, 1], got "${value}"`)
  }
  return p
}

const naturalNumber = (what: string, value: string): number => {
  const n = Number(value)
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) throw new FaultPlanError(`--faults: ${what} must be a whole number, got "${value}"`)
  return n
}

/**
 * Reads a plan from its command-line form: a preset name and/or comma-separated settings, e.g.
 * `drop=0.05,duplicate=0.1,delay=0-20,crash=0.01,restart=0.2,max-crashed=2`, and scheduled faults
 * `crash@12=p1`, `restart@30=p1`, `drop@5=3`, `duplicate@5=3` (step, then node or message id).
 *
 * @example
 * parse("drop=0.1,crash@3=p1").schedule.length // => 1
 */
export const parse = (text: string): FaultPlan => {
  let plan: FaultPlan = reorder
  const schedule: Array<ScheduledFault> = []
  for (const raw of text.split(",").map((s) => s.trim()).filter((s) => s.length > 0)) {
    const preset = presets[raw]
    if (preset !== undefined) {
      plan = { ...plan, ...preset, schedule: plan.schedule }
      continue
    }
    const eq = raw.indexOf("=")
    if (eq < 0) {
      throw new FaultPlanError(`--faults: "${raw}" is neither a preset (${Object.keys(presets).join(", ")}) nor key=value`)
    }
    const key = raw.slice(0, eq)
    const value = raw.slice(eq + 1)
    const at = key.indexOf("@")
    if (at >= 0) {
      const fault = key.slice(0, at)
      const step = naturalNumber(`the step of ${fault}`, key.slice(at + 1))
      if (fault === "crash" || fault === "restart") {
        if (value.length === 0) throw new FaultPlanError(`--faults: ${raw} names no node`)
        schedule.push({ step, fault, node: value })
      } else if (fault === "drop" || fault === "duplicate") {
        schedule.push({ step, fault, message: naturalNumber(`the message id of ${fault}`, value) })
      } else {
        throw new FaultPlanError(`--faults: cannot schedule "${fault}" (crash, restart, drop, duplicate)`)
      }
      continue
    }
    switch (key) {
      case "drop":
      case "duplicate":
      case "crash":
      case "restart":
        plan = { ...plan, [key]: probability(key, value) }
        break
      case "max-crashed":
        plan = { ...plan, maxCrashed: naturalNumber(key, value) }
        break
      case "delay": {
        const m = /^(\d+)(?:-(\d+))?$/.exec(value)
        if (m === null) throw new FaultPlanError(`--faults: delay must be N or MIN-MAX milliseconds, got "${value}"`)
        const min = Number(m[1])
        const max = m[2] === undefined ? min : Number(m[2])
        if (max < min) throw new FaultPlanError(`--faults: delay ${value} has max < min`)
        plan = { ...plan, delay: { min, max } }
        break
      }
      default:
        throw new FaultPlanError(
          `--faults: unknown setting "${key}" (drop, duplicate, crash, restart, max-crashed, delay, or a preset: ${Object.keys(presets).join(", ")})`
        )
    }
  }
  return { ...plan, schedule: [...plan.schedule, ...schedule] }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value)

const shown = (value: unknown): string => (value === undefined ? "undefined" : typeof value === "string" ? JSON.stringify(value) : String(JSON.stringify(value) ?? value))

/**
 * Checks a plan given as a value (through the API rather than `parse`): every field present, of its
 * type and in its range. Returns the plan; throws `FaultPlanError` naming the first bad field, so
 * that a malformed plan fails here rather than as a `TypeError` deep in a run.
 *
 * @example
 * validate(reorder) === reorder // => true
 * let message = ""
 * try {
 *   validate({ ...reorder, schedule: undefined })
 * } catch (e) {
 *   message = `${(e as Error).name}: ${(e as Error).message}`
 * }
 * message // => "FaultPlanError: fault plan: schedule must be an array of scheduled faults, got undefined"
 */
export const validate = (plan: unknown, source = "fault plan"): FaultPlan => {
  const fail = (field: string, expected: string, value: unknown): never => {
    throw new FaultPlanError(`${source}: ${field} must be ${expected}, got ${shown(value)}`)
  }
  if (!isObject(plan)) return fail("the plan", "an object with drop, duplicate, crash, restart, maxCrashed, delay and schedule", plan)
  for (const key of ["drop", "duplicate", "crash", "restart"] as const) {
    const p = plan[key]
    if (typeof p !== "number" || !(p >= 0 && p <= 1)) fail(key, "a probability in [0, 1]", p)
  }
  const whole = (field: string, n: unknown) => {
    if (typeof n !== "number" || !Number.isSafeInteger(n) || n < 0) fail(field, "a whole number", n)
  }
  whole("maxCrashed", plan.maxCrashed)
  const delay = plan.delay
  if (!isObject(delay)) return fail("delay", "{ min, max } in milliseconds", delay)
  for (const key of ["min", "max"] as const) {
    const d = delay[key]
    if (typeof d !== "number" || !Number.isFinite(d) || d < 0) fail(`delay.${key}`, "a number of milliseconds, at least 0", d)
  }
  if ((delay.max as number) < (delay.min as number)) fail("delay.max", `at least delay.min (${delay.min as number})`, delay.max)
  const schedule = plan.schedule
  if (!Array.isArray(schedule)) return fail("schedule", "an array of scheduled faults", schedule)
  schedule.forEach((f: unknown, i) => {
    const at = `schedule[${i}]`
    if (!isObject(f)) return fail(at, "{ step, fault, node } or { step, fault, message }", f)
    whole(`${at}.step`, f.step)
    if (f.fault === "crash" || f.fault === "restart") {
      if (typeof f.node !== "string" || f.node.length === 0) fail(`${at}.node`, "a node name", f.node)
    } else if (f.fault === "drop" || f.fault === "duplicate") {
      whole(`${at}.message`, f.message)
    } else fail(`${at}.fault`, '"crash", "restart", "drop" or "duplicate"', f.fault)
  })
  return plan as unknown as FaultPlan
}

/**
 * Whether a plan can lose messages or nodes (drops or crashes, random or scheduled). A run under a
 * plan that cannot has nothing to excuse it when it ends stuck.
 *
 * @example
 * [lossy(reorder), lossy(presets.duplicate!), lossy(presets.drop!), lossy(parse("crash@3=p1"))] // => [false, false, true, true]
 */
export const lossy = (plan: FaultPlan): boolean => {
  const model = faultModel(plan)
  return model.drop || model.crash
}

/** The command-line form of a plan (inverse of `parse`). */
export const format = (plan: FaultPlan): string =>
  [
    `drop=${plan.drop}`,
    `duplicate=${plan.duplicate}`,
    `crash=${plan.crash}`,
    `restart=${plan.restart}`,
    `max-crashed=${plan.maxCrashed}`,
    `delay=${plan.delay.min}-${plan.delay.max}`,
    ...plan.schedule.map((f) => `${f.fault}@${f.step}=${"node" in f ? f.node : f.message}`)
  ].join(",")

/** A fault a run takes, as a chooser proposes it to the engine. */
export type Fault =
  | { readonly type: "drop" | "duplicate"; readonly msg: number }
  | { readonly type: "crash" | "restart"; readonly node: string }

/** A plan's faults drawn with a run's PRNG, for the choosers of random runs (programs and walks). */
export interface Injector {
  /** After a message is sent: draws whether it will be dropped or duplicated, at the next step. */
  sent(msg: number): void
  /**
   * The fault to take at step `next`, if any: a scheduled one, else a drawn drop or duplication,
   * else a crash of one of `crashable()` (while fewer than `maxCrashed` are down), else a restart.
   */
  due(next: number, crashed: ReadonlyArray<string>, crashable: () => ReadonlyArray<string>): Fault | undefined
  /** When nothing else can ever happen: the restart of a crashed node, if the plan restarts nodes. */
  lastResort(crashed: ReadonlyArray<string>): Fault | undefined
}

/**
 * Draws a plan's faults during one run (see `Injector`).
 *
 * @example
 * import * as Prng from "../core/Prng.ts"
 * const faults = injector(Prng.make(1), parse("drop=1,crash@2=p1"))
 * faults.sent(0)
 * faults.due(1, [], () => ["p1"]) // => { type: "drop", msg: 0 }
 * faults.due(2, [], () => ["p1"]) // => { type: "crash", node: "p1" }
 * faults.due(3, ["p1"], () => []) // => undefined
 */
export const injector = (prng: Prng, plan: FaultPlan): Injector => {
  const queued: Array<Fault> = []
  return {
    sent: (msg) => {
      if (prng.chance(plan.drop)) queued.push({ type: "drop", msg })
      else if (prng.chance(plan.duplicate)) queued.push({ type: "duplicate", msg })
    },
    due: (next, crashed, crashable) => {
      for (const fault of plan.schedule) {
        if (fault.step !== next) continue
        return "node" in fault ? { type: fault.fault, node: fault.node } : { type: fault.fault, msg: fault.message }
      }
      const fault = queued.shift()
      if (fault !== undefined) return fault
      if (plan.crash > 0 && crashed.length < plan.maxCrashed) {
        const nodes = crashable()
        if (nodes.length > 0 && prng.chance(plan.crash)) return { type: "crash", node: prng.pick(nodes) }
      }
      if (plan.restart > 0 && crashed.length > 0 && prng.chance(plan.restart)) return { type: "restart", node: prng.pick(crashed) }
      return undefined
    },
    lastResort: (crashed) => (plan.restart > 0 && crashed.length > 0 ? { type: "restart", node: prng.pick(crashed) } : undefined)
  }
}
