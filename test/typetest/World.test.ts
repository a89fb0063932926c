/**
 * Type tests of worlds and send-hooks (`combinators/`, `hooks/SendHook.ts`), checked by `tsc -p .`.
 *
 * - Negative: every `// @ts-expect-error` marks a declaration that must not compile, for the
 *   reason it states; the `it` blocks run them and assert that the run-time validation refuses
 *   the same mistake by name.
 * - Positive: a hook's predicate is typed from both protocols, and a world's properties see one
 *   statelet per label with its protocol's types.
 */
import { assert, describe, it } from "vitest"
import { answerFromOwnLog } from "../../hooks/AnswerFromOwnLog.ts"
import { onlyWhileHolding } from "../../hooks/OnlyWhileHolding.ts"
import * as SendHook from "../../hooks/SendHook.ts"
import * as World from "../../combinators/World.ts"
import * as Calculator from "../../protocols/Calculator/index.ts"
import * as LockResource from "../../protocols/LockResource/index.ts"
import type { NodeId } from "../../typings/Protocol.ts"
import type { Equal, Expect } from "./helpers.ts"

const { lock, resource } = LockResource

const clashingLabels = () =>
  World.make({
    label: "twice",
    // @ts-expect-error two protocols of a world share the label "lock"
    protocols: [lock, lock]
  })

const hookOutsideWorld = () =>
  World.make({
    label: "partial",
    protocols: [resource, Calculator.protocol],
    // @ts-expect-error the hook's core protocol "lock" is not in the world
    hooks: [LockResource.onlyHolderWrites]
  })

const hookOnUnknownTag = () =>
  SendHook.make({
    name: "noSuchTag",
    core: lock,
    coreRole: "client",
    client: resource,
    // @ts-expect-error "erase" is not a tag the resource protocol sends
    tag: "erase",
    holds: () => true
  })

const hookOnUnknownRole = () =>
  SendHook.make({
    name: "noSuchRole",
    core: lock,
    // @ts-expect-error "admin" is not a role of the lock protocol
    coreRole: "admin",
    client: resource,
    tag: "write",
    holds: () => true
  })

const hookReadsWrongField = () =>
  SendHook.make({
    name: "wrongField",
    core: lock,
    coreRole: "server",
    client: resource,
    tag: "write",
    // @ts-expect-error the lock server's state has no `phase` (that is the client's)
    holds: (server) => server.phase === "holding"
  })

const holdingReadsWrongRole = () =>
  onlyWhileHolding({
    name: "wrongRole",
    lock,
    role: "server",
    client: resource,
    tag: "write",
    // @ts-expect-error the lock server's state has no `phase`: "holding the lock" is read from the role given
    holding: (server) => server.phase === "holding"
  })

const fenceOfAnotherType = () =>
  onlyWhileHolding({
    name: "fenceTypes",
    lock,
    role: "client",
    client: resource,
    tag: "write",
    holding: (c) => c.phase === "holding",
    // @ts-expect-error a fence token is a primitive compared with ===, not an object
    fence: { held: (c) => ({ epoch: c.epoch }), sent: (w) => ({ epoch: w.epoch }) }
  })

const answerOfAnotherType = () =>
  answerFromOwnLog({
    name: "answerTypes",
    core: lock,
    coreRole: "client",
    client: resource,
    tag: "write",
    log: (c) => [c.epoch],
    // @ts-expect-error the answer must be of the log entries' type (a number here, not a string)
    answer: (w) => String(w.value)
  })

describe("World and SendHook types", () => {
  it("types the library hooks from both protocols, and they still validate at run time", () => {
    onlyWhileHolding({
      name: "typed",
      lock,
      role: "client",
      client: resource,
      tag: "write",
      holding: (c) => {
        type Checks = [Expect<Equal<typeof c, LockResource.Protocol.ClientState>>]
        const checks: Checks = [true]
        return checks.length === 1 && c.phase === "holding"
      },
      fence: { held: (c) => c.epoch, sent: (w) => w.epoch }
    })
    assert.doesNotThrow(holdingReadsWrongRole, "a wrong field is a type error only")
    assert.doesNotThrow(fenceOfAnotherType)
    assert.doesNotThrow(answerOfAnotherType)
  })


  it("types a hook's predicate from both protocols", () => {
    SendHook.make({
      name: "typed",
      core: lock,
      coreRole: "client",
      client: resource,
      tag: "write",
      holds: (holder, writer, msg, to) => {
        type Checks = [
          Expect<Equal<typeof holder, LockResource.Protocol.ClientState>>,
          Expect<Equal<typeof writer, { readonly written: number }>>,
          Expect<Equal<typeof msg, { readonly epoch: number; readonly value: number }>>
        ]
        const checks: Checks = [true, true, true]
        return checks.length === 3 && to.length > 0
      }
    })
  })

  it("gives world properties one typed statelet per label", () => {
    World.always(LockResource.world, "typed", (s, nodes) => {
      type Checks = [
        Expect<Equal<(typeof s.lock.locals.client)[string], LockResource.Protocol.ClientState>>,
        Expect<Equal<(typeof nodes.resource.store)[number], NodeId<"resource", "store">>>
      ]
      const checks: Checks = [true, true]
      return checks.length === 2
    })
  })

  it("refuses at run time what it refuses in the types", () => {
    assert.throws(clashingLabels, World.WorldSpecError, /two protocols have the label "lock"/)
    assert.throws(hookOutsideWorld, World.WorldSpecError, /hook "onlyHolderWrites" names "lock"/)
    assert.throws(hookOnUnknownTag, /protocol "resource" sends no tag "erase"/)
    assert.throws(hookOnUnknownRole, /protocol "lock" has no role "admin"/)
    assert.doesNotThrow(hookReadsWrongField, "a wrong field is a type error only")
  })
})
