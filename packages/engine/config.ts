/**
 * Where the engine works: one object, handed to whatever needs a folder, instead of paths
 * fixed at import time. A deck (or any folder) is a project: its demos, its recordings, the
 * runtimes `async-stacks runtimes` installed for it default to folders of the project's root —
 * the current directory unless told otherwise (`ASYNC_STACKS_RUNTIMES` moves the runtimes,
 * so several projects on one machine share them). What the engine builds (compiled Rust
 * demos) is kept in the demo's project, `node_modules/.cache/async-stacks/`.
 *
 *   engineConfig()                                   ./demos, ./recordings, ./.runtimes
 *   engineConfig({ root: 'examples/minimal' })       the same, under that folder
 *   engineConfig({ demos: 'talk/demos' })            one folder moved, the rest as default
 *
 * Relative paths are taken from the current directory; every path in the result is absolute.
 */
import { join, resolve } from 'node:path'

export interface EngineConfig {
  /** The project: spawned programs run here, and recorded paths under it lose it (portable.ts). */
  root: string
  /** The demos folder: one file per demo (demos.ts). */
  demosDir: string
  /** The recordings folder: `<demo>/<runtime>-<version>.json` and `manifest.json` (recordings.ts). */
  recordingsDir: string
  /** Runtimes installed for this project: `node-<major>/`, `python-3.14/` (git-ignored). */
  runtimesDir: string
}

export interface EngineConfigOptions {
  root?: string
  demos?: string
  recordings?: string
  runtimes?: string
}

export function engineConfig(options: EngineConfigOptions = {}): EngineConfig {
  const root = resolve(options.root ?? '.')
  return {
    root,
    demosDir: resolve(options.demos ?? join(root, 'demos')),
    recordingsDir: resolve(options.recordings ?? join(root, 'recordings')),
    runtimesDir: resolve(options.runtimes ?? process.env.ASYNC_STACKS_RUNTIMES ?? join(root, '.runtimes')),
  }
}
