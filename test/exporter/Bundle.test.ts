/** One Lean file from many, and Lean's messages mapped back to their files. */
import { assert, describe, it } from "vitest"
import { bundle } from "../../exporter/Bundle.ts"
import { provedBy, readMessages } from "../../exporter/LeanMessage.ts"

describe("bundling", () => {
  const sources = [
    { file: "C.lean", module: "C", text: "import A\nimport B\ntheorem c : b = a := rfl" },
    { file: "B.lean", module: "B", text: "import A\ndef b := a" },
    { file: "A.lean", module: "A", text: "def a := 1" }
  ]

  it("orders sources after their imports and drops the import lines", () => {
    assert.strictEqual(bundle(sources).text, "def a := 1\n\ndef b := a\n\ntheorem c : b = a := rfl")
  })

  it("maps every line back to its file and line", () => {
    const b = bundle(sources)
    assert.deepStrictEqual(b.origin[4], { file: "C.lean", line: 3 })
    const { messages } = readMessages("Bundle.lean:5:22: error: type mismatch\n  rfl\nBundle.lean:3:0: warning: unused", "Bundle.lean", b)
    assert.deepStrictEqual(
      messages.map((m) => [m.severity, m.file, m.line, m.text]),
      [
        ["error", "C.lean", 3, "type mismatch\n  rfl"],
        ["warning", "B.lean", 2, "unused"]
      ]
    )
  })

  it("refuses an import that is not bundled, and cycles", () => {
    assert.throws(() => bundle([{ file: "X.lean", module: "X", text: "import Y" }]), /imports Y, which is not in the bundle/)
    assert.throws(
      () => bundle([{ file: "X.lean", module: "X", text: "import Y" }, { file: "Y.lean", module: "Y", text: "import X" }]),
      /import cycle/
    )
  })

  it("reads which rung of the ladder proved which obligation", () => {
    const output = "protoweave: a_init proved by simp_all\nprotoweave: a_preserved_by_t proved by simp_all; grind\n"
    assert.deepStrictEqual([...provedBy(output)], [["a_init", "simp_all"], ["a_preserved_by_t", "simp_all; grind"]])
  })
})
