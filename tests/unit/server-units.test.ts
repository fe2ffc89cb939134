/** The live-run server's HTTP-agnostic parts: access rules, request validation, the run manager. */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { Demo } from 'async-stacks-engine/demos'
import type { Recording, RunEvent } from 'async-stacks-engine/schema'
import { checkAccess, hostnameOf, isLoopbackAddress, type AccessRequest } from 'slidev-addon-async-stacks/server/access'
import { routeNeed } from 'slidev-addon-async-stacks/server/routes'
import { createGuard } from 'slidev-addon-async-stacks/server/guard'
import type { IncomingMessage } from 'node:http'
import { parseNdjson, serializeEvent, type LiveEvent } from 'slidev-addon-async-stacks/server/protocol'
import { BusyError, CancelledError, RunManager, type RecordFunction } from 'slidev-addon-async-stacks/server/runs'
import { checkContentLength, checkContentType, isRefusal, parseRunBody, resolveDemo } from 'slidev-addon-async-stacks/server/validate'
import { scratchDemosDir } from '../support/scratch'

type Need = Parameters<typeof checkAccess>[1]
const LAN = '192.168.1.20'
const request = (host: string | undefined, extra: Partial<AccessRequest> = {}): AccessRequest =>
  ({ remoteAddress: '127.0.0.1', method: 'POST', host, origin: undefined, fetchSite: undefined, fetchMode: undefined, authenticated: false, ...extra })
const codeOf = (req: AccessRequest, need: Need = 'act', options = {}) => checkAccess(req, need, options)?.code ?? null

describe('access', () => {
  it('parses Host headers strictly', () => {
    expect(hostnameOf('localhost:3030')).toBe('localhost')
    expect(hostnameOf('LOCALHOST')).toBe('localhost')
    expect(hostnameOf('[::1]:3030')).toBe('[::1]')
    expect(hostnameOf('127.0.0.1')).toBe('127.0.0.1')
    for (const bad of ['', 'localhost:3030:1', 'user@localhost', 'localhost/x', 'local host', 'localhost:abc', '[::1', 'a\0b'])
      expect(hostnameOf(bad), bad).toBeNull()
  })

  it('knows loopback addresses from the socket, whatever their spelling', () => {
    for (const address of ['127.0.0.1', '127.0.0.2', '::1', '::ffff:127.0.0.1'])
      expect(isLoopbackAddress(address), address).toBe(true)
    for (const address of [undefined, '', LAN, '::ffff:192.168.1.20', 'fe80::1', '0.0.0.0', 'localhost'])
      expect(isLoopbackAddress(address), String(address)).toBe(false)
  })

  it('lets this machine in from its own pages, for everything but what is off', () => {
    for (const host of ['localhost:3030', '127.0.0.1:3030', '[::1]:3030', 'localhost'])
      expect(codeOf(request(host))).toBeNull()
    expect(codeOf(request('localhost:3030', { origin: 'http://localhost:3030', fetchSite: 'same-origin' }))).toBeNull()
    expect(codeOf(request('localhost:3030', { method: 'GET' }), 'read')).toBeNull()
    expect(codeOf(request('localhost:3030'), 'off')).toBe('disabled')
  })

  it('refuses other names (DNS rebinding), other origins (another port is another site) and cross-site requests', () => {
    const cases: [AccessRequest, string][] = [
      [request(undefined), 'forbidden-host'],
      [request('evil.example'), 'forbidden-host'],
      [request('localhost.evil.example:3030'), 'forbidden-host'],
      [request('localhost:3030', { origin: 'http://evil.example' }), 'forbidden-origin'],
      [request('localhost:3030', { origin: 'http://localhost:5173' }), 'forbidden-origin'],
      [request('localhost:3030', { origin: 'http://127.0.0.1:3030' }), 'forbidden-origin'],
      [request('localhost:3030', { origin: 'http://127.0.0.2:3030' }), 'forbidden-origin'],
      [request('localhost:3030', { origin: 'null' }), 'forbidden-origin'],
      [request('localhost:3030', { origin: 'file://' }), 'forbidden-origin'],
      [request('localhost:3030', { origin: 'not a url' }), 'forbidden-origin'],
      [request('localhost:3030', { fetchSite: 'cross-site' }), 'forbidden-origin'],
      [request('localhost:3030', { fetchSite: 'same-site' }), 'forbidden-origin'],
      // A form posted from elsewhere is a navigation too: still refused, it is not a page view.
      [request('localhost:3030', { fetchSite: 'same-site', fetchMode: 'navigate' }), 'forbidden-origin'],
    ]
    for (const [req, code] of cases) {
      const refusal = checkAccess(req, 'act')
      expect(refusal?.status, JSON.stringify(req)).toBe(403)
      expect(refusal?.code, JSON.stringify(req)).toBe(code)
    }
    // Another site may link to a page of the deck (it cannot read the answer), nothing more.
    expect(codeOf(request('localhost:3030', { method: 'GET', fetchSite: 'cross-site', fetchMode: 'navigate' }), 'view')).toBeNull()
    expect(codeOf(request('localhost:3030', { method: 'GET', fetchSite: 'cross-site', fetchMode: 'navigate' }), 'read')).toBe('forbidden-origin')
    expect(codeOf(request('localhost:3030', { method: 'GET', fetchSite: 'same-site', fetchMode: 'no-cors' }), 'view')).toBe('forbidden-origin')
  })

  it('decides "this machine" from the socket, never from the Host a client sends', () => {
    // A LAN client naming localhost (the bypass of the old check) is still a LAN client.
    expect(codeOf(request('localhost:3030', { remoteAddress: LAN }))).toBe('forbidden-remote')
    expect(codeOf(request('localhost:3030', { remoteAddress: LAN }), 'act', { remotePassword: 's3cret' })).toBe('password-required')
    // A tunnel delivers the internet over loopback, under a name that is not local.
    expect(codeOf(request('deck.example.com', { remoteAddress: '127.0.0.1' }), 'act', { remotePassword: 's3cret', extraHostnames: ['deck.example.com'] })).toBe('password-required')
  })

  it('served to the network: visitors view the deck; every other read and every act needs the password', () => {
    const remote = { remotePassword: 's3cret' }
    const visitor = (extra: Partial<AccessRequest> = {}) => request(`${LAN}:3030`, { remoteAddress: '192.168.1.33', ...extra })
    expect(codeOf(visitor({ method: 'GET' }), 'view', remote)).toBeNull()
    expect(codeOf(visitor({ method: 'GET' }), 'read', remote)).toBe('password-required')
    expect(codeOf(visitor(), 'act', remote)).toBe('password-required')
    expect(codeOf(visitor({ authenticated: true }), 'read', remote)).toBeNull()
    expect(codeOf(visitor({ authenticated: true, origin: `http://${LAN}:3030` }), 'act', remote)).toBeNull()
    expect(codeOf(visitor({ authenticated: true, origin: 'http://evil.example' }), 'act', remote)).toBe('forbidden-origin')
    expect(codeOf(visitor({ authenticated: true }), 'off', remote)).toBe('disabled')
    // Not served to the network: nothing at all from elsewhere, password or not.
    expect(codeOf(visitor({ method: 'GET', authenticated: true }), 'view')).toBe('forbidden-remote')
    // `--remote` without a password: other machines may only view.
    expect(codeOf(visitor({ method: 'GET' }), 'view', { remotePassword: '' })).toBeNull()
    expect(codeOf(visitor({ authenticated: true }), 'act', { remotePassword: '' })).toBe('password-required')
    // This machine still needs no password.
    expect(codeOf(request('localhost:3030'), 'act', remote)).toBeNull()
  })
})

describe('routes', () => {
  it('turns off what writes or runs and the deck does not use, whatever the spelling', () => {
    for (const [method, url] of [
      ['POST', '/__slidev/slides/2.json'], ['POST', '/__slidev/slides/2.json?x'], ['POST', '//__slidev/slides/2.json'],
      ['POST', '/%5f%5fslidev/slides/2.json'], ['PUT', '/__SLIDEV/slides/2.json'],
      ['POST', '/__mcp'], ['GET', '/__mcp/'], ['GET', '/__open-in-editor?file=/etc/passwd'], ['GET', '/%5F_open-in-editor?file=x'],
      ['POST', '/@server-ref/drawings'], ['POST', '/@server-reactive/snapshots'], ['POST', '/@server-ref/__proto__.polluted'],
    ] as const)
      expect(routeNeed(method, url), `${method} ${url}`).toBe('off')
  })

  it('knows the acts the deck does use, and the reads', () => {
    expect(routeNeed('POST', '/@server-ref/nav')).toBe('act')
    expect(routeNeed('POST', '/@server-reactive/nav')).toBe('act')
    expect(routeNeed('POST', '/__live/run')).toBe('act')
    expect(routeNeed('GET', '/__live/status')).toBe('act')
    expect(routeNeed('DELETE', '/slides.md')).toBe('act')
    expect(routeNeed('GET', '/__slidev/slides/2.json')).toBe('read')
    expect(routeNeed('GET', '/@fs/etc/passwd')).toBe('module')
    expect(routeNeed('GET', '/')).toBe('module')
    expect(routeNeed('POST', '/talk/__live/run', '/talk/')).toBe('act')
  })
})

describe('request validation', () => {
  it('wants JSON, and a small body', () => {
    expect(checkContentType('application/json')).toBeNull()
    expect(checkContentType('application/json; charset=UTF-8')).toBeNull()
    for (const type of [undefined, 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/jsonx'])
      expect(checkContentType(type)?.status, String(type)).toBe(415)
    expect(checkContentLength('20')).toBeNull()
    expect(checkContentLength(undefined)).toBeNull()
    expect(checkContentLength('4097')?.status).toBe(413)
    expect(checkContentLength('-1')?.status).toBe(400)
  })

  it('takes a demo name and nothing else', () => {
    expect(parseRunBody('{"demo":"async_loop"}')).toEqual({ name: 'async_loop' })
    const refused: [string, number, string][] = [
      ['', 400, 'bad-json'],
      ['demo=async_loop', 400, 'bad-json'],
      ['[]', 400, 'bad-body'],
      ['null', 400, 'bad-body'],
      ['"async_loop"', 400, 'bad-body'],
      ['{}', 400, 'bad-body'],
      ['{"demo":1}', 400, 'bad-body'],
      ['{"demo":"async_loop","code":"print(1)"}', 400, 'bad-body'],
      ['{"demo":"../package"}', 400, 'bad-name'],
      ['{"demo":"/etc/passwd"}', 400, 'bad-name'],
      ['{"demo":"async_loop.py"}', 400, 'bad-name'],
      ['{"demo":"async_loop\\u0000"}', 400, 'bad-name'],
      ['{"demo":"%2e%2e%2fpackage"}', 400, 'bad-name'],
      ['{"demo":""}', 400, 'bad-name'],
    ]
    for (const [body, status, code] of refused) {
      const result = parseRunBody(body)
      expect(isRefusal(result) && [result.status, result.code], body).toEqual([status, code])
    }
  })

  it('finds only demos listed from the demos directory', () => {
    const dir = scratchDemosDir()
    writeFileSync(join(dir, 'here.py'), 'print(1)\n')
    writeFileSync(join(dir, 'notes.txt'), '')
    expect(resolveDemo('here', dir)).toMatchObject({ demo: { name: 'here', language: 'python' } })
    expect(resolveDemo('notes', dir)).toMatchObject({ status: 404, code: 'unknown-demo' })
    expect(resolveDemo('async_loop', dir)).toMatchObject({ status: 404 })
  })
})

describe('protocol', () => {
  it('one event per line, whatever the text holds', () => {
    const events: LiveEvent[] = [
      { type: 'queued', position: 2 },
      { type: 'output', chunk: { stream: 'stderr', atMs: 1, text: 'line 1\nline 2\n\u2028"quoted"' } },
      { type: 'error', message: 'x' },
    ]
    const text = events.map(serializeEvent).join('')
    expect(text.split('\n')).toHaveLength(4)
    // Fed in arbitrary pieces, the parser gives back the same events.
    let rest = ''
    const got: LiveEvent[] = []
    for (let i = 0; i < text.length; i += 7) {
      const parsed = parseNdjson(rest + text.slice(i, i + 7))
      got.push(...parsed.events)
      rest = parsed.rest
    }
    expect(got).toEqual(events)
    expect(rest).toBe('')
  })
})

const fakeDemo = (name: string): Demo => ({ name, file: `demos/${name}.py`, absPath: `/nowhere/${name}.py`, root: '/nowhere', language: 'python', source: '' })

/** A fake engine: each run waits until the test releases it (or its signal aborts). */
function controllableRecord() {
  const pending: { demo: Demo, release: () => void, signal: AbortSignal, timeoutMs: number }[] = []
  const record: RecordFunction = (demo, options) => new Promise((resolve, reject) => {
    options.onEvent({ type: 'output', chunk: { stream: 'stdout', atMs: 0, text: `${demo.name}\n` } } satisfies RunEvent)
    const entry = { demo, signal: options.signal, timeoutMs: options.timeoutMs, release: () => resolve({ demo: { name: demo.name } } as Recording) }
    pending.push(entry)
    options.signal.addEventListener('abort', () => reject(new Error('killed')))
  })
  return { record, pending }
}

const tick = () => new Promise(resolve => setTimeout(resolve, 0))

describe('run manager', () => {
  it('runs at most maxConcurrent at once, queues up to maxQueued, then refuses', async () => {
    const { record, pending } = controllableRecord()
    const manager = new RunManager({ record, maxConcurrent: 2, maxQueued: 2 })
    const events: LiveEvent[][] = []
    const submit = (name: string) => {
      const seen: LiveEvent[] = []
      events.push(seen)
      return manager.submit(fakeDemo(name), { onEvent: e => seen.push(e), signal: new AbortController().signal })
    }
    const runs = ['a', 'b', 'c', 'd'].map(submit)
    expect(manager.running).toBe(2)
    expect(manager.queued).toBe(2)
    expect(manager.hasRoom()).toBe(false)
    expect(() => submit('e')).toThrow(BusyError)
    expect(events[2]).toEqual([{ type: 'queued', position: 1 }])
    expect(events[3]).toEqual([{ type: 'queued', position: 2 }])

    pending[0]!.release()
    await tick()
    expect(manager.running).toBe(2)
    expect(manager.queued).toBe(1)
    expect(events[3]).toContainEqual({ type: 'queued', position: 1 })
    for (let i = 1; i < 4; i++) {
      await tick()
      pending[i]!.release()
    }
    const done = await Promise.all(runs)
    expect(done.map(r => r.demo.name)).toEqual(['a', 'b', 'c', 'd'])
    expect(manager.started).toBe(4)
    expect(manager.running + manager.queued).toBe(0)
  })

  it('a run cancelled while it waits never starts; one cancelled while it runs is aborted', async () => {
    const { record, pending } = controllableRecord()
    const manager = new RunManager({ record, maxConcurrent: 1, maxQueued: 4 })
    const first = new AbortController()
    const second = new AbortController()
    const running = manager.submit(fakeDemo('a'), { onEvent: () => {}, signal: first.signal })
    const waiting = manager.submit(fakeDemo('b'), { onEvent: () => {}, signal: second.signal })
    second.abort()
    await expect(waiting).rejects.toBeInstanceOf(CancelledError)
    expect(manager.queued).toBe(0)
    first.abort()
    await expect(running).rejects.toBeInstanceOf(CancelledError)
    expect(pending[0]!.signal.aborted).toBe(true)
    expect(manager.started).toBe(1)
    expect(manager.running).toBe(0)
  })

  it('passes the limits on, and stops a run the engine lets overrun', async () => {
    const { record, pending } = controllableRecord()
    const manager = new RunManager({ record, timeoutMs: 50, graceMs: 50, outputCapBytes: 123 })
    const run = manager.submit(fakeDemo('a'), { onEvent: () => {}, signal: new AbortController().signal })
    expect(pending[0]!.timeoutMs).toBe(50)
    await expect(run).rejects.toThrow(/past its 50 ms time limit/)
    expect(pending[0]!.signal.aborted).toBe(true)
  })
})

describe('guessing the remote password', () => {
  const lanRequest = (address: string, password: string) => {
    const socket = { remoteAddress: address } as IncomingMessage['socket']
    return { method: 'GET', url: '/__live/status', socket, headers: { 'host': '192.168.1.20:3030', 'x-live-password': password } } as unknown as IncomingMessage
  }

  it('is limited per address, per IPv6 /64, and for everyone together', () => {
    const guard = createGuard({ remotePassword: 's3cret', maxGuesses: 3 })
    const codes = (address: string, password = 'wrong') => guard.admit(lanRequest(address, password), 'read').refusal?.code
    for (let i = 0; i < 3; i++)
      expect(codes('192.168.1.33')).toBe('password-required')
    expect(codes('192.168.1.33')).toBe('too-many-guesses')
    expect(codes('192.168.1.33', 's3cret')).toBe('too-many-guesses')
    expect(codes('192.168.1.34', 's3cret')).toBeUndefined()
    // Another address of the same /64 is the same guesser.
    for (let i = 0; i < 3; i++)
      codes(`fd00:1:2:3::${i + 1}`)
    expect(codes('fd00:1:2:3::99')).toBe('too-many-guesses')
    // Many addresses: ten times the budget in all, then everyone waits.
    for (let i = 0; i < 30; i++)
      codes(`10.9.${i}.1`)
    expect(codes('10.10.0.1')).toBe('too-many-guesses')
  })
})
