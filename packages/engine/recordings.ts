/**
 * Where recordings live on disk and how they are named: one JSON file per demo per runtime
 * version, `recordings/<demo>/<runtime>-<version>.json`, plus `recordings/manifest.json`
 * that says which one is each demo's default. Both are written by `npm run record` only.
 *
 * This is the one reader of both, for everyone (record, the deck's server, the export, the
 * tests): the manifest is validated (engine/schema.ts), and no entry of it can lead outside
 * the recordings folder: not by an absolute path, not by `..`, not by a symbolic link.
 */
import { closeSync, constants, existsSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, writeFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { basename, dirname, join, relative, resolve, sep } from 'node:path'
import { engineConfig } from './config'
import { fieldPath, parseManifest, parseRecording, RecordingError, type ManifestEntry, type Recording, type RuntimeInfo } from './schema'

export type { ManifestEntry }

/** The recordings folder of the project in the current directory (engine/config.ts). */
const defaultRecordingsDir = () => engineConfig().recordingsDir

/** A path as messages show it: relative inside the current directory, absolute elsewhere. */
export function shownPath(path: string): string {
  const rel = relative(process.cwd(), path)
  return rel && !rel.startsWith('..') && !rel.startsWith(sep) ? rel : path
}

export function runtimeSlug(runtime: Pick<RuntimeInfo, 'name' | 'version'>): string {
  return `${runtime.name.toLowerCase().replace(/[^a-z0-9]+/g, '')}-${runtime.version}`
}

export function recordingPath(demo: string, runtime: Pick<RuntimeInfo, 'name' | 'version'>, dir = defaultRecordingsDir()): string {
  return join(dir, demo, `${runtimeSlug(runtime)}.json`)
}

/** How the manifest names a recording: relative to the folder that holds the recordings folder (`recordings/sync/…json`). */
export function manifestFileOf(path: string, dir = defaultRecordingsDir()): string {
  return relative(dirname(dir), path).split(sep).join('/')
}

/** Write atomically: a crash never leaves half a recording where a good one was. */
export function writeJsonAtomic(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify(data, null, 1)}\n`)
  renameSync(tmp, path)
}

const inside = (path: string, dir: string) => path.startsWith(dir.endsWith(sep) ? dir : dir + sep)

/**
 * The real path of a file that must be inside the recordings folder: `path` (absolute)
 * must be in `dir` as written and once every link is resolved. Throws naming `shown`.
 */
function containedPath(path: string, dir: string, shown: string): string {
  const folder = `${basename(dir)}/`
  if (!inside(resolve(path), resolve(dir)))
    throw new RecordingError(`${shown} is not inside ${folder}`)
  let real: string
  let realDir: string
  try {
    realDir = realpathSync(dir)
    real = realpathSync(path)
  }
  catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new RecordingError(`${shown} is not there`)
    throw new RecordingError(`${shown} cannot be read: ${(error as Error).message}`)
  }
  if (!inside(real, realDir))
    throw new RecordingError(`${shown} is a symbolic link that leads outside ${folder}: recordings must stay inside ${folder}`)
  return real
}

/** A JSON file read without following a link in its last step (the path was checked just before). */
function readJsonFile(path: string, shown: string): unknown {
  let text: string
  let fd: number | undefined
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0))
    if (!fstatSync(fd).isFile())
      throw new Error('not a regular file')
    text = readFileSync(fd, 'utf8')
  }
  catch (error) {
    throw new RecordingError(`${shown}: cannot be read: ${(error as Error).message}`)
  }
  finally {
    if (fd !== undefined)
      closeSync(fd)
  }
  try {
    return JSON.parse(text)
  }
  catch (error) {
    throw new RecordingError(`${shown}: not readable JSON: ${(error as Error).message}`)
  }
}

/** One recording file, validated; `dir` is the recordings folder it must be inside. */
export function readRecording(path: string, dir = defaultRecordingsDir()): Recording {
  const shown = shownPath(path)
  return parseRecording(readJsonFile(containedPath(path, dir, shown), shown), shown)
}

/** Every recording in the folder (`<demo>/*.json`), validated. */
export function readAllRecordings(dir = defaultRecordingsDir()): { path: string, recording: Recording }[] {
  if (!existsSync(dir))
    return []
  const found: { path: string, recording: Recording }[] = []
  for (const demoDir of readdirSync(dir, { withFileTypes: true })) {
    const demoPath = join(dir, demoDir.name)
    if (demoDir.isSymbolicLink())
      containedPath(demoPath, dir, shownPath(demoPath)) // one that leaves is refused; one that stays is another name for a folder read anyway
    if (!demoDir.isDirectory())
      continue
    for (const file of readdirSync(demoPath)) {
      if (file.endsWith('.json')) {
        const path = join(demoPath, file)
        found.push({ path, recording: readRecording(path, dir) })
      }
    }
  }
  return found.sort((a, b) => a.path.localeCompare(b.path))
}

/** The manifest of the recordings folder, validated; none yet is an empty one. */
export function readManifest(dir = defaultRecordingsDir()): ManifestEntry[] {
  const file = join(dir, 'manifest.json')
  if (!existsSync(file) && !isLink(file))
    return []
  const shown = shownPath(file)
  const entries = parseManifest(readJsonFile(containedPath(file, dir, shown), shown), shown)
  for (const [i, entry] of entries.entries()) {
    const path = resolve(dirname(dir), entry.file)
    if (!inside(path, resolve(dir)))
      throw new RecordingError(`${shown}: invalid manifest at \`${fieldPath([i, 'file'])}\`: ${JSON.stringify(entry.file)} must be a path inside ${basename(dir)}/`)
  }
  return entries
}

/** Whether the path is a symbolic link (a dangling one too, which existsSync calls missing). */
export function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink()
  }
  catch {
    return false
  }
}

/** The absolute path of a manifest entry's recording, checked to be inside the recordings folder. */
export function manifestRecordingPath(entry: Pick<ManifestEntry, 'file'>, dir = defaultRecordingsDir()): string {
  const path = resolve(dirname(dir), entry.file)
  if (!inside(path, resolve(dir)) || entry.file.startsWith('/') || entry.file.split(/[\\/]/).includes('..'))
    throw new RecordingError(`${shownPath(join(dir, 'manifest.json'))}: ${JSON.stringify(entry.file)} must be a path inside ${basename(dir)}/`)
  return path
}

/** The recording a manifest entry names, validated, from inside the recordings folder only. */
export function readManifestRecording(entry: Pick<ManifestEntry, 'file'>, dir = defaultRecordingsDir()): Recording {
  return readRecording(manifestRecordingPath(entry, dir), dir)
}

// --- no path of the recording machine ---------------------------------------------------

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/** What gives a path of the recording machine away, and how to say it. */
function machinePatterns(projectRoot: string): [string, RegExp][] {
  const patterns: [string, RegExp][] = []
  const repo = projectRoot
  if (repo.length > 1)
    patterns.push(['the project folder', new RegExp(`${escape(repo)}(?![\\w.-])`)])
  const home = homedir()
  if (home.length > 1)
    patterns.push(['the home folder', new RegExp(`${escape(home)}(?![\\w.-])`)])
  patterns.push(['a home folder', /(^|[^\w.~-])\/(home|Users)\/[^/\s"'`]+\/|(^|[^\w.~-])\/root\//])
  const tmp = tmpdir()
  patterns.push(['a scratch folder', new RegExp(`(^|[^\\w.~-])(/tmp/|/var/folders/${tmp.length > 1 ? `|${escape(tmp)}/` : ''})`)])
  patterns.push(['another checkout of the project', /\/\.runtimes\/|\/node_modules\/\.cache\/async-stacks\/|\/[^\s"'`]+\/demos\/[\w-]+\.(py|mjs|js|rs)\b/])
  return patterns
}

function* strings(value: unknown, path: (string | number)[]): Generator<[(string | number)[], string]> {
  if (typeof value === 'string')
    yield [path, value]
  else if (Array.isArray(value))
    for (const [i, item] of value.entries()) yield* strings(item, [...path, i])
  else if (value && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) yield* strings(item, [...path, key])
}

/**
 * Every string of the recording that holds a path of this machine (this checkout, another
 * checkout, a home folder, a scratch folder), as `field: what: …excerpt…`; empty when it
 * is portable. The demo's source is the program itself and is not looked at.
 */
export function machinePaths(recording: Recording, projectRoot = process.cwd()): string[] {
  const patterns = machinePatterns(projectRoot)
  const found: string[] = []
  for (const [path, text] of strings(recording, [])) {
    if (path.length === 2 && path[0] === 'demo' && path[1] === 'source')
      continue
    for (const [what, pattern] of patterns) {
      const match = pattern.exec(text)
      if (match) {
        const at = match.index + (match[0].startsWith('/') ? 0 : 1)
        found.push(`${fieldPath(path)}: ${what}: ${JSON.stringify(text.slice(Math.max(0, at - 10), at + 50))}`)
        break
      }
    }
  }
  return found
}
