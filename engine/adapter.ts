/**
 * What each runtime (CPython, Node.js, rustc) provides to the engine. One adapter per
 * language; the engine never special-cases a demo.
 */
import { homedir } from 'node:os'
import { dirname } from 'node:path'
import { REPO_ROOT, type Demo } from './demos'
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
  /**
   * CPython 3.14+ only: the name of a function of the demo. At the first idle step where a
   * task's chain holds it (e.g. `blow_up`, awaiting its sleep) the program is held while
   * `python3.14 -m asyncio pstree <its pid>` runs against it (Recording.outsideView).
   */
  pstreeAt?: string
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

/**
 * The one place paths are rewritten: what of this machine's paths a recording may not
 * keep, and what each becomes. In order: the demo's own path (and its file:// URL) → its
 * repo-relative path (`demos/sync.py`); anything else in the demo's folder → `demos/…`;
 * in the project → repo-relative; under the home folder → `~/…`.
 */
export function pathRewrites(demo: Pick<Demo, 'absPath' | 'file'>): [from: string, to: string][] {
  const rules: [string, string][] = [
    [`file://${demo.absPath}`, demo.file],
    [demo.absPath, demo.file],
  ]
  const folders: [string, string][] = [
    [dirname(demo.absPath), dirname(demo.file)],
    [REPO_ROOT, ''],
    [homedir(), '~'],
  ]
  for (const [folder, to] of folders) {
    if (folder.length <= 1)
      continue // `/`: nothing to take away
    const prefix = to ? `${to}/` : ''
    rules.push([`file://${folder}/`, prefix], [`${folder}/`, prefix])
  }
  return rules
}

/** Rewrite the paths of this machine in a text (output, a frame's file, a note) so a recording is the same on every machine. */
export function portablePaths(text: string, demo: Pick<Demo, 'absPath' | 'file'>): string {
  for (const [from, to] of pathRewrites(demo)) {
    if (text.includes(from))
      text = text.split(from).join(to)
  }
  return text
}

/** Every string of a recording (but the demo's source) through `portablePaths`: what the engine hands out. */
export function portableRecording(recording: Recording, demo: Pick<Demo, 'absPath' | 'file'>): Recording {
  const walk = (value: unknown): unknown => {
    if (typeof value === 'string')
      return portablePaths(value, demo)
    if (Array.isArray(value))
      return value.map(walk)
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item)]))
    return value
  }
  const { source } = recording.demo
  const portable = walk(recording) as Recording
  portable.demo.source = source
  return portable
}

/**
 * A program that failed before it ran (the runtime could not compile it; its recording is
 * the compiler's output): what and where in a few words, `could not compile it (SyntaxError
 * at demos/bad.py:3)`; null for a program that ran. Every adapter notes it as
 * `<demo file> did not compile (…)`.
 */
export function compileFailure(recording: Recording): string | null {
  const { file } = recording.demo
  if (!recording.stepsNote?.includes(`${file} did not compile`))
    return null
  const stderr = recording.run.output.filter(chunk => chunk.stream === 'stderr').map(chunk => chunk.text).join('')
  const what = recording.traceback?.exception.type ?? /^(error(\[E\d+\])?)[:\s]/m.exec(stderr)?.[1] ?? 'an error'
  const escaped = file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const line = new RegExp(`${escaped}", line (\\d+)|${escaped}:(\\d+)`).exec(`${recording.traceback?.text ?? ''}\n${stderr}`)
  return `could not compile it (${what} at ${line ? `${file}:${line[1] ?? line[2]}` : file})`
}
