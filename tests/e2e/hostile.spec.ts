/**
 * A hostile page in the speaker's browser: pages from another origin — another port of
 * localhost, and another loopback address — try every way a page can reach the deck's dev
 * server (fetch with every content type, no-cors, form posts, sendBeacon, the WebSocket)
 * to write a file, run a program, read the project or move the audience's screen, while
 * the deck is open in the same browser. Nothing may change, nothing may run, and the
 * server must still answer. The deck is a copy (tests/support/scratch-deck.ts), so even a
 * successful attack would not touch the checkout.
 */
import { createServer, type Server } from 'node:http'
import { request as httpRequest } from 'node:http'
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { changedFiles, DECKS_UNDER_TEST, freePort, SCRATCH_DECKS, startScratchDeck, type DeckUnderTest, type ScratchDeck } from '../support/scratch-deck'

/** The attack, run in the hostile page; resolves with what each try got back. */
function attackPage(deckUrl: string, root: string, target: DeckUnderTest): string {
  return `<!doctype html><meta charset="utf-8"><title>a page about cats</title><body><script>
const deck = ${JSON.stringify(deckUrl.replace(/\/$/, ''))}
const root = ${JSON.stringify(root)}
const demo = ${JSON.stringify(target.demo)}
const demoFile = ${JSON.stringify(target.demoFile)}
const results = []
async function tryFetch(name, path, init) {
  try {
    const res = await fetch(deck + path, init)
    let body = ''
    try { body = (await res.text()).slice(0, 200) } catch {}
    results.push({ name, outcome: res.type === 'opaque' ? 'opaque' : 'status ' + res.status, body })
  } catch (error) {
    results.push({ name, outcome: 'blocked', body: String(error) })
  }
}
function formPost(name, path, fields, enctype) {
  return new Promise((resolve) => {
    const frame = document.createElement('iframe')
    frame.name = 'f' + Math.random().toString(36).slice(2)
    document.body.append(frame)
    const form = document.createElement('form')
    form.method = 'POST'; form.action = deck + path; form.target = frame.name
    if (enctype) form.enctype = enctype
    for (const [k, v] of Object.entries(fields)) {
      const input = document.createElement('input'); input.name = k; input.value = v; form.append(input)
    }
    document.body.append(form)
    frame.onload = () => { results.push({ name, outcome: 'posted' }); resolve() }
    setTimeout(() => { results.push({ name, outcome: 'posted (no load)' }); resolve() }, 3000)
    form.submit()
  })
}
function socket(name, url, messages) {
  return new Promise((resolve) => {
    let ws
    try { ws = new WebSocket(url, 'vite-hmr') } catch (error) { results.push({ name, outcome: 'blocked', body: String(error) }); return resolve() }
    const done = (outcome) => { results.push({ name, outcome }); resolve() }
    ws.onopen = () => {
      for (const message of messages) ws.send(JSON.stringify(message))
      setTimeout(() => { ws.close(); done('opened') }, 500)
    }
    ws.onerror = () => done('blocked')
  })
}
const slide = { note: 'PWNED by a web page', content: '# PWNED' }
const monaco = { type: 'custom', event: 'slidev:monaco-write', data: { file: demoFile, content: 'open("PWNED", "w")' } }
const nav = { type: 'custom', event: 'vue-server-ref', data: { key: 'nav', data: { page: 7, clicks: 0 } } }
;(async () => {
  // Write the slides: simple requests (no preflight), a CORS request, no-cors.
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', 'application/json'])
    await tryFetch('slide write ' + type, '/__slidev/slides/2.json', { method: 'POST', headers: { 'Content-Type': type }, body: JSON.stringify(slide) })
  await tryFetch('slide write no-cors', '/__slidev/slides/2.json', { method: 'POST', mode: 'no-cors', body: JSON.stringify(slide) })
  // The crash: a form body where Slidev expects JSON.
  await formPost('slide write form', '/__slidev/slides/2.json', { note: 'PWNED' })
  await formPost('server-ref form', '/@server-ref/nav', { data: 'x' })
  await formPost('live run form', '/__live/run', { demo }, 'text/plain')
  navigator.sendBeacon(deck + '/__slidev/slides/2.json', new Blob([JSON.stringify(slide)], { type: 'text/plain' }))
  navigator.sendBeacon(deck + '/__live/run', new Blob([JSON.stringify({ demo })], { type: 'text/plain' }))
  navigator.sendBeacon(deck + '/@server-ref/nav', new Blob([JSON.stringify({ data: { page: 7 } })], { type: 'text/plain' }))
  results.push({ name: 'beacons', outcome: 'sent' })
  // Run a program.
  await tryFetch('live run cors', '/__live/run', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ demo }) })
  await tryFetch('live run no-cors', '/__live/run', { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ demo }) })
  await tryFetch('open in editor', '/__open-in-editor?file=slides.md', { mode: 'no-cors' })
  await tryFetch('open in editor cors', '/__open-in-editor?file=slides.md')
  // MCP: edit slides, move the audience.
  const rpc = (method, params) => ({ method: 'POST', headers: { 'Content-Type': 'application/json', 'Accept': 'application/json, text/event-stream' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }) })
  await tryFetch('mcp initialize', '/__mcp', rpc('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } }))
  await tryFetch('mcp no-cors', '/__mcp', { ...rpc('tools/list', {}), mode: 'no-cors', headers: { 'Content-Type': 'text/plain' } })
  // Move every connected screen.
  await tryFetch('nav cors', '/@server-ref/nav', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ data: { page: 7, clicks: 0 } }) })
  await tryFetch('nav no-cors', '/@server-ref/nav', { method: 'POST', mode: 'no-cors', body: JSON.stringify({ data: { page: 7, clicks: 0 } }) })
  // Read the project.
  for (const path of ['/@fs' + root + '/package.json', '/package.json', '/.git/config', '/' + demoFile, '/slides.md', '/__slidev/slides/2.json', '/@vite/client'])
    await tryFetch('read ' + path, path)
  // The WebSocket: with no token, and with the token if the client module could be read.
  let token = ''
  try { token = /wsToken\\s*=\\s*"([^"]+)"/.exec(await (await fetch(deck + '/@vite/client')).text())?.[1] ?? '' } catch {}
  const wsUrl = deck.replace(/^http/, 'ws') + '/'
  await socket('websocket without token', wsUrl, [monaco, nav])
  await socket('websocket with token', wsUrl + '?token=' + encodeURIComponent(token), [monaco, nav])
  window.__done = true
})()
window.__results = results
</script>`
}

/** A raw request from this machine, as a script on the laptop could send it. */
function raw(port: number, method: string, path: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) } }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', reject)
    req.end(body)
  })
}

for (const target of DECKS_UNDER_TEST) {
  test.describe(target.name, () => {
    const slug = target.dir ? 'example' : 'talk'
    let deck: ScratchDeck
    let editorMarker: string
    const hostile: { server: Server, origin: string }[] = []

    test.beforeAll(async () => {
      test.setTimeout(120_000)
      // Open-in-editor would start this "editor": it leaves a mark if it ever runs.
      mkdirSync(SCRATCH_DECKS, { recursive: true })
      editorMarker = join(SCRATCH_DECKS, `editor-ran-${slug}-${process.pid}`)
      const editor = join(SCRATCH_DECKS, `fake-editor-${slug}-${process.pid}.sh`)
      writeFileSync(editor, `#!/bin/sh\ntouch ${JSON.stringify(editorMarker)}\n`)
      chmodSync(editor, 0o755)
      deck = await startScratchDeck(`hostile-${slug}`, { env: { LAUNCH_EDITOR: editor }, deck: target.dir })
      for (const host of ['localhost', '127.0.0.2']) {
        const port = await freePort(host === 'localhost' ? '127.0.0.1' : host)
        const server = createServer((_, res) => {
          res.writeHead(200, { 'Content-Type': 'text/html' })
          res.end(attackPage(deck.url, deck.root, target))
        })
        await new Promise<void>(resolve => server.listen(port, host === 'localhost' ? '127.0.0.1' : host, resolve))
        hostile.push({ server, origin: `http://${host}:${port}` })
      }
    })

    test.afterAll(async () => {
      for (const { server } of hostile)
        server.close()
      await deck?.stop()
      for (const file of [`fake-editor-${slug}-${process.pid}.sh`, `editor-ran-${slug}-${process.pid}`])
        rmSync(join(SCRATCH_DECKS, file), { force: true })
    })

    for (const which of [0, 1]) {
      test(`a page from ${which === 0 ? 'another port of localhost' : 'another loopback address (127.0.0.2)'} can write, run, read and move nothing`, async ({ context }) => {
        const origin = hostile[which]!.origin
        const before = deck.snapshot()
        const audience = await context.newPage()
        await audience.goto(`${deck.url}1`)
        await expect(audience.locator('.slidev-page').first()).toBeVisible()

        const programs = new Set<number>()
        const watch = setInterval(() => deck.programs().forEach(pid => programs.add(pid)), 25)
        const attacker = await context.newPage()
        await attacker.goto(`${origin}/cats.html`)
        await attacker.waitForFunction(() => (window as { __done?: boolean }).__done === true, undefined, { timeout: 60_000 })
        await new Promise(resolve => setTimeout(resolve, 1000)) // beacons and late writes
        clearInterval(watch)
        const results = await attacker.evaluate(() => (window as unknown as { __results: { name: string, outcome: string, body?: string }[] }).__results)

        // Nothing written, nothing run, no screen moved, nothing read.
        expect(changedFiles(before, deck.snapshot())).toEqual([])
        expect([...programs]).toEqual([])
        expect(existsSync(editorMarker)).toBe(false)
        expect(new URL(audience.url()).pathname).toBe('/1')
        const readable = results.filter(r => r.outcome.startsWith('status 2'))
        expect(readable, JSON.stringify(readable, null, 2)).toEqual([])
        const sockets = results.filter(r => r.name.startsWith('websocket'))
        expect(sockets.map(r => r.outcome)).toEqual(['blocked', 'blocked'])
        // The server is still up and still the deck's.
        expect((await fetch(deck.url)).status).toBe(200)
        expect(deck.server.exitCode).toBeNull()
      })
    }

    test('no malformed request stops the server: each gets a 4xx', async () => {
      const host = { Host: `localhost:${deck.port}` }
      const cases: [string, string, Record<string, string>, string][] = [
        ['POST', '/__slidev/slides/2.json', { ...host, 'Content-Type': 'application/x-www-form-urlencoded' }, 'note=x'],
        ['POST', '/__slidev/slides/2.json', { ...host, 'Content-Type': 'application/json' }, '{'],
        ['POST', '/@server-ref/nav', { ...host, 'Content-Type': 'application/json' }, '{not json'],
        ['POST', '/@server-ref/nav', { ...host, 'Content-Type': 'text/plain' }, 'x'],
        ['POST', '/@server-ref/__proto__.polluted', { ...host, 'Content-Type': 'application/json' }, '{"data":1}'],
        ['POST', '/__mcp', { ...host, 'Content-Type': 'application/json' }, '{"jsonrpc":"2.0","id":1,"method":"tools/list"}'],
        ['POST', '/__live/run', { ...host, 'Content-Type': 'application/json' }, '{"demo":'],
      ]
      for (const [method, path, headers, body] of cases) {
        const status = await raw(deck.port, method, path, headers, body)
        expect(status, `${method} ${path} ${body}`).toBeGreaterThanOrEqual(400)
        expect(status, `${method} ${path} ${body}`).toBeLessThan(500)
      }
      expect((await fetch(deck.url)).status).toBe(200)
      expect(deck.server.exitCode).toBeNull()
    })
  })
}
