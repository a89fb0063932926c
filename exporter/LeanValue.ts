/**
 * TypeScript values as Lean terms of their exported types: initial states in the generated
 * specs, and the sampled states, messages and results of the differential check. Node ids become
 * their position in the topology (`nodeIndex`), as the checker's codec numbers them; any other
 * string becomes its own constant above every position (`stringNode`), so that strings compare in
 * Lean as they do in TypeScript.
 *
 * @since 0.1.0
 */
import { ExportError } from "./ExportError.ts"
import { ident, type LeanType, render } from "./LeanType.ts"

/**
 * A string that is not a node id, as a Lean `Node`: 2^32 plus the number whose base-256 digits
 * are a 1 and the string's UTF-8 bytes. Distinct strings get distinct numbers, all above any
 * topology's positions; the string is kept beside it as a comment.
 *
 * @example
 * [stringNode(""), stringNode("a")] // => ["4294967297 /- \"\" -/", "4294967649 /- \"a\" -/"]
 */
export const stringNode = (s: string): string => {
  let n = 1n
  for (const byte of new TextEncoder().encode(s)) n = n * 256n + BigInt(byte)
  return `${(1n << 32n) + n} /- ${JSON.stringify(s).replaceAll("-/", "-\\/")} -/`
}

/**
 * Renders `value` of type `type` as a Lean term; `nodeIndex` numbers node ids, and is negative for
 * a string that is not one.
 *
 * @example
 * const pending = { kind: "struct", name: "Pending", fields: [{ name: "peer", type: { kind: "node" } }, { name: "args", type: { kind: "list", of: { kind: "int" } } }] } as const
 * renderValue({ peer: "c1", args: [1, -2] }, pending, (n) => ["s1", "c1"].indexOf(n)) // => "({ peer := 1, args := [1, (-2)] } : Pending)"
 * renderValue("leader", { kind: "enum", name: "Phase", values: ["idle", "leader"] }, () => -1) // => "Phase.leader"
 */
export const renderValue = (value: unknown, type: LeanType, nodeIndex: (id: string) => number, where = "value"): string => {
  const fail = (what: string): never => {
    throw new ExportError(where, `the value ${JSON.stringify(value)}`, what)
  }
  switch (type.kind) {
    case "int":
    case "nat":
      if (typeof value !== "number" || !Number.isInteger(value)) return fail(`it is not an integer (${render(type)})`)
      return value < 0 ? `(${value})` : String(value)
    case "bool":
      return typeof value === "boolean" ? String(value) : fail("it is not a boolean")
    case "node": {
      if (typeof value !== "string") return fail("it is not a node id")
      const i = nodeIndex(value)
      return i < 0 ? stringNode(value) : String(i)
    }
    case "enum":
      return typeof value === "string" && type.values.includes(value) ? `${type.name}.${ident(value)}` : fail(`it is not one of ${type.values.map((v) => JSON.stringify(v)).join(", ")}`)
    case "list": {
      if (!Array.isArray(value)) return fail("it is not an array")
      const items = value.map((v, i) => renderValue(v, type.of, nodeIndex, `${where}[${i}]`))
      return items.length === 0 ? `([] : ${render(type)})` : `[${items.join(", ")}]`
    }
    case "struct": {
      if (typeof value !== "object" || value === null) return fail(`it is not a ${type.name}`)
      const o = value as Record<string, unknown>
      const fields = type.fields.map((f) => `${ident(f.name)} := ${renderValue(o[f.name], f.type, nodeIndex, `${where}.${f.name}`)}`)
      return fields.length === 0 ? `({} : ${type.name})` : `({ ${fields.join(", ")} } : ${type.name})`
    }
    case "union": {
      if (typeof value !== "object" || value === null) return fail(`it is not a ${type.name}`)
      const o = value as Record<string, unknown>
      const variant = type.variants.find((v) => v.tag === o.tag)
      if (variant === undefined) return fail(`it has no tag of ${type.name}`)
      if (variant.payload !== undefined) return `(${type.name}.${variant.tag} ${renderValue(o.payload, variant.payload, nodeIndex, `${where}.payload`)})`
      const args = variant.fields.map((f) => renderValue(o[f.name], f.type, nodeIndex, `${where}.${f.name}`))
      return args.length === 0 ? `${type.name}.${variant.tag}` : `(${type.name}.${variant.tag} ${args.join(" ")})`
    }
    default:
      return fail(`values of ${type.kind} are rendered by the exporter itself`)
  }
}
