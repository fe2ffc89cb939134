/**
 * Every committed recording is portable: no string in it holds a path of the machine it
 * was recorded on (this checkout, another checkout of the project, a home folder, /tmp).
 * The walker here is the test's own; the recorder's check (machinePaths) is tested beside it.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { homedir, tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { REPO_ROOT } from '../support/project'
import { machinePaths, readManifest, readManifestRecording } from 'async-stacks-engine/recordings'
import { RECORDINGS_DIR } from '../support/project'
import type { Recording } from 'async-stacks-engine/schema'

const FORBIDDEN: [string, RegExp][] = [
  ['this checkout', new RegExp(REPO_ROOT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))],
  ['the home folder', new RegExp(`${homedir().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/`)],
  ['a home folder', /(^|[^\w.~-])\/(home|Users)\/[^/\s"']+\/|(^|[^\w.~-])\/root\//],
  ['a scratch folder', new RegExp(`(^|[^\\w.~-])(/tmp/|/var/folders/|${tmpdir().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/)`)],
  ['another checkout of the project', /\/\.runtimes\/|\/node_modules\/\.cache\/async-stacks\/|\/[^\s"'`]+\/demos\/[\w-]+\.(py|mjs|js|rs)\b/],
]

function* strings(value: unknown, path: string): Generator<[string, string]> {
  if (typeof value === 'string')
    yield [path, value]
  else if (Array.isArray(value))
    for (const [i, item] of value.entries()) yield* strings(item, `${path}[${i}]`)
  else if (value && typeof value === 'object')
    for (const [key, item] of Object.entries(value)) yield* strings(item, path ? `${path}.${key}` : key)
}

const files = readdirSync(RECORDINGS_DIR, { withFileTypes: true })
  .filter(entry => entry.isDirectory())
  .flatMap(dir => readdirSync(join(RECORDINGS_DIR, dir.name)).filter(file => file.endsWith('.json')).map(file => `recordings/${dir.name}/${file}`))

describe('committed recordings', () => {
  it('there are some', () => {
    expect(files.length).toBeGreaterThan(10)
  })

  it.each(files)('%s holds no path of the recording machine', (file) => {
    const data = JSON.parse(readFileSync(join(REPO_ROOT, file), 'utf8')) as Recording
    const found: string[] = []
    for (const [path, text] of strings(data, '')) {
      if (path === 'demo.source')
        continue // the program itself, exactly as in demos/
      for (const [what, pattern] of FORBIDDEN) {
        const match = pattern.exec(text)
        if (match)
          found.push(`${path}: ${what}: …${text.slice(Math.max(0, match.index - 20), match.index + 60)}…`)
      }
    }
    expect(found.slice(0, 5)).toEqual([])
  })

  it('the manifest is valid and lists every recording, each one readable through it', () => {
    const manifest = readManifest()
    expect(manifest.map(entry => entry.file).sort()).toEqual([...files].sort())
    for (const entry of manifest)
      expect(readManifestRecording(entry).demo.name).toBe(entry.demo)
  })
})

describe('the recorder\'s check', () => {
  it('finds a path of this machine wherever it is in a recording', () => {
    const recording = JSON.parse(readFileSync(join(RECORDINGS_DIR, 'sync/cpython-3.11.7.json'), 'utf8')) as Recording
    expect(machinePaths(recording)).toEqual([])
    const planted = structuredClone(recording)
    planted.runtime.executable = join(homedir(), '.pyenv/versions/3.11.7/bin/python3')
    planted.steps[0]!.physicalStack[0]!.file = join(REPO_ROOT, 'demos/sync.py')
    planted.run.output.push({ stream: 'stderr', atMs: 1, text: `wrote ${join(tmpdir(), 'x/y')}\n` })
    expect(machinePaths(planted)).toEqual([
      expect.stringMatching(/^runtime\.executable: /),
      expect.stringMatching(/^run\.output\[\d+\]\.text: /),
      expect.stringMatching(/^steps\[0\]\.physicalStack\[0\]\.file: /),
    ])
  })
})
