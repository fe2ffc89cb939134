/**
 * `recordings/manifest.json` is read by one reader (engine/recordings.ts), validated like
 * the recordings: a broken one names the file and the field, and no entry can make anyone
 * read a file outside recordings/.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readManifest, readManifestRecording } from 'async-stacks-engine/recordings'
import { scratchDir } from '../support/scratch'

const REAL = readFileSync(new URL('../../recordings/sync/cpython-3.11.7.json', import.meta.url), 'utf8')

/** A project folder with recordings/ holding one good recording and the given manifest. */
function project(manifest: string | unknown[]): string {
  const root = scratchDir('manifest-')
  mkdirSync(join(root, 'recordings/sync'), { recursive: true })
  writeFileSync(join(root, 'recordings/sync/cpython-3.11.7.json'), REAL)
  writeFileSync(join(root, 'recordings/manifest.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest))
  return join(root, 'recordings')
}

const entry = { demo: 'sync', runtime: 'CPython', version: '3.11.7', file: 'recordings/sync/cpython-3.11.7.json', default: true }

function errorOf(read: () => unknown): string {
  try {
    read()
  }
  catch (error) {
    return (error as Error).message
  }
  return '(no error)'
}

describe('recordings/manifest.json', () => {
  it('reads a good one, and its recordings', () => {
    const dir = project([entry])
    expect(readManifest(dir)).toEqual([entry])
    expect(readManifestRecording(entry, dir).demo.name).toBe('sync')
  })

  it('truncated JSON: the message names manifest.json', () => {
    const dir = project(JSON.stringify([entry]).slice(0, 40))
    expect(errorOf(() => readManifest(dir))).toMatch(/recordings\/manifest\.json: not readable JSON: /)
  })

  it('a file outside recordings/ is refused naming the field, and never read', () => {
    for (const file of ['../../etc/passwd', '/etc/passwd', 'recordings/../../etc/passwd', 'recordings/../package.json', 'demos/sync.py']) {
      const dir = project([entry, { ...entry, default: false, file }])
      expect(errorOf(() => readManifest(dir)), file).toMatch(/recordings\/manifest\.json: invalid manifest at `\[1\]\.file`: .*inside recordings\//)
      expect(errorOf(() => readManifestRecording({ ...entry, file }, dir)), file).toMatch(/inside recordings\//)
    }
  })

  it('a missing field, or a field of the wrong type, is named', () => {
    const { default: _default, ...noDefault } = entry
    expect(errorOf(() => readManifest(project([noDefault])))).toMatch(/recordings\/manifest\.json: invalid manifest at `\[0\]\.default`/)
    expect(errorOf(() => readManifest(project([{ ...entry, demo: 7 }])))).toMatch(/invalid manifest at `\[0\]\.demo`/)
    expect(errorOf(() => readManifest(project({ entries: [entry] } as unknown as unknown[])))).toMatch(/invalid manifest at `\(root\)`/)
  })

  it('a link inside recordings/ that leads outside it is refused', () => {
    const dir = project([entry])
    const outside = join(scratchDir('manifest-outside-'), 'secret.json')
    writeFileSync(outside, REAL)
    mkdirSync(join(dir, 'leak'))
    symlinkSync(outside, join(dir, 'leak/cpython-3.11.7.json'))
    const leak = { ...entry, demo: 'leak', file: 'recordings/leak/cpython-3.11.7.json' }
    expect(errorOf(() => readManifestRecording(leak, dir))).toMatch(/recordings\/leak\/cpython-3\.11\.7\.json is a symbolic link that leads outside recordings\//)
  })
})
