/**
 * Demos are files in `demos/`; the runtime comes from the extension. A new demo is a new
 * file and nothing else.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { extname, join, basename } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Language } from './schema'

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '')
export const DEMOS_DIR = join(REPO_ROOT, 'demos')

export const LANGUAGE_BY_EXTENSION: Record<string, Language> = {
  '.py': 'python',
  '.mjs': 'javascript',
  '.js': 'javascript',
  '.rs': 'rust',
}

export interface Demo {
  /** File name without extension, unique across demos: `async_loop`. */
  name: string
  /** Repo-relative path with forward slashes: `demos/async_loop.py`. */
  file: string
  absPath: string
  language: Language
  source: string
}

/** A demo name is a plain file stem: it can never be a path. */
export const DEMO_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/i

export function listDemos(dir = DEMOS_DIR): Demo[] {
  const demos: Demo[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const language = LANGUAGE_BY_EXTENSION[extname(entry.name)]
    const name = basename(entry.name, extname(entry.name))
    if (!entry.isFile() || !language || !DEMO_NAME.test(name))
      continue
    const absPath = join(dir, entry.name)
    demos.push({ name, file: `demos/${entry.name}`, absPath, language, source: readFileSync(absPath, 'utf8') })
  }
  const seen = new Set<string>()
  for (const demo of demos) {
    if (seen.has(demo.name))
      throw new Error(`two demos are named "${demo.name}" in ${dir}: demo names must be unique whatever the extension`)
    seen.add(demo.name)
  }
  return demos.sort((a, b) => a.name.localeCompare(b.name))
}

/** The demo with this name, or undefined. Only names listed from disk ever match. */
export function findDemo(name: string, dir = DEMOS_DIR): Demo | undefined {
  if (!DEMO_NAME.test(name))
    return undefined
  return listDemos(dir).find(demo => demo.name === name)
}
