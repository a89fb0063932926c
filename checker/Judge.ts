/**
 * The verdicts of a search: every new state is judged against the model's properties, recording the
 * first state found violating each `always` property and the first witnessing each `sometimes`
 * property. A property is evaluated until it has its verdict and not after (the search goes on past
 * violations, but only the first trace of each is kept), so a search pays for a property only until
 * it is decided.
 *
 * On the checker's views of collapsed states (`checker/Collapse.ts`), a property's answers are
 * remembered by what it read. A property is a function of the state (the contract protocol code
 * keeps: no clocks, randomness or I/O), so the parts it reads, in order, and their values decide
 * its answer: two states that agree on the first part read agree on which part is read second, and
 * so on. Each property keeps a tree of its evaluations: a node names the part read next (a node's
 * local state, or a quantified local predicate's answer), its children are keyed by that part's
 * value, and a leaf holds the answer. Judging a state walks the tree with the state's values, and
 * runs the property (recording its reads, to grow the tree) only when the walk leaves it. The soup
 * is not tracked: where a property reads it, the node says so and the property is run there.
 * Properties over the local states of a few nodes are thus evaluated once per combination of the
 * local states they read, whatever the soup.
 *
 * @since 0.1.0
 */
import type { Model } from "../core/Model.ts"
import type { Property } from "../core/Property.ts"
import type { Statelet } from "../core/Statelet.ts"
import { viewAccess, type ViewAccess } from "./Collapse.ts"
import { ModelError } from "./Successors.ts"

/** What a node of a property's tree does: reads a part (`what` ≥ 0: a slot; < 0: a quantifier), or ends. */
const UNKNOWN = 0x7fffffff
const LEAF = 0x7ffffffe
const OPAQUE = 0x7ffffffd

/** A node of a property's tree of evaluations. */
interface Node {
  what: number
  predicate: ViewAccess["log"]["predicates"][number]
  answer: boolean
  children: Map<number, Node> | undefined
}

const fresh = (): Node => ({ what: UNKNOWN, predicate: undefined, answer: false, children: undefined })

/** The most tree nodes a judge keeps (over all its properties); past it, misses are evaluated without growing the trees. */
const MAX_NODES = 1 << 19

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
  /** Per property, its tree of evaluations, for the views of one space (`access`). */
  private trees = new Map<Property, Node>()
  private access: ViewAccess | undefined
  private nodeCount = 0

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
        if (!this.evaluate(p, s)) {
          this.violatedAt.set(p.name, id)
          ok = false
        }
      }
      if (!ok) this.unviolated = this.unviolated.filter((p) => !this.violatedAt.has(p.name))
    }
    if (this.unwitnessed.length > 0) {
      let found = false
      for (const p of this.unwitnessed) {
        if (this.evaluate(p, s)) {
          this.witnessedAt.set(p.name, id)
          found = true
        }
      }
      if (found) this.unwitnessed = this.unwitnessed.filter((p) => !this.witnessedAt.has(p.name))
    }
    return ok
  }

  /**
   * Whether property `p` holds in `s`: from its tree of evaluations on a view of a collapsed state,
   * else by running it.
   *
   * @example
   * import * as TokenRing from "../test/cli/fixtures/TokenRing.ts"
   * import { CollapsedSpace } from "./Collapse.ts"
   * const model = TokenRing.model()
   * const space = new CollapsedSpace(model, false)
   * const judge = new Judge(model)
   * judge.evaluate(model.system.properties[0]!, space.view(space.start().vector)) // => true
   */
  evaluate(p: Property, s: Statelet): boolean {
    const access = (s as { readonly [viewAccess]?: ViewAccess })[viewAccess]
    if (access === undefined) return p.holds(s as never, this.nodes)
    if (access !== this.access) {
      // Another space's views: its slots hold other ids.
      this.access = access
      this.trees = new Map()
      this.nodeCount = 0
    }
    let root = this.trees.get(p)
    if (root === undefined) this.trees.set(p, (root = fresh()))
    let node = root
    for (;;) {
      const what = node.what
      if (what === LEAF) return node.answer
      if (what === OPAQUE) return p.holds(s as never, this.nodes)
      if (what === UNKNOWN) break
      const value = what >= 0 ? access.slots[what]! : access.quantify(node.predicate!, ((-what - 1) & 1) === 0) ? 1 : 0
      const child = node.children!.get(value)
      if (child === undefined) break
      node = child
    }
    if (this.nodeCount >= MAX_NODES) return p.holds(s as never, this.nodes)
    const log = access.log
    log.reset()
    const answer = p.holds(access.tracked as never, this.nodes)
    this.grow(p, root, log, answer)
    return answer
  }

  /** Adds an evaluation's reads and answer to the property's tree. */
  private grow(p: Property, root: Node, log: ViewAccess["log"], answer: boolean): void {
    const differs = (): never => {
      throw new ModelError(
        `property "${p.name}" read different parts of two states that agree on every part it read before (or answered them differently): properties must be functions of the state (no clocks, randomness, I/O or state kept between calls)`
      )
    }
    let node = root
    for (let j = 0; j < log.what.length; j++) {
      const what = log.what[j]!
      if (node.what === UNKNOWN) {
        node.what = what
        node.predicate = log.predicates[j]
        node.children = new Map()
      } else if (node.what !== what) differs()
      let child = node.children!.get(log.values[j]!)
      if (child === undefined) {
        node.children!.set(log.values[j]!, (child = fresh()))
        this.nodeCount++
      }
      node = child
    }
    if (log.opaque) {
      if (node.what !== UNKNOWN && node.what !== OPAQUE) differs()
      node.what = OPAQUE
    } else {
      if (node.what === LEAF ? node.answer !== answer : node.what !== UNKNOWN) differs()
      node.what = LEAF
      node.answer = answer
    }
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
