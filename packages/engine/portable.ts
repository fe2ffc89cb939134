/**
 * The one place a recording loses the paths of the machine that made it: what of this
 * machine's paths a recording may not keep, what each becomes, and the output stream
 * rewritten as it is streamed.
 */
import { homedir } from 'node:os'
import { dirname, relative, isAbsolute } from 'node:path'
import type { Demo } from './demos'
import type { OutputChunk, Recording } from './schema'

type DemoPaths = Pick<Demo, 'absPath' | 'file' | 'root'>

/**
 * The one place paths are rewritten: what of this machine's paths a recording may not
 * keep, and what each becomes. In order: the demo's own path (and its file:// URL) → its
 * project-relative path (`demos/sync.py`); anything else in the demo's folder → `demos/…`;
 * in the project (the demo's root) → project-relative; in the folder the engine was started
 * in (a deck's checkout, whose `.runtimes/` may hold the runtime) → relative to it, unless that
 * folder holds the home folder; under the home folder → `~/…`.
 */
export function pathRewrites(demo: DemoPaths): [from: string, to: string][] {
  // Asked for every string of every step: made once per demo.
  const cwd = process.cwd()
  const key = `${demo.absPath}\0${demo.file}\0${demo.root}\0${cwd}`
  const known = rewriteRules.get(key)
  if (known)
    return known
  const rules: [string, string][] = [
    [`file://${demo.absPath}`, demo.file],
    [demo.absPath, demo.file],
  ]
  const folders: [string, string][] = [
    [dirname(demo.absPath), dirname(demo.file)],
    [demo.root, ''],
    ...(holds(cwd, homedir()) ? [] : [[cwd, ''] as [string, string]]),
    [homedir(), '~'],
  ]
  for (const [folder, to] of folders) {
    if (folder.length <= 1)
      continue // `/`: nothing to take away
    const prefix = to ? `${to}/` : ''
    rules.push([`file://${folder}/`, prefix], [`${folder}/`, prefix])
  }
  rewriteRules.set(key, rules)
  return rules
}

const rewriteRules = new Map<string, [string, string][]>()

/** `folder` is `path` or one of its ancestors. */
function holds(folder: string, path: string): boolean {
  const rel = relative(folder, path)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

/** Rewrite the paths of this machine in a text (output, a frame's file, a note) so a recording is the same on every machine. */
export function portablePaths(text: string, demo: DemoPaths): string {
  if (!text.includes('/'))
    return text // every path rewritten has one: most strings of a step (names, source lines) are passed at once
  for (const [from, to] of pathRewrites(demo)) {
    if (text.includes(from))
      text = text.split(from).join(to)
  }
  return text
}

/** Every string of a recording (but the demo's source) through `portablePaths`: what the engine hands out. */
export function portableRecording(recording: Recording, demo: DemoPaths): Recording {
  const portable = portableValue(recording, demo)
  portable.demo.source = recording.demo.source
  return portable
}

/** Every string of a value (a step, an event) through `portablePaths`, in a copy. */
export function portableValue<T>(value: T, demo: DemoPaths): T {
  const walk = (item: unknown): unknown => {
    if (typeof item === 'string')
      return portablePaths(item, demo)
    if (Array.isArray(item))
      return item.map(walk)
    if (item && typeof item === 'object')
      return Object.fromEntries(Object.entries(item).map(([key, inner]) => [key, walk(inner)]))
    return item
  }
  return walk(value) as T
}


/** Makes output portable as it streams, holding back a tail that could be the start of a path to rewrite. */
export class PortableOutput {
  private pending: Record<OutputChunk['stream'], { text: string, atMs: number } | null> = { stdout: null, stderr: null }
  readonly chunks: OutputChunk[] = []
  private readonly needles: string[]
  constructor(private demo: DemoPaths, private emit: (chunk: OutputChunk) => void) {
    this.needles = pathRewrites(demo).map(([from]) => from)
  }

  push(chunk: OutputChunk): void {
    const held = this.pending[chunk.stream]
    const text = (held?.text ?? '') + chunk.text
    let keep = 0
    for (const needle of this.needles) {
      for (let k = Math.min(needle.length - 1, text.length); k > keep; k--) {
        if (text.endsWith(needle.slice(0, k))) {
          keep = k
          break
        }
      }
    }
    this.pending[chunk.stream] = keep ? { text: text.slice(text.length - keep), atMs: held?.atMs ?? chunk.atMs } : null
    this.out(chunk.stream, text.slice(0, text.length - keep), held?.atMs ?? chunk.atMs)
  }

  flush(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const held = this.pending[stream]
      this.pending[stream] = null
      if (held)
        this.out(stream, held.text, held.atMs)
    }
  }

  private out(stream: OutputChunk['stream'], raw: string, atMs: number): void {
    if (!raw)
      return
    const chunk: OutputChunk = { stream, atMs, text: portablePaths(raw, this.demo) }
    this.emit(chunk)
    const last = this.chunks.at(-1)
    // Like spawnLimited: consecutive pieces of one stream within 1 ms are one chunk.
    if (last && last.stream === stream && atMs - last.atMs < 1)
      last.text += chunk.text
    else
      this.chunks.push({ ...chunk })
  }
}
