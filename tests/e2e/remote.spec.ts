/**
 * `slidev --remote <password>` seen from another machine of the conference network. The
 * deck's server runs in a network namespace of its own and the "LAN client" in another,
 * joined by a virtual cable (needs root and iproute2, as CI has): the server sees a real
 * non-loopback address, and nothing leaves this machine (the server's namespace has no
 * route out, so Slidev's public-IP lookup fails at once). Without the password, a spoofed
 * `Host: localhost` or `X-Forwarded-For: 127.0.0.1`, nothing is written, run, moved or
 * read; the audience may still view the deck; with the password, the deck works.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, expect, test, type Browser } from '@playwright/test'
import { browserArgs, findBrowser } from '../../scripts/lib/browser'
import { ROOT } from '../support/deck'
import { changedFiles, DECKS_UNDER_TEST, SCRATCH_DECKS, startScratchDeck, type ScratchDeck } from '../support/scratch-deck'

const DECK_IP = '10.213.0.1'
const LAN_IP = '10.213.0.2'
/** More machines on the LAN: each address has its own budget of wrong guesses. */
const ATTACKER_IP = '10.213.0.3'
const SPEAKER_PHONE_IP = '10.213.0.4'
const GUESSER_IP = '10.213.0.5'
const PASSWORD = 'hunter2'

const isRoot = process.getuid?.() === 0
const hasIp = spawnSync('ip', ['-V']).status === 0
test.skip(!isRoot || !hasIp, `the LAN client needs its own network namespace: root and iproute2 (${isRoot ? 'no ip command' : 'not root'})`)

for (const [index, target] of DECKS_UNDER_TEST.entries()) {
  test.describe(target.name, () => {
    const tag = `${process.pid % 10_000}${index}`
    const NS_DECK = `deck-srv-${tag}`
    const NS_LAN = `deck-lan-${tag}`

    let deck: ScratchDeck
    let browser: Browser
    let base: string

    function ip(...args: string[]): void {
      execFileSync('ip', args, { stdio: 'pipe' })
    }

    function tearDownNetwork(): void {
      for (const ns of [NS_DECK, NS_LAN])
        spawnSync('ip', ['netns', 'del', ns])
    }

    /** Send requests from the LAN client's namespace; their answers in order. */
    function fromLan(localAddress: string, requests: object[]): { name: string, status: number, setCookie: string[], body: string }[] {
      const file = join(SCRATCH_DECKS, `lan-requests-${tag}.json`)
      writeFileSync(file, JSON.stringify(requests.map(r => ({ host: DECK_IP, port: deck.port, localAddress, ...r }))))
      const out = execFileSync('ip', ['netns', 'exec', NS_LAN, process.execPath, join(ROOT, 'tests/support/lan-client.mjs'), file], { encoding: 'utf8', timeout: 120_000 })
      return JSON.parse(out)
    }

    test.beforeAll(async () => {
      test.setTimeout(120_000)
      mkdirSync(SCRATCH_DECKS, { recursive: true })
      tearDownNetwork()
      ip('netns', 'add', NS_DECK)
      ip('netns', 'add', NS_LAN)
      ip('link', 'add', `dv${tag}`, 'type', 'veth', 'peer', 'name', `lv${tag}`)
      ip('link', 'set', `dv${tag}`, 'netns', NS_DECK)
      ip('link', 'set', `lv${tag}`, 'netns', NS_LAN)
      ip('-n', NS_DECK, 'addr', 'add', `${DECK_IP}/24`, 'dev', `dv${tag}`)
      for (const address of [LAN_IP, ATTACKER_IP, SPEAKER_PHONE_IP, GUESSER_IP])
        ip('-n', NS_LAN, 'addr', 'add', `${address}/24`, 'dev', `lv${tag}`)
      for (const [ns, dev] of [[NS_DECK, `dv${tag}`], [NS_LAN, `lv${tag}`]] as const) {
        ip('-n', ns, 'link', 'set', dev, 'up')
        ip('-n', ns, 'link', 'set', 'lo', 'up')
      }
      deck = await startScratchDeck(`remote-${index}`, {
        args: ['--remote', PASSWORD, '--bind', '0.0.0.0'],
        prefix: ['ip', 'netns', 'exec', NS_DECK],
        deck: target.dir,
        answers: async port => spawnSync('ip', ['netns', 'exec', NS_DECK, process.execPath, '-e', `fetch('http://localhost:${port}/').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))`]).status === 0,
      })
      base = `http://${DECK_IP}:${deck.port}`
      // A file of the project no visitor may read, as a checkout has.
      mkdirSync(join(deck.root, '.git'), { recursive: true })
      writeFileSync(join(deck.root, '.git', 'config'), '[core]\n\tsecret = the speaker\'s repository\n')
      // A browser on the LAN client's machine.
      const wrapper = join(SCRATCH_DECKS, `chromium-lan-${tag}.sh`)
      writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${NS_LAN} ${JSON.stringify(findBrowser())} "$@"\n`)
      chmodSync(wrapper, 0o755)
      browser = await chromium.launch({ executablePath: wrapper, args: browserArgs() })
    })

    test.afterAll(async () => {
      await browser?.close()
      await deck?.stop()
      tearDownNetwork()
      for (const file of [`chromium-lan-${tag}.sh`, `lan-requests-${tag}.json`])
        rmSync(join(SCRATCH_DECKS, file), { force: true })
    })

    const own = () => `http://${DECK_IP}:${deck.port}`
    const json = { 'Content-Type': 'application/json' }

    /** Every way in that writes, runs, moves screens or reads the project, with the given extra headers. */
    function attacks(headers: Record<string, string>, label: string) {
      const h = { ...headers, Origin: own() }
      return [
        { name: `${label}: slide write`, method: 'POST', path: '/__slidev/slides/2.json', headers: { ...h, ...json }, body: '{"note":"PWNED"}' },
        { name: `${label}: MCP`, method: 'POST', path: '/__mcp', headers: { ...h, ...json, Accept: 'application/json, text/event-stream' }, body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' },
        { name: `${label}: move every screen`, method: 'POST', path: '/@server-ref/nav', headers: { ...h, ...json }, body: '{"data":{"page":7,"clicks":0}}' },
        { name: `${label}: live run`, method: 'POST', path: '/__live/run', headers: { ...h, ...json }, body: JSON.stringify({ demo: target.demo }) },
        { name: `${label}: live status`, method: 'GET', path: '/__live/status', headers },
        { name: `${label}: open in editor`, method: 'GET', path: '/__open-in-editor?file=slides.md', headers },
        { name: `${label}: file-system route`, method: 'GET', path: `/@fs${deck.root}/package.json`, headers },
        { name: `${label}: /etc/passwd`, method: 'GET', path: '/@fs/etc/passwd', headers },
        { name: `${label}: project file`, method: 'GET', path: '/package.json', headers },
        { name: `${label}: demo source`, method: 'GET', path: `/${target.demoFile}`, headers },
        { name: `${label}: repository`, method: 'GET', path: '/.git/config', headers },
        { name: `${label}: slide source and notes`, method: 'GET', path: '/__slidev/slides/2.json', headers },
        { name: `${label}: WebSocket writes`, websocket: true, path: '/', headers: { ...h }, messages: [
          { type: 'custom', event: 'slidev:monaco-write', data: { file: target.demoFile, content: 'PWNED' } },
          { type: 'custom', event: 'vite:invalidate', data: { path: '/slides.md' } },
        ] },
      ]
    }

    test('the audience on the LAN views the deck without the password: every slide module loads, no console error', async () => {
      const page = await browser.newPage()
      const errors: string[] = []
      const refused: string[] = []
      page.on('console', m => m.type() === 'error' && errors.push(m.text()))
      page.on('response', async r => r.status() >= 400 && refused.push(`${r.status()} ${r.url()} ${(await r.text().catch(() => '')).slice(0, 120)}`))
      await page.goto(`${base}/1`, { waitUntil: 'networkidle' })
      expect(refused).toEqual([])
      await expect(page.locator('.slidev-page').first()).toBeVisible()
      await page.keyboard.press('ArrowRight')
      await expect(page).toHaveURL(/\/2$/)
      expect(refused).toEqual([])
      expect(errors).toEqual([])
      await page.close()
    })

    test('with the password, the deck works from the LAN: the cookie from ?password= opens the live runs and the screens\' sync', async () => {
      const page = await browser.newPage()
      await page.goto(`${base}/1?password=${PASSWORD}`)
      await expect(page.locator('.slidev-page').first()).toBeVisible()
      // The cookie set on that page proves the password to everything the deck does next.
      const status = await page.evaluate(async () => (await fetch('/__live/status')).status)
      const nav = await page.evaluate(async () => (await fetch('/@server-ref/nav', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ data: { page: 2, clicks: 0 } }) })).status)
      expect({ status, nav }).toEqual({ status: 200, nav: 200 })
      await page.close()
    })

    test('a LAN client without the password, or spoofing this machine, writes, runs, moves and reads nothing', async () => {
      const navState = () => fromLan(SPEAKER_PHONE_IP, [{ name: 'nav state', path: '/@server-ref/nav', headers: { 'X-Live-Password': PASSWORD } }])[0]!
      const navBefore = navState()
      expect(navBefore.status).toBe(200)
      const before = deck.snapshot()
      const programs = new Set<number>()
      const watch = setInterval(() => deck.programs().forEach(pid => programs.add(pid)), 25)
      const answers = fromLan(ATTACKER_IP, [
        ...attacks({}, 'no password'),
        ...attacks({ 'X-Live-Password': 'hunter3' }, 'wrong password'),
        ...attacks({ Host: `localhost:${deck.port}` }, 'Host: localhost'),
        ...attacks({ 'X-Forwarded-For': '127.0.0.1', 'X-Real-IP': '127.0.0.1', 'Forwarded': 'for=127.0.0.1' }, 'X-Forwarded-For'),
      ])
      clearInterval(watch)
      for (const answer of answers.filter(a => !a.name.endsWith('WebSocket writes'))) {
        expect(answer.status, `${answer.name}: ${answer.body.slice(0, 200)}`).toBeGreaterThanOrEqual(400)
        expect(answer.body, answer.name).not.toContain('secret')
        expect(answer.body, answer.name).not.toContain(`"name": "${target.packageName}"`)
      }
      expect(changedFiles(before, deck.snapshot())).toEqual([])
      expect([...programs]).toEqual([])
      // No screen moved: the synced position is where the speaker left it.
      expect(navState().body.match(/"page":\s*\d+/)?.[0]).toBe(navBefore.body.match(/"page":\s*\d+/)?.[0])
    })

    test('wrong guesses are limited per address', async () => {
      const guesses = Array.from({ length: 12 }, (_, i) => ({ name: `guess ${i}`, path: '/__live/status', headers: { 'X-Live-Password': `guess-${i}` } }))
      const statuses = fromLan(GUESSER_IP, guesses).map(a => a.status)
      expect(statuses).toContain(429)
      // Even the right password waits its turn once the address guessed too often.
      expect(fromLan(GUESSER_IP, [{ name: 'right, too late', path: '/__live/status', headers: { 'X-Live-Password': PASSWORD } }])[0]!.status).toBe(429)
    })
  })
}
