/**
 * What each runtime (CPython, Node.js, rustc) provides to the engine. One adapter per
 * language; the engine never special-cases a demo.
 */
import type { Demo } from './demos'
import type { Language, Recording, RunEvent, RuntimeInfo } from './schema'

export interface RecordOptions {
  demo: Demo
  runtime: RuntimeInfo
  timeoutMs?: number
  outputCapBytes?: number
  /** Aborting kills the run (client went away). */
  signal?: AbortSignal
  /** Called as things happen: output chunks and steps, in order. */
  onEvent?: (event: RunEvent) => void
}

export interface PlainCommand {
  command: string
  args: string[]
  /** What a user would type, repo-relative: `python3 demos/sync.py`. */
  display: string[]
}

export interface RuntimeAdapter {
  language: Language
  /** Every installation of this runtime found on this machine; the default one first. */
  discover: () => Promise<RuntimeInfo[]>
  /**
   * The same default as `discover()[0]`, found without probing every other installation
   * (`npm run record` and live runs only need this one; probing them all costs a second).
   */
  discoverDefault: () => Promise<RuntimeInfo | null>
  /** The untraced command, for plain runs (the reference the traced run must match). */
  plainCommand: (demo: Demo, runtime: RuntimeInfo) => PlainCommand
  /** Run the demo traced and return its recording; report events while it runs. */
  record: (options: RecordOptions) => Promise<Recording>
}

/** Rewrite the demo's absolute path (and its file:// URL) to the repo-relative one. */
export function relativizeDemoPath(text: string, demo: Demo): string {
  return text
    .split(`file://${demo.absPath}`).join(demo.file)
    .split(demo.absPath).join(demo.file)
}
