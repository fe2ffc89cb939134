/**
 * Paths of this machine in a recording (packages/engine/portable.ts): the demo's project is
 * taken away, and so is the folder the engine was started in — a deck's checkout, whose
 * `.runtimes/` holds the runtime while the demo belongs to another project (an example deck,
 * a scratch folder) — but never the home folder's ancestors, which would hide `~/…`.
 */
import { homedir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { portablePaths } from 'async-stacks-engine/portable'

const project = '/srv/talks/minimal'
const demo = { absPath: join(project, 'demos/worker.py'), file: 'demos/worker.py', root: project }

afterEach(() => {
  vi.restoreAllMocks()
})

describe('portablePaths', () => {
  it('the demo, its folder and its project lose the machine\'s prefix', () => {
    expect(portablePaths(`File "${demo.absPath}", line 3`, demo)).toBe('File "demos/worker.py", line 3')
    expect(portablePaths(`${project}/lib/util.py`, demo)).toBe('lib/util.py')
  })

  it('a runtime in the checkout the engine runs from is named from there', () => {
    vi.spyOn(process, 'cwd').mockReturnValue('/srv/checkout')
    expect(portablePaths('/srv/checkout/.runtimes/node-26/bin/node', demo)).toBe('.runtimes/node-26/bin/node')
    // Outside both: kept as it is (the record command then refuses it if it names a checkout).
    expect(portablePaths('/srv/other/.runtimes/node-26/bin/node', demo)).toBe('/srv/other/.runtimes/node-26/bin/node')
  })

  it('started from the home folder or above it, the home folder still reads ~/', () => {
    for (const cwd of [homedir(), '/']) {
      vi.spyOn(process, 'cwd').mockReturnValue(cwd)
      expect(portablePaths(join(homedir(), '.pyenv/versions/3.11.7/lib/python3.11/asyncio/runners.py'), demo))
        .toBe('~/.pyenv/versions/3.11.7/lib/python3.11/asyncio/runners.py')
    }
  })
})
