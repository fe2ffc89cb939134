import { mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { findDemo, listDemos } from 'async-stacks-engine/demos'
import { recordDemo } from 'async-stacks-engine/index'
import { scratchDemosDir, scratchDir } from '../support/scratch'

/** A file outside any demos folder, with a secret in it: what a link would expose. */
function secretFile(): { path: string, secret: string } {
  const path = join(scratchDir('outside-'), 'credentials')
  const secret = `aws_secret_access_key = SECRET-${Math.random().toString(36).slice(2)}`
  writeFileSync(path, `print("${secret}")\n`)
  return { path, secret }
}

describe('demos', () => {
  it('finds the seed demos with the language taken from the extension', () => {
    const demos = Object.fromEntries(listDemos().map(demo => [demo.name, demo]))
    expect(demos.sync?.language).toBe('python')
    expect(demos.async_loop?.language).toBe('python')
    expect(demos.async?.language).toBe('javascript')
    expect(demos.async?.file).toBe('demos/async.mjs')
    expect(demos.sync?.source).toContain('nested error in sync code')
  })

  it('picks up a new demo file with no code change, and ignores dotfiles and READMEs', () => {
    const dir = scratchDemosDir()
    writeFileSync(join(dir, 'extra.py'), 'print(1)\n')
    writeFileSync(join(dir, 'README.md'), '# the demos\n')
    writeFileSync(join(dir, '.gitkeep'), '')
    // An editor's lock file is a dangling link named like a dotfile: ignored, never read.
    symlinkSync('root@host.1234:1700000000', join(dir, '.#extra.py'))
    expect(listDemos(dir).map(demo => demo.name)).toEqual(['extra'])
  })

  it('refuses a file with an extension no runtime handles, naming it and the extensions there are', () => {
    const dir = scratchDemosDir()
    writeFileSync(join(dir, 'extra.py'), 'print(1)\n')
    writeFileSync(join(dir, 'notes.txt'), 'not a demo\n')
    expect(() => listDemos(dir)).toThrow(/demos\/notes\.txt: .*no runtime.*\.mjs, \.js, \.py, \.rs/)
  })

  it('refuses two demos with one name, naming both files', () => {
    const dir = scratchDemosDir()
    writeFileSync(join(dir, 'same.py'), '')
    writeFileSync(join(dir, 'same.mjs'), '')
    expect(() => listDemos(dir)).toThrow(/two demos are named "same": demos\/same\.mjs and demos\/same\.py/)
  })

  it('refuses a symbolic link to a file, naming it, without reading what it points to', () => {
    const dir = scratchDemosDir()
    const { path, secret } = secretFile()
    writeFileSync(join(dir, 'sync.py'), 'print(1)\n')
    symlinkSync(path, join(dir, 'creds.py'))
    let message = ''
    try {
      listDemos(dir)
    }
    catch (error) {
      message = (error as Error).message
    }
    expect(message).toMatch(/^demos\/creds\.py is a symbolic link: demos must be regular files in demos\/ \(a link could expose a file outside the project\)$/)
    expect(message).not.toContain(secret)
  })

  it('refuses a symbolic link to a folder, and a folder, naming each', () => {
    const dir = scratchDemosDir()
    writeFileSync(join(dir, 'sync.py'), 'print(1)\n')
    symlinkSync(scratchDir('elsewhere-'), join(dir, 'linked.py'))
    mkdirSync(join(dir, 'folder.py'))
    expect(() => listDemos(dir)).toThrow(/demos\/folder\.py is a folder: .*; demos\/linked\.py is a symbolic link/)
  })

  it('skipping instead of refusing: the other demos are listed and each refused entry is reported', () => {
    const dir = scratchDemosDir()
    writeFileSync(join(dir, 'sync.py'), 'print(1)\n')
    writeFileSync(join(dir, 'other.mjs'), 'console.log(1)\n')
    symlinkSync(secretFile().path, join(dir, 'creds.py'))
    writeFileSync(join(dir, 'notes.txt'), '')
    const skipped: string[] = []
    const demos = listDemos(dir, { onProblem: problem => skipped.push(problem.message) })
    expect(demos.map(demo => demo.name)).toEqual(['other', 'sync'])
    expect(skipped).toEqual([
      expect.stringMatching(/^demos\/creds\.py is a symbolic link/),
      expect.stringMatching(/^demos\/notes\.txt: /),
    ])
  })

  it('never resolves a name that is a path', () => {
    for (const name of ['../package', '/etc/passwd', 'sync.py', '..', '', 'a/b', 'sync\0'])
      expect(findDemo(name), name).toBeUndefined()
    expect(findDemo('sync')?.file).toBe('demos/sync.py')
  })

  it('never runs a demo that became a link after it was listed', async () => {
    const dir = scratchDemosDir()
    const { path, secret } = secretFile()
    writeFileSync(join(dir, 'swapped.py'), 'print("the demo")\n')
    const demo = listDemos(dir).find(d => d.name === 'swapped')!
    rmSync(demo.absPath)
    symlinkSync(path, demo.absPath)
    const events: string[] = []
    await expect(recordDemo(demo, { onEvent: event => events.push(JSON.stringify(event)) })).rejects.toThrow(/demos\/swapped\.py is a symbolic link/)
    expect(events.join('\n')).not.toContain(secret)
    expect(readdirSync(dir)).toEqual(['swapped.py'])
  })
})
