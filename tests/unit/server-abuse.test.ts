/**
 * Hostile requests against a real Vite dev server with the live-run plugin mounted. Each
 * must be refused with its status and a clear JSON error, and none may start a process or
 * write a file: the child_process and fs modules our code uses are wrapped and counted,
 * the run manager counts the runs it starts, and the repo and the server's directories are
 * snapshotted (file list, sizes, mtimes) before and after.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { DEMOS_DIR, REPO_ROOT } from '../support/project'
import { childPids, diffSnapshots, rawRequest, snapshotFiles, startLiveServer, type LiveTestServer, type RawRequest } from './server-support'
import { scratchDemosDir } from '../support/scratch'

const spied = vi.hoisted(() => ({ spawns: [] as string[], writes: [] as string[] }))

vi.mock('node:child_process', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:child_process')>()
  const wrap = <F extends (...args: never[]) => unknown>(name: string, fn: F) => ((...args: Parameters<F>) => {
    spied.spawns.push(`${name} ${String(args[0])}`)
    return fn(...args)
  }) as unknown as F
  return {
    ...actual,
    spawn: wrap('spawn', actual.spawn),
    spawnSync: wrap('spawnSync', actual.spawnSync),
    exec: wrap('exec', actual.exec),
    execSync: wrap('execSync', actual.execSync),
    execFile: wrap('execFile', actual.execFile),
    execFileSync: wrap('execFileSync', actual.execFileSync),
    fork: wrap('fork', actual.fork),
  }
})

const { wrapWrites } = vi.hoisted(() => {
  const WRITING = /^(write|append|mkdir|mkdtemp|rename|unlink|rm|copy|cp|symlink|link|truncate|ftruncate|chmod|chown|utimes|createWriteStream)/
  /** The module with every function that can write to the disk counted in `spied.writes`. */
  function wrapWrites<T extends object>(module: T, label: string): T {
    const wrapped: Record<string, unknown> = { ...(module as Record<string, unknown>) }
    for (const [name, value] of Object.entries(module)) {
      if (typeof value === 'function' && WRITING.test(name)) {
        wrapped[name] = (...args: unknown[]) => {
          spied.writes.push(`${label}.${name} ${String(args[0])}`)
          return (value as (...a: unknown[]) => unknown)(...args)
        }
      }
    }
    return wrapped as T
  }
  return { wrapWrites }
})
vi.mock('node:fs', async importOriginal => wrapWrites(await importOriginal<object>(), 'fs'))
vi.mock('node:fs/promises', async importOriginal => wrapWrites(await importOriginal<object>(), 'fs/promises'))

interface Case {
  what: string
  request: RawRequest
  status: number
  code: string
  /** Send to the server started with `slidev --remote hunter2`. */
  remote?: boolean
}

const JSON_TYPE = { 'Content-Type': 'application/json' }
const post = (body: string | Buffer, headers: Record<string, string | null> = JSON_TYPE): RawRequest => ({ method: 'POST', body, headers })
const runBody = (demo: unknown) => JSON.stringify({ demo })

function hostileCases(): Case[] {
  const cases: Case[] = []
  const add = (what: string, request: RawRequest, status: number, code: string, remote = false) => cases.push({ what, request, status, code, remote })

  // Names that are paths, code, or otherwise not a demo name: 400 before any lookup.
  const badNames = [
    '../package', '../../etc/passwd', '../../../../../../etc/passwd', '..', '.', '/etc/passwd', '/work/main/demos/async_loop.py',
    'demos/async_loop', 'async_loop.py', './async_loop', 'async_loop/', 'async_loop/..', '..\\..\\windows', 'C:\\Windows\\win.ini',
    '\\\\server\\share', 'file:///etc/passwd', 'http://evil.example/x.py', '%2e%2e%2fpackage', '..%2fpackage', '%00', 'async_loop%00',
    'async_loop\u0000', '\u0000', '\u0000../package', 'async_loop\n', 'async_loop\r\nX-Injected: 1', ' async_loop', 'async_loop ',
    '$(touch /tmp/pwned)', '`id`', 'async_loop; rm -rf /', 'async_loop && id', '|id', '> /tmp/x', '*', '?', '~', '~/.ssh/id_rsa',
    '-rf', '--help', '_private', 'a'.repeat(65), 'ünïcödé', 'async_loop\u202e', 'ａｓｙｎｃ', '', '.hidden', 'async.loop',
    '{{7*7}}', '<script>alert(1)</script>', '__proto__/x', 'constructor.prototype',
  ]
  for (const name of badNames)
    add(`bad name ${JSON.stringify(name)}`, post(runBody(name)), 400, 'bad-name')

  // Good-looking names that are not demos in the served directory: 404.
  for (const name of ['nope', 'ASYNC_LOOP', 'Async_Loop', 'async-loop', 'async_loop2', 'tracer', 'index', 'package', 'secret', 'sub', 'evil', 'passwd', 'etc', 'node_modules', 'demos', 'sync', 'constructor', 'toString', 'hasOwnProperty'])
    add(`unknown demo ${name}`, post(runBody(name)), 404, 'unknown-demo')

  // Bodies that are not {"demo": "<name>"}.
  const badJson = ['', ' ', 'demo=async_loop', 'async_loop', '<demo>async_loop</demo>', '{', '{"demo":', '{"demo":"async_loop"', '{demo:"async_loop"}', "{'demo':'async_loop'}",
    '\uFEFF{"demo":"async_loop"}', '{"demo":"async_loop"}\u0000', 'NaN', '{"demo":"async_loop",}', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[']
  for (const body of badJson)
    add(`not JSON ${JSON.stringify(body.slice(0, 30))}`, post(body), 400, 'bad-json')
  const badBodies = ['null', 'true', '1', '"async_loop"', '[]', '["async_loop"]', '{}', '{"demo":null}', '{"demo":1}', '{"demo":["async_loop"]}', '{"demo":{"name":"async_loop"}}',
    '{"demo":"async_loop","args":["-c","print(1)"]}', '{"demo":"async_loop","code":"import os"}', '{"demo":"async_loop","cwd":"/"}', '{"__proto__":{"demo":"async_loop"}}',
    '{"name":"async_loop"}', '{"Demo":"async_loop"}', '{"demo":"async_loop","env":{"PYTHONSTARTUP":"/tmp/x"}}']
  for (const body of badBodies)
    add(`bad body ${body.slice(0, 40)}`, post(body), 400, 'bad-body')
  add('duplicate key, last one a path', post('{"demo":"async_loop","demo":"../package"}'), 400, 'bad-name')
  add('raw NUL bytes in the body', post(Buffer.from('{"demo":"async_loop\u0000"}')), 400, 'bad-json')
  add('UTF-16 body', post(Buffer.from('{"demo":"async_loop"}', 'utf16le')), 400, 'bad-json')

  // Too big: declared, streamed in chunks, or far too big.
  add('5 KiB body', post(runBody('a'.repeat(5000))), 413, 'body-too-large')
  add('Content-Length says 1 GB, nothing sent', { method: 'POST', headers: { ...JSON_TYPE, 'Content-Length': '1000000000' } }, 413, 'body-too-large')
  add('Content-Length says 4097', { method: 'POST', headers: { ...JSON_TYPE, 'Content-Length': '4097' }, body: 'x'.repeat(4097) }, 413, 'body-too-large')
  add('1 MiB body in pieces', post(`{"demo":"${'a'.repeat(1 << 20)}"}`), 413, 'body-too-large')
  add('chunked 64 KiB', { method: 'POST', headers: { ...JSON_TYPE, 'Content-Length': null, 'Transfer-Encoding': 'chunked' }, body: `10000\r\n${'x'.repeat(0x10000)}\r\n0\r\n\r\n` }, 413, 'body-too-large')
  add('8 MiB body', { ...post(Buffer.alloc(8 << 20, 0x61)), chunkSize: 1 << 16 }, 413, 'body-too-large')

  // Not JSON by its type: a cross-site form can only send these without a CORS preflight.
  for (const type of [null, 'text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/jsonp', 'text/json', 'application/xml', '*/*'])
    add(`content type ${type}`, post(runBody('async_loop'), { 'Content-Type': type }), 415, 'bad-content-type')

  // Wrong methods.
  for (const method of ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'PROPFIND', 'HEAD'])
    add(`${method} on run`, { method, path: '/__live/run', headers: JSON_TYPE, body: method === 'GET' || method === 'HEAD' || method === 'TRACE' ? undefined : runBody('async_loop') }, 405, 'bad-method')
  add('GET run with the name in the query', { method: 'GET', path: '/__live/run?demo=async_loop' }, 405, 'bad-method')
  add('GET run with a path in the query', { method: 'GET', path: '/__live/run?demo=../../etc/passwd' }, 405, 'bad-method')
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH'])
    add(`${method} on status`, { method, path: '/__live/status', headers: JSON_TYPE, body: runBody('async_loop') }, 405, 'bad-method')

  // Paths beside the two endpoints: traversal, encodings, NUL.
  const paths = ['/__live/', '/__live/run/', '/__live/run/async_loop', '/__live/async_loop', '/__live/../__live/run', '/__live/run/../../etc/passwd', '/__live/%2e%2e/package.json',
    '/__live/%2e%2e%2f%2e%2e%2fetc%2fpasswd', '/__live/run%00', '/__live/run%2f..%2f..%2fpackage.json', '/__live/..%5c..%5cpackage.json', '/__live/RUN', '/__live/run;jsessionid=1',
    '/__live/runx', '/__live//run', '/__live/run%20', '/__live/demos/async_loop.py', '/__live/../demos/async_loop.py', '/__live/%252e%252e/x', '/__live/status/../run']
  for (const path of paths)
    add(`path ${path}`, { method: 'POST', path, headers: JSON_TYPE, body: runBody('async_loop') }, 404, 'bad-path')

  // Names this deck does not answer to (DNS rebinding): refused before anything else is looked at.
  const hosts = ['evil.example', 'evil.example:80', 'localhost.evil.example', '127.0.0.1.nip.io', 'localhost.', '127.1',
    '2130706433', 'LOCALHOST.EVIL', 'localhost:3041:80', 'localhost@evil.example', 'evil.example#localhost']
  for (const host of hosts) {
    for (const path of ['/__live/run', '/__live/status'])
      add(`Host ${host} on ${path}`, { method: path.endsWith('run') ? 'POST' : 'GET', path, headers: { ...JSON_TYPE, Host: host }, body: path.endsWith('run') ? runBody('async_loop') : undefined }, 403, 'forbidden-host')
  }
  add('no Host header (HTTP/1.0)', { method: 'POST', headers: { ...JSON_TYPE, Host: null }, body: runBody('async_loop'), httpVersion: 'HTTP/1.0' }, 403, 'forbidden-host')
  add('empty Host header', { method: 'POST', headers: { ...JSON_TYPE, Host: '' }, body: runBody('async_loop') }, 403, 'forbidden-host')
  const origins = ['http://evil.example', 'https://evil.example', 'http://localhost.evil.example', 'http://192.168.1.20:3041', 'null', 'file://', 'chrome-extension://abcdefg',
    'http://localhost:3041/path', 'http://user@localhost:3041', 'javascript:alert(1)', 'data:text/html,x', 'not an origin', 'http://127.0.0.1.nip.io']
  for (const origin of origins) {
    for (const path of ['/__live/run', '/__live/status'])
      add(`Origin ${origin} on ${path}`, { method: path.endsWith('run') ? 'POST' : 'GET', path, headers: { ...JSON_TYPE, Origin: origin }, body: path.endsWith('run') ? runBody('async_loop') : undefined }, 403, 'forbidden-origin')
  }
  add('Sec-Fetch-Site: cross-site', { method: 'POST', headers: { ...JSON_TYPE, 'Sec-Fetch-Site': 'cross-site' }, body: runBody('async_loop') }, 403, 'forbidden-origin')
  // Addresses of other machines as the Host: this machine's socket, but not this machine's name
  // (a tunnel or a proxy would look like this): not served to the network, so refused.
  for (const host of ['192.168.1.20:3041', '10.0.0.1', '0.0.0.0:3041'])
    add(`Host ${host}, not served to the network`, { method: 'POST', headers: { ...JSON_TYPE, Host: host }, body: runBody('async_loop') }, 403, 'forbidden-remote')
  add('a password does not open a deck that is not served to the network', { method: 'POST', headers: { ...JSON_TYPE, 'Host': '192.168.1.20:3041', 'X-Live-Password': 'hunter2' }, body: runBody('async_loop') }, 403, 'forbidden-remote')
  // Refused for its Host even when everything else is wrong too: a stranger learns nothing.
  add('foreign Host and a traversal name', { method: 'POST', headers: { ...JSON_TYPE, Host: 'evil.example' }, body: runBody('../../etc/passwd') }, 403, 'forbidden-host')
  add('foreign Host and the wrong method', { method: 'DELETE', headers: { Host: 'evil.example' } }, 403, 'forbidden-host')

  // Served to the network with `--remote hunter2`.
  const lan = { ...JSON_TYPE, Host: '192.168.1.20:3041' }
  add('remote: no password', { method: 'POST', headers: lan, body: runBody('async_loop') }, 403, 'password-required', true)
  add('remote: no password, status', { method: 'GET', path: '/__live/status', headers: lan }, 403, 'password-required', true)
  for (const password of ['', 'hunter', 'hunter22', 'HUNTER2', 'hunter2, hunter2', 'hunter2x', 'aHVudGVyMg==', '*', 'password'])
    add(`remote: wrong password ${JSON.stringify(password)}`, { method: 'POST', headers: { ...lan, 'X-Live-Password': password }, body: runBody('async_loop') }, 403, 'password-required', true)
  add('remote: right password, another site\'s Origin', { method: 'POST', headers: { ...lan, 'X-Live-Password': 'hunter2', 'Origin': 'http://evil.example' }, body: runBody('async_loop') }, 403, 'forbidden-origin', true)
  add('remote: right password, localhost Origin to a LAN Host', { method: 'POST', headers: { ...lan, 'X-Live-Password': 'hunter2', 'Origin': 'http://localhost:3041' }, body: runBody('async_loop') }, 403, 'forbidden-origin', true)
  add('remote: right password in the query, not the header', { method: 'POST', path: '/__live/run?password=hunter2', headers: lan, body: runBody('async_loop') }, 403, 'password-required', true)
  add('remote: right password, traversal name', { method: 'POST', headers: { ...lan, 'X-Live-Password': 'hunter2' }, body: runBody('../package') }, 400, 'bad-name', true)
  add('remote: right password, unknown demo', { method: 'POST', headers: { ...lan, 'X-Live-Password': 'hunter2' }, body: runBody('nope') }, 404, 'unknown-demo', true)
  add('remote: right password, GET run', { method: 'GET', headers: { ...lan, 'X-Live-Password': 'hunter2' } }, 405, 'bad-method', true)
  add('remote: DNS name Host, right password, form body', { method: 'POST', headers: { 'Host': 'evil.example', 'X-Live-Password': 'hunter2', 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'demo=async_loop' }, 403, 'forbidden-host', true)
  add('remote: right password, form body', { method: 'POST', headers: { ...lan, 'X-Live-Password': 'hunter2', 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'demo=async_loop' }, 415, 'bad-content-type', true)
  return cases
}

async function inBatches<T, R>(items: T[], size: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = []
  for (let i = 0; i < items.length; i += size)
    results.push(...await Promise.all(items.slice(i, i + size).map(task)))
  return results
}

const SNAPSHOT_SKIP = new Set(['node_modules', '.git', 'test-results', '.test-dist', 'dist', 'exports', '.slidev', 'bench-results', 'playwright-report'])

describe('live-run endpoint under abuse', () => {
  let local: LiveTestServer
  let remote: LiveTestServer
  let demosDir: string

  beforeAll(async () => {
    // The served demos: the real async_loop, plus things that must never run.
    demosDir = scratchDemosDir()
    copyFileSync(join(DEMOS_DIR, 'async_loop.py'), join(demosDir, 'async_loop.py'))
    writeFileSync(join(demosDir, 'secret.txt'), 'not a demo\n')
    mkdirSync(join(demosDir, 'sub'))
    writeFileSync(join(demosDir, 'sub', 'evil.py'), 'open("/tmp/pwned", "w")\n')
    local = await startLiveServer({ demosDir })
    remote = await startLiveServer({ demosDir, remotePassword: 'hunter2' })
  })

  afterAll(async () => {
    await local?.close()
    await remote?.close()
  })

  /** Send every case; what came back wrong, and what changed on disk in the meantime. */
  async function round(cases: Case[]) {
    const children = childPids()
    const repoBefore = snapshotFiles(REPO_ROOT, SNAPSHOT_SKIP)
    const serverBefore = new Map([...snapshotFiles(demosDir), ...snapshotFiles(local.root), ...snapshotFiles(remote.root)])
    spied.spawns.length = 0
    spied.writes.length = 0

    const results = await inBatches(cases, 16, async (c) => {
      const server = c.remote ? remote : local
      const request = { ...c.request, headers: { ...c.request.headers } }
      // Host headers in the cases name port 3041; the servers listen elsewhere.
      if (request.headers.Host === undefined)
        request.headers.Host = `localhost:${server.port}`
      return { c, res: await rawRequest(server.port, request) }
    })

    const wrong: string[] = []
    for (const { c, res } of results) {
      let body: { error?: { code?: string, message?: string } } | null = null
      try {
        body = JSON.parse(res.body)
      }
      catch {}
      const isHead = c.request.method === 'HEAD'
      const ok = res.status === c.status
        && res.headers['content-type']?.startsWith('application/json')
        && (isHead || (body?.error?.code === c.code && (body.error.message?.length ?? 0) > 10))
      if (!ok)
        wrong.push(`${c.what}: expected ${c.status} ${c.code}, got ${res.status} ${res.headers['content-type']} ${res.body.slice(0, 200)}`)
    }
    const serverAfter = new Map([...snapshotFiles(demosDir), ...snapshotFiles(local.root), ...snapshotFiles(remote.root)])
    return {
      wrong,
      started: local.plugin.handler!.manager.started + remote.plugin.handler!.manager.started,
      spawns: [...spied.spawns],
      newChildren: childPids().filter(pid => !children.includes(pid)),
      writes: [...spied.writes],
      serverChanges: diffSnapshots(serverBefore, serverAfter),
      repoChanges: diffSnapshots(repoBefore, snapshotFiles(REPO_ROOT, SNAPSHOT_SKIP)),
    }
  }

  it('refuses at least 200 hostile requests, each with its status and a JSON error, starting nothing and writing nothing', async () => {
    const cases = hostileCases()
    expect(cases.length).toBeGreaterThanOrEqual(200)
    console.info(`${cases.length} hostile requests`)
    // The spies see writes made through the modules our code imports (beforeAll made these).
    expect(spied.writes.some(write => write.includes('secret.txt'))).toBe(true)

    let result = await round(cases)
    if (result.repoChanges.length) {
      // Other people work in this repo while the tests run. The requests are the same every
      // time, so a file they wrote would change again: one more round tells the two apart.
      console.info(`changed in the repo during the first round (retrying): ${result.repoChanges.join(', ')}`)
      result = await round(cases)
    }
    expect(result.wrong).toEqual([])
    // Nothing was started…
    expect(result.started).toBe(0)
    expect(result.spawns).toEqual([])
    expect(result.newChildren).toEqual([])
    // …and nothing was written.
    expect(result.writes).toEqual([])
    expect(result.serverChanges).toEqual([])
    expect(result.repoChanges).toEqual([])
  })

  it('while the same server does run a real request, and the spies see that run', async () => {
    const res = await rawRequest(local.port, post(runBody('async_loop')))
    expect(res.status).toBe(200)
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/)
    const events = res.body.trim().split('\n').map(line => JSON.parse(line) as { type: string })
    expect(events.at(-1)?.type).toBe('end')
    expect(local.plugin.handler!.manager.started).toBe(1)
    expect(spied.spawns.length).toBeGreaterThan(0)

    // The password lets a machine on the network run it.
    const fromLan = await rawRequest(remote.port, { method: 'POST', headers: { ...JSON_TYPE, 'Host': '192.168.1.20:3041', 'X-Live-Password': 'hunter2' }, body: runBody('async_loop') })
    expect(fromLan.status).toBe(200)
    expect(fromLan.body.trim().split('\n').map(line => JSON.parse(line) as { type: string }).at(-1)?.type).toBe('end')
  })
})
