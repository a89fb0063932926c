/**
 * The verdicts of a search: every new state is judged against the model's properties, recording the
 * first state found violating each `always` property and the first witnessing each `sometimes`
 * property. A property is evaluated until it has its verdict and not after (the search goes on past
 * violations, but only the first trace of each is kept), so a search pays for a property only until
 * it is decided.
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
  /** The properties still without a verdict. */
  private unviolated: ReadonlyArray<Property>
  private unwitnessed: ReadonlyArray<Property>

  constructor(model: Model) {
    this.always = model.system.properties.filter((p) => p.kind === "always")
    this.sometimes = model.system.properties.filter((p) => p.kind === "sometimes")
    this.unviolated = this.always
    this.unwitnessed = this.sometimes
    this.nodes = model.system.topology.nodes
  }

  /**
   * Judges state `id` against the properties still without a verdict; returns false when it is the
   * first state found violating one of them. (The search expands it all the same: the other
   * properties must be judged on every reachable state.)
   *
   * @example
   * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
   * import * as Step from "../core/Step.ts"
   * const model = TokenRing.model()
   * const judge = new Judge(model)
   * judge.judge(0, Step.make(model.system.protocol, model.system.topology, Step.reorderOnly).initial) // => true
   * judge.decided() // => false
   */
  judge(id: number, s: Statelet): boolean {
    let ok = true
    if (this.unviolated.length > 0) {
      for (const p of this.unviolated) {
        if (!p.holds(s as never, this.nodes)) {
          this.violatedAt.set(p.name, id)
          ok = false
        }
      }
      if (!ok) this.unviolated = this.unviolated.filter((p) => !this.violatedAt.has(p.name))
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
    else this.unviolated = this.unviolated.filter((p) => p.name !== name)
  }

  /** Whether every `always` property is violated and every `sometimes` property witnessed: no property is left to decide. */
  decided(): boolean {
    return this.violatedAt.size === this.always.length && this.witnessedAt.size === this.sometimes.length
  }
}
