#!/usr/bin/env node
// The `protoweave` executable: the command is written in TypeScript, so tsx is registered as a
// loader first, with the project's own tsconfig wherever the command is run from.
import { fileURLToPath } from "node:url"
import { register } from "tsx/esm/api"

register({ tsconfig: fileURLToPath(new URL("../tsconfig.json", import.meta.url)) })
await import("../cli/main.ts")
