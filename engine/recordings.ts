/**
 * Where recordings live on disk and how they are named: one JSON file per demo per runtime
 * version, `recordings/<demo>/<runtime>-<version>.json`, plus `recordings/manifest.json`
 * that says which one is each demo's default. Both are written by `npm run record` only.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { REPO_ROOT } from './demos'
import { parseRecording, type Recording, type RuntimeInfo } from './schema'

export const RECORDINGS_DIR = join(REPO_ROOT, 'recordings')
export const MANIFEST_FILE = join(RECORDINGS_DIR, 'manifest.json')

export interface ManifestEntry {
  demo: string
  runtime: string
  version: string
  /** Repo-relative path of the recording. */
  file: string
  /** The recording the deck shows for this demo unless a slide asks for another version. */
  default: boolean
}

export function runtimeSlug(runtime: Pick<RuntimeInfo, 'name' | 'version'>): string {
  return `${runtime.name.toLowerCase().replace(/[^a-z0-9]+/g, '')}-${runtime.version}`
}

export function recordingPath(demo: string, runtime: Pick<RuntimeInfo, 'name' | 'version'>, dir = RECORDINGS_DIR): string {
  return join(dir, demo, `${runtimeSlug(runtime)}.json`)
}

/** Write atomically: a crash never leaves half a recording where a good one was. */
export function writeJsonAtomic(path: string, data: unknown): void {
  mkdirSync(dirname(path), { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, `${JSON.stringify(data, null, 1)}\n`)
  renameSync(tmp, path)
}

export function readRecording(path: string): Recording {
  let data: unknown
  try {
    data = JSON.parse(readFileSync(path, 'utf8'))
  }
  catch (error) {
    throw new Error(`${path}: not readable JSON: ${(error as Error).message}`)
  }
  return parseRecording(data, path)
}

/** Every committed recording, validated. */
export function readAllRecordings(dir = RECORDINGS_DIR): { path: string, recording: Recording }[] {
  if (!existsSync(dir))
    return []
  const found: { path: string, recording: Recording }[] = []
  for (const demoDir of readdirSync(dir, { withFileTypes: true })) {
    if (!demoDir.isDirectory())
      continue
    for (const file of readdirSync(join(dir, demoDir.name))) {
      if (file.endsWith('.json')) {
        const path = join(dir, demoDir.name, file)
        found.push({ path, recording: readRecording(path) })
      }
    }
  }
  return found.sort((a, b) => a.path.localeCompare(b.path))
}

export function readManifest(dir = RECORDINGS_DIR): ManifestEntry[] {
  const file = join(dir, 'manifest.json')
  if (!existsSync(file))
    return []
  return JSON.parse(readFileSync(file, 'utf8')) as ManifestEntry[]
}
