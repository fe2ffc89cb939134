/**
 * The live server and the deck's highlighted code list demos as everyone does
 * (engine/demos.ts), but a link or a stray file in demos/ is skipped with a warning: the
 * other demos keep being served and the link is never run nor read.
 */
import { symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Demo } from 'async-stacks-engine/demos'
import type { Engine } from 'slidev-addon-async-stacks/server/handler'
import { rawRequest, startLiveServer, type LiveTestServer } from './server-support'
import { scratchDemosDir, scratchDir } from '../support/scratch'

describe('live server: a link in demos/', () => {
  let server: LiveTestServer
  const ran: string[] = []
  const warnings: string[] = []
  const secret = `SECRET-${Math.random().toString(36).slice(2)}`

  beforeAll(async () => {
    const demosDir = scratchDemosDir()
    const outside = join(scratchDir('live-link-outside-'), 'credentials')
    writeFileSync(outside, `print("${secret}")\n`)
    writeFileSync(join(demosDir, 'good.py'), 'print("good")\n')
    symlinkSync(outside, join(demosDir, 'creds.py'))
    symlinkSync(scratchDir('live-link-folder-'), join(demosDir, 'folder.py'))
    // A stub engine: what would run is written down, nothing is started.
    const engine: Engine = {
      defaultRuntime: async () => ({ name: 'CPython', version: '3.11.7', executable: '/usr/bin/python3' }),
      recordDemo: async (demo: Demo) => {
        ran.push(`${demo.name}:${demo.source}`)
        throw new Error('stub engine: not running anything')
      },
    }
    server = await startLiveServer({ demosDir, loadEngine: async () => engine, warn: message => warnings.push(message) })
  })

  afterAll(async () => {
    await server?.close()
  })

  const post = (demo: string) => rawRequest(server.port, { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ demo }) })

  it('keeps serving the other demos, warning once about each link', async () => {
    const status = await rawRequest(server.port, { method: 'GET', path: '/__live/status' })
    expect(status.status).toBe(200)
    expect((JSON.parse(status.body) as { demos: { name: string }[] }).demos.map(d => d.name)).toEqual(['good'])
    await rawRequest(server.port, { method: 'GET', path: '/__live/status' })
    expect(warnings).toEqual([
      expect.stringMatching(/^demos\/creds\.py is a symbolic link: demos must be regular files in demos\//),
      expect.stringMatching(/^demos\/folder\.py is a symbolic link/),
    ])
    const good = await post('good')
    expect(good.status).toBe(200)
    expect(ran).toEqual(['good:print("good")\n'])
  })

  it('never runs the link, and says why', async () => {
    ran.length = 0
    for (const name of ['creds', 'folder']) {
      const res = await post(name)
      expect(res.status, name).toBe(404)
      const body = JSON.parse(res.body) as { error: { code: string, message: string } }
      expect(body.error.code).toBe('unknown-demo')
      expect(body.error.message).toMatch(new RegExp(`demos/${name}\\.py is a symbolic link`))
      expect(res.body).not.toContain(secret)
    }
    expect(ran).toEqual([])
    expect(warnings.join('\n')).not.toContain(secret)
  })
})
