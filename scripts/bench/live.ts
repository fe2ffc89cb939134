/**
 * Live-run benchmarks, in Chromium against the deck's own dev server:
 * - click Run → the final traceback line on screen, beside a plain `python3
 *   demos/async_loop.py` (same interpreter) from spawn to that line on its stderr,
 *   measured in the same run (target ≤ 1.15×);
 * - click Run → the first event from the server on screen (target < 150 ms).
 * Times on the page are taken in the page (performance.now() at the click, then the first
 * animation frame after the DOM changed), so Playwright's own latency is not counted.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { load } from '@slidev/parser/fs'
import { chromium } from 'playwright-core'
import { findDemo } from 'async-stacks-engine/demos'
import { browserArgs, findBrowser } from '../lib/browser'
import { ROOT } from '../lib/paths'
import { median, ms, ratio, type BenchRow } from './table'

const SLIDEV = join(ROOT, 'node_modules/@slidev/cli/bin/slidev.mjs')
const PORT = 3053
const RUNS = 7
const FINAL_LINE = 'Exception: nested error in async code'

async function liveSlideNo(): Promise<number> {
  const data = await load({ roots: [ROOT], userRoot: ROOT }, join(ROOT, 'slides.md'))
  const index = data.slides.filter(s => !s.frontmatter.disabled && !s.frontmatter.hide).findIndex(s => /<LiveRun\s+demo="async_loop"/.test(s.content))
  if (index < 0)
    throw new Error('no slide in slides.md has <LiveRun demo="async_loop" />')
  return index + 1
}

/** Spawn → the final traceback line on stderr, for the plain, untraced program. */
function plainRun(executable: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now()
    const child = spawn(executable, ['demos/async_loop.py'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PYTHONUNBUFFERED: '1', NO_COLOR: '1' } })
    let err = ''
    let at: number | null = null
    child.stderr.setEncoding('utf8').on('data', (text: string) => {
      err += text
      if (at === null && err.includes(`${FINAL_LINE}\n`))
        at = performance.now() - start
    })
    child.on('error', reject)
    child.on('close', () => at === null ? reject(new Error(`plain run printed no traceback:\n${err}`)) : resolve(at))
  })
}

/**
 * Runs in the page (as text: a bundler's helpers must not leak into it). Clicks Run and
 * times, from the click, the first animation frame after each change appeared in the DOM.
 */
const CLICK_AND_MEASURE = `(root, finalLine) => new Promise((resolve, reject) => {
  const el = document.querySelector(root)
  const button = el.querySelector('button.run')
  const times = {}
  let t0 = 0
  let sawFirst = false
  let sawFinal = false
  const atNextFrame = key => requestAnimationFrame(() => { times[key] ??= performance.now() - t0 })
  const observer = new MutationObserver(() => {
    if (!sawFirst && el.dataset.started === 'true') {
      sawFirst = true
      atNextFrame('first')
    }
    if (!sawFinal && [...el.querySelectorAll('.pane .line')].some(line => line.textContent.includes(finalLine))) {
      sawFinal = true
      atNextFrame('finalLine')
    }
    if (el.dataset.state === 'done' && el.querySelector('.foot .exception')) {
      observer.disconnect()
      requestAnimationFrame(() => {
        times.done = performance.now() - t0
        resolve(times)
      })
    }
    else if (el.dataset.state === 'failed' || el.dataset.state === 'timed-out') {
      observer.disconnect()
      reject(new Error('the live run ended ' + el.dataset.state + ': ' + el.textContent))
    }
  })
  observer.observe(el, { subtree: true, childList: true, attributes: true, characterData: true })
  t0 = performance.now()
  button.click()
})`

interface ClickTimes {
  first: number
  finalLine: number
  done: number
}

export async function benchLive(): Promise<BenchRow[]> {
  const demo = findDemo('async_loop')
  if (!demo)
    throw new Error('demos/async_loop.py is missing')
  // Loaded here, so the other suites run even while an adapter is broken.
  const { defaultRuntime, recordDemo } = await import('async-stacks-engine/index')
  const runtime = await defaultRuntime(demo)
  const no = await liveSlideNo()

  const server = spawn(process.execPath, [SLIDEV, 'slides.md', '--port', String(PORT), '--open=false'], { cwd: ROOT, stdio: 'ignore', detached: true })
  const browser = await chromium.launch({ executablePath: findBrowser(), args: browserArgs() })
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } })
    const started = performance.now()
    for (;;) {
      try {
        await page.goto(`http://localhost:${PORT}/${no}`, { timeout: 30_000 })
        break
      }
      catch {
        if (performance.now() - started > 90_000)
          throw new Error('the dev server did not answer within 90 s')
        await new Promise(resolve => setTimeout(resolve, 100))
      }
    }
    const root = `.slidev-page-${no} .live-run[data-demo="async_loop"]`
    await page.locator(`${root}[data-state="idle"]`).waitFor({ timeout: 60_000 })
    // Slidev loads every other slide 3 s after the first: let the dev server finish compiling
    // them (a deck open on the speaker's screen is past that), so it is idle as in the talk.
    await page.waitForTimeout(3_500)
    await page.waitForLoadState('networkidle')

    const clickAndMeasure = () => page.evaluate(`(${CLICK_AND_MEASURE})(${JSON.stringify(root)}, ${JSON.stringify(FINAL_LINE)})`) as Promise<ClickTimes>

    /** The trace engine alone, in this process: recordDemo called → the final line streamed. */
    const engineRun = async (): Promise<number> => {
      const start = performance.now()
      let err = ''
      let at: number | null = null
      await recordDemo(demo, {
        onEvent: (event) => {
          if (event.type === 'output' && at === null) {
            err += event.chunk.text
            if (err.includes(FINAL_LINE))
              at = performance.now() - start
          }
        },
      })
      if (at === null)
        throw new Error('the traced run printed no traceback')
      return at
    }

    // One warm-up each: the first live run pays for the engine's first use, the first plain run for cold caches.
    await clickAndMeasure()
    await engineRun()
    await plainRun(runtime.executable)
    const live: ClickTimes[] = []
    const engine: number[] = []
    const plain: number[] = []
    for (let i = 0; i < RUNS; i++) {
      // Interleaved, so all three see the same machine load.
      live.push(await clickAndMeasure())
      engine.push(await engineRun())
      plain.push(await plainRun(runtime.executable))
    }
    const finalLine = median(live.map(t => t.finalLine))
    const traced = median(engine)
    const plainMs = median(plain)
    const first = median(live.map(t => t.first))
    const done = median(live.map(t => t.done))
    const r = finalLine / plainMs
    const command = `python3 demos/async_loop.py (${runtime.name} ${runtime.version}, ${runtime.executable})`
    return [
      { name: `live run: click → final traceback on screen (median of ${RUNS})`, value: ms(finalLine), baseline: `${ms(plainMs)}: ${command}, spawn → same line`, target: `≤ 1.15× plain (${ratio(r)})`, ok: r <= 1.15 },
      { name: '  the trace engine alone: recordDemo → that line', value: ms(traced), baseline: `${ms(plainMs)} plain (${ratio(traced / plainMs)})`, target: 'report' },
      { name: '  so the server, the stream and the page add', value: ms(finalLine - traced), target: 'report' },
      { name: `live run: click → first event on screen (median of ${RUNS})`, value: ms(first), target: '< 150 ms', ok: first < 150 },
      { name: 'live run: click → run finished, recording shown', value: ms(done), baseline: `${ms(plainMs)} plain`, target: 'report' },
    ]
  }
  finally {
    await browser.close()
    try {
      process.kill(-server.pid!, 'SIGTERM')
    }
    catch {}
  }
}
