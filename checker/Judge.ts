/**
 * The verdicts of a search: every new state is judged against the model's properties, recording the
 * first state found violating each `always` property and the first witnessing each `sometimes`
 * property. A witnessed property is not evaluated again, so a search pays for its witnesses only
 * until it has them.
 *
 * @since 0.1.0
 */
import type { Model } from "../core/Model.ts"
import type { Property } from "../core/Property.ts"
import type { Statelet } from "../core/Statelet.ts"

/** The properties of a model and the states that decided them. */
export class Judge {
  readonly always: ReadonlyArray<Property>
  readonly sometimes: ReadonlyArray<Property>
  /** Per `always` property, the first state found violating it. */
  readonly violatedAt = new Map<string, number>()
  /** Per `sometimes` property, the first state found witnessing it. */
  readonly witnessedAt = new Map<string, number>()
  private readonly nodes: Model["system"]["topology"]["nodes"]
  private unwitnessed: ReadonlyArray<Property>

  constructor(model: Model) {
    this.always = model.system.properties.filter((p) => p.kind === "always")
    this.sometimes = model.system.properties.filter((p) => p.kind === "sometimes")
    this.unwitnessed = this.sometimes
    this.nodes = model.system.topology.nodes
  }

  /**
   * Judges state `id`; returns false when it violates an `always` property (a violating state is not
   * expanded further).
   *
   * @example
   * import * as TpcBench from "../protocols/TpcBench/index.ts"
   * import * as Step from "../core/Step.ts"
   * const model = TpcBench.model(2)
   * const judge = new Judge(model)
   * judge.judge(0, Step.make(model.system.protocol, model.system.topology, Step.reorderOnly).initial) // => true
   * judge.decided() // => false
   */
  judge(id: number, s: Statelet): boolean {
    let ok = true
    for (let i = 0; i < this.always.length; i++) {
      const p = this.always[i]!
      if (!p.holds(s as never, this.nodes)) {
        if (!this.violatedAt.has(p.name)) this.violatedAt.set(p.name, id)
        ok = false
      }
    }
    if (this.unwitnessed.length > 0) {
      let found = false
      for (const p of this.unwitnessed) {
        if (p.holds(s as never, this.nodes)) {
          this.witnessedAt.set(p.name, id)
          found = true
        }
      }
      if (found) this.unwitnessed = this.unwitnessed.filter((p) => !this.witnessedAt.has(p.name))
    }
    return ok
  }

  /** Records a verdict found elsewhere (by another thread), keeping the first of each. */
  record(kind: "violated" | "witnessed", name: string, id: number): void {
    const verdicts = kind === "violated" ? this.violatedAt : this.witnessedAt
    if (verdicts.has(name)) return
    verdicts.set(name, id)
    if (kind === "witnessed") this.unwitnessed = this.unwitnessed.filter((p) => p.name !== name)
  }

  /** Whether every `always` property is violated and every `sometimes` property witnessed: nothing is left to find. */
  decided(): boolean {
    return this.violatedAt.size === this.always.length && this.witnessedAt.size === this.sometimes.length
  }
}
