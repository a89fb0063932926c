/**
 * Finding a protocol's functions in its TypeScript source. The protocol value holds the functions
 * themselves, but their source is what gets translated: each send or receive transition is found
 * by its name (`const clientSend = Calc.send({ ... })`, or a property `clientSend: Calc.send(...)`),
 * coherence by the `coherence:` property of the `protocol({ ... })` call, and helpers by their
 * top-level `const`. An invariant layer or a property is found where it was declared: the value
 * records the position of its `withInvariant(...)`/`always(...)` call (`core/CallSite.ts`), and
 * `predicateAt` reads the predicate argument of the call at that position (never a search by
 * name). The TypeScript compiler's own parser reads the files (never regular expressions), and
 * every node keeps its file and line for the errors.
 *
 * @since 0.1.0
 */
import * as fs from "node:fs"
import * as path from "node:path"
import ts from "typescript"
import { ExportError } from "./ExportError.ts"

/** A parsed source file, with the path errors show (relative to the repository root). */
export interface SourceFile {
  readonly file: string
  readonly ast: ts.SourceFile
}

/**
 * Parses `file` (repository-relative) under `root`.
 *
 * @example
 * const source = parse(".", "exporter/ExportError.ts")
 * source.file // => "exporter/ExportError.ts"
 */
export const parse = (root: string, file: string): SourceFile => fromText(file, fs.readFileSync(path.join(root, file), "utf8"))

/**
 * Parses `text` as the source of `file`.
 *
 * @example
 * fromText("x.ts", "const a = 1").ast.statements.length // => 1
 */
export const fromText = (file: string, text: string): SourceFile => ({
  file,
  ast: ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS)
})

/**
 * `file:line:column` of a node, 1-based.
 *
 * @example
 * const source = parse(".", "exporter/ExportError.ts")
 * locate(source, source.ast.statements[0]!) // => "exporter/ExportError.ts:16:1"
 */
export const locate = (source: SourceFile, node: ts.Node): string => {
  const { line, character } = source.ast.getLineAndCharacterOfPosition(node.getStart(source.ast))
  return `${source.file}:${line + 1}:${character + 1}`
}

const walk = (node: ts.Node, visit: (n: ts.Node) => void): void => {
  visit(node)
  node.forEachChild((child) => walk(child, visit))
}

/** A function found in a source file: its node, and the file it is in. */
export interface Located {
  readonly source: SourceFile
  readonly fn: ts.ArrowFunction | ts.FunctionExpression
}

const asFunction = (source: SourceFile, node: ts.Node | undefined, what: string, where: ts.Node): ts.ArrowFunction | ts.FunctionExpression => {
  if (node !== undefined && (ts.isArrowFunction(node) || ts.isFunctionExpression(node))) return node
  throw new ExportError(locate(source, node ?? where), what, "only inline arrow functions are translated")
}

const propertyOf = (object: ts.ObjectLiteralExpression, name: string): ts.Expression | undefined => {
  for (const p of object.properties) {
    if (ts.isPropertyAssignment(p) && p.name.getText() === name) return p.initializer
    if (ts.isMethodDeclaration(p) && p.name.getText() === name) return undefined
  }
  return undefined
}

/** The functions of a transition as written in its declaration. */
export interface TransitionSource {
  readonly name: string
  readonly kind: "send" | "receive"
  readonly guard?: Located
  readonly accepts?: Located
  readonly step: Located
}

/** The name a `X.send({...})` / `X.receive({...})` call is bound to, if any. */
const boundName = (call: ts.CallExpression): string | undefined => {
  const parent = call.parent
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text
  if (ts.isPropertyAssignment(parent)) return parent.name.getText()
  return undefined
}

/**
 * Every send and receive transition declared in `source`, by name.
 *
 * @example
 * const source = parse(".", "protocols/Calculator/Protocol.ts")
 * [...transitions(source).keys()] // => ["clientSend", "serverRecv", "serverSend", "clientRecv"]
 */
export const transitions = (source: SourceFile): ReadonlyMap<string, TransitionSource> => {
  const found = new Map<string, TransitionSource>()
  walk(source.ast, (node) => {
    if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression)) return
    const method = node.expression.name.text
    if (method !== "send" && method !== "receive") return
    const spec = node.arguments[0]
    if (spec === undefined || !ts.isObjectLiteralExpression(spec) || propertyOf(spec, "tag") === undefined) return
    const name = boundName(node)
    if (name === undefined) return
    const fn = (key: string): Located | undefined => {
      const init = propertyOf(spec, key)
      return init === undefined ? undefined : { source, fn: asFunction(source, init, `the ${key} of "${name}"`, spec) }
    }
    const step = fn("step")
    if (step === undefined) throw new ExportError(locate(source, spec), `the transition "${name}"`, "it has no inline step function")
    const guard = fn("guard")
    const accepts = fn("accepts")
    found.set(name, { name, kind: method, step, ...(guard === undefined ? {} : { guard }), ...(accepts === undefined ? {} : { accepts }) })
  })
  return found
}

/**
 * The coherence function of the `protocol({ ... coherence })` call in `source`, if any.
 *
 * @example
 * coherence(parse(".", "protocols/TwoPhaseCommit/Protocol.ts")) // => undefined
 */
export const coherence = (source: SourceFile): Located | undefined => {
  let found: Located | undefined
  walk(source.ast, (node) => {
    if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression) || node.expression.name.text !== "protocol") return
    const spec = node.arguments[0]
    if (spec === undefined || !ts.isObjectLiteralExpression(spec)) return
    const init = propertyOf(spec, "coherence")
    if (init !== undefined) found = { source, fn: asFunction(source, init, "the coherence predicate", spec) }
  })
  return found
}

/**
 * The `holds` function of every `SendHook.make({ name: "...", ..., holds })` in `source`, by name.
 *
 * @example
 * [...hooks(parse(".", "protocols/QueryTpc/Protocol.ts")).keys()] // => ["answerWithOwnLog"]
 */
export const hooks = (source: SourceFile): ReadonlyMap<string, Located> => {
  const found = new Map<string, Located>()
  walk(source.ast, (node) => {
    if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression) || node.expression.name.text !== "make") return
    const spec = node.arguments[0]
    if (spec === undefined || !ts.isObjectLiteralExpression(spec)) return
    const name = propertyOf(spec, "name")
    const holds = propertyOf(spec, "holds")
    if (name === undefined || !ts.isStringLiteral(name) || holds === undefined) return
    found.set(name.text, { source, fn: asFunction(source, holds, `the condition of the hook "${name.text}"`, spec) })
  })
  return found
}

/** A declaration's call: where it is, and its predicate, or why it has none to translate. */
export interface PropertySource {
  /** `file:line:column` of the call (of the position the value names, when no call starts there). */
  readonly at: string
  readonly located: Located | ExportError
}

/** The call whose callee's name (`always` of `Property.always`, or `withInvariant`) starts at `line:column` (1-based). */
const callAt = (source: SourceFile, line: number, column: number): ts.CallExpression | undefined => {
  const lines = source.ast.getLineStarts()
  if (line < 1 || line > lines.length) return undefined
  const position = lines[line - 1]! + column - 1
  let found: ts.CallExpression | undefined
  walk(source.ast, (node) => {
    if (found !== undefined || !ts.isCallExpression(node)) return
    const callee = ts.isPropertyAccessExpression(node.expression) ? node.expression.name : node.expression
    if (callee.getStart(source.ast) === position) found = node
  })
  return found
}

/**
 * The predicate of the declaration `name` made by the call at `line:column` of `source` (where
 * the engine says it was called, `core/CallSite.ts`): its last argument, an inline arrow function,
 * or the name of a top-level `const` arrow function of that file or of a file it imports with a
 * relative path, which is followed there. Anything else is returned as the reason it cannot be
 * translated, with its own `file:line:column`.
 *
 * @example
 * const source = fromText("p.ts", 'const ok = (s) => s.soup.length === 0\nconst inv = Property.always(p, "ok", ok)')
 * const found = predicateAt(".", source, 2, 22, "ok")
 * found.at // => "p.ts:2:13"
 * "fn" in found.located && locate(found.located.source, found.located.fn) // => "p.ts:1:12"
 */
export const predicateAt = (root: string, source: SourceFile, line: number, column: number, name: string): PropertySource => {
  const position = `${source.file}:${line}:${column}`
  const call = callAt(source, line, column)
  if (call === undefined) {
    return { at: position, located: new ExportError(position, `the declaration of "${name}"`, "no call starts at this position of the file (was it changed after the module was loaded?)") }
  }
  const at = locate(source, call)
  const declared = call.arguments[1]
  if (declared !== undefined && ts.isStringLiteralLike(declared) && declared.text !== name) {
    return { at, located: new ExportError(locate(source, declared), `the call declaring "${declared.text}"`, `the value's call site names "${name}" (was the file changed after the module was loaded?)`) }
  }
  const arg = call.arguments.at(-1)
  if (arg === undefined) return { at, located: new ExportError(at, `the declaration of "${name}"`, "the call has no predicate argument") }
  try {
    return { at, located: followed(root, source, arg, `the predicate of "${name}"`) }
  } catch (e) {
    if (!(e instanceof ExportError)) throw e
    return { at, located: e }
  }
}

/** An inline function, or the top-level function a name refers to in its file or in a relative import. */
const followed = (root: string, source: SourceFile, node: ts.Expression, what: string): Located => {
  if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) return { source, fn: node }
  if (!ts.isIdentifier(node)) return { source, fn: asFunction(source, node, what, node) }
  const local = topLevelFunctions(source).get(node.text)
  if (local !== undefined) return { source: local.source, fn: local.fn }
  for (const statement of source.ast.statements) {
    if (!ts.isImportDeclaration(statement) || !ts.isStringLiteral(statement.moduleSpecifier)) continue
    const bindings = statement.importClause?.namedBindings
    if (bindings === undefined || !ts.isNamedImports(bindings)) continue
    const specifier = bindings.elements.find((e) => e.name.text === node.text)
    if (specifier === undefined) continue
    const module = statement.moduleSpecifier.text
    if (!module.startsWith(".")) {
      throw new ExportError(locate(source, node), `${what}, \`${node.text}\` imported from "${module}"`, "only functions of this file or of a relative import are read")
    }
    const target = parse(root, path.posix.join(path.posix.dirname(source.file), module))
    const exported = topLevelFunctions(target).get((specifier.propertyName ?? specifier.name).text)
    if (exported === undefined) {
      throw new ExportError(locate(source, node), `${what}, \`${node.text}\``, `${target.file} has no top-level const arrow function of that name`)
    }
    return { source: target, fn: exported.fn }
  }
  throw new ExportError(locate(source, node), `${what}, \`${node.text}\``, "it is neither an inline arrow function nor a top-level const arrow function of this file or of a relative import")
}

/**
 * `file:line:column` of the schema declared as the top-level `const name` of one of `sources`, or
 * of the field `path` inside it, as deep as the declaration spells the path out.
 *
 * @example
 * schemaLocation([parse(".", "protocols/Calculator/Protocol.ts")], "Pending", ["args"]) // => "protocols/Calculator/Protocol.ts:19:61"
 */
export const schemaLocation = (sources: ReadonlyArray<SourceFile>, name: string, path: ReadonlyArray<string>): string | undefined => {
  for (const source of sources) {
    for (const statement of source.ast.statements) {
      if (!ts.isVariableStatement(statement)) continue
      const d = statement.declarationList.declarations.find((x) => ts.isIdentifier(x.name) && x.name.text === name)
      if (d?.initializer === undefined) continue
      let node: ts.Node = d
      for (const field of path) {
        const inner = fieldIn(node === d ? d.initializer : node, field)
        if (inner === undefined) break
        node = inner
      }
      return locate(source, node)
    }
  }
  return undefined
}

/** The nearest property named `field` in object literals under `node`, outside functions. */
const fieldIn = (node: ts.Node, field: string): ts.Node | undefined => {
  const queue: Array<ts.Node> = [node]
  while (queue.length > 0) {
    const n = queue.shift()!
    if (ts.isObjectLiteralExpression(n)) {
      const p = n.properties.find((x) => (ts.isPropertyAssignment(x) || ts.isShorthandPropertyAssignment(x)) && x.name.getText() === field)
      if (p !== undefined) return p
    }
    if (n !== node && (ts.isArrowFunction(n) || ts.isFunctionExpression(n))) continue
    n.forEachChild((c) => {
      queue.push(c)
    })
  }
  return undefined
}

/**
 * `file:line:column` of an entry of the protocol's `signature({ roles, initial, messages })` call
 * in `source` (`roles.client`, `initial.client`, `messages.req`); of the call itself when the entry
 * is not spelled out there; and of the file's first line when there is no such call.
 *
 * @example
 * const source = parse(".", "protocols/Calculator/Protocol.ts")
 * [signatureEntry(source, "initial", "server"), signatureEntry(source, "messages", "nothing")] // => ["protocols/Calculator/Protocol.ts:60:41", "protocols/Calculator/Protocol.ts:57:16"]
 */
export const signatureEntry = (source: SourceFile, key: "roles" | "initial" | "messages", entry: string): string => {
  let call: ts.CallExpression | undefined
  walk(source.ast, (node) => {
    if (call === undefined && ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "signature") call = node
  })
  if (call === undefined) return `${source.file}:1:1`
  const spec = call.arguments[0]
  const group = spec !== undefined && ts.isObjectLiteralExpression(spec) ? propertyOf(spec, key) : undefined
  const item = group !== undefined && ts.isObjectLiteralExpression(group) ? group.properties.find((p) => p.name?.getText() === entry) : undefined
  return locate(source, item ?? call)
}

/** A top-level `const name = (...) => ...` of a source file. */
export interface TopLevelFunction {
  readonly source: SourceFile
  readonly name: string
  readonly fn: ts.ArrowFunction | ts.FunctionExpression
}

/**
 * The top-level arrow functions of `source`, by name (the helpers transitions may call).
 *
 * @example
 * [...topLevelFunctions(parse(".", "protocols/Calculator/index.ts")).keys()].slice(0, 2) // => ["f", "prec"]
 */
export const topLevelFunctions = (source: SourceFile): ReadonlyMap<string, TopLevelFunction> => {
  const found = new Map<string, TopLevelFunction>()
  for (const statement of source.ast.statements) {
    if (!ts.isVariableStatement(statement)) continue
    for (const d of statement.declarationList.declarations) {
      if (ts.isIdentifier(d.name) && d.initializer !== undefined && (ts.isArrowFunction(d.initializer) || ts.isFunctionExpression(d.initializer))) {
        found.set(d.name.text, { source, name: d.name.text, fn: d.initializer })
      }
    }
  }
  return found
}

/**
 * The top-level type aliases of `source`, by name.
 *
 * @example
 * [...typeAliases(parse(".", "protocols/TwoPhaseCommit/index.ts")).keys()] // => ["Shape", "Entry", "Coordinator", "Participant"]
 */
export const typeAliases = (source: SourceFile): ReadonlyMap<string, ts.TypeNode> => {
  const found = new Map<string, ts.TypeNode>()
  for (const statement of source.ast.statements) {
    if (ts.isTypeAliasDeclaration(statement)) found.set(statement.name.text, statement.type)
  }
  return found
}
