import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { findDemo, listDemos } from '../../engine/demos'
import { scratchDir } from '../support/scratch'

describe('demos', () => {
  it('finds the seed demos with the language taken from the extension', () => {
    const demos = Object.fromEntries(listDemos().map(demo => [demo.name, demo]))
    expect(demos.sync?.language).toBe('python')
    expect(demos.async_loop?.language).toBe('python')
    expect(demos.async?.language).toBe('javascript')
    expect(demos.async?.file).toBe('demos/async.mjs')
    expect(demos.sync?.source).toContain('nested error in sync code')
  })

  it('picks up a new demo file with no code change, and ignores files that are not demos', () => {
    const dir = scratchDir('demos-')
    writeFileSync(join(dir, 'extra.py'), 'print(1)\n')
    writeFileSync(join(dir, 'notes.txt'), 'not a demo\n')
    expect(listDemos(dir).map(demo => demo.name)).toEqual(['extra'])
  })

  it('refuses two demos with one name', () => {
    const dir = scratchDir('demos-')
    writeFileSync(join(dir, 'same.py'), '')
    writeFileSync(join(dir, 'same.mjs'), '')
    expect(() => listDemos(dir)).toThrow(/two demos are named "same"/)
  })

  it('never resolves a name that is a path', () => {
    for (const name of ['../package', '/etc/passwd', 'sync.py', '..', '', 'a/b', 'sync\0'])
      expect(findDemo(name), name).toBeUndefined()
    expect(findDemo('sync')?.file).toBe('demos/sync.py')
  })
})
