/**
 * The obligation files of an exported protocol. `attempts` states every obligation (except those
 * a hand-written proof already proves) with the tactic ladder as its proof; after the Lean run,
 * `automatic` keeps the obligations Lean accepted, each with the one rung that proved it, and
 * `open` names the rest as propositions, with a counterexample from the model checker when one
 * exists. Hand-written proofs (`proofs/Proofs/<Name>.lean`) import both and are never touched.
 *
 * @since 0.1.0
 */
import { banner, type Exported, type Obligation } from "./Export.ts"

/** The core definitions the ladder's `simp` set also unfolds. */
const coreDefinitions = [
  "Protoweave.Soup.post",
  "Protoweave.Soup.consume",
  "Protoweave.update",
  "Protoweave.Protocol.initial",
  "Protoweave.Js.findIndex",
  "Protoweave.Js.slice",
  "Protoweave.Js.sliceFrom",
  "Protoweave.Js.slicePosition",
  "Protoweave.Js.at!"
]

/** The tactic each rung of the ladder stands for (`Protoweave/Ladder.lean`). */
export const rungs: { readonly [rung: string]: string } = {
  decide: "decide",
  simp_all: "simp_all",
  "simp_all; omega": "simp_all <;> omega",
  "simp_all; grind": "simp_all <;> grind",
  grind: "grind"
}

const header = (exported: Exported, module: string): ReadonlyArray<string> => [
  banner([`${exported.spec.protocolFile}`, `${exported.spec.propertiesFile}`], exported.spec.family),
  `import Generated.${exported.spec.name}.${module}`,
  "",
  "noncomputable section",
  "set_option linter.unusedVariables false",
  "",
  `namespace ${exported.spec.name}`,
  "",
  "open Protoweave",
  ""
]

const simpSet = (exported: Exported): string =>
  `attribute [local simp] ${[...exported.definitions, ...coreDefinitions].join(" ")}`

const doc = (o: Obligation): string =>
  o.transition === undefined
    ? `/-- \`${o.invariant}\` holds initially. -/`
    : `/-- \`${o.transition}\` preserves \`${o.invariant}\` (assuming coherence and every invariant). -/`

/**
 * Every obligation not in `handProved`, with the ladder as its proof: the module
 * `Generated.<Name>.Automatic` of one Lean run, whose results decide the real one.
 */
export const attempts = (exported: Exported, handProved: ReadonlySet<string>): string =>
  [
    ...header(exported, "Spec"),
    "section Attempts",
    "",
    simpSet(exported),
    "",
    ...exported.obligations
      .filter((o) => !handProved.has(o.name))
      .flatMap((o) => [
        `#print "protoweave: trying ${exported.spec.name}.${o.name}"`,
        doc(o),
        `theorem ${o.name} : ${o.statement} := by protoweave_ladder "${o.name}"`,
        `#print "protoweave: done ${exported.spec.name}.${o.name}"`,
        ""
      ]),
    "end Attempts",
    "",
    `end ${exported.spec.name}`,
    "",
    "end",
    ""
  ].join("\n")

/** The obligations the ladder proved, each with the rung that proved it. */
export const automatic = (exported: Exported, proved: ReadonlyMap<string, string>): string =>
  [
    ...header(exported, "Spec"),
    "/-! The obligations the tactic ladder proved, each kept with the rung that proved it. -/",
    "",
    "section Automatic",
    "",
    simpSet(exported),
    "",
    ...exported.obligations
      .filter((o) => proved.has(o.name))
      .flatMap((o) => [doc(o), `theorem ${o.name} : ${o.statement} := by`, "  protoweave_intro", `  ${rungs[proved.get(o.name)!] ?? proved.get(o.name)}`, ""]),
    "end Automatic",
    "",
    `end ${exported.spec.name}`,
    "",
    "end",
    ""
  ].join("\n")

/**
 * The obligations that stay open, as named propositions in `<Name>.Open`, each with the checker's
 * counterexample to its invariant when there is one, and `inductionCounterexamples`' text for it
 * (a counterexample to induction, or what was searched without finding one).
 */
export const open = (
  exported: Exported,
  openNames: ReadonlyArray<string>,
  counterexamples: ReadonlyMap<string, string>,
  handProved: ReadonlySet<string> = new Set(),
  inductionCounterexamples: ReadonlyMap<string, string> = new Map()
): string =>
  [
    ...header(exported, "Spec").map((l) => (l === `namespace ${exported.spec.name}` ? `namespace ${exported.spec.name}.Open` : l)),
    `open ${exported.spec.name}`,
    "",
    "/-! The obligations the tactic ladder did not prove. A hand-written proof in",
    `\`Proofs/${exported.spec.name}.lean\` may prove them (a theorem of the same name in \`${exported.spec.name}\`);`,
    "until then they are open. -/",
    "",
    ...exported.obligations
      .filter((o) => openNames.includes(o.name))
      .flatMap((o) => {
        const counterexample = counterexamples.get(o.invariant)
        const cti = handProved.has(o.name) ? undefined : inductionCounterexamples.get(o.name)
        return [
          handProved.has(o.name) ? doc(o).replace(" -/", ` Proved by hand in \`Proofs/${exported.spec.name}.lean\`. -/`) : doc(o),
          ...(counterexample === undefined ? [] : [`-- Counterexample to \`${o.invariant}\` from the model checker:`, ...counterexample.split("\n").map((l) => `--   ${l}`)]),
          ...(cti === undefined ? [] : cti.split("\n").map((l) => `-- ${l}`.trimEnd())),
          `def ${o.name} : Prop := ${o.statement}`,
          ""
        ]
      }),
    `end ${exported.spec.name}.Open`,
    "",
    "end",
    ""
  ].join("\n")

/**
 * The theorems a hand-written Lean file declares, without their namespace.
 *
 * @example
 * theoremsOf("namespace Calculator\ntheorem inv_init : True := trivial\ntheorem Calculator.x : True := trivial") // => ["inv_init", "x"]
 */
export const theoremsOf = (text: string): ReadonlyArray<string> =>
  [...text.matchAll(/^\s*theorem\s+(\S+)/gm)].map((m) => m[1]!.split(".").pop()!)
