/**
 * Exports a world of two protocols to Lean (Disel's worlds, `Protoweave/World.lean`): the client
 * protocol as `exportProtocol` would, in the world's namespace and sharing the core's types; each
 * send-hook's condition, translated from its `holds` function, and the hook itself; the world; its
 * invariants (its `always` properties, over both statelets, each read where its `World.always`
 * call is); its
 * well-formed topologies; and one obligation per world invariant and transition of either protocol
 * (`<inv>_preserved_by_<label>_<transition>`, as the composed protocol names its transitions), each
 * assuming the core's invariants and every world invariant. The core's own export is a separate
 * file, which this one imports. Its two protocols may be instances of one protocol (distinct
 * labels): each is then in its own namespace (the core's, and the world's), with its own `Msg`
 * and `protocol`, sharing the payload types they declare alike, and obligations name the label.
 *
 * @since 0.1.0
 */
import type { Protocol } from "../core/Protocol.ts"
import type * as Manifest from "../core/Manifest.ts"
import { banner, type ExportSpec, type Exported, namespaceClosing, namespaceOpening, type Obligation, omissionNote, protocolParts } from "./Export.ts"
import { ExportError } from "./ExportError.ts"
import { bool, capitalize, type LeanType, node, type ProtocolRef, qualify, render, type WorldPart } from "./LeanType.ts"
import * as SourceFile from "./SourceFile.ts"

/**
 * What to export: a world as its manifest declares it (`Manifest.WorldExport`), without the sizes
 * that only `prove` reads, and with the family of its core protocol's own export (which this one
 * imports) in place of that export; paths are read relative to the `root` the export is given.
 */
export type WorldExportSpec = Omit<Manifest.WorldExport, "sizes" | "core"> & { readonly coreFamily: string }

/**
 * Exports `spec` over `core`, the core protocol's export, reading sources under `root`.
 *
 * @example
 * import { bundled, bundledWorlds } from "../test/exporter/Bundled.ts"
 * import { exportProtocol } from "./Export.ts"
 * const core = exportProtocol(".", bundled.find((s) => s.family === "two-phase-commit")!)
 * exportWorld(".", bundledWorlds[0]!, core).obligations[0]!.name // => "answersAgree_init"
 */
export const exportWorld = (root: string, spec: WorldExportSpec, core: Exported): Exported => {
  const hooksSource = SourceFile.parse(root, spec.hooksFile)
  const hookSources = SourceFile.hooks(hooksSource)
  // The world as a whole is declared in the hooks' file; a hook, by its SendHook.make call.
  const worldAt = `${spec.hooksFile}:1:1`
  const hookAt = (name: string) => {
    const h = hookSources.get(name)
    return h === undefined ? worldAt : SourceFile.locate(h.source, h.fn)
  }
  const [coreProtocol, clientProtocol, ...rest] = spec.world.protocols as ReadonlyArray<Protocol>
  if (coreProtocol === undefined || clientProtocol === undefined || rest.length > 0) {
    throw new ExportError(worldAt, `the world "${spec.world.label}" of ${spec.world.protocols.length} protocols`, "a world is exported with one core and one client protocol")
  }
  if (coreProtocol.label !== core.spec.protocol.label) {
    throw new ExportError(worldAt, `the first protocol "${coreProtocol.label}" of the world "${spec.world.label}"`, `the core's export is of "${core.spec.protocol.label}"`)
  }
  if (clientProtocol.label !== spec.client.protocol.label) {
    throw new ExportError(worldAt, `the second protocol "${clientProtocol.label}" of the world "${spec.world.label}"`, `the client spec is of "${spec.client.protocol.label}"`)
  }
  for (const h of spec.world.hooks) {
    if (h.core !== coreProtocol.label || h.client !== clientProtocol.label) {
      throw new ExportError(hookAt(h.name), `the hook "${h.name}" of "${h.client}" on "${h.core}"`, `only hooks of the client "${clientProtocol.label}" on the core "${coreProtocol.label}" are exported`)
    }
  }

  const ns = core.spec.name
  const memo = new Map<LeanType, LeanType>()
  const coreRef = coreTypes(core, memo)
  const parts: ReadonlyArray<WorldPart> = [
    { label: coreProtocol.label, proto: coreRef },
    { label: clientProtocol.label, proto: undefined }
  ]
  const worldState: LeanType = { kind: "world", parts }
  const worldTopology: LeanType = { kind: "worldTopology", parts }
  const clientSpec: ExportSpec = { ...spec.client, name: spec.name, family: spec.family }
  const client = protocolParts(root, clientSpec, { core, typeNames: new Map<string, LeanType>([["WorldNodes", worldTopology], ["Statelets", worldState]]), memo })

  const declarations: Array<string> = []
  const definitions: Array<string> = []

  // Hooks: the condition, then the hook over the whole local states.
  for (const h of spec.world.hooks) {
    const located = hookSources.get(h.name)
    if (located === undefined) throw new ExportError(worldAt, `the hook "${h.name}"`, "no SendHook.make({ name, ..., holds }) call declares it in this file")
    const send = clientProtocol.sends.find((t) => t.tag === h.tag)!
    const coreRole = coreRef.roles.get(h.coreRole)!
    const payload = client.msg.variants.find((v) => v.tag === h.tag)!.payload!
    const translated = client.translate(
      located,
      [
        { fallback: "_core", type: coreRole },
        { fallback: "_local", type: client.roles.get(send.from)! },
        { fallback: "_msg", type: payload },
        { fallback: "_to", type: node }
      ],
      bool
    )
    const binders = translated.params.map((p) => `(${p.name} : ${render(p.type)})`).join(" ")
    const tag = capitalize(h.tag)
    declarations.push(
      `/-- The condition of the hook \`${h.name}\` (${SourceFile.locate(located.source, located.fn)}). -/\ndef ${h.name}_holds ${binders} : Bool :=\n  ${translated.body.code}`,
      [
        `/-- The hook \`${h.name}\`: a ${send.from} of \`${clientProtocol.label}\` sends \`${h.tag}\` only as a ${h.coreRole} of \`${coreProtocol.label}\` whose state satisfies it. -/`,
        `def ${h.name} : Hook ${ns}.Topology ${ns}.Locals Locals Msg where`,
        `  name := "${h.name}"`,
        `  applies := Msg.is${tag}`,
        `  pred topoC lc lq this to msg := match Msg.as${tag} msg with`,
        `    | some m => topoC.${h.coreRole}.contains this && ${h.name}_holds (lc.${h.coreRole} this) (lq.${send.from} this) m to`,
        "    | none => true"
      ].join("\n")
    )
    definitions.push(`${h.name}_holds`, h.name)
  }
  declarations.push(
    [
      `/-- The world \`${spec.world.label}\`: \`${coreProtocol.label}\` as its core, \`${clientProtocol.label}\` hooked on it. -/`,
      `def world : World ${ns}.Topology ${ns}.Locals ${ns}.Msg Topology Locals Msg where`,
      `  core := ${ns}.protocol`,
      "  client := protocol",
      `  hooks := [${spec.world.hooks.map((h) => h.name).join(", ")}]`
    ].join("\n")
  )
  definitions.push("world")

  // World invariants: (nodes, s) over both protocols, each read where its `World.always` call is.
  const invariants: Array<string> = []
  for (const property of spec.properties.filter((p) => p.kind === "always")) {
    // A core property lifted into the world is the core's invariant, exported with the core.
    if (property.at === undefined && core.invariants.includes(property.name)) continue
    // A world invariant outside the fragment is left out, with the reason (`client.omitted`).
    client.attempt(property, (source) => {
      const translated = client.translate(source, [{ fallback: "_s", type: worldState }, { fallback: "_nodes", type: worldTopology }], bool)
      const [s, nodes] = translated.params
      declarations.push(
        `/-- World invariant \`${property.name}\` (${SourceFile.locate(source.source, source.fn)}). -/\ndef ${property.name} (${nodes!.name} : ${render(worldTopology)}) (${s!.name} : ${render(worldState)}) : Bool :=\n  ${translated.body.code}`
      )
      definitions.push(property.name)
      invariants.push(property.name)
    }, spec.propertiesFile)
  }

  const topology = spec.topology === undefined ? undefined : client.predicate(spec.topology, spec.propertiesFile, worldTopology)
  declarations.push(
    `/-- Well-formed world topologies: each protocol's${topology === undefined ? "" : `, and \`${spec.topology}\` holds`}. -/\ndef worldWf (topo : ${render(worldTopology)}) : Prop :=\n  ${ns}.wf topo.1 ∧ wf topo.2${topology === undefined ? "" : ` ∧ ${topology} topo = true`}`,
    `/-- What every world obligation may assume: the core's invariants, the client's, and every world invariant. -/\ndef worldAssumed (topo : ${render(worldTopology)}) (s : ${render(worldState)}) : Prop :=\n  ${[`${ns}.assumed topo.1 s.1`, "assumed topo.2 s.2", ...invariants.map((i) => `${i} topo s = true`)].join(" ∧ ")}`
  )
  definitions.push("worldWf", "worldAssumed")

  const obligations: Array<Obligation> = [
    ...client.obligations,
    ...invariants.flatMap((inv) => [
      { name: `${inv}_init`, statement: `WorldHoldsInitially world worldWf ${inv}`, invariant: inv, transition: undefined },
      ...coreProtocol.sends.map((t) => obligation(inv, coreProtocol.label, t.name, `WorldPreservedByCoreSend worldWf worldAssumed ${inv} ${ns}.${t.name}`)),
      ...coreProtocol.receives.map((t) => obligation(inv, coreProtocol.label, t.name, `WorldPreservedByCoreReceive worldWf worldAssumed ${inv} ${ns}.${t.name}`)),
      ...clientProtocol.sends.map((t) => obligation(inv, clientProtocol.label, t.name, `WorldPreservedByClientSend world worldWf worldAssumed ${inv} ${t.name}`)),
      ...clientProtocol.receives.map((t) => obligation(inv, clientProtocol.label, t.name, `WorldPreservedByClientReceive worldWf worldAssumed ${inv} ${t.name}`))
    ])
  ]

  const lean = [
    banner(
      [`${spec.client.protocolFile} (protocol "${clientProtocol.label}")`, `${spec.hooksFile} (hooks)`, `${spec.propertiesFile} (world "${spec.world.label}", invariants)`],
      spec.family
    ),
    "import Protoweave",
    `import Generated.${ns}.Spec`,
    "",
    ...namespaceOpening(spec.name),
    ...omissionNote(client.omitted),
    ...[...client.declarations, ...client.laterHelpers, ...declarations].flatMap((d) => [d, ""]),
    ...namespaceClosing(spec.name)
  ].join("\n")
  return {
    spec: { ...clientSpec, propertiesFile: spec.propertiesFile },
    lean,
    invariants,
    predicates: client.predicates,
    obligations,
    definitions: [
      ...client.definitions,
      ...definitions,
      ...core.definitions.map((d) => `${ns}.${d}`),
      "Protoweave.World.initial",
      "Protoweave.Hook.allFire"
    ],
    types: { roles: client.roles, msg: client.msg },
    table: client.table,
    omitted: client.omitted,
    initial: client.initial
  }
}

/**
 * The core's types as the world's namespace sees them, qualified by the core's namespace; `memo`
 * shares them with the world's type table.
 */
export const coreTypes = (core: Exported, memo: Map<LeanType, LeanType> = new Map()): ProtocolRef => ({
  ns: core.spec.name,
  roles: new Map([...core.types.roles].map(([role, t]) => [role, qualify(t, core.spec.name, memo)])),
  msg: qualify(core.types.msg, core.spec.name, memo) as ProtocolRef["msg"]
})

const obligation = (inv: string, label: string, transition: string, statement: string): Obligation => ({
  name: `${inv}_preserved_by_${label}_${transition}`,
  statement,
  invariant: inv,
  transition: `${label}_${transition}`
})
