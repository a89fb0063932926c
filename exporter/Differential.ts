/**
 * The differential check of the translation: on sampled states, Lean's evaluation of every
 * exported invariant, guard, `accepts` filter and step must equal TypeScript's, and Lean's initial
 * local state of every node of each sampled topology must equal the one the simulator and the
 * checker start from (`System.make({ initial })`'s where given). Each comparison is a Lean
 * `example` proved by `decide` (booleans) or `rfl` (states), which the kernel evaluates: compiled
 * code is not needed, and deriving code-generating instances can fail in the WebAssembly build
 * (DESIGN §4). A mismatch is a Lean error on that example, whose comment names the sample. A node
 * that starts in its own state where the export gives its whole role one state is refused before
 * Lean runs, with the node, both states and the fix.
 *
 * @since 0.1.0
 */
import type { NodesOf, Protocol } from "../core/Protocol.ts"
import type { Statelet } from "../core/Statelet.ts"
import type { WorldProperty } from "../core/World.ts"
import { banner, type Exported, type ExportedTypes, type InitialState } from "./Export.ts"
import { ExportError } from "./ExportError.ts"
import { ident, type LeanType } from "./LeanType.ts"
import { renderValue } from "./LeanValue.ts"

/** A sampled state: the statelet, its nodes by role, and every node in topology order. */
export interface Sample {
  readonly label: string
  readonly statelet: Statelet
  readonly nodes: NodesOf<any>
  readonly all: ReadonlyArray<string>
  /** The initial statelet of the sample's system: where every node starts, `System.make({ initial })`'s where given. */
  readonly initial: Statelet
}

/** The differential check of one protocol as a Lean module, and how many comparisons it makes. */
export interface DifferentialCheck {
  readonly lean: string
  readonly checks: number
}

/**
 * A sampled statelet and its topology as Lean definitions `<prefix>sample<k>` and
 * `<prefix>topology<k>`, of the protocol whose types are `types`, declared in namespace `ns`
 * (`undefined`: the module's own).
 */
const sampleDefinitions = (types: ExportedTypes, sample: Sample, k: number, prefix: string, ns: string | undefined): ReadonlyArray<string> => {
  const { roles, msg } = types
  const q = ns === undefined ? "" : `${ns}.`
  const roleNames = [...roles.keys()]
  const index = (id: string) => sample.all.indexOf(id)
  const value = (v: unknown, t: LeanType, where: string) => renderValue(v, t, index, `${sample.label}: ${where}`)
  const nodes = sample.nodes as { readonly [role: string]: ReadonlyArray<string> }
  const topo = `({ ${roleNames.map((r) => `${ident(r)} := ${value(nodes[r] ?? [], { kind: "list", of: { kind: "node" } }, r)}`).join(", ")} } : ${q}Topology)`
  const locals = sample.statelet.locals as { readonly [role: string]: { readonly [node: string]: unknown } }
  const roleMap = (role: string) => {
    const ids = nodes[role] ?? []
    return `fun n => ${ids.map((id) => `if n = ${index(id)} then ${value(locals[role]![id], roles.get(role)!, `${role} ${id}`)} else `).join("")}default`
  }
  const soup = sample.statelet.soup.map(
    (m) => `{ id := ${m.id}, src := ${index(m.from)}, dst := ${index(m.to)}, msg := ${value({ tag: m.tag, payload: m.payload }, msg, `message ${m.id}`)}, active := ${m.active} }`
  )
  const statelet = `({ locals := { ${roleNames.map((r) => `${ident(r)} := ${roleMap(r)}`).join(", ")} }, soup := ${soup.length === 0 ? "[]" : `[${soup.join(", ")}]`} } : Statelet ${q}Locals ${q}Msg)`
  return [
    `/-- Sample ${k + 1}${prefix === "" ? "" : ` (${prefix})`}: ${sample.label}. -/`,
    `def ${prefix}sample${k + 1} : Statelet ${q}Locals ${q}Msg := ${statelet}`,
    `def ${prefix}topology${k + 1} : ${q}Topology := ${topo}`,
    ""
  ]
}

/**
 * Lean's initial local state of every node of `sample`'s topology compared with TypeScript's, once
 * per distinct topology and initial statelet (`seen`). Where `initial` says a role's nodes all start
 * in the role's state, a node that starts elsewhere is refused here, before Lean runs.
 */
const initialLines = (
  types: ExportedTypes,
  sample: Sample,
  k: number,
  prefix: string,
  ns: string | undefined,
  initial: ReadonlyMap<string, InitialState> | undefined,
  seen: Set<string>
): ReadonlyArray<string> => {
  const key = JSON.stringify([sample.all, sample.nodes, sample.initial.locals])
  if (seen.has(key)) return []
  seen.add(key)
  const q = ns === undefined ? "" : `${ns}.`
  const index = (id: string) => sample.all.indexOf(id)
  const nodes = sample.nodes as { readonly [role: string]: ReadonlyArray<string> }
  const locals = sample.initial.locals as { readonly [role: string]: { readonly [node: string]: unknown } }
  const lines: Array<string> = []
  for (const [role, type] of types.roles) {
    for (const id of nodes[role] ?? []) {
      const local = (locals[role] ?? {})[id]
      const ts = renderValue(local, type, index, `${sample.label}: the initial state of ${role} ${id}`)
      const how = initial?.get(role)
      if (how !== undefined && how.kind === "role" && ts !== how.lean) {
        throw new ExportError(
          how.at,
          `the initial state of ${id} (${JSON.stringify(local)})`,
          `the system starts ${id} there, but the export gives every ${role} the role's initial state (Lean's ${how.lean}, not ${ts}): name a top-level function (self, nodes) => state in the export spec's \`initial\` for "${role}", or start ${id} in its role's state`
        )
      }
      lines.push(`-- sample ${k + 1}: the initial local state of ${role} ${id}`, `example : (${q}protocol.init ${prefix}topology${k + 1}).${ident(role)} ${index(id)} = ${ts} := by rfl`)
    }
  }
  return lines
}

/**
 * Builds the differential check of `exported` on `samples`: every invariant on every sample, and
 * up to `perSample` transition evaluations per sample (sends of the `payloads` candidates and of
 * the payloads already in the soup to every receiver, and receives of the sample's active messages).
 */
export const differential = (
  exported: Exported,
  samples: ReadonlyArray<Sample>,
  payloads: { readonly [tag: string]: ReadonlyArray<unknown> },
  perSample = 24
): DifferentialCheck => {
  const { lines, checks } = protocolLines(exported, samples, payloads, perSample)
  return { checks, lean: module(exported, lines) }
}

/** A sampled state of a world: the sample of each protocol, core first. */
export interface WorldSample {
  readonly core: Sample
  readonly client: Sample
  /** The world's statelets and node lists, by label, as the world's properties read them. */
  readonly statelets: unknown
  readonly nodes: unknown
}

/**
 * The differential check of a world's export: its client protocol's as `differential` checks a
 * protocol (guards, filters, steps and its own invariants on the client's part of each sample),
 * and every world invariant (the `always` properties the export has as invariants) on every
 * sample, over both statelets.
 */
export const worldDifferential = (
  exported: Exported,
  core: ExportedTypes & { readonly ns: string },
  properties: ReadonlyArray<WorldProperty>,
  samples: ReadonlyArray<WorldSample>,
  payloads: { readonly [tag: string]: ReadonlyArray<unknown> },
  perSample = 24
): DifferentialCheck => {
  const invariants = properties.filter((p) => exported.invariants.includes(p.name))
  const client = protocolLines(exported, samples.map((s) => s.client), payloads, perSample)
  const lines = [...client.lines]
  let checks = client.checks
  const seen = new Set<string>()
  samples.forEach((sample, k) => {
    lines.push(...sampleDefinitions(core, sample.core, k, "core", core.ns))
    // The core's initial states, as this world starts them (its own export's differential check refuses what it cannot export).
    const starts = initialLines(core, sample.core, k, "core", core.ns, undefined, seen)
    lines.push(...starts)
    checks += starts.length / 2
    for (const { name, holds } of invariants) {
      lines.push(`-- sample ${k + 1}: world invariant ${name}`, `example : ${name} (coretopology${k + 1}, topology${k + 1}) (coresample${k + 1}, sample${k + 1}) = ${holds(sample.statelets as never, sample.nodes as never)} := by decide`)
      checks++
    }
    lines.push("")
  })
  return { checks, lean: module(exported, lines) }
}

const protocolLines = (
  exported: Exported,
  samples: ReadonlyArray<Sample>,
  payloads: { readonly [tag: string]: ReadonlyArray<unknown> },
  perSample: number
): { readonly lines: ReadonlyArray<string>; readonly checks: number } => {
  const p: Protocol = exported.spec.protocol
  const { roles, msg } = exported.types
  // Only the exported ones (the protocol's layers and its other `always` properties): a property left out of the export has no Lean definition to compare.
  const invariants = exported.predicates
  const lines: Array<string> = []
  let checks = 0
  const seen = new Set<string>()
  samples.forEach((sample, k) => {
    const index = (id: string) => sample.all.indexOf(id)
    const value = (v: unknown, t: LeanType, where: string) => renderValue(v, t, index, `${sample.label}: ${where}`)
    const nodes = sample.nodes as { readonly [role: string]: ReadonlyArray<string> }
    const locals = sample.statelet.locals as { readonly [role: string]: { readonly [node: string]: unknown } }
    const localOf = (role: string, id: string) => value(locals[role]![id], roles.get(role)!, `${role} ${id}`)
    lines.push(...sampleDefinitions(exported.types, sample, k, "", undefined))
    const starts = initialLines(exported.types, sample, k, "", undefined, exported.initial, seen)
    lines.push(...starts)
    checks += starts.length / 2
    for (const [name, holds] of invariants) {
      const expected = holds(sample.statelet as never, sample.nodes as never)
      lines.push(`-- sample ${k + 1}: ${name}`, `example : ${name} topology${k + 1} sample${k + 1} = ${expected} := by decide`)
      checks++
    }
    const ctxOf = (self: string) => `({ self := ${index(self)}, nodes := topology${k + 1} } : Ctx)`
    const tsCtx = (self: string) => ({ self: self as never, nodes: sample.nodes })
    const evaluations: Array<{ readonly transition: string; readonly lines: ReadonlyArray<string> }> = []
    // The model's payloads, and those already in the soup: they match the state's requests and eras.
    const candidatesOf = (tag: string): ReadonlyArray<unknown> => {
      const all = [...(payloads[tag] ?? []), ...sample.statelet.soup.filter((m) => m.tag === tag).map((m) => m.payload)]
      return [...new Map(all.map((m) => [JSON.stringify(m), m])).values()]
    }
    for (const t of p.sends) {
      const payloadType = msg.variants.find((v) => v.tag === t.tag)!.payload!
      for (const self of nodes[t.from] ?? []) {
        for (const to of nodes[t.to] ?? []) {
          for (const m of candidatesOf(t.tag)) {
            const local = (locals[t.from] ?? {})[self]
            const args = `${localOf(t.from, self)} ${index(to)} ${value(m, payloadType, `${t.tag} payload`)} ${ctxOf(self)}`
            const guard = t.guard(local, to as never, m, tsCtx(self))
            const next = t.step(local, to as never, m, tsCtx(self))
            evaluations.push({
              transition: t.name,
              lines: [
                `-- sample ${k + 1}: ${t.name} from ${self} to ${to} with ${JSON.stringify(m)}`,
                `example : ${t.name}_guard ${args} = ${guard} := by decide`,
                `example : ${t.name}_step ${args} = ${value(next, roles.get(t.from)!, `${t.name} step`)} := by rfl`
              ]
            })
          }
        }
      }
    }
    for (const m of sample.statelet.soup.filter((e) => e.active)) {
      const t = p.receiveOf.get(m.tag)
      if (t === undefined || !(nodes[t.by] ?? []).includes(m.to)) continue
      const payloadType = msg.variants.find((v) => v.tag === t.tag)!.payload!
      const local = (locals[t.by] ?? {})[m.to]
      const args = `${localOf(t.by, m.to)} ${index(m.from)} ${value(m.payload, payloadType, `message ${m.id}`)} ${ctxOf(m.to)}`
      const accepts = t.accepts === undefined ? [] : [`example : ${t.name}_accepts ${args} = ${t.accepts(local, m.from as never, m.payload, tsCtx(m.to))} := by decide`]
      evaluations.push({
        transition: t.name,
        lines: [
          `-- sample ${k + 1}: ${t.name} of message ${m.id} at ${m.to}`,
          ...accepts,
          `example : ${t.name}_step ${args} = ${value(t.step(local, m.from as never, m.payload, tsCtx(m.to)), roles.get(t.by)!, `${t.name} step`)} := by rfl`
        ]
      })
    }
    // Up to `perSample`, taken in turn from each transition's evaluations (each spread evenly over
    // its own, starting at a different place per sample), so that no transition is crowded out.
    const byTransition = new Map<string, Array<ReadonlyArray<string>>>()
    for (const e of evaluations) byTransition.set(e.transition, [...(byTransition.get(e.transition) ?? []), e.lines])
    const groups = [...byTransition.values()]
    const quota = Math.max(1, Math.ceil(perSample / Math.max(1, groups.length)))
    const chosen = groups.flatMap((g) => {
      const stride = Math.max(1, Math.ceil(g.length / quota))
      return g.filter((_, i) => (i + k) % stride === 0).slice(0, quota)
    })
    for (const e of chosen.slice(0, Math.max(perSample, groups.length))) {
      lines.push(...e)
      checks += e.length - 1
    }
    lines.push("")
  })
  return { lines, checks }
}

const module = (exported: Exported, lines: ReadonlyArray<string>): string => {
  const name = exported.spec.name
  return [
    banner([exported.spec.protocolFile, "samples from the simulator"], exported.spec.family).replace("GENERATED", "GENERATED for one run"),
    `import Generated.${name}.Spec`,
    "",
    "noncomputable section",
    "",
    `namespace ${name}`,
    "",
    "open Protoweave",
    "",
    ...lines,
    `end ${name}`,
    "",
    "end",
    ""
  ].join("\n")
}
