#!/usr/bin/env node
// The `protoweave` executable. Installed from a package, it runs the built command
// (dist/cli/main.js) with Node alone. In a checkout of the repository, where the sources sit beside
// it, it runs them through tsx (with the repository's tsconfig) instead, so that a dist/ left by an
// earlier `npm pack` never runs in place of the code being edited.
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

const source = new URL("../cli/main.ts", import.meta.url)
if (existsSync(fileURLToPath(source))) {
  const { register } = await import("tsx/esm/api")
  register({ tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)) })
  await import(source.href)
} else {
  await import(new URL("../dist/cli/main.js", import.meta.url).href)
}
