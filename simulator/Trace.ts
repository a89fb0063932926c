/**
 * Simulation traces: a header naming the system, its parameters, the seed and the fault plan; one
 * event per step (every scheduling decision and fault, with what it changed); and an end line with
 * the run's outcome. Written as NDJSON, one JSON object per line, which is enough to replay the run
 * exactly (`Simulator.replay`). Reading a trace validates every line against the schemas here and
 * reports the first bad line by number.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import type { FaultPlan } from "./FaultPlan.ts"

const Step = Schema.Int
const Time = Schema.Number

/** A node performed the send its program asked for. */
export const SendEvent = Schema.Struct({
  type: Schema.Literal("send"),
  step: Step,
  time: Time,
  node: Schema.String,
  tag: Schema.String,
  to: Schema.String,
  payload: Schema.Unknown,
  msg: Schema.Int,
  transition: Schema.String,
  local: Schema.Unknown
})

/** A node received a message (its receive transition ran). */
export const DeliverEvent = Schema.Struct({
  type: Schema.Literal("deliver"),
  step: Step,
  time: Time,
  node: Schema.String,
  msg: Schema.Int,
  from: Schema.String,
  tag: Schema.String,
  payload: Schema.Unknown,
  transition: Schema.String,
  local: Schema.Unknown
})

/** A `tryReceive` found nothing, or a `receiveWithin` timed out. */
export const TimeoutEvent = Schema.Struct({ type: Schema.Literal("timeout"), step: Step, time: Time, node: Schema.String })

/** A `sleep` ended. */
export const WakeEvent = Schema.Struct({ type: Schema.Literal("wake"), step: Step, time: Time, node: Schema.String })

const MessageFields = { msg: Schema.Int, from: Schema.String, to: Schema.String, tag: Schema.String, payload: Schema.Unknown }

/** The network lost a message. */
export const DropEvent = Schema.Struct({ type: Schema.Literal("drop"), step: Step, time: Time, ...MessageFields })

/** The network delivered a copy of a message; `copy` is the copy's id. */
export const DuplicateEvent = Schema.Struct({
  type: Schema.Literal("duplicate"),
  step: Step,
  time: Time,
  ...MessageFields,
  copy: Schema.Int
})

/** A node crashed: its program stopped; its local state is kept as its durable state. */
export const CrashEvent = Schema.Struct({ type: Schema.Literal("crash"), step: Step, time: Time, node: Schema.String })

/** A crashed node restarted with its recovered state and started its program again. */
export const RestartEvent = Schema.Struct({
  type: Schema.Literal("restart"),
  step: Step,
  time: Time,
  node: Schema.String,
  local: Schema.Unknown
})

/** A node's program ended (not a decision: it follows from the steps before it). */
export const ExitEvent = Schema.Struct({
  type: Schema.Literal("exit"),
  step: Step,
  time: Time,
  node: Schema.String,
  outcome: Schema.Literals(["done", "failed"]),
  detail: Schema.Unknown
})

/** Every kind of event. */
export const TraceEvent = Schema.Union([
  SendEvent,
  DeliverEvent,
  TimeoutEvent,
  WakeEvent,
  DropEvent,
  DuplicateEvent,
  CrashEvent,
  RestartEvent,
  ExitEvent
])
export type TraceEvent = typeof TraceEvent.Type

/** The events that are scheduling decisions (everything but `exit`). */
export type Decision = Exclude<TraceEvent, { readonly type: "exit" }>

/**
 * A run's decisions: its events without the programs' exits, which follow from the decisions.
 *
 * @example
 * decisionsOf([{ type: "wake", step: 1, time: 5, node: "a" }, { type: "exit", step: 1, time: 5, node: "a", outcome: "done", detail: null }]).length // => 1
 */
export const decisionsOf = (events: ReadonlyArray<TraceEvent>): ReadonlyArray<Decision> => events.filter((e): e is Decision => e.type !== "exit")

/** Why a run stopped with a violation. */
export const Violation = Schema.Union([
  Schema.Struct({ kind: Schema.Literal("invariant"), property: Schema.String, step: Step }),
  Schema.Struct({
    kind: Schema.Literal("protocol"),
    node: Schema.String,
    program: Schema.String,
    transition: Schema.NullOr(Schema.String),
    reason: Schema.String,
    attempted: Schema.Struct({ tag: Schema.String, to: Schema.String, payload: Schema.Unknown }),
    local: Schema.Unknown,
    step: Step
  }),
  Schema.Struct({ kind: Schema.Literal("program"), node: Schema.String, program: Schema.String, error: Schema.String, step: Step })
])
export type Violation = typeof Violation.Type

const FaultPlanSchema = Schema.Struct({
  drop: Schema.Number,
  duplicate: Schema.Number,
  crash: Schema.Number,
  restart: Schema.Number,
  maxCrashed: Schema.Int,
  delay: Schema.Struct({ min: Schema.Number, max: Schema.Number }),
  schedule: Schema.Array(
    Schema.Union([
      Schema.Struct({ step: Schema.Int, fault: Schema.Literals(["crash", "restart"]), node: Schema.String }),
      Schema.Struct({ step: Schema.Int, fault: Schema.Literals(["drop", "duplicate"]), message: Schema.Int })
    ])
  )
})

/** The first line of a trace. */
export const Header = Schema.Struct({
  type: Schema.Literal("run"),
  format: Schema.Literal(1),
  system: Schema.String,
  /**
   * The protocol module whose manifest lists `system`, as an absolute path, when it is not a
   * bundled family (`protoweave replay` loads it); absent for a bundled family.
   */
  module: Schema.optionalKey(Schema.String),
  /**
   * `programs`: the nodes ran their programs; `protocol`: no programs ran, and every step was
   * chosen by the trace itself (the model checker's counterexamples and witnesses).
   */
  level: Schema.Literals(["programs", "protocol"]),
  parameters: Schema.Record(Schema.String, Schema.Number),
  seed: Schema.Int,
  faults: FaultPlanSchema,
  maxSteps: Schema.Int,
  maxTime: Schema.Number,
  /**
   * A liveness counterexample (`checker/Liveness.ts`): steps 1 to `stem` lead from the initial
   * state to the cycle, steps `stem + 1` to `stem + cycle` are one turn of it, which repeats for
   * ever (`stutters`: the run stops after the stem, with nothing enabled).
   */
  lasso: Schema.optionalKey(Schema.Struct({ property: Schema.String, stem: Schema.Int, cycle: Schema.Int, stutters: Schema.Boolean }))
})
export type Header = typeof Header.Type

/**
 * The header of a run of the programs (the simulator's runs, program-level schedules, merged
 * network traces): what varies between them, the rest fixed.
 *
 * @example
 * import { reorder } from "./FaultPlan.ts"
 * programsHeader({ system: "calculator", parameters: {}, seed: 1, faults: reorder, maxSteps: 10, maxTime: 100 }).level // => "programs"
 */
export const programsHeader = (run: {
  readonly system: string
  readonly parameters: { readonly [name: string]: number }
  readonly seed: number
  readonly faults: FaultPlan
  readonly maxSteps: number
  readonly maxTime: number
}): Header => ({
  type: "run",
  format: 1,
  system: run.system,
  level: "programs",
  parameters: { ...run.parameters },
  seed: run.seed,
  faults: { ...run.faults, delay: { ...run.faults.delay }, schedule: [...run.faults.schedule] },
  maxSteps: run.maxSteps,
  maxTime: run.maxTime
})

/**
 * A trace whose header names the protocol module of its system (`module` undefined: a bundled
 * family, named by `system` alone).
 *
 * @example
 * import { reorder } from "./FaultPlan.ts"
 * const header = programsHeader({ system: "ring", parameters: {}, seed: 1, faults: reorder, maxSteps: 10, maxTime: 100 })
 * const end: End = { type: "end", status: "completed", steps: 0, time: 0, violation: null, blocked: [] }
 * withModule({ header, events: [], end }, "/p/src/ring.ts").header.module // => "/p/src/ring.ts"
 */
export const withModule = (trace: Trace, module: string | undefined): Trace =>
  module === undefined ? trace : { ...trace, header: { ...trace.header, module } }

/** How a run ended. */
export const Status = Schema.Literals(["completed", "stuck", "limit", "violation"])
export type Status = typeof Status.Type

/** The last line of a trace. */
export const End = Schema.Struct({
  type: Schema.Literal("end"),
  status: Status,
  steps: Step,
  time: Time,
  violation: Schema.NullOr(Violation),
  /** Nodes that were down, or whose (non-daemon) programs were still waiting, when the run ended. */
  blocked: Schema.Array(Schema.String)
})
export type End = typeof End.Type

/** A whole trace. */
export interface Trace {
  readonly header: Header
  readonly events: ReadonlyArray<TraceEvent>
  readonly end: End
}

/** A trace file that cannot be read, with the line at fault. */
export class TraceFormatError extends Error {
  override readonly name = "TraceFormatError"
}

/**
 * The NDJSON text of a trace.
 *
 * @example
 * import { reorder } from "./FaultPlan.ts"
 * const header: Header = { type: "run", format: 1, system: "calculator", level: "programs", parameters: {}, seed: 1, faults: reorder, maxSteps: 10, maxTime: 100 }
 * const end: End = { type: "end", status: "completed", steps: 0, time: 0, violation: null, blocked: [] }
 * toNdjson({ header, events: [], end }).split("\n").length // => 2
 */
export const toNdjson = (trace: Trace): string =>
  [trace.header, ...trace.events, trace.end].map((line) => JSON.stringify(line)).join("\n")

const decodeHeader = Schema.decodeUnknownSync(Header)
const decodeEvent = Schema.decodeUnknownSync(TraceEvent)
const decodeEnd = Schema.decodeUnknownSync(End)

/** Reads a trace from NDJSON text, validating every line. */
export const fromNdjson = (text: string, source = "trace"): Trace => {
  const lines = text.split("\n").map((l, i) => [l, i + 1] as const).filter(([l]) => l.trim().length > 0)
  if (lines.length < 2) throw new TraceFormatError(`${source}: a trace has a header line and an end line; found ${lines.length} line(s)`)
  const parse = <A>(what: string, [line, n]: readonly [string, number], decode: (u: unknown) => A): A => {
    let json: unknown
    try {
      json = JSON.parse(line)
    } catch (e) {
      throw new TraceFormatError(`${source}:${n}: not JSON (${(e as Error).message})`)
    }
    try {
      return decode(json)
    } catch (e) {
      throw new TraceFormatError(`${source}:${n}: not a valid ${what}: ${String((e as Error).message).split("\n")[0]}`)
    }
  }
  const header = parse("header", lines[0]!, decodeHeader)
  const end = parse("end line", lines[lines.length - 1]!, decodeEnd)
  const events = lines.slice(1, -1).map((l) => parse("event", l, decodeEvent))
  return { header, events, end }
}

/** The plan recorded in a header, as a `FaultPlan`. */
export const planOf = (header: Header): FaultPlan => header.faults
