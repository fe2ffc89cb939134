#!/usr/bin/env node
// The engine ships as TypeScript source (as Slidev addons do); tsx runs it as it is.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../cli/index.ts')
process.exitCode = await main(process.argv.slice(2))
