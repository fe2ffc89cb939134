/**
 * Live runs looked at from outside: `{"demo": "async_loop", "pstree": "blow_up"}` runs the
 * demo under the server's CPython 3.14 and streams what `python3.14 -m asyncio pstree <its
 * pid>` printed while blow_up awaited. The body is checked like the rest (a function name,
 * never a PID or a path); where there is no 3.14 the server says so and the slide keeps the
 * recorded output.
 */
import { request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Demo } from 'async-stacks-engine/demos'
import { pstreeRuntime } from 'async-stacks-engine/index'
import type { Recording } from 'async-stacks-engine/schema'
import type { Engine } from 'slidev-addon-async-stacks/server/handler'
import { parseNdjson, type StatusBody } from 'slidev-addon-async-stacks/server/protocol'
import { isRefusal, parseRunBody } from 'slidev-addon-async-stacks/server/validate'
import { rawRequest, startLiveServer, type LiveTestServer } from './server-support'

const py314 = await pstreeRuntime()

/** POST a run and read the whole NDJSON answer as UTF-8 (the tree is drawn with box characters). */
function post(port: number, body: unknown): Promise<{ status: number, body: string }> {
  const data = JSON.stringify(body)
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/__live/run', headers: { 'Host': `localhost:${port}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(data)
  })
}
const json = (body: unknown) => ({ body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } })

describe('the pstree field of a run request', () => {
  it('names a function of the demo, nothing else', () => {
    expect(parseRunBody('{"demo":"async_loop","pstree":"blow_up"}')).toEqual({ name: 'async_loop', pstree: 'blow_up' })
    expect(parseRunBody('{"demo":"async_loop"}')).toEqual({ name: 'async_loop' })
    for (const bad of ['1234', '', 'blow up', '../x', 'a;rm', 'x'.repeat(65), 'é']) {
      const result = parseRunBody(JSON.stringify({ demo: 'async_loop', pstree: bad }))
      expect(isRefusal(result) && [result.status, result.code], bad).toEqual([400, 'bad-body'])
    }
    for (const bad of [1234, null, ['blow_up'], { pid: 1 }]) {
      const result = parseRunBody(JSON.stringify({ demo: 'async_loop', pstree: bad }))
      expect(isRefusal(result) && result.code, JSON.stringify(bad)).toBe('bad-body')
    }
    const pid = parseRunBody('{"demo":"async_loop","pstree":"blow_up","pid":1}')
    expect(isRefusal(pid) && pid.code).toBe('bad-body')
  })
})

describe('without a CPython 3.14', () => {
  let server: LiveTestServer
  const recorded: unknown[] = []
  beforeAll(async () => {
    const engine: Engine = {
      defaultRuntime: async () => ({ name: 'CPython', version: '3.11.7', executable: '/usr/bin/python3' }),
      pstreeRuntime: async () => null,
      recordDemo: async (_demo: Demo, options) => {
        recorded.push(options)
        throw new Error('stub engine: not running anything')
      },
    }
    server = await startLiveServer({ loadEngine: async () => engine })
  })
  afterAll(() => server?.close())

  it('the status says why, a pstree run is refused with 503 runtime-missing, nothing runs', async () => {
    const status = JSON.parse((await rawRequest(server.port, { method: 'GET', path: '/__live/status' })).body) as StatusBody
    expect(status.pstree).toEqual({ runtime: null, reason: expect.stringMatching(/no CPython 3\.14 .*recorded pstree output/) })
    const res = await rawRequest(server.port, json({ demo: 'async_loop', pstree: 'blow_up' }))
    expect(res.status).toBe(503)
    expect(JSON.parse(res.body).error.code).toBe('runtime-missing')
    expect(recorded).toEqual([])
  })

  it('pstree is for Python demos', async () => {
    const res = await rawRequest(server.port, json({ demo: 'async', pstree: 'blowUp' }))
    expect(res.status).toBe(400)
    expect(JSON.parse(res.body).error.message).toMatch(/Python demos/)
  })
})

describe.skipIf(!py314)('with a CPython 3.14 here', () => {
  let server: LiveTestServer
  beforeAll(async () => {
    server = await startLiveServer()
  })
  afterAll(() => server?.close())

  it('the status names it', async () => {
    const status = JSON.parse((await rawRequest(server.port, { method: 'GET', path: '/__live/status' })).body) as StatusBody
    expect(status.pstree).toEqual({ runtime: { name: 'CPython', version: py314!.version }, reason: null })
  })

  it('a pstree run streams the tree of the running demo between its steps, and keeps it in the recording', async () => {
    const res = await post(server.port, { demo: 'async_loop', pstree: 'blow_up' })
    expect(res.status).toBe(200)
    const { events } = parseNdjson(res.body)
    const start = events.find(e => e.type === 'start')
    expect(start?.type === 'start' && start.runtime.version).toBe(py314!.version)
    const at = events.findIndex(e => e.type === 'outside')
    const outside = events[at]
    expect(outside?.type).toBe('outside')
    if (outside?.type !== 'outside')
      return
    const { view } = outside
    if (view.note) // ptrace restricted on this machine: it says so
      return expect(view.note).toMatch(/ptrace/)
    expect(view.command.slice(0, 4)).toEqual(['python3.14', '-m', 'asyncio', 'pstree'])
    expect(view.stdout).toMatch(/^└── \(T\) Task-1\n {4}└── {2}foo demos\/async_loop\.py:13\n {8}└── {2}bar demos\/async_loop\.py:9\n {12}└── {2}blow_up demos\/async_loop\.py:4\n {16}└── {2}sleep /)
    // Right after the step it was held at: the idle step with blow_up in the chain.
    const before = events.slice(0, at).filter(e => e.type === 'step')
    expect(before.length).toBe(view.atStep + 1)
    const held = before.at(-1)!
    expect(held.type === 'step' && held.step.kind).toBe('idle')
    const end = events.at(-1)
    expect(end?.type).toBe('end')
    expect((end as { recording: Recording }).recording.outsideView).toEqual(view)
  })
})
